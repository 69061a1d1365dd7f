package packet

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

// ic6RefOpts is the slow reference ND option walker (RFC 4861 §4.6) that
// NDOptIter is checked against.
func ic6RefOpts(b []byte) (opts []ic6Opt, err error) {
	for i := 0; i < len(b); {
		if len(b)-i < 2 {
			return opts, ErrBadOption
		}
		if b[i+1] == 0 {
			return opts, ErrZeroLengthOption
		}
		n := 8 * int(b[i+1])
		if i+n > len(b) {
			return opts, ErrBadOption
		}
		opts = append(opts, ic6Opt{b[i], string(b[i+2 : i+n])})
		i += n
	}
	return opts, nil
}

// ic6RefND re-states the RFC 4861 §6.1.1, §6.1.2, §7.1.1 and §7.1.2 validity
// rules (and RFC 6980 §5) in the order the parsers check them, from the raw
// bytes: pkt is the IPv6 packet, msg the ICMPv6 message, frag whether a
// Fragment header precedes it, want the ND type being parsed.
func ic6RefND(pkt, msg []byte, frag bool, want uint8) error {
	src := netip.AddrFrom16([16]byte(pkt[8:24]))
	dst := netip.AddrFrom16([16]byte(pkt[24:40]))
	minLen := map[uint8]int{133: 8, 134: 16, 135: 24, 136: 24}[want]
	if msg[0] != want {
		return ErrWrongType
	}
	if want == 134 && !(pkt[8] == 0xfe && pkt[9]&0xc0 == 0x80) {
		return ErrBadSource
	}
	if pkt[7] != 255 {
		return ErrBadHopLimit
	}
	if msg[1] != 0 {
		return ErrBadCode
	}
	if len(msg) < minLen {
		return ErrTruncated
	}
	if frag {
		return ErrFragmented
	}
	opts, err := ic6RefOpts(msg[minLen:])
	if err != nil {
		return err
	}
	slla := false
	for _, o := range opts {
		switch o.Type {
		case 1:
			slla = true
		case 3:
			if len(o.Data) != 30 || o.Data[0] > 128 {
				return ErrBadOption
			}
		case 5:
			if len(o.Data) != 6 {
				return ErrBadOption
			}
		}
	}
	unspecified := src == netip.IPv6Unspecified()
	switch want {
	case 133:
		if unspecified && slla {
			return ErrBadSource
		}
	case 135, 136:
		if msg[8] == 0xff {
			return ErrBadTarget
		}
		if want == 135 && unspecified {
			d := dst.As16()
			solicited := d[0] == 0xff && d[1] == 2 && string(d[2:11]) == string(make([]byte, 9)) && d[11] == 1 && d[12] == 0xff
			if !solicited {
				return ErrBadDestination
			}
			if slla {
				return ErrBadSource
			}
		}
		if want == 136 && pkt[24] == 0xff && msg[4]&0x40 != 0 {
			return ErrBadDestination
		}
	}
	return nil
}

