package teredo_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/teredo"
)

// localPair returns two clients behind one NAT that does not hairpin,
// each trusting the other at its local address after local discovery
// (RFC 4380 §5.2.8, receive cases 4 and 5), and the time of the last
// packet A received from B.
func localPair(t *testing.T) (a, b *neighbour, last time.Time) {
	t.Helper()
	a = newNeighbour(t, 1, netip.MustParseAddrPort("10.0.2.2:40001"), netip.MustParseAddrPort("198.51.100.30:40001"), true)
	b = newNeighbour(t, 2, netip.MustParseAddrPort("10.0.2.3:40002"), netip.MustParseAddrPort("198.51.100.30:40002"), true)
	a.node.Tick(epoch, &a.out)
	now := epoch.Add(100 * time.Second)
	b.node.Tick(now, &b.out)
	fromA := lan(t, now, b, a, copySend(&b.out))
	fromB := lan(t, now, a, b, fromA)
	lan(t, now, b, a, fromB)
	p, ok := a.node.PeerInfo(b.addr)
	require.True(t, ok)
	require.True(t, p.Trusted, "A trusts B")
	require.Equal(t, b.local, p.Mapping, "at its local address")
	require.Equal(t, now, p.LastRx, "B's last packet")
	require.False(t, p.LastTx.After(now))
	return a, b, p.LastRx
}

// sentTo returns the destinations of what out holds to send.
func sentTo(out *teredo.NodeOutput) []netip.AddrPort {
	var r []netip.AddrPort
	for _, d := range out.Send {
		r = append(r, d.To)
	}
	return r
}

// TestNodeLocalValidity (teredo.md §9.19, RFC 4380 §5.2.8): a peer found
// by local discovery stays valid LocalPeerValidity (600 s) after its last
// packet, not PeerValidity (30 s). The node treats it as fresh while
// now - last < 600 s, so the last valid instant is 600 s - 1 ns; at 600 s
// a packet still goes to the local address and a refresh probe starts
// (the unicast bubble to the local address and a discovery bubble among
// it); an idle entry leaves the list at the first expiry pass at or after
// 600 s.
func TestNodeLocalValidity(t *testing.T) {
	require.Equal(t, 600*time.Second, teredo.LocalPeerValidity)
	lastValid := teredo.LocalPeerValidity - time.Nanosecond

	t.Run("transmit", func(t *testing.T) {
		a, b, last := localPair(t)
		for i, d := range []time.Duration{teredo.PeerValidity, 599*time.Second + 900*time.Millisecond, lastValid} {
			to, err := a.node.Transmit(last.Add(d), ndData(a.addr, b.addr, byte(i+1), 10), &a.out)
			require.NoError(t, err)
			assert.Equal(t, b.local, to, "at %v", d)
			assert.Empty(t, a.out.Send, "fresh at %v: no refresh probe", d)
			p, _ := a.node.PeerInfo(b.addr)
			assert.True(t, p.Trusted)
			assert.Empty(t, p.Testing, "at %v", d)
		}
		to, err := a.node.Transmit(last.Add(teredo.LocalPeerValidity), ndData(a.addr, b.addr, 9, 10), &a.out)
		require.NoError(t, err)
		assert.Equal(t, b.local, to, "stale at 600 s: still sent to the local address")
		dst := sentTo(&a.out)
		assert.Contains(t, dst, b.local, "refresh: unicast bubble to the local address")
		assert.Contains(t, dst, teredo.DiscoveryGroup, "refresh: discovery bubble")
		p, _ := a.node.PeerInfo(b.addr)
		assert.True(t, p.Trusted, "trusted while the refresh runs")
		assert.Equal(t, "bubble", p.Testing)
	})

	t.Run("listed at 600 s - 1 ns", func(t *testing.T) {
		a, b, last := localPair(t)
		before := a.node.Counters().Get(teredo.NodeExpired)
		a.node.Tick(last.Add(lastValid), &a.out)
		p, listed := a.node.PeerInfo(b.addr)
		require.True(t, listed, "idle for less than 600 s")
		assert.True(t, p.Trusted)
		assert.Equal(t, before, a.node.Counters().Get(teredo.NodeExpired))
		// The next expiry pass (one per second of Ticks) removes it.
		a.node.Tick(last.Add(lastValid+time.Second), &a.out)
		_, listed = a.node.PeerInfo(b.addr)
		assert.False(t, listed, "idle for 601 s - 1 ns")
		assert.Equal(t, before+1, a.node.Counters().Get(teredo.NodeExpired))
	})

	t.Run("expired at 600 s", func(t *testing.T) {
		a, b, last := localPair(t)
		before := a.node.Counters().Get(teredo.NodeExpired)
		a.node.Tick(last.Add(teredo.LocalPeerValidity), &a.out)
		_, listed := a.node.PeerInfo(b.addr)
		assert.False(t, listed, "idle for 600 s")
		assert.Equal(t, before+1, a.node.Counters().Get(teredo.NodeExpired))
	})
}
