package iphttps

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/transit6/transit6/packet"
)

// The router role of an IP-HTTPS server ([MS-IPHTTPS] §3.2.1, §3.2.3.1,
// §3.2.5.2): the server keeps a Client Table, "uses Neighbor Discovery
// [RFC 4861] to maintain the link" and "SHOULD then act as a router between
// its IP-HTTPS clients and other networks". The Router below is that role
// without I/O: packets and the time come in as arguments, and what goes to
// a client is copied into the client's bounded send queue, which the
// caller drains to the client's connection. Server is the runner.
//
// The link it maintains:
//
//	client A ─┐                       ┌─ native side (a TUN toward the
//	client B ─┼─ Router (fe80::1) ────┤   real network: everything off-link)
//	client C ─┘  Prefix, MTU 1280     └─
//
// Clients autoconfigure addresses in Prefix (RFC 4862) from the Router
// Advertisement the router sends when a client connects, when it solicits,
// and every RAInterval. The router learns which client owns an address from
// the packets the client sends with it (and, in mode None, from its
// Duplicate Address Detection), and forwards by destination: to the client
// that owns it, to the native side if it is off-link, or to every other
// client if it is multicast and the mode allows.

// AuthMode is the server's Authentication Mode ([MS-IPHTTPS] §3.2.1). It
// decides, besides whether TLS asks for client certificates (see
// ServerTLSConfig), how much a client may do on the link (§3.2.5.2).
type AuthMode uint8

const (
	// AuthNone authenticates no client, the default of Windows Server 2012
	// and later. Since anyone may connect, the router restricts clients
	// (§3.2.5.2.2): link-local unicast only to the server, no multicast
	// but Router Solicitations, Duplicate Address Detection answered by the
	// server itself (an NA synthesised for addresses other clients own),
	// and no multicast sent to clients but Router Advertisements
	// (§3.2.5.2.1).
	AuthNone AuthMode = iota

	// AuthCertificates admits only clients whose certificate verifies
	// (tls.RequireAndVerifyClientCert): they are trusted to share a link,
	// so multicast is forwarded to every other client, except that a
	// multicast NA or a DAD NS for an address some client owns goes only
	// to that client (§3.2.5.2.2).
	AuthCertificates
)

// String returns "none" or "certificates".
func (m AuthMode) String() string {
	switch m {
	case AuthNone:
		return "none"
	case AuthCertificates:
		return "certificates"
	}
	return fmt.Sprintf("AuthMode(%d)", uint8(m))
}

// Defaults of RouterConfig. The Router Advertisement they make is byte for
// byte the example of iphttps.md report section 1.4: Cur Hop Limit 64,
// router lifetime 1800 s, the prefix on-link and autonomous, valid for 30
// days and preferred for 4 hours, and an MTU option of 1280.
const (
	DefaultMTU               = packet.IPv6MinMTU // [MS-IPHTTPS] §3.1.5.2, §3.2.3.1
	DefaultCurHopLimit       = 64
	DefaultRouterLifetime    = 1800 * time.Second  // RFC 4861 §6.2.1: 3 × MaxRtrAdvInterval
	DefaultValidLifetime     = 30 * 24 * time.Hour // RFC 4861 §6.2.1 AdvValidLifetime
	DefaultPreferredLifetime = 4 * time.Hour       // the iphttps.md example RA
	DefaultRAInterval        = 600 * time.Second   // RFC 4861 §6.2.1 MaxRtrAdvInterval
	DefaultMaxClients        = 1024                // Client Table entries
	DefaultMaxAddrsPerClient = 16                  // addresses one client may hold
	DefaultQueueBytes        = 1 << 20             // per-client send queue (see RouterConfig.QueueBytes)
	MinQueueBytes            = 4 << 10             // smallest QueueBytes accepted
	learnRefill              = time.Second         // one new address per second per client, after a burst of MaxAddrsPerClient
	routerLinkLocal          = "fe80::1"           // default LinkLocal
	maxRALifetime            = 65535 * time.Second // 16-bit Router Lifetime (RFC 8319)
	maxPrefixLifetime        = 0xfffffffe * time.Second
)

