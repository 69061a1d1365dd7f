package packet

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Test helpers of the IPv6 and ICMPv6 tests carry an i6 or ic6 prefix so that
// they cannot collide with those of other files in the package.

// i6Hex decodes a hex vector; spaces, newlines and '|' separators are
// ignored.
func i6Hex(tb testing.TB, s string) []byte {
	tb.Helper()
	s = strings.NewReplacer(" ", "", "\n", "", "\t", "", "|", "").Replace(s)
	b, err := hex.DecodeString(s)
	require.NoError(tb, err)
	return b
}

// Vectors from /work/shared/protocols/iphttps.md §1.4 (the IP-HTTPS framing
// examples), with the addresses written out. Their ICMPv6 checksums were
// checked independently before use with a Python RFC 1071 sum over the
// pseudo-header (ipaddress + struct): RS 0x9add and RA 0xe417, both as in
// the notes.
const (
	// Router Solicitation fe80::1234:5678:9abc:def0 → ff02::2, no options.
	i6VecRS = `60 00 00 00 00 08 3a ff | fe80 0000 0000 0000 1234 5678 9abc def0 |
		ff02 0000 0000 0000 0000 0000 0000 0002 | 85 00 9a dd 00 00 00 00`

	// Router Advertisement fe80::1 → ff02::1, cur hop limit 64, M=O=0,
	// lifetime 1800 s, PIO 2001:db8:1:1000::/64 (L, A; valid 2592000 s,
	// preferred 14400 s), MTU option 1280.
	i6VecRA = `60 00 00 00 00 38 3a ff | fe80 0000 0000 0000 0000 0000 0000 0001 |
		ff02 0000 0000 0000 0000 0000 0000 0001 |
		86 00 e4 17 40 00 07 08 00000000 00000000 |
		03 04 40 c0 00278d00 00003840 00000000 20010db8000110000000000000000000 |
		05 01 0000 00000500`

	// Teredo bubble (RFC 4380 §2.8): IPv6 header only, Next Header 59,
	// Payload Length 0, between two Teredo addresses (RFC 4380 §4 layout:
	// server 65.54.227.120, cone flag, obfuscated port and IPv4).
	i6VecBubble = `60 00 00 00 00 00 3b 15 | 2001 0000 4136 e378 8000 63bf 3fff fdd2 |
		2001 0000 4136 e378 8000 63bf 3fff fdd3`

	// RFC 6081 §4 Alternate Address trailer after a bubble: type 3,
	// length 8, reserved, 192.0.2.1 port 0x1234.
	i6VecAltTrailer = `03 08 0000 c0000201 1234`
)

// i6View is every accessor of an IPv6 view, for whole-struct comparisons.
type i6View struct {
	Valid        bool
	TrafficClass uint8
	DSCP         uint8
	ECN          ECN
	FlowLabel    uint32
	PayloadLen   int
	NextHeader   uint8
	HopLimit     uint8
	Src, Dst     netip.Addr
	Len          int // len(Bytes())
	TrailerLen   int
	Bubble       bool
}

func i6ViewOf(h IPv6) i6View {
	return i6View{
		Valid: h.IsValid(), TrafficClass: h.TrafficClass(), DSCP: h.DSCP(), ECN: h.ECN(),
		FlowLabel: h.FlowLabel(), PayloadLen: h.PayloadLen(), NextHeader: h.NextHeader(),
		HopLimit: h.HopLimit(), Src: h.Src(), Dst: h.Dst(), Len: len(h.Bytes()),
		TrailerLen: len(h.Trailer()), Bubble: h.IsBubble(),
	}
}

// i6Raw builds an IPv6 packet byte by byte, independently of IPv6Header:
// first word w0 (version, traffic class, flow label), next header nh, hop
// limit hl, and payload; Payload Length is len(payload).
func i6Raw(w0 uint32, nh, hl uint8, src, dst string, payload []byte) []byte {
	b := make([]byte, 40, 40+len(payload))
	binary.BigEndian.PutUint32(b, w0)
	binary.BigEndian.PutUint16(b[4:], uint16(len(payload)))
	b[6], b[7] = nh, hl
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	return append(b, payload...)
}

