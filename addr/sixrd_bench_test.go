package addr_test

import (
	"net/netip"
	"strconv"
	"testing"

	"github.com/transit6/transit6/addr"
)

var (
	benchSixRD = addr.SixRD{Prefix: netip.MustParsePrefix("2001:2003:f400::/38"), IPv4MaskLen: 14}
	benchCE    = netip.MustParseAddr("84.240.100.100")
	benchDst   = netip.MustParseAddr("2001:2003:f464:6400::1")

	benchPrefixSink netip.Prefix
	benchAddrSink   netip.Addr
	benchOptSink    addr.Option6RD
	benchBytesSink  []byte
)

func BenchmarkSixRDDelegatedPrefix(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		benchPrefixSink, _ = benchSixRD.DelegatedPrefix(benchCE)
	}
}

func BenchmarkSixRDIPv4For(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		benchAddrSink, _ = benchSixRD.IPv4For(benchDst, benchCE)
	}
}

// benchOption6RD returns an OPTION_6RD body with n border relays.
func benchOption6RD(b *testing.B, n int) []byte {
	c := benchSixRD
	for i := range n {
		c.BorderRelays = append(c.BorderRelays, netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}))
	}
	enc, err := addr.AppendOption6RD(nil, c)
	if err != nil {
		b.Fatal(err)
	}
	return enc[2:]
}

// Sizes are relay counts: the usual one, a pair, and the 59 that fill the
// option.
var benchRelayCounts = []int{1, 2, 8, addr.Option6RDMaxRelays}

func BenchmarkParseOption6RD(b *testing.B) {
	for _, n := range benchRelayCounts {
		b.Run("relays="+strconv.Itoa(n), func(b *testing.B) {
			body := benchOption6RD(b, n)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				benchOptSink, _ = addr.ParseOption6RD(body)
			}
		})
	}
}

func BenchmarkOption6RDAppendRelays(b *testing.B) {
	for _, n := range benchRelayCounts {
		b.Run("relays="+strconv.Itoa(n), func(b *testing.B) {
			o, err := addr.ParseOption6RD(benchOption6RD(b, n))
			if err != nil {
				b.Fatal(err)
			}
			dst := make([]netip.Addr, 0, n)
			b.SetBytes(int64(4 * n))
			b.ReportAllocs()
			for b.Loop() {
				dst = o.AppendRelays(dst[:0])
			}
		})
	}
}

func BenchmarkAppendOption6RD(b *testing.B) {
	for _, n := range benchRelayCounts {
		b.Run("relays="+strconv.Itoa(n), func(b *testing.B) {
			o, err := addr.ParseOption6RD(benchOption6RD(b, n))
			if err != nil {
				b.Fatal(err)
			}
			c := o.Config()
			buf := make([]byte, 0, addr.SizeOption6RD(c))
			b.SetBytes(int64(cap(buf)))
			b.ReportAllocs()
			for b.Loop() {
				benchBytesSink, _ = addr.AppendOption6RD(buf[:0], c)
			}
		})
	}
}
