package sixtofour

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/packet"
)

// within reports whether sub is a sub-slice of b (shares its memory).
func within(b, sub []byte) bool {
	if len(sub) == 0 {
		return true
	}
	for i := range b {
		if &b[i] == &sub[0] {
			return i+len(sub) <= len(b)
		}
	}
	return false
}

// refDecap is the slow, obvious decapsulator the fuzzer holds Decapsulate
// to: byte by byte from RFC 791, RFC 8200 §3, RFC 2675 and RFC 6040's table
// (ecnTable), sharing no code with the package. It returns a copy of the
// inner packet with its ECN field set.
func refDecap(b []byte, linux bool) ([]byte, error) {
	if len(b) < 20 {
		return nil, packet.ErrTruncated
	}
	if b[0]>>4 != 4 {
		return nil, packet.ErrBadVersion
	}
	ihl := int(b[0]&15) * 4
	if ihl < 20 {
		return nil, packet.ErrBadIHL
	}
	total := int(b[2])<<8 | int(b[3])
	if total < ihl {
		return nil, packet.ErrBadTotalLength
	}
	if total > len(b) {
		return nil, packet.ErrTruncated
	}
	var sum uint32
	for i := 0; i < ihl; i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	if sum != 0xffff {
		return nil, packet.ErrBadChecksum
	}
	if b[6]&0x20 != 0 || int(b[6]&0x1f)<<8|int(b[7]) != 0 {
		return nil, ErrFragmented
	}
	if b[9] != 41 {
		return nil, ErrNotProto41
	}
	p := b[ihl:total]
	if len(p) < 40 {
		return nil, ErrInnerTruncated
	}
	if p[0]>>4 != 6 {
		return nil, ErrNotIPv6Inner
	}
	plen := int(p[4])<<8 | int(p[5])
	if 40+plen > len(p) {
		return nil, ErrLengthMismatch
	}
	if plen == 0 && p[6] == 0 && len(p) >= 42 { // a jumbogram: Hop-by-Hop with a Jumbo Payload option
		hbh := p[40:]
		if l := (int(hbh[1]) + 1) * 8; l <= len(hbh) {
			opts, jumbo, ok := hbh[2:l], false, true
			for i := 0; i < len(opts); {
				if opts[i] == 0 {
					i++
					continue
				}
				if i+2 > len(opts) || i+2+int(opts[i+1]) > len(opts) {
					ok = false
					break
				}
				jumbo = jumbo || opts[i] == 0xc2
				i += 2 + int(opts[i+1])
			}
			if ok && jumbo {
				return nil, ErrNotIPv6Inner
			}
		}
	}
	outerE, innerE := int(b[1]&3), int(p[1]>>4&3)
	e := ecnTable[outerE][innerE]
	if linux && outerE == 1 && innerE == 2 {
		e = 2
	}
	if e < 0 {
		return nil, ErrECNDrop
	}
	out := append([]byte(nil), p[:40+plen]...)
	out[1] = out[1]&^0x30 | byte(e)<<4
	return out, nil
}

