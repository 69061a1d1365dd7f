package packet

// IPv4 header, RFC 791 §3.1:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|Version|  IHL  |Type of Service|          Total Length         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|         Identification        |Flags|      Fragment Offset    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Time to Live |    Protocol   |         Header Checksum       |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                       Source Address                          |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Destination Address                        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Options                    |    Padding    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// IHL counts 32-bit words (5..15). Flags are, from the most significant bit:
// reserved (0), DF (Don't Fragment), MF (More Fragments); the 13-bit Fragment
// Offset counts 8-byte units. The Type of Service byte is now the DSCP in its
// upper six bits and the ECN field in its lower two (RFC 2474, RFC 3168).
// The Header Checksum is the one's complement of the one's-complement sum of
// the header's 16-bit words (RFC 791 §3.1, RFC 1071).

import (
	"encoding/binary"
	"io"
	"net/netip"
	"slices"
)

// Byte offsets in the IPv4 header.
const (
	ipv4TOS      = 1
	ipv4TotalLen = 2
	ipv4ID       = 4
	ipv4Flags    = 6
	ipv4TTL      = 8
	ipv4Protocol = 9
	ipv4Checksum = 10
	ipv4Src      = 12
	ipv4Dst      = 16
)

// IPv4 flag bits in the 16-bit flags/fragment-offset word.
const (
	ipv4FlagDF         = 0x4000
	ipv4FlagMF         = 0x2000
	ipv4FragOffsetMask = 0x1fff
)

// IPv4MaxLen is the largest IPv4 packet the 16-bit Total Length field can
// describe (RFC 791 §3.1).
const IPv4MaxLen = 0xffff

// IPv4 is a validated view of one IPv4 packet: the header (options
// included) followed by the payload, exactly Total Length bytes. Bytes that
// followed the packet in the parsed buffer (link-layer padding) are not part
// of the view.
//
// An IPv4 comes from ParseIPv4 or Decode; its accessors never panic. The zero
// IPv4 is not valid: its accessors return zero values and its byte slices are
// empty.
type IPv4 struct {
	b    []byte // the packet, trimmed to Total Length
	hlen uint8  // header length in bytes, 20..60; 0 for the zero IPv4
}

// ParseIPv4 validates the IPv4 packet at the start of b and returns a view of
// it. The view aliases b; nothing is copied. It returns the errors listed
// for Decode. It does not allocate.
func ParseIPv4(b []byte) (IPv4, error) { return parseIPv4(b) }

// Decode validates the IPv4 packet at the start of b and makes h a view of
// it, so one IPv4 can be reused across packets. The checks are those of
// RFC 791 and RFC 1122 §3.2.1: version 4, IHL ≥ 5, IHL*4 ≤ Total Length ≤
// len(b), and a correct header checksum. Bytes after Total Length are
// ignored. Options are accepted and not interpreted; fragments are accepted
// (see IsFragment).
//
// Decode returns ErrTruncated if b is shorter than 20 bytes, than the
// header or than Total Length; ErrBadVersion; ErrBadIHL;
// ErrBadTotalLength if Total Length is smaller than the header; or
// ErrBadChecksum. On error h is set to the zero IPv4. It does not allocate.
func (h *IPv4) Decode(b []byte) error {
	v, err := parseIPv4(b)
	*h = v
	return err
}

