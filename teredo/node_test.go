package teredo_test

// Unit tests of the data path (teredo.Node) with a fake clock: the transmit
// and receive trees of RFC 4380 §5.2.3–5.2.4 and §5.4, the bubbles and the
// direct connectivity test (§5.2.6, §5.2.9), the rate limits and the peer
// list. Test names follow the hard cases of teredo.md §9 (14–19). The
// end-to-end scenarios through NATs are in node_sim_test.go.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/packet"
	"github.com/transit6/transit6/teredo"
)

// The actors of the unit tests: we are client A (server ndSrvA, mapping
// ndMapA), the peer is Teredo client B of another server, N a native host
// behind relay ndRelay. Everything is numbered from the documentation
// ranges, treated as global through simGlobal.
var (
	ndSrvA   = netip.MustParseAddr("198.51.100.1")
	ndSrvAP  = netip.AddrPortFrom(ndSrvA, teredo.ServerPort)
	ndSrvB   = netip.MustParseAddr("203.0.113.1")
	ndSrvBP  = netip.AddrPortFrom(ndSrvB, teredo.ServerPort)
	ndMapA   = netip.MustParseAddrPort("203.0.113.10:40000")
	ndMapB   = netip.MustParseAddrPort("203.0.113.20:50000")
	ndAddrA  = ndTeredo(ndSrvA, ndMapA)
	ndAddrB  = ndTeredo(ndSrvB, ndMapB)
	ndRelay  = netip.MustParseAddrPort("198.51.100.10:3545")
	ndNative = netip.MustParseAddr("2001:db8:1::100")
	ndOther  = netip.MustParseAddrPort("198.51.100.99:6000") // a stranger
)

// ndTeredo returns the Teredo address of a client of server with mapping
// m, flags 0 (RFC 4380 §4, encoded by the addr package).
func ndTeredo(server netip.Addr, m netip.AddrPort) netip.Addr {
	return addr.Teredo{Server: server, Client: m}.Addr()
}

// TestNodeTeredoAddressByHand checks the encoder the other tests rely on
// against an address written out by hand from RFC 4380 §4.
func TestNodeTeredoAddressByHand(t *testing.T) {
	// 2001:0000 | server 198.51.100.1 = c6 33 64 01 | flags 0 | port
	// 50000 = 0xc350, obfuscated 0x3caf | 203.0.113.20 = cb 00 71 14,
	// obfuscated 34 ff 8e eb.
	want := netip.MustParseAddr("2001:0:c633:6401:0:3caf:34ff:8eeb")
	assert.Equal(t, want, ndTeredo(ndSrvA, ndMapB))
}

// ndData returns an IPv6 packet from src to dst with Next Header 253
// (experimental, RFC 3692) and a payload of n bytes (at least 1), the
// first of which is tag: test traffic whose order can be checked.
func ndData(src, dst netip.Addr, tag byte, n int) []byte {
	n = max(n, 1)
	b := make([]byte, packet.IPv6HeaderLen+n)
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(n))
	b[6], b[7] = 253, 64
	s, d := src.As16(), dst.As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	b[40] = tag
	return b
}

// ndEchoReply returns an Echo Reply from src to dst answering the echo
// request req (RFC 4443 §4.2: identifier, sequence and data echoed).
func ndEchoReply(tb testing.TB, req []byte, src netip.Addr) []byte {
	tb.Helper()
	ip, err := packet.ParseIPv6(req)
	require.NoError(tb, err)
	m, err := packet.ParseICMPv6(ip)
	require.NoError(tb, err)
	id, seq, data, err := m.Echo()
	require.NoError(tb, err)
	b, err := packet.AppendEchoReply(nil, src, ip.Src(), 64, id, seq, data)
	require.NoError(tb, err)
	return b
}

// ndBubble returns a bubble (RFC 4380 §2.8) from src to dst, with the
// origin indication o if it is valid.
func ndBubble(tb testing.TB, src, dst netip.Addr, o netip.AddrPort) []byte {
	tb.Helper()
	var h *teredo.Header
	if o.IsValid() {
		h = &teredo.Header{Origin: o}
	}
	b, err := teredo.AppendBubble(nil, h, src, dst, 0)
	require.NoError(tb, err)
	return b
}

// ndDgram is a datagram or host packet the node produced, decoded.
type ndDgram struct {
	To       netip.AddrPort // zero for host packets
	Kind     string         // "bubble", "echo-request", "echo-reply", "unreachable", "data", "other"
	Src, Dst netip.Addr
	Hop      uint8
	ID, Seq  uint16 // echo
	Code     uint8  // unreachable
	Data     []byte // echo data, the invoking packet, or the data payload
}

func (d ndDgram) String() string {
	return fmt.Sprintf("%s %v→%v to %v", d.Kind, d.Src, d.Dst, d.To)
}

// Tag returns the tag of a data packet (ndData), of the packet an
// unreachable error quotes, or -1.
func (d ndDgram) Tag() int {
	switch {
	case d.Kind == "data" && len(d.Data) > 0:
		return int(d.Data[0])
	case d.Kind == "unreachable" && len(d.Data) > packet.IPv6HeaderLen:
		return int(d.Data[packet.IPv6HeaderLen])
	}
	return -1
}

// ndDecodeIPv6 decodes an IPv6 packet the node produced.
func ndDecodeIPv6(tb testing.TB, b []byte) ndDgram {
	tb.Helper()
	ip, err := packet.ParseIPv6(b)
	require.NoError(tb, err, "% x", b)
	d := ndDgram{Src: ip.Src(), Dst: ip.Dst(), Hop: ip.HopLimit(), Kind: "other"}
	switch {
	case ip.IsBubble():
		d.Kind = "bubble"
	case ip.NextHeader() == 253:
		d.Kind, d.Data = "data", ip.Payload()
	case ip.NextHeader() == packet.ProtoICMPv6:
		m, err := packet.ParseICMPv6(ip)
		require.NoError(tb, err, "the node's ICMPv6 checksums verify")
		switch m.Type() {
		case packet.ICMPv6EchoRequest, packet.ICMPv6EchoReply:
			d.Kind = "echo-request"
			if m.Type() == packet.ICMPv6EchoReply {
				d.Kind = "echo-reply"
			}
			d.ID, d.Seq, d.Data, err = m.Echo()
			require.NoError(tb, err)
		case packet.ICMPv6DestUnreachable:
			d.Kind, d.Code = "unreachable", m.Code()
			_, d.Data, err = m.ErrorMessage()
			require.NoError(tb, err)
		}
	}
	return d
}

// ndDecodeSend decodes the datagrams of out.Send: each must be a Teredo
// payload that Packet.Decode accepts, without indicators.
func ndDecodeSend(tb testing.TB, out *teredo.NodeOutput) []ndDgram {
	tb.Helper()
	var r []ndDgram
	for _, s := range out.Send {
		p, err := teredo.ParsePacket(s.Payload)
		require.NoError(tb, err, "the node sends valid Teredo payloads")
		require.Zero(tb, p.HeaderLen(), "no indicators from a client or relay")
		d := ndDecodeIPv6(tb, p.Inner())
		d.To = s.To
		r = append(r, d)
	}
	return r
}

// ndDecodeHost decodes the packets of out.Host.
func ndDecodeHost(tb testing.TB, out *teredo.NodeOutput) []ndDgram {
	tb.Helper()
	var r []ndDgram
	for _, b := range out.Host {
		r = append(r, ndDecodeIPv6(tb, b))
	}
	return r
}

// ndKinds returns "kind to" for each datagram, a compact form to compare.
func ndKinds(ds []ndDgram) []string {
	var r []string
	for _, d := range ds {
		r = append(r, d.Kind+" "+d.To.String())
	}
	return r
}

func ndTags(ds []ndDgram) []int {
	var r []int
	for _, d := range ds {
		r = append(r, d.Tag())
	}
	return r
}

// ndNode drives one Node with a fake clock.
type ndNode struct {
	tb  testing.TB
	N   *teredo.Node
	Now time.Time
	Out teredo.NodeOutput
}

// ndNew returns a node configured by cfg (Global defaults to simGlobal,
// Rand to a seeded ChaCha8); a client gets address ndAddrA and server
// ndSrvA.
func ndNew(tb testing.TB, cfg teredo.NodeConfig) *ndNode {
	tb.Helper()
	if cfg.Global == nil {
		cfg.Global = simGlobal
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.NewChaCha8([32]byte{1})
	}
	n, err := teredo.NewNode(cfg)
	require.NoError(tb, err)
	h := &ndNode{tb: tb, N: n, Now: simEpoch}
	if !cfg.Relay {
		n.SetAddress(h.Now, ndAddrA, ndSrvAP)
	}
	return h
}

func (h *ndNode) after(d time.Duration) { h.Now = h.Now.Add(d) }

func (h *ndNode) tx(pkt []byte) (netip.AddrPort, error) {
	return h.N.Transmit(h.Now, pkt, &h.Out)
}

// rx decodes payload (which must decode) and hands it to Receive.
func (h *ndNode) rx(from netip.AddrPort, payload []byte) (bool, error) {
	return h.receive(from, payload, false)
}

// rxServer is rx for a datagram from the client's server.
func (h *ndNode) rxServer(payload []byte) (bool, error) {
	return h.receive(ndSrvAP, payload, true)
}

func (h *ndNode) receive(from netip.AddrPort, payload []byte, fromServer bool) (bool, error) {
	h.tb.Helper()
	p, err := teredo.ParsePacket(payload)
	require.NoError(h.tb, err)
	return h.N.Receive(h.Now, from, &p, fromServer, &h.Out)
}

func (h *ndNode) tick() { h.N.Tick(h.Now, &h.Out) }

// run ticks the node at each of its deadlines up to d from now, as a
// timer would, and returns what it sent and wrote to the host.
func (h *ndNode) run(d time.Duration) (sent, host []ndDgram) {
	h.tb.Helper()
	end := h.Now.Add(d)
	for steps := 0; ; steps++ {
		require.Less(h.tb, steps, 100000, "the node's deadline does not move")
		dl := h.N.NextDeadline()
		if dl.IsZero() || dl.After(end) {
			break
		}
		if dl.After(h.Now) {
			h.Now = dl
		}
		h.tick()
		sent = append(sent, h.send()...)
		host = append(host, h.host()...)
	}
	h.Now = end
	return sent, host
}

