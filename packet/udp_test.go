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

var (
	udpSrc4 = netip.MustParseAddr("192.0.2.1")
	udpDst4 = netip.MustParseAddr("198.51.100.2")
	udpSrc6 = netip.MustParseAddr("2001:db8::1")
	udpDst6 = netip.MustParseAddr("2001:db8::2")
)

func TestParseUDP(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
		src     uint16
		dst     uint16
		length  int
		ck      uint16
		payload string
	}{
		{name: "empty", in: "", wantErr: ErrTruncated},
		{name: "7 bytes", in: "0dea 0dea 0008 00", wantErr: ErrTruncated},
		{name: "length 7", in: "0dea 0dea 0007 0000", wantErr: ErrBadUDPLength},
		{name: "length 0 (jumbogram)", in: "0dea 0dea 0000 0000 aabb", wantErr: ErrBadUDPLength},
		{name: "length beyond buffer", in: "0dea 0dea 000b 0000 aabb", wantErr: ErrTruncated},
		{name: "header only", in: "0dea 0dea 0008 1234", src: 3562, dst: 3562, length: 8, ck: 0x1234, payload: ""},
		{name: "trailing bytes trimmed", in: "0035 c350 000a 0000 aabb ccdd", src: 53, dst: 50000, length: 10, payload: "aabb"},
		{name: "largest ports", in: "ffff ffff 0009 ffff 01", src: 0xffff, dst: 0xffff, length: 9, ck: 0xffff, payload: "01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := hexv(t, tt.in)
			u, err := ParseUDP(in)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Equal(t, UDP{}, u)
				return
			}
			require.NoError(t, err)
			assert.True(t, u.IsValid())
			assert.Equal(t, tt.src, u.SrcPort())
			assert.Equal(t, tt.dst, u.DstPort())
			assert.Equal(t, tt.length, u.Length())
			assert.Equal(t, tt.ck, u.Checksum())
			assert.Equal(t, hexv(t, tt.payload), append([]byte{}, u.Payload()...))
			assert.Equal(t, in[:8], u.Header())
			assert.Equal(t, 8, cap(u.Header()))
			assert.Equal(t, in[:tt.length], u.Bytes())
		})
	}
}

func TestUDPZeroValue(t *testing.T) {
	var u UDP
	assert.False(t, u.IsValid())
	assert.Zero(t, u.SrcPort())
	assert.Zero(t, u.DstPort())
	assert.Zero(t, u.Length())
	assert.Zero(t, u.Checksum())
	assert.Nil(t, u.Header())
	assert.Nil(t, u.Payload())
	assert.Nil(t, u.Bytes())
	assert.ErrorIs(t, u.VerifyChecksum4(udpSrc4, udpDst4), ErrTruncated)
	assert.ErrorIs(t, u.VerifyChecksum6(udpSrc6, udpDst6), ErrTruncated)
}

func TestUDPDecodeReuse(t *testing.T) {
	var u UDP
	require.NoError(t, u.Decode(hexv(t, "0001 0002 0008 0000")))
	assert.ErrorIs(t, u.Decode(hexv(t, "0001")), ErrTruncated)
	assert.Equal(t, UDP{}, u)
}

// TestUDPChecksumHandComputed checks one datagram whose checksum was
// computed outside Go (Python, summing the words listed here):
// 192.0.2.1 -> 198.51.100.2, ports 1 -> 2, data "ab". Pseudo-header words
// c000 0201 c633 6402 0011 000a; header 0001 0002 000a; data 6162. The sum
// is 0x24dc0, folded 0x4dc2, so the field is ^0x4dc2 = 0xb23d.
func TestUDPChecksumHandComputed(t *testing.T) {
	b := []byte{0, 0, 0, 0, 0, 0, 0, 0, 'a', 'b'}
	require.NoError(t, UDPHeader{SrcPort: 1, DstPort: 2}.Encode4(b, udpSrc4, udpDst4))
	assert.Equal(t, hexv(t, "0001 0002 000a b23d 6162"), b)
	u, err := ParseUDP(b)
	require.NoError(t, err)
	assert.NoError(t, u.VerifyChecksum4(udpSrc4, udpDst4))
}

