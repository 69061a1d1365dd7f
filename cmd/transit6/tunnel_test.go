package main

import (
	"io"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/internal/tunnelio"
	"github.com/transit6/transit6/sixtofour"
)

func TestTunnelFlagsToConfig(t *testing.T) {
	a := netip.MustParseAddr
	p := netip.MustParsePrefix
	lab := []netip.Prefix{p("192.0.2.0/24"), p("198.51.100.0/24")}
	tests := []struct {
		name string
		args []string
		want tunnelio.Config
	}{
		{
			name: "6to4 with relay, fixed TTL, inherited TOS",
			args: []string{"6to4", "--local", "192.0.2.1", "--relay", "198.51.100.1", "--ttl", "64", "--tos", "inherit", "--global", "192.0.2.0/24,198.51.100.0/24"},
			want: tunnelio.Config{Engine: sixtofour.Config{
				Mechanism: sixtofour.SixToFour, Local: a("192.0.2.1"), SixToFourRelay: a("198.51.100.1"),
				TreatAsGlobal: lab, Outer: sixtofour.OuterPolicy{TTL: 64, InheritTOS: true},
			}},
		},
		{
			name: "6rd border relay, interleaved flags",
			args: []string{"6rd", "--router", "--local", "198.51.100.2", "--6rd-prefix", "2001:db8::/32", "--6rd-mask-len", "8", "--br", "198.51.100.2,198.51.100.3", "--mtu", "1400", "--ifname", "br0"},
			want: tunnelio.Config{IfName: "br0", Engine: sixtofour.Config{
				Mechanism: sixtofour.SixRD, Local: a("198.51.100.2"), Relay: true, MTU: 1400,
				SixRD: addr.SixRD{Prefix: p("2001:db8::/32"), IPv4MaskLen: 8, BorderRelays: []netip.Addr{a("198.51.100.2"), a("198.51.100.3")}},
			}},
		},
		{
			name: "ISATAP host with PRL, prefix and TOS",
			args: []string{"isatap", "--local", "192.0.2.1", "--prl", "198.51.100.2", "--prefix", "2001:db8:1::/64", "--tos", "0xb8"},
			want: tunnelio.Config{Engine: sixtofour.Config{
				Mechanism: sixtofour.ISATAP, Local: a("192.0.2.1"), PRL: []netip.Addr{a("198.51.100.2")},
				OnLink: []netip.Prefix{p("2001:db8:1::/64")}, Outer: sixtofour.OuterPolicy{TOS: 0xb8},
			}},
		},
		{
			name: "6in4 with address",
			args: []string{"6in4", "--local", "192.0.2.1", "--remote", "198.51.100.9", "--addr", "2001:db8:5::2/64"},
			want: tunnelio.Config{Addr: p("2001:db8:5::2/64"), Engine: sixtofour.Config{
				Mechanism: sixtofour.SixInFour, Local: a("192.0.2.1"), Remote: a("198.51.100.9"),
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseTunnelFlags(tt.args, io.Discard)
			require.NoError(t, err)
			got, err := tunnelConfig(f)
			require.NoError(t, err)
			if len(got.Engine.TreatAsGlobal) == 0 {
				got.Engine.TreatAsGlobal = nil
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestTunnelFlagsRefused(t *testing.T) {
	for name, args := range map[string][]string{
		"unknown mechanism":   {"gre", "--local", "192.0.2.1"},
		"no local":            {"6to4"},
		"IPv6 local":          {"6to4", "--local", "2001:db8::1"},
		"6in4 without remote": {"6in4", "--local", "192.0.2.1"},
		"relay on 6rd":        {"6rd", "--local", "192.0.2.1", "--relay", "198.51.100.1", "--6rd-prefix", "2001:db8::/32", "--br", "198.51.100.2"},
		"6rd without br":      {"6rd", "--local", "192.0.2.1", "--6rd-prefix", "2001:db8::/32"},
		"ISATAP host no PRL":  {"isatap", "--local", "192.0.2.1"},
		"ISATAP prefix /48":   {"isatap", "--local", "192.0.2.1", "--prl", "198.51.100.2", "--prefix", "2001:db8::/48"},
		"TTL 0":               {"6to4", "--local", "192.0.2.1", "--ttl", "0"},
		"TTL 256":             {"6to4", "--local", "192.0.2.1", "--ttl", "256"},
		"IPv4 addr":           {"6to4", "--local", "192.0.2.1", "--addr", "192.0.2.9"},
		"stray argument":      {"6to4", "--local", "192.0.2.1", "extra"},
	} {
		t.Run(name, func(t *testing.T) {
			f, err := parseTunnelFlags(args, io.Discard)
			if err == nil {
				_, err = tunnelConfig(f)
			}
			assert.Error(t, err)
		})
	}
}
