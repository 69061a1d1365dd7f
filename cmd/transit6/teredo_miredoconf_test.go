package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/internal/interop"
)

func writeConf(t *testing.T, conf string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "miredo.conf")
	require.NoError(t, os.WriteFile(p, []byte(conf), 0o644))
	return p
}

// --miredo-conf: Miredo's files give each role its options; the command
// line wins over the file.
func TestTeredoMiredoConf(t *testing.T) {
	client := writeConf(t, "RelayType client\nServerAddress 198.51.100.1\nServerAddress2 198.51.100.7\nInterfaceName mt0\nBindPort 3546\n")
	f, err := parseClientFlags([]string{"--miredo-conf", client, "--global", "198.51.100.0/24"}, io.Discard)
	require.NoError(t, err)
	cfg, err := clientConfig(context.Background(), f, nil)
	require.NoError(t, err)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("198.51.100.1")}, cfg.Engine.Servers)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("198.51.100.7")}, cfg.Engine.Secondaries)
	assert.Equal(t, "mt0", cfg.IfName)
	assert.Equal(t, uint16(3546), cfg.Bind.Port())

	f, err = parseClientFlags([]string{"--ifname", "cli0", "--miredo-conf", client, "--server", "203.0.113.9"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "cli0", f.ifname, "the command line wins")
	assert.Equal(t, "203.0.113.9", f.servers, "the command line wins, after the file too")
	assert.Equal(t, uint(3546), f.port)

	relay := writeConf(t, "RelayType cone\nInterfaceName mr0\nBindAddress 203.0.113.1\nBindPort 3545\nPrefix 3ffe:831f::\nInterfaceMTU 1400\n")
	rf, err := parseRelayFlags([]string{"--miredo-conf", relay}, io.Discard)
	require.NoError(t, err)
	rcfg, err := relayConfig(rf, nil)
	require.NoError(t, err)
	assert.Equal(t, netip.MustParseAddrPort("203.0.113.1:3545"), rcfg.Bind)
	assert.Equal(t, netip.MustParsePrefix("3ffe:831f::/32"), rcfg.Engine.Prefix)
	assert.Equal(t, 1400, rcfg.MTU)
	assert.Equal(t, "mr0", rcfg.IfName)

	server := writeConf(t, "# miredo-server.conf\nServerBindAddress 198.51.100.1\nServerBindAddress2 198.51.100.2\n")
	sf, err := parseServerFlags([]string{"--miredo-conf", server}, io.Discard)
	require.NoError(t, err)
	scfg, err := serverConfig(sf, nil)
	require.NoError(t, err)
	assert.Equal(t, netip.MustParseAddr("198.51.100.1"), scfg.Engine.Primary)
	assert.Equal(t, netip.MustParseAddr("198.51.100.2"), scfg.Engine.Secondary)
}

