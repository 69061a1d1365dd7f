package packet

import (
	"fmt"
	"testing"
)

// benchEncapsulated is a sink for the parsed views, stored once after the
// loop: a store in every iteration to a global whose address shares its
// low 12 bits with the packet's makes the next loads wait (4K aliasing),
// which doubled some sizes' figures.
var benchEncapsulated Encapsulated

// BenchmarkParseIPv6InIPv4 sweeps benchSizes as the size of the inner IPv6
// packet; the fused parser against the sequence of calls it replaces
// (refEncapsulated, which the tests hold it to).
func BenchmarkParseIPv6InIPv4(b *testing.B) {
	for _, n := range benchSizes {
		if n > IPv4MaxLen-IPv4HeaderLen {
			continue
		}
		pkt := encap6in4(b, n-IPv6HeaderLen, nil)
		b.Run(fmt.Sprintf("size=%d/fused", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(pkt)))
			var e Encapsulated
			var err error
			for b.Loop() {
				e, err = ParseIPv6InIPv4(pkt)
			}
			benchEncapsulated, benchErr = e, err
		})
		b.Run(fmt.Sprintf("size=%d/sequence", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(pkt)))
			for b.Loop() {
				_, _, _, benchErr = refEncapsulated(pkt, ProtoIPv6)
			}
		})
	}
}

// BenchmarkParseIPv6InUDP4 is BenchmarkParseIPv6InIPv4 for IPv6 in UDP.
func BenchmarkParseIPv6InUDP4(b *testing.B) {
	for _, n := range benchSizes {
		pkt := encapTeredo(b, n-IPv6HeaderLen, nil)
		b.Run(fmt.Sprintf("size=%d/fused", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(pkt)))
			var e Encapsulated
			var err error
			for b.Loop() {
				e, err = ParseIPv6InUDP4(pkt)
			}
			benchEncapsulated, benchErr = e, err
		})
		b.Run(fmt.Sprintf("size=%d/sequence", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(pkt)))
			for b.Loop() {
				_, _, _, benchErr = refEncapsulated(pkt, ProtoUDP)
			}
		})
	}
}
