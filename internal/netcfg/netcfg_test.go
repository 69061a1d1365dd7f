package netcfg

import (
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transit6/transit6/internal/netns"
	"golang.org/x/sys/unix"
)

// setup returns a namespace with a veth pair whose end "v0" is in it, and a
// Handle on that namespace made with NewAt.
func setup(t *testing.T) (*netns.NS, *Handle) {
	t.Helper()
	a, b := netns.New(t, "cfg"), netns.New(t, "cfgpeer")
	netns.Link(t, a, "v0", netip.Prefix{}, b, "v1", netip.Prefix{})
	h, err := NewAt(a.Path())
	require.NoError(t, err)
	t.Cleanup(func() { h.Close() })
	return a, h
}

// ipJSON runs `ip -j args` in ns and decodes its output: iproute2 is the
// independent reader of what we configured.
func ipJSON(t *testing.T, ns *netns.NS, args ...string) []map[string]any {
	t.Helper()
	var v []map[string]any
	out := ns.Output(t, append([]string{"ip", "-j"}, args...)...)
	require.NoError(t, json.Unmarshal([]byte(out), &v), out)
	return v
}

func TestLinkUpDownMTU(t *testing.T) {
	ns, h := setup(t)
	require.NoError(t, h.SetDown("v0"))
	up, err := h.IsUp("v0")
	require.NoError(t, err)
	assert.False(t, up)
	assert.NotContains(t, ipJSON(t, ns, "link", "show", "v0")[0]["flags"], "UP")

	require.NoError(t, h.SetMTU("v0", 1480))
	require.NoError(t, h.SetUp("v0"))
	up, err = h.IsUp("v0")
	require.NoError(t, err)
	assert.True(t, up)
	link := ipJSON(t, ns, "link", "show", "v0")[0]
	assert.Contains(t, link["flags"], "UP")
	assert.Equal(t, 1480.0, link["mtu"])
	mtu, err := h.MTU("v0")
	require.NoError(t, err)
	assert.Equal(t, 1480, mtu)

	idx, err := h.Index("v0")
	require.NoError(t, err)
	assert.Equal(t, link["ifindex"], float64(idx))

	assert.ErrorIs(t, h.SetMTU("v0", 67), ErrBadMTU)
	assert.ErrorIs(t, h.SetMTU("v0", 65536), ErrBadMTU)

	require.NoError(t, h.DelLink("v0"))
	assert.ErrorIs(t, h.SetUp("v0"), ErrNoLink)
	assert.Empty(t, ipJSON(t, ns, "link", "show", "type", "veth"))
}

func TestAddrs(t *testing.T) {
	ns, h := setup(t)
	p6 := netip.MustParsePrefix("2002:c000:201::1/16") // 6to4 for 192.0.2.1, as OpenWrt configures it
	p4 := netip.MustParsePrefix("192.0.2.1/24")
	require.NoError(t, h.AddAddr("v0", p6))
	require.NoError(t, h.AddAddr("v0", p4))
	assert.ErrorIs(t, h.AddAddr("v0", p6), unix.EEXIST)
	// Usable at once: the kernel routes it as local.
	assert.Contains(t, ns.Output(t, "ip", "-6", "route", "show", "table", "local", p6.Addr().String()), "local ")

	type ai struct {
		Family, Local string
		Prefixlen     int
	}
	read := func() (got []ai) {
		for _, a := range ipJSON(t, ns, "addr", "show", "dev", "v0", "scope", "global")[0]["addr_info"].([]any) {
			m := a.(map[string]any)
			if m["local"] == nil {
				continue // ip -j prints filtered-out addresses as empty objects
			}
			got = append(got, ai{m["family"].(string), m["local"].(string), int(m["prefixlen"].(float64))})
			if m["family"] == "inet6" {
				// nodad: the address is never tentative.
				assert.Nil(t, m["tentative"])
				assert.Equal(t, true, m["nodad"])
			}
		}
		return got
	}
	assert.ElementsMatch(t, []ai{{"inet6", "2002:c000:201::1", 16}, {"inet", "192.0.2.1", 24}}, read())

	got, err := h.Addrs("v0")
	require.NoError(t, err)
	assert.Contains(t, got, p6)
	assert.Contains(t, got, p4)

	require.NoError(t, h.DelAddr("v0", p6))
	assert.ElementsMatch(t, []ai{{"inet", "192.0.2.1", 24}}, read())
	assert.ErrorIs(t, h.DelAddr("v0", p6), unix.EADDRNOTAVAIL)

	for _, bad := range []netip.Prefix{
		{}, // zero value
		netip.MustParsePrefix("::ffff:192.0.2.1/120"), // IPv4-mapped
	} {
		assert.ErrorIs(t, h.AddAddr("v0", bad), ErrBadPrefix, bad.String())
	}
	assert.ErrorIs(t, h.AddAddr("nosuch0", p6), ErrNoLink)
	_, err = h.Addrs("nosuch0")
	assert.ErrorIs(t, err, ErrNoLink)
}

