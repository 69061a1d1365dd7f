package packet

import (
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// p41v1 is test vector P41-1 of proto41.md §1: a minimal 6to4 packet built
// with scapy and decoded by tshark as DF=1, TTL 64, proto 41, checksum
// 0x4e5a, 192.0.2.4 -> 198.51.100.7, carrying a 40-byte IPv6 header with
// next header 59 and payload length 0.
const p41v1 = `
4500003c 00004000 40294e5a c0000204 c6336407
60000000 00003b40
2002c000 02040000 00000000 00000001
2002c633 64070000 00000000 00000001`

// ipv4View is the whole-struct form of an IPv4 view's accessors, for
// comparisons in tables.
type ipv4View struct {
	Version                      uint8
	HeaderLen, TotalLen          int
	TOS, DSCP                    uint8
	ECN                          ECN
	ID                           uint16
	DF, MF, Reserved, IsFragment bool
	FragmentOffset               int
	TTL, Protocol                uint8
	Checksum                     uint16
	Src, Dst                     netip.Addr
	Options, Payload             []byte
}

func viewOf(h IPv4) ipv4View {
	return ipv4View{
		Version: h.Version(), HeaderLen: h.HeaderLen(), TotalLen: h.TotalLen(),
		TOS: h.TOS(), DSCP: h.DSCP(), ECN: h.ECN(), ID: h.ID(),
		DF: h.DontFragment(), MF: h.MoreFragments(), Reserved: h.ReservedFlag(), IsFragment: h.IsFragment(),
		FragmentOffset: h.FragmentOffset(), TTL: h.TTL(), Protocol: h.Protocol(), Checksum: h.Checksum(),
		Src: h.Src(), Dst: h.Dst(), Options: h.Options(), Payload: h.Payload(),
	}
}

func TestIPv4P41Vector(t *testing.T) {
	b := hexv(t, p41v1)
	h, err := ParseIPv4(b)
	require.NoError(t, err)
	assert.Equal(t, ipv4View{
		Version: 4, HeaderLen: 20, TotalLen: 60,
		ID: 0, DF: true, TTL: 64, Protocol: ProtoIPv6, Checksum: 0x4e5a,
		Src: netip.MustParseAddr("192.0.2.4"), Dst: netip.MustParseAddr("198.51.100.7"),
		Options: []byte{}, Payload: b[20:60],
	}, viewOf(h))
	assert.Equal(t, b[:20], h.Header())
	assert.Equal(t, b, h.Bytes())
	assert.True(t, h.IsValid())

	// The builder reproduces the header byte for byte, checksum included.
	want := b[:20]
	hdr := IPv4Header{
		DontFragment: true, TTL: 64, Protocol: ProtoIPv6,
		Src: netip.MustParseAddr("192.0.2.4"), Dst: netip.MustParseAddr("198.51.100.7"),
	}
	got := make([]byte, 20)
	require.NoError(t, hdr.Encode(got, 40))
	assert.Equal(t, want, got)
	assert.Equal(t, hdr, h.Fields())

	app, err := hdr.AppendTo([]byte{0xaa}, 40)
	require.NoError(t, err)
	assert.Equal(t, append([]byte{0xaa}, want...), app)

	// In place: the IPv6 packet sits at buf[20:].
	buf := make([]byte, 60)
	copy(buf[20:], b[20:])
	pkt, err := PrependIPv4(buf, Proto41Headroom, &hdr)
	require.NoError(t, err)
	assert.Equal(t, b, pkt)
	assert.Same(t, &buf[0], &pkt[0])
}

// ipv4WithChecksum sets the header checksum of the header at the start of
// b with the reference sum and returns b.
func ipv4WithChecksum(b []byte) []byte {
	hlen := int(b[0]&0xf) * 4
	b[10], b[11] = 0, 0
	binary.BigEndian.PutUint16(b[10:], ^checksumReference(b[:hlen], 0))
	return b
}

func TestParseIPv4(t *testing.T) {
	p41 := hexv(t, p41v1)
	tests := []struct {
		name    string
		in      []byte
		wantErr error
		check   func(t *testing.T, in []byte, h IPv4)
	}{
		{name: "P41-1", in: p41},
		{name: "empty", in: nil, wantErr: ErrTruncated},
		{name: "19 bytes", in: p41[:19], wantErr: ErrTruncated},
		{name: "header only, total length 60", in: p41[:20], wantErr: ErrTruncated},
		{name: "one byte short of total length", in: p41[:59], wantErr: ErrTruncated},
		{name: "version 6", in: hexv(t, "6500003c 00004000 40294e5a c0000204 c6336407"), wantErr: ErrBadVersion},
		{name: "version 0", in: make([]byte, 20), wantErr: ErrBadVersion},
		{name: "IHL 4", in: ipv4WithChecksum(hexv(t, "44000014 00000000 40290000 c0000204 c6336407")), wantErr: ErrBadIHL},
		{name: "IHL 0", in: ipv4WithChecksum(hexv(t, "40000014 00000000 40290000 c0000204 c6336407")), wantErr: ErrBadIHL},
		{name: "total length 19 < header", in: ipv4WithChecksum(hexv(t, "45000013 00000000 40290000 c0000204 c6336407")), wantErr: ErrBadTotalLength},
		{name: "total length 0", in: ipv4WithChecksum(hexv(t, "45000000 00000000 40290000 c0000204 c6336407")), wantErr: ErrBadTotalLength},
		{name: "IHL 6 but total length 20", in: ipv4WithChecksum(hexv(t, "46000014 00000000 40290000 c0000204 c6336407 01010101")), wantErr: ErrBadTotalLength},
		{name: "IHL 15 beyond the buffer", in: ipv4WithChecksum(append(hexv(t, "4f0000ff 00000000 40290000 c0000204 c6336407"), make([]byte, 40)...)), wantErr: ErrTruncated},
		{name: "checksum off by one", in: hexv(t, "4500003c 00004000 40294e5b c0000204 c6336407 60000000 00003b40"+
			"2002c000 02040000 00000000 00000001 2002c633 64070000 00000000 00000001"), wantErr: ErrBadChecksum},
		{name: "checksum zero", in: hexv(t, "4500003c 00004000 40290000 c0000204 c6336407"+
			"60000000 00003b40 2002c000 02040000 00000000 00000001 2002c633 64070000 00000000 00000001"), wantErr: ErrBadChecksum},
		{
			name: "trailing bytes are trimmed",
			in:   append(append([]byte{}, p41...), 0xde, 0xad),
			check: func(t *testing.T, in []byte, h IPv4) {
				assert.Equal(t, in[:60], h.Bytes())
				assert.Equal(t, in[20:60], h.Payload())
			},
		},
		{
			name: "header only packet",
			in:   ipv4WithChecksum(hexv(t, "45000014 00000000 40290000 c0000204 c6336407")),
			check: func(t *testing.T, in []byte, h IPv4) {
				assert.Empty(t, h.Payload())
				assert.Equal(t, 20, h.TotalLen())
			},
		},
		{
			// RFC 791 options (here a NOP and an End of Option List padding
			// to one word) are accepted on receive, proto41.md §10 item 13.
			name: "IHL 6 with options",
			in:   ipv4WithChecksum(hexv(t, "46000019 12340000 40290000 c0000204 c6336407 01000000 ab")),
			check: func(t *testing.T, in []byte, h IPv4) {
				assert.Equal(t, 24, h.HeaderLen())
				assert.Equal(t, []byte{1, 0, 0, 0}, h.Options())
				assert.Equal(t, 4, cap(h.Options()), "options capacity ends with the header")
				assert.Equal(t, in[:24], h.Header())
				assert.Equal(t, 24, cap(h.Header()))
				assert.Equal(t, []byte{0xab}, h.Payload())
				assert.Equal(t, uint16(0x1234), h.ID())
			},
		},
		{
			name: "IHL 15, 40 option bytes",
			in:   ipv4WithChecksum(append(hexv(t, "4f00003c 00000000 40290000 c0000204 c6336407"), make([]byte, 40)...)),
			check: func(t *testing.T, in []byte, h IPv4) {
				assert.Equal(t, IPv4MaxHeaderLen, h.HeaderLen())
				assert.Len(t, h.Options(), 40)
				assert.Empty(t, h.Payload())
			},
		},
		{
			// TOS 0xb9 = DSCP 46 (EF) and ECN 01 = ECT(1); flags word
			// 0xa0b9 = reserved bit, MF, offset 0xb9*8 = 1480; TTL 1; proto 17.
			name: "all fields",
			in:   ipv4WithChecksum(hexv(t, "45b90014 beefa0b9 01110000 0a000001 ffffffff")),
			check: func(t *testing.T, in []byte, h IPv4) {
				v := viewOf(h)
				v.Checksum, v.Options, v.Payload = 0, nil, nil
				assert.Equal(t, ipv4View{
					Version: 4, HeaderLen: 20, TotalLen: 20, TOS: 0xb9, DSCP: 46, ECN: ECT1, ID: 0xbeef,
					MF: true, Reserved: true, IsFragment: true, FragmentOffset: 1480, TTL: 1, Protocol: ProtoUDP,
					Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("255.255.255.255"),
				}, v)
			},
		},
		{
			name: "last fragment: offset only",
			in:   ipv4WithChecksum(hexv(t, "45000014 00001fff 40290000 c0000204 c6336407")),
			check: func(t *testing.T, in []byte, h IPv4) {
				assert.False(t, h.MoreFragments())
				assert.True(t, h.IsFragment())
				assert.Equal(t, 0x1fff*8, h.FragmentOffset())
			},
		},
		{
			name: "DF alone is not a fragment",
			in:   ipv4WithChecksum(hexv(t, "45000014 00004000 40290000 c0000204 c6336407")),
			check: func(t *testing.T, in []byte, h IPv4) {
				assert.True(t, h.DontFragment())
				assert.False(t, h.IsFragment())
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseIPv4(tt.in)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Equal(t, IPv4{}, h)
				assert.False(t, h.IsValid())
				return
			}
			require.NoError(t, err)
			assert.True(t, h.IsValid())
			assert.Equal(t, uint8(4), h.Version())
			if tt.check != nil {
				tt.check(t, tt.in, h)
			}
		})
	}
}

