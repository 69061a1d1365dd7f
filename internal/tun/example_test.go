package tun_test

import (
	"encoding/binary"
	"fmt"
	"log"
	"net/netip"

	"github.com/transit6/transit6/internal/netcfg"
	"github.com/transit6/transit6/internal/rawip"
	"github.com/transit6/transit6/internal/tun"
	"github.com/transit6/transit6/packet"
)

// The outbound half of a protocol-41 tunnel: IPv6 packets read from the TUN
// device at offset MaxHeadroom, an IPv4 header written in front of each in
// place, the batch sent through a raw socket. (Not run: it needs root.)
func Example() {
	dev, err := tun.Open("tun6to4", 1480)
	if err != nil {
		log.Fatal(err)
	}
	defer dev.Close()
	nl, err := netcfg.New()
	if err != nil {
		log.Fatal(err)
	}
	defer nl.Close()
	if err := nl.AddAddr(dev.Name(), netip.MustParsePrefix("2002:c000:201::1/16")); err != nil {
		log.Fatal(err)
	}
	conn, err := rawip.Listen(packet.ProtoIPv6, netip.MustParseAddr("192.0.2.1"))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	n := dev.BatchSize()
	bufs, sizes := make([][]byte, n), make([]int, n)
	for i := range bufs {
		bufs[i] = make([]byte, packet.MaxHeadroom+dev.MTU())
	}
	out := make([][]byte, 0, n)
	for {
		k, err := dev.Read(bufs, sizes, packet.MaxHeadroom)
		if err != nil {
			log.Fatal(err)
		}
		out = out[:0]
		for i := range k {
			inner := bufs[i][:packet.MaxHeadroom+sizes[i]]
			// The engine picks the next hop; 192.0.2.2 stands in for it.
			h := packet.IPv4Header{TTL: 64, DontFragment: true, Protocol: packet.ProtoIPv6,
				Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2")}
			if _, err := packet.PrependIPv4(inner, packet.MaxHeadroom, &h); err != nil {
				continue
			}
			out = append(out, inner)
		}
		// Every packet starts MaxHeadroom-20 bytes into its buffer.
		if _, err := conn.WriteBatch(out, packet.MaxHeadroom-packet.IPv4HeaderLen); err != nil {
			log.Print(err)
		}
	}
}

// A TCP super-packet, as a TUN device with offloads hands it over (here
// 2500 bytes of payload to send in segments of 1000, PSH set), split into
// the packets a NIC would send.
func ExampleSplit() {
	ip := packet.IPv4Header{TTL: 64, DontFragment: true, Protocol: packet.ProtoTCP, ID: 7,
		Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("198.51.100.2")}
	super, _ := ip.AppendTo(nil, 20+2500)
	tcp := make([]byte, 20+2500)
	binary.BigEndian.PutUint16(tcp[0:], 40000) // source port
	binary.BigEndian.PutUint16(tcp[2:], 443)   // destination port
	binary.BigEndian.PutUint32(tcp[4:], 1000)  // sequence number
	tcp[12], tcp[13] = 5<<4, 0x18              // data offset 5, PSH|ACK
	super = append(super, tcp...)
	h := tun.VirtioNetHdr{GSOType: tun.GSOTCPv4, GSOSize: 1000}

	n, _ := tun.Segments(super, h)
	bufs, sizes := make([][]byte, n), make([]int, n)
	for i := range bufs {
		bufs[i] = make([]byte, 1500)
	}
	n, err := tun.Split(super, h, 0, bufs, sizes, 0)
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range bufs[:n] {
		seg, _ := packet.ParseIPv4(b) // the IPv4 header checksum verifies
		t := seg.Payload()
		fmt.Printf("%d bytes, ID %d, seq %d, flags %#02x\n", seg.TotalLen(), seg.ID(), binary.BigEndian.Uint32(t[4:]), t[13])
	}
	// Output:
	// 1040 bytes, ID 7, seq 1000, flags 0x10
	// 1040 bytes, ID 8, seq 2000, flags 0x10
	// 540 bytes, ID 9, seq 3000, flags 0x18
}
