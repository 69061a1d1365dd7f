package teredo_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/teredo"
)

// TestNodeNoAllocs: the data path's hot paths do not allocate once the
// peer list, the queues and the NodeOutput have grown.
func TestNodeNoAllocs(t *testing.T) {
	h := ndNew(t, teredo.NodeConfig{})
	h.trustB()
	data := ndData(ndAddrA, ndAddrB, 1, 1240)
	var fromB, bubbleB, origin teredo.Packet
	require.NoError(t, fromB.Decode(ndData(ndAddrB, ndAddrA, 1, 1240)))
	require.NoError(t, bubbleB.Decode(ndBubble(t, ndAddrB, ndAddrA, netip.AddrPort{})))
	require.NoError(t, origin.Decode(ndBubble(t, ndAddrB, ndAddrA, netip.MustParseAddrPort("198.51.100.50:7000"))))
	tick := func() { h.Now = h.Now.Add(time.Millisecond) }

	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"Transmit trusted", func() {
			tick()
			to, err := h.N.Transmit(h.Now, data, &h.Out)
			if err != nil || to != ndMapB {
				t.Fatal(to, err)
			}
		}},
		{"Receive case 1", func() {
			tick()
			ok, err := h.N.Receive(h.Now, ndMapB, &fromB, false, &h.Out)
			if err != nil || !ok {
				t.Fatal(ok, err)
			}
		}},
		{"Receive case 1 bubble", func() {
			tick()
			if _, err := h.N.Receive(h.Now, ndMapB, &bubbleB, false, &h.Out); err != nil {
				t.Fatal(err)
			}
		}},
		{"Receive origin indication", func() {
			tick()
			if _, err := h.N.Receive(h.Now, ndSrvAP, &origin, true, &h.Out); err != nil || len(h.Out.Send) != 1 {
				t.Fatal(err)
			}
		}},
		{"Tick", func() {
			tick()
			h.N.Tick(h.Now, &h.Out)
			_ = h.N.NextDeadline()
		}},
		{"refresh", func() {
			// Stale: sent, a probe goes out; the answer settles it.
			h.Now = h.Now.Add(teredo.PeerValidity)
			to, err := h.N.Transmit(h.Now, data, &h.Out)
			if err != nil || to != ndMapB || len(h.Out.Send) != 2 {
				t.Fatal(to, err, len(h.Out.Send))
			}
			if _, err := h.N.Receive(h.Now, ndMapB, &bubbleB, false, &h.Out); err != nil {
				t.Fatal(err)
			}
		}},
		{"queue and flush", func() {
			// The peer's refresh fails, new packets are held, its answer
			// flushes them; buffers and queues are reused.
			h.Now = h.Now.Add(teredo.PeerValidity)
			if _, err := h.N.Transmit(h.Now, data, &h.Out); err != nil {
				t.Fatal(err)
			}
			for range teredo.BubbleLimit {
				h.Now = h.Now.Add(teredo.ProbeInterval)
				h.N.Tick(h.Now, &h.Out)
			}
			if p, _ := h.N.PeerInfo(ndAddrB); p.Trusted {
				t.Fatal("still trusted")
			}
			if _, err := h.N.Transmit(h.Now, data, &h.Out); err != nil {
				t.Fatal(err)
			}
			if _, err := h.N.Transmit(h.Now, data, &h.Out); err != nil {
				t.Fatal(err)
			}
			if _, err := h.N.Receive(h.Now, ndMapB, &bubbleB, false, &h.Out); err != nil || len(h.Out.Send) != 2 {
				t.Fatal(err, len(h.Out.Send))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.f() // grow
			assert.Zero(t, testing.AllocsPerRun(100, tc.f))
		})
	}
}
