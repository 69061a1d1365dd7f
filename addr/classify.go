package addr

import "net/netip"

// SpecialRange is one entry of the special-purpose address tables used by
// the classifier: the IANA IPv4 and IPv6 Special-Purpose Address Registries
// (RFC 6890 and its updates) plus the few ranges outside them that matter
// for deciding whether an address is public (multicast, deprecated
// site-local, IPv4-compatible, space outside 2000::/3).
type SpecialRange struct {
	Prefix netip.Prefix
	// Name is the registry's name for the range.
	Name string
	// RFC is the defining document, e.g. "RFC 1918".
	RFC string
	// Global reports whether addresses in the range may be treated as
	// public. For IPv4 it is the registry's "Globally Reachable" attribute
	// (false for 192.88.99.0/24, whose attributes RFC 7526 removed, and for
	// multicast). For the IPv6 ranges that carry an IPv4 address (Teredo,
	// 6to4, the NAT64 Well-Known Prefix, IPv4-mapped) it is true and the
	// embedded IPv4 address decides, see [Classifier.IsPublic].
	Global bool
}

// The tables are the single source of truth; isGlobalIPv4Fast and
// isGlobalIPv6Range mirror them and classify_test.go proves they agree. The
// most specific (longest) matching prefix wins; an address matching no
// entry is global.
var ipv4Special = [...]SpecialRange{
	{netip.MustParsePrefix("0.0.0.0/8"), "This network", "RFC 791", false},
	{netip.MustParsePrefix("0.0.0.0/32"), "This host on this network", "RFC 1122", false},
	{netip.MustParsePrefix("10.0.0.0/8"), "Private-Use", "RFC 1918", false},
	{netip.MustParsePrefix("100.64.0.0/10"), "Shared Address Space", "RFC 6598", false},
	{netip.MustParsePrefix("127.0.0.0/8"), "Loopback", "RFC 1122", false},
	{netip.MustParsePrefix("169.254.0.0/16"), "Link Local", "RFC 3927", false},
	{netip.MustParsePrefix("172.16.0.0/12"), "Private-Use", "RFC 1918", false},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF Protocol Assignments", "RFC 6890", false},
	{netip.MustParsePrefix("192.0.0.0/29"), "IPv4 Service Continuity Prefix", "RFC 7335", false},
	{netip.MustParsePrefix("192.0.0.8/32"), "IPv4 dummy address", "RFC 7600", false},
	{netip.MustParsePrefix("192.0.0.9/32"), "Port Control Protocol Anycast", "RFC 7723", true},
	{netip.MustParsePrefix("192.0.0.10/32"), "Traversal Using Relays around NAT Anycast", "RFC 8155", true},
	{netip.MustParsePrefix("192.0.0.170/31"), "NAT64/DNS64 Discovery", "RFC 8880", false},
	{netip.MustParsePrefix("192.0.2.0/24"), "Documentation (TEST-NET-1)", "RFC 5737", false},
	{netip.MustParsePrefix("192.31.196.0/24"), "AS112-v4", "RFC 7535", true},
	{netip.MustParsePrefix("192.52.193.0/24"), "AMT", "RFC 7450", true},
	{netip.MustParsePrefix("192.88.99.0/24"), "Deprecated (6to4 Relay Anycast)", "RFC 7526", false},
	{netip.MustParsePrefix("192.168.0.0/16"), "Private-Use", "RFC 1918", false},
	{netip.MustParsePrefix("192.175.48.0/24"), "Direct Delegation AS112 Service", "RFC 7534", true},
	{netip.MustParsePrefix("198.18.0.0/15"), "Benchmarking", "RFC 2544", false},
	{netip.MustParsePrefix("198.51.100.0/24"), "Documentation (TEST-NET-2)", "RFC 5737", false},
	{netip.MustParsePrefix("203.0.113.0/24"), "Documentation (TEST-NET-3)", "RFC 5737", false},
	{netip.MustParsePrefix("224.0.0.0/4"), "Multicast", "RFC 5771", false},
	{netip.MustParsePrefix("240.0.0.0/4"), "Reserved", "RFC 1112", false},
	{netip.MustParsePrefix("255.255.255.255/32"), "Limited Broadcast", "RFC 919", false},
}