func TestParseIPv6Vectors(t *testing.T) {
	teredoA := netip.MustParseAddr("2001:0:4136:e378:8000:63bf:3fff:fdd2")
	teredoB := netip.MustParseAddr("2001:0:4136:e378:8000:63bf:3fff:fdd3")
	tests := []struct {
		name string
		in   []byte
		want i6View
	}{{
		name: "iphttps RS",
		in:   i6Hex(t, i6VecRS),
		want: i6View{Valid: true, PayloadLen: 8, NextHeader: 58, HopLimit: 255,
			Src: netip.MustParseAddr("fe80::1234:5678:9abc:def0"), Dst: netip.MustParseAddr("ff02::2"), Len: 48},
	}, {
		name: "iphttps RA",
		in:   i6Hex(t, i6VecRA),
		want: i6View{Valid: true, PayloadLen: 56, NextHeader: 58, HopLimit: 255,
			Src: netip.MustParseAddr("fe80::1"), Dst: netip.MustParseAddr("ff02::1"), Len: 96},
	}, {
		name: "teredo bubble",
		in:   i6Hex(t, i6VecBubble),
		want: i6View{Valid: true, NextHeader: 59, HopLimit: 21, Src: teredoA, Dst: teredoB, Len: 40, Bubble: true},
	}, {
		name: "teredo bubble with alternate address trailer",
		in:   i6Hex(t, i6VecBubble+i6VecAltTrailer),
		want: i6View{Valid: true, NextHeader: 59, HopLimit: 21, Src: teredoA, Dst: teredoB, Len: 40, TrailerLen: 10, Bubble: true},
	}, {
		// RFC 4380 §2.8: only an empty payload makes a bubble.
		name: "next header 59 with payload is not a bubble",
		in:   i6Raw(0x60000000, 59, 21, "2001::1", "2001::2", []byte{1, 2, 3, 4}),
		want: i6View{Valid: true, PayloadLen: 4, NextHeader: 59, HopLimit: 21,
			Src: netip.MustParseAddr("2001::1"), Dst: netip.MustParseAddr("2001::2"), Len: 44},
	}, {
		// Traffic class 0xab = DSCP 42 (0xab>>2), ECN 3 (CE); flow label
		// 0xcdef1: the first word is 6 | ab | cdef1.
		name: "traffic class and flow label",
		in:   i6Raw(0x6abcdef1, 17, 64, "2001:db8::1", "2001:db8::2", make([]byte, 8)),
		want: i6View{Valid: true, TrafficClass: 0xab, DSCP: 42, ECN: CE, FlowLabel: 0xcdef1, PayloadLen: 8,
			NextHeader: 17, HopLimit: 64, Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2"), Len: 48},
	}, {
		// Payload Length 0 with a Hop-by-Hop next header but no Jumbo
		// option is not a jumbogram; the walk will find it truncated.
		name: "plen 0 next header HBH without jumbo option",
		in:   append(i6Raw(0x60000000, 0, 1, "::1", "::2", nil), 59, 0, 1, 4, 0, 0, 0, 0),
		want: i6View{Valid: true, HopLimit: 1, Src: netip.MustParseAddr("::1"), Dst: netip.MustParseAddr("::2"), Len: 40, TrailerLen: 8},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseIPv6(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, i6ViewOf(h))
			n := tt.want.Len
			assert.Equal(t, tt.in[:40], h.Header())
			assert.Equal(t, tt.in[40:n], h.Payload())
			assert.Equal(t, tt.in[:n], h.Bytes())
			assert.Equal(t, tt.in[n:], h.Trailer())
			got, err := IPv6PacketLen(tt.in)
			require.NoError(t, err)
			assert.Equal(t, n, got)
		})
	}
}

func TestParseIPv6Errors(t *testing.T) {
	rs := i6Hex(t, i6VecRS)
	v4 := append([]byte{}, rs...)
	v4[0] = 0x45
	v0 := append([]byte{}, rs...)
	v0[0] = 0x00
	v7 := append([]byte{}, rs...)
	v7[0] = 0x70
	// RFC 2675 §2: Payload Length 0, Hop-by-Hop header with the Jumbo
	// Payload option (type 0xc2, length 4) and a 32-bit length.
	jumbo := append(i6Raw(0x60000000, 0, 64, "2001:db8::1", "2001:db8::2", nil),
		17, 0, 0xc2, 4, 0, 1, 0, 0)
	jumbo = append(jumbo, make([]byte, 64)...)
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"39 bytes", rs[:39], ErrTruncated},
		{"payload length past the end", rs[:47], ErrTruncated},
		{"IPv4 header", v4, ErrBadVersion},
		{"version 0", v0, ErrBadVersion},
		{"version 7", v7, ErrBadVersion},
		{"jumbogram", jumbo, ErrJumbogram},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := IPv6{}
			require.NoError(t, h.Decode(rs))
			err := h.Decode(tt.in)
			assert.ErrorIs(t, err, tt.want)
			assert.Equal(t, i6View{}, i6ViewOf(h), "Decode resets the view on error")
			_, err = ParseIPv6(tt.in)
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

