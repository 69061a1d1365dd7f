package iphttps

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/packet"
)

// TestReaderSpecExamples reads the RS and RA of iphttps.md §1.4 as one
// stream and checks them with the packet package.
func TestReaderSpecExamples(t *testing.T) {
	rs, ra := hx(t, vecRS), hx(t, vecRA)
	stream := append(bytes.Clone(rs), ra...)
	r, err := NewReader(bytes.NewReader(stream), nil, nil)
	require.NoError(t, err)

	p, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, rs, p)
	ip, err := packet.ParseIPv6(p)
	require.NoError(t, err)
	m, err := packet.ParseICMPv6(ip)
	require.NoError(t, err)
	_, err = packet.ParseRouterSolicitation(m)
	require.NoError(t, err)

	p, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, ra, p)
	ip, err = packet.ParseIPv6(p)
	require.NoError(t, err)
	m, err = packet.ParseICMPv6(ip)
	require.NoError(t, err)
	adv, err := packet.ParseRouterAdvertisement(m)
	require.NoError(t, err)
	mtu, ok := adv.MTU()
	assert.True(t, ok)
	assert.EqualValues(t, 1280, mtu)

	_, err = r.Next()
	assert.ErrorIs(t, err, io.EOF)
	_, err = r.Next()
	assert.ErrorIs(t, err, io.EOF, "sticky")
}

// TestReaderBuiltPackets frames packets made by the packet builders: an RS
// with a link-layer option and an RA with two prefixes.
func TestReaderBuiltPackets(t *testing.T) {
	ll := netipMust("fe80::1234")
	rs, err := packet.AppendRouterSolicitation(nil, ll, netipMust("ff02::2"), []byte{1, 2, 3, 4, 5, 6})
	require.NoError(t, err)
	ra, err := packet.AppendRouterAdvertisement(nil, netipMust("fe80::1"), netipMust("ff02::1"), &packet.RAFields{
		RouterLifetime: 1800, MTU: 1280,
		Prefixes: []packet.PrefixInfo{{Prefix: prefixMust("2001:db8:1::/64")}, {Prefix: prefixMust("2001:db8:2::/64")}},
	})
	require.NoError(t, err)
	stream := append(append(bytes.Clone(rs), ra...), rs...)
	r, err := NewReader(iotest.OneByteReader(bytes.NewReader(stream)), nil, nil)
	require.NoError(t, err)
	pkts, err := readAll(t, r)
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, [][]byte{rs, ra, rs}, pkts)
}

// TestReaderManyPerRead reads 10,000 header-only packets (Payload Length 0,
// Next Header 59, legal) delivered in one read where the buffer allows.
func TestReaderManyPerRead(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var stream []byte
	var want [][]byte
	for range 10000 {
		p := mkPacket(rng, 0)
		want = append(want, p)
		stream = append(stream, p...)
	}
	src := &chunkReader{chunks: [][]byte{stream}}
	r, err := NewReader(src, make([]byte, len(stream)), nil)
	require.NoError(t, err)
	pkts, err := readAll(t, r)
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, want, pkts)
	assert.Equal(t, 2, src.reads, "one read for all packets, one for EOF")

	// With the minimum buffer, each read still carries many packets.
	src = &chunkReader{chunks: [][]byte{stream}}
	r, err = NewReader(src, make([]byte, MinReadBufferSize), nil)
	require.NoError(t, err)
	pkts, err = readAll(t, r)
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, want, pkts)
	assert.LessOrEqual(t, src.reads, len(stream)/MinReadBufferSize+2)
}

