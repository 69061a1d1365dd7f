package tun

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/packet"
)

// TestRingRunsOutOfBuffers queues more packets than the ring has buffers
// before the first Read, then reads them a few at a time: the multishot
// read ends when the buffers run out (ENOBUFS) and is armed again, and
// every packet arrives once, in order.
func TestRingRunsOutOfBuffers(t *testing.T) {
	for _, opts := range []Options{{Ring: true}, {Ring: true, Offload: true}} {
		ns, d := openWith(t, 1400, opts)
		const count = 3 * ringBufs
		reqs := make([][]byte, count)
		for i := range reqs {
			var err error
			reqs[i], err = packet.AppendEchoRequest(make([]byte, off), peer, local.Addr(), 64, 0x5151, uint16(i), make([]byte, 100))
			require.NoError(t, err)
		}
		// The kernel answers each request at once, onto the device's
		// queue (500 packets long), while nothing reads it.
		n, err := d.Write(reqs, off)
		require.NoError(t, err)
		require.Equal(t, count, n)

		require.NoError(t, d.SetReadDeadline(time.Now().Add(guard)))
		bufs, sizes := newBufs(5, 1500), make([]int, 5)
		next := 0
		for next < count {
			n, err := d.Read(bufs, sizes, off)
			require.NoError(t, err, "after %d replies", next)
			for i := range n {
				require.True(t, headroomIntact(bufs[i]))
				ip, err := packet.ParseIPv6(bufs[i][off : off+sizes[i]])
				require.NoError(t, err)
				m, err := packet.ParseICMPv6(ip)
				if err != nil || m.Type() != packet.ICMPv6EchoReply {
					continue // MLD and such
				}
				_, seq, data, err := m.Echo()
				require.NoError(t, err)
				require.Equal(t, next, int(seq), "replies out of order")
				require.Len(t, data, 100)
				next++
			}
		}
		assert.Greater(t, d.ring.arms, 1, "the read never ran out of buffers")

		// Close lets go of the device at once: its name is free again.
		require.NoError(t, d.Close())
		ns.Exec(t, func() error {
			d2, err := OpenWithOptions(ifname, 1400, opts)
			if err == nil {
				d2.Close()
			}
			return err
		})
	}
}

// TestRingOneReader checks that a second goroutine's Read gets
// ErrRingThread, and the first goroutine reads on.
func TestRingOneReader(t *testing.T) {
	_, d := openWith(t, 1400, Options{Ring: true})
	bufs, sizes := newBufs(4, 1500), make([]int, 4)
	reads, again := make(chan error), make(chan struct{})
	go func() {
		for range 2 {
			require.NoError(t, d.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
			_, err := d.Read(bufs, sizes, off)
			reads <- err
			<-again
		}
	}()
	assert.ErrorIs(t, <-reads, os.ErrDeadlineExceeded)
	require.NoError(t, d.SetReadDeadline(time.Time{}))
	errc := make(chan error)
	go func() {
		_, err := d.Read(newBufs(1, 1500), []int{0}, off)
		errc <- err
	}()
	assert.ErrorIs(t, <-errc, ErrRingThread)
	again <- struct{}{}
	assert.ErrorIs(t, <-reads, os.ErrDeadlineExceeded, "the first reader goes on")
	again <- struct{}{}
}

// TestRingBatch checks RingBatch: packets that arrive 5 ms apart while a
// Read waits within its batch time come back together, where without it
// the first comes alone.
func TestRingBatch(t *testing.T) {
	for _, batch := range []time.Duration{0, 50 * time.Millisecond} {
		_, d := openWith(t, 1400, Options{Ring: true, RingBatch: batch})
		if batch > 0 && d.ring.batch == 0 {
			t.Skip("no IORING_FEAT_MIN_TIMEOUT (Linux 6.12)")
		}
		const count = 3
		bufs, sizes := newBufs(IdealBatchSize, 1500), make([]int, IdealBatchSize)
		ready, got := make(chan struct{}), make(chan int)
		go func() {
			// The first Read arms the ring; the kernel's own packets
			// (MLD) go by meanwhile.
			require.NoError(t, d.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
			for {
				if _, err := d.Read(bufs, sizes, off); err != nil {
					require.ErrorIs(t, err, os.ErrDeadlineExceeded)
					break
				}
			}
			require.NoError(t, d.SetReadDeadline(time.Now().Add(guard)))
			close(ready)
			n, err := d.Read(bufs, sizes, off)
			require.NoError(t, err)
			got <- n
		}()
		<-ready
		time.Sleep(2 * time.Millisecond) // let Read wait (it passes either way)
		for i := range count {
			req, err := packet.AppendEchoRequest(make([]byte, off), peer, local.Addr(), 64, 0x6161, uint16(i), nil)
			require.NoError(t, err)
			_, err = d.Write([][]byte{req}, off)
			require.NoError(t, err)
			time.Sleep(5 * time.Millisecond)
		}
		first := <-got
		if batch == 0 {
			assert.Equal(t, 1, first, "without a batch time, the first packet comes alone")
		} else {
			// (The kernel may add an MLD report.)
			assert.GreaterOrEqual(t, first, count, "the packets of the batch time came apart")
		}
		d.Close()
	}
}

// TestRingCloseElsewhere closes a device while another goroutine waits on
// its ring: the Read returns ErrClosed, and the interface is gone when
// Close returns, so its name can be taken again at once.
func TestRingCloseElsewhere(t *testing.T) {
	for _, opts := range []Options{{Ring: true}, {Ring: true, Offload: true, RingBatch: time.Millisecond}} {
		ns, d := openWith(t, 1400, opts)
		errc := make(chan error)
		go func() {
			_, err := d.Read(newBufs(1, 1500), []int{0}, off)
			errc <- err
		}()
		time.Sleep(50 * time.Millisecond) // let Read wait (it passes either way)
		require.NoError(t, d.Close())
		assert.ErrorIs(t, <-errc, ErrClosed)
		ns.Exec(t, func() error {
			d2, err := OpenWithOptions(ifname, 1400, opts)
			if err == nil {
				d2.Close()
			}
			return err
		})
	}
}
