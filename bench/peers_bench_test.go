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
	"math/rand/v2"
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

// benchPeerLookup fills a relay with n trusted clients and times
// Transmit of a native packet to the clients idx[0], idx[1], ... in turn,
// cycling. One packet is reused: its destination is rewritten from a
// precomputed list of addresses (16 bytes read in order, which the CPU
// prefetches), so the packets themselves do not compete with the table
// for the caches.
func benchPeerLookup(b *testing.B, n int, idx []int) {
	node, mem := fillRelay(b, n)
	dsts := make([][16]byte, len(idx))
	pkt := peerPacket(b, native, native, 1280)
	var out teredo.NodeOutput
	now := time.Unix(1001, 0)
	for k, i := range idx {
		c, m := peerClient(i)
		dsts[k] = c.As16()
		// Untimed: each lookup finds its own client's mapping.
		copy(pkt[24:40], dsts[k][:])
		if to, err := node.Transmit(now, pkt, &out); to != m || err != nil {
			b.Fatalf("client %d: %v %v, want %v", i, to, err, m)
		}
	}
	b.ReportAllocs()
	b.SetBytes(1280)
	k := 0
	for b.Loop() {
		copy(pkt[24:40], dsts[k][:])
		if to, err := node.Transmit(now, pkt, &out); !to.IsValid() || err != nil {
			b.Fatal(to, err)
		}
		if k++; k == len(dsts) {
			k = 0
		}
	}
	b.ReportMetric(float64(mem)/float64(n), "heapB/peer")
}

func BenchmarkPeerTable(b *testing.B) {
	for _, n := range []int{1000, 1000000} {
		// hot cycles over 1,024 lookups of peers spaced n/1,024 apart
		// (all 1,000 at n = 1,000): their entries
		// and index slots stay in the CPU's caches, so at a million peers
		// it is the best case. spread looks up min(n, 65,536) distinct
		// peers drawn at random from all n, in a fixed pseudo-random
		// order, as a relay serving many clients at once would: at a
		// million peers most lookups miss the caches.
		for _, v := range []struct {
			name  string
			peers func(n int) []int
		}{
			{"hot", func(n int) []int {
				idx := make([]int, 1024)
				for i := range idx {
					idx[i] = i * n / len(idx) // (not i * (n / 1024): 0 for n < 1024)
				}
				return idx
			}},
			{"spread", func(n int) []int {
				r := rand.New(rand.NewPCG(1, 2))
				return r.Perm(n)[:min(n, 1<<16)]
			}},
		} {
			b.Run(fmt.Sprintf("lookup/%s/peers=%d", v.name, n), func(b *testing.B) {
				benchPeerLookup(b, n, v.peers(n))
			})
		}
		b.Run(fmt.Sprintf("insert/peers=%d", n), func(b *testing.B) {
			// A full list of n trusted clients: every insert evicts one.
			// The new client is trusted on arrival (case 3), so the
			// untrusted list stays empty and the victim is the least
			// recently seen of the 16 slots from the eviction hand
			// (sampled LRU); all clients were seen at fill time or at
			// the (fixed) benchmark time, so in effect the hand walks
			// the slots in order, as under a flood of new clients.
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
