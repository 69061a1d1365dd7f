package sixtofour

// A protocol-41 packet (RFC 4213 §3.5, RFC 3056 §3):
//
//	+--------------------------+------------------------------------------+
//	| IPv4 header, 20 bytes,   | IPv6 packet (40-byte header + payload),  |
//	| IHL 5, Protocol 41       | unmodified except for ECN on egress      |
//	+--------------------------+------------------------------------------+
//
// The outer header is always written without options: Linux refuses tunnel
// configurations with options or with fragment bits other than DF, and so
// does this package by never offering them.

import (
	"encoding/binary"
	"io"
	"net/netip"
	"slices"

	"github.com/transit6/transit6/packet"
)

// Sizes of the protocol-41 encapsulation.
const (
	// Headroom is the room Encapsulate needs in front of the inner packet:
	// one optionless IPv4 header. Read IPv6 packets into buf[Headroom:] (or
	// further in) and they can be encapsulated without moving.
	Headroom = packet.Proto41Headroom

	// MinTunnelMTU is the smallest IPv6 MTU of a tunnel, the IPv6 minimum
	// link MTU (RFC 8200 §5, RFC 4213 §3.2).
	MinTunnelMTU = packet.IPv6MinMTU

	// MaxTunnelMTU is the largest IPv6 packet one IPv4 packet can carry.
	MaxTunnelMTU = packet.IPv4MaxLen - packet.IPv4HeaderLen

	// DefaultTTL is the outer TTL the kernel uses when none is configured
	// (Linux sit without a TTL attribute, OpenWrt's 6in4 and 6to4).
	DefaultTTL = 64
)

// TTLInherit as OuterPolicy.TTL copies the inner hop limit into the outer
// TTL, as Linux's "ttl inherit" (stored as 0) does.
const TTLInherit = 0

// OuterPolicy is how a tunnel builds the outer IPv4 header from the inner
// IPv6 packet (RFC 4213 §3.3, §3.5; RFC 6040 §4.1). The zero OuterPolicy
// inherits the hop limit, sends DSCP 0 and copies the ECN field (RFC 6040
// normal mode).
type OuterPolicy struct {
	// TTL is the fixed outer TTL, or TTLInherit (0) to copy the inner hop
	// limit. RFC 4213 §3.3 leaves the value to the implementation; the
	// tunnel counts as one IPv6 hop either way.
	TTL uint8

	// TOS is the fixed outer DSCP, in the upper six bits of the byte;
	// its ECN bits are ignored, ECN decides them. Ignored if InheritTOS.
	TOS uint8

	// InheritTOS copies the inner DSCP into the outer header (Linux "tos
	// inherit").
	InheritTOS bool

	// ECN sets the outer ECN field from the inner one: packet.ECNNormal
	// (RFC 6040 normal mode, the default: copy, CE included),
	// packet.ECNLinux (Linux: inner CE becomes outer ECT(0)) or
	// packet.ECNCompat (always Not-ECT).
	ECN packet.ECNMode
}

// tos returns the outer TOS byte for an inner packet whose Traffic Class
// is tc.
func (o *OuterPolicy) tos(tc uint8) uint8 {
	dscp := o.TOS
	if o.InheritTOS {
		dscp = tc
	}
	return packet.SetTOSECN(dscp, packet.EncapsulateECN(packet.TOSECN(tc), o.ECN))
}

// ttl returns the outer TTL for an inner packet whose hop limit is hlim.
func (o *OuterPolicy) ttl(hlim uint8) uint8 {
	if o.TTL == TTLInherit {
		return hlim
	}
	return o.TTL
}

// Params holds what Encapsulate writes into one outer header: the tunnel's
// OuterPolicy and the per-packet fields.
type Params struct {
	OuterPolicy

	// Src and Dst are the outer IPv4 addresses (Is4).
	Src, Dst netip.Addr

	// ID is the outer Identification. It is the caller's to choose: a
	// counter the caller increments per packet keeps IDs unique per
	// (source, destination) pair as RFC 6864 §4.1 requires when DF is
	// clear; with DF set any value will do (RFC 6864 §4.1 atomic
	// datagrams).
	ID uint16

	// DF sets Don't Fragment. TunnelMTU says when (RFC 4213 §3.2 dynamic
	// MTU, Linux's rules).
	DF bool
}

// innerLen checks the IPv6 packet at the start of inner and returns its
// length, 40 + Payload Length; bytes after it are not part of the packet.
// It reads only the first 6 bytes.
func innerLen(inner []byte) (int, error) {
	if len(inner) < packet.IPv6HeaderLen {
		return 0, ErrInnerTruncated
	}
	if inner[0]>>4 != 6 {
		return 0, ErrNotIPv6Inner
	}
	n := packet.IPv6HeaderLen + int(binary.BigEndian.Uint16(inner[4:6]))
	if n > len(inner) {
		return 0, ErrLengthMismatch
	}
	return n, nil
}

// check reports whether p can encapsulate an inner packet of n bytes.
func (p *Params) check(n int) error {
	if !p.Src.Is4() || !p.Dst.Is4() {
		return packet.ErrNotIPv4Addr
	}
	if n > MaxTunnelMTU {
		return packet.ErrTooLong
	}
	return nil
}

// put writes the outer header for inner (whose first 40 bytes exist and
// whose length is n) into h[:20]; p has passed check.
func (p *Params) put(h, inner []byte, n int) {
	src, dst := p.Src.As4(), p.Dst.As4()
	putHeader(h, inner, n, &p.OuterPolicy, binary.BigEndian.Uint32(src[:]), binary.BigEndian.Uint32(dst[:]), p.ID, p.DF)
}