func TestIPv6ZeroValue(t *testing.T) {
	var h IPv6
	assert.Equal(t, i6View{}, i6ViewOf(h))
	assert.Empty(t, h.Header())
	assert.Empty(t, h.Payload())
	assert.Empty(t, h.Bytes())
	assert.Empty(t, h.Trailer())
	assert.Equal(t, IPv6Header{}, h.Fields())
	_, _, err := h.UpperLayer()
	assert.ErrorIs(t, err, ErrTruncated)
	assert.False(t, h.HasRoutingHeader())
	_, err = ParseICMPv6(h)
	assert.ErrorIs(t, err, ErrTruncated)
}

func TestIPv6PacketLen(t *testing.T) {
	rs, ra := i6Hex(t, i6VecRS), i6Hex(t, i6VecRA)
	tests := []struct {
		name    string
		in      []byte
		want    int
		wantErr error
	}{
		{"empty", nil, 0, ErrTruncated},
		{"5 bytes", rs[:5], 0, ErrTruncated},
		{"5 bytes of IPv4", []byte{0x45, 0, 0, 20, 0}, 0, ErrTruncated},
		{"6 bytes suffice", rs[:6], 48, nil},
		{"RS", rs, 48, nil},
		{"RA followed by more", append(append([]byte{}, ra...), rs...), 96, nil},
		{"IPv4", []byte{0x45, 0, 0, 20, 0, 0}, 0, ErrBadVersion},
		{"max payload", []byte{0x60, 0, 0, 0, 0xff, 0xff}, 40 + 65535, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := IPv6PacketLen(tt.in)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.Equal(t, tt.want, n)
		})
	}
}

// TestIPv6StreamFraming splits an IP-HTTPS byte stream of back-to-back
// packets ([MS-IPHTTPS] §3.1.5.3) fed in chunks of every size.
func TestIPv6StreamFraming(t *testing.T) {
	rs, ra := i6Hex(t, i6VecRS), i6Hex(t, i6VecRA)
	stream := append(append(append([]byte{}, rs...), ra...), rs...)
	for chunk := 1; chunk <= len(stream); chunk++ {
		var buf []byte
		var got [][]byte
		for i := 0; i < len(stream); i += chunk {
			buf = append(buf, stream[i:min(i+chunk, len(stream))]...)
			for {
				n, err := IPv6PacketLen(buf)
				if errors.Is(err, ErrTruncated) || (err == nil && n > len(buf)) {
					break
				}
				require.NoError(t, err)
				h, err := ParseIPv6(buf[:n])
				require.NoError(t, err)
				got = append(got, append([]byte{}, h.Bytes()...))
				buf = buf[n:]
			}
		}
		require.Equal(t, [][]byte{rs, ra, rs}, got, "chunk %d", chunk)
		require.Empty(t, buf)
	}
}

func TestIPv6HeaderEncode(t *testing.T) {
	h := IPv6Header{
		TrafficClass: 0xab, FlowLabel: 0xcdef1, NextHeader: 17, HopLimit: 64,
		Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2"),
	}
	want := i6Raw(0x6abcdef1, 17, 64, "2001:db8::1", "2001:db8::2", make([]byte, 8))[:40]

	b := make([]byte, 48)
	require.NoError(t, h.Encode(b, 8))
	assert.Equal(t, want, b[:40])
	assert.Equal(t, make([]byte, 8), b[40:], "Encode writes only 40 bytes")

	prefix := []byte{1, 2, 3}
	got, err := h.AppendTo(prefix[:3:3], 8)
	require.NoError(t, err)
	assert.Equal(t, append([]byte{1, 2, 3}, want...), got)
	assert.Equal(t, []byte{1, 2, 3}, prefix)

	// Round trip through the view.
	pkt := append(append([]byte{}, want...), make([]byte, 8)...)
	v, err := ParseIPv6(pkt)
	require.NoError(t, err)
	assert.Equal(t, h, v.Fields())

	// Zones are dropped on the wire.
	hz := h
	hz.Src = netip.MustParseAddr("fe80::1%eth0")
	hz.Dst = netip.MustParseAddr("fe80::2%eth0")
	require.NoError(t, hz.Encode(b, 0))
	assert.Equal(t, i6Raw(0x6abcdef1, 17, 64, "fe80::1", "fe80::2", nil), b[:40])
}

