package addr

import (
	"iter"
	"net/netip"
)

// Role names the mechanism by which an IPv6 address carries an IPv4 address.
// The zero Role is not valid.
type Role uint8

// Roles reported by [EmbeddedIPv4].
const (
	RoleTeredoServer Role = iota + 1 // Teredo server, bytes 4–7 of 2001::/32
	RoleTeredoClient                 // Teredo client (mapped, de-obfuscated), bytes 12–15 of 2001::/32
	RoleSixToFour                    // 6to4, bytes 2–5 of 2002::/16
	RoleISATAP                       // ISATAP interface identifier (lenient), bytes 12–15
	RoleNAT64                        // NAT64, 64:ff9b::/96 or 64:ff9b:1::/48 (RFC 6052 /48 layout)
	RoleMapped                       // IPv4-mapped, ::ffff:0:0/96
	RoleCompatible                   // IPv4-compatible, ::/96 except :: and ::1 (deprecated)
)

// String returns the stable name of r used in the CLI's JSON output:
// "teredo-server", "teredo-client", "6to4", "isatap", "nat64", "ipv4-mapped"
// or "ipv4-compatible"; "invalid" for the zero Role and "unknown" otherwise.
func (r Role) String() string {
	switch r {
	case RoleTeredoServer:
		return "teredo-server"
	case RoleTeredoClient:
		return "teredo-client"
	case RoleSixToFour:
		return "6to4"
	case RoleISATAP:
		return "isatap"
	case RoleNAT64:
		return "nat64"
	case RoleMapped:
		return "ipv4-mapped"
	case RoleCompatible:
		return "ipv4-compatible"
	case 0:
		return "invalid"
	}
	return "unknown"
}

// Kind returns the [Kind] of an address whose first embedded IPv4 has role r:
// KindTeredo for both Teredo roles, the matching kind otherwise, and KindIPv6
// for an invalid Role.
func (r Role) Kind() Kind {
	switch r {
	case RoleTeredoServer, RoleTeredoClient:
		return KindTeredo
	case RoleSixToFour:
		return KindSixToFour
	case RoleISATAP:
		return KindISATAP
	case RoleNAT64:
		return KindNAT64
	case RoleMapped:
		return KindIPv4Mapped
	case RoleCompatible:
		return KindIPv4Compatible
	}
	return KindIPv6
}

// Embedded is one IPv4 address carried by an IPv6 address and the mechanism
// that carries it.
type Embedded struct {
	Role Role
	IPv4 netip.Addr
}

// maxEmbedded bounds the IPv4 addresses one IPv6 address can carry: a Teredo
// address (server and client) whose flags and port happen to spell an ISATAP
// identifier carries three.
const maxEmbedded = 3

// EmbeddedSet is the list of IPv4 addresses an IPv6 address carries, in
// address order of the mechanisms: Teredo server, Teredo client, 6to4, NAT64,
// mapped, compatible, ISATAP. It is a value of fixed size; the zero
// EmbeddedSet is empty.
type EmbeddedSet struct {
	e [maxEmbedded]Embedded
	n uint8
}

// Len returns the number of embedded IPv4 addresses in s.
func (s EmbeddedSet) Len() int { return int(s.n) }

// At returns the i-th embedded IPv4 address of s, or the zero Embedded if i
// is out of range.
func (s EmbeddedSet) At(i int) Embedded {
	if i < 0 || i >= int(s.n) {
		return Embedded{}
	}
	return s.e[i]
}

// All returns an iterator over the index and value of each embedded IPv4
// address of s. Ranging over it does not allocate.
func (s EmbeddedSet) All() iter.Seq2[int, Embedded] {
	return func(yield func(int, Embedded) bool) {
		for i := 0; i < int(s.n); i++ {
			if !yield(i, s.e[i]) {
				return
			}
		}
	}
}

// rawEmbedded is EmbeddedIPv4's result before conversion to netip values,
// so IsPublic can judge the addresses as integers.
type rawEmbedded struct {
	role [maxEmbedded]Role
	v4   [maxEmbedded]uint32
	n    int
}

func (r *rawEmbedded) add(role Role, b0, b1, b2, b3 byte) {
	if r.n < maxEmbedded {
		r.role[r.n] = role
		r.v4[r.n] = uint32(b0)<<24 | uint32(b1)<<16 | uint32(b2)<<8 | uint32(b3)
		r.n++
	}
}

