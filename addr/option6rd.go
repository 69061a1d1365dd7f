package addr

// DHCPv4 OPTION_6RD (RFC 5969 §7.1.1):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  OPTION_6RD   | option-length |  IPv4MaskLen  |  6rdPrefixLen |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                                                               |
//	|                           6rdPrefix                           |
//	|                          (16 octets)                          |
//	|                                                               |
//	|                                                               |
//	|                                                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                     6rdBRIPv4Address(es)                      |
//	.                                                               .
//	.                                                               .
//	.                                                               .
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
//	OPTION_6RD     212
//	option-length  18 + 4 * number of border relays (22 with one)

import (
	"net/netip"
)

const (
	// Option6RDCode is the DHCPv4 option code of OPTION_6RD (RFC 5969 §7.1.1).
	Option6RDCode = 212
	// Option6RDMinLen is the shortest valid OPTION_6RD body (the bytes after
	// the code and length octets): mask length, prefix length, the 16-octet
	// prefix and one border relay.
	Option6RDMinLen = 2 + 16 + 4
	// Option6RDMaxRelays is the largest number of border relays one
	// OPTION_6RD can carry within its 255-octet length field.
	Option6RDMaxRelays = (255 - option6RDFixedLen) / 4
)

// option6RDFixedLen is the length of the body before the relays.
const option6RDFixedLen = 2 + 16

// Option6RD is a validated view of an OPTION_6RD body. It is produced by
// [ParseOption6RD] or [ConsumeOption6RD]; after that every accessor is total
// and cannot panic. The border relays are read from the parsed buffer, so
// the caller must not modify it while the view is in use. The zero
// Option6RD is not valid: it has no prefix and no relays.
type Option6RD struct {
	prefix   netip.Prefix // host bits already cleared
	maskLen  uint8
	hostBits bool
	relays   []byte // aliases the parsed buffer; a non-zero multiple of 4 bytes
}

// ParseOption6RD parses b, the body of a DHCPv4 OPTION_6RD (the bytes after
// the option code and length octets), and returns a view of it. Use
// [ConsumeOption6RD] for a buffer that starts with the code.
//
// It checks, in order:
//
//   - [ErrOption6RDTooShort]: len(b) < [Option6RDMinLen], i.e. no room for
//     one border relay.
//   - [ErrOption6RDTrailing]: the bytes after the prefix are not a whole
//     number of 4-octet relay addresses. (bonan/dhcp6rd slices past the end
//     here; busybox and systemd also reject the option.)
//   - [ErrSixRDMaskLen]: IPv4MaskLen > 32 (RFC 5969 §7.1.1: invalid).
//   - [ErrSixRDPrefixLen]: 6rdPrefixLen > 128.
//   - [ErrSixRDDelegatedTooLong]: 6rdPrefixLen + 32 - IPv4MaskLen > 128, the
//     check busybox udhcpc and systemd-networkd apply. The /64 bound of the
//     Linux kernel is left to [SixRD.Validate] with [SixRDPolicyKernel].
//
// Bits of 6rdPrefix beyond 6rdPrefixLen are not an error: the sender must
// zero them and the receiver ignores them (RFC 5969 §7.1.1), so the view
// masks them off and [Option6RD.HostBitsSet] reports that they were set.
// Border relays are taken as they are, 0.0.0.0 included (RFC 5969 gives no
// rule against any value). len(b) is not limited to 255 octets, so a body
// reassembled from split options (RFC 3396) parses too.
//
// The view aliases b. It does not allocate.
func ParseOption6RD(b []byte) (Option6RD, error) {
	if len(b) < Option6RDMinLen {
		return Option6RD{}, ErrOption6RDTooShort
	}
	if (len(b)-option6RDFixedLen)%4 != 0 {
		return Option6RD{}, ErrOption6RDTrailing
	}
	maskLen, prefixLen := b[0], b[1]
	if maskLen > 32 {
		return Option6RD{}, ErrSixRDMaskLen
	}
	if prefixLen > 128 {
		return Option6RD{}, ErrSixRDPrefixLen
	}
	if int(prefixLen)+32-int(maskLen) > 128 {
		return Option6RD{}, ErrSixRDDelegatedTooLong
	}
	a := netip.AddrFrom16([16]byte(b[2:option6RDFixedLen]))
	p := netip.PrefixFrom(a, int(prefixLen))
	m := p.Masked()
	return Option6RD{
		prefix:   m,
		maskLen:  maskLen,
		hostBits: m.Addr() != a,
		relays:   b[option6RDFixedLen:len(b):len(b)],
	}, nil
}

// ConsumeOption6RD parses a whole OPTION_6RD from the start of b: the code
// octet (which must be [Option6RDCode], else [ErrOption6RDCode]), the length
// octet, and the body, which [ParseOption6RD] checks. It returns the view and
// n, the number of bytes the option occupies (2 + length); bytes after it
// are left alone. On error n is 0. If b is shorter than 2 bytes or than the
// length octet says, it returns [ErrOption6RDTooShort].
//
// The view aliases b. It does not allocate.
func ConsumeOption6RD(b []byte) (o Option6RD, n int, err error) {
	if len(b) < 2 {
		return Option6RD{}, 0, ErrOption6RDTooShort
	}
	if b[0] != Option6RDCode {
		return Option6RD{}, 0, ErrOption6RDCode
	}
	n = 2 + int(b[1])
	if len(b) < n {
		return Option6RD{}, 0, ErrOption6RDTooShort
	}
	o, err = ParseOption6RD(b[2:n])
	if err != nil {
		return Option6RD{}, 0, err
	}
	return o, n, nil
}

