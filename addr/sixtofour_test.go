package addr_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/transit6/transit6/addr"
)

// TestSixToFourSitePrefix uses the table of proto41.md §2.1 (cross-checked
// there with scapy's in6_get6to4Prefix). global is the table's "valid to
// embed?" column.
func TestSixToFourSitePrefix(t *testing.T) {
	tests := []struct {
		v4     string
		prefix string
		global bool
	}{
		{"192.0.2.4", "2002:c000:204::/48", false}, // TEST-NET-1
		{"8.8.8.8", "2002:808:808::/48", true},
		{"198.51.100.7", "2002:c633:6407::/48", false}, // TEST-NET-2
		{"192.88.99.1", "2002:c058:6301::/48", false},  // relay anycast
		{"10.0.0.1", "2002:a00:1::/48", false},
		{"172.16.5.4", "2002:ac10:504::/48", false},
		{"192.168.1.1", "2002:c0a8:101::/48", false},
		{"100.64.0.1", "2002:6440:1::/48", false},
		{"127.0.0.1", "2002:7f00:1::/48", false},
		{"169.254.169.254", "2002:a9fe:a9fe::/48", false},
		{"0.0.0.0", "2002::/48", false},
		{"224.0.0.1", "2002:e000:1::/48", false},
		{"240.0.0.1", "2002:f000:1::/48", false},
		{"255.255.255.255", "2002:ffff:ffff::/48", false},
	}
	for _, tt := range tests {
		t.Run(tt.v4, func(t *testing.T) {
			v4 := mustAddr(tt.v4)
			got, err := addr.SixToFourSitePrefix(v4)
			if err != nil || got != mustPrefix(tt.prefix) {
				t.Fatalf("SixToFourSitePrefix(%s) = %s, %v; want %s", v4, got, err, tt.prefix)
			}
			back, sla, err := addr.DecodeSixToFour(got.Addr())
			if err != nil || back != v4 || sla != 0 {
				t.Errorf("DecodeSixToFour(%s) = %s, %d, %v; want %s, 0", got.Addr(), back, sla, err, v4)
			}
			if g := addr.IsGlobalIPv4(v4); g != tt.global {
				t.Errorf("IsGlobalIPv4(%s) = %v, want %v", v4, g, tt.global)
			}
			if p := addr.IsPublic(got.Addr()); p != tt.global {
				t.Errorf("IsPublic(%s) = %v, want %v", got.Addr(), p, tt.global)
			}
		})
	}
}

func TestDecodeSixToFour(t *testing.T) {
	tests := []struct {
		name string
		in   string
		v4   string
		sla  uint16
	}{
		// proto41.md §10 item 1: SLA and interface ID preserved.
		{"sla 1", "2002:c000:204:1::5", "192.0.2.4", 1},
		{"router ::1", "2002:808:808::1", "8.8.8.8", 0},
		{"sla ffff", "2002:c633:6407:ffff:ffff:ffff:ffff:ffff", "198.51.100.7", 0xffff},
		{"zone ignored", "2002:c000:204:1::5%sit0", "192.0.2.4", 1},
		{"isatap iid under 6to4", "2002:808:808:1:200:5efe:a00:1", "8.8.8.8", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v4, sla, err := addr.DecodeSixToFour(mustAddr(tt.in))
			if err != nil || v4 != mustAddr(tt.v4) || sla != tt.sla {
				t.Errorf("DecodeSixToFour(%s) = %s, %d, %v; want %s, %d", tt.in, v4, sla, err, tt.v4, tt.sla)
			}
		})
	}
}

func TestDecodeSixToFourErrors(t *testing.T) {
	tests := []struct {
		in   netip.Addr
		want error
	}{
		{netip.Addr{}, addr.ErrNotIPv6},
		{mustAddr("192.0.2.4"), addr.ErrNotIPv6},
		{mustAddr("2001::"), addr.ErrNotSixToFour},
		{mustAddr("2003::"), addr.ErrNotSixToFour},
		{mustAddr("2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), addr.ErrNotSixToFour},
		{mustAddr("::ffff:192.0.2.4"), addr.ErrNotSixToFour},
		{mustAddr("::2002:c000:204"), addr.ErrNotSixToFour},
	}
	for _, tt := range tests {
		v4, sla, err := addr.DecodeSixToFour(tt.in)
		if !errors.Is(err, tt.want) || v4.IsValid() || sla != 0 {
			t.Errorf("DecodeSixToFour(%s) = %s, %d, %v; want error %v", tt.in, v4, sla, err, tt.want)
		}
	}
	for _, in := range []netip.Addr{{}, mustAddr("2002::1"), mustAddr("::ffff:192.0.2.4")} {
		if p, err := addr.SixToFourSitePrefix(in); !errors.Is(err, addr.ErrNotIPv4) || p.IsValid() {
			t.Errorf("SixToFourSitePrefix(%s) = %s, %v; want ErrNotIPv4", in, p, err)
		}
	}
}

func TestSixToFourConstants(t *testing.T) {
	if addr.SixToFourPrefix != mustPrefix("2002::/16") {
		t.Errorf("SixToFourPrefix = %s", addr.SixToFourPrefix)
	}
	// RFC 3068: 192.88.99.1 and its 6to4 form 2002:c058:6301::.
	if addr.SixToFourRelayAnycastIPv4 != mustAddr("192.88.99.1") {
		t.Errorf("SixToFourRelayAnycastIPv4 = %s", addr.SixToFourRelayAnycastIPv4)
	}
	if addr.SixToFourRelayAnycastIPv6 != mustAddr("2002:c058:6301::") {
		t.Errorf("SixToFourRelayAnycastIPv6 = %s", addr.SixToFourRelayAnycastIPv6)
	}
	v4, _, err := addr.DecodeSixToFour(addr.SixToFourRelayAnycastIPv6)
	if err != nil || v4 != addr.SixToFourRelayAnycastIPv4 {
		t.Errorf("the relay anycast forms do not match: %s, %v", v4, err)
	}
	if addr.IsPublic(addr.SixToFourRelayAnycastIPv6) {
		t.Errorf("relay anycast 2002:c058:6301:: is public; RFC 7526 deprecated it")
	}
}
