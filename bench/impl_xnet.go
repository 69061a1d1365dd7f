package bench

import (
	"encoding/binary"
	"net"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// xnetImpl is golang.org/x/net: ipv4.ParseHeader and ipv6.ParseHeader, the
// parsers the issue names. They check only that the buffer holds the header
// (and, for IPv4, that IHL ≥ 5), so the adapter adds, from the parsed
// fields, the checks every adapter makes: version, Total Length against the
// header and the buffer, no fragment, protocol, Payload Length against the
// buffer; and the header checksum with headerValid, as x/net has no
// checksum function. x/net has no UDP parser: the adapter reads the
// 8 bytes itself. Each ParseHeader allocates a Header and its addresses
// (net.IP): that is x/net's API.
func xnetImpl() Impl {
	return Impl{
		Name:         "xnet",
		Decode6in4:   decodeXnet6in4,
		DecodeTeredo: decodeXnetTeredo,
	}
}

// xnetIPv4 parses and checks the IPv4 header at the start of b and returns
// it and its payload.
func xnetIPv4(b []byte, proto int) (*ipv4.Header, []byte, error) {
	h, err := ipv4.ParseHeader(b)
	if err != nil {
		return nil, nil, err
	}
	if h.Version != 4 {
		return nil, nil, errVersion
	}
	if h.TotalLen < h.Len {
		return nil, nil, errTotalLen
	}
	if h.TotalLen > len(b) {
		return nil, nil, errTruncated
	}
	if !headerValid(b[:h.Len]) {
		return nil, nil, errChecksum
	}
	if h.Flags&ipv4.MoreFragments != 0 || h.FragOff != 0 {
		return nil, nil, errFragment
	}
	if h.Protocol != proto {
		return nil, nil, errProtocol
	}
	return h, b[h.Len:h.TotalLen], nil
}

// xnetIPv6 parses and checks the IPv6 header at the start of b and fills the
// inner fields of out.
func xnetIPv6(b []byte, out *Decoded) error {
	h, err := ipv6.ParseHeader(b)
	if err != nil {
		return err
	}
	if h.Version != 6 {
		return errVersion
	}
	if ipv6.HeaderLen+h.PayloadLen > len(b) {
		return errTruncated
	}
	out.InnerSrc = [16]byte(h.Src)
	out.InnerDst = [16]byte(h.Dst)
	out.PayloadLen = uint16(h.PayloadLen)
	out.NextHeader = uint8(h.NextHeader)
	out.HopLimit = uint8(h.HopLimit)
	return nil
}

// xnetOuter fills the outer fields of out from a checked IPv4 header. x/net
// stores IPv4 addresses in 16-byte form.
func xnetOuter(h *ipv4.Header, out *Decoded) {
	out.OuterSrc = [4]byte(h.Src.To4())
	out.OuterDst = [4]byte(h.Dst.To4())
	out.TotalLen = uint16(h.TotalLen)
	out.Protocol = uint8(h.Protocol)
	out.TTL = uint8(h.TTL)
}

func decodeXnet6in4(pkt []byte, out *Decoded) error {
	h, inner, err := xnetIPv4(pkt, protoIPv6)
	if err != nil {
		return err
	}
	if err := xnetIPv6(inner, out); err != nil {
		return err
	}
	xnetOuter(h, out)
	out.SrcPort, out.DstPort, out.UDPLen = 0, 0, 0
	return nil
}

func decodeXnetTeredo(pkt []byte, out *Decoded) error {
	h, u, err := xnetIPv4(pkt, protoUDP)
	if err != nil {
		return err
	}
	if len(u) < udpHdrLen {
		return errTruncated
	}
	ul := binary.BigEndian.Uint16(u[4:6])
	if ul < udpHdrLen {
		return errUDPLength
	}
	if int(ul) > len(u) {
		return errTruncated
	}
	if err := xnetIPv6(u[udpHdrLen:ul], out); err != nil {
		return err
	}
	xnetOuter(h, out)
	out.SrcPort = binary.BigEndian.Uint16(u[0:2])
	out.DstPort = binary.BigEndian.Uint16(u[2:4])
	out.UDPLen = ul
	return nil
}

// newBuildXnet fills an ipv4.Header once and calls Marshal, which allocates
// the 20 bytes it returns (x/net has no way to marshal into a caller's
// buffer) and writes the Checksum field as given: the adapter computes the
// checksum with headerSum and stores it, as a caller of x/net must.
func newBuildXnet(s HeaderSpec) func(dst []byte) ([]byte, error) {
	h := ipv4.Header{
		Version:  ipv4.Version,
		Len:      ipv4.HeaderLen,
		TOS:      int(s.TOS),
		TotalLen: ipv4.HeaderLen + s.PayloadLen,
		ID:       int(s.ID),
		TTL:      int(s.TTL),
		Protocol: int(s.Protocol),
		Src:      net.IP(s.Src.AsSlice()),
		Dst:      net.IP(s.Dst.AsSlice()),
	}
	if s.DontFragment {
		h.Flags = ipv4.DontFragment
	}
	return func([]byte) ([]byte, error) {
		b, err := h.Marshal()
		if err != nil {
			return nil, err
		}
		binary.BigEndian.PutUint16(b[10:12], ^headerSum(b))
		return b, nil
	}
}
