package sixtofour

// The hard cases of proto41.md §10, one test per item (items 14 and 15,
// AYIYA and the HE updater, belong to other packages). Item 9's TunnelMTU
// rows are in encap_test.go, item 10's ECN cells in encap_test.go and
// decap_test.go, item 13's codec rows in decap_test.go; here they go
// through the router.

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/packet"
)

// Item 1: 192.0.2.4 <-> 2002:c000:204::/48, SLA and interface ID preserved.
func TestHardCase01SixToFourRoundTrip(t *testing.T) {
	a := router(t, sixToFour(v4A))
	assert.Equal(t, netip.MustParsePrefix("2002:c000:204::/48"), a.Policy().Prefix())
	assert.Equal(t, netip.MustParseAddr("2002:c000:204::1"), a.Policy().Addr())

	b := router(t, sixToFour(v4B))
	dst := netip.MustParseAddr("2002:c000:204:1::5")
	v4, sla, err := addr.DecodeSixToFour(dst)
	require.NoError(t, err)
	assert.Equal(t, v4A, v4)
	assert.Equal(t, uint16(1), sla)

	inner := ip6{src: site6B, dst: dst, payload: []byte("hello")}.bytes(t)
	res := out(b, inner)
	require.Equal(t, ActionToNetwork, res.Action(), res.Err())
	assert.Equal(t, v4A, res.NextHop())
	assert.Equal(t, ReasonSentDirect, res.Reason())

	res = in(a, res.Packet)
	require.Equal(t, ActionToHost, res.Action(), res.Err())
	assert.Equal(t, ReasonReceivedDirect, res.Reason())
	assert.Equal(t, inner, res.Packet, "SLA 1 and IID ::5 arrive unchanged")
}

// Item 2: 6to4 addresses embedding non-global IPv4 addresses are refused as
// next hops and as sources, 2002:808:808:: (8.8.8.8) is not. (Python's
// ipaddress calls 2002::/16 global up to 3.12 and private from 3.13; see
// package addr's documentation. Here the embedded IPv4 decides.)
func TestHardCase02EmbeddedClassification(t *testing.T) {
	a := router(t, sixToFour(v4A))
	for _, s := range []string{
		"2002::", "2002:a00:1::", "2002:6440:1::", "2002:7f00:1::", "2002:a9fe:a9fe::",
		"2002:e000:1::", "2002:ffff:ffff::", "2002:c058:6301::",
	} {
		dst := netip.MustParseAddr(s)
		_, _, err := a.Policy().NextHop(ip6{src: site6A, dst: dst}.bytes(t))
		assert.ErrorIs(t, err, ErrNonGlobalAddress, "next hop for %s", s)

		// The same address as an inner source arrives from its embedded
		// IPv4 address, which is not global.
		v4, _, _ := addr.DecodeSixToFour(dst)
		if v4.IsUnspecified() || v4.IsMulticast() || v4 == netip.MustParseAddr("255.255.255.255") || v4.As4()[0] >= 240 {
			continue // packet's builder takes them, but they make no sense as outer sources
		}
		res := in(a, tunnelled(t, v4, v4A, dst, site6A))
		assert.ErrorIs(t, res.Err(), ErrNonGlobalAddress, "from %s", s)
	}
	v4, _, err := a.Policy().NextHop(ip6{src: site6A, dst: netip.MustParseAddr("2002:808:808::")}.bytes(t))
	require.NoError(t, err)
	assert.Equal(t, netip.MustParseAddr("8.8.8.8"), v4)

	// The strict default: without TreatAsGlobal the documentation site
	// address itself is refused (RFC 3056 §2).
	_, err = NewRouter(Config{Mechanism: SixToFour, Local: v4A})
	assert.ErrorIs(t, err, ErrInvalidConfig)
}

