package iphttps

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/packet"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newTestRouter(tb testing.TB, mutate func(*RouterConfig)) *Router {
	tb.Helper()
	cfg := RouterConfig{Prefix: testPrefix}
	if mutate != nil {
		mutate(&cfg)
	}
	r, err := NewRouter(cfg)
	require.NoError(tb, err)
	return r
}

func attach(tb testing.TB, r *Router) *Session {
	tb.Helper()
	s, err := r.Attach(t0, SessionInfo{})
	require.NoError(tb, err)
	return s
}

// clients attaches a client for each iid with online, then empties every
// queue (in mode Certificates the later clients' RS and DAD reach the
// earlier ones).
func clients(tb testing.TB, r *Router, iids ...uint64) []*Session {
	tb.Helper()
	var ss []*Session
	for _, iid := range iids {
		ss = append(ss, online(tb, r, iid))
	}
	for _, s := range ss {
		drain(tb, s)
	}
	return ss
}

// online attaches a client and makes the router learn its link-local and
// global addresses (fe80::iid and the prefix with iid) from an RS and a
// DAD probe, as a real client's first packets do; it empties its queue.
func online(tb testing.TB, r *Router, iid uint64) *Session {
	tb.Helper()
	s := attach(tb, r)
	v, why := r.FromClient(t0, s, rsPkt(tb, llAddr(iid)))
	require.Equal(tb, VerdictLocal, v, why.String())
	// The DAD probe claims the address in mode None; in mode Certificates
	// the first packet from it does.
	r.FromClient(t0, s, dadPkt(tb, addrIn(iid)))
	if _, ok := r.Owner(addrIn(iid)); !ok {
		v, why = r.FromClient(t0, s, udpPkt(tb, addrIn(iid), netip.MustParseAddr("2001:db8:ffff::1"), 8))
		require.Equal(tb, VerdictNative, v, why.String())
	}
	o, ok := r.Owner(addrIn(iid))
	require.True(tb, ok)
	require.Same(tb, s, o)
	drain(tb, s)
	return s
}

// The Router Advertisement of the default configuration is the example of
// iphttps.md report section 1.4, whose checksum was computed independently.
func TestRouterAdvertisementMatchesNotes(t *testing.T) {
	r := newTestRouter(t, nil)
	assert.Equal(t, hx(t, vecRA), r.AppendRA(nil))

	// And it parses as what the configuration says.
	ip, err := packet.ParseIPv6(r.AppendRA(nil))
	require.NoError(t, err)
	msg, err := packet.ParseICMPv6(ip)
	require.NoError(t, err)
	ra, err := packet.ParseRouterAdvertisement(msg)
	require.NoError(t, err)
	mtu, ok := ra.MTU()
	assert.True(t, ok)
	assert.Equal(t, uint32(1280), mtu)
	pi, n := ra.PrefixInfo()
	assert.Equal(t, 1, n)
	assert.Equal(t, packet.PrefixInfo{Prefix: testPrefix, OnLink: true, Autonomous: true, ValidLifetime: 2592000, PreferredLifetime: 14400}, pi)
	assert.Equal(t, uint16(1800), ra.RouterLifetime())
}

// The notes' Router Solicitation gets the notes' Router Advertisement.
func TestRouterSolicitation(t *testing.T) {
	for _, mode := range []AuthMode{AuthNone, AuthCertificates} {
		t.Run(mode.String(), func(t *testing.T) {
			r := newTestRouter(t, func(c *RouterConfig) { c.Mode = mode })
			s := attach(t, r)
			v, why := r.FromClient(t0, s, hx(t, vecRS))
			require.Equal(t, VerdictLocal, v, why.String())
			assert.Equal(t, [][]byte{hx(t, vecRA)}, drain(t, s))

			// Also from ::, and unicast to the router.
			v, _ = r.FromClient(t0, s, rsPkt(t, unspecified))
			assert.Equal(t, VerdictLocal, v)
			rs := must(t)(packet.AppendRouterSolicitation(nil, llAddr(0x1234_5678_9abc_def0), netip.MustParseAddr("fe80::1"), nil))
			v, _ = r.FromClient(t0, s, rs)
			assert.Equal(t, VerdictLocal, v)
			assert.Len(t, drain(t, s), 2)
		})
	}
}

