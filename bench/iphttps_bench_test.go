package bench

import (
	"fmt"
	"testing"
)

// Run them alone (see README.md):
//
//	go test -run '^$' -bench Framing -benchmem -count 10 .

// framingReads are the read sizes of the source: 16 KiB, one TLS record of
// plaintext, which is the most a tls.Conn returns per Read (RFC 8446 §5.1,
// RFC 5246 §6.2.1); and "all", as much as the framer asks for, one read
// filling its buffer (or the rest of the stream, which then loops).
var framingReads = []struct {
	name  string
	chunk int
}{{"16KiB", 16 << 10}, {"all", 0}}

// BenchmarkFraming splits an endless stream of size-byte IPv6 packets,
// one packet per operation: iphttps.Reader.Next (one buffer, packets
// returned in place), the naive framer (io.ReadFull of the 40-byte header
// and then of the payload, into one reused buffer) and the naive framer
// behind a bufio.Reader. Every framer checks that the packet has the
// expected length. reads/pkt is the number of source Read calls per
// packet.
func BenchmarkFraming(b *testing.B) {
	for _, rd := range framingReads {
		for _, size := range SizesIPHTTPS {
			stream := benchStream(size)
			for _, fr := range framers {
				b.Run(fmt.Sprintf("read=%s/size=%d/impl=%s", rd.name, size, fr.name), func(b *testing.B) {
					src := &chunkReader{data: stream, chunk: rd.chunk, loop: true}
					next, err := fr.open(src, nil)
					if err != nil {
						b.Fatal(err)
					}
					b.ReportAllocs()
					b.SetBytes(int64(size))
					for b.Loop() {
						p, err := next()
						if err != nil || len(p) != size {
							b.Fatal(err, len(p))
						}
					}
					b.ReportMetric(float64(src.reads)/float64(b.N), "reads/pkt")
				})
			}
		}
	}
}
