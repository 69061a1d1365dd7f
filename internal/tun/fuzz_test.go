package tun

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/transit6/transit6/packet"
)

// FuzzParseVirtioNetHdr checks that ParseVirtioNetHdr accepts every
// input of 10 bytes or more, refuses shorter ones, and that encoding
// what it decoded gives the bytes back.
func FuzzParseVirtioNetHdr(f *testing.F) {
	f.Add([]byte{})                                            // empty
	f.Add(make([]byte, 9))                                     // one byte short
	f.Add(make([]byte, 10))                                    // the zero header
	f.Add([]byte{1, 4, 0x56, 0, 0x80, 5, 0x28, 0, 0x10, 0})    // TCPv6 TSO as Linux sends it
	f.Add([]byte{3, 0x85, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8}) // all flags, ECN on UDP, trailing bytes
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseVirtioNetHdr(b)
		if len(b) < VirtioNetHdrLen {
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("%d bytes: %v", len(b), err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := h.AppendTo(nil); !bytes.Equal(got, b[:VirtioNetHdrLen]) {
			t.Fatalf("round trip: %x → %+v → %x", b[:VirtioNetHdrLen], h, got)
		}
	})
}

// decode finds the TCP or UDP header of seg with gopacket, which walks
// the IP header and any IPv6 extension headers, and returns its offset
// and the payload after it. The TCP header is read by hand, since
// gopacket refuses malformed TCP options, which Split just copies. It
// returns false if gopacket cannot walk the headers before (an IPv6
// Routing header of a type it does not know).
func decode(t *testing.T, seg []byte, udp bool) (int, []byte, bool) {
	t.Helper()
	first := layers.LayerTypeIPv4
	if len(seg) > 0 && seg[0]>>4 == 6 {
		first = layers.LayerTypeIPv6
	}
	p := gopacket.NewPacket(seg, first, gopacket.DecodeOptions{NoCopy: true})
	ls := p.Layers()
	if len(ls) == 0 || ls[0].LayerType() != first {
		t.Fatalf("segment %x: not IP: %v", seg, p.ErrorLayer())
	}
	want := layers.IPProtocolTCP
	if udp {
		want = layers.IPProtocolUDP
	}
	var next layers.IPProtocol // what the header before says comes next
	for _, l := range ls {
		switch l := l.(type) {
		case *layers.IPv4:
			next = l.Protocol
		case *layers.IPv6:
			next = l.NextHeader
		case *layers.IPv6HopByHop:
			next = l.NextHeader
		case *layers.IPv6Destination:
			next = l.NextHeader
		case *layers.IPv6Routing:
			next = l.NextHeader
		case *layers.TCP, *layers.UDP, *gopacket.DecodeFailure:
			if next != want {
				if l.LayerType() == gopacket.LayerTypeDecodeFailure {
					return 0, nil, false
				}
				t.Fatalf("segment %x: %v after %v", seg, l.LayerType(), next)
			}
			l4 := len(seg) - len(l.LayerContents()) - len(l.LayerPayload())
			hl := 8
			if !udp {
				hl = int(seg[l4+12]>>4) * 4
			}
			return l4, seg[l4+hl:], true
		}
	}
	t.Fatalf("segment %x: no TCP or UDP header: %v", seg, ls)
	return 0, nil, false
}