// parseIPv4 is Decode returning the view by value: in registers, where a
// view built through a pointer would make a round trip through memory.
func parseIPv4(b []byte) (IPv4, error) {
	if len(b) < IPv4HeaderLen {
		return IPv4{}, ErrTruncated
	}
	// The first word holds version and IHL (its low byte, read
	// little-endian), TOS and Total Length; it is loaded once, for the
	// checks and for the checksum.
	w0 := binary.LittleEndian.Uint32(b[0:4])
	if w0&0xf0 != 4<<4 {
		return IPv4{}, ErrBadVersion
	}
	hlen := int(w0&0x0f) * 4
	if hlen < IPv4HeaderLen {
		return IPv4{}, ErrBadIHL
	}
	total := int(w0>>24 | w0>>8&0xff00)
	if total < hlen {
		return IPv4{}, ErrBadTotalLength
	}
	if total > len(b) {
		return IPv4{}, ErrTruncated
	}
	// A correct header sums to 0xffff: the checksum is the complement of
	// the sum of the other words. The version nibble makes the sum non-zero,
	// so the +0/-0 ambiguity cannot arise.
	//
	// This is Checksum specialized for the hot path and written out here to
	// save a call: the header is summed as 32-bit words (at most fifteen,
	// whose sum fits in 36 bits, so there are no carries to chase), five
	// loads without options, optionWords for the options. The words are
	// read little-endian, which sums the byte-swapped 16-bit words (RFC
	// 1071 §2(B)); 0xffff is its own byte-swap. Folding the sum to 16 bits
	// gives 0xffff exactly when the sum is a non-zero multiple of 0xffff
	// (2^16 ≡ 1 modulo 2^16-1), and this one is non-zero: so the test is
	// s%0xffff == 0, which the compiler turns into one multiplication and
	// one comparison (0xffff is odd) instead of four dependent folds.
	// TestIPv4HeaderChecksum and FuzzParseIPv4 hold it to checksumReference.
	s := uint64(w0) +
		uint64(binary.LittleEndian.Uint32(b[4:8])) +
		uint64(binary.LittleEndian.Uint32(b[8:12])) +
		uint64(binary.LittleEndian.Uint32(b[12:16])) +
		uint64(binary.LittleEndian.Uint32(b[16:20]))
	if hlen > IPv4HeaderLen {
		s += optionWords(b[IPv4HeaderLen:hlen])
	}
	if s%0xffff != 0 {
		return IPv4{}, ErrBadChecksum
	}
	return IPv4{b: b[:total], hlen: uint8(hlen)}, nil
}

// optionWords returns the sum of the little-endian 32-bit words of the IPv4
// options in b (at most 40 bytes, a multiple of 4), for the header checksum
// of parseIPv4.
func optionWords(b []byte) uint64 {
	var s uint64
	for ; len(b) >= 4; b = b[4:] {
		s += uint64(binary.LittleEndian.Uint32(b))
	}
	return s
}

// IsValid reports whether h is a view of a packet, that is, whether it came
// from a successful ParseIPv4 or Decode.
func (h IPv4) IsValid() bool { return h.hlen != 0 }

// The accessors test len(h.b) against the header length, which fails only
// for the zero IPv4, before they index h.b: the test also proves every
// constant index in range, so there is no bounds check, and a run of
// accessors costs one compare each.

// Version returns the IP version field: 4, or 0 for the zero IPv4.
func (h IPv4) Version() uint8 {
	if len(h.b) < IPv4HeaderLen {
		return 0
	}
	return h.b[0] >> 4
}

// HeaderLen returns the header length in bytes (IHL*4, 20 to 60), options
// included.
func (h IPv4) HeaderLen() int { return int(h.hlen) }

// TotalLen returns the Total Length field: the length of the packet in
// bytes, header included. It equals len(h.Bytes()).
func (h IPv4) TotalLen() int { return len(h.b) }

// TOS returns the Type of Service byte, which is now the DSCP and ECN fields
// (RFC 2474 §3, RFC 3168 §5).
func (h IPv4) TOS() uint8 {
	if len(h.b) < IPv4HeaderLen {
		return 0
	}
	return h.b[ipv4TOS]
}

// DSCP returns the Differentiated Services Code Point, the upper six bits of
// the TOS byte (RFC 2474 §3).
func (h IPv4) DSCP() uint8 { return h.TOS() >> 2 }

// ECN returns the ECN field, the lower two bits of the TOS byte (RFC 3168
// §5).
func (h IPv4) ECN() ECN { return TOSECN(h.TOS()) }

// ID returns the Identification field.
func (h IPv4) ID() uint16 {
	if len(h.b) < IPv4HeaderLen {
		return 0
	}
	return binary.BigEndian.Uint16(h.b[ipv4ID:])
}

// flags returns the 16-bit flags/fragment-offset word.
func (h IPv4) flags() uint16 {
	if len(h.b) < IPv4HeaderLen {
		return 0
	}
	return binary.BigEndian.Uint16(h.b[ipv4Flags:])
}

// DontFragment reports whether the DF flag is set.
func (h IPv4) DontFragment() bool { return h.flags()&ipv4FlagDF != 0 }

// MoreFragments reports whether the MF flag is set.
func (h IPv4) MoreFragments() bool { return h.flags()&ipv4FlagMF != 0 }

// ReservedFlag reports whether the reserved flag bit (which RFC 791 says
// must be zero) is set. Receivers ignore it, as Linux does.
func (h IPv4) ReservedFlag() bool { return h.flags()&0x8000 != 0 }

