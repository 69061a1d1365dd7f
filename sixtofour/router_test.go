package sixtofour

import (
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/packet"
)

// TestOutboundInPlace checks the data path: the outer header goes into the
// caller's headroom (no copy), IDs count up from the seed, TTL and TOS
// follow the policy.
func TestOutboundInPlace(t *testing.T) {
	cfg := sixToFour(v4A)
	cfg.IDSeed = 0xfffe
	cfg.Outer = OuterPolicy{TTL: 255, InheritTOS: true}
	r := router(t, cfg)
	inner := ip6{src: site6A, dst: site6B, tc: 0x2a, hlim: 9, payload: []byte("x")}.bytes(t)
	for i, wantID := range []uint16{0xfffe, 0xffff, 0} {
		buf := make([]byte, packet.MaxHeadroom+len(inner)+7) // 7 bytes of junk after the packet
		copy(buf[packet.MaxHeadroom:], inner)
		res := r.Outbound(t0, buf, packet.MaxHeadroom)
		require.Equal(t, ActionToNetwork, res.Action(), res.Err())
		assert.Equal(t, &buf[packet.MaxHeadroom-20], &res.Packet[0], "in place")
		assert.Len(t, res.Packet, 20+len(inner), "junk after the packet left out")
		ip, err := packet.ParseIPv4(res.Packet)
		require.NoError(t, err)
		assert.Equal(t, packet.IPv4Header{TOS: 0x2a, ID: wantID, DontFragment: true, TTL: 255,
			Protocol: packet.ProtoIPv6, Src: v4A, Dst: v4B}, ip.Fields(), "packet %d", i)
	}
	assert.Equal(t, uint64(3), r.Counters().Get(Outbound, ReasonSentDirect))

	res := out(r, ip6{src: site6A, dst: native}.bytes(t))
	assert.Equal(t, v4Relay, res.NextHop(), "native destinations go to the relay")
	assert.Equal(t, ReasonSentRelay, res.Reason())
}

// TestOutboundRefusals covers the outbound drops and the ICMPv6 errors that
// answer some of them.
func TestOutboundRefusals(t *testing.T) {
	noRelay := sixToFour(v4A)
	noRelay.SixToFourRelay = netip.Addr{}
	noRelay.ICMPRate = -1
	r := router(t, noRelay)
	tests := []struct {
		name   string
		inner  []byte
		err    error
		icmp   bool
		typ    uint8
		code   uint8
		reason Reason
	}{
		{"no relay for a native destination", ip6{src: site6A, dst: native}.bytes(t), ErrNoRoute, true, 1, 0, ReasonNoRoute},
		{"embedded IPv4 not global", ip6{src: site6A, dst: netip.MustParseAddr("2002:a00:1::1")}.bytes(t), ErrNonGlobalAddress, true, 1, 3, ReasonNonGlobalAddress},
		{"to our own prefix: loop", ip6{src: native, dst: netip.MustParseAddr("2002:c000:204:5::1")}.bytes(t), ErrRoutingLoop, true, 1, 3, ReasonRoutingLoop},
		{"another site's source", ip6{src: site6B, dst: site6B}.bytes(t), ErrSpoofedSource, false, 0, 0, ReasonSpoofedSource},
		{"multicast source", ip6{src: netip.MustParseAddr("ff05::1"), dst: site6B}.bytes(t), ErrBadInnerSource, false, 0, 0, ReasonBadInnerSource},
		{"link-local destination", ip6{src: site6A, dst: netip.MustParseAddr("fe80::1")}.bytes(t), ErrBadInnerDestination, false, 0, 0, ReasonBadInnerDestination},
		{"v4-mapped destination", ip6{src: site6A, dst: netip.MustParseAddr("::ffff:8.8.8.8")}.bytes(t), ErrBadInnerDestination, false, 0, 0, ReasonBadInnerDestination},
		{"not IPv6", append([]byte{0x45}, make([]byte, 39)...), ErrNotIPv6Inner, false, 0, 0, ReasonNotIPv6Inner},
		{"short", make([]byte, 12), ErrInnerTruncated, false, 0, 0, ReasonInnerTruncated},
		{"no route about an ICMPv6 error: silent", ip6{src: site6A, dst: native, nh: packet.ProtoICMPv6, payload: []byte{1, 0, 0, 0, 0, 0, 0, 0}}.bytes(t),
			ErrNoRoute, false, 0, 0, ReasonNoRoute},
		{"no route about an echo request: answered", ip6{src: site6A, dst: native, nh: packet.ProtoICMPv6, payload: []byte{128, 0, 0, 0, 0, 0, 0, 0}}.bytes(t),
			ErrNoRoute, true, 1, 0, ReasonNoRoute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := out(r, tc.inner)
			assert.ErrorIs(t, res.Err(), tc.err)
			assert.Equal(t, tc.reason, res.Reason())
			if !tc.icmp {
				assert.Equal(t, ActionNone, res.Action())
				assert.Nil(t, res.Packet)
				return
			}
			require.Equal(t, ActionToHost, res.Action())
			m := icmp6(t, res.Packet)
			assert.Equal(t, tc.typ, m.Type())
			assert.Equal(t, tc.code, m.Code())
			assert.Equal(t, r.Policy().Addr(), m.IP().Src())
			_, invoking, _ := m.ErrorMessage()
			assert.Equal(t, tc.inner, invoking)
		})
	}
	buf := make([]byte, 100)
	assert.ErrorIs(t, r.Outbound(t0, buf, 10).Err(), packet.ErrNoHeadroom)
	assert.ErrorIs(t, r.Outbound(t0, buf, 101).Err(), packet.ErrNoHeadroom)
}

