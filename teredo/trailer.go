package teredo

// Teredo trailers, RFC 6081 §4 and [MS-TERR] §2.2.2. Bytes after the IPv6
// packet (beyond 40 + Payload Length) form a sequence of TLVs whose Length
// counts the bytes after the Length byte:
//
//	+--------+--------+--------+-- ... --+
//	|  Type  | Length |  Value (Length)  |
//	+--------+--------+--------+-- ... --+
//
// The Alternate Address trailer (type 0x03) lists addresses at which a
// client behind the same NAT may reach the sender (hairpinning extension):
//
//	+--------+--------+-----------------+
//	|  0x03  | Length |  Reserved (0)   |
//	+--------+--------+-----------------+
//	|  IPv4 address 1 (clear)           |
//	+-----------------+-----------------+
//	|  Port 1 (clear) |  IPv4 address 2 ...
//	+-----------------+
//
// Length is 2 + 6×N for N = 1 to 4 addresses: 8, 14, 20 or 26. Ports are not
// zero and addresses are unicast.
//
// RFC 6081 defines further trailers (a nonce trailer for the symmetric NAT
// extension, a neighbor discovery option trailer for server load reduction,
// a random port trailer for sequential port-symmetric NATs). Their layout
// could not be confirmed from the RFC text when this was written, so they
// are treated like any unknown type: skipped by their length, value
// available through Trailer.Value.

import (
	"net/netip"
)

// TrailerAltAddress is the type of the Alternate Address trailer ([MS-TERR]
// §2.2.2, RFC 6081 §4).
const TrailerAltAddress = 0x03

// Alternate Address trailer limits.
const (
	// MaxAltAddrs is the most addresses an Alternate Address trailer
	// carries: its Length is at most 26.
	MaxAltAddrs = 4
	// altAddrEntryLen is the length of one address and port.
	altAddrEntryLen = 6
)

// Trailer is one RFC 6081 trailer found by a TrailerIter. Its accessors never
// panic; the zero Trailer has Type 0 and no bytes.
type Trailer struct{ b []byte }

// Type returns the trailer type.
func (t Trailer) Type() uint8 {
	if len(t.b) == 0 {
		return 0
	}
	return t.b[0]
}

// Len returns the length of the whole trailer in bytes, type and length
// bytes included.
func (t Trailer) Len() int { return len(t.b) }

// Bytes returns the whole trailer. The returned slice aliases the payload.
func (t Trailer) Bytes() []byte { return t.b }

// Value returns the trailer after its type and length bytes. The returned
// slice aliases the payload.
func (t Trailer) Value() []byte {
	if len(t.b) < 2 {
		return nil
	}
	return t.b[2:]
}

// NumAltAddrs returns the number of addresses in an Alternate Address
// trailer, and 0 for other trailers.
func (t Trailer) NumAltAddrs() int {
	if t.Type() != TrailerAltAddress || len(t.b) < 4 {
		return 0
	}
	return (len(t.b) - 4) / altAddrEntryLen
}

// AltAddr returns address i (from 0) of an Alternate Address trailer, and
// the zero AddrPort if i is out of range or t is of another type.
func (t Trailer) AltAddr(i int) netip.AddrPort {
	if i < 0 || i >= t.NumAltAddrs() {
		return netip.AddrPort{}
	}
	e := t.b[4+i*altAddrEntryLen:]
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte(e[:4])), uint16(e[4])<<8|uint16(e[5]))
}

// AppendAltAddrs appends the addresses of an Alternate Address trailer to
// dst and returns the extended slice. It returns dst unchanged and
// [ErrWrongTrailerType] for other trailers. It does not allocate if dst has
// room for the addresses (MaxAltAddrs at most).
func (t Trailer) AppendAltAddrs(dst []netip.AddrPort) ([]netip.AddrPort, error) {
	if t.Type() != TrailerAltAddress {
		return dst, ErrWrongTrailerType
	}
	for i := range t.NumAltAddrs() {
		dst = append(dst, t.AltAddr(i))
	}
	return dst, nil
}

// TrailerIter iterates over a sequence of RFC 6081 trailers without
// allocating:
//
//	it := p.Trailers()
//	for t, ok := it.Next(); ok; t, ok = it.Next() {
//		switch t.Type() { ... }
//	}
//	if err := it.Err(); err != nil { ... }
//
// The zero TrailerIter is an empty sequence.
type TrailerIter struct {
	b   []byte
	err error
}

// Trailers returns an iterator over the trailers in b, the bytes after an
// IPv6 packet in a Teredo payload (Packet.Trailer).
func Trailers(b []byte) TrailerIter { return TrailerIter{b: b} }

