package addr_test

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/transit6/transit6/addr"
)

func e(r addr.Role, v4 string) addr.Embedded {
	return addr.Embedded{Role: r, IPv4: mustAddr(v4)}
}

func embeddedList(s addr.EmbeddedSet) []addr.Embedded {
	var out []addr.Embedded
	for i := 0; i < s.Len(); i++ {
		out = append(out, s.At(i))
	}
	return out
}

func TestEmbeddedIPv4(t *testing.T) {
	tests := []struct {
		name string
		in   netip.Addr
		want []addr.Embedded
		kind addr.Kind
	}{
		{"teredo", mustAddr("2001:0:4136:e378:8000:63bf:3fff:fdd2"),
			[]addr.Embedded{e(addr.RoleTeredoServer, "65.54.227.120"), e(addr.RoleTeredoClient, "192.0.2.45")}, addr.KindTeredo},
		{"teredo 2001::", mustAddr("2001::"),
			[]addr.Embedded{e(addr.RoleTeredoServer, "0.0.0.0"), e(addr.RoleTeredoClient, "255.255.255.255")}, addr.KindTeredo},
		// Flags 0x0200 (U set) and obfuscated port 0x5efe spell an ISATAP
		// identifier: three addresses, the maximum.
		{"teredo that looks like isatap", mustAddr("2001:0:4136:e378:200:5efe:3fff:fdd2"),
			[]addr.Embedded{e(addr.RoleTeredoServer, "65.54.227.120"), e(addr.RoleTeredoClient, "192.0.2.45"),
				e(addr.RoleISATAP, "63.255.253.210")}, addr.KindTeredo},
		{"6to4", mustAddr("2002:c000:204:1::5"), []addr.Embedded{e(addr.RoleSixToFour, "192.0.2.4")}, addr.KindSixToFour},
		{"6to4 metadata", mustAddr("2002:a9fe:a9fe::"), []addr.Embedded{e(addr.RoleSixToFour, "169.254.169.254")}, addr.KindSixToFour},
		{"6to4 with isatap iid", mustAddr("2002:808:808:1:200:5efe:a00:1"),
			[]addr.Embedded{e(addr.RoleSixToFour, "8.8.8.8"), e(addr.RoleISATAP, "10.0.0.1")}, addr.KindSixToFour},
		{"isatap strict", mustAddr("fe80::5efe:a00:5"), []addr.Embedded{e(addr.RoleISATAP, "10.0.0.5")}, addr.KindISATAP},
		{"isatap lenient g bit", mustAddr("2001:db8:1:2:300:5efe:a00:5"), []addr.Embedded{e(addr.RoleISATAP, "10.0.0.5")}, addr.KindISATAP},
		{"not isatap 0400", mustAddr("fe80::400:5efe:a00:5"), nil, addr.KindIPv6},
		{"nat64 wkp", mustAddr("64:ff9b::7f00:1"), []addr.Embedded{e(addr.RoleNAT64, "127.0.0.1")}, addr.KindNAT64},
		{"nat64 local-use /48", mustAddr("64:ff9b:1:c000:2:2100::"), []addr.Embedded{e(addr.RoleNAT64, "192.0.2.33")}, addr.KindNAT64},
		// The u-octet is not checked: a lax translator would still use it.
		{"nat64 local-use u-octet set", mustAddr("64:ff9b:1:c000:ff02:2100::"), []addr.Embedded{e(addr.RoleNAT64, "192.0.2.33")}, addr.KindNAT64},
		{"nat64 local-use with isatap iid", mustAddr("64:ff9b:1:a00:0:5efe:c000:204"),
			[]addr.Embedded{e(addr.RoleNAT64, "10.0.0.94"), e(addr.RoleISATAP, "192.0.2.4")}, addr.KindNAT64},
		{"64:ff9b:0:0:1:: is neither nat64 form", mustAddr("64:ff9b::1:0:0:1"), nil, addr.KindIPv6},
		{"mapped", mustAddr("::ffff:169.254.169.254"), []addr.Embedded{e(addr.RoleMapped, "169.254.169.254")}, addr.KindIPv4Mapped},
		{"mapped 0.0.0.0", mustAddr("::ffff:0.0.0.0"), []addr.Embedded{e(addr.RoleMapped, "0.0.0.0")}, addr.KindIPv4Mapped},
		{"compatible", mustAddr("::7f00:1"), []addr.Embedded{e(addr.RoleCompatible, "127.0.0.1")}, addr.KindIPv4Compatible},
		{"compatible ::2", mustAddr("::2"), []addr.Embedded{e(addr.RoleCompatible, "0.0.0.2")}, addr.KindIPv4Compatible},
		{"unspecified", mustAddr("::"), nil, addr.KindIPv6},
		{"loopback", mustAddr("::1"), nil, addr.KindIPv6},
		{"::1:0:0 is not compatible", mustAddr("::1:0:0"), nil, addr.KindIPv6},
		{"native", mustAddr("2606:4700::1111"), nil, addr.KindIPv6},
		{"legacy teredo not recognised", mustAddr("3ffe:831f:4136:e378:8000:63bf:3fff:fdd2"), nil, addr.KindIPv6},
		{"zone ignored", mustAddr("fe80::5efe:a00:5%eth0"), []addr.Embedded{e(addr.RoleISATAP, "10.0.0.5")}, addr.KindISATAP},
		{"ipv4", mustAddr("192.0.2.1"), nil, addr.KindIPv4},
		{"zero", netip.Addr{}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := addr.EmbeddedIPv4(tt.in)
			if got := embeddedList(s); !slices.Equal(got, tt.want) {
				t.Errorf("EmbeddedIPv4(%s) = %v, want %v", tt.in, got, tt.want)
			}
			var viaAll []addr.Embedded
			for i, x := range s.All() {
				if i != len(viaAll) {
					t.Errorf("All() index %d, want %d", i, len(viaAll))
				}
				viaAll = append(viaAll, x)
			}
			if !slices.Equal(viaAll, tt.want) {
				t.Errorf("EmbeddedIPv4(%s).All() = %v, want %v", tt.in, viaAll, tt.want)
			}
			if got := addr.KindOf(tt.in); got != tt.kind {
				t.Errorf("KindOf(%s) = %q, want %q", tt.in, got, tt.kind)
			}
		})
	}
}

