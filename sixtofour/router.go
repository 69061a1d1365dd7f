package sixtofour

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/transit6/transit6/packet"
)

// Action says what the caller does with a Result.
type Action uint8

const (
	// ActionNone: nothing to send. The packet was dropped (Err says why),
	// queued for reassembly, or consumed (a Fragmentation Needed).
	ActionNone Action = iota

	// ActionToNetwork: send Result.Packet, an IPv4 packet, to
	// Result.NextHop() (a raw IPv4 socket with IP_HDRINCL, say).
	ActionToNetwork

	// ActionToHost: deliver Result.Packet, an IPv6 packet, to the host
	// (write it to the TUN device).
	ActionToHost
)

// String returns "none", "to-network" or "to-host".
func (a Action) String() string {
	switch a {
	case ActionNone:
		return "none"
	case ActionToNetwork:
		return "to-network"
	case ActionToHost:
		return "to-host"
	}
	return "Action(?)"
}

// Result is the router's decision about one packet: an Action, a Reason,
// the Packet to act on and, where they apply, a next hop and an MTU.
//
// Packet aliases either the buffer passed in (an encapsulated or
// decapsulated packet: no copy) or a scratch buffer owned by the router (an
// ICMP error it generated, a reassembled datagram). Scratch contents stay
// valid until the next call to the same method, Outbound or Inbound; send
// or copy them before that.
//
// The other fields are packed into one word behind accessors: a Result of
// a slice and a word travels in registers and is copied without the
// store-forwarding stalls that cost a struct of small fields and netip.Addr
// values about 8 ns per packet. The zero Result is ActionNone, ReasonNone.
type Result struct {
	// Packet is the packet to send or deliver; nil for ActionNone.
	Packet []byte

	m uint64 // action | reason<<8 | mtu<<16 | next hop<<32
}

func result(a Action, reason Reason, pkt []byte, nextHop uint32, mtu int) Result {
	return Result{Packet: pkt, m: uint64(a) | uint64(reason)<<8 | uint64(uint16(mtu))<<16 | uint64(nextHop)<<32}
}

// Action says what to do with Packet.
func (r Result) Action() Action { return Action(r.m) }

// Reason is the accepted path or the refusal; see Reason.
func (r Result) Reason() Reason { return Reason(r.m >> 8) }

// MTU returns the new path MTU for ReasonPMTUUpdated, and the tunnel MTU
// announced in a Packet Too Big for ReasonPacketTooBig; 0 otherwise.
func (r Result) MTU() int { return int(uint16(r.m >> 16)) }

// NextHop returns the outer IPv4 destination of an ActionToNetwork
// result, and for ReasonPMTUUpdated the peer whose path MTU changed; the
// zero Addr otherwise.
func (r Result) NextHop() netip.Addr {
	if v := uint32(r.m >> 32); v != 0 {
		return v4Addr(v)
	}
	return netip.Addr{}
}

// Err returns the sentinel error of Reason whenever the input packet was
// refused, also when Action carries an ICMP error about it (Packet Too
// Big, ICMPv6 or ICMPv4 Destination Unreachable); nil otherwise.
func (r Result) Err() error { return r.Reason().Err() }

// String describes r for logs: action, reason, next hop and MTU when set,
// and the packet's length.
func (r Result) String() string {
	s := r.Action().String() + " " + r.Reason().String()
	if a := r.NextHop(); a.IsValid() {
		s += " next-hop " + a.String()
	}
	if m := r.MTU(); m != 0 {
		s += " mtu " + strconv.Itoa(m)
	}
	return s + " len " + strconv.Itoa(len(r.Packet))
}

