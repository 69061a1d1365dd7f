package bench

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transit6/transit6/packet"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
)

// decoderOf returns the decoder of im for the given encapsulation.
func decoderOf(im Impl, teredo bool) func([]byte, *Decoded) error {
	if teredo {
		return im.DecodeTeredo
	}
	return im.Decode6in4
}

func kindName(teredo bool) string {
	if teredo {
		return "teredo"
	}
	return "6in4"
}

// TestInputs checks that every implementation decodes every benchmark input
// to the Decoded derived from the fields it was built from.
func TestInputs(t *testing.T) {
	for _, teredo := range []bool{false, true} {
		sizes, build := Sizes6in4, New6in4
		if teredo {
			sizes, build = SizesTeredo, NewTeredo
		}
		for _, size := range sizes {
			in, err := build(size)
			require.NoError(t, err)
			require.Len(t, in.Pkt, size)
			for _, im := range Impls() {
				t.Run(fmt.Sprintf("%s/size=%d/impl=%s", kindName(teredo), size, im.Name), func(t *testing.T) {
					var got Decoded
					require.NoError(t, decoderOf(im, teredo)(in.Pkt, &got))
					assert.Equal(t, in.Want, got)
				})
			}
		}
	}
}

// fixChecksum rewrites the IPv4 header checksum of pkt after a mutation,
// over the header as IHL gives it (at least 20 bytes, at most the buffer).
func fixChecksum(pkt []byte) {
	if len(pkt) < ipv4MinLen {
		return
	}
	hl := max(int(pkt[0]&0x0f)*4, ipv4MinLen)
	hl = min(hl, len(pkt)&^1)
	pkt[10], pkt[11] = 0, 0
	binary.BigEndian.PutUint16(pkt[10:12], ^headerSum(pkt[:hl]))
}

// mutation is a named change to a valid 1280-byte input.
type mutation struct {
	name   string
	teredo bool
	// accept says whether packet must accept the result.
	accept bool
	// quirks lists the implementations that, as documented in quirks.go,
	// decide the other way.
	quirks []string
	// f changes a copy of the input and returns it; the IPv4 checksum is
	// then recomputed unless keepChecksum.
	f            func(p []byte) []byte
	keepChecksum bool
}

var gopackets = []string{"gopacket-newpacket", "gopacket-dlp"}

// Offsets in the inputs, which have no IPv4 options.
const (
	in6in4IPv6   = 20 // inner IPv6 header of a 6in4 input
	inTeredoUDP  = 20 // UDP header of a Teredo input
	inTeredoIPv6 = 28 // inner IPv6 header of a Teredo input
)

func setU16(p []byte, off int, v uint16) { binary.BigEndian.PutUint16(p[off:], v) }

