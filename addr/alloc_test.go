package addr_test

import (
	"net/netip"
	"testing"

	"github.com/transit6/transit6/addr"
)

// Sinks keep the compiler from discarding the calls under test.
var (
	sinkAddr     netip.Addr
	sinkAddrPort netip.AddrPort
	sinkPrefix   netip.Prefix
	sinkTeredo   addr.Teredo
	sinkBool     bool
	sinkErr      error
	sinkU16      uint16
	sinkID       [8]byte
	sinkSet      addr.EmbeddedSet
	sinkEmbedded addr.Embedded
	sinkKind     addr.Kind
	sinkString   string
	sinkRange    addr.SpecialRange
	sinkInt      int
)

// TestNoAllocs asserts that every function except NewClassifier runs without
// allocating, on inputs that succeed and on inputs that fail.
func TestNoAllocs(t *testing.T) {
	var (
		teredoAddr = mustAddr("2001:0:4136:e378:8000:63bf:3fff:fdd2%teredo")
		teredo     = addr.Teredo{Server: mustAddr("65.54.227.120"), Flags: 0x8000, Client: mustAddrPort("192.0.2.45:40000")}
		legacy     = addr.TeredoOptions{AllowLegacyPrefix: true}
		server     = mustAddrPort("65.54.227.120:3544")
		serverLL   = mustAddr("fe80::8000:f227:bec9:1c87%eth0")
		clientLL   = mustAddr("fe80::ffff:ffff:ffff%eth0")
		v4         = mustAddr("192.0.2.33")
		native     = mustAddr("2606:4700::1111")
		sixToFour  = mustAddr("2002:c000:204:1::5")
		isatap     = mustAddr("fe80::200:5efe:c000:204%eth0")
		fe80       = mustPrefix("fe80::/64")
		nsp        = mustPrefix("2001:db8:122::/48")
		nat64      = mustAddr("2001:db8:122:c000:2:2100::")
		mapped     = mustAddr("::ffff:192.0.2.33")
		compat     = mustAddr("::c000:221")
		lab        = addr.NewClassifier(mustPrefix("192.0.2.0/24"), mustPrefix("2001:db8::/32"))
		many       = mustAddr("2001:0:4136:e378:200:5efe:3fff:fdd2") // three embedded addresses
		zoned      = mustAddr("2606:4700::1111%eth0")
	)
	tests := []struct {
		name string
		fn   func()
	}{
		{"DecodeTeredo", func() { sinkTeredo, sinkErr = addr.DecodeTeredo(teredoAddr) }},
		{"DecodeTeredo error", func() { sinkTeredo, sinkErr = addr.DecodeTeredo(native) }},
		{"TeredoOptions.Decode", func() { sinkTeredo, sinkErr = legacy.Decode(teredoAddr) }},
		{"Teredo.Addr", func() { sinkAddr = teredo.Addr() }},
		{"Teredo.IsValid", func() { sinkBool = teredo.IsValid() }},
		{"Teredo.Cone", func() { sinkBool = teredo.Cone() }},
		{"Teredo.ConformsRFC5991", func() { sinkBool = teredo.ConformsRFC5991() }},
		{"TeredoServerLinkLocal", func() { sinkAddr = addr.TeredoServerLinkLocal(server) }},
		{"DecodeTeredoServerLinkLocal", func() { sinkAddrPort, sinkErr = addr.DecodeTeredoServerLinkLocal(serverLL) }},
		{"DecodeTeredoServerLinkLocal error", func() { sinkAddrPort, sinkErr = addr.DecodeTeredoServerLinkLocal(native) }},
		{"IsTeredoClientLinkLocal", func() { sinkBool = addr.IsTeredoClientLinkLocal(clientLL) }},
		{"SixToFourSitePrefix", func() { sinkPrefix, sinkErr = addr.SixToFourSitePrefix(v4) }},
		{"DecodeSixToFour", func() { sinkAddr, sinkU16, sinkErr = addr.DecodeSixToFour(sixToFour) }},
		{"DecodeSixToFour error", func() { sinkAddr, sinkU16, sinkErr = addr.DecodeSixToFour(native) }},
		{"ISATAPInterfaceID", func() { sinkID, sinkErr = addr.ISATAPInterfaceID(v4, true) }},
		{"ISATAPAddr", func() { sinkAddr, sinkErr = addr.ISATAPAddr(fe80, v4, false) }},
		{"Classifier.ISATAPInterfaceID", func() { sinkID, sinkErr = lab.ISATAPInterfaceID(v4) }},
		{"Classifier.ISATAPAddr", func() { sinkAddr, sinkErr = lab.ISATAPAddr(fe80, v4) }},
		{"DecodeISATAP", func() { sinkAddr, sinkBool, sinkErr = addr.DecodeISATAP(isatap, addr.ISATAPLenient) }},
		{"DecodeISATAP error", func() { sinkAddr, sinkBool, sinkErr = addr.DecodeISATAP(native, addr.ISATAPStrict) }},
		{"NAT64Embed", func() { sinkAddr, sinkErr = addr.NAT64Embed(nsp, v4) }},
		{"NAT64Extract", func() { sinkAddr, sinkErr = addr.NAT64Extract(nsp, nat64) }},
		{"NAT64Extract error", func() { sinkAddr, sinkErr = addr.NAT64Extract(nsp, native) }},
		{"IPv4Mapped", func() { sinkAddr = addr.IPv4Mapped(v4) }},
		{"DecodeIPv4Mapped", func() { sinkAddr, sinkErr = addr.DecodeIPv4Mapped(mapped) }},
		{"IPv4Compatible", func() { sinkAddr, sinkErr = addr.IPv4Compatible(v4) }},
		{"DecodeIPv4Compatible", func() { sinkAddr, sinkErr = addr.DecodeIPv4Compatible(compat) }},
		{"EmbeddedIPv4", func() { sinkSet = addr.EmbeddedIPv4(many) }},
		{"EmbeddedSet.Len/At", func() {
			s := addr.EmbeddedIPv4(many)
			for i := 0; i < s.Len(); i++ {
				sinkEmbedded = s.At(i)
			}
		}},
		{"EmbeddedSet.All", func() {
			for i, e := range addr.EmbeddedIPv4(many).All() {
				sinkInt, sinkEmbedded = i, e
			}
		}},
		{"Role.String", func() { sinkString = addr.RoleTeredoClient.String() }},
		{"Role.Kind", func() { sinkKind = addr.RoleSixToFour.Kind() }},
		{"KindOf", func() { sinkKind = addr.KindOf(many) }},
		{"LookupIPv4", func() { sinkRange, sinkBool = addr.LookupIPv4(v4) }},
		{"LookupIPv6", func() { sinkRange, sinkBool = addr.LookupIPv6(isatap) }},
		{"IsGlobalIPv4", func() { sinkBool = addr.IsGlobalIPv4(v4) }},
		{"Classifier.IsGlobalIPv4", func() { sinkBool = lab.IsGlobalIPv4(mustAddr("10.0.0.1")) }},
		{"IsPublic", func() { sinkBool = addr.IsPublic(many) }},
		{"IsPublic zone", func() { sinkBool = addr.IsPublic(zoned) }},
		{"IsPublic mapped", func() { sinkBool = addr.IsPublic(mapped) }},
		{"Classifier.IsPublic", func() { sinkBool = lab.IsPublic(mustAddr("2001:db8::5efe:a00:1")) }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
			t.Errorf("%s: %v allocations, want 0", tt.name, n)
		}
	}
}