// TestMTUModes covers a static tunnel MTU and NoPMTUDisc.
func TestMTUModes(t *testing.T) {
	cfg := sixToFour(v4A)
	cfg.MTU = 1280 // RFC 4213 §3.2's recommendation
	r := router(t, cfg)
	res := out(r, sized(t, site6A, site6B, 1281))
	require.Equal(t, ActionToHost, res.Action())
	assert.Equal(t, 1280, res.MTU())
	res = out(r, sized(t, site6A, site6B, 1280))
	require.Equal(t, ActionToNetwork, res.Action())
	assert.NotZero(t, res.Packet[6]&0x40, "DF set: the 1500 path carries it")
	mtu, df, err := r.MTU(v4B, t0)
	require.NoError(t, err)
	assert.Equal(t, 1280, mtu)
	assert.True(t, df)

	cfg = sixToFour(v4A)
	cfg.NoPMTUDisc = true
	r = router(t, cfg)
	res = out(r, sized(t, site6A, site6B, 4000))
	require.Equal(t, ActionToNetwork, res.Action(), "nothing checked without PMTU discovery")
	assert.Zero(t, res.Packet[6]&0x40, "DF never set")

	cfg.MTU = 1400
	r = router(t, cfg)
	assert.ErrorIs(t, out(r, sized(t, site6A, site6B, 1401)).Err(), ErrPacketTooBig)
}

// TestICMPRateLimit checks the token bucket on the caller's clock.
func TestICMPRateLimit(t *testing.T) {
	cfg := sixToFour(v4A)
	cfg.ICMPRate, cfg.ICMPBurst = 2, 3 // one token per 500 ms, 3 at most
	r := router(t, cfg)
	big := sized(t, site6A, site6B, 1500)
	send := func(now time.Time) Action {
		buf, off := withHeadroom(big)
		return r.Outbound(now, buf, off).Action()
	}
	for i := range 3 {
		assert.Equal(t, ActionToHost, send(t0), "burst %d", i)
	}
	assert.Equal(t, ActionNone, send(t0), "bucket empty")
	assert.Equal(t, ActionNone, send(t0.Add(499*time.Millisecond)))
	assert.Equal(t, ActionToHost, send(t0.Add(500*time.Millisecond)), "one token later")
	assert.Equal(t, ActionNone, send(t0.Add(500*time.Millisecond)))
	assert.Equal(t, ActionNone, send(t0.Add(100*time.Millisecond)), "time going backwards adds nothing")
	for i := range 3 {
		assert.Equal(t, ActionToHost, send(t0.Add(time.Hour)), "refilled to the burst, %d", i)
	}
	assert.Equal(t, ActionNone, send(t0.Add(time.Hour)))
	c := r.Counters()
	assert.Equal(t, uint64(7), c.Get(Outbound, ReasonICMPv6Sent))
	assert.Equal(t, uint64(5), c.Get(Outbound, ReasonICMPRateLimited))
	assert.Equal(t, uint64(12), c.Get(Outbound, ReasonPacketTooBig), "every oversize packet counted")
}