func TestIPv6HeaderEncodeErrors(t *testing.T) {
	good := IPv6Header{NextHeader: 59, HopLimit: 1, Src: netip.MustParseAddr("::1"), Dst: netip.MustParseAddr("::2")}
	mod := func(f func(*IPv6Header)) IPv6Header { h := good; f(&h); return h }
	tests := []struct {
		name string
		h    IPv6Header
		plen int
		want error
	}{
		{"IPv4 source", mod(func(h *IPv6Header) { h.Src = netip.MustParseAddr("192.0.2.1") }), 0, ErrNotIPv6Addr},
		{"zero destination", mod(func(h *IPv6Header) { h.Dst = netip.Addr{} }), 0, ErrNotIPv6Addr},
		{"flow label 2^20", mod(func(h *IPv6Header) { h.FlowLabel = 1 << 20 }), 0, ErrBadFlowLabel},
		{"payload 65536", good, 65536, ErrTooLong},
		{"payload -1", good, -1, ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := make([]byte, 40)
			assert.ErrorIs(t, tt.h.Encode(b, tt.plen), tt.want)
			assert.Equal(t, make([]byte, 40), b, "b untouched on error")
			dst := []byte{9}
			got, err := tt.h.AppendTo(dst, tt.plen)
			assert.ErrorIs(t, err, tt.want)
			assert.Equal(t, []byte{9}, got)
			if tt.plen != 0 {
				return // PrependIPv6 takes the payload length from buf
			}
			buf := make([]byte, 60)
			_, err = PrependIPv6(buf, 40, &tt.h)
			assert.ErrorIs(t, err, tt.want)
			assert.Equal(t, make([]byte, 60), buf)
		})
	}
	assert.ErrorIs(t, good.Encode(make([]byte, 39), 0), io.ErrShortBuffer)
	// Limits are inclusive.
	edge := mod(func(h *IPv6Header) { h.FlowLabel = MaxFlowLabel })
	assert.NoError(t, edge.Encode(make([]byte, 40), 65535))
}

func TestPrependIPv6(t *testing.T) {
	h := IPv6Header{NextHeader: 58, HopLimit: 255, Src: netip.MustParseAddr("fe80::1234:5678:9abc:def0"), Dst: netip.MustParseAddr("ff02::2")}
	rs := i6Hex(t, i6VecRS)
	buf := make([]byte, MaxHeadroom+8)
	copy(buf[MaxHeadroom:], rs[40:])
	pkt, err := PrependIPv6(buf, MaxHeadroom, &h)
	require.NoError(t, err)
	assert.Equal(t, rs, pkt)
	assert.Same(t, &buf[MaxHeadroom-40], &pkt[0], "written in place")

	// Exactly 40 bytes of headroom, empty payload.
	buf = make([]byte, 40)
	pkt, err = PrependIPv6(buf, 40, &h)
	require.NoError(t, err)
	assert.Len(t, pkt, 40)

	_, err = PrependIPv6(make([]byte, 100), 39, &h)
	assert.ErrorIs(t, err, ErrNoHeadroom)
	_, err = PrependIPv6(make([]byte, 100), 101, &h)
	assert.ErrorIs(t, err, io.ErrShortBuffer)
	_, err = PrependIPv6(make([]byte, 40+65536), 40, &h)
	assert.ErrorIs(t, err, ErrTooLong)
}

func TestIPv6ECNHelpers(t *testing.T) {
	hdr := i6Raw(0x6abcdef1, 17, 64, "::1", "::2", nil)
	e, ok := IPv6ECN(hdr)
	require.True(t, ok)
	assert.Equal(t, CE, e)
	for _, e := range []ECN{NotECT, ECT1, ECT0, CE} {
		require.True(t, SetIPv6ECN(hdr, e))
		v, err := ParseIPv6(hdr)
		require.NoError(t, err)
		assert.Equal(t, e, v.ECN())
		assert.Equal(t, uint8(42), v.DSCP(), "DSCP kept")
		assert.Equal(t, uint32(0xcdef1), v.FlowLabel(), "flow label kept")
	}
	_, ok = IPv6ECN(hdr[:1])
	assert.False(t, ok)
	assert.False(t, SetIPv6ECN(hdr[:1], CE))
	v4 := []byte{0x45, 0x00}
	_, ok = IPv6ECN(v4)
	assert.False(t, ok)
	assert.False(t, SetIPv6ECN(v4, CE))
	assert.Equal(t, []byte{0x45, 0x00}, v4)
}

// i6RandHeader returns random header fields; the addresses are IPv6.
func i6RandHeader(r *rand.Rand) IPv6Header {
	var s, d [16]byte
	for i := range s {
		s[i], d[i] = byte(r.Uint32()), byte(r.Uint32())
	}
	return IPv6Header{
		TrafficClass: uint8(r.Uint32()), FlowLabel: r.Uint32N(MaxFlowLabel + 1),
		NextHeader: []uint8{6, 17, 58, 59, 41, 253}[r.IntN(6)], HopLimit: uint8(r.Uint32()),
		Src: netip.AddrFrom16(s), Dst: netip.AddrFrom16(d),
	}
}