// Item 3: the 6to4 spoofing matrix of a site router (NBMA).
func TestHardCase03SpoofMatrix(t *testing.T) {
	dnat := sixToFour(netip.MustParseAddr("198.51.100.8"))
	dnat.SiteIPv4 = v4B // 198.51.100.7 is DNATed to 198.51.100.8
	anyRelay := sixToFour(v4B)
	anyRelay.AnyRelay = true
	allow := sixToFour(v4B)
	allow.AllowedRelays = []netip.Addr{v4Other}
	strict := sixToFour(v4B)
	strict.SixToFourRelay = netip.Addr{} // no relay, no native sources
	relay := sixToFour(v4B)
	relay.Relay = true // a 6to4 relay forwards native destinations

	tests := []struct {
		name       string
		cfg        Config
		osrc, odst netip.Addr
		isrc, idst netip.Addr
		err        error
		reason     Reason
	}{
		{"inner src matches outer src", sixToFour(v4B), v4A, v4B, site6A, site6B, nil, ReasonReceivedDirect},
		{"inner src 2002:c000:204::1 from 192.0.2.5", sixToFour(v4B), netip.MustParseAddr("192.0.2.5"), v4B, site6A, site6B, ErrSpoofedSource, 0},
		{"native src from the configured relay", sixToFour(v4B), v4Relay, v4B, native, site6B, nil, ReasonReceivedRelay},
		{"native src from another host", sixToFour(v4B), v4Other, v4B, native, site6B, ErrRelayNotAllowed, 0},
		{"native src, allow-list", allow, v4Other, v4B, native, site6B, nil, ReasonReceivedRelay},
		{"native src, any relay", anyRelay, netip.MustParseAddr("198.51.100.99"), v4B, native, site6B, nil, ReasonReceivedRelay},
		{"native src, no relay configured", strict, v4Relay, v4B, native, site6B, ErrRelayNotAllowed, 0},
		{"native src not public", anyRelay, v4Other, v4B, netip.MustParseAddr("fd00::1"), site6B, ErrNonGlobalAddress, 0},
		{"inner dst 2002:c633:6407::1, outer dst 198.51.100.8", sixToFour(netip.MustParseAddr("198.51.100.8")),
			v4A, netip.MustParseAddr("198.51.100.8"), site6A, site6B, ErrSpoofedDestination, 0},
		{"same, /48 local: DNAT exception", dnat, v4A, netip.MustParseAddr("198.51.100.8"), site6A, site6B, nil, ReasonReceivedDirect},
		{"inner dst another site's 6to4", sixToFour(v4B), v4A, v4B, site6A, netip.MustParseAddr("2002:cb00:7109::1"), ErrSpoofedDestination, 0},
		{"inner dst native at a site", sixToFour(v4B), v4A, v4B, site6A, native, ErrNotLocalDestination, 0},
		{"inner dst native at a relay", relay, v4A, v4B, site6A, native, nil, ReasonReceivedDirect},
		{"inner dst not public at a relay", relay, v4A, v4B, site6A, netip.MustParseAddr("fd00::1"), ErrNonGlobalAddress, 0},
		{"outer dst is not ours", sixToFour(v4B), v4A, v4Other, site6A, site6B, ErrNoTunnel, 0},
		{"outer src private", anyRelay, netip.MustParseAddr("10.0.0.1"), v4B, native, site6B, ErrNonGlobalAddress, 0},
		{"inner dst link-local", anyRelay, v4Relay, v4B, native, netip.MustParseAddr("fe80::1"), ErrBadInnerDestination, 0},
		{"inner dst ff02::1", anyRelay, v4Relay, v4B, native, netip.MustParseAddr("ff02::1"), ErrBadInnerDestination, 0},
		{"inner dst ff01::1", anyRelay, v4Relay, v4B, native, netip.MustParseAddr("ff01::1"), ErrBadInnerDestination, 0},
		{"inner dst v4-mapped", anyRelay, v4Relay, v4B, native, netip.MustParseAddr("::ffff:198.51.100.7"), ErrBadInnerDestination, 0},
		{"inner dst v4-compatible", anyRelay, v4Relay, v4B, native, netip.MustParseAddr("::198.51.100.7"), ErrBadInnerDestination, 0},
		{"inner dst loopback", anyRelay, v4Relay, v4B, native, netip.MustParseAddr("::1"), ErrBadInnerDestination, 0},
		{"inner src multicast", anyRelay, v4Relay, v4B, netip.MustParseAddr("ff0e::1"), site6B, ErrBadInnerSource, 0},
		{"inner src unspecified", anyRelay, v4Relay, v4B, netip.MustParseAddr("::"), site6B, ErrBadInnerSource, 0},
		{"inner src link-local", anyRelay, v4Relay, v4B, netip.MustParseAddr("fe80::1"), site6B, ErrBadInnerSource, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := router(t, tc.cfg)
			pkt := tunnelled(t, tc.osrc, tc.odst, tc.isrc, tc.idst)
			res := in(r, pkt)
			assert.ErrorIs(t, res.Err(), tc.err)
			if tc.err != nil {
				assert.Equal(t, ActionNone, res.Action())
				assert.Equal(t, reasonOf(tc.err), res.Reason())
				assert.Equal(t, uint64(1), r.Counters().Get(Inbound, res.Reason()), "counted")
				// The policy alone agrees.
				assert.ErrorIs(t, r.Policy().CheckInboundAddrs(tc.osrc, tc.odst, pkt[20:]), tc.err)
				return
			}
			assert.Equal(t, ActionToHost, res.Action())
			assert.Equal(t, tc.reason, res.Reason())
			assert.Equal(t, pkt[20:], res.Packet)
		})
	}
}

// Item 4: a configured tunnel accepts only its remote, and checks no
// embedded addresses (as Linux on point-to-point devices).
func TestHardCase04SixInFour(t *testing.T) {
	cfg := Config{Mechanism: SixInFour, Local: v4A, Remote: v4B}
	r := router(t, cfg)
	odd := netip.MustParseAddr("2002:c000:299::1") // a 6to4 source embedding neither end

	res := in(r, tunnelled(t, netip.MustParseAddr("198.51.100.9"), v4A, native, site6A))
	assert.ErrorIs(t, res.Err(), ErrNotFromRemote)
	res = in(r, tunnelled(t, v4B, v4A, odd, native))
	assert.NoError(t, res.Err())
	assert.Equal(t, ReasonReceivedDirect, res.Reason())
	res = in(r, tunnelled(t, v4B, v4A, netip.MustParseAddr("fe80::c633:6407"), netip.MustParseAddr("ff02::5")))
	assert.NoError(t, res.Err(), "link-local and link-scope multicast cross a point-to-point link")
	res = in(r, tunnelled(t, v4B, v4A, native, netip.MustParseAddr("ff01::1")))
	assert.ErrorIs(t, res.Err(), ErrBadInnerDestination, "interface-local multicast never arrives from a link")

	// Everything goes to the remote, native or not.
	for _, dst := range []string{"2001:db8::99", "2002:808:808::1", "ff02::1", "fe80::1"} {
		res := out(r, ip6{src: native, dst: netip.MustParseAddr(dst)}.bytes(t))
		assert.Equal(t, ActionToNetwork, res.Action(), dst)
		assert.Equal(t, v4B, res.NextHop(), dst)
	}
	assert.Equal(t, netip.MustParseAddr("fe80::c000:204"), r.Policy().Addr(), "RFC 4213 §3.7 link-local")

	// RFC 4213 §3.6 ingress filter.
	cfg.InnerSources = []netip.Prefix{netip.MustParsePrefix("2001:db8:1::/48")}
	r = router(t, cfg)
	assert.NoError(t, in(r, tunnelled(t, v4B, v4A, netip.MustParseAddr("2001:db8:1::5"), native)).Err())
	assert.NoError(t, in(r, tunnelled(t, v4B, v4A, netip.MustParseAddr("fe80::1"), native)).Err())
	assert.ErrorIs(t, in(r, tunnelled(t, v4B, v4A, odd, native)).Err(), ErrInnerSourceFiltered)
}

