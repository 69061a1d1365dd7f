package addr_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/transit6/transit6/addr"
)

// TestNAT64RFC6052Table is the table of RFC 6052 §2.4 for 192.0.2.33, one row
// per allowed prefix length, plus the Well-Known Prefix row.
func TestNAT64RFC6052Table(t *testing.T) {
	v4 := mustAddr("192.0.2.33")
	tests := []struct {
		prefix string
		want   string
	}{
		{"2001:db8::/32", "2001:db8:c000:221::"},
		{"2001:db8:100::/40", "2001:db8:1c0:2:21::"},
		{"2001:db8:122::/48", "2001:db8:122:c000:2:2100::"},
		{"2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"},
		{"2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0"},
		{"2001:db8:122:344::/96", "2001:db8:122:344::192.0.2.33"},
		{"64:ff9b::/96", "64:ff9b::192.0.2.33"},
		// RFC 8215 local-use prefix with the /48 layout: bytes 6,7 | u | 9,10.
		{"64:ff9b:1::/48", "64:ff9b:1:c000:2:2100::"},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			p := mustPrefix(tt.prefix)
			got, err := addr.NAT64Embed(p, v4)
			if err != nil || got != mustAddr(tt.want) {
				t.Fatalf("NAT64Embed(%s, %s) = %s, %v; want %s", p, v4, got, err, tt.want)
			}
			back, err := addr.NAT64Extract(p, got)
			if err != nil || back != v4 {
				t.Errorf("NAT64Extract(%s, %s) = %s, %v; want %s", p, got, back, err, v4)
			}
		})
	}
}

func TestNAT64Lenient(t *testing.T) {
	// Host bits of the prefix are ignored when embedding.
	got, err := addr.NAT64Embed(mustPrefix("2001:db8::1/32"), mustAddr("192.0.2.33"))
	if err != nil || got != mustAddr("2001:db8:c000:221::") {
		t.Errorf("NAT64Embed with host bits = %s, %v", got, err)
	}
	// The suffix is not checked when extracting (RFC 6052 reserves it).
	v4, err := addr.NAT64Extract(mustPrefix("2001:db8::/32"), mustAddr("2001:db8:c000:221:ff:1:2:3"))
	if err != nil || v4 != mustAddr("192.0.2.33") {
		t.Errorf("NAT64Extract with suffix = %s, %v", v4, err)
	}
	// A zone is ignored.
	v4, err = addr.NAT64Extract(addr.NAT64WellKnownPrefix, mustAddr("64:ff9b::808:808%nat64"))
	if err != nil || v4 != mustAddr("8.8.8.8") {
		t.Errorf("NAT64Extract with zone = %s, %v", v4, err)
	}
}

func TestNAT64Errors(t *testing.T) {
	v4 := mustAddr("192.0.2.33")
	embed := []struct {
		name   string
		prefix netip.Prefix
		v4     netip.Addr
		want   error
	}{
		{"zero prefix", netip.Prefix{}, v4, addr.ErrNotIPv6Prefix},
		{"IPv4 prefix", mustPrefix("192.0.2.0/24"), v4, addr.ErrNotIPv6Prefix},
		{"/0", mustPrefix("::/0"), v4, addr.ErrBadPrefixLen},
		{"/31", mustPrefix("2001:db8::/31"), v4, addr.ErrBadPrefixLen},
		{"/33", mustPrefix("2001:db8::/33"), v4, addr.ErrBadPrefixLen},
		{"/72", mustPrefix("2001:db8::/72"), v4, addr.ErrBadPrefixLen},
		{"/128", mustPrefix("2001:db8::/128"), v4, addr.ErrBadPrefixLen},
		{"/96 with u-octet", mustPrefix("2001:db8:0:0:100::/96"), v4, addr.ErrNAT64UOctet},
		{"IPv6 v4", mustPrefix("64:ff9b::/96"), mustAddr("::1"), addr.ErrNotIPv4},
		{"mapped v4", mustPrefix("64:ff9b::/96"), mustAddr("::ffff:192.0.2.33"), addr.ErrNotIPv4},
		{"zero v4", mustPrefix("64:ff9b::/96"), netip.Addr{}, addr.ErrNotIPv4},
	}
	for _, tt := range embed {
		t.Run("embed "+tt.name, func(t *testing.T) {
			got, err := addr.NAT64Embed(tt.prefix, tt.v4)
			if !errors.Is(err, tt.want) || got.IsValid() {
				t.Errorf("NAT64Embed(%s, %s) = %s, %v; want %v", tt.prefix, tt.v4, got, err, tt.want)
			}
		})
	}
	extract := []struct {
		name   string
		prefix netip.Prefix
		a      netip.Addr
		want   error
	}{
		{"zero prefix", netip.Prefix{}, mustAddr("64:ff9b::1"), addr.ErrNotIPv6Prefix},
		{"/33", mustPrefix("2001:db8::/33"), mustAddr("2001:db8::1"), addr.ErrBadPrefixLen},
		{"/96 with u-octet", mustPrefix("2001:db8:0:0:100::/96"), mustAddr("2001:db8:0:0:100::1"), addr.ErrNAT64UOctet},
		{"IPv4 address", mustPrefix("64:ff9b::/96"), v4, addr.ErrNotIPv6},
		{"zero address", mustPrefix("64:ff9b::/96"), netip.Addr{}, addr.ErrNotIPv6},
		{"outside prefix", mustPrefix("64:ff9b::/96"), mustAddr("64:ff9b:1::c000:221"), addr.ErrNotNAT64},
		{"outside /32", mustPrefix("2001:db8::/32"), mustAddr("2001:db9:c000:221::"), addr.ErrNotNAT64},
		{"u-octet /64", mustPrefix("2001:db8:122:344::/64"), mustAddr("2001:db8:122:344:1c0:2:2100:0"), addr.ErrNAT64UOctet},
		{"u-octet /32", mustPrefix("2001:db8::/32"), mustAddr("2001:db8:c000:221:8000::"), addr.ErrNAT64UOctet},
	}
	for _, tt := range extract {
		t.Run("extract "+tt.name, func(t *testing.T) {
			got, err := addr.NAT64Extract(tt.prefix, tt.a)
			if !errors.Is(err, tt.want) || got.IsValid() {
				t.Errorf("NAT64Extract(%s, %s) = %s, %v; want %v", tt.prefix, tt.a, got, err, tt.want)
			}
		})
	}
}

