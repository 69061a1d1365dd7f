package packet_test

import (
	"encoding/hex"
	"fmt"
	"net/netip"

	"github.com/transit6/transit6/packet"
)

func ExampleParseRouterAdvertisement() {
	// The IP-HTTPS server RA from the design notes: PIO 2001:db8:1:1000::/64
	// and an MTU option.
	b, _ := hex.DecodeString("6000000000383aff" +
		"fe800000000000000000000000000001" + "ff020000000000000000000000000001" +
		"8600e41740000708" + "0000000000000000" +
		"030440c000278d000000384000000000" + "20010db8000110000000000000000000" +
		"0501000000000500")
	ip, err := packet.ParseIPv6(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := packet.ParseICMPv6(ip)
	if err != nil {
		fmt.Println(err)
		return
	}
	ra, err := packet.ParseRouterAdvertisement(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	pi, n := ra.PrefixInfo()
	mtu, _ := ra.MTU()
	fmt.Println("router lifetime", ra.RouterLifetime(), "s")
	fmt.Println(n, "prefix:", pi.Prefix, "autonomous:", pi.Autonomous, "valid", pi.ValidLifetime, "s")
	fmt.Println("MTU", mtu)
	// Output:
	// router lifetime 1800 s
	// 1 prefix: 2001:db8:1:1000::/64 autonomous: true valid 2592000 s
	// MTU 1280
}

func ExampleAppendRouterSolicitation() {
	// The RS an IP-HTTPS client sends first; the result reproduces the
	// byte example of the design notes.
	pkt, err := packet.AppendRouterSolicitation(nil,
		netip.MustParseAddr("fe80::1234:5678:9abc:def0"), netip.MustParseAddr("ff02::2"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%x\n", pkt[40:])
	// Output:
	// 85009add00000000
}

func ExampleAppendEchoRequest() {
	// Build into a caller's buffer: pass it with length 0.
	buf := make([]byte, 0, 1500)
	pkt, err := packet.AppendEchoRequest(buf, netip.MustParseAddr("2001:db8::1"),
		netip.MustParseAddr("2001:db8::2"), 64, 0x1234, 1, []byte("hi"))
	if err != nil {
		fmt.Println(err)
		return
	}
	ip, _ := packet.ParseIPv6(pkt)
	m, _ := packet.ParseICMPv6(ip)
	id, seq, data, _ := m.Echo()
	fmt.Printf("type %d checksum %#04x id %#04x seq %d data %q same buffer %v\n",
		m.Type(), m.Checksum(), id, seq, data, &pkt[0] == &buf[:1][0])
	// Output:
	// type 128 checksum 0xa9a7 id 0x1234 seq 1 data "hi" same buffer true
}

func ExamplePrependICMPv6Error() {
	// A relay received a 1500-byte packet at buf[headroom:] that does not
	// fit its 1280-byte tunnel: answer with Packet Too Big built around it,
	// in place. The invoking packet is cut so the reply fits in 1280 bytes.
	const headroom = packet.ICMPv6ErrorHeadroom
	buf := make([]byte, headroom+1500)
	inv := packet.IPv6Header{NextHeader: packet.ProtoUDP, HopLimit: 64,
		Src: netip.MustParseAddr("2001:db8::2"), Dst: netip.MustParseAddr("2001:db8::1")}
	_ = inv.Encode(buf[headroom:], 1460)

	pkt, err := packet.PrependICMPv6Error(buf, headroom, netip.MustParseAddr("2001:db8::ffff"),
		inv.Src, 64, packet.ICMPv6PacketTooBig, 0, 1280)
	if err != nil {
		fmt.Println(err)
		return
	}
	ip, _ := packet.ParseIPv6(pkt)
	m, _ := packet.ParseICMPv6(ip)
	mtu, quoted, _ := m.ErrorMessage()
	fmt.Println(len(pkt), "bytes, MTU", mtu, "quoting", len(quoted), "bytes")
	// Output:
	// 1280 bytes, MTU 1280 quoting 1232 bytes
}
