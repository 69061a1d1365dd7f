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

// fastConfigs are one tunnel per mechanism and role, and 6to4 on Internet
// addresses (plain octets, no TreatAsGlobal), with every optional
// behaviour on, for the differential fuzz targets.
func fastConfigs() []Config {
	cfgs := []Config{
		sixToFour(v4B),
		{Mechanism: SixToFour, Local: benchV4B},
		{Mechanism: SixToFour, Local: v4B, TreatAsGlobal: labGlobal, Relay: true, AnyRelay: true},
		{Mechanism: SixRD, Local: v4B, SixRD: addr.SixRD{Prefix: netip.MustParsePrefix("2001:db8::/32"), IPv4MaskLen: 8,
			BorderRelays: []netip.Addr{v4Relay}}},
		{Mechanism: ISATAP, Local: v4B, PRL: []netip.Addr{v4Relay}, OnLink: []netip.Prefix{netip.MustParsePrefix("2001:db8:1:2::/64")}},
		{Mechanism: SixInFour, Local: v4B, Remote: v4A, InnerSources: []netip.Prefix{netip.MustParsePrefix("2002::/16")}},
	}
	for i := range cfgs {
		cfgs[i].ICMPv4Unreachable = true
		cfgs[i].ICMPRate = -1
		cfgs[i].Reassembly = ReassemblyConfig{MaxDatagram: 2000, MaxBytes: 4 * 2200}
	}
	return cfgs
}

// repairP41 makes the fuzzer's bytes more often a well-formed packet, as
// the bits of r say: 1 sets the outer Total Length to len(b), 2 sets the
// inner Payload Length to what follows the inner header, 4 recomputes the
// header checksum. Without them a random header checksum is right once in
// 65535 tries and the common case is out of reach.
func repairP41(b []byte, r uint8) {
	if len(b) < 20 {
		return
	}
	hl := int(b[0]&0x0f) * 4
	if r&1 != 0 && len(b) <= 0xffff {
		binary.BigEndian.PutUint16(b[2:4], uint16(len(b)))
	}
	if r&2 != 0 && hl >= 20 && len(b) >= hl+40 && len(b)-hl-40 <= 0xffff {
		binary.BigEndian.PutUint16(b[hl+4:], uint16(len(b)-hl-40))
	}
	if r&4 != 0 && hl >= 20 && len(b) >= hl {
		fixChecksum(b)
	}
}