var ipv6Special = [...]SpecialRange{
	// Only 2000::/3 is global unicast space (IANA IPv6 Address Space
	// registry); everything else is reserved or special unless a more
	// specific entry says otherwise.
	{netip.MustParsePrefix("::/3"), "Reserved by IETF (outside 2000::/3)", "RFC 4291", false},
	{netip.MustParsePrefix("4000::/2"), "Reserved by IETF (outside 2000::/3)", "RFC 4291", false},
	{netip.MustParsePrefix("8000::/1"), "Reserved by IETF (outside 2000::/3)", "RFC 4291", false},
	{netip.MustParsePrefix("::/128"), "Unspecified Address", "RFC 4291", false},
	{netip.MustParsePrefix("::1/128"), "Loopback Address", "RFC 4291", false},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible Address (deprecated)", "RFC 4291", false},
	{netip.MustParsePrefix("::ffff:0:0/96"), "IPv4-mapped Address", "RFC 4291", true},
	{netip.MustParsePrefix("64:ff9b::/96"), "IPv4-IPv6 Translat.", "RFC 6052", true},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "IPv4-IPv6 Translat.", "RFC 8215", false},
	{netip.MustParsePrefix("100::/64"), "Discard-Only Address Block", "RFC 6666", false},
	{netip.MustParsePrefix("2001::/23"), "IETF Protocol Assignments", "RFC 2928", false},
	{netip.MustParsePrefix("2001::/32"), "TEREDO", "RFC 4380", true},
	{netip.MustParsePrefix("2001:1::1/128"), "Port Control Protocol Anycast", "RFC 7723", true},
	{netip.MustParsePrefix("2001:1::2/128"), "Traversal Using Relays around NAT Anycast", "RFC 8155", true},
	{netip.MustParsePrefix("2001:1::3/128"), "DNS-SD Service Registration Protocol Anycast", "RFC 9665", true},
	{netip.MustParsePrefix("2001:2::/48"), "Benchmarking", "RFC 5180", false},
	{netip.MustParsePrefix("2001:3::/32"), "AMT", "RFC 7450", true},
	{netip.MustParsePrefix("2001:4:112::/48"), "AS112-v6", "RFC 7535", true},
	{netip.MustParsePrefix("2001:10::/28"), "Deprecated (previously ORCHID)", "RFC 4843", false},
	{netip.MustParsePrefix("2001:20::/28"), "ORCHIDv2", "RFC 7343", true},
	{netip.MustParsePrefix("2001:30::/28"), "Drone Remote ID Protocol Entity Tags (DETs) Prefix", "RFC 9374", true},
	{netip.MustParsePrefix("2001:db8::/32"), "Documentation", "RFC 3849", false},
	{netip.MustParsePrefix("2002::/16"), "6to4", "RFC 3056", true},
	{netip.MustParsePrefix("2620:4f:8000::/48"), "Direct Delegation AS112 Service", "RFC 7534", true},
	{netip.MustParsePrefix("3fff::/20"), "Documentation", "RFC 9637", false},
	{netip.MustParsePrefix("5f00::/16"), "Segment Routing (SRv6) SIDs", "RFC 9602", false},
	{netip.MustParsePrefix("fc00::/7"), "Unique-Local", "RFC 4193", false},
	{netip.MustParsePrefix("fe80::/10"), "Link-Local Unicast", "RFC 4291", false},
	{netip.MustParsePrefix("fec0::/10"), "Site-Local (deprecated)", "RFC 3879", false},
	{netip.MustParsePrefix("ff00::/8"), "Multicast", "RFC 4291", false},
}

// lookup returns the most specific entry of table containing a.
func lookup(table []SpecialRange, a netip.Addr) (SpecialRange, bool) {
	best := -1
	for i := range table {
		if table[i].Prefix.Contains(a) && (best < 0 || table[i].Prefix.Bits() > table[best].Prefix.Bits()) {
			best = i
		}
	}
	if best < 0 {
		return SpecialRange{}, false
	}
	return table[best], true
}

// LookupIPv4 returns the most specific special-purpose range containing v4,
// for display (name and RFC). It reports false if v4 is in no special range
// (an ordinary global unicast address) or is not an IPv4 address.
// It does not allocate.
func LookupIPv4(v4 netip.Addr) (SpecialRange, bool) {
	if !v4.Is4() {
		return SpecialRange{}, false
	}
	return lookup(ipv4Special[:], v4)
}