// A file that does not fit the role, or that the role's checks refuse,
// is a usage error naming the file and the line.
func TestTeredoMiredoConfErrors(t *testing.T) {
	for _, tc := range []struct {
		role, conf, want string
	}{
		{"client", "RelayType cone\n", "line 1: RelayType: miredoconf: RelayType is not this role \"cone\": a relay"},
		{"relay", "RelayType cone\nBindAddress teredo.example.net\n", "line 2: BindAddress: miredoconf: not supported by transit6"},
		{"server", "ServerBindAddress 198.51.100.1\nPrefix 3ffe:831f::\n", "line 2: Prefix: miredoconf: not supported by transit6"},
	} {
		path := writeConf(t, tc.conf)
		var errb bytes.Buffer
		var err error
		switch tc.role {
		case "client":
			_, err = parseClientFlags([]string{"--miredo-conf", path}, &errb)
		case "relay":
			_, err = parseRelayFlags([]string{"--miredo-conf", path}, &errb)
		case "server":
			_, err = parseServerFlags([]string{"--miredo-conf", path}, &errb)
		}
		require.ErrorIs(t, err, errUsage, tc.conf)
		assert.Contains(t, errb.String(), "--miredo-conf "+path+": "+tc.want, tc.conf)
	}

	_, errOut, st := runCmd(t, "", "teredo", "client", "--miredo-conf", filepath.Join(t.TempDir(), "none.conf"))
	assert.Equal(t, 2, st)
	assert.Contains(t, errOut, "no such file")
	big := writeConf(t, strings.Repeat("# padding\n", 7000))
	_, errOut, st = runCmd(t, "", "teredo", "relay", "--miredo-conf", big)
	assert.Equal(t, 2, st)
	assert.Contains(t, errOut, "longer than 65536 bytes")
	// What Miredo only warns about is a warning, and the options parse.
	warn := writeConf(t, "RelayType client\nPrefix 2001::\nFrobnicate yes\nInterfaceName x\ninterfacename y\n")
	var errb bytes.Buffer
	_, err := parseClientFlags([]string{"--miredo-conf", warn, "--server", "198.51.100.1"}, &errb)
	require.NoError(t, err)
	for _, w := range []string{"line 2: Prefix: miredoconf: superfluous directive", "line 3: Frobnicate: miredoconf: unknown directive", "line 5: interfacename: miredoconf: directive given twice"} {
		assert.Contains(t, errb.String(), "--miredo-conf "+warn+": warning: "+w)
	}
	// A bad value names its line.
	bad := writeConf(t, "RelayType client\nServerAddress 198.51.100.1\nBindPort 70000\n")
	_, errOut, st = runCmd(t, "", "teredo", "client", "--miredo-conf", bad)
	assert.Equal(t, 2, st)
	assert.Contains(t, errOut, "line 3: BindPort")
}

// checkconf, like miredo-checkconf: the role by RelayType (--server for a
// miredo-server.conf), warnings and errors on stderr, the equivalent
// command on stdout when usable; 0 usable and clean, 1 not usable or with
// warnings, 2 usage.
func TestTeredoCheckconf(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		conf       string
		status     int
		out, inErr string
	}{
		{nil, "RelayType cone\nInterfaceName teredo\nServerAddress 192.0.2.1\nBindAddress 203.0.113.1\nBindPort 3545\n", 1,
			"transit6 teredo relay --ifname teredo --bind 203.0.113.1:3545\n", "warning: line 3: ServerAddress: miredoconf: superfluous directive"},
		{nil, "ServerAddress teredo.example.net\nBindPort 0x0dda\n", 0, "transit6 teredo client --server teredo.example.net --port 3546\n", ""},
		{[]string{"--server"}, "ServerBindAddress 198.51.100.1\n", 0, "transit6 teredo server --primary 198.51.100.1\n", ""},
		{nil, "RelayType client\n", 1, "", "--server is required"},
		{nil, "ServerBindAddress 198.51.100.1\n", 1, "", "superfluous"}, // a server's file read as a client's
		{nil, "RelayType sideways\n", 1, "", "line 1: RelayType: miredoconf: bad value"},
		{nil, "RelayType cone\nInterfaceMTU 1000\n", 1, "", "line 2: InterfaceMTU"},
		{nil, "RelayType cone\nPrefix 2001:db8::\nBindPort 3545\n", 0, "transit6 teredo relay --prefix 2001:db8::/32 --bind 0.0.0.0:3545\n", ""},
		{nil, "ServerAddress 192.0.2.1\x00\n", 1, "", "not a configuration file"},
	} {
		path := writeConf(t, tc.conf)
		out, errOut, st := runCmd(t, "", append(append([]string{"teredo", "checkconf"}, tc.args...), path)...)
		assert.Equal(t, tc.status, st, "%q: %s", tc.conf, errOut)
		assert.Equal(t, tc.out, out, "%q", tc.conf)
		if tc.inErr != "" {
			assert.Contains(t, errOut, tc.inErr, "%q", tc.conf)
		} else {
			assert.Empty(t, errOut, "%q", tc.conf)
		}
	}
	_, _, st := runCmd(t, "", "teredo", "checkconf")
	assert.Equal(t, 2, st)
	_, errOut, st := runCmd(t, "", "teredo", "checkconf", filepath.Join(t.TempDir(), "none"))
	assert.Equal(t, 1, st)
	assert.Contains(t, errOut, "no such file")
}

