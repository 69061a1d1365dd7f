package udpio

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transit6/transit6/internal/netns"
	"github.com/transit6/transit6/packet"
	"golang.org/x/sys/unix"
)

// Every test talks over loopback only.
var loopback = netip.MustParseAddrPort("127.0.0.1:0")

const (
	off   = packet.MaxHeadroom // headroom in test buffers, as the data path has
	guard = 10 * time.Second   // liveness guard for reads that must succeed
)

// modes are the offload combinations every round trip runs in: sender GSO,
// receiver GRO.
var modes = []struct {
	name     string
	gso, gro bool
}{
	{"plain", false, false},
	{"gso", true, false},
	{"gro", false, true},
	{"gso+gro", true, true},
}

// listenT opens a Conn; t.Cleanup closes it.
func listenT(t testing.TB, lc ListenConfig) *Conn {
	t.Helper()
	c, err := lc.Listen()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// datagram returns offset bytes of 0xA5 headroom followed by size bytes of
// payload that depend on seed, so that each datagram of a test is told
// from the others by its content.
func datagram(offset, size, seed int) []byte {
	b := make([]byte, offset+size)
	for i := range offset {
		b[i] = 0xA5
	}
	for i := range size {
		b[offset+i] = byte(seed*31 + i*7 + seed>>8)
	}
	return b
}

// newBufs returns n read buffers of off+size bytes with 0xA5 headroom.
func newBufs(n, size int) [][]byte {
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = datagram(off, size, 0)
	}
	return bufs
}

func headroomIntact(b []byte, offset int) bool {
	for _, c := range b[:offset] {
		if c != 0xA5 {
			return false
		}
	}
	return true
}

// dgram is a datagram as read.
type dgram struct {
	from netip.AddrPort
	data []byte
}

// readN reads from c with batches of batch buffers of size bytes at
// offset until it has n datagrams, checks the headroom, and returns
// copies.
func readN(t testing.TB, c *Conn, n, batch, size, offset int) []dgram {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(guard)))
	defer c.SetReadDeadline(time.Time{})
	bufs := make([][]byte, batch)
	for i := range bufs {
		bufs[i] = datagram(offset, size, 0)
	}
	sizes, from := make([]int, batch), make([]netip.AddrPort, batch)
	var got []dgram
	for len(got) < n {
		k, err := c.ReadBatch(bufs, sizes, from, offset)
		require.NoError(t, err)
		require.Positive(t, k)
		for i := range k {
			require.True(t, headroomIntact(bufs[i], offset), "ReadBatch wrote into the headroom")
			got = append(got, dgram{from[i], bytes.Clone(bufs[i][offset : offset+sizes[i]])})
		}
	}
	return got
}

// requireNothing checks that c has nothing more to read.
func requireNothing(t testing.TB, c *Conn) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now()))
	defer c.SetReadDeadline(time.Time{})
	_, err := c.ReadBatch(newBufs(1, 100), []int{0}, []netip.AddrPort{{}}, off)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "an unexpected datagram is queued")
}

// send writes bufs to dst in one WriteBatch, which must send them all.
func send(t testing.TB, c *Conn, bufs [][]byte, dst netip.AddrPort, offset int) {
	t.Helper()
	to := make([]netip.AddrPort, len(bufs))
	for i := range to {
		to[i] = dst
	}
	n, err := c.WriteBatch(bufs, to, offset)
	require.NoError(t, err)
	require.Equal(t, len(bufs), n)
}