func TestReasons(t *testing.T) {
	seen := map[string]bool{}
	for r := Reason(0); r < numReasons; r++ {
		name := r.String()
		require.NotEmpty(t, name, "reason %d", r)
		require.False(t, seen[name], "duplicate name %q", name)
		seen[name] = true
		if err := r.Err(); err != nil {
			assert.Equal(t, r, reasonOf(err), name)
			assert.True(t, r.IsDrop(), name)
		}
	}
	assert.Equal(t, ReasonOther, reasonOf(errors.New("something else")))
	assert.Equal(t, "Reason(200)", Reason(200).String())
	assert.Nil(t, ReasonSentDirect.Err())
	assert.False(t, ReasonICMPv6Sent.IsDrop())

	// Every exported sentinel has a reason of its own.
	for _, err := range []error{ErrNotProto41, ErrInnerTruncated, ErrNotIPv6Inner, ErrLengthMismatch, ErrECNDrop,
		ErrFragmented, ErrMTUTooSmall, ErrPacketTooBig, ErrReassemblyOverlap, ErrReassemblyShortFragment,
		ErrReassemblyInconsistent, ErrReassemblyTooBig, ErrReassemblyMemory, ErrReassemblyTimeout, ErrNoTunnel,
		ErrNotFromRemote, ErrSpoofedSource, ErrSpoofedDestination, ErrNonGlobalAddress, ErrBadInnerSource,
		ErrBadInnerDestination, ErrNotLocalDestination, ErrRelayNotAllowed, ErrInnerSourceFiltered, ErrNotInPRL,
		ErrISATAPSourceMismatch, ErrPrefixNotOnLink, ErrNoRoute, ErrRoutingLoop, ErrNotICMPv4Error,
		ErrQuoteTruncated, ErrICMPIgnored, ErrICMPSuppressed, ErrQuoteNotOurs} {
		assert.NotEqual(t, ReasonOther, reasonOf(err), err.Error())
		assert.True(t, strings.HasPrefix(err.Error(), "sixtofour: ") || err == ErrECNDrop, err.Error())
	}
}

func TestCountersString(t *testing.T) {
	r := router(t, sixToFour(v4B))
	assert.Empty(t, r.Counters().String())
	in(r, tunnelled(t, v4A, v4B, site6A, site6B))
	in(r, tunnelled(t, v4A, v4B, site6A, site6B))
	in(r, tunnelled(t, v4Other, v4B, site6A, site6B))
	out(r, ip6{src: site6B, dst: site6A}.bytes(t))
	c := r.Counters()
	assert.Equal(t, "out.sent-direct 1\nin.received-direct 2\nin.spoofed-source 1\n", c.String())
	var n int
	c.Each(func(d Direction, r Reason, v uint64) { n++ })
	assert.Equal(t, 3, n)
	assert.Zero(t, c.Get(Direction(7), ReasonSentDirect))
	assert.Equal(t, "out", Outbound.String())
	assert.Equal(t, "in", Inbound.String())
}

func TestMechanismNames(t *testing.T) {
	for _, m := range []Mechanism{SixToFour, SixRD, ISATAP, SixInFour} {
		got, ok := ParseMechanism(m.String())
		assert.True(t, ok)
		assert.Equal(t, m, got)
	}
	_, ok := ParseMechanism("teredo")
	assert.False(t, ok)
	assert.Equal(t, "Mechanism(0)", Mechanism(0).String())
	assert.Equal(t, "to-host", ActionToHost.String())
	assert.Equal(t, "linux", DecapLinux.String())
}

