package udpio

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"
)

// benchSize is a Teredo data packet: a 1280-byte IPv6 packet (the IPv6
// minimum MTU, RFC 8200 §5, which the Teredo interface uses) as one UDP
// payload.
const benchSize = 1280

// BenchmarkWriteReadBatch sends batches of 1280-byte datagrams from one
// Conn to another over loopback and reads each batch before sending the
// next: both socket paths of the kernel are included. One op is one batch;
// ns/dgram is the time per datagram.
func BenchmarkWriteReadBatch(b *testing.B) {
	for _, mode := range modes {
		for _, batch := range []int{1, 8, 64} {
			b.Run(fmt.Sprintf("%s/batch=%d", mode.name, batch), func(b *testing.B) {
				w := listenT(b, ListenConfig{Local: loopback, GSO: mode.gso})
				r := listenT(b, ListenConfig{Local: loopback, GRO: mode.gro, RecvBuffer: 8 << 20})
				wbufs, to := make([][]byte, batch), make([]netip.AddrPort, batch)
				for i := range wbufs {
					wbufs[i] = datagram(off, benchSize, i)
					to[i] = r.LocalAddr()
				}
				rbufs, sizes, from := newBufs(batch, 1500), make([]int, batch), make([]netip.AddrPort, batch)
				if err := r.SetReadDeadline(time.Now().Add(time.Hour)); err != nil { // liveness guard against a lost datagram
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.SetBytes(int64(batch * benchSize))
				for b.Loop() {
					if n, err := w.WriteBatch(wbufs, to, off); n != batch || err != nil {
						b.Fatalf("WriteBatch: %d, %v", n, err)
					}
					for got := 0; got < batch; {
						n, err := r.ReadBatch(rbufs, sizes, from, off)
						if err != nil {
							b.Fatalf("ReadBatch: %v", err)
						}
						got += n
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(batch*b.N), "ns/dgram")
			})
		}
	}
}

// BenchmarkNetUDPConn is the baseline: the same traffic through
// net.UDPConn, one datagram per system call each way.
func BenchmarkNetUDPConn(b *testing.B) {
	for _, batch := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			w, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(loopback))
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			r, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(loopback))
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			if err := r.SetReadBuffer(8 << 20); err != nil {
				b.Fatal(err)
			}
			to := r.LocalAddr().(*net.UDPAddr).AddrPort()
			wbufs := make([][]byte, batch)
			for i := range wbufs {
				wbufs[i] = datagram(0, benchSize, i)
			}
			rbuf := make([]byte, 1500)
			if err := r.SetReadDeadline(time.Now().Add(time.Hour)); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(batch * benchSize))
			for b.Loop() {
				for _, p := range wbufs {
					if _, err := w.WriteToUDPAddrPort(p, to); err != nil {
						b.Fatal(err)
					}
				}
				for range batch {
					if _, _, err := r.ReadFromUDPAddrPort(rbuf); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(batch*b.N), "ns/dgram")
		})
	}
}