// sixrdCase is one row of proto41.md §3.3 with a second CE of the same
// domain (same high IPv4MaskLen bits) to send from.
type sixrdCase struct {
	name, prefix string
	mask         int
	ce, peer     string
	delegated    string
}

var sixrdCases = []sixrdCase{
	{"Altibox /30 mask 0", "2a01:79c::/30", 0, "81.167.4.214", "81.167.4.215", "2a01:79d:469c:1358::/62"},
	{"Elisa/DNA /38 mask 14", "2001:2003:f400::/38", 14, "84.240.100.100", "84.243.0.1", "2001:2003:f464:6400::/56"},
	{"bonan 1 /32 mask 0", "2001:2002::/32", 0, "212.113.65.123", "8.8.8.8", "2001:2002:d471:417b::/64"},
	{"bonan 2 /36 mask 12", "2001:2002:f000::/36", 12, "10.254.1.2", "10.240.0.1", "2001:2002:fe01:200::/56"},
	{"doc /32 mask 0", "2001:db8::/32", 0, "192.0.2.4", "198.51.100.7", "2001:db8:c000:204::/64"},
	{"doc /32 mask 8", "2001:db8::/32", 8, "10.100.100.1", "10.1.2.3", "2001:db8:6464:100::/56"},
	{"CenturyLink /24 mask 0", "2602::/24", 0, "12.34.56.78", "12.34.56.79", "2602:c:2238:4e00::/56"},
	{"6to4 as 6rd", "2002::/16", 0, "192.0.2.4", "198.51.100.7", "2002:c000:204::/48"},
}

// Item 5: 6rd arithmetic through the engine, both directions: a CE derives
// the delegated prefix of the table; another CE of the domain sends to it
// directly (CE to CE) and everything else goes to the border relay.
func TestHardCase05SixRD(t *testing.T) {
	br := netip.MustParseAddr("203.0.113.254")
	for _, c := range sixrdCases {
		t.Run(c.name, func(t *testing.T) {
			domain := addr.SixRD{Prefix: netip.MustParsePrefix(c.prefix), IPv4MaskLen: c.mask, BorderRelays: []netip.Addr{br}}
			ce := router(t, Config{Mechanism: SixRD, Local: netip.MustParseAddr(c.ce), SixRD: domain})
			peer := router(t, Config{Mechanism: SixRD, Local: netip.MustParseAddr(c.peer), SixRD: domain})
			want := netip.MustParsePrefix(c.delegated)
			require.Equal(t, want, ce.Policy().Prefix(), "forward: delegated prefix")

			dst := want.Addr().Next() // <delegated>::1
			inner := ip6{src: peer.Policy().Addr(), dst: dst, payload: []byte("6rd")}.bytes(t)
			res := out(peer, inner)
			require.Equal(t, ActionToNetwork, res.Action(), res.Err())
			assert.Equal(t, netip.MustParseAddr(c.ce), res.NextHop(), "reverse: CE to CE")
			assert.Equal(t, ReasonSentDirect, res.Reason())

			got := in(ce, res.Packet)
			require.NoError(t, got.Err())
			assert.Equal(t, inner, got.Packet)

			res = out(peer, ip6{src: peer.Policy().Addr(), dst: netip.MustParseAddr("2620:fe::fe")}.bytes(t))
			require.Equal(t, ActionToNetwork, res.Action(), res.Err())
			assert.Equal(t, br, res.NextHop(), "native destinations go to the BR")
			assert.Equal(t, ReasonSentRelay, res.Reason())
		})
	}

	// The reverse vectors of §3.3.
	for _, v := range []struct{ prefix, common, dst, want string }{
		{"2001:2003:f400::/38", "84.240.0.0", "2001:2003:f464:6400::1", "84.240.100.100"},
		{"2a01:79c::/30", "81.167.4.214", "2a01:79d:469c:1358::1", "81.167.4.214"},
	} {
		mask := 14
		if v.prefix == "2a01:79c::/30" {
			mask = 0
		}
		p := netip.MustParsePrefix(v.prefix)
		r := router(t, Config{Mechanism: SixRD, Local: netip.MustParseAddr("84.243.255.1"),
			SixRD: addr.SixRD{Prefix: p, IPv4MaskLen: mask}})
		if mask == 0 {
			r = router(t, Config{Mechanism: SixRD, Local: netip.MustParseAddr("81.167.4.1"), SixRD: addr.SixRD{Prefix: p}})
		}
		nh, relay, err := r.Policy().NextHop(ip6{src: r.Policy().Addr(), dst: netip.MustParseAddr(v.dst)}.bytes(t))
		require.NoError(t, err)
		assert.False(t, relay)
		assert.Equal(t, netip.MustParseAddr(v.want), nh, v.dst)
	}

	// MaskLen 32 embeds nothing: the whole domain is this CE's prefix, and
	// sending to it would loop.
	r := router(t, Config{Mechanism: SixRD, Local: v4A, SixRD: addr.SixRD{Prefix: netip.MustParsePrefix("2001:db8::/32"), IPv4MaskLen: 32}})
	assert.Equal(t, netip.MustParsePrefix("2001:db8::/32"), r.Policy().Prefix())
	_, _, err := r.Policy().NextHop(ip6{src: r.Policy().Addr(), dst: netip.MustParseAddr("2001:db8:5::1")}.bytes(t))
	assert.ErrorIs(t, err, ErrRoutingLoop)

	// Delegated prefixes longer than /64: the kernel policy refuses them,
	// the DHCP policy (and so the engine) takes them up to /128.
	long := addr.SixRD{Prefix: netip.MustParsePrefix("2001:db8:1::/48")} // 48+32 = /80
	assert.ErrorIs(t, long.Validate(addr.SixRDPolicyKernel), addr.ErrSixRDDelegatedTooLong)
	r = router(t, Config{Mechanism: SixRD, Local: v4A, SixRD: long})
	assert.Equal(t, netip.MustParsePrefix("2001:db8:1:c000:204::/80"), r.Policy().Prefix())
	_, err = NewRouter(Config{Mechanism: SixRD, Local: v4A, SixRD: addr.SixRD{Prefix: netip.MustParsePrefix("2001:db8::/97")}})
	assert.ErrorIs(t, err, ErrInvalidConfig, "97+32 > 128")
}

