package iphttps

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

// Shared helpers of the stream tests.

// Framing vectors of iphttps.md §1.4, as in the packet package's tests:
// their ICMPv6 checksums were computed independently (Python, RFC 1071 over
// the pseudo-header) and match the notes.
const (
	// Router Solicitation fe80::1234:5678:9abc:def0 → ff02::2, no options
	// (48 bytes): what a client sends first.
	vecRS = `60 00 00 00 00 08 3a ff | fe80 0000 0000 0000 1234 5678 9abc def0 |
		ff02 0000 0000 0000 0000 0000 0000 0002 | 85 00 9a dd 00 00 00 00`

	// Router Advertisement fe80::1 → ff02::1, lifetime 1800 s, PIO
	// 2001:db8:1:1000::/64, MTU 1280 (96 bytes): the server's answer.
	vecRA = `60 00 00 00 00 38 3a ff | fe80 0000 0000 0000 0000 0000 0000 0001 |
		ff02 0000 0000 0000 0000 0000 0000 0001 |
		86 00 e4 17 40 00 07 08 00000000 00000000 |
		03 04 40 c0 00278d00 00003840 00000000 20010db8000110000000000000000000 |
		05 01 0000 00000500`
)

// mkPacket returns an IPv6 packet with a payload of plen bytes (Next Header
// 59, or 17 when the payload has room for a UDP header), filled from rng.
func mkPacket(rng *rand.Rand, plen int) []byte {
	p := make([]byte, 40+plen)
	p[0] = 0x60
	binary.BigEndian.PutUint16(p[4:], uint16(plen))
	p[6] = 59
	if plen >= 8 {
		p[6] = 17
	}
	p[7] = 64
	for i := 8; i < len(p); i++ {
		p[i] = byte(rng.Uint32())
	}
	return p
}

// chunkReader returns its chunks one per Read (splitting a chunk longer
// than the destination), then io.EOF, or err if set.
type chunkReader struct {
	chunks [][]byte
	err    error
	reads  int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	r.reads++
	for len(r.chunks) > 0 && len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	if len(r.chunks) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	return n, nil
}

// lastReader returns its data in one Read and fails the test if read again:
// it shows that a caller did not read more than it needed.
type lastReader struct {
	tb   testing.TB
	data []byte
	done bool
}

func (r *lastReader) Read(p []byte) (int, error) {
	if r.done {
		r.tb.Errorf("unexpected extra Read")
		return 0, errors.New("unexpected extra Read")
	}
	r.done = true
	return copy(p, r.data), nil
}

// zeroReader returns (0, nil) for ever.
type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

// readAll reads packets until an error, copying them.
func readAll(tb testing.TB, r *Reader) ([][]byte, error) {
	tb.Helper()
	var pkts [][]byte
	for {
		p, err := r.Next()
		if err != nil {
			require.Nil(tb, p)
			return pkts, err
		}
		require.Equal(tb, len(p), cap(p), "packet capacity is its length")
		pkts = append(pkts, bytes.Clone(p))
	}
}

func netipMust(s string) netip.Addr { return netip.MustParseAddr(s) }

func prefixMust(s string) netip.Prefix { return netip.MustParsePrefix(s) }
