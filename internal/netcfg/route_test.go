package netcfg

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transit6/transit6/internal/interop"
	"github.com/transit6/transit6/internal/netns"
	"golang.org/x/sys/unix"
)

// TestRouteMTU builds routes whose MTUs differ in every way the kernel
// knows (the interface's, the route's own metric, multipath, a policy rule
// by source, the default route) and checks what RouteMTU reports against
// the MTUs the test set with ip(8).
func TestRouteMTU(t *testing.T) {
	a, b := netns.New(t, "rmtu"), netns.New(t, "rmtupeer")
	netns.Link(t, a, "v0", netip.MustParsePrefix("192.0.2.1/24"), b, "v1", netip.MustParsePrefix("192.0.2.2/24"))
	netns.Link(t, a, "w0", netip.MustParsePrefix("10.9.0.1/24"), b, "w1", netip.MustParsePrefix("10.9.0.2/24"))
	a.AddAddr(t, "v0", netip.MustParsePrefix("2001:db8:1::1/64"))
	a.IP(t, "link", "set", "v0", "mtu", "1400") // a PPPoE-like link, narrower than Ethernet
	a.IP(t, "link", "set", "w0", "mtu", "9000") // a jumbo-frame link
	// The route's own MTU beats its interface's.
	a.IP(t, "route", "add", "198.51.100.0/24", "via", "192.0.2.2", "mtu", "1300")
	a.IP(t, "route", "add", "203.0.113.0/24", "via", "192.0.2.2")
	a.IP(t, "route", "add", "203.0.113.128/25", "via", "192.0.2.2", "mtu", "9000")
	a.IP(t, "route", "add", "100.64.0.0/10", "nexthop", "via", "10.9.0.2", "nexthop", "via", "192.0.2.2")
	a.IP(t, "route", "add", "unreachable", "233.252.0.0/24")
	// Two default routes: the lower metric wins.
	a.IP(t, "route", "add", "default", "via", "192.0.2.2", "metric", "100", "mtu", "1360")
	a.IP(t, "route", "add", "default", "via", "10.9.0.2", "metric", "200")
	// Packets from 10.9.0.1 take table 100, which sends everything by w0.
	a.IP(t, "rule", "add", "from", "10.9.0.1", "table", "100")
	a.IP(t, "route", "add", "default", "via", "10.9.0.2", "table", "100")

	h, err := NewAt(a.Path())
	require.NoError(t, err)
	t.Cleanup(func() { h.Close() })

	addr := netip.MustParseAddr
	for _, tc := range []struct {
		name     string
		dst, src netip.Addr
		want     int
	}{
		{"on-link: the interface's MTU", addr("192.0.2.7"), netip.Addr{}, 1400},
		{"route with an MTU metric", addr("198.51.100.7"), netip.Addr{}, 1300},
		{"route without one: its interface's", addr("203.0.113.7"), netip.Addr{}, 1400},
		{"route MTU over its interface's: the interface's", addr("203.0.113.130"), netip.Addr{}, 1400},
		{"through the default route", addr("8.8.8.8"), netip.Addr{}, 1360},
		{"the default route itself", netip.IPv4Unspecified(), netip.Addr{}, 1360},
		{"source 192.0.2.1: the main table", addr("8.8.8.8"), addr("192.0.2.1"), 1360},
		{"source 10.9.0.1: table 100", addr("8.8.8.8"), addr("10.9.0.1"), 9000},
		{"IPv6 on-link", addr("2001:db8:1::7"), netip.Addr{}, 1400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := h.RouteMTU(tc.dst, tc.src)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}

	// A multipath route: the kernel picks one next hop per flow, and
	// ip(8) says which.
	mtus := map[string]int{"v0": 1400, "w0": 9000}
	dev := ipJSON(t, a, "route", "get", "100.64.0.1")[0]["dev"].(string)
	got, err := h.RouteMTU(addr("100.64.0.1"), netip.Addr{})
	require.NoError(t, err)
	assert.Equal(t, mtus[dev], got, "multipath, by %s", dev)

	_, err = h.RouteMTU(addr("233.252.0.1"), netip.Addr{})
	assert.ErrorIs(t, err, unix.EHOSTUNREACH, "unreachable route")
	_, err = h.RouteMTU(addr("2001:db8:2::1"), netip.Addr{})
	assert.ErrorIs(t, err, unix.ENETUNREACH, "no IPv6 route")
	_, err = h.RouteMTU(netip.IPv6Unspecified(), netip.Addr{})
	assert.ErrorIs(t, err, unix.ENETUNREACH, "no IPv6 default route")
	for name, c := range map[string][2]netip.Addr{
		"zero dst":           {},
		"IPv4-mapped dst":    {addr("::ffff:192.0.2.7")},
		"IPv6 src, IPv4 dst": {addr("192.0.2.7"), addr("2001:db8:1::1")},
		"IPv4-mapped src":    {addr("2001:db8:1::7"), addr("::ffff:192.0.2.1")},
	} {
		_, err := h.RouteMTU(c[0], c[1])
		assert.ErrorIs(t, err, ErrBadAddr, name)
	}

	// A path MTU learned from an ICMP Fragmentation Needed: b forwards to
	// c over a 1280-byte link and answers a's 1328-byte DF packet with
	// one.
	c := netns.New(t, "rmtuc")
	netns.Link(t, b, "x1", netip.MustParsePrefix("203.0.113.254/24"), c, "x0", netip.MustParsePrefix("203.0.113.8/24"))
	b.IP(t, "link", "set", "x1", "mtu", "1280")
	b.Sysctl(t, "net.ipv4.ip_forward", "1")
	c.IP(t, "route", "add", "default", "via", "203.0.113.254")
	out, _ := a.Command(interop.LookPath(t, "ping"), "-c", "1", "-W", "1", "-M", "do", "-s", "1300", "203.0.113.8").CombinedOutput()
	require.Contains(t, string(out), "mtu = 1280", "ping: %s", out)
	got, err = h.RouteMTU(addr("203.0.113.8"), netip.Addr{})
	require.NoError(t, err)
	assert.Equal(t, 1280, got, "learned path MTU")
	got, err = h.RouteMTU(addr("203.0.113.9"), netip.Addr{})
	require.NoError(t, err)
	assert.Equal(t, 1400, got, "only for the destination that was told")

	a.IP(t, "route", "del", "default", "metric", "100")
	got, err = h.RouteMTU(netip.IPv4Unspecified(), netip.Addr{})
	require.NoError(t, err)
	assert.Equal(t, 9000, got, "the remaining default route, by w0")
	a.IP(t, "route", "del", "default", "metric", "200")
	_, err = h.RouteMTU(netip.IPv4Unspecified(), netip.Addr{})
	assert.ErrorIs(t, err, unix.ENETUNREACH, "no default route left")
	// A multipath default route could take any of its interfaces: the
	// narrowest is reported.
	a.IP(t, "route", "add", "default", "nexthop", "via", "10.9.0.2", "nexthop", "via", "192.0.2.2")
	got, err = h.RouteMTU(netip.IPv4Unspecified(), netip.Addr{})
	require.NoError(t, err)
	assert.Equal(t, 1400, got, "multipath default route")
}