// RouterConfig configures a Router. Only Prefix is required.
type RouterConfig struct {
	// Prefix is the prefix advertised to clients, from which they form
	// their addresses: an IPv6 prefix of at most 64 bits (SLAAC needs a
	// 64-bit interface identifier, RFC 4862 §5.5.3; the notes' Windows
	// servers advertise a /64, iphttps.md report section 1.5).
	Prefix netip.Prefix

	// Mode is the Authentication Mode; see AuthMode.
	Mode AuthMode

	// LinkLocal is the router's link-local address, the source of its
	// advertisements; the zero Addr means fe80::1.
	LinkLocal netip.Addr

	// Addr is an optional global address of the router inside Prefix, to
	// which it answers Echo Requests and Neighbor Solicitations like to
	// LinkLocal. No client may use it.
	Addr netip.Addr

	// MTU is the link MTU advertised in the MTU option; 0 means 1280, the
	// minimum IPv6 MTU the specification sets for the link ([MS-IPHTTPS]
	// §3.2.3.1).
	MTU uint32

	// CurHopLimit is advertised to clients; 0 means DefaultCurHopLimit.
	CurHopLimit uint8

	// RouterLifetime, ValidLifetime and PreferredLifetime are the lifetimes
	// advertised (RFC 4861 §4.2, §4.6.2), rounded down to seconds; 0 means
	// the defaults.
	RouterLifetime, ValidLifetime, PreferredLifetime time.Duration

	// OffLink clears the on-link flag of the prefix, so that clients send
	// everything to the router instead of resolving each other (RFC 4861
	// §6.3.4). By default the prefix is on-link, as in the notes' example.
	OffLink bool

	// RAInterval is how often Tick re-advertises to each client, so that
	// the router lifetime never runs out; 0 means DefaultRAInterval, a
	// negative value never. [MS-IPHTTPS] §3.2.2 adds no timer; this one is
	// Neighbor Discovery's (RFC 4861 §6.2.4), which §3.2.1 defers to.
	RAInterval time.Duration

	// NoInitialRA stops Server from sending a Router Advertisement right
	// after its 200 response, in the same write. Clients solicit one
	// anyway; sending it first saves a round trip.
	NoInitialRA bool

	// MaxClients bounds the Client Table; 0 means DefaultMaxClients. A
	// client beyond it is disconnected ([MS-IPHTTPS] §3.2.5.1: "If the
	// attempt fails, it MUST disconnect the client").
	MaxClients int

	// MaxAddrsPerClient bounds the addresses one client may use at once
	// (link-local included); 0 means DefaultMaxAddrsPerClient. A new one
	// beyond it replaces the client's oldest. A client may also claim at
	// most one new address per second after the first MaxAddrsPerClient.
	MaxAddrsPerClient int

	// QueueBytes is the size of each client's send queue, which bounds the
	// memory a client that does not read can hold; 0 means
	// DefaultQueueBytes. Packets that do not fit are dropped (tail drop).
	// The queues of all clients together hold at most MaxClients ×
	// QueueBytes bytes, allocated as clients attach (the ring is used from
	// its front, so a client's memory only becomes resident as its queue
	// fills).
	//
	// The queue absorbs the bursts that the native side sends faster than
	// the client's TLS connection takes them, such as a TCP sender's
	// 64 KiB super-packets: too small and it drops in bursts, which TCP
	// reads as congestion. Measured with one client (TestIPHTTPSThroughput,
	// iperf3 download over TLS 1.3 between namespaces on 2 cores): 128 KiB
	// had the host retransmit 16 % of its segments and carried 56 % of
	// what a plain TLS pipe did; 1 MiB, 6 % and 83 %; 4 MiB, none and
	// 85 %. A larger queue also means more delay before a drop tells a
	// sender to slow down, on top of the TCP socket's own send buffer.
	QueueBytes int
}

// DropReason says why the router dropped a packet.
type DropReason uint8

// Drop reasons, each counted (Router.Dropped).
const (
	NotDropped         DropReason = iota
	DropMalformed                 // not a whole IPv6 packet the framing can carry (see CheckPacket)
	DropBadSource                 // source multicast, outside Prefix and not link-local, or :: outside RS and DAD
	DropSpoofedSource             // source owned by another client or by the router
	DropAddrLimit                 // the client may not claim another address now
	DropLinkLocal                 // mode None: link-local unicast not to the router (§3.2.5.2.2)
	DropMulticast                 // mode None: multicast other than RS and DAD; multicast from the native side
	DropRogueND                   // Router Advertisement or Redirect from a client; NA for another client's address
	DropInvalidND                 // an RS or NS the router must process failed RFC 4861 validation
	DropNoRoute                   // no client owns the destination, or nowhere to send it
	DropBadDestination            // unspecified, loopback or IPv4-mapped destination
	DropNotForRouter              // addressed to the router, which answers only ND and Echo
	DropQueueFull                 // the destination's send queue is full (tail drop; counted per copy)
	NumDropReasons                // number of DropReason values
)

var dropNames = [NumDropReasons]string{
	"none", "malformed", "bad-source", "spoofed-source", "address-limit", "link-local", "multicast",
	"rogue-nd", "invalid-nd", "no-route", "bad-destination", "not-for-router", "queue-full",
}

// String returns a short name, such as "queue-full".
func (d DropReason) String() string {
	if d < NumDropReasons {
		return dropNames[d]
	}
	return fmt.Sprintf("DropReason(%d)", uint8(d))
}

// Verdict is what the router did with a packet.
type Verdict uint8

const (
	// VerdictDrop: the packet was dropped; the DropReason says why.
	VerdictDrop Verdict = iota
	// VerdictQueued: the packet was copied into the send queue of one
	// client or more.
	VerdictQueued
	// VerdictLocal: the packet was for the router, which may have queued
	// an answer to the sender.
	VerdictLocal
	// VerdictNative: the packet goes to the native side; the caller writes
	// it there (the router copies nothing).
	VerdictNative
)

