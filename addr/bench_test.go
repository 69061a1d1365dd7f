package addr_test

import (
	"net/netip"
	"testing"

	"github.com/transit6/transit6/addr"
)

// The functions here work on one address at a time; SetBytes reports the
// address size (16 bytes for IPv6, 4 for IPv4) so throughput is comparable
// across them. Size sweeps do not apply.

var benchAddrs = []struct {
	name string
	a    netip.Addr
}{
	{"teredo", netip.MustParseAddr("2001:0:4136:e378:8000:63bf:3fff:fdd2")},
	{"6to4", netip.MustParseAddr("2002:808:808::1")},
	{"nat64", netip.MustParseAddr("64:ff9b::808:808")},
	{"isatap", netip.MustParseAddr("2606:4700:1:2:200:5efe:808:808")},
	{"native", netip.MustParseAddr("2606:4700::1111")},
}

func BenchmarkDecodeTeredo(b *testing.B) {
	a := netip.MustParseAddr("2001:0:4136:e378:8000:63bf:3fff:fdd2")
	b.ReportAllocs()
	b.SetBytes(16)
	for b.Loop() {
		sinkTeredo, sinkErr = addr.DecodeTeredo(a)
	}
}

func BenchmarkTeredoAddr(b *testing.B) {
	t := addr.Teredo{Server: netip.MustParseAddr("65.54.227.120"), Flags: 0x8000, Client: netip.MustParseAddrPort("192.0.2.45:40000")}
	b.ReportAllocs()
	b.SetBytes(16)
	for b.Loop() {
		sinkAddr = t.Addr()
	}
}

func BenchmarkEmbeddedIPv4(b *testing.B) {
	for _, tt := range benchAddrs {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(16)
			for b.Loop() {
				sinkSet = addr.EmbeddedIPv4(tt.a)
			}
		})
	}
}

func BenchmarkIsPublic(b *testing.B) {
	for _, tt := range benchAddrs {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(16)
			for b.Loop() {
				sinkBool = addr.IsPublic(tt.a)
			}
		})
	}
	lab := addr.NewClassifier(netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"))
	a := netip.MustParseAddr("2002:cb00:7101::1") // 203.0.113.1: the override list is scanned
	b.Run("override", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(16)
		for b.Loop() {
			sinkBool = lab.IsPublic(a)
		}
	})
}

func BenchmarkIsGlobalIPv4(b *testing.B) {
	for _, s := range []string{"8.8.8.8", "192.0.0.9", "192.168.1.1", "203.0.113.1"} {
		v4 := netip.MustParseAddr(s)
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(4)
			for b.Loop() {
				sinkBool = addr.IsGlobalIPv4(v4)
			}
		})
	}
}
