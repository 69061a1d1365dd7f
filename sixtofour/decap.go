package sixtofour

import (
	"encoding/binary"
	"net/netip"

	"github.com/transit6/transit6/packet"
)

// DecapECN selects the ECN decapsulation table Decapsulate applies.
type DecapECN uint8

const (
	// DecapRFC6040 is RFC 6040 §4.2 Figure 4, the default: outer CE over
	// inner Not-ECT is dropped, outer CE marks an ECN-capable inner packet
	// CE, and outer ECT(1) over inner ECT(0) gives ECT(1).
	DecapRFC6040 DecapECN = iota

	// DecapLinux is the Linux kernel's variant (__INET_ECN_decapsulate):
	// as DecapRFC6040 but only CE is propagated, so outer ECT(1) over
	// inner ECT(0) leaves ECT(0).
	DecapLinux
)

// String returns "rfc6040" or "linux".
func (m DecapECN) String() string {
	switch m {
	case DecapRFC6040:
		return "rfc6040"
	case DecapLinux:
		return "linux"
	}
	return "DecapECN(?)"
}

// Outer is a view of the outer IPv4 header of a packet Decapsulate
// accepted, options included. Its accessors never panic. The zero Outer is
// not valid: its accessors return zero values. It aliases the decapsulated
// buffer. (A view rather than a struct of netip.Addr fields: it is returned
// in registers, where a struct of addresses costs more than the whole
// decapsulation.)
type Outer struct{ h []byte }

// hdr returns the fixed 20-byte header, or nil for the zero Outer.
func (o Outer) hdr() []byte {
	if len(o.h) < packet.IPv4HeaderLen {
		return nil
	}
	return o.h[:packet.IPv4HeaderLen]
}

// IsValid reports whether o came from a successful Decapsulate.
func (o Outer) IsValid() bool { return o.hdr() != nil }

// Src returns the outer source address.
func (o Outer) Src() netip.Addr {
	if h := o.hdr(); h != nil {
		return netip.AddrFrom4([4]byte(h[12:16]))
	}
	return netip.Addr{}
}

// Dst returns the outer destination address.
func (o Outer) Dst() netip.Addr {
	if h := o.hdr(); h != nil {
		return netip.AddrFrom4([4]byte(h[16:20]))
	}
	return netip.Addr{}
}

// TOS returns the Type of Service byte (DSCP and ECN) as received.
func (o Outer) TOS() uint8 {
	if h := o.hdr(); h != nil {
		return h[1]
	}
	return 0
}

// ECN returns the outer ECN field.
func (o Outer) ECN() packet.ECN { return packet.TOSECN(o.TOS()) }

// TTL returns the Time to Live.
func (o Outer) TTL() uint8 {
	if h := o.hdr(); h != nil {
		return h[8]
	}
	return 0
}

// ID returns the Identification field.
func (o Outer) ID() uint16 {
	if h := o.hdr(); h != nil {
		return binary.BigEndian.Uint16(h[4:6])
	}
	return 0
}

// DontFragment reports whether DF is set.
func (o Outer) DontFragment() bool {
	if h := o.hdr(); h != nil {
		return h[6]&0x40 != 0
	}
	return false
}

// HeaderLen returns the header length, 20 to 60 bytes.
func (o Outer) HeaderLen() int { return len(o.h) }

// Header returns the header, options included. The returned slice aliases
// the decapsulated buffer.
func (o Outer) Header() []byte { return o.h }

// Fields returns the header fields in builder form.
func (o Outer) Fields() packet.IPv4Header {
	return packet.IPv4Header{
		TOS: o.TOS(), ID: o.ID(), DontFragment: o.DontFragment(), TTL: o.TTL(),
		Protocol: packet.ProtoIPv6, Src: o.Src(), Dst: o.Dst(),
	}
}

// Decapsulate validates the protocol-41 packet at the start of b, applies
// the RFC 6040 decapsulation table to the inner ECN field, and returns the
// inner IPv6 packet and the outer header's fields.
//
// The checks, in order: the outer header as packet.ParseIPv4 checks it
// (version 4, IHL ≥ 5, Total Length within b, header checksum; its errors
// are packet's); not a fragment ([ErrFragmented]; see [Reassembler]);
// Protocol 41 ([ErrNotProto41]); a payload of at least 40 bytes
// ([ErrInnerTruncated]) that is an IPv6 packet and not a jumbogram
// ([ErrNotIPv6Inner]) whose Payload Length fits the outer packet
// ([ErrLengthMismatch]); not outer CE over inner Not-ECT ([ErrECNDrop]).
// IPv4 options are skipped, as Linux's IPv4 layer does. Bytes after the
// outer Total Length (link padding) or after the inner Payload Length are
// not part of inner.
//
// Both results alias b: inner is b[HeaderLen : HeaderLen+40+Payload
// Length], outer is b[:HeaderLen]. Decapsulate modifies b: when the table changes the inner ECN
// field it is rewritten in place (IPv6 has no header checksum to fix).
// Nothing is copied. Decapsulate checks no addresses; [Policy.CheckInbound]
// does. It does not allocate.
func Decapsulate(b []byte, mode DecapECN) (inner []byte, outer Outer, err error) {
	hl, err := decap(b)
	if err != nil {
		return nil, Outer{}, err
	}
	inner = b[hl : hl+packet.IPv6HeaderLen+int(binary.BigEndian.Uint16(b[hl+4:]))]
	if packet.TOSECN(b[1]) != packet.NotECT { // else every row leaves the inner field as it is
		if err := applyECN(b[1], inner, mode); err != nil {
			return nil, Outer{}, err
		}
	}
	return inner, Outer{b[:hl:hl]}, nil
}

