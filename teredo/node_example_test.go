package teredo_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/packet"
	"github.com/transit6/transit6/teredo"
)

// A relay trusts a Teredo client whose packet comes from the mapping its
// address embeds (RFC 4380 §5.2.3 case 3), passes the packet to the native
// network, and sends the native host's answer straight to the client's
// mapping. A UDP adapter would do the same with datagrams from its socket
// and packets from its TUN device.
func ExampleNode_relay() {
	relay, err := teredo.NewNode(teredo.NodeConfig{
		Relay: true,
		// The example is numbered from documentation ranges.
		Global: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24")},
	})
	if err != nil {
		panic(err)
	}
	var out teredo.NodeOutput
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

	mapping := netip.MustParseAddrPort("203.0.113.20:50000")
	client := addr.Teredo{Server: netip.MustParseAddr("198.51.100.1"), Client: mapping}.Addr()
	native := netip.MustParseAddr("2001:db8:1::100")

	// A ping from the client, received on the relay's UDP socket.
	ping, _ := packet.AppendEchoRequest(nil, client, native, 64, 1, 1, []byte("hello"))
	var p teredo.Packet
	if err := p.Decode(ping); err != nil {
		panic(err)
	}
	deliver, err := relay.Receive(now, mapping, &p, false, &out)
	fmt.Println("to the native network:", deliver, err)

	// The native host's answer, read from the TUN device.
	pong, _ := packet.AppendEchoReply(nil, native, client, 64, 1, 1, []byte("hello"))
	to, err := relay.Transmit(now, pong, &out)
	fmt.Println("to the client at:", to, err, len(out.Send))

	peer, _ := relay.PeerInfo(client)
	fmt.Println(peer.Addr, "trusted:", peer.Trusted)
	fmt.Print(relay.Counters())
	// Output:
	// to the native network: true <nil>
	// to the client at: 203.0.113.20:50000 <nil> 0
	// 2001:0:c633:6401:0:3caf:34ff:8eeb trusted: true
	// tx-sent 1
	// rx-mapped 1
}