var mutations = []mutation{
	// Refused by every implementation.
	{name: "empty", f: func(p []byte) []byte { return nil }},
	{name: "19 bytes", f: func(p []byte) []byte { return p[:19] }, keepChecksum: true},
	{name: "outer version 6", f: func(p []byte) []byte { p[0] = 0x65; return p }},
	{name: "IHL 4", f: func(p []byte) []byte { p[0] = 0x44; return p }},
	{name: "IHL 15 past Total Length", f: func(p []byte) []byte { p[0] = 0x4f; setU16(p, 2, 40); return p }},
	{name: "IHL 15 past the buffer", f: func(p []byte) []byte { p[0] = 0x4f; return p[:40] }, keepChecksum: true},
	{name: "Total Length 19", f: func(p []byte) []byte { setU16(p, 2, 19); return p }},
	{name: "Total Length past the buffer", f: func(p []byte) []byte { setU16(p, 2, uint16(len(p)+1)); return p }},
	{name: "buffer cut short", f: func(p []byte) []byte { return p[:len(p)-1] }, keepChecksum: true},
	{name: "bad header checksum", f: func(p []byte) []byte { p[11] ^= 0x40; return p }, keepChecksum: true},
	{name: "checksum of zero header field", f: func(p []byte) []byte { p[8]++; return p }, keepChecksum: true},
	{name: "MF set", f: func(p []byte) []byte { p[6] |= 0x20; return p }},
	{name: "fragment offset 8", f: func(p []byte) []byte { setU16(p, 6, 1); return p }},
	{name: "protocol UDP in 6in4", f: func(p []byte) []byte { p[9] = 17; return p }},
	{name: "protocol 41 in Teredo", teredo: true, f: func(p []byte) []byte { p[9] = 41; return p }},
	{name: "IPv4 payload of 39 bytes", f: func(p []byte) []byte { setU16(p, 2, 59); return p }},
	{name: "inner version 4", f: func(p []byte) []byte { p[in6in4IPv6] = 0x40; return p }},
	{name: "inner Payload Length past IPv4 payload", f: func(p []byte) []byte {
		setU16(p, 2, uint16(len(p)-1)) // one byte of link padding
		return p
	}},
	{name: "inner Payload Length past the buffer", f: func(p []byte) []byte {
		setU16(p, in6in4IPv6+4, uint16(len(p)-in6in4IPv6-40+1))
		return p
	}},
	{name: "UDP in 7 bytes", teredo: true, f: func(p []byte) []byte { setU16(p, 2, 27); return p[:27] }},
	{name: "UDP Length 7", teredo: true, f: func(p []byte) []byte { setU16(p, inTeredoUDP+4, 7); return p }},
	{name: "UDP Length 0", teredo: true, f: func(p []byte) []byte { setU16(p, inTeredoUDP+4, 0); return p }},
	{name: "UDP Length past IPv4 payload", teredo: true, f: func(p []byte) []byte {
		setU16(p, inTeredoUDP+4, uint16(len(p)-20+1))
		return p
	}},
	{name: "UDP Length cuts the inner packet", teredo: true, f: func(p []byte) []byte {
		setU16(p, inTeredoUDP+4, uint16(len(p)-20-1))
		return p
	}},
	{name: "inner version 5 in Teredo", teredo: true, f: func(p []byte) []byte { p[inTeredoIPv6] = 0x50; return p }},

	// Accepted by every implementation.
	{name: "link padding after Total Length", accept: true, f: func(p []byte) []byte {
		return append(p, 0, 0, 0, 0, 0, 0)
	}, keepChecksum: true},
	{name: "bytes after the inner packet", accept: true, f: func(p []byte) []byte {
		setU16(p, in6in4IPv6+4, uint16(len(p)-in6in4IPv6-40-8))
		setU16(p, in6in4IPv6+40+4, uint16(len(p)-in6in4IPv6-40-8)) // inner UDP Length
		return p
	}},
	{name: "bytes after the UDP datagram", teredo: true, accept: true, f: func(p []byte) []byte {
		setU16(p, inTeredoUDP+4, uint16(len(p)-20-8))
		setU16(p, inTeredoIPv6+4, uint16(len(p)-inTeredoIPv6-40-8))
		setU16(p, inTeredoIPv6+40+4, uint16(len(p)-inTeredoIPv6-40-8)) // inner UDP Length
		return p
	}},
	{name: "Teredo between two clients (no port 3544)", teredo: true, accept: true, quirks: []string{"gopacket-newpacket"},
		f: func(p []byte) []byte {
			setU16(p, inTeredoUDP+2, 40001) // NewPacket then sees a UDP payload, not IPv6
			return p
		}},
	{name: "inner UDP header truncated", accept: true, quirks: []string{"gopacket-newpacket"}, f: func(p []byte) []byte {
		setU16(p, in6in4IPv6+40+4, uint16(len(p))) // inner UDP Length past the packet
		return p
	}},
	{name: "DF set", accept: true, f: func(p []byte) []byte { p[6] |= 0x40; return p }},
	{name: "reserved flag set", accept: true, f: func(p []byte) []byte { p[6] |= 0x80; return p }},
	{name: "IPv4 options NOP NOP NOP EOL", accept: true, f: func(p []byte) []byte { return withOptions(p, 1, 1, 1, 0) }},
	{name: "IPv4 record route option", accept: true, f: func(p []byte) []byte {
		return withOptions(p, 7, 7, 4, 0, 0, 0, 0, 0)
	}},
	{name: "inner packet without payload (a bubble)", accept: true, quirks: gopackets, f: func(p []byte) []byte {
		setU16(p, in6in4IPv6+4, 0)
		p[in6in4IPv6+6] = 59
		return p
	}},
	{name: "Teredo bubble", teredo: true, accept: true, quirks: gopackets, f: func(p []byte) []byte {
		setU16(p, inTeredoIPv6+4, 0)
		p[inTeredoIPv6+6] = 59
		return p
	}},

	// The documented differences (quirks.go).
	{name: "Total Length 0", quirks: gopackets, f: func(p []byte) []byte { setU16(p, 2, 0); return p }},
	{name: "malformed IPv4 option", accept: true, quirks: gopackets, f: func(p []byte) []byte {
		return withOptions(p, 7, 2, 0, 0)
	}},
	{name: "jumbogram", quirks: []string{"xnet", "gvisor", "hand", "hand-call"}, f: func(p []byte) []byte {
		setU16(p, in6in4IPv6+4, 0)
		p[in6in4IPv6+6] = 0                                               // Hop-by-Hop
		copy(p[in6in4IPv6+40:], []byte{17, 0, 0xc2, 4, 0, 0, 0x04, 0xc4}) // Jumbo Payload 1220: the rest
		return p
	}},
}