// TestRoundTrip sends batches of datagrams of many lengths, including
// empty ones and the largest, from one Conn to another and checks they
// arrive whole, in order, from the sender's address, in every offload
// mode, with several read batch sizes and offsets.
func TestRoundTrip(t *testing.T) {
	// Payload lengths of each batch: runs of equal lengths (which GSO
	// coalesces) broken by shorter, longer and empty datagrams.
	batches := []struct {
		name  string
		sizes []int
	}{
		{"one", []int{100}},
		{"empty", []int{0}},
		{"1472, the most in a 1500-byte IPv4 packet", []int{1472, 1472, 1472}},
		{"run ending shorter", []int{1280, 1280, 1280, 1280, 700}},
		{"runs broken by longer and empty", []int{500, 500, 1000, 1000, 0, 0, 1, 1, 500}},
		{"shorter one ends a run", []int{1000, 600, 1000, 1000, 600, 600}},
		{"largest", []int{MaxPayload, MaxPayload, 1}},
		{"run past the segment limit", repeat(1280, maxSegments+3)},
		{"run past 64 KiB", repeat(9000, 9)},
		{"two write batches", repeat(200, 2*IdealBatchSize+7)},
	}
	for _, mode := range modes {
		for _, offset := range []int{0, off} {
			for _, rbatch := range []int{1, 5, IdealBatchSize} {
				t.Run(fmt.Sprintf("%s/offset=%d/read=%d", mode.name, offset, rbatch), func(t *testing.T) {
					w := listenT(t, ListenConfig{Local: loopback, GSO: mode.gso})
					r := listenT(t, ListenConfig{Local: loopback, GRO: mode.gro, RecvBuffer: 16 << 20})
					for _, tc := range batches {
						var bufs [][]byte
						for i, n := range tc.sizes {
							bufs = append(bufs, datagram(offset, n, i))
						}
						send(t, w, bufs, r.LocalAddr(), offset)
						got := readN(t, r, len(bufs), rbatch, slices.Max(tc.sizes)+1, offset)
						require.Len(t, got, len(bufs), tc.name)
						for i, d := range got {
							assert.Equal(t, w.LocalAddr(), d.from, "%s: datagram %d source", tc.name, i)
							require.Equal(t, bufs[i][offset:], d.data, "%s: datagram %d", tc.name, i)
						}
					}
					requireNothing(t, r)
				})
			}
		}
	}
}

func repeat(n, count int) []int {
	s := make([]int, count)
	for i := range s {
		s[i] = n
	}
	return s
}

// TestManyPeers checks sources and destinations per datagram: three
// senders write interleaved to two receivers, and each datagram must
// arrive at its own destination, from its own sender.
func TestManyPeers(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			var ws, rs []*Conn
			for range 3 {
				ws = append(ws, listenT(t, ListenConfig{Local: loopback, GSO: mode.gso}))
			}
			for range 2 {
				rs = append(rs, listenT(t, ListenConfig{Local: loopback, GRO: mode.gro, RecvBuffer: 4 << 20}))
			}
			want := make(map[netip.AddrPort][]dgram) // per receiver, in order
			for wi, w := range ws {
				var bufs [][]byte
				var to []netip.AddrPort
				for i := range 40 {
					r := rs[(i/3)%2] // runs of three to one receiver
					bufs = append(bufs, datagram(off, 600, 100*wi+i))
					to = append(to, r.LocalAddr())
					want[r.LocalAddr()] = append(want[r.LocalAddr()], dgram{w.LocalAddr(), bufs[i][off:]})
				}
				n, err := w.WriteBatch(bufs, to, off)
				require.NoError(t, err)
				require.Equal(t, len(bufs), n)
			}
			for _, r := range rs {
				exp := want[r.LocalAddr()]
				got := readN(t, r, len(exp), 16, 1500, off)
				// Each sender's datagrams stay in order; senders may
				// interleave in any way.
				for _, w := range ws {
					assert.Equal(t, bySource(exp, w.LocalAddr()), bySource(got, w.LocalAddr()), "from %v to %v", w.LocalAddr(), r.LocalAddr())
				}
				requireNothing(t, r)
			}
		})
	}
}

func bySource(ds []dgram, src netip.AddrPort) [][]byte {
	var out [][]byte
	for _, d := range ds {
		if d.from == src {
			out = append(out, d.data)
		}
	}
	return out
}