// FuzzSplit checks, for any header and packet, that Split does not panic
// and agrees with Segments; and for a packet it splits, that every
// segment is a valid IP packet (gopacket decodes it, package packet
// verifies its IPv4 header, the straightforward RFC 1071 sum verifies its
// TCP/UDP checksum) of at most GSOSize bytes of payload, all full but the
// last, with TCP sequence numbers following the payload and FIN/PSH on
// the last segment only, CWR on the first only; that the payloads joined
// are the super-packet's; and that splitting a few segments at a time
// gives the same bytes.
func FuzzSplit(f *testing.F) {
	data := payload(5000)
	add := func(fl flow, n, mss int) {
		p, h := fl.super(f, data[:n], mss)
		f.Add(h.AppendTo(nil), p, uint8(3))
	}
	withTS := func(fl flow) flow { fl.ts = true; fl.flags |= tcpPSH | tcpFIN | tcpCWR; return fl }
	withExt := func(fl flow) flow { fl.ext = true; return fl }
	add(tcp4Flow(), 4000, 1460)                // TCPv4, short last segment
	add(withTS(tcp4Flow()), 4000, 1000)        // TCP options; FIN, PSH and CWR to move
	add(tcp6Flow(), 2840, 1420)                // TCPv6, full segments
	add(withExt(tcp6Flow()), 3000, 999)        // an IPv6 extension header
	add(udp4Flow(), 2500, 1232)                // USO over IPv4
	add(withExt(udp6Flow()), 100, 7)           // USO over IPv6, tiny segments
	add(tcp4Flow(), 10, 1460)                  // a super-packet of one segment
	p, _ := udp6Flow().super(f, data[:300], 1) // GSONone with a checksum to complete
	f.Add(VirtioNetHdr{Flags: VirtioNeedsCsum, CsumStart: 40, CsumOffset: 6}.AppendTo(nil), p, uint8(1))
	f.Add(VirtioNetHdr{GSOType: GSOTCPv4, GSOSize: 100}.AppendTo(nil), []byte{0x45}, uint8(1)) // truncated IPv4
	f.Add(VirtioNetHdr{GSOType: GSOUDP, GSOSize: 100}.AppendTo(nil), p, uint8(1))              // UFO, refused
	f.Fuzz(func(t *testing.T, hb, pkt []byte, chunk uint8) {
		h, err := ParseVirtioNetHdr(hb)
		if err != nil {
			return
		}
		orig := append([]byte(nil), pkt...)
		total, err := Segments(pkt, h)
		const size = 65536 + 100
		bufs, sizes := newBufs(int(chunk%8)+1, size), make([]int, int(chunk%8)+1)
		n, serr := Split(pkt, h, 0, bufs, sizes, off)
		if !bytes.Equal(orig, pkt) {
			t.Fatal("Split modified its input")
		}
		if err != nil {
			if !errors.Is(serr, err) || n != 0 {
				t.Fatalf("Segments: %v, Split: %d, %v", err, n, serr)
			}
			return
		}
		if h.GSOType == GSONone {
			want := append([]byte(nil), pkt...)
			cerr := CompleteChecksum(want, h)
			if !errors.Is(serr, cerr) {
				t.Fatalf("GSONone: Split %v, CompleteChecksum %v", serr, cerr)
			}
			if serr == nil && (n != 1 || !bytes.Equal(want, bufs[0][off:off+sizes[0]])) {
				t.Fatalf("GSONone: %d packets, %x, want %x", n, bufs[0][off:off+sizes[0]], want)
			}
			return
		}
		if serr != nil {
			t.Fatalf("Segments said %d, Split: %v", total, serr)
		}
		if total > 256 {
			return // as good as smaller ones, and slow to decode
		}
		// All the segments, a few at a time.
		var segs [][]byte
		for first := 0; first < total; first += n {
			n, err = Split(pkt, h, first, bufs, sizes, off)
			if err != nil || n == 0 {
				t.Fatalf("at %d of %d: %d, %v", first, total, n, err)
			}
			for i := range n {
				if !headroomIntact(bufs[i]) {
					t.Fatal("headroom written")
				}
				segs = append(segs, append([]byte(nil), bufs[i][off:off+sizes[i]]...))
			}
		}
		if len(segs) != total {
			t.Fatalf("%d segments, Segments said %d", len(segs), total)
		}
		var joined []byte
		var l4, hdr0 int
		var seq0 uint32
		udp := h.GSO() == GSOUDPL4
		for i, seg := range segs {
			var pl []byte
			var ok bool
			if l4, pl, ok = decode(t, seg, udp); !ok {
				return
			}
			if i == 0 {
				hdr0 = len(seg) - len(pl)
			}
			proto := uint8(packet.ProtoTCP)
			if udp {
				proto = packet.ProtoUDP
			}
			if seg[0]>>4 == 4 {
				if _, err := packet.ParseIPv4(seg); err != nil {
					t.Fatalf("segment %d: %v", i, err)
				}
			}
			if !verifyL4(seg, l4, seg[0]>>4 == 6, proto) {
				t.Fatalf("segment %d: bad checksum: %x", i, seg)
			}
			if len(pl) > int(h.GSOSize) || (i < total-1 && len(pl) != int(h.GSOSize)) || len(pl) == 0 {
				t.Fatalf("segment %d of %d: %d bytes of payload, GSO size %d", i, total, len(pl), h.GSOSize)
			}
			if !udp {
				seq, flags := binary.BigEndian.Uint32(seg[l4+4:]), seg[l4+13]
				if i == 0 {
					seq0 = seq
				}
				if seq != seq0+uint32(len(joined)) {
					t.Fatalf("segment %d: seq %d, want %d", i, seq, seq0+uint32(len(joined)))
				}
				if flags&(tcpFIN|tcpPSH) != 0 && i != total-1 || flags&tcpCWR != 0 && i != 0 {
					t.Fatalf("segment %d of %d: flags %#x", i, total, flags)
				}
			}
			joined = append(joined, pl...)
		}
		if !bytes.Equal(pkt[hdr0:], joined) {
			t.Fatalf("payloads joined are not the super-packet's")
		}
	})
}