// FragmentOffset returns the fragment offset in bytes (the field counts
// 8-byte units), 0 to 65528.
func (h IPv4) FragmentOffset() int { return int(h.flags()&ipv4FragOffsetMask) * 8 }

// IsFragment reports whether the packet is a fragment of a larger one: MF is
// set or the fragment offset is not zero. Its payload is then not a whole
// transport packet and must be reassembled first (RFC 791 §3.2).
func (h IPv4) IsFragment() bool { return h.flags()&(ipv4FlagMF|ipv4FragOffsetMask) != 0 }

// TTL returns the Time to Live field.
func (h IPv4) TTL() uint8 {
	if len(h.b) < IPv4HeaderLen {
		return 0
	}
	return h.b[ipv4TTL]
}

// Protocol returns the Protocol field, the IP protocol number of the payload
// (ProtoUDP, ProtoIPv6, …).
func (h IPv4) Protocol() uint8 {
	if len(h.b) < IPv4HeaderLen {
		return 0
	}
	return h.b[ipv4Protocol]
}

// Checksum returns the Header Checksum field, which Decode has verified.
func (h IPv4) Checksum() uint16 {
	if len(h.b) < IPv4HeaderLen {
		return 0
	}
	return binary.BigEndian.Uint16(h.b[ipv4Checksum:])
}

// Src returns the source address, or the zero Addr for the zero IPv4.
func (h IPv4) Src() netip.Addr {
	if len(h.b) < IPv4HeaderLen {
		return netip.Addr{}
	}
	return netip.AddrFrom4([4]byte(h.b[ipv4Src : ipv4Src+4]))
}

// Dst returns the destination address, or the zero Addr for the zero IPv4.
func (h IPv4) Dst() netip.Addr {
	if len(h.b) < IPv4HeaderLen {
		return netip.Addr{}
	}
	return netip.AddrFrom4([4]byte(h.b[ipv4Dst : ipv4Dst+4]))
}

// Options returns the options and padding, HeaderLen()-20 bytes, empty
// when IHL is 5. They are not validated. The returned slice aliases b; its
// capacity ends with the header, so appending to it cannot overwrite the
// payload.
func (h IPv4) Options() []byte {
	if int(h.hlen) < IPv4HeaderLen || len(h.b) < int(h.hlen) {
		return nil
	}
	return h.b[IPv4HeaderLen:h.hlen:h.hlen]
}

// Header returns the header, options included. The returned slice aliases
// b; its capacity ends with the header.
func (h IPv4) Header() []byte {
	if len(h.b) < int(h.hlen) {
		return nil
	}
	return h.b[:h.hlen:h.hlen]
}

// Payload returns the TotalLen()-HeaderLen() bytes after the header. For a
// protocol-41 packet this is the IPv6 packet (RFC 4213 §3.6), to be parsed
// with ParseIPv6. The returned slice aliases b.
func (h IPv4) Payload() []byte {
	if len(h.b) < int(h.hlen) {
		return nil
	}
	return h.b[h.hlen:]
}

// Bytes returns the whole packet, TotalLen() bytes. The returned slice
// aliases b.
func (h IPv4) Bytes() []byte { return h.b }

// Fields returns the header fields in builder form. Options, MF and the
// fragment offset have no place in an IPv4Header and are dropped.
func (h IPv4) Fields() IPv4Header {
	return IPv4Header{
		TOS:          h.TOS(),
		ID:           h.ID(),
		DontFragment: h.DontFragment(),
		TTL:          h.TTL(),
		Protocol:     h.Protocol(),
		Src:          h.Src(),
		Dst:          h.Dst(),
	}
}

// IPv4Header holds the fields of an IPv4 header to be written. transit6
// never sends options, MF or a fragment offset (Linux refuses tunnels with
// options or frag bits other than DF), so every header written is 20 bytes
// with IHL 5; Total Length and Header Checksum are computed by the encoding
// methods.
type IPv4Header struct {
	TOS          uint8  // DSCP (upper 6 bits) and ECN (lower 2 bits)
	ID           uint16 // Identification (RFC 6864: any value if DF is set)
	DontFragment bool   // DF flag
	TTL          uint8
	Protocol     uint8      // protocol number of the payload
	Src, Dst     netip.Addr // IPv4 addresses (Is4); IPv4-mapped IPv6 is refused
}

