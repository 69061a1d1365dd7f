package addr

// 6rd, IPv6 Rapid Deployment on IPv4 infrastructures (RFC 5969).
//
// A customer edge (CE) router's delegated prefix is the service provider's
// 6rd prefix followed by the low-order bits of the CE's IPv4 address (RFC 5969
// §4):
//
//	|     n bits     |       o bits        |   s bits   |  128-n-o-s bits  |
//	+----------------+---------------------+------------+------------------+
//	|  6rd prefix    |  IPv4 address bits  |  subnet ID |   interface ID   |
//	+----------------+---------------------+------------+------------------+
//	|<--- 6rd delegated prefix (n+o) ----->|
//
//	n = 6rdPrefixLen, o = 32 - IPv4MaskLen
//
// IPv4MaskLen is the number of high-order bits that every CE IPv4 address in
// the 6rd domain shares; those bits are not embedded and are restored from
// configuration when mapping an IPv6 destination back to an IPv4 tunnel
// endpoint. 6to4 (RFC 3056) is the special case 2002::/16 with IPv4MaskLen 0.

import (
	"encoding/binary"
	"net/netip"
	"strconv"
)

// SixRD is the configuration of a 6rd domain (RFC 5969 §4, §7.1.1): the
// service provider's 6rd prefix, the number of high-order IPv4 bits common to
// every CE, and the IPv4 addresses of the domain's border relays.
//
// SixRD is the same information the DHCPv4 OPTION_6RD carries; see
// [ParseOption6RD] and [AppendOption6RD]. The zero SixRD is not valid.
type SixRD struct {
	// Prefix is the 6rd prefix (6rdPrefix/6rdPrefixLen). Its host bits must
	// be zero.
	Prefix netip.Prefix
	// IPv4MaskLen is the number of high-order bits identical across all CE
	// IPv4 addresses in the domain, 0 to 32. Only the other 32-IPv4MaskLen
	// bits are embedded in the delegated prefix.
	IPv4MaskLen int
	// BorderRelays are the IPv4 addresses of the domain's border relays
	// (6rdBRIPv4Address). They play no part in the prefix arithmetic.
	BorderRelays []netip.Addr
}

// SixToFourAsSixRD is 6to4 (RFC 3056) expressed as a 6rd domain: the prefix
// 2002::/16 with all 32 bits of the IPv4 address embedded, so every site gets
// a /48. It is also how Linux initialises every sit device before 6rd is
// configured. It has no border relays: 6to4 relays are found by anycast or
// configuration, not through the 6rd domain.
var SixToFourAsSixRD = SixRD{Prefix: netip.MustParsePrefix("2002::/16"), IPv4MaskLen: 0}

// SixRDPolicy selects the upper bound [SixRD.Validate] puts on the length of
// the delegated prefix, 6rdPrefixLen + 32 - IPv4MaskLen.
type SixRDPolicy uint8

const (
	// SixRDPolicyDHCP accepts delegated prefixes up to /128, the validity
	// check DHCP clients apply to OPTION_6RD (busybox udhcpc, systemd-networkd).
	// RFC 5969 §4 only says the delegated prefix SHOULD be /64 or shorter.
	SixRDPolicyDHCP SixRDPolicy = iota
	// SixRDPolicyKernel accepts delegated prefixes up to /64, the limit the
	// Linux sit driver (SIOCCHG6RD answers EINVAL) and FreeBSD stf(4) enforce.
	SixRDPolicyKernel
)

// MaxDelegatedLen returns the longest delegated prefix p accepts: 128 for
// [SixRDPolicyDHCP] and 64 for [SixRDPolicyKernel]. Any other value of p is
// treated as the stricter [SixRDPolicyKernel].
func (p SixRDPolicy) MaxDelegatedLen() int {
	if p == SixRDPolicyDHCP {
		return 128
	}
	return 64
}