// Item 5 continued: the 6rd receive checks and the border relay's side.
func TestHardCase05SixRDChecks(t *testing.T) {
	br := v4Relay
	native := netip.MustParseAddr("2620:fe::9") // outside the domain
	domain := addr.SixRD{Prefix: netip.MustParsePrefix("2001:db8::/32"), BorderRelays: []netip.Addr{br}}
	ceA := router(t, Config{Mechanism: SixRD, Local: v4A, SixRD: domain}) // 2001:db8:c000:204::/64
	a6 := ceA.Policy().Addr()
	b6 := netip.MustParseAddr("2001:db8:c633:6407::1")

	tests := []struct {
		name       string
		osrc       netip.Addr
		isrc, idst netip.Addr
		err        error
	}{
		{"from CE B", v4B, b6, a6, nil},
		{"CE B's prefix from another IPv4", v4Other, b6, a6, ErrSpoofedSource},
		{"native source from the BR", br, native, a6, nil},
		{"native source from elsewhere", v4Other, native, a6, ErrRelayNotAllowed},
		{"destination of another CE", v4B, b6, netip.MustParseAddr("2001:db8:cb00:7109::1"), ErrSpoofedDestination},
		{"native destination at a CE", v4B, b6, netip.MustParseAddr("2620:fe::fe"), ErrNotLocalDestination},
		{"outer source 127.0.0.1", netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("2001:db8:7f00:1::1"), a6, ErrNonGlobalAddress},
		{"private CEs are fine in 6rd", netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("2001:db8:a01:203::1"), a6, nil},
	}
	for _, tc := range tests {
		res := in(ceA, tunnelled(t, tc.osrc, v4A, tc.isrc, tc.idst))
		assert.ErrorIs(t, res.Err(), tc.err, tc.name)
	}

	// The border relay: CEs send it native destinations; it sends only into
	// the domain.
	brR := router(t, Config{Mechanism: SixRD, Local: br, SixRD: domain, Relay: true})
	res := in(brR, tunnelled(t, v4A, br, a6, netip.MustParseAddr("2620:fe::fe")))
	assert.NoError(t, res.Err())
	res = in(brR, tunnelled(t, v4A, br, b6, netip.MustParseAddr("2620:fe::fe")))
	assert.ErrorIs(t, res.Err(), ErrSpoofedSource)
	res = out(brR, ip6{src: netip.MustParseAddr("2620:fe::fe"), dst: a6}.bytes(t))
	assert.Equal(t, v4A, res.NextHop())
	res = out(brR, ip6{src: native, dst: netip.MustParseAddr("2620:fe::fe")}.bytes(t))
	assert.ErrorIs(t, res.Err(), ErrNoRoute)
	res = out(brR, ip6{src: a6, dst: b6}.bytes(t))
	assert.ErrorIs(t, res.Err(), ErrSpoofedSource, "a BR does not send with a CE's source")
}

// Item 6: OPTION_6RD (package addr parses it) configures a router; malformed
// options are refused without panicking. The vectors are those of
// proto41.md §3.2 and §10, except that the notes' first vector carries one
// zero byte too many in its 6rdPrefix (17 bytes against a length octet of
// 22); here the prefix has its 16.
func TestHardCase06Option6RD(t *testing.T) {
	tests := []struct {
		name   string
		opt    string
		err    error
		prefix string // delegated prefix of CE 84.240.100.100
		br     string // first border relay
	}{
		{"len 21 too short", "d4 15 0e 26 20012003f40000000000000000000000 54fbff", addr.ErrOption6RDTooShort, "", ""},
		{"len 22, one BR", "d4 16 0e 26 20012003f40000000000000000000000 54fbfffe", nil, "2001:2003:f464:6400::/56", "84.251.255.254"},
		{"len 26, two BRs", "d4 1a 0e 26 20012003f40000000000000000000000 c0000201 c0000202", nil, "2001:2003:f464:6400::/56", "192.0.2.1"},
		{"len 24, 2 trailing bytes", "d4 18 0e 26 20012003f40000000000000000000000 54fbfffe 0000", addr.ErrOption6RDTrailing, "", ""},
		{"MaskLen 33", "d4 16 21 26 20012003f40000000000000000000000 54fbfffe", addr.ErrSixRDMaskLen, "", ""},
		{"PrefixLen 129", "d4 16 0e 81 20012003f40000000000000000000000 54fbfffe", addr.ErrSixRDPrefixLen, "", ""},
		{"host bits masked", "d4 16 0e 26 20012003f7ffffff0000000000000000 54fbfffe", nil, "2001:2003:f464:6400::/56", "84.251.255.254"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, _, err := addr.ConsumeOption6RD(hexb(t, tc.opt))
			if tc.err != nil {
				assert.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			r := router(t, Config{Mechanism: SixRD, Local: netip.MustParseAddr("84.240.100.100"), SixRD: o.Config()})
			assert.Equal(t, netip.MustParsePrefix(tc.prefix), r.Policy().Prefix())
			res := out(r, ip6{src: r.Policy().Addr(), dst: native}.bytes(t))
			assert.Equal(t, netip.MustParseAddr(tc.br), res.NextHop())
		})
	}
}

