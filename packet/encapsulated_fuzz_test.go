package packet

import (
	"encoding/binary"
	"testing"
)

// fuzzEncapsulated holds the parser for proto to refEncapsulated on b.
// With fix set, the input is first repaired where the fuzzer rarely lands
// by chance (on a copy): the IPv4 Total Length is set to the buffer's
// length when total is set, and the header checksum is made correct, so
// that the checks after the checksum are reached.
func fuzzEncapsulated(t *testing.T, b []byte, proto uint8, fix, total bool) {
	if fix && len(b) >= IPv4HeaderLen {
		b = append([]byte{}, b...)
		if total && len(b) <= IPv4MaxLen {
			binary.BigEndian.PutUint16(b[ipv4TotalLen:], uint16(len(b)))
		}
		if hlen := int(b[0]&0x0f) * 4; hlen >= IPv4HeaderLen && hlen <= len(b) {
			ipv4WithChecksum(b)
		}
	}
	checkEncapsulated(t, b, proto)
}

// FuzzParseIPv6InIPv4 holds ParseIPv6InIPv4 to the sequence of parsers it
// documents (refEncapsulated): the same error for every input, and on
// success the same views of the same bytes.
func FuzzParseIPv6InIPv4(f *testing.F) {
	f.Add(hexv(f, p41v1), false, false)                 // P41-1: the fast path
	f.Add(hexv(f, p41v1)[:59], true, true)              // IPv6 header cut short
	f.Add(append(hexv(f, p41v1), 1, 2, 3), true, false) // link-layer padding
	f.Add(append(hexv(f, p41v1), 1, 2, 3), true, true)  // a trailer inside Total Length
	f.Add(hexv(f, "46000040 00004000 40290000 c0000204 c6336407 94040000"+
		"60000000 00003b40 2002c000 02040000 00000000 00000001 2002c633 64070000 00000000 00000001"), true, true) // an option word (slow path)
	f.Add(hexv(f, "45000044 00002000 40290000 c0000204 c6336407 60000000 00000040 2001 0db8 0000 0000 0000 0000 0000 0001 2001 0db8 0000 0000 0000 0000 0000 0002 3b00 c204 0001 0000"), true, false) // More Fragments; and a jumbogram inside
	f.Add(hexv(f, "45000044 00000000 40290000 c0000204 c6336407 60000000 00000040 2001 0db8 0000 0000 0000 0000 0000 0001 2001 0db8 0000 0000 0000 0000 0000 0002 3b00 c204 0001 0000"), true, false) // a jumbogram
	f.Add(hexv(f, "45000014 00000000 40110000 c0000204 c6336407"), true, false)                                                                                                                       // UDP, header only
	f.Add([]byte{}, false, false)                                                                                                                                                                     // empty
	f.Fuzz(func(t *testing.T, b []byte, fix, total bool) {
		fuzzEncapsulated(t, b, ProtoIPv6, fix, total)
	})
}

// FuzzParseIPv6InUDP4 holds ParseIPv6InUDP4 to the sequence of parsers it
// documents, as FuzzParseIPv6InIPv4 does for protocol 41.
func FuzzParseIPv6InUDP4(f *testing.F) {
	const teredo = "45000044 00000000 40110000 c0000204 c6336407" + // IPv4, protocol 17
		"0dd8 9c40 0030 0000" + // UDP 3544 → 40000, Length 48
		"60000000 00003b40 20010db8000000000000000000000001 20010db8000000000000000000000002" // a bubble
	f.Add(hexv(f, teredo), true, false)                                                                                        // the fast path
	f.Add(append(hexv(f, teredo), 3, 1, 0, 0, 0, 0, 0, 0), true, true)                                                         // an RFC 6081 trailer, after UDP Length
	f.Add(hexv(f, teredo)[:67], true, true)                                                                                    // UDP data of 39 bytes
	f.Add(hexv(f, "45000030 00000000 40110000 c0000204 c6336407 0dd8 9c40 0007 0000"), true, true)                             // UDP Length 7
	f.Add(hexv(f, "45000044 00000000 40110000 c0000204 c6336407 0dd8 9c40 0030 0000 0000 0dd8 c6336407 60000000"), true, true) // an origin indication first
	f.Add(hexv(f, "4500001b 00000000 40110000 c0000204 c6336407 0dd8 9c40 00"), true, false)                                   // 7 bytes of UDP
	f.Fuzz(func(t *testing.T, b []byte, fix, total bool) {
		fuzzEncapsulated(t, b, ProtoUDP, fix, total)
	})
}
