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

// options reads conf for role and requires no error and no warning.
func options(t *testing.T, conf string, role Role) []Option {
	t.Helper()
	f, err := Parse([]byte(conf))
	require.NoError(t, err)
	opts, warns, err := f.Options(role)
	require.NoError(t, err)
	require.Empty(t, warns)
	return opts
}

func TestOptions(t *testing.T) {
	assert.Equal(t, []Option{{"server", "198.51.100.1", 3}, {"ifname", "teredo", 4}}, options(t, clientConf, Client))
	assert.Equal(t, []Option{{"ifname", "teredo", 2}, {"prefix", "2001::/32", 5}, {"bind", "203.0.113.1:3545", 4}}, options(t, relayConf, Relay))
	assert.Equal(t, []Option{{"primary", "198.51.100.1", 1}}, options(t, serverConf, Server))

	// Every client directive, in any case, with tabs, comments, CRLF and
	// words after the value (Miredo reads two words a line).
	all := strings.Join([]string{
		"  # comment",
		"relaytype\tAutoClient",
		"SERVERADDRESS teredo.example.net   # the default server",
		"ServerAddress2   192.0.2.2  ",
		"",
		"#BindAddress 192.0.2.99",
		"BindAddress 192.0.2.10",
		"BindPort 0x0dda",
		"SyslogFacility daemon",
		"LocalDiscovery forced",
		"DiscoveryNetmask 255.255.255.0",
		"InterfaceName t6",
	}, "\r\n")
	assert.Equal(t, []Option{
		{"server", "teredo.example.net", 3}, {"server2", "192.0.2.2", 4}, {"local-discovery", "true", 10},
		{"ifname", "t6", 12}, {"bind", "192.0.2.10", 7}, {"port", "3546", 8},
	}, options(t, all, Client))
	assert.Equal(t, []Option{{"port", "1892", 1}}, options(t, "BindPort 03544", Client), "octal, as strtoul reads it")
	for _, off := range []string{"disabled", "no", "off", "0", "FALSE"} {
		assert.Empty(t, options(t, "LocalDiscovery "+off, Client), off)
	}
	assert.Equal(t, []Option{{"local-discovery", "true", 1}}, options(t, "LocalDiscovery 1", Client))
	assert.Empty(t, options(t, "DiscoveryInterfaces eth.*", Client), "ignored while discovery is off")

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

// What Miredo only warns about is a warning, with its line; the rest of
// the file still counts.
func TestWarnings(t *testing.T) {
	conf := "RelayType cone\nServerAddress 192.0.2.1\nInterfaceName a\ninterfacename b\nLonely\nFrobnicate 1\n" +
		strings.Repeat("x", MaxLine+1) + "\nBindPort 3545\n"
	f, err := Parse([]byte(conf))
	require.NoError(t, err)
	opts, warns, err := f.Options(Relay)
	require.NoError(t, err)
	assert.Equal(t, []Option{{"ifname", "a", 3}, {"bind", "0.0.0.0:3545", 8}}, opts, "the first InterfaceName counts")
	want := []struct {
		line int
		err  error
	}{{2, ErrSuperfluous}, {4, ErrDuplicate}, {5, ErrIgnored}, {6, ErrUnknown}, {7, ErrIgnored}}
	require.Len(t, warns, len(want))
	for i, w := range want {
		assert.Equal(t, w.line, warns[i].Line)
		assert.ErrorIs(t, warns[i], w.err)
		assert.Contains(t, warns[i].Error(), "line ")
	}
	// Miredo keeps the first 32 bits of a Prefix: so do we, and say so.
	f, err = Parse([]byte("Prefix 2001:0:1::\n"))
	require.NoError(t, err)
	opts, warns, err = f.Options(Relay)
	require.NoError(t, err)
	assert.Equal(t, []Option{{"prefix", "2001::/32", 1}}, opts)
	require.Len(t, warns, 1)
	assert.ErrorIs(t, warns[0], ErrTruncated)

	// Miredo's own example: ServerAddress is a client's, Prefix a relay's.
	f, err = Parse([]byte("Prefix 2001::\nServerAddress 192.0.2.1\n"))
	require.NoError(t, err)
	_, warns, err = f.Options(Client)
	require.NoError(t, err)
	require.Len(t, warns, 1)
	assert.ErrorIs(t, warns[0], ErrSuperfluous)
	_, warns, err = f.Options(Server)
	require.NoError(t, err)
	require.Len(t, warns, 1)
	assert.Equal(t, 2, warns[0].Line)
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		conf string
		role Role
		err  error
		line int
	}{
		{"RelayType cone\n", Client, ErrRelayType, 1},
		{"RelayType client\n", Relay, ErrRelayType, 1},
		{"RelayType teredo\n", Client, ErrBadValue, 1},
		{"ServerAddress2 2001:db8::1\n", Client, ErrBadValue, 1},
		{"ServerAddress2 teredo2.example.net\n", Client, ErrUnsupported, 1}, // Miredo resolves it
		{"BindAddress 192.0.2\n", Relay, ErrUnsupported, 1},                 // not an address: a name to Miredo
		{"BindPort 65536\n", Client, ErrBadValue, 1},
		{"BindPort -1\n", Client, ErrBadValue, 1},
		{"BindPort 0b1\n", Client, ErrBadValue, 1},
		{"BindPort 08\n", Client, ErrBadValue, 1}, // not octal
		{"BindPort 3_544\n", Client, ErrBadValue, 1},
		{"Prefix 2001::/48\n", Relay, ErrBadValue, 1},
		{"SyslogFacility bogus\n", Client, ErrBadValue, 1},
		{"Prefix 192.0.2.0\n", Relay, ErrBadValue, 1},
		{"Prefix ::ffff:0:0/32\n", Relay, ErrBadValue, 1},
		{"Prefix ff02::\n", Relay, ErrBadValue, 1},
		{"InterfaceMTU 1279\n", Relay, ErrBadValue, 1},
		{"InterfaceMTU 1500x\n", Relay, ErrBadValue, 1},
		{"LocalDiscovery maybe\n", Client, ErrBadValue, 1},
		{"Prefix 3ffe:831f::\n", Server, ErrUnsupported, 1},
		{"InterfaceMTU 1400\n", Server, ErrUnsupported, 1},
		{"DiscoveryInterfaces eth.*\nLocalDiscovery enabled\n", Client, ErrUnsupported, 1},
	} {
		f, err := Parse([]byte(tc.conf))
		require.NoError(t, err, tc.conf)
		_, _, err = f.Options(tc.role)
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
		line int
	}{
		{"ServerAddress 192.0.2.1\nInterfaceName a\x00b\n", 2},
		{"InterfaceName \xff\n", 1},
	} {
		_, err := Parse([]byte(tc.conf))
		require.ErrorIs(t, err, ErrSyntax, "%q", tc.conf)
		var e *Error
		require.True(t, errors.As(err, &e))
		assert.Equal(t, tc.line, e.Line)
	}
	_, err := Parse(make([]byte, MaxFile+1))
	assert.ErrorIs(t, err, ErrSyntax)
	f, err := Parse([]byte(strings.Repeat("#", MaxLine) + "\n"))
	require.NoError(t, err, "a line of MaxLine bytes")
	assert.Empty(t, f.Directives)
	assert.Empty(t, f.Warnings)
}

