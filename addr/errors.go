package addr

import "errors"

// Errors returned by the address derivation and decoding functions. They are
// returned bare on every path (no wrapping, no allocation), so callers compare
// with errors.Is or ==.
var (
	// ErrNotIPv4 is returned when an argument that must be an IPv4 address
	// (Is4) is not: the zero Addr, an IPv6 address, or an IPv4-mapped IPv6
	// address (call Unmap first).
	ErrNotIPv4 = errors.New("addr: not an IPv4 address")

	// ErrNotIPv6 is returned when an argument that must be an IPv6 address
	// (Is6) is the zero Addr or an IPv4 address.
	ErrNotIPv6 = errors.New("addr: not an IPv6 address")

	// ErrNotIPv6Prefix is returned when a prefix argument is invalid or is an
	// IPv4 prefix.
	ErrNotIPv6Prefix = errors.New("addr: not an IPv6 prefix")

	// ErrBadPrefixLen is returned when a prefix has a length the mechanism
	// does not allow: ISATAP needs a /64 (RFC 5214 §6.1), NAT64 one of /32,
	// /40, /48, /56, /64 or /96 (RFC 6052 §2.2).
	ErrBadPrefixLen = errors.New("addr: prefix length not allowed")

	// ErrNotTeredo is returned for an IPv6 address outside the Teredo
	// service prefix 2001::/32 (and, when allowed, 3ffe:831f::/32).
	ErrNotTeredo = errors.New("addr: not a Teredo address")

	// ErrNotTeredoServerLinkLocal is returned for an IPv6 address that is
	// not a Teredo server link-local address fe80::8000:<~port>:<~ipv4>.
	ErrNotTeredoServerLinkLocal = errors.New("addr: not a Teredo server link-local address")

	// ErrNotSixToFour is returned for an IPv6 address outside 2002::/16.
	ErrNotSixToFour = errors.New("addr: not a 6to4 address")

	// ErrNotISATAP is returned for an IPv6 address whose interface
	// identifier is not an ISATAP identifier in the requested mode.
	ErrNotISATAP = errors.New("addr: not an ISATAP address")

	// ErrNotNAT64 is returned when an address lies outside the NAT64 prefix
	// it is decoded against.
	ErrNotNAT64 = errors.New("addr: address outside the NAT64 prefix")

	// ErrNAT64UOctet is returned when bits 64–71 (the u-octet) of a NAT64
	// address or /96 prefix are not zero (RFC 6052 §2.2).
	ErrNAT64UOctet = errors.New("addr: NAT64 u-octet (bits 64-71) not zero")

	// ErrNotIPv4Mapped is returned for an IPv6 address outside ::ffff:0:0/96.
	ErrNotIPv4Mapped = errors.New("addr: not an IPv4-mapped IPv6 address")

	// ErrNotIPv4Compatible is returned for an IPv6 address outside ::/96,
	// and for :: and ::1, which are not IPv4-compatible addresses.
	ErrNotIPv4Compatible = errors.New("addr: not an IPv4-compatible IPv6 address")
)

// Errors of the 6rd configuration and the DHCPv4 OPTION_6RD codec
// (sixrd.go, option6rd.go). Returned bare, like the ones above.
var (
	// ErrSixRDPrefixLen is returned when a 6rd prefix is not a valid
	// netip.Prefix, or when an OPTION_6RD carries a 6rdPrefixLen greater
	// than 128.
	ErrSixRDPrefixLen = errors.New("addr: 6rd prefix not valid or longer than 128 bits")

	// ErrSixRDHostBits is returned when a configured 6rd prefix has bits set
	// beyond its length (Linux refuses it with EINVAL). OPTION_6RD parsing
	// masks such bits instead, as RFC 5969 §7.1.1 tells the receiver to.
	ErrSixRDHostBits = errors.New("addr: 6rd prefix has bits set beyond its length")

	// ErrSixRDMaskLen is returned when IPv4MaskLen is outside 0..32 (RFC 5969
	// §7.1.1: a value greater than 32 is invalid).
	ErrSixRDMaskLen = errors.New("addr: 6rd IPv4MaskLen outside 0..32")

	// ErrSixRDDelegatedTooLong is returned when the delegated prefix,
	// 6rdPrefixLen + 32 - IPv4MaskLen, is longer than the policy allows:
	// /128 for DHCP validity, /64 for the Linux and FreeBSD kernels.
	ErrSixRDDelegatedTooLong = errors.New("addr: 6rd delegated prefix too long")

	// ErrSixRDNotInDomain is returned when an IPv6 address lies outside the
	// 6rd prefix it is mapped against.
	ErrSixRDNotInDomain = errors.New("addr: address not in the 6rd domain")

	// ErrOption6RDTooShort is returned when an OPTION_6RD body is shorter
	// than 22 octets, or a buffer is shorter than the option's length octet
	// says.
	ErrOption6RDTooShort = errors.New("addr: OPTION_6RD too short")

	// ErrOption6RDTrailing is returned when the border relay octets of an
	// OPTION_6RD are not a multiple of 4.
	ErrOption6RDTrailing = errors.New("addr: OPTION_6RD border relays not a multiple of 4 octets")

	// ErrOption6RDCode is returned when an option's code is not 212
	// (OPTION_6RD).
	ErrOption6RDCode = errors.New("addr: option code is not OPTION_6RD (212)")

	// ErrOption6RDNoRelays is returned when a 6rd configuration without
	// border relays is encoded: OPTION_6RD carries at least one.
	ErrOption6RDNoRelays = errors.New("addr: OPTION_6RD needs at least one border relay")

	// ErrOption6RDTooManyRelays is returned when a 6rd configuration has
	// more border relays than fit in one OPTION_6RD (59).
	ErrOption6RDTooManyRelays = errors.New("addr: too many border relays for one OPTION_6RD")
)
