package teredo_test

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/teredo"
)

// neighbour is a client node behind a NAT that does not hairpin: its
// Teredo address embeds the NAT's public mapping, its neighbours see its
// local address.
type neighbour struct {
	node  *teredo.Node
	addr  netip.Addr
	local netip.AddrPort
	out   teredo.NodeOutput
}

func newNeighbour(t *testing.T, seed uint64, local, public netip.AddrPort, discovery bool) *neighbour {
	t.Helper()
	server := netip.MustParseAddr("198.51.100.1")
	n, err := teredo.NewNode(teredo.NodeConfig{
		Global:         []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")},
		LocalDiscovery: discovery,
		Rand:           rand.NewChaCha8([32]byte{byte(seed)}),
	})
	require.NoError(t, err)
	a := addr.Teredo{Server: server, Flags: 0x0100 * uint16(seed), Client: public}.Addr()
	n.SetAddress(epoch, a, netip.AddrPortFrom(server, teredo.ServerPort))
	return &neighbour{node: n, addr: a, local: local}
}

var epoch = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// lan delivers what from sent to DiscoveryGroup or to to's local address,
// as the local link would (and the NAT, which does not hairpin, drops what
// went to the public mappings); it returns what to sent in response.
func lan(t *testing.T, now time.Time, from, to *neighbour, sent []teredo.NodeDatagram) []teredo.NodeDatagram {
	t.Helper()
	var answers []teredo.NodeDatagram
	for _, d := range sent {
		if d.To != teredo.DiscoveryGroup && d.To != to.local {
			continue
		}
		var p teredo.Packet
		require.NoError(t, p.Decode(d.Payload))
		_, err := to.node.Receive(now, from.local, &p, false, &to.out)
		require.NoError(t, err)
		for _, a := range to.out.Send {
			answers = append(answers, teredo.NodeDatagram{To: a.To, Payload: append([]byte(nil), a.Payload...)})
		}
	}
	return answers
}

func copySend(o *teredo.NodeOutput) []teredo.NodeDatagram {
	var r []teredo.NodeDatagram
	for _, d := range o.Send {
		r = append(r, teredo.NodeDatagram{To: d.To, Payload: append([]byte(nil), d.Payload...)})
	}
	return r
}

// TestLocalDiscovery: two clients behind one NAT that does not hairpin
// reach each other only through local discovery (RFC 4380 §5.2.8; receive
// cases 4 and 5), even when one starts 100 s after the other.
func TestLocalDiscovery(t *testing.T) {
	a := newNeighbour(t, 1, netip.MustParseAddrPort("10.0.2.2:40001"), netip.MustParseAddrPort("198.51.100.30:40001"), true)
	b := newNeighbour(t, 2, netip.MustParseAddrPort("10.0.2.3:40002"), netip.MustParseAddrPort("198.51.100.30:40002"), true)

	// A's first discovery bubble, at its first Tick, goes to the group
	// with hop limit 1 and destination ff02::1; B is not listening yet.
	a.node.Tick(epoch, &a.out)
	require.Len(t, a.out.Send, 1)
	assert.Equal(t, teredo.DiscoveryGroup, a.out.Send[0].To)
	var p teredo.Packet
	require.NoError(t, p.Decode(a.out.Send[0].Payload))
	assert.True(t, p.IsBubble())
	assert.Equal(t, netip.MustParseAddr("ff02::1"), p.IPv6().Dst())
	assert.Equal(t, uint8(1), p.IPv6().HopLimit())
	assert.Equal(t, a.addr, p.IPv6().Src())
	next := a.node.NextDeadline().Sub(epoch)
	assert.True(t, next >= teredo.DiscoveryIntervalMin && next <= teredo.DiscoveryIntervalMax, "next discovery in %v", next)

	// B starts 100 s later: its discovery bubble makes A answer with its
	// own discovery bubble and a unicast bubble; B's answer to those
	// makes each trust the other at its local address.
	now := epoch.Add(100 * time.Second)
	b.node.Tick(now, &b.out)
	fromB := copySend(&b.out)
	fromA := lan(t, now, b, a, fromB)
	fromB = lan(t, now, a, b, fromA)
	lan(t, now, b, a, fromB)

	pa, ok := a.node.PeerInfo(b.addr)
	require.True(t, ok)
	assert.True(t, pa.Trusted, "A trusts B")
	assert.Equal(t, b.local, pa.Mapping, "at its local address")
	pb, ok := b.node.PeerInfo(a.addr)
	require.True(t, ok)
	assert.True(t, pb.Trusted, "B trusts A")
	assert.Equal(t, a.local, pb.Mapping)

	// Traffic goes straight to the local address, and local peers stay
	// valid for 600 s without a refresh probe.
	pkt := ndData(a.addr, b.addr, 1, 100)
	to, err := a.node.Transmit(now.Add(500*time.Second), pkt, &a.out)
	require.NoError(t, err)
	assert.Equal(t, b.local, to)
	assert.Empty(t, a.out.Send, "no refresh probe within 600 s")
	var q teredo.Packet
	require.NoError(t, q.Decode(pkt))
	deliver, err := b.node.Receive(now.Add(500*time.Second), a.local, &q, false, &b.out)
	require.NoError(t, err)
	assert.True(t, deliver)
	assert.Positive(t, b.node.Counters().Get(teredo.NodeRxLocal)+b.node.Counters().Get(teredo.NodeRxTrusted))
}

// TestLocalDiscoveryOff: without the option, discovery bubbles are
// multicast packets like any other (dropped) and none is sent.
func TestLocalDiscoveryOff(t *testing.T) {
	a := newNeighbour(t, 1, netip.MustParseAddrPort("10.0.2.2:40001"), netip.MustParseAddrPort("198.51.100.30:40001"), true)
	b := newNeighbour(t, 2, netip.MustParseAddrPort("10.0.2.3:40002"), netip.MustParseAddrPort("198.51.100.30:40002"), false)
	b.node.Tick(epoch, &b.out)
	for _, d := range b.out.Send {
		assert.NotEqual(t, teredo.DiscoveryGroup, d.To)
	}
	a.node.Tick(epoch, &a.out)
	var p teredo.Packet
	require.NoError(t, p.Decode(a.out.Send[0].Payload))
	_, err := b.node.Receive(epoch, a.local, &p, false, &b.out)
	assert.ErrorIs(t, err, teredo.ErrNodeMulticast)
	_, ok := b.node.PeerInfo(a.addr)
	assert.False(t, ok)
	_, err = teredo.NewNode(teredo.NodeConfig{Relay: true, LocalDiscovery: true})
	assert.ErrorIs(t, err, teredo.ErrNodeConfig)
}
