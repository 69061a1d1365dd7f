package sixtofour_test

import (
	"fmt"
	"net/netip"

	"github.com/transit6/transit6/sixtofour"
)

// Policy.Decapsulate validates a packet and applies the tunnel's checks in
// one call: here site B (198.51.100.7) receives from site A (192.0.2.4),
// then from a host that claims site A's inner address.
func ExamplePolicy_Decapsulate() {
	pol, err := sixtofour.NewPolicy(&sixtofour.Config{
		Mechanism: sixtofour.SixToFour,
		Local:     netip.MustParseAddr("198.51.100.7"),
		TreatAsGlobal: []netip.Prefix{ // documentation addresses, as in a lab
			netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
			netip.MustParsePrefix("203.0.113.0/24"),
		},
	})
	if err != nil {
		panic(err)
	}
	send := func(from string) []byte {
		p := sixtofour.Params{Src: netip.MustParseAddr(from), Dst: netip.MustParseAddr("198.51.100.7")}
		pkt, _ := sixtofour.AppendEncapsulate(nil, inner("2002:c000:204::1", "2002:c633:6407::1"), &p)
		return pkt
	}

	in, outer, err := pol.Decapsulate(send("192.0.2.4"), sixtofour.DecapRFC6040)
	fmt.Println(outer.Src(), len(in), err)

	_, _, err = pol.Decapsulate(send("203.0.113.9"), sixtofour.DecapRFC6040)
	fmt.Println(err)
	// Output:
	// 192.0.2.4 40 <nil>
	// sixtofour: inner source does not match the outer source
}

// A Template compiles the outer header of a tunnel once; each packet then
// costs only its own fields. This is test vector P41-1 of the notes, then
// the next packet with the next ID.
func ExampleTemplate() {
	tmpl, err := sixtofour.NewTemplate(&sixtofour.Params{
		OuterPolicy: sixtofour.OuterPolicy{TTL: 64},
		Src:         netip.MustParseAddr("192.0.2.4"),
		Dst:         netip.MustParseAddr("198.51.100.7"),
		DF:          true,
	})
	if err != nil {
		panic(err)
	}
	buf := make([]byte, sixtofour.Headroom, sixtofour.Headroom+40)
	buf = append(buf, inner("2002:c000:204::1", "2002:c633:6407::1")...)
	pkt, err := tmpl.Encapsulate(buf, sixtofour.Headroom)
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", pkt[:20])

	tmpl.SetID(tmpl.ID() + 1)
	pkt, _ = tmpl.Encapsulate(buf, sixtofour.Headroom)
	fmt.Printf("% x\n", pkt[:20])
	// Output:
	// 45 00 00 3c 00 00 40 00 40 29 4e 5a c0 00 02 04 c6 33 64 07
	// 45 00 00 3c 00 01 40 00 40 29 4e 59 c0 00 02 04 c6 33 64 07
}
