package packet

// IPv6 carried across IPv4, parsed in one pass.
//
// Directly, as IP protocol 41 (6in4, 6to4, 6rd, ISATAP; RFC 4213 §3.5):
//
//	+--------------------+--------------------------------------------+
//	| IPv4 header        | IPv6 packet (40 + Payload Length)  | more… |
//	| Protocol 41        |                                    |       |
//	+--------------------+--------------------------------------------+
//	|<-------------------- IPv4 Total Length -------------------------->|
//
// or in a UDP datagram (Teredo, RFC 4380 §4, with no Authentication or
// Origin indicator in front of the IPv6 packet):
//
//	+--------------------+----------+---------------------------------+
//	| IPv4 header        | UDP      | IPv6 packet             | more… |
//	| Protocol 17        | header   |                         |       |
//	+--------------------+----------+---------------------------------+
//	                     |<------------ UDP Length ------------------>|
//
// The bytes after the IPv6 packet ("more…": RFC 6081 trailers in Teredo)
// stay reachable through Inner().Trailer().
//
// The parsers take the common case (a 20-byte IPv4 header, not a
// fragment, an IPv6 packet that cannot be a jumbogram) with straight-line
// loads and compares on the header words, and every other input through
// the checks of ParseIPv4, ParseUDP and ParseIPv6 in their order, so that
// the answer, and the error, is always theirs; all in one function that
// calls nothing. A decoder built from those three parsers makes two or
// three calls that the compiler cannot inline, which cost more than the
// checks themselves (bench/README.md: 7.4 to 8.8 ns per packet where the
// fused parsers take 6.6 to 7.1).

import "encoding/binary"

// Encapsulated is a validated view of an IPv6 packet carried in an IPv4
// packet, directly (ParseIPv6InIPv4) or in a UDP datagram
// (ParseIPv6InUDP4): the views of each layer in one value, which Outer,
// UDP and Inner return.
//
// The zero Encapsulated is not valid: its layers are the zero IPv4, UDP and
// IPv6. Its accessors never panic.
//
// It has four fields, the two offsets in one: the compiler keeps a struct
// of at most four fields in registers, and builds a larger one in memory,
// which made an earlier ParseIPv6InIPv4 2.4 times as slow (9.2 ns instead
// of 3.9 ns).
type Encapsulated struct {
	b   []byte // the IPv4 packet, trimmed to Total Length
	off uint16 // IPv4 header length (low byte) and offset of the IPv6 header (high byte); 0 for the zero Encapsulated
	end uint16 // end of the layer that carries the IPv6 packet
	n   uint16 // length of the IPv6 packet: 40 + Payload Length
}

// offsets packs an IPv4 header length and the offset of the IPv6 header
// into Encapsulated.off.
func offsets(hlen, in int) uint16 { return uint16(hlen) | uint16(in)<<8 }

// ParseIPv6InIPv4 validates the IPv4 packet at the start of b and the IPv6
// packet it carries as protocol 41 (RFC 4213 §3.5: 6in4, 6to4, 6rd,
// ISATAP), and returns a view of both. The view aliases b; nothing is
// copied.
//
// It accepts exactly what this sequence accepts, and returns the same
// error:
//
//	ip, err := ParseIPv4(b)              // version, IHL, lengths, checksum
//	ip.IsFragment()                      // → ErrIPv4Fragment
//	ip.Protocol() != ProtoIPv6           // → ErrWrongProtocol
//	ip6, err := ParseIPv6(ip.Payload())  // version, Payload Length, jumbogram
//
// A fragment is refused because its payload is not a whole IPv6 packet:
// reassemble first. It does not allocate.
func ParseIPv6InIPv4(b []byte) (Encapsulated, error) {
	const in = IPv4HeaderLen
	if len(b) >= in+IPv6HeaderLen {
		// The common case: a 20-byte IPv4 header, not a fragment, and an
		// IPv6 packet that cannot be a jumbogram (Payload Length 0 with a
		// Hop-by-Hop header might be one: the precise path looks). The
		// header words are loaded as they lie in memory (no byte swaps on
		// little-endian machines), tested with masks and summed for the
		// checksum as parseIPv4 sums them.
		le := binary.LittleEndian
		w0, w1, w2 := le.Uint32(b[0:4]), le.Uint32(b[4:8]), le.Uint32(b[8:12])
		bad := (w0&0xff ^ 0x45) | // version 4, IHL 5
			w1&0xff3f0000 | // More Fragments, Fragment Offset
			(w2&0xff00 ^ ProtoIPv6<<8) |
			uint32(b[in]>>4^6)
		total := int(w0>>24 | w0>>8&0xff00)
		n := IPv6HeaderLen + int(binary.BigEndian.Uint16(b[in+ipv6PayloadLen:]))
		if bad == 0 && in+n <= total && total <= len(b) &&
			(n != IPv6HeaderLen || b[in+ipv6NextHeader] != ProtoHopByHop) &&
			(uint64(w0)+uint64(w1)+uint64(w2)+
				uint64(le.Uint32(b[12:16]))+uint64(le.Uint32(b[16:20])))%0xffff == 0 {
			return Encapsulated{b: b[:total], off: offsets(IPv4HeaderLen, in), end: uint16(total), n: uint16(n)}, nil
		}
	}
	// Every other packet: parseIPv4, IsFragment, Protocol and parseIPv6.
	hlen, total, err := ipv4Checks(b)
	if err != nil {
		return Encapsulated{}, err
	}
	if hlen < IPv4HeaderLen || total < hlen || total > len(b) {
		return Encapsulated{}, ErrTruncated // never: restated for the compiler (see below)
	}
	if ipv4Sum(b[:hlen])%0xffff != 0 {
		return Encapsulated{}, ErrBadChecksum
	}
	if err := ipv4Carries(b, ProtoIPv6); err != nil {
		return Encapsulated{}, err
	}
	p := b[hlen:total]
	n, err := ipv6Checks(p)
	if err != nil {
		return Encapsulated{}, err
	}
	if n == IPv6HeaderLen && len(p) >= IPv6HeaderLen+2 && p[ipv6NextHeader] == ProtoHopByHop {
		if l := (int(p[IPv6HeaderLen+1]) + 1) * 8; l <= len(p)-IPv6HeaderLen {
			if jumbo, err := scanOptions(p[IPv6HeaderLen+2 : IPv6HeaderLen+l]); err == nil && jumbo {
				return Encapsulated{}, ErrJumbogram
			}
		}
	}
	return Encapsulated{b: b[:total], off: offsets(hlen, hlen), end: uint16(total), n: uint16(n)}, nil
}

