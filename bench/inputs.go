package bench

import (
	"fmt"
	"net/netip"

	"github.com/transit6/transit6/packet"
)

// The addresses and fields of every input. Documentation ranges (RFC 5737,
// RFC 3849) plus the RFC 4380 example Teredo address.
var (
	outerSrc  = netip.MustParseAddr("192.0.2.1")
	outerDst  = netip.MustParseAddr("198.51.100.2")
	innerSrc  = netip.MustParseAddr("2002:c000:201::1")
	innerDst  = netip.MustParseAddr("2001:db8::2")
	teredoSrc = netip.MustParseAddr("2001:0:4136:e378:8000:63bf:3fff:fdd2")
)

const (
	outerTTL      = 64
	innerHopLimit = 63
	clientPort    = 40000
	innerSrcPort  = 5353
	innerDstPort  = 9
)

// Input is one benchmark packet with the Decoded every adapter must produce
// from it, derived from the fields the packet was built from.
type Input struct {
	Size int // total length of the outer IPv4 packet
	Pkt  []byte
	Want Decoded
}

// Sizes6in4 and SizesTeredo are the total lengths of the inputs: the
// smallest IPv6 packet carrying an empty UDP datagram (IPv6 40 + UDP 8) in
// each encapsulation, the IPv4 minimum reassembly size (576), the IPv6
// minimum MTU (1280) and the Ethernet MTU (1500).
var (
	Sizes6in4   = []int{68, 576, 1280, 1500}
	SizesTeredo = []int{76, 576, 1280, 1500}
)

// New6in4 builds an IPv4(protocol 41)+IPv6+UDP packet of total length size
// with packet's builders: every checksum is valid.
func New6in4(size int) (Input, error) {
	const off = packet.IPv4HeaderLen + packet.IPv6HeaderLen + packet.UDPHeaderLen
	if size < off {
		return Input{}, fmt.Errorf("bench: 6in4 input of %d bytes: at least %d", size, off)
	}
	buf := make([]byte, size)
	fillPayload(buf[off:])
	inner := buf[packet.IPv4HeaderLen:]
	if err := innerPacket(inner, innerSrc); err != nil {
		return Input{}, err
	}
	h4 := packet.IPv4Header{ID: 0x1234, DontFragment: true, TTL: outerTTL, Protocol: packet.ProtoIPv6,
		Src: outerSrc, Dst: outerDst}
	pkt, err := packet.PrependIPv4(buf, packet.IPv4HeaderLen, &h4)
	if err != nil {
		return Input{}, err
	}
	return Input{Size: size, Pkt: pkt, Want: Decoded{
		OuterSrc: outerSrc.As4(), OuterDst: outerDst.As4(), TotalLen: uint16(size), Protocol: 41, TTL: outerTTL,
		InnerSrc: innerSrc.As16(), InnerDst: innerDst.As16(), PayloadLen: uint16(size - 60), NextHeader: 17,
		HopLimit: innerHopLimit,
	}}, nil
}

// NewTeredo builds an IPv4+UDP(to port 3544)+IPv6+UDP packet of total
// length size with packet's builders: every checksum is valid.
func NewTeredo(size int) (Input, error) {
	const hdr = packet.IPv4HeaderLen + packet.UDPHeaderLen
	const off = hdr + packet.IPv6HeaderLen + packet.UDPHeaderLen
	if size < off {
		return Input{}, fmt.Errorf("bench: Teredo input of %d bytes: at least %d", size, off)
	}
	buf := make([]byte, size)
	fillPayload(buf[off:])
	if err := innerPacket(buf[hdr:], teredoSrc); err != nil {
		return Input{}, err
	}
	if _, err := packet.PrependUDP4(buf, hdr, packet.UDPHeader{SrcPort: clientPort, DstPort: teredoPort},
		outerSrc, outerDst); err != nil {
		return Input{}, err
	}
	h4 := packet.IPv4Header{ID: 0x1234, TTL: outerTTL, Protocol: packet.ProtoUDP, Src: outerSrc, Dst: outerDst}
	pkt, err := packet.PrependIPv4(buf, packet.IPv4HeaderLen, &h4)
	if err != nil {
		return Input{}, err
	}
	return Input{Size: size, Pkt: pkt, Want: Decoded{
		OuterSrc: outerSrc.As4(), OuterDst: outerDst.As4(), TotalLen: uint16(size), Protocol: 17, TTL: outerTTL,
		SrcPort: clientPort, DstPort: teredoPort, UDPLen: uint16(size - 20),
		InnerSrc: teredoSrc.As16(), InnerDst: innerDst.As16(), PayloadLen: uint16(size - 68), NextHeader: 17,
		HopLimit: innerHopLimit,
	}}, nil
}

// innerPacket writes an IPv6 header and a UDP header into b[:48] in front
// of the payload at b[48:].
func innerPacket(b []byte, src netip.Addr) error {
	const off = packet.IPv6HeaderLen + packet.UDPHeaderLen
	if _, err := packet.PrependUDP6(b, off, packet.UDPHeader{SrcPort: innerSrcPort, DstPort: innerDstPort},
		src, innerDst); err != nil {
		return err
	}
	h6 := packet.IPv6Header{NextHeader: packet.ProtoUDP, HopLimit: innerHopLimit, Src: src, Dst: innerDst}
	_, err := packet.PrependIPv6(b, packet.IPv6HeaderLen, &h6)
	return err
}

// fillPayload fills b with a fixed, non-zero pattern.
func fillPayload(b []byte) {
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
}

// BuildSpec is the header the build benchmarks write: a protocol-41 header
// in front of the 1260-byte IPv6 packet of a 1280-byte input.
var BuildSpec = HeaderSpec{
	ID: 0x1234, DontFragment: true, TTL: outerTTL, Protocol: protoIPv6,
	Src: outerSrc, Dst: outerDst, PayloadLen: 1260,
}
