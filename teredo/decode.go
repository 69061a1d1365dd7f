package teredo

import (
	"encoding/binary"
	"net/netip"

	"github.com/transit6/transit6/packet"
)

// Packet is a validated view of one Teredo UDP payload (RFC 4380 §5.1.1):
// optional authentication indicator, optional origin indication, the IPv6
// packet, and any RFC 6081 trailers after it. It comes from Decode or
// ParsePacket and aliases the decoded payload; its accessors never panic.
// A Packet can be reused for every datagram a socket delivers:
//
//	var p teredo.Packet
//	for {
//		n, from, _ := conn.ReadFromUDPAddrPort(buf)
//		if err := p.Decode(buf[:n]); err != nil {
//			continue // errors.Is(err, teredo.ErrNotIPv6), ...
//		}
//		ip := p.IPv6()
//		...
//	}
//
// The zero Packet is not valid: its accessors return zero values and false.
type Packet struct {
	b       []byte      // the payload
	ip      packet.IPv6 // the IPv6 packet; its Trailer holds the trailers
	authLen uint16      // length of the authentication indicator; 0: none
	// origin holds the origin indication that follows the authentication
	// indicator, as read from the wire (00 00, then the obfuscated port
	// and address: a big-endian 64-bit word below 2^48), with bit 63 set;
	// 0 if there is none. Origin de-obfuscates it without going back to b.
	origin uint64
}

// ParsePacket decodes the Teredo UDP payload b. See Decode. It does not
// allocate.
func ParsePacket(b []byte) (Packet, error) {
	var p Packet
	err := p.Decode(b)
	return p, err
}

// Decode sets p to a view of the Teredo UDP payload b, after checking it:
//
//   - indicators, in the order RFC 4380 §5.1.1 requires: at most one
//     authentication indicator, first, then at most one origin indication
//     ([ErrAuthAfterOrigin], [ErrDuplicateAuth], [ErrDuplicateOrigin],
//     [ErrUnknownIndicator] for 00 02 to 00 FF), each complete
//     ([ErrAuthTruncated], [ErrOriginTruncated]);
//   - then an IPv6 packet: version 6 ([ErrNotIPv6]), a whole 40-byte header
//     ([ErrShortIPv6]), a Payload Length within the payload
//     ([ErrIPv6Length]; RFC 4380 §5.2.3), not a jumbogram
//     ([packet.ErrJumbogram]);
//   - then well-formed RFC 6081 trailers, if bytes remain (see TrailerIter:
//     [ErrTrailerTruncated], [ErrAltAddrLength], [ErrAltAddrReserved],
//     [ErrAltAddrPort], [ErrAltAddrIPv4]).
//
// A payload of fewer than 2 bytes gives [ErrTooShort]. The checks run front
// to back, so the first fault in the payload decides the error. Nothing is
// copied: p aliases b. On error p is set to the zero Packet. It does not
// allocate.
func (p *Packet) Decode(b []byte) error {
	if err := p.decode(b); err != nil {
		*p = Packet{}
		return err
	}
	return nil
}

// decode is Decode, leaving p in an unspecified state on error. It is one
// pass over the payload: the indicators are parsed in line in the only
// order that is valid (authentication, origin), a further indicator being
// an error whose kind depends on what came before; the IPv6 packet is then
// validated once, by packet.ParseIPv6, and only a refusal is looked at
// again, to name it with teredo's sentinel (ipv6Error).
func (p *Packet) decode(b []byte) error {
	n := len(b)
	if n < 2 {
		return ErrTooShort
	}
	authLen, off, origin := 0, 0, uint64(0)
	if b[0] == 0 {
		if b[1] == typeAuth {
			if n < AuthHeaderLen {
				return ErrAuthTruncated
			}
			authLen = AuthHeaderLen + int(b[2]) + int(b[3])
			if authLen > n {
				return ErrAuthTruncated
			}
			off = authLen
		}
		if off+2 <= n && b[off] == 0 {
			if b[off+1] != typeOrigin {
				return indicatorError(b[off+1], false)
			}
			if off+OriginLen > n {
				return ErrOriginTruncated
			}
			origin = 1<<63 | binary.BigEndian.Uint64(b[off:])
			off += OriginLen
			if off+2 <= n && b[off] == 0 {
				return indicatorError(b[off+1], true)
			}
		}
	}
	// The indicators are stored before the IPv6 packet is parsed, so that
	// nothing but p stays live across the call (on error Decode clears p).
	p.b, p.authLen, p.origin = b, uint16(authLen), origin
	r := b[off:]
	ip, err := packet.ParseIPv6(r)
	if err != nil {
		return ipv6Error(r, err)
	}
	p.ip = ip
	if t := ip.Trailer(); len(t) > 0 {
		return checkTrailers(t)
	}
	return nil
}

// indicatorError names the fault of an indicator of type typ (the byte
// after a zero byte) found where the IPv6 packet should start, after the
// indicators Decode accepted: an origin indication if origin. An
// authentication indicator there is a second one unless an origin
// indication came first (a first one would have been parsed).
func indicatorError(typ byte, origin bool) error {
	switch {
	case typ == typeAuth && origin:
		return ErrAuthAfterOrigin
	case typ == typeAuth:
		return ErrDuplicateAuth
	case typ == typeOrigin:
		return ErrDuplicateOrigin
	default:
		return ErrUnknownIndicator
	}
}

