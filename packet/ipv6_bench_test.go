package packet

import (
	"strconv"
	"testing"
)

// i6BenchSizes are the packet sizes of the benchmarks: minimum header,
// minimum IPv4 reassembly size, IPv6 minimum MTU, Ethernet, jumbo frame.
var i6BenchSizes = []int{40, 576, 1280, 1500, 9000}

// i6BenchPacket returns an IPv6 packet of n bytes: a Destination Options
// header and UDP when there is room, else a bare header.
func i6BenchPacket(n int) []byte {
	if n < 56 {
		return i6Raw(0x60000000, ProtoNoNext, 64, "2001:db8::1", "2001:db8::2", make([]byte, n-40))
	}
	return i6Chain([]i6Ext{{ProtoIPv6Opts, i6PadN}}, ProtoUDP, make([]byte, n-48))
}

func BenchmarkParseIPv6(b *testing.B) {
	for _, n := range i6BenchSizes {
		pkt := i6BenchPacket(n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				h, err := ParseIPv6(pkt)
				if err != nil {
					b.Fatal(err)
				}
				i6SinkView = h
			}
		})
	}
}

func BenchmarkParseIPv6UpperLayer(b *testing.B) {
	for _, n := range i6BenchSizes {
		pkt := i6BenchPacket(n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				h, err := ParseIPv6(pkt)
				if err != nil {
					b.Fatal(err)
				}
				i6SinkU8, i6SinkInt, i6SinkErr = h.UpperLayer()
			}
		})
	}
}

func BenchmarkIPv6PacketLen(b *testing.B) {
	pkt := i6BenchPacket(1280)
	b.ReportAllocs()
	b.SetBytes(6)
	for b.Loop() {
		i6SinkInt, i6SinkErr = IPv6PacketLen(pkt)
	}
}

func BenchmarkPrependIPv6(b *testing.B) {
	for _, n := range i6BenchSizes {
		buf := make([]byte, MaxHeadroom+n-40)
		h := IPv6Header{NextHeader: ProtoUDP, HopLimit: 64, Src: ic6G1, Dst: ic6G2}
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				i6SinkBytes, i6SinkErr = PrependIPv6(buf, MaxHeadroom, &h)
			}
		})
	}
}