// check validates h and payloadLen for encoding.
func (h *IPv4Header) check(payloadLen int) error {
	if !h.Src.Is4() || !h.Dst.Is4() {
		return ErrNotIPv4Addr
	}
	if payloadLen < 0 || payloadLen > IPv4MaxLen-IPv4HeaderLen {
		return ErrTooLong
	}
	return nil
}

// put writes the header into b[:20] without checking. The checksum is
// summed from the fields directly, which is cheaper than writing the bytes
// and summing them again.
func (h *IPv4Header) put(b []byte, payloadLen int) {
	_ = b[IPv4HeaderLen-1]
	total := uint16(IPv4HeaderLen + payloadLen)
	var flags uint16
	if h.DontFragment {
		flags = ipv4FlagDF
	}
	src, dst := h.Src.As4(), h.Dst.As4()
	s0 := binary.BigEndian.Uint32(src[:])
	d0 := binary.BigEndian.Uint32(dst[:])
	w0 := uint16(0x45)<<8 | uint16(h.TOS)
	w4 := uint16(h.TTL)<<8 | uint16(h.Protocol)
	sum := uint32(w0) + uint32(total) + uint32(h.ID) + uint32(flags) + uint32(w4) +
		s0>>16 + s0&0xffff + d0>>16 + d0&0xffff
	sum = sum>>16 + sum&0xffff
	sum = sum>>16 + sum&0xffff

	binary.BigEndian.PutUint16(b[0:], w0)
	binary.BigEndian.PutUint16(b[ipv4TotalLen:], total)
	binary.BigEndian.PutUint16(b[ipv4ID:], h.ID)
	binary.BigEndian.PutUint16(b[ipv4Flags:], flags)
	binary.BigEndian.PutUint16(b[ipv4TTL:], w4)
	binary.BigEndian.PutUint16(b[ipv4Checksum:], ^uint16(sum))
	binary.BigEndian.PutUint32(b[ipv4Src:], s0)
	binary.BigEndian.PutUint32(b[ipv4Dst:], d0)
}

// Encode writes the 20-byte header, checksum included, into b[:20], with
// Total Length 20+payloadLen. The payload itself is not read: the IPv4
// checksum covers only the header.
//
// It returns ErrNotIPv4Addr if Src or Dst is not an IPv4 address,
// ErrTooLong if payloadLen is outside [0, 65515], and io.ErrShortBuffer if
// len(b) < 20; b is not modified on error. It does not allocate.
func (h *IPv4Header) Encode(b []byte, payloadLen int) error {
	if err := h.check(payloadLen); err != nil {
		return err
	}
	if len(b) < IPv4HeaderLen {
		return io.ErrShortBuffer
	}
	h.put(b, payloadLen)
	return nil
}

// AppendTo appends the 20-byte header for a payload of payloadLen bytes to
// dst and returns the extended slice; the caller appends the payload next.
// On error it returns dst unchanged and the errors of Encode for invalid
// fields. It does not allocate if dst has 20 bytes of spare capacity.
func (h *IPv4Header) AppendTo(dst []byte, payloadLen int) ([]byte, error) {
	if err := h.check(payloadLen); err != nil {
		return dst, err
	}
	n := len(dst)
	dst = slices.Grow(dst, IPv4HeaderLen)[:n+IPv4HeaderLen]
	h.put(dst[n:], payloadLen)
	return dst, nil
}

// PrependIPv4 writes h in place in front of the payload at buf[off:]: the
// header goes into buf[off-20:off], its Total Length is 20+len(buf)-off, and
// the result is buf[off-20:], the whole packet. Nothing is copied. Callers
// that read the inner packet at buf[Proto41Headroom:] (or any larger
// offset) never need to move it.
//
// It returns ErrNoHeadroom if off < 20, io.ErrShortBuffer if off > len(buf),
// and the errors of Encode for invalid fields; buf is not modified on
// error. It does not allocate.
func PrependIPv4(buf []byte, off int, h *IPv4Header) ([]byte, error) {
	if off < IPv4HeaderLen {
		return nil, ErrNoHeadroom
	}
	if off > len(buf) {
		return nil, io.ErrShortBuffer
	}
	if err := h.check(len(buf) - off); err != nil {
		return nil, err
	}
	pkt := buf[off-IPv4HeaderLen:]
	h.put(pkt, len(buf)-off)
	return pkt, nil
}
