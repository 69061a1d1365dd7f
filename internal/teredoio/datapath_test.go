package teredoio

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/packet"
	"github.com/transit6/transit6/teredo"
)

// fakeConn records the datagrams written to it.
type fakeConn struct {
	sent [][]byte
	to   []netip.AddrPort
}

func (c *fakeConn) ReadBatch(bufs [][]byte, sizes []int, from []netip.AddrPort, offset int) (int, error) {
	return 0, nil
}

func (c *fakeConn) WriteBatch(bufs [][]byte, to []netip.AddrPort, offset int) (int, error) {
	c.sent = append(c.sent, bufs...)
	c.to = append(c.to, to[:len(bufs)]...)
	return len(bufs), nil
}

// fakeDev records the packets written to it.
type fakeDev struct{ written [][]byte }

func (d *fakeDev) Read(bufs [][]byte, sizes []int, offset int) (int, error) { return 0, nil }

func (d *fakeDev) Write(bufs [][]byte, offset int) (int, error) {
	d.written = append(d.written, bufs...)
	return len(bufs), nil
}

var (
	testGlobal  = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}
	testServer  = netip.MustParseAddr("198.51.100.1")
	testMapping = netip.MustParseAddrPort("198.51.100.20:40000")
	testNative  = netip.MustParseAddr("2001:db8:1::100")
)

// udpPacket builds an IPv6 UDP packet of size bytes in all.
func udpPacket(t testing.TB, src, dst netip.Addr, size int) []byte {
	t.Helper()
	b, err := packet.AppendUDP6(make([]byte, packet.IPv6HeaderLen), packet.UDPHeader{SrcPort: 5000, DstPort: 5001}, src, dst, make([]byte, size-48))
	require.NoError(t, err)
	p, err := packet.PrependIPv6(b, packet.IPv6HeaderLen, &packet.IPv6Header{NextHeader: packet.ProtoUDP, HopLimit: 64, Src: src, Dst: dst})
	require.NoError(t, err)
	require.Len(t, p, size)
	return p
}

// TestRelayForwarding runs a relay's data path on fakes: a client's packet
// at its embedded mapping (RFC 4380 §5.4.2) reaches the TUN device from the
// receive buffer, and the answer goes back to the mapping from the TUN read
// buffer, both without copying or allocating.
func TestRelayForwarding(t *testing.T) {
	node, err := teredo.NewNode(teredo.NodeConfig{Relay: true, Global: testGlobal})
	require.NoError(t, err)
	conn, dev := &fakeConn{}, &fakeDev{}
	dp := newDataPath(node, nil, conn, dev)

	client := addr.Teredo{Server: testServer, Client: testMapping}.Addr()
	toNative := udpPacket(t, client, testNative, 1280)
	toClient := udpPacket(t, testNative, client, 1280)

	// A batch of datagrams from the client (simple encapsulation).
	for i := range batchLen {
		dp.net.sizes[i] = copy(dp.net.bufs[i], toNative)
		dp.net.from[i] = testMapping
	}
	now := time.Unix(1000, 0)
	dp.fromNetwork(now, batchLen)
	require.Len(t, dev.written, batchLen, "delivered to the TUN device; counters:\n%s", node.Counters())
	assert.Equal(t, toNative, dev.written[0])
	assert.Same(t, &dp.net.bufs[0][0], &dev.written[0][0], "written from the receive buffer")
	p, ok := node.PeerInfo(client)
	require.True(t, ok)
	assert.True(t, p.Trusted, "case 3 trusts the client at its mapping")

	// A batch from the native side to the now trusted client.
	for i := range batchLen {
		dp.host.sizes[i] = copy(dp.host.bufs[i], toClient)
	}
	dp.fromHost(now, batchLen)
	require.Len(t, conn.sent, batchLen)
	assert.Equal(t, toClient, conn.sent[0])
	assert.Equal(t, testMapping, conn.to[0])
	assert.Same(t, &dp.host.bufs[0][0], &conn.sent[0][0], "sent from the TUN read buffer")

	// The forwarding loops allocate nothing per packet.
	conn.sent, conn.to, dev.written = conn.sent[:0], conn.to[:0], dev.written[:0]
	allocs := testing.AllocsPerRun(50, func() {
		conn.sent, conn.to, dev.written = conn.sent[:0], conn.to[:0], dev.written[:0]
		dp.fromNetwork(now, batchLen)
		dp.fromHost(now, batchLen)
	})
	assert.Zero(t, allocs, "allocations per batch of %d packets each way", batchLen)
}

// TestRelayUnknownClient: a packet to a client the relay has not heard
// from is held, and bubbles go out (direct to the mapping, indirect through
// the client's server) instead of the packet.
func TestRelayUnknownClient(t *testing.T) {
	node, err := teredo.NewNode(teredo.NodeConfig{Relay: true, Global: testGlobal})
	require.NoError(t, err)
	conn, dev := &fakeConn{}, &fakeDev{}
	dp := newDataPath(node, nil, conn, dev)
	client := addr.Teredo{Server: testServer, Client: testMapping}.Addr()
	dp.host.sizes[0] = copy(dp.host.bufs[0], udpPacket(t, testNative, client, 100))
	dp.fromHost(time.Unix(1000, 0), 1)
	require.Len(t, conn.sent, 2, "two bubbles; counters:\n%s", node.Counters())
	assert.ElementsMatch(t, []netip.AddrPort{testMapping, netip.AddrPortFrom(testServer, teredo.ServerPort)}, conn.to)
	for _, b := range conn.sent {
		var p teredo.Packet
		require.NoError(t, p.Decode(b))
		assert.True(t, p.IsBubble())
	}
	assert.Empty(t, dev.written)
}