// ParseIPv6InUDP4 validates the IPv4 packet at the start of b, the UDP
// datagram it carries and the IPv6 packet that starts the datagram's data
// (a Teredo packet with no indicator, RFC 4380 §4), and returns a view of
// all three. The view aliases b; nothing is copied. The UDP checksum is
// not verified (it needs the addresses: Encapsulated.UDP().VerifyChecksum4)
// and the ports are not looked at.
//
// It accepts exactly what this sequence accepts, and returns the same
// error:
//
//	ip, err := ParseIPv4(b)              // version, IHL, lengths, checksum
//	ip.IsFragment()                      // → ErrIPv4Fragment
//	ip.Protocol() != ProtoUDP            // → ErrWrongProtocol
//	u, err := ParseUDP(ip.Payload())     // Length
//	ip6, err := ParseIPv6(u.Payload())   // version, Payload Length, jumbogram
//
// Teredo packets that start with an Authentication or Origin indicator are
// refused by the last step (ErrBadVersion): decode those with the teredo
// package. It does not allocate.
func ParseIPv6InUDP4(b []byte) (Encapsulated, error) {
	const in = IPv4HeaderLen + UDPHeaderLen
	if len(b) >= in+IPv6HeaderLen {
		// The common case, as in ParseIPv6InIPv4.
		le := binary.LittleEndian
		w0, w1, w2 := le.Uint32(b[0:4]), le.Uint32(b[4:8]), le.Uint32(b[8:12])
		bad := (w0&0xff ^ 0x45) | // version 4, IHL 5
			w1&0xff3f0000 | // More Fragments, Fragment Offset
			(w2&0xff00 ^ ProtoUDP<<8) |
			uint32(b[in]>>4^6)
		total := int(w0>>24 | w0>>8&0xff00)
		end := IPv4HeaderLen + int(binary.BigEndian.Uint16(b[IPv4HeaderLen+udpLength:]))
		n := IPv6HeaderLen + int(binary.BigEndian.Uint16(b[in+ipv6PayloadLen:]))
		// in+n ≤ end also gives a UDP Length of at least 8 + 40.
		if bad == 0 && in+n <= end && end <= total && total <= len(b) &&
			(n != IPv6HeaderLen || b[in+ipv6NextHeader] != ProtoHopByHop) &&
			(uint64(w0)+uint64(w1)+uint64(w2)+
				uint64(le.Uint32(b[12:16]))+uint64(le.Uint32(b[16:20])))%0xffff == 0 {
			return Encapsulated{b: b[:total], off: offsets(IPv4HeaderLen, in), end: uint16(end), n: uint16(n)}, nil
		}
	}
	// Every other packet: parseIPv4, IsFragment, Protocol, parseUDP and
	// parseIPv6.
	hlen, total, err := ipv4Checks(b)
	if err != nil {
		return Encapsulated{}, err
	}
	if hlen < IPv4HeaderLen || total < hlen || total > len(b) {
		return Encapsulated{}, ErrTruncated // never: restated for the compiler (see below)
	}
	if ipv4Sum(b[:hlen])%0xffff != 0 {
		return Encapsulated{}, ErrBadChecksum
	}
	if err := ipv4Carries(b, ProtoUDP); err != nil {
		return Encapsulated{}, err
	}
	u := b[hlen:total]
	if len(u) < UDPHeaderLen {
		return Encapsulated{}, ErrTruncated
	}
	ulen := int(binary.BigEndian.Uint16(u[udpLength:]))
	if ulen < UDPHeaderLen {
		return Encapsulated{}, ErrBadUDPLength
	}
	if ulen > len(u) {
		return Encapsulated{}, ErrTruncated
	}
	p := u[UDPHeaderLen:ulen]
	n, err := ipv6Checks(p)
	if err != nil {
		return Encapsulated{}, err
	}
	if n == IPv6HeaderLen && len(p) >= IPv6HeaderLen+2 && p[ipv6NextHeader] == ProtoHopByHop {
		if l := (int(p[IPv6HeaderLen+1]) + 1) * 8; l <= len(p)-IPv6HeaderLen {
			if jumbo, err := scanOptions(p[IPv6HeaderLen+2 : IPv6HeaderLen+l]); err == nil && jumbo {
				return Encapsulated{}, ErrJumbogram
			}
		}
	}
	return Encapsulated{b: b[:total], off: offsets(hlen, hlen+UDPHeaderLen), end: uint16(hlen + ulen), n: uint16(n)}, nil
}