// FuzzDecapsulate checks that Decapsulate never panics, agrees with refDecap
// on every input (same error or same inner bytes), returns views inside its
// input, and that re-encapsulating the inner packet reproduces the outer
// fields our encapsulator controls.
func FuzzDecapsulate(f *testing.F) {
	good := hexb(f, vectorP41)
	f.Add(good)                                                                                                                                      // P41-1, the minimal 6to4 packet
	f.Add(ip4{src: v4A, dst: v4B, tos: 0xb9, ttl: 3, id: 0x1234}.wrap(f, ip6{src: site6A, dst: site6B, tc: 0xb6, payload: []byte("data")}.bytes(f))) // DSCP, ECT(1) outer over ECT(0) inner
	f.Add(ip4{src: v4A, dst: v4B, tos: 3}.wrap(f, ip6{src: site6A, dst: site6B}.bytes(f)))                                                           // CE over Not-ECT: drop
	f.Add(ip4{src: v4A, dst: v4B}.wrap(f, append(ip6{src: site6A, dst: site6B, payload: []byte("x")}.bytes(f), "trailing"...)))                      // outer longer than inner
	f.Add(ip4{src: v4A, dst: v4B}.wrap(f, ip6{src: site6A, dst: site6B}.bytes(f)[:39]))                                                              // total length 59
	f.Add(ip4{src: v4A, dst: v4B, proto: 4}.wrap(f, make([]byte, 40)))                                                                               // IPIP, not 41
	f.Add(append([]byte{0x46}, good[1:]...))                                                                                                         // IHL 6 claimed, checksum now wrong
	f.Add(ip4{src: v4A, dst: v4B}.wrap(f, append([]byte{0x60, 0, 0, 0, 0, 0, 0, 64}, append(make([]byte, 32), 59, 0, 0xc2, 4, 0, 1, 0, 0)...)))      // jumbogram
	f.Add([]byte{0x45})                                                                                                                              // one byte
	frag := append([]byte(nil), good...)
	frag[6] = 0x20
	fixChecksum(frag)
	f.Add(frag) // a first fragment

	f.Fuzz(func(t *testing.T, b []byte) {
		for _, mode := range []DecapECN{DecapRFC6040, DecapLinux} {
			c := append([]byte(nil), b...)
			inner, outer, err := Decapsulate(c, mode)
			want, wantErr := refDecap(b, mode == DecapLinux)
			if err != wantErr {
				t.Fatalf("mode %v: err %v, reference %v", mode, err, wantErr)
			}
			if err != nil {
				continue
			}
			if !within(c, inner) {
				t.Fatal("inner outside the input")
			}
			if !bytes.Equal(inner, want) {
				t.Fatalf("inner %x, reference %x", inner, want)
			}
			// package packet's view of the same outer header agrees.
			ip, err := packet.ParseIPv4(b)
			if err != nil {
				t.Fatal(err)
			}
			if ip.Fields() != outer.Fields() || !bytes.Equal(ip.Header(), outer.Header()) || !within(c, outer.Header()) {
				t.Fatalf("outer %+v, packet says %+v", outer.Fields(), ip.Fields())
			}

			// Re-encapsulate with the decapsulated outer fields.
			if outer.TTL() == 0 && inner[7] != 0 {
				continue // a fixed TTL of 0 cannot be configured
			}
			p := Params{
				OuterPolicy: OuterPolicy{TTL: outer.TTL(), TOS: outer.TOS()},
				Src:         outer.Src(), Dst: outer.Dst(), ID: outer.ID(), DF: outer.DontFragment(),
			}
			re, err := AppendEncapsulate(nil, inner, &p)
			if err != nil {
				t.Fatal(err)
			}
			ri, ro, err := Decapsulate(re, mode)
			if err != nil {
				t.Fatalf("re-encapsulated packet refused: %v", err)
			}
			if !bytes.Equal(ri, inner) || ro.HeaderLen() != 20 || len(re) != 20+len(inner) {
				t.Fatal("re-encapsulation changed the inner packet or the lengths")
			}
			want2 := outer.Fields()
			want2.TOS = packet.SetTOSECN(outer.TOS(), packet.ECN(inner[1]>>4)&3) // normal mode copies the inner ECN
			if ro.Fields() != want2 {
				t.Fatalf("outer %+v, re-encapsulated %+v", want2, ro.Fields())
			}
		}
	})
}