// transit6 teredo checkconf against Miredo 1.2.6's own miredo-checkconf,
// file by file: they agree on which files are fine, except where transit6
// is deliberately different, each listed with the reason.
func TestTeredoCheckconfAgainstMiredo(t *testing.T) {
	miredo := interop.LookPath(t, "miredo-checkconf")
	for _, tc := range []struct {
		conf string
		// differ: why transit6's verdict is not Miredo's ("" if it is).
		differ string
	}{
		{"RelayType client\nServerAddress 192.0.2.1\nInterfaceName teredo\n", ""},
		{"ServerAddress 192.0.2.1\n", ""}, // client by default
		{"relaytype AutoClient\nSERVERADDRESS 192.0.2.1 # a comment\nBindPort 0x0dda\n", ""},
		{"RelayType client\nServerAddress 192.0.2.1\nBindPort 03544\nServerAddress2 192.0.2.2\nBindAddress 192.0.2.10\n", ""},
		{"RelayType client\nServerAddress 192.0.2.1\nSyslogFacility local3\n", ""},
		{"RelayType cone\nInterfaceName teredo\nBindAddress 203.0.113.1\nBindPort 3545\n", ""},
		{"RelayType cone\nPrefix 3ffe:831f::\nInterfaceMTU 1400\n", ""},
		{"RelayType cone\nPrefix 2001:0:1::\n", "transit6 warns that only the first 32 bits count"},
		{"RelayType client\n", ""}, // no server
		{"RelayType sideways\nServerAddress 192.0.2.1\n", ""},
		{"RelayType client\nServerAddress 192.0.2.1\nBindPort 70000\n", ""},
		{"RelayType client\nServerAddress 192.0.2.1\nSyslogFacility bogus\n", ""},
		{"RelayType client\nServerAddress 192.0.2.1\nFrobnicate 1\n", ""},
		{"RelayType client\nServerAddress 192.0.2.1\nLonely\n", ""},
		{"RelayType client\nServerAddress 192.0.2.1\nServerAddress 192.0.2.9\n", ""},
		{"RelayType client\nServerAddress 192.0.2.1\nPrefix 2001::\n", ""},
		{"RelayType cone\nServerAddress 192.0.2.1\n", ""},
		{"RelayType cone\nInterfaceMTU 1000\n", "an MTU below IPv6's 1280 is refused"},
		{"RelayType cone\nPrefix ff02::\n", "a multicast prefix is refused"},
		{"RelayType cone\nPrefix 2001::/32\n", "prefix notation is taken too"},
		{"RelayType client\nServerAddress 192.0.2.1\nBindAddress localhost\n", "transit6 takes addresses, not names, there"},
		{"RelayType client\nServerAddress 192.0.2.1\nLocalDiscovery enabled\n", "local discovery came after Miredo 1.2.6; transit6 has it"},
	} {
		path := writeConf(t, tc.conf)
		mout, merr := exec.Command(miredo, path).CombinedOutput()
		var ee *exec.ExitError
		if merr != nil && !errors.As(merr, &ee) {
			t.Fatalf("miredo-checkconf: %v", merr)
		}
		miredoOK := merr == nil
		_, errOut, st := runCmd(t, "", "teredo", "checkconf", path)
		require.NotEqual(t, 2, st, errOut)
		ok := st == 0
		if tc.differ == "" {
			assert.Equal(t, miredoOK, ok, "%q\nmiredo-checkconf: %s\ntransit6: %s", tc.conf, mout, errOut)
		} else {
			assert.NotEqual(t, miredoOK, ok, "%q (expected to differ: %s)\nmiredo-checkconf: %s\ntransit6: %s", tc.conf, tc.differ, mout, errOut)
		}
	}
}
