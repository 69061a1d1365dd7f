package bench

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transit6/transit6/iphttps"
)

// IP-HTTPS framing ([MS-IPHTTPS] §3.1.5.3, §3.2.5.2): the entity body is
// IPv6 packets back to back, delimited by their Payload Length. These tests
// hold iphttps.Reader and the naive framer the benchmarks compare it with
// to the same packets, byte for byte, on the same streams, however the
// source cuts them into reads.

// SizesIPHTTPS are the packet sizes of the framing benchmarks: a bare
// header, the IPv4 reassembly minimum, the IPv6 minimum MTU (the IP-HTTPS
// link MTU, [MS-IPHTTPS] §3.1.5.2), Ethernet, a jumbo frame.
var SizesIPHTTPS = []int{40, 576, 1280, 1500, 9000}

// ipv6Packet returns an IPv6 packet of size bytes (at least 40), written
// field by field from RFC 8200 §3: version 6, the flow label and the
// payload bytes derived from seq so that packets differ, Payload Length
// size-40, Next Header 59 (No Next Header; never 0, which with Payload
// Length 0 would be a jumbogram header), hop limit 64, 2001:db8:1:1000::1
// to 2001:db8:ffff::2.
func ipv6Packet(size, seq int) []byte {
	p := make([]byte, size)
	binary.BigEndian.PutUint32(p[0:], 6<<28|uint32(seq)&0xfffff)
	binary.BigEndian.PutUint16(p[4:], uint16(size-40))
	p[6], p[7] = 59, 64
	copy(p[8:], []byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0x10, 0, 15: 1})
	copy(p[24:], []byte{0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 15: 2})
	for i := 40; i < size; i++ {
		p[i] = byte(seq + i)
	}
	return p
}

// ipv6Stream returns the packets of the given sizes and their
// concatenation, the entity body that carries them.
func ipv6Stream(sizes ...int) (pkts [][]byte, stream []byte) {
	for i, n := range sizes {
		p := ipv6Packet(n, i)
		pkts = append(pkts, p)
		stream = append(stream, p...)
	}
	return pkts, stream
}

// chunkReader returns data in reads of at most chunk bytes (0: as many as
// asked), as a tls.Conn returns at most one record (16 KiB of plaintext,
// RFC 8446 §5.1) per Read. With loop it starts again at the end and never
// ends; otherwise it ends with io.EOF, returned with the last bytes if
// eofWithData is set (io.Reader allows both). reads counts the calls.
type chunkReader struct {
	data        []byte
	chunk       int
	loop        bool
	eofWithData bool
	off, reads  int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	r.reads++
	if r.off == len(r.data) {
		if !r.loop || len(r.data) == 0 {
			return 0, io.EOF
		}
		r.off = 0
	}
	n := len(p)
	if r.chunk > 0 {
		n = min(n, r.chunk)
	}
	n = copy(p[:n], r.data[r.off:])
	r.off += n
	if r.eofWithData && !r.loop && r.off == len(r.data) {
		return n, io.EOF
	}
	return n, nil
}

// naiveFramer is the baseline: what one writes first, io.ReadFull of the
// 40-byte header, then of Payload Length bytes, straight from the source
// into one reused buffer. It makes the Reader's checks (version 6, no
// jumbogram header) and reports them with the same sentinels, but only
// once the whole header is in.
type naiveFramer struct {
	r   io.Reader
	buf []byte
}

func newNaiveFramer(r io.Reader) *naiveFramer {
	return &naiveFramer{r: r, buf: make([]byte, iphttps.MaxPacketLen)}
}

