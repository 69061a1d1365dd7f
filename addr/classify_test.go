package addr

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// This file is in package addr: it checks the hand-written fast paths
// against the tables they mirror, through slow reference implementations
// that also serve fuzz_test.go.

// refBits returns n bits of b starting at bit off (bit 0 is the most
// significant bit of b[0]), one bit at a time.
func refBits(b [16]byte, off, n int) uint64 {
	var v uint64
	for i := off; i < off+n; i++ {
		v = v<<1 | uint64(b[i/8]>>(7-i%8)&1)
	}
	return v
}

func refV4(v uint64) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// bySpecificity returns a copy of table sorted by decreasing prefix length.
func bySpecificity(table []SpecialRange) []SpecialRange {
	sorted := slices.Clone(table)
	slices.SortStableFunc(sorted, func(x, y SpecialRange) int { return y.Prefix.Bits() - x.Prefix.Bits() })
	return sorted
}

var (
	refIPv4Table = bySpecificity(ipv4Special[:])
	refIPv6Table = bySpecificity(ipv6Special[:])
)

// refLookup returns the most specific entry of a table sorted by
// bySpecificity that contains a: the first match.
func refLookup(sorted []SpecialRange, a netip.Addr) (SpecialRange, bool) {
	for _, r := range sorted {
		if r.Prefix.Contains(a) {
			return r, true
		}
	}
	return SpecialRange{}, false
}

func refGlobalIPv4(c *Classifier, v4 netip.Addr) bool {
	if !v4.Is4() {
		return false
	}
	if r, ok := refLookup(refIPv4Table, v4); !ok || r.Global {
		return true
	}
	if c != nil {
		for _, p := range c.v4 {
			if p.Contains(v4) {
				return true
			}
		}
	}
	return false
}

func refIPv6Range(a netip.Addr) bool {
	r, ok := refLookup(refIPv6Table, a)
	return !ok || r.Global
}

// refEmbedded lists the embedded IPv4 addresses of a with prefix matching
// and bit arithmetic, independently of EmbeddedIPv4.
func refEmbedded(a netip.Addr) []Embedded {
	if !a.Is6() {
		return nil
	}
	a = a.WithZone("")
	b := a.As16()
	var out []Embedded
	add := func(r Role, v uint64) { out = append(out, Embedded{r, refV4(v)}) }
	switch {
	case TeredoPrefix.Contains(a):
		add(RoleTeredoServer, refBits(b, 32, 32))
		add(RoleTeredoClient, refBits(b, 96, 32)^0xffffffff)
	case SixToFourPrefix.Contains(a):
		add(RoleSixToFour, refBits(b, 16, 32))
	case NAT64WellKnownPrefix.Contains(a):
		add(RoleNAT64, refBits(b, 96, 32))
	case NAT64LocalUsePrefix.Contains(a):
		add(RoleNAT64, refBits(b, 48, 16)<<16|refBits(b, 72, 16))
	case netip.MustParsePrefix("::ffff:0:0/96").Contains(a):
		add(RoleMapped, refBits(b, 96, 32))
	case netip.MustParsePrefix("::/96").Contains(a) && a != netip.IPv6Unspecified() && a != netip.IPv6Loopback():
		add(RoleCompatible, refBits(b, 96, 32))
	}
	if refBits(b, 64, 8) <= 3 && refBits(b, 72, 24) == 0x005efe {
		add(RoleISATAP, refBits(b, 96, 32))
	}
	return out
}

func refIsPublic(c *Classifier, a netip.Addr) bool {
	switch {
	case !a.IsValid() || a.Zone() != "":
		return false
	case a.Is4():
		return refGlobalIPv4(c, a)
	case a.Is4In6():
		return refGlobalIPv4(c, a.Unmap())
	}
	ok := refIPv6Range(a)
	if c != nil {
		for _, p := range c.v6 {
			ok = ok || p.Contains(a)
		}
	}
	if !ok {
		return false
	}
	for _, e := range refEmbedded(a) {
		if !refGlobalIPv4(c, e.IPv4) {
			return false
		}
	}
	return true
}

