package teredoio_test

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/internal/teredoio"
)

// peersStatus is a client's data path with three peers, one per state a
// user asks about (teredo.md §6.2, "qualified but no traffic"):
//   - a Teredo peer trusted at the mapping embedded in its address
//     (port 50000 ^ 0xffff = 0x3caf, 203.0.113.20 = ~cb007114 = 34ff8eeb),
//     with traffic both ways;
//   - a Teredo peer under a bubble test at a mapping being tried, with
//     packets held for it and no reply yet;
//   - a native IPv6 host under an echo test: no mapping yet, nothing sent
//     or received. Its address is the longest an IPv6 address prints
//     (39 characters), so the PEER column is full.
//
// The list holds 5 peers, of which 3 are shown.
var peersStatus = teredoio.Status{
	Type:     "client",
	State:    "qualified",
	NumPeers: 5,
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
			Mapping: netip.MustParseAddrPort("198.51.100.255:65535"),
			Testing: "bubble",
			Bubbles: 14,
			Queued:  3,
			LastTx:  "2026-11-26T00:01:00Z",
		},
		{
			Addr:    netip.MustParseAddr("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"),
			Testing: "echo",
			Queued:  1,
		},
	},
}

// TestStatusWritePeers checks the table of `transit6 teredo status
// --peers` line by line, then column by column against the input.
func TestStatusWritePeers(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, peersStatus.WritePeers(&b))
	// Columns: PEER 40 wide, MAPPING 21, STATE 9, TEST 7, BUBBLES 7,
	// QUEUED 6, LAST RX 20, then LAST TX, one space between columns.
	assert.Equal(t, ""+
		"5 peers (first 3 shown)\n"+
		"PEER                                     MAPPING               STATE     TEST    BUBBLES QUEUED LAST RX              LAST TX\n"+
		"2001:0:c633:6401:0:3caf:34ff:8eeb        203.0.113.20:50000    trusted   -       2       0      2026-11-26T00:00:30Z 2026-11-26T00:00:31Z\n"+
		"2001:0:c633:6401:8000:1e2:3fcc:8aaa      198.51.100.255:65535  untrusted bubble  14      3      -                    2026-11-26T00:01:00Z\n"+
		"2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff   -                     untrusted echo    0       1      -                    -\n",
		b.String())

	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	require.Len(t, lines, 2+len(peersStatus.Peers))
	assert.Equal(t, strconv.Itoa(peersStatus.NumPeers)+" peers (first "+strconv.Itoa(len(peersStatus.Peers))+" shown)", lines[0])

	// Each column starts where the previous one's width and a space end.
	names := []string{"PEER", "MAPPING", "STATE", "TEST", "BUBBLES", "QUEUED", "LAST RX", "LAST TX"}
	widths := []int{40, 21, 9, 7, 7, 6, 20}
	starts := []int{0}
	for _, w := range widths {
		starts = append(starts, starts[len(starts)-1]+w+1)
	}
	require.Equal(t, []int{0, 41, 63, 73, 81, 89, 96, 117}, starts)
	col := func(line string, k int) string {
		end := len(line)
		if k+1 < len(starts) {
			end = starts[k+1] - 1
			require.Equal(t, byte(' '), line[end], "separator after column %s in %q", names[k], line)
		}
		return strings.TrimRight(line[starts[k]:end], " ")
	}
	for k, name := range names {
		assert.Equal(t, name, col(lines[1], k))
	}
	orDash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for i, p := range peersStatus.Peers {
		line := lines[2+i]
		assert.Equal(t, p.Addr.String(), col(line, 0), "peer %d", i)
		mapping := "-"
		if p.Mapping.IsValid() {
			mapping = p.Mapping.String()
		}
		assert.Equal(t, mapping, col(line, 1), "peer %d mapping", i)
		state := map[bool]string{true: "trusted", false: "untrusted"}[p.Trusted]
		assert.Equal(t, state, col(line, 2), "peer %d state", i)
		assert.Equal(t, orDash(p.Testing), col(line, 3), "peer %d test", i)
		assert.Equal(t, strconv.FormatUint(uint64(p.Bubbles), 10), col(line, 4), "peer %d bubbles", i)
		assert.Equal(t, strconv.Itoa(p.Queued), col(line, 5), "peer %d queued", i)
		assert.Equal(t, orDash(p.LastRx), col(line, 6), "peer %d last rx", i)
		assert.Equal(t, orDash(p.LastTx), col(line, 7), "peer %d last tx", i)
	}
}

// TestStatusWritePeersEmpty: no table header without peers, and no
// "first n shown" when all are listed.
func TestStatusWritePeersEmpty(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, (&teredoio.Status{Type: "relay"}).WritePeers(&b))
	assert.Equal(t, "0 peers\n", b.String())

	b.Reset()
	one := teredoio.Status{NumPeers: 1, Peers: peersStatus.Peers[2:]}
	require.NoError(t, one.WritePeers(&b))
	lines := strings.Split(b.String(), "\n")
	require.Len(t, lines, 4, "count, header, one peer, final newline")
	assert.Equal(t, "1 peers", lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "PEER "))
	assert.True(t, strings.HasPrefix(lines[2], "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff   -   "))
	assert.Empty(t, lines[3])

	b.Reset()
	// Not listed (a status read without --peers): the count only.
	require.NoError(t, (&teredoio.Status{NumPeers: 5}).WritePeers(&b))
	assert.Equal(t, "5 peers (first 0 shown)\n", b.String())
}

// TestStatusPeersJSON checks the JSON form of the peer list (what the
// status socket carries and `status --json --peers` prints): field names,
// the fields left out when zero, and the round trip.
func TestStatusPeersJSON(t *testing.T) {
	b, err := json.Marshal(&peersStatus)
	require.NoError(t, err)
	var raw struct {
		NumPeers int              `json:"num_peers"`
		Peers    []map[string]any `json:"peers"`
	}
	require.NoError(t, json.Unmarshal(b, &raw))
	assert.Equal(t, 5, raw.NumPeers)
	require.Len(t, raw.Peers, 3)
	assert.Equal(t, map[string]any{
		"addr":    "2001:0:c633:6401:0:3caf:34ff:8eeb",
		"mapping": "203.0.113.20:50000",
		"trusted": true,
		"bubbles": float64(2),
		"last_rx": "2026-11-26T00:00:30Z",
		"last_tx": "2026-11-26T00:00:31Z",
	}, raw.Peers[0])
	assert.Equal(t, map[string]any{
		"addr":    "2001:0:c633:6401:8000:1e2:3fcc:8aaa",
		"mapping": "198.51.100.255:65535",
		"trusted": false,
		"testing": "bubble",
		"bubbles": float64(14),
		"queued":  float64(3),
		"last_tx": "2026-11-26T00:01:00Z",
	}, raw.Peers[1])
	assert.Equal(t, map[string]any{
		"addr":    "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff",
		"trusted": false,
		"testing": "echo",
		"queued":  float64(1),
	}, raw.Peers[2], "no mapping, bubbles or times: left out")

	var back teredoio.Status
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, peersStatus, back)

	// Without peers the key is left out, the count is not.
	b, err = json.Marshal(&teredoio.Status{Type: "relay", NumPeers: 7})
	require.NoError(t, err)
	assert.Equal(t, `{"type":"relay","state":"","num_peers":7}`, string(b))
}