// Router is the sans-IO protocol-41 engine of one tunnel: it encapsulates
// IPv6 packets from the host for the network (Outbound) and decapsulates
// IPv4 packets from the network for the host (Inbound), applying the
// mechanism's policy, the MTU rules and the ICMP translations, and counting
// every decision. It owns no sockets and no goroutines, reads no clock (the
// time comes in as now) and does not allocate per packet.
//
// Inbound also takes the ICMPv4 errors that routers send about our
// packets: on Linux they reach a raw ICMP socket, not the protocol-41 one,
// so the I/O side feeds both to Inbound.
//
// Outbound and Inbound may run at the same time on two goroutines, but
// each must be called by one goroutine at a time; Expire belongs with
// Inbound, TooBigForLink with Outbound. Counters, Policy, PathMTU and MTU
// may be called from anywhere.
type Router struct {
	pol      *Policy
	mtu      int // configured tunnel MTU, 0: follow the path MTU
	pathMTU  int
	noPMTU   bool
	decapECN DecapECN
	unreach  bool

	pmtu pmtuCache

	out struct {
		outer   OuterPolicy
		src     uint32
		id      uint16
		limiter rateLimiter
		scratch []byte
	}
	in struct {
		limiter rateLimiter
		scratch []byte
		reasm   *Reassembler
		seen    ReassemblyStats
	}
	counts [2]counters
}

// NewRouter returns a router for the tunnel cfg describes (see Config and
// NewPolicy). It returns an error wrapping [ErrInvalidConfig] for an
// unusable configuration. It allocates the router's scratch buffers; its
// methods then do not allocate.
func NewRouter(cfg Config) (*Router, error) {
	pol, err := NewPolicy(&cfg)
	if err != nil {
		return nil, err
	}
	if cfg.MTU != 0 && (cfg.MTU < MinTunnelMTU || cfg.MTU > MaxTunnelMTU) {
		return nil, fmt.Errorf("%w: MTU %d outside %d..%d", ErrInvalidConfig, cfg.MTU, MinTunnelMTU, MaxTunnelMTU)
	}
	if cfg.PathMTU == 0 {
		cfg.PathMTU = DefaultPathMTU
	}
	if _, _, err := TunnelMTU(cfg.PathMTU); err != nil || cfg.PathMTU > packet.IPv4MaxLen {
		return nil, fmt.Errorf("%w: path MTU %d outside 88..65535", ErrInvalidConfig, cfg.PathMTU)
	}
	r := &Router{
		pol:      pol,
		mtu:      cfg.MTU,
		pathMTU:  cfg.PathMTU,
		noPMTU:   cfg.NoPMTUDisc,
		decapECN: cfg.DecapECN,
		unreach:  cfg.ICMPv4Unreachable,
	}
	if !cfg.NoReassembly {
		if r.in.reasm, err = NewReassembler(cfg.Reassembly); err != nil {
			return nil, err
		}
	}
	rate, burst := cfg.ICMPRate, cfg.ICMPBurst
	if rate == 0 {
		rate = DefaultICMPRate
	}
	if burst <= 0 {
		burst = DefaultICMPBurst
	}
	r.out.limiter = newRateLimiter(rate, burst)
	r.in.limiter = newRateLimiter(rate, burst)
	r.out.outer, r.out.src, r.out.id = cfg.Outer, pol.local, cfg.IDSeed
	r.out.scratch = make([]byte, 0, packet.IPv6MinMTU)
	r.in.scratch = make([]byte, 0, packet.IPv6MinMTU)
	return r, nil
}

// Policy returns the router's compiled policy: its addresses and checks.
func (r *Router) Policy() *Policy { return r.pol }

// PathMTU returns the IPv4 path MTU toward peer at time now: the one an
// unexpired Fragmentation Needed set, else Config.PathMTU.
func (r *Router) PathMTU(peer netip.Addr, now time.Time) int {
	return r.pathMTUFor(v4U32(peer), now)
}

// MTU returns the IPv6 MTU of the tunnel toward peer at time now, and
// whether packets to it get DF: TunnelMTU of PathMTU, capped by
// Config.MTU; with NoPMTUDisc, Config.MTU (or MaxTunnelMTU) without DF. It
// returns ErrMTUTooSmall if the path cannot carry the tunnel.
func (r *Router) MTU(peer netip.Addr, now time.Time) (int, bool, error) {
	return r.tunnelMTU(v4U32(peer), now)
}