// TestConfigErrors lists the configurations NewRouter refuses.
func TestConfigErrors(t *testing.T) {
	ok6in4 := Config{Mechanism: SixInFour, Local: v4A, Remote: v4B}
	with := func(f func(*Config)) Config { c := ok6in4; f(&c); return c }
	tests := map[string]Config{
		"no mechanism":           {Local: v4A},
		"no local":               {Mechanism: SixInFour, Remote: v4B},
		"local 0.0.0.0":          with(func(c *Config) { c.Local = netip.IPv4Unspecified() }),
		"local IPv6":             with(func(c *Config) { c.Local = native }),
		"local multicast":        with(func(c *Config) { c.Local = netip.MustParseAddr("224.0.0.1") }),
		"6in4 without remote":    with(func(c *Config) { c.Remote = netip.Addr{} }),
		"6in4 remote 127.0.0.1":  with(func(c *Config) { c.Remote = netip.MustParseAddr("127.0.0.1") }),
		"inner source prefix v4": with(func(c *Config) { c.InnerSources = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} }),
		"MTU 1279":               with(func(c *Config) { c.MTU = 1279 }),
		"MTU 65516":              with(func(c *Config) { c.MTU = 65516 }),
		"path MTU 87":            with(func(c *Config) { c.PathMTU = 87 }),
		"path MTU 65536":         with(func(c *Config) { c.PathMTU = 65536 }),
		"reassembly datagram 59": with(func(c *Config) { c.Reassembly.MaxDatagram = 59 }),
		"reassembly memory tiny": with(func(c *Config) { c.Reassembly.MaxBytes = 1000 }),
		"reassembly timeout < 0": with(func(c *Config) { c.Reassembly.Timeout = -time.Second }),
		"tunnel address IPv4":    with(func(c *Config) { c.Addr = v4A }),
		"allowed relay IPv6":     with(func(c *Config) { c.AllowedRelays = []netip.Addr{native} }),
		"site address IPv6":      with(func(c *Config) { c.SiteIPv4 = native }),
		"6to4 private site":      {Mechanism: SixToFour, Local: netip.MustParseAddr("10.0.0.1")},
		"6to4 relay IPv6":        {Mechanism: SixToFour, Local: v4A, TreatAsGlobal: labGlobal, SixToFourRelay: native},
		"6rd without prefix":     {Mechanism: SixRD, Local: v4A},
		"6rd mask 33":            {Mechanism: SixRD, Local: v4A, SixRD: addr.SixRD{Prefix: netip.MustParsePrefix("2001:db8::/32"), IPv4MaskLen: 33}},
		"6rd host bits":          {Mechanism: SixRD, Local: v4A, SixRD: addr.SixRD{Prefix: netip.MustParsePrefix("2001:db8::1/32")}},
		"ISATAP /48":             {Mechanism: ISATAP, Local: v4A, OnLink: []netip.Prefix{netip.MustParsePrefix("2001:db8::/48")}},
		"ISATAP PRL 0.0.0.0":     {Mechanism: ISATAP, Local: v4A, PRL: []netip.Addr{netip.IPv4Unspecified()}},
	}
	for name, cfg := range tests {
		_, err := NewRouter(cfg)
		assert.ErrorIs(t, err, ErrInvalidConfig, name)
	}
	_, err := NewRouter(ok6in4)
	assert.NoError(t, err)
}

// TestAddrOverride uses a configured tunnel address as the source of
// generated ICMPv6 errors, as a tunnel-broker client with <prefix>::2 would.
func TestAddrOverride(t *testing.T) {
	me := netip.MustParseAddr("2001:db8:1234::2")
	r := router(t, Config{Mechanism: SixInFour, Local: v4A, Remote: v4B, Addr: me, MTU: 1280})
	assert.Equal(t, me, r.Policy().Addr())
	res := out(r, sized(t, me, native, 1300))
	require.Equal(t, ActionToHost, res.Action())
	assert.Equal(t, me, icmp6(t, res.Packet).IP().Src())
}

// TestExpire checks that Router.Expire releases reassembly state and
// counts it, and forgets learned path MTUs.
func TestExpire(t *testing.T) {
	cfg := sixToFour(v4A)
	cfg.PathMTU = 576
	a := router(t, cfg)
	res := out(a, sized(t, site6A, site6B, 1280))
	frags := fragmentIPv4(t, res.Packet, 576)
	b := router(t, sixToFour(v4B))
	require.Equal(t, ReasonFragmentQueued, in(b, frags[0]).Reason())
	b.Expire(t0.Add(DefaultReassemblyTimeout))
	assert.Zero(t, b.Counters().Get(Inbound, ReasonReassemblyTimeout), "not yet")
	b.Expire(t0.Add(DefaultReassemblyTimeout + 1))
	assert.Equal(t, uint64(1), b.Counters().Get(Inbound, ReasonReassemblyTimeout))
	assert.Zero(t, b.in.reasm.Pending())

	b.pmtu.update(v4U32(v4A), 1000, t0)
	assert.Equal(t, 1000, b.PathMTU(v4A, t0))
	b.Expire(t0.Add(PMTUTimeout))
	assert.Equal(t, DefaultPathMTU, b.PathMTU(v4A, t0), "expired entries are gone")
}