// String returns "dhcp" or "kernel", or "SixRDPolicy(N)" for other values.
func (p SixRDPolicy) String() string {
	switch p {
	case SixRDPolicyDHCP:
		return "dhcp"
	case SixRDPolicyKernel:
		return "kernel"
	}
	return "SixRDPolicy(" + strconv.Itoa(int(p)) + ")"
}

// DelegatedLen returns the length of the prefix delegated to each CE,
// 6rdPrefixLen + 32 - IPv4MaskLen (RFC 5969 §4). It returns -1 when the
// length cannot be computed: c.Prefix is not valid or c.IPv4MaskLen is
// outside 0..32. It does not check the policy bounds; see [SixRD.Validate].
// It does not allocate.
func (c SixRD) DelegatedLen() int {
	n := c.Prefix.Bits()
	if n < 0 || c.IPv4MaskLen < 0 || c.IPv4MaskLen > 32 {
		return -1
	}
	return n + 32 - c.IPv4MaskLen
}

// Validate reports whether c describes a usable 6rd domain under policy p.
// It returns nil or the first of these problems:
//
//   - [ErrSixRDPrefixLen]: c.Prefix is not a valid prefix.
//   - [ErrNotIPv6Prefix]: c.Prefix is an IPv4 prefix.
//   - [ErrSixRDHostBits]: c.Prefix has bits set beyond its length. Linux
//     answers EINVAL to such a prefix; RFC 5969 §7.1.1 requires a DHCP
//     sender to zero them.
//   - [ErrSixRDMaskLen]: c.IPv4MaskLen is outside 0..32 (RFC 5969 §7.1.1:
//     a value greater than 32 is invalid).
//   - [ErrSixRDDelegatedTooLong]: [SixRD.DelegatedLen] exceeds
//     p.MaxDelegatedLen().
//   - [ErrNotIPv4]: a border relay is not an IPv4 address (an IPv4-mapped
//     IPv6 address is rejected too; Unmap it first).
//
// An empty BorderRelays is valid: a CE that only derives its prefix, or 6to4
// expressed as [SixToFourAsSixRD], has none. A relay of 0.0.0.0 (or any other
// special-purpose IPv4 address) is accepted as is: RFC 5969 puts no
// restriction on the value, and whether such a relay is usable is a routing
// decision, not a syntax one.
//
// It does not allocate.
func (c SixRD) Validate(p SixRDPolicy) error {
	if err := c.check(p.MaxDelegatedLen()); err != nil {
		return err
	}
	for _, r := range c.BorderRelays {
		if !r.Is4() {
			return ErrNotIPv4
		}
	}
	return nil
}

// check validates everything but the border relays, with the delegated
// prefix length bounded by maxLen.
func (c SixRD) check(maxLen int) error {
	if !c.Prefix.IsValid() {
		return ErrSixRDPrefixLen
	}
	if !c.Prefix.Addr().Is6() {
		return ErrNotIPv6Prefix
	}
	if c.Prefix.Masked() != c.Prefix {
		return ErrSixRDHostBits
	}
	if c.IPv4MaskLen < 0 || c.IPv4MaskLen > 32 {
		return ErrSixRDMaskLen
	}
	if c.DelegatedLen() > maxLen {
		return ErrSixRDDelegatedTooLong
	}
	return nil
}

// DelegatedPrefix returns the 6rd delegated prefix of the CE whose IPv4
// address is ce: c.Prefix followed by the low 32-IPv4MaskLen bits of ce
// (RFC 5969 §4), with length [SixRD.DelegatedLen]. The high IPv4MaskLen bits
// of ce are ignored, not checked against the domain.
//
// c is checked as [SixRD.Validate] with [SixRDPolicyDHCP] checks it, except
// that BorderRelays are not looked at; callers who need the /64 bound of the
// kernel policy call Validate first. ce must be an IPv4 address
// ([ErrNotIPv4] otherwise; an IPv4-mapped IPv6 address must be Unmapped by the
// caller).
//
// It does not allocate.
func (c SixRD) DelegatedPrefix(ce netip.Addr) (netip.Prefix, error) {
	if err := c.check(128); err != nil {
		return netip.Prefix{}, err
	}
	if !ce.Is4() {
		return netip.Prefix{}, ErrNotIPv4
	}
	n := uint(c.Prefix.Bits())
	k := uint(32 - c.IPv4MaskLen) // embedded bits
	v4 := ce.As4()
	v := uint64(binary.BigEndian.Uint32(v4[:])) & lowMask(k)

	// Place the k bits of v at bit offset n (from the most significant
	// bit) of the 128-bit address: shift left by 128-n-k.
	hi, lo := split128(c.Prefix.Addr())
	vhi, vlo := shl128(v, 128-n-k)
	return netip.PrefixFrom(join128(hi|vhi, lo|vlo), int(n+k)), nil
}

