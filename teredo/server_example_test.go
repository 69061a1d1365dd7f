package teredo_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/transit6/transit6/teredo"
)

// A Teredo server answers a client's Router Solicitation. An adapter reads
// datagrams from the two sockets (s.Addr(teredo.PrimarySocket) and
// s.Addr(teredo.SecondarySocket)), passes each to HandleDatagram with the
// socket it came on, and sends every output from the socket it names (or
// writes Native outputs to a TUN device).
func ExampleServer() {
	s, err := teredo.NewServer(teredo.ServerConfig{
		Primary:       netip.MustParseAddr("192.0.2.1"),
		TreatAsGlobal: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24")},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("listen on", s.Addr(teredo.PrimarySocket), "and", s.Addr(teredo.SecondarySocket))

	// A client behind a NAT that maps it to 198.51.100.7:40000.
	client := netip.MustParseAddrPort("198.51.100.7:40000")
	nonce := [8]byte{1, 2, 3, 4, 5, 6, 7, 8}
	rs, _ := teredo.AppendRouterSolicitation(nil,
		&teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: nonce}}, teredo.ClientLinkLocal(false))

	out := make([]teredo.ServerOut, 0, 4) // reused for every datagram
	out, v := s.HandleDatagram(time.Now(), teredo.PrimarySocket, client, rs, out[:0])
	fmt.Println(v.Reason)
	for _, o := range out {
		fmt.Printf("send %d bytes from the %v socket to %v\n", len(o.Payload), o.Socket, o.To)
		p, _ := teredo.ParsePacket(o.Payload)
		ra, _ := teredo.ValidateRouterAdvertisement(&p, s.Addr(o.Socket), &teredo.Solicitation{
			Src: teredo.ClientLinkLocal(false), HasNonce: true, Nonce: nonce, Server: s.Addr(teredo.PrimarySocket).Addr()})
		fmt.Println("client address:", ra.Teredo(0).Addr())
	}
	fmt.Print(s.Counters())

	// Output:
	// listen on 192.0.2.1:3544 and 192.0.2.2:3544
	// case4-ra
	// send 117 bytes from the primary socket to 198.51.100.7:40000
	// client address: 2001:0:c000:201:0:63bf:39cc:9bf8
	// case4-ra 1
}