func TestRouterUnicastBetweenClients(t *testing.T) {
	for _, mode := range []AuthMode{AuthNone, AuthCertificates} {
		t.Run(mode.String(), func(t *testing.T) {
			r := newTestRouter(t, func(c *RouterConfig) { c.Mode = mode })
			ss := clients(t, r, 0xa, 0xb)
			a, b := ss[0], ss[1]
			p := echoReq(t, addrIn(0xa), addrIn(0xb), 1)
			v, why := r.FromClient(t0, a, p)
			require.Equal(t, VerdictQueued, v, why.String())
			assert.Equal(t, [][]byte{p}, drain(t, b), "forwarded unchanged")
			assert.Empty(t, drain(t, a))

			// Off-link goes to the native side, untouched.
			v, _ = r.FromClient(t0, b, echoReq(t, addrIn(0xb), netip.MustParseAddr("2001:db8:ffff::1"), 2))
			assert.Equal(t, VerdictNative, v)

			// An address in the prefix nobody holds.
			v, why = r.FromClient(t0, a, echoReq(t, addrIn(0xa), addrIn(0xc), 3))
			assert.Equal(t, VerdictDrop, v)
			assert.Equal(t, DropNoRoute, why)
		})
	}
}

// Mode None, [MS-IPHTTPS] §3.2.5.2.2, and the abuse cases of iphttps.md
// report section 9, case 8.
func TestRouterModeNoneAbuse(t *testing.T) {
	ext := netip.MustParseAddr("2001:db8:ffff::1")
	for _, tc := range []struct {
		name string
		pkt  func(t *testing.T) []byte
		why  DropReason
	}{
		{"link-local unicast to another client", func(t *testing.T) []byte { return echoReq(t, llAddr(0xa), llAddr(0xb), 1) }, DropLinkLocal},
		{"link-local unicast to an unknown address", func(t *testing.T) []byte { return echoReq(t, llAddr(0xa), llAddr(0xc), 1) }, DropLinkLocal},
		{"multicast echo to all-nodes", func(t *testing.T) []byte { return echoReq(t, addrIn(0xa), allNodes, 1) }, DropMulticast},
		{"multicast UDP (mDNS)", func(t *testing.T) []byte { return udpPkt(t, llAddr(0xa), netip.MustParseAddr("ff02::fb"), 20) }, DropMulticast},
		{"address resolution NS for another client", func(t *testing.T) []byte {
			return nsPkt(t, addrIn(0xa), solicitedNode(addrIn(0xb)), addrIn(0xb))
		}, DropMulticast},
		{"multicast NA for another client's address", func(t *testing.T) []byte {
			return naPkt(t, addrIn(0xa), allNodes, addrIn(0xb), packet.NAFlagOverride)
		}, DropRogueND},
		{"unicast NA for another client's address", func(t *testing.T) []byte {
			return naPkt(t, addrIn(0xa), addrIn(0xb), addrIn(0xb), packet.NAFlagOverride|packet.NAFlagSolicited)
		}, DropRogueND},
		{"NA for the router's address", func(t *testing.T) []byte {
			return naPkt(t, llAddr(0xa), allNodes, netip.MustParseAddr("fe80::1"), packet.NAFlagOverride)
		}, DropRogueND},
		{"source of another client", func(t *testing.T) []byte { return udpPkt(t, addrIn(0xb), ext, 8) }, DropSpoofedSource},
		{"source of another client's link-local", func(t *testing.T) []byte { return rsPkt(t, llAddr(0xb)) }, DropSpoofedSource},
		{"source of the router", func(t *testing.T) []byte { return udpPkt(t, netip.MustParseAddr("fe80::1"), ext, 8) }, DropSpoofedSource},
		{"source outside the prefix", func(t *testing.T) []byte { return udpPkt(t, netip.MustParseAddr("2001:db8:2::1"), ext, 8) }, DropBadSource},
		{"unspecified source on data", func(t *testing.T) []byte { return udpPkt(t, unspecified, ext, 8) }, DropBadSource},
		{"multicast source", func(t *testing.T) []byte { return udpPkt(t, allNodes, ext, 8) }, DropBadSource},
		{"router advertisement", func(t *testing.T) []byte { return raPkt(t, llAddr(0xa)) }, DropRogueND},
		{"redirect", func(t *testing.T) []byte {
			msg := []byte{packet.ICMPv6Redirect, 0, 0, 0, 0, 0, 0, 0}
			msg = append(msg, addrIn(0xb).AsSlice()...)
			msg = append(msg, addrIn(0xb).AsSlice()...)
			h := packet.IPv6Header{NextHeader: packet.ProtoICMPv6, HopLimit: 255, Src: llAddr(0xa), Dst: llAddr(0xb)}
			return append(must(t)(h.AppendTo(nil, len(msg))), msg...)
		}, DropRogueND},
		{"loopback destination", func(t *testing.T) []byte { return udpPkt(t, addrIn(0xa), netip.IPv6Loopback(), 8) }, DropBadDestination},
		{"IPv4-mapped destination", func(t *testing.T) []byte {
			return udpPkt(t, addrIn(0xa), netip.MustParseAddr("::ffff:192.0.2.1"), 8)
		}, DropBadDestination},
		{"TCP to the router", func(t *testing.T) []byte {
			h := packet.IPv6Header{NextHeader: packet.ProtoTCP, HopLimit: 64, Src: addrIn(0xa), Dst: netip.MustParseAddr("fe80::1")}
			return append(must(t)(h.AppendTo(nil, 20)), make([]byte, 20)...)
		}, DropNotForRouter},
		{"RS with hop limit 64", func(t *testing.T) []byte {
			p := rsPkt(t, llAddr(0xa))
			p[7] = 64 // RFC 4861 §6.1.1: hop limit must be 255
			return p
		}, DropInvalidND},
		{"truncated packet", func(t *testing.T) []byte { return udpPkt(t, addrIn(0xa), ext, 8)[:44] }, DropMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestRouter(t, nil)
			a, b := online(t, r, 0xa), online(t, r, 0xb)
			before := r.Dropped(tc.why)
			v, why := r.FromClient(t0, a, tc.pkt(t))
			assert.Equal(t, VerdictDrop, v)
			assert.Equal(t, tc.why, why)
			assert.Equal(t, before+1, r.Dropped(tc.why), "counted")
			assert.Empty(t, drain(t, a))
			assert.Empty(t, drain(t, b), "nothing reaches the other client")
		})
	}
}