// lastAddr returns the last address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// randomIn returns a random address inside p.
func randomIn(r *rand.Rand, p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		if r.IntN(2) == 1 {
			b[i/8] |= 0x80 >> (i % 8)
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// boundaries returns, for every entry of table, its first and last address
// and their neighbours.
func boundaries(table []SpecialRange) []netip.Addr {
	var out []netip.Addr
	for _, e := range table {
		first, last := e.Prefix.Masked().Addr(), lastAddr(e.Prefix)
		for _, a := range []netip.Addr{first, last, first.Prev(), last.Next()} {
			if a.IsValid() {
				out = append(out, a)
			}
		}
	}
	return out
}

func TestSpecialTablesWellFormed(t *testing.T) {
	for name, table := range map[string][]SpecialRange{"ipv4": ipv4Special[:], "ipv6": ipv6Special[:]} {
		seen := map[netip.Prefix]bool{}
		for _, e := range table {
			if !e.Prefix.IsValid() || e.Prefix != e.Prefix.Masked() {
				t.Errorf("%s: %s is not a masked prefix", name, e.Prefix)
			}
			if e.Prefix.Addr().Is4() != (name == "ipv4") || e.Prefix.Addr().Is4In6() && e.Prefix.Bits() != 96 {
				t.Errorf("%s: %s has the wrong family", name, e.Prefix)
			}
			if seen[e.Prefix] {
				t.Errorf("%s: %s listed twice", name, e.Prefix)
			}
			seen[e.Prefix] = true
			if e.Name == "" || !strings.HasPrefix(e.RFC, "RFC ") {
				t.Errorf("%s: %s has name %q, RFC %q", name, e.Prefix, e.Name, e.RFC)
			}
		}
	}
}

// TestIsGlobalIPv4MatchesTable: the switch in isGlobalIPv4Fast agrees with
// the table at every /8 boundary, at every table boundary and at random.
func TestIsGlobalIPv4MatchesTable(t *testing.T) {
	var as []netip.Addr
	for i := 0; i < 256; i++ {
		as = append(as, netip.AddrFrom4([4]byte{byte(i)}), netip.AddrFrom4([4]byte{byte(i), 255, 255, 255}))
	}
	as = append(as, boundaries(ipv4Special[:])...)
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		as = append(as, refV4(uint64(r.Uint32())))
	}
	for _, e := range ipv4Special {
		for range 100 {
			as = append(as, randomIn(r, e.Prefix))
		}
	}
	for _, a := range as {
		if got, want := IsGlobalIPv4(a), refGlobalIPv4(nil, a); got != want {
			t.Errorf("IsGlobalIPv4(%s) = %v, table says %v", a, got, want)
		}
	}
}

// TestIPv6RangeMatchesTable: isGlobalIPv6Range agrees with the table.
func TestIPv6RangeMatchesTable(t *testing.T) {
	as := boundaries(ipv6Special[:])
	r := rand.New(rand.NewPCG(3, 4))
	for _, e := range ipv6Special {
		for range 200 {
			as = append(as, randomIn(r, e.Prefix))
		}
	}
	for range 100000 {
		as = append(as, randomIn(r, netip.MustParsePrefix("::/0")), randomIn(r, netip.MustParsePrefix("2000::/3")),
			randomIn(r, netip.MustParsePrefix("2001::/16")))
	}
	for _, a := range as {
		b := a.As16()
		hi, lo := refBits(b, 0, 64), refBits(b, 64, 64)
		if got, want := isGlobalIPv6Range(hi, lo), refIPv6Range(a); got != want {
			t.Errorf("isGlobalIPv6Range(%s) = %v, table says %v", a, got, want)
		}
	}
}

// TestIsPublicMatchesReference compares IsPublic with refIsPublic on
// addresses of every mechanism, under the default and an overriding
// classifier.
func TestIsPublicMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	lab := NewClassifier(netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("2001:db8::/32"))
	var as []netip.Addr
	v4s := boundaries(ipv4Special[:])
	v4 := func() [4]byte {
		if r.IntN(2) == 0 {
			return v4s[r.IntN(len(v4s))].As4()
		}
		return refV4(uint64(r.Uint32())).As4()
	}
	for range 20000 {
		a, s, c := randomIn(r, netip.MustParsePrefix("::/0")).As16(), v4(), v4()
		switch r.IntN(7) {
		case 0: // Teredo
			copy(a[:], []byte{0x20, 0x01, 0, 0, s[0], s[1], s[2], s[3]})
			a[12], a[13], a[14], a[15] = ^c[0], ^c[1], ^c[2], ^c[3]
		case 1: // 6to4
			copy(a[:], []byte{0x20, 0x02, s[0], s[1], s[2], s[3]})
		case 2: // NAT64 well-known
			a = netip.AddrFrom4(s).As16()
			a[1], a[2], a[3], a[10], a[11] = 0x64, 0xff, 0x9b, 0, 0
		case 3: // ISATAP under a global prefix
			copy(a[:], []byte{0x26, 0x06, 0x47, 0x00})
			copy(a[8:], []byte{byte(r.IntN(5)), 0, 0x5e, 0xfe, s[0], s[1], s[2], s[3]})
		case 4: // mapped
			a = netip.AddrFrom4(s).As16()
		case 5: // compatible
			a = [16]byte{12: s[0], 13: s[1], 14: s[2], 15: s[3]}
		}
		as = append(as, netip.AddrFrom16(a), netip.AddrFrom4(s))
	}
	as = append(as, boundaries(ipv6Special[:])...)
	for _, a := range as {
		for _, c := range []*Classifier{nil, lab} {
			if got, want := c.IsPublic(a), refIsPublic(c, a); got != want {
				t.Errorf("IsPublic(%s) = %v, reference says %v (override %v)", a, got, want, c != nil)
			}
		}
		if got, want := EmbeddedIPv4(a), refEmbedded(a); !slices.Equal(embeddedSlice(got), want) {
			t.Errorf("EmbeddedIPv4(%s) = %v, reference says %v", a, embeddedSlice(got), want)
		}
	}
}