func TestIPv4DecodeReuse(t *testing.T) {
	var h IPv4
	require.NoError(t, h.Decode(hexv(t, p41v1)))
	assert.True(t, h.IsValid())
	// A failed Decode leaves no stale view behind.
	assert.ErrorIs(t, h.Decode([]byte{0x45}), ErrTruncated)
	assert.Equal(t, IPv4{}, h)
}

func TestIPv4ZeroValue(t *testing.T) {
	var h IPv4
	assert.Equal(t, ipv4View{}, viewOf(h))
	assert.Nil(t, h.Header())
	assert.Nil(t, h.Bytes())
	assert.False(t, h.IsValid())
	assert.Equal(t, IPv4Header{}, h.Fields())
}

func TestIPv4HeaderEncodeErrors(t *testing.T) {
	good := IPv4Header{TTL: 64, Protocol: ProtoIPv6, Src: netip.MustParseAddr("192.0.2.4"), Dst: netip.MustParseAddr("198.51.100.7")}
	with := func(f func(*IPv4Header)) IPv4Header { h := good; f(&h); return h }
	tests := []struct {
		name       string
		h          IPv4Header
		payloadLen int
		bufLen     int
		wantErr    error
	}{
		{"ok", good, 0, 20, nil},
		{"largest payload", good, 65515, 20, nil},
		{"payload one too long", good, 65516, 20, ErrTooLong},
		{"negative payload", good, -1, 20, ErrTooLong},
		{"short buffer", good, 0, 19, io.ErrShortBuffer},
		{"zero Src", with(func(h *IPv4Header) { h.Src = netip.Addr{} }), 0, 20, ErrNotIPv4Addr},
		{"IPv6 Dst", with(func(h *IPv4Header) { h.Dst = netip.MustParseAddr("2001:db8::1") }), 0, 20, ErrNotIPv4Addr},
		{"IPv4-mapped Src", with(func(h *IPv4Header) { h.Src = netip.MustParseAddr("::ffff:192.0.2.4") }), 0, 20, ErrNotIPv4Addr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := make([]byte, tt.bufLen)
			for i := range buf {
				buf[i] = 0xee
			}
			err := tt.h.Encode(buf, tt.payloadLen)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				for _, c := range buf {
					require.Equal(t, byte(0xee), c, "buffer modified on error")
				}
			} else {
				require.NoError(t, err)
				assert.Equal(t, uint16(20+tt.payloadLen), binary.BigEndian.Uint16(buf[2:]))
				assert.Equal(t, uint16(0xffff), checksumReference(buf[:20], 0))
			}

			dst := []byte{1, 2, 3}
			out, err := tt.h.AppendTo(dst, tt.payloadLen)
			if tt.wantErr != nil && tt.wantErr != io.ErrShortBuffer {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Equal(t, []byte{1, 2, 3}, out)
			} else {
				require.NoError(t, err)
				assert.Len(t, out, 23)
				assert.Equal(t, []byte{1, 2, 3}, out[:3])
			}
		})
	}
}

