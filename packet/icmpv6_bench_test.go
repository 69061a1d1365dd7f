package packet

import "testing"

func BenchmarkParseICMPv6RA(b *testing.B) {
	pkt := i6Hex(b, i6VecRA)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		ip, err := ParseIPv6(pkt)
		if err != nil {
			b.Fatal(err)
		}
		m, err := ParseICMPv6(ip)
		if err != nil {
			b.Fatal(err)
		}
		ra, err := ParseRouterAdvertisement(m)
		if err != nil {
			b.Fatal(err)
		}
		ic6SinkPI, i6SinkInt = ra.PrefixInfo()
		i6SinkU32, i6SinkBool = ra.MTU()
	}
}

func BenchmarkAppendRouterAdvertisement(b *testing.B) {
	raf := &RAFields{CurHopLimit: 64, RouterLifetime: 1800, Prefixes: []PrefixInfo{ic6VecRAPrefix}, MTU: 1280}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(96)
	for b.Loop() {
		var err error
		i6SinkBytes, err = AppendRouterAdvertisement(buf[:0], ic6LL1, ic6AllNodes, raf)
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendPacketTooBig(b *testing.B) {
	invoking := ic6Invoking(1500)
	buf := make([]byte, 0, 1280)
	b.ReportAllocs()
	b.SetBytes(1280)
	for b.Loop() {
		var err error
		i6SinkBytes, err = AppendPacketTooBig(buf[:0], ic6G1, ic6G2, 64, 1280, invoking)
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPrependICMPv6Error(b *testing.B) {
	buf := make([]byte, ICMPv6ErrorHeadroom+1500)
	copy(buf[ICMPv6ErrorHeadroom:], ic6Invoking(1500))
	b.ReportAllocs()
	b.SetBytes(1280)
	for b.Loop() {
		var err error
		i6SinkBytes, err = PrependICMPv6Error(buf, ICMPv6ErrorHeadroom, ic6G1, ic6G2, 64, ICMPv6PacketTooBig, 0, 1280)
		if err != nil {
			b.Fatal(err)
		}
	}
}
