package sixtofour

import (
	"encoding/binary"
	"io"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/packet"
)

// offsetIn returns the offset of sub in b, or -1 if sub is not a
// non-empty sub-slice of b.
func offsetIn(b, sub []byte) int {
	if len(sub) == 0 {
		return -1
	}
	for i := range b {
		if &b[i] == &sub[0] {
			if i+len(sub) > len(b) {
				return -1
			}
			return i
		}
	}
	return -1
}

// twoStep is what Policy.Decapsulate must equal: Decapsulate, then
// CheckInbound.
func twoStep(p *Policy, b []byte, mode DecapECN) ([]byte, Outer, error) {
	inner, outer, err := Decapsulate(b, mode)
	if err != nil {
		return nil, Outer{}, err
	}
	if err := p.CheckInbound(outer, inner); err != nil {
		return nil, Outer{}, err
	}
	return inner, outer, nil
}

// TestPolicyDecapsulate takes packets of every kind through the one-call
// path: the common 6to4 case on Internet and lab addresses, the cases the
// precise path decides (a relay, options, an ECN rewrite, an empty
// payload), and a refusal for each check, in the order of the two-step
// path. A refused packet is left as it was.
func TestPolicyDecapsulate(t *testing.T) {
	lab := sixToFour(v4B)
	labPol, err := NewPolicy(&lab)
	require.NoError(t, err)
	inet := Config{Mechanism: SixToFour, Local: benchV4B}
	inetPol, err := NewPolicy(&inet)
	require.NoError(t, err)

	good := ip6{src: site6A, dst: site6B, payload: []byte("0123456789")}.bytes(t)
	wrap := func(h ip4, inner []byte) []byte { h.src, h.dst = v4A, v4B; return h.wrap(t, inner) }
	tc := func(ecn uint8) []byte { // good with traffic class ecn
		return ip6{src: site6A, dst: site6B, tc: ecn, payload: []byte("0123456789")}.bytes(t)
	}
	withOptions := func() []byte { // IHL 6: one 4-byte option (End of Options + padding)
		b := wrap(ip4{}, good)
		b = append(b[:20:20], append([]byte{0, 0, 0, 0}, b[20:]...)...)
		b[0] = 0x46
		binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
		fixChecksum(b)
		return b
	}
	set := func(b []byte, at int, v ...byte) []byte { copy(b[at:], v); fixChecksum(b); return b }

	tests := []struct {
		name   string
		pol    *Policy
		b      []byte
		err    error
		hl     int    // outer header length of an accepted packet
		ecn    uint8  // inner ECN field of an accepted packet
		linux  uint8  // the same under DecapLinux
		relay  bool   // accepted as coming through a relay
		inner6 []byte // the inner packet, if not b[hl:]
	}{
		{name: "P41-1, site A to site B (lab addresses)", pol: labPol, b: hexb(t, vectorP41), hl: 20},
		{name: "8.8.8.8 to 9.9.9.9 (plain octets)", pol: inetPol, hl: 20,
			b: ip4{src: benchV4A, dst: benchV4B}.wrap(t, ip6{src: bench6A, dst: bench6B, payload: []byte("x")}.bytes(t))},
		{name: "link padding after Total Length", pol: labPol, b: append(wrap(ip4{}, good), 0, 0, 0, 0), hl: 20, inner6: good},
		{name: "outer ECT(0): inner left alone", pol: labPol, b: wrap(ip4{tos: 2}, tc(1)), hl: 20, ecn: 1, linux: 1},
		{name: "outer ECT(1) over inner ECT(0): ECT(1), Linux ECT(0)", pol: labPol, b: wrap(ip4{tos: 1}, tc(2)), hl: 20, ecn: 1, linux: 2},
		{name: "outer CE over inner ECT(1): CE", pol: labPol, b: wrap(ip4{tos: 3}, tc(1)), hl: 20, ecn: 3, linux: 3},
		{name: "IPv4 options", pol: labPol, b: withOptions(), hl: 24},
		{name: "Payload Length 0", pol: labPol, b: wrap(ip4{}, ip6{src: site6A, dst: site6B}.bytes(t)), hl: 20},
		{name: "native source from the relay", pol: labPol, b: tunnelled(t, v4Relay, v4B, native, site6B), hl: 20, relay: true},
		{name: "lab addresses without TreatAsGlobal", pol: inetPol, b: hexb(t, vectorP41), err: ErrNoTunnel},

		{name: "bad checksum", pol: labPol, b: func() []byte { b := wrap(ip4{}, good); b[10] ^= 1; return b }(), err: packet.ErrBadChecksum},
		{name: "Total Length past the buffer", pol: labPol, b: wrap(ip4{}, good)[:59], err: packet.ErrTruncated},
		{name: "first fragment", pol: labPol, b: set(wrap(ip4{}, good), 6, 0x20, 0), err: ErrFragmented},
		{name: "protocol 4", pol: labPol, b: ip4{src: v4A, dst: v4B, proto: 4}.wrap(t, good), err: ErrNotProto41},
		{name: "inner version 4", pol: labPol, b: wrap(ip4{}, append([]byte{0x45}, good[1:]...)), err: ErrNotIPv6Inner},
		{name: "outer CE over inner Not-ECT", pol: labPol, b: wrap(ip4{tos: 3}, good), err: ErrECNDrop},
		{name: "outer CE over Not-ECT, and spoofed: the codec's error first", pol: labPol,
			b: ip4{src: v4Other, dst: v4B, tos: 3}.wrap(t, good), err: ErrECNDrop},
		{name: "spoofed source", pol: labPol, b: tunnelled(t, v4Other, v4B, site6A, site6B), err: ErrSpoofedSource},
		{name: "spoofed source under outer CE over ECT(0): b not rewritten", pol: labPol,
			b: ip4{src: v4Other, dst: v4B, tos: 3}.wrap(t, tc(2)), err: ErrSpoofedSource},
		{name: "not Local", pol: labPol, b: tunnelled(t, v4A, v4Other, site6A, site6B), err: ErrNoTunnel},
		{name: "outer source private", pol: labPol, b: tunnelled(t, netip.MustParseAddr("10.0.0.1"), v4B,
			netip.MustParseAddr("2002:a00:1::1"), site6B), err: ErrNonGlobalAddress},
		{name: "destination at another site", pol: labPol, b: tunnelled(t, v4A, v4B, site6A,
			netip.MustParseAddr("2002:c633:6408::1")), err: ErrSpoofedDestination},
		{name: "native destination", pol: labPol, b: tunnelled(t, v4A, v4B, site6A, native), err: ErrNotLocalDestination},
		{name: "multicast source", pol: labPol, b: tunnelled(t, v4A, v4B, netip.MustParseAddr("ff0e::1"), site6B), err: ErrBadInnerSource},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []DecapECN{DecapRFC6040, DecapLinux} {
				b := append([]byte(nil), tc.b...)
				inner, outer, err := tc.pol.Decapsulate(b, mode)
				ref := append([]byte(nil), tc.b...)
				wantInner, wantOuter, wantErr := twoStep(tc.pol, ref, mode)
				assert.Equal(t, wantErr, err, "the two-step path's error")
				if tc.err != nil {
					assert.ErrorIs(t, err, tc.err, mode)
					assert.Nil(t, inner)
					assert.False(t, outer.IsValid())
					assert.Equal(t, tc.b, b, "a refused packet is left as it was")
					continue
				}
				require.NoError(t, err, mode)
				want := tc.inner6
				if want == nil {
					want = tc.b[tc.hl:]
				}
				ecn := tc.ecn
				if mode == DecapLinux {
					ecn = tc.linux
				}
				want = append([]byte(nil), want...)
				want[1] = want[1]&^0x30 | ecn<<4
				assert.Equal(t, want, inner, mode)
				assert.Equal(t, tc.hl, offsetIn(b, inner), "inner is a sub-slice of b")
				assert.Equal(t, b[:tc.hl], outer.Header())
				assert.Equal(t, offsetIn(ref, wantInner), offsetIn(b, inner))
				assert.Equal(t, wantInner, inner)
				assert.Equal(t, wantOuter.Fields(), outer.Fields())
				assert.Equal(t, tc.relay, tc.pol.viaRelay(binary.BigEndian.Uint32(b[12:16]), inner))
			}
		})
	}
}