// IPv4For maps an IPv6 address inside the 6rd domain back to the IPv4
// address of the CE it belongs to: the reverse of [SixRD.DelegatedPrefix],
// which a BR or CE uses to find the IPv4 tunnel endpoint for a destination
// under the 6rd prefix (RFC 5969 §4, the same arithmetic as Linux's sit
// driver and FreeBSD's stf(4)).
// The low 32-IPv4MaskLen bits of the result are bits [n, n+32-IPv4MaskLen) of
// dst, n being the 6rd prefix length; the high IPv4MaskLen bits come from
// common, typically the sender's own IPv4 address (any address of the domain
// will do, only its high IPv4MaskLen bits are used). When IPv4MaskLen is 0,
// common is ignored and may be the zero Addr.
//
// c is checked as in [SixRD.DelegatedPrefix]. IPv4For returns
// [ErrNotIPv6] if dst is not an IPv6 address, [ErrSixRDNotInDomain] if dst is
// outside c.Prefix, and [ErrNotIPv4] if common is needed and is not an IPv4
// address. A zone on dst is ignored.
//
// It does not allocate.
func (c SixRD) IPv4For(dst, common netip.Addr) (netip.Addr, error) {
	if err := c.check(128); err != nil {
		return netip.Addr{}, err
	}
	if !dst.Is6() {
		return netip.Addr{}, ErrNotIPv6
	}
	dst = dst.WithZone("")
	if !c.Prefix.Contains(dst) {
		return netip.Addr{}, ErrSixRDNotInDomain
	}
	m := uint(c.IPv4MaskLen)
	var high uint32
	if m > 0 {
		if !common.Is4() {
			return netip.Addr{}, ErrNotIPv4
		}
		c4 := common.As4()
		high = binary.BigEndian.Uint32(c4[:]) &^ uint32(lowMask(32-m))
	}
	n := uint(c.Prefix.Bits())
	k := 32 - m
	hi, lo := split128(dst)
	low := uint32(shr128(hi, lo, 128-n-k) & lowMask(k))
	var out [4]byte
	binary.BigEndian.PutUint32(out[:], high|low)
	return netip.AddrFrom4(out), nil
}

// lowMask returns a mask of the low k bits, k in 0..64.
func lowMask(k uint) uint64 {
	if k >= 64 {
		return ^uint64(0)
	}
	return 1<<k - 1
}

// split128 returns the IPv6 address a as two big-endian halves.
func split128(a netip.Addr) (hi, lo uint64) {
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

// join128 is the inverse of split128.
func join128(hi, lo uint64) netip.Addr {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	return netip.AddrFrom16(b)
}

// shl128 returns the 128-bit value v<<s as two halves, s in 0..128. Go
// defines shifts by the width or more as producing 0, which covers s = 0,
// 64 and 128 without special cases.
func shl128(v uint64, s uint) (hi, lo uint64) {
	if s >= 64 {
		return v << (s - 64), 0
	}
	return v >> (64 - s), v << s
}

// shr128 returns the low 64 bits of the 128-bit value (hi, lo) >> s, s in
// 0..128.
func shr128(hi, lo uint64, s uint) uint64 {
	if s >= 64 {
		return hi >> (s - 64)
	}
	return lo>>s | hi<<(64-s)
}