// String returns "drop", "queued", "local" or "native".
func (v Verdict) String() string {
	switch v {
	case VerdictDrop:
		return "drop"
	case VerdictQueued:
		return "queued"
	case VerdictLocal:
		return "local"
	case VerdictNative:
		return "native"
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}

// SessionInfo describes a client's connection, for the Client Table and
// Router.Clients.
type SessionInfo struct {
	Remote netip.AddrPort // the client's TCP address (or the TLS terminator's)
	Peer   string         // the client certificate's subject, in mode Certificates
}

// Session is one entry of the Client Table ([MS-IPHTTPS] §3.2.1): a
// connected client, its addresses and its send queue. It comes from
// Router.Attach. Its runner drains the queue to the client's connection:
// wait on Ready, write what Peek returns, Release it, until Closed.
type Session struct {
	id    uint64
	info  SessionInfo
	since time.Time
	q     *queue
	done  chan struct{}

	// Guarded by Router.mu.
	addrs      []netip.Addr // oldest first
	tokens     int          // new addresses it may claim now
	refilled   time.Time    // last token refill
	detached   bool
	closeOnce  sync.Once
	lastRA     atomic.Int64 // unix nanoseconds of the last advertisement queued
	rxPackets  atomic.Uint64
	rxBytes    atomic.Uint64
	txPackets  atomic.Uint64
	txBytes    atomic.Uint64
	queueDrops atomic.Uint64
}

// ID returns the session's number, unique within its Router.
func (s *Session) ID() uint64 { return s.id }

// Info returns what Attach was given.
func (s *Session) Info() SessionInfo { return s.info }

// Ready returns a channel that receives a value when packets may have been
// queued since the last Peek, or the session was closed.
func (s *Session) Ready() <-chan struct{} { return s.q.wake }

// Closed returns a channel that is closed when the session leaves the
// Client Table (Detach, SetMode). The runner then disconnects the client.
func (s *Session) Closed() <-chan struct{} { return s.done }

// Peek returns the next bytes to send to the client, at most max of them,
// or an empty slice if none are queued: whole packets back to back, except
// that a run may end inside a packet that the next run continues, so the
// bytes must go to the stream in order and unchanged. They stay queued
// until Release. Only one goroutine, the session's writer, may call Peek
// and Release. It does not allocate.
func (s *Session) Peek(max int) []byte { return s.q.peek(max) }

// Release removes the first n queued bytes, which Peek returned and which
// have been written. It does not allocate.
func (s *Session) Release(n int) { s.q.release(n) }

// Queued returns the number of bytes waiting in the send queue.
func (s *Session) Queued() int { return s.q.len() }

// close closes the session once. The caller holds Router.mu.
func (s *Session) close() {
	s.closeOnce.Do(func() {
		s.detached = true
		s.q.close()
		close(s.done)
	})
}

// ClientInfo is one line of Router.Clients: a client and its counters.
type ClientInfo struct {
	ID        uint64       `json:"id"`
	Remote    string       `json:"remote"`
	Peer      string       `json:"peer,omitempty"`
	Since     time.Time    `json:"since"`
	Addrs     []netip.Addr `json:"addrs"`
	RxPackets uint64       `json:"rx_packets"`
	RxBytes   uint64       `json:"rx_bytes"`
	TxPackets uint64       `json:"tx_packets"`
	TxBytes   uint64       `json:"tx_bytes"`
	Drops     uint64       `json:"queue_drops"`
	Queued    int          `json:"queued_bytes"`
}

// Router is the router role of an IP-HTTPS server, without I/O. It is safe
// for concurrent use: each connection's reader calls FromClient, the native
// side's reader FromNative, a timer Tick. The per-packet paths do not
// allocate and never wait on a client: a full queue drops the packet.
type Router struct {
	cfg       RouterConfig
	ra        []byte // the Router Advertisement, to ff02::1
	mu        sync.RWMutex
	mode      AuthMode
	sessions  []*Session
	byAddr    map[netip.Addr]*Session // the Neighbor Cache: who owns which address
	nextID    uint64
	drops     [NumDropReasons]atomic.Uint64
	nativeOut atomic.Uint64
}

// NewRouter returns a Router for cfg, or an error wrapping ErrInvalidConfig.
func NewRouter(cfg RouterConfig) (*Router, error) {
	c := cfg
	if !c.Prefix.IsValid() || !c.Prefix.Addr().Is6() || c.Prefix.Addr().Is4In6() || c.Prefix.Bits() > 64 {
		return nil, fmt.Errorf("%w: prefix %v is not an IPv6 prefix of at most 64 bits", ErrInvalidConfig, c.Prefix)
	}
	c.Prefix = c.Prefix.Masked()
	if c.Mode > AuthCertificates {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, c.Mode)
	}
	if !c.LinkLocal.IsValid() {
		c.LinkLocal = netip.MustParseAddr(routerLinkLocal)
	}
	if !packetIsLinkLocal(c.LinkLocal) {
		return nil, fmt.Errorf("%w: router link-local address %v is not in fe80::/10", ErrInvalidConfig, c.LinkLocal)
	}
	if c.Addr.IsValid() && (!c.Prefix.Contains(c.Addr) || c.Addr == c.Prefix.Addr()) {
		return nil, fmt.Errorf("%w: router address %v is not a host address in %v", ErrInvalidConfig, c.Addr, c.Prefix)
	}
	c.Addr = c.Addr.WithZone("")
	c.LinkLocal = c.LinkLocal.WithZone("")
	if c.MTU == 0 {
		c.MTU = DefaultMTU
	}
	if c.MTU < packet.IPv6MinMTU {
		return nil, fmt.Errorf("%w: MTU %d below 1280", ErrInvalidConfig, c.MTU)
	}
	if c.CurHopLimit == 0 {
		c.CurHopLimit = DefaultCurHopLimit
	}
	def := func(d *time.Duration, v, max time.Duration, name string) error {
		if *d == 0 {
			*d = v
		}
		if *d < 0 || *d > max {
			return fmt.Errorf("%w: %s %v out of range", ErrInvalidConfig, name, *d)
		}
		return nil
	}
	if err := def(&c.RouterLifetime, DefaultRouterLifetime, maxRALifetime, "router lifetime"); err != nil {
		return nil, err
	}
	if err := def(&c.ValidLifetime, DefaultValidLifetime, maxPrefixLifetime, "valid lifetime"); err != nil {
		return nil, err
	}
	if err := def(&c.PreferredLifetime, DefaultPreferredLifetime, c.ValidLifetime, "preferred lifetime"); err != nil {
		return nil, err
	}
	if c.RAInterval == 0 {
		c.RAInterval = DefaultRAInterval
	}
	if c.MaxClients <= 0 {
		c.MaxClients = DefaultMaxClients
	}
	if c.MaxAddrsPerClient <= 0 {
		c.MaxAddrsPerClient = DefaultMaxAddrsPerClient
	}
	if c.QueueBytes == 0 {
		c.QueueBytes = DefaultQueueBytes
	}
	if c.QueueBytes < MinQueueBytes {
		return nil, fmt.Errorf("%w: queue of %d bytes below %d", ErrInvalidConfig, c.QueueBytes, MinQueueBytes)
	}
	ra, err := packet.AppendRouterAdvertisement(nil, c.LinkLocal, allNodes, &packet.RAFields{
		CurHopLimit:    c.CurHopLimit,
		RouterLifetime: uint16(c.RouterLifetime / time.Second),
		Prefixes: []packet.PrefixInfo{{
			Prefix:            c.Prefix,
			OnLink:            !c.OffLink,
			Autonomous:        true,
			ValidLifetime:     uint32(c.ValidLifetime / time.Second),
			PreferredLifetime: uint32(c.PreferredLifetime / time.Second),
		}},
		MTU: c.MTU,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return &Router{cfg: c, ra: ra, mode: c.Mode, byAddr: make(map[netip.Addr]*Session)}, nil
}

var (
	allNodes   = netip.AddrFrom16([16]byte{0: 0xff, 1: 0x02, 15: 0x01})
	allRouters = netip.AddrFrom16([16]byte{0: 0xff, 1: 0x02, 15: 0x02})
)

// Config returns the configuration, with the defaults filled in.
func (r *Router) Config() RouterConfig {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c := r.cfg
	c.Mode = r.mode
	return c
}

// Mode returns the current Authentication Mode.
func (r *Router) Mode() AuthMode {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.mode
}

// SetMode changes the Authentication Mode. If it differs, every session is
// closed, as [MS-IPHTTPS] §3.2.7.1 requires ("all existing connections ...
// MUST be terminated").
func (r *Router) SetMode(m AuthMode) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m == r.mode {
		return
	}
	r.mode = m
	r.detachAllLocked()
}

// CloseAll closes every session ([MS-IPHTTPS] §3.2.4.2, §3.2.7.3: disable
// and shutdown disconnect all clients).
func (r *Router) CloseAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.detachAllLocked()
}