func embeddedSlice(s EmbeddedSet) []Embedded {
	var out []Embedded
	for _, e := range s.All() {
		out = append(out, e)
	}
	return out
}

// TestIsPublicSSRF is the SSRF table of proto41.md §8 item 7 and §10 item 2
// and of teredo.md §1.8, plus the registry entries.
func TestIsPublicSSRF(t *testing.T) {
	tests := []struct {
		in   string
		want bool
		why  string
	}{
		// 6to4 (proto41.md §10 item 2).
		{"2002::", false, "6to4 of 0.0.0.0"},
		{"2002:a00:1::", false, "6to4 of 10.0.0.1"},
		{"2002:6440:1::", false, "6to4 of 100.64.0.1"},
		{"2002:7f00:1::", false, "6to4 of 127.0.0.1"},
		{"2002:a9fe:a9fe::", false, "6to4 of 169.254.169.254"},
		{"2002:e000:1::", false, "6to4 of 224.0.0.1"},
		{"2002:ffff:ffff::", false, "6to4 of 255.255.255.255"},
		{"2002:c058:6301::", false, "6to4 relay anycast"},
		{"2002:c000:204::", false, "6to4 of TEST-NET-1"},
		{"2002:808:808::", true, "6to4 of 8.8.8.8"},
		{"2002:808:808:1:200:5efe:808:404", true, "6to4 with ISATAP of 8.8.4.4"},
		{"2002:808:808:1:0:5efe:a00:1", false, "6to4 with ISATAP of 10.0.0.1"},
		// Teredo.
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", false, "Teredo client 127.0.0.1"},
		{"2001:0:4136:e378:8000:63bf:5601:5601", false, "Teredo client 169.254.169.254 (~a9fe:a9fe)"},
		{"2001:0:a00:1:8000:63bf:f7f7:f7f7", false, "Teredo server 10.0.0.1"},
		{"2001:0:4136:e378:8000:63bf:f7f7:f7f7", true, "Teredo 65.54.227.120 / 8.8.8.8"},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", false, "Teredo client 192.0.2.45 (TEST-NET-1)"},
		{"2001::", false, "Teredo server 0.0.0.0, client 255.255.255.255"},
		{"2001::1", false, "Teredo client 255.255.255.254"},
		// NAT64, mapped, compatible.
		{"::ffff:169.254.169.254", false, "mapped metadata"},
		{"::ffff:127.0.0.1", false, "mapped loopback"},
		{"::ffff:8.8.8.8", true, "mapped public"},
		{"64:ff9b::7f00:1", false, "NAT64 loopback"},
		{"64:ff9b::a9fe:a9fe", false, "NAT64 metadata"},
		{"64:ff9b::808:808", true, "NAT64 public"},
		{"64:ff9b:1::808:808", false, "NAT64 local-use"},
		{"64:ff9b:1:808:8:800::", false, "NAT64 local-use /48 layout of 8.8.8.8"},
		{"::7f00:1", false, "compatible loopback"},
		{"::808:808", false, "compatible is deprecated, never public"},
		{"::", false, "unspecified"},
		{"::1", false, "loopback"},
		// ISATAP.
		{"2606:4700:1:2:0:5efe:a00:5", false, "ISATAP of 10.0.0.5"},
		{"2606:4700:1:2:100:5efe:a00:5", false, "lenient ISATAP of 10.0.0.5"},
		{"2606:4700:1:2:200:5efe:808:808", true, "ISATAP of 8.8.8.8"},
		{"2606:4700:1:2:400:5efe:a00:5", true, "not ISATAP in any mode"},
		// IPv6 registry.
		{"2606:4700::1111", true, "ordinary global unicast"},
		{"2606:4700::1111%eth0", false, "zone"},
		{"fe80::1", false, "link-local"},
		{"fe80::1%eth0", false, "link-local with zone"},
		{"fc00::1", false, "ULA"},
		{"fd12:3456::1", false, "ULA"},
		{"fec0::1", false, "site-local"},
		{"ff02::1", false, "multicast"},
		{"ff0e::1", false, "global multicast"},
		{"5f00::1", false, "SRv6 SIDs"},
		{"3fff::1", false, "documentation RFC 9637"},
		{"3fff:fff::1", false, "documentation RFC 9637, last /32"},
		{"3fff:1000::1", true, "after 3fff::/20"},
		{"2001:db8::1", false, "documentation"},
		{"100::1", false, "discard-only"},
		{"100:0:0:1::1", false, "outside 2000::/3"},
		{"4000::1", false, "outside 2000::/3"},
		{"2001:1::1", true, "PCP anycast"},
		{"2001:1::2", true, "TURN anycast"},
		{"2001:1::3", true, "DNS-SD SRP anycast"},
		{"2001:1::4", false, "IETF protocol assignments"},
		{"2001:2::1", false, "benchmarking"},
		{"2001:3::1", true, "AMT"},
		{"2001:4:112::1", true, "AS112-v6"},
		{"2001:4:113::1", false, "IETF protocol assignments"},
		{"2001:10::1", false, "ORCHID (deprecated)"},
		{"2001:20::1", true, "ORCHIDv2"},
		{"2001:30::1", true, "DETs"},
		{"2001:40::1", false, "IETF protocol assignments"},
		{"2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", false, "end of 2001::/23"},
		{"2001:200::1", true, "after 2001::/23"},
		{"2620:4f:8000::1", true, "AS112 direct delegation"},
		// IPv4.
		{"8.8.8.8", true, "public"},
		{"192.0.0.9", true, "PCP anycast"},
		{"192.0.0.10", true, "TURN anycast"},
		{"192.0.0.8", false, "dummy address"},
		{"192.0.0.170", false, "NAT64 discovery"},
		{"192.31.196.1", true, "AS112-v4"},
		{"192.52.193.1", true, "AMT"},
		{"192.175.48.1", true, "AS112 direct delegation"},
		{"100.64.0.1", false, "shared address space"},
		{"192.88.99.1", false, "deprecated relay anycast"},
		{"224.0.0.1", false, "multicast"},
		{"255.255.255.255", false, "limited broadcast"},
		{"169.254.169.254", false, "link local"},
		{"0.0.0.0", false, "this host"},
	}
	for _, tt := range tests {
		a := netip.MustParseAddr(tt.in)
		if got := IsPublic(a); got != tt.want {
			t.Errorf("IsPublic(%s) = %v, want %v (%s)", a, got, tt.want, tt.why)
		}
		if got := refIsPublic(nil, a); got != tt.want {
			t.Errorf("reference IsPublic(%s) = %v, want %v (%s)", a, got, tt.want, tt.why)
		}
	}
	if IsPublic(netip.Addr{}) {
		t.Errorf("IsPublic(zero Addr) = true")
	}
	// Whatever IsPublic says, it is false when an embedded IPv4 is not global.
	for _, tt := range tests {
		a := netip.MustParseAddr(tt.in)
		for _, e := range EmbeddedIPv4(a).All() {
			if !IsGlobalIPv4(e.IPv4) && IsPublic(a) {
				t.Errorf("IsPublic(%s) with non-global %v", a, e)
			}
		}
	}
}

