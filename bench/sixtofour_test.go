package bench

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transit6/transit6/packet"
	"github.com/transit6/transit6/sixtofour"
)

// These tests hold the adapters of impl_sixtofour.go to the same results
// as transit6's sixtofour package: every decapsulator returns the same
// sub-slice of the packet, every encapsulator writes the same header into
// the same bytes, and each refuses what transit6 refuses, except for the
// checks only transit6 makes (the 6to4 policy, ECN, jumbograms), where the
// peers are shown to accept.

// hexBytes decodes hex that may contain spaces.
func hexBytes(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

// offsetIn returns where sub starts in b, or -1 if it does not lie inside
// b.
func offsetIn(b, sub []byte) int {
	if len(sub) == 0 || len(b) == 0 {
		return -1
	}
	d := int(uintptr(unsafe.Pointer(unsafe.SliceData(sub))) - uintptr(unsafe.Pointer(unsafe.SliceData(b))))
	if d < 0 || d+len(sub) > len(b) {
		return -1
	}
	return d
}

// TestSixtofourInput checks the 1280-byte input against the headers worked
// out by hand from RFC 791 §3.1 and RFC 8200 §3: IPv4 version 4 IHL 5, TOS
// 0, Total Length 0x0500, ID 0x1234, DF (0x4000), TTL 64, protocol 41,
// checksum 0x376a (the 16-bit words 4500 0500 1234 4000 4029 c000 0201
// c633 6402 sum to 0x2c893, folded 0xc895, complemented 0x376a), 192.0.2.1,
// 198.51.100.2; IPv6 version 6, Payload Length 1220 (0x04c4), Next Header
// 17, hop limit 63, 2002:c000:201::1, 2002:c633:6402::1.
func TestSixtofourInput(t *testing.T) {
	in, err := New6to4(1280)
	require.NoError(t, err)
	require.Len(t, in.Pkt, 1280)
	want := hexBytes(t, "45 00 05 00 12 34 40 00 40 29 37 6a c0 00 02 01 c6 33 64 02"+
		"60 00 00 00 04 c4 11 3f"+
		"2002 c000 0201 0000 0000 0000 0000 0001"+
		"2002 c633 6402 0000 0000 0000 0000 0001")
	assert.Equal(t, want, in.Pkt[:len(want)])
	udp, err := packet.ParseUDP(in.Pkt[60:])
	require.NoError(t, err)
	assert.NoError(t, udp.VerifyChecksum6(innerSrc, sixtofourDst), "inner UDP checksum")
}

// decapCase is a named change to a copy of the 1280-byte 6to4 input.
type decapCase struct {
	name string
	// size is the input's total length; 0 means 1280.
	size int
	f    func(p []byte) []byte
	// keepChecksum leaves the IPv4 header checksum as f left it.
	keepChecksum bool
}

// build returns the input of c, its checksum fixed unless keepChecksum.
func (c decapCase) build(t testing.TB) []byte {
	t.Helper()
	size := c.size
	if size == 0 {
		size = 1280
	}
	in, err := New6to4(size)
	require.NoError(t, err)
	p := append([]byte(nil), in.Pkt...)
	if c.f != nil {
		p = c.f(p)
		if !c.keepChecksum {
			fixChecksum(p)
		}
	}
	return p
}

// Offset of the inner IPv6 header in an input without IPv4 options.
const at6 = 20

var decapAccepted = []decapCase{
	{name: "as built (1280 bytes)"},
	{name: "smallest: IPv6 and an empty UDP datagram (68 bytes)", size: 68},
	{name: "576 bytes", size: 576},
	{name: "1500 bytes", size: 1500},
	{name: "IPv4 options NOP NOP NOP EOL", f: func(p []byte) []byte { return withOptions(p, 1, 1, 1, 0) }},
	{name: "IPv4 record route option", f: func(p []byte) []byte { return withOptions(p, 7, 7, 4, 0, 0, 0, 0, 0) }},
	{name: "link padding after Total Length", keepChecksum: true, f: func(p []byte) []byte {
		return append(p, 0, 0, 0, 0, 0, 0)
	}},
	{name: "bytes after the inner packet", f: func(p []byte) []byte {
		setU16(p, at6+4, uint16(len(p)-at6-40-8))
		return p
	}},
	{name: "DF clear", f: func(p []byte) []byte { p[6] &^= 0x40; return p }},
	{name: "inner ECT(0) under outer Not-ECT", f: func(p []byte) []byte { p[at6+1] |= 0x20; return p }},
}

// TestDecap6to4Agree checks that every decapsulator returns the inner
// packet sixtofour.Decapsulate (then Policy.CheckInbound) returns: the same
// offset in the packet, the same length, the same bytes.
func TestDecap6to4Agree(t *testing.T) {
	for _, c := range decapAccepted {
		t.Run(c.name, func(t *testing.T) {
			pkt := c.build(t)
			ref := append([]byte(nil), pkt...)
			wantInner, _, err := sixtofour.Decapsulate(ref, sixtofour.DecapRFC6040)
			require.NoError(t, err)
			wantOff := offsetIn(ref, wantInner)
			ds, err := Decappers()
			require.NoError(t, err)
			for _, d := range ds {
				p := append([]byte(nil), pkt...)
				inner, err := d.Decap(p)
				require.NoError(t, err, d.Name)
				assert.Equal(t, wantOff, offsetIn(p, inner), "%s: offset", d.Name)
				assert.Equal(t, wantInner, inner, d.Name)
			}
		})
	}
}

// TestDecap6to4ECN checks the one accepted input whose inner bytes differ:
// outer CE over inner ECT(0), which RFC 6040 §4.2 marks CE in the inner
// packet. transit6 rewrites the ECN field in place; the peers and the
// hand-written limit return the inner packet as it came.
func TestDecap6to4ECN(t *testing.T) {
	pkt := decapCase{f: func(p []byte) []byte { p[1] = 3; p[at6+1] |= 0x20; return p }}.build(t)
	ds, err := Decappers()
	require.NoError(t, err)
	for _, d := range ds {
		p := append([]byte(nil), pkt...)
		inner, err := d.Decap(p)
		require.NoError(t, err, d.Name)
		assert.Equal(t, at6, offsetIn(p, inner), d.Name)
		assert.Len(t, inner, len(pkt)-at6, d.Name)
		wantECN := packet.ECT0
		if d.Policy {
			wantECN = packet.CE
		}
		assert.Equal(t, wantECN, packet.ECN(inner[1]>>4&3), d.Name)
	}
}

// decapRefusal is an input sixtofour refuses with err.
type decapRefusal struct {
	decapCase
	err error
	// accepted lists the decapsulators that accept it: the checks only
	// transit6 makes. Every other one must refuse it.
	accepted []string
	// fragment: the router offers it to its reassembler instead of
	// refusing it as a fragment (it delivers nothing).
	fragment bool
}

var wireOnly = []string{"gvisor", "gopacket-dlp", "xnet", "hand"}

func refusal(name string, err error, f func(p []byte) []byte) decapRefusal {
	return decapRefusal{decapCase: decapCase{name: name, f: f}, err: err}
}

var decapRefused = []decapRefusal{
	// The wire checks: every decapsulator refuses.
	{decapCase: decapCase{name: "bad header checksum", keepChecksum: true,
		f: func(p []byte) []byte { p[11] ^= 0x40; return p }}, err: packet.ErrBadChecksum},
	{decapCase: decapCase{name: "buffer cut short", keepChecksum: true,
		f: func(p []byte) []byte { return p[:len(p)-1] }}, err: packet.ErrTruncated},
	refusal("outer version 6", packet.ErrBadVersion, func(p []byte) []byte { p[0] = 0x65; return p }),
	refusal("IHL 4", packet.ErrBadIHL, func(p []byte) []byte { p[0] = 0x44; return p }),
	refusal("protocol UDP", sixtofour.ErrNotProto41, func(p []byte) []byte { p[9] = 17; return p }),
	{decapCase: decapCase{name: "MF set", f: func(p []byte) []byte { p[6] |= 0x20; return p }},
		err: sixtofour.ErrFragmented, fragment: true},
	{decapCase: decapCase{name: "fragment offset 8", f: func(p []byte) []byte { setU16(p, 6, 1); return p }},
		err: sixtofour.ErrFragmented, fragment: true},
	refusal("outer payload of 39 bytes", sixtofour.ErrInnerTruncated, func(p []byte) []byte {
		setU16(p, 2, 59)
		return p
	}),
	refusal("inner version 4", sixtofour.ErrNotIPv6Inner, func(p []byte) []byte { p[at6] = 0x40; return p }),
	refusal("inner Payload Length past the outer Total Length", sixtofour.ErrLengthMismatch, func(p []byte) []byte {
		setU16(p, 2, uint16(len(p)-1)) // the last byte becomes link padding
		return p
	}),

	// What only transit6 checks: the 6to4 policy (RFC 3056 §5.3, RFC 3964
	// §5), RFC 6040's drop, jumbograms.
	{decapCase: decapCase{name: "spoofed inner source (embeds 192.0.2.9)", f: func(p []byte) []byte {
		p[at6+8+5] = 9
		return p
	}}, err: sixtofour.ErrSpoofedSource, accepted: wireOnly},
	{decapCase: decapCase{name: "outer destination not Local (198.51.100.3)", f: func(p []byte) []byte {
		p[19] = 3
		return p
	}}, err: sixtofour.ErrNoTunnel, accepted: wireOnly},
	{decapCase: decapCase{name: "outer source private (10.0.0.1, inner 2002:a00:1::1)", f: func(p []byte) []byte {
		copy(p[12:16], []byte{10, 0, 0, 1})
		copy(p[at6+8+2:], []byte{10, 0, 0, 1})
		return p
	}}, err: sixtofour.ErrNonGlobalAddress, accepted: wireOnly},
	{decapCase: decapCase{name: "inner destination at another site (2002:c633:6403::1)", f: func(p []byte) []byte {
		p[at6+24+5] = 3
		return p
	}}, err: sixtofour.ErrSpoofedDestination, accepted: wireOnly},
	{decapCase: decapCase{name: "inner destination native (2001:db8::2) on a site router", f: func(p []byte) []byte {
		d := innerDst.As16()
		copy(p[at6+24:], d[:])
		return p
	}}, err: sixtofour.ErrNotLocalDestination, accepted: wireOnly},
	{decapCase: decapCase{name: "inner destination link-local (fe80::1)", f: func(p []byte) []byte {
		copy(p[at6+24:], []byte{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
		return p
	}}, err: sixtofour.ErrBadInnerDestination, accepted: wireOnly},
	{decapCase: decapCase{name: "inner source multicast (ff0e::1)", f: func(p []byte) []byte {
		copy(p[at6+8:], []byte{0xff, 0x0e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
		return p
	}}, err: sixtofour.ErrBadInnerSource, accepted: wireOnly},
	{decapCase: decapCase{name: "outer CE over inner Not-ECT", f: func(p []byte) []byte { p[1] = 3; return p }},
		err: sixtofour.ErrECNDrop, accepted: wireOnly},
	{decapCase: decapCase{name: "jumbogram (Payload Length 0, Jumbo Payload option)", f: func(p []byte) []byte {
		setU16(p, at6+4, 0)
		p[at6+6] = 0 // Hop-by-Hop
		copy(p[at6+40:], []byte{17, 0, 0xc2, 4, 0, 0, 0x04, 0xc4})
		return p
	}}, err: sixtofour.ErrNotIPv6Inner, accepted: []string{"gvisor", "xnet", "hand"}},
}

// TestDecap6to4Refuse checks that transit6 refuses every input of
// decapRefused with its sentinel, that every decapsulator not listed as
// accepting it refuses it too, and that those listed really accept it, and
// return the inner packet the hand-written limit returns (so that the list
// of what only transit6 checks stays true).
func TestDecap6to4Refuse(t *testing.T) {
	for _, c := range decapRefused {
		t.Run(c.name, func(t *testing.T) {
			pkt := c.build(t)
			ds, err := Decappers()
			require.NoError(t, err)
			for _, d := range ds {
				p := append([]byte(nil), pkt...)
				inner, err := d.Decap(p)
				switch {
				case contains(c.accepted, d.Name):
					require.NoError(t, err, "%s accepts", d.Name)
					q := append([]byte(nil), pkt...)
					want, err := decapHand6to4(q)
					require.NoError(t, err)
					assert.Equal(t, offsetIn(q, want), offsetIn(p, inner), d.Name)
					assert.Equal(t, want, inner, d.Name)
				case d.Name == "sixtofour-router" && c.fragment:
					// The router hands fragments to its reassembler,
					// which queues them or refuses them; either way
					// nothing is delivered.
					assert.Error(t, err, d.Name)
				case d.Policy:
					assert.ErrorIs(t, err, c.err, d.Name)
				default:
					assert.Error(t, err, "%s must refuse", d.Name)
				}
			}
		})
	}
}

// TestDecap6to4Decoded checks that the existing Decode6in4 adapters, which
// BenchmarkDecap6to4 runs as out=decoded, decode the 6to4 input to the
// fields it was built from, and that these are the fields transit6 reports
// through its Outer view and the inner header it returns.
func TestDecap6to4Decoded(t *testing.T) {
	in, err := New6to4(1280)
	require.NoError(t, err)
	p := append([]byte(nil), in.Pkt...)
	inner, outer, err := sixtofour.Decapsulate(p, sixtofour.DecapRFC6040)
	require.NoError(t, err)
	got := Decoded{
		OuterSrc: outer.Src().As4(), OuterDst: outer.Dst().As4(),
		TotalLen: uint16(outer.HeaderLen() + len(inner)), Protocol: outer.Header()[9], TTL: outer.TTL(),
		InnerSrc: [16]byte(inner[8:24]), InnerDst: [16]byte(inner[24:40]),
		PayloadLen: binary.BigEndian.Uint16(inner[4:6]), NextHeader: inner[6], HopLimit: inner[7],
	}
	assert.Equal(t, in.Want, got, "sixtofour")
	for _, im := range Impls() {
		var d Decoded
		require.NoError(t, im.Decode6in4(in.Pkt, &d), im.Name)
		assert.Equal(t, in.Want, d, im.Name)
	}
}

// encapCase is an IPv6 packet in a buffer, at off.
type encapCase struct {
	name string
	// build returns the buffer and the offset of the inner packet.
	build func(t testing.TB) ([]byte, int)
	// ecn is the ECN field the outer header must carry (copied from the
	// inner packet, RFC 6040 §4.1 normal mode).
	ecn packet.ECN
}

// inner6to4 returns the IPv6 packet of the 6to4 input of total length
// size, at offset off of a buffer of off+size-20+trailer bytes.
func inner6to4(t testing.TB, size, off, trailer int) []byte {
	t.Helper()
	in, err := New6to4(size)
	require.NoError(t, err)
	buf := make([]byte, off+size-ipv4MinLen+trailer)
	copy(buf[off:], in.Pkt[ipv4MinLen:])
	return buf
}

var encapCases = []encapCase{
	{name: "1260-byte packet at offset 20 (the benchmark)", build: func(t testing.TB) ([]byte, int) {
		return inner6to4(t, 1280, 20, 0), 20
	}},
	{name: "more headroom (offset 64)", build: func(t testing.TB) ([]byte, int) {
		return inner6to4(t, 1280, 64, 0), 64
	}},
	{name: "bytes after the inner packet are left out", build: func(t testing.TB) ([]byte, int) {
		return inner6to4(t, 1280, 20, 7), 20
	}},
	{name: "smallest: IPv6 and an empty UDP datagram", build: func(t testing.TB) ([]byte, int) {
		return inner6to4(t, 68, 20, 0), 20
	}},
	{name: "header only (40 bytes, No Next Header)", build: func(t testing.TB) ([]byte, int) {
		b := inner6to4(t, 68, 20, 0)[:60]
		setU16(b, 20+4, 0)
		b[20+6] = 59
		return b, 20
	}},
	{name: "inner ECT(0)", ecn: packet.ECT0, build: func(t testing.TB) ([]byte, int) {
		b := inner6to4(t, 1280, 20, 0)
		b[20+1] |= 0x20
		return b, 20
	}},
	{name: "inner CE", ecn: packet.CE, build: func(t testing.TB) ([]byte, int) {
		b := inner6to4(t, 1280, 20, 0)
		b[20+1] |= 0x30
		return b, 20
	}},
	{name: "inner DSCP 46 is not copied (fixed DSCP 0)", build: func(t testing.TB) ([]byte, int) {
		b := inner6to4(t, 1280, 20, 0)
		b[20] |= 0x0b // Traffic Class 0xb8: DSCP 46, Not-ECT
		b[20+1] |= 0x80
		return b, 20
	}},
}

// TestEncap6to4Agree checks that every encapsulator writes the header
// sixtofour.Encapsulate writes, into the same bytes, and returns the same
// slice; that the result decapsulates to the inner packet with the outer
// fields asked for (parsed by package packet); and that the benchmark's
// result is the 6to4 input, built independently with packet.PrependIPv4.
func TestEncap6to4Agree(t *testing.T) {
	for _, c := range encapCases {
		t.Run(c.name, func(t *testing.T) {
			buf, off := c.build(t)
			ref := append([]byte(nil), buf...)
			want, err := Encappers()[0].Encap(ref, off)
			require.NoError(t, err)
			n := ipv6HdrLen + int(binary.BigEndian.Uint16(buf[off+4:]))
			require.Equal(t, off-ipv4MinLen, offsetIn(ref, want))
			require.Len(t, want, ipv4MinLen+n)

			ip, err := packet.ParseIPv4(want)
			require.NoError(t, err)
			assert.Equal(t, outerSrc, ip.Src())
			assert.Equal(t, outerDst, ip.Dst())
			assert.Equal(t, uint8(outerTTL), ip.TTL())
			assert.Equal(t, uint8(41), ip.Protocol())
			assert.Equal(t, uint16(sixtofourID), ip.ID())
			assert.True(t, ip.DontFragment())
			assert.Equal(t, uint8(c.ecn), ip.TOS(), "TOS: DSCP 0 and the inner ECN")
			inner, _, err := sixtofour.Decapsulate(append([]byte(nil), want...), sixtofour.DecapRFC6040)
			require.NoError(t, err)
			assert.Equal(t, buf[off:off+n], inner)
			if c.name == encapCases[0].name {
				in, err := New6to4(1280)
				require.NoError(t, err)
				assert.Equal(t, in.Pkt, want)
			}

			for _, e := range Encappers()[1:] {
				b := append([]byte(nil), buf...)
				got, err := e.Encap(b, off)
				require.NoError(t, err, e.Name)
				assert.Equal(t, offsetIn(ref, want), offsetIn(b, got), e.Name)
				assert.Equal(t, want, got, e.Name)
				assert.Equal(t, ref, b, "%s: the whole buffer", e.Name)
			}
		})
	}
}

// TestEncap6to4Refuse checks that every encapsulator refuses what
// sixtofour.Encapsulate refuses, and leaves the buffer as it was.
func TestEncap6to4Refuse(t *testing.T) {
	cases := []struct {
		name  string
		build func(t testing.TB) ([]byte, int)
		err   error
	}{
		{"headroom of 19 bytes", func(t testing.TB) ([]byte, int) {
			return inner6to4(t, 1280, 20, 0), 19
		}, packet.ErrNoHeadroom},
		{"offset past the buffer", func(t testing.TB) ([]byte, int) {
			b := inner6to4(t, 1280, 20, 0)
			return b, len(b) + 1
		}, nil},
		{"inner packet of 39 bytes", func(t testing.TB) ([]byte, int) {
			return inner6to4(t, 1280, 20, 0)[:59], 20
		}, sixtofour.ErrInnerTruncated},
		{"inner version 4", func(t testing.TB) ([]byte, int) {
			b := inner6to4(t, 1280, 20, 0)
			b[20] = 0x45
			return b, 20
		}, sixtofour.ErrNotIPv6Inner},
		{"inner Payload Length past the buffer", func(t testing.TB) ([]byte, int) {
			return inner6to4(t, 1280, 20, 0)[:1279], 20
		}, sixtofour.ErrLengthMismatch},
		{"inner packet too long for IPv4 (65516 bytes)", func(t testing.TB) ([]byte, int) {
			b := make([]byte, 20+65516)
			b[20] = 0x60
			setU16(b, 20+4, 65516-40)
			b[20+6] = 59
			return b, 20
		}, packet.ErrTooLong},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			buf, off := c.build(t)
			for i, e := range Encappers() {
				b := append([]byte(nil), buf...)
				_, err := e.Encap(b, off)
				require.Error(t, err, e.Name)
				if i == 0 && c.err != nil {
					assert.ErrorIs(t, err, c.err)
				}
				assert.True(t, bytes.Equal(buf, b), "%s modified the buffer", e.Name)
			}
		})
	}
}

// TestSixtofourNoAllocs checks that transit6's paths in the benchmarks
// allocate nothing: the decapsulation with the policy, the router's
// receive path, the encapsulation in place.
func TestSixtofourNoAllocs(t *testing.T) {
	in, err := New6to4(1280)
	require.NoError(t, err)
	ds, err := Decappers()
	require.NoError(t, err)
	buf := append([]byte(nil), in.Pkt...)
	var inner []byte
	for _, d := range ds {
		if !d.Policy {
			continue
		}
		pkt := append([]byte(nil), in.Pkt...)
		n := testing.AllocsPerRun(200, func() { inner, err = d.Decap(pkt) })
		assert.Zero(t, n, "%s: allocations", d.Name)
		assert.NoError(t, err, d.Name)
		assert.Len(t, inner, 1260, d.Name)
	}
	enc := Encappers()[0]
	require.Equal(t, "sixtofour", enc.Name)
	n := testing.AllocsPerRun(200, func() { inner, err = enc.Encap(buf, ipv4MinLen) })
	assert.Zero(t, n, "Encapsulate: allocations")
	assert.NoError(t, err)
}

// FuzzAgreeDecap6to4 checks on arbitrary packets that the wire-only
// decapsulators accept or refuse as sixtofour.Decapsulate does and return
// the same sub-slice, except where transit6 checks more (RFC 6040's drop,
// jumbograms: decapRefused) or gopacket decides differently (quirks.go).
// The second argument selects repairs of the outer header (see
// repairDecap) so that the fuzzer reaches the inner packet.
func FuzzAgreeDecap6to4(f *testing.F) {
	// The benchmark input and its accepted variants; each name says the
	// edge case.
	for _, c := range decapAccepted {
		f.Add(c.build(f), uint8(0))
	}
	// Every refusal: the wire checks and what only transit6 checks.
	for _, c := range decapRefused {
		f.Add(c.build(f), uint8(0))
	}
	// Garbage with every repair: lengths and checksum made right.
	f.Add(bytes.Repeat([]byte{0x45}, 80), uint8(7))
	// A header-only inner packet (Payload Length 0), refused by gopacket.
	f.Add(decapCase{f: func(p []byte) []byte { setU16(p, at6+4, 0); p[at6+6] = 59; return p[:60] }}.build(f), uint8(1))
	// One set per fuzzing process, which runs its inputs one at a time.
	all, err := Decappers()
	if err != nil {
		f.Fatal(err)
	}
	var ds []Decapper
	for _, d := range all {
		if !d.Policy {
			ds = append(ds, d)
		}
	}
	f.Fuzz(func(t *testing.T, pkt []byte, repair uint8) {
		repairDecap(pkt, repair)
		ref := append([]byte(nil), pkt...)
		want, _, wantErr := sixtofour.Decapsulate(ref, sixtofour.DecapRFC6040)
		if errors.Is(wantErr, sixtofour.ErrECNDrop) {
			return // no peer applies RFC 6040
		}
		for _, d := range ds {
			if Quirk(d.Name, false, pkt) != "" {
				continue
			}
			p := append([]byte(nil), pkt...)
			got, err := d.Decap(p)
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("%s: err %v, sixtofour: %v", d.Name, err, wantErr)
			}
			if err != nil {
				continue
			}
			if offsetIn(p, got) != offsetIn(ref, want) || len(got) != len(want) {
				t.Fatalf("%s: inner at %d, %d bytes; sixtofour: at %d, %d bytes",
					d.Name, offsetIn(p, got), len(got), offsetIn(ref, want), len(want))
			}
			if !bytes.Equal(got, pkt[offsetIn(p, got):][:len(got)]) {
				t.Fatalf("%s modified the packet", d.Name)
			}
		}
	})
}

// repairDecap fixes fields of pkt in place as the bits of repair say: 1,
// IPv4 Total Length to the buffer's length (capped at 65535); 2, the inner
// Payload Length to what the outer packet carries; 4, the IPv4 header
// checksum (last, over the header as IHL gives it).
func repairDecap(pkt []byte, repair uint8) {
	if len(pkt) < ipv4MinLen {
		return
	}
	hl := int(pkt[0]&0x0f) * 4
	if repair&1 != 0 {
		setU16(pkt, 2, uint16(min(len(pkt), 0xffff)))
	}
	if tl := int(binary.BigEndian.Uint16(pkt[2:4])); repair&2 != 0 && hl >= ipv4MinLen && tl <= len(pkt) && tl >= hl+ipv6HdrLen {
		setU16(pkt, hl+4, uint16(tl-hl-ipv6HdrLen))
	}
	if repair&4 != 0 {
		fixChecksum(pkt)
	}
}