// FuzzTranslateICMPv4 checks that the ICMPv4 error translation never
// panics, and that what it produces is a valid ICMPv6 error from
// ::ffff:<sender> to the quoted inner source, quoting a prefix of the quote.
func FuzzTranslateICMPv4(f *testing.F) {
	sent := tunnelled(f, v4A, v4B, site6A, site6B)
	sent = append(sent, make([]byte, 16)...) // room to quote 8 bytes past the header
	binary.BigEndian.PutUint16(sent[2:], uint16(len(sent)))
	binary.BigEndian.PutUint16(sent[24:], 16)
	fixChecksum(sent)
	f.Add(icmpv4(f, rtr4, v4A, 3, 1, [4]byte{}, sent[:68]))                           // host unreachable, quote 40+8
	f.Add(icmpv4(f, rtr4, v4A, 11, 0, [4]byte{}, sent))                               // time exceeded, whole packet quoted
	f.Add(icmpv4(f, rtr4, v4A, 3, 4, [4]byte{0, 0, 5, 0xdc}, sent[:28]))              // fragmentation needed
	f.Add(icmpv4(f, rtr4, v4A, 3, 1, [4]byte{}, sent[:28]))                           // RFC 792 minimum quote
	f.Add(icmpv4(f, rtr4, v4A, 3, 5, [4]byte{}, sent[:68]))                           // source route failed
	f.Add(icmpv4(f, rtr4, v4A, 12, 0, [4]byte{}, sent[:68]))                          // parameter problem
	f.Add(icmpv4(f, rtr4, v4A, 8, 0, [4]byte{}, []byte("ping")))                      // echo request
	f.Add(icmpv4(f, rtr4, v4A, 3, 3, [4]byte{}, sent[20:]))                           // quote without the IPv4 header
	f.Add(icmpv4(f, rtr4, v4A, 3, 3, [4]byte{}, append([]byte{0x4f}, sent[1:68]...))) // quoted IHL 15

	f.Fuzz(func(t *testing.T, b []byte) {
		e, perr := ParseICMPv4Error(b)
		if perr == nil && !within(b, e.Inner) {
			t.Fatal("Inner outside the input")
		}
		got, err := TranslateICMPv4(nil, b)
		if perr != nil {
			if err != perr {
				t.Fatalf("parse error %v, translate error %v", perr, err)
			}
			return
		}
		if err != nil {
			return
		}
		if len(got) > packet.IPv6MinMTU {
			t.Fatalf("%d bytes", len(got))
		}
		ip, err := packet.ParseIPv6(got)
		if err != nil || len(ip.Trailer()) != 0 {
			t.Fatal(err)
		}
		m, err := packet.ParseICMPv6(ip)
		if err != nil {
			t.Fatal(err)
		}
		if ip.Src() != netip.AddrFrom16(e.From.As16()) || ip.Dst() != netip.AddrFrom16([16]byte(e.Inner[8:24])) {
			t.Fatalf("%v -> %v", ip.Src(), ip.Dst())
		}
		if tc := [2]uint8{m.Type(), m.Code()}; tc != [2]uint8{1, 3} && tc != [2]uint8{3, 0} {
			t.Fatalf("type %d code %d", tc[0], tc[1])
		}
		_, invoking, _ := m.ErrorMessage()
		if !bytes.HasPrefix(e.Inner, invoking) || len(invoking) < 48 {
			t.Fatal("invoking packet is not the quote")
		}
	})
}