// [MS-IPHTTPS] §3.2.5.2.2: a DAD probe for an address another client holds
// is answered by the server with a multicast NA "as if the IP-HTTPS server
// were the client with the target address": Router flag clear, no Target
// Link-Layer option, sent back on the prober's connection, not forwarded.
func TestRouterModeNoneDADProxy(t *testing.T) {
	r := newTestRouter(t, nil)
	a, b := online(t, r, 0xa), online(t, r, 0xb)
	target := addrIn(0xb)
	v, why := r.FromClient(t0, a, dadPkt(t, target))
	require.Equal(t, VerdictLocal, v, why.String())
	assert.Empty(t, drain(t, b), "not forwarded to the owner")

	got := drain(t, a)
	require.Len(t, got, 1)
	ip, err := packet.ParseIPv6(got[0])
	require.NoError(t, err)
	assert.Equal(t, target, ip.Src(), "as if from the owner")
	assert.Equal(t, allNodes, ip.Dst(), "multicast (RFC 4861 §7.2.4)")
	assert.Equal(t, uint8(255), ip.HopLimit())
	msg, err := packet.ParseICMPv6(ip)
	require.NoError(t, err, "checksum verifies")
	na, err := packet.ParseNeighborAdvertisement(msg)
	require.NoError(t, err)
	assert.Equal(t, target, na.Target())
	assert.False(t, na.Router(), "Router flag MUST NOT be set")
	assert.False(t, na.Solicited(), "answer to DAD: Solicited clear")
	assert.True(t, na.Override())
	_, hasTLLA := na.TargetLinkLayerAddr()
	assert.False(t, hasTLLA, "no Target Link-Layer option")
	assert.Len(t, got[0], 40+24, "no option at all")

	// A probe for a free address claims it for the prober: a second prober
	// gets the NA, and the first may use it.
	free := addrIn(0xf)
	v, _ = r.FromClient(t0, a, dadPkt(t, free))
	assert.Equal(t, VerdictLocal, v)
	assert.Empty(t, drain(t, a), "no answer: the address is free")
	v, _ = r.FromClient(t0, b, dadPkt(t, free))
	assert.Equal(t, VerdictLocal, v)
	got = drain(t, b)
	require.Len(t, got, 1)
	ip, _ = packet.ParseIPv6(got[0])
	assert.Equal(t, free, ip.Src())
	v, why = r.FromClient(t0, b, udpPkt(t, free, addrIn(0xa), 8))
	assert.Equal(t, DropSpoofedSource, why, v.String())
	v, _ = r.FromClient(t0, a, udpPkt(t, free, addrIn(0xb), 8))
	assert.Equal(t, VerdictQueued, v)

	// A probe for its own address is absorbed.
	v, _ = r.FromClient(t0, a, dadPkt(t, addrIn(0xa)))
	assert.Equal(t, VerdictLocal, v)
	assert.Empty(t, drain(t, a))
}