func (r *Router) tunnelMTU(peer uint32, now time.Time) (int, bool, error) {
	if r.noPMTU {
		if r.mtu > 0 {
			return r.mtu, false, nil
		}
		return MaxTunnelMTU, false, nil
	}
	mtu, df, err := TunnelMTU(r.pathMTUFor(peer, now))
	if err != nil {
		return 0, false, err
	}
	if r.mtu > 0 && r.mtu < mtu {
		mtu = r.mtu
	}
	return mtu, df, nil
}

func (r *Router) pathMTUFor(peer uint32, now time.Time) int {
	if m, ok := r.pmtu.lookup(peer, now); ok && m < r.pathMTU {
		return m
	}
	return r.pathMTU
}

// Counters returns a snapshot of the counters.
func (r *Router) Counters() Counters {
	var c Counters
	for d := range c.n {
		for i := range c.n[d] {
			c.n[d][i] = r.counts[d].n[i].Load()
		}
	}
	return c
}

func (r *Router) count(d Direction, reason Reason) { r.counts[d].n[reason].Add(1) }

// drop counts and returns a refusal.
func (r *Router) drop(d Direction, err error) Result {
	reason := reasonOf(err)
	r.count(d, reason)
	return result(ActionNone, reason, nil, 0, 0)
}

// Outbound handles one IPv6 packet from the host, at buf[off:] with
// Headroom free bytes (at least) in front of it, and returns what to do:
//
//   - ActionToNetwork: Packet is the protocol-41 packet, encapsulated in
//     place (buf[off-20 : off+len], nothing copied), for NextHop();
//     the Reason is ReasonSentDirect or ReasonSentRelay.
//   - ActionToHost: an ICMPv6 error for the host, in the router's scratch
//     buffer: a Packet Too Big announcing MTU() for a packet larger than
//     the tunnel MTU (RFC 4213 §3.2; Err() is ErrPacketTooBig), or a
//     Destination Unreachable, code 0 (no route) for ErrNoRoute and code 3
//     (address unreachable, as Linux reports a link failure) for
//     ErrNonGlobalAddress and ErrRoutingLoop. ICMPv6 errors are rate
//     limited and obey RFC 4443 §2.4(e); when one is not sent the result is
//     a plain drop.
//   - ActionNone: dropped; Err() says why (see Policy.NextHop, TunnelMTU,
//     Encapsulate).
//
// The outer header follows Config.Outer; its ID counts up from
// Config.IDSeed; DF follows TunnelMTU unless NoPMTUDisc. Bytes after the
// IPv6 packet (past its Payload Length) are left out. It does not allocate.
func (r *Router) Outbound(now time.Time, buf []byte, off int) Result {
	if off < Headroom || off > len(buf) {
		return r.drop(Outbound, packet.ErrNoHeadroom)
	}
	n, err := innerLen(buf[off:])
	if err != nil {
		return r.drop(Outbound, err)
	}
	inner := buf[off : off+n]
	v4, viaRelay, err := r.pol.nextHop(inner)
	if err != nil {
		switch err {
		case ErrNoRoute:
			return r.icmpv6Out(now, err, packet.ICMPv6DestUnreachable, packet.ICMPv6NoRoute, 0, inner)
		case ErrNonGlobalAddress, ErrRoutingLoop:
			return r.icmpv6Out(now, err, packet.ICMPv6DestUnreachable, packet.ICMPv6AddressUnreachable, 0, inner)
		}
		return r.drop(Outbound, err)
	}
	mtu, df, err := r.tunnelMTU(v4, now)
	if err != nil {
		return r.drop(Outbound, err)
	}
	if n > mtu {
		res := r.icmpv6Out(now, ErrPacketTooBig, packet.ICMPv6PacketTooBig, 0, uint32(mtu), inner)
		return result(res.Action(), res.Reason(), res.Packet, 0, mtu)
	}
	// n ≤ mtu ≤ MaxTunnelMTU, and both addresses are IPv4: Encapsulate's
	// checks have passed.
	putHeader(buf[off-Headroom:off], inner, n, &r.out.outer, r.out.src, v4, r.out.id, df)
	r.out.id++
	reason := ReasonSentDirect
	if viaRelay {
		reason = ReasonSentRelay
	}
	r.count(Outbound, reason)
	return result(ActionToNetwork, reason, buf[off-Headroom:off+n], v4, 0)
}

