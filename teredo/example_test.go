package teredo_test

import (
	"fmt"
	"net/netip"

	"github.com/transit6/transit6/teredo"
)

// A client qualifies: it sends a Router Solicitation with a nonce, the
// server answers with a Router Advertisement carrying the client's mapped
// address in an origin indication, and the client validates it and derives
// its Teredo address.
func Example() {
	server := netip.MustParseAddr("192.0.2.1")
	nonce := [8]byte{0x5e, 0xc2, 0x37, 0x11, 0x08, 0x9a, 0x44, 0xd0}

	// Client: the Router Solicitation (61 bytes of UDP payload).
	src := teredo.ClientLinkLocal(false)
	rs, _ := teredo.AppendRouterSolicitation(nil, &teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: nonce}}, src)
	fmt.Println("RS:", len(rs), "bytes")

	// Server: check it, answer to the address and port it came from.
	var p teredo.Packet
	if err := p.Decode(rs); err != nil {
		panic(err)
	}
	info, err := teredo.ParseRouterSolicitation(&p)
	if err != nil {
		panic(err)
	}
	from := netip.MustParseAddrPort("198.51.100.7:40000") // as the server sees the client
	h := &teredo.Header{HasAuth: info.HasNonce, Auth: teredo.Auth{Nonce: info.Nonce}, Origin: from}
	ra, _ := teredo.AppendRouterAdvertisement(nil, h, &teredo.RAFields{Server: server, Dst: info.Src, MTU: 1280})

	// Client: validate the answer.
	if err := p.Decode(ra); err != nil {
		panic(err)
	}
	sol := &teredo.Solicitation{Src: src, HasNonce: true, Nonce: nonce, Server: server,
		Sender: netip.AddrPortFrom(server, teredo.ServerPort)}
	got, err := teredo.ValidateRouterAdvertisement(&p, netip.AddrPortFrom(server, teredo.ServerPort), sol)
	if err != nil {
		panic(err)
	}
	fmt.Println("mapped:", got.Mapped)
	fmt.Println("prefix:", got.Prefix, "MTU", got.MTU)
	fmt.Println("address:", got.Teredo(0x1c5a).Addr()) // 12 random flag bits (RFC 5991), inside addr.TeredoFlagsRandom
	// Output:
	// RS: 61 bytes
	// mapped: 198.51.100.7:40000
	// prefix: 2001:0:c000:201::/64 MTU 1280
	// address: 2001:0:c000:201:1c5a:63bf:39cc:9bf8
}

// Decoding a payload as a socket delivers it: the IPv6 packet is a
// sub-slice, the origin indication comes back de-obfuscated.
func ExamplePacket_Decode() {
	// Origin indication of 1.2.3.4:337 (RFC 4380 §5.1.1), then a bubble.
	payload, _ := teredo.AppendOrigin(nil, netip.MustParseAddrPort("1.2.3.4:337"))
	payload, _ = teredo.AppendBubble(payload, nil,
		netip.MustParseAddr("2001:0:c000:201:8000:cfc6:3fff:fd74"),
		netip.MustParseAddr("2001:0:4136:e378:8000:63bf:3fff:fdd2"), 0)
	fmt.Printf("% x\n", payload[:8])

	var p teredo.Packet
	if err := p.Decode(payload); err != nil {
		panic(err)
	}
	o, _ := p.Origin()
	fmt.Println(o, len(p.Inner()), p.IsBubble(), p.IPv6().Src())

	err := p.Decode(payload[1:])
	fmt.Println(err)
	// Output:
	// 00 00 fe ae fe fd fc fb
	// 1.2.3.4:337 40 true 2001:0:c000:201:8000:cfc6:3fff:fd74
	// teredo: unknown indicator type
}

// Encapsulating in place: the IPv6 packet was read at buf[teredo.Headroom:]
// and the headers are written in front of it, without copying.
func ExampleEncapsulateDatagram() {
	buf := make([]byte, teredo.Headroom, 2048)
	buf, _ = teredo.AppendBubble(buf, nil,
		netip.MustParseAddr("2001:0:c000:201:8000:cfc6:3fff:fd74"),
		netip.MustParseAddr("2001:0:4136:e378:8000:63bf:3fff:fdd2"), 0)

	h := &teredo.Header{Origin: netip.MustParseAddrPort("192.0.2.139:12345")}
	o := &teredo.Outer{Src: netip.MustParseAddrPort("192.0.2.1:3544"), Dst: netip.MustParseAddrPort("192.0.2.139:12345")}
	d, err := teredo.EncapsulateDatagram(buf, teredo.Headroom, h, o)
	fmt.Println(len(d), err, &d[len(d)-1] == &buf[len(buf)-1])
	// Output:
	// 76 <nil> true
}