// Item 7: ISATAP recognition (Linux's strict rule) and u-bit generation.
func TestHardCase07ISATAPRecognition(t *testing.T) {
	onLink := netip.MustParsePrefix("2001:db8:1:2::/64")
	r := router(t, Config{Mechanism: ISATAP, Local: v4A, OnLink: []netip.Prefix{onLink}})
	host := netip.MustParseAddr("10.0.0.5")
	for _, tc := range []struct {
		iid string
		err error
	}{
		{"0000:5efe", nil},                     // u = 0
		{"0200:5efe", nil},                     // u = 1
		{"0100:5efe", ErrNotInPRL},             // g set: Linux refuses, Wireshark shows it
		{"0300:5efe", ErrNotInPRL},             // u and g
		{"0400:5efe", ErrNotInPRL},             // refused by both
		{"0000:5eff", ErrNotInPRL},             // not the ISATAP type
		{"0000:5efe", ErrISATAPSourceMismatch}, // with another IPv4, below
	} {
		v4 := "a00:5"
		if tc.err == ErrISATAPSourceMismatch {
			v4 = "a00:6"
		}
		src := netip.MustParseAddr("2001:db8:1:2:" + tc.iid + ":" + v4)
		res := in(r, tunnelled(t, host, v4A, src, r.Policy().Addr()))
		assert.ErrorIs(t, res.Err(), tc.err, "%s", src)
	}
	// Outbound, only a strict ISATAP identifier is a next hop; the others
	// go to the default router (here none: no route).
	for _, iid := range []string{"0000:5efe", "0200:5efe"} {
		nh, relay, err := r.Policy().NextHop(ip6{src: r.Policy().Addr(), dst: netip.MustParseAddr("2001:db8:1:2:" + iid + ":a00:5")}.bytes(t))
		require.NoError(t, err)
		assert.Equal(t, host, nh)
		assert.False(t, relay)
	}
	_, _, err := r.Policy().NextHop(ip6{src: r.Policy().Addr(), dst: netip.MustParseAddr("2001:db8:1:2:100:5efe:a00:5")}.bytes(t))
	assert.ErrorIs(t, err, ErrNoRoute)

	// u-bit: 10.0.0.5 is not global (u = 0), 8.8.8.8 is (u = 1); 100.64.0.1
	// is shared address space, u = 0 here where Linux (its list lacks
	// 100.64/10) sets u = 1.
	for _, tc := range []struct{ v4, want string }{
		{"10.0.0.5", "fe80::5efe:a00:5"},
		{"8.8.8.8", "fe80::200:5efe:808:808"},
		{"100.64.0.1", "fe80::5efe:6440:1"},
	} {
		r := router(t, Config{Mechanism: ISATAP, Local: netip.MustParseAddr(tc.v4)})
		assert.Equal(t, netip.MustParseAddr(tc.want), r.Policy().Addr(), tc.v4)
	}
}

// Item 8: the ISATAP receive check of RFC 5214 §7.3 (Linux isatap_chksrc).
func TestHardCase08ISATAPReceive(t *testing.T) {
	prl := netip.MustParseAddr("10.0.0.1")
	host := netip.MustParseAddr("10.0.0.5")
	local := netip.MustParseAddr("10.0.0.9")
	onLink := netip.MustParsePrefix("2001:db8:1:2::/64")
	r := router(t, Config{Mechanism: ISATAP, Local: local, PRL: []netip.Addr{prl}, OnLink: []netip.Prefix{onLink}})
	me := r.Policy().Addr()
	assert.Equal(t, netip.MustParseAddr("2001:db8:1:2:0:5efe:a00:9"), me)

	tests := []struct {
		name       string
		osrc       netip.Addr
		isrc, idst string
		err        error
		reason     Reason
	}{
		{"outer source in the PRL, native inner source", prl, "2001:db8:ffff::1", me.String(), nil, ReasonReceivedRelay},
		{"router link-local RA source", prl, "fe80::5efe:a00:1", "fe80::5efe:a00:9", nil, ReasonReceivedRelay},
		{"on-link ISATAP neighbour", host, "2001:db8:1:2:0:5efe:a00:5", me.String(), nil, ReasonReceivedDirect},
		{"link-local ISATAP neighbour", host, "fe80::5efe:a00:5", "fe80::5efe:a00:9", nil, ReasonReceivedDirect},
		{"not in PRL, inner IID embeds another IPv4", host, "2001:db8:1:2:0:5efe:a00:6", me.String(), ErrISATAPSourceMismatch, 0},
		{"not in PRL, native source", host, "2001:db8:ffff::1", me.String(), ErrNotInPRL, 0},
		{"prefix not on-link", host, "2001:db8:9:9:0:5efe:a00:5", me.String(), ErrPrefixNotOnLink, 0},
		{"host: destination off-link", prl, "2001:db8:ffff::1", "2001:db8:ffff::2", ErrNotLocalDestination, 0},
		{"outer source multicast", netip.MustParseAddr("224.0.0.1"), "fe80::5efe:e000:1", me.String(), ErrNonGlobalAddress, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := in(r, tunnelled(t, tc.osrc, local, netip.MustParseAddr(tc.isrc), netip.MustParseAddr(tc.idst)))
			assert.ErrorIs(t, res.Err(), tc.err)
			if tc.err == nil {
				assert.Equal(t, tc.reason, res.Reason())
			}
		})
	}

	// Transmit: the on-link neighbour directly, anything else via the
	// first PRL router.
	res := out(r, ip6{src: me, dst: netip.MustParseAddr("2001:db8:1:2:0:5efe:a00:5")}.bytes(t))
	assert.Equal(t, host, res.NextHop())
	assert.Equal(t, ReasonSentDirect, res.Reason())
	res = out(r, ip6{src: me, dst: netip.MustParseAddr("2620:fe::fe")}.bytes(t))
	assert.Equal(t, prl, res.NextHop())
	assert.Equal(t, ReasonSentRelay, res.Reason())

	// An ISATAP router accepts off-link destinations (it forwards them).
	rr := router(t, Config{Mechanism: ISATAP, Local: prl, Relay: true, OnLink: []netip.Prefix{onLink}})
	res = in(rr, tunnelled(t, host, prl, netip.MustParseAddr("2001:db8:1:2:0:5efe:a00:5"), netip.MustParseAddr("2620:fe::fe")))
	assert.NoError(t, res.Err())
	res = out(rr, ip6{src: native, dst: netip.MustParseAddr("2620:fe::fe")}.bytes(t))
	assert.ErrorIs(t, res.Err(), ErrNoRoute)
}