// icmpv6Out answers the refused outbound packet inner with an ICMPv6 error
// from the tunnel address, if allowed.
func (r *Router) icmpv6Out(now time.Time, cause error, typ, code uint8, param uint32, inner []byte) Result {
	res := r.drop(Outbound, cause)
	out, err := appendICMPv6Error(r.out.scratch[:0], r.pol.addr6, typ, code, param, inner, typ == packet.ICMPv6PacketTooBig)
	if err != nil {
		return res
	}
	if !r.out.limiter.allow(now) {
		r.count(Outbound, ReasonICMPRateLimited)
		return res
	}
	r.count(Outbound, ReasonICMPv6Sent)
	return result(ActionToHost, res.Reason(), out, 0, 0)
}

// TooBigForLink takes back a packet Outbound sent to the network
// (ActionToNetwork) that the network refused as longer than linkMTU, the
// MTU of the IPv4 route toward its next hop. That is what a raw socket with
// IP_HDRINCL does with any packet longer than its route's MTU, DF or not:
// Linux returns EMSGSIZE and neither sends nor fragments it. pkt is the
// Result.Packet, unmodified; linkMTU is the route's MTU (see
// netcfg.Handle.RouteMTU), larger than 0.
//
// The packet is no longer counted as sent (ReasonSentDirect or
// ReasonSentRelay); linkMTU becomes the path MTU toward its next hop, as a
// Fragmentation Needed would make it (for PMTUTimeout, only ever lowered),
// so the next oversize packet gets a Packet Too Big from Outbound; and the
// packet itself is answered as Outbound answers a packet over the tunnel
// MTU, as Linux's sit checks every packet against its route's MTU before
// sending (the notes' §1.2):
//
//   - ActionToHost with ReasonPacketTooBig: an ICMPv6 Packet Too Big for
//     the host, announcing MTU() = TunnelMTU(linkMTU) capped by
//     Config.MTU, in the router's scratch buffer (valid until the next
//     Outbound or TooBigForLink; rate limited, ActionNone when the limit
//     or RFC 4443 §2.4(e) says no).
//   - ActionNone with ReasonMTUTooSmall: the packet fits that MTU (which
//     is 1280 when the route's MTU is below 1300: the tunnel MTU cannot go
//     lower, and DF would be clear) and still does not fit the link, or
//     the link is narrower than 88 bytes. Linux fragments such a packet in
//     the kernel; a raw socket cannot.
//   - ActionNone with the decoder's reason (ReasonTruncated,
//     ReasonBadVersion, ReasonBadIHL, ReasonNotProto41,
//     ReasonInnerTruncated, ...) when pkt is not a protocol-41 packet with
//     a 20-byte header: nothing is taken back.
//
// Call it from the goroutine that calls Outbound. It does not allocate.
func (r *Router) TooBigForLink(now time.Time, pkt []byte, linkMTU int) Result {
	switch {
	case len(pkt) < packet.IPv4HeaderLen:
		return r.drop(Outbound, packet.ErrTruncated)
	case pkt[0]>>4 != 4:
		return r.drop(Outbound, packet.ErrBadVersion)
	case pkt[0]&0x0f != 5:
		return r.drop(Outbound, packet.ErrBadIHL)
	case pkt[9] != packet.ProtoIPv6:
		return r.drop(Outbound, ErrNotProto41)
	}
	inner := pkt[packet.IPv4HeaderLen:]
	n, err := innerLen(inner)
	if err != nil {
		return r.drop(Outbound, err)
	}
	inner = inner[:n]
	if _, viaRelay, err := r.pol.nextHop(inner); err == nil {
		sent := ReasonSentDirect
		if viaRelay {
			sent = ReasonSentRelay
		}
		r.counts[Outbound].n[sent].Add(^uint64(0)) // minus one
	}
	peer := binary.BigEndian.Uint32(pkt[16:20])
	if linkMTU > 0 && linkMTU < r.pathMTUFor(peer, now) {
		r.pmtu.update(peer, linkMTU, now)
	}
	mtu, _, err := TunnelMTU(linkMTU)
	if r.mtu > 0 && r.mtu < mtu {
		mtu = r.mtu
	}
	if err != nil || n <= mtu {
		return r.drop(Outbound, ErrMTUTooSmall)
	}
	res := r.icmpv6Out(now, ErrPacketTooBig, packet.ICMPv6PacketTooBig, 0, uint32(mtu), inner)
	return result(res.Action(), res.Reason(), res.Packet, 0, mtu)
}

