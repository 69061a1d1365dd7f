package packet

// UDP header, RFC 768:
//
//	 0      7 8     15 16    23 24    31
//	+--------+--------+--------+--------+
//	|     Source      |   Destination   |
//	|      Port       |      Port       |
//	+--------+--------+--------+--------+
//	|                 |                 |
//	|     Length      |    Checksum     |
//	+--------+--------+--------+--------+
//	|
//	|          data octets ...
//	+---------------- ...
//
// Length counts the header and the data (at least 8). The checksum covers a
// pseudo-header (RFC 768 for IPv4, RFC 8200 §8.1 for IPv6), the UDP header
// and the data. Over IPv4 a checksum field of zero means "not computed"; a
// computed zero is sent as 0xFFFF. Over IPv6 the checksum is mandatory.

import (
	"encoding/binary"
	"io"
	"net/netip"
	"slices"
)

// Byte offsets in the UDP header.
const (
	udpSrcPort  = 0
	udpDstPort  = 2
	udpLength   = 4
	udpChecksum = 6
)

// UDPMaxLen is the largest UDP datagram, header included, that the 16-bit
// Length field can describe (RFC 768). Jumbograms (RFC 2675 §4) are not
// supported.
const UDPMaxLen = 0xffff

// UDP is a validated view of one UDP datagram: the 8-byte header followed by
// the data, exactly Length bytes. Bytes after Length in the parsed buffer are
// not part of the view.
//
// A UDP comes from ParseUDP or Decode; its accessors never panic. The zero
// UDP is not valid: its accessors return zero values and its byte slices are
// empty. Parsing does not verify the checksum, which needs the IP addresses:
// call VerifyChecksum4 or VerifyChecksum6.
type UDP struct {
	b []byte // the datagram, trimmed to Length; nil for the zero UDP
}

// ParseUDP validates the UDP header at the start of b and returns a view of
// the datagram. The view aliases b; nothing is copied. It returns the errors
// listed for Decode. It does not allocate.
func ParseUDP(b []byte) (UDP, error) { return parseUDP(b) }

// Decode validates the UDP header at the start of b and makes u a view of
// the datagram, so one UDP can be reused across packets. It checks that
// 8 ≤ Length ≤ len(b) (RFC 768); bytes after Length are ignored.
//
// Decode returns ErrTruncated if b is shorter than 8 bytes or than Length,
// and ErrBadUDPLength if Length is below 8 (which includes the zero Length
// of an RFC 2675 jumbogram). On error u is set to the zero UDP. It does not
// allocate.
func (u *UDP) Decode(b []byte) error {
	v, err := parseUDP(b)
	*u = v
	return err
}

// parseUDP is Decode returning the view by value, in registers.
func parseUDP(b []byte) (UDP, error) {
	if len(b) < UDPHeaderLen {
		return UDP{}, ErrTruncated
	}
	n := int(binary.BigEndian.Uint16(b[udpLength:]))
	if n < UDPHeaderLen {
		return UDP{}, ErrBadUDPLength
	}
	if n > len(b) {
		return UDP{}, ErrTruncated
	}
	return UDP{b: b[:n]}, nil
}

// IsValid reports whether u is a view of a datagram, that is, whether it
// came from a successful ParseUDP or Decode.
func (u UDP) IsValid() bool { return len(u.b) >= UDPHeaderLen }

// The accessors test len(u.b) against the header length, which fails only
// for the zero UDP; the test also proves their constant indexes in range.

// SrcPort returns the source port (zero if unused, RFC 768).
func (u UDP) SrcPort() uint16 {
	if len(u.b) < UDPHeaderLen {
		return 0
	}
	return binary.BigEndian.Uint16(u.b[udpSrcPort:])
}

// DstPort returns the destination port.
func (u UDP) DstPort() uint16 {
	if len(u.b) < UDPHeaderLen {
		return 0
	}
	return binary.BigEndian.Uint16(u.b[udpDstPort:])
}

// Length returns the Length field: header plus data, len(u.Bytes()).
func (u UDP) Length() int { return len(u.b) }

// Checksum returns the Checksum field. Zero means the sender did not compute
// one, which only IPv4 allows (RFC 768; RFC 8200 §8.1).
func (u UDP) Checksum() uint16 {
	if len(u.b) < UDPHeaderLen {
		return 0
	}
	return binary.BigEndian.Uint16(u.b[udpChecksum:])
}

// Header returns the 8-byte header. The returned slice aliases b; its
// capacity ends with the header.
func (u UDP) Header() []byte {
	if len(u.b) < UDPHeaderLen {
		return nil
	}
	return u.b[:UDPHeaderLen:UDPHeaderLen]
}

