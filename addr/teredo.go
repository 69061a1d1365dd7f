package addr

// Teredo address (RFC 4380 §4; flags as redefined by RFC 5991):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                 Teredo prefix 2001:0000::/32                  |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                  Teredo server IPv4 (clear)                   |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|C|R|A A A A|U|G|A A A A A A A A|   mapped UDP port XOR 0xffff  |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|            client's mapped IPv4 XOR 0xffffffff                |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// C is the cone bit, R is reserved, U and G are the universal/group bits of
// the interface identifier and the twelve A bits are random (RFC 5991).

import "net/netip"

// TeredoPrefix is the Teredo service prefix (RFC 4380 §2.6).
var TeredoPrefix = netip.MustParsePrefix("2001::/32")

// TeredoLegacyPrefix is the experimental prefix used before RFC 4380 was
// published, still advertised by some servers in Miredo's time. It is decoded
// only when TeredoOptions.AllowLegacyPrefix is set.
var TeredoLegacyPrefix = netip.MustParsePrefix("3ffe:831f::/32")

// TeredoPort is the UDP port of Teredo servers (RFC 4380 §2.7).
const TeredoPort uint16 = 3544

// Bits of the Teredo flags field (bytes 8–9 of the address, most significant
// bit first: C R A A A A U G A A A A A A A A).
const (
	// TeredoFlagCone is the cone bit C (RFC 4380 §4). RFC 5991 stops
	// setting it; receivers may still use it as a shortcut.
	TeredoFlagCone uint16 = 0x8000
	// TeredoFlagReserved is the reserved bit R, zero in RFC 5991 addresses.
	TeredoFlagReserved uint16 = 0x4000
	// TeredoFlagsUG covers the U and G bits, zero in RFC 5991 addresses.
	TeredoFlagsUG uint16 = 0x0300
	// TeredoFlagsRandom covers the twelve random bits A chosen by RFC 5991
	// clients to make addresses harder to scan.
	TeredoFlagsRandom uint16 = 0x3CFF
)

// Teredo is a decoded Teredo address: the server, the flags and the client's
// mapped (public, NAT-side) IPv4 address and UDP port, de-obfuscated.
//
// Teredo is a small comparable value. The zero Teredo is not valid.
type Teredo struct {
	// Server is the IPv4 address of the client's Teredo server.
	Server netip.Addr
	// Flags holds bytes 8–9 of the address as they appear on the wire.
	Flags uint16
	// Client is the client's mapped IPv4 address and UDP port, in clear.
	Client netip.AddrPort
	// Legacy selects TeredoLegacyPrefix instead of TeredoPrefix.
	Legacy bool
}

// TeredoOptions adjusts Teredo decoding. The zero TeredoOptions decodes
// 2001::/32 only.
type TeredoOptions struct {
	// AllowLegacyPrefix also accepts addresses in TeredoLegacyPrefix
	// (3ffe:831f::/32) and reports them with Legacy set.
	AllowLegacyPrefix bool
}

// DecodeTeredo decodes a Teredo address in 2001::/32. It is
// TeredoOptions{}.Decode(a).
//
// Every flags value is accepted: RFC 4380 §4 says receivers ignore the bits
// they do not understand, and RFC 5991 fills most of them with random bits;
// use [Teredo.ConformsRFC5991] to check them. A zone on a is ignored.
//
// It returns [ErrNotIPv6] if a is not an IPv6 address and [ErrNotTeredo] if it
// is outside the Teredo prefix. It does not allocate.
func DecodeTeredo(a netip.Addr) (Teredo, error) {
	return TeredoOptions{}.Decode(a)
}

// Decode decodes a Teredo address in 2001::/32, or in 3ffe:831f::/32 when
// o.AllowLegacyPrefix is set. Every flags value is accepted; a zone on a is
// ignored.
//
// It returns [ErrNotIPv6] if a is not an IPv6 address and [ErrNotTeredo] if it
// is outside the accepted prefixes. It does not allocate.
func (o TeredoOptions) Decode(a netip.Addr) (Teredo, error) {
	if !a.Is6() {
		return Teredo{}, ErrNotIPv6
	}
	b := a.As16()
	legacy := false
	switch {
	case b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00:
	case o.AllowLegacyPrefix && b[0] == 0x3f && b[1] == 0xfe && b[2] == 0x83 && b[3] == 0x1f:
		legacy = true
	default:
		return Teredo{}, ErrNotTeredo
	}
	return Teredo{
		Server: netip.AddrFrom4([4]byte{b[4], b[5], b[6], b[7]}),
		Flags:  uint16(b[8])<<8 | uint16(b[9]),
		Client: netip.AddrPortFrom(
			netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}),
			^(uint16(b[10])<<8 | uint16(b[11])),
		),
		Legacy: legacy,
	}, nil
}

// IsValid reports whether t has an IPv4 server and an IPv4 client address.
// Any port and any flags are valid.
func (t Teredo) IsValid() bool {
	return t.Server.Is4() && t.Client.Addr().Is4()
}