// Inbound handles one IPv4 packet from the network, at the start of pkt
// (bytes after its Total Length are ignored), and returns what to do:
//
//   - ActionToHost with ReasonReceivedDirect or ReasonReceivedRelay:
//     Packet is the inner IPv6 packet, a sub-slice of pkt (or of the
//     reassembly buffer when pkt completed a fragmented datagram) whose
//     ECN field was rewritten in place by the RFC 6040 table (see
//     Decapsulate; pkt is modified).
//   - ActionToHost with ReasonICMPTranslated: pkt was an ICMPv4 error
//     quoting one of our packets; Packet is its ICMPv6 translation for the
//     original IPv6 source, in the router's scratch buffer (see
//     ICMPv4Error.AppendICMPv6).
//   - ActionNone with ReasonPMTUUpdated: pkt was a Fragmentation Needed;
//     the path MTU toward NextHop() is now MTU() (RFC 1191, floored at
//     MinPathMTU) for PMTUTimeout, and the next oversize packet toward it
//     gets a Packet Too Big.
//   - ActionNone with ReasonFragmentQueued: an outer fragment was stored.
//   - ActionToNetwork: pkt matched no tunnel (ErrNoTunnel,
//     ErrNotFromRemote) and Config.ICMPv4Unreachable is set; Packet is an
//     ICMPv4 port unreachable for NextHop(), its source, in the scratch
//     buffer (rate limited).
//   - ActionNone otherwise: dropped, Err() says why (see Decapsulate,
//     Reassembler.Add, Policy.CheckInbound, ParseICMPv4Error).
//
// As in Linux, the headers are validated (Decapsulate's checks) before the
// packet is matched to the tunnel, so a malformed packet is refused for its
// form even when it is not for us. It does not allocate (the reassembler allocates a slot's buffer the
// first time the slot is used).
func (r *Router) Inbound(now time.Time, pkt []byte) Result {
	// Policy.Decapsulate accepts exactly what the router delivers, and
	// delivers it the same way; undecapsulated sorts out its refusals.
	inner, _, err := r.pol.Decapsulate(pkt, r.decapECN)
	if err != nil {
		var res Result
		if pkt, inner, res = r.undecapsulated(now, pkt, err); inner == nil {
			return res
		}
	}
	reason := ReasonReceivedDirect
	if r.pol.viaRelay(binary.BigEndian.Uint32(pkt[12:16]), inner) {
		reason = ReasonReceivedRelay
	}
	r.count(Inbound, reason)
	return result(ActionToHost, reason, inner, 0, 0)
}

// undecapsulated handles a packet Policy.Decapsulate refused with err: an
// ICMPv4 error, an outer fragment, a refusal. It returns the result, or
// for a fragment that completed a datagram Policy.Decapsulate accepts, the
// datagram and its inner packet.
//
// The router puts the policy before the ECN table, as Linux's sit driver
// does (its ECN step comes last): an ErrECNDrop is reported only if the
// policy accepts the packet. A packet for no tunnel may get an ICMPv4
// error.
func (r *Router) undecapsulated(now time.Time, pkt []byte, err error) (dg, inner []byte, res Result) {
	switch err {
	case ErrNotProto41:
		if pkt[9] == packet.ProtoICMP {
			return nil, nil, r.inboundICMP(now, pkt)
		}
	case ErrFragmented:
		res, ok := r.fragment(now, pkt)
		if !ok {
			return nil, nil, res
		}
		pkt = res.Packet
		if inner, _, err = r.pol.Decapsulate(pkt, r.decapECN); err == nil {
			return pkt, inner, Result{}
		}
	}
	if err == ErrECNDrop { // decap accepted pkt
		hl := int(pkt[0]&0x0f) * 4
		inner := pkt[hl : hl+packet.IPv6HeaderLen+int(binary.BigEndian.Uint16(pkt[hl+4:]))]
		if _, perr := r.pol.checkInbound(binary.BigEndian.Uint32(pkt[12:16]), binary.BigEndian.Uint32(pkt[16:20]), inner); perr != nil {
			err = perr
		}
	}
	if err == ErrNoTunnel || err == ErrNotFromRemote {
		return nil, nil, r.noTunnel(now, err, pkt)
	}
	return nil, nil, r.drop(Inbound, err)
}

