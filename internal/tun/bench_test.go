package tun

import (
	"fmt"
	"testing"
	"time"

	"github.com/transit6/transit6/packet"
)

// BenchmarkWriteRead writes batches of ICMPv6 Echo Requests to the device
// (MTU 9000), which the kernel answers, and reads the replies back: a TUN
// write and a TUN read per packet, with the kernel's IPv6 input and output
// in between. One op is one batch; pkts/s counts packets one way. Mode
// "read" reads with read(2), "ring" through io_uring (Options.Ring).
func BenchmarkWriteRead(b *testing.B) {
	const batch = 32
	modes := []struct {
		name string
		opts Options
	}{{"read", Options{}}, {"ring", Options{Ring: true}}}
	for _, m := range modes {
		for _, size := range []int{64, 576, 1280, 1500, 9000} { // IPv6 packet sizes
			b.Run(fmt.Sprintf("mode=%s/size=%d", m.name, size), func(b *testing.B) {
				_, d := openWith(b, 9000, m.opts)
				wbufs := make([][]byte, batch)
				for i := range wbufs {
					var err error
					wbufs[i], err = packet.AppendEchoRequest(make([]byte, off), peer, local.Addr(), 64, 1, uint16(i), make([]byte, size-48))
					if err != nil {
						b.Fatal(err)
					}
				}
				rbufs, sizes := newBufs(IdealBatchSize, size), make([]int, IdealBatchSize)
				if err := d.SetReadDeadline(time.Now().Add(time.Hour)); err != nil { // liveness guard against a lost packet
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.SetBytes(int64(batch * size))
				for b.Loop() {
					if n, err := d.Write(wbufs, off); n != batch || err != nil {
						b.Fatalf("Write: %d, %v", n, err)
					}
					for got := 0; got < batch; {
						n, err := d.Read(rbufs, sizes, off)
						if err != nil {
							b.Fatalf("Read: %v", err)
						}
						got += n
					}
				}
				b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "pkts/s")
			})
		}
	}
}

// BenchmarkSplit splits a TCP/IPv6 super-packet of 64 KiB into segments
// of each size (IPv6 packet sizes, 40 + 32 bytes of headers included),
// with checksums: what Read does per super-packet.
func BenchmarkSplit(b *testing.B) {
	for _, size := range []int{576, 1280, 1500, 9000} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			f := tcp6Flow()
			f.ts = true
			mss := size - f.hdrLen()
			data := payload(65535 - f.hdrLen())
			super, h := f.super(b, data, mss)
			n, err := Segments(super, h)
			if err != nil {
				b.Fatal(err)
			}
			bufs, sizes := newBufs(n, size), make([]int, n)
			b.ReportAllocs()
			b.SetBytes(int64(len(super)))
			for b.Loop() {
				if k, err := Split(super, h, 0, bufs, sizes, off); k != n || err != nil {
					b.Fatal(k, err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "segs/s")
		})
	}
}

// BenchmarkCoalesce joins 44 TCP/IPv6 segments of each size, checksums
// verified: what Write does per run.
func BenchmarkCoalesce(b *testing.B) {
	for _, size := range []int{576, 1280, 1500} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			f := tcp6Flow()
			mss := size - f.hdrLen()
			n := min(44, (65535-f.hdrLen())/mss)
			segs := atOffset(f.segments(b, payload(n*mss), mss))
			head := append([]byte(nil), segs[0]...)
			b.ReportAllocs()
			b.SetBytes(int64(n * size))
			for b.Loop() {
				copy(segs[0], head)
				if k, _ := Coalesce(segs, off, false); k != n {
					b.Fatal(k)
				}
			}
		})
	}
}
