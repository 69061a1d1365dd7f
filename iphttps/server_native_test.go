package iphttps

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// errRefused is what batchDevice returns for a packet it refuses.
var errRefused = errors.New("test: packet refused")

// batchDevice is a native Device that records each Write: the packets
// after the offset, the bytes in front of them and how many came per call;
// it refuses the packets refuse reports true for. Reads wait until Close.
type batchDevice struct {
	refuse func(p []byte) bool

	mu       sync.Mutex
	pkts     [][]byte
	headroom [][]byte
	calls    []int // packets per Write call
	done     chan struct{}
	once     sync.Once
}

func newBatchDevice(refuse func([]byte) bool) *batchDevice {
	return &batchDevice{refuse: refuse, done: make(chan struct{})}
}

func (d *batchDevice) Read(bufs [][]byte, sizes []int, off int) (int, error) {
	<-d.done
	return 0, os.ErrClosed
}

func (d *batchDevice) Write(bufs [][]byte, off int) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, len(bufs))
	for i, b := range bufs {
		if d.refuse != nil && d.refuse(b[off:]) {
			return i, errRefused
		}
		d.pkts = append(d.pkts, bytes.Clone(b[off:]))
		d.headroom = append(d.headroom, bytes.Clone(b[:off]))
	}
	return len(bufs), nil
}

func (d *batchDevice) Close() { d.once.Do(func() { close(d.done) }) }

func (d *batchDevice) written() (pkts, headroom [][]byte, calls []int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pkts, d.headroom, d.calls
}

// The packets of one read from the client go to the native side in
// batches of at most NativeBatch, in order, each behind NativeOffset bytes
// of headroom; a packet the device refuses is counted and dropped, and the
// rest of its batch still goes.
func TestServerNativeBatch(t *testing.T) {
	ext := netip.MustParseAddr("2001:db8:ffff::1")
	for _, tc := range []struct {
		name        string
		offset      int
		refuseSeqs  []uint16 // echo sequence numbers the device refuses: in batches of 3 from 100, the 2nd, the 3rd, the 1st
		wantWritten int
	}{
		{"no headroom", 0, nil, 10},
		{"headroom", 10, nil, 10},
		{"refused inside batches", 4, []uint16{101, 105, 109}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seqOf := func(p []byte) uint16 { return uint16(p[46])<<8 | uint16(p[47]) } // ICMPv6 echo sequence
			dev := newBatchDevice(func(p []byte) bool { return len(p) > 47 && slices.Contains(tc.refuseSeqs, seqOf(p)) })
			defer dev.Close()
			ts := startServer(t, RouterConfig{}, func(s *Server) {
				s.Native, s.NativeOffset, s.NativeBatch = dev, tc.offset, 3
			})
			c := ts.dial(t, nil)
			var bufs, want [][]byte
			for i := range 10 {
				p := echoReq(t, c.Addr(), ext, uint16(100+i))
				bufs = append(bufs, p)
				if !slices.Contains(tc.refuseSeqs, uint16(100+i)) {
					want = append(want, p)
				}
			}
			// One Write: one TLS record, which the server reads at once.
			_, err := c.Write(bufs, 0)
			require.NoError(t, err)
			eventually(t, func() bool {
				st := ts.srv.Stats()
				return st.NativeOut == uint64(tc.wantWritten) && st.NativeErrors == uint64(len(tc.refuseSeqs))
			}, "native counters")
			pkts, headroom, calls := dev.written()
			var got [][]byte
			for _, p := range pkts {
				if len(p) > 47 && seqOf(p) >= 100 {
					got = append(got, p)
				}
			}
			assert.Equal(t, want, got)
			for _, h := range headroom {
				assert.Len(t, h, tc.offset)
			}
			batched := false
			for _, n := range calls {
				assert.LessOrEqual(t, n, 3, "calls %v", calls)
				batched = batched || n > 1
			}
			assert.True(t, batched, "no Write carried more than one packet: %v", calls)
		})
	}
}

// nextBuffered returns the packets already buffered after a Next, without
// reading, leaves them valid together, and turns a framing error into the
// sticky error that the next Next reports.
func TestReaderNextBuffered(t *testing.T) {
	stream := packetLoop(1280, 3)
	stream = append(stream, 0x45, 0, 0, 20) // an IPv4 header after the third packet
	src := &countingReader{r: bytes.NewReader(stream)}
	rd, err := NewReader(src, nil, nil)
	require.NoError(t, err)
	assert.Nil(t, rd.nextBuffered(), "nothing buffered yet")
	assert.Zero(t, src.reads)

	p1, err := rd.Next()
	require.NoError(t, err)
	reads := src.reads
	p2, p3 := rd.nextBuffered(), rd.nextBuffered()
	assert.Equal(t, reads, src.reads, "nextBuffered read")
	assert.Equal(t, [][]byte{stream[:1280], stream[1280:2560], stream[2560:3840]}, [][]byte{p1, p2, p3})
	assert.Nil(t, rd.nextBuffered())
	assert.ErrorIs(t, rd.Err(), ErrNotIPv6)
	_, err = rd.Next()
	assert.ErrorIs(t, err, ErrNotIPv6)
}

// Next followed by nextBuffered until nil, readLoop's pattern, does not
// allocate.
func TestReaderNextBufferedNoAllocs(t *testing.T) {
	rd, err := NewReader(&loopReader{data: packetLoop(1280, 37), chunk: 16384}, nil, nil)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(1000, func() {
		p, err := rd.Next()
		if err != nil {
			t.Fatal(err)
		}
		for p != nil {
			p = rd.nextBuffered()
		}
	})
	assert.Zero(t, allocs)
}
