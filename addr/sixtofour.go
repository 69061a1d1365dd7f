package addr

// 6to4 address (RFC 3056 §2):
//
//	| 16 bits |  32 bits  |   16 bits    |       64 bits       |
//	+---------+-----------+--------------+---------------------+
//	| 0x2002  |  V4ADDR   | SLA (subnet) |    interface ID     |
//	+---------+-----------+--------------+---------------------+
//	|<-- site prefix 2002:V4ADDR::/48 -->|

import "net/netip"

// SixToFourPrefix is the 6to4 prefix (RFC 3056 §2). RFC 7526 deprecated only
// the anycast relay mechanism; the prefix itself is still defined.
var SixToFourPrefix = netip.MustParsePrefix("2002::/16")

// SixToFourRelayAnycastIPv4 is the 6to4 relay anycast address 192.88.99.1
// (RFC 3068).
//
// The anycast mechanism is deprecated: RFC 7526 moved RFC 3068 to Historic
// and marked 192.88.99.0/24 deprecated in the IANA registry (so
// [IsGlobalIPv4] reports false for it), and new configurations must not
// default to it. The value is kept for recognising and interoperating with
// old deployments. (It carries no "Deprecated:" marker so that code that
// recognises it is not flagged by linters.)
var SixToFourRelayAnycastIPv4 = netip.AddrFrom4([4]byte{192, 88, 99, 1})

// SixToFourRelayAnycastIPv6 is 2002:c058:6301::, the 6to4 form of
// SixToFourRelayAnycastIPv4 (RFC 3068), deprecated with it by RFC 7526.
var SixToFourRelayAnycastIPv6 = netip.AddrFrom16([16]byte{0x20, 0x02, 192, 88, 99, 1})

// SixToFourSitePrefix returns the 6to4 site prefix 2002:V4ADDR::/48 of v4
// (RFC 3056 §2). It does not judge v4: RFC 3056 §2 requires a globally unique
// address, so callers building a real site prefix check [IsGlobalIPv4] first.
//
// It returns [ErrNotIPv4] if v4 is not an IPv4 address. It does not allocate.
func SixToFourSitePrefix(v4 netip.Addr) (netip.Prefix, error) {
	if !v4.Is4() {
		return netip.Prefix{}, ErrNotIPv4
	}
	s := v4.As4()
	return netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x02, s[0], s[1], s[2], s[3]}), 48), nil
}

// DecodeSixToFour returns the IPv4 address (bytes 2–5) and the SLA / subnet
// ID (bytes 6–7) of an address in 2002::/16. It does not judge the IPv4
// address. A zone on a is ignored.
//
// It returns [ErrNotIPv6] if a is not an IPv6 address and [ErrNotSixToFour]
// if it is outside 2002::/16. It does not allocate.
func DecodeSixToFour(a netip.Addr) (v4 netip.Addr, sla uint16, err error) {
	if !a.Is6() {
		return netip.Addr{}, 0, ErrNotIPv6
	}
	b := a.As16()
	if b[0] != 0x20 || b[1] != 0x02 {
		return netip.Addr{}, 0, ErrNotSixToFour
	}
	return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), uint16(b[6])<<8 | uint16(b[7]), nil
}
