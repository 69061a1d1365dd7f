package teredoio_test

import (
	"net/netip"
	"strconv"
	"testing"
)

// Interop 3, without hairpinning: two transit6 clients behind one NAT
// that does not hairpin find each other by local discovery (RFC 4380
// §5.2.8, `--local-discovery`): each sends a discovery bubble to
// 224.0.0.253:3544 on the LAN, the other answers with a unicast bubble to
// its local address, and from then on their packets stay on the LAN.
// Without it their bubbles go to the NAT's outside address, which does not
// send them back in (TestClientToClientNAT's comment).
func TestClientToClientLocalDiscovery(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.server(t, "transit6", netip.Addr{})
	nat := w.newNAT(t, "c", natOutIP, coneNAT)
	h1, h2 := nat.host(t, w, "c1"), nat.host(t, w, "c2")
	// The second client starts once the first is qualified: the first
	// learns of it from its discovery bubble and answers at once, rather
	// than at its next periodic bubble 200 to 300 s later.
	a := w.transit6Client(t, "client1", h1, "--local-discovery", "--port", strconv.Itoa(40001))
	b := w.transit6Client(t, "client2", h2, "--local-discovery", "--port", strconv.Itoa(40002))
	ping(t, h1, b)
	ping(t, h2, a)
}