// ipv6Error returns teredo's sentinel for r, which packet.ParseIPv6
// refused with err, in the order Decode documents: a version other than 6
// (ErrNotIPv6) before a short header (ErrShortIPv6), then a Payload Length
// beyond the payload (ErrIPv6Length); what remains is err itself
// (packet.ErrJumbogram).
func ipv6Error(r []byte, err error) error {
	switch {
	case len(r) > 0 && r[0]>>4 != 6:
		return ErrNotIPv6
	case len(r) < packet.IPv6HeaderLen:
		return ErrShortIPv6
	case packet.IPv6HeaderLen+int(binary.BigEndian.Uint16(r[4:])) > len(r):
		return ErrIPv6Length
	}
	return err
}

// IsValid reports whether p is a view produced by a successful Decode, as
// opposed to the zero Packet.
func (p *Packet) IsValid() bool { return p.ip.IsValid() }

// Bytes returns the whole payload: indicators, IPv6 packet and trailers.
// The returned slice aliases the decoded payload.
func (p *Packet) Bytes() []byte { return p.b }

// HeaderLen returns the length of the indicators in front of the IPv6
// packet: 0 for simple encapsulation.
func (p *Packet) HeaderLen() int {
	n := int(p.authLen)
	if p.origin != 0 {
		n += OriginLen
	}
	return n
}

// HasAuth reports whether p carries an authentication indicator.
func (p *Packet) HasAuth() bool { return p.authLen != 0 }

// Auth returns the authentication indicator and true, or the zero Auth and
// false if there is none. ClientID and Value alias the decoded payload. It
// does not allocate.
func (p *Packet) Auth() (Auth, bool) {
	if p.authLen == 0 || len(p.b) < int(p.authLen) {
		return Auth{}, false
	}
	b := p.b[:p.authLen]
	idEnd := 4 + int(b[2])
	auEnd := idEnd + int(b[3])
	a := Auth{
		ClientID:     b[4:idEnd:idEnd],
		Value:        b[idEnd:auEnd:auEnd],
		Nonce:        [NonceLen]byte(b[auEnd : auEnd+NonceLen]),
		Confirmation: b[auEnd+NonceLen],
	}
	return a, true
}

// Nonce returns the nonce of the authentication indicator and true, or
// false if there is none. It reads the nonce alone: where the other fields
// are not needed, it and Confirmation are cheaper than Auth, whose result
// the compiler builds and copies through memory. It does not allocate.
func (p *Packet) Nonce() ([NonceLen]byte, bool) {
	if p.authLen == 0 || len(p.b) < int(p.authLen) {
		return [NonceLen]byte{}, false
	}
	n := int(p.authLen) - 1 - NonceLen
	return [NonceLen]byte(p.b[n : n+NonceLen]), true
}

// Confirmation returns the confirmation byte of the authentication
// indicator (RFC 4380 §5.1.1: non-zero from a server asks the client for a
// new key) and true, or 0 and false if there is none. It does not
// allocate.
func (p *Packet) Confirmation() (uint8, bool) {
	if p.authLen == 0 || len(p.b) < int(p.authLen) {
		return 0, false
	}
	return p.b[p.authLen-1], true
}

// HasOrigin reports whether p carries an origin indication.
func (p *Packet) HasOrigin() bool { return p.origin != 0 }

// Origin returns the de-obfuscated IPv4 address and port of the origin
// indication and true, or false if there is none. It does not allocate.
func (p *Packet) Origin() (netip.AddrPort, bool) {
	if p.origin == 0 {
		return netip.AddrPort{}, false
	}
	v := ^p.origin // the port in bits 32 to 47, the address in bits 0 to 31
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], uint32(v))
	return netip.AddrPortFrom(netip.AddrFrom4(a), uint16(v>>32)), true
}

// Header returns the indicators of p in builder form: encapsulating
// p.Inner() and p.Trailer() with it reproduces p.Bytes() exactly. Auth's
// slices alias the decoded payload.
func (p *Packet) Header() Header {
	var h Header
	h.Auth, h.HasAuth = p.Auth()
	h.Origin, _ = p.Origin()
	return h
}

// IPv6 returns the view of the IPv6 packet; its Trailer method returns the
// same bytes as p.Trailer.
func (p *Packet) IPv6() packet.IPv6 { return p.ip }

// Inner returns the IPv6 packet, 40 + Payload Length bytes, without the
// indicators before it or the trailers after it. This is what a Teredo
// interface delivers to the IPv6 stack. The returned slice aliases the
// decoded payload.
func (p *Packet) Inner() []byte { return p.ip.Bytes() }

// Trailer returns the bytes after the IPv6 packet: RFC 6081 trailers,
// validated by Decode. It is empty for most packets. The returned slice
// aliases the decoded payload.
func (p *Packet) Trailer() []byte { return p.ip.Trailer() }

// Trailers returns an iterator over the trailers. Decode has checked them,
// so the iteration ends without error.
func (p *Packet) Trailers() TrailerIter { return Trailers(p.ip.Trailer()) }

// IsBubble reports whether the IPv6 packet is a bubble (RFC 4380 §2.8): a
// header with Next Header 59 and Payload Length 0. Trailers do not count.
func (p *Packet) IsBubble() bool { return p.ip.IsBubble() }