func TestIPv4AppendToKeepsPrefix(t *testing.T) {
	h := IPv4Header{TTL: 1, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2")}
	base := make([]byte, 4, 64)
	copy(base, "abcd")
	out, err := h.AppendTo(base, 0)
	require.NoError(t, err)
	assert.Same(t, &base[0], &out[0], "reused capacity")
	assert.Equal(t, "abcd", string(out[:4]))
	_, err = ParseIPv4(out[4:])
	require.NoError(t, err)
}

func TestPrependIPv4(t *testing.T) {
	h := IPv4Header{DontFragment: true, TTL: 64, Protocol: ProtoIPv6, Src: netip.MustParseAddr("192.0.2.4"), Dst: netip.MustParseAddr("198.51.100.7")}
	t.Run("no headroom", func(t *testing.T) {
		buf := make([]byte, 100)
		_, err := PrependIPv4(buf, 19, &h)
		assert.ErrorIs(t, err, ErrNoHeadroom)
		_, err = PrependIPv4(buf, -1, &h)
		assert.ErrorIs(t, err, ErrNoHeadroom)
		assert.Equal(t, make([]byte, 100), buf)
	})
	t.Run("offset beyond buffer", func(t *testing.T) {
		_, err := PrependIPv4(make([]byte, 30), 31, &h)
		assert.ErrorIs(t, err, io.ErrShortBuffer)
	})
	t.Run("bad address", func(t *testing.T) {
		bad := h
		bad.Dst = netip.IPv6Loopback()
		_, err := PrependIPv4(make([]byte, 60), 20, &bad)
		assert.ErrorIs(t, err, ErrNotIPv4Addr)
	})
	t.Run("payload too long", func(t *testing.T) {
		_, err := PrependIPv4(make([]byte, 20+65516), 20, &h)
		assert.ErrorIs(t, err, ErrTooLong)
	})
	t.Run("larger headroom", func(t *testing.T) {
		buf := make([]byte, MaxHeadroom+3)
		copy(buf[MaxHeadroom:], "xyz")
		pkt, err := PrependIPv4(buf, MaxHeadroom, &h)
		require.NoError(t, err)
		assert.Same(t, &buf[MaxHeadroom-20], &pkt[0])
		v, err := ParseIPv4(pkt)
		require.NoError(t, err)
		assert.Equal(t, "xyz", string(v.Payload()))
		assert.Equal(t, make([]byte, MaxHeadroom-20), buf[:MaxHeadroom-20], "bytes before the header untouched")
	})
	t.Run("empty payload", func(t *testing.T) {
		pkt, err := PrependIPv4(make([]byte, 20), 20, &h)
		require.NoError(t, err)
		v, err := ParseIPv4(pkt)
		require.NoError(t, err)
		assert.Equal(t, 20, v.TotalLen())
	})
}

// TestIPv4AgainstGopacket serializes random headers with gopacket
// (ComputeChecksums, FixLengths) and with our builder, and checks that the
// bytes agree and that each side parses the other's packet.
func TestIPv4AgainstGopacket(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 41))
	for i := range 2000 {
		h := IPv4Header{
			TOS: uint8(r.Uint32()), ID: uint16(r.Uint32()), DontFragment: r.IntN(2) == 0,
			TTL: uint8(r.Uint32()), Protocol: uint8(r.Uint32()), Src: rndAddr4(r), Dst: rndAddr4(r),
		}
		payload := make([]byte, r.IntN(100))
		for j := range payload {
			payload[j] = byte(r.Uint32())
		}
		s, d := h.Src.As4(), h.Dst.As4()
		gp := &layers.IPv4{
			Version: 4, TOS: h.TOS, Id: h.ID, TTL: h.TTL, Protocol: layers.IPProtocol(h.Protocol),
			SrcIP: net.IP(s[:]), DstIP: net.IP(d[:]),
		}
		if h.DontFragment {
			gp.Flags = layers.IPv4DontFragment
		}
		sb := gopacket.NewSerializeBuffer()
		require.NoError(t, gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, gp, gopacket.Payload(payload)))
		want := sb.Bytes()

		got, err := h.AppendTo(nil, len(payload))
		require.NoError(t, err)
		got = append(got, payload...)
		require.Equal(t, want, got, "case %d: %+v", i, h)

		v, err := ParseIPv4(want)
		require.NoError(t, err)
		assert.Equal(t, h, v.Fields())

		// gopacket decodes ours.
		pk := gopacket.NewPacket(got, layers.LayerTypeIPv4, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
		ip, ok := pk.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		require.True(t, ok)
		assert.Equal(t, v.Checksum(), ip.Checksum)
		assert.Equal(t, uint16(v.TotalLen()), ip.Length)
	}
}