// fragment offers an outer fragment, whose header decap validated, to the
// reassembler. It returns the result for the caller and false, or the
// reassembled datagram (validated like any packet) in Packet and true.
func (r *Router) fragment(now time.Time, pkt []byte) (Result, bool) {
	odst := binary.BigEndian.Uint32(pkt[16:20])
	if odst != r.pol.local {
		return r.noTunnel(now, ErrNoTunnel, pkt), false
	}
	if r.pol.mech == SixInFour && binary.BigEndian.Uint32(pkt[12:16]) != r.pol.remote {
		return r.noTunnel(now, ErrNotFromRemote, pkt), false
	}
	if r.in.reasm == nil {
		return r.drop(Inbound, ErrFragmented), false
	}
	ip, _ := packet.ParseIPv4(pkt) // cannot fail: decap checked the header
	dg, done, err := r.in.reasm.Add(now, ip)
	r.reasmEvents()
	if err != nil {
		return r.drop(Inbound, err), false
	}
	if !done {
		r.count(Inbound, ReasonFragmentQueued)
		return result(ActionNone, ReasonFragmentQueued, nil, 0, 0), false
	}
	if _, err := decap(dg); err != nil {
		return r.drop(Inbound, err), false
	}
	return result(ActionNone, ReasonNone, dg, 0, 0), true
}

// reasmEvents moves the reassembler's new timeouts, evictions and
// completions into the counters.
func (r *Router) reasmEvents() {
	s := r.in.reasm.Stats()
	r.counts[Inbound].n[ReasonReassemblyTimeout].Add(s.Timeouts - r.in.seen.Timeouts)
	r.counts[Inbound].n[ReasonReassemblyMemory].Add(s.Evicted - r.in.seen.Evicted)
	r.counts[Inbound].n[ReasonReassembled].Add(s.Completed - r.in.seen.Completed)
	r.in.seen = s
}

// Expire discards reassembly state older than its timeout and path MTUs
// older than PMTUTimeout. Both also expire lazily; call Expire when traffic
// is idle to release them. Call it from the goroutine that calls Inbound.
func (r *Router) Expire(now time.Time) {
	if r.in.reasm != nil {
		r.in.reasm.Expire(now)
		r.reasmEvents()
	}
	r.pmtu.expire(now)
}

// noTunnel refuses a packet no tunnel accepts, answering it with an ICMPv4
// port unreachable when configured (the notes' §10 item 16).
func (r *Router) noTunnel(now time.Time, cause error, pkt []byte) Result {
	res := r.drop(Inbound, cause)
	if !r.unreach {
		return res
	}
	ip, err := packet.ParseIPv4(pkt)
	if err != nil {
		return res
	}
	out, err := appendICMPv4Unreachable(r.in.scratch[:0], r.pol.Local(), icmpv4PortUnreach, ip)
	if err != nil {
		return res
	}
	if !r.in.limiter.allow(now) {
		r.count(Inbound, ReasonICMPRateLimited)
		return res
	}
	r.count(Inbound, ReasonICMPv4Sent)
	return result(ActionToNetwork, res.Reason(), out, v4U32(ip.Src()), 0)
}

