package packet

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
)

// The Internet checksum (RFC 1071) is the one's-complement of the
// one's-complement sum of the data taken as big-endian 16-bit words. The
// functions here return the sum, not its complement, so that partial sums
// (pseudo-headers, headers, payloads) can be computed separately and joined
// with Combine; the value written into a checksum field is ^sum.

// Checksum returns the 16-bit one's-complement sum of b added to initial,
// folded to 16 bits. The words of b are big-endian 16-bit values (RFC 1071);
// an odd final byte is padded with a zero byte. The result is not
// complemented: the value for a header checksum field is ^Checksum(...).
//
// The sum of data that is not all zero is never 0 (one's-complement "-0",
// 0xFFFF, is returned instead), and Checksum(nil, x) == x. A buffer may be
// summed in pieces, Checksum(b[i:], Checksum(b[:i], x)), when every split
// point i is even.
//
// Checksum reads little-endian words, which adds the byte-swapped 16-bit
// words; RFC 1071 §2(B) shows the folded sum is then simply the byte-swap
// of the big-endian sum, so one swap at the end replaces one per word. It
// does not allocate.
func Checksum(b []byte, initial uint16) uint16 {
	var s, c uint64
	for len(b) >= 64 {
		// At most 1 GiB per round, so that the 64-bit accumulators of
		// sumWords cannot overflow, whatever len(b).
		n := min(len(b), 1<<30) &^ 63
		s, c = bits.Add64(s, sumWords(b[:n]), c)
		b = b[n:]
	}
	if len(b) >= 32 {
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[0:8]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[8:16]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[16:24]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[24:32]), c)
		b = b[32:]
	}
	if len(b) >= 16 {
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[0:8]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[8:16]), c)
		b = b[16:]
	}
	if len(b) >= 8 {
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b), c)
		b = b[8:]
	}
	// The remaining words fit in 56 bits: gather them into one addend.
	var t uint64
	if len(b) >= 4 {
		t = uint64(binary.LittleEndian.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		t += uint64(binary.LittleEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		// The odd byte is the high byte of a big-endian word, which is
		// the low byte of the little-endian word.
		t += uint64(b[0])
	}
	s, c = bits.Add64(s, t, c)
	// A carry out of bit 63 is worth 2^64 ≡ 1 (mod 2^16-1): end-around.
	s, c = bits.Add64(s, 0, c)
	s += c
	return Combine(bits.ReverseBytes16(fold64(s)), initial)
}

// sumWords returns the sum of the little-endian 32-bit words of b, whose
// length is a multiple of 64 and at most 1 GiB. The sum of 32-bit words is
// congruent to the sum of their 16-bit halves modulo 2^16-1, which is all a
// one's-complement sum needs.
//
// Four independent 64-bit accumulators replace one add-with-carry chain:
// every carry flag of a chain waits for the one before, so a chain sums at
// most 8 bytes per cycle, while the independent adds run in parallel (about
// 1.5x faster from 1 KiB up on the machines of bench/README.md). Each
// accumulator takes at most 2^26 words below 2^32, so none can overflow and
// neither can the sum of two.
func sumWords(b []byte) uint64 {
	var s0, s1, s2, s3 uint64
	for len(b) >= 128 {
		s0 += uint64(binary.LittleEndian.Uint32(b[0:4]))
		s1 += uint64(binary.LittleEndian.Uint32(b[4:8]))
		s2 += uint64(binary.LittleEndian.Uint32(b[8:12]))
		s3 += uint64(binary.LittleEndian.Uint32(b[12:16]))
		s0 += uint64(binary.LittleEndian.Uint32(b[16:20]))
		s1 += uint64(binary.LittleEndian.Uint32(b[20:24]))
		s2 += uint64(binary.LittleEndian.Uint32(b[24:28]))
		s3 += uint64(binary.LittleEndian.Uint32(b[28:32]))
		s0 += uint64(binary.LittleEndian.Uint32(b[32:36]))
		s1 += uint64(binary.LittleEndian.Uint32(b[36:40]))
		s2 += uint64(binary.LittleEndian.Uint32(b[40:44]))
		s3 += uint64(binary.LittleEndian.Uint32(b[44:48]))
		s0 += uint64(binary.LittleEndian.Uint32(b[48:52]))
		s1 += uint64(binary.LittleEndian.Uint32(b[52:56]))
		s2 += uint64(binary.LittleEndian.Uint32(b[56:60]))
		s3 += uint64(binary.LittleEndian.Uint32(b[60:64]))
		s0 += uint64(binary.LittleEndian.Uint32(b[64:68]))
		s1 += uint64(binary.LittleEndian.Uint32(b[68:72]))
		s2 += uint64(binary.LittleEndian.Uint32(b[72:76]))
		s3 += uint64(binary.LittleEndian.Uint32(b[76:80]))
		s0 += uint64(binary.LittleEndian.Uint32(b[80:84]))
		s1 += uint64(binary.LittleEndian.Uint32(b[84:88]))
		s2 += uint64(binary.LittleEndian.Uint32(b[88:92]))
		s3 += uint64(binary.LittleEndian.Uint32(b[92:96]))
		s0 += uint64(binary.LittleEndian.Uint32(b[96:100]))
		s1 += uint64(binary.LittleEndian.Uint32(b[100:104]))
		s2 += uint64(binary.LittleEndian.Uint32(b[104:108]))
		s3 += uint64(binary.LittleEndian.Uint32(b[108:112]))
		s0 += uint64(binary.LittleEndian.Uint32(b[112:116]))
		s1 += uint64(binary.LittleEndian.Uint32(b[116:120]))
		s2 += uint64(binary.LittleEndian.Uint32(b[120:124]))
		s3 += uint64(binary.LittleEndian.Uint32(b[124:128]))
		b = b[128:]
	}
	if len(b) >= 64 {
		s0 += uint64(binary.LittleEndian.Uint32(b[0:4]))
		s1 += uint64(binary.LittleEndian.Uint32(b[4:8]))
		s2 += uint64(binary.LittleEndian.Uint32(b[8:12]))
		s3 += uint64(binary.LittleEndian.Uint32(b[12:16]))
		s0 += uint64(binary.LittleEndian.Uint32(b[16:20]))
		s1 += uint64(binary.LittleEndian.Uint32(b[20:24]))
		s2 += uint64(binary.LittleEndian.Uint32(b[24:28]))
		s3 += uint64(binary.LittleEndian.Uint32(b[28:32]))
		s0 += uint64(binary.LittleEndian.Uint32(b[32:36]))
		s1 += uint64(binary.LittleEndian.Uint32(b[36:40]))
		s2 += uint64(binary.LittleEndian.Uint32(b[40:44]))
		s3 += uint64(binary.LittleEndian.Uint32(b[44:48]))
		s0 += uint64(binary.LittleEndian.Uint32(b[48:52]))
		s1 += uint64(binary.LittleEndian.Uint32(b[52:56]))
		s2 += uint64(binary.LittleEndian.Uint32(b[56:60]))
		s3 += uint64(binary.LittleEndian.Uint32(b[60:64]))
	}
	return (s0 + s1) + (s2 + s3)
}

// fold64 folds a 64-bit one's-complement sum to 16 bits. It maps non-zero
// values to non-zero values.
func fold64(s uint64) uint16 {
	s = (s >> 32) + (s & 0xffffffff) // < 2^33
	s = (s >> 16) + (s & 0xffff)     // < 2^17 + 2^16
	s = (s >> 16) + (s & 0xffff)     // ≤ 2 + 0xffff
	s = (s >> 16) + (s & 0xffff)     // ≤ 0xffff
	return uint16(s)
}

// checksumReference is the obvious RFC 1071 sum, kept as the oracle for
// Checksum: big-endian byte pairs added into a 32-bit accumulator, folded at
// the end. The accumulator is folded early only when its top bit is set, so
// that any length is handled.
func checksumReference(b []byte, initial uint16) uint16 {
	sum := uint32(initial)
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
		if sum >= 1<<31 {
			sum = sum>>16 + sum&0xffff
		}
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return uint16(sum)
}

// Combine returns the one's-complement sum of a and b (RFC 1071 §2(A):
// end-around carry). Use it to join partial sums from Checksum and the
// pseudo-header functions. It does not allocate.
func Combine(a, b uint16) uint16 {
	s := uint32(a) + uint32(b)
	return uint16(s) + uint16(s>>16)
}

// PseudoHeaderChecksum4 returns the one's-complement sum (not complemented)
// of the RFC 768 IPv4 pseudo-header: source address, destination address,
// a zero byte, proto and the transport length (UDP: the UDP Length field;
// TCP: header plus data). Feed the result to Checksum as initial.
//
// The addresses are taken from the low 32 bits of their 16-byte form, which
// is right for IPv4 and IPv4-mapped IPv6 addresses; callers pass IPv4
// addresses (the builders check this). It does not allocate.
func PseudoHeaderChecksum4(proto uint8, src, dst netip.Addr, length uint16) uint16 {
	sum := uint64(addr4Word(src)) + uint64(addr4Word(dst)) + uint64(proto) + uint64(length)
	return fold64(sum)
}

// PseudoHeaderChecksum6 returns the one's-complement sum (not complemented)
// of the RFC 8200 §8.1 IPv6 pseudo-header: source address, destination
// address (the final destination if a Routing header is present), the
// 32-bit upper-layer packet length, three zero bytes and the next-header
// value proto. Feed the result to Checksum as initial.
//
// An IPv4 address is summed in its IPv4-mapped 16-byte form and the zero
// Addr as ::. It does not allocate.
func PseudoHeaderChecksum6(proto uint8, src, dst netip.Addr, length uint32) uint16 {
	sh, sl := addrWords(src)
	dh, dl := addrWords(dst)
	var s, c uint64
	s, c = bits.Add64(sh, sl, 0)
	s, c = bits.Add64(s, dh, c)
	s, c = bits.Add64(s, dl, c)
	s, c = bits.Add64(s, uint64(length)+uint64(proto), c)
	s, c = bits.Add64(s, 0, c)
	s += c
	return fold64(s)
}

// addr4Word returns the low 32 bits of the 16-byte form of a: the IPv4
// address for IPv4 and IPv4-mapped addresses.
func addr4Word(a netip.Addr) uint32 {
	if a.Is4() || a.Is4In6() {
		a4 := a.As4()
		return binary.BigEndian.Uint32(a4[:])
	}
	_, lo := addrWords(a)
	return uint32(lo)
}

// addrWords returns the 16-byte form of a (as As16: IPv4 addresses are
// IPv4-mapped, the zero Addr is ::) as two big-endian 64-bit words. It
// avoids As16, whose returned array the compiler copies through memory in a
// way that stalls store forwarding (measured 8x slower than As4/AsSlice
// here). AsSlice is inlined and its result does not escape, so nothing is
// allocated.
func addrWords(a netip.Addr) (hi, lo uint64) {
	if a.Is4() {
		a4 := a.As4()
		return 0, 0xffff<<32 | uint64(binary.BigEndian.Uint32(a4[:]))
	}
	b := a.AsSlice()
	if len(b) != 16 {
		return 0, 0
	}
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:16])
}

// UpdateChecksum returns the new value of a checksum field after one 16-bit
// word covered by it changes from old to new, using RFC 1624 eqn. 3:
// HC' = ~(~HC + ~m + m'). Unlike the RFC 1141 form, eqn. 3 never produces
// 0xFFFF ("-0") when a full recomputation would give 0x0000.
//
// For a UDP checksum the caller keeps the RFC 768 rules: a field of zero
// means "no checksum" and must not be updated, and a result of zero is sent
// as 0xFFFF. It does not allocate.
func UpdateChecksum(cksum, old, new uint16) uint16 {
	return ^Combine(Combine(^cksum, ^old), new)
}

// UpdateChecksum32 is UpdateChecksum for a 32-bit field (two adjacent
// 16-bit words on an even offset), such as an IPv4 address changed by NAT.
// It does not allocate.
func UpdateChecksum32(cksum uint16, old, new uint32) uint16 {
	s := Combine(^cksum, ^uint16(old>>16))
	s = Combine(s, ^uint16(old))
	s = Combine(s, uint16(new>>16))
	s = Combine(s, uint16(new))
	return ^s
}
