package sixtofour

import (
	"io"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/packet"
)

// vectorP41 is test vector P41-1 of proto41.md §1: a minimal 6to4 packet
// (IPv6 "No Next Header") built with scapy and decoded by tshark as DF=1,
// TTL 64, protocol 41, checksum 0x4e5a, 192.0.2.4 -> 198.51.100.7,
// 2002:c000:204::1 -> 2002:c633:6407::1.
const vectorP41 = `
4500003c 00004000 40294e5a c0000204 c6336407
60000000 00003b40
2002c000 02040000 00000000 00000001
2002c633 64070000 00000000 00000001`

// TestEncapsulateP41 builds P41-1 in place and by appending: exactly the
// vector's bytes, with the fixed TTL of 64 and with TTL inherited from the
// inner hop limit (also 64).
func TestEncapsulateP41(t *testing.T) {
	want := hexb(t, vectorP41)
	inner := want[20:]
	for _, ttl := range []uint8{64, TTLInherit} {
		p := Params{OuterPolicy: OuterPolicy{TTL: ttl}, Src: v4A, Dst: v4B, DF: true}
		buf, off := withHeadroom(inner)
		got, err := Encapsulate(buf, off, &p)
		require.NoError(t, err)
		assert.Equal(t, want, got, "in place, ttl %d", ttl)
		assert.Equal(t, &buf[0], &got[0], "the header is written into the headroom")

		got, err = AppendEncapsulate(nil, inner, &p)
		require.NoError(t, err)
		assert.Equal(t, want, got, "appended, ttl %d", ttl)
	}
}

// TestEncapsulateFields checks every outer field our encapsulator sets
// against a header parsed by package packet: TTL fixed or inherited, TOS
// fixed or inherited with the ECN field per mode, ID and DF as given, IHL 5,
// and bytes after the inner packet left out.
func TestEncapsulateFields(t *testing.T) {
	// Inner traffic class 0xb9: DSCP 46 (EF), ECN ECT(1).
	inner := ip6{src: site6A, dst: site6B, tc: 0xb9, hlim: 17, payload: []byte("payload")}.bytes(t)
	tests := []struct {
		name     string
		pol      OuterPolicy
		id       uint16
		df       bool
		wantTTL  uint8
		wantTOS  uint8
		trailing int
	}{
		{"inherit ttl, fixed dscp 0", OuterPolicy{}, 0, true, 17, 0x01, 0},
		{"fixed ttl 255 (tunnel brokers)", OuterPolicy{TTL: 255}, 7, false, 255, 0x01, 0},
		{"fixed tos ignores its ECN bits", OuterPolicy{TTL: 40, TOS: 0x23}, 0xffff, true, 40, 0x21, 0},
		{"inherit tos", OuterPolicy{InheritTOS: true}, 1, true, 17, 0xb9, 0},
		{"inherit tos, compat ECN", OuterPolicy{InheritTOS: true, ECN: packet.ECNCompat}, 1, true, 17, 0xb8, 0},
		{"trailing bytes not sent", OuterPolicy{TTL: 64}, 2, true, 64, 0x01, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Params{OuterPolicy: tc.pol, Src: v4A, Dst: v4B, ID: tc.id, DF: tc.df}
			buf, off := withHeadroom(append(append([]byte(nil), inner...), make([]byte, tc.trailing)...))
			got, err := Encapsulate(buf, off, &p)
			require.NoError(t, err)
			require.Len(t, got, 20+len(inner))
			ip, err := packet.ParseIPv4(got)
			require.NoError(t, err)
			assert.Equal(t, packet.IPv4Header{
				TOS: tc.wantTOS, ID: tc.id, DontFragment: tc.df, TTL: tc.wantTTL,
				Protocol: packet.ProtoIPv6, Src: v4A, Dst: v4B,
			}, ip.Fields())
			assert.Equal(t, packet.IPv4HeaderLen, ip.HeaderLen())
			assert.False(t, ip.MoreFragments())
			assert.Equal(t, inner, ip.Payload())

			app, err := AppendEncapsulate([]byte("prefix"), append(append([]byte(nil), inner...), make([]byte, tc.trailing)...), &p)
			require.NoError(t, err)
			assert.Equal(t, append([]byte("prefix"), got...), app)
		})
	}
}