func FuzzParseICMPv6(f *testing.F) {
	hex := func(s string) []byte { return i6Hex(f, s) }
	// The IP-HTTPS RS and RA examples.
	f.Add(hex(i6VecRS), false)
	f.Add(hex(i6VecRA), false)
	// NS with SLLA, NA with TLLA, echo request.
	f.Add(hex(ic6VecNS), false)
	f.Add(hex(ic6VecNA), false)
	f.Add(hex(ic6VecEcho), false)
	// RA with a broken checksum: only fix=true gets it past the checksum.
	ra := hex(i6VecRA)
	ra[43] ^= 0xff
	f.Add(ra, true)
	// RA with a zero-length option appended (checksum fixed by the target).
	f.Add(append(ic6SetPlen(hex(i6VecRA), 64), 0x19, 0, 0, 0, 0, 0, 0, 0), true)
	// RA with a PIO of prefix length 129.
	ra = hex(i6VecRA)
	ra[58] = 129
	f.Add(ra, true)
	// DAD NS from the unspecified address without option.
	ns := ic6SetPlen(hex(ic6VecNS), 24)
	clear(ns[8:24])
	f.Add(ns, true)
	// Solicited NA to a multicast address.
	na := hex(ic6VecNA)
	na[24] = 0xff
	f.Add(na, true)
	// RS inside an atomic fragment.
	rsFrag := i6Chain([]i6Ext{{ProtoIPv6Frag, i6Frag(0, false, 1)}}, 58, hex(i6VecRS)[40:])
	rsFrag[7] = 255
	f.Add(rsFrag, true)
	// Packet Too Big quoting a 1500-byte packet.
	ptb, _ := AppendPacketTooBig(nil, ic6G1, ic6G2, 64, 1280, ic6Invoking(1500))
	f.Add(ptb, false)
	// UDP, not ICMPv6.
	f.Add(i6Raw(0x60000000, 17, 64, "::1", "::2", make([]byte, 8)), false)
	f.Fuzz(func(t *testing.T, in []byte, fix bool) {
		ip, err := ParseIPv6(in)
		if err != nil {
			return
		}
		pkt := ip.Bytes()
		types, proto, off, werr := i6RefWalk(pkt)
		frag := false
		for _, typ := range types {
			frag = frag || typ == ProtoIPv6Frag
		}
		if fix && werr == nil && proto == 58 && len(pkt)-off >= 4 {
			// Let the fuzzer past the checksum: recompute it on a copy.
			c := append([]byte{}, in...)
			msg := c[off:len(pkt)]
			msg[2], msg[3] = 0, 0
			binary.BigEndian.PutUint16(msg[2:], ic6RefChecksum(ip.Src(), ip.Dst(), msg))
			if ip, err = ParseIPv6(c); err != nil {
				t.Fatal(err)
			}
			pkt = ip.Bytes()
		}
		m, err := ParseICMPv6(ip)
		if err != nil {
			if m.Type() != 0 || len(m.Bytes()) != 0 {
				t.Fatal("view not reset on error")
			}
			return
		}
		if werr != nil || proto != 58 {
			t.Fatalf("ParseICMPv6 accepted a walk ending in %d, %v", proto, werr)
		}
		msg := m.Bytes()
		if len(msg) < 4 || len(msg) != len(pkt)-off || &msg[0] != &pkt[off] {
			t.Fatal("message is not the packet from the upper-layer offset")
		}
		// The one's-complement sum over pseudo-header and message,
		// checksum included, is 0xffff (reference arithmetic).
		saved := binary.BigEndian.Uint16(msg[2:])
		c := append([]byte{}, msg...)
		c[2], c[3] = 0, 0
		ref := ic6RefChecksum(ip.Src(), ip.Dst(), c)
		if saved != ref && !(saved^ref == 0xffff && (saved == 0 || ref == 0)) {
			t.Fatalf("checksum %#04x accepted, reference %#04x", saved, ref)
		}
		if m.Type() != msg[0] || m.Code() != msg[1] || m.Checksum() != saved || len(m.Body()) != len(msg)-4 {
			t.Fatal("accessor mismatch")
		}
		if m.frag != frag {
			t.Fatal("(atomic) fragment header not recorded")
		}

		// Option iteration over arbitrary bytes agrees with the reference.
		for _, start := range []int{4, 8, 16, 24} {
			if start > len(msg) {
				break
			}
			got, gerr := ic6Opts(NDOptions(msg[start:]))
			want, werr := ic6RefOpts(msg[start:])
			if !reflect.DeepEqual(got, want) || gerr != werr {
				t.Fatalf("options at %d: %v %v, reference %v %v", start, got, gerr, want, werr)
			}
		}

		// Each ND parser agrees with the reference validity rules.
		type ndParse struct {
			typ   uint8
			parse func() (NDOptIter, error)
		}
		for _, p := range []ndParse{
			{133, func() (NDOptIter, error) { v, err := ParseRouterSolicitation(m); return v.Options(), err }},
			{134, func() (NDOptIter, error) { v, err := ParseRouterAdvertisement(m); return v.Options(), err }},
			{135, func() (NDOptIter, error) { v, err := ParseNeighborSolicitation(m); return v.Options(), err }},
			{136, func() (NDOptIter, error) { v, err := ParseNeighborAdvertisement(m); return v.Options(), err }},
		} {
			it, err := p.parse()
			if want := ic6RefND(pkt, msg, frag, p.typ); err != want {
				t.Fatalf("type %d parse: %v, reference %v", p.typ, err, want)
			}
			if err != nil {
				continue
			}
			got, gerr := ic6Opts(it)
			want, _ := ic6RefOpts(msg[map[uint8]int{133: 8, 134: 16, 135: 24, 136: 24}[p.typ]:])
			if gerr != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("options of valid type %d: %v %v, reference %v", p.typ, got, gerr, want)
			}
		}

		// RA helpers agree with the reference options.
		if ra, err := ParseRouterAdvertisement(m); err == nil {
			opts, _ := ic6RefOpts(msg[16:])
			var wantMTU uint32
			hasMTU, pios := false, 0
			var first PrefixInfo
			for _, o := range opts {
				switch o.Type {
				case 5:
					if !hasMTU {
						wantMTU, hasMTU = binary.BigEndian.Uint32([]byte(o.Data[2:])), true
					}
				case 3:
					if pios == 0 {
						var a [16]byte
						copy(a[:], o.Data[14:])
						first = PrefixInfo{
							Prefix:            netip.PrefixFrom(netip.AddrFrom16(a), int(o.Data[0])).Masked(),
							OnLink:            o.Data[1]&0x80 != 0,
							Autonomous:        o.Data[1]&0x40 != 0,
							ValidLifetime:     binary.BigEndian.Uint32([]byte(o.Data[2:])),
							PreferredLifetime: binary.BigEndian.Uint32([]byte(o.Data[6:])),
						}
					}
					pios++
				}
			}
			mtu, ok := ra.MTU()
			pi, n := ra.PrefixInfo()
			if mtu != wantMTU || ok != hasMTU || n != pios || pi != first {
				t.Fatalf("RA helpers: MTU %d %v PIO %v %d; reference %d %v %v %d", mtu, ok, pi, n, wantMTU, hasMTU, first, pios)
			}
			if ra.CurHopLimit() != msg[4] || ra.Flags() != msg[5] || ra.RouterLifetime() != binary.BigEndian.Uint16(msg[6:]) ||
				ra.ReachableTime() != binary.BigEndian.Uint32(msg[8:]) || ra.RetransTimer() != binary.BigEndian.Uint32(msg[12:]) {
				t.Fatal("RA field mismatch")
			}
		}

		// Echo and error accessors are total and consistent.
		if id, seq, data, err := m.Echo(); err == nil {
			if id != binary.BigEndian.Uint16(msg[4:]) || seq != binary.BigEndian.Uint16(msg[6:]) || len(data) != len(msg)-8 {
				t.Fatal("Echo mismatch")
			}
		} else if !errors.Is(err, ErrWrongType) && !errors.Is(err, ErrTruncated) {
			t.Fatal(err)
		}
		if param, inv, err := m.ErrorMessage(); err == nil {
			if param != binary.BigEndian.Uint32(msg[4:]) || len(inv) != len(msg)-8 {
				t.Fatal("ErrorMessage mismatch")
			}
		}
	})
}
