package sixtofour

// ICMP errors around a protocol-41 tunnel.
//
// An ICMPv4 error message (RFC 792) quotes the IPv4 header and at least
// the first 8 bytes of the packet that caused it; RFC 1812 §4.3.2.3 lets
// routers quote up to 576 bytes in all:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Type      |     Code      |          Checksum             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|           unused              |         Next-Hop MTU          |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|      Internet Header + 64 bits of Original Data Datagram      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// (the Next-Hop MTU of Fragmentation Needed is RFC 1191 §4's). A tunnel
// endpoint relays what it can to the IPv6 source (RFC 4213 §3.4). Linux
// (ipip6_err) turns Destination Unreachable other than Source Route Failed
// into ICMPv6 Destination Unreachable code 3, Time Exceeded in transit into
// ICMPv6 Time Exceeded code 0, both from ::ffff:<ICMPv4 sender>, when the
// quote holds the outer header, the 40-byte IPv6 header and 8 more bytes;
// Fragmentation Needed lowers the path MTU instead; everything else is
// ignored. This file does the same.

import (
	"encoding/binary"
	"net/netip"

	"github.com/transit6/transit6/packet"
)

// ICMPv4 types and codes used here (RFC 792, RFC 1191, RFC 1812).
const (
	icmpv4DestUnreach    = 3
	icmpv4SourceQuench   = 4
	icmpv4Redirect       = 5
	icmpv4TimeExceeded   = 11
	icmpv4ParamProblem   = 12
	icmpv4PortUnreach    = 3 // code
	icmpv4FragNeeded     = 4 // code
	icmpv4SourceRouteErr = 5 // code
	icmpv4HeaderLen      = 8
)

// icmpHopLimit is the hop limit of the ICMPv6 errors built here.
const icmpHopLimit = 64

// ICMPv4Error is an ICMPv4 error message quoting a protocol-41 packet, as
// ParseICMPv4Error decodes it. Inner aliases the parsed buffer.
type ICMPv4Error struct {
	// From is the ICMPv4 sender, usually the router that found the
	// problem; To is the address it was sent to.
	From, To netip.Addr

	// Type and Code are the ICMPv4 Type and Code (RFC 792).
	Type, Code uint8

	// NextHopMTU is the Next-Hop MTU field of a Fragmentation Needed
	// message (RFC 1191 §4); 0 for other messages and for routers that
	// predate RFC 1191.
	NextHopMTU uint16

	// QuotedSrc, QuotedDst and QuotedLen are the source, destination and
	// Total Length of the quoted outer header: the packet as it was sent.
	QuotedSrc, QuotedDst netip.Addr
	QuotedLen            int

	// Inner is what the quote holds of the inner IPv6 packet: from 8
	// bytes (RFC 792's minimum) up to what the router included. The IPv6
	// Payload Length inside it describes the original packet, not the
	// quote.
	Inner []byte
}

// ParseICMPv4Error decodes the IPv4 packet at the start of b as an ICMPv4
// error quoting a protocol-41 packet. The outer header is checked by
// packet.ParseIPv4 and the ICMPv4 checksum is verified (packet.ErrTruncated,
// packet.ErrBadChecksum, ...). The quoted header is parsed leniently, as it
// must be: its Total Length describes the original packet, which the quote
// truncates, and routers may have changed it on the way; only its version
// (packet.ErrBadVersion), IHL (packet.ErrBadIHL), presence
// ([ErrQuoteTruncated]) and Protocol ([ErrNotProto41]) are checked.
//
// It returns [ErrNotICMPv4Error] for another protocol or an ICMPv4 message
// that is not an error (Destination Unreachable, Source Quench, Redirect,
// Time Exceeded, Parameter Problem), and [ErrFragmented] for a fragment.
// Inner aliases b. It does not allocate.
func ParseICMPv4Error(b []byte) (ICMPv4Error, error) {
	ip, err := packet.ParseIPv4(b)
	if err != nil {
		return ICMPv4Error{}, err
	}
	if ip.Protocol() != packet.ProtoICMP {
		return ICMPv4Error{}, ErrNotICMPv4Error
	}
	if ip.IsFragment() {
		return ICMPv4Error{}, ErrFragmented
	}
	m := ip.Payload()
	if len(m) < icmpv4HeaderLen {
		return ICMPv4Error{}, packet.ErrTruncated
	}
	if packet.Checksum(m, 0) != 0xffff {
		return ICMPv4Error{}, packet.ErrBadChecksum
	}
	switch m[0] {
	case icmpv4DestUnreach, icmpv4SourceQuench, icmpv4Redirect, icmpv4TimeExceeded, icmpv4ParamProblem:
	default:
		return ICMPv4Error{}, ErrNotICMPv4Error
	}
	q := m[icmpv4HeaderLen:]
	if len(q) < packet.IPv4HeaderLen {
		return ICMPv4Error{}, ErrQuoteTruncated
	}
	if q[0]>>4 != 4 {
		return ICMPv4Error{}, packet.ErrBadVersion
	}
	hl := int(q[0]&0xf) * 4
	if hl < packet.IPv4HeaderLen {
		return ICMPv4Error{}, packet.ErrBadIHL
	}
	if len(q) < hl {
		return ICMPv4Error{}, ErrQuoteTruncated
	}
	if q[9] != packet.ProtoIPv6 {
		return ICMPv4Error{}, ErrNotProto41
	}
	e := ICMPv4Error{
		From:      ip.Src(),
		To:        ip.Dst(),
		Type:      m[0],
		Code:      m[1],
		QuotedSrc: netip.AddrFrom4([4]byte(q[12:16])),
		QuotedDst: netip.AddrFrom4([4]byte(q[16:20])),
		QuotedLen: int(binary.BigEndian.Uint16(q[2:4])),
		Inner:     q[hl:],
	}
	if e.IsFragNeeded() {
		e.NextHopMTU = binary.BigEndian.Uint16(m[6:8])
	}
	return e, nil
}