// TestReaderEverySplit feeds a 3-packet stream in two chunks split at every
// offset, then one byte at a time.
func TestReaderEverySplit(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	want := [][]byte{mkPacket(rng, 8), mkPacket(rng, 0), hx(t, vecRA)}
	stream := bytes.Join(want, nil)
	for k := 1; k < len(stream); k++ {
		r, err := NewReader(&chunkReader{chunks: [][]byte{bytes.Clone(stream[:k]), bytes.Clone(stream[k:])}}, nil, nil)
		require.NoError(t, err)
		pkts, err := readAll(t, r)
		require.ErrorIs(t, err, io.EOF, "split at %d", k)
		require.Equal(t, want, pkts, "split at %d", k)

		// The same split, the first part handed in as bytes buffered after
		// the head.
		r, err = NewReader(bytes.NewReader(stream[k:]), nil, stream[:k])
		require.NoError(t, err)
		pkts, err = readAll(t, r)
		require.ErrorIs(t, err, io.EOF, "buffered %d", k)
		require.Equal(t, want, pkts, "buffered %d", k)
	}
	r, err := NewReader(iotest.OneByteReader(bytes.NewReader(stream)), nil, nil)
	require.NoError(t, err)
	pkts, err := readAll(t, r)
	require.ErrorIs(t, err, io.EOF)
	require.Equal(t, want, pkts)
}

// TestReaderMaxPacket reads the longest packet (Payload Length 65535) with
// the smallest buffer, after a small packet so that the partial maximal
// packet must be moved to the front of the buffer.
func TestReaderMaxPacket(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	small, big := mkPacket(rng, 100), mkPacket(rng, packet.IPv6MaxPayloadLen)
	require.Len(t, big, MaxPacketLen)
	stream := bytes.Join([][]byte{small, big, big, small}, nil)
	for _, chunk := range []int{1000, 16384, MaxPacketLen, len(stream)} {
		var chunks [][]byte
		for s := stream; len(s) > 0; {
			n := min(chunk, len(s))
			chunks = append(chunks, bytes.Clone(s[:n]))
			s = s[n:]
		}
		r, err := NewReader(&chunkReader{chunks: chunks}, make([]byte, MinReadBufferSize), nil)
		require.NoError(t, err)
		pkts, err := readAll(t, r)
		require.ErrorIs(t, err, io.EOF, "chunk %d", chunk)
		require.Equal(t, [][]byte{small, big, big, small}, pkts, "chunk %d", chunk)
	}
}

// jumbogram returns a real RFC 2675 jumbogram: Payload Length 0, a
// Hop-by-Hop header with a Jumbo Payload option, then the payload.
func jumbogram(payload int) []byte {
	p := make([]byte, 40+8+payload)
	p[0] = 0x60
	p[6] = packet.ProtoHopByHop
	p[7] = 64
	hbh := p[40:]
	hbh[0], hbh[1] = packet.ProtoNoNext, 0 // 8 bytes
	hbh[2], hbh[3] = 0xc2, 4               // Jumbo Payload option
	binary.BigEndian.PutUint32(hbh[4:], uint32(8+payload))
	return p
}

func TestReaderErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	good := mkPacket(rng, 20)
	jumbo := jumbogram(70000)
	_, err := packet.ParseIPv6(jumbo)
	require.ErrorIs(t, err, packet.ErrJumbogram, "the packet package agrees it is a jumbogram")
	ipv4 := hx(t, "45 00 00 1c 0000 4000 40 11 0000 c0000201 c0000202 | 0035 0035 0008 0000")
	boom := errors.New("boom")

	tests := []struct {
		name string
		in   []byte
		err  error // after the good packets
		want int   // good packets first
		rerr error // error of the underlying reader after in, if not EOF
	}{
		{"empty stream", nil, io.EOF, 0, nil},
		{"EOF at a boundary", good, io.EOF, 1, nil},
		{"IPv4 packet", ipv4, ErrNotIPv6, 0, nil},
		{"IPv4 after a good packet", append(bytes.Clone(good), ipv4...), ErrNotIPv6, 1, nil},
		{"pipelined HTTP request", []byte("GET / HTTP/1.1\r\n\r\n"), ErrNotIPv6, 0, nil},
		{"version 0", make([]byte, 48), ErrNotIPv6, 0, nil},
		{"version 7", append([]byte{0x70}, good[1:]...), ErrNotIPv6, 0, nil},
		{"single byte, version 4", []byte{0x45}, ErrNotIPv6, 0, nil},
		{"jumbogram", jumbo, ErrJumbogram, 0, nil},
		{"jumbogram after a good packet", append(bytes.Clone(good), jumbo...), ErrJumbogram, 1, nil},
		{"jumbogram header alone", jumbo[:40], ErrJumbogram, 0, nil},
		{"EOF after one byte", good[:1], io.ErrUnexpectedEOF, 0, nil},
		{"EOF inside the header", good[:20], io.ErrUnexpectedEOF, 0, nil},
		{"EOF inside the payload", append(bytes.Clone(good), good[:50]...), io.ErrUnexpectedEOF, 1, nil},
		{"EOF one byte short", good[:len(good)-1], io.ErrUnexpectedEOF, 0, nil},
		{"read error at a boundary", good, boom, 1, boom},
		{"read error inside a packet", append(bytes.Clone(good), good[:10]...), boom, 1, boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, oneByte := range []bool{false, true} {
				var src io.Reader = &chunkReader{chunks: [][]byte{bytes.Clone(tt.in)}, err: tt.rerr}
				if oneByte {
					src = iotest.OneByteReader(src)
				}
				r, err := NewReader(src, nil, nil)
				require.NoError(t, err)
				for range tt.want {
					p, err := r.Next()
					require.NoError(t, err)
					require.Equal(t, good, p)
				}
				p, err := r.Next()
				require.ErrorIs(t, err, tt.err)
				require.Nil(t, p)
				assert.ErrorIs(t, r.Err(), tt.err)
				_, err = r.Next()
				require.ErrorIs(t, err, tt.err, "sticky")
				n, err := r.ReadBatch([][]byte{make([]byte, 100)}, []int{0}, 0)
				require.ErrorIs(t, err, tt.err, "sticky in ReadBatch")
				require.Zero(t, n)
			}
		})
	}
}

// TestReaderNotIPv6Early checks that non-IPv6 data is refused from the first
// byte, without waiting for a whole header (which may never come).
func TestReaderNotIPv6Early(t *testing.T) {
	r, err := NewReader(&lastReader{tb: t, data: []byte{0x45, 0x00}}, nil, nil)
	require.NoError(t, err)
	_, err = r.Next()
	assert.ErrorIs(t, err, ErrNotIPv6)

	r, err = NewReader(&lastReader{tb: t}, nil, []byte{0x16, 0x03, 0x01}) // TLS record after the head
	require.NoError(t, err)
	_, err = r.Next()
	assert.ErrorIs(t, err, ErrNotIPv6)
}

func TestReaderNoProgress(t *testing.T) {
	r, err := NewReader(zeroReader{}, nil, nil)
	require.NoError(t, err)
	_, err = r.Next()
	assert.ErrorIs(t, err, io.ErrNoProgress)
}

// badCountReader returns more than it was asked for.
type badCountReader struct{}

func (badCountReader) Read(p []byte) (int, error) { return len(p) + 1, nil }

func TestReaderBadCount(t *testing.T) {
	r, err := NewReader(badCountReader{}, nil, nil)
	require.NoError(t, err)
	_, err = r.Next()
	assert.ErrorIs(t, err, errInvalidCount)
}