// TestTruncate checks that a datagram longer than its buffer is cut to it,
// and that the datagrams after it are whole (with GRO, the rest of a
// coalesced run is not lost to the cut).
func TestTruncate(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			w := listenT(t, ListenConfig{Local: loopback, GSO: mode.gso})
			r := listenT(t, ListenConfig{Local: loopback, GRO: mode.gro})
			bufs := [][]byte{datagram(off, 1000, 1), datagram(off, 1000, 2), datagram(off, 1000, 3)}
			send(t, w, bufs, r.LocalAddr(), off)
			got := readN(t, r, 3, 1, 600, off)
			for i, d := range got {
				assert.Equal(t, bufs[i][off:off+600], d.data, "datagram %d", i)
			}
		})
	}
}

// TestGROSplit checks, with the kernel's coalescing seen to happen, that
// ReadBatch hands out a coalesced run over several calls when given fewer
// buffers than the run has datagrams.
func TestGROSplit(t *testing.T) {
	w := listenT(t, ListenConfig{Local: loopback, GSO: true})
	r := listenT(t, ListenConfig{Local: loopback, GRO: true})
	if !w.GSO() || !r.GRO() {
		t.Skip("kernel without UDP_SEGMENT or UDP_GRO")
	}
	var bufs [][]byte
	for i := range 10 {
		bufs = append(bufs, datagram(off, 1000, i))
	}
	bufs[9] = bufs[9][:off+333]
	send(t, w, bufs, r.LocalAddr(), off)

	rbufs, sizes, from := newBufs(3, 1500), make([]int, 3), make([]netip.AddrPort, 3)
	var got [][]byte
	for len(got) < 10 {
		require.NoError(t, r.SetReadDeadline(time.Now().Add(guard)))
		n, err := r.ReadBatch(rbufs, sizes, from, off)
		require.NoError(t, err)
		require.Equal(t, min(3, 10-len(got)), n, "a coalesced run fills every buffer given")
		if len(got) == 0 {
			// Loopback passes the GSO super-datagram whole to a
			// UDP_GRO socket: one message held all ten.
			require.Equal(t, 1, r.gro.got, "the datagrams were not coalesced")
			require.Equal(t, 1000, r.gro.seg[0])
		}
		for i := range n {
			assert.Equal(t, w.LocalAddr(), from[i])
			got = append(got, bytes.Clone(rbufs[i][off:off+sizes[i]]))
		}
	}
	for i := range bufs {
		assert.Equal(t, bufs[i][off:], got[i], "datagram %d", i)
	}
	requireNothing(t, r)
}

