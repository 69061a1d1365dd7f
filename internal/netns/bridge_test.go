package netns

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/transit6/transit6/internal/interop"
)

// TestBridge builds one segment with three hosts and the bridge's own
// namespace on it, over IPv4 and IPv6, and checks every host reaches every
// other one and the bridge's address.
func TestBridge(t *testing.T) {
	interop.LookPath(t, "ping")
	sw := New(t, "switch")
	br := sw.Bridge(t, "inet", netip.MustParsePrefix("192.0.2.254/24"), netip.MustParsePrefix("2001:db8:7::fe/64"))
	assert.Equal(t, "inet", br.Name())
	assert.Same(t, sw, br.NS())

	type host struct {
		ns     *NS
		v4, v6 netip.Prefix
	}
	hosts := make([]host, 3)
	for i := range hosts {
		h := &hosts[i]
		h.ns = New(t, "host")
		h.v4 = netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)}), 24)
		h.v6 = netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 7, 15: byte(i + 1)}), 64)
		br.Plug(t, h.ns, "eth0", h.v4, h.v6)
	}
	// Ports are named after the bridge, in the bridge's namespace.
	links := sw.Output(t, "ip", "-o", "link", "show", "master", "inet")
	for _, p := range []string{"inetp1@", "inetp2@", "inetp3@"} {
		assert.Contains(t, links, p)
	}
	assert.Equal(t, 3, strings.Count(links, "\n"), links)

	for i, a := range hosts {
		dsts := []netip.Addr{netip.MustParseAddr("192.0.2.254"), netip.MustParseAddr("2001:db8:7::fe")}
		for j, b := range hosts {
			if i != j {
				dsts = append(dsts, b.v4.Addr(), b.v6.Addr())
			}
		}
		for _, d := range dsts {
			a.ns.Run(t, "ping", "-c1", "-W5", d.String())
		}
	}
}

// TestBridgeName checks the length limit that keeps port names within
// IFNAMSIZ.
func TestBridgeName(t *testing.T) {
	sw := New(t, "switch")
	for _, name := range []string{"", "elevenbytes"} {
		rec := &recorder{TB: t}
		assert.Nil(t, sw.Bridge(rec, name), "name %q", name)
		assert.Len(t, rec.fatals, 1, "name %q", name)
	}
}