// TestPMTUCache fills the cache past its size: the entry expiring first
// makes room, and updates only ever lower a peer's MTU.
func TestPMTUCache(t *testing.T) {
	var c pmtuCache
	for i := range pmtuCacheSize + 5 {
		c.update(uint32(i+1), 1000+i, t0.Add(time.Duration(i)*time.Second))
	}
	assert.Equal(t, int32(pmtuCacheSize), c.live.Load())
	_, ok := c.lookup(1, t0.Add(time.Minute))
	assert.False(t, ok, "the oldest entries were replaced")
	m, ok := c.lookup(pmtuCacheSize+5, t0.Add(time.Minute))
	assert.True(t, ok)
	assert.Equal(t, 1000+pmtuCacheSize+4, m)
	c.update(pmtuCacheSize+5, 5000, t0.Add(time.Minute))
	m, _ = c.lookup(pmtuCacheSize+5, t0.Add(time.Minute))
	assert.Equal(t, 1000+pmtuCacheSize+4, m, "never raised")
	c.expire(t0.Add(time.Hour))
	assert.Zero(t, c.live.Load())
}

// TestRouterConcurrent runs Outbound, Inbound (data and Fragmentation
// Needed) and Counters on three goroutines; go test -race checks the
// sharing.
func TestRouterConcurrent(t *testing.T) {
	cfg := sixToFour(v4A)
	cfg.ICMPRate = -1
	a := router(t, cfg)
	b := router(t, sixToFour(v4B))
	data := out(b, ip6{src: site6B, dst: site6A}.bytes(t)).Packet
	data = append([]byte(nil), data...)
	sent := append([]byte(nil), out(a, sized(t, site6A, site6B, 1400)).Packet...)
	fragNeeded := icmpv4(t, netip.MustParseAddr("198.51.100.254"), v4A, 3, 4, [4]byte{0, 0, 0x05, 0x78}, sent[:28])

	const n = 2000
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		inner := sized(t, site6A, site6B, 1400)
		buf := make([]byte, Headroom+len(inner))
		for i := range n {
			copy(buf[Headroom:], inner)
			a.Outbound(t0.Add(time.Duration(i)), buf, Headroom)
		}
	}()
	go func() {
		defer wg.Done()
		pkt := make([]byte, len(data))
		for i := range n {
			if i%10 == 0 {
				a.Inbound(t0.Add(time.Duration(i)), append([]byte(nil), fragNeeded...))
				continue
			}
			copy(pkt, data)
			a.Inbound(t0.Add(time.Duration(i)), pkt)
		}
	}()
	go func() {
		defer wg.Done()
		for range 100 {
			_ = a.Counters().String()
			_ = a.PathMTU(v4B, t0)
		}
	}()
	wg.Wait()
	c := a.Counters()
	assert.Equal(t, uint64(n+1), c.Get(Outbound, ReasonSentDirect)+c.Get(Outbound, ReasonPacketTooBig), "n and the one sent to quote")
	assert.Equal(t, uint64(n-n/10), c.Get(Inbound, ReasonReceivedDirect))
	assert.Equal(t, uint64(n/10), c.Get(Inbound, ReasonPMTUUpdated))
	assert.Equal(t, 1400, a.PathMTU(v4B, t0))
}