func (h *ndNode) send() []ndDgram { h.tb.Helper(); return ndDecodeSend(h.tb, &h.Out) }
func (h *ndNode) host() []ndDgram { h.tb.Helper(); return ndDecodeHost(h.tb, &h.Out) }

func (h *ndNode) ctr(k teredo.NodeCounter) uint64 { return h.N.Counters().Get(k) }

func (h *ndNode) peer(a netip.Addr) teredo.Peer {
	h.tb.Helper()
	p, ok := h.N.PeerInfo(a)
	require.True(h.tb, ok, "peer %v listed", a)
	return p
}

// trustB makes B trusted at its embedded mapping (case 3).
func (h *ndNode) trustB() {
	h.tb.Helper()
	_, err := h.rx(ndMapB, ndBubble(h.tb, ndAddrB, ndAddrA, netip.AddrPort{}))
	require.NoError(h.tb, err)
	require.True(h.tb, h.peer(ndAddrB).Trusted)
}

// challengeOf returns the challenge address in the indirect bubble of
// ds (the bubble sent to server:3544 with a link-local source).
func challengeOf(tb testing.TB, ds []ndDgram, server netip.AddrPort) netip.Addr {
	tb.Helper()
	for _, d := range ds {
		if d.Kind == "bubble" && d.To == server {
			require.True(tb, d.Src.IsLinkLocalUnicast(), "challenge source %v", d.Src)
			return d.Src
		}
	}
	tb.Fatalf("no indirect bubble to %v in %v", server, ds)
	return netip.Addr{}
}

func TestNodeConfig(t *testing.T) {
	good := teredo.NodeConfig{Rand: rand.NewChaCha8([32]byte{})}
	for _, tc := range []struct {
		name string
		mod  func(c *teredo.NodeConfig)
	}{
		{"prefix /48", func(c *teredo.NodeConfig) { c.Prefix = netip.MustParsePrefix("2001::/48") }},
		{"prefix IPv4", func(c *teredo.NodeConfig) { c.Prefix = netip.MustParsePrefix("10.0.0.0/32") }},
		{"MaxPeers 15", func(c *teredo.NodeConfig) { c.MaxPeers = 15 }},
		{"MaxPeers 2^31", func(c *teredo.NodeConfig) { c.MaxPeers = 1 << 31 }},
		{"relay address Teredo", func(c *teredo.NodeConfig) { c.RelayAddr = ndAddrB }},
		{"relay address IPv4", func(c *teredo.NodeConfig) { c.RelayAddr = ndSrvA }},
		{"relay address link-local", func(c *teredo.NodeConfig) { c.RelayAddr = netip.MustParseAddr("fe80::1") }},
		{"negative queue", func(c *teredo.NodeConfig) { c.PeerQueueBytes = -1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.mod(&c)
			_, err := teredo.NewNode(c)
			assert.ErrorIs(t, err, teredo.ErrNodeConfig)
		})
	}
	_, err := teredo.NewNode(teredo.NodeConfig{Rand: &failReader{}})
	assert.ErrorIs(t, err, errFail, "the random source's error")
	n, err := teredo.NewNode(teredo.NodeConfig{Relay: true, RelayAddr: ndNative, MaxPeers: 16,
		Prefix: netip.MustParsePrefix("3ffe:831f::/32")})
	require.NoError(t, err)
	assert.True(t, n.Relay())
	assert.False(t, n.Addr().IsValid())
}

var errFail = errors.New("no entropy")

// failReader fails after ok bytes.
type failReader struct{ ok int }

func (r *failReader) Read(b []byte) (int, error) {
	if r.ok <= 0 {
		return 0, errFail
	}
	k := min(len(b), r.ok)
	r.ok -= k
	return k, nil
}

func TestNodeCounterNames(t *testing.T) {
	seen := map[string]bool{}
	for k := teredo.NodeCounter(0); ; k++ {
		s := k.String()
		if s == fmt.Sprintf("NodeCounter(%d)", k) {
			assert.Greater(t, int(k), 30)
			break
		}
		assert.NotEmpty(t, s)
		assert.False(t, seen[s], "duplicate %q", s)
		seen[s] = true
	}
	assert.Equal(t, "tx-sent", teredo.NodeTxSent.String())
	assert.Equal(t, "rx-malformed", teredo.NodeRxMalformed.String())
	assert.Equal(t, "expired", teredo.NodeExpired.String())
	var c teredo.NodeCounters
	assert.Empty(t, c.String())
	assert.Zero(t, c.Get(200))
}

// TestNodeOffline: a client without an address drops everything (RFC 4380
// §5.2.3), and SetAddress with a zero or non-Teredo address withdraws it.
func TestNodeOffline(t *testing.T) {
	h := ndNew(t, teredo.NodeConfig{})
	for _, bad := range []struct {
		a netip.Addr
		s netip.AddrPort
	}{
		{netip.Addr{}, ndSrvAP},
		{ndNative, ndSrvAP},                       // not Teredo
		{ndAddrA, netip.AddrPort{}},               // no server
		{netip.MustParseAddr("1.2.3.4"), ndSrvAP}, // IPv4
	} {
		h.N.SetAddress(h.Now, ndAddrA, ndSrvAP)
		require.Equal(t, ndAddrA, h.N.Addr())
		h.N.SetAddress(h.Now, bad.a, bad.s)
		assert.False(t, h.N.Addr().IsValid(), "%v %v", bad.a, bad.s)
		_, err := h.tx(ndData(ndAddrA, ndAddrB, 1, 8))
		assert.ErrorIs(t, err, teredo.ErrNodeOffline)
		_, err = h.rx(ndMapB, ndBubble(t, ndAddrB, ndAddrA, netip.AddrPort{}))
		assert.ErrorIs(t, err, teredo.ErrNodeOffline)
	}
	assert.Equal(t, uint64(4), h.ctr(teredo.NodeTxOffline))
	assert.Equal(t, uint64(4), h.ctr(teredo.NodeRxOffline))
}

// TestNodeTransmitErrors: what the transmit tree refuses (RFC 4380
// §5.2.4, §5.4.1; teredo.md §9 cases 3 and 17).
func TestNodeTransmitErrors(t *testing.T) {
	ll := netip.MustParseAddr("fe80::1")
	nonGlobal := []struct {
		name string
		dst  netip.Addr
	}{
		{"client 10.0.0.1", ndTeredo(ndSrvB, netip.MustParseAddrPort("10.0.0.1:5000"))},
		{"client 127.0.0.1", ndTeredo(ndSrvB, netip.MustParseAddrPort("127.0.0.1:5000"))},
		{"client 192.88.99.1", ndTeredo(ndSrvB, netip.MustParseAddrPort("192.88.99.1:5000"))},
		{"client 255.255.255.255", ndTeredo(ndSrvB, netip.MustParseAddrPort("255.255.255.255:5000"))},
		{"client 100.64.0.1", ndTeredo(ndSrvB, netip.MustParseAddrPort("100.64.0.1:5000"))},
		{"client 240.0.0.1", ndTeredo(ndSrvB, netip.MustParseAddrPort("240.0.0.1:5000"))},
		{"client port 0", ndTeredo(ndSrvB, netip.MustParseAddrPort("203.0.113.20:0"))},
		{"server 192.168.1.1", ndTeredo(netip.MustParseAddr("192.168.1.1"), ndMapB)},
		{"2001::", netip.MustParseAddr("2001::")},
	}
	type vec struct {
		name  string
		relay bool
		pkt   []byte
		err   error
		ctr   teredo.NodeCounter
	}
	vs := []vec{
		{"short", false, make([]byte, 39), teredo.ErrNodeMalformed, teredo.NodeTxMalformed},
		{"version 4", false, func() []byte { b := ndData(ndAddrA, ndAddrB, 0, 8); b[0] = 0x45; return b }(), teredo.ErrNodeMalformed, teredo.NodeTxMalformed},
		{"payload length short", false, ndData(ndAddrA, ndAddrB, 0, 8)[:47], teredo.ErrNodeMalformed, teredo.NodeTxMalformed},
		{"trailing bytes", false, append(ndData(ndAddrA, ndAddrB, 0, 8), 3, 0), teredo.ErrNodeMalformed, teredo.NodeTxMalformed},
		{"source not ours", false, ndData(ndAddrB, ndAddrB, 0, 8), teredo.ErrNodeSource, teredo.NodeTxSource},
		{"source link-local", false, ndData(ll, ndAddrB, 0, 8), teredo.ErrNodeSource, teredo.NodeTxSource},
		{"destination ours", false, ndData(ndAddrA, ndAddrA, 0, 8), teredo.ErrNodeDestination, teredo.NodeTxDestination},
		{"destination link-local", false, ndData(ndAddrA, ll, 0, 8), teredo.ErrNodeDestination, teredo.NodeTxDestination},
		{"destination ff02::1", false, ndData(ndAddrA, netip.MustParseAddr("ff02::1"), 0, 8), teredo.ErrNodeDestination, teredo.NodeTxDestination},
		{"destination ff0e::1", false, ndData(ndAddrA, netip.MustParseAddr("ff0e::1"), 0, 8), teredo.ErrNodeDestination, teredo.NodeTxDestination},
		{"destination ::1", false, ndData(ndAddrA, netip.IPv6Loopback(), 0, 8), teredo.ErrNodeDestination, teredo.NodeTxDestination},
		{"destination ::", false, ndData(ndAddrA, netip.IPv6Unspecified(), 0, 8), teredo.ErrNodeDestination, teredo.NodeTxDestination},
		{"relay: Teredo source", true, ndData(ndAddrA, ndAddrB, 0, 8), teredo.ErrNodeSource, teredo.NodeTxSource},
		{"relay: link-local source", true, ndData(ll, ndAddrB, 0, 8), teredo.ErrNodeSource, teredo.NodeTxSource},
		{"relay: native destination", true, ndData(ndNative, netip.MustParseAddr("2001:db8::2"), 0, 8), teredo.ErrNodeDestination, teredo.NodeTxDestination},
	}
	big := make([]byte, teredo.MaxPayloadLen+1)
	copy(big, ndData(ndAddrA, ndAddrB, 0, 8))
	binary.BigEndian.PutUint16(big[4:], uint16(len(big)-40))
	vs = append(vs, vec{"longer than a UDP payload", false, big, teredo.ErrNodeMalformed, teredo.NodeTxMalformed})
	for _, ng := range nonGlobal {
		vs = append(vs, vec{"CVE-2006-6264 " + ng.name, false, ndData(ndAddrA, ng.dst, 0, 8), teredo.ErrNodeNonGlobal, teredo.NodeTxNonGlobal},
			vec{"relay: CVE-2006-6264 " + ng.name, true, ndData(ndNative, ng.dst, 0, 8), teredo.ErrNodeNonGlobal, teredo.NodeTxNonGlobal})
	}
	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			h := ndNew(t, teredo.NodeConfig{Relay: v.relay})
			to, err := h.tx(v.pkt)
			assert.ErrorIs(t, err, v.err)
			assert.False(t, to.IsValid())
			assert.Empty(t, h.Out.Send)
			assert.Zero(t, h.N.NumPeers(), "nothing learnt from a refused packet")
			assert.Equal(t, uint64(1), h.ctr(v.ctr))
		})
	}
}

