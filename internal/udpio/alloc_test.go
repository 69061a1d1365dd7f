package udpio

import (
	"net/netip"
	"testing"
	"time"
)

// TestNoAllocs checks the steady state of the data path in every offload
// mode: a WriteBatch and the ReadBatch calls that take its datagrams
// allocate nothing.
func TestNoAllocs(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			w := listenT(t, ListenConfig{Local: loopback, GSO: mode.gso})
			r := listenT(t, ListenConfig{Local: loopback, GRO: mode.gro, RecvBuffer: 1 << 20})
			const batch = 8
			wbufs, to := make([][]byte, batch), make([]netip.AddrPort, batch)
			for i := range wbufs {
				wbufs[i] = datagram(off, 1280, i)
				to[i] = r.LocalAddr()
			}
			rbufs, sizes, from := newBufs(batch, 1500), make([]int, batch), make([]netip.AddrPort, batch)
			if err := r.SetReadDeadline(time.Now().Add(guard)); err != nil {
				t.Fatal(err)
			}
			step := func() {
				if n, err := w.WriteBatch(wbufs, to, off); n != batch || err != nil {
					t.Fatalf("WriteBatch: %d, %v", n, err)
				}
				for got := 0; got < batch; {
					n, err := r.ReadBatch(rbufs, sizes, from, off)
					if err != nil {
						t.Fatalf("ReadBatch: %v", err)
					}
					got += n
				}
			}
			step()
			if allocs := testing.AllocsPerRun(100, step); allocs != 0 {
				t.Errorf("WriteBatch+ReadBatch: %v allocs per run, want 0", allocs)
			}
		})
	}
}