// Payload returns the data, Length()-8 bytes. The returned slice aliases b.
func (u UDP) Payload() []byte {
	if len(u.b) < UDPHeaderLen {
		return nil
	}
	return u.b[UDPHeaderLen:]
}

// Bytes returns the whole datagram, Length() bytes. The returned slice
// aliases b.
func (u UDP) Bytes() []byte { return u.b }

// VerifyChecksum4 checks the checksum of a datagram carried in an IPv4
// packet from src to dst, over the RFC 768 pseudo-header, header and data.
// A zero Checksum field means the sender did not compute one and is
// accepted, as RFC 768 and RFC 1122 §4.1.3.4 require.
//
// It returns ErrNotIPv4Addr if src or dst is not an IPv4 address,
// ErrTruncated for the zero UDP, and ErrBadChecksum. It does not allocate.
func (u UDP) VerifyChecksum4(src, dst netip.Addr) error {
	if !src.Is4() || !dst.Is4() {
		return ErrNotIPv4Addr
	}
	if !u.IsValid() {
		return ErrTruncated
	}
	if u.Checksum() == 0 {
		return nil
	}
	if Checksum(u.b, PseudoHeaderChecksum4(ProtoUDP, src, dst, uint16(len(u.b)))) != 0xffff {
		return ErrBadChecksum
	}
	return nil
}

// VerifyChecksum6 checks the checksum of a datagram carried in an IPv6
// packet from src to dst (the final destination if there is a Routing
// header), over the RFC 8200 §8.1 pseudo-header, header and data.
//
// A zero Checksum field is refused with ErrZeroUDPChecksumIPv6, as RFC 8200
// §8.1 requires. RFC 6935 and RFC 6936 let a tunnel protocol accept zero
// checksums on ports it has opted in for; this package does not do that on
// its own: a caller that has opted in tests Checksum() == 0 first.
//
// It returns ErrNotIPv6Addr if src or dst is not an IPv6 address,
// ErrTruncated for the zero UDP, ErrZeroUDPChecksumIPv6 and ErrBadChecksum.
// It does not allocate.
func (u UDP) VerifyChecksum6(src, dst netip.Addr) error {
	if !src.Is6() || !dst.Is6() {
		return ErrNotIPv6Addr
	}
	if !u.IsValid() {
		return ErrTruncated
	}
	if u.Checksum() == 0 {
		return ErrZeroUDPChecksumIPv6
	}
	if Checksum(u.b, PseudoHeaderChecksum6(ProtoUDP, src, dst, uint32(len(u.b)))) != 0xffff {
		return ErrBadChecksum
	}
	return nil
}

// UDPHeader holds the fields of a UDP header to be written; Length and
// Checksum are computed by the encoding functions.
type UDPHeader struct {
	SrcPort, DstPort uint16
}

// put writes the header into b[:8] and the checksum over all of b, which
// must be a whole datagram of at most UDPMaxLen bytes. pseudo is the
// pseudo-header sum. The header words are added from the fields rather than
// read back after being stored, which would stall on store forwarding. A
// computed zero is sent as 0xFFFF: RFC 768 for IPv4, RFC 8200 §8.1 for IPv6.
func (h UDPHeader) put(b []byte, pseudo uint16) {
	_ = b[UDPHeaderLen-1]
	n := uint16(len(b))
	s := uint32(Checksum(b[UDPHeaderLen:], pseudo)) + uint32(h.SrcPort) + uint32(h.DstPort) + uint32(n)
	s = s>>16 + s&0xffff
	ck := ^(uint16(s) + uint16(s>>16))
	if ck == 0 {
		ck = 0xffff
	}
	binary.BigEndian.PutUint16(b[udpSrcPort:], h.SrcPort)
	binary.BigEndian.PutUint16(b[udpDstPort:], h.DstPort)
	binary.BigEndian.PutUint16(b[udpLength:], n)
	binary.BigEndian.PutUint16(b[udpChecksum:], ck)
}

// checkUDP4 validates the addresses and datagram length n for IPv4.
func checkUDP4(src, dst netip.Addr, n int) error {
	if !src.Is4() || !dst.Is4() {
		return ErrNotIPv4Addr
	}
	if n > UDPMaxLen {
		return ErrTooLong
	}
	return nil
}

// checkUDP6 validates the addresses and datagram length n for IPv6.
func checkUDP6(src, dst netip.Addr, n int) error {
	if !src.Is6() || !dst.Is6() {
		return ErrNotIPv6Addr
	}
	if n > UDPMaxLen {
		return ErrTooLong
	}
	return nil
}

