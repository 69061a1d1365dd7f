package packet_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"

	"github.com/transit6/transit6/packet"
)

func ExampleParseIPv6() {
	// A Teredo bubble (RFC 4380 §2.8) followed by an RFC 6081 Alternate
	// Address trailer, as received in one UDP payload.
	b, _ := hex.DecodeString("600000000000" + "3b15" +
		"200100004136e378800063bf3ffffdd2" + "200100004136e378800063bf3ffffdd3" +
		"03080000c00002011234")
	h, err := packet.ParseIPv6(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(h.Src(), "->", h.Dst())
	fmt.Println("bubble:", h.IsBubble(), "packet:", len(h.Bytes()), "trailer:", hex.EncodeToString(h.Trailer()))
	// Output:
	// 2001:0:4136:e378:8000:63bf:3fff:fdd2 -> 2001:0:4136:e378:8000:63bf:3fff:fdd3
	// bubble: true packet: 40 trailer: 03080000c00002011234
}

func ExampleIPv6PacketLen() {
	// An IP-HTTPS byte stream carries IPv6 packets back to back, framed
	// only by Payload Length ([MS-IPHTTPS] §3.1.5.3). Here: an RS (48
	// bytes) and the start of another packet.
	stream, _ := hex.DecodeString("6000000000083aff" +
		"fe80000000000000123456789abcdef0" + "ff020000000000000000000000000002" +
		"85009add00000000" + "600000000038")
	for {
		n, err := packet.IPv6PacketLen(stream)
		if errors.Is(err, packet.ErrTruncated) || (err == nil && n > len(stream)) {
			fmt.Println("need more bytes; have", len(stream), "want", n)
			return
		}
		if err != nil {
			fmt.Println("not IPv6, tear the session down:", err)
			return
		}
		h, _ := packet.ParseIPv6(stream[:n])
		fmt.Println("packet of", n, "bytes from", h.Src())
		stream = stream[n:]
	}
	// Output:
	// packet of 48 bytes from fe80::1234:5678:9abc:def0
	// need more bytes; have 6 want 96
}

func ExampleIPv6_Extensions() {
	// A decapsulated packet with a Routing header: a tunnel endpoint drops
	// it (CVE-2006-6263).
	b, _ := hex.DecodeString("600000000010" + "3c40" +
		"20010db8000000000000000000000001" + "20010db8000000000000000000000002" +
		"2b00010400000000" + // Destination Options, next: Routing
		"1100000000000000") // Routing type 0, next: UDP
	h, _ := packet.ParseIPv6(b)
	it := h.Extensions()
	for e, ok := it.Next(); ok; e, ok = it.Next() {
		fmt.Println("extension header", e.Type(), "at", e.Offset(), "length", e.Len())
	}
	proto, off, err := it.UpperLayer()
	fmt.Println("upper layer", proto, "at", off, err)
	fmt.Println("routing header:", h.HasRoutingHeader())
	// Output:
	// extension header 60 at 40 length 8
	// extension header 43 at 48 length 8
	// upper layer 17 at 56 <nil>
	// routing header: true
}

func ExamplePrependIPv6() {
	// Build a packet in place: the payload sits at buf[off:], the header
	// goes in front of it.
	const off = 64
	buf := make([]byte, off+8)
	copy(buf[off:], "payload!")
	h := packet.IPv6Header{
		NextHeader: packet.ProtoUDP,
		HopLimit:   64,
		Src:        netip.MustParseAddr("2001:db8::1"),
		Dst:        netip.MustParseAddr("2001:db8::2"),
	}
	pkt, err := packet.PrependIPv6(buf, off, &h)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d bytes: %x...\n", len(pkt), pkt[:8])
	// Output:
	// 48 bytes: 6000000000081140...
}
