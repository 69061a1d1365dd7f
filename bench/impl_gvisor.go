package bench

import (
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// gvisorImpl is gVisor's pkg/tcpip/header, used as gVisor's network stack
// uses it: header.IPv4.IsValid (length, IHL, Total Length, version) and
// IsChecksumValid (gVisor's checksum package), More and FragmentOffset,
// header.UDPValid for the UDP Length (checksum validation skipped, as every
// adapter skips it), header.IPv6.IsValid (length, Payload Length, version).
// Addresses are read with the *AddressSlice accessors, which do not copy.
//
// gVisor is the fastest peer, the one packet must beat, so its adapters are
// written like the hand-written decoder: one straight-line function per
// encapsulation, with no helper of the adapter's own to call (such helpers
// are too big for the compiler to inline, and each call would cost gVisor
// a nanosecond or two that its library does not need).
func gvisorImpl() Impl {
	return Impl{
		Name:         "gvisor",
		Decode6in4:   decodeGvisor6in4,
		DecodeTeredo: decodeGvisorTeredo,
	}
}

func decodeGvisor6in4(pkt []byte, out *Decoded) error {
	h := header.IPv4(pkt)
	if !h.IsValid(len(pkt)) {
		return errTruncated
	}
	if !h.IsChecksumValid() {
		return errChecksum
	}
	if h.More() || h.FragmentOffset() != 0 {
		return errFragment
	}
	if h.Protocol() != protoIPv6 {
		return errProtocol
	}
	p := h.Payload()
	h6 := header.IPv6(p)
	if !h6.IsValid(len(p)) {
		return errTruncated
	}
	out.OuterSrc = [4]byte(h.SourceAddressSlice())
	out.OuterDst = [4]byte(h.DestinationAddressSlice())
	out.TotalLen = h.TotalLength()
	out.Protocol = h.Protocol()
	out.TTL = h.TTL()
	out.SrcPort, out.DstPort, out.UDPLen = 0, 0, 0
	out.InnerSrc = [16]byte(h6.SourceAddressSlice())
	out.InnerDst = [16]byte(h6.DestinationAddressSlice())
	out.PayloadLen = h6.PayloadLength()
	out.NextHeader = h6.NextHeader()
	out.HopLimit = h6.HopLimit()
	return nil
}

func decodeGvisorTeredo(pkt []byte, out *Decoded) error {
	h := header.IPv4(pkt)
	if !h.IsValid(len(pkt)) {
		return errTruncated
	}
	if !h.IsChecksumValid() {
		return errChecksum
	}
	if h.More() || h.FragmentOffset() != 0 {
		return errFragment
	}
	if h.Protocol() != protoUDP {
		return errProtocol
	}
	p := h.Payload()
	if len(p) < header.UDPMinimumSize {
		return errTruncated
	}
	u := header.UDP(p)
	if ok, _ := header.UDPValid(u, nil, uint16(len(p)-header.UDPMinimumSize), header.IPv4ProtocolNumber,
		tcpip.Address{}, tcpip.Address{}, true); !ok {
		return errUDPLength
	}
	r := p[header.UDPMinimumSize:u.Length()]
	h6 := header.IPv6(r)
	if !h6.IsValid(len(r)) {
		return errTruncated
	}
	out.OuterSrc = [4]byte(h.SourceAddressSlice())
	out.OuterDst = [4]byte(h.DestinationAddressSlice())
	out.TotalLen = h.TotalLength()
	out.Protocol = h.Protocol()
	out.TTL = h.TTL()
	out.SrcPort = u.SourcePort()
	out.DstPort = u.DestinationPort()
	out.UDPLen = u.Length()
	out.InnerSrc = [16]byte(h6.SourceAddressSlice())
	out.InnerDst = [16]byte(h6.DestinationAddressSlice())
	out.PayloadLen = h6.PayloadLength()
	out.NextHeader = h6.NextHeader()
	out.HopLimit = h6.HopLimit()
	return nil
}

// newBuildGvisor converts the fields once into header.IPv4Fields, then
// writes them with header.IPv4.Encode and the checksum with
// SetChecksum(^CalculateChecksum()), as gVisor's IPv4 endpoint does.
func newBuildGvisor(s HeaderSpec) func(dst []byte) ([]byte, error) {
	f := header.IPv4Fields{
		TOS:         s.TOS,
		TotalLength: uint16(header.IPv4MinimumSize + s.PayloadLen),
		ID:          s.ID,
		TTL:         s.TTL,
		Protocol:    s.Protocol,
		SrcAddr:     tcpip.AddrFrom4(s.Src.As4()),
		DstAddr:     tcpip.AddrFrom4(s.Dst.As4()),
	}
	if s.DontFragment {
		f.Flags = header.IPv4FlagDontFragment
	}
	return func(dst []byte) ([]byte, error) {
		if len(dst) < header.IPv4MinimumSize {
			return nil, errShortBuffer
		}
		h := header.IPv4(dst[:header.IPv4MinimumSize])
		h.Encode(&f)
		h.SetChecksum(^h.CalculateChecksum())
		return h, nil
	}
}