// IsFragNeeded reports whether e is a Destination Unreachable,
// Fragmentation Needed and DF Set (type 3, code 4).
func (e *ICMPv4Error) IsFragNeeded() bool {
	return e.Type == icmpv4DestUnreach && e.Code == icmpv4FragNeeded
}

// mtuPlateaus are RFC 1191 §7's table of common MTUs, for routers that do
// not fill in the Next-Hop MTU.
var mtuPlateaus = [...]int{32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68}

// PathMTU returns the path MTU a Fragmentation Needed message announces
// for e.QuotedDst: the Next-Hop MTU field when it is at least 68 and below
// the quoted packet's length, else the largest RFC 1191 §7 plateau below
// that length (68 at least). It reports false for any other message. The
// router then applies its floor, MinPathMTU.
func (e *ICMPv4Error) PathMTU() (int, bool) {
	if !e.IsFragNeeded() {
		return 0, false
	}
	if m := int(e.NextHopMTU); m >= 68 && m < e.QuotedLen {
		return m, true
	}
	for _, m := range mtuPlateaus {
		if m < e.QuotedLen {
			return m, true
		}
	}
	return 68, true
}

// icmpv6For returns the ICMPv6 type and code e translates to.
func (e *ICMPv4Error) icmpv6For() (typ, code uint8, err error) {
	switch {
	case e.Type == icmpv4DestUnreach && e.Code != icmpv4SourceRouteErr && e.Code != icmpv4FragNeeded:
		return packet.ICMPv6DestUnreachable, packet.ICMPv6AddressUnreachable, nil
	case e.Type == icmpv4TimeExceeded && e.Code == 0:
		return packet.ICMPv6TimeExceeded, packet.ICMPv6HopLimitExceeded, nil
	}
	return 0, 0, ErrICMPIgnored
}

// AppendICMPv6 appends to dst the ICMPv6 error that e translates to (RFC
// 4213 §3.4, as Linux's ipip6_err does it) and returns the extended slice:
// Destination Unreachable (any code but Source Route Failed and
// Fragmentation Needed) becomes Destination Unreachable code 3 (address
// unreachable); Time Exceeded code 0 becomes Time Exceeded code 0. The
// message goes from ::ffff:<e.From> to the quoted inner source and carries
// the quoted inner bytes as its invoking packet. RFC 4884 extensions are
// not carried over.
//
// It returns dst unchanged and [ErrICMPIgnored] for the other messages
// (use PathMTU for Fragmentation Needed), [ErrQuoteTruncated] if Inner
// holds less than the IPv6 header and 8 bytes, [ErrNotIPv6Inner] if it is
// not IPv6, and [ErrICMPSuppressed] when RFC 4443 §2.4(e) forbids an error
// (see AppendPacketTooBig). It does not allocate if dst has room for 1280
// more bytes.
func (e *ICMPv4Error) AppendICMPv6(dst []byte) ([]byte, error) {
	typ, code, err := e.icmpv6For()
	if err != nil {
		return dst, err
	}
	if len(e.Inner) < packet.IPv6HeaderLen+8 {
		return dst, ErrQuoteTruncated
	}
	if !e.From.Is4() {
		return dst, packet.ErrNotIPv4Addr
	}
	return appendICMPv6Error(dst, netip.AddrFrom16(e.From.As16()), typ, code, 0, e.Inner, false)
}

// TranslateICMPv4 parses the ICMPv4 error at the start of b with
// ParseICMPv4Error and appends its ICMPv6 translation to dst with
// AppendICMPv6, returning their errors. It does not allocate if dst has
// room for 1280 more bytes.
func TranslateICMPv4(dst, b []byte) ([]byte, error) {
	e, err := ParseICMPv4Error(b)
	if err != nil {
		return dst, err
	}
	return e.AppendICMPv6(dst)
}