func (r *Router) detachAllLocked() {
	for _, s := range r.sessions {
		r.forgetLocked(s)
		s.close()
	}
	clear(r.sessions)
	r.sessions = r.sessions[:0]
}

// AppendRA appends the Router Advertisement the router sends (from
// LinkLocal to ff02::1) to dst.
func (r *Router) AppendRA(dst []byte) []byte { return append(dst, r.ra...) }

// Attach adds a client to the Client Table and returns its session, or
// ErrTooManyClients if the table is full ([MS-IPHTTPS] §3.2.5.1).
func (r *Router) Attach(now time.Time, info SessionInfo) (*Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sessions) >= r.cfg.MaxClients {
		return nil, ErrTooManyClients
	}
	r.nextID++
	s := &Session{
		id:       r.nextID,
		info:     info,
		since:    now,
		q:        newQueue(r.cfg.QueueBytes),
		done:     make(chan struct{}),
		addrs:    make([]netip.Addr, 0, r.cfg.MaxAddrsPerClient),
		tokens:   r.cfg.MaxAddrsPerClient,
		refilled: now,
	}
	r.sessions = append(r.sessions, s)
	return s, nil
}

// Detach removes a session from the Client Table, forgets its addresses
// and closes it ([MS-IPHTTPS] §3.2.5.3, §3.2.7.2). Detaching twice is
// harmless.
func (r *Router) Detach(s *Session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, x := range r.sessions {
		if x == s {
			last := len(r.sessions) - 1
			r.sessions[i] = r.sessions[last]
			r.sessions[last] = nil
			r.sessions = r.sessions[:last]
			break
		}
	}
	r.forgetLocked(s)
	s.close()
}

func (r *Router) forgetLocked(s *Session) {
	for _, a := range s.addrs {
		if r.byAddr[a] == s {
			delete(r.byAddr, a)
		}
	}
	s.addrs = s.addrs[:0]
}

// SendRA queues the Router Advertisement to s, as Tick does, and reports
// whether it fitted.
func (r *Router) SendRA(now time.Time, s *Session) bool {
	s.lastRA.Store(now.UnixNano())
	return r.enqueue(s, r.ra) == NotDropped
}

// MarkRA records that the runner sent s the Router Advertisement itself
// (Server writes one with its 200 response), so Tick waits RAInterval.
func (r *Router) MarkRA(now time.Time, s *Session) { s.lastRA.Store(now.UnixNano()) }