// putHeader writes the 20-byte outer header for inner (whose first 40
// bytes exist and whose length is n) into h[:20]. It does what
// packet.PrependIPv4 does, and sums the checksum from the fields too, but
// without building a packet.IPv4Header (two netip.Addr copies and their
// checks per packet), which the encapsulation budget (within 1.5 times a
// minimal hand-written encapsulator) has no room for.
// TestEncapsulateFields and FuzzDecapsulate parse the result with package
// packet.
func putHeader(h, inner []byte, n int, o *OuterPolicy, src, dst uint32, id uint16, df bool) {
	_ = h[19]
	tc := inner[0]<<4 | inner[1]>>4
	tos := o.tos(tc)
	ttl := o.ttl(inner[7])
	total := uint32(Headroom + n)
	var flags uint32
	if df {
		flags = 0x4000
	}
	w4 := uint32(ttl)<<8 | packet.ProtoIPv6
	sum := 0x4500 | uint32(tos)
	sum += total + uint32(id) + flags + w4 + src>>16 + src&0xffff + dst>>16 + dst&0xffff
	sum = sum>>16 + sum&0xffff
	sum = sum>>16 + sum&0xffff
	binary.BigEndian.PutUint32(h[0:4], 0x45000000|uint32(tos)<<16|total)
	binary.BigEndian.PutUint32(h[4:8], uint32(id)<<16|flags)
	binary.BigEndian.PutUint32(h[8:12], w4<<16|uint32(^uint16(sum)))
	binary.BigEndian.PutUint32(h[12:16], src)
	binary.BigEndian.PutUint32(h[16:20], dst)
}

// Encapsulate wraps the IPv6 packet at buf[off:] in an IPv4 protocol-41
// header written in place into buf[off-20:off], and returns the whole
// packet, buf[off-20 : off+40+PayloadLength]: bytes after the IPv6 packet
// (its Payload Length says where it ends) are left out. Nothing is copied.
//
// The outer TTL and TOS follow p's OuterPolicy, ECN included (RFC 6040
// §4.1); ID and DF are taken as given; no options are ever written.
//
// It returns packet.ErrNoHeadroom if off < Headroom, io.ErrShortBuffer if
// off > len(buf), [ErrInnerTruncated], [ErrNotIPv6Inner] or
// [ErrLengthMismatch] for a bad inner packet, packet.ErrNotIPv4Addr if
// p.Src or p.Dst is not IPv4, and packet.ErrTooLong for an inner packet
// longer than MaxTunnelMTU. buf is not modified on error. It does not
// allocate.
func Encapsulate(buf []byte, off int, p *Params) ([]byte, error) {
	if off < Headroom {
		return nil, packet.ErrNoHeadroom
	}
	if off > len(buf) {
		return nil, io.ErrShortBuffer
	}
	n, err := innerLen(buf[off:])
	if err != nil {
		return nil, err
	}
	if err := p.check(n); err != nil {
		return nil, err
	}
	src, dst := p.Src.As4(), p.Dst.As4()
	putHeader(buf[off-Headroom:off], buf[off:], n, &p.OuterPolicy, binary.BigEndian.Uint32(src[:]), binary.BigEndian.Uint32(dst[:]), p.ID, p.DF)
	return buf[off-Headroom : off+n], nil
}

// AppendEncapsulate appends to dst the IPv6 packet inner wrapped in an IPv4
// protocol-41 header, as Encapsulate builds it, and returns the extended
// slice. It copies inner once; bytes after the IPv6 packet (past its Payload
// Length) are not copied. Use Encapsulate to avoid the copy.
//
// On error it returns dst unchanged and the errors of Encapsulate. It does
// not allocate if dst has room for 20 + len(inner) more bytes.
func AppendEncapsulate(dst, inner []byte, p *Params) ([]byte, error) {
	n, err := innerLen(inner)
	if err != nil {
		return dst, err
	}
	if err := p.check(n); err != nil {
		return dst, err
	}
	l := len(dst)
	out := slices.Grow(dst, Headroom+n)[:l+Headroom+n]
	p.put(out[l:l+Headroom], inner, n)
	copy(out[l+Headroom:], inner[:n])
	return out, nil
}

// TunnelMTU returns the IPv6 MTU of a tunnel whose IPv4 path MTU is
// pathMTU, and whether its packets get DF, by the rules of Linux's sit
// driver (ipip6_tunnel_xmit), which implement RFC 4213 §3.2's dynamic MTU:
//
//   - the tunnel MTU is pathMTU − 20, with DF set;
//   - if that is below 1280, the IPv6 minimum, the MTU is 1280 and DF is
//     cleared, so IPv4 routers fragment the packets the path cannot carry;
//   - if it is below 68, the IPv4 minimum, the path is unusable and
//     TunnelMTU returns [ErrMTUTooSmall].
//
// For example 1500 gives 1480 with DF, 1300 gives 1280 with DF, 1290 gives
// 1280 without DF, 87 gives ErrMTUTooSmall. Path MTUs above 65535 count as
// 65535. It does not allocate.
func TunnelMTU(pathMTU int) (mtu int, df bool, err error) {
	mtu = min(pathMTU, packet.IPv4MaxLen) - packet.IPv4HeaderLen
	switch {
	case mtu < 68:
		return 0, false, ErrMTUTooSmall
	case mtu < MinTunnelMTU:
		return MinTunnelMTU, false, nil
	}
	return mtu, true, nil
}
