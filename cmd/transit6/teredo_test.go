package main

import (
	"bytes"
	"context"
	"io"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/internal/teredoio"
)

func TestTeredoUsage(t *testing.T) {
	_, errOut, st := runCmd(t, "", "teredo")
	assert.Equal(t, 2, st)
	assert.Contains(t, errOut, "transit6 teredo client --server")
	_, errOut, st = runCmd(t, "", "teredo", "bogus")
	assert.Equal(t, 2, st)
	assert.Contains(t, errOut, `unknown command "bogus"`)
	_, errOut, st = runCmd(t, "", "teredo", "relay", "--prefix", "2001:db8::/48")
	assert.Equal(t, 2, st)
	assert.Contains(t, errOut, "not an IPv6 /32")
	_, errOut, st = runCmd(t, "", "teredo", "client")
	assert.Equal(t, 2, st)
	assert.Contains(t, errOut, "--server is required")
	_, errOut, st = runCmd(t, "", "teredo", "server")
	assert.Equal(t, 2, st)
	assert.Contains(t, errOut, "--primary is required")
	_, errOut, st = runCmd(t, "", "teredo", "server", "--primary", "2001:db8::1")
	assert.Equal(t, 2, st)
	assert.Contains(t, errOut, "not an IPv4 address")
}

func TestTeredoRelayFlags(t *testing.T) {
	f, err := parseRelayFlags([]string{"--prefix", "3ffe:831f::/32", "--bind", "198.51.100.10:3545",
		"--addr", "2001:db8:1::1", "--global", "198.51.100.0/24", "--ifname", "tr0", "--mtu", "1400"}, io.Discard)
	require.NoError(t, err)
	cfg, err := relayConfig(f, nil)
	require.NoError(t, err)
	assert.Equal(t, netip.MustParsePrefix("3ffe:831f::/32"), cfg.Engine.Prefix)
	assert.Equal(t, netip.MustParseAddrPort("198.51.100.10:3545"), cfg.Bind)
	assert.Equal(t, netip.MustParseAddr("2001:db8:1::1"), cfg.Engine.RelayAddr)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}, cfg.Engine.Global)
	assert.Equal(t, "tr0", cfg.IfName)
	assert.Equal(t, 1400, cfg.MTU)

	for _, bad := range [][]string{
		{"--bind", "2001:db8::1"},
		{"--bind", "nonsense"},
		{"--addr", "192.0.2.1"},
		{"--mtu", "1279"},
		{"--prefix", "198.51.100.0/24"},
	} {
		f, err := parseRelayFlags(bad, io.Discard)
		require.NoError(t, err, "%v", bad)
		_, err = relayConfig(f, nil)
		assert.Error(t, err, "%v", bad)
	}
}

func TestTeredoClientFlags(t *testing.T) {
	f, err := parseClientFlags([]string{"--server", "198.51.100.1, 203.0.113.9", "--server2", "198.51.100.7",
		"--port", "3545", "--bind", "192.0.2.5", "--refresh", "20s", "--global", "198.51.100.0/24,203.0.113.0/24",
		"--ifname", "tt0", "--no-restricted-probe"}, io.Discard)
	require.NoError(t, err)
	cfg, err := clientConfig(context.Background(), f, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"198.51.100.1", "203.0.113.9"}, cfg.ServerNames)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("203.0.113.9")}, cfg.Engine.Servers)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("198.51.100.7")}, cfg.Engine.Secondaries)
	assert.Equal(t, netip.MustParseAddrPort("192.0.2.5:3545"), cfg.Bind)
	assert.Equal(t, 20*time.Second, cfg.Engine.RefreshInterval)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24")}, cfg.Engine.Global)
	assert.Equal(t, "tt0", cfg.IfName)
	assert.True(t, cfg.Engine.SkipRestrictedProbe)

	// Defaults: random port, source address chosen by route, "teredo".
	f, err = parseClientFlags([]string{"--server", "198.51.100.1"}, io.Discard)
	require.NoError(t, err)
	cfg, err = clientConfig(context.Background(), f, nil)
	require.NoError(t, err)
	assert.False(t, cfg.Bind.Addr().IsValid())
	assert.Zero(t, cfg.Bind.Port())
	assert.Equal(t, "teredo", cfg.IfName)
	assert.Equal(t, 30*time.Second, cfg.Engine.RefreshInterval)
	assert.Equal(t, teredoio.DefaultSocket("client"), f.socket)

	for _, bad := range [][]string{
		{"--server", "198.51.100.1", "--server2", "x"},
		{"--server", "198.51.100.1", "--bind", "2001:db8::1"},
		{"--server", "2001:db8::1"},
	} {
		f, err := parseClientFlags(bad, io.Discard)
		require.NoError(t, err, bad)
		_, err = clientConfig(context.Background(), f, nil)
		assert.Error(t, err, bad)
	}
	_, err = parseClientFlags([]string{"--server", "198.51.100.1", "--port", "70000"}, io.Discard)
	assert.Error(t, err)
}

func TestTeredoServerFlags(t *testing.T) {
	f, err := parseServerFlags([]string{"--primary", "198.51.100.1", "--secondary", "198.51.100.9",
		"--global", "198.51.100.0/24", "--native", "--ifname", "ts0"}, io.Discard)
	require.NoError(t, err)
	cfg, err := serverConfig(f, nil)
	require.NoError(t, err)
	assert.Equal(t, netip.MustParseAddr("198.51.100.1"), cfg.Engine.Primary)
	assert.Equal(t, netip.MustParseAddr("198.51.100.9"), cfg.Engine.Secondary)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}, cfg.Engine.TreatAsGlobal)
	assert.True(t, cfg.Engine.Native)
	assert.Equal(t, "ts0", cfg.IfName)
	assert.Equal(t, teredoio.DefaultSocket("server"), f.socket)
}

func TestTeredoStatus(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.sock")
	_, errOut, st := runCmd(t, "", "teredo", "status", "--socket", path)
	assert.Equal(t, 1, st, "no daemon")
	assert.Contains(t, errOut, "transit6 teredo status:")

	ln, err := teredoio.Listen(path)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	want := teredoio.Status{Type: "client", State: "probing", NAT: "unknown", ClientPort: 4242}
	go teredoio.Serve(ctx, ln, func() teredoio.Status { return want })

	out, errOut, st := runCmd(t, "", "teredo", "status", "--socket", path)
	require.Equal(t, 0, st, errOut)
	var b bytes.Buffer
	require.NoError(t, want.WriteText(&b))
	assert.Equal(t, b.String(), out)

	out, errOut, st = runCmd(t, "", "teredo", "status", "--json", "--socket", path)
	require.Equal(t, 0, st, errOut)
	objs := jsonLines(t, out)
	require.Len(t, objs, 1)
	assert.Equal(t, "client", objs[0]["type"])
	assert.Equal(t, "probing", objs[0]["state"])
	assert.Equal(t, float64(4242), objs[0]["client_port"])
}
