package teredoio_test

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/internal/teredoio"
)

// clientStatus is a qualified client behind a port-preserving NAT. The
// address is 2001:0:c633:6401 (198.51.100.1) : flags 0x0000 : port 50000
// and 203.0.113.1 obfuscated (0xffff^50000 = 0x3caf, ~cb007101 =
// 34ff8efe), computed by hand.
var clientStatus = teredoio.Status{
	Type:            "client",
	State:           "qualified",
	Server:          netip.MustParseAddr("198.51.100.1"),
	Secondary:       netip.MustParseAddr("198.51.100.2"),
	RefreshSeconds:  30,
	ClientPort:      50000,
	NAT:             "port-restricted",
	PortPreserving:  true,
	LocalMapping:    netip.MustParseAddrPort("10.0.0.2:50000"),
	ExternalMapping: netip.MustParseAddrPort("203.0.113.1:50000"),
	Address:         netip.MustParseAddr("2001:0:c633:6401:0:3caf:34ff:8efe"),
	MTU:             1280,
	Interface:       "teredo",
	TUNReads:        "io_uring",
}

func TestStatusText(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, clientStatus.WriteText(&b))
	assert.Equal(t, `Type                    : client
Server Name             : 198.51.100.1 (secondary 198.51.100.2)
Client Refresh Interval : 30 seconds
Client Port             : 50000
State                   : qualified
Client Type             : teredo client
Network                 : unmanaged
NAT                     : port-restricted
NAT Special Behaviour   : UPNP: No, PortPreserving: Yes
Local Mapping           : 10.0.0.2:50000
External NAT Mapping    : 203.0.113.1:50000
Teredo Address          : 2001:0:c633:6401:0:3caf:34ff:8efe
Interface               : teredo
Interface Reads         : io_uring
MTU                     : 1280
Last Error              : none
`, b.String())

	b.Reset()
	probing := teredoio.Status{Type: "client", State: "probing", NAT: "unknown", LastError: "teredo: no answer"}
	require.NoError(t, probing.WriteText(&b))
	assert.Contains(t, b.String(), "Teredo Address          : none\n")
	assert.Contains(t, b.String(), "External NAT Mapping    : none\n")
	assert.Contains(t, b.String(), "Last Error              : teredo: no answer\n")

	b.Reset()
	srv := teredoio.Status{Type: "server", State: "online",
		PrimarySocket: netip.MustParseAddrPort("198.51.100.1:3544"), SecondarySocket: netip.MustParseAddrPort("198.51.100.2:3544"),
		Accepted: 3, Dropped: 1, Counters: map[string]uint64{"ra": 3, "drop-malformed": 1}}
	require.NoError(t, srv.WriteText(&b))
	assert.Equal(t, `Type                    : server
State                   : online
Primary                 : 198.51.100.1:3544
Secondary               : 198.51.100.2:3544
Native Forwarding       : disabled
Accepted                : 3
Dropped                 : 1
  drop-malformed        : 1
  ra                    : 3
`, b.String())
}

func TestStatusSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "client.sock")
	ln, err := teredoio.Listen(path)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- teredoio.Serve(ctx, ln, func() teredoio.Status { return clientStatus }) }()

	for range 2 { // one object per connection, as often as asked
		st, err := teredoio.Query(path)
		require.NoError(t, err)
		assert.Equal(t, clientStatus, st)
	}
	_, err = teredoio.Listen(path)
	assert.ErrorIs(t, err, teredoio.ErrSocketInUse, "a second daemon on the same socket")

	cancel()
	require.NoError(t, <-done)
	_, err = os.Stat(path)
	assert.ErrorIs(t, err, os.ErrNotExist, "socket file removed on shutdown")
	_, err = teredoio.Query(path)
	assert.Error(t, err)

	// A stale socket file (its daemon died) is replaced.
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	require.NoError(t, err)
	stale.SetUnlinkOnClose(false)
	require.NoError(t, stale.Close())
	_, err = os.Stat(path)
	require.NoError(t, err, "stale socket file present")
	ln, err = teredoio.Listen(path)
	require.NoError(t, err)
	require.NoError(t, ln.Close())
}

func TestResolveServers(t *testing.T) {
	got, err := teredoio.ResolveServers(context.Background(), nil, []string{"198.51.100.1", "::ffff:192.0.2.1"})
	require.NoError(t, err)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("192.0.2.1")}, got)
	_, err = teredoio.ResolveServers(context.Background(), nil, []string{"2001:db8::1"})
	assert.Error(t, err, "IPv6 server")
	_, err = teredoio.ResolveServers(context.Background(), nil, []string{"no-such-host.invalid"})
	assert.Error(t, err, "unresolvable name (RFC 6761: .invalid never resolves)")
}