func TestClassifierOverride(t *testing.T) {
	doc := NewClassifier(netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"))
	tests := []struct {
		in           string
		def, withDoc bool
	}{
		{"192.0.2.1", false, true},
		{"198.51.100.7", false, true},
		{"2002:c000:204::", false, true},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", false, true}, // client 192.0.2.45
		{"64:ff9b::c000:221", false, true},
		{"::ffff:192.0.2.1", false, true},
		{"10.0.0.1", false, false},
		{"2002:a00:1::", false, false},
		{"2001:db8::1", false, false}, // the IPv4 overrides do not touch IPv6 ranges
		{"8.8.8.8", true, true},
	}
	for _, tt := range tests {
		a := netip.MustParseAddr(tt.in)
		if got := IsPublic(a); got != tt.def {
			t.Errorf("IsPublic(%s) = %v, want %v", a, got, tt.def)
		}
		if got := doc.IsPublic(a); got != tt.withDoc {
			t.Errorf("override IsPublic(%s) = %v, want %v", a, got, tt.withDoc)
		}
	}

	// IPv6 overrides widen the range check but not the embedded check.
	lab := NewClassifier(netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("fd00::/8"),
		netip.MustParsePrefix("2002::/16"))
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"2001:db8::1", true},
		{"fd00::1", true},
		{"fc00::1", false},
		{"2001:db8:1:2:0:5efe:a00:5", false}, // ISATAP of 10.0.0.5
		{"2002:a9fe:a9fe::", false},
		{"10.0.0.1", false},
	} {
		if got := lab.IsPublic(netip.MustParseAddr(tt.in)); got != tt.want {
			t.Errorf("lab IsPublic(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}

	// IPv4-mapped prefixes become IPv4 prefixes; host bits are masked;
	// invalid prefixes are ignored.
	m := NewClassifier(netip.MustParsePrefix("::ffff:10.0.0.0/104"), netip.PrefixFrom(netip.MustParseAddr("172.16.1.1"), 24),
		netip.Prefix{})
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"10.1.2.3", true},
		{"2002:a01:203::", true},
		{"172.16.1.200", true},
		{"172.16.2.1", false},
		{"11.0.0.0", true},
	} {
		if got := m.IsGlobalIPv4(netip.MustParseAddr(tt.in)); tt.in != "2002:a01:203::" && got != tt.want {
			t.Errorf("mapped override IsGlobalIPv4(%s) = %v, want %v", tt.in, got, tt.want)
		}
		if got := m.IsPublic(netip.MustParseAddr(tt.in)); got != tt.want {
			t.Errorf("mapped override IsPublic(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}

	// NewClassifier() and nil behave as the default.
	for _, c := range []*Classifier{nil, NewClassifier()} {
		for _, a := range boundaries(ipv4Special[:]) {
			if c.IsGlobalIPv4(a) != IsGlobalIPv4(a) {
				t.Errorf("empty classifier differs at %s", a)
			}
		}
	}
	if IsGlobalIPv4(netip.MustParseAddr("::ffff:8.8.8.8")) || IsGlobalIPv4(netip.Addr{}) {
		t.Errorf("IsGlobalIPv4 accepts a non-IPv4 address")
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		in, prefix, name, rfc string
		global                bool
	}{
		{"10.1.2.3", "10.0.0.0/8", "Private-Use", "RFC 1918", false},
		{"0.0.0.0", "0.0.0.0/32", "This host on this network", "RFC 1122", false},
		{"0.1.2.3", "0.0.0.0/8", "This network", "RFC 791", false},
		{"192.0.0.9", "192.0.0.9/32", "Port Control Protocol Anycast", "RFC 7723", true},
		{"192.0.0.5", "192.0.0.0/29", "IPv4 Service Continuity Prefix", "RFC 7335", false},
		{"192.0.0.171", "192.0.0.170/31", "NAT64/DNS64 Discovery", "RFC 8880", false},
		{"192.0.0.200", "192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890", false},
		{"192.88.99.1", "192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "RFC 7526", false},
		{"239.1.2.3", "224.0.0.0/4", "Multicast", "RFC 5771", false},
		{"255.255.255.255", "255.255.255.255/32", "Limited Broadcast", "RFC 919", false},
		{"255.255.255.254", "240.0.0.0/4", "Reserved", "RFC 1112", false},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::/32", "TEREDO", "RFC 4380", true},
		{"2001:1::1", "2001:1::1/128", "Port Control Protocol Anycast", "RFC 7723", true},
		{"2001:1::9", "2001::/23", "IETF Protocol Assignments", "RFC 2928", false},
		{"::", "::/128", "Unspecified Address", "RFC 4291", false},
		{"::7f00:1", "::/96", "IPv4-compatible Address (deprecated)", "RFC 4291", false},
		{"::ffff:1.2.3.4", "::ffff:0:0/96", "IPv4-mapped Address", "RFC 4291", true},
		{"fe80::1%eth0", "fe80::/10", "Link-Local Unicast", "RFC 4291", false},
		{"3fff::1", "3fff::/20", "Documentation", "RFC 9637", false},
		{"4000::1", "4000::/2", "Reserved by IETF (outside 2000::/3)", "RFC 4291", false},
	}
	for _, tt := range tests {
		a := netip.MustParseAddr(tt.in)
		look := LookupIPv6
		if a.Is4() {
			look = LookupIPv4
		}
		got, ok := look(a)
		want := SpecialRange{netip.MustParsePrefix(tt.prefix), tt.name, tt.rfc, tt.global}
		if !ok || got != want {
			t.Errorf("Lookup(%s) = %+v, %v; want %+v", a, got, ok, want)
		}
	}
	for _, a := range []netip.Addr{netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("::ffff:10.0.0.1"), {}} {
		if got, ok := LookupIPv4(a); ok {
			t.Errorf("LookupIPv4(%s) = %+v, want none", a, got)
		}
	}
	for _, a := range []netip.Addr{netip.MustParseAddr("2606:4700::1111"), netip.MustParseAddr("10.0.0.1"), {}} {
		if got, ok := LookupIPv6(a); ok {
			t.Errorf("LookupIPv6(%s) = %+v, want none", a, got)
		}
	}
}