// Item 9 through the router: the DF rule follows the path MTU, and a
// 1481-byte packet on a 1480 tunnel gets a Packet Too Big (type 2, MTU 1480)
// to its source.
func TestHardCase09MTU(t *testing.T) {
	for _, tc := range []struct {
		path, size int
		df         bool
		ptb        int
		err        error
	}{
		{1500, 1480, true, 0, nil},
		{1500, 1481, false, 1480, ErrPacketTooBig},
		{1300, 1280, true, 0, nil},
		{1290, 1280, false, 0, nil},
		{1290, 1281, false, 1280, ErrPacketTooBig},
		{87, 1280, false, 0, ErrMTUTooSmall},
	} {
		cfg := sixToFour(v4A)
		if tc.path < 88 {
			r := router(t, cfg)
			// Such a path can only be learned; configuring it is refused.
			cfg.PathMTU = tc.path
			_, err := NewRouter(cfg)
			assert.ErrorIs(t, err, ErrInvalidConfig)
			r.pmtu.update(v4U32(v4B), tc.path, t0)
			res := out(r, sized(t, site6A, site6B, tc.size))
			assert.ErrorIs(t, res.Err(), tc.err)
			assert.Equal(t, ActionNone, res.Action())
			continue
		}
		cfg.PathMTU = tc.path
		r := router(t, cfg)
		pkt := sized(t, site6A, site6B, tc.size)
		res := out(r, pkt)
		assert.ErrorIs(t, res.Err(), tc.err, "path %d size %d", tc.path, tc.size)
		if tc.ptb == 0 {
			require.Equal(t, ActionToNetwork, res.Action())
			ip, err := packet.ParseIPv4(res.Packet)
			require.NoError(t, err)
			assert.Equal(t, tc.df, ip.DontFragment(), "path %d size %d", tc.path, tc.size)
			continue
		}
		require.Equal(t, ActionToHost, res.Action())
		assert.Equal(t, tc.ptb, res.MTU())
		m := icmp6(t, res.Packet)
		assert.Equal(t, uint8(packet.ICMPv6PacketTooBig), m.Type())
		assert.Equal(t, uint8(0), m.Code())
		mtu, invoking, err := m.ErrorMessage()
		require.NoError(t, err)
		assert.Equal(t, uint32(tc.ptb), mtu)
		assert.Equal(t, pkt[:packet.IPv6MinMTU-48], invoking, "quoted up to 1280 bytes in all")
		assert.Equal(t, site6A, m.IP().Dst(), "to the inner source")
		assert.Equal(t, r.Policy().Addr(), m.IP().Src(), "from the tunnel address")
	}
}

// Item 10 through the router: ECN on both ends of a tunnel.
func TestHardCase10ECN(t *testing.T) {
	for _, mode := range []packet.ECNMode{packet.ECNNormal, packet.ECNLinux} {
		cfg := sixToFour(v4A)
		cfg.Outer.ECN = mode
		a := router(t, cfg)
		b := router(t, sixToFour(v4B))
		inner := ip6{src: site6A, dst: site6B, tc: uint8(packet.CE)}.bytes(t)
		res := out(a, inner)
		require.NoError(t, res.Err())
		want := packet.CE
		if mode == packet.ECNLinux {
			want = packet.ECT0
		}
		assert.Equal(t, want, packet.TOSECN(res.Packet[1]), mode.String())
		got := in(b, res.Packet)
		require.NoError(t, got.Err())
		assert.Equal(t, packet.CE, packet.TOSECN(got.Packet[0]<<4|got.Packet[1]>>4), "CE survives the tunnel")
	}
	// A CE mark over a Not-ECT packet is dropped and counted.
	b := router(t, sixToFour(v4B))
	res := in(b, ip4{src: v4A, dst: v4B, tos: uint8(packet.CE)}.wrap(t, ip6{src: site6A, dst: site6B}.bytes(t)))
	assert.ErrorIs(t, res.Err(), ErrECNDrop)
	assert.Equal(t, uint64(1), b.Counters().Get(Inbound, ReasonECNDrop))
}

// icmpv4 builds an ICMPv4 error from router to dst quoting quote, with
// checksum; rest is the 4 bytes after the checksum.
func icmpv4(t testing.TB, from, to netip.Addr, typ, code uint8, rest [4]byte, quote []byte) []byte {
	t.Helper()
	m := append([]byte{typ, code, 0, 0}, rest[:]...)
	m = append(m, quote...)
	binary.BigEndian.PutUint16(m[2:], ^packet.Checksum(m, 0))
	return ip4{src: from, dst: to, proto: packet.ProtoICMP, tos: 0xc0}.wrap(t, m)
}

