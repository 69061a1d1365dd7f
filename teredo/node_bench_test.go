package teredo_test

import (
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/transit6/transit6/teredo"
)

// benchPeerCounts are the sizes of the peer list the benchmarks sweep: a
// client's and a busy relay's.
var benchPeerCounts = []int{1_000, 1_000_000}

// benchPeer returns the address and mapping of the i-th distinct peer of
// the benchmarks (i < 1<<24): i spreads over the server's last byte, the
// mapping's last byte and its port.
func benchPeer(i int) (netip.Addr, netip.AddrPort) {
	srv := netip.AddrFrom4([4]byte{198, 51, 100, byte(i >> 16)})
	m := netip.AddrPortFrom(netip.AddrFrom4([4]byte{203, 0, 113, byte(i >> 8)}), 1024+uint16(i&0xff))
	return ndTeredo(srv, m), m
}

// benchFill returns a client node whose list holds n trusted peers (case
// 3 bubbles), at most max.
func benchFill(tb testing.TB, n, max int) *ndNode {
	h := ndNew(tb, teredo.NodeConfig{MaxPeers: max})
	var p teredo.Packet
	buf := make([]byte, 0, 64)
	for i := range n {
		a, m := benchPeer(i)
		b, _ := teredo.AppendBubble(buf[:0], nil, a, ndAddrA, 0)
		if err := p.Decode(b); err != nil {
			tb.Fatal(err)
		}
		if _, err := h.N.Receive(h.Now, m, &p, false, &h.Out); err != nil {
			tb.Fatal(err)
		}
	}
	return h
}

// benchFilled caches a filled node per size for the benchmarks that only
// look peers up (filling a million takes a second).
var benchFilled = struct {
	sync.Mutex
	m map[int]*ndNode
}{m: map[int]*ndNode{}}

func benchFilledNode(b *testing.B, n int) *ndNode {
	benchFilled.Lock()
	defer benchFilled.Unlock()
	h := benchFilled.m[n]
	if h == nil {
		h = benchFill(b, n, max(n, teredo.DefaultMaxPeers))
		benchFilled.m[n] = h
	}
	h.tb = b
	return h
}

func peersName(n int) string { return "peers=" + strconv.Itoa(n) }

// BenchmarkNodeTransmit: a 1280-byte packet from the host to a trusted
// peer (RFC 4380 §5.2.4 case 1), one of n in the list.
func BenchmarkNodeTransmit(b *testing.B) {
	for _, n := range benchPeerCounts {
		b.Run(peersName(n), func(b *testing.B) {
			h := benchFilledNode(b, n)
			pkts := make([][]byte, 64)
			for i := range pkts {
				a, _ := benchPeer(i * (n / len(pkts)))
				pkts[i] = ndData(ndAddrA, a, 0, 1240)
			}
			b.ReportAllocs()
			b.SetBytes(1280)
			i := 0
			for b.Loop() {
				if _, err := h.N.Transmit(h.Now, pkts[i&63], &h.Out); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkNodeReceive: a 1280-byte packet from a trusted peer at its
// mapping (case 1), and a packet from a new peer at the mapping its
// address embeds (case 3: an insertion, which evicts from the full list).
func BenchmarkNodeReceive(b *testing.B) {
	for _, n := range benchPeerCounts {
		b.Run("trusted/"+peersName(n), func(b *testing.B) {
			h := benchFilledNode(b, n)
			type in struct {
				p    teredo.Packet
				from netip.AddrPort
			}
			ins := make([]in, 64)
			for i := range ins {
				a, m := benchPeer(i * (n / len(ins)))
				if err := ins[i].p.Decode(ndData(a, ndAddrA, 0, 1240)); err != nil {
					b.Fatal(err)
				}
				ins[i].from = m
			}
			b.ReportAllocs()
			b.SetBytes(1280)
			i := 0
			for b.Loop() {
				x := &ins[i&63]
				if ok, err := h.N.Receive(h.Now, x.from, &x.p, false, &h.Out); !ok || err != nil {
					b.Fatal(ok, err)
				}
				i++
			}
		})
		b.Run("insert/"+peersName(n), func(b *testing.B) {
			h := benchFill(b, n, n) // full: every insertion evicts
			const batch = 1 << 12
			pkts := make([][]byte, batch)
			froms := make([]netip.AddrPort, batch)
			next := n
			refill := func() {
				for k := range pkts {
					a, m := benchPeer(next % (1 << 24))
					next++
					pkts[k], froms[k] = ndData(a, ndAddrA, 0, 1240), m
				}
			}
			refill()
			var p teredo.Packet
			b.ReportAllocs()
			b.SetBytes(1280)
			k := 0
			for b.Loop() {
				if k == batch {
					b.StopTimer()
					refill()
					k = 0
					b.StartTimer()
				}
				if err := p.Decode(pkts[k]); err != nil {
					b.Fatal(err)
				}
				if ok, err := h.N.Receive(h.Now, froms[k], &p, false, &h.Out); !ok || err != nil {
					b.Fatal(ok, err)
				}
				k++
			}
			if h.N.NumPeers() != n {
				b.Fatal(h.N.NumPeers())
			}
		})
	}
}

// BenchmarkNodePeerMemory measures the heap a list of n trusted peers
// holds, per peer (runtime.MemStats before and after filling it); the
// loop looks one up.
func BenchmarkNodePeerMemory(b *testing.B) {
	for _, n := range benchPeerCounts {
		b.Run(peersName(n), func(b *testing.B) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			h := benchFill(b, n, n)
			runtime.GC()
			runtime.ReadMemStats(&after)
			perPeer := float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
			a, _ := benchPeer(n / 2)
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := h.N.PeerInfo(a); !ok {
					b.Fatal("lost")
				}
			}
			b.ReportMetric(perPeer, "bytes/peer")
			b.ReportMetric(float64(h.N.PeerMemory())/float64(n), "est-bytes/peer")
			runtime.KeepAlive(h)
		})
	}
}
