package netns_test

import (
	"net"
	"net/netip"
	"testing"

	"github.com/transit6/transit6/internal/netns"
)

// Two hosts on one wire, a command in one and Go code in the other. (Not
// run as an example: it needs root and a *testing.T.)
func Example() {
	var t *testing.T // a test's t
	a, b := netns.New(t, "client"), netns.New(t, "server")
	netns.Link(t, a, "eth0", netip.MustParsePrefix("192.0.2.1/24"),
		b, "eth0", netip.MustParsePrefix("192.0.2.2/24"))
	b.AddAddr(t, "eth0", netip.MustParsePrefix("2001:db8::2/64"))

	// A socket made inside b stays in b.
	var ln net.Listener
	b.Exec(t, func() (err error) {
		ln, err = net.Listen("tcp", "192.0.2.2:8080")
		return err
	})
	defer ln.Close()

	// A daemon in b, stopped (and its output shown if t failed) on cleanup.
	b.Start(t, "sleep", "1000")
	a.Run(t, "ip", "route", "show")
}