// TestWriteBatchErrors checks that WriteBatch stops at the first datagram
// it cannot send, reports how many went before it and why, and that
// exactly those arrived; then that the rest of the batch goes on a second
// call, as the documented recovery says.
func TestWriteBatchErrors(t *testing.T) {
	for _, gso := range []bool{false, true} {
		t.Run(fmt.Sprintf("gso=%v", gso), func(t *testing.T) {
			w := listenT(t, ListenConfig{Local: loopback, GSO: gso})
			r := listenT(t, ListenConfig{Local: loopback, RecvBuffer: 4 << 20})
			dst := r.LocalAddr()
			port0 := netip.AddrPortFrom(dst.Addr(), 0)
			mapped := netip.AddrPortFrom(netip.AddrFrom16(dst.Addr().As16()), dst.Port())
			v6 := netip.MustParseAddrPort("[::1]:9")
			good := datagram(off, 100, 1)
			tooBig := datagram(off, MaxPayload+1, 2)

			for _, tc := range []struct {
				name string
				bufs [][]byte
				to   []netip.AddrPort
				n    int
				err  error
			}{
				{"IPv6 destination", [][]byte{good, good, good, good}, []netip.AddrPort{dst, dst, v6, dst}, 2, ErrBadAddr},
				{"IPv4-mapped destination", [][]byte{good, good}, []netip.AddrPort{dst, mapped}, 1, ErrBadAddr},
				{"zero destination", [][]byte{good}, []netip.AddrPort{{}}, 0, ErrBadAddr},
				{"fewer destinations than datagrams", [][]byte{good, good, good}, []netip.AddrPort{dst, dst}, 2, ErrBadAddr},
				{"offset past the end", [][]byte{good, good[:off-1]}, []netip.AddrPort{dst, dst}, 1, io.ErrShortBuffer},
				{"longer than MaxPayload", [][]byte{good, tooBig, good}, []netip.AddrPort{dst, dst, dst}, 1, unix.EMSGSIZE},
				// udp_sendmsg refuses port 0 with EINVAL. With GSO
				// the three to port 0 are one super-datagram, which
				// is refused whole and sent again one by one.
				{"port 0", [][]byte{good, good, good, good}, []netip.AddrPort{dst, port0, port0, port0}, 1, unix.EINVAL},
				{"none", nil, nil, 0, nil},
			} {
				n, err := w.WriteBatch(tc.bufs, tc.to, off)
				assert.Equal(t, tc.n, n, tc.name)
				if tc.err == nil {
					assert.NoError(t, err, tc.name)
				} else {
					assert.ErrorIs(t, err, tc.err, tc.name)
				}
				for range tc.n {
					assert.Equal(t, good[off:], readN(t, r, 1, 1, 200, off)[0].data, tc.name)
				}
				requireNothing(t, r)
			}
			_, err := w.WriteBatch([][]byte{good}, []netip.AddrPort{dst}, -1)
			assert.ErrorIs(t, err, io.ErrShortBuffer, "negative offset")
			assert.Equal(t, gso, w.GSO(), "EINVAL does not turn GSO off")

			// Recovery: drop the refused datagram and send the rest.
			bufs := [][]byte{datagram(off, 50, 1), datagram(off, 50, 2), datagram(off, 50, 3), datagram(off, 50, 4)}
			to := []netip.AddrPort{dst, dst, port0, dst}
			n, err := w.WriteBatch(bufs, to, off)
			require.ErrorIs(t, err, unix.EINVAL)
			require.Equal(t, 2, n)
			n, err = w.WriteBatch(bufs[n+1:], to[n+1:], off)
			require.NoError(t, err)
			require.Equal(t, 1, n)
			got := readN(t, r, 3, 8, 100, off)
			for i, j := range []int{0, 1, 3} {
				assert.Equal(t, bufs[j][off:], got[i].data)
			}
		})
	}
}

// TestGSORefusedByRoute makes the kernel refuse a GSO super-datagram that
// plain datagrams would pass: in a namespace whose loopback has MTU 1500,
// a segment size above 1472 bytes is refused (EINVAL; udp_send_skb wants
// each segment to fit the MTU), while a datagram that size is fragmented.
// WriteBatch must deliver them all.
func TestGSORefusedByRoute(t *testing.T) {
	ns := netns.New(t, "udpiomtu")
	ns.IP(t, "link", "set", "lo", "mtu", "1500")
	var w, r *Conn
	ns.Exec(t, func() (err error) {
		if w, err = (ListenConfig{Local: loopback, GSO: true}).Listen(); err != nil {
			return err
		}
		r, err = ListenConfig{Local: loopback, RecvBuffer: 1 << 20}.Listen()
		return err
	})
	t.Cleanup(func() { w.Close(); r.Close() })
	if !w.GSO() {
		t.Skip("kernel without UDP_SEGMENT")
	}
	bufs := [][]byte{datagram(off, 2000, 1), datagram(off, 2000, 2), datagram(off, 2000, 3),
		datagram(off, 1000, 4), datagram(off, 1000, 5)}
	send(t, w, bufs, r.LocalAddr(), off)
	got := readN(t, r, len(bufs), 8, 2000, off)
	for i := range bufs {
		assert.Equal(t, bufs[i][off:], got[i].data, "datagram %d", i)
	}
	assert.True(t, w.GSO(), "EINVAL does not turn GSO off")
}