// withOptions inserts IPv4 options (a multiple of 4 bytes) after the 20-byte
// header and adjusts IHL and Total Length.
func withOptions(p []byte, opts ...byte) []byte {
	q := append(append(append([]byte{}, p[:20]...), opts...), p[20:]...)
	q[0] = 0x40 | byte((20+len(opts))/4)
	setU16(q, 2, uint16(len(q)))
	return q
}

// TestAgreeInvalid runs every mutation through every implementation: each
// must accept or refuse as packet does and produce the same Decoded, except
// where quirks.go documents otherwise, in which case it must really decide
// the other way (so that the documentation stays true).
func TestAgreeInvalid(t *testing.T) {
	for _, m := range mutations {
		base, err := New6in4(1280)
		if m.teredo {
			base, err = NewTeredo(1280)
		}
		require.NoError(t, err)
		pkt := m.f(append([]byte{}, base.Pkt...))
		if !m.keepChecksum {
			fixChecksum(pkt)
		}
		t.Run(m.name, func(t *testing.T) {
			var want Decoded
			wantErr := decoderOf(packetImpl(), m.teredo)(pkt, &want)
			if m.accept {
				require.NoError(t, wantErr, "packet must accept")
			} else {
				require.Error(t, wantErr, "packet must refuse")
			}
			for _, im := range Impls()[1:] {
				var got Decoded
				err := decoderOf(im, m.teredo)(pkt, &got)
				q := Quirk(im.Name, m.teredo, pkt)
				documented := contains(m.quirks, im.Name)
				if documented {
					assert.NotEmpty(t, q, "%s: the quirk is not in Quirk", im.Name)
					assert.NotEqual(t, wantErr == nil, err == nil, "%s: documented quirk %q does not show", im.Name, q)
					continue
				}
				if wantErr != nil {
					assert.Error(t, err, im.Name)
					continue
				}
				if assert.NoError(t, err, im.Name) {
					assert.Equal(t, want, got, im.Name)
				}
			}
		})
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// randomPacket builds a valid packet by hand (not with packet's builders)
// from random fields and returns it with the Decoded those fields imply.
// It varies what the benchmark inputs fix: IPv4 options (well-formed, so
// that no quirk applies), link padding after Total Length, bytes after the
// inner packet and after the UDP datagram, every field and address, and
// Payload Length 0 with a Next Header other than Hop-by-Hop.
func randomPacket(r *rand.Rand, teredo bool) ([]byte, Decoded) {
	optLen := 0
	if r.IntN(3) == 0 {
		optLen = 4 * r.IntN(11)
	}
	hl := ipv4MinLen + optLen
	plen := r.IntN(1400)
	if r.IntN(8) == 0 {
		plen = 0
	}
	nextHeaders := []uint8{6, 17, 17, 17, 43, 44, 50, 58, 59, 59, 60, uint8(1 + r.IntN(255))}
	nh := nextHeaders[r.IntN(len(nextHeaders))]
	innerTrail := r.IntN(3) * r.IntN(9)
	inner := ipv6HdrLen + plen + innerTrail
	udpLen, udpTrail := 0, 0
	if teredo {
		udpLen = udpHdrLen + inner
		udpTrail = r.IntN(3) * r.IntN(9)
	}
	total := hl + udpLen + udpTrail
	if !teredo {
		total = hl + inner
	}
	pad := r.IntN(2) * r.IntN(17)
	p := make([]byte, total+pad)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	var a4 [2][4]byte
	var a6 [2][16]byte
	for i := range 2 {
		binary.BigEndian.PutUint32(a4[i][:], r.Uint32())
		binary.BigEndian.PutUint64(a6[i][:8], r.Uint64())
		binary.BigEndian.PutUint64(a6[i][8:], r.Uint64())
	}
	proto := uint8(41)
	if teredo {
		proto = 17
	}
	p[0] = 0x40 | byte(hl/4)
	setU16(p, 2, uint16(total))
	setU16(p, 6, uint16(r.IntN(2))<<14) // DF or not; never MF or an offset
	p[9] = proto
	copy(p[12:], a4[0][:])
	copy(p[16:], a4[1][:])
	for i := ipv4MinLen; i < hl; i++ {
		p[i] = 1 // NOP
	}
	if optLen > 0 && r.IntN(2) == 0 {
		p[hl-1] = 0 // EOL
	}
	fixChecksum(p)
	d := Decoded{
		OuterSrc: a4[0], OuterDst: a4[1],
		TotalLen: uint16(total), Protocol: proto, TTL: p[8],
		InnerSrc: a6[0], InnerDst: a6[1],
		PayloadLen: uint16(plen), NextHeader: nh,
	}
	off := hl
	if teredo {
		setU16(p, hl+4, uint16(udpLen))
		switch r.IntN(3) {
		case 0:
			setU16(p, hl, teredoPort) // from a Teredo server
		case 1:
			setU16(p, hl+2, teredoPort) // to a Teredo server
		}
		d.SrcPort = binary.BigEndian.Uint16(p[hl:])
		d.DstPort = binary.BigEndian.Uint16(p[hl+2:])
		d.UDPLen = uint16(udpLen)
		off += udpHdrLen
	}
	p[off] = 0x60 | p[off]&0x0f
	setU16(p, off+4, uint16(plen))
	p[off+6] = nh
	d.HopLimit = p[off+7]
	copy(p[off+8:], a6[0][:])
	copy(p[off+24:], a6[1][:])
	if nh == 17 && plen >= udpHdrLen {
		setU16(p, off+40+4, uint16(plen)) // a whole inner UDP datagram
	}
	return p, d
}

// TestAgreeRandom decodes random valid packets with every implementation and
// compares each with the fields the packet was built from.
func TestAgreeRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 3544))
	impls := Impls()
	for _, teredo := range []bool{false, true} {
		compared := map[string]int{}
		const n = 3000
		for i := range n {
			p, want := randomPacket(r, teredo)
			for _, im := range impls {
				if q := Quirk(im.Name, teredo, p); q != "" {
					// Only gopacket's refusal of Payload Length 0,
					// NewPacket's choice of decoder by UDP port and
					// its decoding of the inner payload may apply.
					require.Contains(t, gopackets, im.Name, "unexpected quirk %q", q)
					continue
				}
				compared[im.Name]++
				var got Decoded
				err := decoderOf(im, teredo)(p, &got)
				require.NoError(t, err, "%s %s #%d: % x", kindName(teredo), im.Name, i, p)
				require.Equal(t, want, got, "%s %s #%d: % x", kindName(teredo), im.Name, i, p)
			}
		}
		for _, im := range impls {
			// Most packets are compared, even for NewPacket, which
			// fails on many random inner payloads.
			assert.Greater(t, compared[im.Name], n/3, "%s %s", kindName(teredo), im.Name)
		}
		t.Logf("%s: compared %v of %d", kindName(teredo), compared, n)
	}
}