// Item 11: ICMPv4 errors quoting our packets.
func TestHardCase11ICMPv4Quotes(t *testing.T) {
	cfg := sixToFour(v4A)
	cfg.ICMPRate = -1 // the rate limit has its own test
	a := router(t, cfg)
	rtr := netip.MustParseAddr("198.51.100.254")
	sent := out(a, sized(t, site6A, site6B, 1400))
	require.Equal(t, ActionToNetwork, sent.Action())
	pkt := append([]byte(nil), sent.Packet...)

	// Most routers quote the IPv4 header and 8 bytes: nothing for IPv6.
	res := in(a, icmpv4(t, rtr, v4A, 3, 1, [4]byte{}, pkt[:28]))
	assert.ErrorIs(t, res.Err(), ErrQuoteTruncated)
	assert.Equal(t, ActionNone, res.Action())

	// Header + 40 + 8: Destination Unreachable code 3 from ::ffff:router.
	for code := uint8(0); code < 16; code++ {
		res := in(a, icmpv4(t, rtr, v4A, 3, code, [4]byte{}, pkt[:68]))
		switch code {
		case 4: // Fragmentation Needed: path MTU only
			assert.Equal(t, ReasonPMTUUpdated, res.Reason())
			assert.Equal(t, ActionNone, res.Action())
			continue
		case 5: // Source Route Failed: ignored
			assert.ErrorIs(t, res.Err(), ErrICMPIgnored)
			continue
		}
		require.Equal(t, ActionToHost, res.Action(), "code %d: %v", code, res.Err())
		assert.Equal(t, ReasonICMPTranslated, res.Reason())
		m := icmp6(t, res.Packet)
		assert.Equal(t, uint8(packet.ICMPv6DestUnreachable), m.Type())
		assert.Equal(t, uint8(packet.ICMPv6AddressUnreachable), m.Code())
		assert.Equal(t, netip.MustParseAddr("::ffff:198.51.100.254"), m.IP().Src())
		assert.Equal(t, site6A, m.IP().Dst())
		_, invoking, _ := m.ErrorMessage()
		assert.Equal(t, pkt[20:68], invoking)
	}

	// Time Exceeded: in transit becomes ICMPv6 Time Exceeded code 0;
	// reassembly (code 1) is ignored.
	res = in(a, icmpv4(t, rtr, v4A, 11, 0, [4]byte{}, pkt[:100]))
	require.Equal(t, ActionToHost, res.Action(), res.Err())
	m := icmp6(t, res.Packet)
	assert.Equal(t, uint8(packet.ICMPv6TimeExceeded), m.Type())
	assert.Equal(t, uint8(0), m.Code())
	res = in(a, icmpv4(t, rtr, v4A, 11, 1, [4]byte{}, pkt[:100]))
	assert.ErrorIs(t, res.Err(), ErrICMPIgnored)

	// Parameter Problem and Redirect are ignored too.
	assert.ErrorIs(t, in(a, icmpv4(t, rtr, v4A, 12, 0, [4]byte{}, pkt[:100])).Err(), ErrICMPIgnored)
	assert.ErrorIs(t, in(a, icmpv4(t, rtr, v4A, 5, 1, [4]byte{}, pkt[:100])).Err(), ErrICMPIgnored)

	// Fragmentation Needed, Next-Hop MTU 1400: only the path MTU changes
	// (tunnel MTU 1380); the next 1400-byte packet gets a Packet Too Big.
	a = router(t, cfg)
	res = in(a, icmpv4(t, rtr, v4A, 3, 4, [4]byte{0, 0, 0x05, 0x78}, pkt[:28]))
	assert.Equal(t, ReasonPMTUUpdated, res.Reason())
	assert.Equal(t, v4B, res.NextHop())
	assert.Equal(t, 1400, res.MTU())
	assert.Equal(t, 1400, a.PathMTU(v4B, t0))
	res = out(a, sized(t, site6A, site6B, 1400))
	require.Equal(t, ActionToHost, res.Action())
	assert.Equal(t, 1380, res.MTU())
	mtu, _, _ := icmp6(t, res.Packet).ErrorMessage()
	assert.Equal(t, uint32(1380), mtu)
	assert.Equal(t, DefaultPathMTU, a.PathMTU(v4Other, t0), "other peers keep theirs")
	assert.Equal(t, DefaultPathMTU, a.PathMTU(v4B, t0.Add(PMTUTimeout)), "learned path MTUs expire")

	// A forged Fragmentation Needed cannot push the path below MinPathMTU:
	// the tunnel then sends 1280 without DF.
	res = in(a, icmpv4(t, rtr, v4A, 3, 4, [4]byte{0, 0, 0, 68}, pkt[:28]))
	assert.Equal(t, MinPathMTU, res.MTU())
	res = out(a, sized(t, site6A, site6B, 1280))
	require.Equal(t, ActionToNetwork, res.Action())
	assert.Zero(t, res.Packet[6]&0x40, "DF clear")

	// Errors quoting somebody else's packets are refused.
	other := tunnelled(t, v4Other, v4B, site6A, site6B)
	assert.ErrorIs(t, in(a, icmpv4(t, rtr, v4A, 3, 1, [4]byte{}, other)).Err(), ErrQuoteNotOurs)
	notOurs := ip4{src: v4A, dst: v4B, proto: packet.ProtoUDP}.wrap(t, make([]byte, 48))
	assert.ErrorIs(t, in(a, icmpv4(t, rtr, v4A, 3, 1, [4]byte{}, notOurs)).Err(), ErrNotProto41)
	echo := icmpv4(t, rtr, v4A, 8, 0, [4]byte{}, []byte("ping"))
	assert.ErrorIs(t, in(a, echo).Err(), ErrNotICMPv4Error)
}

// fragmentIPv4 splits the IPv4 packet b as a router with the given link MTU
// would (RFC 791 §3.2): payload chunks of a multiple of 8 bytes, MF on all
// but the last, the header copied (options included) with offset, length
// and checksum rewritten.
func fragmentIPv4(t testing.TB, b []byte, mtu int) [][]byte {
	t.Helper()
	hl := int(b[0]&0xf) * 4
	payload := b[hl:]
	chunk := (mtu - hl) &^ 7
	var frags [][]byte
	for off := 0; off < len(payload); off += chunk {
		end := min(off+chunk, len(payload))
		f := append(append([]byte(nil), b[:hl]...), payload[off:end]...)
		binary.BigEndian.PutUint16(f[2:], uint16(len(f)))
		fo := uint16(off / 8)
		if end < len(payload) {
			fo |= 0x2000
		}
		binary.BigEndian.PutUint16(f[6:], fo)
		fixChecksum(f)
		frags = append(frags, f)
	}
	return frags
}

