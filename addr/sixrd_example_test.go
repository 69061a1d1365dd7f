package addr_test

import (
	"encoding/hex"
	"fmt"
	"net/netip"

	"github.com/transit6/transit6/addr"
)

// Altibox (Norway) runs 6rd with a /30 prefix and embeds the whole IPv4
// address, so each CE gets a /62.
func ExampleSixRD_DelegatedPrefix() {
	altibox := addr.SixRD{Prefix: netip.MustParsePrefix("2a01:79c::/30"), IPv4MaskLen: 0}
	p, err := altibox.DelegatedPrefix(netip.MustParseAddr("81.167.4.214"))
	if err != nil {
		panic(err)
	}
	fmt.Println(p)
	// Output: 2a01:79d:469c:1358::/62
}

// A CE in a domain whose CEs share the high 14 bits 84.240.0.0/14 finds the
// IPv4 tunnel endpoint of another CE from an IPv6 destination, taking the
// shared bits from its own address.
func ExampleSixRD_IPv4For() {
	c := addr.SixRD{Prefix: netip.MustParsePrefix("2001:2003:f400::/38"), IPv4MaskLen: 14}
	self := netip.MustParseAddr("84.241.7.9")
	v4, err := c.IPv4For(netip.MustParseAddr("2001:2003:f464:6400::1"), self)
	if err != nil {
		panic(err)
	}
	fmt.Println(v4)

	_, err = c.IPv4For(netip.MustParseAddr("2001:db8::1"), self)
	fmt.Println(err)
	// Output:
	// 84.240.100.100
	// addr: address not in the 6rd domain
}

// A delegated prefix longer than /64 is valid DHCP but the Linux and FreeBSD
// kernels refuse it.
func ExampleSixRD_Validate() {
	c := addr.SixRD{Prefix: netip.MustParsePrefix("2001:db8::/48"), IPv4MaskLen: 8}
	fmt.Println(c.DelegatedLen())
	fmt.Println(c.Validate(addr.SixRDPolicyDHCP))
	fmt.Println(c.Validate(addr.SixRDPolicyKernel))
	// Output:
	// 72
	// <nil>
	// addr: 6rd delegated prefix too long
}

// 6to4 is 6rd with the prefix 2002::/16 and the whole IPv4 address embedded.
func ExampleSixToFourAsSixRD() {
	p, _ := addr.SixToFourAsSixRD.DelegatedPrefix(netip.MustParseAddr("192.0.2.4"))
	fmt.Println(p)
	// Output: 2002:c000:204::/48
}

// Decoding OPTION_6RD from a DHCPACK, here with code and length.
func ExampleConsumeOption6RD() {
	b, _ := hex.DecodeString("d416" + "0e26" + "20012003f40000000000000000000000" + "54fbfffe")
	o, n, err := addr.ConsumeOption6RD(b)
	if err != nil {
		panic(err)
	}
	fmt.Println(n, o.IPv4MaskLen(), o.Prefix(), o.NumRelays(), o.Relay(0))

	// Delegated prefix of the CE 84.240.100.100, without allocating.
	p, _ := o.SixRD().DelegatedPrefix(netip.MustParseAddr("84.240.100.100"))
	fmt.Println(p)
	// Output:
	// 24 14 2001:2003:f400::/38 1 84.251.255.254
	// 2001:2003:f464:6400::/56
}

// A sender that forgets to zero the prefix's host bits: the bits are ignored,
// as RFC 5969 §7.1.1 asks, and reported.
func ExampleParseOption6RD() {
	body, _ := hex.DecodeString("0020" + "20010db8000000000000000000000001" + "c0000201" + "c0000202")
	o, err := addr.ParseOption6RD(body)
	if err != nil {
		panic(err)
	}
	fmt.Println(o.Prefix(), o.HostBitsSet(), o.AppendRelays(nil))

	_, err = addr.ParseOption6RD(body[:24]) // 2 octets of a second relay
	fmt.Println(err)
	// Output:
	// 2001:db8::/32 true [192.0.2.1 192.0.2.2]
	// addr: OPTION_6RD border relays not a multiple of 4 octets
}

func ExampleAppendOption6RD() {
	c := addr.SixRD{
		Prefix:       netip.MustParsePrefix("2001:db8::/32"),
		BorderRelays: []netip.Addr{netip.MustParseAddr("192.0.2.1")},
	}
	b := make([]byte, 0, addr.SizeOption6RD(c))
	b, err := addr.AppendOption6RD(b, c)
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", b)
	// Output: d4 16 00 20 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 00 c0 00 02 01
}