func TestUDPVerifyChecksum(t *testing.T) {
	b := make([]byte, 8+5)
	copy(b[8:], "hello")
	require.NoError(t, UDPHeader{SrcPort: 3544, DstPort: 40000}.Encode4(b, udpSrc4, udpDst4))
	u, err := ParseUDP(b)
	require.NoError(t, err)
	assert.NoError(t, u.VerifyChecksum4(udpSrc4, udpDst4))
	assert.ErrorIs(t, u.VerifyChecksum4(udpDst4, udpSrc4.Next()), ErrBadChecksum, "wrong pseudo-header")
	assert.ErrorIs(t, u.VerifyChecksum4(udpSrc6, udpDst4), ErrNotIPv4Addr)
	assert.ErrorIs(t, u.VerifyChecksum4(netip.MustParseAddr("::ffff:192.0.2.1"), udpDst4), ErrNotIPv4Addr)
	b[9] ^= 1
	assert.ErrorIs(t, u.VerifyChecksum4(udpSrc4, udpDst4), ErrBadChecksum, "corrupted data")
	b[9] ^= 1

	// Zero checksum: accepted over IPv4 (RFC 768), refused over IPv6 (RFC
	// 8200 §8.1).
	binary.BigEndian.PutUint16(b[6:], 0)
	assert.NoError(t, u.VerifyChecksum4(udpSrc4, udpDst4))
	assert.ErrorIs(t, u.VerifyChecksum6(udpSrc6, udpDst6), ErrZeroUDPChecksumIPv6)

	require.NoError(t, UDPHeader{SrcPort: 3544, DstPort: 40000}.Encode6(b, udpSrc6, udpDst6))
	assert.NoError(t, u.VerifyChecksum6(udpSrc6, udpDst6))
	assert.ErrorIs(t, u.VerifyChecksum6(udpDst6, udpSrc6.Next()), ErrBadChecksum)
	assert.ErrorIs(t, u.VerifyChecksum6(udpSrc4, udpDst6), ErrNotIPv6Addr)
	assert.ErrorIs(t, u.VerifyChecksum6(udpSrc6, netip.Addr{}), ErrNotIPv6Addr)
}

// zeroSumPayload returns a 2-byte payload that makes the UDP checksum of a
// datagram from ports 1 -> 2 compute to zero, given the pseudo-header sum:
// the remaining words must sum to 0xffff. It is derived with the reference
// sum only.
func zeroSumPayload(pseudo uint16) []byte {
	hdr := []byte{0, 1, 0, 2, 0, 10, 0, 0}
	s := checksumReference(hdr, pseudo)
	w := ^s // s + ^s = 0xffff
	return []byte{byte(w >> 8), byte(w)}
}

// TestUDPComputedZeroSentAsFFFF covers the RFC 768 rule (kept by RFC 8200
// §8.1): a checksum that computes to zero is transmitted as 0xffff, because
// zero means "no checksum".
func TestUDPComputedZeroSentAsFFFF(t *testing.T) {
	b := make([]byte, 10)
	copy(b[8:], zeroSumPayload(checksumReference(pseudoHeader4(ProtoUDP, udpSrc4, udpDst4, 10), 0)))
	require.NoError(t, UDPHeader{SrcPort: 1, DstPort: 2}.Encode4(b, udpSrc4, udpDst4))
	assert.Equal(t, uint16(0xffff), binary.BigEndian.Uint16(b[6:]))
	u, err := ParseUDP(b)
	require.NoError(t, err)
	assert.NoError(t, u.VerifyChecksum4(udpSrc4, udpDst4))

	b = make([]byte, 10)
	copy(b[8:], zeroSumPayload(checksumReference(pseudoHeader6(ProtoUDP, udpSrc6, udpDst6, 10), 0)))
	require.NoError(t, UDPHeader{SrcPort: 1, DstPort: 2}.Encode6(b, udpSrc6, udpDst6))
	assert.Equal(t, uint16(0xffff), binary.BigEndian.Uint16(b[6:]))
	u, err = ParseUDP(b)
	require.NoError(t, err)
	assert.NoError(t, u.VerifyChecksum6(udpSrc6, udpDst6))
}

func TestUDPEncodeErrors(t *testing.T) {
	h := UDPHeader{SrcPort: 1, DstPort: 2}
	tests := []struct {
		name     string
		n        int
		src, dst netip.Addr
		v6       bool
		wantErr  error
	}{
		{"v4 short", 7, udpSrc4, udpDst4, false, io.ErrShortBuffer},
		{"v4 too long", 65536, udpSrc4, udpDst4, false, ErrTooLong},
		{"v4 largest", 65535, udpSrc4, udpDst4, false, nil},
		{"v4 with v6 address", 8, udpSrc6, udpDst4, false, ErrNotIPv4Addr},
		{"v4 with zero address", 8, udpSrc4, netip.Addr{}, false, ErrNotIPv4Addr},
		{"v6 short", 0, udpSrc6, udpDst6, true, io.ErrShortBuffer},
		{"v6 too long", 65536, udpSrc6, udpDst6, true, ErrTooLong},
		{"v6 largest", 65535, udpSrc6, udpDst6, true, nil},
		{"v6 with v4 address", 8, udpSrc6, udpDst4, true, ErrNotIPv6Addr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := make([]byte, tt.n)
			var err error
			if tt.v6 {
				err = h.Encode6(b, tt.src, tt.dst)
			} else {
				err = h.Encode4(b, tt.src, tt.dst)
			}
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Equal(t, make([]byte, tt.n), b, "not modified on error")
				return
			}
			require.NoError(t, err)
			u, err := ParseUDP(b)
			require.NoError(t, err)
			if tt.v6 {
				assert.NoError(t, u.VerifyChecksum6(tt.src, tt.dst))
			} else {
				assert.NoError(t, u.VerifyChecksum4(tt.src, tt.dst))
			}
		})
	}
}

