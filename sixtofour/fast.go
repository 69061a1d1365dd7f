package sixtofour

// Decapsulation with the policy in one call, and its common case in one
// function.
//
// The common case is a 6to4 packet between two sites (RFC 3056 §5.3):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+---------------------------------------------------------------+
//	|   4   |   5   |   DSCP    |ECN|      Total Length (≥ 60)      | w0
//	+---------------------------------------------------------------+
//	|        Identification         |0|D|0|   Fragment Offset 0     | w1
//	+---------------------------------------------------------------+
//	|      TTL      |      41       |        Header Checksum        | w2
//	+---------------------------------------------------------------+
//	|             outer source: a global IPv4 address               | osrc
//	+---------------------------------------------------------------+
//	|                 outer destination: Local                      | odst
//	+---------------------------------------------------------------+
//	|   6   |  inner header: not a jumbogram, …                     |
//	|       |  source      2002:osrc::/48                           |
//	|       |  destination this site's 2002:site::/48               |
//
// with an outer ECN field of Not-ECT or ECT(0), over which RFC 6040 §4.2
// (and Linux) leave the inner field as it is and drop nothing. Every check
// of Decapsulate and CheckInbound passes for such a packet, and
// Policy.Decapsulate recognises it with straight-line loads and compares
// on the header words. Anything else (an error, options, an ECN rewrite, a
// relay, another mechanism, an outer source the classifier must look at)
// goes to the precise path, which decides.

import (
	"encoding/binary"

	"github.com/transit6/transit6/packet"
)

