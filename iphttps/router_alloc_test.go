package iphttps

import (
	"io"
	"net/netip"
	"testing"
	"time"
)

// The router's per-packet paths and the client's packet I/O do not
// allocate. Each run drains the queues it fills, as the writers do.
func TestRouterNoAllocs(t *testing.T) {
	r := newTestRouter(t, func(c *RouterConfig) { c.Addr = addrIn(1) })
	ss := clients(t, r, 0xa, 0xb)
	a, b := ss[0], ss[1]
	ext := netipMust("2001:db8:ffff::1")
	empty := func(s *Session) {
		for {
			run := s.Peek(1 << 20)
			if len(run) == 0 {
				return
			}
			s.Release(len(run))
		}
	}
	for _, tc := range []struct {
		name string
		from *Session // nil: the native side
		pkt  []byte
		want Verdict
	}{
		{"client to client", a, udpPkt(t, addrIn(0xa), addrIn(0xb), 1240), VerdictQueued},
		{"client to native", a, udpPkt(t, addrIn(0xa), ext, 1240), VerdictNative},
		{"native to client", nil, udpPkt(t, ext, addrIn(0xb), 1240), VerdictQueued},
		{"RS answered", a, rsPkt(t, llAddr(0xa)), VerdictLocal},
		{"DAD answered for another client", a, dadPkt(t, addrIn(0xb)), VerdictLocal},
		{"echo to the router", a, echoReq(t, addrIn(0xa), addrIn(1), 1), VerdictLocal},
		{"NS for the router", a, nsPkt(t, llAddr(0xa), solicitedNode(netipMust("fe80::1")), netipMust("fe80::1")), VerdictLocal},
		{"dropped: spoofed", a, udpPkt(t, addrIn(0xb), ext, 100), VerdictDrop},
		{"dropped: multicast", a, udpPkt(t, addrIn(0xa), netip.MustParseAddr("ff02::fb"), 100), VerdictDrop},
	} {
		var v Verdict
		n := testing.AllocsPerRun(1000, func() {
			if tc.from == nil {
				v, _ = r.FromNative(t0, tc.pkt)
			} else {
				v, _ = r.FromClient(t0, tc.from, tc.pkt)
			}
			empty(a)
			empty(b)
		})
		if v != tc.want {
			t.Errorf("%s: verdict %v, want %v", tc.name, v, tc.want)
		}
		if n != 0 {
			t.Errorf("%s: %v allocs, want 0", tc.name, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { r.Tick(t0.Add(24 * time.Hour)); empty(a); empty(b) }); n != 0 {
		t.Errorf("Tick: %v allocs, want 0", n)
	}
}

func TestConnNoAllocs(t *testing.T) {
	src := &loopReader{data: packetLoop(1280, 37), chunk: 16384}
	rd, err := NewReader(src, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &Conn{rd: rd, w: NewWriter(io.Discard, nil), addr: addrIn(0xa), ll: llAddr(0xa)}
	bufs := makeBatch(8, 10+1500)
	sizes := make([]int, len(bufs))
	if n := testing.AllocsPerRun(1000, func() { sinkInt, sinkErr = c.Read(bufs, sizes, 10) }); n != 0 {
		t.Errorf("Conn.Read: %v allocs, want 0", n)
	}
	if sinkErr != nil || sinkInt == 0 {
		t.Fatal(sinkInt, sinkErr)
	}
	out := make([][]byte, 8)
	for i := range out {
		out[i] = bufs[i][:10+sizes[0]]
	}
	c.Write(out, 10) // grow the batch once
	if n := testing.AllocsPerRun(1000, func() { sinkInt, sinkErr = c.Write(out, 10) }); n != 0 {
		t.Errorf("Conn.Write: %v allocs, want 0", n)
	}
	if sinkErr != nil {
		t.Fatal(sinkErr)
	}
}
