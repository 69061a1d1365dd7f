package addr_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/transit6/transit6/addr"
)

var (
	mustAddr     = netip.MustParseAddr
	mustPrefix   = netip.MustParsePrefix
	mustAddrPort = netip.MustParseAddrPort
)

// hexAddr builds an address from 32 hex digits; spaces are ignored so vectors
// can show the field boundaries.
func hexAddr(t testing.TB, s string) netip.Addr {
	t.Helper()
	var b [16]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v byte
		switch {
		case c == ' ':
			continue
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		default:
			t.Fatalf("hexAddr(%q): bad digit %q", s, c)
		}
		if n >= 32 {
			t.Fatalf("hexAddr(%q): more than 32 digits", s)
		}
		b[n/2] |= v << (4 * (1 - n%2))
		n++
	}
	if n != 32 {
		t.Fatalf("hexAddr(%q): %d digits, want 32", s, n)
	}
	return netip.AddrFrom16(b)
}

func TestDecodeTeredo(t *testing.T) {
	tests := []struct {
		name string
		in   netip.Addr
		want addr.Teredo
	}{
		{
			// RFC 4380 example as given by Wikipedia; Python, tshark and
			// ipv6calc agree (teredo.md §1.2).
			name: "wikipedia 65.54.227.120 cone",
			in:   mustAddr("2001:0:4136:e378:8000:63bf:3fff:fdd2"),
			want: addr.Teredo{Server: mustAddr("65.54.227.120"), Flags: 0x8000, Client: mustAddrPort("192.0.2.45:40000")},
		},
		{
			// Miredo libteredo/test/addrcmp.c.
			name: "miredo addrcmp 192.0.2.1",
			in:   mustAddr("2001:0:c000:201:8000:cfc6:3fff:fd74"),
			want: addr.Teredo{Server: mustAddr("192.0.2.1"), Flags: 0x8000, Client: mustAddrPort("192.0.2.139:12345")},
		},
		{
			// teredo.md §9 case 1: all-zero fields de-obfuscate to all ones.
			name: "2001:: all zero",
			in:   mustAddr("2001::"),
			want: addr.Teredo{Server: mustAddr("0.0.0.0"), Client: mustAddrPort("255.255.255.255:65535")},
		},
		{
			name: "2001::1",
			in:   mustAddr("2001::1"),
			want: addr.Teredo{Server: mustAddr("0.0.0.0"), Client: mustAddrPort("255.255.255.254:65535")},
		},
		{
			// teredo.md §9 case 3: obfuscated port ffff is port 0.
			name: "port 0",
			in:   hexAddr(t, "2001 0000 4136e378 0000 ffff f7f7f7f7"),
			want: addr.Teredo{Server: mustAddr("65.54.227.120"), Client: mustAddrPort("8.8.8.8:0")},
		},
		{
			name: "port 65535",
			in:   hexAddr(t, "2001 0000 4136e378 0000 0000 f7f7f7f7"),
			want: addr.Teredo{Server: mustAddr("65.54.227.120"), Client: mustAddrPort("8.8.8.8:65535")},
		},
		{
			name: "zone ignored",
			in:   mustAddr("2001:0:4136:e378:8000:63bf:3fff:fdd2%teredo"),
			want: addr.Teredo{Server: mustAddr("65.54.227.120"), Flags: 0x8000, Client: mustAddrPort("192.0.2.45:40000")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := addr.DecodeTeredo(tt.in)
			if err != nil {
				t.Fatalf("DecodeTeredo(%s): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("DecodeTeredo(%s) = %+v, want %+v", tt.in, got, tt.want)
			}
			if !got.IsValid() {
				t.Errorf("decoded Teredo not valid")
			}
			if back := got.Addr(); back != tt.in.WithZone("") {
				t.Errorf("Addr() = %s, want %s", back, tt.in.WithZone(""))
			}
		})
	}
}

// TestDecodeTeredoTextForms: every spelling of one address decodes the same
// (teredo.md §9 case 4, "::" compression in every position).
func TestDecodeTeredoTextForms(t *testing.T) {
	want := addr.Teredo{Server: mustAddr("0.0.0.0"), Client: mustAddrPort("255.255.255.254:65535")}
	for _, s := range []string{
		"2001::1", "2001:0::1", "2001:0:0::1", "2001::0:0:0:0:1", "2001:0:0:0:0:0:0:1",
		"2001:0000:0000:0000:0000:0000:0000:0001", "2001::0.0.0.1", "2001:0:0:0:0:0:0.0.0.1",
	} {
		got, err := addr.DecodeTeredo(mustAddr(s))
		if err != nil || got != want {
			t.Errorf("DecodeTeredo(%s) = %+v, %v; want %+v", s, got, err, want)
		}
	}
}

// TestTeredoFlags: decoding accepts every flags value (teredo.md §9 case 2);
// only R, U and G decide RFC 5991 conformance.
func TestTeredoFlags(t *testing.T) {
	tests := []struct {
		name      string
		flags     uint16
		cone      bool
		conforms  bool
		addrFlags string // bytes 8-9 as hex, independent of the flags field
	}{
		{"none", 0x0000, false, true, "0000"},
		{"cone only", 0x8000, true, true, "8000"},
		{"reserved R", 0x4000, false, false, "4000"},
		{"U and G", 0x0300, false, false, "0300"},
		{"U only", 0x0200, false, false, "0200"},
		{"G only", 0x0100, false, false, "0100"},
		{"all random bits", 0x3cff, false, true, "3cff"},
		{"cone and random", 0xbcff, true, true, "bcff"},
		// CyberChef calls these two non-conformant because one random
		// group is zero; RFC 5991 allows any random value.
		{"upper random group zero", 0x00a5, false, true, "00a5"},
		{"lower random group zero", 0x1400, false, true, "1400"},
		{"all ones", 0xffff, true, false, "ffff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := hexAddr(t, "2001 0000 4136e378 "+tt.addrFlags+" 63bf 3fffdfd2")
			got, err := addr.DecodeTeredo(in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Flags != tt.flags {
				t.Errorf("Flags = %#04x, want %#04x", got.Flags, tt.flags)
			}
			if got.Cone() != tt.cone {
				t.Errorf("Cone() = %v, want %v", got.Cone(), tt.cone)
			}
			if got.ConformsRFC5991() != tt.conforms {
				t.Errorf("ConformsRFC5991() = %v, want %v", got.ConformsRFC5991(), tt.conforms)
			}
			if got.Addr() != in {
				t.Errorf("Addr() = %s, want %s", got.Addr(), in)
			}
		})
	}
}

// TestTeredoConformsCount counts conformant flags independently: RFC 5991
// leaves 13 free bits (C and 12 random), so 8192 of 65536 values conform,
// including the 542 whose upper (4-bit) or lower (8-bit) random group is
// zero that CyberChef rejects (teredo.md §5: ~6.6 %).
func TestTeredoConformsCount(t *testing.T) {
	var conform, zeroGroup int
	for f := 0; f <= 0xffff; f++ {
		te := addr.Teredo{Server: mustAddr("192.0.2.1"), Flags: uint16(f), Client: mustAddrPort("192.0.2.2:1")}
		if !te.ConformsRFC5991() {
			continue
		}
		conform++
		if f&0x3c00 == 0 || f&0x00ff == 0 {
			zeroGroup++
		}
	}
	if conform != 1<<13 {
		t.Errorf("%d conformant flag values, want 8192", conform)
	}
	if zeroGroup != 542 {
		t.Errorf("%d conformant values with a zero random group, want 542", zeroGroup)
	}
}

func TestDecodeTeredoErrors(t *testing.T) {
	tests := []struct {
		name string
		in   netip.Addr
		want error
	}{
		{"zero Addr", netip.Addr{}, addr.ErrNotIPv6},
		{"IPv4", mustAddr("65.54.227.120"), addr.ErrNotIPv6},
		{"2001:1:: is not Teredo", mustAddr("2001:1::"), addr.ErrNotTeredo},
		{"2000:ffff:ffff:ffff::", mustAddr("2000:ffff:ffff:ffff::"), addr.ErrNotTeredo},
		{"2002::", mustAddr("2002::"), addr.ErrNotTeredo},
		{"IPv4-mapped", mustAddr("::ffff:65.54.227.120"), addr.ErrNotTeredo},
		{"legacy without option", mustAddr("3ffe:831f:4136:e378:8000:63bf:3fff:fdd2"), addr.ErrNotTeredo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := addr.DecodeTeredo(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("DecodeTeredo(%s) error = %v, want %v", tt.in, err, tt.want)
			}
			if got != (addr.Teredo{}) {
				t.Errorf("DecodeTeredo(%s) = %+v on error, want zero", tt.in, got)
			}
		})
	}
}

