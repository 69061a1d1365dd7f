package bench

import (
	"github.com/transit6/transit6/packet"
)

// packetImpl is transit6's packet package: ParseIPv6InIPv4 and
// ParseIPv6InUDP4, which make in one pass the checks of ParseIPv4 (version,
// IHL, Total Length against the header and the buffer, header checksum),
// the fragment and protocol checks, ParseUDP (Length against 8 and the
// buffer) for Teredo, and ParseIPv6 (version, Payload Length against the
// buffer, and the refusal of RFC 2675 jumbograms, which no peer does; see
// quirks.go). The packet tests hold the fused parsers to that sequence of
// calls (TestEncapsulatedAgrees, FuzzParseIPv6InIPv4, FuzzParseIPv6InUDP4);
// an earlier version of this adapter made the calls itself, 7.4 to 8.8 ns
// where the fused parsers take 6.6 to 7.1 (bench/README.md).
//
// The fields are read with the views' accessors (Outer, UDP, Inner, then
// those of IPv4, UDP and IPv6); the addresses, which the accessors return
// as netip.Addr, as the bytes of the header (IPv4.Header bytes 12 to 19,
// RFC 791 §3.1; IPv6.Header bytes 8 to 39, RFC 8200 §3), the form Decoded
// holds. Converting the netip.Addr back (As4, As16) would be work no other
// adapter does; As16 also copies its result through memory in a way that
// stalls store forwarding. Like every adapter it stores field by field.
func packetImpl() Impl {
	return Impl{
		Name:         "packet",
		Decode6in4:   decodePacket6in4,
		DecodeTeredo: decodePacketTeredo,
	}
}

func decodePacket6in4(pkt []byte, out *Decoded) error {
	e, err := packet.ParseIPv6InIPv4(pkt)
	if err != nil {
		return err
	}
	ip, ip6 := e.Outer(), e.Inner()
	h, h6 := ip.Header(), ip6.Header()
	out.OuterSrc = [4]byte(h[12:16])
	out.OuterDst = [4]byte(h[16:20])
	out.TotalLen = uint16(ip.TotalLen())
	out.Protocol = ip.Protocol()
	out.TTL = ip.TTL()
	out.SrcPort, out.DstPort, out.UDPLen = 0, 0, 0
	out.InnerSrc = [16]byte(h6[8:24])
	out.InnerDst = [16]byte(h6[24:40])
	out.PayloadLen = uint16(ip6.PayloadLen())
	out.NextHeader = ip6.NextHeader()
	out.HopLimit = ip6.HopLimit()
	return nil
}

func decodePacketTeredo(pkt []byte, out *Decoded) error {
	e, err := packet.ParseIPv6InUDP4(pkt)
	if err != nil {
		return err
	}
	ip, udp, ip6 := e.Outer(), e.UDP(), e.Inner()
	h, h6 := ip.Header(), ip6.Header()
	out.OuterSrc = [4]byte(h[12:16])
	out.OuterDst = [4]byte(h[16:20])
	out.TotalLen = uint16(ip.TotalLen())
	out.Protocol = ip.Protocol()
	out.TTL = ip.TTL()
	out.SrcPort = udp.SrcPort()
	out.DstPort = udp.DstPort()
	out.UDPLen = uint16(udp.Length())
	out.InnerSrc = [16]byte(h6[8:24])
	out.InnerDst = [16]byte(h6[24:40])
	out.PayloadLen = uint16(ip6.PayloadLen())
	out.NextHeader = ip6.NextHeader()
	out.HopLimit = ip6.HopLimit()
	return nil
}

// newBuildPacket writes the header with IPv4Header.Encode, which checks the
// addresses and the payload length, and computes the checksum.
func newBuildPacket(s HeaderSpec) func(dst []byte) ([]byte, error) {
	h := packet.IPv4Header{
		TOS:          s.TOS,
		ID:           s.ID,
		DontFragment: s.DontFragment,
		TTL:          s.TTL,
		Protocol:     s.Protocol,
		Src:          s.Src,
		Dst:          s.Dst,
	}
	n := s.PayloadLen
	return func(dst []byte) ([]byte, error) {
		if err := h.Encode(dst, n); err != nil {
			return nil, err
		}
		return dst[:packet.IPv4HeaderLen], nil
	}
}