// Tick re-advertises to each client that has not had a Router Advertisement
// for RAInterval (RFC 4861 §6.2.4). Call it every few seconds.
func (r *Router) Tick(now time.Time) {
	if r.cfg.RAInterval < 0 {
		return
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, s := range r.sessions {
		if now.UnixNano()-s.lastRA.Load() >= int64(r.cfg.RAInterval) {
			r.SendRA(now, s)
		}
	}
}

// Dropped returns how many packets (for DropQueueFull: copies) were dropped
// for the reason why.
func (r *Router) Dropped(why DropReason) uint64 {
	if why >= NumDropReasons {
		return 0
	}
	return r.drops[why].Load()
}

// Drops returns the drop counters, indexed by DropReason.
func (r *Router) Drops() [NumDropReasons]uint64 {
	var d [NumDropReasons]uint64
	for i := range d {
		d[i] = r.drops[i].Load()
	}
	return d
}

func (r *Router) countDrop(why DropReason) {
	if why < NumDropReasons {
		r.drops[why].Add(1)
	}
}

// NumClients returns the number of sessions in the Client Table.
func (r *Router) NumClients() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.sessions)
}

// Clients returns the Client Table: each client with its addresses and
// counters, in order of arrival.
func (r *Router) Clients() []ClientInfo {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]ClientInfo, 0, len(r.sessions))
	for _, s := range r.sessions {
		ci := ClientInfo{
			ID:        s.id,
			Peer:      s.info.Peer,
			Since:     s.since,
			Addrs:     append([]netip.Addr(nil), s.addrs...),
			RxPackets: s.rxPackets.Load(),
			RxBytes:   s.rxBytes.Load(),
			TxPackets: s.txPackets.Load(),
			TxBytes:   s.txBytes.Load(),
			Drops:     s.queueDrops.Load(),
			Queued:    s.q.len(),
		}
		if s.info.Remote.IsValid() {
			ci.Remote = s.info.Remote.String()
		}
		out = append(out, ci)
	}
	sortClients(out)
	return out
}

func sortClients(c []ClientInfo) {
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && c[j].ID < c[j-1].ID; j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
}

// Owner returns the session that owns address a, if any: the router's
// Neighbor Cache.
func (r *Router) Owner(a netip.Addr) (*Session, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.byAddr[a]
	return s, ok
}

// isRouterAddr reports whether a is one of the router's own addresses.
func (r *Router) isRouterAddr(a netip.Addr) bool {
	return a == r.cfg.LinkLocal || (r.cfg.Addr.IsValid() && a == r.cfg.Addr)
}

// isClientAddr reports whether a client may own address a: link-local or
// inside Prefix, and not the router's.
func (r *Router) isClientAddr(a netip.Addr) bool {
	return (packetIsLinkLocal(a) || r.cfg.Prefix.Contains(a)) && !r.isRouterAddr(a)
}

// icmp describes the ICMPv6 message of a packet, if it carries one.
type icmp struct {
	typ int // -1: not ICMPv6 (or its header is unreachable)
	off int // offset of the ICMPv6 header in the packet
}

func icmpOf(ip packet.IPv6) icmp {
	if ip.NextHeader() == packet.ProtoICMPv6 {
		if ip.PayloadLen() == 0 {
			return icmp{typ: -1}
		}
		return icmp{typ: int(ip.Bytes()[packet.IPv6HeaderLen]), off: packet.IPv6HeaderLen}
	}
	proto, off, err := ip.UpperLayer()
	if err != nil || proto != packet.ProtoICMPv6 || off >= len(ip.Bytes()) {
		return icmp{typ: -1}
	}
	return icmp{typ: int(ip.Bytes()[off]), off: off}
}

// ndTarget returns the Target Address of an NS or NA at m.off, unchecked.
func (m icmp) ndTarget(p []byte) (netip.Addr, bool) {
	if len(p) < m.off+packet.NeighborSolicitationLen {
		return netip.Addr{}, false
	}
	return netip.AddrFrom16([16]byte(p[m.off+8 : m.off+24])), true
}

// FromClient routes packet p, received from the client of session s, and
// returns what it did. The packet is copied into the queues it goes to, or
// left for the caller to write to the native side (VerdictNative); the
// router does not retain p. now is the time of arrival. It does not
// allocate (except when it learns an address).
func (r *Router) FromClient(now time.Time, s *Session, p []byte) (Verdict, DropReason) {
	s.rxPackets.Add(1)
	s.rxBytes.Add(uint64(len(p)))
	v, why := r.fromClient(now, s, p)
	if v == VerdictDrop && why != DropQueueFull {
		r.countDrop(why)
	}
	if v == VerdictNative {
		r.nativeOut.Add(1)
	}
	return v, why
}

// needLearn is returned by route when the source must be learned first.
const needLearn = NumDropReasons + 1

func (r *Router) fromClient(now time.Time, s *Session, p []byte) (Verdict, DropReason) {
	ip, err := packet.ParseIPv6(p)
	if err != nil || len(ip.Bytes()) != len(p) || CheckPacket(p) != nil {
		return VerdictDrop, DropMalformed
	}
	m := icmpOf(ip)
	for try := 0; try < 2; try++ {
		r.mu.RLock()
		v, why, learn := r.route(now, s, ip, m)
		r.mu.RUnlock()
		if why != needLearn {
			return v, why
		}
		if why := r.learn(now, s, learn); why != NotDropped {
			return VerdictDrop, why
		}
	}
	return VerdictDrop, DropAddrLimit
}