func TestTeredoLegacyPrefix(t *testing.T) {
	in := mustAddr("3ffe:831f:4136:e378:8000:63bf:3fff:fdd2")
	opts := addr.TeredoOptions{AllowLegacyPrefix: true}
	got, err := opts.Decode(in)
	if err != nil {
		t.Fatal(err)
	}
	want := addr.Teredo{Server: mustAddr("65.54.227.120"), Flags: 0x8000, Client: mustAddrPort("192.0.2.45:40000"), Legacy: true}
	if got != want {
		t.Fatalf("Decode = %+v, want %+v", got, want)
	}
	if got.Addr() != in {
		t.Errorf("Addr() = %s, want %s", got.Addr(), in)
	}
	// The option widens; it does not replace 2001::/32.
	std, err := opts.Decode(mustAddr("2001:0:4136:e378:8000:63bf:3fff:fdd2"))
	if err != nil || std.Legacy {
		t.Errorf("Decode(2001:0:...) = %+v, %v; want non-legacy", std, err)
	}
	if _, err := opts.Decode(mustAddr("3ffe:8320::")); !errors.Is(err, addr.ErrNotTeredo) {
		t.Errorf("Decode(3ffe:8320::) error = %v, want ErrNotTeredo", err)
	}
	if !addr.TeredoLegacyPrefix.Contains(in) || addr.TeredoPrefix.Contains(in) {
		t.Errorf("prefix variables disagree with the legacy vector")
	}
}

