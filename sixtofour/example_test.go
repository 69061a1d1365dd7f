package sixtofour_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/packet"
	"github.com/transit6/transit6/sixtofour"
)

// inner returns a minimal IPv6 packet (No Next Header) from src to dst.
func inner(src, dst string) []byte {
	h := packet.IPv6Header{NextHeader: packet.ProtoNoNext, HopLimit: 64,
		Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst)}
	b, _ := h.AppendTo(nil, 0)
	return b
}

// Encapsulate writes the outer header into the headroom in front of the
// IPv6 packet: this is test vector P41-1 of the notes.
func ExampleEncapsulate() {
	buf := make([]byte, sixtofour.Headroom, sixtofour.Headroom+40)
	buf = append(buf, inner("2002:c000:204::1", "2002:c633:6407::1")...)
	p := sixtofour.Params{
		OuterPolicy: sixtofour.OuterPolicy{TTL: 64},
		Src:         netip.MustParseAddr("192.0.2.4"),
		Dst:         netip.MustParseAddr("198.51.100.7"),
		DF:          true,
	}
	pkt, err := sixtofour.Encapsulate(buf, sixtofour.Headroom, &p)
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", pkt[:20])
	// Output: 45 00 00 3c 00 00 40 00 40 29 4e 5a c0 00 02 04 c6 33 64 07
}

func ExampleDecapsulate() {
	p := sixtofour.Params{Src: netip.MustParseAddr("192.0.2.4"), Dst: netip.MustParseAddr("198.51.100.7")}
	pkt, _ := sixtofour.AppendEncapsulate(nil, inner("2002:c000:204::1", "2002:c633:6407::1"), &p)

	in, outer, err := sixtofour.Decapsulate(pkt, sixtofour.DecapRFC6040)
	if err != nil {
		panic(err)
	}
	fmt.Println(outer.Src(), "->", outer.Dst(), "carrying", len(in), "bytes")

	pkt[10] ^= 0xff // break the header checksum
	_, _, err = sixtofour.Decapsulate(pkt, sixtofour.DecapRFC6040)
	fmt.Println(err)
	// Output:
	// 192.0.2.4 -> 198.51.100.7 carrying 40 bytes
	// packet: bad checksum
}

// TunnelMTU applies Linux's rules: 20 bytes less than the path, never
// below 1280 (DF is then cleared so IPv4 routers may fragment).
func ExampleTunnelMTU() {
	for _, path := range []int{1500, 1300, 1290, 87} {
		mtu, df, err := sixtofour.TunnelMTU(path)
		fmt.Println(path, mtu, df, err)
	}
	// Output:
	// 1500 1480 true <nil>
	// 1300 1280 true <nil>
	// 1290 1280 false <nil>
	// 87 0 false sixtofour: path MTU too small for the tunnel
}

// Two 6to4 sites talk through their routers; a packet whose inner source
// does not match its outer source is dropped and counted.
func ExampleRouter() {
	lab := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24")}
	a, err := sixtofour.NewRouter(sixtofour.Config{
		Mechanism: sixtofour.SixToFour, Local: netip.MustParseAddr("192.0.2.4"), TreatAsGlobal: lab})
	if err != nil {
		panic(err)
	}
	b, _ := sixtofour.NewRouter(sixtofour.Config{
		Mechanism: sixtofour.SixToFour, Local: netip.MustParseAddr("198.51.100.7"), TreatAsGlobal: lab})
	fmt.Println("A is", a.Policy().Addr(), "in", a.Policy().Prefix())

	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	buf := append(make([]byte, sixtofour.Headroom), inner("2002:c000:204::1", "2002:c633:6407::1")...)
	res := a.Outbound(now, buf, sixtofour.Headroom)
	fmt.Println(res.Action(), res.Reason(), res.NextHop())

	res = b.Inbound(now, res.Packet)
	fmt.Println(res.Action(), res.Reason(), len(res.Packet))

	forged := append(make([]byte, sixtofour.Headroom), inner("2002:c000:299::1", "2002:c633:6407::1")...)
	res = a.Outbound(now, forged, sixtofour.Headroom)
	fmt.Println(res.Action(), res.Err())
	// Output:
	// A is 2002:c000:204::1 in 2002:c000:204::/48
	// to-network sent-direct 198.51.100.7
	// to-host received-direct 40
	// none sixtofour: inner source does not match the outer source
}

// A 6rd CE sends to other CEs of its domain directly and everything else
// to the border relay (RFC 5969 §4).
func ExamplePolicy_NextHop() {
	cfg := sixtofour.Config{
		Mechanism: sixtofour.SixRD,
		Local:     netip.MustParseAddr("84.240.100.100"),
		SixRD: addr.SixRD{Prefix: netip.MustParsePrefix("2001:2003:f400::/38"), IPv4MaskLen: 14,
			BorderRelays: []netip.Addr{netip.MustParseAddr("84.251.255.254")}},
	}
	p, err := sixtofour.NewPolicy(&cfg)
	if err != nil {
		panic(err)
	}
	fmt.Println("delegated", p.Prefix())
	for _, dst := range []string{"2001:2003:f401:200::1", "2620:fe::fe"} {
		nh, relay, err := p.NextHop(inner(p.Addr().String(), dst))
		fmt.Println(dst, nh, relay, err)
	}
	// Output:
	// delegated 2001:2003:f464:6400::/56
	// 2001:2003:f401:200::1 84.240.1.2 false <nil>
	// 2620:fe::fe 84.251.255.254 true <nil>
}
