package miredoconf

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The files of the namespace interop tests, as Miredo 1.2.6 reads them.
const (
	clientConf = "# a Miredo client\nRelayType client\nServerAddress 198.51.100.1\nInterfaceName teredo\n"
	relayConf  = "RelayType cone\nInterfaceName teredo\nBindAddress 203.0.113.1\nBindPort 3545\nPrefix 2001::\n"
	serverConf = "ServerBindAddress 198.51.100.1\n"
)

func options(t *testing.T, conf string, role Role) []Option {
	t.Helper()
	f, err := Parse([]byte(conf))
	require.NoError(t, err)
	opts, err := f.Options(role)
	require.NoError(t, err)
	return opts
}

func TestOptions(t *testing.T) {
	assert.Equal(t, []Option{{"server", "198.51.100.1", 3}, {"ifname", "teredo", 4}}, options(t, clientConf, Client))
	assert.Equal(t, []Option{{"ifname", "teredo", 2}, {"prefix", "2001::/32", 5}, {"bind", "203.0.113.1:3545", 4}}, options(t, relayConf, Relay))
	assert.Equal(t, []Option{{"primary", "198.51.100.1", 1}}, options(t, serverConf, Server))

	// Every client directive, in any case, with tabs and comments.
	all := strings.Join([]string{
		"  # comment",
		"relaytype\tAutoClient",
		"SERVERADDRESS teredo.example.net",
		"ServerAddress2   192.0.2.2  ",
		"",
		"BindAddress 192.0.2.10",
		"BindPort 3544",
		"SyslogFacility daemon",
		"LocalDiscovery forced",
		"DiscoveryNetmask 255.255.255.0",
		"InterfaceName t6",
	}, "\r\n")
	assert.Equal(t, []Option{
		{"server", "teredo.example.net", 3}, {"server2", "192.0.2.2", 4}, {"local-discovery", "true", 9},
		{"ifname", "t6", 11}, {"bind", "192.0.2.10", 6}, {"port", "3544", 7},
	}, options(t, all, Client))
	assert.Empty(t, options(t, "LocalDiscovery disabled\n", Client))

	// A relay: the port alone, the address alone; the MTU; a /32 prefix.
	assert.Equal(t, []Option{{"bind", "0.0.0.0:3545", 2}}, options(t, "RelayType relay\nBindPort 3545", Relay))
	assert.Equal(t, []Option{{"bind", "192.0.2.1", 1}}, options(t, "BindAddress 192.0.2.1", Relay))
	assert.Equal(t, []Option{{"mtu", "1400", 1}, {"prefix", "3ffe:831f::/32", 2}}, options(t, "InterfaceMTU 1400\nPrefix 3ffe:831f::/32", Relay))
	assert.Empty(t, options(t, "RelayType restricted", Relay))

	// A server: the secondary; the default prefix and MTU are accepted.
	assert.Equal(t, []Option{{"primary", "198.51.100.1", 1}, {"secondary", "198.51.100.9", 2}},
		options(t, "ServerBindAddress 198.51.100.1\nServerBindAddress2 198.51.100.9\nPrefix 2001::\nInterfaceMTU 1280\n", Server))
	assert.Empty(t, options(t, "", Client), "an empty file sets nothing")
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		conf string
		role Role
		err  error
		line int
	}{
		{"RelayType client\nFoo bar\n", Client, ErrUnknown, 2},
		{"ServerAddress 192.0.2.1\n", Relay, ErrSuperfluous, 1}, // Miredo: "Superfluous directive"
		{"Prefix 2001::\n", Client, ErrSuperfluous, 1},
		{"ServerBindAddress 192.0.2.1\n", Client, ErrSuperfluous, 1},
		{"RelayType client\n", Server, ErrSuperfluous, 1},
		{"RelayType cone\n", Client, ErrRelayType, 1},
		{"RelayType client\n", Relay, ErrRelayType, 1},
		{"RelayType teredo\n", Client, ErrBadValue, 1},
		{"ServerAddress\n", Client, ErrBadValue, 1},
		{"ServerAddress2 2001:db8::1\n", Client, ErrBadValue, 1},
		{"BindAddress 192.0.2\n", Relay, ErrBadValue, 1},
		{"BindPort 65536\n", Client, ErrBadValue, 1},
		{"BindPort 03544\n", Client, ErrBadValue, 1},
		{"BindPort -1\n", Client, ErrBadValue, 1},
		{"Prefix 2001::/48\n", Relay, ErrBadValue, 1},
		{"Prefix 2001:0:1::\n", Relay, ErrBadValue, 1}, // not a /32 boundary
		{"Prefix 192.0.2.0\n", Relay, ErrBadValue, 1},
		{"Prefix ::ffff:0:0/32\n", Relay, ErrBadValue, 1},
		{"InterfaceMTU 1279\n", Relay, ErrBadValue, 1},
		{"InterfaceMTU 1500x\n", Relay, ErrBadValue, 1},
		{"LocalDiscovery maybe\n", Client, ErrBadValue, 1},
		{"Prefix 3ffe:831f::\n", Server, ErrUnsupported, 1},
		{"InterfaceMTU 1400\n", Server, ErrUnsupported, 1},
		{"DiscoveryInterfaces eth.*\n", Client, ErrUnsupported, 1},
	} {
		f, err := Parse([]byte(tc.conf))
		require.NoError(t, err, tc.conf)
		_, err = f.Options(tc.role)
		require.ErrorIs(t, err, tc.err, "%q as %v", tc.conf, tc.role)
		var e *Error
		require.True(t, errors.As(err, &e), "%q", tc.conf)
		assert.Equal(t, tc.line, e.Line, "%q", tc.conf)
		assert.Contains(t, err.Error(), "line ", "%q", tc.conf)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		conf string
		err  error
		line int
	}{
		{"RelayType client\nrelaytype cone\n", ErrDuplicate, 2},
		{"ServerAddress 192.0.2.1\nInterfaceName a\x00b\n", ErrSyntax, 2},
		{"InterfaceName \xff\n", ErrSyntax, 1},
		{"# long\n" + strings.Repeat("x", MaxLine+1), ErrSyntax, 2},
	} {
		_, err := Parse([]byte(tc.conf))
		require.ErrorIs(t, err, tc.err, "%q", tc.conf)
		var e *Error
		require.True(t, errors.As(err, &e))
		assert.Equal(t, tc.line, e.Line)
	}
	_, err := Parse(make([]byte, MaxFile+1))
	assert.ErrorIs(t, err, ErrSyntax)
	f, err := Parse([]byte(strings.Repeat("#", MaxLine) + "\n"))
	require.NoError(t, err, "a line of MaxLine bytes")
	assert.Empty(t, f.Directives)
}