func TestTeredoAddrInvalid(t *testing.T) {
	for _, te := range []addr.Teredo{
		{},
		{Server: mustAddr("192.0.2.1")},
		{Client: mustAddrPort("192.0.2.2:1")},
		{Server: mustAddr("2001:db8::1"), Client: mustAddrPort("192.0.2.2:1")},
		{Server: mustAddr("192.0.2.1"), Client: mustAddrPort("[2001:db8::1]:1")},
		{Server: mustAddr("::ffff:192.0.2.1"), Client: mustAddrPort("192.0.2.2:1")},
	} {
		if te.IsValid() {
			t.Errorf("%+v.IsValid() = true", te)
		}
		if a := te.Addr(); a.IsValid() {
			t.Errorf("%+v.Addr() = %s, want zero Addr", te, a)
		}
	}
}

func TestTeredoServerLinkLocal(t *testing.T) {
	tests := []struct {
		name   string
		server netip.AddrPort
		ll     netip.Addr
	}{
		// RFC 4380 §5.3.2 form, checked with tshark (teredo.md §1.6).
		{"65.54.227.120", mustAddrPort("65.54.227.120:3544"), mustAddr("fe80::8000:f227:bec9:1c87")},
		// Zeek's Xbox capture: the RA came from 40.84.25.61 but names .60.
		{"zeek xbox capture", mustAddrPort("40.84.25.60:3544"), mustAddr("fe80::8000:f227:d7ab:e6c3")},
		{"port 0 and 0.0.0.0", mustAddrPort("0.0.0.0:0"), mustAddr("fe80::8000:ffff:ffff:ffff")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := addr.TeredoServerLinkLocal(tt.server); got != tt.ll {
				t.Errorf("TeredoServerLinkLocal(%s) = %s, want %s", tt.server, got, tt.ll)
			}
			got, err := addr.DecodeTeredoServerLinkLocal(tt.ll)
			if err != nil || got != tt.server {
				t.Errorf("DecodeTeredoServerLinkLocal(%s) = %s, %v; want %s", tt.ll, got, err, tt.server)
			}
			zoned := tt.ll.WithZone("teredo")
			if got, err := addr.DecodeTeredoServerLinkLocal(zoned); err != nil || got != tt.server {
				t.Errorf("DecodeTeredoServerLinkLocal(%s) = %s, %v; want %s", zoned, got, err, tt.server)
			}
		})
	}
	if a := addr.TeredoServerLinkLocal(mustAddrPort("[2001:db8::1]:3544")); a.IsValid() {
		t.Errorf("TeredoServerLinkLocal(IPv6) = %s, want zero Addr", a)
	}
	if a := addr.TeredoServerLinkLocal(netip.AddrPort{}); a.IsValid() {
		t.Errorf("TeredoServerLinkLocal(zero) = %s, want zero Addr", a)
	}
}

