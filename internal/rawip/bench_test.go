package rawip

import (
	"fmt"
	"testing"
	"time"

	"github.com/transit6/transit6/packet"
)

// BenchmarkWriteReadBatch sends batches of protocol-41 packets from A to B
// across a veth pair (MTU 9000) and reads each batch in B before sending
// the next: the raw-socket half of the tunnel path, both kernels included.
// One op is one batch; pkts/s counts packets.
func BenchmarkWriteReadBatch(b *testing.B) {
	const batch = 32
	for _, size := range []int{60, 576, 1280, 1500, 9000} { // outer IPv4 packet sizes
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			na, nb := pair(b, 9000)
			ca := listen(b, na, func() (*Conn, error) { return Listen(packet.ProtoIPv6, addrA.Addr()) })
			cb := listen(b, nb, func() (*Conn, error) { return Listen(packet.ProtoIPv6, addrB.Addr()) })
			if err := cb.SetReadBuffer(8 << 20); err != nil {
				b.Fatal(err)
			}
			wbufs := make([][]byte, batch)
			for i := range wbufs {
				wbufs[i] = proto41(b, addrA.Addr(), addrB.Addr(), uint16(i+1), size-60, byte(i))
			}
			rbufs, sizes := newBufs(batch, size), make([]int, batch)
			if err := cb.SetReadDeadline(time.Now().Add(time.Hour)); err != nil { // liveness guard against a lost packet
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(batch * size))
			for b.Loop() {
				if n, err := ca.WriteBatch(wbufs, off); n != batch || err != nil {
					b.Fatalf("WriteBatch: %d, %v", n, err)
				}
				for got := 0; got < batch; {
					n, err := cb.ReadBatch(rbufs, sizes, off)
					if err != nil {
						b.Fatalf("ReadBatch: %v", err)
					}
					got += n
				}
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "pkts/s")
		})
	}
}
