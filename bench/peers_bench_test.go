package bench

// The Teredo peer list (issue 5, "Peer table"): lookups and inserts through
// the data path's own entry points, with 1,000 and 1,000,000 peers, and the
// memory each peer costs. A lookup is Node.Transmit to a trusted peer (the
// relay's forwarding decision for a native packet); an insert is
// Node.Receive from a client the relay has not seen, at its embedded
// mapping (RFC 4380 §5.4.2), which creates a trusted entry.

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/packet"
	"github.com/transit6/transit6/teredo"
)

var peerGlobal = []netip.Prefix{netip.MustParsePrefix("198.18.0.0/15"), netip.MustParsePrefix("198.51.100.0/24")}

// peerClient returns the i-th client: a distinct mapping in 198.18.0.0/15.
func peerClient(i int) (netip.Addr, netip.AddrPort) {
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], 0xc6120000|uint32(i>>6)&0x1ffff)
	m := netip.AddrPortFrom(netip.AddrFrom4(a), uint16(1024+i&63))
	return addr.Teredo{Server: netip.MustParseAddr("198.51.100.1"), Client: m}.Addr(), m
}

// peerPacket builds an IPv6 packet of n bytes (UDP, zero payload).
func peerPacket(b testing.TB, src, dst netip.Addr, n int) []byte {
	u, err := packet.AppendUDP6(make([]byte, packet.IPv6HeaderLen), packet.UDPHeader{SrcPort: 1, DstPort: 2}, src, dst, make([]byte, n-48))
	if err != nil {
		b.Fatal(err)
	}
	p, err := packet.PrependIPv6(u, packet.IPv6HeaderLen, &packet.IPv6Header{NextHeader: packet.ProtoUDP, HopLimit: 64, Src: src, Dst: dst})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

var native = netip.MustParseAddr("2001:db8:1::100")

// fillRelay returns a relay node trusting n clients, and the heap bytes
// they took.
func fillRelay(b *testing.B, n int) (*teredo.Node, uint64) {
	b.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	node, err := teredo.NewNode(teredo.NodeConfig{Relay: true, Global: peerGlobal, MaxPeers: n})
	if err != nil {
		b.Fatal(err)
	}
	var out teredo.NodeOutput
	var p teredo.Packet
	now := time.Unix(1000, 0)
	buf := peerPacket(b, native, native, 48) // rewritten per client
	for i := range n {
		c, m := peerClient(i)
		a := c.As16()
		copy(buf[8:24], a[:])
		if err := p.Decode(buf); err != nil {
			b.Fatal(err)
		}
		if ok, err := node.Receive(now, m, &p, false, &out); !ok || err != nil {
			b.Fatalf("client %d: %v %v", i, ok, err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if node.NumPeers() != n {
		b.Fatalf("%d peers, want %d", node.NumPeers(), n)
	}
	return node, after.HeapAlloc - before.HeapAlloc
}

func BenchmarkPeerTable(b *testing.B) {
	for _, n := range []int{1000, 1000000} {
		b.Run(fmt.Sprintf("lookup/peers=%d", n), func(b *testing.B) {
			node, mem := fillRelay(b, n)
			pkts := make([][]byte, 1024)
			for i := range pkts {
				c, _ := peerClient(i * (n / len(pkts)))
				pkts[i] = peerPacket(b, native, c, 1280)
			}
			var out teredo.NodeOutput
			now := time.Unix(1001, 0)
			b.ReportAllocs()
			b.SetBytes(1280)
			i := 0
			for b.Loop() {
				if to, err := node.Transmit(now, pkts[i&1023], &out); !to.IsValid() || err != nil {
					b.Fatal(to, err)
				}
				i++
			}
			b.ReportMetric(float64(mem)/float64(n), "heapB/peer")
		})
		b.Run(fmt.Sprintf("insert/peers=%d", n), func(b *testing.B) {
			// A full list of n: every insert evicts the least recently
			// seen of a sample, as a flood of new clients would.
			node, _ := fillRelay(b, n)
			var out teredo.NodeOutput
			var p teredo.Packet
			buf := peerPacket(b, native, native, 1280)
			now := time.Unix(1001, 0)
			b.ReportAllocs()
			b.SetBytes(1280)
			i := n
			for b.Loop() {
				c, m := peerClient(i % (1 << 23))
				a := c.As16()
				copy(buf[8:24], a[:])
				if err := p.Decode(buf); err != nil {
					b.Fatal(err)
				}
				if ok, err := node.Receive(now, m, &p, false, &out); !ok || err != nil {
					b.Fatal(ok, err)
				}
				i++
			}
		})
	}
}