func TestEmbeddedSetBounds(t *testing.T) {
	s := addr.EmbeddedIPv4(mustAddr("2002:808:808::"))
	for _, i := range []int{-1, 1, 2, 100} {
		if got := s.At(i); got != (addr.Embedded{}) {
			t.Errorf("At(%d) = %v, want zero", i, got)
		}
	}
	var zero addr.EmbeddedSet
	if zero.Len() != 0 || zero.At(0) != (addr.Embedded{}) {
		t.Errorf("zero EmbeddedSet not empty")
	}
	for range zero.All() {
		t.Errorf("zero EmbeddedSet yields")
	}
	// Breaking out of the loop early stops the iterator.
	n := 0
	for range addr.EmbeddedIPv4(mustAddr("2001::")).All() {
		n++
		break
	}
	if n != 1 {
		t.Errorf("break after first: %d iterations", n)
	}
}

func TestRoleString(t *testing.T) {
	tests := []struct {
		r    addr.Role
		s    string
		kind addr.Kind
	}{
		{addr.RoleTeredoServer, "teredo-server", addr.KindTeredo},
		{addr.RoleTeredoClient, "teredo-client", addr.KindTeredo},
		{addr.RoleSixToFour, "6to4", addr.KindSixToFour},
		{addr.RoleISATAP, "isatap", addr.KindISATAP},
		{addr.RoleNAT64, "nat64", addr.KindNAT64},
		{addr.RoleMapped, "ipv4-mapped", addr.KindIPv4Mapped},
		{addr.RoleCompatible, "ipv4-compatible", addr.KindIPv4Compatible},
		{0, "invalid", addr.KindIPv6},
		{200, "unknown", addr.KindIPv6},
	}
	for _, tt := range tests {
		if got := tt.r.String(); got != tt.s {
			t.Errorf("Role(%d).String() = %q, want %q", tt.r, got, tt.s)
		}
		if got := tt.r.Kind(); got != tt.kind {
			t.Errorf("Role(%d).Kind() = %q, want %q", tt.r, got, tt.kind)
		}
	}
	// The JSON strings are a stable interface of the CLI.
	kinds := map[addr.Kind]string{
		addr.KindTeredo: "teredo", addr.KindSixToFour: "6to4", addr.KindISATAP: "isatap",
		addr.KindNAT64: "nat64", addr.KindIPv4Mapped: "ipv4-mapped", addr.KindIPv4Compatible: "ipv4-compatible",
		addr.KindIPv6: "ipv6", addr.KindIPv4: "ipv4",
	}
	for k, s := range kinds {
		if string(k) != s {
			t.Errorf("Kind %q, want %q", k, s)
		}
	}
}