// TestNodeTransmitTeredoPeer: the first packets to an untrusted Teredo
// peer are held in order while the node sends a direct bubble to the
// mapping in the peer's address and an indirect bubble to its server
// (RFC 4380 §5.2.4 case 5, §5.2.6), never less than 2 s apart, 4 rounds,
// then answers the held packets with ICMPv6 address unreachable; a fifth
// round waits for the end of the 300 s window (teredo.md §9 case 19).
func TestNodeTransmitTeredoPeer(t *testing.T) {
	h := ndNew(t, teredo.NodeConfig{})
	to, err := h.tx(ndData(ndAddrA, ndAddrB, 1, 100))
	require.NoError(t, err)
	assert.False(t, to.IsValid(), "held, not sent")
	sent := h.send()
	require.Equal(t, []string{"bubble " + ndMapB.String(), "bubble " + ndSrvBP.String()}, ndKinds(sent))
	assert.Equal(t, ndAddrA, sent[0].Src, "the direct bubble carries our address")
	assert.Equal(t, ndAddrB, sent[0].Dst)
	assert.Equal(t, ndAddrB, sent[1].Dst)
	ch := challengeOf(t, sent, ndSrvBP)
	assert.True(t, netip.MustParsePrefix("fe80::/64").Contains(ch), "challenge %v in fe80::/64", ch)
	assert.Zero(t, ch.As16()[8]&0x02, "u bit clear")
	assert.Equal(t, uint8(0), sent[0].Hop, "hop limit 0 like Miredo's bubbles")

	// Same peer, same challenge; more packets are held behind the first.
	for tag := byte(2); tag <= 4; tag++ {
		h.after(300 * time.Millisecond)
		to, err := h.tx(ndData(ndAddrA, ndAddrB, tag, 100))
		require.NoError(t, err)
		assert.False(t, to.IsValid())
		assert.Empty(t, h.Out.Send, "no bubble within 2 s of the last")
	}
	p := h.peer(ndAddrB)
	assert.Equal(t, "bubble", p.Testing)
	assert.Equal(t, 4, p.Queued)
	assert.False(t, p.Trusted)
	assert.Equal(t, ndMapB, p.Mapping, "the mapping being tested")
	assert.False(t, h.N.NextDeadline().After(simEpoch.Add(teredo.ProbeInterval)), "a Tick for the next round")

	// Rounds 2, 3, 4 at 2 s intervals, with the same challenge.
	start := simEpoch
	for round := 2; round <= teredo.BubbleLimit; round++ {
		h.Now = start.Add(time.Duration(round-1) * teredo.ProbeInterval).Add(-time.Millisecond)
		h.tick()
		assert.Empty(t, h.Out.Send, "round %d not before 2 s", round)
		h.after(time.Millisecond)
		h.tick()
		sent := h.send()
		require.Len(t, sent, 2, "round %d", round)
		assert.Equal(t, ch, challengeOf(t, sent, ndSrvBP))
	}
	assert.Equal(t, uint32(2*teredo.BubbleLimit), h.peer(ndAddrB).Bubbles)

	// No answer 2 s after the 4th round: the test failed.
	h.Now = start.Add(time.Duration(teredo.BubbleLimit) * teredo.ProbeInterval)
	h.tick()
	assert.Empty(t, h.Out.Send)
	host := h.host()
	require.Len(t, host, 4, "one error per held packet")
	assert.Equal(t, []int{1, 2, 3, 4}, ndTags(host), "in order")
	for _, d := range host {
		assert.Equal(t, "unreachable", d.Kind)
		assert.Equal(t, uint8(packet.ICMPv6AddressUnreachable), d.Code, "code 3")
		assert.Equal(t, ndAddrA, d.Dst, "to the host")
		assert.Len(t, d.Data, 140, "quotes the whole packet")
	}
	assert.Equal(t, uint64(1), h.ctr(teredo.NodeTestsFailed))
	assert.Equal(t, uint64(4), h.ctr(teredo.NodeUnreachableSent))
	assert.Equal(t, uint64(4), h.ctr(teredo.NodeQueueDropped))
	assert.Equal(t, uint64(4), h.ctr(teredo.NodeTxQueued))
	assert.Equal(t, uint64(8), h.ctr(teredo.NodeBubblesSent))
	assert.Zero(t, h.N.QueuedBytes())

	// A fifth round within 300 s of the first: no bubble, the packet is
	// answered with an error at the next Tick.
	h.after(10 * time.Second)
	_, err = h.tx(ndData(ndAddrA, ndAddrB, 5, 100))
	require.NoError(t, err)
	assert.Empty(t, h.Out.Send, "at most 4 rounds per 300 s")
	require.False(t, h.N.NextDeadline().After(h.Now))
	h.tick()
	assert.Equal(t, []int{5}, ndTags(h.host()))
	assert.Equal(t, uint64(8), h.ctr(teredo.NodeBubblesSent))

	// 300 s after the first round the window is open again.
	h.Now = start.Add(teredo.BubbleWindow)
	_, err = h.tx(ndData(ndAddrA, ndAddrB, 6, 100))
	require.NoError(t, err)
	assert.Len(t, h.send(), 2)
}

// TestNodeTransmitNativePeer: a native destination gets the direct
// connectivity test: an ICMPv6 Echo Request with a 64-bit random nonce,
// to the destination through our server, 3 tries 2 s apart, then ICMPv6
// address unreachable for the held packets (RFC 4380 §5.2.4 case 2,
// §5.2.9; teredo.md §9 case 19).
func TestNodeTransmitNativePeer(t *testing.T) {
	h := ndNew(t, teredo.NodeConfig{})
	_, err := h.tx(ndData(ndAddrA, ndNative, 1, 60))
	require.NoError(t, err)
	sent := h.send()
	require.Equal(t, []string{"echo-request " + ndSrvAP.String()}, ndKinds(sent), "through our server")
	e := sent[0]
	assert.Equal(t, ndAddrA, e.Src)
	assert.Equal(t, ndNative, e.Dst)
	assert.Equal(t, uint16(1), e.Seq)
	require.Len(t, e.Data, teredo.EchoNonceLen)
	assert.GreaterOrEqual(t, 8*len(e.Data), 64, "a nonce of at least 64 bits")
	assert.Equal(t, "echo", h.peer(ndNative).Testing)

	// The nonce is random: another node (another seed) draws another one.
	h2 := ndNew(t, teredo.NodeConfig{Rand: rand.NewChaCha8([32]byte{2})})
	_, err = h2.tx(ndData(ndAddrA, ndNative, 1, 60))
	require.NoError(t, err)
	assert.NotEqual(t, e.Data, h2.send()[0].Data)

	_, err = h.tx(ndData(ndAddrA, ndNative, 2, 60))
	require.NoError(t, err)
	assert.Empty(t, h.Out.Send)
	for try := uint16(2); try <= teredo.EchoTries; try++ {
		h.after(teredo.ProbeInterval)
		h.tick()
		sent := h.send()
		require.Len(t, sent, 1)
		assert.Equal(t, try, sent[0].Seq)
		assert.Equal(t, e.ID, sent[0].ID)
		assert.Equal(t, e.Data, sent[0].Data, "one nonce per test")
	}
	h.after(teredo.ProbeInterval - time.Nanosecond)
	h.tick()
	assert.Empty(t, h.Out.Host, "not before 2 s after the 3rd try")
	h.after(time.Nanosecond)
	h.tick()
	assert.Empty(t, h.Out.Send)
	host := h.host()
	assert.Equal(t, []int{1, 2}, ndTags(host))
	assert.Equal(t, "unreachable", host[0].Kind)
	assert.Equal(t, uint64(3), h.ctr(teredo.NodeEchoesSent))
	_, listed := h.N.PeerInfo(ndNative)
	assert.False(t, listed, "a failed native peer leaves the list")
}

// TestNodeUnreachableRate: ICMPv6 errors to the host are rate-limited
// (NodeConfig.ErrorRate, burst of one second's worth; RFC 4443 §2.4(f)),
// and never answer an ICMPv6 error (§2.4(e)).
func TestNodeUnreachableRate(t *testing.T) {
	h := ndNew(t, teredo.NodeConfig{ErrorRate: 3, PeerQueuePackets: 8})
	for tag := range byte(5) {
		_, err := h.tx(ndData(ndAddrA, ndNative, tag, 8))
		require.NoError(t, err)
	}
	icmpErr, err := packet.AppendDestUnreachable(nil, ndAddrA, ndNative, 64, 4, ndData(ndNative, ndAddrA, 9, 8))
	require.NoError(t, err)
	_, err = h.tx(icmpErr)
	require.NoError(t, err)
	_, host := h.run(4 * teredo.ProbeInterval)
	assert.Equal(t, []int{0, 1, 2}, ndTags(host), "a burst of 3")
	assert.Equal(t, uint64(2), h.ctr(teredo.NodeErrorsLimited))
	assert.Equal(t, uint64(6), h.ctr(teredo.NodeQueueDropped))
}

