package tun_test

import (
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
