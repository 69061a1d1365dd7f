package packet_test

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/transit6/transit6/packet"
)

func ExampleParseIPv6InIPv4() {
	// Test vector P41-1: a 6to4 packet (IPv6 in IPv4, protocol 41).
	b, _ := hex.DecodeString("4500003c000040004029" + "4e5ac0000204c6336407" +
		"6000000000003b40" + "2002c000020400000000000000000001" + "2002c633640700000000000000000001")
	e, err := packet.ParseIPv6InIPv4(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	outer, inner := e.Outer(), e.Inner()
	fmt.Println(outer.Src(), "->", outer.Dst(), "carries", inner.Src(), "->", inner.Dst())
	fmt.Println("next header", inner.NextHeader(), "payload", inner.PayloadLen())

	_, err = packet.ParseIPv6InUDP4(b) // not UDP
	fmt.Println(errors.Is(err, packet.ErrWrongProtocol))
	b[6] |= 0x20 // More Fragments (and now a wrong checksum)
	_, err = packet.ParseIPv6InIPv4(b)
	fmt.Println(err)
	// Output:
	// 192.0.2.4 -> 198.51.100.7 carries 2002:c000:204::1 -> 2002:c633:6407::1
	// next header 59 payload 0
	// true
	// packet: bad checksum
}

func ExampleParseIPv6InUDP4() {
	// A Teredo bubble from 192.0.2.45:40000 to a server at 198.51.100.1:3544
	// (RFC 4380 §4): IPv4, UDP, then an IPv6 header with no payload.
	b, _ := hex.DecodeString("450000440000000040118e47c000022dc6336401" +
		"9c400dd800300000" +
		"6000000000003bff" + "fe800000000000000000ffffffffffff" + "ff020000000000000000000000000002")
	e, err := packet.ParseIPv6InUDP4(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	u, inner := e.UDP(), e.Inner()
	fmt.Println(e.Outer().Src(), u.SrcPort(), "->", e.Outer().Dst(), u.DstPort())
	fmt.Println(inner.Src(), "->", inner.Dst(), "payload", inner.PayloadLen())
	// Output:
	// 192.0.2.45 40000 -> 198.51.100.1 3544
	// fe80::ffff:ffff:ffff -> ff02::2 payload 0
}
