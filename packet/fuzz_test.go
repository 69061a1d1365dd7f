package packet

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"unsafe"
)

// within reports whether sub lies inside b (an empty sub always does).
func within(sub, b []byte) bool {
	if len(sub) == 0 {
		return true
	}
	if len(b) == 0 {
		return false
	}
	s, e := uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(sub)))
	return p >= s && p-s+uintptr(len(sub)) <= e
}

// ipv4Reference is a slow, separately written IPv4 validator: it returns
// the header length and total length of a valid packet, or the error
// ParseIPv4 must return, in RFC 791 field order.
func ipv4Reference(b []byte) (hlen, total int, err error) {
	if len(b) < 20 {
		return 0, 0, ErrTruncated
	}
	version := int(b[0]) / 16
	ihl := int(b[0]) % 16
	if version != 4 {
		return 0, 0, ErrBadVersion
	}
	if ihl < 5 {
		return 0, 0, ErrBadIHL
	}
	total = int(b[2])*256 + int(b[3])
	if total < ihl*4 {
		return 0, 0, ErrBadTotalLength
	}
	if total > len(b) {
		return 0, 0, ErrTruncated
	}
	// Recompute the checksum with the field zeroed and compare.
	hdr := append([]byte{}, b[:ihl*4]...)
	hdr[10], hdr[11] = 0, 0
	want := ^checksumReference(hdr, 0)
	if got := uint16(b[10])<<8 | uint16(b[11]); got != want {
		// 0x0000 and 0xffff are the same one's-complement number; a sender
		// may write either, although only a header summing to zero, which
		// the version nibble rules out, could produce 0xffff.
		if !(got == 0xffff && want == 0) && !(got == 0 && want == 0xffff) {
			return 0, 0, ErrBadChecksum
		}
	}
	return ihl * 4, total, nil
}