func TestParseUint16(t *testing.T) {
	for s, want := range map[string]int{"0": 0, "3544": 3544, "65535": 65535, "0x0DDA": 3546, "0XFFFF": 65535, "017": 15, "00": 0} {
		v, ok := parseUint16(s)
		assert.True(t, ok, s)
		assert.Equal(t, want, int(v), s)
	}
	for _, s := range []string{"", "0x", "65536", "0x10000", "+1", "-0", "1e3", "09", "0o17", " 1"} {
		_, ok := parseUint16(s)
		assert.False(t, ok, "%q", s)
	}
}

// FuzzParse: no input panics; what Parse accepts has one directive per
// name, each on its line; Options either fails with an *Error on one of
// the file's lines, or gives options and warnings on the file's lines.
func FuzzParse(f *testing.F) {
	// The interop tests' client, relay and server files.
	f.Add([]byte(clientConf))
	f.Add([]byte(relayConf))
	f.Add([]byte(serverConf))
	// Any case, CRLF, no final newline, hexadecimal.
	f.Add([]byte("relaytype\tAutoClient\r\nBindPort 0x0dda\r\nLocalDiscovery forced"))
	// A relay's limits, words after a value.
	f.Add([]byte("Prefix 2001::/32 # comment\nInterfaceMTU 65535\n"))
	// Warnings: a duplicate, a lonely name, an unknown directive.
	f.Add([]byte("RelayType client\nrelaytype cone\nLonely\nFoo bar\n"))
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
		onLine := func(n int) bool { return n >= 1 && n <= len(lines) }
		seen := map[string]bool{}
		for _, d := range file.Directives {
			if !onLine(d.Line) || !strings.Contains(lines[d.Line-1], d.Name) || !strings.Contains(lines[d.Line-1], d.Value) {
				t.Fatalf("directive %+v not on its line", d)
			}
			if seen[strings.ToLower(d.Name)] {
				t.Fatalf("duplicate %q kept", d.Name)
			}
			seen[strings.ToLower(d.Name)] = true
		}
		for _, role := range []Role{Client, Relay, Server} {
			opts, warns, err := file.Options(role)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || !onLine(e.Line) {
					t.Fatalf("%v: error without a line of the file: %v", role, err)
				}
				continue
			}
			for _, o := range opts {
				if o.Flag == "" || o.Value == "" || !onLine(o.Line) {
					t.Fatalf("%v: bad option %+v", role, o)
				}
			}
			for _, w := range warns {
				if !onLine(w.Line) {
					t.Fatalf("%v: warning off the file: %v", role, w)
				}
			}
		}
	})
}

func TestRole(t *testing.T) {
	for conf, want := range map[string]Role{
		"":                                    Client, // Miredo's default
		"ServerAddress 192.0.2.1\n":           Client,
		"relaytype AutoClient\n":              Client,
		"RelayType cone\n":                    Relay,
		"RelayType restricted\n":              Relay,
		"# RelayType cone\nRelayType relay\n": Relay,
	} {
		f, err := Parse([]byte(conf))
		require.NoError(t, err)
		r, err := f.Role()
		require.NoError(t, err, conf)
		assert.Equal(t, want, r, conf)
	}
	f, err := Parse([]byte("\nRelayType sideways\n"))
	require.NoError(t, err)
	_, err = f.Role()
	require.ErrorIs(t, err, ErrBadValue)
	var e *Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, 2, e.Line)
}
