package iphttps

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkRouterForward measures the router's decision and copy for one
// packet from a client to another client (the queue drained by the
// benchmark, as the writer would), to the native side (no copy) and from the
// native side to a client.
func BenchmarkRouterForward(b *testing.B) {
	for _, size := range []int{40, 576, 1280, 1500, 9000} {
		for _, path := range []string{"client-client", "client-native", "native-client"} {
			b.Run(fmt.Sprintf("%s/%d", path, size), func(b *testing.B) {
				r := newTestRouter(b, nil)
				ss := clients(b, r, 0xa, 0xb)
				a, dst := ss[0], ss[1]
				var p []byte
				switch path {
				case "client-client":
					p = udpPkt(b, addrIn(0xa), addrIn(0xb), size-40)
				case "client-native":
					p = udpPkt(b, addrIn(0xa), netipMust("2001:db8:ffff::1"), size-40)
				case "native-client":
					p = udpPkt(b, netipMust("2001:db8:ffff::1"), addrIn(0xb), size-40)
				}
				b.ReportAllocs()
				b.SetBytes(int64(size))
				for b.Loop() {
					if path == "native-client" {
						r.FromNative(t0, p)
					} else {
						r.FromClient(t0, a, p)
					}
					if run := dst.Peek(1 << 20); len(run) > 0 {
						dst.Release(len(run))
					}
				}
			})
		}
	}
}

// BenchmarkRouterParallel has every goroutine send 1280-byte packets from
// its own client to its own peer, as the connections' readers do, to show
// the cost of the shared table under contention.
func BenchmarkRouterParallel(b *testing.B) {
	r := newTestRouter(b, nil)
	var next atomic.Uint64
	b.ReportAllocs()
	b.SetBytes(1280)
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(2)
		s, err := r.Attach(t0, SessionInfo{})
		if err != nil {
			b.Error(err)
			return
		}
		d, _ := r.Attach(t0, SessionInfo{})
		r.FromClient(t0, s, udpPkt(b, addrIn(i), netipMust("2001:db8:ffff::1"), 8))
		r.FromClient(t0, d, udpPkt(b, addrIn(i+1), netipMust("2001:db8:ffff::1"), 8))
		p := udpPkt(b, addrIn(i), addrIn(i+1), 1240)
		for pb.Next() {
			r.FromClient(t0, s, p)
			if run := d.Peek(1 << 20); len(run) > 0 {
				d.Release(len(run))
			}
		}
	})
}

// countDevice is a native side that counts the packets written to it and
// never has any to read.
type countDevice struct {
	n    atomic.Int64
	done chan struct{}
}

func (d *countDevice) Read([][]byte, []int, int) (int, error) { <-d.done; return 0, os.ErrClosed }
func (d *countDevice) Write(bufs [][]byte, _ int) (int, error) {
	d.n.Add(int64(len(bufs)))
	return len(bufs), nil
}

// BenchmarkSessionTLS measures a whole session over loopback TLS: a client
// (Dial, Conn.Write in batches of 32) sends 1280-byte packets through the
// server (framing, router) to its native side. Compare with
// BenchmarkTLSPipe, the same bytes through a bare TLS connection.
func BenchmarkSessionTLS(b *testing.B) {
	const size, batch = 1280, 32
	dev := &countDevice{done: make(chan struct{})}
	ts := startServer(b, RouterConfig{}, func(s *Server) { s.Native = dev })
	b.Cleanup(func() { close(dev.done) })
	c := ts.dial(b, nil)
	p := udpPkt(b, c.Addr(), netipMust("2001:db8:ffff::1"), size-40)
	bufs := make([][]byte, batch)
	for i := range bufs {
		bufs[i] = p
	}
	b.ReportAllocs()
	b.SetBytes(size * batch)
	start := time.Now()
	sent := int64(0)
	for b.Loop() {
		if _, err := c.Write(bufs, 0); err != nil {
			b.Fatal(err)
		}
		sent += batch
	}
	for dev.n.Load() < sent {
		time.Sleep(100 * time.Microsecond)
	}
	b.ReportMetric(float64(sent)/time.Since(start).Seconds(), "pkts/s")
}

// BenchmarkTLSPipe is the limit BenchmarkSessionTLS is compared with: the
// same 32 × 1280 bytes per operation written to a loopback TLS connection
// whose other end reads and discards them.
func BenchmarkTLSPipe(b *testing.B) {
	const size, batch = 1280, 32
	_, cert := testPKI(b)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	var got atomic.Int64
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			got.Add(int64(n))
			if err != nil {
				return
			}
		}
	}()
	ca, _ := testPKI(b)
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: ca.pool, ServerName: "localhost"})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	w := NewWriter(c, nil)
	p := udpPkt(b, addrIn(1), addrIn(2), size-40)
	pkts := make([][]byte, batch)
	for i := range pkts {
		pkts[i] = p
	}
	b.ReportAllocs()
	b.SetBytes(size * batch)
	start := time.Now()
	sent := int64(0)
	for b.Loop() {
		if err := w.WritePackets(pkts); err != nil {
			b.Fatal(err)
		}
		sent += size * batch
	}
	for got.Load() < sent {
		time.Sleep(100 * time.Microsecond)
	}
	b.ReportMetric(float64(sent/size)/time.Since(start).Seconds(), "pkts/s")
}