// TestInboundPolicyBeforeECN checks the order the router keeps, unlike
// Policy.Decapsulate: a packet both spoofed and marked CE over Not-ECT is
// refused for the spoofing, and one for no tunnel gets its ICMPv4 error.
func TestInboundPolicyBeforeECN(t *testing.T) {
	cfg := sixToFour(v4B)
	cfg.ICMPv4Unreachable = true
	r := router(t, cfg)
	good := ip6{src: site6A, dst: site6B}.bytes(t)

	spoofed := ip4{src: v4Other, dst: v4B, tos: 3}.wrap(t, good)
	_, _, err := r.Policy().Decapsulate(append([]byte(nil), spoofed...), DecapRFC6040)
	assert.Equal(t, ErrECNDrop, err)
	assert.Equal(t, ErrSpoofedSource, in(r, spoofed).Err())

	notOurs := ip4{src: v4A, dst: v4Other, tos: 3}.wrap(t, good)
	res := in(r, notOurs)
	assert.Equal(t, ErrNoTunnel, res.Err())
	assert.Equal(t, ActionToNetwork, res.Action(), "an ICMPv4 port unreachable")
	assert.Equal(t, v4A, res.NextHop())

	ecnOnly := ip4{src: v4A, dst: v4B, tos: 3}.wrap(t, good)
	assert.Equal(t, ErrECNDrop, in(r, ecnOnly).Err())
	assert.Equal(t, ReasonReceivedDirect, in(r, tunnelled(t, v4A, v4B, site6A, site6B)).Reason())
	assert.Equal(t, ReasonReceivedRelay, in(r, tunnelled(t, v4Relay, v4B, native, site6B)).Reason())
}