// inboundICMP handles an ICMPv4 packet: an error about one of our packets
// lowers a path MTU or becomes an ICMPv6 error for the host.
func (r *Router) inboundICMP(now time.Time, pkt []byte) Result {
	e, err := ParseICMPv4Error(pkt)
	if err != nil {
		return r.drop(Inbound, err)
	}
	if v4U32(e.QuotedSrc) != r.pol.local || (r.pol.mech == SixInFour && v4U32(e.QuotedDst) != r.pol.remote) {
		return r.drop(Inbound, ErrQuoteNotOurs)
	}
	if m, ok := e.PathMTU(); ok {
		m = max(m, MinPathMTU)
		peer := v4U32(e.QuotedDst)
		if m < r.pathMTU {
			r.pmtu.update(peer, m, now)
		}
		r.count(Inbound, ReasonPMTUUpdated)
		return result(ActionNone, ReasonPMTUUpdated, nil, peer, r.pathMTUFor(peer, now))
	}
	out, err := e.AppendICMPv6(r.in.scratch[:0])
	if err != nil {
		return r.drop(Inbound, err)
	}
	if !r.in.limiter.allow(now) {
		r.count(Inbound, ReasonICMPRateLimited)
		return r.drop(Inbound, ErrICMPSuppressed)
	}
	r.count(Inbound, ReasonICMPTranslated)
	r.count(Inbound, ReasonICMPv6Sent)
	return result(ActionToHost, ReasonICMPTranslated, out, 0, 0)
}

// rateLimiter is a token bucket over the caller's clock.
type rateLimiter struct {
	unlimited bool
	interval  int64 // nanoseconds per token
	capacity  int64 // nanoseconds of credit, burst tokens
	credit    int64
	last      int64
}

func newRateLimiter(perSecond, burst int) rateLimiter {
	if perSecond < 0 {
		return rateLimiter{unlimited: true}
	}
	iv := int64(time.Second) / int64(perSecond)
	return rateLimiter{interval: iv, capacity: iv * int64(burst), credit: iv * int64(burst)}
}

// allow reports whether one more message may go at now, and takes its token.
func (l *rateLimiter) allow(now time.Time) bool {
	if l.unlimited {
		return true
	}
	t := now.UnixNano()
	if l.last != 0 && t > l.last {
		l.credit = min(l.capacity, l.credit+(t-l.last))
	}
	if l.last == 0 || t > l.last {
		l.last = t
	}
	if l.credit < l.interval {
		return false
	}
	l.credit -= l.interval
	return true
}

// pmtuCacheSize bounds the path MTUs remembered; the entry expiring first
// makes room for a new one.
const pmtuCacheSize = 64

type pmtuEntry struct {
	peer    uint32
	mtu     int
	expires int64 // UnixNano; 0: free
}

// pmtuCache holds the path MTUs learned from Fragmentation Needed messages.
// Inbound writes it and Outbound reads it, so it is locked; the live count
// lets Outbound skip the lock while no path MTU is known, the usual case.
type pmtuCache struct {
	live atomic.Int32
	mu   sync.Mutex
	e    [pmtuCacheSize]pmtuEntry
}

func (c *pmtuCache) lookup(peer uint32, now time.Time) (int, bool) {
	if c.live.Load() == 0 {
		return 0, false
	}
	t := now.UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.e {
		e := &c.e[i]
		if e.expires != 0 && e.peer == peer {
			if t >= e.expires {
				*e = pmtuEntry{}
				c.live.Add(-1)
				return 0, false
			}
			return e.mtu, true
		}
	}
	return 0, false
}

func (c *pmtuCache) update(peer uint32, mtu int, now time.Time) {
	t := now.UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	var slot *pmtuEntry
	for i := range c.e {
		e := &c.e[i]
		if e.expires != 0 && t >= e.expires {
			*e = pmtuEntry{}
			c.live.Add(-1)
		}
		if e.expires != 0 && e.peer == peer {
			e.mtu = min(e.mtu, mtu)
			e.expires = t + int64(PMTUTimeout)
			return
		}
		if slot == nil || (slot.expires != 0 && (e.expires == 0 || e.expires < slot.expires)) {
			slot = e
		}
	}
	if slot.expires == 0 {
		c.live.Add(1)
	}
	*slot = pmtuEntry{peer: peer, mtu: mtu, expires: t + int64(PMTUTimeout)}
}

func (c *pmtuCache) expire(now time.Time) {
	t := now.UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.e {
		if e := &c.e[i]; e.expires != 0 && t >= e.expires {
			*e = pmtuEntry{}
			c.live.Add(-1)
		}
	}
}