// TestICMPErrorsIgnored checks that a datagram to a closed port (which
// draws an ICMP Port Unreachable) poisons neither the send nor the next
// reads: the socket is unconnected and has no IP_RECVERR, so the kernel
// keeps the error from it (udp(7)).
func TestICMPErrorsIgnored(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			c := listenT(t, ListenConfig{Local: loopback, GSO: mode.gso, GRO: mode.gro})
			closed := listenT(t, ListenConfig{Local: loopback})
			gone := closed.LocalAddr()
			require.NoError(t, closed.Close())

			bufs := [][]byte{datagram(off, 100, 1), datagram(off, 100, 2), datagram(off, 100, 3)}
			to := []netip.AddrPort{gone, gone, c.LocalAddr()}
			n, err := c.WriteBatch(bufs, to, off)
			require.NoError(t, err)
			require.Equal(t, 3, n)
			// Loopback delivers within the send, so the ICMP errors
			// came back before this read.
			got := readN(t, c, 1, 4, 200, off)
			assert.Equal(t, bufs[2][off:], got[0].data)
			send(t, c, bufs[:1], gone, off)
			send(t, c, bufs[1:2], c.LocalAddr(), off)
			assert.Equal(t, bufs[1][off:], readN(t, c, 1, 4, 200, off)[0].data)
		})
	}
}

func TestReadBatchArgs(t *testing.T) {
	for _, mode := range modes {
		c := listenT(t, ListenConfig{Local: loopback, GRO: mode.gro})
		for _, tc := range []struct {
			name   string
			bufs   [][]byte
			offset int
			err    error
		}{
			{"no buffers", nil, 0, nil},
			{"no room after the offset", [][]byte{make([]byte, 10), make([]byte, 5)}, 5, io.ErrShortBuffer},
			{"negative offset", [][]byte{make([]byte, 10)}, -1, io.ErrShortBuffer},
		} {
			n, err := c.ReadBatch(tc.bufs, make([]int, len(tc.bufs)), make([]netip.AddrPort, len(tc.bufs)), tc.offset)
			assert.Equal(t, 0, n, "%s: %s", mode.name, tc.name)
			if tc.err == nil {
				assert.NoError(t, err, "%s: %s", mode.name, tc.name)
			} else {
				assert.ErrorIs(t, err, tc.err, "%s: %s", mode.name, tc.name)
			}
		}
		n, err := c.ReadBatch(newBufs(4, 100), make([]int, 4), nil, off)
		assert.Equal(t, 0, n, "no room for sources")
		assert.NoError(t, err)
	}
}

func TestListen(t *testing.T) {
	c := listenT(t, ListenConfig{Local: loopback})
	assert.Equal(t, loopback.Addr(), c.LocalAddr().Addr())
	assert.NotZero(t, c.LocalAddr().Port(), "the kernel's port")
	assert.Equal(t, IdealBatchSize, c.BatchSize())
	assert.False(t, c.GSO())
	assert.False(t, c.GRO())

	wild := listenT(t, ListenConfig{})
	assert.Equal(t, netip.IPv4Unspecified(), wild.LocalAddr().Addr())
	assert.NotZero(t, wild.LocalAddr().Port())

	for _, tc := range []struct {
		name  string
		local netip.AddrPort
		err   error
	}{
		{"IPv6", netip.MustParseAddrPort("[::1]:0"), ErrBadAddr},
		{"IPv4-mapped", netip.MustParseAddrPort("[::ffff:127.0.0.1]:0"), ErrBadAddr},
		{"port in use", c.LocalAddr(), unix.EADDRINUSE},
	} {
		_, err := Listen(tc.local)
		assert.ErrorIs(t, err, tc.err, tc.name)
	}

	// A net.UDPConn sees the port LocalAddr reports.
	u, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(loopback))
	require.NoError(t, err)
	defer u.Close()
	dst := u.LocalAddr().(*net.UDPAddr).AddrPort()
	send(t, c, [][]byte{datagram(off, 5, 1)}, dst, off)
	require.NoError(t, u.SetReadDeadline(time.Now().Add(guard)))
	buf := make([]byte, 10)
	n, from, err := u.ReadFromUDPAddrPort(buf)
	require.NoError(t, err)
	assert.Equal(t, c.LocalAddr(), from)
	assert.Equal(t, datagram(0, 5, 1), buf[:n])

	// And LocalAddr is where its datagrams arrive, with their source.
	_, err = u.WriteToUDPAddrPort([]byte("back"), c.LocalAddr())
	require.NoError(t, err)
	got := readN(t, c, 1, 1, 10, 0)[0]
	assert.Equal(t, dgram{dst, []byte("back")}, got)
}

