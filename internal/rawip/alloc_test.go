package rawip

import (
	"testing"

	"github.com/transit6/transit6/packet"
)

// TestNoAllocs checks the steady state of the data path: a WriteBatch from
// A and the ReadBatch in B that takes the packet allocate nothing.
func TestNoAllocs(t *testing.T) {
	a, b := pair(t, 1500)
	ca := listen(t, a, func() (*Conn, error) { return Listen(packet.ProtoIPv6, addrA.Addr()) })
	cb := listen(t, b, func() (*Conn, error) { return Listen(packet.ProtoIPv6, addrB.Addr()) })
	wbufs := [][]byte{proto41(t, addrA.Addr(), addrB.Addr(), 1, 1280-40, 7)}
	rbufs, sizes := newBufs(8, 1500), make([]int, 8)
	step := func() {
		if n, err := ca.WriteBatch(wbufs, off); n != 1 || err != nil {
			t.Fatalf("WriteBatch: %d, %v", n, err)
		}
		// Every write gives at least one packet to read, so this never
		// waits for ever.
		if n, err := cb.ReadBatch(rbufs, sizes, off); n < 1 || err != nil {
			t.Fatalf("ReadBatch: %d, %v", n, err)
		}
	}
	step()
	if allocs := testing.AllocsPerRun(100, step); allocs != 0 {
		t.Errorf("WriteBatch+ReadBatch: %v allocs per run, want 0", allocs)
	}
}