// learn binds address a to session s, within the session's limits.
func (r *Router) learn(now time.Time, s *Session, a netip.Addr) DropReason {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s.detached {
		return DropNoRoute
	}
	if o := r.byAddr[a]; o != nil {
		if o == s {
			return NotDropped
		}
		return DropSpoofedSource
	}
	max := r.cfg.MaxAddrsPerClient
	if el := now.Sub(s.refilled); el >= learnRefill {
		s.tokens = min(max, s.tokens+int(el/learnRefill))
		s.refilled = now
	}
	if s.tokens <= 0 {
		return DropAddrLimit
	}
	s.tokens--
	if len(s.addrs) >= max {
		if r.byAddr[s.addrs[0]] == s {
			delete(r.byAddr, s.addrs[0])
		}
		copy(s.addrs, s.addrs[1:])
		s.addrs = s.addrs[:len(s.addrs)-1]
	}
	s.addrs = append(s.addrs, a)
	r.byAddr[a] = s
	return NotDropped
}

// route decides, under r.mu held for reading. It returns needLearn and an
// address when s must first be bound to that address.
func (r *Router) route(now time.Time, s *Session, ip packet.IPv6, m icmp) (Verdict, DropReason, netip.Addr) {
	if s.detached {
		return VerdictDrop, DropNoRoute, netip.Addr{}
	}
	p := ip.Bytes()
	src, dst := ip.Src(), ip.Dst()

	// The source: RFC 4861 and 4862 allow :: only in RS and DAD NS.
	switch {
	case src == unspecified:
		if !dst.IsMulticast() || (m.typ != packet.ICMPv6RouterSolicitation && m.typ != packet.ICMPv6NeighborSolicitation) {
			return VerdictDrop, DropBadSource, netip.Addr{}
		}
	case r.isRouterAddr(src):
		return VerdictDrop, DropSpoofedSource, netip.Addr{}
	case !r.isClientAddr(src):
		return VerdictDrop, DropBadSource, netip.Addr{}
	default:
		switch o := r.byAddr[src]; o {
		case s:
		case nil:
			return VerdictDrop, needLearn, src
		default:
			return VerdictDrop, DropSpoofedSource, netip.Addr{}
		}
	}

	// Router Advertisements and Redirects come from routers, and there is
	// one on this link (RA Guard, RFC 6105).
	if m.typ == packet.ICMPv6RouterAdvertisement || m.typ == packet.ICMPv6Redirect {
		return VerdictDrop, DropRogueND, netip.Addr{}
	}
	// An NA may only speak for the sender's own addresses (or ones nobody
	// holds): an NA for another client's address is spoofing (iphttps.md
	// report section 9, case 8).
	if m.typ == packet.ICMPv6NeighborAdvertisement {
		if t, ok := m.ndTarget(p); ok {
			if o := r.byAddr[t]; (o != nil && o != s) || r.isRouterAddr(t) {
				return VerdictDrop, DropRogueND, netip.Addr{}
			}
		}
	}

	switch {
	case dst.IsMulticast():
		return r.routeMulticast(now, s, ip, m)
	case r.isRouterAddr(dst):
		return r.toRouter(now, s, ip, m)
	case packetIsLinkLocal(dst):
		if r.mode == AuthNone {
			return VerdictDrop, DropLinkLocal, netip.Addr{}
		}
		return r.toClient(dst, p)
	case r.cfg.Prefix.Contains(dst):
		return r.toClient(dst, p)
	case dst == unspecified || dst == loopback || dst.Is4In6():
		return VerdictDrop, DropBadDestination, netip.Addr{}
	}
	return VerdictNative, NotDropped, netip.Addr{}
}

var (
	unspecified = netip.IPv6Unspecified()
	loopback    = netip.IPv6Loopback()
)

func (r *Router) toClient(dst netip.Addr, p []byte) (Verdict, DropReason, netip.Addr) {
	o := r.byAddr[dst]
	if o == nil {
		return VerdictDrop, DropNoRoute, netip.Addr{}
	}
	if why := r.enqueue(o, p); why != NotDropped {
		return VerdictDrop, why, netip.Addr{}
	}
	return VerdictQueued, NotDropped, netip.Addr{}
}

// enqueue copies p into the queue of s and wakes its writer.
func (r *Router) enqueue(s *Session, p []byte) DropReason {
	why := r.enqueueQuiet(s, p)
	if why == NotDropped {
		s.q.signal()
	}
	return why
}

// enqueueQuiet is enqueue without waking the writer.
func (r *Router) enqueueQuiet(s *Session, p []byte) DropReason {
	if !s.q.pushQuiet(p) {
		s.queueDrops.Add(1)
		r.drops[DropQueueFull].Add(1)
		return DropQueueFull
	}
	s.txPackets.Add(1)
	s.txBytes.Add(uint64(len(p)))
	return NotDropped
}

// flood copies p to every client but s.
func (r *Router) flood(s *Session, p []byte) (Verdict, DropReason, netip.Addr) {
	sent, full := 0, 0
	for _, o := range r.sessions {
		if o == s {
			continue
		}
		if r.enqueue(o, p) == NotDropped {
			sent++
		} else {
			full++
		}
	}
	switch {
	case sent > 0:
		return VerdictQueued, NotDropped, netip.Addr{}
	case full > 0:
		return VerdictDrop, DropQueueFull, netip.Addr{}
	}
	return VerdictDrop, DropNoRoute, netip.Addr{}
}

// parseND validates the ICMPv6 message of ip, for the ND messages the
// router processes.
func parseND(ip packet.IPv6) (packet.ICMPv6, bool) {
	msg, err := packet.ParseICMPv6(ip)
	return msg, err == nil
}