// templatePolicies are OuterPolicy variants that exercise every branch of
// the header: TTL fixed or inherited, DSCP fixed (with ECN bits to
// ignore) or inherited, each ECN mode, an unknown one.
var templatePolicies = []OuterPolicy{
	{},
	{TTL: 64},
	{TTL: 255, TOS: 0xb8},
	{TTL: 1, TOS: 0x23, ECN: packet.ECNCompat},
	{InheritTOS: true},
	{InheritTOS: true, TOS: 0xfc, ECN: packet.ECNLinux},
	{TTL: 17, InheritTOS: true, ECN: packet.ECNCompat},
	{TTL: 9, ECN: packet.ECNMode(7)},
}

// TestTemplateP41 builds vector P41-1 (from scapy, decoded by tshark) with
// a Template, in place and by appending.
func TestTemplateP41(t *testing.T) {
	want := hexb(t, vectorP41)
	for _, ttl := range []uint8{64, TTLInherit} {
		tmpl, err := NewTemplate(&Params{OuterPolicy: OuterPolicy{TTL: ttl}, Src: v4A, Dst: v4B, DF: true})
		require.NoError(t, err)
		buf, off := withHeadroom(want[20:])
		got, err := tmpl.Encapsulate(buf, off)
		require.NoError(t, err)
		assert.Equal(t, want, got, "in place, ttl %d", ttl)
		assert.Equal(t, &buf[0], &got[0], "the header is written into the headroom")

		got, err = tmpl.AppendEncapsulate([]byte("prefix"), want[20:])
		require.NoError(t, err)
		assert.Equal(t, append([]byte("prefix"), want...), got, "appended, ttl %d", ttl)
	}
}