// TestIPv6AgainstGopacket checks our builder with gopacket's decoder and our
// parser with gopacket's serializer, on random headers. gopacket refuses
// Payload Length 0 unless a Hop-by-Hop header follows, so payloads are
// non-empty.
func TestIPv6AgainstGopacket(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		h := i6RandHeader(r)
		payload := make([]byte, 1+r.IntN(100))
		for i := range payload {
			payload[i] = byte(r.Uint32())
		}

		// Ours → gopacket.
		pkt, err := h.AppendTo(nil, len(payload))
		require.NoError(t, err)
		pkt = append(pkt, payload...)
		var g layers.IPv6
		require.NoError(t, g.DecodeFromBytes(pkt, gopacket.NilDecodeFeedback))
		assert.Equal(t, uint8(6), g.Version)
		assert.Equal(t, h.TrafficClass, g.TrafficClass)
		assert.Equal(t, h.FlowLabel, g.FlowLabel)
		assert.Equal(t, uint16(len(payload)), g.Length)
		assert.Equal(t, h.NextHeader, uint8(g.NextHeader))
		assert.Equal(t, h.HopLimit, g.HopLimit)
		assert.Equal(t, h.Src.AsSlice(), []byte(g.SrcIP))
		assert.Equal(t, h.Dst.AsSlice(), []byte(g.DstIP))
		assert.Equal(t, payload, g.Payload)

		// gopacket → ours.
		g2 := layers.IPv6{
			Version: 6, TrafficClass: h.TrafficClass, FlowLabel: h.FlowLabel,
			NextHeader: layers.IPProtocol(h.NextHeader), HopLimit: h.HopLimit,
			SrcIP: net.IP(h.Src.AsSlice()), DstIP: net.IP(h.Dst.AsSlice()),
		}
		sb := gopacket.NewSerializeBuffer()
		require.NoError(t, gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true}, &g2, gopacket.Payload(payload)))
		v, err := ParseIPv6(sb.Bytes())
		require.NoError(t, err)
		assert.Equal(t, h, v.Fields())
		assert.Equal(t, payload, v.Payload())
		assert.Equal(t, pkt, v.Bytes())
	}
}

// i6Ext is one extension header for i6Chain: its type and its bytes after
// the Next Header byte, which i6Chain fills in.
type i6Ext struct {
	typ  uint8
	rest []byte
}

// Extension headers for tests, built by hand from RFC 8200 §4 and RFC 4302.
var (
	// Hop-by-Hop or Destination Options with one PadN option (type 1,
	// length 4): 8 bytes.
	i6PadN = []byte{0, 1, 4, 0, 0, 0, 0}
	// Routing header type 0, no addresses, Segments Left 0: 8 bytes.
	i6Route = []byte{0, 0, 0, 0, 0, 0, 0}
	// AH with Payload Len 4: (4+2)*4 = 24 bytes, SPI 0x100, seq 1, 12-byte
	// ICV.
	i6AH = []byte{4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa}
)

// i6Frag returns the bytes after Next Header of a Fragment header with the
// given offset (in bytes, a multiple of 8), M flag and identification.
func i6Frag(off int, more bool, id uint32) []byte {
	b := make([]byte, 7)
	w := uint16(off)
	if more {
		w |= 1
	}
	binary.BigEndian.PutUint16(b[1:], w)
	binary.BigEndian.PutUint32(b[3:], id)
	return b
}

// i6Chain builds an IPv6 packet from 2001:db8::1 to 2001:db8::2 carrying the
// extension headers exts and then upper-layer protocol upper with payload.
func i6Chain(exts []i6Ext, upper uint8, payload []byte) []byte {
	var body []byte
	first := upper
	if len(exts) > 0 {
		first = exts[0].typ
	}
	for i, e := range exts {
		next := upper
		if i+1 < len(exts) {
			next = exts[i+1].typ
		}
		body = append(body, next)
		body = append(body, e.rest...)
	}
	body = append(body, payload...)
	return i6Raw(0x60000000, first, 64, "2001:db8::1", "2001:db8::2", body)
}

// i6Seen is what an ExtIter reports for one header.
type i6Seen struct {
	Type, Next uint8
	Off, Len   int
}

func i6Walk(h IPv6) (seen []i6Seen, proto uint8, off int, err error) {
	it := h.Extensions()
	for e, ok := it.Next(); ok; e, ok = it.Next() {
		seen = append(seen, i6Seen{e.Type(), e.NextHeader(), e.Offset(), e.Len()})
	}
	proto, off, err = it.UpperLayer()
	return seen, proto, off, err
}