func TestPrependAndAppendUDP(t *testing.T) {
	h := UDPHeader{SrcPort: 3544, DstPort: 51000}
	payload := []byte("teredo")
	for _, v6 := range []bool{false, true} {
		src, dst := udpSrc4, udpDst4
		prepend, appendFn := PrependUDP4, AppendUDP4
		verify := UDP.VerifyChecksum4
		if v6 {
			src, dst = udpSrc6, udpDst6
			prepend, appendFn = PrependUDP6, AppendUDP6
			verify = UDP.VerifyChecksum6
		}
		buf := make([]byte, 16+len(payload))
		copy(buf[16:], payload)
		_, err := prepend(buf, 7, h, src, dst)
		assert.ErrorIs(t, err, ErrNoHeadroom)
		_, err = prepend(buf, len(buf)+1, h, src, dst)
		assert.ErrorIs(t, err, io.ErrShortBuffer)
		_, err = prepend(buf, 16, h, dst.Prev().Unmap(), netip.Addr{})
		assert.Error(t, err)

		d, err := prepend(buf, 16, h, src, dst)
		require.NoError(t, err)
		assert.Same(t, &buf[8], &d[0])
		u, err := ParseUDP(d)
		require.NoError(t, err)
		assert.Equal(t, payload, u.Payload())
		assert.NoError(t, verify(u, src, dst))

		// Appending gives the same bytes after the prefix, which it keeps.
		out, err := appendFn([]byte("pre"), h, src, dst, payload)
		require.NoError(t, err)
		assert.Equal(t, "pre", string(out[:3]))
		assert.Equal(t, []byte(d), out[3:])

		out, err = appendFn([]byte("pre"), h, netip.Addr{}, dst, payload)
		assert.Error(t, err)
		assert.Equal(t, "pre", string(out))
		_, err = appendFn(nil, h, src, dst, make([]byte, 65528))
		assert.ErrorIs(t, err, ErrTooLong)
	}
}

// gopacketUDP serializes ip/UDP/payload with gopacket's checksums and
// lengths. gopacket does not map a computed zero UDP checksum to 0xffff, so
// callers skip that 1-in-65536 case.
func gopacketUDP(t *testing.T, ip gopacket.NetworkLayer, sport, dport uint16, payload []byte) []byte {
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	require.NoError(t, udp.SetNetworkLayerForChecksum(ip))
	sb := gopacket.NewSerializeBuffer()
	require.NoError(t, gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		ip.(gopacket.SerializableLayer), udp, gopacket.Payload(payload)))
	return sb.Bytes()
}

// TestUDPAgainstGopacket builds random IPv4/UDP and IPv6/UDP packets with
// gopacket as an independent oracle and with our builders, and checks both
// ways: identical bytes, and each verifies the other's checksum.
func TestUDPAgainstGopacket(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 768))
	for i := range 3000 {
		payload := make([]byte, r.IntN(1500))
		for j := range payload {
			payload[j] = byte(r.Uint32())
		}
		h := UDPHeader{SrcPort: uint16(r.Uint32()), DstPort: uint16(r.Uint32())}
		v6 := i%2 == 1
		var src, dst netip.Addr
		var ip gopacket.NetworkLayer
		var wantUDP []byte
		if v6 {
			src, dst = rndAddr6(r), rndAddr6(r)
			s, d := src.As16(), dst.As16()
			ip = &layers.IPv6{Version: 6, NextHeader: layers.IPProtocolUDP, HopLimit: 64, SrcIP: net.IP(s[:]), DstIP: net.IP(d[:])}
			wantUDP = gopacketUDP(t, ip, h.SrcPort, h.DstPort, payload)[40:]
		} else {
			src, dst = rndAddr4(r), rndAddr4(r)
			s, d := src.As4(), dst.As4()
			ip = &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP(s[:]), DstIP: net.IP(d[:])}
			wantUDP = gopacketUDP(t, ip, h.SrcPort, h.DstPort, payload)[20:]
		}
		if binary.BigEndian.Uint16(wantUDP[6:]) == 0 {
			continue // gopacket sends a computed zero as zero; see TestUDPComputedZeroSentAsFFFF
		}
		var got []byte
		var err error
		if v6 {
			got, err = AppendUDP6(nil, h, src, dst, payload)
		} else {
			got, err = AppendUDP4(nil, h, src, dst, payload)
		}
		require.NoError(t, err)
		require.Equal(t, wantUDP, got, "case %d v6=%v", i, v6)

		u, err := ParseUDP(wantUDP)
		require.NoError(t, err)
		if v6 {
			require.NoError(t, u.VerifyChecksum6(src, dst))
		} else {
			require.NoError(t, u.VerifyChecksum4(src, dst))
		}

		// gopacket decodes our datagram to the same fields.
		pk := gopacket.NewPacket(got, layers.LayerTypeUDP, gopacket.DecodeOptions{NoCopy: true})
		gu, ok := pk.Layer(layers.LayerTypeUDP).(*layers.UDP)
		require.True(t, ok)
		assert.Equal(t, uint16(u.Length()), gu.Length)
		assert.Equal(t, u.Checksum(), gu.Checksum)
	}
}