func TestNAT64Constants(t *testing.T) {
	if addr.NAT64WellKnownPrefix != mustPrefix("64:ff9b::/96") {
		t.Errorf("NAT64WellKnownPrefix = %s", addr.NAT64WellKnownPrefix)
	}
	if addr.NAT64LocalUsePrefix != mustPrefix("64:ff9b:1::/48") {
		t.Errorf("NAT64LocalUsePrefix = %s", addr.NAT64LocalUsePrefix)
	}
}

func TestIPv4Mapped(t *testing.T) {
	got := addr.IPv4Mapped(mustAddr("192.0.2.33"))
	if got != mustAddr("::ffff:192.0.2.33") || !got.Is4In6() {
		t.Errorf("IPv4Mapped(192.0.2.33) = %s", got)
	}
	for _, in := range []netip.Addr{{}, mustAddr("::1"), mustAddr("::ffff:192.0.2.33")} {
		if got := addr.IPv4Mapped(in); got.IsValid() {
			t.Errorf("IPv4Mapped(%s) = %s, want zero Addr", in, got)
		}
	}
	v4, err := addr.DecodeIPv4Mapped(mustAddr("::ffff:169.254.169.254%eth0"))
	if err != nil || v4 != mustAddr("169.254.169.254") {
		t.Errorf("DecodeIPv4Mapped = %s, %v", v4, err)
	}
	for _, tt := range []struct {
		in   netip.Addr
		want error
	}{
		{netip.Addr{}, addr.ErrNotIPv6},
		{mustAddr("192.0.2.33"), addr.ErrNotIPv6},
		{mustAddr("::c000:221"), addr.ErrNotIPv4Mapped},
		{mustAddr("::1:ffff:c000:221"), addr.ErrNotIPv4Mapped},
		{mustAddr("::fffe:c000:221"), addr.ErrNotIPv4Mapped},
	} {
		if v4, err := addr.DecodeIPv4Mapped(tt.in); !errors.Is(err, tt.want) || v4.IsValid() {
			t.Errorf("DecodeIPv4Mapped(%s) = %s, %v; want %v", tt.in, v4, err, tt.want)
		}
	}
}

func TestIPv4Compatible(t *testing.T) {
	tests := []struct {
		v4   string
		want string
	}{
		{"192.0.2.33", "::c000:221"},
		{"127.0.0.1", "::7f00:1"},
		{"0.0.0.2", "::2"}, // the first address after ::1
		{"0.0.1.0", "::100"},
		{"255.255.255.255", "::ffff:ffff"},
	}
	for _, tt := range tests {
		got, err := addr.IPv4Compatible(mustAddr(tt.v4))
		if err != nil || got != mustAddr(tt.want) {
			t.Errorf("IPv4Compatible(%s) = %s, %v; want %s", tt.v4, got, err, tt.want)
		}
		back, err := addr.DecodeIPv4Compatible(got)
		if err != nil || back != mustAddr(tt.v4) {
			t.Errorf("DecodeIPv4Compatible(%s) = %s, %v; want %s", got, back, err, tt.v4)
		}
	}
	for _, tt := range []struct {
		in   netip.Addr
		want error
	}{
		{mustAddr("0.0.0.0"), addr.ErrNotIPv4Compatible}, // would be ::
		{mustAddr("0.0.0.1"), addr.ErrNotIPv4Compatible}, // would be ::1
		{mustAddr("::c000:221"), addr.ErrNotIPv4},
		{mustAddr("::ffff:192.0.2.33"), addr.ErrNotIPv4},
		{netip.Addr{}, addr.ErrNotIPv4},
	} {
		if got, err := addr.IPv4Compatible(tt.in); !errors.Is(err, tt.want) || got.IsValid() {
			t.Errorf("IPv4Compatible(%s) = %s, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, tt := range []struct {
		in   netip.Addr
		want error
	}{
		{mustAddr("::"), addr.ErrNotIPv4Compatible},
		{mustAddr("::1"), addr.ErrNotIPv4Compatible},
		{mustAddr("::ffff:192.0.2.33"), addr.ErrNotIPv4Compatible},
		{mustAddr("::1:c000:221"), addr.ErrNotIPv4Compatible},
		{mustAddr("1::c000:221"), addr.ErrNotIPv4Compatible},
		{mustAddr("192.0.2.33"), addr.ErrNotIPv6},
		{netip.Addr{}, addr.ErrNotIPv6},
	} {
		if got, err := addr.DecodeIPv4Compatible(tt.in); !errors.Is(err, tt.want) || got.IsValid() {
			t.Errorf("DecodeIPv4Compatible(%s) = %s, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if got, err := addr.DecodeIPv4Compatible(mustAddr("::192.0.2.33%eth0")); err != nil || got != mustAddr("192.0.2.33") {
		t.Errorf("DecodeIPv4Compatible with zone = %s, %v", got, err)
	}
}