func (r *Router) routeMulticast(now time.Time, s *Session, ip packet.IPv6, m icmp) (Verdict, DropReason, netip.Addr) {
	p := ip.Bytes()
	switch m.typ {
	case packet.ICMPv6RouterSolicitation:
		// "Router Solicitation packets MUST NOT be dropped" (§3.2.5.2.2).
		msg, ok := parseND(ip)
		if !ok {
			return VerdictDrop, DropInvalidND, netip.Addr{}
		}
		if _, err := packet.ParseRouterSolicitation(msg); err != nil {
			return VerdictDrop, DropInvalidND, netip.Addr{}
		}
		r.SendRA(now, s)
		if r.mode == AuthCertificates {
			r.flood(s, p)
		}
		return VerdictLocal, NotDropped, netip.Addr{}

	case packet.ICMPv6NeighborSolicitation:
		msg, ok := parseND(ip)
		if !ok {
			return VerdictDrop, DropInvalidND, netip.Addr{}
		}
		ns, err := packet.ParseNeighborSolicitation(msg)
		if err != nil {
			return VerdictDrop, DropInvalidND, netip.Addr{}
		}
		t := ns.Target()
		dad := ip.Src() == unspecified
		if r.isRouterAddr(t) {
			// Resolving or probing the router: it answers for itself.
			return r.answerNS(s, ip.Src(), t)
		}
		o := r.byAddr[t]
		if r.mode == AuthNone {
			if !dad {
				return VerdictDrop, DropMulticast, netip.Addr{}
			}
			switch {
			case o == nil && r.isClientAddr(t):
				// Nobody holds it: the client will, once DAD is over.
				// Claiming it now makes a second client probing the same
				// address get the NA below.
				return VerdictDrop, needLearn, t
			case o == nil, o == s:
				return VerdictLocal, NotDropped, netip.Addr{}
			}
			// §3.2.5.2.2: "a multicast Neighbor Advertisement (NA) MUST be
			// created as if the IP-HTTPS server were the client with the
			// target address (for example, the Router flag MUST NOT be
			// set). The NA MUST NOT contain a Target Link-Layer option.
			// Then the NA MUST be sent back over the HTTP connection."
			return r.answerDAD(s, t)
		}
		if dad && o != nil {
			if o == s {
				return VerdictLocal, NotDropped, netip.Addr{}
			}
			// Only the owner has an entry for the target (§3.2.5.2.2).
			if why := r.enqueue(o, p); why != NotDropped {
				return VerdictDrop, why, netip.Addr{}
			}
			return VerdictQueued, NotDropped, netip.Addr{}
		}
		return r.flood(s, p)
	}
	if r.mode == AuthNone {
		return VerdictDrop, DropMulticast, netip.Addr{}
	}
	// Multicast NAs were checked in route: the target is the sender's or
	// nobody's, and every client may learn it.
	return r.flood(s, p)
}

// answerDAD queues to s the NA the owner of t would multicast to defend it
// (RFC 4861 §7.2.4: Solicited clear, to all-nodes; Override set; Router
// clear, no Target Link-Layer Address option, §3.2.5.2.2).
func (r *Router) answerDAD(s *Session, t netip.Addr) (Verdict, DropReason, netip.Addr) {
	const n = packet.IPv6HeaderLen + packet.NeighborAdvertisementLen
	b := s.q.alloc(n)
	if b == nil {
		s.queueDrops.Add(1)
		r.drops[DropQueueFull].Add(1)
		return VerdictLocal, NotDropped, netip.Addr{}
	}
	_, err := packet.AppendNeighborAdvertisement(b[:0], t, allNodes, t, packet.NAFlagOverride, nil)
	if err != nil { // cannot happen: t is a unicast IPv6 address
		clear(b)
		b[0] = 0x60 // keep the stream framed: a header-only packet (No Next Header)
		b[6] = packet.ProtoNoNext
		binary.BigEndian.PutUint16(b[4:], uint16(n-packet.IPv6HeaderLen))
	}
	s.q.commit()
	s.txPackets.Add(1)
	s.txBytes.Add(n)
	return VerdictLocal, NotDropped, netip.Addr{}
}

// answerNS queues to s the router's NA for its own address t, in answer to
// an NS from src (RFC 4861 §7.2.4).
func (r *Router) answerNS(s *Session, src, t netip.Addr) (Verdict, DropReason, netip.Addr) {
	flags := uint8(packet.NAFlagRouter | packet.NAFlagOverride)
	dst := src
	if src == unspecified {
		dst = allNodes
	} else {
		flags |= packet.NAFlagSolicited
	}
	var buf [packet.IPv6HeaderLen + packet.NeighborAdvertisementLen]byte
	na, err := packet.AppendNeighborAdvertisement(buf[:0], t, dst, t, flags, nil)
	if err != nil {
		return VerdictDrop, DropInvalidND, netip.Addr{}
	}
	r.enqueue(s, na)
	return VerdictLocal, NotDropped, netip.Addr{}
}