// Mode Certificates, [MS-IPHTTPS] §3.2.5.2.2: multicast goes to all other
// clients, except a DAD NS or multicast NA for an address in the Neighbor
// Cache, which goes only to the clients holding it.
func TestRouterModeCertificatesMulticast(t *testing.T) {
	r := newTestRouter(t, func(c *RouterConfig) { c.Mode = AuthCertificates })
	ss := clients(t, r, 0xa, 0xb, 0xc)
	a, b, c := ss[0], ss[1], ss[2]

	mdns := udpPkt(t, llAddr(0xa), netip.MustParseAddr("ff02::fb"), 20)
	v, _ := r.FromClient(t0, a, mdns)
	assert.Equal(t, VerdictQueued, v)
	assert.Equal(t, [][]byte{mdns}, drain(t, b))
	assert.Equal(t, [][]byte{mdns}, drain(t, c))
	assert.Empty(t, drain(t, a), "not back to the sender")

	// DAD for B's address: only B hears it, and may defend.
	dad := dadPkt(t, addrIn(0xb))
	v, _ = r.FromClient(t0, a, dad)
	assert.Equal(t, VerdictQueued, v)
	assert.Equal(t, [][]byte{dad}, drain(t, b))
	assert.Empty(t, drain(t, c))
	defend := naPkt(t, addrIn(0xb), allNodes, addrIn(0xb), packet.NAFlagOverride)
	v, _ = r.FromClient(t0, b, defend)
	assert.Equal(t, VerdictQueued, v)
	assert.Equal(t, [][]byte{defend}, drain(t, a))
	assert.Equal(t, [][]byte{defend}, drain(t, c))

	// DAD for an address nobody holds goes to everyone.
	dad = dadPkt(t, addrIn(0xd))
	r.FromClient(t0, a, dad)
	assert.Equal(t, [][]byte{dad}, drain(t, b))
	assert.Equal(t, [][]byte{dad}, drain(t, c))

	// Link-local unicast between clients is allowed.
	p := echoReq(t, llAddr(0xa), llAddr(0xc), 1)
	v, _ = r.FromClient(t0, a, p)
	assert.Equal(t, VerdictQueued, v)
	assert.Equal(t, [][]byte{p}, drain(t, c))

	// Spoofing and rogue ND are dropped in this mode too.
	_, why := r.FromClient(t0, a, naPkt(t, addrIn(0xa), allNodes, addrIn(0xb), packet.NAFlagOverride))
	assert.Equal(t, DropRogueND, why)
	_, why = r.FromClient(t0, a, raPkt(t, llAddr(0xa)))
	assert.Equal(t, DropRogueND, why)
	_, why = r.FromClient(t0, a, udpPkt(t, addrIn(0xc), allNodes, 4))
	assert.Equal(t, DropSpoofedSource, why)
}

