package bench

import (
	"github.com/transit6/transit6/packet"
)

// packetImpl is transit6's packet package: ParseIPv4 (version, IHL, Total
// Length against the header and the buffer, header checksum), a fragment and
// protocol check, ParseUDP (Length against 8 and the buffer) for Teredo, and
// ParseIPv6 (version, Payload Length against the buffer, and the refusal of
// RFC 2675 jumbograms, which no peer does; see quirks.go).
func packetImpl() Impl {
	return Impl{
		Name:         "packet",
		Decode6in4:   decodePacket6in4,
		DecodeTeredo: decodePacketTeredo,
	}
}

func decodePacket6in4(pkt []byte, out *Decoded) error {
	ip, err := packet.ParseIPv4(pkt)
	if err != nil {
		return err
	}
	if ip.IsFragment() {
		return errFragment
	}
	if ip.Protocol() != packet.ProtoIPv6 {
		return errProtocol
	}
	ip6, err := packet.ParseIPv6(ip.Payload())
	if err != nil {
		return err
	}
	packetFill(ip, ip6, out)
	out.SrcPort, out.DstPort, out.UDPLen = 0, 0, 0
	return nil
}

func decodePacketTeredo(pkt []byte, out *Decoded) error {
	ip, err := packet.ParseIPv4(pkt)
	if err != nil {
		return err
	}
	if ip.IsFragment() {
		return errFragment
	}
	if ip.Protocol() != packet.ProtoUDP {
		return errProtocol
	}
	udp, err := packet.ParseUDP(ip.Payload())
	if err != nil {
		return err
	}
	ip6, err := packet.ParseIPv6(udp.Payload())
	if err != nil {
		return err
	}
	packetFill(ip, ip6, out)
	out.SrcPort = udp.SrcPort()
	out.DstPort = udp.DstPort()
	out.UDPLen = uint16(udp.Length())
	return nil
}

// packetFill copies the IPv4 and IPv6 fields into out with the views'
// accessors. Like every adapter it stores field by field: building a
// Decoded on the stack and copying it would stall on store forwarding and
// cost more than the decoding.
func packetFill(ip packet.IPv4, ip6 packet.IPv6, out *Decoded) {
	out.OuterSrc = ip.Src()
	out.OuterDst = ip.Dst()
	out.TotalLen = uint16(ip.TotalLen())
	out.Protocol = ip.Protocol()
	out.TTL = ip.TTL()
	out.InnerSrc = ip6.Src()
	out.InnerDst = ip6.Dst()
	out.PayloadLen = uint16(ip6.PayloadLen())
	out.NextHeader = ip6.NextHeader()
	out.HopLimit = ip6.HopLimit()
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
