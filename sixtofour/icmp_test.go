package sixtofour

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/packet"
)

var rtr4 = netip.MustParseAddr("198.51.100.254") // a router on the IPv4 path

func TestParseICMPv4Error(t *testing.T) {
	sent := tunnelled(t, v4A, v4B, site6A, site6B)
	fragNeeded := icmpv4(t, rtr4, v4A, 3, 4, [4]byte{0, 0, 0x05, 0xdc}, sent)
	e, err := ParseICMPv4Error(fragNeeded)
	require.NoError(t, err)
	assert.Equal(t, ICMPv4Error{
		From: rtr4, To: v4A, Type: 3, Code: 4, NextHopMTU: 1500,
		QuotedSrc: v4A, QuotedDst: v4B, QuotedLen: len(sent), Inner: sent[20:],
	}, e)
	assert.True(t, e.IsFragNeeded())

	withOpts := append(append(append([]byte(nil), sent[:20]...), 1, 1, 1, 0), sent[20:]...)
	withOpts[0] = 0x46
	badSum := icmpv4(t, rtr4, v4A, 3, 1, [4]byte{}, sent)
	badSum[len(badSum)-1] ^= 0xff
	fragment := icmpv4(t, rtr4, v4A, 3, 1, [4]byte{}, sent)
	fragment[6] = 0x20
	fixChecksum(fragment)
	tests := []struct {
		name string
		b    []byte
		err  error
	}{
		{"quoted header with options", icmpv4(t, rtr4, v4A, 11, 0, [4]byte{}, withOpts), nil},
		{"bad ICMP checksum", badSum, packet.ErrBadChecksum},
		{"not ICMP", sent, ErrNotICMPv4Error},
		{"echo request", icmpv4(t, rtr4, v4A, 8, 0, [4]byte{}, sent), ErrNotICMPv4Error},
		{"echo reply", icmpv4(t, rtr4, v4A, 0, 0, [4]byte{}, sent), ErrNotICMPv4Error},
		{"ICMP header only", icmpv4(t, rtr4, v4A, 3, 1, [4]byte{}, nil), ErrQuoteTruncated},
		{"ICMP shorter than 8", ip4{src: rtr4, dst: v4A, proto: packet.ProtoICMP}.wrap(t, []byte{3, 1, 0xfc, 0xfe}), packet.ErrTruncated},
		{"quote shorter than 20", icmpv4(t, rtr4, v4A, 3, 1, [4]byte{}, sent[:19]), ErrQuoteTruncated},
		{"quote IHL 6, 20 bytes", icmpv4(t, rtr4, v4A, 3, 1, [4]byte{}, withOpts[:20]), ErrQuoteTruncated},
		{"quote version 6", icmpv4(t, rtr4, v4A, 3, 1, [4]byte{}, sent[20:]), packet.ErrBadVersion},
		{"quote IHL 4", icmpv4(t, rtr4, v4A, 3, 1, [4]byte{}, append([]byte{0x44}, sent[1:]...)), packet.ErrBadIHL},
		{"quote not protocol 41", icmpv4(t, rtr4, v4A, 3, 3, [4]byte{}, ip4{src: v4A, dst: v4B, proto: 17}.wrap(t, make([]byte, 8))), ErrNotProto41},
		{"fragmented ICMP", fragment, ErrFragmented},
		{"outer checksum", append([]byte{0x45, 0}, fragNeeded[2:]...), packet.ErrBadChecksum},
	}
	for _, tc := range tests {
		_, err := ParseICMPv4Error(tc.b)
		assert.ErrorIs(t, err, tc.err, tc.name)
	}
}

// TestPathMTU covers RFC 1191: the Next-Hop MTU when plausible, else the
// plateau below the quoted packet's length.
func TestPathMTU(t *testing.T) {
	for _, tc := range []struct {
		field, quotedLen, want int
	}{
		{1400, 1420, 1400}, // the field
		{0, 1420, 1006},    // pre-RFC 1191 router: plateau below 1420
		{0, 1500, 1492},    // plateau below 1500
		{1500, 1500, 1492}, // the field is not below the packet: plateau
		{67, 1420, 1006},   // below 68: plateau
		{68, 1420, 68},     // 68 is allowed (the router floors at MinPathMTU)
		{0, 68, 68},        // nothing below 68
		{0, 40000, 32000},  // top plateau
		{9000, 9020, 9000}, // jumbo
		{0, 65535, 32000},
	} {
		e := ICMPv4Error{Type: 3, Code: 4, NextHopMTU: uint16(tc.field), QuotedLen: tc.quotedLen}
		got, ok := e.PathMTU()
		assert.True(t, ok)
		assert.Equal(t, tc.want, got, "field %d quoted %d", tc.field, tc.quotedLen)
	}
	e := ICMPv4Error{Type: 3, Code: 1}
	_, ok := e.PathMTU()
	assert.False(t, ok)
}