// TestEncapsulateECN is §10 item 10, encapsulation side: the outer ECN
// field for every inner codepoint under each mode. RFC 6040 §4.1 normal mode
// copies (CE included); Linux's INET_ECN_encapsulate turns CE into ECT(0);
// compatibility mode always sends Not-ECT.
func TestEncapsulateECN(t *testing.T) {
	want := map[packet.ECNMode][4]packet.ECN{
		//                     inner Not-ECT       ECT(1)       ECT(0)       CE
		packet.ECNNormal: {packet.NotECT, packet.ECT1, packet.ECT0, packet.CE},
		packet.ECNLinux:  {packet.NotECT, packet.ECT1, packet.ECT0, packet.ECT0},
		packet.ECNCompat: {packet.NotECT, packet.NotECT, packet.NotECT, packet.NotECT},
	}
	for mode, row := range want {
		for e := packet.NotECT; e <= packet.CE; e++ {
			inner := ip6{src: site6A, dst: site6B, tc: 0x80 | uint8(e)}.bytes(t)
			p := Params{OuterPolicy: OuterPolicy{TOS: 0x20, ECN: mode}, Src: v4A, Dst: v4B}
			got, err := AppendEncapsulate(nil, inner, &p)
			require.NoError(t, err)
			ip, err := packet.ParseIPv4(got)
			require.NoError(t, err)
			assert.Equal(t, row[e], ip.ECN(), "mode %v inner %v", mode, e)
			assert.Equal(t, uint8(0x20>>2), ip.DSCP(), "the DSCP is the fixed one")
			assert.Equal(t, inner, got[20:], "the inner packet is not touched")
		}
	}
}

func TestEncapsulateErrors(t *testing.T) {
	good := ip6{src: site6A, dst: site6B, payload: []byte{1, 2, 3}}.bytes(t)
	p := Params{Src: v4A, Dst: v4B}
	tests := []struct {
		name  string
		inner []byte
		off   int
		p     Params
		want  error
	}{
		{"no headroom", good, 19, p, packet.ErrNoHeadroom},
		{"inner shorter than 40", good[:39], Headroom, p, ErrInnerTruncated},
		{"inner not IPv6", append([]byte{0x45}, good[1:]...), Headroom, p, ErrNotIPv6Inner},
		{"payload length past the end", good[:42], Headroom, p, ErrLengthMismatch},
		{"outer source not IPv4", good, Headroom, Params{Src: site6A, Dst: v4B}, packet.ErrNotIPv4Addr},
		{"outer destination zero", good, Headroom, Params{Src: v4A}, packet.ErrNotIPv4Addr},
		{"outer source 4in6", good, Headroom, Params{Src: netip.AddrFrom16(v4A.As16()), Dst: v4B}, packet.ErrNotIPv4Addr},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			buf := make([]byte, tc.off+len(tc.inner))
			copy(buf[tc.off:], tc.inner)
			before := append([]byte(nil), buf...)
			_, err := Encapsulate(buf, tc.off, &tc.p)
			assert.ErrorIs(t, err, tc.want)
			assert.Equal(t, before, buf, "buf is not modified on error")
			if tc.want != packet.ErrNoHeadroom {
				dst := []byte("keep")
				got, err := AppendEncapsulate(dst, tc.inner, &tc.p)
				assert.ErrorIs(t, err, tc.want)
				assert.Equal(t, []byte("keep"), got)
			}
		})
	}
	_, err := Encapsulate(make([]byte, 30), 31, &p)
	assert.ErrorIs(t, err, io.ErrShortBuffer, "offset past the buffer")
}

// TestTunnelMTU is §10 item 9: Linux's rules, tunnel MTU = route MTU - 20.
func TestTunnelMTU(t *testing.T) {
	tests := []struct {
		path, mtu int
		df        bool
		err       error
	}{
		{1500, 1480, true, nil},        // Ethernet: 1480 with DF
		{1300, 1280, true, nil},        // exactly the IPv6 minimum: DF kept
		{1299, 1280, false, nil},       // one below
		{1290, 1280, false, nil},       // 1270 < 1280: use 1280 and clear DF
		{576, 1280, false, nil},        // the classic small path
		{88, 1280, false, nil},         // 68, the IPv4 minimum, still carries
		{87, 0, false, ErrMTUTooSmall}, // 67 < 68: drop
		{0, 0, false, ErrMTUTooSmall},  // nonsense
		{9000, 8980, true, nil},        // jumbo frames
		{65535, 65515, true, nil},      // the largest IPv4 packet
		{1 << 20, 65515, true, nil},    // larger counts as 65535
		{-5, 0, false, ErrMTUTooSmall}, // negative
		{1281 + 20, 1281, true, nil},   // just above the minimum
		{1279 + 20, 1280, false, nil},  // just below
		{68 + 20, 1280, false, nil},    // smallest path
		{67 + 20, 0, false, ErrMTUTooSmall},
	}
	for _, tc := range tests {
		mtu, df, err := TunnelMTU(tc.path)
		assert.ErrorIs(t, err, tc.err, "path %d", tc.path)
		assert.Equal(t, tc.mtu, mtu, "path %d", tc.path)
		assert.Equal(t, tc.df, df, "path %d", tc.path)
	}
}
