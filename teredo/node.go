package teredo

import (
	"crypto/aes"
	"crypto/cipher"
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/packet"
)

// Timers and limits of the data path (RFC 4380 §5.2.4–5.2.9, §5.4).
const (
	// LocalPeerValidity is the validity of a peer found by local
	// discovery (RFC 4380 §5.2.8: 600 seconds).
	LocalPeerValidity = 600 * time.Second

	// DiscoveryIntervalMin and DiscoveryIntervalMax bound the interval
	// between two discovery bubbles, drawn uniformly (RFC 4380 §5.2.8:
	// 200 to 300 seconds).
	DiscoveryIntervalMin = 200 * time.Second
	DiscoveryIntervalMax = 300 * time.Second

	// PeerValidity is how long a trusted peer stays valid after the last
	// packet received from it (RFC 4380 §5.2: 30 seconds).
	PeerValidity = 30 * time.Second

	// ProbeInterval is the shortest time between two probes (bubbles or
	// echo requests) to one peer, and how long a probe waits for its
	// answer (RFC 4380 §5.2.6: never more often than every 2 seconds;
	// §5.2.9: 2 s between echo requests).
	ProbeInterval = 2 * time.Second

	// EchoTries is how many echo requests a direct connectivity test sends
	// before the peer is declared unreachable (RFC 4380 §5.2.9: 3).
	EchoTries = 3

	// BubbleWindow and BubbleLimit bound the bubbles sent to one peer that
	// does not answer: at most BubbleLimit rounds (a direct and an
	// indirect bubble each) per BubbleWindow (RFC 4380 §5.2.6: 4 in 300
	// s). A test gives up after the last round's ProbeInterval.
	BubbleWindow = 300 * time.Second
	BubbleLimit  = 4

	// EchoNonceLen is the length of the random nonce a direct
	// connectivity test carries in its echo requests (RFC 4380 §5.2.9
	// asks for at least 64 bits).
	EchoNonceLen = 8

	// Defaults of NodeConfig.
	DefaultMaxPeers         = 1 << 20
	DefaultPeerQueuePackets = 16
	DefaultPeerQueueBytes   = 16 << 10
	DefaultQueueBytes       = 4 << 20
	DefaultCreateQuota      = 256
	DefaultErrorRate        = 10 // ICMPv6 errors per second (Miredo's limit)
	DefaultTestRate         = 20 // tests started per second by received packets
)

// DiscoveryGroup is where local discovery bubbles go: the Teredo IPv4
// multicast address 224.0.0.253 and port 3544 (RFC 4380 §5.2.8). Their
// IPv6 destination is ff02::1.
var DiscoveryGroup = netip.AddrPortFrom(netip.AddrFrom4([4]byte{224, 0, 0, 253}), ServerPort)

// allNodes is ff02::1, the destination of discovery bubbles.
var allNodes = [16]byte{0: 0xff, 1: 0x02, 15: 1}

// discoveryHopLimit is the hop limit of discovery bubbles (RFC 4380
// §5.2.8).
const discoveryHopLimit = 1

// echoHopLimit is the hop limit of the direct connectivity test's echo
// requests and of the ICMPv6 errors the node sends to its host.
const echoHopLimit = 64

// NodeConfig configures a Node.
type NodeConfig struct {
	// Relay makes the node a Teredo relay (RFC 4380 §5.4): it carries
	// packets between native IPv6 hosts (Transmit) and Teredo clients
	// (Receive), and has no Teredo address. Otherwise the node is the data
	// path of a client, and needs SetAddress before it carries anything.
	Relay bool

	// RelayAddr is a relay's IPv6 address on the native network: the
	// source of the ICMPv6 errors it sends to native hosts. Without it a
	// relay sends no errors.
	RelayAddr netip.Addr

	// Prefix is the Teredo service prefix; the zero Prefix selects
	// 2001::/32 (RFC 4380 §2.6). It must be a /32.
	Prefix netip.Prefix

	// Global lists IPv4 prefixes to treat as global unicast although they
	// are not (see addr.NewClassifier), for labs and tests numbered from
	// documentation ranges.
	Global []netip.Prefix

	// MaxPeers bounds the peer list; 0 selects DefaultMaxPeers. It must
	// lie in [16, 1<<30]. A full list evicts an idle peer (untrusted ones
	// first) for a new one.
	MaxPeers int

	// PeerQueuePackets and PeerQueueBytes bound the packets held for one
	// peer while it is being tested, QueueBytes those held for all peers;
	// 0 selects the defaults. Held packets keep their order (Miredo's
	// queue sends them in reverse).
	PeerQueuePackets int
	PeerQueueBytes   int
	QueueBytes       int

	// CreateQuota is how many peers one IPv4 source may make the node
	// create, by sending packets from unverified sources, per
	// PeerValidity; 0 selects DefaultCreateQuota, a negative value turns
	// the quota off, and values above 65535 count as 65535. Sources are
	// hashed (with a random seed) into 4096 buckets that share a quota.
	CreateQuota int

	// ErrorRate is how many ICMPv6 errors per second the node sends to its
	// host at most; 0 selects DefaultErrorRate. TestRate is how many
	// tests per second received packets may start (RFC 4380 §5.2.3 case 6,
	// CVE-2006-6266: a flood must not make the node probe third parties at
	// will), and how many link-local-source bubbles it answers; 0 selects
	// DefaultTestRate. Both allow a burst of one second's worth; a
	// negative value turns the limit off.
	ErrorRate int
	TestRate  int

	// LocalDiscovery turns on local discovery (RFC 4380 §5.2.8), for
	// clients behind one NAT that does not hairpin: the client sends a
	// discovery bubble to DiscoveryGroup every DiscoveryIntervalMin to
	// DiscoveryIntervalMax, answers those of its neighbours with unicast
	// bubbles, and trusts a neighbour at its local address (receive cases 4
	// and 5). The caller sends to DiscoveryGroup and passes the datagrams
	// it receives on it to Receive. Clients only; off by default, as in
	// Windows and every Miredo release.
	LocalDiscovery bool

	// Rand is the source of nonces and keys; nil selects crypto/rand.
	Rand io.Reader
}

// NodeDatagram is a UDP datagram the node asks its caller to send from the
// Teredo socket.
type NodeDatagram struct {
	// To is the destination IPv4 address and port.
	To netip.AddrPort
	// Payload is the Teredo UDP payload. It aliases storage of the
	// NodeOutput or of the node, valid until the node's next call.
	Payload []byte
}

// NodeOutput receives what a call of the node produced besides its
// verdict: probes and flushed packets to send, ICMPv6 errors for the host.
// Pass the same NodeOutput to every call: each call clears it and reuses
// its storage, so that the node does not allocate once it has grown.
type NodeOutput struct {
	// Send lists datagrams to send from the Teredo socket, in order.
	Send []NodeDatagram
	// Host lists IPv6 packets for the host (the TUN device), in order:
	// packets a peer sent before a test verified it (RFC 4380 §5.2.3 case
	// 6: held until then), and ICMPv6 errors about packets of the host the
	// node could not deliver. Write them before the packet of a Receive
	// that returned deliver: they arrived earlier. They alias storage of
	// the NodeOutput or of the node, valid until the node's next call.
	Host [][]byte

	buf []byte // storage of built payloads
}