// Decapsulate is the function [Decapsulate] followed by
// [Policy.CheckInbound], in one call: it validates the protocol-41 packet
// at the start of b (RFC 4213 §3.5), applies the tunnel's receive checks
// (RFC 3964 §5.1 for 6to4, RFC 5969 §12 for 6rd, RFC 5214 §7.3 for ISATAP,
// RFC 4213 §3.6 for 6in4) and the RFC 6040 §4.2 decapsulation table of
// mode, and returns the inner IPv6 packet and the outer header.
//
// Its results and errors are those of
//
//	inner, outer, err := Decapsulate(b, mode)
//	if err == nil {
//		err = p.CheckInbound(outer, inner)
//	}
//
// for every input: Decapsulate's errors first ([ErrECNDrop] included),
// then CheckInbound's. Unlike that sequence it modifies b only when it
// accepts the packet: the inner ECN field is rewritten in place when the
// table changes it. Both results alias b, as Decapsulate's do. It does not
// allocate.
//
// The common 6to4 case takes a path about as short as the wire checks
// alone: an optionless header, not a fragment, outer ECN Not-ECT or
// ECT(0), the inner source embedding the outer source (RFC 3056 §2), the
// inner destination in this site's /48, the outer source global.
func (p *Policy) Decapsulate(b []byte, mode DecapECN) (inner []byte, outer Outer, err error) {
	// The common 6to4 case (see the diagram at the top of the file),
	// whose checks are those of decap and of checkInbound's 6to4 fast
	// case on the header words:
	//
	//   - version 4 and IHL 5 (so Total Length ≥ 20 needs no check of
	//     its own once it is ≥ 60), Total Length within b, the header
	//     checksum summed as decap sums it, no MF and no offset,
	//     Protocol 41;
	//   - inner version 6, 40 + Payload Length within Total Length, and
	//     not a Payload Length of 0 with a Hop-by-Hop header, which might
	//     be a jumbogram;
	//   - outer ECN bit 0 clear: Not-ECT or ECT(0), over which RFC 6040
	//     §4.2 (and Linux) leave the inner field as it is and drop
	//     nothing;
	//   - the outer destination is Local; the upper 48 bits of the inner
	//     source are 2002:osrc and those of the inner destination this
	//     site's (site48 matches nothing on other mechanisms); the outer
	//     source is global: a plain octet or a TreatAsGlobal prefix (the
	//     classifier's other answers are the precise path's to ask).
	//
	// Any other packet takes the precise path, which decides.
	if len(b) < packet.IPv4HeaderLen+packet.IPv6HeaderLen {
		return p.decapsulate(b, mode)
	}
	// The header words are loaded as they lie in memory
	// (binary.LittleEndian: no byte swaps on amd64 and arm64)
	// and compared with masks and values in that order. The checksum
	// does not mind: a little-endian word is 256 times the big-endian one
	// modulo 0xffff, and 256 is prime to 0xffff, so the one sum is a
	// multiple of 0xffff when the other is (RFC 1071 §2(B)).
	le := binary.LittleEndian
	w0, w1, w2 := le.Uint32(b[0:4]), le.Uint32(b[4:8]), le.Uint32(b[8:12])
	osrc, odst := le.Uint32(b[12:16]), le.Uint32(b[16:20])
	total := int(binary.BigEndian.Uint16(b[2:4]))
	end := packet.IPv4HeaderLen + packet.IPv6HeaderLen + int(binary.BigEndian.Uint16(b[24:26]))
	const low48 = 1<<48 - 1
	bad := uint64(w0&0x01ff^0x45) | // version 4, IHL 5; ECN bit 0
		uint64(w1&0xff3f0000) | // MF, Fragment Offset
		uint64(w2&0xff00^packet.ProtoIPv6<<8) |
		uint64(odst^p.wire.local) |
		uint64(b[20]>>4^6) |
		(le.Uint64(b[28:36])&low48 ^ (0x0220 | uint64(osrc)<<16)) | // 2002:osrc
		(le.Uint64(b[44:52])&low48 ^ p.wire.site48)
	x := &p.wire.extra
	if bad != 0 || end > total || total > len(b) ||
		(end == packet.IPv4HeaderLen+packet.IPv6HeaderLen && b[26] == packet.ProtoHopByHop) ||
		(uint64(w0)+uint64(w1)+uint64(w2)+uint64(osrc)+uint64(odst))%0xffff != 0 ||
		!(plainOctet[osrc&0xff] || osrc&x[0].mask == x[0].addr || osrc&x[1].mask == x[1].addr ||
			osrc&x[2].mask == x[2].addr || osrc&x[3].mask == x[3].addr) {
		return p.decapsulate(b, mode)
	}
	return b[packet.IPv4HeaderLen:end], Outer{b[:packet.IPv4HeaderLen:packet.IPv4HeaderLen]}, nil
}

// extraGlobal reports whether v4 lies in one of the TreatAsGlobal IPv4
// prefixes.
func (p *Policy) extraGlobal(v4 uint32) bool {
	for _, e := range p.extraV4 {
		if v4&e.mask == e.addr {
			return true
		}
	}
	return false
}

// decapsulate is Decapsulate's precise path: decap, the ECN table's
// verdict, the policy, and only then the ECN rewrite.
func (p *Policy) decapsulate(b []byte, mode DecapECN) ([]byte, Outer, error) {
	hl, err := decap(b)
	if err != nil {
		return nil, Outer{}, err
	}
	inner := b[hl : hl+packet.IPv6HeaderLen+int(binary.BigEndian.Uint16(b[hl+4:]))]
	in := packet.ECN(inner[1]>>4) & 3
	e := in
	if packet.TOSECN(b[1]) != packet.NotECT { // else every row leaves the inner field as it is
		if e, err = decapECN(b[1], in, mode); err != nil {
			return nil, Outer{}, err
		}
	}
	if _, err := p.checkInbound(binary.BigEndian.Uint32(b[12:16]), binary.BigEndian.Uint32(b[16:20]), inner); err != nil {
		return nil, Outer{}, err
	}
	if e != in {
		packet.SetIPv6ECN(inner, e)
	}
	return inner, Outer{b[:hl:hl]}, nil
}