func TestBuffers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SO_RCVBUFFORCE needs CAP_NET_ADMIN")
	}
	c := listenT(t, ListenConfig{Local: loopback, RecvBuffer: 3 << 20, SendBuffer: 5 << 20})
	// As root the FORCE options pass net.core.rmem_max; the kernel
	// reports twice the value set (socket(7)).
	n, err := c.ReadBuffer()
	require.NoError(t, err)
	assert.Equal(t, 6<<20, n)
	n, err = c.WriteBuffer()
	require.NoError(t, err)
	assert.Equal(t, 10<<20, n)
	require.NoError(t, c.SetReadBuffer(16<<20))
	n, err = c.ReadBuffer()
	require.NoError(t, err)
	assert.Equal(t, 32<<20, n)
	require.NoError(t, c.SetWriteBuffer(8<<20))
	n, err = c.WriteBuffer()
	require.NoError(t, err)
	assert.Equal(t, 16<<20, n)
}

func TestDeadline(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			c := listenT(t, ListenConfig{Local: loopback, GRO: mode.gro})
			bufs, sizes, from := newBufs(2, 100), make([]int, 2), make([]netip.AddrPort, 2)
			require.NoError(t, c.SetReadDeadline(time.Now().Add(-time.Second)))
			_, err := c.ReadBatch(bufs, sizes, from, off)
			assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "deadline in the past")

			// A deadline that expires while ReadBatch waits.
			require.NoError(t, c.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
			_, err = c.ReadBatch(bufs, sizes, from, off)
			assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "deadline while waiting")

			// Cleared, the socket reads again.
			require.NoError(t, c.SetReadDeadline(time.Time{}))
			send(t, c, [][]byte{datagram(off, 10, 1)}, c.LocalAddr(), off)
			n, err := c.ReadBatch(bufs, sizes, from, off)
			require.NoError(t, err)
			assert.Equal(t, 1, n)

			require.NoError(t, c.SetWriteDeadline(time.Now().Add(-time.Second)))
			_, err = c.WriteBatch([][]byte{datagram(off, 10, 1)}, []netip.AddrPort{c.LocalAddr()}, off)
			assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "write deadline in the past")
		})
	}
}

func TestClose(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			c := listenT(t, ListenConfig{Local: loopback, GRO: mode.gro})
			bufs, sizes, from := newBufs(2, 100), make([]int, 2), make([]netip.AddrPort, 2)
			errc := make(chan error, 1)
			go func() {
				_, err := c.ReadBatch(bufs, sizes, from, off)
				errc <- err
			}()
			time.Sleep(20 * time.Millisecond) // let ReadBatch block (the test passes either way)
			require.NoError(t, c.Close())
			assert.ErrorIs(t, <-errc, ErrClosed)
			assert.ErrorIs(t, c.Close(), ErrClosed)
			_, err := c.ReadBatch(bufs, sizes, from, off)
			assert.ErrorIs(t, err, ErrClosed)
			_, err = c.WriteBatch([][]byte{datagram(off, 10, 1)}, []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:9")}, off)
			assert.ErrorIs(t, err, ErrClosed)
			assert.ErrorIs(t, c.SetReadBuffer(1<<20), ErrClosed)
			_, err = c.ReadBuffer()
			assert.ErrorIs(t, err, ErrClosed)
		})
	}
}