// Next returns the next packet, which aliases the framer's buffer until
// the next call; io.EOF at the end of the stream between packets,
// io.ErrUnexpectedEOF inside one.
func (f *naiveFramer) Next() ([]byte, error) {
	h := f.buf[:40]
	if _, err := io.ReadFull(f.r, h); err != nil {
		return nil, err
	}
	if h[0]>>4 != 6 {
		return nil, iphttps.ErrNotIPv6
	}
	n := int(binary.BigEndian.Uint16(h[4:6]))
	if n == 0 && h[6] == 0 { // RFC 2675 §2: Payload Length 0, Hop-by-Hop header
		return nil, iphttps.ErrJumbogram
	}
	if _, err := io.ReadFull(f.r, f.buf[40:40+n]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return f.buf[:40+n], nil
}

// framer adapts each implementation to one shape: a function that returns
// the next packet (aliasing a buffer until the next call) or an error.
type framer struct {
	name string
	// open returns the framer of the stream from src, whose first bytes,
	// buffered, were read already (by the head parser).
	open func(src io.Reader, buffered []byte) (func() ([]byte, error), error)
}

// framers are the implementations compared: iphttps.Reader.Next, the
// naive framer, and the naive framer behind a bufio.Reader as large as the
// Reader's buffer (iphttps.md report section 5.3 sketches that one).
var framers = []framer{
	{"iphttps", func(src io.Reader, buffered []byte) (func() ([]byte, error), error) {
		r, err := iphttps.NewReader(src, nil, buffered)
		if err != nil {
			return nil, err
		}
		return r.Next, nil
	}},
	{"naive-readfull", func(src io.Reader, buffered []byte) (func() ([]byte, error), error) {
		if len(buffered) > 0 {
			src = io.MultiReader(&chunkReader{data: buffered}, src)
		}
		return newNaiveFramer(src).Next, nil
	}},
	{"naive-bufio", func(src io.Reader, buffered []byte) (func() ([]byte, error), error) {
		if len(buffered) > 0 {
			src = io.MultiReader(&chunkReader{data: buffered}, src)
		}
		return newNaiveFramer(bufio.NewReaderSize(src, iphttps.DefaultReadBufferSize)).Next, nil
	}},
}

// frameAll runs next to the end and returns copies of the packets and the
// error that ended the stream.
func frameAll(next func() ([]byte, error)) ([][]byte, error) {
	var pkts [][]byte
	for {
		p, err := next()
		if err != nil {
			return pkts, err
		}
		pkts = append(pkts, append([]byte(nil), p...))
	}
}

// wantFramingErr returns the error that ends a stream whose complete
// packets are followed by tail: io.EOF after the last packet; for the
// naive framers, io.ErrUnexpectedEOF for a tail shorter than a header and
// otherwise the error of the header; for iphttps.Reader, which looks at
// each byte as it comes, ErrNotIPv6 as soon as the first byte is not
// version 6 and ErrJumbogram as soon as Payload Length and Next Header are
// in (7 bytes), whatever follows.
func wantFramingErr(impl string, tail []byte) error {
	switch {
	case len(tail) == 0:
		return io.EOF
	case len(tail) < 40 && impl != "iphttps",
		len(tail) < 7 && tail[0]>>4 == 6:
		return io.ErrUnexpectedEOF
	case tail[0]>>4 != 6:
		return iphttps.ErrNotIPv6
	case tail[4] == 0 && tail[5] == 0 && tail[6] == 0:
		return iphttps.ErrJumbogram
	}
	return io.ErrUnexpectedEOF // a header, and less than its packet
}

// streamTails end a stream of good packets; each one names its edge case.
var streamTails = []struct {
	name string
	tail []byte
}{
	{"clean end", nil},
	{"cut inside a header", ipv6Packet(1280, 99)[:20]},
	{"cut after 6 header bytes (length known, Next Header not)", ipv6Packet(1280, 99)[:6]},
	{"cut inside a payload", ipv6Packet(1280, 99)[:700]},
	{"cut one byte short", ipv6Packet(1280, 99)[:1279]},
	{"IPv4 header", []byte{0x45, 0, 0x05, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 198, 51, 100, 2, 40: 0}},
	{"one byte, version 4", []byte{0x45}},
	{"one byte, version 6", []byte{0x60}},
	{"zero bytes (padding)", make([]byte, 64)},
	{"jumbogram header (RFC 2675)", append(ipv6Packet(40, 99)[:6:6], append([]byte{0, 64}, ipv6Packet(40, 99)[8:]...)...)},
	{"jumbogram header cut after 7 bytes", append(ipv6Packet(40, 99)[:6:6], 0)},
}

// TestFramingAgree checks both framers against the packets the streams were
// built from, for every way of cutting the stream into reads: one byte at a
// time, around the header size, around a 1280-byte packet, one TLS record,
// everything at once; with the first bytes already buffered by the head
// parser or not; with io.EOF after or with the last bytes; and for every
// tail.
func TestFramingAgree(t *testing.T) {
	streams := []struct {
		name  string
		sizes []int
	}{
		{"1280 x 40", []int{1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280,
			1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280,
			1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280,
			1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280}},
		{"mixed", []int{40, 576, 1280, 1500, 9000, 41, 1280, 16384, 1280, 40}},
		{"largest (65535-byte payload) between small ones", []int{40, iphttps.MaxPacketLen, 40, iphttps.MaxPacketLen}},
		{"empty", nil},
	}
	chunks := []int{1, 7, 39, 40, 41, 1279, 1280, 1281, 16384, 0}
	for _, s := range streams {
		want, stream := ipv6Stream(s.sizes...)
		for _, tl := range streamTails {
			full := append(append([]byte(nil), stream...), tl.tail...)
			for _, chunk := range chunks {
				for _, buffered := range []int{0, 100} {
					buffered = min(buffered, len(full))
					for _, eofWithData := range []bool{false, true} {
						name := fmt.Sprintf("%s/%s/chunk=%d/buffered=%d/eofWithData=%v", s.name, tl.name, chunk, buffered, eofWithData)
						for _, fr := range framers {
							src := &chunkReader{data: full[buffered:], chunk: chunk, eofWithData: eofWithData}
							next, err := fr.open(src, full[:buffered])
							require.NoError(t, err, name)
							got, err := frameAll(next)
							if !assert.Equal(t, want, got, "%s: %s", fr.name, name) {
								t.FailNow()
							}
							wantErr := wantFramingErr(fr.name, tl.tail)
							if !assert.ErrorIs(t, err, wantErr, "%s: %s", fr.name, name) {
								t.FailNow()
							}
						}
					}
				}
			}
		}
	}
}

// TestFramingReads checks the source's read pattern the benchmarks report
// (reads/pkt): with 16 KiB reads, the Reader reads each record once, while
// the naive framer reads twice per packet.
func TestFramingReads(t *testing.T) {
	_, stream := ipv6Stream(1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280, 1280)
	for _, tc := range []struct {
		impl  string
		reads int
	}{
		// 16 packets = 20480 bytes = two reads of 16384 and 4096, then
		// the read that returns io.EOF.
		{"iphttps", 3},
		// A header read and a payload read per packet, then the header
		// read that returns io.EOF.
		{"naive-readfull", 2*16 + 1},
	} {
		fr, ok := framerByName(tc.impl)
		require.True(t, ok, tc.impl)
		src := &chunkReader{data: stream, chunk: 16384}
		next, err := fr.open(src, nil)
		require.NoError(t, err)
		pkts, err := frameAll(next)
		require.ErrorIs(t, err, io.EOF)
		require.Len(t, pkts, 16)
		assert.Equal(t, tc.reads, src.reads, tc.impl)
	}
}

// TestFramingNoAllocs checks that Reader.Next allocates nothing per
// packet, whatever the read size, as the benchmarks report.
func TestFramingNoAllocs(t *testing.T) {
	for _, chunk := range []int{16384, 0} {
		for _, size := range SizesIPHTTPS {
			src := &chunkReader{data: benchStream(size), chunk: chunk, loop: true}
			r, err := iphttps.NewReader(src, nil, nil)
			require.NoError(t, err)
			allocs := testing.AllocsPerRun(1000, func() {
				p, err := r.Next()
				if err != nil || len(p) != size {
					t.Fatal(err, len(p))
				}
			})
			assert.Zero(t, allocs, "chunk=%d size=%d", chunk, size)
		}
	}
}

// FuzzAgreeIPHTTPSFraming frames arbitrary bytes with every framer, cut
// into reads of chunk bytes after buffered bytes taken as already read,
// and checks that they return the same packets and that each ends as
// wantFramingErr says for what follows the last packet.
func FuzzAgreeIPHTTPSFraming(f *testing.F) {
	_, good := ipv6Stream(40, 1280, 576, 1280)
	f.Add(good, uint16(16384), uint16(0))                                     // good packets, one record per read
	f.Add(good, uint16(1), uint16(0))                                         // one byte per read
	f.Add(good, uint16(0), uint16(100))                                       // everything at once, the first 100 bytes buffered
	f.Add(good[:len(good)-1], uint16(1280), uint16(0))                        // cut one byte short
	f.Add(append(good[:1320:1320], 0x45), uint16(41), uint16(0))              // a version-4 byte after a packet
	f.Add(append(good[:40:40], streamTails[9].tail...), uint16(7), uint16(3)) // a jumbogram header after a packet
	f.Add([]byte{}, uint16(0), uint16(0))                                     // empty stream
	f.Fuzz(func(t *testing.T, stream []byte, chunk, buffered uint16) {
		b := min(int(buffered), len(stream))
		var want [][]byte
		for i, fr := range framers {
			next, err := fr.open(&chunkReader{data: stream[b:], chunk: int(chunk)}, stream[:b])
			require.NoError(t, err)
			got, err := frameAll(next)
			if i == 0 {
				want = got
			} else {
				require.Equal(t, want, got, fr.name)
			}
			var n int
			for _, p := range got {
				n += len(p)
			}
			require.Equal(t, stream[:n], joinPackets(got), fr.name) // the packets are the stream's prefix
			require.ErrorIs(t, err, wantFramingErr(fr.name, stream[n:]), fr.name)
		}
	})
}

func joinPackets(pkts [][]byte) []byte {
	out := []byte{}
	for _, p := range pkts {
		out = append(out, p...)
	}
	return out
}

// benchStream returns a stream of size-byte packets at least four maximal
// packets long, which a looping chunkReader repeats forever.
func benchStream(size int) []byte {
	n := max(64, 4*iphttps.MaxPacketLen/size)
	var stream []byte
	for i := range n {
		stream = append(stream, ipv6Packet(size, i)...)
	}
	return stream
}

// framerByName returns the framer called name.
func framerByName(name string) (framer, bool) {
	for _, fr := range framers {
		if fr.name == name {
			return fr, true
		}
	}
	return framer{}, false
}
