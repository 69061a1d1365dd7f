package packet

import (
	"encoding/binary"
	"testing"
)

// FuzzIPv4Checksum holds the header checksum test of ParseIPv4 to
// checksumReference on arbitrary headers. The input becomes a header of
// 20 to 60 bytes (version 4, IHL from its length, Total Length the header
// alone), so that only the checksum can fail. With fix set, the checksum
// field is first made correct and then moved by delta, so that the fuzzer
// probes the values around the right one: delta 0 is accepted, any other
// refused, except that 0x0000 and 0xffff are both correct when the other
// words sum to 0xffff.
func FuzzIPv4Checksum(f *testing.F) {
	f.Add(hexv(f, "4500003c 00004000 40294e5a c0000204 c6336407"), true, uint16(0))                              // P41-1 header, repaired for Total Length 20
	f.Add(hexv(f, "4500003c 00004000 40294e5a c0000204 c6336407"), true, uint16(1))                              // the same, checksum off by one
	f.Add(hexv(f, "46000018 12340000 40290000 c0000204 c6336407 94040000"), true, uint16(0))                     // one option word, repaired
	f.Add(hexv(f, "45000014 8e820000 40290000 c0000204 c6336407"), false, uint16(0))                             // other words sum to 0xffff (Python), field 0x0000
	f.Add(hexv(f, "45000014 8e820000 4029ffff c0000204 c6336407"), false, uint16(0))                             // the same with 0xffff, the other zero
	f.Add(append(hexv(f, "4f00003c ffffffff ffffffff ffffffff ffffffff"), make([]byte, 40)...), true, uint16(1)) // IHL 15, repaired then off by one
	f.Add(hexv(f, "45000014 00000000 00000000 00000000 00000000"), true, uint16(0))                              // smallest header sum
	f.Add(hexv(f, "45000014 00000000 00000000 00000000 00000000"), false, uint16(0))                             // all-zero checksum field, wrong
	f.Fuzz(func(t *testing.T, in []byte, fix bool, delta uint16) {
		if len(in) < IPv4HeaderLen {
			return
		}
		ihl := min(len(in)/4, 15)
		h := append([]byte{}, in[:ihl*4]...)
		h[0] = 0x40 | byte(ihl)
		binary.BigEndian.PutUint16(h[ipv4TotalLen:], uint16(len(h)))
		if fix {
			h[10], h[11] = 0, 0
			binary.BigEndian.PutUint16(h[10:], ^checksumReference(h, 0)+delta)
		}
		v, err := ParseIPv4(h)
		want := checksumReference(h, 0) == 0xffff
		switch {
		case want && err != nil:
			t.Fatalf("% x: %v, reference: valid", h, err)
		case !want && err != ErrBadChecksum:
			t.Fatalf("% x: %v, reference: bad checksum", h, err)
		case err == nil && (v.HeaderLen() != len(h) || v.Checksum() != binary.BigEndian.Uint16(h[10:])):
			t.Fatalf("% x: view of %d bytes, checksum %#04x", h, v.HeaderLen(), v.Checksum())
		}
	})
}
