package packet

import (
	"net/netip"
	"testing"
)

// TestNoAllocs asserts that every hot path runs without allocating.
func TestNoAllocs(t *testing.T) {
	pkt := hexv(t, p41v1)
	src4, dst4 := netip.MustParseAddr("192.0.2.4"), netip.MustParseAddr("198.51.100.7")
	src6, dst6 := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	hdr := IPv4Header{DontFragment: true, TTL: 64, Protocol: ProtoIPv6, Src: src4, Dst: dst4}
	out := make([]byte, 0, 64)
	buf := make([]byte, MaxHeadroom+1280)
	dgram := make([]byte, 8+512)
	udpHdr := UDPHeader{SrcPort: 3544, DstPort: 40000}
	var (
		v    IPv4
		u    UDP
		err  error
		sink uint64
	)
	if err := udpHdr.Encode4(dgram, src4, dst4); err != nil {
		t.Fatal(err)
	}
	udp4, _ := ParseUDP(dgram)
	dgram6 := append([]byte{}, dgram...)
	if err := udpHdr.Encode6(dgram6, src6, dst6); err != nil {
		t.Fatal(err)
	}
	udp6, _ := ParseUDP(dgram6)
	parsed, _ := ParseIPv4(pkt)
	teredo := encapTeredo(t, 512, nil)
	var enc Encapsulated

	tests := []struct {
		name string
		fn   func()
	}{
		{"ParseIPv4", func() { v, err = ParseIPv4(pkt) }},
		{"IPv4.Decode", func() { err = v.Decode(pkt) }},
		{"IPv4 accessors", func() {
			h := parsed
			sink += uint64(h.Version()) + uint64(h.HeaderLen()) + uint64(h.TotalLen()) + uint64(h.TOS()) +
				uint64(h.DSCP()) + uint64(h.ECN()) + uint64(h.ID()) + uint64(h.FragmentOffset()) +
				uint64(h.TTL()) + uint64(h.Protocol()) + uint64(h.Checksum()) +
				uint64(len(h.Options())+len(h.Header())+len(h.Payload())+len(h.Bytes()))
			if h.DontFragment() || h.MoreFragments() || h.IsFragment() || h.ReservedFlag() || h.IsValid() {
				sink++
			}
			if h.Src().Is4() && h.Dst().Is4() {
				sink++
			}
			sink += uint64(h.Fields().TTL)
		}},
		{"IPv4Header.Encode", func() { err = hdr.Encode(buf, 40) }},
		{"IPv4Header.AppendTo with capacity", func() { out, err = hdr.AppendTo(out[:0], 40) }},
		{"PrependIPv4", func() { _, err = PrependIPv4(buf, MaxHeadroom, &hdr) }},
		{"ParseUDP", func() { u, err = ParseUDP(dgram) }},
		{"UDP.Decode", func() { err = u.Decode(dgram) }},
		{"UDP accessors", func() {
			sink += uint64(udp4.SrcPort()) + uint64(udp4.DstPort()) + uint64(udp4.Length()) + uint64(udp4.Checksum()) +
				uint64(len(udp4.Header())+len(udp4.Payload())+len(udp4.Bytes()))
		}},
		{"UDPHeader.Encode4", func() { err = udpHdr.Encode4(dgram, src4, dst4) }},
		{"UDPHeader.Encode6", func() { err = udpHdr.Encode6(dgram6, src6, dst6) }},
		{"PrependUDP4", func() { _, err = PrependUDP4(buf, MaxHeadroom, udpHdr, src4, dst4) }},
		{"PrependUDP6", func() { _, err = PrependUDP6(buf, MaxHeadroom, udpHdr, src6, dst6) }},
		{"AppendUDP4 with capacity", func() { out, err = AppendUDP4(out[:0], udpHdr, src4, dst4, pkt[:40]) }},
		{"AppendUDP6 with capacity", func() { out, err = AppendUDP6(out[:0], udpHdr, src6, dst6, pkt[:40]) }},
		{"VerifyChecksum4", func() { err = udp4.VerifyChecksum4(src4, dst4) }},
		{"VerifyChecksum6", func() { err = udp6.VerifyChecksum6(src6, dst6) }},
		{"VerifyChecksum4 bad", func() { err = udp4.VerifyChecksum4(dst4, src4.Next()) }},
		{"Checksum", func() { sink += uint64(Checksum(buf, 0)) }},
		{"Combine", func() { sink += uint64(Combine(uint16(sink), 7)) }},
		{"PseudoHeaderChecksum4", func() { sink += uint64(PseudoHeaderChecksum4(ProtoUDP, src4, dst4, 520)) }},
		{"PseudoHeaderChecksum6", func() { sink += uint64(PseudoHeaderChecksum6(ProtoUDP, src6, dst6, 520)) }},
		{"UpdateChecksum", func() { sink += uint64(UpdateChecksum(0x4e5a, 0x4029, 0x3f29)) }},
		{"UpdateChecksum32", func() { sink += uint64(UpdateChecksum32(0x4e5a, 0xc0000204, 0xc0000205)) }},
		{"ECN", func() {
			e, _ := DecapsulateECN(EncapsulateECN(CE, ECNNormal), ECT0)
			e2, _ := DecapsulateECNLinux(ECT1, ECT0)
			e3, _ := IPv4ECN(pkt)
			sink += uint64(e+e2+e3) + uint64(SetTOSECN(0xb8, TOSECN(0x03)))
			SetIPv4ECN(pkt, NotECT)
		}},
		{"ECN drop error", func() { _, err = DecapsulateECN(CE, NotECT) }},
		{"ParseIPv6InIPv4", func() { enc, err = ParseIPv6InIPv4(pkt) }},
		{"ParseIPv6InUDP4", func() { enc, err = ParseIPv6InUDP4(teredo) }},
		{"ParseIPv6InUDP4 error", func() { enc, err = ParseIPv6InUDP4(pkt) }},
		{"Encapsulated accessors", func() {
			sink += uint64(enc.Outer().TotalLen()) + uint64(enc.UDP().Length()) + uint64(enc.Inner().PayloadLen()) +
				uint64(len(enc.Inner().Trailer()))
			if enc.IsValid() {
				sink++
			}
		}},
		{"ParseIPv4 error", func() { v, err = ParseIPv4(pkt[:10]) }},
		{"ParseUDP error", func() { u, err = ParseUDP(dgram[:4]) }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", tt.name, n)
		}
	}
	_, _, _, _, _ = v, u, enc, sink, err
}