// The parsers above make no call: their checks are written out, or made by
// the small functions below, which the compiler inlines, instead of
// calling parseIPv4, parseUDP and parseIPv6. A function that makes no
// call needs no stack frame and no stack check, which saves about a
// nanosecond per packet, an eighth of the whole decoding (measured in
// bench/). The tests hold them to the sequence of calls they document
// (TestEncapsulatedAgrees, FuzzParseIPv6InIPv4, FuzzParseIPv6InUDP4).

// ipv4Checks makes parseIPv4's checks but the checksum's, in its order, on
// the IPv4 packet at the start of b and returns its header length and
// Total Length.
func ipv4Checks(b []byte) (hlen, total int, err error) {
	if len(b) < IPv4HeaderLen {
		return 0, 0, ErrTruncated
	}
	if b[0]>>4 != 4 {
		return 0, 0, ErrBadVersion
	}
	hlen = int(b[0]&0x0f) * 4
	if hlen < IPv4HeaderLen {
		return 0, 0, ErrBadIHL
	}
	total = int(binary.BigEndian.Uint16(b[ipv4TotalLen:]))
	if total < hlen {
		return 0, 0, ErrBadTotalLength
	}
	if total > len(b) {
		return 0, 0, ErrTruncated
	}
	return hlen, total, nil
}

// ipv4Sum is the sum of the little-endian 32-bit words of the IPv4 header
// h (20 to 60 bytes), which parseIPv4 tests.
func ipv4Sum(h []byte) uint64 {
	le := binary.LittleEndian
	return uint64(le.Uint32(h[0:4])) + uint64(le.Uint32(h[4:8])) + uint64(le.Uint32(h[8:12])) +
		uint64(le.Uint32(h[12:16])) + uint64(le.Uint32(h[16:20])) + optionWords(h[IPv4HeaderLen:])
}

// ipv4Carries reports, for a valid IPv4 packet b, ErrIPv4Fragment if it
// is a fragment and ErrWrongProtocol if its Protocol is not proto.
func ipv4Carries(b []byte, proto uint8) error {
	if binary.BigEndian.Uint16(b[ipv4Flags:])&(ipv4FlagMF|ipv4FragOffsetMask) != 0 {
		return ErrIPv4Fragment
	}
	if b[ipv4Protocol] != proto {
		return ErrWrongProtocol
	}
	return nil
}

// ipv6Checks makes parseIPv6's checks but the jumbogram's, in its order,
// on the IPv6 packet at the start of p, and returns its length (40 +
// Payload Length).
func ipv6Checks(p []byte) (n int, err error) {
	if len(p) < IPv6HeaderLen {
		return 0, ErrTruncated
	}
	if p[0]>>4 != 6 {
		return 0, ErrBadVersion
	}
	n = IPv6HeaderLen + int(binary.BigEndian.Uint16(p[ipv6PayloadLen:]))
	if n > len(p) {
		return 0, ErrTruncated
	}
	return n, nil
}

// IsValid reports whether e came from a successful ParseIPv6InIPv4 or
// ParseIPv6InUDP4.
func (e Encapsulated) IsValid() bool { return e.off != 0 }

// Outer returns the view of the IPv4 packet, trimmed to its Total Length.
// The zero Encapsulated gives the zero IPv4.
func (e Encapsulated) Outer() IPv4 { return IPv4{b: e.b, hlen: uint8(e.off)} }

// UDP returns the view of the UDP datagram that carries the IPv6 packet,
// or the zero UDP when there is none (ParseIPv6InIPv4).
func (e Encapsulated) UDP() UDP {
	hlen, in := e.off&0xff, e.off>>8
	if in == hlen {
		return UDP{}
	}
	return UDP{b: e.b[hlen:e.end]}
}

// Inner returns the view of the IPv6 packet. Its Trailer holds the bytes
// between the end of the IPv6 packet and the end of the layer that carries
// it (the IPv4 Total Length, or the UDP Length).
func (e Encapsulated) Inner() IPv6 { return IPv6{b: e.b[e.off>>8 : e.end], n: int(e.n)} }