// refChecksum stores the IPv4 header checksum and the TCP/UDP checksum of
// p where it can find them (IPv4 without options or IPv6 with TCP or UDP
// right after the fixed header), computed by the straightforward RFC 1071
// sum, so that the fuzzer's packets are not all refused for their sums.
func refChecksum(p []byte) {
	sum := func(init uint32, bs ...[]byte) uint16 {
		s := init
		for _, b := range bs {
			for i := 0; i+1 < len(b); i += 2 {
				s += uint32(binary.BigEndian.Uint16(b[i:]))
			}
			if len(b)%2 == 1 {
				s += uint32(b[len(b)-1]) << 8
			}
		}
		for s > 0xffff {
			s = s>>16 + s&0xffff
		}
		return ^uint16(s)
	}
	var l4 int
	var proto uint8
	var addrs []byte
	switch {
	case len(p) >= 20 && p[0] == 0x45:
		p[10], p[11] = 0, 0
		binary.BigEndian.PutUint16(p[10:], sum(0, p[:20]))
		l4, proto, addrs = 20, p[9], p[12:20]
	case len(p) >= 40 && p[0]>>4 == 6:
		l4, proto, addrs = 40, p[6], p[8:40]
	default:
		return
	}
	at := l4 + 16
	if proto == packet.ProtoUDP {
		at = l4 + 6
	} else if proto != packet.ProtoTCP {
		return
	}
	if len(p) < at+2 {
		return
	}
	p[at], p[at+1] = 0, 0
	binary.BigEndian.PutUint16(p[at:], sum(uint32(proto)+uint32(len(p)-l4), addrs, p[l4:]))
}

// frame joins packets as the fuzz input of FuzzCoalesce: a 2-byte length
// before each.
func frame(pkts ...[]byte) []byte {
	var b []byte
	for _, p := range pkts {
		b = binary.BigEndian.AppendUint16(b, uint16(len(p)))
		b = append(b, p...)
	}
	return b
}

// FuzzCoalesce checks, for any run of packets (with their checksums made
// right when fix is set), that Coalesce does not panic, leaves what it
// does not join alone, and that a super-packet it makes splits back into
// the packets it joined, byte for byte but for IPv4 Identification and
// the checksum fields (0 and 0xFFFF are the same sum), whose sums verify.
func FuzzCoalesce(f *testing.F) {
	data := payload(3000)
	tcp := tcp4Flow()
	tcp.ts = true
	f.Add(frame(tcp.segments(f, data, 1000)...), true, true)                // TCPv4, 3 segments
	f.Add(frame(tcp6Flow().segments(f, data[:2500], 1000)...), true, false) // TCPv6, short last
	f.Add(frame(udp4Flow().segments(f, data, 999)...), true, true)          // UDPv4, 4 datagrams
	f.Add(frame(udp6Flow().segments(f, data, 1500)...), false, true)        // UDPv6, sums as built
	pshFlow := tcp4Flow()
	pshFlow.flags |= tcpPSH
	f.Add(frame(pshFlow.segments(f, data[:200], 50)...), true, false) // PSH on the last
	f.Add(frame([]byte{0x45}, []byte{0x60}), true, true)              // truncated headers
	f.Fuzz(func(t *testing.T, in []byte, fix, udp bool) {
		var pkts [][]byte
		for len(in) >= 2 && len(pkts) < 2*MaxCoalesce {
			n := min(int(binary.BigEndian.Uint16(in)), len(in)-2)
			p := append([]byte(nil), in[2:2+n]...)
			if fix {
				refChecksum(p)
			}
			pkts = append(pkts, p)
			in = in[2+n:]
		}
		bufs := atOffset(pkts)
		n, h := Coalesce(bufs, off, udp)
		if len(pkts) == 0 {
			if n != 0 {
				t.Fatalf("%d from nothing", n)
			}
			return
		}
		if n < 1 || n > len(pkts) || n > MaxCoalesce {
			t.Fatalf("n = %d of %d", n, len(pkts))
		}
		for i := range pkts {
			if (i > 0 || n == 1) && !bytes.Equal(pkts[i], bufs[i][off:]) {
				t.Fatalf("packet %d of %d modified", i, n)
			}
		}
		if n == 1 {
			if h != (VirtioNetHdr{}) {
				t.Fatalf("header %+v for one packet", h)
			}
			return
		}
		super := joined(bufs, n, h)
		if len(super) > 65535 {
			t.Fatalf("%d bytes", len(super))
		}
		segs := make([][]byte, n)
		for i := range segs {
			segs[i] = make([]byte, 65536)
		}
		sizes := make([]int, n)
		k, err := Split(super, h, 0, segs, sizes, 0)
		if err != nil || k != n {
			t.Fatalf("Split of %d joined: %d, %v (%+v)", n, k, err, h)
		}
		norm := func(p []byte) []byte {
			p = append([]byte(nil), p...)
			if p[0]>>4 == 4 {
				p[4], p[5], p[10], p[11] = 0, 0, 0, 0
			}
			p[int(h.CsumStart)+int(h.CsumOffset)], p[int(h.CsumStart)+int(h.CsumOffset)+1] = 0, 0
			return p
		}
		proto := uint8(packet.ProtoTCP)
		if h.GSO() == GSOUDPL4 {
			proto = packet.ProtoUDP
		}
		for i := range n {
			seg := segs[i][:sizes[i]]
			if !bytes.Equal(norm(seg), norm(pkts[i])) {
				t.Fatalf("packet %d of %d: split back %x, was %x", i, n, seg, pkts[i])
			}
			if !verifyL4(seg, int(h.CsumStart), seg[0]>>4 == 6, proto) || !verifyL4(pkts[i], int(h.CsumStart), seg[0]>>4 == 6, proto) {
				t.Fatalf("packet %d: a checksum does not verify", i)
			}
		}
	})
}
