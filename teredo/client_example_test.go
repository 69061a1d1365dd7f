package teredo_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/transit6/transit6/teredo"
)

// ExampleClient qualifies a client behind a port-restricted NAT (Linux's
// masquerade without port preservation) against a server, on the in-test
// network simulator, which plays the part of a program's UDP adapter: it
// sends ClientOutput.Send from the client's socket, passes received
// datagrams to HandleDatagram and calls Tick at NextDeadline, with the time
// of a fake clock. The address comes with the first answer; the NAT test
// takes two more rounds of N×T = 12 s.
func ExampleClient() {
	n := newSimNet(nil)
	n.Latency = 5 * time.Millisecond
	server := n.AddServer("198.51.100.1") // and 198.51.100.2
	nat := n.AddNAT(netip.MustParseAddr("203.0.113.1"), natPortRestricted)
	c := n.AddClient(teredo.ClientConfig{
		Servers: []netip.Addr{server.Primary},
		Global:  []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24")},
	}, "10.0.0.2:50000", nat, nil)

	c.Start()
	n.RunFor(time.Minute)

	for _, e := range c.Events {
		switch e.Kind {
		case teredo.EventAddressAcquired:
			st := c.C.Status()
			fmt.Printf("%v address acquired: server %v, mapped %v\n", e.At, st.Teredo.Server, st.Teredo.Client)
		default:
			fmt.Println(e)
		}
	}
	st := c.C.Status()
	fmt.Println(st.State, st.NAT, st.Local, st.Mapped, st.MTU)
	// Output:
	// 0s state probing
	// 10ms state qualified
	// 10ms address acquired: server 198.51.100.1, mapped 203.0.113.1:40000
	// 24.01s nat port-restricted
	// qualified port-restricted 10.0.0.2:50000 203.0.113.1:40000 1280
}
