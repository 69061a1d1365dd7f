package packet

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hexv decodes hex written with optional whitespace, for test vectors.
func hexv(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		tb.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// TestChecksumRFC1071Example checks the worked example of RFC 1071 §3:
// bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 (computed by hand there).
func TestChecksumRFC1071Example(t *testing.T) {
	b := hexv(t, "00 01 f2 03 f4 f5 f6 f7")
	assert.Equal(t, uint16(0xddf2), Checksum(b, 0))
	assert.Equal(t, uint16(0xddf2), checksumReference(b, 0))
}

func TestChecksumVectors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		initial uint16
		want    uint16
	}{
		{"empty", "", 0, 0},
		{"empty keeps initial", "", 0x1234, 0x1234},
		{"one byte is the high byte", "ab", 0, 0xab00},
		{"one word", "ab cd", 0, 0xabcd},
		{"odd three bytes", "01 02 03", 0, 0x0402},
		{"zeros stay +0", "00 00 00 00 00 00 00 00 00", 0, 0},
		{"ff words give -0", "ff ff ff ff", 0, 0xffff},
		{"end-around carry", "ff ff 00 01", 0, 0x0001},
		{"initial carry", "80 00", 0x8000, 0x0001},
		// P41-1 IPv4 header with the checksum field zeroed (proto41.md §1):
		// the field must be ^sum = 0x4e5a.
		{"P41-1 header", "4500003c 00004000 40290000 c0000204 c6336407", 0, ^uint16(0x4e5a)},
		// A header including its correct checksum sums to 0xffff.
		{"P41-1 header verifies", "4500003c 00004000 40294e5a c0000204 c6336407", 0, 0xffff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := hexv(t, tt.in)
			assert.Equal(t, tt.want, Checksum(b, tt.initial), "Checksum")
			assert.Equal(t, tt.want, checksumReference(b, tt.initial), "checksumReference")
		})
	}
}

// TestChecksumAgainstReference compares the optimized sum with the
// reference at every alignment 0..15, every length 0..300 and random longer
// lengths, with random data and initial values.
func TestChecksumAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 16+70000)
	fill := func() {
		for i := range buf {
			buf[i] = byte(r.Uint32())
		}
	}
	fill()
	for off := 0; off < 16; off++ {
		for n := 0; n <= 300; n++ {
			b := buf[off : off+n]
			init := uint16(r.Uint32())
			if got, want := Checksum(b, init), checksumReference(b, init); got != want {
				t.Fatalf("off %d len %d initial %#04x: Checksum = %#04x, reference %#04x", off, n, init, got, want)
			}
		}
	}
	for range 2000 {
		fill()
		off := r.IntN(16)
		n := r.IntN(len(buf) - 16)
		b := buf[off : off+n]
		init := uint16(r.Uint32())
		if got, want := Checksum(b, init), checksumReference(b, init); got != want {
			t.Fatalf("off %d len %d initial %#04x: Checksum = %#04x, reference %#04x", off, n, init, got, want)
		}
		if r.IntN(4) == 0 {
			break // keep the test short; the fuzzer covers more
		}
	}
}

// TestChecksumExtremes uses all-0xff and all-zero buffers, where sums sit on
// the ±0 boundary and every 64-bit add carries.
func TestChecksumExtremes(t *testing.T) {
	ff := make([]byte, 9000)
	for i := range ff {
		ff[i] = 0xff
	}
	zero := make([]byte, 9000)
	for n := 0; n <= 300; n++ {
		for _, init := range []uint16{0, 1, 0xfffe, 0xffff} {
			assert.Equal(t, checksumReference(ff[:n], init), Checksum(ff[:n], init), "ff len %d init %#x", n, init)
			assert.Equal(t, checksumReference(zero[:n], init), Checksum(zero[:n], init), "zero len %d init %#x", n, init)
		}
	}
	for _, n := range []int{1499, 1500, 8999, 9000} {
		assert.Equal(t, checksumReference(ff[:n], 0), Checksum(ff[:n], 0))
	}
}