// TestTooBigForLink follows packets the local link refuses (a raw socket's
// EMSGSIZE) back to the host as Linux's sit would answer them before
// sending (the notes' §1.2): the tunnel MTU is the link's MTU − 20, 1280
// without DF below 1300; the refused packet leaves the sent count.
func TestTooBigForLink(t *testing.T) {
	cfg := sixToFour(v4A)
	cfg.ICMPRate = -1
	r := router(t, cfg)
	count := func(reason Reason) uint64 { return r.Counters().Get(Outbound, reason) }

	// A 1400-byte packet leaves for B on the assumed 1500-byte path; the
	// link at A is 1400 bytes wide and refuses its 1420 bytes of IPv4.
	big := sized(t, site6A, site6B, 1400)
	sent := out(r, big)
	require.Equal(t, ActionToNetwork, sent.Action(), sent.Err())
	require.Equal(t, uint64(1), count(ReasonSentDirect))
	res := r.TooBigForLink(t0, sent.Packet, 1400)
	require.Equal(t, ActionToHost, res.Action(), res.Err())
	assert.Equal(t, ReasonPacketTooBig, res.Reason())
	assert.ErrorIs(t, res.Err(), ErrPacketTooBig)
	assert.Equal(t, 1380, res.MTU())
	m := icmp6(t, res.Packet)
	assert.Equal(t, uint8(packet.ICMPv6PacketTooBig), m.Type())
	assert.Equal(t, r.Policy().Addr(), m.IP().Src())
	assert.Equal(t, site6A, m.IP().Dst())
	mtu, invoking, err := m.ErrorMessage()
	require.NoError(t, err)
	assert.Equal(t, uint32(1380), mtu)
	assert.Equal(t, big[:len(invoking)], invoking, "quotes the refused packet")
	assert.Zero(t, count(ReasonSentDirect), "taken back")
	assert.Equal(t, uint64(1), count(ReasonPacketTooBig))
	assert.Equal(t, uint64(1), count(ReasonICMPv6Sent))
	assert.Equal(t, 1400, r.PathMTU(v4B, t0), "the link's MTU is B's path MTU now")
	assert.Equal(t, DefaultPathMTU, r.PathMTU(v4Other, t0), "and no one else's")

	// The next oversize packet toward B gets its Packet Too Big from
	// Outbound; one that fits the 1380 goes.
	res = out(r, big)
	require.Equal(t, ActionToHost, res.Action())
	assert.Equal(t, 1380, res.MTU())
	res = out(r, sized(t, site6A, site6B, 1380))
	require.Equal(t, ActionToNetwork, res.Action(), res.Err())
	assert.NotZero(t, res.Packet[6]&0x40, "DF")

	// Through the relay: sent-relay is taken back.
	sent = out(r, sized(t, site6A, native, 1400))
	require.Equal(t, ReasonSentRelay, sent.Reason())
	res = r.TooBigForLink(t0, sent.Packet, 1400)
	assert.Equal(t, ActionToHost, res.Action())
	assert.Zero(t, count(ReasonSentRelay))

	// A link below 1300: the tunnel MTU stays 1280 without DF, so a
	// 1280-byte packet has nowhere lower to go; a larger one is told 1280.
	r = router(t, cfg)
	sent = out(r, sized(t, site6A, site6B, 1280))
	res = r.TooBigForLink(t0, sent.Packet, 1200)
	assert.Equal(t, ActionNone, res.Action())
	assert.Equal(t, ReasonMTUTooSmall, res.Reason())
	assert.Zero(t, count(ReasonSentDirect))
	mtu2, df, err := r.MTU(v4B, t0)
	require.NoError(t, err)
	assert.Equal(t, 1280, mtu2)
	assert.False(t, df)
	sent = out(router(t, cfg), sized(t, site6A, site6B, 1400)) // sent by another router: nothing to take back here
	res = r.TooBigForLink(t0, sent.Packet, 1200)
	require.Equal(t, ActionToHost, res.Action())
	assert.Equal(t, 1280, res.MTU())

	// Refusals of what is not a packet of ours: nothing is taken back, no
	// path MTU is learned.
	r = router(t, cfg)
	sent = out(r, sized(t, site6A, site6B, 1400))
	notP41 := append([]byte(nil), sent.Packet...)
	notP41[9] = packet.ProtoTCP
	for _, tc := range []struct {
		name   string
		pkt    []byte
		reason Reason
	}{
		{"empty", nil, ReasonTruncated},
		{"IPv6, not IPv4", sized(t, site6A, site6B, 100), ReasonBadVersion},
		{"IPv4 options", append([]byte{0x46}, sent.Packet[1:]...), ReasonBadIHL},
		{"not protocol 41", notP41, ReasonNotProto41},
		{"inner header cut short", sent.Packet[:50], ReasonInnerTruncated},
		{"inner packet cut short", sent.Packet[:60], ReasonLengthMismatch},
	} {
		res := r.TooBigForLink(t0, tc.pkt, 1400)
		assert.Equal(t, ActionNone, res.Action(), tc.name)
		assert.Equal(t, tc.reason, res.Reason(), tc.name)
	}
	assert.Equal(t, uint64(1), count(ReasonSentDirect))
	assert.Equal(t, DefaultPathMTU, r.PathMTU(v4B, t0))

	// No usable link MTU: the packet is taken back and dropped.
	for _, linkMTU := range []int{0, 87} {
		r = router(t, cfg)
		sent = out(r, sized(t, site6A, site6B, 1400))
		res = r.TooBigForLink(t0, sent.Packet, linkMTU)
		assert.Equal(t, ActionNone, res.Action(), linkMTU)
		assert.Equal(t, ReasonMTUTooSmall, res.Reason(), linkMTU)
		assert.Zero(t, count(ReasonSentDirect), linkMTU)
	}
}
