package addr_test

import (
	"fmt"
	"net/netip"

	"github.com/transit6/transit6/addr"
)

func ExampleDecodeTeredo() {
	t, err := addr.DecodeTeredo(netip.MustParseAddr("2001:0:4136:e378:8000:63bf:3fff:fdd2"))
	if err != nil {
		panic(err)
	}
	fmt.Println("server:", t.Server)
	fmt.Println("client:", t.Client)
	fmt.Println("cone:", t.Cone(), "RFC 5991:", t.ConformsRFC5991())
	// Output:
	// server: 65.54.227.120
	// client: 192.0.2.45:40000
	// cone: true RFC 5991: true
}

func ExampleTeredo_Addr() {
	t := addr.Teredo{
		Server: netip.MustParseAddr("192.0.2.1"),
		Flags:  addr.TeredoFlagCone,
		Client: netip.MustParseAddrPort("192.0.2.139:12345"),
	}
	fmt.Println(t.Addr())
	// Output: 2001:0:c000:201:8000:cfc6:3fff:fd74
}

func ExampleTeredoOptions_Decode() {
	a := netip.MustParseAddr("3ffe:831f:4136:e378:8000:63bf:3fff:fdd2")
	_, err := addr.DecodeTeredo(a)
	fmt.Println(err)
	t, _ := addr.TeredoOptions{AllowLegacyPrefix: true}.Decode(a)
	fmt.Println(t.Legacy, t.Client)
	// Output:
	// addr: not a Teredo address
	// true 192.0.2.45:40000
}

func ExampleTeredoServerLinkLocal() {
	ll := addr.TeredoServerLinkLocal(netip.MustParseAddrPort("65.54.227.120:3544"))
	fmt.Println(ll)
	server, _ := addr.DecodeTeredoServerLinkLocal(ll)
	fmt.Println(server)
	fmt.Println(addr.IsTeredoClientLinkLocal(netip.MustParseAddr("fe80::ffff:ffff:ffff")))
	// Output:
	// fe80::8000:f227:bec9:1c87
	// 65.54.227.120:3544
	// true
}

func ExampleSixToFourSitePrefix() {
	p, _ := addr.SixToFourSitePrefix(netip.MustParseAddr("192.0.2.4"))
	fmt.Println(p)
	v4, sla, _ := addr.DecodeSixToFour(netip.MustParseAddr("2002:c000:204:1::5"))
	fmt.Println(v4, sla)
	// Output:
	// 2002:c000:204::/48
	// 192.0.2.4 1
}

func ExampleISATAPAddr() {
	a, _ := addr.ISATAPAddr(netip.MustParsePrefix("fe80::/64"), netip.MustParseAddr("192.0.2.4"), false)
	fmt.Println(a)
	// Let the classifier pick the u-bit, as Linux does.
	var c *addr.Classifier
	b, _ := c.ISATAPAddr(netip.MustParsePrefix("2001:db8:1:2::/64"), netip.MustParseAddr("8.8.8.8"))
	fmt.Println(b)
	// Output:
	// fe80::5efe:c000:204
	// 2001:db8:1:2:200:5efe:808:808
}

func ExampleDecodeISATAP() {
	a := netip.MustParseAddr("fe80::100:5efe:a00:5") // g bit set
	_, _, err := addr.DecodeISATAP(a, addr.ISATAPStrict)
	fmt.Println(err)
	v4, universal, _ := addr.DecodeISATAP(a, addr.ISATAPLenient)
	fmt.Println(v4, universal)
	// Output:
	// addr: not an ISATAP address
	// 10.0.0.5 false
}

func ExampleNAT64Embed() {
	v4 := netip.MustParseAddr("192.0.2.33")
	for _, p := range []string{"64:ff9b::/96", "2001:db8:100::/40", "2001:db8:122:344::/64"} {
		a, _ := addr.NAT64Embed(netip.MustParsePrefix(p), v4)
		fmt.Println(a)
	}
	// Output:
	// 64:ff9b::c000:221
	// 2001:db8:1c0:2:21::
	// 2001:db8:122:344:c0:2:2100:0
}

func ExampleNAT64Extract() {
	v4, err := addr.NAT64Extract(netip.MustParsePrefix("2001:db8:122::/48"), netip.MustParseAddr("2001:db8:122:c000:2:2100::"))
	fmt.Println(v4, err)
	_, err = addr.NAT64Extract(netip.MustParsePrefix("2001:db8:122::/48"), netip.MustParseAddr("2001:db8:122:c000:ff02:2100::"))
	fmt.Println(err)
	// Output:
	// 192.0.2.33 <nil>
	// addr: NAT64 u-octet (bits 64-71) not zero
}

func ExampleEmbeddedIPv4() {
	for _, s := range []string{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "2002:a9fe:a9fe::", "64:ff9b::7f00:1", "2606:4700::1111"} {
		a := netip.MustParseAddr(s)
		fmt.Print(addr.KindOf(a), ":")
		for _, e := range addr.EmbeddedIPv4(a).All() {
			fmt.Print(" ", e.Role, "=", e.IPv4)
		}
		fmt.Println()
	}
	// Output:
	// teredo: teredo-server=65.54.227.120 teredo-client=192.0.2.45
	// 6to4: 6to4=169.254.169.254
	// nat64: nat64=127.0.0.1
	// ipv6:
}

func ExampleIsPublic() {
	for _, s := range []string{
		"8.8.8.8",
		"169.254.169.254",
		"2002:808:808::",   // 6to4 of 8.8.8.8
		"2002:a9fe:a9fe::", // 6to4 of 169.254.169.254
		"::ffff:127.0.0.1",
		"64:ff9b::808:808",
		"fe80::1",
	} {
		fmt.Println(s, addr.IsPublic(netip.MustParseAddr(s)))
	}
	// Output:
	// 8.8.8.8 true
	// 169.254.169.254 false
	// 2002:808:808:: true
	// 2002:a9fe:a9fe:: false
	// ::ffff:127.0.0.1 false
	// 64:ff9b::808:808 true
	// fe80::1 false
}

func ExampleNewClassifier() {
	// A lab whose "Internet" is TEST-NET-1.
	lab := addr.NewClassifier(netip.MustParsePrefix("192.0.2.0/24"))
	a := netip.MustParseAddr("2002:c000:204::1")
	fmt.Println(addr.IsPublic(a), lab.IsPublic(a))
	// Output: false true
}

func ExampleLookupIPv4() {
	r, ok := addr.LookupIPv4(netip.MustParseAddr("100.64.1.2"))
	fmt.Println(ok, r.Prefix, r.Name, r.RFC, r.Global)
	_, ok = addr.LookupIPv4(netip.MustParseAddr("8.8.8.8"))
	fmt.Println(ok)
	// Output:
	// true 100.64.0.0/10 Shared Address Space RFC 6598 false
	// false
}

func ExampleLookupIPv6() {
	r, _ := addr.LookupIPv6(netip.MustParseAddr("3fff::1"))
	fmt.Println(r.Prefix, r.Name, r.RFC)
	// Output: 3fff::/20 Documentation RFC 9637
}