func TestNewReaderBuffer(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	good := mkPacket(rng, 10)

	_, err := NewReader(bytes.NewReader(nil), make([]byte, MinReadBufferSize-1), nil)
	assert.ErrorIs(t, err, io.ErrShortBuffer, "buffer below one maximal packet")
	_, err = NewReader(bytes.NewReader(nil), make([]byte, MinReadBufferSize), make([]byte, MinReadBufferSize+1))
	assert.ErrorIs(t, err, io.ErrShortBuffer, "buffered longer than the buffer")

	// nil buffer: one is allocated, large enough for long buffered data.
	long := bytes.Repeat(good, 3000)
	r, err := NewReader(bytes.NewReader(nil), nil, long)
	require.NoError(t, err)
	assert.Equal(t, len(long), r.Buffered())
	pkts, err := readAll(t, r)
	assert.ErrorIs(t, err, io.EOF)
	assert.Len(t, pkts, 3000)

	// buffered lying inside buf, not at its start: it is moved.
	buf := make([]byte, MinReadBufferSize)
	copy(buf[500:], good)
	r, err = NewReader(bytes.NewReader(good), buf, buf[500:500+len(good)])
	require.NoError(t, err)
	pkts, err = readAll(t, r)
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, [][]byte{good, good}, pkts)

	// Reset reuses the Reader, and a failed Reset leaves it alone.
	require.ErrorIs(t, r.Reset(bytes.NewReader(nil), make([]byte, 10), nil), io.ErrShortBuffer)
	assert.ErrorIs(t, r.Err(), io.EOF)
	require.NoError(t, r.Reset(bytes.NewReader(good), buf, nil))
	assert.NoError(t, r.Err())
	pkts, err = readAll(t, r)
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, [][]byte{good}, pkts)
}

func TestReaderReadBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	var want [][]byte
	for _, n := range []int{0, 100, 1240, 8, 500} {
		want = append(want, mkPacket(rng, n))
	}
	stream := bytes.Join(want, nil)
	const headroom = 10

	newBufs := func(n, size int) ([][]byte, []int) {
		bufs := make([][]byte, n)
		for i := range bufs {
			bufs[i] = bytes.Repeat([]byte{0xee}, size)
		}
		return bufs, make([]int, n)
	}

	// The first three packets arrive in one read, the others later: the
	// first batch takes only those buffered and does not read again.
	src := &chunkReader{chunks: [][]byte{bytes.Clone(stream[:len(want[0])+len(want[1])+len(want[2])+3]),
		bytes.Clone(stream[len(want[0])+len(want[1])+len(want[2])+3:])}}
	r, err := NewReader(src, nil, nil)
	require.NoError(t, err)
	bufs, sizes := newBufs(8, 1500)
	n, err := r.ReadBatch(bufs, sizes, headroom)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	assert.Equal(t, 1, src.reads)
	for i := range n {
		assert.Equal(t, len(want[i]), sizes[i])
		assert.Equal(t, want[i], bufs[i][headroom:headroom+sizes[i]])
		assert.Equal(t, bytes.Repeat([]byte{0xee}, headroom), bufs[i][:headroom], "headroom untouched")
	}

	// sizes shorter than bufs limits the batch.
	n, err = r.ReadBatch(bufs, sizes[:1], headroom)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	assert.Equal(t, want[3], bufs[0][headroom:headroom+sizes[0]])

	// A packet that does not fit: io.ErrShortBuffer, and it stays.
	small, smallSizes := newBufs(2, 400)
	n, err = r.ReadBatch(small, smallSizes, headroom)
	assert.ErrorIs(t, err, io.ErrShortBuffer)
	assert.Zero(t, n)
	n, err = r.ReadBatch(bufs, sizes, -1)
	assert.ErrorIs(t, err, io.ErrShortBuffer, "negative offset")
	assert.Zero(t, n)
	n, err = r.ReadBatch(bufs, sizes, 1501)
	assert.ErrorIs(t, err, io.ErrShortBuffer, "offset past the buffer")
	assert.Zero(t, n)
	p, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, want[4], p)

	n, err = r.ReadBatch(bufs, sizes, headroom)
	assert.ErrorIs(t, err, io.EOF)
	assert.Zero(t, n)

	n, err = r.ReadBatch(nil, nil, 0)
	assert.NoError(t, err, "empty batch")
	assert.Zero(t, n)

	// A short buffer ends a batch before the packet that does not fit.
	r, err = NewReader(bytes.NewReader(stream), nil, nil)
	require.NoError(t, err)
	mixed := [][]byte{make([]byte, 1500), make([]byte, 1500), make([]byte, 50), make([]byte, 1500)}
	n, err = r.ReadBatch(mixed, make([]int, 4), 0)
	require.NoError(t, err)
	assert.Equal(t, 2, n, "third packet (1280 bytes) does not fit in 50")
}
