package main

import (
	"io"
	"net/netip"
	"strings"
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
		{
			// RFC 4213 §3.6's ingress filter: a list, repeated or comma-
			// separated, host bits cleared, a bare address a /128.
			name: "6in4 with inner sources",
			args: []string{"6in4", "--local", "192.0.2.1", "--remote", "198.51.100.9", "--inner-source", "2001:db8:46::5/64, 2001:db8:99::1", "--inner-source", "2001:db8:7::/48"},
			want: tunnelio.Config{Engine: sixtofour.Config{
				Mechanism: sixtofour.SixInFour, Local: a("192.0.2.1"), Remote: a("198.51.100.9"),
				InnerSources: []netip.Prefix{p("2001:db8:46::/64"), p("2001:db8:99::1/128"), p("2001:db8:7::/48")},
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
		"unknown mechanism":    {"gre", "--local", "192.0.2.1"},
		"no local":             {"6to4"},
		"IPv6 local":           {"6to4", "--local", "2001:db8::1"},
		"6in4 without remote":  {"6in4", "--local", "192.0.2.1"},
		"relay on 6rd":         {"6rd", "--local", "192.0.2.1", "--relay", "198.51.100.1", "--6rd-prefix", "2001:db8::/32", "--br", "198.51.100.2"},
		"6rd without br":       {"6rd", "--local", "192.0.2.1", "--6rd-prefix", "2001:db8::/32"},
		"ISATAP host no PRL":   {"isatap", "--local", "192.0.2.1"},
		"ISATAP prefix /48":    {"isatap", "--local", "192.0.2.1", "--prl", "198.51.100.2", "--prefix", "2001:db8::/48"},
		"TTL 0":                {"6to4", "--local", "192.0.2.1", "--ttl", "0"},
		"TTL 256":              {"6to4", "--local", "192.0.2.1", "--ttl", "256"},
		"IPv4 addr":            {"6to4", "--local", "192.0.2.1", "--addr", "192.0.2.9"},
		"stray argument":       {"6to4", "--local", "192.0.2.1", "extra"},
		"inner source on 6to4": {"6to4", "--local", "192.0.2.1", "--inner-source", "2001:db8::/32"},
		"IPv4 inner source":    {"6in4", "--local", "192.0.2.1", "--remote", "198.51.100.9", "--inner-source", "192.0.2.0/24"},
		"mapped inner source":  {"6in4", "--local", "192.0.2.1", "--remote", "198.51.100.9", "--inner-source", "::ffff:192.0.2.0/120"},
		"bad inner source":     {"6in4", "--local", "192.0.2.1", "--remote", "198.51.100.9", "--inner-source", "2001:db8::/129"},
	} {
		t.Run(name, func(t *testing.T) {
			f, err := parseTunnelFlags(args, io.Discard)
			if err == nil {
				_, err = tunnelConfig(f)
			}
			assert.Error(t, err)
			if strings.Contains(name, "inner source") {
				assert.ErrorContains(t, err, "inner-source", "refused for the flag")
			}
		})
	}
}

// TestTunnelPathPeer checks which IPv4 route sizes each kind of tunnel the
// command line configures (tunnelio.PathPeer): the one peer where there is
// one (the 6in4 remote, the 6to4 relay, the first 6rd border relay or
// ISATAP router), else the default route (0.0.0.0).
func TestTunnelPathPeer(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"6in4: the remote", []string{"6in4", "--local", "192.0.2.1", "--remote", "198.51.100.9"}, "198.51.100.9"},
		{"6to4 site with a relay: the relay", []string{"6to4", "--local", "192.0.2.1", "--relay", "198.51.100.1"}, "198.51.100.1"},
		{"6to4 site without: the default route", []string{"6to4", "--local", "192.0.2.1"}, "0.0.0.0"},
		{"6to4 relay: the default route", []string{"6to4", "--router", "--local", "192.0.2.1", "--relay", "192.0.2.1"}, "0.0.0.0"},
		{"6rd CE: the first border relay", []string{"6rd", "--local", "192.0.2.1", "--6rd-prefix", "2001:db8::/32", "--br", "198.51.100.2,198.51.100.3"}, "198.51.100.2"},
		{"6rd border relay: the default route", []string{"6rd", "--router", "--local", "198.51.100.2", "--6rd-prefix", "2001:db8::/32", "--br", "198.51.100.2"}, "0.0.0.0"},
		{"ISATAP host: the first router", []string{"isatap", "--local", "192.0.2.1", "--prl", "198.51.100.2,198.51.100.3"}, "198.51.100.2"},
		{"ISATAP host listing itself: the default route", []string{"isatap", "--local", "192.0.2.1", "--prl", "192.0.2.1"}, "0.0.0.0"},
		{"ISATAP router: the default route", []string{"isatap", "--router", "--local", "192.0.2.1", "--prl", "192.0.2.1"}, "0.0.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseTunnelFlags(tc.args, io.Discard)
			require.NoError(t, err)
			cfg, err := tunnelConfig(f)
			require.NoError(t, err)
			assert.Equal(t, netip.MustParseAddr(tc.want), tunnelio.PathPeer(&cfg.Engine))
		})
	}
}