// TestChecksumSplit checks that sums of parts joined with Combine equal the
// sum of the whole when the split point is even, the property pseudo-header
// and header/payload sums rely on.
func TestChecksumSplit(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, 600)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	for i := 0; i <= len(b); i += 2 {
		assert.Equal(t, Checksum(b, 0), Combine(Checksum(b[:i], 0), Checksum(b[i:], 0)), "split at %d", i)
		assert.Equal(t, Checksum(b, 0), Checksum(b[i:], Checksum(b[:i], 0)), "chained at %d", i)
	}
}

func TestCombine(t *testing.T) {
	tests := []struct{ a, b, want uint16 }{
		{0, 0, 0},
		{1, 2, 3},
		{0xffff, 0, 0xffff},
		{0xffff, 1, 1},
		{0xffff, 0xffff, 0xffff},
		{0x8000, 0x8000, 1},
		{0xfffe, 1, 0xffff},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Combine(tt.a, tt.b), "%#x + %#x", tt.a, tt.b)
		assert.Equal(t, tt.want, Combine(tt.b, tt.a), "%#x + %#x", tt.b, tt.a)
	}
}

// pseudoHeader4 builds the RFC 768 pseudo-header bytes for the reference.
func pseudoHeader4(proto uint8, src, dst netip.Addr, length uint16) []byte {
	b := make([]byte, 12)
	s, d := src.As4(), dst.As4()
	copy(b[0:], s[:])
	copy(b[4:], d[:])
	b[9] = proto
	binary.BigEndian.PutUint16(b[10:], length)
	return b
}

// pseudoHeader6 builds the RFC 8200 §8.1 pseudo-header bytes.
func pseudoHeader6(proto uint8, src, dst netip.Addr, length uint32) []byte {
	b := make([]byte, 40)
	s, d := src.As16(), dst.As16()
	copy(b[0:], s[:])
	copy(b[16:], d[:])
	binary.BigEndian.PutUint32(b[32:], length)
	b[39] = proto
	return b
}

func rndAddr4(r *rand.Rand) netip.Addr {
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], r.Uint32())
	return netip.AddrFrom4(a)
}

func rndAddr6(r *rand.Rand) netip.Addr {
	var a [16]byte
	binary.BigEndian.PutUint64(a[:], r.Uint64())
	binary.BigEndian.PutUint64(a[8:], r.Uint64())
	return netip.AddrFrom16(a)
}

func TestPseudoHeaderChecksum(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 1000 {
		proto := uint8(r.Uint32())
		s4, d4 := rndAddr4(r), rndAddr4(r)
		l16 := uint16(r.Uint32())
		require.Equal(t, checksumReference(pseudoHeader4(proto, s4, d4, l16), 0),
			PseudoHeaderChecksum4(proto, s4, d4, l16), "v4 %v %v %d %d", s4, d4, proto, l16)
		s6, d6 := rndAddr6(r), rndAddr6(r)
		l32 := r.Uint32()
		require.Equal(t, checksumReference(pseudoHeader6(proto, s6, d6, l32), 0),
			PseudoHeaderChecksum6(proto, s6, d6, l32), "v6 %v %v %d %d", s6, d6, proto, l32)
	}
	// Extremes: all-ones addresses and lengths make every add carry.
	ones6 := netip.AddrFrom16([16]byte{0: 0xff, 1: 0xff, 2: 0xff, 3: 0xff, 4: 0xff, 5: 0xff, 6: 0xff, 7: 0xff, 8: 0xff, 9: 0xff, 10: 0xff, 11: 0xff, 12: 0xff, 13: 0xff, 14: 0xff, 15: 0xff})
	assert.Equal(t, checksumReference(pseudoHeader6(255, ones6, ones6, 0xffffffff), 0), PseudoHeaderChecksum6(255, ones6, ones6, 0xffffffff))
	ones4 := netip.AddrFrom4([4]byte{0xff, 0xff, 0xff, 0xff})
	assert.Equal(t, checksumReference(pseudoHeader4(255, ones4, ones4, 0xffff), 0), PseudoHeaderChecksum4(255, ones4, ones4, 0xffff))
	// All zero: +0.
	z4 := netip.AddrFrom4([4]byte{})
	assert.Equal(t, uint16(0), PseudoHeaderChecksum4(0, z4, z4, 0))
	assert.Equal(t, uint16(0), PseudoHeaderChecksum6(0, netip.IPv6Unspecified(), netip.IPv6Unspecified(), 0))
	// Total on odd inputs: the zero Addr sums as zeros and does not panic;
	// an IPv4-mapped address sums as its IPv4 address over IPv4.
	assert.Equal(t, uint16(17), PseudoHeaderChecksum4(17, netip.Addr{}, netip.Addr{}, 0))
	mapped := netip.MustParseAddr("::ffff:192.0.2.1")
	assert.Equal(t, PseudoHeaderChecksum4(17, netip.MustParseAddr("192.0.2.1"), z4, 8), PseudoHeaderChecksum4(17, mapped, z4, 8))
}