// embeddedRaw implements EmbeddedIPv4 on the bytes of an IPv6 address.
func embeddedRaw(b *[16]byte) rawEmbedded {
	var r rawEmbedded
	switch {
	case b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0:
		r.add(RoleTeredoServer, b[4], b[5], b[6], b[7])
		r.add(RoleTeredoClient, ^b[12], ^b[13], ^b[14], ^b[15])
	case b[0] == 0x20 && b[1] == 0x02:
		r.add(RoleSixToFour, b[2], b[3], b[4], b[5])
	case b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b:
		switch {
		case b[4]|b[5]|b[6]|b[7]|b[8]|b[9]|b[10]|b[11] == 0:
			r.add(RoleNAT64, b[12], b[13], b[14], b[15])
		case b[4] == 0 && b[5] == 1:
			r.add(RoleNAT64, b[6], b[7], b[9], b[10])
		}
	case b[0]|b[1]|b[2]|b[3]|b[4]|b[5]|b[6]|b[7]|b[8]|b[9] == 0:
		switch {
		case b[10] == 0xff && b[11] == 0xff:
			r.add(RoleMapped, b[12], b[13], b[14], b[15])
		case b[10]|b[11] == 0 && (b[12]|b[13]|b[14] != 0 || b[15] > 1):
			r.add(RoleCompatible, b[12], b[13], b[14], b[15])
		}
	}
	if b[8]&^0x03 == 0 && b[9] == 0 && b[10] == 0x5e && b[11] == 0xfe {
		r.add(RoleISATAP, b[12], b[13], b[14], b[15])
	}
	return r
}

func addrFromU32(u uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)})
}

// EmbeddedIPv4 returns every IPv4 address that a carries and the mechanism
// for each:
//
//   - Teredo (2001::/32): the server and the de-obfuscated client;
//   - 6to4 (2002::/16): bytes 2–5;
//   - NAT64: the Well-Known Prefix 64:ff9b::/96, and the local-use prefix
//     64:ff9b:1::/48 read with the RFC 6052 /48 layout (the u-octet is not
//     checked here, so a malformed address still reports what a lax
//     translator would use);
//   - IPv4-mapped (::ffff:0:0/96) and IPv4-compatible (::/96 except :: and
//     ::1);
//   - ISATAP in [ISATAPLenient] mode, under any prefix.
//
// Recognition is deliberately wide because the result feeds [IsPublic]: an
// address is only as public as every IPv4 some implementation could route it
// to. The legacy Teredo prefix 3ffe:831f::/32 and operator-chosen NAT64 or
// 6rd prefixes are not recognised; they cannot be told apart from ordinary
// addresses without configuration. IPv4 addresses, the zero Addr and
// addresses carrying nothing give an empty set. A zone on a is ignored.
//
// It does not allocate.
func EmbeddedIPv4(a netip.Addr) EmbeddedSet {
	var s EmbeddedSet
	if !a.Is6() {
		return s
	}
	b := a.As16()
	r := embeddedRaw(&b)
	for i := 0; i < r.n; i++ {
		s.e[i] = Embedded{Role: r.role[i], IPv4: addrFromU32(r.v4[i])}
	}
	s.n = uint8(r.n)
	return s
}

// Kind is the stable name of an address family or transition mechanism, as
// used in the CLI's JSON output.
type Kind string

// Kinds returned by [KindOf].
const (
	KindTeredo         Kind = "teredo"
	KindSixToFour      Kind = "6to4"
	KindISATAP         Kind = "isatap"
	KindNAT64          Kind = "nat64"
	KindIPv4Mapped     Kind = "ipv4-mapped"
	KindIPv4Compatible Kind = "ipv4-compatible"
	KindIPv6           Kind = "ipv6"
	KindIPv4           Kind = "ipv4"
)

// KindOf returns the kind of a: KindIPv4 for an IPv4 address, the kind of the
// first mechanism [EmbeddedIPv4] reports for an IPv6 address that carries an
// IPv4 address (so Teredo wins over an ISATAP-looking interface identifier),
// and KindIPv6 otherwise. It returns the empty Kind for the zero Addr.
// It does not allocate.
func KindOf(a netip.Addr) Kind {
	switch {
	case a.Is4():
		return KindIPv4
	case !a.IsValid():
		return ""
	}
	return EmbeddedIPv4(a).At(0).Role.Kind()
}