// Item 12: a 1280-byte IPv6 packet over a 576-byte IPv4 path is sent with
// DF clear, fragmented on the way and reassembled before decapsulation, in
// any order; overlapping or short fragments are refused.
func TestHardCase12Fragmented(t *testing.T) {
	cfg := sixToFour(v4A)
	cfg.PathMTU = 576
	a := router(t, cfg)
	inner := sized(t, site6A, site6B, 1280)
	res := out(a, inner)
	require.Equal(t, ActionToNetwork, res.Action(), res.Err())
	assert.Zero(t, res.Packet[6]&0x40, "DF clear below 1300")
	frags := fragmentIPv4(t, res.Packet, 576)
	require.Len(t, frags, 3)

	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 6 {
		b := router(t, sixToFour(v4B))
		order := rng.Perm(len(frags))
		for i, k := range order {
			got := in(b, frags[k])
			if i < len(order)-1 {
				require.Equal(t, ReasonFragmentQueued, got.Reason(), "round %d", round)
				continue
			}
			require.NoError(t, got.Err())
			assert.Equal(t, inner, got.Packet, "round %d order %v", round, order)
		}
		assert.Equal(t, uint64(1), b.Counters().Get(Inbound, ReasonReassembled))
	}

	b := router(t, sixToFour(v4B))
	in(b, frags[0])
	assert.ErrorIs(t, in(b, frags[0]).Err(), ErrReassemblyOverlap, "duplicate")
	short := append([]byte(nil), frags[1][:20+100]...) // MF set, 100 bytes: not a multiple of 8
	binary.BigEndian.PutUint16(short[2:], uint16(len(short)))
	fixChecksum(short)
	assert.ErrorIs(t, in(b, short).Err(), ErrReassemblyShortFragment)

	cfg = sixToFour(v4B)
	cfg.NoReassembly = true
	assert.ErrorIs(t, in(router(t, cfg), frags[0]).Err(), ErrFragmented)
}

// Item 13 through the router: total length < 60 dropped, IHL > 5 accepted,
// payload length disagreeing with the outer length dropped.
func TestHardCase13Odd(t *testing.T) {
	b := router(t, sixToFour(v4B))
	good := ip6{src: site6A, dst: site6B, payload: []byte("0123456789")}.bytes(t)

	assert.ErrorIs(t, in(b, ip4{src: v4A, dst: v4B}.wrap(t, good[:39])).Err(), ErrInnerTruncated)

	opt := ip4{src: v4A, dst: v4B}.wrap(t, good)
	opt = append(opt[:20:20], append([]byte{1, 1, 1, 0}, opt[20:]...)...) // NOP NOP NOP EOL
	opt[0] = 0x46
	binary.BigEndian.PutUint16(opt[2:], uint16(len(opt)))
	fixChecksum(opt)
	res := in(b, opt)
	require.NoError(t, res.Err())
	assert.Equal(t, good, res.Packet)

	long := append([]byte(nil), good...)
	binary.BigEndian.PutUint16(long[4:], 11)
	assert.ErrorIs(t, in(b, ip4{src: v4A, dst: v4B}.wrap(t, long)).Err(), ErrLengthMismatch)
	res = in(b, ip4{src: v4A, dst: v4B}.wrap(t, append(append([]byte(nil), good...), 0xee, 0xee)))
	require.NoError(t, res.Err())
	assert.Equal(t, good, res.Packet, "a longer outer packet is trimmed")
}

// Item 16: protocol 41 that no tunnel accepts is dropped silently, or
// answered with ICMPv4 Destination Unreachable, port unreachable (type 3
// code 3, as Linux's tunnel4).
func TestHardCase16NoTunnel(t *testing.T) {
	stray := tunnelled(t, v4Other, netip.MustParseAddr("192.0.2.99"), native, site6A)
	r := router(t, sixToFour(v4A))
	res := in(r, stray)
	assert.ErrorIs(t, res.Err(), ErrNoTunnel)
	assert.Equal(t, ActionNone, res.Action(), "silent by default")

	cfg := sixToFour(v4A)
	cfg.ICMPv4Unreachable = true
	r = router(t, cfg)
	res = in(r, stray)
	assert.ErrorIs(t, res.Err(), ErrNoTunnel)
	require.Equal(t, ActionToNetwork, res.Action())
	assert.Equal(t, v4Other, res.NextHop())
	checkPortUnreachable(t, res.Packet, v4A, v4Other, stray)
	assert.Equal(t, uint64(1), r.Counters().Get(Inbound, ReasonICMPv4Sent))

	p2p := Config{Mechanism: SixInFour, Local: v4A, Remote: v4B, ICMPv4Unreachable: true}
	r = router(t, p2p)
	wrong := tunnelled(t, v4Other, v4A, native, site6A)
	res = in(r, wrong)
	assert.ErrorIs(t, res.Err(), ErrNotFromRemote)
	require.Equal(t, ActionToNetwork, res.Action())
	checkPortUnreachable(t, res.Packet, v4A, v4Other, wrong)

	// Never to a broadcast or multicast source.
	res = in(r, tunnelled(t, netip.MustParseAddr("255.255.255.255"), v4A, native, site6A))
	assert.Equal(t, ActionNone, res.Action())
}

// checkPortUnreachable parses an ICMPv4 port unreachable and checks it
// quotes the start of invoking.
func checkPortUnreachable(t *testing.T, b []byte, from, to netip.Addr, invoking []byte) {
	t.Helper()
	ip, err := packet.ParseIPv4(b)
	require.NoError(t, err)
	assert.Equal(t, from, ip.Src())
	assert.Equal(t, to, ip.Dst())
	assert.Equal(t, uint8(packet.ProtoICMP), ip.Protocol())
	m := ip.Payload()
	assert.Equal(t, uint16(0xffff), packet.Checksum(m, 0), "ICMPv4 checksum")
	assert.Equal(t, []byte{3, 3}, m[:2])
	assert.Equal(t, invoking, m[8:], "the whole (short) packet is quoted")
	assert.LessOrEqual(t, len(b), 576)
	assert.False(t, errors.Is(err, ErrICMPSuppressed))
}