// toRouter handles unicast packets for the router's own addresses: NS,
// RS and Echo Request are answered, the rest dropped.
func (r *Router) toRouter(now time.Time, s *Session, ip packet.IPv6, m icmp) (Verdict, DropReason, netip.Addr) {
	switch m.typ {
	case packet.ICMPv6NeighborSolicitation:
		msg, ok := parseND(ip)
		if !ok {
			return VerdictDrop, DropInvalidND, netip.Addr{}
		}
		ns, err := packet.ParseNeighborSolicitation(msg)
		if err != nil || !r.isRouterAddr(ns.Target()) {
			return VerdictDrop, DropInvalidND, netip.Addr{}
		}
		return r.answerNS(s, ip.Src(), ns.Target())
	case packet.ICMPv6RouterSolicitation:
		msg, ok := parseND(ip)
		if !ok {
			return VerdictDrop, DropInvalidND, netip.Addr{}
		}
		if _, err := packet.ParseRouterSolicitation(msg); err != nil {
			return VerdictDrop, DropInvalidND, netip.Addr{}
		}
		r.SendRA(now, s)
		return VerdictLocal, NotDropped, netip.Addr{}
	case packet.ICMPv6EchoRequest:
		if ip.NextHeader() != packet.ProtoICMPv6 || ip.Src() == unspecified {
			return VerdictDrop, DropNotForRouter, netip.Addr{}
		}
		if _, err := packet.ParseICMPv6(ip); err != nil {
			return VerdictDrop, DropNotForRouter, netip.Addr{}
		}
		return r.answerEcho(s, ip)
	}
	return VerdictDrop, DropNotForRouter, netip.Addr{}
}

// answerEcho queues to s the Echo Reply to ip (RFC 4443 §4.2), built in
// place in the queue: the request with addresses swapped, type 129 and the
// checksum updated (RFC 1624; swapping the addresses leaves the
// pseudo-header sum unchanged).
func (r *Router) answerEcho(s *Session, ip packet.IPv6) (Verdict, DropReason, netip.Addr) {
	p := ip.Bytes()
	b := s.q.alloc(len(p))
	if b == nil {
		s.queueDrops.Add(1)
		r.drops[DropQueueFull].Add(1)
		return VerdictLocal, NotDropped, netip.Addr{}
	}
	copy(b, p)
	copy(b[8:24], p[24:40])
	copy(b[24:40], p[8:24])
	b[7] = DefaultCurHopLimit
	msg := b[packet.IPv6HeaderLen:]
	old := binary.BigEndian.Uint16(msg)
	msg[0] = packet.ICMPv6EchoReply
	c := packet.UpdateChecksum(binary.BigEndian.Uint16(msg[2:]), old, binary.BigEndian.Uint16(msg))
	binary.BigEndian.PutUint16(msg[2:], c)
	s.q.commit()
	s.txPackets.Add(1)
	s.txBytes.Add(uint64(len(p)))
	return VerdictLocal, NotDropped, netip.Addr{}
}

// FromNative routes packet p, read from the native side, to the client that
// owns its destination. Multicast, packets for addresses no client owns and
// packets claiming a source on the clients' link are dropped. It does not
// allocate.
func (r *Router) FromNative(now time.Time, p []byte) (Verdict, DropReason) {
	v, why := r.fromNative(p)
	if v == VerdictDrop && why != DropQueueFull {
		r.countDrop(why)
	}
	return v, why
}

func (r *Router) fromNative(p []byte) (Verdict, DropReason) {
	v, why, _ := r.fromNativeQuiet(p)
	return v, why
}

// fromNativeQuiet is fromNative without waking the writer of the session
// it queues p for, which it returns (nil if it queued nothing).
func (r *Router) fromNativeQuiet(p []byte) (Verdict, DropReason, *Session) {
	ip, err := packet.ParseIPv6(p)
	if err != nil || CheckPacket(ip.Bytes()) != nil {
		// CheckPacket refuses what the clients' framing cannot carry: a
		// header-only packet with Next Header 0 reads as a jumbogram and
		// would end the client's stream.
		return VerdictDrop, DropMalformed, nil
	}
	src, dst := ip.Src(), ip.Dst()
	switch {
	case dst.IsMulticast():
		return VerdictDrop, DropMulticast, nil
	case src.IsMulticast() || src == unspecified || packetIsLinkLocal(src) || r.cfg.Prefix.Contains(src):
		return VerdictDrop, DropBadSource, nil
	case r.isRouterAddr(dst):
		return VerdictDrop, DropNotForRouter, nil
	case !r.cfg.Prefix.Contains(dst):
		return VerdictDrop, DropNoRoute, nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	o := r.byAddr[dst]
	if o == nil {
		return VerdictDrop, DropNoRoute, nil
	}
	if why := r.enqueueQuiet(o, ip.Bytes()); why != NotDropped {
		return VerdictDrop, why, nil
	}
	return VerdictQueued, NotDropped, o
}

// fromNativeBatch routes each of pkts as FromNative does, but wakes the
// writer of each session it queued packets for once, after the batch,
// rather than after each packet: a writer woken by the first packet of a
// batch (a TUN read of a TCP super-packet split into segments, say) would
// send it alone, in a TLS record and a system call of its own, while the
// rest are still being routed. woken is scratch space for the sessions to
// wake, returned for reuse. It does not allocate once woken has room for
// the sessions of a batch.
func (r *Router) fromNativeBatch(pkts [][]byte, woken []*Session) []*Session {
	woken = woken[:0]
	for _, p := range pkts {
		v, why, s := r.fromNativeQuiet(p)
		if v == VerdictDrop && why != DropQueueFull {
			r.countDrop(why)
		}
		if s != nil && !slices.Contains(woken, s) {
			woken = append(woken, s)
		}
	}
	for i, s := range woken {
		s.q.signal()
		woken[i] = nil
	}
	return woken[:0]
}

// packetIsLinkLocal reports whether a is an IPv6 link-local unicast
// address, fe80::/10 (RFC 4291 §2.5.6), not an IPv4-mapped one.
func packetIsLinkLocal(a netip.Addr) bool {
	return a.Is6() && !a.Is4In6() && a.IsLinkLocalUnicast()
}
