package teredo

import (
	"io"
	"net/netip"

	"github.com/transit6/transit6/packet"
)

// DefaultTTL is the IPv4 Time to Live of datagrams whose Outer.TTL is 0.
const DefaultTTL = 64

// Outer describes the IPv4 and UDP headers around a Teredo payload, for
// code that writes whole datagrams (raw sockets, captures, tests); a client
// or server normally hands the payload to a UDP socket instead. The Don't
// Fragment flag is never set (RFC 4380 §5.1.2).
type Outer struct {
	// Src and Dst are the IPv4 addresses and UDP ports.
	Src, Dst netip.AddrPort
	// TTL is the IPv4 Time to Live; 0 selects DefaultTTL.
	TTL uint8
	// TOS is the IPv4 Type of Service byte (DSCP and ECN).
	TOS uint8
	// ID is the IPv4 Identification.
	ID uint16
}

func (o *Outer) check() error {
	if o == nil || !o.Src.Addr().Is4() || !o.Dst.Addr().Is4() {
		return ErrNotIPv4
	}
	return nil
}

func (o *Outer) ipv4() packet.IPv4Header {
	ttl := o.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	return packet.IPv4Header{TOS: o.TOS, ID: o.ID, TTL: ttl, Protocol: packet.ProtoUDP,
		Src: o.Src.Addr(), Dst: o.Dst.Addr()}
}

// EncapsulateDatagram writes, in place in front of the IPv6 packet (and any
// trailers) at buf[off:], the indicators h describes (nil: none), a UDP
// header with checksum and an IPv4 header, and returns buf[off-n:], the
// whole IPv4 datagram, where n is DatagramHeaderLen+h.Len(). Nothing is
// copied. Reading IPv6 packets at buf[Headroom:] leaves room for every
// header but a long authentication indicator.
//
// It returns [ErrNoHeadroom] if off < n, [io.ErrShortBuffer] if
// off > len(buf), [ErrNotIPv4] for non-IPv4 addresses in o, [ErrTooLong] if
// the payload would exceed MaxPayloadLen, and the errors of
// Header.AppendTo (a nil o gives ErrNotIPv4); buf is not modified on error.
// It does not allocate.
func EncapsulateDatagram(buf []byte, off int, h *Header, o *Outer) ([]byte, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	hl := h.Len()
	if off < DatagramHeaderLen+hl {
		return nil, ErrNoHeadroom
	}
	if off > len(buf) {
		return nil, io.ErrShortBuffer
	}
	if len(buf)-off+hl > MaxPayloadLen {
		return nil, ErrTooLong
	}
	h.put(buf[off-hl:])
	return prependDatagram(buf, off-hl, o)
}

// prependDatagram writes the UDP and IPv4 headers in front of the checked
// payload at buf[off:].
func prependDatagram(buf []byte, off int, o *Outer) ([]byte, error) {
	u := packet.UDPHeader{SrcPort: o.Src.Port(), DstPort: o.Dst.Port()}
	if _, err := packet.PrependUDP4(buf, off, u, o.Src.Addr(), o.Dst.Addr()); err != nil {
		return nil, err
	}
	ih := o.ipv4()
	return packet.PrependIPv4(buf, off-packet.UDPHeaderLen, &ih)
}

// AppendDatagram appends to b an IPv4 datagram from o.Src to o.Dst whose
// UDP payload is payload, a Teredo payload built by the other functions of
// this package, and returns the extended slice. It copies payload once. It
// returns b unchanged and [ErrNotIPv4] or [ErrTooLong]. It does not allocate
// if b has DatagramHeaderLen+len(payload) bytes of spare capacity.
func AppendDatagram(b []byte, o *Outer, payload []byte) ([]byte, error) {
	if err := o.check(); err != nil {
		return b, err
	}
	if len(payload) > MaxPayloadLen {
		return b, ErrTooLong
	}
	all, t := extend(b, DatagramHeaderLen+len(payload))
	copy(t[DatagramHeaderLen:], payload)
	if _, err := prependDatagram(t, DatagramHeaderLen, o); err != nil {
		return b, err
	}
	return all, nil
}