// TestAgreeBuild checks that every builder writes the same 20 bytes, that
// they carry the fields, and that the checksum verifies.
func TestAgreeBuild(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	specs := []HeaderSpec{BuildSpec, {TTL: 1, Protocol: 17, Src: outerSrc, Dst: outerDst}}
	for range 200 {
		var a, b [4]byte
		binary.BigEndian.PutUint32(a[:], r.Uint32())
		binary.BigEndian.PutUint32(b[:], r.Uint32())
		specs = append(specs, HeaderSpec{
			TOS: uint8(r.Uint32()), ID: uint16(r.Uint32()), DontFragment: r.IntN(2) == 0,
			TTL: uint8(r.Uint32()), Protocol: uint8(r.Uint32()),
			Src: netip.AddrFrom4(a), Dst: netip.AddrFrom4(b), PayloadLen: r.IntN(65516),
		})
	}
	builders := Builders()
	for i, s := range specs {
		want := make([]byte, 20)
		want[0] = 0x45
		want[1] = s.TOS
		setU16(want, 2, uint16(20+s.PayloadLen))
		setU16(want, 4, s.ID)
		if s.DontFragment {
			want[6] = 0x40
		}
		want[8], want[9] = s.TTL, s.Protocol
		a, b := s.Src.As4(), s.Dst.As4()
		copy(want[12:], a[:])
		copy(want[16:], b[:])
		// The checksum field is the complement of the folded sum of the
		// other words (RFC 1071), summed here with the plain loop.
		setU16(want, 10, ^headerSum(want))
		for _, bl := range builders {
			got, err := bl.New(s)(make([]byte, 20))
			require.NoError(t, err, "%s spec %d", bl.Name, i)
			require.Equal(t, want, got, "%s spec %d %+v", bl.Name, i, s)
		}
		v, err := packet.ParseIPv4(append(want, make([]byte, s.PayloadLen)...))
		require.NoError(t, err)
		require.Equal(t, s.Src, v.Src())
	}
}