// TestUpdateChecksumRFC1624 is the example of RFC 1624 §4: HC = 0xdd2f,
// m = 0x5555 changes to m' = 0x3285. Eqn. 3 gives 0x0000 (the right answer:
// a full recomputation of a header summing to 0xffff gives ^0xffff = 0);
// the RFC 1141 formula gave 0xffff.
func TestUpdateChecksumRFC1624(t *testing.T) {
	assert.Equal(t, uint16(0x0000), UpdateChecksum(0xdd2f, 0x5555, 0x3285))
	// The RFC 1141 form HC' = HC + m + ~m' lands on -0 here, which is why
	// RFC 1624 replaced it.
	assert.Equal(t, uint16(0xffff), Combine(Combine(0xdd2f, 0x5555), ^uint16(0x3285)))

	// The same case in a real header: find a 20-byte header whose other
	// words sum so that after the change the header sums to exactly 0xffff.
	// Words: w0..w9 with w5 the checksum. Choose w1 = m and others fixed,
	// then solve for a filler word so the full sum after the change is
	// 0xffff, and check UpdateChecksum agrees with the recomputation.
	h := hexv(t, "4500003c 5555 4000 4029 0000 c0000204 c6336407")
	// Adjust the ID field (bytes 4-5) so that ^Checksum of the header with
	// m' in place is 0: the header sum must then be 0xffff.
	binary.BigEndian.PutUint16(h[2:], 0x3285) // m' in the total-length word
	rest := Checksum(h, 0)                    // sum with the checksum field zero
	// Put in bytes 4-5 the value that makes the sum 0xffff.
	old45 := binary.BigEndian.Uint16(h[4:])
	binary.BigEndian.PutUint16(h[4:], Combine(old45, ^rest))
	require.Equal(t, uint16(0xffff), Checksum(h, 0))
	full := ^Checksum(h, 0)
	require.Equal(t, uint16(0), full)
	// Now go back to m in the total-length word and compute the old checksum.
	binary.BigEndian.PutUint16(h[2:], 0x5555)
	oldCk := ^Checksum(h, 0)
	assert.Equal(t, full, UpdateChecksum(oldCk, 0x5555, 0x3285), "incremental vs full at the -0 corner")
}

// TestUpdateChecksumProperty changes a random word (or aligned 32-bit
// field) of random IPv4 headers and compares the incremental checksum with
// a full recomputation.
func TestUpdateChecksumProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	h := make([]byte, 20)
	for i := range 200000 {
		for j := range h {
			h[j] = byte(r.Uint32())
		}
		h[0] = 0x45 // a real header never sums to zero
		h[10], h[11] = 0, 0
		binary.BigEndian.PutUint16(h[10:], ^Checksum(h, 0))
		ck := binary.BigEndian.Uint16(h[10:])

		if i%2 == 0 {
			w := r.IntN(10)
			if w == 5 {
				continue
			}
			old := binary.BigEndian.Uint16(h[2*w:])
			nw := uint16(r.Uint32())
			if i%16 == 0 {
				nw = ^old // maximal change
			}
			binary.BigEndian.PutUint16(h[2*w:], nw)
			got := UpdateChecksum(ck, old, nw)
			h[10], h[11] = 0, 0
			require.Equal(t, ^Checksum(h, 0), got, "word %d %#x->%#x", w, old, nw)
		} else {
			off := []int{12, 16}[r.IntN(2)] // src or dst address
			old := binary.BigEndian.Uint32(h[off:])
			nw := r.Uint32()
			binary.BigEndian.PutUint32(h[off:], nw)
			got := UpdateChecksum32(ck, old, nw)
			h[10], h[11] = 0, 0
			require.Equal(t, ^Checksum(h, 0), got, "addr at %d %#x->%#x", off, old, nw)
		}
	}
}
