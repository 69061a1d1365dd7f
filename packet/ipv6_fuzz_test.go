package packet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// i6RefWalk is the slow, obvious walk of RFC 8200 §4 that ExtIter is
// checked against: the types of the extension headers it passes, then the
// upper-layer protocol and offset, or the error and where it stopped.
func i6RefWalk(pkt []byte) (types []uint8, proto uint8, off int, err error) {
	proto, off = pkt[6], 40
	for {
		switch proto {
		case 0, 43, 44, 51, 60:
		default:
			return types, proto, off, nil
		}
		if proto == 0 && off != 40 {
			return types, proto, off, ErrHopByHopNotFirst
		}
		if len(types) == 16 {
			return types, proto, off, ErrTooManyExtHeaders
		}
		if off+2 > len(pkt) {
			return types, proto, off, ErrTruncated
		}
		var n int
		switch proto {
		case 44:
			n = 8
		case 51:
			n = 4 * (int(pkt[off+1]) + 2)
		default:
			n = 8 * (int(pkt[off+1]) + 1)
		}
		if off+n > len(pkt) {
			return types, proto, off, ErrTruncated
		}
		hdr := pkt[off : off+n]
		if proto == 0 || proto == 60 {
			jumbo, bad := false, false
			for i := 2; i < n; {
				if hdr[i] == 0 {
					i++
					continue
				}
				if i+1 >= n || i+2+int(hdr[i+1]) > n {
					bad = true
					break
				}
				if hdr[i] == 0xc2 && proto == 0 {
					jumbo = true
				}
				i += 2 + int(hdr[i+1])
			}
			if bad {
				return types, proto, off, ErrBadExtHeader
			}
			if jumbo {
				return types, proto, off, ErrJumbogram
			}
		}
		if proto == 51 && n%8 != 0 {
			return types, proto, off, ErrBadExtHeader
		}
		types = append(types, proto)
		if proto == 44 && binary.BigEndian.Uint16(hdr[2:])>>3 != 0 {
			return types, hdr[0], off + n, ErrFragmented
		}
		proto, off = hdr[0], off+n
	}
}

// i6CheckWalk checks the extension header walk of h against the reference
// and its own invariants.
func i6CheckWalk(t *testing.T, h IPv6) {
	pkt := h.Bytes()
	wantTypes, wantProto, wantOff, wantErr := i6RefWalk(pkt)
	it := h.Extensions()
	var types []uint8
	next := IPv6HeaderLen
	for e, ok := it.Next(); ok; e, ok = it.Next() {
		if len(types) >= MaxExtHeaders {
			t.Fatalf("more than %d headers", MaxExtHeaders)
		}
		types = append(types, e.Type())
		if e.Offset() != next || e.Len() == 0 || e.Offset()+e.Len() > len(pkt) {
			t.Fatalf("header %d at %d+%d, want at %d within %d", len(types), e.Offset(), e.Len(), next, len(pkt))
		}
		if &e.Bytes()[0] != &pkt[e.Offset()] {
			t.Fatal("header bytes do not alias the packet")
		}
		if e.NextHeader() != pkt[e.Offset()] {
			t.Fatal("NextHeader mismatch")
		}
		next += e.Len()
	}
	if _, ok := it.Next(); ok {
		t.Fatal("Next returned a header after the end")
	}
	proto, off, err := it.UpperLayer()
	if !bytes.Equal(types, wantTypes) || proto != wantProto || off != wantOff || !errors.Is(err, wantErr) || (err == nil) != (wantErr == nil) {
		t.Fatalf("walk = %v %d %d %v, reference %v %d %d %v", types, proto, off, err, wantTypes, wantProto, wantOff, wantErr)
	}
	p2, off2, err2 := h.UpperLayer()
	if p2 != proto || off2 != off || err2 != err {
		t.Fatalf("UpperLayer = %d %d %v, iterator %d %d %v", p2, off2, err2, proto, off, err)
	}
	if err == nil && (off < IPv6HeaderLen || off > len(pkt)) {
		t.Fatalf("upper layer offset %d outside [40, %d]", off, len(pkt))
	}
	routing := false
	for _, typ := range types {
		routing = routing || typ == ProtoIPv6Route
	}
	if h.HasRoutingHeader() != routing {
		t.Fatalf("HasRoutingHeader = %v, walk saw %v", h.HasRoutingHeader(), types)
	}
}

