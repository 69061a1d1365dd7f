package sixtofour

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"testing"

	"github.com/transit6/transit6/packet"
)

var benchSizes = []int{40, 576, 1280, 1500, 9000}

// benchSites are two 6to4 sites with ordinary global addresses, so the
// classifier takes its fast path as it would on the Internet.
var (
	benchV4A = netip.MustParseAddr("8.8.8.8")
	benchV4B = netip.MustParseAddr("9.9.9.9")
	bench6A  = netip.MustParseAddr("2002:808:808::1")
	bench6B  = netip.MustParseAddr("2002:909:909::1")
)

func BenchmarkEncapsulate(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			buf, off := withHeadroom(sized(b, bench6A, bench6B, n))
			p := Params{OuterPolicy: OuterPolicy{TTL: 64}, Src: benchV4A, Dst: benchV4B, DF: true}
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Encapsulate(buf, off, &p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendEncapsulate(b *testing.B) {
	inner := sized(b, bench6A, bench6B, 1280)
	dst := make([]byte, 0, 2048)
	p := Params{OuterPolicy: OuterPolicy{TTL: 64}, Src: benchV4A, Dst: benchV4B, DF: true}
	b.SetBytes(1280)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := AppendEncapsulate(dst[:0], inner, &p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecapsulate(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			pkt := tunnelled6(b, n)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Decapsulate(pkt, DecapRFC6040); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// tunnelled6 is a 6to4 packet from site A to site B with an n-byte inner
// packet.
func tunnelled6(b *testing.B, n int) []byte {
	return ip4{src: benchV4A, dst: benchV4B}.wrap(b, sized(b, bench6A, bench6B, n))
}

// BenchmarkDecapsulate6to4 is the headline figure: decapsulation
// with every 6to4 policy check, on the Internet (global addresses, the
// classifier's fast path) and in a lab (documentation addresses listed in
// TreatAsGlobal).
func BenchmarkDecapsulate6to4(b *testing.B) {
	cfg := Config{Mechanism: SixToFour, Local: benchV4B}
	pol, err := NewPolicy(&cfg)
	if err != nil {
		b.Fatal(err)
	}
	lab := sixToFour(v4B)
	labPol, err := NewPolicy(&lab)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			pkt := tunnelled6(b, n)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				inner, outer, err := Decapsulate(pkt, DecapRFC6040)
				if err != nil {
					b.Fatal(err)
				}
				if err := pol.CheckInbound(outer, inner); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("1280-lab", func(b *testing.B) {
		pkt := ip4{src: v4A, dst: v4B}.wrap(b, sized(b, site6A, site6B, 1280))
		b.SetBytes(1280)
		b.ReportAllocs()
		for b.Loop() {
			inner, outer, err := Decapsulate(pkt, DecapRFC6040)
			if err != nil {
				b.Fatal(err)
			}
			if err := labPol.CheckInbound(outer, inner); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHand is the practical limit the codec is measured against in
// the same run: the shortest hand-written encapsulation and decapsulation
// (the checks of Encapsulate and Decapsulate, no policy), as in bench/.
func BenchmarkHand(b *testing.B) {
	inner := sized(b, bench6A, bench6B, 1280)
	buf, off := withHeadroom(inner)
	pkt := tunnelled6(b, 1280)
	var sink []byte
	b.Run("encapsulate/1280", func(b *testing.B) {
		b.SetBytes(1280)
		b.ReportAllocs()
		for b.Loop() {
			sink = handEncap(buf, off, 0x08080808, 0x09090909, 0)
		}
	})
	b.Run("decapsulate/1280", func(b *testing.B) {
		b.SetBytes(1280)
		b.ReportAllocs()
		for b.Loop() {
			sink, _ = handDecap(pkt)
		}
	})
	_ = sink
}

// handEncap writes a protocol-41 header in front of buf[off:] with TTL
// inherited and ECN copied, summing the header the plain way.
func handEncap(buf []byte, off int, src, dst uint32, id uint16) []byte {
	in := buf[off:]
	n := 40 + int(binary.BigEndian.Uint16(in[4:6]))
	h := buf[off-20 : off]
	h[0], h[1] = 0x45, (in[1]>>4)&3
	binary.BigEndian.PutUint16(h[2:], uint16(20+n))
	binary.BigEndian.PutUint16(h[4:], id)
	binary.BigEndian.PutUint16(h[6:], 0x4000)
	h[8], h[9], h[10], h[11] = in[7], 41, 0, 0
	binary.BigEndian.PutUint32(h[12:], src)
	binary.BigEndian.PutUint32(h[16:], dst)
	var s uint32
	for i := 0; i < 20; i += 2 {
		s += uint32(h[i])<<8 | uint32(h[i+1])
	}
	s = s>>16 + s&0xffff
	s += s >> 16
	binary.BigEndian.PutUint16(h[10:], ^uint16(s))
	return buf[off-20 : off+n]
}

// handDecap checks what Decapsulate checks (ECN aside) and returns the
// inner packet.
func handDecap(b []byte) ([]byte, error) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return nil, ErrNotProto41
	}
	hl := int(b[0]&0xf) * 4
	tl := int(binary.BigEndian.Uint16(b[2:4]))
	if hl < 20 || tl < hl || tl > len(b) {
		return nil, ErrNotProto41
	}
	var s uint32
	for i := 0; i < hl; i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	s = s>>16 + s&0xffff
	s += s >> 16
	if s != 0xffff || binary.BigEndian.Uint16(b[6:8])&0x3fff != 0 || b[9] != 41 {
		return nil, ErrNotProto41
	}
	in := b[hl:tl]
	if len(in) < 40 || in[0]>>4 != 6 {
		return nil, ErrNotProto41
	}
	n := 40 + int(binary.BigEndian.Uint16(in[4:6]))
	if n > len(in) {
		return nil, ErrNotProto41
	}
	return in[:n], nil
}

func BenchmarkRouterOutbound(b *testing.B) {
	r := router(b, Config{Mechanism: SixToFour, Local: benchV4A, PathMTU: 9020})
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			buf, off := withHeadroom(sized(b, bench6A, bench6B, n))
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if res := r.Outbound(t0, buf, off); res.Action() != ActionToNetwork {
					b.Fatal(res.Err())
				}
			}
		})
	}
}

func BenchmarkRouterInbound(b *testing.B) {
	r := router(b, Config{Mechanism: SixToFour, Local: benchV4B})
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			pkt := tunnelled6(b, n)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if res := r.Inbound(t0, pkt); res.Action() != ActionToHost {
					b.Fatal(res.Err())
				}
			}
		})
	}
}

func BenchmarkTranslateICMPv4(b *testing.B) {
	sent := tunnelled6(b, 1280)
	m := icmpv4(b, rtr4, benchV4A, 3, 1, [4]byte{}, sent[:548])
	dst := make([]byte, 0, 1280)
	b.SetBytes(int64(len(m)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := TranslateICMPv4(dst[:0], m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReassemble puts a 1300-byte datagram back together from three
// fragments of a 576-byte path.
func BenchmarkReassemble(b *testing.B) {
	r, err := NewReassembler(ReassemblyConfig{})
	if err != nil {
		b.Fatal(err)
	}
	frags := fragmentIPv4(b, tunnelled6(b, 1280), 576)
	ips := make([]packet.IPv4, len(frags))
	for i, f := range frags {
		ips[i] = parse4(b, f)
	}
	b.SetBytes(1300)
	b.ReportAllocs()
	for b.Loop() {
		for _, ip := range ips {
			if _, _, err := r.Add(t0, ip); err != nil {
				b.Fatal(err)
			}
		}
	}
}
