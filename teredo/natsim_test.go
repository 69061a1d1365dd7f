package teredo_test

// An in-process IPv4/UDP network with NATs and a fake clock, to test Teredo
// engines deterministically (RFC 4380 §5.2; teredo.md §9 cases 19–20).
//
// The pieces, all driven by one simNet:
//
//   - simNet: the "Internet". Hosts and NATs own public IPv4 addresses;
//     datagrams are queued with a latency and delivered in time order;
//     engines with timers register as simTickers and are ticked at their
//     deadlines. RunFor/RunUntil advance the fake clock; Jump moves it
//     without running anything in between (a suspend, a clock step).
//   - simNAT: a NAT with the mapping and filtering behaviours of RFC 4787
//     (endpoint-independent, address-dependent, address-and-port-dependent),
//     port preservation, a binding timeout and optional hairpinning. Hosts
//     behind it have private addresses.
//   - simServer: a minimal RFC 4380 server built from the codec (Router
//     Advertisements only: from the other address when the solicitation has
//     the cone bit, origin indication = the source it saw, nonce echoed).
//   - simClient: a teredo.Client plugged into the network, recording its
//     events, errors and the packets it passes up.
//
// Nothing here reads the wall clock or global randomness.

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/teredo"
)

// simEpoch is the fake clock's start.
var simEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// simGlobal is what the simulated Internet numbers from: the documentation
// ranges, treated as global by the engines under test.
var simGlobal = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24")}

// simHost receives datagrams addressed to it.
type simHost interface {
	Receive(now time.Time, from, to netip.AddrPort, payload []byte)
}

// simTicker is an engine with timers: RunUntil calls Tick at Deadline (the
// zero Time: none).
type simTicker interface {
	Deadline() time.Time
	Tick(now time.Time)
}

// simDatagram is one datagram on the simulated Internet, with the addresses
// it carried there (after the sender's NAT, before the receiver's).
type simDatagram struct {
	Sent    time.Time
	At      time.Time // delivery time
	Src     netip.AddrPort
	Dst     netip.AddrPort
	Payload []byte
	Fate    string // "", or why it was not delivered: "lost", "nat", "no host"
	seq     int
}

// simNet is the simulated Internet and its clock.
type simNet struct {
	tb      testing.TB
	Now     time.Time
	Latency time.Duration             // one-way delay of every datagram
	Drop    func(d *simDatagram) bool // loss model; nil: no loss
	Trace   []*simDatagram            // every datagram sent, in order
	hosts   map[netip.Addr]simHost    // public hosts
	nats    map[netip.Addr]*simNAT    // by public address
	behind  map[netip.Addr]*simNAT    // private address → its NAT
	private map[netip.Addr]simHost    // hosts behind NATs
	queue   []*simDatagram            // in flight, by (At, seq)
	tickers []simTicker
	seq     int
}

// newSimNet returns an empty network at simEpoch. tb may be nil (in
// examples): failures then panic.
func newSimNet(tb testing.TB) *simNet {
	return &simNet{
		tb:      tb,
		Now:     simEpoch,
		hosts:   map[netip.Addr]simHost{},
		nats:    map[netip.Addr]*simNAT{},
		behind:  map[netip.Addr]*simNAT{},
		private: map[netip.Addr]simHost{},
	}
}

func (n *simNet) helper() {
	if n.tb != nil {
		n.tb.Helper()
	}
}

func (n *simNet) fatalf(format string, args ...any) {
	if n.tb == nil {
		panic(fmt.Sprintf(format, args...))
	}
	n.tb.Helper()
	n.tb.Fatalf(format, args...)
}

// Elapsed returns the fake time since simEpoch.
func (n *simNet) Elapsed() time.Duration { return n.Now.Sub(simEpoch) }

// AddHost attaches h to the Internet at the public address a.
func (n *simNet) AddHost(a netip.Addr, h simHost) {
	if _, dup := n.hosts[a]; dup {
		n.fatalf("simnet: %v attached twice", a)
	}
	n.hosts[a] = h
}

// AddTicker registers an engine with timers.
func (n *simNet) AddTicker(t simTicker) { n.tickers = append(n.tickers, t) }

// AddNAT attaches a NAT with public address public and behaviour b.
func (n *simNet) AddNAT(public netip.Addr, b natBehaviour) *simNAT {
	nat := &simNAT{net: n, Public: public, B: b, next: 40000}
	if b.FirstPort != 0 {
		nat.next = b.FirstPort
	}
	n.nats[public] = nat
	return nat
}