// FuzzPolicyDecapsulate holds Policy.Decapsulate to the two-step path it
// fuses, Decapsulate then CheckInbound, for every mechanism and both ECN
// tables: the same error for every input; when accepted, the same inner
// packet at the same offset, the same outer header and the same bytes
// (the ECN rewrite); when refused, b as it was.
func FuzzPolicyDecapsulate(f *testing.F) {
	f.Add(hexb(f, vectorP41), uint8(0))                                                                                           // P41-1: the common case, lab addresses
	f.Add(ip4{src: benchV4A, dst: benchV4B}.wrap(f, ip6{src: bench6A, dst: bench6B, payload: []byte("x")}.bytes(f)), uint8(0))    // the common case, plain octets
	f.Add(ip4{src: v4A, dst: v4B, tos: 1}.wrap(f, ip6{src: site6A, dst: site6B, tc: 2}.bytes(f)), uint8(0))                       // outer ECT(1) over ECT(0): rewritten
	f.Add(ip4{src: v4Other, dst: v4B, tos: 3}.wrap(f, ip6{src: site6A, dst: site6B, tc: 2}.bytes(f)), uint8(0))                   // spoofed under outer CE: not rewritten
	f.Add(ip4{src: v4A, dst: v4B, tos: 3}.wrap(f, ip6{src: site6A, dst: site6B}.bytes(f)), uint8(0))                              // CE over Not-ECT: drop
	f.Add(tunnelled(f, v4Relay, v4B, native, site6B), uint8(0))                                                                   // native source from the relay
	f.Add(tunnelled(f, v4A, v4B, site6A, netip.MustParseAddr("2002:c633:6408::1")), uint8(0))                                     // spoofed destination
	f.Add(tunnelled(f, v4A, v4B, netip.MustParseAddr("2001:db8:c000:2::1"), netip.MustParseAddr("2001:db8:6407:1::1")), uint8(0)) // 6rd CE to CE
	f.Add(tunnelled(f, netip.MustParseAddr("10.0.0.5"), v4B, netip.MustParseAddr("2001:db8:1:2:0:5efe:a00:5"),
		netip.MustParseAddr("2001:db8:1:2:0:5efe:c633:6407")), uint8(0)) // ISATAP neighbour
	f.Add(tunnelled(f, v4A, v4B, site6A, native), uint8(0)) // 6in4 from the remote
	badSum := hexb(f, vectorP41)
	badSum[11] ^= 1
	f.Add(badSum, uint8(0))                                                                                           // the common case but for the header checksum
	f.Add(append(hexb(f, vectorP41), 0, 0, 0), uint8(0))                                                              // link padding
	f.Add(append([]byte{0x46}, hexb(f, vectorP41)[1:]...), uint8(7))                                                  // IHL 6, repaired
	f.Add(ip4{src: v4A, dst: v4B}.wrap(f, append([]byte{0x60, 0, 0, 0, 0, 0, 0, 64}, make([]byte, 40)...)), uint8(0)) // Payload Length 0, Hop-by-Hop
	f.Add(bytes.Repeat([]byte{0x45}, 80), uint8(7))                                                                   // garbage, repaired

	var pols []*Policy
	for _, c := range fastConfigs() {
		p, err := NewPolicy(&c)
		if err != nil {
			f.Fatal(err)
		}
		pols = append(pols, p)
	}
	f.Fuzz(func(t *testing.T, b []byte, r uint8) {
		repairP41(b, r)
		for _, p := range pols {
			for _, mode := range []DecapECN{DecapRFC6040, DecapLinux} {
				got := append([]byte(nil), b...)
				inner, outer, err := p.Decapsulate(got, mode)
				ref := append([]byte(nil), b...)
				wantInner, wantOuter, wantErr := twoStep(p, ref, mode)
				if err != wantErr {
					t.Fatalf("%v %v: err %v, two-step %v", p.Mechanism(), mode, err, wantErr)
				}
				if err != nil {
					if inner != nil || outer.IsValid() || !bytes.Equal(got, b) {
						t.Fatalf("%v: refused with results, or b modified", p.Mechanism())
					}
					continue
				}
				if offsetIn(got, inner) != offsetIn(ref, wantInner) || len(inner) != len(wantInner) ||
					offsetIn(got, outer.Header()) != 0 || outer.HeaderLen() != wantOuter.HeaderLen() || !bytes.Equal(got, ref) {
					t.Fatalf("%v %v: inner at %d (%d bytes), two-step at %d (%d bytes)", p.Mechanism(), mode,
						offsetIn(got, inner), len(inner), offsetIn(ref, wantInner), len(wantInner))
				}
			}
		}
	})
}