// AppendPacketTooBig appends to dst an ICMPv6 Packet Too Big (RFC 4443
// §3.2) from src to the source of invoking, the IPv6 packet that does not
// fit, announcing mtu, and returns the extended slice. This is what a
// tunnel endpoint sends for a packet larger than the tunnel MTU (RFC 4213
// §3.2). The invoking packet is quoted up to the 1280-byte limit of RFC
// 4443 §2.4(c).
//
// It returns dst unchanged and [ErrInnerTruncated] or [ErrNotIPv6Inner]
// if invoking is not an IPv6 header, packet.ErrNotIPv6Addr if src is not
// IPv6, and [ErrICMPSuppressed] if RFC 4443 §2.4(e) forbids the error:
// invoking is itself an ICMPv6 error message (Next Header 58, type below
// 128), or its source is not a unicast address an error can go to
// (unspecified, loopback, IPv4-compatible or -mapped, multicast). It does
// not allocate if dst has room for 1280 more bytes.
func AppendPacketTooBig(dst []byte, src netip.Addr, mtu int, invoking []byte) ([]byte, error) {
	return appendICMPv6Error(dst, src, packet.ICMPv6PacketTooBig, 0, uint32(mtu), invoking, true)
}

// appendICMPv6Error checks invoking and appends the error message. PTB is
// the one error RFC 4443 §2.4(e.2) allows for a multicast destination.
func appendICMPv6Error(dst []byte, src netip.Addr, typ, code uint8, param uint32, invoking []byte, ptb bool) ([]byte, error) {
	if len(invoking) < packet.IPv6HeaderLen {
		return dst, ErrInnerTruncated
	}
	if invoking[0]>>4 != 6 {
		return dst, ErrNotIPv6Inner
	}
	if !src.Is6() {
		return dst, packet.ErrNotIPv6Addr
	}
	if err := icmpAllowed(invoking, ptb); err != nil {
		return dst, err
	}
	to := netip.AddrFrom16([16]byte(invoking[8:24]))
	return packet.AppendICMPv6Error(dst, src, to, icmpHopLimit, typ, code, param, invoking)
}

// icmpAllowed applies RFC 4443 §2.4(e) to the invoking IPv6 packet (40
// bytes at least). Extension headers are not walked: an ICMPv6 error
// behind one is not recognised, which errs on the side of sending.
func icmpAllowed(invoking []byte, ptb bool) error {
	s, d := u128At(invoking[8:24]), u128At(invoking[24:40])
	if s.isCompatOrMapped() || s.isMulticast() {
		return ErrICMPSuppressed
	}
	if !ptb && d.isMulticast() {
		return ErrICMPSuppressed
	}
	if invoking[6] == packet.ProtoICMPv6 && len(invoking) > packet.IPv6HeaderLen && invoking[packet.IPv6HeaderLen] < 128 {
		return ErrICMPSuppressed
	}
	return nil
}

// icmpv4QuoteMax is the most an ICMPv4 error may hold: RFC 1812 §4.3.2.3
// keeps the whole message within 576 bytes.
const icmpv4QuoteMax = 576 - packet.IPv4HeaderLen - icmpv4HeaderLen

// appendICMPv4Unreachable appends an IPv4 packet carrying an ICMPv4
// Destination Unreachable with the given code (RFC 792) from src to the
// source of invoking, the IPv4 packet refused, quoting as much of it as fits
// in 576 bytes. It refuses (ErrICMPSuppressed) what RFC 1812 §4.3.2.7 says
// never gets an ICMP error: a non-first fragment, a source that is not a
// unicast address.
func appendICMPv4Unreachable(dst []byte, src netip.Addr, code uint8, invoking packet.IPv4) ([]byte, error) {
	if !invoking.IsValid() || invoking.FragmentOffset() != 0 || !isUnicastV4(v4U32(invoking.Src())) {
		return dst, ErrICMPSuppressed
	}
	if invoking.Protocol() == packet.ProtoICMP {
		return dst, ErrICMPSuppressed // never an error about an ICMP message of any kind
	}
	q := invoking.Bytes()
	q = q[:min(len(q), icmpv4QuoteMax)]
	h := packet.IPv4Header{
		TOS:      0xc0, // precedence Internetwork Control, RFC 1812 §4.3.2.5
		TTL:      DefaultTTL,
		Protocol: packet.ProtoICMP,
		Src:      src,
		Dst:      invoking.Src(),
	}
	n := icmpv4HeaderLen + len(q)
	out, err := h.AppendTo(dst, n)
	if err != nil {
		return dst, err
	}
	start := len(out)
	out = append(out, icmpv4DestUnreach, code, 0, 0, 0, 0, 0, 0)
	out = append(out, q...)
	msg := out[start:]
	binary.BigEndian.PutUint16(msg[2:4], ^packet.Checksum(msg, 0))
	return out, nil
}
