package iphttps

import (
	"net/netip"
	"testing"
	"time"

	"github.com/transit6/transit6/packet"
)

// fuzzAddrs is the address pool the fuzzer's packets draw from: the
// unspecified address, the router's, three clients' link-local and global
// addresses, multicast groups, and addresses off the link.
var fuzzAddrs = []netip.Addr{
	unspecified, netip.MustParseAddr("fe80::1"), addrIn(1),
	llAddr(0xa), llAddr(0xb), llAddr(0xc), addrIn(0xa), addrIn(0xb), addrIn(0xc), addrIn(0xd),
	allNodes, allRouters, solicitedNode(addrIn(0xa)), solicitedNode(addrIn(0xd)), netip.MustParseAddr("ff02::fb"),
	netip.MustParseAddr("2001:db8:ffff::1"), netip.IPv6Loopback(), netip.MustParseAddr("::ffff:192.0.2.1"),
}

// fuzzOps reads the fuzzer's input one byte at a time, then zeros.
type fuzzOps struct{ b []byte }

func (o *fuzzOps) next() byte {
	if len(o.b) == 0 {
		return 0
	}
	c := o.b[0]
	o.b = o.b[1:]
	return c
}

func (o *fuzzOps) addr() netip.Addr { return fuzzAddrs[int(o.next())%len(fuzzAddrs)] }

// packet builds a packet of a kind the router treats specially, from the
// input, or takes raw bytes.
func (o *fuzzOps) packet() []byte {
	kind := o.next() % 10
	src, dst, target := o.addr(), o.addr(), o.addr()
	var p []byte
	var err error
	switch kind {
	case 0:
		n := int(o.next())
		if n > len(o.b) {
			n = len(o.b)
		}
		p = append([]byte(nil), o.b[:n]...)
		o.b = o.b[n:]
		return p
	case 1:
		p, err = packet.AppendEchoRequest(nil, src, dst, o.next(), 1, 2, make([]byte, o.next()))
	case 2:
		h := packet.IPv6Header{NextHeader: packet.ProtoUDP, HopLimit: 64, Src: src, Dst: dst}
		n := int(o.next()) * 8
		if p, err = h.AppendTo(nil, n); err == nil {
			p = append(p, make([]byte, n)...)
		}
	case 3:
		p, err = packet.AppendRouterSolicitation(nil, src, dst, nil)
	case 4:
		p, err = packet.AppendNeighborSolicitation(nil, src, dst, target, nil)
	case 5:
		p, err = packet.AppendNeighborAdvertisement(nil, src, dst, target, o.next()&0xe0, nil)
	case 6:
		p, err = packet.AppendRouterAdvertisement(nil, src, dst, &packet.RAFields{RouterLifetime: 1800})
	case 7:
		p, err = packet.AppendEchoReply(nil, src, dst, 64, 1, 2, nil)
	case 8: // a header-only packet
		h := packet.IPv6Header{NextHeader: o.next(), HopLimit: 255, Src: src, Dst: dst}
		p, err = h.AppendTo(nil, 0)
	case 9: // a built packet with one byte changed
		p = o.packet()
		if len(p) > 0 {
			p[int(o.next())%len(p)] ^= o.next() | 1
		}
		return p
	}
	if err != nil {
		return nil
	}
	return p
}