// TestTranslateICMPv4 checks the ICMPv6 errors field by field, parsed by
// package packet (which verifies the ICMPv6 checksum).
func TestTranslateICMPv4(t *testing.T) {
	inner := ip6{src: site6A, dst: site6B, nh: packet.ProtoUDP, payload: []byte("12345678 and more")}.bytes(t)
	sent := ip4{src: v4A, dst: v4B}.wrap(t, inner)
	for _, tc := range []struct {
		typ, code       uint8
		quote           int
		wantTyp, wantCd uint8
		err             error
	}{
		{3, 0, 68, 1, 3, nil},  // net unreachable
		{3, 1, 68, 1, 3, nil},  // host unreachable
		{3, 3, 68, 1, 3, nil},  // port unreachable
		{3, 13, 68, 1, 3, nil}, // administratively prohibited
		{3, 1, len(sent), 1, 3, nil},
		{11, 0, 68, 3, 0, nil}, // TTL exceeded in transit
		{3, 1, 67, 0, 0, ErrQuoteTruncated},
		{3, 1, 28, 0, 0, ErrQuoteTruncated},
		{3, 4, 68, 0, 0, ErrICMPIgnored},  // Fragmentation Needed: PathMTU
		{3, 5, 68, 0, 0, ErrICMPIgnored},  // Source Route Failed
		{11, 1, 68, 0, 0, ErrICMPIgnored}, // reassembly time exceeded
		{12, 0, 68, 0, 0, ErrICMPIgnored}, // parameter problem
		{4, 0, 68, 0, 0, ErrICMPIgnored},  // source quench
		{5, 1, 68, 0, 0, ErrICMPIgnored},  // redirect
	} {
		b := icmpv4(t, rtr4, v4A, tc.typ, tc.code, [4]byte{}, sent[:tc.quote])
		got, err := TranslateICMPv4([]byte("keep"), b)
		if tc.err != nil {
			assert.ErrorIs(t, err, tc.err, "type %d code %d quote %d", tc.typ, tc.code, tc.quote)
			assert.Equal(t, []byte("keep"), got)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, []byte("keep"), got[:4])
		m := icmp6(t, got[4:])
		assert.Equal(t, tc.wantTyp, m.Type())
		assert.Equal(t, tc.wantCd, m.Code())
		assert.Equal(t, netip.MustParseAddr("::ffff:198.51.100.254"), m.IP().Src())
		assert.Equal(t, site6A, m.IP().Dst())
		assert.Equal(t, uint8(icmpHopLimit), m.IP().HopLimit())
		param, invoking, err := m.ErrorMessage()
		require.NoError(t, err)
		assert.Zero(t, param)
		assert.Equal(t, sent[20:tc.quote], invoking)
	}

	// RFC 4443 §2.4(e): no error about an ICMPv6 error, none to a
	// multicast destination (except Packet Too Big), none to a source that
	// cannot receive one.
	for _, tc := range []struct {
		name  string
		inner []byte
		err   error
	}{
		{"about an ICMPv6 error", ip6{src: site6A, dst: site6B, nh: packet.ProtoICMPv6, payload: []byte{1, 3, 0, 0, 0, 0, 0, 0}}.bytes(t), ErrICMPSuppressed},
		{"about an echo request", ip6{src: site6A, dst: site6B, nh: packet.ProtoICMPv6, payload: []byte{128, 0, 0, 0, 0, 0, 0, 0}}.bytes(t), nil},
		{"to a multicast destination", ip6{src: site6A, dst: netip.MustParseAddr("ff0e::1"), payload: make([]byte, 8)}.bytes(t), ErrICMPSuppressed},
		{"from the unspecified address", ip6{src: netip.IPv6Unspecified(), dst: site6B, payload: make([]byte, 8)}.bytes(t), ErrICMPSuppressed},
		{"from a multicast address", ip6{src: netip.MustParseAddr("ff02::1"), dst: site6B, payload: make([]byte, 8)}.bytes(t), ErrICMPSuppressed},
		{"from a v4-mapped address", ip6{src: netip.MustParseAddr("::ffff:1.2.3.4"), dst: site6B, payload: make([]byte, 8)}.bytes(t), ErrICMPSuppressed},
		{"inner not IPv6", append([]byte{0x45}, make([]byte, 47)...), ErrNotIPv6Inner},
	} {
		b := icmpv4(t, rtr4, v4A, 3, 1, [4]byte{}, ip4{src: v4A, dst: v4B}.wrap(t, tc.inner))
		_, err := TranslateICMPv4(nil, b)
		assert.ErrorIs(t, err, tc.err, tc.name)
	}
}

