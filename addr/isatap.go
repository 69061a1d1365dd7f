package addr

// ISATAP interface identifier (RFC 5214 §6.1, built on the modified EUI-64
// format of RFC 4291 Appendix A with the IANA OUI 00-00-5E and type 0xFE):
//
//	|0              1|1              3|3                              6|
//	|0              5|6              1|2                              3|
//	+----------------+----------------+--------------------------------+
//	|000000ug00000000|0101111011111110|         IPv4 address           |
//	+----------------+----------------+--------------------------------+
//
// u = 1 (0200:5efe:V4) when the IPv4 address is known to be globally unique,
// u = 0 (0000:5efe:V4) otherwise; g = 0.

import "net/netip"

// ISATAPMode selects how strictly [DecodeISATAP] recognises an ISATAP
// interface identifier.
type ISATAPMode uint8

const (
	// ISATAPStrict accepts only the two identifiers RFC 5214 §6.1 builds,
	// first byte 0x00 or 0x02 (g = 0), as Linux's ipv6_addr_is_isatap does.
	ISATAPStrict ISATAPMode = iota
	// ISATAPLenient also accepts first bytes 0x01 and 0x03 (g ignored), as
	// Wireshark does. [EmbeddedIPv4] uses it so nothing that some decoder
	// could treat as ISATAP escapes classification.
	ISATAPLenient
)

// ISATAPInterfaceID returns the ISATAP interface identifier of v4:
// 02 00 5e fe V4 when universal is set, 00 00 5e fe V4 otherwise
// (RFC 5214 §6.1). Set universal only when v4 is globally unique; see
// [Classifier.ISATAPInterfaceID] to derive it from the classifier.
//
// It returns [ErrNotIPv4] if v4 is not an IPv4 address. It does not allocate.
func ISATAPInterfaceID(v4 netip.Addr, universal bool) ([8]byte, error) {
	if !v4.Is4() {
		return [8]byte{}, ErrNotIPv4
	}
	s := v4.As4()
	id := [8]byte{0, 0, 0x5e, 0xfe, s[0], s[1], s[2], s[3]}
	if universal {
		id[0] = 0x02
	}
	return id, nil
}

// ISATAPAddr returns the ISATAP address formed from the /64 prefix (any /64,
// link-local fe80::/64 included; host bits are masked) and the interface
// identifier of v4 (see [ISATAPInterfaceID]).
//
// It returns [ErrNotIPv6Prefix] if prefix is invalid or IPv4,
// [ErrBadPrefixLen] if it is not a /64 and [ErrNotIPv4] if v4 is not an IPv4
// address. It does not allocate.
func ISATAPAddr(prefix netip.Prefix, v4 netip.Addr, universal bool) (netip.Addr, error) {
	if !prefix.IsValid() || !prefix.Addr().Is6() {
		return netip.Addr{}, ErrNotIPv6Prefix
	}
	if prefix.Bits() != 64 {
		return netip.Addr{}, ErrBadPrefixLen
	}
	id, err := ISATAPInterfaceID(v4, universal)
	if err != nil {
		return netip.Addr{}, err
	}
	b := prefix.Addr().As16()
	copy(b[8:], id[:])
	return netip.AddrFrom16(b), nil
}

// ISATAPInterfaceID returns the ISATAP interface identifier of v4 with the
// u-bit set exactly when c classifies v4 as globally reachable, which is what
// Linux does with its own list of non-global ranges. Linux's list lacks
// 100.64.0.0/10, so for shared address space Linux sets u = 1 and this
// method sets u = 0. A nil c is the default classifier.
//
// It returns [ErrNotIPv4] if v4 is not an IPv4 address. It does not allocate.
func (c *Classifier) ISATAPInterfaceID(v4 netip.Addr) ([8]byte, error) {
	return ISATAPInterfaceID(v4, c.IsGlobalIPv4(v4))
}

// ISATAPAddr is [ISATAPAddr] with the u-bit chosen as in
// [Classifier.ISATAPInterfaceID]. A nil c is the default classifier.
// It does not allocate.
func (c *Classifier) ISATAPAddr(prefix netip.Prefix, v4 netip.Addr) (netip.Addr, error) {
	return ISATAPAddr(prefix, v4, c.IsGlobalIPv4(v4))
}

// DecodeISATAP returns the IPv4 address embedded in the ISATAP interface
// identifier of a (any prefix) and whether its u-bit is set. mode chooses
// which first bytes are accepted; an unknown mode is treated as ISATAPStrict.
// A zone on a is ignored.
//
// It returns [ErrNotIPv6] if a is not an IPv6 address and [ErrNotISATAP] if
// its interface identifier is not ISATAP in that mode. It does not allocate.
func DecodeISATAP(a netip.Addr, mode ISATAPMode) (v4 netip.Addr, universal bool, err error) {
	if !a.Is6() {
		return netip.Addr{}, false, ErrNotIPv6
	}
	b := a.As16()
	mask := byte(0x02) // bits allowed in byte 8: u (and g when lenient)
	if mode == ISATAPLenient {
		mask = 0x03
	}
	if b[8]&^mask != 0 || b[9] != 0 || b[10] != 0x5e || b[11] != 0xfe {
		return netip.Addr{}, false, ErrNotISATAP
	}
	return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), b[8]&0x02 != 0, nil
}