// FuzzReassembler feeds fragment sequences described by the input: either
// a valid partition of one datagram, shuffled (it must come back exactly), or
// arbitrary fragments cut from a few datagrams (anything completed must
// match its original). The reassembler must never panic or exceed its
// memory cap.
func FuzzReassembler(f *testing.F) {
	probe, err := NewReassembler(ReassemblyConfig{MaxDatagram: 1600})
	if err != nil {
		f.Fatal(err)
	}
	fuzzSlotBytes := probe.slotBytes
	f.Add([]byte{0, 200, 0, 10, 1, 2, 3})                     // partition of a 1260-byte datagram into small pieces
	f.Add([]byte{0, 0, 0, 200, 200, 200})                     // minimal datagram, big chunks: one or two fragments
	f.Add([]byte{1, 0, 1, 0, 0, 60, 0, 8, 0, 1, 40, 0, 0, 0}) // arbitrary: first fragment, then an overlapping last one
	f.Add([]byte{1, 7, 2, 1, 0, 200, 2, 1, 0, 3, 0, 100, 9})  // arbitrary: several IDs, time steps
	f.Add([]byte{1, 0, 0, 255, 255, 255, 255, 255, 255})      // arbitrary: offsets near 65535

	f.Fuzz(func(t *testing.T, s []byte) {
		if len(s) < 2 {
			return
		}
		cfg := ReassemblyConfig{MaxDatagram: 1600, Timeout: 5 * time.Second, MaxBytes: 3 * fuzzSlotBytes}
		r, err := NewReassembler(cfg)
		if err != nil {
			t.Fatal(err)
		}
		orig := func(id uint16, n int) []byte {
			inner := make([]byte, n-20)
			copy(inner, ip6{src: site6A, dst: site6B}.bytes(t))
			binary.BigEndian.PutUint16(inner[4:], uint16(n-60))
			for i := 40; i < len(inner); i++ {
				inner[i] = byte(i*13) ^ byte(id)
			}
			return ip4{src: v4A, dst: v4B, id: id}.wrap(t, inner)
		}
		check := func() {
			if r.MemoryUsed() > cfg.MaxBytes || r.Pending() > len(r.slots) {
				t.Fatalf("memory %d > %d or pending %d", r.MemoryUsed(), cfg.MaxBytes, r.Pending())
			}
		}
		mode, s := s[0]&1, s[1:]
		now := t0

		if mode == 0 { // a valid partition, shuffled
			n := 60 + int(s[0])*6 // 60..1590 bytes
			dg := orig(7, n)
			payload := len(dg) - 20
			var cuts [][2]int
			rest := s[1:]
			for off := 0; off < payload; {
				c := 48
				if len(rest) > 0 {
					c = (int(rest[0])%64 + 1) * 8
					rest = rest[1:]
				}
				if off == 0 {
					c = max(c, 40) // the first fragment holds the IPv6 header
					c = (c + 7) &^ 7
				}
				end := min(off+c, payload)
				cuts = append(cuts, [2]int{off, end})
				off = end
			}
			if len(cuts) == 1 {
				return // not fragmented
			}
			// Shuffle with the input's remaining bytes.
			for i := len(cuts) - 1; i > 0; i-- {
				j := 0
				if len(s) > i {
					j = int(s[i]) % (i + 1)
				}
				cuts[i], cuts[j] = cuts[j], cuts[i]
			}
			for i, c := range cuts {
				fr := frag(t, dg, c[0], c[1], c[1] < payload)
				ip, err := packet.ParseIPv4(fr)
				if err != nil {
					t.Fatal(err)
				}
				got, done, err := r.Add(now, ip)
				if err != nil {
					t.Fatalf("fragment %v: %v", c, err)
				}
				if done != (i == len(cuts)-1) {
					t.Fatalf("done %v after %d of %d", done, i+1, len(cuts))
				}
				if done && !bytes.Equal(got, dg) {
					t.Fatal("reassembled datagram differs")
				}
				check()
			}
			return
		}

		// Arbitrary fragments: 6 bytes each.
		dgs := map[uint16][]byte{}
		for len(s) >= 6 {
			id := uint16(s[0] % 4)
			off := (int(s[1])<<8 | int(s[2])) &^ 7
			ln := int(s[3]) * 4
			more := s[4]&1 != 0
			now = now.Add(time.Duration(s[5]%8) * time.Second)
			s = s[6:]
			dg, ok := dgs[id]
			if !ok {
				dg = orig(id, 1600)
				dgs[id] = dg
			}
			end := off + ln
			var fr []byte
			if end <= len(dg)-20 {
				fr = frag(t, dg, off, end, more)
			} else { // past the original (the reassembler must refuse it as too big)
				fr = append(frag(t, dg, 0, 0, more), make([]byte, ln)...)
				binary.BigEndian.PutUint16(fr[2:], uint16(len(fr)))
				fo := uint16(off / 8)
				if more {
					fo |= 0x2000
				}
				binary.BigEndian.PutUint16(fr[6:], fo)
				fixChecksum(fr)
			}
			ip, err := packet.ParseIPv4(fr)
			if err != nil {
				t.Fatal(err)
			}
			got, done, _ := r.Add(now, ip)
			check()
			if !done || !ip.IsFragment() {
				continue
			}
			gip, err := packet.ParseIPv4(got)
			if err != nil || gip.IsFragment() || gip.TotalLen() != len(got) || gip.ID() != id {
				t.Fatalf("reassembled %x: %v", got[:20], err)
			}
			if pl := gip.Payload(); len(pl) > len(dg)-20 || !bytes.Equal(pl, dg[20:20+len(pl)]) {
				t.Fatal("reassembled bytes do not match the original")
			}
		}
		r.Expire(now.Add(time.Hour))
		if r.Pending() != 0 {
			t.Fatal("Expire left datagrams")
		}
	})
}