// FuzzTemplate holds a Template to Encapsulate and AppendEncapsulate with
// the Params it was compiled from: the same bytes or the same error, buf
// untouched on error, and the ID of SetID the ID of NewTemplate.
func FuzzTemplate(f *testing.F) {
	p41 := hexb(f, vectorP41)
	f.Add(p41[20:], uint8(20), uint8(64), uint8(0), uint8(0x08), uint16(0), uint32(0xc0000204), uint32(0xc6336407))                                       // P41-1's inner packet, DF
	f.Add(ip6{src: site6A, dst: site6B, tc: 0xbb, hlim: 3}.bytes(f), uint8(20), uint8(0), uint8(0), uint8(0x01), uint16(7), uint32(1), uint32(2))         // inherit TTL and TOS, CE inside
	f.Add(ip6{src: site6A, dst: site6B, tc: 0x03}.bytes(f), uint8(24), uint8(1), uint8(0xfd), uint8(0x04), uint16(0xffff), uint32(0), uint32(0xffffffff)) // fixed TOS with ECN bits, Linux ECN
	f.Add(ip6{src: site6A, dst: site6B}.bytes(f), uint8(20), uint8(9), uint8(0), uint8(0x06), uint16(1), uint32(3), uint32(4))                            // unknown ECN mode
	f.Add(p41[20:59], uint8(20), uint8(64), uint8(0), uint8(0), uint16(0), uint32(1), uint32(2))                                                          // inner truncated
	f.Add(p41[20:], uint8(19), uint8(64), uint8(0), uint8(0), uint16(0), uint32(1), uint32(2))                                                            // no headroom
	f.Add(p41[20:], uint8(20), uint8(64), uint8(0), uint8(0x10), uint16(0), uint32(1), uint32(2))                                                         // IPv6 destination: not IPv4

	f.Fuzz(func(t *testing.T, inner []byte, off, ttl, tos, flags uint8, id uint16, src, dst uint32) {
		// flags: 0x01 inherit TOS, 0x06 ECN mode (0..3), 0x08 DF, 0x10 an
		// IPv6 destination.
		p := Params{
			OuterPolicy: OuterPolicy{TTL: ttl, TOS: tos, InheritTOS: flags&1 != 0, ECN: packet.ECNMode(flags >> 1 & 3)},
			Src:         v4Addr(src), Dst: v4Addr(dst), ID: id, DF: flags&8 != 0,
		}
		if flags&0x10 != 0 {
			p.Dst = site6B
		}
		buf := make([]byte, int(off)+len(inner))
		copy(buf[off:], inner)
		for i := range int(off) {
			buf[i] = byte(i) // not zero: the header must overwrite it
		}
		want := append([]byte(nil), buf...)
		wantPkt, wantErr := Encapsulate(want, int(off), &p)

		tmpl, err := NewTemplate(&p)
		if (err != nil) != (flags&0x10 != 0) {
			t.Fatalf("NewTemplate: %v", err)
		}
		got := append([]byte(nil), buf...)
		pkt, err := tmpl.Encapsulate(got, int(off))
		if err != wantErr || !bytes.Equal(got, want) || !bytes.Equal(pkt, wantPkt) {
			t.Fatalf("Template: %v %x, Encapsulate: %v %x", err, pkt, wantErr, wantPkt)
		}
		if err == nil && (offsetIn(got, pkt) != int(off)-Headroom) {
			t.Fatal("the packet does not start in the headroom")
		}
		if err != nil && !bytes.Equal(got, buf) {
			t.Fatal("buf modified on error")
		}

		// SetID gives what NewTemplate with that ID gives (an invalid
		// Template stays invalid: its Encapsulate refused above).
		p2 := p
		p2.ID = ^id
		t2, _ := NewTemplate(&p2)
		t2.SetID(id)
		if t2 != tmpl && tmpl.ok {
			t.Fatalf("SetID: %+v, NewTemplate: %+v", t2, tmpl)
		}
		if _, err := t2.Encapsulate(append([]byte(nil), buf...), int(off)); err != wantErr {
			t.Fatalf("after SetID: %v, Encapsulate: %v", err, wantErr)
		}

		wantApp, wantErr := AppendEncapsulate([]byte("dst"), inner, &p)
		app, err := tmpl.AppendEncapsulate([]byte("dst"), inner)
		if err != wantErr || !bytes.Equal(app, wantApp) {
			t.Fatalf("Template append: %v %x, AppendEncapsulate: %v %x", err, app, wantErr, wantApp)
		}
	})
}

// refInbound is Router.Inbound as it was before it went through
// Policy.Decapsulate: decap, the dispatch of ICMPv4 and fragments, the
// tunnel match, checkInbound, then the ECN table. FuzzInboundReference
// holds the router to it.
func refInbound(r *Router, now time.Time, pkt []byte) Result {
	hl, err := decap(pkt)
	switch err {
	case nil:
	case ErrNotProto41:
		if pkt[9] == packet.ProtoICMP {
			return r.inboundICMP(now, pkt)
		}
		return r.drop(Inbound, err)
	case ErrFragmented:
		res, ok := r.fragment(now, pkt)
		if !ok {
			return res
		}
		pkt = res.Packet
		hl = int(pkt[0]&0x0f) * 4
	default:
		return r.drop(Inbound, err)
	}
	osrc, odst := binary.BigEndian.Uint32(pkt[12:16]), binary.BigEndian.Uint32(pkt[16:20])
	if odst != r.pol.local {
		return r.noTunnel(now, ErrNoTunnel, pkt)
	}
	if r.pol.mech == SixInFour && osrc != r.pol.remote {
		return r.noTunnel(now, ErrNotFromRemote, pkt)
	}
	inner := pkt[hl : hl+packet.IPv6HeaderLen+int(binary.BigEndian.Uint16(pkt[hl+4:]))]
	viaRelay, err := r.pol.checkInbound(osrc, odst, inner)
	if err != nil {
		return r.drop(Inbound, err)
	}
	if err := applyECN(pkt[1], inner, r.decapECN); err != nil {
		return r.drop(Inbound, err)
	}
	reason := ReasonReceivedDirect
	if viaRelay {
		reason = ReasonReceivedRelay
	}
	r.count(Inbound, reason)
	return result(ActionToHost, reason, inner, 0, 0)
}

