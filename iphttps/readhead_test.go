package iphttps

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadRequestHeadWithPacket(t *testing.T) {
	rs := hx(t, vecRS)
	head := string(hx(t, vecScannerRequestHex))
	stream := append([]byte(head), rs...)
	for _, tt := range []struct {
		name string
		r    io.Reader
	}{
		{"head and RS in one record", &chunkReader{chunks: [][]byte{stream}}},
		{"one byte at a time", iotest.OneByteReader(&chunkReader{chunks: [][]byte{stream}})},
		{"half reads", iotest.HalfReader(&chunkReader{chunks: [][]byte{stream}})},
		{"data with EOF", iotest.DataErrReader(&chunkReader{chunks: [][]byte{stream}})},
		{"split inside CRLF", &chunkReader{chunks: [][]byte{stream[:23], stream[23:84], stream[84:85], stream[85:]}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			buf := make([]byte, 4096)
			h, rest, err := ReadRequestHead(tt.r, buf, &RequestOptions{Path: DefaultPath})
			require.NoError(t, err)
			assert.Equal(t, head, string(h.Bytes()))
			host, _ := h.Host()
			assert.Equal(t, "da.example.com", string(host))

			// The bytes after the head start the packet stream, whether
			// they came with the head or not.
			r, err := NewReader(tt.r, nil, rest)
			require.NoError(t, err)
			pkts, err := readAll(t, r)
			assert.ErrorIs(t, err, io.EOF)
			assert.Equal(t, [][]byte{rs}, pkts)
		})
	}
}

// TestReadHeadSameBuffer checks the one-buffer pattern: read the head into
// buf, then hand buf itself to NewReader with the rest that aliases it.
func TestReadHeadSameBuffer(t *testing.T) {
	rs, ra := hx(t, vecRS), hx(t, vecRA)
	stream := append([]byte(vecSpecResponse), ra...)
	stream = append(stream, rs...)
	buf := make([]byte, MinReadBufferSize)
	h, rest, err := ReadResponseHead(&chunkReader{chunks: [][]byte{stream[:150], stream[150:]}}, buf, nil)
	require.NoError(t, err)
	assert.Equal(t, 200, h.StatusCode())
	assert.Len(t, rest, 150-len(vecSpecResponse))
	r, err := NewReader(&chunkReader{chunks: [][]byte{stream[150:]}}, buf, rest)
	require.NoError(t, err)
	pkts, err := readAll(t, r)
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, [][]byte{ra, rs}, pkts)
}

func TestReadResponseHeadStatus(t *testing.T) {
	in := "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 4\r\n\r\nnope"
	h, rest, err := ReadResponseHead(strings.NewReader(in), make([]byte, 512), nil)
	require.ErrorIs(t, err, ErrStatus)
	assert.Equal(t, 407, h.StatusCode())
	assert.Equal(t, "nope", string(rest))
}

// TestReadRequestHeadEarlyReject checks that a bad request line is refused
// from the first read, without reading the rest of the head.
func TestReadRequestHeadEarlyReject(t *testing.T) {
	_, _, err := ReadRequestHead(&lastReader{tb: t, data: []byte("GET / HTTP/1.1\r\nHost: h\r\n")}, make([]byte, 512), nil)
	assert.ErrorIs(t, err, ErrMethod)
}

func TestReadRequestHeadErrors(t *testing.T) {
	head := "POST /IPHTTPS HTTP/1.1\r\nHost: h\r\n" + maxCL + "\r\n"
	boom := errors.New("boom")
	tests := []struct {
		name string
		r    io.Reader
		size int
		opts *RequestOptions
		err  error
	}{
		{"nothing read", strings.NewReader(""), 512, nil, io.EOF},
		{"EOF inside the head", strings.NewReader(head[:30]), 512, nil, io.ErrUnexpectedEOF},
		{"EOF before the blank line", strings.NewReader(head[:len(head)-2]), 512, nil, io.ErrUnexpectedEOF},
		{"read error", &chunkReader{chunks: [][]byte{[]byte(head[:10])}, err: boom}, 512, nil, boom},
		{"buffer one byte short", strings.NewReader(head), len(head) - 1, nil, ErrHeadTooLarge},
		{"empty buffer", strings.NewReader(head), 0, nil, ErrHeadTooLarge},
		{"limit below buffer", strings.NewReader(head), 512, &RequestOptions{MaxHeadLen: len(head) - 1}, ErrHeadTooLarge},
		{"no progress", zeroReader{}, 512, nil, io.ErrNoProgress},
		{"malformed", strings.NewReader("POST /IPHTTPS HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"), 512, nil, ErrTransferEncoding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rest, err := ReadRequestHead(tt.r, make([]byte, tt.size), tt.opts)
			assert.ErrorIs(t, err, tt.err)
			assert.False(t, h.IsValid())
			assert.Nil(t, rest)
		})
	}

	// The buffer exactly the size of the head is enough.
	h, rest, err := ReadRequestHead(iotest.OneByteReader(strings.NewReader(head)), make([]byte, len(head)), nil)
	require.NoError(t, err)
	assert.Equal(t, len(head), h.Len())
	assert.Empty(t, rest)
}

// countingReader counts Read calls.
type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}

// TestReadRequestHeadSlowloris checks that a head sent one byte per read is
// parsed once per line, not once per byte, so that a slow client costs
// linear time, and that reading stops at the end of the head.
func TestReadRequestHeadSlowloris(t *testing.T) {
	head := "POST /IPHTTPS HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("X-Pad: abcdefgh\r\n", 400) + maxCL + "\r\n"
	require.Less(t, len(head), DefaultMaxHeadLen)
	lines := strings.Count(head, "\n")

	cr := &countingReader{r: iotest.OneByteReader(strings.NewReader(head + "\x60"))}
	parses := 0
	n, filled, err := readHead(cr, make([]byte, DefaultMaxHeadLen), func(b []byte) (int, error) {
		parses++
		_, n, err := ParseRequestHead(b, nil)
		return n, err
	})
	require.NoError(t, err)
	assert.Equal(t, len(head), n)
	assert.Equal(t, len(head), filled)
	assert.Equal(t, lines, parses, "one parse per line")
	assert.Equal(t, len(head), cr.reads, "reads stop at the end of the head")
}