// TestNodeQueueLimits: per-peer packet and byte limits and the node-wide
// byte limit (ErrNodeQueueFull), the probes still going out.
func TestNodeQueueLimits(t *testing.T) {
	t.Run("per-peer packets", func(t *testing.T) {
		h := ndNew(t, teredo.NodeConfig{PeerQueuePackets: 3})
		for tag := range byte(3) {
			_, err := h.tx(ndData(ndAddrA, ndAddrB, tag, 10))
			require.NoError(t, err)
		}
		_, err := h.tx(ndData(ndAddrA, ndAddrB, 3, 10))
		assert.ErrorIs(t, err, teredo.ErrNodeQueueFull)
		assert.Equal(t, uint64(1), h.ctr(teredo.NodeTxQueueFull))
		assert.Equal(t, 3, h.peer(ndAddrB).Queued)
	})
	t.Run("per-peer bytes", func(t *testing.T) {
		h := ndNew(t, teredo.NodeConfig{PeerQueueBytes: 300})
		_, err := h.tx(ndData(ndAddrA, ndAddrB, 0, 200)) // 240 bytes
		require.NoError(t, err)
		_, err = h.tx(ndData(ndAddrA, ndAddrB, 1, 21)) // 61: 301 > 300
		assert.ErrorIs(t, err, teredo.ErrNodeQueueFull)
		_, err = h.tx(ndData(ndAddrA, ndAddrB, 2, 20)) // 60: exactly 300
		require.NoError(t, err)
		assert.Equal(t, 300, h.N.QueuedBytes())
	})
	t.Run("total bytes", func(t *testing.T) {
		h := ndNew(t, teredo.NodeConfig{QueueBytes: 1000})
		for i := range 4 {
			dst := ndTeredo(ndSrvB, netip.AddrPortFrom(ndMapB.Addr(), uint16(1000+i)))
			_, err := h.tx(ndData(ndAddrA, dst, 0, 200))
			require.NoError(t, err)
		}
		dst := ndTeredo(ndSrvB, netip.AddrPortFrom(ndMapB.Addr(), 2000))
		_, err := h.tx(ndData(ndAddrA, dst, 0, 200))
		assert.ErrorIs(t, err, teredo.ErrNodeQueueFull)
		assert.Len(t, h.send(), 2, "the new peer is still probed")
		assert.Equal(t, 960, h.N.QueuedBytes())
		p := h.peer(dst)
		assert.Zero(t, p.Queued)
	})
}

// TestNodeReceiveCase1: a trusted peer at its mapping is delivered; at
// another mapping it is not (RFC 4380 §5.2.3 case 1).
func TestNodeReceiveCase1(t *testing.T) {
	h := ndNew(t, teredo.NodeConfig{})
	h.trustB()
	pkt := ndData(ndAddrB, ndAddrA, 7, 20)
	ok, err := h.rx(ndMapB, pkt)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Empty(t, h.Out.Send)
	assert.Equal(t, uint64(2), h.ctr(teredo.NodeRxTrusted)+h.ctr(teredo.NodeRxMapped))

	// The same source from another mapping is held, and tested.
	elsewhere := netip.AddrPortFrom(ndMapB.Addr(), ndMapB.Port()+1)
	ok, err = h.rx(elsewhere, pkt)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Equal(t, uint64(1), h.ctr(teredo.NodeRxHeld))
	p := h.peer(ndAddrB)
	assert.True(t, p.Trusted, "the trusted mapping stays until another is proven")
	assert.Equal(t, ndMapB, p.Mapping)
	to, err := h.tx(ndData(ndAddrA, ndAddrB, 1, 10))
	require.NoError(t, err)
	assert.Equal(t, ndMapB, to)
}

// TestNodeReceiveCase2: the Echo Reply that answers our test makes a
// native peer trusted at the relay it came through, and the held packets
// follow, in order (RFC 4380 §5.2.3 case 2, §5.2.9; teredo.md §9 case 16).
func TestNodeReceiveCase2(t *testing.T) {
	setup := func(t *testing.T) (*ndNode, []byte) {
		h := ndNew(t, teredo.NodeConfig{})
		_, err := h.tx(ndData(ndAddrA, ndNative, 1, 30))
		require.NoError(t, err)
		require.Len(t, h.Out.Send, 1)
		req := slices.Clone(h.Out.Send[0].Payload)
		h.after(100 * time.Millisecond)
		for tag := byte(2); tag <= 3; tag++ {
			_, err := h.tx(ndData(ndAddrA, ndNative, tag, 30))
			require.NoError(t, err)
		}
		return h, req
	}
	t.Run("answered", func(t *testing.T) {
		h, req := setup(t)
		ok, err := h.rx(ndRelay, ndEchoReply(t, req, ndNative))
		require.NoError(t, err)
		assert.False(t, ok, "our reply is not the host's")
		sent := h.send()
		assert.Equal(t, []int{1, 2, 3}, ndTags(sent), "flushed in order")
		for _, d := range sent {
			assert.Equal(t, ndRelay, d.To, "through the relay that answered")
		}
		p := h.peer(ndNative)
		assert.True(t, p.Trusted)
		assert.Equal(t, ndRelay, p.Mapping)
		assert.Empty(t, p.Testing)
		assert.Equal(t, uint64(1), h.ctr(teredo.NodeRxEchoVerified))
		assert.Equal(t, uint64(3), h.ctr(teredo.NodeFlushed))
		to, err := h.tx(ndData(ndAddrA, ndNative, 4, 30))
		require.NoError(t, err)
		assert.Equal(t, ndRelay, to)
		// A second reply (the test's second try) is consumed, not
		// passed to the host.
		ok, err = h.rx(ndRelay, ndEchoReply(t, req, ndNative))
		require.NoError(t, err)
		assert.False(t, ok)
		// The host's own traffic from the peer is delivered.
		ok, err = h.rx(ndRelay, ndData(ndNative, ndAddrA, 9, 10))
		require.NoError(t, err)
		assert.True(t, ok)
	})
	for _, tc := range []struct {
		name   string
		mangle func(b []byte) []byte
		err    error
	}{
		// A reply with our identifier that fails the nonce is dropped: it
		// must not start another test.
		{"wrong nonce", func(b []byte) []byte { b[48] ^= 1; return fixChecksum6(b) }, teredo.ErrNodeUnverified},
		// Another identifier: the host's traffic, held like any case 6
		// packet while the test runs.
		{"wrong identifier", func(b []byte) []byte { b[44] ^= 1; return fixChecksum6(b) }, nil},
		{"bad checksum", func(b []byte) []byte { b[48] ^= 1; return b }, nil},
		{"echo request", func(b []byte) []byte { b[40] = packet.ICMPv6EchoRequest; return fixChecksum6(b) }, nil},
		{"nonce truncated", func(b []byte) []byte {
			b = b[:len(b)-1]
			binary.BigEndian.PutUint16(b[4:], uint16(len(b)-40))
			return fixChecksum6(b)
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, req := setup(t)
			ok, err := h.rx(ndRelay, tc.mangle(ndEchoReply(t, req, ndNative)))
			assert.False(t, ok)
			if tc.err != nil {
				assert.ErrorIs(t, err, tc.err)
			} else {
				require.NoError(t, err)
				assert.Equal(t, uint64(1), h.ctr(teredo.NodeRxHeld))
			}
			assert.False(t, h.peer(ndNative).Trusted)
			assert.Empty(t, h.Out.Send, "nothing flushed, no new test")
		})
	}
	t.Run("unreachable quoting our echo", func(t *testing.T) {
		// Miredo takes an error quoting its echo as proof; the node does
		// not: anyone on the path can forge one. It is held like any
		// packet from an unverified source.
		h, req := setup(t)
		e, err := packet.AppendDestUnreachable(nil, ndNative, ndAddrA, 64, packet.ICMPv6AdminProhibited, req)
		require.NoError(t, err)
		ok, err := h.rx(ndRelay, e)
		require.NoError(t, err)
		assert.False(t, ok)
		assert.False(t, h.peer(ndNative).Trusted)
		assert.Empty(t, h.Out.Send)
	})
	t.Run("from another peer", func(t *testing.T) {
		h, req := setup(t)
		// The same reply claiming another source: no test for it.
		ip, _ := packet.ParseIPv6(req)
		m, _ := packet.ParseICMPv6(ip)
		id, seq, data, _ := m.Echo()
		b, err := packet.AppendEchoReply(nil, netip.MustParseAddr("2001:db8:1::200"), ndAddrA, 64, id, seq, data)
		require.NoError(t, err)
		_, err = h.rx(ndRelay, b)
		assert.ErrorIs(t, err, teredo.ErrNodeUnverified)
		assert.False(t, h.peer(ndNative).Trusted)
	})
	t.Run("after the test ended", func(t *testing.T) {
		h, req := setup(t)
		_, host := h.run(10 * time.Second)
		require.Len(t, host, 3, "the test failed")
		ok, err := h.rx(ndRelay, ndEchoReply(t, req, ndNative))
		assert.False(t, ok)
		assert.ErrorIs(t, err, teredo.ErrNodeUnverified)
		assert.Empty(t, h.Out.Send, "a late reply starts no test")
		assert.Zero(t, h.N.NumPeers())
	})
}

// fixChecksum6 recomputes the ICMPv6 checksum of the IPv6 packet b.
func fixChecksum6(b []byte) []byte {
	b[42], b[43] = 0, 0
	src, _ := netip.AddrFromSlice(b[8:24])
	dst, _ := netip.AddrFromSlice(b[24:40])
	c := ^packet.Checksum(b[40:], packet.PseudoHeaderChecksum6(packet.ProtoICMPv6, src, dst, uint32(len(b)-40)))
	binary.BigEndian.PutUint16(b[42:], c)
	return b
}