// LookupIPv6 returns the most specific special-purpose range containing a,
// for display (name and RFC). It reports false if a is in no special range or
// is not an IPv6 address. A zone on a is ignored. It does not allocate.
func LookupIPv6(a netip.Addr) (SpecialRange, bool) {
	if !a.Is6() {
		return SpecialRange{}, false
	}
	return lookup(ipv6Special[:], a.WithZone(""))
}

// isGlobalIPv4Fast mirrors ipv4Special for an address in host byte order.
func isGlobalIPv4Fast(u uint32) bool {
	switch u >> 24 {
	case 0, 10, 127:
		return false
	case 100:
		return u&0xffc00000 != 0x64400000 // 100.64.0.0/10
	case 169:
		return u&0xffff0000 != 0xa9fe0000 // 169.254.0.0/16
	case 172:
		return u&0xfff00000 != 0xac100000 // 172.16.0.0/12
	case 192:
		switch u >> 8 {
		case 0xc00000: // 192.0.0.0/24 except PCP and TURN anycast
			return u == 0xc0000009 || u == 0xc000000a
		case 0xc00002, 0xc05863: // 192.0.2.0/24, 192.88.99.0/24
			return false
		}
		return u&0xffff0000 != 0xc0a80000 // 192.168.0.0/16
	case 198:
		return u&0xfffe0000 != 0xc6120000 && u>>8 != 0xc63364 // 198.18.0.0/15, 198.51.100.0/24
	case 203:
		return u>>8 != 0xcb0071 // 203.0.113.0/24
	}
	return u < 0xe0000000 // 224.0.0.0/4, 240.0.0.0/4, 255.255.255.255
}

// isGlobalIPv6Range mirrors ipv6Special for an address given as its high and
// low 64 bits.
func isGlobalIPv6Range(hi, lo uint64) bool {
	switch hi >> 48 {
	case 0x0000: // ::/16: only ::ffff:0:0/96
		return hi == 0 && lo>>32 == 0xffff
	case 0x0064: // only 64:ff9b::/96
		return hi == 0x0064ff9b00000000 && lo>>32 == 0
	case 0x2001:
		g := hi >> 32 & 0xffff
		if g >= 0x200 {
			return g != 0x0db8 // 2001:db8::/32
		}
		switch { // 2001::/23 and its exceptions
		case g == 0, g == 3: // Teredo, AMT
			return true
		case g == 1: // anycast /128s
			return hi == 0x2001000100000000 && lo >= 1 && lo <= 3
		case g == 4: // AS112-v6
			return hi>>16 == 0x200100040112
		case g >= 0x20 && g <= 0x3f: // ORCHIDv2, DETs
			return true
		}
		return false
	case 0x3fff:
		return hi>>32&0xffff >= 0x1000 // 3fff::/20
	}
	return hi>>61 == 1 // 2000::/3
}

// Classifier decides which addresses are public. The default classifier
// (a nil *Classifier, or the package-level functions) follows the tables
// exactly; [NewClassifier] widens it. A Classifier is immutable and safe for
// concurrent use.
type Classifier struct {
	v4 []netip.Prefix
	v6 []netip.Prefix
}

// NewClassifier returns a classifier that also treats the addresses in
// treatAsGlobal as global: labs and network-namespace tests number their
// "Internet" from documentation ranges (Miredo, too, treats them as global).
//
// IPv4 prefixes widen [Classifier.IsGlobalIPv4], and with it the check of the
// IPv4 addresses embedded in IPv6 addresses. IPv6 prefixes widen only the
// range check of [Classifier.IsPublic]: the embedded IPv4 addresses are still
// checked, so to accept 2002:c000:204:: add 192.0.2.0/24, not 2002::/16.
// IPv4-mapped prefixes (::ffff:0:0/96 and longer) are taken as the IPv4
// prefixes they map. Host bits are masked; invalid prefixes are ignored.
//
// Construction allocates; queries do not.
func NewClassifier(treatAsGlobal ...netip.Prefix) *Classifier {
	c := &Classifier{}
	for _, p := range treatAsGlobal {
		if !p.IsValid() {
			continue
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		p = p.Masked()
		if p.Addr().Is4() {
			c.v4 = append(c.v4, p)
		} else {
			c.v6 = append(c.v6, p)
		}
	}
	return c
}

// IsGlobalIPv4 reports whether v4 is a global unicast IPv4 address: in no
// special-purpose range whose "Globally Reachable" attribute is false
// (0.0.0.0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.0.0.0/24
// except 192.0.0.9 and 192.0.0.10, 192.0.2/24, 192.88.99/24, 192.168/16,
// 198.18/15, 198.51.100/24, 203.0.113/24, 240/4, 255.255.255.255), not
// multicast (224/4), or inside one of c's extra global prefixes. It reports
// false for anything that is not an IPv4 address, IPv4-mapped IPv6
// addresses included; use [Classifier.IsPublic] for either family.
// Directed broadcast addresses of attached subnets (RFC 4380 §5.2.4) need
// interface knowledge and are the caller's to exclude.
//
// A nil c is the default classifier. It does not allocate.
func (c *Classifier) IsGlobalIPv4(v4 netip.Addr) bool {
	if !v4.Is4() {
		return false
	}
	b := v4.As4()
	return c.isGlobalU32(uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3]), v4)
}