func FuzzParseIPv4(f *testing.F) {
	p41 := hexv(f, p41v1)
	f.Add(p41, false)                                                                                                    // P41-1: 6to4 packet, DF, proto 41
	f.Add(p41[:19], false)                                                                                               // one byte short of a header
	f.Add(p41[:59], false)                                                                                               // one byte short of Total Length
	f.Add(append(append([]byte{}, p41...), 1, 2, 3), false)                                                              // trailing bytes to trim
	f.Add(ipv4WithChecksum(hexv(f, "46000019 12340000 40290000 c0000204 c6336407 01000000 ab")), false)                  // IHL 6 with options
	f.Add(ipv4WithChecksum(append(hexv(f, "4f00003c 00000000 40290000 c0000204 c6336407"), make([]byte, 40)...)), false) // IHL 15
	f.Add(ipv4WithChecksum(hexv(f, "44000014 00000000 40290000 c0000204 c6336407")), false)                              // IHL 4
	f.Add(ipv4WithChecksum(hexv(f, "45000013 00000000 40290000 c0000204 c6336407")), false)                              // total length below header
	f.Add(ipv4WithChecksum(hexv(f, "45b90014 beefa0b9 01110000 0a000001 ffffffff")), false)                              // reserved flag, MF, offset, ECT(1)
	f.Add(hexv(f, "6500003c 00004000 40294e5a c0000204 c6336407"), false)                                                // version 6
	f.Add(hexv(f, "4500003c 00004000 40294e5b c0000204 c6336407"+
		"60000000 00003b40 2002c000 02040000 00000000 00000001 2002c633 64070000 00000000 00000001"), false) // bad checksum
	f.Add(hexv(f, "4500001c 0001fffe 00000000 00000000 00000000 00000000"), true) // zero addresses, repaired checksum
	f.Add(hexv(f, "45000014 00000000 00000000 00000000 00000000"), true)          // all-zero addresses and TTL: the smallest header sum

	// With fix set, the target first repairs the header checksum of its
	// input (when the IHL fits), so the fuzzer reaches the valid-packet
	// properties instead of stopping at ErrBadChecksum.
	f.Fuzz(func(t *testing.T, b []byte, fix bool) {
		if fix && len(b) >= 20 && int(b[0]&0xf)*4 >= 20 && int(b[0]&0xf)*4 <= len(b) {
			b = ipv4WithChecksum(append([]byte{}, b...))
		}
		orig := append([]byte{}, b...)
		h, err := ParseIPv4(b)
		hlen, total, refErr := ipv4Reference(b)
		if err != refErr {
			t.Fatalf("ParseIPv4 error %v, reference %v", err, refErr)
		}
		if !bytes.Equal(orig, b) {
			t.Fatal("ParseIPv4 modified its input")
		}
		// Every accessor is total, valid or not.
		_ = viewOf(h)
		_ = h.Fields()
		if err != nil {
			if h.IsValid() || h.Header() != nil || h.Bytes() != nil || h.Payload() != nil {
				t.Fatal("failed parse left a non-zero view")
			}
			return
		}
		if h.HeaderLen() != hlen || h.TotalLen() != total || len(h.Bytes()) != total {
			t.Fatalf("lengths %d/%d, reference %d/%d", h.HeaderLen(), h.TotalLen(), hlen, total)
		}
		for name, s := range map[string][]byte{"Bytes": h.Bytes(), "Header": h.Header(), "Options": h.Options(), "Payload": h.Payload()} {
			if !within(s, b) {
				t.Fatalf("%s does not alias the input", name)
			}
		}
		if len(h.Header())+len(h.Payload()) != total || len(h.Options()) != hlen-20 {
			t.Fatal("header, options and payload do not add up")
		}
		if !bytes.Equal(h.Header(), b[:hlen]) || !bytes.Equal(h.Payload(), b[hlen:total]) {
			t.Fatal("header or payload at the wrong place")
		}
		if h.Src() != netip.AddrFrom4([4]byte(b[12:16])) || h.Dst() != netip.AddrFrom4([4]byte(b[16:20])) {
			t.Fatal("addresses")
		}
		if h.IsFragment() != (h.MoreFragments() || h.FragmentOffset() != 0) {
			t.Fatal("IsFragment")
		}

		// Re-encoding the fields gives the same header when the builder
		// can express it: no options, no MF, offset or reserved flag, and
		// the checksum in its canonical form.
		fl := binary.BigEndian.Uint16(b[6:])
		if hlen == 20 && fl&^0x4000 == 0 {
			fields := h.Fields()
			out := make([]byte, 20)
			if err := fields.Encode(out, total-20); err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if !bytes.Equal(out, b[:20]) {
				// Only the non-canonical zero checksum may differ.
				if !(h.Checksum() == 0xffff || h.Checksum() == 0) || !bytes.Equal(out[:10], b[:10]) || !bytes.Equal(out[12:], b[12:20]) {
					t.Fatalf("re-encoded\n%x\nwant\n%x", out, b[:20])
				}
			}
			again, err := ParseIPv4(append(out, h.Payload()...))
			if err != nil || again.Fields() != fields {
				t.Fatalf("decode(encode(decode(b))) = %v, %v", again.Fields(), err)
			}
		}
	})
}

// udpReference is a slow UDP length validator, RFC 768.
func udpReference(b []byte) (int, error) {
	if len(b) < 8 {
		return 0, ErrTruncated
	}
	n := int(b[4])*256 + int(b[5])
	if n < 8 {
		return 0, ErrBadUDPLength
	}
	if n > len(b) {
		return 0, ErrTruncated
	}
	return n, nil
}