// TestNodeReceiveCase3: a Teredo source at the mapping its address embeds
// is trusted at once; a bubble is consumed, the held packets follow in
// order (RFC 4380 §5.2.3 case 3).
func TestNodeReceiveCase3(t *testing.T) {
	h := ndNew(t, teredo.NodeConfig{})
	for tag := byte(1); tag <= 5; tag++ {
		_, err := h.tx(ndData(ndAddrA, ndAddrB, tag, 50))
		require.NoError(t, err)
	}
	ok, err := h.rx(ndMapB, ndBubble(t, ndAddrB, ndAddrA, netip.AddrPort{}))
	require.NoError(t, err)
	assert.False(t, ok, "a bubble is not delivered")
	sent := h.send()
	assert.Equal(t, []int{1, 2, 3, 4, 5}, ndTags(sent), "FIFO (Miredo's queue is LIFO)")
	for _, d := range sent {
		assert.Equal(t, ndMapB, d.To)
	}
	assert.Empty(t, h.Out.Host)
	p := h.peer(ndAddrB)
	assert.True(t, p.Trusted)
	assert.Empty(t, p.Testing)
	assert.Zero(t, p.Queued)
	assert.Equal(t, h.Now, p.LastRx)
	assert.Equal(t, uint64(1), h.ctr(teredo.NodeRxMapped))
	assert.Equal(t, uint64(1), h.ctr(teredo.NodeRxBubble))
	assert.Zero(t, h.N.QueuedBytes())
	// Nothing left to time.
	h.after(teredo.ProbeInterval)
	h.tick()
	assert.Empty(t, h.Out.Send)

	// A new peer's first data packet at its mapping is delivered at once.
	c := ndTeredo(ndSrvB, netip.MustParseAddrPort("198.51.100.77:1234"))
	ok, err = h.rx(netip.MustParseAddrPort("198.51.100.77:1234"), ndData(c, ndAddrA, 1, 10))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.True(t, h.peer(c).Trusted)

	// CVE-2006-6264: an embedded intranet address is never trusted.
	bad := ndTeredo(ndSrvB, netip.MustParseAddrPort("10.1.1.1:1234"))
	_, err = h.rx(netip.MustParseAddrPort("10.1.1.1:1234"), ndData(bad, ndAddrA, 1, 10))
	assert.ErrorIs(t, err, teredo.ErrNodeNonGlobal)
	_, listed := h.N.PeerInfo(bad)
	assert.False(t, listed)
}

// TestNodeReceiveCase6Native: a packet from a native source through an
// unknown relay is held while an echo test through our server verifies the
// source, then delivered to the host (out.Host), in order (RFC 4380 §5.2.3
// case 6; Miredo does the same; CVE-2006-6266 for the rate limit, see
// TestNodeFlood).
func TestNodeReceiveCase6Native(t *testing.T) {
	h := ndNew(t, teredo.NodeConfig{})
	var req []byte
	for tag := byte(1); tag <= 3; tag++ {
		ok, err := h.rx(ndRelay, ndData(ndNative, ndAddrA, tag, 30))
		require.NoError(t, err)
		assert.False(t, ok, "held")
		if tag == 1 {
			sent := h.send()
			require.Equal(t, []string{"echo-request " + ndSrvAP.String()}, ndKinds(sent))
			req = slices.Clone(h.Out.Send[0].Payload)
		} else {
			assert.Empty(t, h.Out.Send, "one test")
		}
	}
	assert.Equal(t, uint64(3), h.ctr(teredo.NodeRxHeld))
	ok, err := h.rx(ndRelay, ndEchoReply(t, req, ndNative))
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Empty(t, h.Out.Send, "held packets go to the host, not back to the peer")
	host := h.host()
	assert.Equal(t, []int{1, 2, 3}, ndTags(host))
	for _, d := range host {
		assert.Equal(t, ndNative, d.Src)
	}
	assert.True(t, h.peer(ndNative).Trusted)

	// A test that fails drops the held packets without errors: they are
	// not the host's.
	h2 := ndNew(t, teredo.NodeConfig{})
	_, err = h2.rx(ndRelay, ndData(ndNative, ndAddrA, 1, 30))
	require.NoError(t, err)
	_, host = h2.run(time.Minute)
	assert.Empty(t, host)
	assert.Equal(t, uint64(1), h2.ctr(teredo.NodeQueueDropped))
	assert.Zero(t, h2.ctr(teredo.NodeUnreachableSent))
}

// TestNodeSpoofedTeredoSource (teredo.md §9 case 15): a Teredo source at a
// mapping that its address does not embed is held until the peer answers
// the challenge sent through its server; a wrong answer is refused.
func TestNodeSpoofedTeredoSource(t *testing.T) {
	elsewhere := netip.MustParseAddrPort("203.0.113.20:50001") // B behind a symmetric NAT
	setup := func(t *testing.T) (*ndNode, netip.Addr) {
		h := ndNew(t, teredo.NodeConfig{})
		ok, err := h.rx(elsewhere, ndData(ndAddrB, ndAddrA, 1, 10))
		require.NoError(t, err)
		require.False(t, ok)
		sent := h.send()
		// A bubble back to where it came from (so that B trusts us), then
		// the test: direct bubble to the embedded mapping, indirect one
		// with the challenge through B's server.
		require.Equal(t, []string{"bubble " + elsewhere.String(), "bubble " + ndMapB.String(), "bubble " + ndSrvBP.String()}, ndKinds(sent))
		assert.Equal(t, ndAddrA, sent[0].Src)
		ch := challengeOf(t, sent, ndSrvBP)
		_, err = h.rx(elsewhere, ndData(ndAddrB, ndAddrA, 2, 10))
		require.NoError(t, err)
		assert.Empty(t, h.Out.Send)
		return h, ch
	}
	t.Run("answered", func(t *testing.T) {
		h, ch := setup(t)
		h.after(50 * time.Millisecond)
		ok, err := h.rx(elsewhere, ndBubble(t, ndAddrB, ch, netip.AddrPort{}))
		require.NoError(t, err)
		assert.False(t, ok)
		assert.Equal(t, []int{1, 2}, ndTags(h.host()))
		sent := h.send()
		require.Equal(t, []string{"bubble " + elsewhere.String()}, ndKinds(sent), "a bubble so that B trusts us")
		p := h.peer(ndAddrB)
		assert.True(t, p.Trusted)
		assert.Equal(t, elsewhere, p.Mapping, "trusted where it really is")
		assert.Equal(t, uint64(1), h.ctr(teredo.NodeRxChallenge))
		ok, err = h.rx(elsewhere, ndData(ndAddrB, ndAddrA, 3, 10))
		require.NoError(t, err)
		assert.True(t, ok)
	})
	for _, tc := range []struct {
		name string
		dst  func(ch netip.Addr) netip.Addr
		src  netip.Addr
	}{
		{"wrong hash", func(ch netip.Addr) netip.Addr { b := ch.As16(); b[15] ^= 1; return netip.AddrFrom16(b) }, ndAddrB},
		{"another peer's challenge", func(ch netip.Addr) netip.Addr { return ch }, ndTeredo(ndSrvB, elsewhere)},
		{"fixed link-local", func(netip.Addr) netip.Addr { return addr.TeredoClientLinkLocalRestricted }, ndAddrB},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, ch := setup(t)
			_, err := h.rx(elsewhere, ndBubble(t, tc.src, tc.dst(ch), netip.AddrPort{}))
			assert.ErrorIs(t, err, teredo.ErrNodeUnverified)
			assert.False(t, h.peer(ndAddrB).Trusted)
			assert.Empty(t, h.Out.Host)
		})
	}
	t.Run("never answered", func(t *testing.T) {
		h, _ := setup(t)
		_, host := h.run(time.Minute)
		assert.Empty(t, host, "dropped, never delivered")
		assert.Equal(t, uint64(2), h.ctr(teredo.NodeQueueDropped))
		assert.False(t, h.peer(ndAddrB).Trusted)
	})
	t.Run("a non-bubble to the challenge", func(t *testing.T) {
		h, ch := setup(t)
		_, err := h.rx(elsewhere, ndData(ndAddrB, ch, 1, 10))
		assert.ErrorIs(t, err, teredo.ErrNodeDestination)
	})
	t.Run("answer long after the probe", func(t *testing.T) {
		h, ch := setup(t)
		h.after(teredo.PeerValidity)
		_, err := h.rx(elsewhere, ndBubble(t, ndAddrB, ch, netip.AddrPort{}))
		assert.ErrorIs(t, err, teredo.ErrNodeUnverified, "a replayed answer is refused")
	})
}

// TestNodeChallengeKeyRotation (teredo.md §9 case 15): an answer signed
// with the previous key is accepted, one signed two keys ago is not.
func TestNodeChallengeKeyRotation(t *testing.T) {
	elsewhere := netip.MustParseAddrPort("203.0.113.20:50001")
	h := ndNew(t, teredo.NodeConfig{})
	// probe B and take its challenge
	probe := func() netip.Addr {
		h.Out.Reset()
		_, err := h.rx(elsewhere, ndBubble(t, ndAddrB, ndAddrA, netip.AddrPort{}))
		require.NoError(t, err)
		return challengeOf(t, h.send(), ndSrvBP)
	}
	ch0 := probe()
	// After one key life the key rotates: a new probe carries a new
	// challenge, and the old answer is still good.
	h.after(teredo.ChallengeKeyLife)
	h.tick() // the test failed long ago; B is untrusted, no test running
	ch1 := probe()
	assert.NotEqual(t, ch0, ch1)
	_, err := h.rx(elsewhere, ndBubble(t, ndAddrB, ch0, netip.AddrPort{}))
	require.NoError(t, err, "previous key")
	require.True(t, h.peer(ndAddrB).Trusted)

	// Two rotations later, with B probed again, ch0 is refused, ch2 is
	// accepted.
	h2 := ndNew(t, teredo.NodeConfig{})
	h = h2
	ch0 = probe()
	h.after(teredo.ChallengeKeyLife)
	h.tick()
	ch1 = probe()
	h.after(teredo.ChallengeKeyLife)
	h.tick()
	ch2 := probe()
	assert.NotEqual(t, ch1, ch2)
	_, err = h.rx(elsewhere, ndBubble(t, ndAddrB, ch0, netip.AddrPort{}))
	assert.ErrorIs(t, err, teredo.ErrNodeUnverified, "two keys ago")
	_, err = h.rx(elsewhere, ndBubble(t, ndAddrB, ch1, netip.AddrPort{}))
	require.NoError(t, err, "previous key")

	// After a long idle period both keys are replaced.
	h3 := ndNew(t, teredo.NodeConfig{})
	h = h3
	ch0 = probe()
	h.after(3 * teredo.ChallengeKeyLife)
	h.tick()
	ch3 := probe()
	assert.NotEqual(t, ch0, ch3)
	_, err = h.rx(elsewhere, ndBubble(t, ndAddrB, ch0, netip.AddrPort{}))
	assert.ErrorIs(t, err, teredo.ErrNodeUnverified, "the key that signed it is gone")
}

