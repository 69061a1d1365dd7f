package packet

import (
	"fmt"
	"net/netip"
	"testing"
)

var (
	benchSink16 uint16
	benchErr    error
)

// benchSizes are the packet sizes the house benchmarks sweep: an IPv6
// header, the IPv4 minimum MTU, the IPv6 minimum MTU, Ethernet, jumbo.
var benchSizes = []int{40, 576, 1280, 1500, 9000}

func BenchmarkChecksum(b *testing.B) {
	for _, n := range []int{20, 40, 64, 576, 1280, 1500, 9000} {
		buf := make([]byte, n)
		for i := range buf {
			buf[i] = byte(i*7 + 3)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				benchSink16 = Checksum(buf, 0)
			}
		})
	}
}

// BenchmarkChecksumUnaligned starts the data one byte into the buffer.
func BenchmarkChecksumUnaligned(b *testing.B) {
	buf := make([]byte, 1501)
	b.ReportAllocs()
	b.SetBytes(1500)
	for b.Loop() {
		benchSink16 = Checksum(buf[1:], 0)
	}
}

func BenchmarkChecksumReference(b *testing.B) {
	for _, n := range []int{40, 1500} {
		buf := make([]byte, n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				benchSink16 = checksumReference(buf, 0)
			}
		})
	}
}

func BenchmarkParseIPv4(b *testing.B) {
	pkt := hexv(b, p41v1)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	var h IPv4
	for b.Loop() {
		benchErr = h.Decode(pkt)
	}
}

func BenchmarkIPv4Encode(b *testing.B) {
	h := IPv4Header{DontFragment: true, TTL: 64, Protocol: ProtoIPv6,
		Src: netip.MustParseAddr("192.0.2.4"), Dst: netip.MustParseAddr("198.51.100.7")}
	buf := make([]byte, IPv4HeaderLen)
	b.ReportAllocs()
	b.SetBytes(IPv4HeaderLen)
	for b.Loop() {
		benchErr = h.Encode(buf, 1280)
	}
}

func BenchmarkPrependIPv4(b *testing.B) {
	h := IPv4Header{DontFragment: true, TTL: 64, Protocol: ProtoIPv6,
		Src: netip.MustParseAddr("192.0.2.4"), Dst: netip.MustParseAddr("198.51.100.7")}
	buf := make([]byte, Proto41Headroom+1280)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		_, benchErr = PrependIPv4(buf, Proto41Headroom, &h)
	}
}

func BenchmarkUDPEncode4(b *testing.B) {
	src, dst := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.2")
	h := UDPHeader{SrcPort: 3544, DstPort: 40000}
	for _, n := range benchSizes {
		buf := make([]byte, UDPHeaderLen+n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				benchErr = h.Encode4(buf, src, dst)
			}
		})
	}
}

func BenchmarkParseUDPVerify4(b *testing.B) {
	src, dst := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.2")
	for _, n := range benchSizes {
		buf := make([]byte, UDPHeaderLen+n)
		for i := range buf {
			buf[i] = byte(i)
		}
		if err := (UDPHeader{SrcPort: 3544, DstPort: 40000}).Encode4(buf, src, dst); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(buf)))
			var u UDP
			for b.Loop() {
				if err := u.Decode(buf); err != nil {
					b.Fatal(err)
				}
				benchErr = u.VerifyChecksum4(src, dst)
			}
		})
	}
}