// TestIPv4HeaderChecksum holds the checksum test of parseIPv4 (five 32-bit
// loads, optionWords, and a divisibility test in place of folding) to
// checksumReference: a header is accepted exactly when the RFC 1071 sum of
// its words, checksum field included, is 0xffff.
func TestIPv4HeaderChecksum(t *testing.T) {
	verdict := func(h []byte) (got, want bool) {
		_, err := ParseIPv4(h)
		if err != nil && err != ErrBadChecksum {
			t.Fatalf("% x: %v", h, err)
		}
		return err == nil, checksumReference(h, 0) == 0xffff
	}
	// Every value of the checksum field, on P41-1's header, on a header
	// with one option word and on a 60-byte header of 0xff bytes (every
	// add carries). A header takes one value, or both forms of zero
	// (0x0000 and 0xffff) when the other words sum to 0xffff.
	ff := make([]byte, 60)
	for i := range ff {
		ff[i] = 0xff
	}
	ff[0], ff[2], ff[3] = 0x4f, 0, 60
	for _, h := range [][]byte{
		hexv(t, "4500003c 00004000 40294e5a c0000204 c6336407")[:20],
		hexv(t, "46000018 12340000 40290000 c0000204 c6336407 94040000"),
		ff,
	} {
		h[2], h[3] = 0, byte(len(h))
		accepted := 0
		for c := range 1 << 16 {
			binary.BigEndian.PutUint16(h[10:], uint16(c))
			got, want := verdict(h)
			require.Equal(t, want, got, "header % x", h)
			if got {
				accepted++
			}
		}
		assert.Contains(t, []int{1, 2}, accepted, "% x", h)
	}
	// A header whose other words sum to 0xffff: both 0x0000 and 0xffff
	// are correct. The ID field is chosen to make it so.
	z := hexv(t, "45000014 00000000 40290000 c0000204 c6336407")
	binary.BigEndian.PutUint16(z[4:], ^checksumReference(z, 0))
	require.Equal(t, uint16(0xffff), checksumReference(z, 0))
	for _, c := range []uint16{0, 0xffff} {
		binary.BigEndian.PutUint16(z[10:], c)
		got, want := verdict(z)
		assert.True(t, want, "checksum %#04x", c)
		assert.True(t, got, "checksum %#04x", c)
	}
	// Random headers of every length, half of them with a correct
	// checksum.
	r := rand.New(rand.NewPCG(20, 60))
	for i := range 200000 {
		ihl := 5 + r.IntN(11)
		h := make([]byte, ihl*4)
		for j := range h {
			h[j] = byte(r.Uint32())
		}
		h[0] = 0x40 | byte(ihl)
		binary.BigEndian.PutUint16(h[2:], uint16(len(h)))
		if i%2 == 0 {
			h = ipv4WithChecksum(h)
		}
		got, want := verdict(h)
		require.Equal(t, want, got, "header % x", h)
	}
}
