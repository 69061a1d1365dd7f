package main

import (
	"bytes"
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/internal/teredoio"
)

// TestTeredoStatusPeers runs `transit6 teredo status --peers` against a
// status socket served by teredoio.Serve (no daemon): the text form is the
// status, a blank line and the peer table; without --peers the table and
// the JSON "peers" are left out, the count is not.
func TestTeredoStatusPeers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.sock")
	ln, err := teredoio.Listen(path)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	t.Cleanup(func() {
		cancel()
		<-done
	})
	want := teredoio.Status{
		Type:      "relay",
		State:     "online",
		RelayBind: netip.MustParseAddrPort("198.51.100.10:3544"),
		Prefix:    netip.MustParsePrefix("2001::/32"),
		Counters:  map[string]uint64{"rx-trusted": 12, "tx-sent": 9},
		NumPeers:  2,
		Peers: []teredoio.PeerStatus{
			{
				Addr:    netip.MustParseAddr("2001:0:c633:6401:0:3caf:34ff:8eeb"),
				Mapping: netip.MustParseAddrPort("203.0.113.20:50000"),
				Trusted: true,
				Bubbles: 2,
				LastRx:  "2026-11-26T00:00:30Z",
				LastTx:  "2026-11-26T00:00:31Z",
			},
			{
				Addr:    netip.MustParseAddr("2001:0:c633:6401:8000:1e2:3fcc:8aaa"),
				Mapping: netip.MustParseAddrPort("198.51.100.77:61000"),
				Testing: "bubble",
				Bubbles: 4,
				Queued:  2,
			},
		},
	}
	go func() { done <- teredoio.Serve(ctx, ln, func() teredoio.Status { return want }) }()

	out, errOut, st := runCmd(t, "", "teredo", "status", "--peers", "--socket", path)
	require.Equal(t, 0, st, errOut)
	var text, table bytes.Buffer
	require.NoError(t, want.WriteText(&text))
	require.NoError(t, want.WritePeers(&table))
	assert.Equal(t, text.String()+"\n"+table.String(), out)
	// The rows carry the peers' values (the table's layout is checked in
	// teredoio's TestStatusWritePeers).
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.GreaterOrEqual(t, len(lines), 5)
	rows := lines[len(lines)-4:]
	assert.Equal(t, "", lines[len(lines)-5], "a blank line before the table")
	assert.Equal(t, "2 peers", rows[0])
	assert.True(t, strings.HasPrefix(rows[1], "PEER "), rows[1])
	rows = rows[1:]
	assert.Equal(t, []string{"2001:0:c633:6401:0:3caf:34ff:8eeb", "203.0.113.20:50000", "trusted", "-", "2", "0",
		"2026-11-26T00:00:30Z", "2026-11-26T00:00:31Z"}, strings.Fields(rows[1]))
	assert.Equal(t, []string{"2001:0:c633:6401:8000:1e2:3fcc:8aaa", "198.51.100.77:61000", "untrusted", "bubble", "4", "2",
		"-", "-"}, strings.Fields(rows[2]))

	// Without --peers: the status alone.
	out, errOut, st = runCmd(t, "", "teredo", "status", "--socket", path)
	require.Equal(t, 0, st, errOut)
	assert.Equal(t, text.String(), out)
	assert.NotContains(t, out, "2001:0:c633:6401")

	out, errOut, st = runCmd(t, "", "teredo", "status", "--json", "--peers", "--socket", path)
	require.Equal(t, 0, st, errOut)
	objs := jsonLines(t, out)
	require.Len(t, objs, 1)
	assert.Equal(t, float64(2), objs[0]["num_peers"])
	peers, ok := objs[0]["peers"].([]any)
	require.True(t, ok, "peers: %v", objs[0]["peers"])
	require.Len(t, peers, 2)
	assert.Equal(t, map[string]any{
		"addr": "2001:0:c633:6401:8000:1e2:3fcc:8aaa", "mapping": "198.51.100.77:61000", "trusted": false,
		"testing": "bubble", "bubbles": float64(4), "queued": float64(2),
	}, peers[1])

	out, errOut, st = runCmd(t, "", "teredo", "status", "--json", "--socket", path)
	require.Equal(t, 0, st, errOut)
	objs = jsonLines(t, out)
	require.Len(t, objs, 1)
	assert.Equal(t, float64(2), objs[0]["num_peers"])
	assert.NotContains(t, objs[0], "peers")
}