func TestAppendPacketTooBig(t *testing.T) {
	big := sized(t, site6A, site6B, 1500)
	got, err := AppendPacketTooBig(nil, site6A, 1480, big)
	require.NoError(t, err)
	require.Len(t, got, packet.IPv6MinMTU, "RFC 4443 §2.4(c)")
	m := icmp6(t, got)
	assert.Equal(t, uint8(packet.ICMPv6PacketTooBig), m.Type())
	mtu, invoking, _ := m.ErrorMessage()
	assert.Equal(t, uint32(1480), mtu)
	assert.Equal(t, big[:1232], invoking)

	// Allowed for a multicast destination (RFC 4443 §2.4(e.2)).
	mc := ip6{src: site6A, dst: netip.MustParseAddr("ff0e::1"), payload: make([]byte, 1500)}.bytes(t)
	_, err = AppendPacketTooBig(nil, site6A, 1480, mc)
	assert.NoError(t, err)

	for _, tc := range []struct {
		name     string
		src      netip.Addr
		invoking []byte
		err      error
	}{
		{"short", site6A, big[:39], ErrInnerTruncated},
		{"not IPv6", site6A, append([]byte{0x40}, big[1:]...), ErrNotIPv6Inner},
		{"IPv4 source", v4A, big, packet.ErrNotIPv6Addr},
		{"to ::", site6A, ip6{src: netip.IPv6Unspecified(), dst: site6B}.bytes(t), ErrICMPSuppressed},
	} {
		got, err := AppendPacketTooBig([]byte{1}, tc.src, 1280, tc.invoking)
		assert.ErrorIs(t, err, tc.err, tc.name)
		assert.Equal(t, []byte{1}, got, tc.name)
	}
}

// TestICMPv4Unreachable checks the builder behind Config.ICMPv4Unreachable:
// the quote stops at 576 bytes in all (RFC 1812 §4.3.2.3) and nothing
// answers what RFC 1812 §4.3.2.7 exempts.
func TestICMPv4Unreachable(t *testing.T) {
	big := ip4{src: v4Other, dst: v4A}.wrap(t, sized(t, native, site6A, 1400))
	got, err := appendICMPv4Unreachable(nil, v4A, 3, parse4(t, big))
	require.NoError(t, err)
	require.Len(t, got, 576)
	checkPortUnreachable(t, got, v4A, v4Other, big[:548])
	assert.Equal(t, uint8(0xc0), got[1], "Internetwork Control precedence")

	for _, tc := range []struct {
		name string
		src  string
		frag uint16
	}{
		{"from 0.0.0.0", "0.0.0.0", 0},
		{"from loopback", "127.0.0.1", 0},
		{"from multicast", "224.0.0.5", 0},
		{"from broadcast", "255.255.255.255", 0},
		{"non-first fragment", "203.0.113.9", 1}, // offset 8 bytes
	} {
		b := ip4{src: netip.MustParseAddr(tc.src), dst: v4A}.wrap(t, sized(t, native, site6A, 100))
		binary.BigEndian.PutUint16(b[6:], tc.frag)
		fixChecksum(b)
		_, err := appendICMPv4Unreachable(nil, v4A, 3, parse4(t, b))
		assert.ErrorIs(t, err, ErrICMPSuppressed, tc.name)
	}
	_, err = appendICMPv4Unreachable(nil, v4A, 3, packet.IPv4{})
	assert.ErrorIs(t, err, ErrICMPSuppressed)
}