// fuzzRouters are one router per mechanism and role, with every optional
// behaviour on.
func fuzzRouters(t testing.TB) []*Router {
	t.Helper()
	cfgs := []Config{
		sixToFour(v4B),
		{Mechanism: SixToFour, Local: v4B, TreatAsGlobal: labGlobal, Relay: true, AnyRelay: true},
		{Mechanism: SixRD, Local: v4B, SixRD: addr.SixRD{Prefix: netip.MustParsePrefix("2001:db8::/32"), IPv4MaskLen: 8,
			BorderRelays: []netip.Addr{v4Relay}}},
		{Mechanism: ISATAP, Local: v4B, PRL: []netip.Addr{v4Relay}, OnLink: []netip.Prefix{netip.MustParsePrefix("2001:db8:1:2::/64")}},
		{Mechanism: SixInFour, Local: v4B, Remote: v4A, InnerSources: []netip.Prefix{netip.MustParsePrefix("2002::/16")}, MTU: 1280},
	}
	var rs []*Router
	for _, c := range cfgs {
		c.ICMPv4Unreachable = true
		c.ICMPRate = -1
		c.Reassembly = ReassemblyConfig{MaxDatagram: 2000, MaxBytes: 4 * 2200}
		rs = append(rs, router(t, c))
	}
	return rs
}

// isEvent reports whether r is counted alongside a result's own reason.
func isEvent(r Reason) bool {
	switch r {
	case ReasonReassembled, ReasonICMPv6Sent, ReasonICMPv4Sent, ReasonICMPRateLimited,
		ReasonReassemblyMemory, ReasonReassemblyTimeout:
		return true
	}
	return false
}

