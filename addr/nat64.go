package addr

// IPv4-embedded IPv6 addresses (RFC 6052 §2.2). The IPv4 address follows a
// prefix of length PL, skipping bits 64–71 (the u-octet), which are zero:
//
//	+--+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
//	|PL| 0-------------32--40--48--56--64--72--80--88--96--104---------|
//	+--+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
//	|32|     prefix    |v4(32)         | u | suffix                    |
//	|40|     prefix        |v4(24)     | u |(8)| suffix                |
//	|48|     prefix            |v4(16) | u | (16)  | suffix            |
//	|56|     prefix                |(8)| u |  v4(24)   | suffix        |
//	|64|     prefix                    | u |   v4(32)      | suffix    |
//	|96|     prefix                                    |    v4(32)     |
//	+--+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
//
// IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses are
// defined in RFC 4291 §2.5.5.

import "net/netip"

var (
	// NAT64WellKnownPrefix is the Well-Known Prefix 64:ff9b::/96
	// (RFC 6052 §2.1). It is globally reachable; the IPv4 address it
	// carries decides whether an address in it is public.
	NAT64WellKnownPrefix = netip.MustParsePrefix("64:ff9b::/96")
	// NAT64LocalUsePrefix is the local-use prefix 64:ff9b:1::/48
	// (RFC 8215), for translators inside one domain; it is not globally
	// reachable. Operators subdivide it, commonly into /96s.
	NAT64LocalUsePrefix = netip.MustParsePrefix("64:ff9b:1::/48")
)

// nat64Pos returns the byte offsets of the four IPv4 bytes for a NAT64
// prefix of the given length, skipping the u-octet at byte 8.
func nat64Pos(bits int) ([4]uint8, bool) {
	switch bits {
	case 32:
		return [4]uint8{4, 5, 6, 7}, true
	case 40:
		return [4]uint8{5, 6, 7, 9}, true
	case 48:
		return [4]uint8{6, 7, 9, 10}, true
	case 56:
		return [4]uint8{7, 9, 10, 11}, true
	case 64:
		return [4]uint8{9, 10, 11, 12}, true
	case 96:
		return [4]uint8{12, 13, 14, 15}, true
	}
	return [4]uint8{}, false
}

// nat64Prefix validates prefix and returns its masked bytes and the IPv4
// byte positions.
func nat64Prefix(prefix netip.Prefix) ([16]byte, [4]uint8, error) {
	if !prefix.IsValid() || !prefix.Addr().Is6() {
		return [16]byte{}, [4]uint8{}, ErrNotIPv6Prefix
	}
	pos, ok := nat64Pos(prefix.Bits())
	if !ok {
		return [16]byte{}, [4]uint8{}, ErrBadPrefixLen
	}
	b := prefix.Masked().Addr().As16()
	if b[8] != 0 { // only a /96 can reach the u-octet
		return [16]byte{}, [4]uint8{}, ErrNAT64UOctet
	}
	return b, pos, nil
}

// NAT64Embed returns the IPv4-embedded IPv6 address of v4 under prefix
// (RFC 6052 §2.2). The prefix's host bits are ignored; the u-octet and the
// suffix are zero.
//
// It returns [ErrNotIPv6Prefix] if prefix is invalid or IPv4,
// [ErrBadPrefixLen] if its length is not 32, 40, 48, 56, 64 or 96,
// [ErrNAT64UOctet] if a /96 prefix has bits 64–71 set and [ErrNotIPv4] if v4
// is not an IPv4 address. It does not allocate.
func NAT64Embed(prefix netip.Prefix, v4 netip.Addr) (netip.Addr, error) {
	b, pos, err := nat64Prefix(prefix)
	if err != nil {
		return netip.Addr{}, err
	}
	if !v4.Is4() {
		return netip.Addr{}, ErrNotIPv4
	}
	s := v4.As4()
	b[pos[0]], b[pos[1]], b[pos[2]], b[pos[3]] = s[0], s[1], s[2], s[3]
	return netip.AddrFrom16(b), nil
}