// The router answers for its own addresses: NS, Echo.
func TestRouterOwnAddresses(t *testing.T) {
	routerLL := netip.MustParseAddr("fe80::1")
	routerGlobal := addrIn(1)
	r := newTestRouter(t, func(c *RouterConfig) { c.Addr = routerGlobal })
	a := online(t, r, 0xa)

	for _, dst := range []netip.Addr{routerLL, routerGlobal} {
		src := addrIn(0xa)
		if dst == routerLL {
			src = llAddr(0xa)
		}
		req := echoReq(t, src, dst, 7)
		v, why := r.FromClient(t0, a, req)
		require.Equal(t, VerdictLocal, v, why.String())
		want := must(t)(packet.AppendEchoReply(nil, dst, src, DefaultCurHopLimit, 0x4242, 7, []byte("transit6 ping")))
		assert.Equal(t, [][]byte{want}, drain(t, a), "the reply packet.AppendEchoReply builds")
	}

	// Address resolution of the router, multicast and unicast (NUD).
	for _, dst := range []netip.Addr{solicitedNode(routerLL), routerLL} {
		v, _ := r.FromClient(t0, a, nsPkt(t, llAddr(0xa), dst, routerLL))
		require.Equal(t, VerdictLocal, v)
		got := drain(t, a)
		require.Len(t, got, 1)
		ip, _ := packet.ParseIPv6(got[0])
		assert.Equal(t, llAddr(0xa), ip.Dst())
		msg, err := packet.ParseICMPv6(ip)
		require.NoError(t, err)
		na, err := packet.ParseNeighborAdvertisement(msg)
		require.NoError(t, err)
		assert.Equal(t, routerLL, na.Target())
		assert.True(t, na.Router() && na.Solicited() && na.Override())
	}
	// DAD for the router's address: defended.
	v, _ := r.FromClient(t0, a, dadPkt(t, routerGlobal))
	require.Equal(t, VerdictLocal, v)
	got := drain(t, a)
	require.Len(t, got, 1)
	ip, _ := packet.ParseIPv6(got[0])
	assert.Equal(t, allNodes, ip.Dst())
}

func TestRouterNative(t *testing.T) {
	r := newTestRouter(t, nil)
	a := online(t, r, 0xa)
	ext := netip.MustParseAddr("2001:db8:ffff::1")

	p := echoReq(t, ext, addrIn(0xa), 1)
	v, why := r.FromNative(t0, p)
	require.Equal(t, VerdictQueued, v, why.String())
	assert.Equal(t, [][]byte{p}, drain(t, a))

	// Trailing bytes (a device's padding) are not forwarded.
	v, _ = r.FromNative(t0, append(p, 0xee, 0xee))
	assert.Equal(t, VerdictQueued, v)
	assert.Equal(t, [][]byte{p}, drain(t, a))

	for _, tc := range []struct {
		name string
		pkt  []byte
		why  DropReason
	}{
		{"unknown client", echoReq(t, ext, addrIn(0xb), 1), DropNoRoute},
		{"outside the prefix", echoReq(t, ext, netip.MustParseAddr("2001:db8:2::1"), 1), DropNoRoute},
		{"multicast", echoReq(t, ext, allNodes, 1), DropMulticast},
		{"source in the clients' prefix", echoReq(t, addrIn(0xb), addrIn(0xa), 1), DropBadSource},
		{"link-local source", echoReq(t, llAddr(9), addrIn(0xa), 1), DropBadSource},
		{"to the router", echoReq(t, ext, netip.MustParseAddr("fe80::1"), 1), DropNotForRouter},
		{"IPv4", hx(t, "45 00 00 14 0000 0000 40 11 0000 c0000201 c0000202"), DropMalformed},
		// Found by FuzzRouter: a header-only packet with Next Header 0
		// reads as a jumbogram to the client's framing and would end its
		// stream; it must not get into a queue.
		{"header-only, Next Header 0", append(hx(t, "60000000 0000 00 40"), append(ext.AsSlice(), addrIn(0xa).AsSlice()...)...), DropMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, why := r.FromNative(t0, tc.pkt)
			assert.Equal(t, VerdictDrop, v)
			assert.Equal(t, tc.why, why)
			assert.Empty(t, drain(t, a))
		})
	}
}

// A client whose queue is full loses packets (tail drop, counted) while
// the others are served; the queue always holds whole packets.
func TestRouterTailDrop(t *testing.T) {
	r := newTestRouter(t, func(c *RouterConfig) { c.QueueBytes = MinQueueBytes })
	a, b := online(t, r, 0xa), online(t, r, 0xb)
	ext := netip.MustParseAddr("2001:db8:ffff::1")
	p := udpPkt(t, ext, addrIn(0xa), 1000-40)
	queued := 0
	for range 10 {
		if v, _ := r.FromNative(t0, p); v == VerdictQueued {
			queued++
		}
	}
	assert.Equal(t, MinQueueBytes/1000, queued, "as many as fit")
	assert.Equal(t, uint64(10-queued), r.Dropped(DropQueueFull))
	assert.Equal(t, queued*1000, a.Queued())

	// B is not affected.
	q := udpPkt(t, ext, addrIn(0xb), 100)
	v, _ := r.FromNative(t0, q)
	assert.Equal(t, VerdictQueued, v)
	assert.Equal(t, [][]byte{q}, drain(t, b))

	// The writer sends one packet: room again, at the front (the ring
	// wraps).
	run := a.Peek(1000)
	require.Equal(t, p, run)
	a.Release(len(run))
	v, _ = r.FromNative(t0, p)
	assert.Equal(t, VerdictQueued, v)
	assert.Len(t, drain(t, a), queued)

	info := r.Clients()
	require.Len(t, info, 2)
	assert.Equal(t, uint64(10-queued), info[0].Drops)
	assert.Equal(t, uint64(0), info[1].Drops)
}