// TestTemplateMatchesEncapsulate checks that a Template writes what
// Encapsulate writes with its Params, for every OuterPolicy variant, inner
// traffic class and hop limit, ID (set at compile time or with SetID) and
// DF, and that package packet parses the header.
func TestTemplateMatchesEncapsulate(t *testing.T) {
	for _, op := range templatePolicies {
		for _, tc := range []uint8{0, 1, 2, 3, 0xb9, 0xfe, 0xff} {
			for _, hlim := range []uint8{1, 64, 255} {
				for _, id := range []uint16{0, 1, 0x1234, 0xffff} {
					for _, df := range []bool{false, true} {
						p := Params{OuterPolicy: op, Src: v4A, Dst: netip.MustParseAddr("255.255.255.255"), ID: id, DF: df}
						inner := ip6{src: site6A, dst: site6B, tc: tc, hlim: hlim, payload: []byte("abc")}.bytes(t)
						buf, off := withHeadroom(append(inner, "trailer"...))
						want, err := Encapsulate(append([]byte(nil), buf...), off, &p)
						require.NoError(t, err)

						tmpl, err := NewTemplate(&p)
						require.NoError(t, err)
						got, err := tmpl.Encapsulate(buf, off)
						require.NoError(t, err)
						require.Equal(t, want, got, "%+v tc %#x hlim %d", p, tc, hlim)
						_, err = packet.ParseIPv4(got)
						require.NoError(t, err)

						p0 := p
						p0.ID = 0x5555
						tmpl, err = NewTemplate(&p0)
						require.NoError(t, err)
						tmpl.SetID(id)
						assert.Equal(t, id, tmpl.ID())
						got, err = tmpl.Encapsulate(buf, off)
						require.NoError(t, err)
						require.Equal(t, want, got, "SetID(%#x)", id)
					}
				}
			}
		}
	}
}

// TestTemplateErrors checks that a Template refuses what Encapsulate
// refuses, with the same error, leaving buf alone, and that the zero
// Template refuses every packet as the zero Params does.
func TestTemplateErrors(t *testing.T) {
	good := ip6{src: site6A, dst: site6B, payload: []byte{1, 2, 3}}.bytes(t)
	huge := make([]byte, 40+MaxTunnelMTU-39)
	copy(huge, ip6{src: site6A, dst: site6B}.bytes(t))
	binary.BigEndian.PutUint16(huge[4:], uint16(len(huge)-40))
	p := Params{Src: v4A, Dst: v4B}
	v6 := Params{Src: v4A, Dst: site6B}
	tests := []struct {
		name string
		p    Params
		buf  []byte
		off  int
		err  error
	}{
		{"no headroom", p, append(make([]byte, 19), good...), 19, packet.ErrNoHeadroom},
		{"offset past the buffer", p, make([]byte, 30), 31, io.ErrShortBuffer},
		{"inner truncated", p, append(make([]byte, 20), good[:39]...), 20, ErrInnerTruncated},
		{"inner version 4", p, append(make([]byte, 20), append([]byte{0x45}, good[1:]...)...), 20, ErrNotIPv6Inner},
		{"inner Payload Length past the buffer", p, append(make([]byte, 20), good[:42]...), 20, ErrLengthMismatch},
		{"IPv6 outer destination", v6, append(make([]byte, 20), good...), 20, packet.ErrNotIPv4Addr},
		{"zero Params", Params{}, append(make([]byte, 20), good...), 20, packet.ErrNotIPv4Addr},
		{"zero Params, inner truncated first", Params{}, append(make([]byte, 20), good[:39]...), 20, ErrInnerTruncated},
		{"inner longer than MaxTunnelMTU", p, append(make([]byte, 20), huge...), 20, packet.ErrTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, wantErr := Encapsulate(append([]byte(nil), tc.buf...), tc.off, &tc.p)
			require.ErrorIs(t, wantErr, tc.err, "Encapsulate")
			tmpl, err := NewTemplate(&tc.p)
			if tc.p.Src.Is4() && tc.p.Dst.Is4() {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, packet.ErrNotIPv4Addr)
				assert.Equal(t, Template{}, tmpl)
			}
			b := append([]byte(nil), tc.buf...)
			got, err := tmpl.Encapsulate(b, tc.off)
			assert.Equal(t, wantErr, err)
			assert.Nil(t, got)
			assert.Equal(t, tc.buf, b, "buf is not modified on error")

			if tc.off == Headroom {
				dst := []byte("prefix")
				_, wantErr := AppendEncapsulate(dst, tc.buf[tc.off:], &tc.p)
				out, err := tmpl.AppendEncapsulate(dst, tc.buf[tc.off:])
				assert.Equal(t, wantErr, err)
				assert.Equal(t, []byte("prefix"), out, "dst is returned unchanged")
			}
		})
	}
}