// TestNodeReceiveDrops (teredo.md §9 case 17): what the receive tree
// refuses before looking at the peer list.
func TestNodeReceiveDrops(t *testing.T) {
	ll := netip.MustParseAddr("fe80::1")
	routing := func(src, dst netip.Addr) []byte {
		b := ndData(src, dst, 0, 16)
		b[6] = packet.ProtoIPv6Route
		// Routing header: next 253, length 1 (16 bytes), type 0, segments
		// left 0.
		copy(b[40:], []byte{253, 1, 0, 0, 0, 0, 0, 0})
		return b
	}
	for _, tc := range []struct {
		name  string
		relay bool
		from  netip.AddrPort
		pkt   []byte
		err   error
		ctr   teredo.NodeCounter
	}{
		{"CVE-2006-6263 routing header", false, ndMapB, routing(ndAddrB, ndAddrA), teredo.ErrNodeRoutingHeader, teredo.NodeRxRouting},
		{"relay: routing header", true, ndMapB, routing(ndAddrB, ndNative), teredo.ErrNodeRoutingHeader, teredo.NodeRxRouting},
		{"link-local source", false, ndMapB, ndData(ll, ndAddrA, 0, 8), teredo.ErrNodeLinkLocal, teredo.NodeRxLinkLocal},
		{"link-local source, relay", true, ndMapB, ndBubble(t, ll, ndAddrB, netip.AddrPort{}), teredo.ErrNodeLinkLocal, teredo.NodeRxLinkLocal},
		{"multicast destination", false, ndMapB, ndData(ndAddrB, netip.MustParseAddr("ff02::1"), 0, 8), teredo.ErrNodeMulticast, teredo.NodeRxMulticast},
		{"multicast bubble", false, ndMapB, ndBubble(t, ndAddrB, netip.MustParseAddr("ff02::1"), netip.AddrPort{}), teredo.ErrNodeMulticast, teredo.NodeRxMulticast},
		{"not our address", false, ndMapB, ndData(ndAddrB, ndTeredo(ndSrvA, ndOther), 0, 8), teredo.ErrNodeDestination, teredo.NodeRxDestination},
		{"link-local destination", false, ndMapB, ndData(ndAddrB, ll, 0, 8), teredo.ErrNodeDestination, teredo.NodeRxDestination},
		{"relay: native source", true, ndMapB, ndData(ndNative, ndAddrB, 0, 8), teredo.ErrNodeSource, teredo.NodeRxSource},
		{"relay: Teredo destination", true, ndMapB, ndData(ndAddrB, ndAddrA, 0, 8), teredo.ErrNodeDestination, teredo.NodeRxDestination},
		{"relay: link-local destination", true, ndMapB, ndData(ndAddrB, ll, 0, 8), teredo.ErrNodeDestination, teredo.NodeRxDestination},
		{"IPv6 outer source", false, netip.MustParseAddrPort("[2001:db8::1]:5000"), ndData(ndAddrB, ndAddrA, 0, 8), teredo.ErrNodeSource, teredo.NodeRxSource},
		{"port 0", false, netip.MustParseAddrPort("203.0.113.20:0"), ndData(ndAddrB, ndAddrA, 0, 8), teredo.ErrNodeSource, teredo.NodeRxSource},
		{"zero source", false, netip.AddrPort{}, ndData(ndAddrB, ndAddrA, 0, 8), teredo.ErrNodeSource, teredo.NodeRxSource},
		{"case 6 from 10.0.0.1", false, netip.MustParseAddrPort("10.0.0.1:4000"), ndData(ndNative, ndAddrA, 0, 8), teredo.ErrNodeNonGlobal, teredo.NodeRxNonGlobal},
		{"case 6 Teredo from 192.168.0.1", false, netip.MustParseAddrPort("192.168.0.1:4000"), ndData(ndAddrB, ndAddrA, 0, 8), teredo.ErrNodeNonGlobal, teredo.NodeRxNonGlobal},
		{"CVE-2006-6264 source", false, netip.MustParseAddrPort("172.16.0.1:4000"), ndData(ndTeredo(ndSrvB, netip.MustParseAddrPort("172.16.0.1:4000")), ndAddrA, 0, 8), teredo.ErrNodeNonGlobal, teredo.NodeRxNonGlobal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := ndNew(t, teredo.NodeConfig{Relay: tc.relay})
			ok, err := h.rx(tc.from, tc.pkt)
			assert.False(t, ok)
			assert.ErrorIs(t, err, tc.err)
			assert.Equal(t, uint64(1), h.ctr(tc.ctr))
			assert.Empty(t, h.Out.Send, "no answer to a dropped packet")
			assert.Zero(t, h.N.NumPeers())
		})
	}
	t.Run("undecoded packet", func(t *testing.T) {
		h := ndNew(t, teredo.NodeConfig{})
		var p teredo.Packet
		_, err := h.N.Receive(h.Now, ndMapB, &p, false, &h.Out)
		assert.ErrorIs(t, err, teredo.ErrNodeMalformed)
		assert.Equal(t, uint64(1), h.ctr(teredo.NodeRxMalformed))
	})
}

// TestNodeFromServer: the server's packets. An origin indication is
// answered with a direct bubble to the origin (RFC 4380 §5.2.3), also when
// the indirect bubble's source is a challenge address; bubbles are
// consumed; other packets go through the receive tree, as the server may
// also be a relay.
func TestNodeFromServer(t *testing.T) {
	h := ndNew(t, teredo.NodeConfig{})
	origin := netip.MustParseAddrPort("198.51.100.50:7000")
	for _, src := range []netip.Addr{ndAddrB, netip.MustParseAddr("fe80::1234:5678:9abc:def0")} {
		ok, err := h.rxServer(ndBubble(t, src, ndAddrA, origin))
		require.NoError(t, err)
		assert.False(t, ok)
		sent := h.send()
		require.Equal(t, []string{"bubble " + origin.String()}, ndKinds(sent))
		assert.Equal(t, ndAddrA, sent[0].Src)
		assert.Equal(t, src, sent[0].Dst, "to the indirect bubble's source")
	}
	assert.Zero(t, h.N.NumPeers(), "an indirect bubble creates no entry")
	// No origin: nothing to answer.
	_, err := h.rxServer(ndBubble(t, ndAddrB, ndAddrA, netip.AddrPort{}))
	require.NoError(t, err)
	assert.Empty(t, h.Out.Send)
	// A non-global origin is not answered (CVE-2006-6264).
	_, err = h.rxServer(ndBubble(t, ndAddrB, ndAddrA, netip.MustParseAddrPort("10.0.0.1:7000")))
	require.NoError(t, err)
	assert.Empty(t, h.Out.Send)
	// Non-bubbles from the server: an echo reply to our test (a server
	// that is also the relay) makes the peer trusted at the server.
	_, err = h.tx(ndData(ndAddrA, ndNative, 1, 10))
	require.NoError(t, err)
	req := slices.Clone(h.Out.Send[0].Payload)
	ok, err := h.rxServer(ndEchoReply(t, req, ndNative))
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Equal(t, []int{1}, ndTags(h.send()))
	ok, err = h.rxServer(ndData(ndNative, ndAddrA, 2, 10))
	require.NoError(t, err)
	assert.True(t, ok, "case 1 at the server's mapping")
	// A link-local source is dropped but for bubbles.
	_, err = h.rxServer(ndData(netip.MustParseAddr("fe80::1"), ndAddrA, 0, 8))
	assert.ErrorIs(t, err, teredo.ErrNodeLinkLocal)
	assert.Equal(t, uint64(7), h.ctr(teredo.NodeRxServer))
}

// TestNodeLinkLocalBubble: a bubble from a link-local source to our
// address is how Miredo behind a symmetric NAT asks us to prove our
// mapping; it is answered with a bubble to that link-local address,
// rate-limited like tests.
func TestNodeLinkLocalBubble(t *testing.T) {
	h := ndNew(t, teredo.NodeConfig{TestRate: 2})
	ch := netip.MustParseAddr("fe80::8000:1:2:3")
	from := netip.MustParseAddrPort("198.51.100.60:45000")
	for i := range 3 {
		ok, err := h.rx(from, ndBubble(t, ch, ndAddrA, netip.AddrPort{}))
		require.NoError(t, err)
		assert.False(t, ok)
		if i < 2 {
			sent := h.send()
			require.Equal(t, []string{"bubble " + from.String()}, ndKinds(sent))
			assert.Equal(t, ndAddrA, sent[0].Src)
			assert.Equal(t, ch, sent[0].Dst)
		} else {
			assert.Empty(t, h.Out.Send, "rate-limited")
		}
	}
	assert.Equal(t, uint64(1), h.ctr(teredo.NodeProbesLimited))
	h.after(time.Second)
	_, err := h.rx(from, ndBubble(t, ch, ndAddrA, netip.AddrPort{}))
	require.NoError(t, err)
	assert.Len(t, h.Out.Send, 1)
	// Not from a private address, not to another destination.
	_, err = h.rx(netip.MustParseAddrPort("10.0.0.1:1"), ndBubble(t, ch, ndAddrA, netip.AddrPort{}))
	assert.ErrorIs(t, err, teredo.ErrNodeLinkLocal)
	_, err = h.rx(from, ndBubble(t, ch, ndAddrB, netip.AddrPort{}))
	assert.ErrorIs(t, err, teredo.ErrNodeLinkLocal)
}

