package packet_test

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"

	"github.com/transit6/transit6/packet"
)

func ExampleParseIPv4() {
	// Test vector P41-1: a 6to4 packet (IPv6 in IPv4, protocol 41).
	b, _ := hex.DecodeString("4500003c000040004029" + "4e5ac0000204c6336407" +
		"6000000000003b40" + "2002c000020400000000000000000001" + "2002c633640700000000000000000001")
	h, err := packet.ParseIPv4(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(h.Src(), "->", h.Dst(), "proto", h.Protocol(), "ttl", h.TTL(), "DF", h.DontFragment())
	fmt.Printf("checksum %#04x, payload %d bytes\n", h.Checksum(), len(h.Payload()))

	b[15] ^= 1 // corrupt the source address
	_, err = packet.ParseIPv4(b)
	fmt.Println(errors.Is(err, packet.ErrBadChecksum))
	// Output:
	// 192.0.2.4 -> 198.51.100.7 proto 41 ttl 64 DF true
	// checksum 0x4e5a, payload 40 bytes
	// true
}

func ExamplePrependIPv4() {
	// Read the IPv6 packet at buf[Proto41Headroom:] (here: copy one in),
	// then write the outer header in front of it without moving it.
	buf := make([]byte, packet.Proto41Headroom+40)
	ipv6, _ := hex.DecodeString("6000000000003b40" +
		"2002c000020400000000000000000001" + "2002c633640700000000000000000001")
	copy(buf[packet.Proto41Headroom:], ipv6)

	outer := packet.IPv4Header{
		DontFragment: true,
		TTL:          64,
		Protocol:     packet.ProtoIPv6,
		Src:          netip.MustParseAddr("192.0.2.4"),
		Dst:          netip.MustParseAddr("198.51.100.7"),
	}
	pkt, err := packet.PrependIPv4(buf, packet.Proto41Headroom, &outer)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d bytes, header %x\n", len(pkt), pkt[:20])
	// Output:
	// 60 bytes, header 4500003c0000400040294e5ac0000204c6336407
}

func ExamplePrependUDP4() {
	// A Teredo-style datagram: IPv4 + UDP written into headroom in front of
	// the payload at buf[28:].
	src, dst := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.2")
	buf := make([]byte, 28+2)
	copy(buf[28:], "ab")
	udp, err := packet.PrependUDP4(buf, 28, packet.UDPHeader{SrcPort: 1, DstPort: 2}, src, dst)
	if err != nil {
		fmt.Println(err)
		return
	}
	ip := packet.IPv4Header{TTL: 64, Protocol: packet.ProtoUDP, Src: src, Dst: dst}
	pkt, err := packet.PrependIPv4(buf, 28-packet.UDPHeaderLen, &ip)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("udp %x\n", udp)

	h, _ := packet.ParseIPv4(pkt)
	u, _ := packet.ParseUDP(h.Payload())
	fmt.Println(u.SrcPort(), u.DstPort(), string(u.Payload()), u.VerifyChecksum4(h.Src(), h.Dst()))
	// Output:
	// udp 00010002000ab23d6162
	// 1 2 ab <nil>
}

func ExampleChecksum() {
	// The IPv4 header of P41-1 with its checksum field zeroed.
	hdr, _ := hex.DecodeString("4500003c000040004029" + "0000c0000204c6336407")
	ck := ^packet.Checksum(hdr, 0)
	binary.BigEndian.PutUint16(hdr[10:], ck)
	fmt.Printf("%#04x %#04x\n", ck, packet.Checksum(hdr, 0))
	// Output: 0x4e5a 0xffff
}

func ExampleUpdateChecksum() {
	// Decrement the TTL of P41-1 (TTL 64, protocol 41) and patch the
	// checksum without summing the header again (RFC 1624).
	hdr, _ := hex.DecodeString("4500003c000040004029" + "4e5ac0000204c6336407")
	old := binary.BigEndian.Uint16(hdr[8:])
	hdr[8]--
	ck := packet.UpdateChecksum(binary.BigEndian.Uint16(hdr[10:]), old, binary.BigEndian.Uint16(hdr[8:]))
	binary.BigEndian.PutUint16(hdr[10:], ck)
	_, err := packet.ParseIPv4(append(hdr, make([]byte, 40)...))
	fmt.Printf("%#04x %v\n", ck, err)
	// Output: 0x4f5a <nil>
}

func ExampleDecapsulateECN() {
	// A router marked the outer header CE: the inner packet gets CE, unless
	// it is Not-ECT, in which case it must be dropped.
	for _, inner := range []packet.ECN{packet.ECT0, packet.NotECT} {
		e, err := packet.DecapsulateECN(packet.CE, inner)
		fmt.Println(inner, "->", e, err)
	}
	// RFC 6040 and Linux differ on outer ECT(1) over inner ECT(0).
	rfc, _ := packet.DecapsulateECN(packet.ECT1, packet.ECT0)
	linux, _ := packet.DecapsulateECNLinux(packet.ECT1, packet.ECT0)
	fmt.Println(rfc, linux)
	// Output:
	// ECT(0) -> CE <nil>
	// Not-ECT -> Not-ECT packet: ECN: outer CE on Not-ECT inner packet
	// ECT(1) ECT(0)
}

func ExampleEncapsulateECN() {
	for _, mode := range []packet.ECNMode{packet.ECNNormal, packet.ECNCompat, packet.ECNLinux} {
		fmt.Println(mode, packet.EncapsulateECN(packet.CE, mode))
	}
	// Output:
	// normal CE
	// compat Not-ECT
	// linux ECT(0)
}