// Send puts a datagram from src to dst on the network at the current time,
// through src's NAT if src is a private address. It copies payload.
func (n *simNet) Send(src, dst netip.AddrPort, payload []byte) {
	d := &simDatagram{Sent: n.Now, Src: src, Dst: dst, Payload: slices.Clone(payload)}
	n.Trace = append(n.Trace, d)
	if nat := n.behind[src.Addr()]; nat != nil {
		out, ok := nat.outbound(src, dst)
		if !ok {
			d.Fate = "nat"
			return
		}
		d.Src = out
	}
	if n.Drop != nil && n.Drop(d) {
		d.Fate = "lost"
		return
	}
	n.seq++
	d.seq, d.At = n.seq, n.Now.Add(n.Latency)
	i, _ := slices.BinarySearchFunc(n.queue, d, func(a, b *simDatagram) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	n.queue = slices.Insert(n.queue, i, d)
}

// deliver hands d to its destination, through the destination's NAT.
func (n *simNet) deliver(d *simDatagram) {
	if h := n.hosts[d.Dst.Addr()]; h != nil {
		h.Receive(n.Now, d.Src, d.Dst, d.Payload)
		return
	}
	nat := n.nats[d.Dst.Addr()]
	if nat == nil {
		d.Fate = "no host"
		return
	}
	if !nat.B.Hairpin && d.Src.Addr() == nat.Public {
		d.Fate = "nat" // hairpin: sent from behind this very NAT
		return
	}
	in, ok := nat.inbound(d.Src, d.Dst)
	if !ok {
		d.Fate = "nat"
		return
	}
	h := n.private[in.Addr()]
	if h == nil {
		d.Fate = "no host"
		return
	}
	h.Receive(n.Now, d.Src, in, d.Payload)
}

// RunUntil delivers datagrams and runs timers in time order up to t, then
// sets the clock to t (if it is later). Deliveries due at the same instant
// as a timer come first.
func (n *simNet) RunUntil(t time.Time) {
	n.helper()
	for steps := 0; ; steps++ {
		if steps > 1_000_000 {
			n.fatalf("simnet: no progress at %v", n.Elapsed())
		}
		var tk simTicker
		next := t
		for _, x := range n.tickers {
			if d := x.Deadline(); !d.IsZero() && !d.After(next) && (tk == nil || d.Before(next)) {
				tk, next = x, d
			}
		}
		if len(n.queue) > 0 && !n.queue[0].At.After(next) {
			d := n.queue[0]
			n.queue = n.queue[1:]
			if d.At.After(n.Now) {
				n.Now = d.At
			}
			n.deliver(d)
			continue
		}
		if tk == nil {
			if t.After(n.Now) {
				n.Now = t
			}
			return
		}
		if next.After(n.Now) {
			n.Now = next
		}
		tk.Tick(n.Now)
	}
}

// RunFor runs the network for d.
func (n *simNet) RunFor(d time.Duration) { n.helper(); n.RunUntil(n.Now.Add(d)) }

// Jump moves the clock by d (either way) without running anything in
// between: a suspend and resume, or a clock step. Datagrams in flight move
// with it.
func (n *simNet) Jump(d time.Duration) {
	n.Now = n.Now.Add(d)
	for _, q := range n.queue {
		q.At = q.At.Add(d)
	}
}

// Sent returns the datagrams sent to dst (compared as address and port;
// an address with port 0 matches every port) at or after since.
func (n *simNet) Sent(dst netip.AddrPort, since time.Time) []*simDatagram {
	var r []*simDatagram
	for _, d := range n.Trace {
		if !d.Sent.Before(since) && d.Dst.Addr() == dst.Addr() && (dst.Port() == 0 || d.Dst.Port() == dst.Port()) {
			r = append(r, d)
		}
	}
	return r
}

// natMapping is a NAT's mapping behaviour (RFC 4787 §4.1): what decides
// whether a new outbound flow reuses an existing external port.
type natMapping uint8

const (
	mapEndpointIndependent  natMapping = iota // one external port per internal endpoint (cones)
	mapAddressDependent                       // one per internal endpoint and destination address
	mapAddressPortDependent                   // one per internal endpoint and destination endpoint (symmetric)
)

// natFiltering is a NAT's filtering behaviour (RFC 4787 §5): who may send
// to a mapping.
type natFiltering uint8

const (
	filterEndpointIndependent  natFiltering = iota // anyone (full cone)
	filterAddressDependent                         // addresses the mapping sent to (restricted)
	filterAddressPortDependent                     // endpoints the mapping sent to (port-restricted)
)

// natBehaviour describes a NAT.
type natBehaviour struct {
	Name      string
	Mapping   natMapping
	Filtering natFiltering
	// PortPreserving uses the internal port as the external one when no
	// live binding makes that ambiguous, like Linux's masquerade.
	PortPreserving bool
	// Timeout is how long a binding lives after its last outbound datagram
	// (and inbound one with RefreshOnInbound); 0 means 5 minutes.
	Timeout          time.Duration
	RefreshOnInbound bool
	// Hairpin lets hosts behind the NAT reach each other through its
	// public address (RFC 4787 §6).
	Hairpin bool
	// FirstPort is the first external port allocated (sequentially);
	// 0 means 40000.
	FirstPort uint16
}

// The NATs of teredo.md §9 case 20.
var (
	natFullCone       = natBehaviour{Name: "full cone", Mapping: mapEndpointIndependent, Filtering: filterEndpointIndependent}
	natRestricted     = natBehaviour{Name: "restricted", Mapping: mapEndpointIndependent, Filtering: filterAddressDependent}
	natPortRestricted = natBehaviour{Name: "port-restricted", Mapping: mapEndpointIndependent, Filtering: filterAddressPortDependent}
	natSymmetric      = natBehaviour{Name: "symmetric", Mapping: mapAddressPortDependent, Filtering: filterAddressPortDependent}
	// natSymmetricAddr maps per destination address only ("symmetric
	// (address)" in Windows' words).
	natSymmetricAddr = natBehaviour{Name: "symmetric (address)", Mapping: mapAddressDependent, Filtering: filterAddressDependent}
	// natPortPreserving maps per destination but keeps the internal port
	// when it is free: Linux's plain masquerade.
	natPortPreserving = natBehaviour{Name: "port-preserving", Mapping: mapAddressPortDependent, Filtering: filterAddressPortDependent, PortPreserving: true}
)

// simBinding is one NAT binding.
type simBinding struct {
	inside  netip.AddrPort
	remote  netip.AddrPort // the first destination (the key for dependent mappings)
	outside netip.AddrPort
	peers   []netip.AddrPort // destinations sent to, for filtering
	expires time.Time
}

// simNAT is a NAT on the simulated Internet.
type simNAT struct {
	net      *simNet
	Public   netip.Addr
	B        natBehaviour
	next     uint16
	bindings []*simBinding
}

// AddHost attaches h behind the NAT at the private address a.
func (nat *simNAT) AddHost(a netip.Addr, h simHost) {
	if _, dup := nat.net.private[a]; dup {
		nat.net.fatalf("simnet: %v attached twice", a)
	}
	nat.net.private[a] = h
	nat.net.behind[a] = nat
}

// Bindings returns the external endpoints of the live bindings of the
// internal endpoint in, oldest first.
func (nat *simNAT) Bindings(in netip.AddrPort) []netip.AddrPort {
	nat.expire()
	var r []netip.AddrPort
	for _, b := range nat.bindings {
		if b.inside == in {
			r = append(r, b.outside)
		}
	}
	return r
}

// MappingFor returns the external endpoint of in's live binding toward dst,
// if any.
func (nat *simNAT) MappingFor(in, dst netip.AddrPort) (netip.AddrPort, bool) {
	nat.expire()
	if b := nat.find(in, dst); b != nil {
		return b.outside, true
	}
	return netip.AddrPort{}, false
}

func (nat *simNAT) timeout() time.Duration {
	if nat.B.Timeout == 0 {
		return 5 * time.Minute
	}
	return nat.B.Timeout
}

func (nat *simNAT) expire() {
	nat.bindings = slices.DeleteFunc(nat.bindings, func(b *simBinding) bool { return !nat.net.Now.Before(b.expires) })
}

// find returns in's binding that a datagram to dst uses.
func (nat *simNAT) find(in, dst netip.AddrPort) *simBinding {
	for _, b := range nat.bindings {
		if b.inside != in {
			continue
		}
		switch nat.B.Mapping {
		case mapEndpointIndependent:
			return b
		case mapAddressDependent:
			if b.remote.Addr() == dst.Addr() {
				return b
			}
		case mapAddressPortDependent:
			if b.remote == dst {
				return b
			}
		}
	}
	return nil
}

// portFree reports whether external port p may carry a new binding toward
// dst without making inbound datagrams ambiguous.
func (nat *simNAT) portFree(p uint16, dst netip.AddrPort) bool {
	for _, b := range nat.bindings {
		if b.outside.Port() != p {
			continue
		}
		switch nat.B.Mapping {
		case mapEndpointIndependent:
			return false
		case mapAddressDependent:
			if b.remote.Addr() == dst.Addr() {
				return false
			}
		case mapAddressPortDependent:
			if b.remote == dst {
				return false
			}
		}
	}
	return true
}

func (nat *simNAT) outbound(src, dst netip.AddrPort) (netip.AddrPort, bool) {
	nat.expire()
	b := nat.find(src, dst)
	if b == nil {
		p := src.Port()
		if !nat.B.PortPreserving || !nat.portFree(p, dst) {
			for {
				p = nat.next
				nat.next++
				if nat.next < 1024 {
					nat.next = 1024
				}
				if nat.portFree(p, dst) {
					break
				}
			}
		}
		b = &simBinding{inside: src, remote: dst, outside: netip.AddrPortFrom(nat.Public, p)}
		nat.bindings = append(nat.bindings, b)
	}
	if !slices.Contains(b.peers, dst) {
		b.peers = append(b.peers, dst)
	}
	b.expires = nat.net.Now.Add(nat.timeout())
	return b.outside, true
}

func (nat *simNAT) inbound(from, to netip.AddrPort) (netip.AddrPort, bool) {
	nat.expire()
	for _, b := range nat.bindings {
		if b.outside != to {
			continue
		}
		ok := false
		switch nat.B.Filtering {
		case filterEndpointIndependent:
			ok = true
		case filterAddressDependent:
			ok = slices.ContainsFunc(b.peers, func(p netip.AddrPort) bool { return p.Addr() == from.Addr() })
		case filterAddressPortDependent:
			ok = slices.Contains(b.peers, from)
		}
		if ok {
			if nat.B.RefreshOnInbound {
				b.expires = nat.net.Now.Add(nat.timeout())
			}
			return b.inside, true
		}
	}
	return netip.AddrPort{}, false
}

// simRS is a Router Solicitation a simServer received.
type simRS struct {
	At    time.Time
	From  netip.AddrPort
	To    netip.AddrPort
	Cone  bool
	Nonce [teredo.NonceLen]byte
}

// simServer is a minimal RFC 4380 server: it answers Router Solicitations
// on port 3544 of its two addresses (RFC 4380 §5.3.2) and nothing else.
type simServer struct {
	net                *simNet
	Primary, Secondary netip.Addr
	MTU                uint32
	// Silent answers nothing (solicitations are still recorded): an
	// offline server.
	Silent bool
	// SilentSecondary makes the secondary address neither receive nor send.
	SilentSecondary bool
	// RS records every solicitation received.
	RS []simRS
}

// AddServer attaches a simServer at primary and secondary (default
// primary+1).
func (n *simNet) AddServer(primary string, secondary ...string) *simServer {
	p := netip.MustParseAddr(primary)
	s := &simServer{net: n, Primary: p, Secondary: p.Next(), MTU: 1280}
	if len(secondary) > 0 {
		s.Secondary = netip.MustParseAddr(secondary[0])
	}
	n.AddHost(s.Primary, s)
	n.AddHost(s.Secondary, s)
	return s
}

func (s *simServer) Receive(now time.Time, from, to netip.AddrPort, payload []byte) {
	if to.Port() != teredo.ServerPort || s.SilentSecondary && to.Addr() == s.Secondary {
		return
	}
	p, err := teredo.ParsePacket(payload)
	if err != nil {
		return
	}
	rs, err := teredo.ParseRouterSolicitation(&p)
	if err != nil {
		return
	}
	s.RS = append(s.RS, simRS{At: now, From: from, To: to, Cone: rs.Cone, Nonce: rs.Nonce})
	if s.Silent {
		return
	}
	answer := to.Addr()
	if rs.Cone {
		answer = s.Primary
		if to.Addr() == s.Primary {
			answer = s.Secondary
		}
	}
	if s.SilentSecondary && answer == s.Secondary {
		return
	}
	h := teredo.Header{Origin: from, HasAuth: rs.HasNonce, Auth: teredo.Auth{Nonce: rs.Nonce}}
	b, err := teredo.AppendRouterAdvertisement(nil, &h, &teredo.RAFields{Server: s.Primary, Dst: rs.Src, MTU: s.MTU})
	if err != nil {
		s.net.fatalf("simServer: %v", err)
	}
	s.net.Send(netip.AddrPortFrom(answer, teredo.ServerPort), from, b)
}

// RSSince returns the solicitations received at or after since.
func (s *simServer) RSSince(since time.Time) []simRS {
	var r []simRS
	for _, rs := range s.RS {
		if !rs.At.Before(since) {
			r = append(r, rs)
		}
	}
	return r
}

// simEvent is a client event with its time.
type simEvent struct {
	At time.Duration // since simEpoch
	teredo.ClientEvent
}

func (e simEvent) String() string { return fmt.Sprintf("%v %v", e.At, e.ClientEvent) }

// simClient is a teredo.Client on the simulated network.
type simClient struct {
	net    *simNet
	C      *teredo.Client
	Local  netip.AddrPort
	out    teredo.ClientOutput
	Events []simEvent
	Errs   []error  // errors of HandleDatagram
	Data   [][]byte // payloads passed up (copies)
}

// AddClient creates a client at local (private if nat is not nil) with
// cfg, whose Servers default to server's primary, Global to simGlobal, Rand
// to a ChaCha8 seeded from local, and Local to local.
func (n *simNet) AddClient(cfg teredo.ClientConfig, local string, nat *simNAT, server *simServer) *simClient {
	n.helper()
	l := netip.MustParseAddrPort(local)
	if cfg.Servers == nil && server != nil {
		cfg.Servers = []netip.Addr{server.Primary}
	}
	if cfg.Global == nil {
		cfg.Global = simGlobal
	}
	if cfg.Rand == nil {
		a := l.Addr().As4()
		cfg.Rand = rand.NewChaCha8([32]byte{a[0], a[1], a[2], a[3], byte(l.Port() >> 8), byte(l.Port())})
	}
	if !cfg.Local.IsValid() {
		cfg.Local = l
	}
	c, err := teredo.NewClient(cfg)
	if err != nil {
		n.fatalf("NewClient: %v", err)
	}
	sc := &simClient{net: n, C: c, Local: l}
	if nat != nil {
		nat.AddHost(l.Addr(), sc)
	} else {
		n.AddHost(l.Addr(), sc)
	}
	n.AddTicker(sc)
	return sc
}

func (s *simClient) Receive(now time.Time, from, to netip.AddrPort, payload []byte) {
	if to != s.Local {
		return // another port of the host
	}
	if err := s.C.HandleDatagram(now, from, payload, &s.out); err != nil {
		s.Errs = append(s.Errs, err)
	}
	if s.out.Data.IsValid() {
		s.Data = append(s.Data, slices.Clone(s.out.Data.Bytes()))
	}
	s.flush()
}

func (s *simClient) Deadline() time.Time { return s.C.NextDeadline() }

func (s *simClient) Tick(now time.Time) {
	s.C.Tick(now, &s.out)
	s.flush()
}

// Start starts the client at the network's current time.
func (s *simClient) Start() {
	s.C.Start(s.net.Now, &s.out)
	s.flush()
}

// Stop stops the client at the network's current time.
func (s *simClient) Stop() {
	s.C.Stop(s.net.Now, &s.out)
	s.flush()
}

func (s *simClient) flush() {
	for _, d := range s.out.Send {
		s.net.Send(s.Local, d.To, d.Payload)
	}
	for _, e := range s.out.Events {
		s.Events = append(s.Events, simEvent{At: s.net.Elapsed(), ClientEvent: e})
	}
}

// EventsOf returns the recorded events of kind k.
func (s *simClient) EventsOf(k teredo.ClientEventKind) []simEvent {
	var r []simEvent
	for _, e := range s.Events {
		if e.Kind == k {
			r = append(r, e)
		}
	}
	return r
}

// First returns the first recorded event of kind k, and whether there is
// one.
func (s *simClient) First(k teredo.ClientEventKind) (simEvent, bool) {
	for _, e := range s.Events {
		if e.Kind == k {
			return e, true
		}
	}
	return simEvent{}, false
}

// simSink is a host that records what it receives.
type simSink struct{ Got []simDatagram }

func (s *simSink) Receive(now time.Time, from, to netip.AddrPort, payload []byte) {
	s.Got = append(s.Got, simDatagram{At: now, Src: from, Dst: to, Payload: slices.Clone(payload)})
}

// TestSimNAT checks the simulator's NATs against the RFC 4787 definitions
// the Teredo tests rely on.
func TestSimNAT(t *testing.T) {
	in := netip.MustParseAddrPort("10.0.0.2:5000")
	r1 := netip.MustParseAddrPort("198.51.100.1:3544")
	r1b := netip.MustParseAddrPort("198.51.100.1:9999") // r1's address, another port
	r2 := netip.MustParseAddrPort("198.51.100.2:3544")
	r3 := netip.MustParseAddrPort("198.51.100.3:3544") // never contacted
	for _, tc := range []struct {
		b           natBehaviour
		sameMapping bool // r1 and r2 see the same external endpoint
		fromR1Port  bool // r1's address, another port, gets in
		fromR3      bool // a stranger gets in
	}{
		{natFullCone, true, true, true},
		{natRestricted, true, true, false},
		{natPortRestricted, true, false, false},
		{natSymmetric, false, false, false},
		{natSymmetricAddr, false, true, false},
		{natPortPreserving, true, false, false},
	} {
		t.Run(tc.b.Name, func(t *testing.T) {
			n := newSimNet(t)
			nat := n.AddNAT(netip.MustParseAddr("203.0.113.1"), tc.b)
			host, s1, s2, s3 := &simSink{}, &simSink{}, &simSink{}, &simSink{}
			nat.AddHost(in.Addr(), host)
			n.AddHost(r1.Addr(), s1)
			n.AddHost(r2.Addr(), s2)
			n.AddHost(r3.Addr(), s3)
			n.Send(in, r1, []byte{1})
			n.Send(in, r2, []byte{2})
			n.RunFor(0)
			require.Len(t, s1.Got, 1)
			require.Len(t, s2.Got, 1)
			m1, m2 := s1.Got[0].Src, s2.Got[0].Src
			assert.Equal(t, tc.sameMapping, m1 == m2, "%v %v", m1, m2)
			assert.Equal(t, tc.b.PortPreserving, m1.Port() == in.Port())

			n.Send(r1, m1, []byte{3})
			n.Send(r1b, m1, []byte{4})
			n.Send(r3, m1, []byte{5})
			n.RunFor(0)
			var got []byte
			for _, d := range host.Got {
				got = append(got, d.Payload[0])
				assert.Equal(t, in, d.Dst)
			}
			want := []byte{3}
			if tc.fromR1Port {
				want = append(want, 4)
			}
			if tc.fromR3 {
				want = append(want, 5)
			}
			assert.Equal(t, want, got)

			// After the timeout the binding is gone.
			n.RunFor(5 * time.Minute)
			host.Got = nil
			n.Send(r1, m1, []byte{6})
			n.RunFor(0)
			assert.Empty(t, host.Got)
			n.Send(in, r1, []byte{7})
			n.RunFor(0)
			if tc.b.PortPreserving {
				assert.Equal(t, m1, s1.Got[1].Src, "the port is free again")
			} else {
				assert.NotEqual(t, m1, s1.Got[1].Src, "a new binding")
			}
		})
	}
	t.Run("hairpin", func(t *testing.T) {
		for _, hairpin := range []bool{false, true} {
			n := newSimNet(t)
			b := natPortRestricted
			b.Hairpin = hairpin
			nat := n.AddNAT(netip.MustParseAddr("203.0.113.1"), b)
			a, c, srv := &simSink{}, &simSink{}, &simSink{}
			nat.AddHost(netip.MustParseAddr("10.0.0.2"), a)
			nat.AddHost(netip.MustParseAddr("10.0.0.3"), c)
			n.AddHost(r1.Addr(), srv)
			ca := netip.MustParseAddrPort("10.0.0.3:6000")
			n.Send(ca, r1, nil)
			n.Send(in, r1, nil)
			n.RunFor(0)
			mc := srv.Got[0].Src
			n.Send(ca, srv.Got[1].Src, []byte{1}) // c opens its binding toward a's mapping
			n.Send(in, mc, []byte{2})             // a to c's mapping
			n.RunFor(0)
			assert.Equal(t, hairpin, len(c.Got) == 1, "hairpin %v", hairpin)
		}
	})
}