func FuzzParseIPv6(f *testing.F) {
	// The IP-HTTPS Router Solicitation example (iphttps.md §1.4).
	f.Add(i6Hex(f, i6VecRS))
	// The IP-HTTPS Router Advertisement example.
	f.Add(i6Hex(f, i6VecRA))
	// Two framed packets back to back: the second is a trailer.
	f.Add(append(i6Hex(f, i6VecRS), i6Hex(f, i6VecRA)...))
	// Teredo bubble: Payload Length 0, Next Header 59.
	f.Add(i6Hex(f, i6VecBubble))
	// Teredo bubble with an RFC 6081 trailer.
	f.Add(i6Hex(f, i6VecBubble+i6VecAltTrailer))
	// Payload Length past the end of the buffer.
	f.Add(i6Hex(f, i6VecRS)[:47])
	// 39 bytes: one short of a header.
	f.Add(i6Hex(f, i6VecRS)[:39])
	// IPv4 header.
	f.Add(i6Hex(f, "45000014 00000000 40060000 c0000201 c0000202 0000000000000000000000000000000000000000"))
	// Jumbogram: Payload Length 0 and a Jumbo Payload option.
	f.Add(append(i6Raw(0x60000000, 0, 64, "::1", "::2", nil), 17, 0, 0xc2, 4, 0, 1, 0, 0))
	// Every extension header kind in order.
	f.Add(i6Chain([]i6Ext{{ProtoHopByHop, i6PadN}, {ProtoIPv6Opts, i6PadN}, {ProtoIPv6Route, i6Route},
		{ProtoIPv6Frag, i6Frag(0, false, 7)}, {ProtoAH, i6AH}, {ProtoIPv6Opts, i6PadN}}, ProtoICMPv6, make([]byte, 8)))
	// Non-first fragment.
	f.Add(i6Chain([]i6Ext{{ProtoIPv6Frag, i6Frag(1448, true, 9)}}, ProtoUDP, make([]byte, 8)))
	// Hop-by-Hop after another header.
	f.Add(i6Chain([]i6Ext{{ProtoIPv6Opts, i6PadN}, {ProtoHopByHop, i6PadN}}, ProtoUDP, nil))
	// AH of 12 bytes, not a multiple of 8.
	f.Add(i6Chain([]i6Ext{{ProtoAH, []byte{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}}}, ProtoUDP, nil))
	// Option overrunning its header.
	f.Add(i6Chain([]i6Ext{{ProtoIPv6Opts, []byte{0, 1, 5, 0, 0, 0, 0}}}, ProtoUDP, nil))
	// ESP: the walk stops.
	f.Add(i6Chain([]i6Ext{{ProtoIPv6Opts, i6PadN}}, ProtoESP, make([]byte, 16)))
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := ParseIPv6(in)
		if err != nil {
			if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrBadVersion) && !errors.Is(err, ErrJumbogram) {
				t.Fatalf("unexpected error %v", err)
			}
			if h.IsValid() {
				t.Fatal("view valid after error")
			}
			return
		}
		n := len(h.Bytes())
		if n != IPv6HeaderLen+h.PayloadLen() || n > len(in) || int(binary.BigEndian.Uint16(in[4:]))+40 != n {
			t.Fatalf("packet length %d, payload length %d, input %d", n, h.PayloadLen(), len(in))
		}
		// Bytes and Trailer split the input without copying.
		if &h.Bytes()[0] != &in[0] || !bytes.Equal(h.Bytes(), in[:n]) || !bytes.Equal(h.Trailer(), in[n:]) {
			t.Fatal("Bytes and Trailer are not the input split at the packet length")
		}
		if len(h.Trailer()) > 0 && &h.Trailer()[0] != &in[n] {
			t.Fatal("Trailer does not alias the input")
		}
		if !bytes.Equal(h.Header(), in[:40]) || !bytes.Equal(h.Payload(), in[40:n]) {
			t.Fatal("Header or Payload mismatch")
		}
		if got, err := IPv6PacketLen(in); err != nil || got != n {
			t.Fatalf("IPv6PacketLen = %d, %v; want %d", got, err, n)
		}
		// Re-encoding the header fields gives the same 40 bytes.
		fields := h.Fields()
		var hdr [40]byte
		if err := fields.Encode(hdr[:], h.PayloadLen()); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(hdr[:], in[:40]) {
			t.Fatalf("re-encoded header\n%x\nwant\n%x", hdr, in[:40])
		}
		if h.IsBubble() != (n == 40 && in[6] == 59) {
			t.Fatal("IsBubble mismatch")
		}
		i6CheckWalk(t, h)
		// ICMPv6 parsing of anything never panics.
		if m, err := ParseICMPv6(h); err == nil {
			_, _, _, _ = m.Echo()
			_, _, _ = m.ErrorMessage()
		}
	})
}

