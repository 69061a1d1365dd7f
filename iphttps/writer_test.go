package iphttps

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/packet"
)

// recordingWriter records each Write call.
type recordingWriter struct {
	bytes.Buffer
	writes [][]byte // the slices passed to Write
	max    int      // if > 0, write at most max bytes per call (with a nil error)
	err    error    // returned after errAfter bytes
	limit  int
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, p)
	if w.max > 0 && len(p) > w.max {
		p = p[:w.max]
	}
	if w.err != nil && w.Len()+len(p) > w.limit {
		n, _ := w.Buffer.Write(p[:w.limit-w.Len()])
		return n, w.err
	}
	return w.Buffer.Write(p)
}

// randomPackets returns n packets of random sizes: mostly up to 1500 bytes,
// some up to the maximum.
func randomPackets(rng *rand.Rand, n int) [][]byte {
	pkts := make([][]byte, n)
	for i := range pkts {
		plen := rng.IntN(1461)
		if rng.IntN(20) == 0 {
			plen = rng.IntN(packet.IPv6MaxPayloadLen + 1)
		}
		pkts[i] = mkPacket(rng, plen)
	}
	return pkts
}

// TestWriterRoundTrip writes random packets in random batches, through
// writers that accept everything or one byte per call, and reads them back.
func TestWriterRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		name    string
		bufSize int
		max     int
	}{
		{"default buffer", 0, 0},
		{"small buffer", 100, 0},
		{"one-byte writes", 0, 1},
		{"short writes of 1000", 3000, 1000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(15, uint64(tt.bufSize+tt.max)))
			pkts := randomPackets(rng, 300)
			out := &recordingWriter{max: tt.max}
			var buf []byte
			if tt.bufSize > 0 {
				buf = make([]byte, tt.bufSize)
			}
			w := NewWriter(out, buf)
			for rest := pkts; len(rest) > 0; {
				k := min(len(rest), rng.IntN(12)+1)
				if k == 1 && rng.IntN(2) == 0 {
					require.NoError(t, w.WritePacket(rest[0]))
				} else {
					require.NoError(t, w.WritePackets(rest[:k]))
				}
				rest = rest[k:]
			}
			require.NoError(t, w.Err())
			assert.Equal(t, bytes.Join(pkts, nil), out.Bytes())

			r, err := NewReader(bytes.NewReader(out.Bytes()), nil, nil)
			require.NoError(t, err)
			got, err := readAll(t, r)
			assert.ErrorIs(t, err, io.EOF)
			assert.Equal(t, pkts, got)
		})
	}
}

// TestWriterCoalescing checks the number and contents of Write calls.
func TestWriterCoalescing(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 17))
	pkt := func(n int) []byte { return mkPacket(rng, n-40) }
	same := func(a, b []byte) bool { return unsafe.SliceData(a) == unsafe.SliceData(b) && len(a) == len(b) }

	// 12 packets of 1280 bytes fit in 16 KiB: one Write.
	var batch [][]byte
	for range 12 {
		batch = append(batch, pkt(1280))
	}
	out := &recordingWriter{}
	w := NewWriter(out, nil)
	require.NoError(t, w.WritePackets(batch))
	assert.Len(t, out.writes, 1)
	assert.Len(t, out.writes[0], 12*1280)

	// 13 do not: two Writes, the second holding the last packet, written
	// directly from the caller's slice without a copy.
	batch = append(batch, pkt(1280))
	out = &recordingWriter{}
	w = NewWriter(out, nil)
	require.NoError(t, w.WritePackets(batch))
	require.Len(t, out.writes, 2)
	assert.Len(t, out.writes[0], 12*1280)
	assert.True(t, same(out.writes[1], batch[12]), "last packet not copied")

	// A lone packet, and one at least as large as the buffer, go directly.
	out = &recordingWriter{}
	w = NewWriter(out, make([]byte, 2000))
	one := pkt(100)
	require.NoError(t, w.WritePackets([][]byte{one}))
	require.NoError(t, w.WritePacket(one))
	big := pkt(2000)
	small := pkt(60)
	require.NoError(t, w.WritePackets([][]byte{small, big, small, small}))
	require.Len(t, out.writes, 5)
	assert.True(t, same(out.writes[0], one))
	assert.True(t, same(out.writes[1], one))
	assert.Equal(t, small, out.writes[2], "small flushed before the big one")
	assert.True(t, same(out.writes[3], big))
	assert.Equal(t, append(bytes.Clone(small), small...), out.writes[4])

	// An empty batch writes nothing.
	require.NoError(t, w.WritePackets(nil))
	assert.Len(t, out.writes, 5)
}

func TestCheckPacket(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 19))
	good := mkPacket(rng, 30)
	tests := []struct {
		name string
		p    []byte
		err  error
	}{
		{"good", good, nil},
		{"header only", mkPacket(rng, 0), nil},
		{"RS", hx(t, vecRS), nil},
		{"maximal", mkPacket(rng, packet.IPv6MaxPayloadLen), nil},
		{"empty", nil, ErrPacketLength},
		{"five bytes", good[:5], ErrPacketLength},
		{"truncated", good[:len(good)-1], ErrPacketLength},
		{"trailing byte", append(bytes.Clone(good), 0), ErrPacketLength},
		{"IPv4", hx(t, "45 00 00 14 0000 4000 40 3b 0000 c0000201 c0000202"), ErrNotIPv6},
		{"one byte of IPv4", []byte{0x45}, ErrNotIPv6},
		{"jumbogram header", jumbogram(0)[:40], ErrJumbogram},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, CheckPacket(tt.p), tt.err)
			out := &recordingWriter{}
			w := NewWriter(out, nil)
			assert.ErrorIs(t, w.WritePacket(tt.p), tt.err)
			assert.ErrorIs(t, w.WritePackets([][]byte{good, tt.p}), tt.err)
			if tt.err != nil {
				assert.Empty(t, out.writes, "nothing written when a packet is bad")
				assert.NoError(t, w.Err(), "bad packets are not sticky")
			}
		})
	}
}

// zeroWriter writes nothing and reports no error.
type zeroWriter struct{}

func (zeroWriter) Write([]byte) (int, error) { return 0, nil }

// overWriter claims to write more than it was given.
type overWriter struct{}

func (overWriter) Write(p []byte) (int, error) { return len(p) + 1, nil }

func TestWriterErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 21))
	pkts := [][]byte{mkPacket(rng, 100), mkPacket(rng, 200)}
	boom := errors.New("boom")

	out := &recordingWriter{err: boom, limit: 150}
	w := NewWriter(out, nil)
	require.ErrorIs(t, w.WritePackets(pkts), boom)
	assert.Equal(t, 150, out.Len())
	assert.ErrorIs(t, w.Err(), boom)
	assert.ErrorIs(t, w.WritePacket(pkts[0]), boom, "sticky")
	assert.ErrorIs(t, w.WritePackets(pkts), boom, "sticky")
	assert.Equal(t, 150, out.Len(), "nothing written after the error")

	// Reset clears the error and keeps the buffer.
	fresh := &recordingWriter{}
	w.Reset(fresh)
	require.NoError(t, w.WritePackets(pkts))
	assert.Equal(t, bytes.Join(pkts, nil), fresh.Bytes())

	w = NewWriter(zeroWriter{}, nil)
	assert.ErrorIs(t, w.WritePacket(pkts[0]), io.ErrShortWrite)
	assert.ErrorIs(t, w.WritePackets(pkts), io.ErrShortWrite, "sticky")

	w = NewWriter(overWriter{}, nil)
	assert.ErrorIs(t, w.WritePackets(pkts), errInvalidCount)
}