// checkResult holds a Result to its documented shape.
func checkResult(t *testing.T, r *Router, d Direction, res Result, calls uint64) {
	c := r.Counters()
	var primary uint64
	for x := Reason(0); x < numReasons; x++ {
		if !isEvent(x) {
			primary += c.Get(d, x)
		}
	}
	if primary != calls {
		t.Fatalf("%d results counted for %d calls", primary, calls)
	}
	if res.Err() != nil && (res.Reason() != reasonOf(res.Err()) || !res.Reason().IsDrop()) {
		t.Fatalf("reason %v for error %v", res.Reason(), res.Err())
	}
	if res.Err() == nil && res.Reason().IsDrop() {
		t.Fatalf("drop reason %v without error", res.Reason())
	}
	switch res.Action() {
	case ActionNone:
		if res.Packet != nil {
			t.Fatal("packet with ActionNone")
		}
	case ActionToHost:
		ip, err := packet.ParseIPv6(res.Packet)
		if err != nil || len(ip.Trailer()) != 0 {
			t.Fatalf("to host: %v, trailer %d", err, len(ip.Trailer()))
		}
		if res.Err() != nil || res.Reason() == ReasonICMPTranslated {
			m, err := packet.ParseICMPv6(ip)
			if err != nil || !m.IsError() || len(res.Packet) > packet.IPv6MinMTU {
				t.Fatalf("ICMPv6 error: %v", err)
			}
		}
	case ActionToNetwork:
		ip, err := packet.ParseIPv4(res.Packet)
		if err != nil || ip.TotalLen() != len(res.Packet) || ip.Dst() != res.NextHop() || ip.Src() != r.Policy().Local() {
			t.Fatalf("to network: %v", err)
		}
		if ip.Protocol() == packet.ProtoICMP && packet.Checksum(ip.Payload(), 0) != 0xffff {
			t.Fatal("ICMPv4 checksum")
		}
	default:
		t.Fatalf("action %v", res.Action())
	}
}

// FuzzInbound feeds the input, twice, to a router of every mechanism: no
// panics, every result well formed and counted once, every delivered packet
// inside the input (or the reassembly buffer) and accepted by the policy.
func FuzzInbound(f *testing.F) {
	f.Add(tunnelled(f, v4A, v4B, site6A, site6B))                                                                       // 6to4 site to site
	f.Add(tunnelled(f, v4Relay, v4B, native, site6B))                                                                   // from the 6to4 relay
	f.Add(tunnelled(f, netip.MustParseAddr("198.51.100.9"), v4B, site6A, site6B))                                       // spoofed 6to4 source
	f.Add(tunnelled(f, v4A, v4B, netip.MustParseAddr("2001:db8:c000:2::1"), netip.MustParseAddr("2001:db8:6407:1::1"))) // 6rd CE to CE (mask 8)
	f.Add(tunnelled(f, netip.MustParseAddr("10.0.0.5"), v4B, netip.MustParseAddr("2001:db8:1:2:0:5efe:a00:5"),
		netip.MustParseAddr("2001:db8:1:2:0:5efe:c633:6407"))) // ISATAP neighbour
	f.Add(tunnelled(f, v4Other, netip.MustParseAddr("192.0.2.99"), native, site6B)) // no tunnel: ICMPv4 unreachable
	sent := tunnelled(f, v4B, v4A, site6B, site6A)
	f.Add(icmpv4(f, rtr4, v4B, 3, 1, [4]byte{}, append(sent, make([]byte, 8)...)[:68])) // ICMPv4 host unreachable to translate
	f.Add(icmpv4(f, rtr4, v4B, 3, 4, [4]byte{0, 0, 2, 0x40}, sent[:28]))                // fragmentation needed
	big := ip4{src: v4A, dst: v4B}.wrap(f, sized(f, site6A, site6B, 1280))
	f.Add(fragmentIPv4(f, big, 576)[0]) // first fragment
	f.Add(fragmentIPv4(f, big, 576)[2]) // last fragment

	f.Fuzz(func(t *testing.T, b []byte) {
		for _, r := range fuzzRouters(t) {
			for call := uint64(1); call <= 2; call++ {
				c := append([]byte(nil), b...)
				res := r.Inbound(t0, c)
				checkResult(t, r, Inbound, res, call)
				if res.Action() != ActionToHost || res.Err() != nil || res.Reason() == ReasonICMPTranslated {
					continue
				}
				if !within(c, res.Packet) && (r.in.reasm == nil || !inSlots(r, res.Packet)) {
					t.Fatal("delivered packet outside the input and the reassembly buffers")
				}
				h := b[:20]
				if err := r.Policy().CheckInboundAddrs(netip.AddrFrom4([4]byte(h[12:16])), netip.AddrFrom4([4]byte(h[16:20])), res.Packet); err != nil {
					t.Fatalf("delivered, but the policy says %v", err)
				}
			}
		}
	})
}