func TestDecodeTeredoServerLinkLocalErrors(t *testing.T) {
	tests := []struct {
		name string
		in   netip.Addr
		want error
	}{
		{"zero Addr", netip.Addr{}, addr.ErrNotIPv6},
		{"IPv4", mustAddr("65.54.227.120"), addr.ErrNotIPv6},
		{"client cone link-local", addr.TeredoClientLinkLocalCone, addr.ErrNotTeredoServerLinkLocal},
		{"client XP cone link-local", addr.TeredoClientLinkLocalXPCone, addr.ErrNotTeredoServerLinkLocal},
		{"client restricted link-local", addr.TeredoClientLinkLocalRestricted, addr.ErrNotTeredoServerLinkLocal},
		{"no cone flag", mustAddr("fe80::f227:bec9:1c87"), addr.ErrNotTeredoServerLinkLocal},
		{"other flags", mustAddr("fe80::8100:f227:bec9:1c87"), addr.ErrNotTeredoServerLinkLocal},
		{"not fe80::/64", mustAddr("fe80:0:0:1:8000:f227:bec9:1c87"), addr.ErrNotTeredoServerLinkLocal},
		{"fe81::", mustAddr("fe81::8000:f227:bec9:1c87"), addr.ErrNotTeredoServerLinkLocal},
		{"global Teredo", mustAddr("2001:0:4136:e378:8000:63bf:3fff:fdd2"), addr.ErrNotTeredoServerLinkLocal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := addr.DecodeTeredoServerLinkLocal(tt.in)
			if !errors.Is(err, tt.want) || got.IsValid() {
				t.Errorf("DecodeTeredoServerLinkLocal(%s) = %s, %v; want error %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestIsTeredoClientLinkLocal(t *testing.T) {
	tests := []struct {
		in   netip.Addr
		want bool
	}{
		// teredo.md §2.2 and §9 case 5.
		{mustAddr("fe80::ffff:ffff:ffff"), true},
		{mustAddr("fe80::ffff:ffff:fffe"), true},
		{mustAddr("fe80::8000:ffff:ffff:fffe"), true},
		{mustAddr("fe80::5445:5245:444f"), true},
		{mustAddr("fe80::8000:5445:5245:444f"), true},
		{mustAddr("fe80::ffff:ffff:ffff%teredo"), true},
		{mustAddr("fe80::ffff:ffff:fffd"), false},
		{mustAddr("fe80::8000:ffff:ffff:ffff"), false},
		{mustAddr("fe80::8000:f227:bec9:1c87"), false},
		{mustAddr("fe80:0:0:1::ffff:ffff:ffff"), false},
		{mustAddr("::ffff:255.255.255.255"), false},
		{mustAddr("255.255.255.255"), false},
		{netip.Addr{}, false},
	}
	for _, tt := range tests {
		if got := addr.IsTeredoClientLinkLocal(tt.in); got != tt.want {
			t.Errorf("IsTeredoClientLinkLocal(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}
	// The exported variables are the addresses the notes list.
	for v, s := range map[netip.Addr]string{
		addr.TeredoClientLinkLocalRestricted: "fe80::ffff:ffff:ffff",
		addr.TeredoClientLinkLocalWindows:    "fe80::ffff:ffff:fffe",
		addr.TeredoClientLinkLocalCone:       "fe80::8000:ffff:ffff:fffe",
		addr.TeredoClientLinkLocalXP:         "fe80::5445:5245:444f",
		addr.TeredoClientLinkLocalXPCone:     "fe80::8000:5445:5245:444f",
	} {
		if v.String() != s {
			t.Errorf("variable = %s, want %s", v, s)
		}
	}
}

func TestTeredoConstants(t *testing.T) {
	if addr.TeredoPrefix != mustPrefix("2001:0000::/32") {
		t.Errorf("TeredoPrefix = %s", addr.TeredoPrefix)
	}
	if addr.TeredoLegacyPrefix != mustPrefix("3ffe:831f::/32") {
		t.Errorf("TeredoLegacyPrefix = %s", addr.TeredoLegacyPrefix)
	}
	// The flag masks partition the 16 bits.
	all := []uint16{addr.TeredoFlagCone, addr.TeredoFlagReserved, addr.TeredoFlagsUG, addr.TeredoFlagsRandom}
	var or uint16
	for i, a := range all {
		for _, b := range all[i+1:] {
			if a&b != 0 {
				t.Errorf("flag masks %#04x and %#04x overlap", a, b)
			}
		}
		or |= a
	}
	if or != 0xffff {
		t.Errorf("flag masks cover %#04x, want 0xffff", or)
	}
	if addr.TeredoPort != 3544 {
		t.Errorf("TeredoPort = %d", addr.TeredoPort)
	}
}

// TestTeredoNonGlobalEmbedded: teredo.md §9 cases 1 and 3. A Teredo address
// whose client or server IPv4 is in a forbidden range decodes fine but is not
// public (RFC 4380 §4: global addresses embed a global unicast IPv4).
func TestTeredoNonGlobalEmbedded(t *testing.T) {
	global := mustAddr("65.54.227.120")
	ok := addr.Teredo{Server: global, Client: mustAddrPort("8.8.8.8:40000")}
	if !addr.IsPublic(ok.Addr()) {
		t.Fatalf("IsPublic(%s) = false for a server and client both global", ok.Addr())
	}
	for _, s := range []string{
		"0.0.0.0", "10.1.2.3", "100.64.0.1", "127.0.0.1", "169.254.169.254", "172.16.0.1",
		"192.0.0.1", "192.0.2.45", "192.88.99.1", "192.168.1.1", "198.18.0.1", "198.51.100.1",
		"203.0.113.1", "224.0.0.253", "240.0.0.1", "255.255.255.254", "255.255.255.255",
	} {
		bad := mustAddr(s)
		for _, te := range []addr.Teredo{
			{Server: global, Client: netip.AddrPortFrom(bad, 40000)},
			{Server: bad, Client: mustAddrPort("8.8.8.8:40000")},
		} {
			a := te.Addr()
			got, err := addr.DecodeTeredo(a)
			if err != nil || got != te {
				t.Errorf("DecodeTeredo(%s) = %+v, %v; want %+v", a, got, err, te)
			}
			if addr.IsPublic(a) {
				t.Errorf("IsPublic(%s) = true with server %s, client %s", a, te.Server, te.Client)
			}
		}
	}
	if addr.IsPublic(mustAddr("2001::")) {
		t.Errorf("IsPublic(2001::) = true")
	}
}