// TestPolicyDecapsulateCommonCase checks which packets the common-case
// path decides, on a copy of the policy whose precise path refuses what
// the site's /48 would accept (ErrNotLocalDestination): the common case is
// accepted all the same, anything else is refused. So a common case that
// stopped being recognised (a slower path, same answers) fails here.
func TestPolicyDecapsulateCommonCase(t *testing.T) {
	five := sixToFour(v4B) // 198.51.100.0/24 fourth, 192.0.2.0/24 fifth
	five.TreatAsGlobal = []netip.Prefix{
		netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("192.0.2.0/24"),
	}
	inet := Config{Mechanism: SixToFour, Local: benchV4B}
	tampered := func(cfg Config) *Policy {
		p, err := NewPolicy(&cfg)
		require.NoError(t, err)
		q := *p
		q.site48 = ^uint64(0)                                       // off: checkInbound's fast case
		q.own = pfxOf(netip.MustParsePrefix("2002:c633:6408::/48")) // not this site's /48
		return &q
	}
	withOptions := func() []byte {
		b := hexb(t, vectorP41)
		b = append(b[:20:20], append([]byte{1, 1, 1, 0}, b[20:]...)...)
		b[0] = 0x46
		binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
		fixChecksum(b)
		return b
	}
	inner := func(tc uint8) []byte { return ip6{src: site6A, dst: site6B, tc: tc}.bytes(t) }
	tests := []struct {
		name   string
		cfg    Config
		b      []byte
		common bool
	}{
		{"P41-1 (lab addresses, first TreatAsGlobal prefix)", sixToFour(v4B), hexb(t, vectorP41), true},
		{"plain octets", inet, ip4{src: benchV4A, dst: benchV4B}.wrap(t, ip6{src: bench6A, dst: bench6B}.bytes(t)), true},
		{"outer ECT(0)", sixToFour(v4B), ip4{src: v4A, dst: v4B, tos: 0xba}.wrap(t, inner(1)), true},
		{"link padding", sixToFour(v4B), append(hexb(t, vectorP41), 0, 0), true},
		{"fourth TreatAsGlobal prefix", five, ip4{src: netip.MustParseAddr("198.51.100.9"), dst: v4B}.wrap(t,
			ip6{src: netip.MustParseAddr("2002:c633:6409::1"), dst: site6B}.bytes(t)), true},
		{"fifth TreatAsGlobal prefix", five, hexb(t, vectorP41), false},
		{"outer ECT(1): an ECN rewrite", sixToFour(v4B), ip4{src: v4A, dst: v4B, tos: 1}.wrap(t, inner(2)), false},
		{"outer CE", sixToFour(v4B), ip4{src: v4A, dst: v4B, tos: 3}.wrap(t, inner(2)), false},
		{"IPv4 options", sixToFour(v4B), withOptions(), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := tampered(tc.cfg)
			_, _, err := twoStep(q, append([]byte(nil), tc.b...), DecapRFC6040)
			require.Equal(t, ErrNotLocalDestination, err, "the tampered precise path")
			_, _, err = q.Decapsulate(append([]byte(nil), tc.b...), DecapRFC6040)
			if tc.common {
				assert.NoError(t, err, "the common case decides")
			} else {
				assert.Equal(t, ErrNotLocalDestination, err, "the precise path decides")
			}
		})
	}
}