// TestNodeValidity (teredo.md §9 case 19): a trusted peer is used as is
// for 30 s after its last packet; at 30 s the packet still goes to its
// mapping and a probe refreshes it; a failed refresh ends the trust; idle
// peers leave the list.
func TestNodeValidity(t *testing.T) {
	t.Run("29.9 s and 30 s", func(t *testing.T) {
		h := ndNew(t, teredo.NodeConfig{})
		h.trustB()
		last := h.Now
		h.Now = last.Add(teredo.PeerValidity - 100*time.Millisecond)
		to, err := h.tx(ndData(ndAddrA, ndAddrB, 1, 10))
		require.NoError(t, err)
		assert.Equal(t, ndMapB, to)
		assert.Empty(t, h.Out.Send, "fresh: no probe")
		h.Now = last.Add(teredo.PeerValidity)
		to, err = h.tx(ndData(ndAddrA, ndAddrB, 2, 10))
		require.NoError(t, err)
		assert.Equal(t, ndMapB, to, "stale: still sent")
		sent := h.send()
		require.Equal(t, []string{"bubble " + ndMapB.String(), "bubble " + ndSrvBP.String()}, ndKinds(sent), "and refreshed")
		assert.Equal(t, "bubble", h.peer(ndAddrB).Testing)
		to, err = h.tx(ndData(ndAddrA, ndAddrB, 3, 10))
		require.NoError(t, err)
		assert.Equal(t, ndMapB, to)
		assert.Empty(t, h.Out.Send, "one refresh at a time")
		// B answers (its bubble at its mapping): fresh again.
		h.after(time.Second)
		_, err = h.rx(ndMapB, ndBubble(t, ndAddrB, ndAddrA, netip.AddrPort{}))
		require.NoError(t, err)
		assert.Empty(t, h.peer(ndAddrB).Testing)
		h.after(teredo.ProbeInterval)
		h.tick()
		assert.Empty(t, h.Out.Send)
	})
	t.Run("refresh fails", func(t *testing.T) {
		h := ndNew(t, teredo.NodeConfig{})
		h.trustB()
		h.after(teredo.PeerValidity)
		_, err := h.tx(ndData(ndAddrA, ndAddrB, 1, 10))
		require.NoError(t, err)
		for range teredo.BubbleLimit {
			h.after(teredo.ProbeInterval)
			h.tick()
		}
		assert.Equal(t, uint64(1), h.ctr(teredo.NodeTestsFailed))
		assert.False(t, h.peer(ndAddrB).Trusted, "no longer trusted")
		to, err := h.tx(ndData(ndAddrA, ndAddrB, 2, 10))
		require.NoError(t, err)
		assert.False(t, to.IsValid(), "held: the window of 4 rounds is used up")
		h.tick()
		assert.Equal(t, []int{2}, ndTags(h.host()), "answered with an error")
	})
	t.Run("native refresh", func(t *testing.T) {
		h := ndNew(t, teredo.NodeConfig{})
		_, err := h.tx(ndData(ndAddrA, ndNative, 1, 10))
		require.NoError(t, err)
		req := slices.Clone(h.Out.Send[0].Payload)
		_, err = h.rx(ndRelay, ndEchoReply(t, req, ndNative))
		require.NoError(t, err)
		h.after(teredo.PeerValidity)
		to, err := h.tx(ndData(ndAddrA, ndNative, 2, 10))
		require.NoError(t, err)
		assert.Equal(t, ndRelay, to)
		sent := h.send()
		require.Equal(t, []string{"echo-request " + ndSrvAP.String()}, ndKinds(sent))
		assert.NotEqual(t, ndDecodeIPv6(t, req).Data, sent[0].Data, "a new nonce per test")
		req = slices.Clone(h.Out.Send[0].Payload)
		h.after(time.Second)
		ok, err := h.rx(ndRelay, ndEchoReply(t, req, ndNative))
		require.NoError(t, err)
		assert.False(t, ok, "the refresh's reply is consumed")
		assert.Empty(t, h.peer(ndNative).Testing)
	})
	t.Run("expiry", func(t *testing.T) {
		h := ndNew(t, teredo.NodeConfig{})
		h.trustB()
		// A native peer whose test is running is not expired.
		_, err := h.tx(ndData(ndAddrA, ndNative, 1, 10))
		require.NoError(t, err)
		require.Equal(t, 2, h.N.NumPeers())
		h.run(teredo.PeerValidity - time.Second)
		_, listed := h.N.PeerInfo(ndAddrB)
		assert.True(t, listed, "not idle for 30 s yet")
		h.run(3 * time.Second)
		assert.Zero(t, h.N.NumPeers())
		assert.Equal(t, uint64(1), h.ctr(teredo.NodeExpired))
		assert.True(t, h.N.NextDeadline().IsZero(), "nothing left to do")
	})
	t.Run("untrusted Teredo peer kept for the bubble window", func(t *testing.T) {
		h := ndNew(t, teredo.NodeConfig{})
		_, err := h.tx(ndData(ndAddrA, ndAddrB, 1, 10))
		require.NoError(t, err)
		h.Now = simEpoch.Add(teredo.BubbleWindow - time.Second)
		h.tick()
		_, listed := h.N.PeerInfo(ndAddrB)
		assert.True(t, listed, "its bubble count must survive")
		h.Now = simEpoch.Add(teredo.BubbleWindow + 20*time.Second)
		h.tick()
		_, listed = h.N.PeerInfo(ndAddrB)
		assert.False(t, listed)
	})
}

// TestNodeClockJumps (teredo.md §9 case 19): the node's clock never goes
// back; a jump forwards (suspend and resume) runs what is due.
func TestNodeClockJumps(t *testing.T) {
	t.Run("backwards", func(t *testing.T) {
		h := ndNew(t, teredo.NodeConfig{})
		h.after(time.Hour)
		_, err := h.tx(ndData(ndAddrA, ndAddrB, 1, 10))
		require.NoError(t, err)
		// The wall clock steps back an hour: the node's time stands still
		// until the clock is back where it was, so a round is not
		// repeated before 2 s of the node's time.
		h.after(-time.Hour)
		sent, _ := h.run(time.Hour + teredo.ProbeInterval - time.Millisecond)
		assert.Empty(t, sent)
		_, err = h.tx(ndData(ndAddrA, ndAddrB, 2, 10))
		require.NoError(t, err)
		assert.Empty(t, h.Out.Send)
		sent, _ = h.run(time.Millisecond)
		assert.Len(t, sent, 2, "the second round")
		// A trusted peer stays fresh across a step back.
		h.trustB()
		h.after(-10 * time.Minute)
		to, err := h.tx(ndData(ndAddrA, ndAddrB, 3, 10))
		require.NoError(t, err)
		assert.Equal(t, ndMapB, to)
		assert.Empty(t, h.Out.Send)
	})
	t.Run("forwards", func(t *testing.T) {
		h := ndNew(t, teredo.NodeConfig{})
		h.trustB()
		_, err := h.tx(ndData(ndAddrA, ndNative, 1, 10))
		require.NoError(t, err)
		h.after(8 * time.Hour) // suspended
		h.tick()
		assert.Equal(t, uint64(1), h.ctr(teredo.NodeTestsFailed), "the test is over")
		assert.Equal(t, []int{1}, ndTags(h.host()))
		assert.Zero(t, h.N.NumPeers(), "idle peers expired")
		to, err := h.tx(ndData(ndAddrA, ndAddrB, 2, 10))
		require.NoError(t, err)
		assert.False(t, to.IsValid(), "B must be proven again")
		assert.Len(t, h.Out.Send, 2)
	})
}

// TestNodeFlood (teredo.md §9 case 14, CVE-2006-6266, RFC 4380 §7.3.3): a
// flood of case 6 packets from many sources starts at most TestRate tests
// a second, keeps the list within MaxPeers and the queues within
// QueueBytes, and one IPv4 source cannot create more than CreateQuota
// peers.
func TestNodeFlood(t *testing.T) {
	const (
		rate    = 20
		maxPeer = 64
		qbytes  = 16 << 10
		seconds = 10
	)
	h := ndNew(t, teredo.NodeConfig{TestRate: rate, MaxPeers: maxPeer, QueueBytes: qbytes})
	echoes, tests := 0, 0
	refused := map[error]int{}
	count := func(ds []ndDgram) {
		for _, d := range ds {
			require.Equal(t, "echo-request", d.Kind, "nothing but tests")
			require.Equal(t, ndSrvAP, d.To, "only to our server")
			echoes++
			if d.Seq == 1 {
				tests++
			}
		}
	}
	for i := range seconds * 1000 {
		// 1000 packets a second, each from another native source
		// through another relay.
		h.Now = simEpoch.Add(time.Duration(i) * time.Millisecond)
		src := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 1, 14: byte(i >> 8), 15: byte(i)})
		relay := netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), uint16(3545+i))
		_, err := h.rx(relay, ndData(src, ndAddrA, 0, 200))
		if err != nil {
			refused[err]++
		}
		count(h.send())
		require.LessOrEqual(t, h.N.QueuedBytes(), qbytes)
		require.LessOrEqual(t, h.N.NumPeers(), maxPeer)
		if i%100 == 0 {
			h.tick()
			count(h.send())
		}
	}
	t.Logf("tests %d, echoes %d, refused %v, evicted %d", tests, echoes, refused, h.ctr(teredo.NodeEvicted))
	// Tests start at rate per second after a burst of one second's worth,
	// each sends at most EchoTries echoes.
	assert.LessOrEqual(t, tests, rate*(seconds+1))
	assert.GreaterOrEqual(t, tests, rate*seconds, "the limit is a rate, not a lockout")
	assert.LessOrEqual(t, echoes, teredo.EchoTries*tests)
	assert.Positive(t, refused[teredo.ErrNodeUnverified], "tests rate-limited")
	assert.Positive(t, h.ctr(teredo.NodeEvicted), "the list is bounded by eviction")
	assert.Equal(t, uint64(refused[teredo.ErrNodeUnverified]), h.ctr(teredo.NodeProbesLimited))
	// When the tests are over, the queues are empty.
	h.run(time.Minute)
	assert.Zero(t, h.N.QueuedBytes())

	// One source alone: CreateQuota peers, then ErrNodeQuota, again after
	// PeerValidity.
	h2 := ndNew(t, teredo.NodeConfig{CreateQuota: 3, TestRate: -1})
	for i := range 4 {
		src := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 2, 15: byte(i)})
		_, err := h2.rx(ndRelay, ndData(src, ndAddrA, 0, 10))
		if i < 3 {
			assert.NoError(t, err)
		} else {
			assert.ErrorIs(t, err, teredo.ErrNodeQuota)
		}
	}
	assert.Equal(t, uint64(1), h2.ctr(teredo.NodeRxQuota))
	_, err := h2.rx(ndOther, ndData(netip.MustParseAddr("2001:db8:3::1"), ndAddrA, 0, 10))
	assert.NoError(t, err, "another source has its own quota")
	h2.after(teredo.PeerValidity)
	_, err = h2.rx(ndRelay, ndData(netip.MustParseAddr("2001:db8:3::2"), ndAddrA, 0, 10))
	assert.NoError(t, err, "a new period")

}

