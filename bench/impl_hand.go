package bench

import (
	"encoding/binary"
)

// handImpl is the practical limit: straight-line code written for exactly
// this job, one function per encapsulation, that makes the same checks as
// every other adapter, with the header checksum verified by headerValid
// (inlined: five loads and a multiplication for a header without options)
// and the header builder summing with headerSum.
func handImpl() Impl {
	return Impl{
		Name:         "hand",
		Decode6in4:   decodeHand6in4,
		DecodeTeredo: decodeHandTeredo,
	}
}

func decodeHand6in4(b []byte, out *Decoded) error {
	if len(b) < ipv4MinLen {
		return errTruncated
	}
	if b[0]>>4 != 4 {
		return errVersion
	}
	hl := int(b[0]&0x0f) * 4
	if hl < ipv4MinLen {
		return errIHL
	}
	tl := int(binary.BigEndian.Uint16(b[2:4]))
	if tl < hl {
		return errTotalLen
	}
	if tl > len(b) {
		return errTruncated
	}
	if !headerValid(b[:hl]) {
		return errChecksum
	}
	if binary.BigEndian.Uint16(b[6:8])&(ipv4FlagMF|ipv4FragMask) != 0 {
		return errFragment
	}
	if b[9] != protoIPv6 {
		return errProtocol
	}
	p := b[hl:tl]
	if len(p) < ipv6HdrLen {
		return errTruncated
	}
	if p[0]>>4 != 6 {
		return errVersion
	}
	pl := binary.BigEndian.Uint16(p[4:6])
	if ipv6HdrLen+int(pl) > len(p) {
		return errTruncated
	}
	out.OuterSrc = [4]byte(b[12:16])
	out.OuterDst = [4]byte(b[16:20])
	out.TotalLen = uint16(tl)
	out.Protocol = b[9]
	out.TTL = b[8]
	out.SrcPort, out.DstPort, out.UDPLen = 0, 0, 0
	out.InnerSrc = [16]byte(p[8:24])
	out.InnerDst = [16]byte(p[24:40])
	out.PayloadLen = pl
	out.NextHeader = p[6]
	out.HopLimit = p[7]
	return nil
}

func decodeHandTeredo(b []byte, out *Decoded) error {
	if len(b) < ipv4MinLen {
		return errTruncated
	}
	if b[0]>>4 != 4 {
		return errVersion
	}
	hl := int(b[0]&0x0f) * 4
	if hl < ipv4MinLen {
		return errIHL
	}
	tl := int(binary.BigEndian.Uint16(b[2:4]))
	if tl < hl {
		return errTotalLen
	}
	if tl > len(b) {
		return errTruncated
	}
	if !headerValid(b[:hl]) {
		return errChecksum
	}
	if binary.BigEndian.Uint16(b[6:8])&(ipv4FlagMF|ipv4FragMask) != 0 {
		return errFragment
	}
	if b[9] != protoUDP {
		return errProtocol
	}
	u := b[hl:tl]
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
	p := u[udpHdrLen:ul]
	if len(p) < ipv6HdrLen {
		return errTruncated
	}
	if p[0]>>4 != 6 {
		return errVersion
	}
	pl := binary.BigEndian.Uint16(p[4:6])
	if ipv6HdrLen+int(pl) > len(p) {
		return errTruncated
	}
	out.OuterSrc = [4]byte(b[12:16])
	out.OuterDst = [4]byte(b[16:20])
	out.TotalLen = uint16(tl)
	out.Protocol = b[9]
	out.TTL = b[8]
	out.SrcPort = binary.BigEndian.Uint16(u[0:2])
	out.DstPort = binary.BigEndian.Uint16(u[2:4])
	out.UDPLen = ul
	out.InnerSrc = [16]byte(p[8:24])
	out.InnerDst = [16]byte(p[24:40])
	out.PayloadLen = pl
	out.NextHeader = p[6]
	out.HopLimit = p[7]
	return nil
}

// newBuildHand stores the fields and then sums the 20 bytes it wrote with
// headerSum.
func newBuildHand(s HeaderSpec) func(dst []byte) ([]byte, error) {
	src, dst4 := s.Src.As4(), s.Dst.As4()
	var flags uint16
	if s.DontFragment {
		flags = 0x4000
	}
	total := uint16(ipv4MinLen + s.PayloadLen)
	return func(dst []byte) ([]byte, error) {
		if len(dst) < ipv4MinLen {
			return nil, errShortBuffer
		}
		b := dst[:ipv4MinLen]
		b[0] = 0x45
		b[1] = s.TOS
		binary.BigEndian.PutUint16(b[2:4], total)
		binary.BigEndian.PutUint16(b[4:6], s.ID)
		binary.BigEndian.PutUint16(b[6:8], flags)
		b[8] = s.TTL
		b[9] = s.Protocol
		b[10], b[11] = 0, 0
		copy(b[12:16], src[:])
		copy(b[16:20], dst4[:])
		binary.BigEndian.PutUint16(b[10:12], ^headerSum(b))
		return b, nil
	}
}

// handCallImpl is the hand-written decoder behind one function call: its
// adapters call decodeHand6in4 and decodeHandTeredo, which are too large
// for the compiler to inline. It is what the practical limit costs a
// caller once it lives in a library, as every library's decoder does
// unless it is small enough to be inlined (Go's budget is 80 nodes; the
// checks of IPv4 and IPv6 alone cost several times that). The difference
// from hand is the price of the call: the call and return, and the
// caller's registers saved across it.
func handCallImpl() Impl {
	return Impl{
		Name:         "hand-call",
		Decode6in4:   func(b []byte, out *Decoded) error { return decodeHand6in4(b, out) },
		DecodeTeredo: func(b []byte, out *Decoded) error { return decodeHandTeredo(b, out) },
	}
}