func TestExtensions(t *testing.T) {
	udp := make([]byte, 8)
	many := make([]i6Ext, MaxExtHeaders+1)
	var manySeen []i6Seen
	for i := range many {
		many[i] = i6Ext{ProtoIPv6Opts, i6PadN}
		if i < MaxExtHeaders {
			manySeen = append(manySeen, i6Seen{60, 60, 40 + 8*i, 8})
		}
	}
	tests := []struct {
		name       string
		pkt        []byte
		seen       []i6Seen
		proto      uint8
		off        int
		err        error
		hasRouting bool
	}{{
		name: "no extension headers", pkt: i6Chain(nil, ProtoUDP, udp), proto: ProtoUDP, off: 40,
	}, {
		name: "every kind, in RFC 8200 §4.1 order",
		pkt: i6Chain([]i6Ext{{ProtoHopByHop, i6PadN}, {ProtoIPv6Opts, i6PadN}, {ProtoIPv6Route, i6Route},
			{ProtoIPv6Frag, i6Frag(0, false, 7)}, {ProtoAH, i6AH}, {ProtoIPv6Opts, i6PadN}}, ProtoICMPv6, udp),
		seen:  []i6Seen{{0, 60, 40, 8}, {60, 43, 48, 8}, {43, 44, 56, 8}, {44, 51, 64, 8}, {51, 60, 72, 24}, {60, 58, 96, 8}},
		proto: ProtoICMPv6, off: 104, hasRouting: true,
	}, {
		name: "ESP ends the walk", pkt: i6Chain([]i6Ext{{ProtoIPv6Opts, i6PadN}}, ProtoESP, udp),
		seen: []i6Seen{{60, 50, 40, 8}}, proto: ProtoESP, off: 48,
	}, {
		name: "no next header, empty", pkt: i6Chain([]i6Ext{{ProtoIPv6Opts, i6PadN}}, ProtoNoNext, nil),
		seen: []i6Seen{{60, 59, 40, 8}}, proto: ProtoNoNext, off: 48,
	}, {
		name: "bubble", pkt: i6Chain(nil, ProtoNoNext, nil), proto: ProtoNoNext, off: 40,
	}, {
		name: "first fragment is walked through", pkt: i6Chain([]i6Ext{{ProtoIPv6Frag, i6Frag(0, true, 9)}}, ProtoUDP, udp),
		seen: []i6Seen{{44, 17, 40, 8}}, proto: ProtoUDP, off: 48,
	}, {
		name: "non-first fragment", pkt: i6Chain([]i6Ext{{ProtoIPv6Frag, i6Frag(1448, true, 9)}}, ProtoUDP, udp),
		seen: []i6Seen{{44, 17, 40, 8}}, proto: ProtoUDP, off: 48, err: ErrFragmented,
	}, {
		name: "last fragment", pkt: i6Chain([]i6Ext{{ProtoIPv6Opts, i6PadN}, {ProtoIPv6Frag, i6Frag(8, false, 9)}}, ProtoUDP, udp),
		seen: []i6Seen{{60, 44, 40, 8}, {44, 17, 48, 8}}, proto: ProtoUDP, off: 56, err: ErrFragmented,
	}, {
		name: "routing header", pkt: i6Chain([]i6Ext{{ProtoIPv6Route, i6Route}}, ProtoUDP, udp),
		seen: []i6Seen{{43, 17, 40, 8}}, proto: ProtoUDP, off: 48, hasRouting: true,
	}, {
		name: "hop-by-hop not first", pkt: i6Chain([]i6Ext{{ProtoIPv6Opts, i6PadN}, {ProtoHopByHop, i6PadN}}, ProtoUDP, udp),
		seen: []i6Seen{{60, 0, 40, 8}}, proto: ProtoHopByHop, off: 48, err: ErrHopByHopNotFirst,
	}, {
		name: "too many", pkt: i6Chain(many, ProtoUDP, udp), seen: manySeen, proto: ProtoIPv6Opts, off: 40 + 8*MaxExtHeaders,
		err: ErrTooManyExtHeaders,
	}, {
		name: "header past the payload", pkt: i6Chain([]i6Ext{{ProtoIPv6Opts, []byte{1, 1, 12, 0, 0, 0, 0}}}, ProtoUDP, nil),
		proto: ProtoIPv6Opts, off: 40, err: ErrTruncated,
	}, {
		name: "one byte of header", pkt: i6Chain(nil, ProtoIPv6Route, []byte{17}),
		proto: ProtoIPv6Route, off: 40, err: ErrTruncated,
	}, {
		name: "routing header after a complete one, missing", pkt: i6Chain([]i6Ext{{ProtoIPv6Opts, i6PadN}}, ProtoIPv6Route, nil),
		seen: []i6Seen{{60, 43, 40, 8}}, proto: ProtoIPv6Route, off: 48, err: ErrTruncated,
	}, {
		name: "fragment header cut short", pkt: i6Chain(nil, ProtoIPv6Frag, []byte{17, 0, 0, 0}),
		proto: ProtoIPv6Frag, off: 40, err: ErrTruncated,
	}, {
		name: "option overruns its header", pkt: i6Chain([]i6Ext{{ProtoIPv6Opts, []byte{0, 1, 5, 0, 0, 0, 0}}}, ProtoUDP, udp),
		proto: ProtoIPv6Opts, off: 40, err: ErrBadExtHeader,
	}, {
		name: "option type without length byte", pkt: i6Chain([]i6Ext{{ProtoHopByHop, []byte{0, 0, 0, 0, 0, 0, 5}}}, ProtoUDP, udp),
		proto: ProtoHopByHop, off: 40, err: ErrBadExtHeader,
	}, {
		name: "pad1 options only", pkt: i6Chain([]i6Ext{{ProtoHopByHop, []byte{0, 0, 0, 0, 0, 0, 0}}}, ProtoUDP, udp),
		seen: []i6Seen{{0, 17, 40, 8}}, proto: ProtoUDP, off: 48,
	}, {
		// RFC 4302 §2.2: for IPv6 the AH length is a multiple of 8.
		name: "AH of 12 bytes", pkt: i6Chain([]i6Ext{{ProtoAH, []byte{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}}}, ProtoUDP, udp),
		proto: ProtoAH, off: 40, err: ErrBadExtHeader,
	}, {
		// RFC 2675 §3: a Jumbo Payload option with a non-zero Payload
		// Length is an error too.
		name: "jumbo option with payload length", pkt: i6Chain([]i6Ext{{ProtoHopByHop, []byte{0, 0xc2, 4, 0, 1, 0, 0}}}, ProtoUDP, udp),
		proto: ProtoHopByHop, off: 40, err: ErrJumbogram,
	}, {
		name: "jumbo option type in destination options is just an option", pkt: i6Chain([]i6Ext{{ProtoIPv6Opts, []byte{0, 0xc2, 4, 0, 1, 0, 0}}}, ProtoUDP, udp),
		seen: []i6Seen{{60, 17, 40, 8}}, proto: ProtoUDP, off: 48,
	}, {
		name:  "routing header after a malformed header is not seen",
		pkt:   i6Chain([]i6Ext{{ProtoAH, []byte{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}}, {ProtoIPv6Route, i6Route}}, ProtoUDP, udp),
		proto: ProtoAH, off: 40, err: ErrBadExtHeader,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseIPv6(tt.pkt)
			require.NoError(t, err)
			seen, proto, off, err := i6Walk(h)
			assert.ErrorIs(t, err, tt.err)
			if tt.err == nil {
				assert.NoError(t, err)
			}
			assert.Equal(t, tt.seen, seen)
			assert.Equal(t, tt.proto, proto, "proto")
			assert.Equal(t, tt.off, off, "off")
			p2, off2, err2 := h.UpperLayer()
			assert.Equal(t, []any{proto, off, err}, []any{p2, off2, err2})
			assert.Equal(t, tt.hasRouting, h.HasRoutingHeader())
		})
	}
}