// Reset clears o, keeping its storage.
func (o *NodeOutput) Reset() {
	clear(o.Send)
	o.Send = o.Send[:0]
	clear(o.Host)
	o.Host = o.Host[:0]
	o.buf = o.buf[:0]
}

// Peer is a snapshot of one entry of the peer list, for diagnostics
// (`transit6 teredo status --peers`).
type Peer struct {
	// Addr is the peer's IPv6 address.
	Addr netip.Addr
	// Mapping is the IPv4 address and port packets to the peer go to:
	// the trusted mapping, or the one being tested.
	Mapping netip.AddrPort
	// Trusted reports whether the mapping is trusted.
	Trusted bool
	// Testing is "bubble", "echo" or "" for the test running.
	Testing string
	// LastRx and LastTx are when a packet was last accepted from and sent
	// to the peer (zero: never).
	LastRx, LastTx time.Time
	// Bubbles is how many bubbles were sent to the peer.
	Bubbles uint32
	// Queued is the number of packets held for it.
	Queued int
}

// Node is the sans-IO data path of a Teredo client or relay (RFC 4380
// §5.2.3–5.2.9, §5.4): the peer list, the receive and transmit rules, the
// bubbles and the direct connectivity test. Transmit takes the IPv6
// packets of the host (from a TUN device), Receive the decoded Teredo
// payloads of the network (from the UDP socket); both decide from the peer
// list, and a trusted peer costs one map lookup and no allocation. Tick
// runs the timers. The node owns no socket, goroutine or clock.
//
// # Trust
//
// A peer's mapping (the IPv4 address and port its packets come from) is
// trusted only when the node has proof that the peer holds it (RFC 4380
// §5.2.3): a packet whose Teredo source embeds the mapping it came from
// (case 3), an Echo Reply carrying the nonce of the node's direct
// connectivity test (case 2), or the answer to a challenge (below). A
// packet from a trusted peer at its mapping is delivered (case 1);
// anything else from a global IPv4 source (case 6) is held, in order,
// while the node tests its source, and delivered (in NodeOutput.Host)
// once the test succeeds, dropped when it fails. Tests started by
// received packets are rate-limited (NodeConfig.TestRate, CVE-2006-6266),
// and every IPv4 source may create only NodeConfig.CreateQuota peers per
// PeerValidity (RFC 4380 §7.3.3).
//
// A packet from the host to an untrusted peer is held, in order, while
// the node sends bubbles (a Teredo peer, RFC 4380 §5.2.6) or echo requests
// through its server (a native peer, §5.2.9); the packets follow when the
// peer is trusted, and are answered with ICMPv6 Destination Unreachable
// (address unreachable) when the test fails. A trusted peer stays usable
// PeerValidity after its last packet; after that the node keeps sending to
// its mapping while a probe refreshes it, and stops trusting it if the
// probe fails.
//
// # Peers behind symmetric NATs
//
// A peer behind a NAT that maps every destination to another port sends to
// us from a mapping that differs from the one in its address, which RFC
// 4380 never trusts. The node proves such a mapping with a challenge: it
// sends an indirect bubble through the peer's server (to the mapping in
// the peer's address, the only one the peer's NAT opened to the server)
// whose source is a link-local address made of a keyed hash of the peer's
// address; the peer answers the origin indication its server adds with a
// direct bubble to that link-local address from its real mapping, which
// only the holder of the address can do. The answer is accepted within
// PeerValidity of a probe of the peer, under the current or the previous
// key (keys last 10 minutes). Miredo's relays and clients send such
// bubbles, so Miredo peers behind symmetric NATs are verified the same
// way, and a bubble with a link-local source from Miredo is answered so
// that Miredo can verify us.
//
// A client's direct bubbles carry its Teredo address, so a client behind
// a symmetric NAT that speaks first reaches a peer that answers bubbles
// from unknown mappings (as this node does, RFC 4380 §5.2.3 case 6): the
// answer comes back through the mapping the bubble opened. Miredo drops
// such bubbles when their source is link-local (teredo-miredo-lab.md).
//
// A Node is not safe for concurrent use.
type Node struct {
	relay    bool
	relayIP  netip.Addr
	prefix   [4]byte
	cls      *addr.Classifier
	rand     io.Reader
	peerQLen int
	peerQMax int
	queueMax int
	quota    int

	discovery  bool  // local discovery on
	discoverAt int64 // next discovery bubble, 0: none

	// client state (SetAddress)
	addr   netip.Addr
	addr16 [16]byte
	server netip.AddrPort

	epoch   time.Time
	started bool
	now     int64

	peers    peerTable
	pending  []uint32 // slots with a test running
	wake     int64    // earliest probe deadline among pending, 0: none
	gcAt     int64    // next expiry pass
	gcHand   uint32
	queues   []peerQueue
	qfree    []int32
	qbytes   int
	bufFree  [][]byte
	released [][]byte // flushed buffers, free at the next call

	quotas    [quotaBuckets]uint16
	quotaAt   int64
	quotaSeed uint32

	errTokens  tokenBucket
	testTokens tokenBucket

	key     [2]cipher.Block // challenge keys: current and previous
	keyAt   int64
	echoID  uint16
	scratch [2][16]byte // challenge input and output

	ctr nodeCounters
}

type peerQueue struct {
	pkts  [][]byte
	bytes int
}

const (
	quotaBuckets = 4096
	maxQuota     = 1<<16 - 1

	// maxFreeBufs bounds the packet buffers kept for reuse.
	maxFreeBufs = 1024

	// maxRate bounds ErrorRate and TestRate, so that the token buckets
	// cannot overflow.
	maxRate = 1_000_000_000
)

// tokenBucket allows rate events per second with a burst of rate.
type tokenBucket struct {
	rate   int64
	tokens int64 // nanoseconds × rate: one event costs a second's worth
	at     int64
}

func (b *tokenBucket) allow(t int64) bool {
	const sec = int64(time.Second)
	if b.rate <= 0 {
		return true
	}
	full := sec * b.rate // rate ≤ maxRate: no overflow
	if b.at == 0 || t-b.at >= sec {
		b.tokens = full // a full burst at first, and after a second idle
	} else {
		b.tokens = min(b.tokens+(t-b.at)*b.rate, full)
	}
	b.at = t
	if b.tokens < sec {
		return false
	}
	b.tokens -= sec
	return true
}