// FuzzParse: no input panics; what Parse accepts has no duplicate
// names, one directive per non-comment line with its line number, and
// Options either fails with an *Error on one of the file's lines or gives
// options whose lines are the file's.
func FuzzParse(f *testing.F) {
	// The interop tests' client, relay and server files.
	f.Add([]byte(clientConf))
	f.Add([]byte(relayConf))
	f.Add([]byte(serverConf))
	// Any case, CRLF, no final newline.
	f.Add([]byte("relaytype\tAutoClient\r\nBindPort 3544\r\nLocalDiscovery forced"))
	// A relay's limits.
	f.Add([]byte("Prefix 2001::/32\nInterfaceMTU 65535\n"))
	// A duplicate.
	f.Add([]byte("RelayType client\nrelaytype cone\n"))
	// Not text.
	f.Add([]byte("ServerAddress \xff\x00\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			var e *Error
			if len(data) <= MaxFile && !errors.As(err, &e) {
				t.Fatalf("Parse error without a line: %v", err)
			}
			return
		}
		lines := strings.Split(string(data), "\n")
		seen := map[string]bool{}
		for _, d := range file.Directives {
			if d.Line < 1 || d.Line > len(lines) || !strings.Contains(lines[d.Line-1], d.Name) {
				t.Fatalf("directive %+v not on its line", d)
			}
			if seen[strings.ToLower(d.Name)] {
				t.Fatalf("duplicate %q accepted", d.Name)
			}
			seen[strings.ToLower(d.Name)] = true
		}
		for _, role := range []Role{Client, Relay, Server} {
			opts, err := file.Options(role)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Line < 1 || e.Line > len(lines) {
					t.Fatalf("%v: error without a line of the file: %v", role, err)
				}
				continue
			}
			for _, o := range opts {
				if o.Flag == "" || o.Value == "" || o.Line < 1 || o.Line > len(lines) {
					t.Fatalf("%v: bad option %+v", role, o)
				}
			}
		}
	})
}