// TestNodeEviction: a full list evicts an untrusted peer before a trusted
// one, and releases the victim's queue.
func TestNodeEviction(t *testing.T) {
	const maxPeer = 64
	h := ndNew(t, teredo.NodeConfig{MaxPeers: maxPeer, TestRate: -1, CreateQuota: -1})
	peer := func(i int) (netip.Addr, netip.AddrPort) {
		m := netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), 40000)
		return ndTeredo(ndSrvB, m), m
	}
	// 32 trusted peers (case 3), then 32 untrusted ones with a queued
	// packet each.
	for i := range maxPeer / 2 {
		a, m := peer(i)
		_, err := h.rx(m, ndBubble(t, a, ndAddrA, netip.AddrPort{}))
		require.NoError(t, err)
	}
	for i := maxPeer / 2; i < maxPeer; i++ {
		h.after(time.Millisecond)
		a, _ := peer(i)
		_, err := h.tx(ndData(ndAddrA, a, byte(i), 100))
		require.NoError(t, err)
	}
	require.Equal(t, maxPeer, h.N.NumPeers())
	queued := h.N.QueuedBytes()
	// New peers displace untrusted ones only.
	for i := maxPeer; i < maxPeer+maxPeer/2; i++ {
		h.after(time.Millisecond)
		a, _ := peer(i)
		_, err := h.tx(ndData(ndAddrA, a, byte(i), 100))
		require.NoError(t, err)
		assert.Equal(t, maxPeer, h.N.NumPeers())
	}
	assert.Equal(t, uint64(maxPeer/2), h.ctr(teredo.NodeEvicted))
	assert.Equal(t, uint64(maxPeer/2), h.ctr(teredo.NodeQueueDropped), "the victims' queues are released")
	assert.Equal(t, queued, h.N.QueuedBytes(), "as many bytes as before: one packet per untrusted peer")
	for i := range maxPeer / 2 {
		a, _ := peer(i)
		assert.True(t, h.peer(a).Trusted, "trusted peer %d kept", i)
	}
	// The victims' tests are gone too: Tick runs only the survivors'.
	for range 10 {
		h.after(teredo.ProbeInterval)
		h.tick()
	}
	assert.Equal(t, uint64(maxPeer/2), h.ctr(teredo.NodeTestsFailed))
	assert.Zero(t, h.N.QueuedBytes())
	// With only trusted peers, the one idle longest goes.
	h2 := ndNew(t, teredo.NodeConfig{MaxPeers: 16})
	for i := range 16 {
		h2.after(time.Second)
		a, m := peer(i)
		_, err := h2.rx(m, ndBubble(t, a, ndAddrA, netip.AddrPort{}))
		require.NoError(t, err)
	}
	a, m := peer(100)
	_, err := h2.rx(m, ndBubble(t, a, ndAddrA, netip.AddrPort{}))
	require.NoError(t, err)
	first, _ := peer(0)
	_, listed := h2.N.PeerInfo(first)
	assert.False(t, listed, "the oldest trusted peer was evicted")
	assert.Equal(t, 16, h2.N.NumPeers())
}

// TestNodeMillionPeers: a list of a million peers works, with eviction
// once it is full.
func TestNodeMillionPeers(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a million entries")
	}
	const maxPeer = 1 << 20
	h := ndNew(t, teredo.NodeConfig{MaxPeers: maxPeer})
	var p teredo.Packet
	for i := range maxPeer + 1000 {
		// Distinct peers: i spreads over the server's last byte, the
		// mapping's last byte and its port.
		srv := netip.AddrFrom4([4]byte{198, 51, 100, byte(i >> 16)})
		m := netip.AddrPortFrom(netip.AddrFrom4([4]byte{203, 0, 113, byte(i >> 8)}), 1024+uint16(i&0xff))
		require.NoError(t, p.Decode(ndBubble(t, ndTeredo(srv, m), ndAddrA, netip.AddrPort{})))
		if _, err := h.N.Receive(h.Now, m, &p, false, &h.Out); err != nil {
			t.Fatal(err)
		}
	}
	assert.Equal(t, maxPeer, h.N.NumPeers())
	assert.Equal(t, uint64(1000), h.ctr(teredo.NodeEvicted))
	perPeer := float64(h.N.PeerMemory()) / float64(h.N.NumPeers())
	t.Logf("PeerMemory %.0f bytes/peer", perPeer)
	assert.Less(t, perPeer, 200.0)
}

// TestNodeSetAddress: a new address empties the list and the queues, and
// the queues work after the reset.
func TestNodeSetAddress(t *testing.T) {
	h := ndNew(t, teredo.NodeConfig{})
	for i := range 3 {
		_, err := h.tx(ndData(ndAddrA, ndTeredo(ndSrvB, netip.AddrPortFrom(ndMapB.Addr(), uint16(100+i))), byte(i), 10))
		require.NoError(t, err)
	}
	h.trustB() // no queue
	_, err := h.rx(netip.AddrPortFrom(ndMapB.Addr(), 100), ndBubble(t, ndTeredo(ndSrvB, netip.AddrPortFrom(ndMapB.Addr(), 100)), ndAddrA, netip.AddrPort{}))
	require.NoError(t, err) // frees the first queue
	newA := ndTeredo(ndSrvA, netip.MustParseAddrPort("203.0.113.10:40001"))
	h.N.SetAddress(h.Now, newA, ndSrvAP)
	assert.Equal(t, newA, h.N.Addr())
	assert.Zero(t, h.N.NumPeers())
	assert.Zero(t, h.N.QueuedBytes())
	// Four peers with two packets each, all trusted at once: every queue
	// holds its own packets.
	for i := range 4 {
		dst := ndTeredo(ndSrvB, netip.AddrPortFrom(ndMapB.Addr(), uint16(200+i)))
		for k := range 2 {
			_, err := h.tx(ndData(newA, dst, byte(10*i+k), 10))
			require.NoError(t, err)
		}
	}
	for i := range 4 {
		m := netip.AddrPortFrom(ndMapB.Addr(), uint16(200+i))
		_, err := h.rx(m, ndBubble(t, ndTeredo(ndSrvB, m), newA, netip.AddrPort{}))
		require.NoError(t, err)
		assert.Equal(t, []int{10 * i, 10*i + 1}, ndTags(h.send()))
	}
	h.N.SetAddress(h.Now, newA, ndSrvAP)
	assert.Equal(t, 4, h.N.NumPeers(), "the same address changes nothing")
}

// TestNodeRelay: a relay (RFC 4380 §5.4) trusts a client at its embedded
// mapping, carries native packets to it, tests a client it does not know
// with bubbles signed like a client's challenge, and answers native hosts
// with ICMPv6 errors from its own address.
func TestNodeRelay(t *testing.T) {
	h := ndNew(t, teredo.NodeConfig{Relay: true, RelayAddr: netip.MustParseAddr("2001:db8:ffff::1")})
	// From a native host to B: held, bubbles (the direct one signed too:
	// the relay has no Teredo address).
	_, err := h.tx(ndData(ndNative, ndAddrB, 1, 10))
	require.NoError(t, err)
	sent := h.send()
	require.Equal(t, []string{"bubble " + ndMapB.String(), "bubble " + ndSrvBP.String()}, ndKinds(sent))
	assert.True(t, sent[0].Src.IsLinkLocalUnicast())
	assert.Equal(t, sent[0].Src, sent[1].Src)
	// B behind a symmetric NAT answers the challenge from another port.
	elsewhere := netip.AddrPortFrom(ndMapB.Addr(), 50001)
	_, err = h.rx(elsewhere, ndBubble(t, ndAddrB, sent[1].Src, netip.AddrPort{}))
	require.NoError(t, err)
	sent = h.send()
	assert.Equal(t, []string{"data " + elsewhere.String()}, ndKinds(sent), "flushed; no bubble from a relay")
	ok, err := h.rx(elsewhere, ndData(ndAddrB, ndNative, 2, 10))
	require.NoError(t, err)
	assert.True(t, ok, "to the native network")
	// Case 3 for another client.
	c := ndTeredo(ndSrvB, ndOther)
	ok, err = h.rx(ndOther, ndData(c, ndNative, 3, 10))
	require.NoError(t, err)
	assert.True(t, ok)
	to, err := h.tx(ndData(ndNative, c, 4, 10))
	require.NoError(t, err)
	assert.Equal(t, ndOther, to)
	// A client that never answers: errors to the native host, from the
	// relay's address.
	d := ndTeredo(ndSrvB, netip.MustParseAddrPort("198.51.100.123:999"))
	_, err = h.tx(ndData(ndNative, d, 5, 10))
	require.NoError(t, err)
	_, host := h.run(time.Minute)
	require.Len(t, host, 1)
	assert.Equal(t, netip.MustParseAddr("2001:db8:ffff::1"), host[0].Src)
	assert.Equal(t, ndNative, host[0].Dst)
	assert.Equal(t, 5, host[0].Tag())
	// Without RelayAddr, no errors.
	h2 := ndNew(t, teredo.NodeConfig{Relay: true})
	_, err = h2.tx(ndData(ndNative, d, 5, 10))
	require.NoError(t, err)
	_, host = h2.run(time.Minute)
	assert.Empty(t, host)
	assert.Equal(t, uint64(1), h2.ctr(teredo.NodeQueueDropped))
	// A relay never sends echo requests: case 6 from a client at another
	// mapping is a bubble test.
	h3 := ndNew(t, teredo.NodeConfig{Relay: true})
	_, err = h3.rx(elsewhere, ndData(ndAddrB, ndNative, 1, 10))
	require.NoError(t, err)
	assert.Equal(t, []string{"bubble " + elsewhere.String(), "bubble " + ndMapB.String(), "bubble " + ndSrvBP.String()}, ndKinds(h3.send()))
}

// TestNodePeers: the diagnostics snapshot.
func TestNodePeers(t *testing.T) {
	h := ndNew(t, teredo.NodeConfig{})
	h.trustB()
	h.after(time.Second)
	_, err := h.tx(ndData(ndAddrA, ndNative, 1, 10))
	require.NoError(t, err)
	ps := h.N.Peers(nil, -1)
	require.Len(t, ps, 2)
	assert.Equal(t, teredo.Peer{Addr: ndAddrB, Mapping: ndMapB, Trusted: true, LastRx: simEpoch}, ps[0])
	assert.Equal(t, teredo.Peer{Addr: ndNative, Testing: "echo", LastTx: simEpoch.Add(time.Second), Queued: 1}, ps[1])
	assert.Len(t, h.N.Peers(nil, 1), 1)
	_, ok := h.N.PeerInfo(ndSrvA)
	assert.False(t, ok)
	assert.Positive(t, h.N.PeerMemory())
}