// Encode4 turns b into a UDP datagram sent over IPv4 from src to dst: b[:8]
// is where the header goes and b[8:] already holds the data. It writes the
// ports, Length = len(b) and the checksum (RFC 768), in place.
//
// It returns io.ErrShortBuffer if len(b) < 8, ErrNotIPv4Addr if src or dst
// is not an IPv4 address, and ErrTooLong if len(b) > 65535; b is not
// modified on error. It does not allocate.
func (h UDPHeader) Encode4(b []byte, src, dst netip.Addr) error {
	if err := checkUDP4(src, dst, len(b)); err != nil {
		return err
	}
	if len(b) < UDPHeaderLen {
		return io.ErrShortBuffer
	}
	h.put(b, PseudoHeaderChecksum4(ProtoUDP, src, dst, uint16(len(b))))
	return nil
}

// Encode6 is Encode4 for a datagram sent over IPv6 (checksum per RFC 8200
// §8.1; dst is the final destination). It returns ErrNotIPv6Addr if src or
// dst is not an IPv6 address, and otherwise the errors of Encode4. It does
// not allocate.
func (h UDPHeader) Encode6(b []byte, src, dst netip.Addr) error {
	if err := checkUDP6(src, dst, len(b)); err != nil {
		return err
	}
	if len(b) < UDPHeaderLen {
		return io.ErrShortBuffer
	}
	h.put(b, PseudoHeaderChecksum6(ProtoUDP, src, dst, uint32(len(b))))
	return nil
}

// PrependUDP4 writes a UDP header in place in front of the data at
// buf[off:]: the header goes into buf[off-8:off] and the result is
// buf[off-8:], the whole datagram, checksummed for IPv4 from src to dst.
// Nothing is copied.
//
// It returns ErrNoHeadroom if off < 8, io.ErrShortBuffer if off > len(buf),
// and the errors of Encode4; buf is not modified on error. It does not
// allocate.
func PrependUDP4(buf []byte, off int, h UDPHeader, src, dst netip.Addr) ([]byte, error) {
	if off < UDPHeaderLen {
		return nil, ErrNoHeadroom
	}
	if off > len(buf) {
		return nil, io.ErrShortBuffer
	}
	d := buf[off-UDPHeaderLen:]
	if err := h.Encode4(d, src, dst); err != nil {
		return nil, err
	}
	return d, nil
}

// PrependUDP6 is PrependUDP4 for a datagram sent over IPv6. It returns
// ErrNoHeadroom if off < 8, io.ErrShortBuffer if off > len(buf), and the
// errors of Encode6. It does not allocate.
func PrependUDP6(buf []byte, off int, h UDPHeader, src, dst netip.Addr) ([]byte, error) {
	if off < UDPHeaderLen {
		return nil, ErrNoHeadroom
	}
	if off > len(buf) {
		return nil, io.ErrShortBuffer
	}
	d := buf[off-UDPHeaderLen:]
	if err := h.Encode6(d, src, dst); err != nil {
		return nil, err
	}
	return d, nil
}

// AppendUDP4 appends to b a UDP datagram carrying payload over IPv4 from src
// to dst and returns the extended slice. It copies payload once; use
// PrependUDP4 to avoid the copy. On error it returns b unchanged with
// ErrNotIPv4Addr, or ErrTooLong if 8+len(payload) > 65535. It does not
// allocate if b has 8+len(payload) bytes of spare capacity.
func AppendUDP4(b []byte, h UDPHeader, src, dst netip.Addr, payload []byte) ([]byte, error) {
	n := UDPHeaderLen + len(payload)
	if err := checkUDP4(src, dst, n); err != nil {
		return b, err
	}
	l := len(b)
	b = slices.Grow(b, n)[:l+n]
	copy(b[l+UDPHeaderLen:], payload)
	h.put(b[l:], PseudoHeaderChecksum4(ProtoUDP, src, dst, uint16(n)))
	return b, nil
}

// AppendUDP6 is AppendUDP4 for a datagram sent over IPv6; it returns
// ErrNotIPv6Addr if src or dst is not an IPv6 address. It copies payload
// once. It does not allocate if b has 8+len(payload) bytes of spare capacity.
func AppendUDP6(b []byte, h UDPHeader, src, dst netip.Addr, payload []byte) ([]byte, error) {
	n := UDPHeaderLen + len(payload)
	if err := checkUDP6(src, dst, n); err != nil {
		return b, err
	}
	l := len(b)
	b = slices.Grow(b, n)[:l+n]
	copy(b[l+UDPHeaderLen:], payload)
	h.put(b[l:], PseudoHeaderChecksum6(ProtoUDP, src, dst, uint32(n)))
	return b, nil
}
