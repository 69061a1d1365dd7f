package bench

import (
	"net/netip"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// gvisorImpl is gVisor's pkg/tcpip/header, used as gVisor's network stack
// uses it: header.IPv4.IsValid (length, IHL, Total Length, version) and
// IsChecksumValid (gVisor's checksum package), More and FragmentOffset,
// header.UDPValid for the UDP Length (checksum validation skipped, as every
// adapter skips it), header.IPv6.IsValid (length, Payload Length, version).
// Addresses are read with the *AddressSlice accessors, which do not copy.
func gvisorImpl() Impl {
	return Impl{
		Name:         "gvisor",
		Decode6in4:   decodeGvisor6in4,
		DecodeTeredo: decodeGvisorTeredo,
	}
}

// gvisorIPv4 checks the IPv4 header at the start of b and returns it and its
// payload.
func gvisorIPv4(b []byte, proto uint8) (header.IPv4, []byte, error) {
	h := header.IPv4(b)
	if !h.IsValid(len(b)) {
		return nil, nil, errTruncated
	}
	if !h.IsChecksumValid() {
		return nil, nil, errChecksum
	}
	if h.More() || h.FragmentOffset() != 0 {
		return nil, nil, errFragment
	}
	if h.Protocol() != proto {
		return nil, nil, errProtocol
	}
	return h, h.Payload(), nil
}

// gvisorIPv6 checks the IPv6 header at the start of b and fills the inner
// fields of out.
func gvisorIPv6(b []byte, out *Decoded) error {
	h := header.IPv6(b)
	if !h.IsValid(len(b)) {
		return errTruncated
	}
	out.InnerSrc = netip.AddrFrom16([16]byte(h.SourceAddressSlice()))
	out.InnerDst = netip.AddrFrom16([16]byte(h.DestinationAddressSlice()))
	out.PayloadLen = h.PayloadLength()
	out.NextHeader = h.NextHeader()
	out.HopLimit = h.HopLimit()
	return nil
}

// gvisorOuter fills the outer fields of out from a checked IPv4 header.
func gvisorOuter(h header.IPv4, out *Decoded) {
	out.OuterSrc = netip.AddrFrom4([4]byte(h.SourceAddressSlice()))
	out.OuterDst = netip.AddrFrom4([4]byte(h.DestinationAddressSlice()))
	out.TotalLen = h.TotalLength()
	out.Protocol = h.Protocol()
	out.TTL = h.TTL()
}

func decodeGvisor6in4(pkt []byte, out *Decoded) error {
	h, inner, err := gvisorIPv4(pkt, protoIPv6)
	if err != nil {
		return err
	}
	if err := gvisorIPv6(inner, out); err != nil {
		return err
	}
	gvisorOuter(h, out)
	out.SrcPort, out.DstPort, out.UDPLen = 0, 0, 0
	return nil
}

func decodeGvisorTeredo(pkt []byte, out *Decoded) error {
	h, p, err := gvisorIPv4(pkt, protoUDP)
	if err != nil {
		return err
	}
	if len(p) < header.UDPMinimumSize {
		return errTruncated
	}
	u := header.UDP(p)
	if ok, _ := header.UDPValid(u, nil, uint16(len(p)-header.UDPMinimumSize), header.IPv4ProtocolNumber,
		tcpip.Address{}, tcpip.Address{}, true); !ok {
		return errUDPLength
	}
	if err := gvisorIPv6(p[header.UDPMinimumSize:u.Length()], out); err != nil {
		return err
	}
	gvisorOuter(h, out)
	out.SrcPort = u.SourcePort()
	out.DstPort = u.DestinationPort()
	out.UDPLen = u.Length()
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
