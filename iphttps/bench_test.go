package iphttps

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"math/big"
	"net"
	"strconv"
	"testing"
	"time"
)

// benchSizes are the packet sizes of the benchmarks: header only, minimum
// IPv4 reassembly size, IPv6 minimum MTU (the IP-HTTPS MTU), Ethernet,
// jumbo frame.
var benchSizes = []int{40, 576, 1280, 1500, 9000}

// benchChunks are the read sizes of the source: one TLS record at most
// (what a tls.Conn returns), or as much as asked (a bytes.Reader).
var benchChunks = []struct {
	name string
	n    int
}{{"record", 16384}, {"unbounded", 0}}

// benchSource returns an endless source of size-byte packets.
func benchSource(size, chunk int) *loopReader {
	return &loopReader{data: packetLoop(size, max(64, 4*MaxPacketLen/size)), chunk: chunk}
}

// BenchmarkReaderNext frames one packet per operation with Reader.Next.
func BenchmarkReaderNext(b *testing.B) {
	for _, c := range benchChunks {
		for _, size := range benchSizes {
			b.Run(c.name+"/"+strconv.Itoa(size), func(b *testing.B) {
				src := benchSource(size, c.n)
				r, err := NewReader(src, nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.SetBytes(int64(size))
				for b.Loop() {
					p, err := r.Next()
					if err != nil || len(p) != size {
						b.Fatal(err, len(p))
					}
				}
				b.ReportMetric(float64(src.reads)/float64(b.N), "reads/pkt")
			})
		}
	}
}

// BenchmarkReaderReadBatch copies 8 packets per operation into buffers
// with a headroom, as for a TUN device.
func BenchmarkReaderReadBatch(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			r, err := NewReader(benchSource(size, 16384), nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			const batch, headroom = 8, 10
			bufs := make([][]byte, batch)
			for i := range bufs {
				bufs[i] = make([]byte, headroom+size)
			}
			sizes := make([]int, batch)
			b.ReportAllocs()
			b.SetBytes(int64(batch * size))
			for b.Loop() {
				for got := 0; got < batch; {
					n, err := r.ReadBatch(bufs[got:], sizes[got:], headroom)
					if err != nil {
						b.Fatal(err)
					}
					got += n
				}
			}
		})
	}
}

// BenchmarkNaiveReadFull is the baseline: io.ReadFull of the 40-byte
// header, then of the payload, straight from the source, into a reused
// buffer ("reused") or new ones per packet ("fresh").
func BenchmarkNaiveReadFull(b *testing.B) {
	for _, mode := range []string{"reused", "fresh"} {
		for _, c := range benchChunks {
			for _, size := range benchSizes {
				b.Run(mode+"/"+c.name+"/"+strconv.Itoa(size), func(b *testing.B) {
					src := benchSource(size, c.n)
					naiveBench(b, src, size, mode == "fresh")
					b.ReportMetric(float64(src.reads)/float64(b.N), "reads/pkt")
				})
			}
		}
	}
}

// BenchmarkNaiveBufio is the baseline with a bufio.Reader of
// DefaultReadBufferSize in front of the source, as iphttps.md report
// section 5.3 sketches it.
func BenchmarkNaiveBufio(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			naiveBench(b, bufio.NewReaderSize(benchSource(size, 16384), DefaultReadBufferSize), size, false)
		})
	}
}

func naiveBench(b *testing.B, src io.Reader, size int, fresh bool) {
	buf := make([]byte, MaxPacketLen)
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		hdr := buf[:40]
		if fresh {
			hdr = make([]byte, 40)
		}
		if _, err := io.ReadFull(src, hdr); err != nil {
			b.Fatal(err)
		}
		if hdr[0]>>4 != 6 {
			b.Fatal("not IPv6")
		}
		plen := int(hdr[4])<<8 | int(hdr[5])
		payload := buf[40 : 40+plen]
		if fresh {
			payload = make([]byte, plen)
		}
		if _, err := io.ReadFull(src, payload); err != nil {
			b.Fatal(err)
		}
		if 40+plen != size {
			b.Fatal(plen)
		}
	}
}