// TestConcurrent runs two Conns that each send to the other while reading
// from it, with two goroutines reading and two writing each socket, for
// the race detector, and checks that every datagram arrived once. Writers
// stay within a window of what the peer has read, so that no datagram is
// dropped for a full receive buffer.
func TestConcurrent(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			const (
				perWriter = 2000
				window    = 256
				batch     = 16
				size      = 300
			)
			lc := ListenConfig{Local: loopback, GSO: mode.gso, GRO: mode.gro, RecvBuffer: 4 << 20}
			conns := [2]*Conn{listenT(t, lc), listenT(t, lc)}
			var received [2]atomic.Int64 // datagrams read by conns[i]
			var seen [2][2 * perWriter]atomic.Int32
			var wg sync.WaitGroup
			var stop atomic.Bool
			errs := make(chan error, 16)
			for side := range 2 {
				c, peer := conns[side], conns[1-side]
				for g := range 2 {
					wg.Go(func() { // writer g of side: ids g*perWriter ...
						bufs, to := make([][]byte, batch), make([]netip.AddrPort, batch)
						for i := range to {
							to[i] = peer.LocalAddr()
						}
						for id := 0; id < perWriter; {
							for int64(2*id)-received[1-side].Load() > window && !stop.Load() {
								time.Sleep(100 * time.Microsecond)
							}
							k := min(batch, perWriter-id)
							for i := range k {
								bufs[i] = datagram(off, size, g*perWriter+id+i)
								bufs[i][off] = byte(g)
								bufs[i][off+1], bufs[i][off+2] = byte((id+i)>>8), byte(id+i)
							}
							n, err := c.WriteBatch(bufs[:k], to[:k], off)
							if err != nil || n != k {
								errs <- fmt.Errorf("WriteBatch: %d, %v", n, err)
								return
							}
							id += k
						}
					})
					wg.Go(func() { // reader g of side
						bufs, sizes, from := newBufs(batch, 1500), make([]int, batch), make([]netip.AddrPort, batch)
						last := time.Now()
						for received[side].Load() < 2*perWriter && !stop.Load() {
							c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
							n, err := c.ReadBatch(bufs, sizes, from, off)
							if os.IsTimeout(err) {
								// The other reader may have taken the
								// last ones; but something must come.
								if time.Since(last) > guard {
									errs <- fmt.Errorf("side %d: nothing read for %v, %d of %d", side, guard, received[side].Load(), 2*perWriter)
									return
								}
								continue
							}
							last = time.Now()
							if err != nil {
								errs <- fmt.Errorf("ReadBatch: %v", err)
								return
							}
							for i := range n {
								p := bufs[i][off : off+sizes[i]]
								id := int(p[0])*perWriter + int(p[1])<<8 + int(p[2])
								if sizes[i] != size || from[i] != peer.LocalAddr() || id >= 2*perWriter {
									errs <- fmt.Errorf("bad datagram %d bytes from %v", sizes[i], from[i])
									return
								}
								seen[side][id].Add(1)
							}
							received[side].Add(int64(n))
						}
					})
				}
			}
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			select {
			case err := <-errs:
				stop.Store(true)
				for _, c := range conns {
					c.Close()
				}
				t.Fatal(err)
			case <-done:
			}
			for side := range 2 {
				for id := range 2 * perWriter {
					require.Equal(t, int32(1), seen[side][id].Load(), "side %d datagram %d", side, id)
				}
			}
		})
	}
}