func TestRoutes(t *testing.T) {
	ns, h := setup(t)
	require.NoError(t, h.AddAddr("v0", netip.MustParsePrefix("2001:db8:1::1/64")))
	def := Route{Dst: netip.MustParsePrefix("::/0"), Metric: 100}
	relay := Route{ // sit-style next hop: the IPv4 address as ::a.b.c.d, on-link
		Dst:     netip.MustParsePrefix("2001:db8:2::/48"),
		Gateway: netip.MustParseAddr("::192.0.2.1"),
		OnLink:  true,
		Metric:  512,
		MTU:     1280,
	}
	v4 := Route{Dst: netip.MustParsePrefix("198.51.100.7/24")} // host bits are ignored
	require.NoError(t, h.AddRoute("v0", def))
	require.NoError(t, h.AddRoute("v0", relay))
	require.NoError(t, h.AddRoute("v0", v4))
	assert.ErrorIs(t, h.AddRoute("v0", def), unix.EEXIST)
	require.NoError(t, h.ReplaceRoute("v0", def))

	// What iproute2 sees.
	r6 := ipJSON(t, ns, "-6", "route", "show", "dev", "v0")
	byDst := map[string]map[string]any{}
	for _, r := range r6 {
		byDst[r["dst"].(string)] = r
	}
	require.Contains(t, byDst, "default")
	assert.Equal(t, 100.0, byDst["default"]["metric"])
	assert.Nil(t, byDst["default"]["gateway"])
	require.Contains(t, byDst, "2001:db8:2::/48")
	assert.Equal(t, "::192.0.2.1", byDst["2001:db8:2::/48"]["gateway"])
	assert.Contains(t, byDst["2001:db8:2::/48"]["flags"], "onlink")
	assert.Contains(t, byDst, "2001:db8:1::/64") // the address's prefix route
	r4 := ipJSON(t, ns, "-4", "route", "show", "dev", "v0")
	require.Len(t, r4, 1)
	assert.Equal(t, "198.51.100.0/24", r4[0]["dst"])

	// What Routes reports.
	rs, err := h.Routes("v0")
	require.NoError(t, err)
	assert.Contains(t, rs, def)
	assert.Contains(t, rs, relay)
	assert.Contains(t, rs, Route{Dst: netip.MustParsePrefix("198.51.100.0/24")})

	require.NoError(t, h.DelRoute("v0", relay))
	assert.ErrorIs(t, h.DelRoute("v0", relay), unix.ESRCH)
	rs, err = h.Routes("v0")
	require.NoError(t, err)
	assert.NotContains(t, rs, relay)

	assert.ErrorIs(t, h.AddRoute("v0", Route{}), ErrBadPrefix)
	assert.ErrorIs(t, h.AddRoute("v0", Route{Dst: def.Dst, Gateway: netip.MustParseAddr("192.0.2.1")}), ErrFamilyMismatch)
	assert.ErrorIs(t, h.AddRoute("v0", Route{Dst: v4.Dst, Gateway: netip.MustParseAddr("::ffff:192.0.2.1")}), ErrFamilyMismatch)
	assert.ErrorIs(t, h.AddRoute("nosuch0", def), ErrNoLink)
}

// TestNewInNamespace checks that New binds to the namespace of the calling
// thread, which netns.NS.Do has moved, and that the Handle keeps it when
// used from elsewhere.
func TestNewInNamespace(t *testing.T) {
	a, _ := setup(t)
	var h *Handle
	a.Exec(t, func() (err error) {
		h, err = New()
		return err
	})
	defer h.Close()
	_, err := h.Index("v0") // from the test goroutine, outside the namespace
	require.NoError(t, err)
	_, err = h.Index("lo")
	require.NoError(t, err)
}