// NewNode returns a node configured by cfg. It returns an error wrapping
// ErrNodeConfig for an unusable configuration, or the error of cfg.Rand.
func NewNode(cfg NodeConfig) (*Node, error) {
	n := &Node{relay: cfg.Relay, relayIP: cfg.RelayAddr, rand: cfg.Rand, discovery: cfg.LocalDiscovery}
	if n.relay && n.discovery {
		return nil, fmt.Errorf("%w: local discovery is for clients", ErrNodeConfig)
	}
	if n.rand == nil {
		n.rand = crand.Reader
	}
	p := cfg.Prefix
	if !p.IsValid() {
		p = netip.MustParsePrefix("2001::/32")
	}
	if !p.Addr().Is6() || p.Addr().Is4In6() || p.Bits() != 32 {
		return nil, fmt.Errorf("%w: Teredo prefix %v is not an IPv6 /32", ErrNodeConfig, p)
	}
	a := p.Masked().Addr().As16()
	copy(n.prefix[:], a[:4])
	if n.relayIP.IsValid() && (!n.relayIP.Is6() || n.relayIP.Is4In6() || n.isTeredo(n.relayIP.As16()) ||
		!routable(n.relayIP.As16())) {
		return nil, fmt.Errorf("%w: relay address %v is not a native IPv6 address", ErrNodeConfig, n.relayIP)
	}
	n.cls = addr.NewClassifier(cfg.Global...)
	def := func(v, d int) int {
		if v == 0 {
			return d
		}
		return v
	}
	maxPeers := def(cfg.MaxPeers, DefaultMaxPeers)
	if maxPeers < evictSample || maxPeers > maxTablePeers {
		return nil, fmt.Errorf("%w: MaxPeers %d outside %d..%d", ErrNodeConfig, maxPeers, evictSample, maxTablePeers)
	}
	n.peers = newPeerTable(maxPeers)
	n.peerQLen = def(cfg.PeerQueuePackets, DefaultPeerQueuePackets)
	n.peerQMax = def(cfg.PeerQueueBytes, DefaultPeerQueueBytes)
	n.queueMax = def(cfg.QueueBytes, DefaultQueueBytes)
	if n.peerQLen < 0 || n.peerQMax < 0 || n.queueMax < 0 {
		return nil, fmt.Errorf("%w: negative queue limit", ErrNodeConfig)
	}
	n.quota = min(def(cfg.CreateQuota, DefaultCreateQuota), maxQuota)
	n.errTokens.rate = int64(min(def(cfg.ErrorRate, DefaultErrorRate), maxRate))
	n.testTokens.rate = int64(min(def(cfg.TestRate, DefaultTestRate), maxRate))
	var seed [2 + 4]byte
	if _, err := io.ReadFull(n.rand, seed[:]); err != nil {
		return nil, fmt.Errorf("teredo: node random source: %w", err)
	}
	n.echoID = binary.BigEndian.Uint16(seed[:2])
	n.quotaSeed = binary.BigEndian.Uint32(seed[2:])
	for i := range n.key {
		if err := n.newKey(i); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// ChallengeKeyLife is how long a challenge key signs bubbles; answers
// signed with the previous key are still accepted, so an answer is
// accepted for at least ChallengeKeyLife and at most twice that.
const ChallengeKeyLife = 10 * time.Minute

func (n *Node) newKey(i int) error {
	var k [16]byte
	if _, err := io.ReadFull(n.rand, k[:]); err != nil {
		return fmt.Errorf("teredo: node random source: %w", err)
	}
	b, err := aes.NewCipher(k[:])
	if err != nil {
		return err
	}
	n.key[i] = b
	return nil
}

// Relay reports whether n is a relay.
func (n *Node) Relay() bool { return n.relay }

// Addr returns the client's Teredo address, the zero Addr if it has none
// or n is a relay.
func (n *Node) Addr() netip.Addr { return n.addr }

// SetAddress gives a client node its Teredo address a and its server's
// address (primary IPv4 and port 3544), as the control plane acquired them
// (ClientEvent). A zero a, or one that is not an IPv6 address in the
// node's Teredo prefix, or a server that is not an IPv4 address, withdraws
// the address: the node then drops everything with ErrNodeOffline. A new
// address empties the peer list and the queues (their packets are dropped
// without ICMPv6 errors: the host's address is gone). It does nothing on a
// relay.
func (n *Node) SetAddress(now time.Time, a netip.Addr, server netip.AddrPort) {
	if n.relay {
		return
	}
	server = netip.AddrPortFrom(server.Addr().Unmap(), server.Port())
	if !a.Is6() || a.Is4In6() || !n.isTeredo(a.As16()) || !server.Addr().Is4() {
		a, server = netip.Addr{}, netip.AddrPort{}
	}
	a = a.WithZone("")
	if a == n.addr && server == n.server {
		return
	}
	n.clock(now)
	n.reset()
	n.addr, n.server = a, server
	n.addr16 = [16]byte{}
	n.discoverAt = 0
	if a.IsValid() {
		n.addr16 = a.As16()
		if n.discovery {
			n.discoverAt = n.now // at the next Tick
		}
	}
}

// discover sends a discovery bubble (RFC 4380 §5.2.8) and draws the time
// of the next one.
func (n *Node) discover(t int64, out *NodeOutput) {
	start := len(out.buf)
	var err error
	out.buf, err = AppendBubble(out.buf, nil, n.addr, netip.AddrFrom16(allNodes), discoveryHopLimit)
	if err == nil {
		out.Send = append(out.Send, NodeDatagram{To: DiscoveryGroup, Payload: out.buf[start:]})
		n.ctr.inc(NodeBubblesSent)
	}
	var r [8]byte
	_, _ = io.ReadFull(n.rand, r[:]) // zeros on error: the shortest interval
	span := uint64(DiscoveryIntervalMax - DiscoveryIntervalMin)
	n.discoverAt = t + int64(DiscoveryIntervalMin) + int64(binary.BigEndian.Uint64(r[:])%span)
}

// discovered handles a discovery bubble from a neighbour (RFC 4380 §5.2.3
// case 4): its entry becomes a local one, untrusted, at the local address
// the bubble came from, and a unicast bubble answers it. The neighbour's
// answer to ours, or any packet of it from that address, then trusts it
// (case 5).
func (n *Node) discovered(t int64, from netip.AddrPort, src [16]byte, out *NodeOutput) error {
	n.ctr.inc(NodeRxDiscovery)
	if src == n.addr16 {
		return nil // our own, looped back by the host
	}
	if !n.isTeredo(src) {
		n.ctr.inc(NodeRxSource)
		return ErrNodeSource
	}
	if !n.testTokens.allow(t) {
		n.ctr.inc(NodeProbesLimited)
		return ErrNodeUnverified
	}
	_, e := n.peers.lookup(src)
	if e == nil {
		if !n.allowCreate(t, from.Addr()) {
			n.ctr.inc(NodeRxQuota)
			return ErrNodeQuota
		}
		_, e = n.insert(src, t)
	}
	if !e.is(peerLocal) && !e.is(peerTrusted) {
		// A new neighbour may not know us yet (it started after our
		// last discovery bubble): tell it now rather than in 200 s, so
		// that our unicast bubble, which follows, finds its entry.
		n.discover(t, out)
		e.flags |= peerLocal
		e.setMapping(from)
	}
	n.sendBubble(t, from, n.addr, netip.AddrFrom16(src), out)
	return nil
}

// validity is how long trusted entry e stays valid after its last packet.
func validity(e *peerEntry) int64 {
	if e.is(peerLocal) {
		return int64(LocalPeerValidity)
	}
	return int64(PeerValidity)
}

// reset empties the peer list and the queues.
func (n *Node) reset() {
	n.pending = n.pending[:0]
	n.qfree = n.qfree[:0]
	for k := range n.queues {
		q := &n.queues[k]
		n.recycle(q.pkts)
		clear(q.pkts)
		q.pkts = q.pkts[:0]
		q.bytes = 0
		n.qfree = append(n.qfree, int32(k))
	}
	n.qbytes = 0
	n.peers = newPeerTable(n.peers.max)
	n.wake = 0
	n.gcHand = 0
}

// recycle keeps packet buffers for reuse, up to maxFreeBufs.
func (n *Node) recycle(bufs [][]byte) {
	k := min(len(bufs), maxFreeBufs-len(n.bufFree))
	if k > 0 {
		n.bufFree = append(n.bufFree, bufs[:k]...)
	}
}

// Counters returns a snapshot of the counters. It may be called
// concurrently with the other methods.
func (n *Node) Counters() NodeCounters {
	var c NodeCounters
	for i := range c.n {
		c.n[i] = n.ctr.n[i].Load()
	}
	return c
}

// NumPeers returns the number of entries of the peer list.
func (n *Node) NumPeers() int { return n.peers.len() }

// PeerMemory estimates the memory the peer list holds, in bytes.
func (n *Node) PeerMemory() int { return n.peers.memory() }

// QueuedBytes returns the bytes of the packets held for all peers.
func (n *Node) QueuedBytes() int { return n.qbytes }

// Peers appends a snapshot of up to limit peers (all if limit < 0) to dst.
func (n *Node) Peers(dst []Peer, limit int) []Peer {
	for i := uint32(0); i < n.peers.used && limit != 0; i++ {
		e := n.peers.at(i)
		if !e.is(peerUsed) {
			continue
		}
		dst = append(dst, n.snapshot(e))
		limit--
	}
	return dst
}

// PeerInfo returns the snapshot of the peer a and true, or false.
func (n *Node) PeerInfo(a netip.Addr) (Peer, bool) {
	if !a.Is6() {
		return Peer{}, false
	}
	_, e := n.peers.lookup(a.As16())
	if e == nil {
		return Peer{}, false
	}
	return n.snapshot(e), true
}

func (n *Node) snapshot(e *peerEntry) Peer {
	p := Peer{Addr: netip.AddrFrom16(e.addr), Trusted: e.is(peerTrusted), Bubbles: e.bubbles}
	switch {
	case e.mapPort != 0 || e.mapIP != [4]byte{}:
		p.Mapping = e.mapping()
	case !e.is(peerNative):
		_, p.Mapping = embedded(e.addr) // where the bubbles go
	}
	switch {
	case e.is(peerPinging):
		p.Testing = "echo"
	case e.is(peerBubbling):
		p.Testing = "bubble"
	}
	if e.lastRx != 0 {
		p.LastRx = n.epoch.Add(time.Duration(e.lastRx - 1))
	}
	if e.lastTx != 0 {
		p.LastTx = n.epoch.Add(time.Duration(e.lastTx - 1))
	}
	if e.queue >= 0 {
		p.Queued = len(n.queues[e.queue].pkts)
	}
	return p
}

// clock advances the node's clock to now and returns it in nanoseconds
// since the first call, plus 1 (0 means never). The clock never goes
// back: an earlier now counts as the latest time seen. A jump forwards
// (a suspend) is taken as it is: peers idle for longer expire, tests due
// run at the next Tick.
func (n *Node) clock(now time.Time) int64 {
	if !n.started {
		n.epoch, n.started = now, true
	}
	t := int64(now.Sub(n.epoch)) + 1
	if t < n.now {
		t = n.now
	}
	n.now = t
	return t
}

// begin starts a call: it frees the buffers of the previous call's flushes
// and resets out.
func (n *Node) begin(now time.Time, out *NodeOutput) int64 {
	if len(n.released) > 0 {
		n.recycle(n.released)
		clear(n.released)
		n.released = n.released[:0]
	}
	out.Reset()
	return n.clock(now)
}

func (n *Node) isTeredo(a [16]byte) bool {
	return a[0] == n.prefix[0] && a[1] == n.prefix[1] && a[2] == n.prefix[2] && a[3] == n.prefix[3]
}

// embedded returns the server and the mapping embedded in Teredo address a
// (RFC 4380 §4: port and client address obfuscated).
func embedded(a [16]byte) (server netip.Addr, m netip.AddrPort) {
	server = netip.AddrFrom4([4]byte{a[4], a[5], a[6], a[7]})
	port := ^binary.BigEndian.Uint16(a[10:12])
	m = netip.AddrPortFrom(netip.AddrFrom4([4]byte{^a[12], ^a[13], ^a[14], ^a[15]}), port)
	return server, m
}

// globalTeredo reports whether the server and client IPv4 addresses
// embedded in Teredo address a are global unicast and the port is not 0
// (RFC 4380 §5.2.4; CVE-2006-6264).
func (n *Node) globalTeredo(a [16]byte) bool {
	s, m := embedded(a)
	return n.cls.IsGlobalIPv4(s) && n.cls.IsGlobalIPv4(m.Addr()) && m.Port() != 0
}

// routable reports whether dst may be the destination of a packet the
// node carries: not unspecified, loopback, link-local or multicast.
func routable(a [16]byte) bool {
	return unicast(a) && !isLinkLocal16(a)
}

// unicast reports whether a may be the destination of a bubble: not
// unspecified, loopback or multicast (link-local is allowed: challenges).
func unicast(a [16]byte) bool {
	return a[0] != 0xff && a != [16]byte{} && a != [16]byte{15: 1}
}

func isLinkLocal16(a [16]byte) bool { return a[0] == 0xfe && a[1]&0xc0 == 0x80 }

// Transmit decides what to do with the IPv6 packet pkt from the host, at
// time now (RFC 4380 §5.2.4 for a client, §5.4.1 for a relay):
//
//   - a valid to: send pkt, as it is, in a UDP datagram to to (simple
//     encapsulation), then out.Send, which may hold a probe refreshing a
//     peer whose validity ran out (nothing else is in out);
//   - a nil error and no to: pkt was copied into its peer's queue while
//     the peer is tested; send out.Send (bubbles, echo requests);
//   - an error: the reason pkt was dropped ([ErrNodeOffline],
//     [ErrNodeMalformed], [ErrNodeSource], [ErrNodeDestination],
//     [ErrNodeNonGlobal], [ErrNodeQueueFull]); out may still hold probes.
//
// pkt must be one whole IPv6 packet: its length 40 + Payload Length, at
// most MaxPayloadLen bytes. A client accepts only its own Teredo address as
// the source and carries every unicast destination but its own address: a
// Teredo destination must embed global IPv4 addresses (RFC 4380 §5.2.4,
// CVE-2006-6264), a native one is reached through whichever relay answers
// the echo test. A relay carries packets from native sources to Teredo
// destinations only. pkt is not retained once Transmit returns (queued
// packets are copies).
//
// It does not allocate for a trusted peer, nor once queues and out have
// grown.
func (n *Node) Transmit(now time.Time, pkt []byte, out *NodeOutput) (to netip.AddrPort, err error) {
	t := n.begin(now, out)
	if !n.relay && !n.addr.IsValid() {
		n.ctr.inc(NodeTxOffline)
		return to, ErrNodeOffline
	}
	if len(pkt) < packet.IPv6HeaderLen || len(pkt) > MaxPayloadLen || pkt[0]>>4 != 6 ||
		packet.IPv6HeaderLen+int(binary.BigEndian.Uint16(pkt[4:6])) != len(pkt) {
		n.ctr.inc(NodeTxMalformed)
		return to, ErrNodeMalformed
	}
	src := [16]byte(pkt[8:24])
	dst := [16]byte(pkt[24:40])
	teredoDst := n.isTeredo(dst)
	if n.relay {
		if n.isTeredo(src) || !routable(src) {
			n.ctr.inc(NodeTxSource)
			return to, ErrNodeSource
		}
		if !teredoDst {
			n.ctr.inc(NodeTxDestination)
			return to, ErrNodeDestination
		}
	} else {
		if src != n.addr16 {
			n.ctr.inc(NodeTxSource)
			return to, ErrNodeSource
		}
		if dst == n.addr16 || !routable(dst) {
			n.ctr.inc(NodeTxDestination)
			return to, ErrNodeDestination
		}
	}
	i, e := n.peers.lookup(dst)
	if e != nil && e.is(peerTrusted) {
		e.lastTx = t
		if t-e.lastRx >= validity(e) && e.pending < 0 {
			// Stale: keep the flow going to the known mapping while a
			// probe refreshes it (a one-way stream would otherwise stall
			// every 30 s).
			n.probe(t, i, e, out)
		}
		n.ctr.inc(NodeTxSent)
		return e.mapping(), nil
	}
	if teredoDst && !n.globalTeredo(dst) {
		n.ctr.inc(NodeTxNonGlobal)
		return to, ErrNodeNonGlobal
	}
	if e == nil {
		i, e = n.insert(dst, t)
		if !teredoDst {
			e.flags |= peerNative
		}
	}
	e.lastTx = t
	err = n.enqueue(e, pkt)
	if e.pending < 0 {
		n.probe(t, i, e, out)
	}
	if err != nil {
		n.ctr.inc(NodeTxQueueFull)
		return to, err
	}
	n.ctr.inc(NodeTxQueued)
	return to, nil
}

// Receive decides what to do with the decoded Teredo payload p, received
// at time now from the IPv4 address and port from (RFC 4380 §5.2.3 for a
// client, §5.4.2 for a relay). fromServer tells a client node that the
// datagram came from its server (ClientOutput.FromServer); a relay passes
// false. deliver true means: write p.Inner() to the TUN device, after
// out.Host. In any case send out.Send (bubbles, probes, and the packets
// held for a peer that this packet made trusted) and write out.Host (the
// packets this peer sent while it was tested). A nil error with deliver
// false means the packet was consumed (a bubble, the answer to a test) or
// held until its source is verified; an error is the reason it was
// dropped.
//
// In order:
//
//   - from must be an IPv4 address with a non-zero port ([ErrNodeSource]);
//   - from the server, an origin indication is answered with a direct
//     bubble to the origin (RFC 4380 §5.2.3; it opens our NAT to an
//     indirect bubble's sender) and a bubble is consumed; other packets
//     from the server go through the checks below like any peer's, as
//     the server may also be a relay;
//   - a multicast destination ([ErrNodeMulticast]) or a Routing header
//     (CVE-2006-6263, [ErrNodeRoutingHeader]) is dropped;
//   - a bubble to a link-local destination from a Teredo source is the
//     answer to a challenge ([ErrNodeUnverified] if it is not valid);
//   - a link-local source is dropped ([ErrNodeLinkLocal]), but a client
//     answers a bubble from a link-local source to its address with a
//     bubble to that source (rate-limited): Miredo's peers behind
//     symmetric NATs prove their mapping so;
//   - a client accepts only its address as the destination, a relay
//     only Teredo sources ([ErrNodeSource]) and, but for bubbles, native
//     destinations ([ErrNodeDestination]);
//   - then the cases of RFC 4380 §5.2.3: 1, 2, 3 (an embedded IPv4
//     address that is not global: [ErrNodeNonGlobal]), and 6 from a
//     global IPv4 source only ([ErrNodeNonGlobal]), within the creation
//     quota ([ErrNodeQuota]) and the test rate ([ErrNodeUnverified]), in
//     a queue with room ([ErrNodeQueueFull]). An Echo Reply with the
//     node's identifier that answers no running test is dropped
//     ([ErrNodeUnverified]) rather than held: it must not start a test.
//
// It does not allocate for a trusted peer, nor once queues and out have
// grown.
func (n *Node) Receive(now time.Time, from netip.AddrPort, p *Packet, fromServer bool, out *NodeOutput) (deliver bool, err error) {
	t := n.begin(now, out)
	if !n.relay && !n.addr.IsValid() {
		n.ctr.inc(NodeRxOffline)
		return false, ErrNodeOffline
	}
	ip := p.IPv6()
	b := ip.Bytes()
	if len(b) < packet.IPv6HeaderLen {
		n.ctr.inc(NodeRxMalformed)
		return false, ErrNodeMalformed
	}
	fa := from.Addr().Unmap()
	if !fa.Is4() || from.Port() == 0 {
		n.ctr.inc(NodeRxSource)
		return false, ErrNodeSource
	}
	from = netip.AddrPortFrom(fa, from.Port())
	src := [16]byte(b[8:24])
	dst := [16]byte(b[24:40])
	bubble := ip.IsBubble()

	if fromServer && !n.relay {
		n.ctr.inc(NodeRxServer)
		if o, ok := p.Origin(); ok && unicast(src) && n.cls.IsGlobalIPv4(o.Addr()) && o.Port() != 0 {
			// RFC 4380 §5.2.3: answer the origin indication with a
			// direct bubble, which opens our NAT to the peer, and, to a
			// challenge's link-local source, proves our mapping.
			n.sendBubble(t, o, n.addr, netip.AddrFrom16(src), out)
		}
		if bubble {
			n.ctr.inc(NodeRxBubble)
			return false, nil
		}
	}
	if dst == allNodes && n.discovery && !n.relay && !fromServer && bubble {
		return false, n.discovered(t, from, src, out)
	}
	if dst[0] == 0xff {
		n.ctr.inc(NodeRxMulticast)
		return false, ErrNodeMulticast
	}
	if ip.HasRoutingHeader() {
		n.ctr.inc(NodeRxRouting)
		return false, ErrNodeRoutingHeader
	}
	teredoSrc := n.isTeredo(src)
	if isLinkLocal16(dst) {
		if bubble && teredoSrc {
			return false, n.answer(t, from, src, dst, out)
		}
		n.ctr.inc(NodeRxDestination)
		return false, ErrNodeDestination
	}
	if isLinkLocal16(src) {
		if bubble && !n.relay && !fromServer && dst == n.addr16 && n.cls.IsGlobalIPv4(from.Addr()) {
			// A peer proving its mapping the way Miredo does: answer
			// with a bubble to its link-local address (rate-limited).
			n.ctr.inc(NodeRxBubble)
			if n.testTokens.allow(t) {
				n.sendBubble(t, from, n.addr, netip.AddrFrom16(src), out)
				return false, nil
			}
			n.ctr.inc(NodeProbesLimited)
			return false, nil
		}
		n.ctr.inc(NodeRxLinkLocal)
		return false, ErrNodeLinkLocal
	}
	if n.relay {
		if !teredoSrc {
			n.ctr.inc(NodeRxSource)
			return false, ErrNodeSource
		}
		if !bubble && (n.isTeredo(dst) || !routable(dst)) {
			n.ctr.inc(NodeRxDestination)
			return false, ErrNodeDestination
		}
	} else if dst != n.addr16 {
		n.ctr.inc(NodeRxDestination)
		return false, ErrNodeDestination
	}

	i, e := n.peers.lookup(src)
	// Case 1: a trusted peer at its mapping.
	if e != nil && e.is(peerTrusted) && e.mapIP == fa.As4() && e.mapPort == from.Port() {
		e.lastRx = t
		e.window = 0
		// A late answer to our own echo test is ours, not the host's.
		echo := e.is(peerNative) && ip.NextHeader() == packet.ProtoICMPv6 && n.isEchoReply(ip, e)
		if e.pending >= 0 {
			n.settle(i, e)
		}
		if e.queue >= 0 {
			n.flush(e, out)
		}
		n.ctr.inc(NodeRxTrusted)
		if bubble {
			n.ctr.inc(NodeRxBubble)
			return false, nil
		}
		if echo {
			n.ctr.inc(NodeRxEchoVerified)
			return false, nil
		}
		return true, nil
	}
	// Case 2: the answer to our direct connectivity test.
	if e != nil && e.is(peerPinging) && n.isEchoReply(ip, e) {
		n.trust(t, i, e, from, out)
		n.ctr.inc(NodeRxEchoVerified)
		return false, nil
	}
	// Case 3: a Teredo source at the mapping its address embeds.
	if teredoSrc {
		if !n.globalTeredo(src) {
			n.ctr.inc(NodeRxNonGlobal)
			return false, ErrNodeNonGlobal
		}
		if _, m := embedded(src); m == from {
			if e == nil {
				i, e = n.insert(src, t)
			}
			n.trust(t, i, e, from, out)
			n.ctr.inc(NodeRxMapped)
			if bubble {
				n.ctr.inc(NodeRxBubble)
				return false, nil
			}
			return true, nil
		}
	}
	// Case 5: a neighbour found by local discovery, at its local address.
	if e != nil && e.is(peerLocal) && teredoSrc && e.mapIP == fa.As4() && e.mapPort == from.Port() {
		n.trust(t, i, e, from, out)
		n.ctr.inc(NodeRxLocal)
		if bubble {
			n.ctr.inc(NodeRxBubble)
			return false, nil
		}
		return true, nil
	}
	// Case 6: anything else waits for a test of its source: a challenge
	// for a Teredo peer whose NAT maps us elsewhere, an echo through our
	// server for a native host behind an unknown relay.
	if !n.cls.IsGlobalIPv4(fa) {
		n.ctr.inc(NodeRxNonGlobal)
		return false, ErrNodeNonGlobal
	}
	if !teredoSrc && !n.relay && ip.NextHeader() == packet.ProtoICMPv6 && n.isOwnEchoReply(ip) {
		// An answer to a test that ended, or a forgery: holding it would
		// start a test, so that replies would make us ping at will.
		n.ctr.inc(NodeRxUnverified)
		return false, ErrNodeUnverified
	}
	if e == nil {
		if !n.allowCreate(t, fa) {
			n.ctr.inc(NodeRxQuota)
			return false, ErrNodeQuota
		}
		if !n.testTokens.allow(t) {
			n.ctr.inc(NodeProbesLimited)
			n.ctr.inc(NodeRxUnverified)
			return false, ErrNodeUnverified
		}
		i, e = n.insert(src, t)
		if !teredoSrc {
			e.flags |= peerNative
		}
		n.startTest(t, i, e, from, teredoSrc, out)
	} else if e.pending < 0 {
		if !n.testTokens.allow(t) {
			n.ctr.inc(NodeProbesLimited)
			n.ctr.inc(NodeRxUnverified)
			return false, ErrNodeUnverified
		}
		n.startTest(t, i, e, from, teredoSrc, out)
	}
	if bubble {
		n.ctr.inc(NodeRxBubble)
		return false, nil
	}
	if err := n.enqueue(e, b); err != nil {
		n.ctr.inc(NodeRxQueueFull)
		return false, err
	}
	n.ctr.inc(NodeRxHeld)
	return false, nil
}

// startTest starts the test of entry i for a packet received from from
// (case 6). A Teredo peer gets a bubble at once to the mapping it came
// from, so that it trusts us (case 3 at its end); the challenge goes
// through its server.
func (n *Node) startTest(t int64, i uint32, e *peerEntry, from netip.AddrPort, teredoSrc bool, out *NodeOutput) {
	if teredoSrc {
		n.sendBubble(t, from, n.bubbleSrc(), netip.AddrFrom16(e.addr), out)
		e.bubbles++
	}
	n.probe(t, i, e, out)
}

// answer handles a bubble from the Teredo source src to the link-local
// address dst: the answer to a challenge, which makes the peer trusted at
// from if dst is the challenge address of src under the current or the
// previous key and the node probed the peer within PeerValidity.
func (n *Node) answer(t int64, from netip.AddrPort, src, dst [16]byte, out *NodeOutput) error {
	i, e := n.peers.lookup(src)
	if e == nil || e.probeAt == 0 || t-e.probeAt >= int64(PeerValidity) || !n.challengeOK(t, src, dst) {
		n.ctr.inc(NodeRxUnverified)
		return ErrNodeUnverified
	}
	if !n.globalTeredo(src) || !n.cls.IsGlobalIPv4(from.Addr()) {
		n.ctr.inc(NodeRxNonGlobal)
		return ErrNodeNonGlobal
	}
	known := e.is(peerTrusted) && e.mapping() == from
	sent := n.trust(t, i, e, from, out)
	if sent == 0 && !known && !n.relay {
		// Nothing of ours carries our address to it yet: a bubble makes
		// the peer trust us at the mapping it sees.
		n.sendBubble(t, from, n.addr, netip.AddrFrom16(src), out)
		e.bubbles++
	}
	n.ctr.inc(NodeRxChallenge)
	n.ctr.inc(NodeRxBubble)
	return nil
}

// trust marks e trusted at mapping m, ends its test and sends what was
// held for it. It returns the number of the host's packets it sent.
func (n *Node) trust(t int64, i uint32, e *peerEntry, m netip.AddrPort, out *NodeOutput) int {
	n.peers.setTrusted(i, e, true)
	e.setMapping(m)
	e.lastRx = t
	e.window = 0
	if e.pending >= 0 {
		n.settle(i, e)
	}
	if e.queue >= 0 {
		return n.flush(e, out)
	}
	return 0
}

// settle ends the test of entry i.
func (n *Node) settle(i uint32, e *peerEntry) {
	e.flags &^= peerPinging | peerBubbling
	e.tries = 0
	k := e.pending
	last := len(n.pending) - 1
	if int(k) != last {
		j := n.pending[last]
		n.pending[k] = j
		n.peers.at(j).pending = k
	}
	n.pending = n.pending[:last]
	e.pending = -1
}

// insert creates the entry of a, evicting one from a full list.
func (n *Node) insert(a [16]byte, t int64) (uint32, *peerEntry) {
	i, e := n.peers.insert(a, n.evict)
	e.created = t
	return i, e
}

// evict releases what the victim of a full peer list holds.
func (n *Node) evict(i uint32, e *peerEntry) {
	if e.pending >= 0 {
		n.settle(i, e)
	}
	if e.queue >= 0 {
		n.dropQueue(e.queue)
		e.queue = -1
	}
	n.ctr.inc(NodeEvicted)
}

// allowCreate applies the per-source quota of peer creations.
func (n *Node) allowCreate(t int64, src netip.Addr) bool {
	if n.quota < 0 {
		return true
	}
	if n.quotaAt == 0 || t-n.quotaAt >= int64(PeerValidity) {
		n.quotas = [quotaBuckets]uint16{}
		n.quotaAt = t
	}
	a := src.As4()
	h := (binary.BigEndian.Uint32(a[:]) ^ n.quotaSeed) * 0x9e3779b1
	k := h >> (32 - 12)
	if int(n.quotas[k]) >= n.quota {
		return false
	}
	n.quotas[k]++
	return true
}

// enqueue copies pkt at the end of e's queue.
func (n *Node) enqueue(e *peerEntry, pkt []byte) error {
	qlen, qbytes := 0, 0
	if e.queue >= 0 {
		q := &n.queues[e.queue]
		qlen, qbytes = len(q.pkts), q.bytes
	}
	if qlen >= n.peerQLen || qbytes+len(pkt) > n.peerQMax || n.qbytes+len(pkt) > n.queueMax {
		return ErrNodeQueueFull
	}
	if e.queue < 0 {
		if k := len(n.qfree); k > 0 {
			e.queue = n.qfree[k-1]
			n.qfree = n.qfree[:k-1]
		} else {
			n.queues = append(n.queues, peerQueue{})
			e.queue = int32(len(n.queues) - 1)
		}
	}
	q := &n.queues[e.queue]
	var buf []byte
	if k := len(n.bufFree); k > 0 {
		buf = n.bufFree[k-1][:0]
		n.bufFree[k-1] = nil
		n.bufFree = n.bufFree[:k-1]
	}
	buf = append(buf, pkt...)
	q.pkts = append(q.pkts, buf)
	q.bytes += len(pkt)
	n.qbytes += len(pkt)
	return nil
}

// received reports whether the queued packet p came from peer e (it is
// held for the host) rather than from the host (it waits to be sent to
// e): only the former have e's address as their source.
func received(e *peerEntry, p []byte) bool { return [16]byte(p[8:24]) == e.addr }

// flush empties e's queue, in order: the host's packets to e's mapping,
// e's packets to the host. It returns the number of the host's packets.
func (n *Node) flush(e *peerEntry, out *NodeOutput) int {
	q := &n.queues[e.queue]
	m := e.mapping()
	sent := 0
	for _, p := range q.pkts {
		if received(e, p) {
			out.Host = append(out.Host, p)
		} else {
			out.Send = append(out.Send, NodeDatagram{To: m, Payload: p})
			sent++
		}
		n.released = append(n.released, p)
		n.ctr.inc(NodeFlushed)
	}
	n.freeQueue(e.queue)
	e.queue = -1
	return sent
}

// dropQueue empties queue k, counting its packets as dropped.
func (n *Node) dropQueue(k int32) {
	q := &n.queues[k]
	n.ctr.n[NodeQueueDropped].Add(uint64(len(q.pkts)))
	n.recycle(q.pkts)
	n.freeQueue(k)
}

// freeQueue empties queue k, which is in use, and makes it free.
func (n *Node) freeQueue(k int32) {
	q := &n.queues[k]
	n.qbytes -= q.bytes
	clear(q.pkts)
	q.pkts = q.pkts[:0]
	q.bytes = 0
	n.qfree = append(n.qfree, k)
}

// bubbleSrc is the source of direct bubbles: the client's address; a
// relay, which has none, signs them like its indirect bubbles.
func (n *Node) bubbleSrc() netip.Addr {
	if n.relay {
		return netip.Addr{} // sendBubble computes the challenge
	}
	return n.addr
}

// probe starts or repeats the test of entry i: bubbles for a Teredo peer,
// an echo request through the server for a native one (RFC 4380 §5.2.6,
// §5.2.9). It respects the rate limits, and puts the entry on the pending
// list.
func (n *Node) probe(t int64, i uint32, e *peerEntry, out *NodeOutput) {
	if e.pending < 0 {
		e.pending = int32(len(n.pending))
		n.pending = append(n.pending, i)
		e.tries = 0
		if e.is(peerNative) {
			e.flags |= peerPinging
			if _, err := io.ReadFull(n.rand, e.nonce[:]); err != nil {
				// No nonce, no test: it fails at the next Tick.
				e.tries = EchoTries
				n.schedule(t)
				return
			}
		} else {
			e.flags |= peerBubbling
		}
	}
	if e.probeAt != 0 && t-e.probeAt < int64(ProbeInterval) {
		n.ctr.inc(NodeProbesLimited)
		n.schedule(e.probeAt + int64(ProbeInterval))
		return
	}
	peer := netip.AddrFrom16(e.addr)
	if e.is(peerNative) {
		e.tries++
		e.probeAt = t
		start := len(out.buf)
		var err error
		out.buf, err = packet.AppendEchoRequest(out.buf, n.addr, peer, echoHopLimit, n.echoID, uint16(e.tries), e.nonce[:])
		if err == nil {
			out.Send = append(out.Send, NodeDatagram{To: n.server, Payload: out.buf[start:]})
			n.ctr.inc(NodeEchoesSent)
		}
		n.schedule(t + int64(ProbeInterval))
		return
	}
	if e.windowAt == 0 || t-e.windowAt >= int64(BubbleWindow) {
		e.windowAt, e.window = t, 0
	}
	if e.window >= BubbleLimit {
		n.ctr.inc(NodeProbesLimited)
		n.schedule(t) // fails at the next Tick
		return
	}
	e.window++
	e.tries++
	e.probeAt = t
	server, m := embedded(e.addr)
	if e.is(peerLocal) {
		// RFC 4380 §5.2.4 case 3: a unicast bubble to its local address
		// and a discovery bubble, which makes it answer.
		n.sendBubble(t, e.mapping(), n.addr, peer, out)
		n.discover(t, out)
	}
	// Direct bubble to the mapping in the address (it opens our NAT, and
	// reaches a peer behind a cone NAT), indirect bubble through the
	// peer's server carrying the challenge.
	n.sendBubble(t, m, n.bubbleSrc(), peer, out)
	n.sendBubble(t, netip.AddrPortFrom(server, ServerPort), netip.Addr{}, peer, out)
	e.bubbles += 2
	n.schedule(t + int64(ProbeInterval))
}

func (n *Node) schedule(at int64) {
	if n.wake == 0 || at < n.wake {
		n.wake = at
	}
}

// sendBubble appends a bubble from src to dst, sent to to. A zero src
// selects the challenge link-local address for dst.
func (n *Node) sendBubble(t int64, to netip.AddrPort, src, dst netip.Addr, out *NodeOutput) {
	if !src.IsValid() {
		src = n.challenge(t, dst.As16())
	}
	start := len(out.buf)
	var err error
	out.buf, err = AppendBubble(out.buf, nil, src, dst, 0)
	if err != nil {
		return
	}
	out.Send = append(out.Send, NodeDatagram{To: to, Payload: out.buf[start:]})
	n.ctr.inc(NodeBubblesSent)
}

// rotate replaces the challenge keys when the current one has signed for
// ChallengeKeyLife: the current key becomes the previous one, or, after
// twice that, both are replaced. On a random source error the keys stay.
func (n *Node) rotate(t int64) {
	if n.keyAt == 0 {
		n.keyAt = t
	}
	age := t - n.keyAt
	if age < int64(ChallengeKeyLife) {
		return
	}
	if age >= 2*int64(ChallengeKeyLife) {
		_ = n.newKey(1)
	} else {
		n.key[1] = n.key[0]
	}
	_ = n.newKey(0)
	n.keyAt = t
}

// challenge returns the link-local address fe80::<keyed hash of peer>
// under the current key, rotating the keys when due.
func (n *Node) challenge(t int64, peer [16]byte) netip.Addr {
	n.rotate(t)
	return netip.AddrFrom16(n.challengeWith(0, peer))
}

func (n *Node) challengeWith(k int, peer [16]byte) [16]byte {
	// Through the node's own buffers: a local array passed to the
	// interface method would escape, one allocation per bubble.
	n.scratch[0] = peer
	n.key[k].Encrypt(n.scratch[1][:], n.scratch[0][:])
	a := [16]byte{0: 0xfe, 1: 0x80}
	copy(a[8:], n.scratch[1][:8])
	a[8] &^= 0x02 // u bit clear: not a globally unique identifier
	return a
}

// challengeOK reports whether dst is the challenge address of peer src
// under the current or the previous key.
func (n *Node) challengeOK(t int64, src, dst [16]byte) bool {
	n.rotate(t)
	for k := range n.key {
		if n.challengeWith(k, src) == dst {
			return true
		}
	}
	return false
}

// isEchoReply reports whether ip is an ICMPv6 Echo Reply answering e's
// test: our identifier and e's nonce, valid checksum.
func (n *Node) isEchoReply(ip packet.IPv6, e *peerEntry) bool {
	data, ok := n.echoData(ip)
	return ok && [EchoNonceLen]byte(data[:EchoNonceLen]) == e.nonce
}

// isOwnEchoReply reports whether ip is an ICMPv6 Echo Reply with our
// identifier and room for a nonce.
func (n *Node) isOwnEchoReply(ip packet.IPv6) bool {
	_, ok := n.echoData(ip)
	return ok
}

// echoData returns the data of ip if it is an ICMPv6 Echo Reply with our
// identifier, a valid checksum and at least EchoNonceLen bytes of data.
func (n *Node) echoData(ip packet.IPv6) ([]byte, bool) {
	if ip.NextHeader() != packet.ProtoICMPv6 {
		return nil, false
	}
	m, err := packet.ParseICMPv6(ip)
	if err != nil || m.Type() != packet.ICMPv6EchoReply || m.Code() != 0 {
		return nil, false
	}
	id, _, data, err := m.Echo()
	if err != nil || id != n.echoID || len(data) < EchoNonceLen {
		return nil, false
	}
	return data, true
}

// NextDeadline returns when the node wants Tick to be called: the next
// probe or expiry, or the zero Time if it has nothing to do.
func (n *Node) NextDeadline() time.Time {
	if !n.started {
		return time.Time{}
	}
	w := n.wake
	if n.peers.len() > 0 && (w == 0 || n.gcDue() < w) {
		w = n.gcDue()
	}
	if n.discoverAt != 0 && (w == 0 || n.discoverAt < w) {
		w = n.discoverAt
	}
	if w == 0 {
		return time.Time{}
	}
	return n.epoch.Add(time.Duration(w - 1))
}

func (n *Node) gcDue() int64 {
	if n.gcAt == 0 {
		return n.now + int64(time.Second)
	}
	return n.gcAt
}

// gcBatch is the fewest slots one Tick examines for expiry; with more
// than 16 × gcBatch slots it examines a sixteenth of them, so that a full
// pass takes at most 16 s of Ticks.
const gcBatch = 4096

// Tick runs the timers due at now: repeats probes, gives up on peers that
// never answered (the host's packets held for them are answered with
// ICMPv6 Destination Unreachable, address unreachable, in out.Host,
// rate-limited by NodeConfig.ErrorRate; a peer's own held packets are
// dropped), stops trusting a peer whose refresh failed, and removes peers
// idle beyond their validity. A test that Tick was not called for during
// PeerValidity (the host slept) fails at once. Send out.Send and write
// out.Host as after Transmit. Calling Tick early is harmless.
func (n *Node) Tick(now time.Time, out *NodeOutput) {
	t := n.begin(now, out)
	n.wake = 0
	for k := 0; k < len(n.pending); {
		i := n.pending[k]
		e := n.peers.at(i)
		due := e.probeAt + int64(ProbeInterval)
		if t < due {
			n.schedule(due)
			k++
			continue
		}
		limit := EchoTries
		if !e.is(peerNative) {
			limit = BubbleLimit
		}
		// A test whose last probe is PeerValidity old was slept through
		// (a suspend): what it holds is stale, it fails at once.
		asleep := t-e.probeAt >= int64(PeerValidity)
		if !asleep && int(e.tries) < limit && (e.is(peerNative) || e.window < BubbleLimit) {
			n.probe(t, i, e, out)
			k++
			continue
		}
		// The test failed.
		n.ctr.inc(NodeTestsFailed)
		n.unreachable(t, e, out)
		n.settle(i, e) // moves another entry to index k
		n.peers.setTrusted(i, e, false)
		if e.is(peerNative) {
			// An untrusted Teredo peer keeps its entry for the bubble
			// window; a native one has nothing worth keeping.
			n.peers.remove(i)
		}
	}
	if n.discoverAt != 0 && t >= n.discoverAt && n.addr.IsValid() {
		n.discover(t, out)
	}
	if n.gcAt == 0 || t >= n.gcAt {
		n.expire(t)
		n.gcAt = t + int64(time.Second)
	}
}

// unreachable answers the host's packets held for e with ICMPv6 errors
// and drops e's queue.
func (n *Node) unreachable(t int64, e *peerEntry, out *NodeOutput) {
	if e.queue < 0 {
		return
	}
	src := n.addr
	if n.relay {
		src = n.relayIP
	}
	for _, p := range n.queues[e.queue].pkts {
		// Not to e's own packets, nor to an ICMPv6 error (RFC 4443
		// §2.4(e)).
		if !src.IsValid() || received(e, p) || isICMPv6Error(p) {
			continue
		}
		if !n.errTokens.allow(t) {
			n.ctr.inc(NodeErrorsLimited)
			continue
		}
		start := len(out.buf)
		var err error
		out.buf, err = packet.AppendDestUnreachable(out.buf, src, netip.AddrFrom16([16]byte(p[8:24])), echoHopLimit, packet.ICMPv6AddressUnreachable, p)
		if err == nil {
			out.Host = append(out.Host, out.buf[start:])
			n.ctr.inc(NodeUnreachableSent)
		}
	}
	n.dropQueue(e.queue)
	e.queue = -1
}

// isICMPv6Error reports whether the IPv6 packet p carries an ICMPv6 error
// message right after its header.
func isICMPv6Error(p []byte) bool {
	return p[6] == packet.ProtoICMPv6 && len(p) > packet.IPv6HeaderLen && p[packet.IPv6HeaderLen] < 128
}

// expire removes idle entries among the next slots: untrusted ones
// without a test or queue, and trusted ones, PeerValidity after their last
// activity.
func (n *Node) expire(t int64) {
	used := n.peers.used
	if used == 0 {
		return
	}
	batch := max(gcBatch, int(used)/16)
	for k := 0; k < batch && k < int(used); k++ {
		i := n.gcHand % used
		n.gcHand = i + 1
		e := n.peers.at(i)
		if !e.is(peerUsed) || e.pending >= 0 || e.queue >= 0 {
			continue
		}
		idle := t - e.lastSeen()
		// An untrusted Teredo peer keeps its entry for the bubble window,
		// so that the limit of 4 bubbles per 300 s holds.
		if idle < validity(e) || (!e.is(peerTrusted) && !e.is(peerNative) && e.windowAt != 0 && t-e.windowAt < int64(BubbleWindow)) {
			continue
		}
		n.peers.remove(i)
		n.ctr.inc(NodeExpired)
	}
}
