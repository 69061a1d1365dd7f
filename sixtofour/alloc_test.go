package sixtofour

import (
	"net/netip"
	"testing"

	"github.com/transit6/transit6/addr"
)

// TestNoAllocs asserts that every hot path allocates nothing: the codec,
// the policy checks and the router's data paths, including the ICMP errors
// it builds into its scratch buffers.
func TestNoAllocs(t *testing.T) {
	inner := sized(t, site6A, site6B, 1280)
	buf, off := withHeadroom(inner)
	p := Params{OuterPolicy: OuterPolicy{TTL: 64, InheritTOS: true}, Src: v4A, Dst: v4B, DF: true}
	pkt, err := AppendEncapsulate(nil, inner, &p)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]byte, 0, 2048)
	cfgB := sixToFour(v4B)
	polB, err := NewPolicy(&cfgB)
	if err != nil {
		t.Fatal(err)
	}
	a := router(t, sixToFour(v4A))
	b := router(t, sixToFour(v4B))
	sent := append([]byte(nil), a.Outbound(t0, buf, off).Packet...)
	icmpErr := icmpv4(t, rtr4, v4A, 3, 1, [4]byte{}, sent[:100])
	fragNeeded := icmpv4(t, rtr4, v4A, 3, 4, [4]byte{0, 0, 5, 0xdc}, sent[:28])
	big := sized(t, site6A, site6B, 1500)
	bigBuf, bigOff := withHeadroom(big)
	noLimit := sixToFour(v4A)
	noLimit.ICMPRate = -1
	aPTB := router(t, noLimit)
	linkBuf, linkOff := withHeadroom(sized(t, site6A, site6B, 1400))
	refused := router(t, noLimit).Outbound(t0, linkBuf, linkOff).Packet

	sixrd := addr.SixRD{Prefix: netip.MustParsePrefix("2001:db8::/32"), BorderRelays: []netip.Addr{v4Relay}}
	rd := router(t, Config{Mechanism: SixRD, Local: v4B, SixRD: sixrd})
	rdIn := tunnelled(t, v4A, v4B, netip.MustParseAddr("2001:db8:c000:204::1"), rd.Policy().Addr())
	isatap := router(t, Config{Mechanism: ISATAP, Local: v4B, OnLink: []netip.Prefix{netip.MustParsePrefix("2001:db8:1:2::/64")}})
	isIn := tunnelled(t, netip.MustParseAddr("10.0.0.5"), v4B, netip.MustParseAddr("2001:db8:1:2:0:5efe:a00:5"), isatap.Policy().Addr())
	p2p := router(t, Config{Mechanism: SixInFour, Local: v4B, Remote: v4A})
	p2pIn := tunnelled(t, v4A, v4B, native, site6B)
	relayIn := tunnelled(t, v4Relay, v4B, native, site6B)
	fromB := ip6{src: site6B, dst: native}.bytes(t)

	tests := map[string]func(){
		"Encapsulate": func() {
			if _, err := Encapsulate(buf, off, &p); err != nil {
				t.Fatal(err)
			}
		},
		"AppendEncapsulate with capacity": func() {
			if _, err := AppendEncapsulate(dst[:0], inner, &p); err != nil {
				t.Fatal(err)
			}
		},
		"Decapsulate": func() {
			if _, _, err := Decapsulate(pkt, DecapRFC6040); err != nil {
				t.Fatal(err)
			}
		},
		"TunnelMTU": func() { _, _, _ = TunnelMTU(1500) },
		"Policy.CheckInbound 6to4": func() {
			if err := polB.CheckInboundAddrs(v4A, v4B, inner); err != nil {
				t.Fatal(err)
			}
		},
		"Policy.CheckInbound relay source": func() {
			if err := polB.CheckInboundAddrs(v4Relay, v4B, relayIn[20:]); err != nil {
				t.Fatal(err)
			}
		},
		"Policy.NextHop()": func() {
			if _, _, err := polB.NextHop(fromB); err != nil {
				t.Fatal(err)
			}
		},
		"Router.Outbound 6to4": func() {
			if r := a.Outbound(t0, buf, off); r.Err() != nil {
				t.Fatal(r.Err())
			}
		},
		"Router.Outbound packet too big": func() {
			if r := aPTB.Outbound(t0, bigBuf, bigOff); r.Action() != ActionToHost {
				t.Fatal(r.Err())
			}
		},
		"Router.TooBigForLink": func() {
			if r := aPTB.TooBigForLink(t0, refused, 1400); r.Action() != ActionToHost {
				t.Fatal(r.Err())
			}
		},
		"Router.Inbound 6to4": func() {
			if r := b.Inbound(t0, pkt); r.Err() != nil {
				t.Fatal(r.Err())
			}
		},
		"Router.Inbound relay": func() {
			if r := b.Inbound(t0, relayIn); r.Err() != nil {
				t.Fatal(r.Err())
			}
		},
		"Router.Inbound 6rd": func() {
			if r := rd.Inbound(t0, rdIn); r.Err() != nil {
				t.Fatal(r.Err())
			}
		},
		"Router.Inbound ISATAP": func() {
			if r := isatap.Inbound(t0, isIn); r.Err() != nil {
				t.Fatal(r.Err())
			}
		},
		"Router.Inbound 6in4": func() {
			if r := p2p.Inbound(t0, p2pIn); r.Err() != nil {
				t.Fatal(r.Err())
			}
		},
		"Router.Inbound drop": func() {
			if r := p2p.Inbound(t0, relayIn); r.Err() == nil {
				t.Fatal("accepted")
			}
		},
		"Router.Inbound ICMPv4 translation": func() {
			if r := aPTB.Inbound(t0, icmpErr); r.Action() != ActionToHost {
				t.Fatal(r.Err())
			}
		},
		"Router.Inbound Fragmentation Needed": func() {
			if r := a.Inbound(t0, fragNeeded); r.Reason() != ReasonPMTUUpdated {
				t.Fatal(r.Err())
			}
		},
		"ParseICMPv4Error": func() {
			if _, err := ParseICMPv4Error(icmpErr); err != nil {
				t.Fatal(err)
			}
		},
		"TranslateICMPv4 with capacity": func() {
			if _, err := TranslateICMPv4(dst[:0], icmpErr); err != nil {
				t.Fatal(err)
			}
		},
		"AppendPacketTooBig with capacity": func() {
			if _, err := AppendPacketTooBig(dst[:0], site6B, 1480, big); err != nil {
				t.Fatal(err)
			}
		},
		"Router.Counters": func() { _ = a.Counters() },
	}
	for name, f := range tests {
		f()
		if n := testing.AllocsPerRun(200, f); n != 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
}
