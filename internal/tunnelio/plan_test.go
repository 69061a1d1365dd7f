package tunnelio_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/internal/netcfg"
	"github.com/transit6/transit6/internal/tunnelio"
	"github.com/transit6/transit6/sixtofour"
)

// TestPlan checks the interface addresses and routes against the notes:
// OpenWrt's 6to4 2002:V4ADDR::1/16, the 6rd delegated prefix ::1 with the
// 6rd prefix length (RFC 5969 §7.1.1: the domain is on link), Linux sit's
// ISATAP link-local fe80::[02]00:5efe:V4ADDR (RFC 5214 §6.2) and 6in4's
// fe80::V4ADDR (RFC 4213 §3.7). The hex of 192.0.2.1 is c000:0201.
func TestPlan(t *testing.T) {
	a, p := netip.MustParseAddr, netip.MustParsePrefix
	lab := []netip.Prefix{p("192.0.2.0/24"), p("198.51.100.0/24")}
	deflt := []netcfg.Route{{Dst: p("::/0")}}
	tests := []struct {
		name   string
		cfg    sixtofour.Config
		over   netip.Prefix
		addrs  []netip.Prefix
		routes []netcfg.Route
	}{
		{"6to4 site", sixtofour.Config{Mechanism: sixtofour.SixToFour, Local: a("192.0.2.1"), TreatAsGlobal: lab},
			netip.Prefix{}, []netip.Prefix{p("2002:c000:201::1/16")}, nil},
		{"6to4 with relay", sixtofour.Config{Mechanism: sixtofour.SixToFour, Local: a("192.0.2.1"), SixToFourRelay: a("198.51.100.1"), TreatAsGlobal: lab},
			netip.Prefix{}, []netip.Prefix{p("2002:c000:201::1/16")}, deflt},
		{"6to4 --addr keeps /16", sixtofour.Config{Mechanism: sixtofour.SixToFour, Local: a("192.0.2.1"), TreatAsGlobal: lab},
			p("2002:c000:201::5/128"), []netip.Prefix{p("2002:c000:201::5/16")}, nil},
		{"6rd CE", sixtofour.Config{Mechanism: sixtofour.SixRD, Local: a("192.0.2.1"),
			SixRD: addr.SixRD{Prefix: p("2001:db8::/32"), BorderRelays: []netip.Addr{a("198.51.100.2")}}},
			netip.Prefix{}, []netip.Prefix{p("2001:db8:c000:201::1/32")}, deflt},
		{"6rd BR", sixtofour.Config{Mechanism: sixtofour.SixRD, Local: a("198.51.100.2"), Relay: true,
			SixRD: addr.SixRD{Prefix: p("2001:db8::/32"), BorderRelays: []netip.Addr{a("198.51.100.2")}}},
			netip.Prefix{}, []netip.Prefix{p("2001:db8:c633:6402::1/32")}, nil},
		{"ISATAP host, global IPv4", sixtofour.Config{Mechanism: sixtofour.ISATAP, Local: a("192.0.2.1"), TreatAsGlobal: lab,
			PRL: []netip.Addr{a("198.51.100.2")}, OnLink: []netip.Prefix{p("2001:db8:1::/64")}},
			netip.Prefix{}, []netip.Prefix{p("fe80::200:5efe:c000:201/64"), p("2001:db8:1::200:5efe:c000:201/64")}, deflt},
		{"ISATAP router, private IPv4, link-local only", sixtofour.Config{Mechanism: sixtofour.ISATAP, Local: a("10.0.0.1"), Relay: true},
			netip.Prefix{}, []netip.Prefix{p("fe80::5efe:a00:1/64")}, nil},
		{"6in4", sixtofour.Config{Mechanism: sixtofour.SixInFour, Local: a("192.0.2.1"), Remote: a("198.51.100.9")},
			netip.Prefix{}, []netip.Prefix{p("fe80::c000:201/64")}, deflt},
		{"6in4 --addr", sixtofour.Config{Mechanism: sixtofour.SixInFour, Local: a("192.0.2.1"), Remote: a("198.51.100.9")},
			p("2001:db8:5::2/64"), []netip.Prefix{p("2001:db8:5::2/64")}, deflt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol, err := sixtofour.NewPolicy(&tt.cfg)
			require.NoError(t, err)
			addrs, routes := tunnelio.Plan(&tt.cfg, pol, tt.over)
			assert.Equal(t, tt.addrs, addrs)
			assert.Equal(t, tt.routes, routes)
		})
	}
}

func TestDefaults(t *testing.T) {
	for m, want := range map[sixtofour.Mechanism]struct {
		name string
		mtu  int
	}{
		sixtofour.SixToFour: {"tun6to4", 1480}, sixtofour.SixRD: {"tun6rd", 1280},
		sixtofour.ISATAP: {"isatap0", 1280}, sixtofour.SixInFour: {"tun6in4", 1480},
	} {
		assert.Equal(t, want.name, tunnelio.DefaultIfName(m), m)
		assert.Equal(t, want.mtu, tunnelio.DefaultMTU(m), m)
	}
}