func TestExtHeaderAccessors(t *testing.T) {
	// Routing header: Hdr Ext Len 4 → 40 bytes; the bytes after the fixed
	// part are zero here.
	pkt := i6Chain([]i6Ext{{ProtoIPv6Route, append([]byte{4, 2, 1}, make([]byte, 36)...)}, {ProtoIPv6Frag, i6Frag(0x1ff8, true, 0xdeadbeef)}}, ProtoUDP, nil)
	h, err := ParseIPv6(pkt)
	require.NoError(t, err)
	it := h.Extensions()
	r, ok := it.Next()
	require.True(t, ok)
	assert.Equal(t, uint8(ProtoIPv6Route), r.Type())
	assert.Equal(t, 40, r.Len())
	assert.Equal(t, uint8(2), r.RoutingType())
	assert.Equal(t, uint8(1), r.SegmentsLeft())
	assert.Equal(t, 0, r.FragmentOffset())
	assert.False(t, r.MoreFragments())
	assert.Zero(t, r.FragmentID())
	assert.Equal(t, pkt[40:80], r.Bytes())

	f, ok := it.Next()
	require.True(t, ok)
	assert.Equal(t, uint8(ProtoIPv6Frag), f.Type())
	assert.Equal(t, 0x1ff8, f.FragmentOffset())
	assert.True(t, f.MoreFragments())
	assert.Equal(t, uint32(0xdeadbeef), f.FragmentID())
	assert.Zero(t, f.RoutingType())
	assert.Zero(t, f.SegmentsLeft())
	assert.Equal(t, 80, f.Offset())

	_, ok = it.Next()
	assert.False(t, ok)
	assert.ErrorIs(t, it.Err(), ErrFragmented)
	_, ok = it.Next()
	assert.False(t, ok, "stays done")

	var zero ExtHeader
	assert.Zero(t, zero.Type())
	assert.Zero(t, zero.NextHeader())
	assert.Zero(t, zero.FragmentOffset())
	assert.Zero(t, zero.RoutingType())
	assert.Empty(t, zero.Bytes())
}