// Next returns the next trailer and true, or the zero Trailer and false at
// the end of the sequence or at a malformed trailer; Err tells which. A
// trailer whose type and length bytes or value run past the end gives
// [ErrTrailerTruncated]. An Alternate Address trailer is checked fully: Length
// 8, 14, 20 or 26 ([ErrAltAddrLength]), reserved field zero
// ([ErrAltAddrReserved]), ports not zero ([ErrAltAddrPort]) and unicast IPv4
// addresses ([ErrAltAddrIPv4], see IsAltAddrUnicast). Other types, known or
// not, are returned with any length, 0 included.
func (it *TrailerIter) Next() (Trailer, bool) {
	if len(it.b) == 0 {
		return Trailer{}, false
	}
	if len(it.b) < 2 {
		return it.fail(ErrTrailerTruncated)
	}
	n := 2 + int(it.b[1])
	if n > len(it.b) {
		return it.fail(ErrTrailerTruncated)
	}
	t := it.b[:n:n]
	if t[0] == TrailerAltAddress {
		if err := checkAltAddr(t); err != nil {
			return it.fail(err)
		}
	}
	it.b = it.b[n:]
	return Trailer{t}, true
}

func (it *TrailerIter) fail(err error) (Trailer, bool) {
	it.b, it.err = nil, err
	return Trailer{}, false
}

// Err returns the error that ended the iteration, or nil.
func (it *TrailerIter) Err() error { return it.err }

// checkTrailers validates the trailer sequence b.
func checkTrailers(b []byte) error {
	it := Trailers(b)
	for {
		if _, ok := it.Next(); !ok {
			return it.err
		}
	}
}

// checkAltAddr validates the whole Alternate Address trailer t.
func checkAltAddr(t []byte) error {
	switch t[1] {
	case 8, 14, 20, 26:
	default:
		return ErrAltAddrLength
	}
	if t[2] != 0 || t[3] != 0 {
		return ErrAltAddrReserved
	}
	for e := t[4:]; len(e) >= altAddrEntryLen; e = e[altAddrEntryLen:] {
		if !IsAltAddrUnicast(netip.AddrFrom4([4]byte(e[:4]))) {
			return ErrAltAddrIPv4
		}
		if e[4] == 0 && e[5] == 0 {
			return ErrAltAddrPort
		}
	}
	return nil
}

// IsAltAddrUnicast reports whether a may appear in an Alternate Address
// trailer, which [MS-TERR] §2.2.2 restricts to unicast IPv4 addresses. The
// addresses are those of the sender's own network, so private ones
// (10/8, 192.168/16, ...) are allowed; refused are "this network" 0/8,
// loopback 127/8 (not reachable from a peer), multicast 224/4 and the
// reserved 240/4 with the limited broadcast 255.255.255.255.
func IsAltAddrUnicast(a netip.Addr) bool {
	if !a.Is4() {
		return false
	}
	b := a.As4()
	return b[0] != 0 && b[0] != 127 && b[0] < 224
}

// AppendTrailer appends a trailer of type typ carrying value to b and
// returns the extended slice. It returns b unchanged and [ErrTrailerTooLong]
// if value is longer than 255 bytes. The value is not checked against typ:
// use AppendAltAddrTrailer for the Alternate Address trailer. It does not
// allocate if b has 2+len(value) bytes of spare capacity.
func AppendTrailer(b []byte, typ uint8, value []byte) ([]byte, error) {
	if len(value) > 255 {
		return b, ErrTrailerTooLong
	}
	all, t := extend(b, 2+len(value))
	t[0], t[1] = typ, uint8(len(value))
	copy(t[2:], value)
	return all, nil
}

// AppendAltAddrTrailer appends an Alternate Address trailer listing addrs
// (1 to 4 IPv4 addresses and ports, sent in clear) to b and returns the
// extended slice. It returns b unchanged and [ErrTrailerTooLong] for 0 or
// more than 4 addresses, [ErrAltAddrIPv4] for an address that is not a
// unicast IPv4 address, and [ErrAltAddrPort] for port 0. It does not
// allocate if b has 4+6×len(addrs) bytes of spare capacity.
func AppendAltAddrTrailer(b []byte, addrs []netip.AddrPort) ([]byte, error) {
	if len(addrs) == 0 || len(addrs) > MaxAltAddrs {
		return b, ErrTrailerTooLong
	}
	for _, a := range addrs {
		if !IsAltAddrUnicast(a.Addr()) {
			return b, ErrAltAddrIPv4
		}
		if a.Port() == 0 {
			return b, ErrAltAddrPort
		}
	}
	n := 2 + altAddrEntryLen*len(addrs)
	all, t := extend(b, 2+n)
	t[0], t[1], t[2], t[3] = TrailerAltAddress, uint8(n), 0, 0
	e := t[4:]
	for _, a := range addrs {
		v := a.Addr().As4()
		copy(e, v[:])
		e[4], e[5] = byte(a.Port()>>8), byte(a.Port())
		e = e[altAddrEntryLen:]
	}
	return all, nil
}