func BenchmarkParseRequestHead(b *testing.B) {
	head := hx(b, vecScannerRequestHex)
	opts := &RequestOptions{Path: DefaultPath}
	b.ReportAllocs()
	b.SetBytes(int64(len(head)))
	for b.Loop() {
		if _, _, err := ParseRequestHead(head, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseResponseHead(b *testing.B) {
	head := []byte(vecSpecResponse)
	b.ReportAllocs()
	b.SetBytes(int64(len(head)))
	for b.Loop() {
		if _, _, err := ParseResponseHead(head, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendRequestHead(b *testing.B) {
	f := &RequestFields{Host: "da.example.com"}
	dst := make([]byte, 0, SizeRequestHead(f))
	b.ReportAllocs()
	b.SetBytes(int64(cap(dst)))
	for b.Loop() {
		if _, err := AppendRequestHead(dst, f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendResponseHead(b *testing.B) {
	dst := make([]byte, 0, SizeResponseHead(""))
	date := time.Date(2008, 8, 10, 3, 51, 52, 0, time.UTC)
	b.ReportAllocs()
	b.SetBytes(int64(cap(dst)))
	for b.Loop() {
		if _, err := AppendResponseHead(dst, "", date); err != nil {
			b.Fatal(err)
		}
	}
}

// benchBatch returns n packets of size bytes.
func benchBatch(size, n int) [][]byte {
	data := packetLoop(size, n)
	pkts := make([][]byte, n)
	for i := range pkts {
		pkts[i] = data[i*size : (i+1)*size]
	}
	return pkts
}

// BenchmarkWriter writes batches of 16 packets to io.Discard: the cost of
// checking and coalescing alone.
func BenchmarkWriter(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			pkts := benchBatch(size, 16)
			w := NewWriter(io.Discard, nil)
			b.ReportAllocs()
			b.SetBytes(int64(16 * size))
			for b.Loop() {
				if err := w.WritePackets(pkts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchConn returns the client end of a loopback TCP connection, wrapped in
// TLS 1.3 if useTLS, whose server end discards everything.
func benchConn(b *testing.B, useTLS bool) net.Conn {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Skip("no loopback TCP:", err)
	}
	var cfg *tls.Config
	if useTLS {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Unix(0, 0), NotAfter: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
			DNSNames: []string{"bench"}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			b.Fatal(err)
		}
		cfg = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		ln.Close()
		if err != nil {
			return
		}
		if useTLS {
			c = tls.Server(c, cfg)
		}
		io.Copy(io.Discard, c)
		c.Close()
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	if useTLS {
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true})
		if err := tc.Handshake(); err != nil {
			b.Fatal(err)
		}
		c = tc
	}
	b.Cleanup(func() { c.Close(); <-done })
	return c
}

// BenchmarkWriterConn compares, over loopback TCP and TLS, three ways to
// send a batch of 16 packets of 1280 bytes: one Write per packet,
// net.Buffers (writev on TCP, one Write per packet on TLS) and the Writer
// (one coalesced Write). It justifies the Writer's design; the numbers
// depend on the machine and its load.
func BenchmarkWriterConn(b *testing.B) {
	const size, batch = 1280, 16
	for _, useTLS := range []bool{false, true} {
		transport := "tcp"
		if useTLS {
			transport = "tls"
		}
		for _, mode := range []string{"per-packet", "net.Buffers", "Writer"} {
			b.Run(transport+"/"+mode, func(b *testing.B) {
				c := benchConn(b, useTLS)
				pkts := benchBatch(size, batch)
				w := NewWriter(c, nil)
				bufs := make(net.Buffers, batch)
				b.ReportAllocs()
				b.SetBytes(size * batch)
				for b.Loop() {
					var err error
					switch mode {
					case "per-packet":
						for _, p := range pkts {
							if _, err = c.Write(p); err != nil {
								break
							}
						}
					case "net.Buffers":
						copy(bufs[:batch], pkts)
						v := bufs[:batch]
						_, err = v.WriteTo(c)
					case "Writer":
						err = w.WritePackets(pkts)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