// i6RandChain returns a random valid chain of extension headers for the
// gopacket comparison: what gopacket decodes (Hop-by-Hop first, Destination
// Options, type 0 Routing headers, AH; a Fragment header ends gopacket's
// decoding, so it comes last).
func i6RandChain(r *rand.Rand) []i6Ext {
	var exts []i6Ext
	if r.IntN(2) == 0 {
		exts = append(exts, i6Ext{ProtoHopByHop, i6RandOpts(r)})
	}
	for range r.IntN(5) {
		switch r.IntN(3) {
		case 0:
			exts = append(exts, i6Ext{ProtoIPv6Opts, i6RandOpts(r)})
		case 1:
			n := r.IntN(3) // addresses
			rest := append([]byte{uint8(2 * n), 0, uint8(n)}, make([]byte, 4+16*n)...)
			exts = append(exts, i6Ext{ProtoIPv6Route, rest})
		case 2:
			icv := 4 + 8*r.IntN(3) // AH length 12+icv, a multiple of 8
			rest := append([]byte{uint8((12+icv)/4 - 2), 0, 0}, make([]byte, 8+icv)...)
			exts = append(exts, i6Ext{ProtoAH, rest})
		}
	}
	if r.IntN(3) == 0 {
		exts = append(exts, i6Ext{ProtoIPv6Frag, i6Frag(8*r.IntN(100), r.IntN(2) == 0, r.Uint32())})
	}
	return exts
}

// i6RandOpts returns the bytes after Next Header of an options header
// holding random PadN and unknown options, padded to a multiple of 8 bytes.
func i6RandOpts(r *rand.Rand) []byte {
	b := []byte{0} // Hdr Ext Len, fixed below
	for range r.IntN(4) {
		switch r.IntN(3) {
		case 0:
			b = append(b, 0) // Pad1
		default:
			n := r.IntN(6)
			b = append(b, uint8(0x1e+r.IntN(2)), uint8(n))
			b = append(b, make([]byte, n)...)
		}
	}
	for (len(b)+1)%8 != 0 {
		b = append(b, 0)
	}
	b[0] = uint8((len(b)+1)/8 - 1)
	return b
}

// TestExtensionsAgainstGopacket compares our walk with the layers gopacket
// decodes from the same random packets.
func TestExtensionsAgainstGopacket(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	gpType := map[gopacket.LayerType]uint8{
		layers.LayerTypeIPv6HopByHop:    ProtoHopByHop,
		layers.LayerTypeIPv6Destination: ProtoIPv6Opts,
		layers.LayerTypeIPv6Routing:     ProtoIPv6Route,
		layers.LayerTypeIPv6Fragment:    ProtoIPv6Frag,
		layers.LayerTypeIPSecAH:         ProtoAH,
	}
	total := 0
	for range 500 {
		exts := i6RandChain(r)
		pkt := i6Chain(exts, ProtoUDP, []byte{0x12, 0x34, 0x56, 0x78, 0, 8, 0, 0})
		h, err := ParseIPv6(pkt)
		require.NoError(t, err)
		seen, proto, off, err := i6Walk(h)

		p := gopacket.NewPacket(pkt, layers.LayerTypeIPv6, gopacket.Default)
		var want []i6Seen
		wantOff := 40
		for _, l := range p.Layers()[1:] {
			typ, ok := gpType[l.LayerType()]
			if !ok {
				break
			}
			n := len(l.LayerContents())
			want = append(want, i6Seen{typ, pkt[wantOff], wantOff, n})
			wantOff += n
		}
		require.Equal(t, want, seen)
		total += len(seen)
		last := exts[max(len(exts)-1, 0):]
		if len(last) == 1 && last[0].typ == ProtoIPv6Frag && binary.BigEndian.Uint16(last[0].rest[1:])&^7 != 0 {
			assert.ErrorIs(t, err, ErrFragmented)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, uint8(ProtoUDP), proto)
		assert.Equal(t, wantOff, off)
		if l := p.Layer(layers.LayerTypeUDP); l != nil {
			assert.Equal(t, pkt[off:off+8], l.LayerContents())
		}
	}
	assert.Greater(t, total, 1000, "gopacket decoded the chains")
}

func TestExtIterZeroValue(t *testing.T) {
	var it ExtIter
	_, ok := it.Next()
	assert.False(t, ok)
	assert.ErrorIs(t, it.Err(), ErrTruncated)
	proto, off, err := it.UpperLayer()
	assert.Equal(t, []any{uint8(0), 0}, []any{proto, off})
	assert.ErrorIs(t, err, ErrTruncated)
}