func inSlots(r *Router, p []byte) bool {
	for i := range r.in.reasm.slots {
		if b := r.in.reasm.slots[i].buf; b != nil && within(b[:cap(b)], p) {
			return true
		}
	}
	return false
}

// FuzzOutbound feeds the input as an IPv6 packet from the host to a router
// of every mechanism: no panics, results well formed and counted once, and
// a sent packet is exactly the input's IPv6 packet behind a valid protocol-41
// header for the next hop the policy names.
func FuzzOutbound(f *testing.F) {
	f.Add(ip6{src: netip.MustParseAddr("2002:c633:6407::1"), dst: site6A}.bytes(f))                                     // 6to4 direct
	f.Add(ip6{src: netip.MustParseAddr("2002:c633:6407::1"), dst: native, payload: []byte("x")}.bytes(f))               // to the relay
	f.Add(sized(f, netip.MustParseAddr("2002:c633:6407::1"), site6A, 1500))                                             // packet too big
	f.Add(ip6{src: netip.MustParseAddr("2001:db8:6407:1::1"), dst: netip.MustParseAddr("2001:db8:c000:2::1")}.bytes(f)) // 6rd CE to CE
	f.Add(ip6{src: site6B, dst: netip.MustParseAddr("2001:db8:1:2:200:5efe:a00:5")}.bytes(f))                           // ISATAP neighbour
	f.Add(ip6{src: site6B, dst: netip.MustParseAddr("ff02::1")}.bytes(f))                                               // multicast
	f.Add(append(ip6{src: site6B, dst: site6A}.bytes(f), 1, 2, 3))                                                      // trailing bytes
	f.Add([]byte{0x60, 0, 0, 0})                                                                                        // truncated

	// Outbound keeps no state that changes a later decision (the ID counter
	// aside, and the ICMP limit is off), so the routers are built once.
	routers := fuzzRouters(f)
	var calls uint64
	f.Fuzz(func(t *testing.T, b []byte) {
		calls++
		for _, r := range routers {
			buf := make([]byte, Headroom+len(b))
			copy(buf[Headroom:], b)
			res := r.Outbound(t0, buf, Headroom)
			checkResult(t, r, Outbound, res, calls)
			if res.Action() != ActionToNetwork {
				continue
			}
			if !within(buf, res.Packet) {
				t.Fatal("sent packet outside the buffer")
			}
			n, _ := innerLen(b)
			if !bytes.Equal(res.Packet[20:], b[:n]) || res.Packet[9] != packet.ProtoIPv6 {
				t.Fatal("the inner packet changed")
			}
			nh, _, err := r.Policy().NextHop(b)
			if err != nil || nh != res.NextHop() {
				t.Fatalf("next hop %v, policy %v %v", res.NextHop(), nh, err)
			}
		}
	})
}