// TestBuildVector checks every builder against the header of the IPv4
// checksum example on Wikipedia ("Internet checksum"/"IPv4 header
// checksum"), whose checksum 0xb861 is worked out there by hand.
func TestBuildVector(t *testing.T) {
	s := HeaderSpec{
		DontFragment: true, TTL: 0x40, Protocol: 0x11,
		Src: netip.MustParseAddr("192.168.0.1"), Dst: netip.MustParseAddr("192.168.0.199"),
		PayloadLen: 0x73 - 20,
	}
	want := []byte{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61,
		0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7}
	for _, bl := range Builders() {
		got, err := bl.New(s)(make([]byte, 20))
		require.NoError(t, err, bl.Name)
		assert.Equal(t, want, got, bl.Name)
	}
}

// TestAgreeChecksum compares packet.Checksum with gVisor's checksum.Checksum
// on random data of every length up to 2 KiB at every alignment, with random
// initial values.
func TestAgreeChecksum(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	buf := make([]byte, 2048+8)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	for n := 0; n <= 2048; n++ {
		for off := range 8 {
			b := buf[off : off+n]
			init := uint16(r.Uint32())
			if got, want := packet.Checksum(b, init), checksum.Checksum(b, init); got != want {
				t.Fatalf("len %d off %d initial %#04x: packet %#04x, gvisor %#04x", n, off, init, got, want)
			}
		}
	}
}

// headerSumReference is RFC 1071's loop, written separately from
// headerSum and headerValid: big-endian 16-bit words added into a 32-bit
// accumulator (at most thirty words of an IPv4 header, so it cannot
// overflow), folded with end-around carries at the end.
func headerSumReference(hdr []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(hdr); i += 2 {
		sum += uint32(hdr[i])<<8 | uint32(hdr[i+1])
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return uint16(sum)
}

// TestHeaderSum holds headerSum and headerValid, which the peer adapters
// and the hand-written decoder use, to headerSumReference: on every value
// of the checksum field of the benchmark inputs' header, on random headers
// of every length with and without a correct checksum, on a header whose
// other words sum to 0xffff (both forms of zero are correct) and on
// headers too short to be one.
func TestHeaderSum(t *testing.T) {
	check := func(h []byte) {
		t.Helper()
		want := headerSumReference(h)
		require.Equal(t, want, headerSum(h), "headerSum % x", h)
		require.Equal(t, want == 0xffff, headerValid(h), "headerValid % x", h)
	}
	in, err := New6in4(1280)
	require.NoError(t, err)
	h := append([]byte{}, in.Pkt[:ipv4MinLen]...)
	accepted := 0
	for c := range 1 << 16 {
		setU16(h, 10, uint16(c))
		check(h)
		if headerValid(h) {
			accepted++
		}
	}
	assert.Equal(t, 1, accepted)
	r := rand.New(rand.NewPCG(5, 60))
	for i := range 100000 {
		ihl := 5 + r.IntN(11)
		h := make([]byte, 4*ihl)
		for j := range h {
			h[j] = byte(r.Uint32())
		}
		h[0] = 0x40 | byte(ihl)
		if i%2 == 0 {
			fixChecksum(h)
			require.True(t, headerValid(h))
		}
		check(h)
	}
	z := make([]byte, ipv4MinLen)
	z[0] = 0x45
	setU16(z, 4, ^uint16(0x4500)) // the ID that makes the other words sum to 0xffff
	for _, c := range []uint16{0, 0xffff} {
		setU16(z, 10, c)
		check(z)
		assert.True(t, headerValid(z), "checksum %#04x", c)
	}
	for n := range ipv4MinLen {
		assert.False(t, headerValid(make([]byte, n)), "%d bytes", n)
	}
}