// NAT64Extract returns the IPv4 address embedded in a under prefix
// (RFC 6052 §2.2). The suffix bits are not checked (RFC 6052 reserves them
// for future extensions). A zone on a is ignored.
//
// It returns [ErrNotIPv6Prefix], [ErrBadPrefixLen] or [ErrNAT64UOctet] for a
// prefix NAT64Embed would reject, [ErrNotIPv6] if a is not an IPv6 address,
// [ErrNotNAT64] if a is outside prefix and [ErrNAT64UOctet] if the u-octet of
// a is not zero. It does not allocate.
func NAT64Extract(prefix netip.Prefix, a netip.Addr) (netip.Addr, error) {
	_, pos, err := nat64Prefix(prefix)
	if err != nil {
		return netip.Addr{}, err
	}
	if !a.Is6() {
		return netip.Addr{}, ErrNotIPv6
	}
	if !prefix.Contains(a.WithZone("")) {
		return netip.Addr{}, ErrNotNAT64
	}
	b := a.As16()
	if b[8] != 0 {
		return netip.Addr{}, ErrNAT64UOctet
	}
	return netip.AddrFrom4([4]byte{b[pos[0]], b[pos[1]], b[pos[2]], b[pos[3]]}), nil
}

// IPv4Mapped returns the IPv4-mapped IPv6 address ::ffff:a.b.c.d of v4
// (RFC 4291 §2.5.5.2), or the zero Addr if v4 is not an IPv4 address.
// It does not allocate.
func IPv4Mapped(v4 netip.Addr) netip.Addr {
	if !v4.Is4() {
		return netip.Addr{}
	}
	return netip.AddrFrom16(v4.As16())
}

// DecodeIPv4Mapped returns the IPv4 address of an IPv4-mapped IPv6 address
// ::ffff:a.b.c.d. A zone on a is ignored.
//
// It returns [ErrNotIPv6] if a is not an IPv6 address and [ErrNotIPv4Mapped]
// if it is outside ::ffff:0:0/96. It does not allocate.
func DecodeIPv4Mapped(a netip.Addr) (netip.Addr, error) {
	if !a.Is6() {
		return netip.Addr{}, ErrNotIPv6
	}
	if !a.Is4In6() {
		return netip.Addr{}, ErrNotIPv4Mapped
	}
	return a.Unmap(), nil
}

// IPv4Compatible returns the IPv4-compatible IPv6 address ::a.b.c.d of v4
// (RFC 4291 §2.5.5.1). The address form is deprecated: no current transition
// mechanism uses it, and [IsPublic] never treats it as public. The function
// exists to build test inputs and to recognise old configurations.
//
// It returns [ErrNotIPv4] if v4 is not an IPv4 address and
// [ErrNotIPv4Compatible] for 0.0.0.0 and 0.0.0.1, whose forms are the
// unspecified address :: and the loopback address ::1. It does not allocate.
func IPv4Compatible(v4 netip.Addr) (netip.Addr, error) {
	if !v4.Is4() {
		return netip.Addr{}, ErrNotIPv4
	}
	s := v4.As4()
	if s[0]|s[1]|s[2] == 0 && s[3] <= 1 {
		return netip.Addr{}, ErrNotIPv4Compatible
	}
	return netip.AddrFrom16([16]byte{12: s[0], 13: s[1], 14: s[2], 15: s[3]}), nil
}

// DecodeIPv4Compatible returns the IPv4 address of an IPv4-compatible IPv6
// address ::a.b.c.d (RFC 4291 §2.5.5.1, deprecated). A zone on a is ignored.
//
// It returns [ErrNotIPv6] if a is not an IPv6 address and
// [ErrNotIPv4Compatible] if it is outside ::/96 or is :: or ::1.
// It does not allocate.
func DecodeIPv4Compatible(a netip.Addr) (netip.Addr, error) {
	if !a.Is6() {
		return netip.Addr{}, ErrNotIPv6
	}
	b := a.As16()
	var or byte
	for _, x := range b[:12] {
		or |= x
	}
	if or != 0 || b[12]|b[13]|b[14] == 0 && b[15] <= 1 {
		return netip.Addr{}, ErrNotIPv4Compatible
	}
	return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), nil
}