// Addr encodes t as an IPv6 address in TeredoPrefix (or TeredoLegacyPrefix
// when t.Legacy is set), obfuscating the client's port and address. It
// returns the zero Addr if t is not valid. It does not allocate.
func (t Teredo) Addr() netip.Addr {
	if !t.IsValid() {
		return netip.Addr{}
	}
	var b [16]byte
	if t.Legacy {
		b[0], b[1], b[2], b[3] = 0x3f, 0xfe, 0x83, 0x1f
	} else {
		b[0], b[1] = 0x20, 0x01
	}
	s := t.Server.As4()
	copy(b[4:8], s[:])
	b[8], b[9] = byte(t.Flags>>8), byte(t.Flags)
	p := ^t.Client.Port()
	b[10], b[11] = byte(p>>8), byte(p)
	c := t.Client.Addr().As4()
	b[12], b[13], b[14], b[15] = ^c[0], ^c[1], ^c[2], ^c[3]
	return netip.AddrFrom16(b)
}

// Cone reports whether the cone bit is set in t.Flags (RFC 4380 §4).
func (t Teredo) Cone() bool {
	return t.Flags&TeredoFlagCone != 0
}

// ConformsRFC5991 reports whether t.Flags follows RFC 5991: the reserved bit
// R and the U and G bits are zero. The cone bit and the twelve random bits
// may hold any value, zero included: a random group that happens to be zero
// is still conformant (CyberChef's "Parse IPv6 address" wrongly requires both
// random groups to be non-zero).
func (t Teredo) ConformsRFC5991() bool {
	return t.Flags&(TeredoFlagReserved|TeredoFlagsUG) == 0
}

// Well-known link-local addresses used by Teredo clients as the source of
// their Router Solicitations (RFC 4380 §5.2.1 only requires a link-local
// address with the right cone bit; these are the fixed ones seen in the
// field).
var (
	// TeredoClientLinkLocalRestricted is the non-cone client source used by
	// Miredo and by Windows Vista and later.
	TeredoClientLinkLocalRestricted = netip.MustParseAddr("fe80::ffff:ffff:ffff")
	// TeredoClientLinkLocalWindows is the source used by Windows and Xbox
	// clients (seen in Zeek's Xbox capture and on Windows hosts).
	TeredoClientLinkLocalWindows = netip.MustParseAddr("fe80::ffff:ffff:fffe")
	// TeredoClientLinkLocalCone is the cone-bit client source used by
	// Miredo when probing for a cone NAT.
	TeredoClientLinkLocalCone = netip.MustParseAddr("fe80::8000:ffff:ffff:fffe")
	// TeredoClientLinkLocalXP is Windows XP's source, "TEREDO" in ASCII.
	TeredoClientLinkLocalXP = netip.MustParseAddr("fe80::5445:5245:444f")
	// TeredoClientLinkLocalXPCone is Windows XP's source with the cone bit.
	TeredoClientLinkLocalXPCone = netip.MustParseAddr("fe80::8000:5445:5245:444f")
)

// IsTeredoClientLinkLocal reports whether a is one of the well-known Teredo
// client link-local addresses (TeredoClientLinkLocalRestricted, ...Windows,
// ...Cone, ...XP, ...XPCone). A zone on a is ignored. It does not allocate.
func IsTeredoClientLinkLocal(a netip.Addr) bool {
	if !a.Is6() {
		return false
	}
	a = a.WithZone("")
	return a == TeredoClientLinkLocalRestricted || a == TeredoClientLinkLocalWindows ||
		a == TeredoClientLinkLocalCone || a == TeredoClientLinkLocalXP ||
		a == TeredoClientLinkLocalXPCone
}

// TeredoServerLinkLocal returns the link-local address a Teredo server uses
// as the source of its Router Advertisements (RFC 4380 §5.3.2): fe80::/64
// followed by the cone flag 0x8000, the obfuscated port and the obfuscated
// IPv4 address, e.g. fe80::8000:f227:bec9:1c87 for 65.54.227.120:3544.
// It returns the zero Addr if server's address is not IPv4. It does not
// allocate.
func TeredoServerLinkLocal(server netip.AddrPort) netip.Addr {
	if !server.Addr().Is4() {
		return netip.Addr{}
	}
	b := [16]byte{0: 0xfe, 1: 0x80, 8: 0x80}
	p := ^server.Port()
	b[10], b[11] = byte(p>>8), byte(p)
	s := server.Addr().As4()
	b[12], b[13], b[14], b[15] = ^s[0], ^s[1], ^s[2], ^s[3]
	return netip.AddrFrom16(b)
}

// DecodeTeredoServerLinkLocal decodes a Teredo server link-local address
// fe80::8000:<~port>:<~ipv4> into the server's IPv4 address and port. The
// server IPv4 named there need not be the address the advertisement came
// from: Microsoft's servers answer from a sibling address. The well-known
// client link-locals with the cone bit (TeredoClientLinkLocalCone,
// TeredoClientLinkLocalXPCone) are rejected. A zone on a is ignored.
//
// It returns [ErrNotIPv6] if a is not an IPv6 address and
// [ErrNotTeredoServerLinkLocal] if it has another form. It does not allocate.
func DecodeTeredoServerLinkLocal(a netip.Addr) (netip.AddrPort, error) {
	if !a.Is6() {
		return netip.AddrPort{}, ErrNotIPv6
	}
	b := a.As16()
	if b[0] != 0xfe || b[1] != 0x80 || b[2]|b[3]|b[4]|b[5]|b[6]|b[7] != 0 ||
		b[8] != 0x80 || b[9] != 0 || IsTeredoClientLinkLocal(a) {
		return netip.AddrPort{}, ErrNotTeredoServerLinkLocal
	}
	return netip.AddrPortFrom(
		netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}),
		^(uint16(b[10])<<8 | uint16(b[11])),
	), nil
}