// isGlobalU32 is IsGlobalIPv4 for u, whose netip form v4 is built only when
// there are overrides to consult (pass the zero Addr to have it built).
func (c *Classifier) isGlobalU32(u uint32, v4 netip.Addr) bool {
	if isGlobalIPv4Fast(u) {
		return true
	}
	if c == nil || len(c.v4) == 0 {
		return false
	}
	if !v4.IsValid() {
		v4 = addrFromU32(u)
	}
	for _, p := range c.v4 {
		if p.Contains(v4) {
			return true
		}
	}
	return false
}

// IsPublic reports whether a may be treated as a public (globally reachable
// unicast) address, the check an SSRF filter or a Teredo relay needs:
//
//   - an IPv4 address must pass [Classifier.IsGlobalIPv4];
//   - an IPv4-mapped address is judged by its IPv4 address;
//   - any other IPv6 address must lie in 2000::/3 or 64:ff9b::/96 and in no
//     IANA special-purpose range that is not globally reachable (see
//     [LookupIPv6]), or inside one of c's extra IPv6 prefixes; Teredo
//     (2001::/32) and 6to4 (2002::/16) count as reachable;
//   - and every IPv4 address it carries (see [EmbeddedIPv4]) must pass
//     [Classifier.IsGlobalIPv4], so 2002:a9fe:a9fe:: (169.254.169.254) and a
//     Teredo address whose client is 127.0.0.1 are not public while
//     2002:808:808:: is. ISATAP identifiers are recognised leniently under
//     any prefix, so a global /64 with an ISATAP identifier of a private IPv4
//     address is not public either.
//
// IPv4-compatible addresses (::a.b.c.d), the zero Addr and addresses with a
// zone are never public. A nil c is the default classifier. It does not
// allocate.
func (c *Classifier) IsPublic(a netip.Addr) bool {
	if a.Is4() {
		return c.IsGlobalIPv4(a)
	}
	if !a.Is6() || a.Zone() != "" {
		return false
	}
	if a.Is4In6() {
		return c.IsGlobalIPv4(a.Unmap())
	}
	b := a.As16()
	hi := uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
	lo := uint64(b[8])<<56 | uint64(b[9])<<48 | uint64(b[10])<<40 | uint64(b[11])<<32 |
		uint64(b[12])<<24 | uint64(b[13])<<16 | uint64(b[14])<<8 | uint64(b[15])
	if !isGlobalIPv6Range(hi, lo) && !c.inV6(a) {
		return false
	}
	r := embeddedRaw(&b)
	for i := 0; i < r.n; i++ {
		if !c.isGlobalU32(r.v4[i], netip.Addr{}) {
			return false
		}
	}
	return true
}

func (c *Classifier) inV6(a netip.Addr) bool {
	if c == nil {
		return false
	}
	for _, p := range c.v6 {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// IsGlobalIPv4 reports whether v4 is a global unicast IPv4 address under the
// default classifier; see [Classifier.IsGlobalIPv4]. It does not allocate.
func IsGlobalIPv4(v4 netip.Addr) bool {
	return (*Classifier)(nil).IsGlobalIPv4(v4)
}

// IsPublic reports whether a may be treated as a public address under the
// default classifier; see [Classifier.IsPublic]. It does not allocate.
func IsPublic(a netip.Addr) bool {
	return (*Classifier)(nil).IsPublic(a)
}