// FuzzInboundReference feeds the input, twice, to a router of every
// mechanism and to a twin running refInbound: the same Result (action,
// reason, next hop, MTU, packet bytes, and where the packet lies in the
// input), the same bytes left in the input, the same counters.
func FuzzInboundReference(f *testing.F) {
	f.Add(hexb(f, vectorP41), uint8(0))                                                                                           // 6to4 site to site
	f.Add(ip4{src: benchV4A, dst: benchV4B}.wrap(f, sized(f, bench6A, bench6B, 100)), uint8(0))                                   // plain octets
	f.Add(tunnelled(f, v4Relay, v4B, native, site6B), uint8(0))                                                                   // from the 6to4 relay
	f.Add(tunnelled(f, v4Other, v4B, site6A, site6B), uint8(0))                                                                   // spoofed 6to4 source
	f.Add(ip4{src: v4Other, dst: v4B, tos: 3}.wrap(f, ip6{src: site6A, dst: site6B}.bytes(f)), uint8(0))                          // spoofed and CE over Not-ECT
	f.Add(ip4{src: v4A, dst: v4Other, tos: 3}.wrap(f, ip6{src: site6A, dst: site6B}.bytes(f)), uint8(0))                          // no tunnel and CE over Not-ECT
	f.Add(ip4{src: v4A, dst: v4B, tos: 1}.wrap(f, ip6{src: site6A, dst: site6B, tc: 2}.bytes(f)), uint8(0))                       // ECN rewrite
	f.Add(tunnelled(f, v4A, v4B, netip.MustParseAddr("2001:db8:c000:2::1"), netip.MustParseAddr("2001:db8:6407:1::1")), uint8(0)) // 6rd CE to CE
	f.Add(tunnelled(f, netip.MustParseAddr("10.0.0.5"), v4B, netip.MustParseAddr("2001:db8:1:2:0:5efe:a00:5"),
		netip.MustParseAddr("2001:db8:1:2:0:5efe:c633:6407")), uint8(0)) // ISATAP neighbour
	sent := tunnelled(f, v4B, v4A, site6B, site6A)
	f.Add(icmpv4(f, rtr4, v4B, 3, 1, [4]byte{}, append(sent, make([]byte, 8)...)[:68]), uint8(0)) // ICMPv4 to translate
	f.Add(icmpv4(f, rtr4, v4B, 3, 4, [4]byte{0, 0, 2, 0x40}, sent[:28]), uint8(0))                // fragmentation needed
	big := ip4{src: v4A, dst: v4B, tos: 3}.wrap(f, sized(f, site6A, site6B, 1280))
	f.Add(fragmentIPv4(f, big, 576)[0], uint8(0))   // first fragment, CE over Not-ECT
	f.Add(bytes.Repeat([]byte{0x45}, 80), uint8(7)) // garbage, repaired

	f.Fuzz(func(t *testing.T, b []byte, rep uint8) {
		repairP41(b, rep)
		for _, cfg := range fastConfigs() {
			r, ref := router(t, cfg), router(t, cfg)
			for range 2 {
				got, want := append([]byte(nil), b...), append([]byte(nil), b...)
				res, wantRes := r.Inbound(t0, got), refInbound(ref, t0, want)
				if res.m != wantRes.m || !bytes.Equal(res.Packet, wantRes.Packet) ||
					offsetIn(got, res.Packet) != offsetIn(want, wantRes.Packet) || !bytes.Equal(got, want) {
					t.Fatalf("%v: %v, reference %v", cfg.Mechanism, res, wantRes)
				}
				if r.Counters() != ref.Counters() {
					t.Fatalf("%v: counters\n%v\nreference\n%v", cfg.Mechanism, r.Counters(), ref.Counters())
				}
			}
		}
	})
}