func TestRouterMaxClients(t *testing.T) {
	r := newTestRouter(t, func(c *RouterConfig) { c.MaxClients = 2 })
	a := attach(t, r)
	attach(t, r)
	_, err := r.Attach(t0, SessionInfo{})
	assert.ErrorIs(t, err, ErrTooManyClients)
	r.Detach(a)
	r.Detach(a) // harmless
	_, err = r.Attach(t0, SessionInfo{})
	assert.NoError(t, err)
}

// A client may hold MaxAddrsPerClient addresses and claim one new address
// per second after its first burst; a new one replaces its oldest.
func TestRouterAddrLimit(t *testing.T) {
	r := newTestRouter(t, func(c *RouterConfig) { c.MaxAddrsPerClient = 2 })
	a := attach(t, r)
	ext := netip.MustParseAddr("2001:db8:ffff::1")
	from := func(now time.Time, iid uint64) DropReason {
		_, why := r.FromClient(now, a, udpPkt(t, addrIn(iid), ext, 8))
		return why
	}
	assert.Equal(t, NotDropped, from(t0, 1))
	assert.Equal(t, NotDropped, from(t0, 2))
	assert.Equal(t, DropAddrLimit, from(t0, 3), "burst used up")
	assert.Equal(t, NotDropped, from(t0, 1), "known addresses still work")
	assert.Equal(t, NotDropped, from(t0.Add(time.Second), 3), "a token a second")
	_, ok := r.Owner(addrIn(1))
	assert.False(t, ok, "the oldest was replaced")
	assert.Equal(t, []netip.Addr{addrIn(2), addrIn(3)}, r.Clients()[0].Addrs)
}

// [MS-IPHTTPS] §3.2.7.1: changing the Authentication Mode terminates every
// connection.
func TestRouterSetMode(t *testing.T) {
	r := newTestRouter(t, nil)
	a, b := online(t, r, 0xa), online(t, r, 0xb)
	r.SetMode(AuthNone) // no change
	assert.Equal(t, 2, r.NumClients())
	r.SetMode(AuthCertificates)
	assert.Equal(t, 0, r.NumClients())
	for _, s := range []*Session{a, b} {
		select {
		case <-s.Closed():
		default:
			t.Fatal("session not closed")
		}
	}
	_, ok := r.Owner(addrIn(0xa))
	assert.False(t, ok, "addresses forgotten")
	v, why := r.FromClient(t0, a, udpPkt(t, addrIn(0xa), addrIn(0xb), 8))
	assert.Equal(t, VerdictDrop, v)
	assert.Equal(t, DropNoRoute, why)
	assert.Equal(t, AuthCertificates, r.Mode())
}

func TestRouterDetachFreesAddresses(t *testing.T) {
	r := newTestRouter(t, nil)
	a := online(t, r, 0xa)
	r.Detach(a)
	b := online(t, r, 0xa) // the same addresses, now B's
	o, _ := r.Owner(addrIn(0xa))
	assert.Same(t, b, o)
}

// Tick re-advertises every RAInterval (RFC 4861 §6.2.4).
func TestRouterTick(t *testing.T) {
	r := newTestRouter(t, nil)
	a := attach(t, r)
	r.MarkRA(t0, a)
	r.Tick(t0.Add(DefaultRAInterval - time.Second))
	assert.Empty(t, drain(t, a))
	r.Tick(t0.Add(DefaultRAInterval))
	assert.Equal(t, [][]byte{hx(t, vecRA)}, drain(t, a))
	r.Tick(t0.Add(DefaultRAInterval + time.Second))
	assert.Empty(t, drain(t, a))

	off := newTestRouter(t, func(c *RouterConfig) { c.RAInterval = -1 })
	b := attach(t, off)
	off.Tick(t0.Add(time.Hour))
	assert.Empty(t, drain(t, b))
}

func TestNewRouterInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  RouterConfig
	}{
		{"no prefix", RouterConfig{}},
		{"IPv4 prefix", RouterConfig{Prefix: netip.MustParsePrefix("192.0.2.0/24")}},
		{"/80", RouterConfig{Prefix: netip.MustParsePrefix("2001:db8::/80")}},
		{"global link-local", RouterConfig{Prefix: testPrefix, LinkLocal: netip.MustParseAddr("2001:db8::1")}},
		{"router address outside", RouterConfig{Prefix: testPrefix, Addr: netip.MustParseAddr("2001:db8::1")}},
		{"small MTU", RouterConfig{Prefix: testPrefix, MTU: 1000}},
		{"small queue", RouterConfig{Prefix: testPrefix, QueueBytes: 100}},
		{"router lifetime", RouterConfig{Prefix: testPrefix, RouterLifetime: 20 * time.Hour}},
		{"preferred above valid", RouterConfig{Prefix: testPrefix, ValidLifetime: time.Hour, PreferredLifetime: 2 * time.Hour}},
		{"mode", RouterConfig{Prefix: testPrefix, Mode: 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewRouter(tc.cfg)
			assert.ErrorIs(t, err, ErrInvalidConfig)
		})
	}
	// A /48 is fine (the address has zero subnet bits) and is masked.
	r, err := NewRouter(RouterConfig{Prefix: netip.MustParsePrefix("2001:db8:1::5/48")})
	require.NoError(t, err)
	assert.Equal(t, netip.MustParsePrefix("2001:db8:1::/48"), r.Config().Prefix)
}

func TestDropReasonString(t *testing.T) {
	seen := map[string]bool{}
	for d := range NumDropReasons {
		s := d.String()
		assert.NotContains(t, s, "DropReason(")
		assert.False(t, seen[s], s)
		seen[s] = true
	}
	assert.Equal(t, "DropReason(200)", DropReason(200).String())
	assert.Equal(t, "queue-full", DropQueueFull.String())
}

// fromNativeBatch routes like FromNative (same queues, same drop counts)
// and wakes each client's writer once, after the batch.
func TestRouterNativeBatch(t *testing.T) {
	r := newTestRouter(t, nil)
	a, b := online(t, r, 0xa), online(t, r, 0xb)
	ext := netip.MustParseAddr("2001:db8:ffff::1")
	// The writers have been woken by the set-up: take those tokens.
	for _, s := range []*Session{a, b} {
		select {
		case <-s.Ready():
		default:
		}
	}
	pa1, pa2 := udpPkt(t, ext, addrIn(0xa), 100), udpPkt(t, ext, addrIn(0xa), 200)
	pb := udpPkt(t, ext, addrIn(0xb), 300)
	bad := echoReq(t, ext, addrIn(0xc), 1) // no such client
	noRoute := r.Dropped(DropNoRoute)

	// The writer of a must not be woken before the batch ends: route the
	// batch's first packets through the quiet path and look.
	_, _, s := r.fromNativeQuiet(pa1)
	require.Equal(t, a, s)
	select {
	case <-a.Ready():
		t.Fatal("writer woken by a quiet enqueue")
	default:
	}
	assert.Equal(t, [][]byte{pa1}, drain(t, a))

	woken := r.fromNativeBatch([][]byte{pa1, bad, pb, pa2}, nil)
	assert.Empty(t, woken, "scratch returned empty")
	assert.Equal(t, [][]byte{pa1, pa2}, drain(t, a), "a's packets, in order")
	assert.Equal(t, [][]byte{pb}, drain(t, b))
	assert.Equal(t, noRoute+1, r.Dropped(DropNoRoute), "drops counted as FromNative counts them")
	for name, s := range map[string]*Session{"a": a, "b": b} {
		select {
		case <-s.Ready():
		default:
			t.Errorf("writer of %s not woken after the batch", name)
		}
	}

	batch := [][]byte{pa1, pb, pa2}
	woken = make([]*Session, 0, 4)
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		woken = r.fromNativeBatch(batch, woken)
		for _, s := range []*Session{a, b} {
			for run := s.Peek(1 << 20); len(run) > 0; run = s.Peek(1 << 20) {
				s.Release(len(run))
			}
		}
	}), "fromNativeBatch allocates")
}