// decap is Decapsulate's validation, without the ECN step. It returns the
// outer header length; the inner packet starts there and is complete.
//
// It repeats packet.(*IPv4).Decode's checks, in the same order, in one
// function: the codec's budget (within 1.5 times a minimal hand-written
// decapsulator) leaves no room for building a view and reading fields
// through it, nor for a chain of calls. FuzzDecapsulate holds it to a
// reference written from the RFCs, and to package packet's view.
func decap(b []byte) (hl int, err error) {
	if len(b) < packet.IPv4HeaderLen {
		return 0, packet.ErrTruncated
	}
	if b[0]>>4 != 4 {
		return 0, packet.ErrBadVersion
	}
	hl = int(b[0]&0x0f) * 4
	if hl < packet.IPv4HeaderLen {
		return 0, packet.ErrBadIHL
	}
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if total < hl {
		return 0, packet.ErrBadTotalLength
	}
	if total > len(b) {
		return 0, packet.ErrTruncated
	}
	if hl == packet.IPv4HeaderLen {
		// The one's-complement sum of a correct header is 0xffff,
		// that is, the plain sum is a non-zero multiple of 0xffff
		// (2^16 ≡ 1 mod 0xffff). The version nibble makes it
		// non-zero.
		s := uint64(binary.BigEndian.Uint32(b[0:4])) + uint64(binary.BigEndian.Uint32(b[4:8])) +
			uint64(binary.BigEndian.Uint32(b[8:12])) + uint64(binary.BigEndian.Uint32(b[12:16])) +
			uint64(binary.BigEndian.Uint32(b[16:20]))
		if s%0xffff != 0 {
			return 0, packet.ErrBadChecksum
		}
	} else if packet.Checksum(b[:hl], 0) != 0xffff {
		return 0, packet.ErrBadChecksum
	}
	if binary.BigEndian.Uint16(b[6:8])&0x3fff != 0 { // MF or an offset
		return 0, ErrFragmented
	}
	if b[9] != packet.ProtoIPv6 {
		return 0, ErrNotProto41
	}
	p := b[hl:total]
	if len(p) < packet.IPv6HeaderLen {
		return 0, ErrInnerTruncated
	}
	if p[0]>>4 != 6 {
		return 0, ErrNotIPv6Inner
	}
	plen := int(binary.BigEndian.Uint16(p[4:6]))
	if packet.IPv6HeaderLen+plen > len(p) {
		return 0, ErrLengthMismatch
	}
	if plen == 0 && p[6] == packet.ProtoHopByHop && isJumbogram(p) {
		return 0, ErrNotIPv6Inner
	}
	return hl, nil
}

// isJumbogram reports whether package packet refuses p as an RFC 2675
// jumbogram, which no IPv4 packet can carry.
func isJumbogram(p []byte) bool {
	_, err := packet.ParseIPv6(p)
	return err == packet.ErrJumbogram
}

// applyECN applies the decapsulation table of mode to the inner packet, in
// place, given the outer TOS byte.
func applyECN(tos uint8, inner []byte, mode DecapECN) error {
	if packet.TOSECN(tos) == packet.NotECT {
		return nil // every row leaves the inner field as it is
	}
	in := packet.ECN(inner[1]>>4) & 3
	e, err := decapECN(tos, in, mode)
	if err != nil {
		return err
	}
	if e != in {
		packet.SetIPv6ECN(inner, e)
	}
	return nil
}

// decapECN returns the inner ECN field the table of mode gives for the
// outer TOS byte tos over the inner field in, or ErrECNDrop.
func decapECN(tos uint8, in packet.ECN, mode DecapECN) (packet.ECN, error) {
	outer := packet.TOSECN(tos)
	if mode == DecapLinux {
		return packet.DecapsulateECNLinux(outer, in)
	}
	return packet.DecapsulateECN(outer, in)
}
