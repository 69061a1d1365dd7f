package sixtofour

import (
	"encoding/binary"
	"io"
	"slices"

	"github.com/transit6/transit6/packet"
)

// Template is the outer header of one tunnel compiled from Params, for
// encapsulating many packets with the same addresses and OuterPolicy. The
// addresses are converted once, and the header checksum of the fields
// that do not change from packet to packet is summed once: the Internet
// checksum is a sum, associative and commutative (RFC 1071 §2), so the
// per-packet fields (Total Length, and TOS and TTL when inherited) are
// added to it as RFC 1624 updates a checksum.
//
// Its Encapsulate and AppendEncapsulate write what the package's
// Encapsulate and AppendEncapsulate write with the Params it was compiled
// from, byte for byte, and refuse what they refuse. A Template is a small
// value; copy it freely. The zero Template is not valid: it refuses every
// packet with packet.ErrNotIPv4Addr, as the zero Params does.
type Template struct {
	src, dst uint32
	id       uint16
	flags    uint16 // DF or 0
	// sum is the RFC 1071 sum of the header words Encapsulate does not
	// compute per packet: version and IHL, ID, flags, Protocol, the
	// addresses.
	sum uint32
	// The outer TTL is ttl | hop limit & hlMask, the outer TOS is
	// Traffic Class & tcMask | dscp | the ECN bits of ecn for the inner
	// ECN field (two bits per code point, code point 0 lowest).
	ttl, hlMask  uint8
	dscp, tcMask uint8
	ecn          uint8
	ok           bool
}

// NewTemplate compiles p (see Params). Its ID is the first packet's; see
// SetID. It returns packet.ErrNotIPv4Addr if p.Src or p.Dst is not IPv4.
// It does not allocate.
func NewTemplate(p *Params) (Template, error) {
	if !p.Src.Is4() || !p.Dst.Is4() {
		return Template{}, packet.ErrNotIPv4Addr
	}
	t := Template{src: v4U32(p.Src), dst: v4U32(p.Dst), ttl: p.TTL, dscp: p.TOS &^ 3, ok: true}
	if p.TTL == TTLInherit {
		t.hlMask = 0xff
	}
	if p.InheritTOS {
		t.dscp, t.tcMask = 0, 0xfc
	}
	for e := range packet.ECN(4) {
		t.ecn |= uint8(packet.EncapsulateECN(e, p.ECN)) << (2 * e)
	}
	if p.DF {
		t.flags = 0x4000
	}
	t.sum = 0x4500 + uint32(t.flags) + packet.ProtoIPv6 + t.src>>16 + t.src&0xffff + t.dst>>16 + t.dst&0xffff
	t.SetID(p.ID)
	return t, nil
}

// SetID sets the outer Identification of the packets t encapsulates from
// now on (see Params.ID): a sender that needs unique IDs (DF clear, RFC
// 6864 §4.1) sets the next one before each packet.
func (t *Template) SetID(id uint16) {
	t.sum = t.sum - uint32(t.id) + uint32(id)
	t.id = id
}

// ID returns the outer Identification t writes.
func (t *Template) ID() uint16 { return t.id }

// Encapsulate is the package's Encapsulate with the Params t was compiled
// from: it writes the outer header into buf[off-20:off], in front of the
// IPv6 packet at buf[off:], and returns buf[off-20 : off+40+Payload
// Length]. Nothing is copied. It returns the errors of Encapsulate, in
// the same order; buf is not modified on error. It does not allocate.
func (t *Template) Encapsulate(buf []byte, off int) ([]byte, error) {
	if off < Headroom {
		return nil, packet.ErrNoHeadroom
	}
	if off > len(buf) {
		return nil, io.ErrShortBuffer
	}
	in := buf[off:]
	if len(in) < packet.IPv6HeaderLen {
		return nil, ErrInnerTruncated
	}
	if in[0]>>4 != 6 {
		return nil, ErrNotIPv6Inner
	}
	n := packet.IPv6HeaderLen + int(binary.BigEndian.Uint16(in[4:6]))
	if n > len(in) {
		return nil, ErrLengthMismatch
	}
	if !t.ok {
		return nil, packet.ErrNotIPv4Addr
	}
	if n > MaxTunnelMTU {
		return nil, packet.ErrTooLong
	}
	// The words are computed as values and summed from the values, not
	// read back from the header.
	h := buf[off-Headroom : off]
	tc := in[0]<<4 | in[1]>>4
	tos := tc&t.tcMask | t.dscp | t.ecn>>(2*(tc&3))&3
	ttl := t.ttl | in[7]&t.hlMask
	total := uint32(Headroom + n)
	s := t.sum + uint32(tos) + total + uint32(ttl)<<8
	s = s>>16 + s&0xffff
	s = s>>16 + s&0xffff
	binary.BigEndian.PutUint32(h[0:4], 0x45000000|uint32(tos)<<16|total)
	binary.BigEndian.PutUint32(h[4:8], uint32(t.id)<<16|uint32(t.flags))
	binary.BigEndian.PutUint32(h[8:12], uint32(ttl)<<24|packet.ProtoIPv6<<16|uint32(^uint16(s)))
	binary.BigEndian.PutUint32(h[12:16], t.src)
	binary.BigEndian.PutUint32(h[16:20], t.dst)
	return buf[off-Headroom : off+n], nil
}

// AppendEncapsulate is the package's AppendEncapsulate with the Params t
// was compiled from: it appends to dst the IPv6 packet inner behind the
// outer header, copying inner once (bytes after its Payload Length are
// not copied), and returns the extended slice. On error it returns dst
// unchanged and the errors of Encapsulate. It does not allocate if dst
// has room for 20 + len(inner) more bytes.
func (t *Template) AppendEncapsulate(dst, inner []byte) ([]byte, error) {
	n, err := innerLen(inner)
	if err != nil {
		return dst, err
	}
	if !t.ok {
		return dst, packet.ErrNotIPv4Addr
	}
	if n > MaxTunnelMTU {
		return dst, packet.ErrTooLong
	}
	l := len(dst)
	out := slices.Grow(dst, Headroom+n)[:l+Headroom+n]
	copy(out[l+Headroom:], inner[:n])
	_, _ = t.Encapsulate(out, l+Headroom) // its checks have passed
	return out, nil
}
