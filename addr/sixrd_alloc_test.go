package addr_test

import (
	"net/netip"
	"testing"

	"github.com/transit6/transit6/addr"
)

func TestSixRDNoAllocs(t *testing.T) {
	elisa := addr.SixRD{
		Prefix:       netip.MustParsePrefix("2001:2003:f400::/38"),
		IPv4MaskLen:  14,
		BorderRelays: []netip.Addr{netip.MustParseAddr("84.251.255.254"), netip.MustParseAddr("84.251.255.253")},
	}
	ce := netip.MustParseAddr("84.240.100.100")
	dst := netip.MustParseAddr("2001:2003:f464:6400::1")
	body := []byte("\x0e\x26\x20\x01\x20\x03\xf4\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x54\xfb\xff\xfe\x54\xfb\xff\xfd")
	framed := append([]byte{addr.Option6RDCode, byte(len(body))}, body...)
	o, err := addr.ParseOption6RD(body)
	if err != nil {
		t.Fatal(err)
	}
	relays := make([]netip.Addr, 0, 8)
	buf := make([]byte, 0, 64)

	var sink struct {
		p   netip.Prefix
		a   netip.Addr
		n   int
		b   bool
		err error
		o   addr.Option6RD
		c   addr.SixRD
		buf []byte
		rs  []netip.Addr
	}
	for _, tt := range []struct {
		name string
		f    func()
	}{
		{"DelegatedPrefix", func() { sink.p, sink.err = elisa.DelegatedPrefix(ce) }},
		{"DelegatedPrefix error", func() { sink.p, sink.err = elisa.DelegatedPrefix(dst) }},
		{"IPv4For", func() { sink.a, sink.err = elisa.IPv4For(dst, ce) }},
		{"IPv4For error", func() { sink.a, sink.err = elisa.IPv4For(ce, ce) }},
		{"IPv4For zoned", func() {
			sink.a, sink.err = addr.SixToFourAsSixRD.IPv4For(netip.MustParseAddr("2002:c000:204::1%eth0"), ce)
		}},
		{"Validate DHCP", func() { sink.err = elisa.Validate(addr.SixRDPolicyDHCP) }},
		{"Validate kernel", func() { sink.err = elisa.Validate(addr.SixRDPolicyKernel) }},
		{"DelegatedLen", func() { sink.n = elisa.DelegatedLen() }},
		{"ParseOption6RD", func() { sink.o, sink.err = addr.ParseOption6RD(body) }},
		{"ParseOption6RD error", func() { sink.o, sink.err = addr.ParseOption6RD(body[:23]) }},
		{"ConsumeOption6RD", func() { sink.o, sink.n, sink.err = addr.ConsumeOption6RD(framed) }},
		{"IPv4MaskLen", func() { sink.n = o.IPv4MaskLen() }},
		{"Prefix", func() { sink.p = o.Prefix() }},
		{"HostBitsSet", func() { sink.b = o.HostBitsSet() }},
		{"DelegatedLen view", func() { sink.n = o.DelegatedLen() }},
		{"NumRelays", func() { sink.n = o.NumRelays() }},
		{"Relay", func() { sink.a = o.Relay(1) }},
		{"AppendRelays with capacity", func() { sink.rs = o.AppendRelays(relays[:0]) }},
		{"SixRD view", func() { sink.c = o.SixRD() }},
		{"SixRD view DelegatedPrefix", func() { sink.p, sink.err = o.SixRD().DelegatedPrefix(ce) }},
		{"SizeOption6RD", func() { sink.n = addr.SizeOption6RD(elisa) }},
		{"AppendOption6RD with capacity", func() { sink.buf, sink.err = addr.AppendOption6RD(buf[:0], elisa) }},
		{"AppendOption6RD error", func() { sink.buf, sink.err = addr.AppendOption6RD(buf[:0], addr.SixToFourAsSixRD) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tt.f); n != 0 {
				t.Errorf("%v allocations, want 0", n)
			}
		})
	}
	_ = sink
}