// FuzzTooBigForLink sends the input as an IPv6 packet from the host through
// a router of every mechanism and has the link refuse what Outbound sent,
// with the fuzzed link MTU; then offers the raw input to TooBigForLink too.
// The input is the packet's first bytes and a number of zero bytes to pad
// it with, its Payload Length set to match, so that the fuzzer can make
// packets of every size without minimizing a kilobyte of payload. No
// panics; every packet counted once (the one taken back moves from a sent
// reason to a drop); a Packet Too Big announces TunnelMTU of the link's
// MTU, at least 1280 and less than the refused packet; the link's MTU
// becomes the next hop's path MTU.
func FuzzTooBigForLink(f *testing.F) {
	hdr := func(src, dst netip.Addr) []byte { return ip6{src: src, dst: dst}.bytes(f) }
	siteB := netip.MustParseAddr("2002:c633:6407::1")
	f.Add(hdr(siteB, site6A), uint16(1360), 1400)                                           // 6to4 direct, PPPoE-narrow link: Packet Too Big 1380
	f.Add(hdr(siteB, native), uint16(1360), 1400)                                           // through the relay
	f.Add(hdr(siteB, site6A), uint16(1240), 1200)                                           // link below 1300: nowhere lower to go
	f.Add(hdr(siteB, site6A), uint16(1360), 1200)                                           // link below 1300: Packet Too Big 1280
	f.Add(hdr(siteB, site6A), uint16(1360), 0)                                              // no link MTU
	f.Add(hdr(siteB, site6A), uint16(1360), 87)                                             // link too narrow for any tunnel
	f.Add(hdr(siteB, site6A), uint16(1360), 1<<20)                                          // link wider than any IPv4 packet
	f.Add(hdr(site6B, netip.MustParseAddr("2001:db8:1:2:200:5efe:a00:5")), uint16(0), 1300) // ISATAP neighbour, small packet
	f.Add(tunnelled(f, v4B, v4A, siteB, site6A), uint16(0), 1300)                           // an IPv4 packet as input: not a host packet
	f.Add([]byte{0x45, 0, 0, 20}, uint16(0), 1400)                                          // truncated IPv4

	f.Fuzz(func(t *testing.T, b []byte, pad uint16, linkMTU int) {
		b = append(b, make([]byte, pad)...)
		if len(b) >= packet.IPv6HeaderLen && len(b)-packet.IPv6HeaderLen <= 0xffff && b[0]>>4 == 6 {
			binary.BigEndian.PutUint16(b[4:6], uint16(len(b)-packet.IPv6HeaderLen))
		}
		for _, r := range fuzzRouters(t) {
			buf := make([]byte, Headroom+len(b))
			copy(buf[Headroom:], b)
			sent := r.Outbound(t0, buf, Headroom)
			checkResult(t, r, Outbound, sent, 1)
			if sent.Action() == ActionToNetwork {
				peer := sent.NextHop()
				before := r.PathMTU(peer, t0)
				n := len(sent.Packet) - 20
				res := r.TooBigForLink(t0, sent.Packet, linkMTU)
				checkResult(t, r, Outbound, res, 1)
				if c := r.Counters(); c.Get(Outbound, ReasonSentDirect)+c.Get(Outbound, ReasonSentRelay) != 0 {
					t.Fatal("the refused packet still counts as sent")
				}
				switch res.Action() {
				case ActionToHost:
					want, _, err := TunnelMTU(linkMTU)
					if err != nil || res.MTU() != want || res.MTU() < MinTunnelMTU || res.MTU() >= n || res.Reason() != ReasonPacketTooBig {
						t.Fatalf("Packet Too Big for %d bytes over a %d link: %v", n, linkMTU, res)
					}
				case ActionNone:
					if res.Reason() != ReasonMTUTooSmall && res.Reason() != ReasonPacketTooBig {
						t.Fatalf("dropped for %v", res.Reason())
					}
				default:
					t.Fatalf("action %v", res.Action())
				}
				want := before
				if linkMTU > 0 && linkMTU < before {
					want = linkMTU
				}
				if got := r.PathMTU(peer, t0); got != want {
					t.Fatalf("path MTU %d after a %d link, %d before", got, linkMTU, before)
				}
			}
			// Any bytes at all: no panic, nothing for the network, and
			// only a well-formed ICMPv6 error for the host.
			res := r.TooBigForLink(t0, append([]byte(nil), b...), linkMTU)
			switch res.Action() {
			case ActionNone:
			case ActionToHost:
				ip, err := packet.ParseIPv6(res.Packet)
				if err != nil {
					t.Fatal(err)
				}
				if m, err := packet.ParseICMPv6(ip); err != nil || m.Type() != packet.ICMPv6PacketTooBig {
					t.Fatalf("to host: %v", err)
				}
			default:
				t.Fatalf("action %v", res.Action())
			}
		}
	})
}