func FuzzIPv6PacketLen(f *testing.F) {
	// Empty input.
	f.Add([]byte{})
	// Five bytes: one short.
	f.Add([]byte{0x60, 0, 0, 0, 0})
	// Six bytes suffice.
	f.Add([]byte{0x60, 0, 0, 0, 0, 8})
	// Largest payload length.
	f.Add([]byte{0x60, 0, 0, 0, 0xff, 0xff})
	// IPv4 version nibble.
	f.Add([]byte{0x45, 0, 0, 0x14, 0, 0})
	// A whole RS.
	f.Add(i6Hex(f, i6VecRS))
	f.Fuzz(func(t *testing.T, in []byte) {
		n, err := IPv6PacketLen(in)
		switch {
		case len(in) < 6:
			if !errors.Is(err, ErrTruncated) || n != 0 {
				t.Fatalf("%d bytes: %d, %v", len(in), n, err)
			}
		case in[0]>>4 != 6:
			if !errors.Is(err, ErrBadVersion) || n != 0 {
				t.Fatalf("version %d: %d, %v", in[0]>>4, n, err)
			}
		default:
			if err != nil || n != 40+int(in[4])<<8+int(in[5]) {
				t.Fatalf("%d, %v", n, err)
			}
			// A buffer of exactly n bytes parses (unless it is a
			// jumbogram); one byte less does not.
			if len(in) >= n && n >= 40 {
				h, err := ParseIPv6(in[:n])
				if err == nil && len(h.Bytes()) != n {
					t.Fatalf("ParseIPv6 length %d, want %d", len(h.Bytes()), n)
				}
				if err != nil && !errors.Is(err, ErrJumbogram) {
					t.Fatal(err)
				}
				if _, err := ParseIPv6(in[:n-1]); !errors.Is(err, ErrTruncated) {
					t.Fatalf("ParseIPv6 of %d bytes: %v", n-1, err)
				}
			}
		}
	})
}

func FuzzExtensions(f *testing.F) {
	// No extension headers.
	f.Add(uint8(ProtoUDP), make([]byte, 8))
	// Every kind in order.
	f.Add(uint8(ProtoHopByHop), i6Chain([]i6Ext{{ProtoHopByHop, i6PadN}, {ProtoIPv6Opts, i6PadN}, {ProtoIPv6Route, i6Route},
		{ProtoIPv6Frag, i6Frag(0, false, 7)}, {ProtoAH, i6AH}}, ProtoUDP, make([]byte, 8))[40:])
	// Hop-by-Hop twice.
	f.Add(uint8(ProtoHopByHop), append(append([]byte{0}, i6PadN...), append([]byte{17}, i6PadN...)...))
	// Routing header with two addresses.
	f.Add(uint8(ProtoIPv6Route), append([]byte{17, 4, 0, 2, 0, 0, 0, 0}, make([]byte, 32)...))
	// Non-first fragment.
	f.Add(uint8(ProtoIPv6Frag), append([]byte{17}, i6Frag(8, true, 1)...))
	// AH whose length runs past the end.
	f.Add(uint8(ProtoAH), []byte{17, 255, 0, 0})
	// Jumbo option in Hop-by-Hop with a non-zero Payload Length.
	f.Add(uint8(ProtoHopByHop), []byte{17, 0, 0xc2, 4, 0, 1, 0, 0})
	// Pad1 then an option whose length byte is missing.
	f.Add(uint8(ProtoIPv6Opts), []byte{17, 0, 0, 0, 0, 0, 0, 1})
	// Destination Options chain longer than MaxExtHeaders.
	var many []byte
	for range MaxExtHeaders + 2 {
		many = append(many, 60, 0, 0, 0, 0, 0, 0, 0)
	}
	f.Add(uint8(ProtoIPv6Opts), many)
	f.Fuzz(func(t *testing.T, nh uint8, payload []byte) {
		if len(payload) > IPv6MaxPayloadLen {
			payload = payload[:IPv6MaxPayloadLen]
		}
		pkt := i6Raw(0x60000000, nh, 64, "2001:db8::1", "2001:db8::2", payload)
		h, err := ParseIPv6(pkt)
		if err != nil {
			if len(payload) == 0 && errors.Is(err, ErrJumbogram) {
				return
			}
			t.Fatal(err)
		}
		i6CheckWalk(t, h)
	})
}