// FuzzRouter feeds random packets from random clients and from the native
// side, with random drains, detaches, ticks and mode changes. Properties:
// nothing panics; every queue stays within QueueBytes and holds a valid
// packet stream (whole IPv6 packets back to back, what the client's framing
// needs); a verdict accounts for what happened to the queues: a drop or a
// native verdict queues nothing, a unicast queues one copy of the packet at
// its owner, a local verdict queues only to the sender, and no packet ever
// goes back to its sender unless addressed to it.
func FuzzRouter(f *testing.F) {
	f.Add(false, []byte{})                                        // nothing
	f.Add(false, []byte{0, 0, 3, 3, 0, 11, 0})                    // an RS from a client's link-local: answered
	f.Add(false, []byte{0, 1, 4, 0, 13, 6, 0, 1, 1, 6, 16, 0})    // a DAD probe, then an echo from the address
	f.Add(true, []byte{0, 2, 2, 5, 14, 0, 2, 0, 2, 8, 5, 0})      // mode Certificates: multicast from a client
	f.Add(false, []byte{1, 0, 1, 15, 6, 0, 0, 5})                 // from the native side
	f.Add(false, []byte{0, 0, 0, 8, 0x60, 0, 0, 0, 0, 0, 0, 255}) // raw bytes, truncated header
	f.Add(false, []byte{2, 0, 200, 3, 1, 4, 2, 5, 6})             // drain, detach, tick, mode change
	f.Add(true, []byte{0, 1, 9, 1, 6, 7, 0, 9, 8, 7, 0, 3, 255})  // a corrupted echo
	f.Add(false, []byte{0, 0, 5, 6, 10, 7, 0x20})                 // an NA for another client's address
	f.Fuzz(func(t *testing.T, certificates bool, input []byte) {
		mode := AuthNone
		if certificates {
			mode = AuthCertificates
		}
		const qsize = MinQueueBytes
		r, err := NewRouter(RouterConfig{Prefix: testPrefix, Mode: mode, Addr: addrIn(1), QueueBytes: qsize, MaxAddrsPerClient: 3})
		if err != nil {
			t.Fatal(err)
		}
		var ss [3]*Session
		var sent [3][]byte // what each session's writer took so far
		var total [3]int   // bytes ever queued to each session
		for i := range ss {
			ss[i], _ = r.Attach(t0, SessionInfo{})
		}
		account := func() [3]int {
			var n [3]int
			for i, s := range ss {
				n[i] = len(sent[i]) + s.Queued()
				if s.Queued() > qsize {
					t.Fatalf("queue %d holds %d bytes", i, s.Queued())
				}
			}
			return n
		}
		flush := func(i int) {
			for {
				b := ss[i].Peek(qsize)
				if len(b) == 0 {
					break
				}
				sent[i] = append(sent[i], b...)
				ss[i].Release(len(b))
			}
			if _, err := splitAll(sent[i]); err != nil {
				t.Fatalf("session %d: %v", i, err)
			}
		}
		now := t0
		ops := &fuzzOps{b: input}
		for steps := 0; len(ops.b) > 0 && steps < 500; steps++ {
			op, who := ops.next()%8, int(ops.next())%len(ss)
			now = now.Add(time.Duration(ops.next()) * 100 * time.Millisecond)
			before := account()
			switch op {
			case 0, 1, 2:
				p := ops.packet()
				v, why := r.FromClient(now, ss[who], p)
				after := account()
				checkVerdict(t, r, p, who, v, why, before, after)
			case 3:
				p := ops.packet()
				v, _ := r.FromNative(now, p)
				after := account()
				changed := 0
				for i := range ss {
					if after[i] != before[i] {
						changed++
						ip, _ := packet.ParseIPv6(p)
						if after[i]-before[i] != len(ip.Bytes()) {
							t.Fatalf("native packet of %d bytes queued as %d", len(ip.Bytes()), after[i]-before[i])
						}
					}
				}
				if (v == VerdictQueued) != (changed == 1) || changed > 1 {
					t.Fatalf("native verdict %v but %d queues changed", v, changed)
				}
			case 4: // the writer sends part of the queue
				b := ss[who].Peek(1 + int(ops.next())*64)
				sent[who] = append(sent[who], b...)
				ss[who].Release(len(b))
			case 5: // the client leaves and another comes
				flush(who)
				r.Detach(ss[who])
				ss[who], _ = r.Attach(now, SessionInfo{})
				sent[who] = nil
			case 6:
				r.Tick(now)
			case 7:
				if ops.next()%8 == 0 {
					r.SetMode(AuthMode(ops.next() % 2))
					for i := range ss {
						if r.NumClients() < len(ss) {
							flush(i)
							ss[i], _ = r.Attach(now, SessionInfo{})
							sent[i] = nil
						}
					}
				}
			}
			after := account()
			for i := range ss {
				if after[i] < before[i] && op != 4 && op != 5 && op != 7 {
					t.Fatalf("queue %d lost bytes", i)
				}
				total[i] += max(0, after[i]-before[i])
			}
		}
		for i := range ss {
			flush(i)
		}
	})
}

// splitAll splits a stream into packets, or returns the framing error.
func splitAll(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		n, err := packet.IPv6PacketLen(b)
		if err != nil || n > len(b) || (n == 40 && b[6] == packet.ProtoHopByHop) {
			return out, ErrNotIPv6
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	return out, nil
}

// checkVerdict checks that the queues changed as the verdict says.
func checkVerdict(t *testing.T, r *Router, p []byte, who int, v Verdict, why DropReason, before, after [3]int) {
	t.Helper()
	grew := func(i int) int { return after[i] - before[i] }
	ip, perr := packet.ParseIPv6(p)
	switch v {
	case VerdictDrop, VerdictNative:
		for i := range before {
			if grew(i) != 0 && why != DropQueueFull {
				t.Fatalf("verdict %v (%v) but queue %d grew by %d", v, why, i, grew(i))
			}
		}
		if v == VerdictDrop && (why == NotDropped || why >= NumDropReasons) {
			t.Fatalf("drop without a reason: %v", why)
		}
		if v == VerdictNative && (perr != nil || ip.Dst().IsMulticast() || testPrefix.Contains(ip.Dst()) || ip.Dst().IsLinkLocalUnicast()) {
			t.Fatalf("native verdict for %v", ip.Dst())
		}
	case VerdictLocal:
		for i := range before {
			if i != who && grew(i) != 0 && r.Mode() == AuthNone {
				t.Fatalf("local verdict but queue %d grew", i)
			}
		}
	case VerdictQueued:
		if perr != nil {
			t.Fatalf("queued a malformed packet")
		}
		n := len(ip.Bytes())
		copies := 0
		for i := range before {
			switch grew(i) {
			case 0:
			case n:
				copies++
				if i == who && !ip.Dst().IsMulticast() {
					if o, _ := r.Owner(ip.Dst()); o == nil {
						t.Fatalf("queued back to the sender")
					}
				}
				if i == who && ip.Dst().IsMulticast() {
					t.Fatalf("multicast back to the sender")
				}
			default:
				t.Fatalf("queue %d grew by %d for a %d-byte packet", i, grew(i), n)
			}
		}
		if copies == 0 || (!ip.Dst().IsMulticast() && copies != 1) {
			t.Fatalf("queued verdict with %d copies", copies)
		}
	default:
		t.Fatalf("verdict %v", v)
	}
}