func FuzzParseUDP(f *testing.F) {
	f.Add(hexv(f, "0001 0002 000a b23d 6162"), uint32(0xc0000201), uint32(0xc6336402)) // hand-checked checksum
	f.Add(hexv(f, "0dea 0dea 0008 0000"), uint32(0), uint32(0))                        // header only, no checksum
	f.Add(hexv(f, "0dea 0dea 0007 0000"), uint32(1), uint32(2))                        // length below 8
	f.Add(hexv(f, "0dea 0dea 0000 0000 aabb"), uint32(1), uint32(2))                   // jumbogram length 0
	f.Add(hexv(f, "0dea 0dea 000b 0000 aabb"), uint32(1), uint32(2))                   // length beyond buffer
	f.Add(hexv(f, "0035 c350 000a ffff aabb ccdd"), uint32(1), uint32(2))              // trailing bytes, 0xffff checksum
	f.Add(hexv(f, "0001"), uint32(1), uint32(2))                                       // truncated header

	f.Fuzz(func(t *testing.T, b []byte, s4, d4 uint32) {
		u, err := ParseUDP(b)
		n, refErr := udpReference(b)
		if err != refErr {
			t.Fatalf("ParseUDP error %v, reference %v", err, refErr)
		}
		var sa, da [4]byte
		binary.BigEndian.PutUint32(sa[:], s4)
		binary.BigEndian.PutUint32(da[:], d4)
		src, dst := netip.AddrFrom4(sa), netip.AddrFrom4(da)
		src6, dst6 := netip.AddrFrom16([16]byte{0: 0x20, 1: 0x01, 12: sa[0], 13: sa[1], 14: sa[2], 15: sa[3]}), netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 12: da[0], 13: da[1], 14: da[2], 15: da[3]})
		verr4 := u.VerifyChecksum4(src, dst)
		verr6 := u.VerifyChecksum6(src6, dst6)
		if err != nil {
			if u.IsValid() || u.Bytes() != nil || verr4 != ErrTruncated || verr6 != ErrTruncated {
				t.Fatal("failed parse left a usable view")
			}
			return
		}
		if u.Length() != n || !within(u.Bytes(), b) || !within(u.Payload(), b) || !within(u.Header(), b) {
			t.Fatal("view not trimmed or not aliasing the input")
		}
		if !bytes.Equal(u.Payload(), b[8:n]) {
			t.Fatal("payload")
		}
		// The checksum verdict agrees with the reference sum.
		ref4 := checksumReference(append(pseudoHeader4(ProtoUDP, src, dst, uint16(n)), b[:n]...), 0)
		if want := u.Checksum() == 0 || ref4 == 0xffff; (verr4 == nil) != want {
			t.Fatalf("VerifyChecksum4 = %v, reference sum %#x", verr4, ref4)
		}

		// Re-encoding gives a datagram that verifies, and the same bytes
		// when the original verified with a canonical checksum.
		for _, v6 := range []bool{false, true} {
			c := append([]byte{}, b[:n]...)
			h := UDPHeader{SrcPort: u.SrcPort(), DstPort: u.DstPort()}
			var err, verr error
			if v6 {
				err = h.Encode6(c, src6, dst6)
			} else {
				err = h.Encode4(c, src, dst)
			}
			if err != nil {
				t.Fatal(err)
			}
			u2, err := ParseUDP(c)
			if err != nil {
				t.Fatal(err)
			}
			if v6 {
				verr = u2.VerifyChecksum6(src6, dst6)
			} else {
				verr = u2.VerifyChecksum4(src, dst)
			}
			if verr != nil || u2.Checksum() == 0 {
				t.Fatalf("re-encoded datagram: %v, checksum %#x", verr, u2.Checksum())
			}
			ok := verr4 == nil && u.Checksum() != 0
			if v6 {
				ok = verr6 == nil
			}
			if ok && !bytes.Equal(c, b[:n]) {
				t.Fatalf("re-encoding a valid datagram changed it:\n%x\n%x", c, b[:n])
			}
		}
	})
}

func FuzzChecksum(f *testing.F) {
	f.Add([]byte{}, uint16(0), uint8(0))                           // empty: returns initial
	f.Add([]byte{0xab}, uint16(0xffff), uint8(1))                  // odd single byte, -0 initial
	f.Add(bytes.Repeat([]byte{0xff}, 67), uint16(1), uint8(3))     // all ones: carries everywhere
	f.Add(make([]byte, 65), uint16(0), uint8(7))                   // all zeros: stays +0
	f.Add(hexv(f, "00 01 f2 03 f4 f5 f6 f7"), uint16(0), uint8(0)) // RFC 1071 §3 example
	f.Add(hexv(f, p41v1), uint16(0x1234), uint8(15))               // real packet, unaligned

	buf := make([]byte, 16+1<<16)
	f.Fuzz(func(t *testing.T, b []byte, initial uint16, off uint8) {
		o := int(off % 16)
		if len(b) > len(buf)-o {
			b = b[:len(buf)-o]
		}
		p := buf[o : o+len(b)]
		copy(p, b)
		got, want := Checksum(p, initial), checksumReference(p, initial)
		if got != want {
			t.Fatalf("Checksum = %#04x, reference %#04x (len %d, off %d, initial %#x)", got, want, len(p), o, initial)
		}
		// Splitting at any even point and combining gives the same sum.
		if len(p) > 0 {
			i := int(initial) % (len(p) + 1) &^ 1
			if c := Combine(Checksum(p[:i], 0), Checksum(p[i:], initial)); c != want && !(c == 0xffff && want == 0) && !(c == 0 && want == 0xffff) {
				t.Fatalf("split at %d: %#x, want %#x", i, c, want)
			}
		}
	})
}