// IsValid reports whether o was produced by a successful parse. The zero
// Option6RD is not valid.
func (o Option6RD) IsValid() bool { return len(o.relays) != 0 }

// IPv4MaskLen returns the option's IPv4MaskLen, 0 to 32.
func (o Option6RD) IPv4MaskLen() int { return int(o.maskLen) }

// Prefix returns the 6rd prefix with any bits beyond its length cleared.
// It returns the zero Prefix for the zero Option6RD.
func (o Option6RD) Prefix() netip.Prefix { return o.prefix }

// HostBitsSet reports whether the sender set bits of 6rdPrefix beyond
// 6rdPrefixLen, which RFC 5969 §7.1.1 says it must not do and
// [Option6RD.Prefix] has masked off. Useful for logging a misconfigured
// server.
func (o Option6RD) HostBitsSet() bool { return o.hostBits }

// DelegatedLen returns 6rdPrefixLen + 32 - IPv4MaskLen, at most 128, or -1
// for the zero Option6RD. It is [SixRD.DelegatedLen] of [Option6RD.Config]
// without the allocation.
func (o Option6RD) DelegatedLen() int {
	if !o.IsValid() {
		return -1
	}
	return o.prefix.Bits() + 32 - int(o.maskLen)
}

// NumRelays returns the number of border relay addresses, at least 1 for a
// valid view.
func (o Option6RD) NumRelays() int { return len(o.relays) / 4 }

// Relay returns the i'th border relay address, or the zero Addr if i is
// outside 0..NumRelays()-1. It does not allocate.
func (o Option6RD) Relay(i int) netip.Addr {
	if i < 0 || i >= o.NumRelays() {
		return netip.Addr{}
	}
	return netip.AddrFrom4([4]byte(o.relays[4*i : 4*i+4]))
}

// AppendRelays appends the border relay addresses to dst and returns the
// extended slice. It allocates only if dst lacks capacity.
func (o Option6RD) AppendRelays(dst []netip.Addr) []netip.Addr {
	for i := 0; i+4 <= len(o.relays); i += 4 {
		dst = append(dst, netip.AddrFrom4([4]byte(o.relays[i:i+4])))
	}
	return dst
}

// SixRD returns the option as a configuration without border relays, for
// prefix arithmetic on the hot path. It does not allocate.
func (o Option6RD) SixRD() SixRD {
	return SixRD{Prefix: o.prefix, IPv4MaskLen: int(o.maskLen)}
}

// Config returns the option as a [SixRD] configuration, with the masked
// prefix. It allocates a new BorderRelays slice that does not alias the
// parsed buffer; use [Option6RD.SixRD] and [Option6RD.AppendRelays] to
// avoid the allocation.
func (o Option6RD) Config() SixRD {
	c := o.SixRD()
	if n := o.NumRelays(); n > 0 {
		c.BorderRelays = o.AppendRelays(make([]netip.Addr, 0, n))
	}
	return c
}

// SizeOption6RD returns the number of bytes [AppendOption6RD] appends for c,
// code and length octets included: 2 + 18 + 4*len(c.BorderRelays). It
// returns 0 if AppendOption6RD would return an error. It does not allocate.
func SizeOption6RD(c SixRD) int {
	if checkOption6RD(c) != nil {
		return 0
	}
	return 2 + option6RDFixedLen + 4*len(c.BorderRelays)
}

// AppendOption6RD appends c as a complete DHCPv4 OPTION_6RD (code, length
// and body) to dst and returns the extended slice. c must pass
// [SixRD.Validate] with [SixRDPolicyDHCP] (that error is returned) and have
// between 1 and [Option6RDMaxRelays] border relays ([ErrOption6RDNoRelays],
// [ErrOption6RDTooManyRelays]). On error dst is returned unchanged.
//
// It does not allocate if dst has [SizeOption6RD](c) bytes of spare
// capacity.
func AppendOption6RD(dst []byte, c SixRD) ([]byte, error) {
	if err := checkOption6RD(c); err != nil {
		return dst, err
	}
	a := c.Prefix.Addr().As16()
	dst = append(dst,
		Option6RDCode,
		byte(option6RDFixedLen+4*len(c.BorderRelays)),
		byte(c.IPv4MaskLen),
		byte(c.Prefix.Bits()))
	dst = append(dst, a[:]...)
	for _, r := range c.BorderRelays {
		v := r.As4()
		dst = append(dst, v[:]...)
	}
	return dst, nil
}

// checkOption6RD reports why c cannot be encoded as OPTION_6RD.
func checkOption6RD(c SixRD) error {
	if err := c.Validate(SixRDPolicyDHCP); err != nil {
		return err
	}
	switch {
	case len(c.BorderRelays) == 0:
		return ErrOption6RDNoRelays
	case len(c.BorderRelays) > Option6RDMaxRelays:
		return ErrOption6RDTooManyRelays
	}
	return nil
}
