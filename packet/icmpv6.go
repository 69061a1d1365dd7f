package packet

// ICMPv6 message, RFC 4443 §2.1:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Type      |     Code      |          Checksum             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                         Message Body                          |
//	+                                                               +
//
// Error messages (Destination Unreachable §3.1, Packet Too Big §3.2, Time
// Exceeded §3.3, Parameter Problem §3.4) carry a 32-bit field (unused, MTU,
// or Pointer) and then as much of the invoking packet as fits in the minimum
// IPv6 MTU. Echo Request and Reply (§4.1, §4.2):
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Type      |     Code      |          Checksum             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|           Identifier          |        Sequence Number        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Data ...
//	+-+-+-+-+-
//
// Neighbor Discovery messages (RFC 4861 §4) follow the same 4-byte header:
//
//	Router Solicitation (§4.1)     Reserved(4)                       Options
//	Router Advertisement (§4.2)    Cur Hop Limit(1) |M|O| Flags(1)
//	                               Router Lifetime(2) Reachable Time(4)
//	                               Retrans Timer(4)                  Options
//	Neighbor Solicitation (§4.3)   Reserved(4) Target Address(16)    Options
//	Neighbor Advertisement (§4.4)  |R|S|O| Reserved(4)
//	                               Target Address(16)                Options

import (
	"encoding/binary"
	"io"
	"net/netip"
)

// ICMPv6 message types (RFC 4443 §2.1, RFC 4861 §4). Types below 128 are
// error messages, the others informational.
const (
	ICMPv6DestUnreachable       = 1
	ICMPv6PacketTooBig          = 2
	ICMPv6TimeExceeded          = 3
	ICMPv6ParamProblem          = 4
	ICMPv6EchoRequest           = 128
	ICMPv6EchoReply             = 129
	ICMPv6RouterSolicitation    = 133
	ICMPv6RouterAdvertisement   = 134
	ICMPv6NeighborSolicitation  = 135
	ICMPv6NeighborAdvertisement = 136
	ICMPv6Redirect              = 137
)

// ICMPv6 Destination Unreachable codes (RFC 4443 §3.1).
const (
	ICMPv6NoRoute            = 0 // no route to destination
	ICMPv6AdminProhibited    = 1 // communication administratively prohibited
	ICMPv6BeyondScope        = 2 // beyond scope of source address
	ICMPv6AddressUnreachable = 3
	ICMPv6PortUnreachable    = 4
	ICMPv6SourcePolicy       = 5 // source address failed ingress/egress policy
	ICMPv6RejectRoute        = 6 // reject route to destination
)

// ICMPv6 Time Exceeded codes (RFC 4443 §3.3).
const (
	ICMPv6HopLimitExceeded  = 0 // hop limit exceeded in transit
	ICMPv6ReassemblyTimeout = 1 // fragment reassembly time exceeded
)

// Sizes of ICMPv6 messages.
const (
	// ICMPv6HeaderLen is the Type, Code and Checksum header (RFC 4443 §2.1).
	ICMPv6HeaderLen = 4

	// ICMPv6ErrorHeaderLen is the header of an ICMPv6 error message, up to
	// the invoking packet: the 4-byte header and the 32-bit field.
	ICMPv6ErrorHeaderLen = 8

	// ICMPv6ErrorHeadroom is the headroom PrependICMPv6Error needs in front
	// of the invoking packet: an IPv6 header and an error header.
	ICMPv6ErrorHeadroom = IPv6HeaderLen + ICMPv6ErrorHeaderLen

	// IPv6MinMTU is the minimum link MTU of IPv6 (RFC 8200 §5). ICMPv6
	// error messages never exceed it (RFC 4443 §2.4(c)).
	IPv6MinMTU = 1280

	// ICMPv6EchoHeaderLen is the header of an Echo Request or Reply up to
	// its data: the 4-byte header, Identifier and Sequence Number.
	ICMPv6EchoHeaderLen = 8
)

// Minimum lengths of Neighbor Discovery messages, ICMPv6 header included,
// which are also the offsets of their options (RFC 4861 §6.1, §7.1).
const (
	RouterSolicitationLen    = 8
	RouterAdvertisementLen   = 16
	NeighborSolicitationLen  = 24
	NeighborAdvertisementLen = 24
)

// Flag bits of Router Advertisements (RFC 4861 §4.2) and Neighbor
// Advertisements (§4.4), as they appear in their flags byte.
const (
	RAFlagManaged   = 0x80 // M: addresses are available via DHCPv6
	RAFlagOther     = 0x40 // O: other configuration is available via DHCPv6
	NAFlagRouter    = 0x80 // R: the sender is a router
	NAFlagSolicited = 0x40 // S: sent in response to a Neighbor Solicitation
	NAFlagOverride  = 0x20 // O: override an existing cache entry
)

// ndHopLimit is the hop limit of every Neighbor Discovery message (RFC 4861
// §6.1, §7.1): a message that crossed a router arrives with less.
const ndHopLimit = 255

// ICMPv6 is a validated view of an ICMPv6 message inside an IPv6 packet.
// It comes from ParseICMPv6 or Decode; its accessors never panic. The zero
// ICMPv6 is not valid: its accessors return zero values.
type ICMPv6 struct {
	ip   IPv6
	b    []byte // the ICMPv6 message, header included
	frag bool   // an (atomic) Fragment header precedes the message
}

// ParseICMPv6 returns a view of the ICMPv6 message carried by ip. See Decode.
// It does not allocate.
func ParseICMPv6(ip IPv6) (ICMPv6, error) {
	var m ICMPv6
	err := m.Decode(ip)
	return m, err
}

// Decode sets m to a view of the ICMPv6 message carried by ip: the upper
// layer after the extension headers must be ICMPv6 ([ErrNotICMPv6]), at least
// 4 bytes long ([ErrTruncated]), with a checksum that verifies over the IPv6
// pseudo-header (RFC 4443 §2.3, RFC 8200 §8.1; [ErrBadChecksum]). The
// pseudo-header uses ip.Dst(), which is the final destination at the node
// the packet is addressed to, even when a Routing header is present.
//
// The errors of the extension header walk (see ExtIter.Next) are returned
// as is. A fragment with more fragments to come is refused with
// [ErrFragmented] as its checksum covers the reassembled message; an atomic
// fragment (offset 0, M clear; RFC 6946) is accepted.
//
// On error m is set to the zero ICMPv6. It does not allocate.
func (m *ICMPv6) Decode(ip IPv6) error {
	*m = ICMPv6{}
	frag := false
	it := ip.Extensions()
	for e, ok := it.Next(); ok; e, ok = it.Next() {
		if e.typ == ProtoIPv6Frag {
			if e.MoreFragments() {
				return ErrFragmented
			}
			frag = true
		}
	}
	proto, off, err := it.UpperLayer()
	if err != nil {
		return err
	}
	if proto != ProtoICMPv6 {
		return ErrNotICMPv6
	}
	b := ip.Bytes()[off:]
	if len(b) < ICMPv6HeaderLen {
		return ErrTruncated
	}
	if Checksum(b, PseudoHeaderChecksum6(ProtoICMPv6, ip.Src(), ip.Dst(), uint32(len(b)))) != 0xffff {
		return ErrBadChecksum
	}
	*m = ICMPv6{ip: ip, b: b, frag: frag}
	return nil
}

// IP returns the IPv6 packet that carries m.
func (m ICMPv6) IP() IPv6 { return m.ip }

// Type returns the ICMPv6 Type.
func (m ICMPv6) Type() uint8 {
	if len(m.b) < ICMPv6HeaderLen {
		return 0
	}
	return m.b[0]
}

// Code returns the ICMPv6 Code.
func (m ICMPv6) Code() uint8 {
	if len(m.b) < ICMPv6HeaderLen {
		return 0
	}
	return m.b[1]
}

// Checksum returns the Checksum field as received.
func (m ICMPv6) Checksum() uint16 {
	if len(m.b) < ICMPv6HeaderLen {
		return 0
	}
	return binary.BigEndian.Uint16(m.b[2:])
}

// IsError reports whether m is an error message (Type below 128,
// RFC 4443 §2.1).
func (m ICMPv6) IsError() bool { return len(m.b) >= ICMPv6HeaderLen && m.b[0] < 128 }

// Body returns the message after the 4-byte header. The returned slice
// aliases the packet.
func (m ICMPv6) Body() []byte {
	if len(m.b) < ICMPv6HeaderLen {
		return nil
	}
	return m.b[ICMPv6HeaderLen:]
}

// Bytes returns the whole ICMPv6 message, header included. The returned
// slice aliases the packet.
func (m ICMPv6) Bytes() []byte { return m.b }

// Echo returns the Identifier, Sequence Number and Data of an Echo Request
// or Echo Reply (RFC 4443 §4). It returns [ErrWrongType] for other types and
// [ErrTruncated] if the message is shorter than 8 bytes. The returned slice
// aliases the packet. It does not allocate.
func (m ICMPv6) Echo() (id, seq uint16, data []byte, err error) {
	if t := m.Type(); t != ICMPv6EchoRequest && t != ICMPv6EchoReply {
		return 0, 0, nil, ErrWrongType
	}
	if len(m.b) < ICMPv6EchoHeaderLen {
		return 0, 0, nil, ErrTruncated
	}
	return binary.BigEndian.Uint16(m.b[4:]), binary.BigEndian.Uint16(m.b[6:]), m.b[ICMPv6EchoHeaderLen:], nil
}

// ErrorMessage returns the 32-bit field of an error message (the MTU of a
// Packet Too Big, the Pointer of a Parameter Problem, unused otherwise) and
// the part of the invoking packet it carries (RFC 4443 §3). It returns
// [ErrWrongType] for informational messages and [ErrTruncated] if the message
// is shorter than 8 bytes. The returned slice aliases the packet. It does
// not allocate.
func (m ICMPv6) ErrorMessage() (param uint32, invoking []byte, err error) {
	if !m.IsError() {
		return 0, nil, ErrWrongType
	}
	if len(m.b) < ICMPv6ErrorHeaderLen {
		return 0, nil, ErrTruncated
	}
	return binary.BigEndian.Uint32(m.b[4:]), m.b[ICMPv6ErrorHeaderLen:], nil
}

// ndCheck applies the validity checks common to Neighbor Discovery messages
// (RFC 4861 §6.1.1, §6.1.2, §7.1.1, §7.1.2) to m, whose options start at
// minLen, and returns the option types seen (bit t set for type t < 32).
func ndCheck(m ICMPv6, typ uint8, minLen int) (seen uint32, err error) {
	if m.Type() != typ {
		return 0, ErrWrongType
	}
	if m.ip.HopLimit() != ndHopLimit {
		return 0, ErrBadHopLimit
	}
	if m.Code() != 0 {
		return 0, ErrBadCode
	}
	if len(m.b) < minLen {
		return 0, ErrTruncated
	}
	if m.frag {
		// RFC 6980 §5: ND messages with a Fragment header are dropped,
		// even atomic fragments.
		return 0, ErrFragmented
	}
	return checkNDOptions(m.b[minLen:])
}

// RouterSolicitation is a validated view of a Router Solicitation (RFC 4861
// §4.1). The zero RouterSolicitation is not valid.
type RouterSolicitation struct{ m ICMPv6 }

// ParseRouterSolicitation checks that m is a valid Router Solicitation (RFC
// 4861 §6.1.1): Type 133 ([ErrWrongType]), IP Hop Limit 255
// ([ErrBadHopLimit]), Code 0 ([ErrBadCode]), at least 8 bytes ([ErrTruncated]),
// not in a fragment ([ErrFragmented]), well-formed options
// ([ErrZeroLengthOption], [ErrBadOption]), and no source link-layer address
// option if the IP source is the unspecified address ([ErrBadSource]).
// It does not allocate.
func ParseRouterSolicitation(m ICMPv6) (RouterSolicitation, error) {
	seen, err := ndCheck(m, ICMPv6RouterSolicitation, RouterSolicitationLen)
	if err != nil {
		return RouterSolicitation{}, err
	}
	if isUnspecified6(m.ip.Src()) && seen&(1<<NDOptSourceLinkLayerAddr) != 0 {
		return RouterSolicitation{}, ErrBadSource
	}
	return RouterSolicitation{m}, nil
}

// Message returns the ICMPv6 message.
func (rs RouterSolicitation) Message() ICMPv6 { return rs.m }

// Options returns an iterator over the options. As the message was
// validated, the iteration ends without error.
func (rs RouterSolicitation) Options() NDOptIter { return ndOptionsAt(rs.m.b, RouterSolicitationLen) }

// SourceLinkLayerAddr returns the data of the first Source Link-Layer
// Address option (see NDOption.LinkLayerAddr), and false if there is none.
func (rs RouterSolicitation) SourceLinkLayerAddr() ([]byte, bool) {
	return findLinkLayerAddr(rs.Options(), NDOptSourceLinkLayerAddr)
}

// RouterAdvertisement is a validated view of a Router Advertisement (RFC
// 4861 §4.2). The zero RouterAdvertisement is not valid: its accessors
// return zero values.
type RouterAdvertisement struct{ m ICMPv6 }

// ParseRouterAdvertisement checks that m is a valid Router Advertisement
// (RFC 4861 §6.1.2): Type 134 ([ErrWrongType]), IP source link-local
// ([ErrBadSource]), IP Hop Limit 255 ([ErrBadHopLimit]), Code 0 ([ErrBadCode]),
// at least 16 bytes ([ErrTruncated]), not in a fragment ([ErrFragmented]), and
// well-formed options ([ErrZeroLengthOption], [ErrBadOption]).
//
// Known options with the wrong length or contents (a Prefix Information
// option not 32 bytes long or with a prefix length above 128, an MTU option
// not 8 bytes long) make the whole message invalid ([ErrBadOption]), where RFC
// 4861 would have the option ignored: no router transit6 talks to sends
// them, and refusing keeps the accessors below simple and total.
// It does not allocate.
func ParseRouterAdvertisement(m ICMPv6) (RouterAdvertisement, error) {
	if m.Type() != ICMPv6RouterAdvertisement {
		return RouterAdvertisement{}, ErrWrongType
	}
	if !isLinkLocal6(m.ip.Src()) {
		return RouterAdvertisement{}, ErrBadSource
	}
	if _, err := ndCheck(m, ICMPv6RouterAdvertisement, RouterAdvertisementLen); err != nil {
		return RouterAdvertisement{}, err
	}
	return RouterAdvertisement{m}, nil
}

// Message returns the ICMPv6 message.
func (ra RouterAdvertisement) Message() ICMPv6 { return ra.m }

func (ra RouterAdvertisement) fixed() []byte {
	if len(ra.m.b) < RouterAdvertisementLen {
		return nil
	}
	return ra.m.b[:RouterAdvertisementLen]
}

// CurHopLimit returns the Cur Hop Limit hosts should use; 0 means
// unspecified.
func (ra RouterAdvertisement) CurHopLimit() uint8 {
	if b := ra.fixed(); b != nil {
		return b[4]
	}
	return 0
}

// Flags returns the flags byte: RAFlagManaged, RAFlagOther and bits defined
// by later RFCs.
func (ra RouterAdvertisement) Flags() uint8 {
	if b := ra.fixed(); b != nil {
		return b[5]
	}
	return 0
}

// Managed reports whether the M flag is set.
func (ra RouterAdvertisement) Managed() bool { return ra.Flags()&RAFlagManaged != 0 }

// Other reports whether the O flag is set.
func (ra RouterAdvertisement) Other() bool { return ra.Flags()&RAFlagOther != 0 }

// RouterLifetime returns the Router Lifetime in seconds; 0 means the sender
// is not a default router.
func (ra RouterAdvertisement) RouterLifetime() uint16 {
	if b := ra.fixed(); b != nil {
		return binary.BigEndian.Uint16(b[6:])
	}
	return 0
}

// ReachableTime returns the Reachable Time in milliseconds; 0 means
// unspecified.
func (ra RouterAdvertisement) ReachableTime() uint32 {
	if b := ra.fixed(); b != nil {
		return binary.BigEndian.Uint32(b[8:])
	}
	return 0
}

// RetransTimer returns the Retrans Timer in milliseconds; 0 means
// unspecified.
func (ra RouterAdvertisement) RetransTimer() uint32 {
	if b := ra.fixed(); b != nil {
		return binary.BigEndian.Uint32(b[12:])
	}
	return 0
}

// Options returns an iterator over the options. As the message was
// validated, the iteration ends without error.
func (ra RouterAdvertisement) Options() NDOptIter {
	return ndOptionsAt(ra.m.b, RouterAdvertisementLen)
}

// SourceLinkLayerAddr returns the data of the first Source Link-Layer
// Address option, and false if there is none.
func (ra RouterAdvertisement) SourceLinkLayerAddr() ([]byte, bool) {
	return findLinkLayerAddr(ra.Options(), NDOptSourceLinkLayerAddr)
}

// MTU returns the value of the first MTU option (RFC 4861 §4.6.4), and
// false if there is none. It does not allocate.
func (ra RouterAdvertisement) MTU() (uint32, bool) {
	it := ra.Options()
	for o, ok := it.Next(); ok; o, ok = it.Next() {
		if o.Type() == NDOptMTU {
			mtu, err := o.MTU()
			return mtu, err == nil
		}
	}
	return 0, false
}

// PrefixInfo returns the first Prefix Information option and the number of
// Prefix Information options. A Teredo client accepts only an RA with
// exactly one (RFC 4380 §5.2.1):
//
//	pi, n := ra.PrefixInfo()
//	if n != 1 { /* drop */ }
//
// It does not allocate.
func (ra RouterAdvertisement) PrefixInfo() (first PrefixInfo, count int) {
	it := ra.Options()
	for o, ok := it.Next(); ok; o, ok = it.Next() {
		if o.Type() != NDOptPrefixInfo {
			continue
		}
		if count == 0 {
			first, _ = o.PrefixInfo()
		}
		count++
	}
	return first, count
}

// NeighborSolicitation is a validated view of a Neighbor Solicitation (RFC
// 4861 §4.3). The zero NeighborSolicitation is not valid.
type NeighborSolicitation struct{ m ICMPv6 }

// ParseNeighborSolicitation checks that m is a valid Neighbor Solicitation
// (RFC 4861 §7.1.1): Type 135 ([ErrWrongType]), IP Hop Limit 255
// ([ErrBadHopLimit]), Code 0 ([ErrBadCode]), at least 24 bytes ([ErrTruncated]),
// not in a fragment ([ErrFragmented]), well-formed options
// ([ErrZeroLengthOption], [ErrBadOption]), a Target that is not multicast
// ([ErrBadTarget]), and, if the IP source is the unspecified address (Duplicate
// Address Detection), a solicited-node multicast destination
// ([ErrBadDestination]) and no source link-layer address option
// ([ErrBadSource]). It does not allocate.
func ParseNeighborSolicitation(m ICMPv6) (NeighborSolicitation, error) {
	seen, err := ndCheck(m, ICMPv6NeighborSolicitation, NeighborSolicitationLen)
	if err != nil {
		return NeighborSolicitation{}, err
	}
	if isMulticast6(ndTarget(m.b)) {
		return NeighborSolicitation{}, ErrBadTarget
	}
	if isUnspecified6(m.ip.Src()) {
		if !isSolicitedNode(m.ip.Dst()) {
			return NeighborSolicitation{}, ErrBadDestination
		}
		if seen&(1<<NDOptSourceLinkLayerAddr) != 0 {
			return NeighborSolicitation{}, ErrBadSource
		}
	}
	return NeighborSolicitation{m}, nil
}

// Message returns the ICMPv6 message.
func (ns NeighborSolicitation) Message() ICMPv6 { return ns.m }

// Target returns the Target Address, the address being resolved. It is the
// zero Addr for the zero NeighborSolicitation.
func (ns NeighborSolicitation) Target() netip.Addr { return ndTarget(ns.m.b) }

// Options returns an iterator over the options. As the message was
// validated, the iteration ends without error.
func (ns NeighborSolicitation) Options() NDOptIter {
	return ndOptionsAt(ns.m.b, NeighborSolicitationLen)
}

// SourceLinkLayerAddr returns the data of the first Source Link-Layer
// Address option, and false if there is none.
func (ns NeighborSolicitation) SourceLinkLayerAddr() ([]byte, bool) {
	return findLinkLayerAddr(ns.Options(), NDOptSourceLinkLayerAddr)
}

// NeighborAdvertisement is a validated view of a Neighbor Advertisement (RFC
// 4861 §4.4). The zero NeighborAdvertisement is not valid.
type NeighborAdvertisement struct{ m ICMPv6 }

// ParseNeighborAdvertisement checks that m is a valid Neighbor Advertisement
// (RFC 4861 §7.1.2): Type 136 ([ErrWrongType]), IP Hop Limit 255
// ([ErrBadHopLimit]), Code 0 ([ErrBadCode]), at least 24 bytes ([ErrTruncated]),
// not in a fragment ([ErrFragmented]), well-formed options
// ([ErrZeroLengthOption], [ErrBadOption]), a Target that is not multicast
// ([ErrBadTarget]), and no Solicited flag if the IP destination is multicast
// ([ErrBadDestination]). It does not allocate.
func ParseNeighborAdvertisement(m ICMPv6) (NeighborAdvertisement, error) {
	if _, err := ndCheck(m, ICMPv6NeighborAdvertisement, NeighborAdvertisementLen); err != nil {
		return NeighborAdvertisement{}, err
	}
	if isMulticast6(ndTarget(m.b)) {
		return NeighborAdvertisement{}, ErrBadTarget
	}
	if isMulticast6(m.ip.Dst()) && m.b[4]&NAFlagSolicited != 0 {
		return NeighborAdvertisement{}, ErrBadDestination
	}
	return NeighborAdvertisement{m}, nil
}

// Message returns the ICMPv6 message.
func (na NeighborAdvertisement) Message() ICMPv6 { return na.m }

// Target returns the Target Address. It is the zero Addr for the zero
// NeighborAdvertisement.
func (na NeighborAdvertisement) Target() netip.Addr { return ndTarget(na.m.b) }

// Flags returns the flags byte: NAFlagRouter, NAFlagSolicited,
// NAFlagOverride and reserved bits.
func (na NeighborAdvertisement) Flags() uint8 {
	if len(na.m.b) < NeighborAdvertisementLen {
		return 0
	}
	return na.m.b[4]
}

// Router reports whether the R flag is set.
func (na NeighborAdvertisement) Router() bool { return na.Flags()&NAFlagRouter != 0 }

// Solicited reports whether the S flag is set.
func (na NeighborAdvertisement) Solicited() bool { return na.Flags()&NAFlagSolicited != 0 }

// Override reports whether the O flag is set.
func (na NeighborAdvertisement) Override() bool { return na.Flags()&NAFlagOverride != 0 }

// Options returns an iterator over the options. As the message was
// validated, the iteration ends without error.
func (na NeighborAdvertisement) Options() NDOptIter {
	return ndOptionsAt(na.m.b, NeighborAdvertisementLen)
}

// TargetLinkLayerAddr returns the data of the first Target Link-Layer
// Address option, and false if there is none.
func (na NeighborAdvertisement) TargetLinkLayerAddr() ([]byte, bool) {
	return findLinkLayerAddr(na.Options(), NDOptTargetLinkLayerAddr)
}

// ndTarget returns the Target Address of an NS or NA message b, or the zero
// Addr if b is too short.
func ndTarget(b []byte) netip.Addr {
	if len(b) < NeighborSolicitationLen {
		return netip.Addr{}
	}
	return netip.AddrFrom16([16]byte(b[8:24]))
}

// ndOptionsAt returns an iterator over the options of message b starting at
// off, or an empty iterator if b is shorter.
func ndOptionsAt(b []byte, off int) NDOptIter {
	if len(b) < off {
		return NDOptIter{}
	}
	return NDOptions(b[off:])
}

// isLinkLocal6 reports whether a is an IPv6 link-local unicast address,
// fe80::/10 (RFC 4291 §2.5.6). Unlike netip.Addr.IsLinkLocalUnicast it does
// not count IPv4-mapped 169.254.0.0/16, which is no IPv6 link-local source.
func isLinkLocal6(a netip.Addr) bool {
	b := a.As16()
	return a.Is6() && b[0] == 0xfe && b[1]&0xc0 == 0x80
}

// isUnspecified6 reports whether a is the IPv6 unspecified address ::.
func isUnspecified6(a netip.Addr) bool {
	return a.Is6() && a.As16() == [16]byte{}
}

// isMulticast6 reports whether a is an IPv6 multicast address, ff00::/8
// (RFC 4291 §2.7); IPv4-mapped multicast addresses are not.
func isMulticast6(a netip.Addr) bool {
	return a.Is6() && a.As16()[0] == 0xff
}

// isSolicitedNode reports whether a is a solicited-node multicast address,
// ff02::1:ff00:0/104 (RFC 4291 §2.7.1).
func isSolicitedNode(a netip.Addr) bool {
	if !a.Is6() {
		return false
	}
	b := a.As16()
	return b[0] == 0xff && b[1] == 0x02 && b[2]|b[3]|b[4]|b[5]|b[6]|b[7]|b[8]|b[9]|b[10] == 0 &&
		b[11] == 0x01 && b[12] == 0xff
}

// The builders below append one whole IPv6 packet — a 40-byte header with
// Next Header 58 and no extension headers, then the ICMPv6 message with its
// checksum computed over the pseudo-header — to b and return the extended
// slice. They never modify b[:len(b)] and do not allocate when b has enough
// spare capacity; to build into a caller's buffer, pass buf[:0]. On error
// they return b unchanged. Neighbor Discovery builders always use Hop Limit
// 255 and enforce the same rules as the parsers, so their output parses.

// checkAddrs validates the IPv6 addresses and message length of a builder.
func checkAddrs(src, dst netip.Addr, msgLen int) error {
	if !src.Is6() || !dst.Is6() {
		return ErrNotIPv6Addr
	}
	if msgLen > IPv6MaxPayloadLen {
		return ErrTooLong
	}
	return nil
}

// appendICMPv6 appends the IPv6 header and the first 4 bytes of an ICMPv6
// message of msgLen bytes (checksum zero) and returns the extended slice and
// the message, whose bytes after the header the caller fills before calling
// setICMPv6Checksum. The caller has checked the arguments.
func appendICMPv6(b []byte, src, dst netip.Addr, hopLimit, typ, code uint8, msgLen int) (all, msg []byte) {
	h := IPv6Header{NextHeader: ProtoICMPv6, HopLimit: hopLimit, Src: src, Dst: dst}
	all, p := extend(b, IPv6HeaderLen+msgLen)
	h.put(p, msgLen)
	msg = p[IPv6HeaderLen:]
	msg[0], msg[1], msg[2], msg[3] = typ, code, 0, 0
	return all, msg
}

// setICMPv6Checksum computes and stores the checksum of msg, whose checksum
// field is zero (RFC 4443 §2.3).
func setICMPv6Checksum(msg []byte, src, dst netip.Addr) {
	c := ^Checksum(msg, PseudoHeaderChecksum6(ProtoICMPv6, src, dst, uint32(len(msg))))
	binary.BigEndian.PutUint16(msg[2:], c)
}

// AppendEchoRequest appends an IPv6 packet carrying an Echo Request (RFC 4443
// §4.1) with the given Identifier, Sequence Number and data. It returns
// [ErrNotIPv6Addr] if src or dst is not IPv6 and [ErrTooLong] if the message
// exceeds 65535 bytes.
func AppendEchoRequest(b []byte, src, dst netip.Addr, hopLimit uint8, id, seq uint16, data []byte) ([]byte, error) {
	return appendEcho(b, ICMPv6EchoRequest, src, dst, hopLimit, id, seq, data)
}

// AppendEchoReply appends an IPv6 packet carrying an Echo Reply (RFC 4443
// §4.2). A reply echoes the request's Identifier, Sequence Number and data.
// Errors are those of AppendEchoRequest.
func AppendEchoReply(b []byte, src, dst netip.Addr, hopLimit uint8, id, seq uint16, data []byte) ([]byte, error) {
	return appendEcho(b, ICMPv6EchoReply, src, dst, hopLimit, id, seq, data)
}

func appendEcho(b []byte, typ uint8, src, dst netip.Addr, hopLimit uint8, id, seq uint16, data []byte) ([]byte, error) {
	n := ICMPv6EchoHeaderLen + len(data)
	if err := checkAddrs(src, dst, n); err != nil {
		return b, err
	}
	all, msg := appendICMPv6(b, src, dst, hopLimit, typ, 0, n)
	binary.BigEndian.PutUint16(msg[4:], id)
	binary.BigEndian.PutUint16(msg[6:], seq)
	copy(msg[ICMPv6EchoHeaderLen:], data)
	setICMPv6Checksum(msg, src, dst)
	return all, nil
}

// AppendICMPv6Error appends an IPv6 packet carrying an ICMPv6 error message
// of type typ (below 128, else [ErrWrongType]) with the given code and 32-bit
// field, followed by as much of the invoking packet as fits without the
// whole packet exceeding the minimum IPv6 MTU of 1280 bytes (RFC 4443
// §2.4(c)): at most 1232 bytes of it.
//
// Whether an error may be sent at all (not in response to another error or
// to a multicast packet, rate limited; RFC 4443 §2.4(e), (f)) is the
// caller's decision. It returns [ErrNotIPv6Addr] if src or dst is not IPv6.
func AppendICMPv6Error(b []byte, src, dst netip.Addr, hopLimit, typ, code uint8, param uint32, invoking []byte) ([]byte, error) {
	if typ >= 128 {
		return b, ErrWrongType
	}
	invoking = invoking[:min(len(invoking), IPv6MinMTU-ICMPv6ErrorHeadroom)]
	n := ICMPv6ErrorHeaderLen + len(invoking)
	if err := checkAddrs(src, dst, n); err != nil {
		return b, err
	}
	all, msg := appendICMPv6(b, src, dst, hopLimit, typ, code, n)
	binary.BigEndian.PutUint32(msg[4:], param)
	copy(msg[ICMPv6ErrorHeaderLen:], invoking)
	setICMPv6Checksum(msg, src, dst)
	return all, nil
}

// AppendPacketTooBig appends an IPv6 packet carrying a Packet Too Big message
// (RFC 4443 §3.2) announcing mtu, with the invoking packet truncated as by
// AppendICMPv6Error. Relays and tunnel endpoints send it when an IPv6 packet
// does not fit the tunnel MTU (RFC 4213 §3.2).
func AppendPacketTooBig(b []byte, src, dst netip.Addr, hopLimit uint8, mtu uint32, invoking []byte) ([]byte, error) {
	return AppendICMPv6Error(b, src, dst, hopLimit, ICMPv6PacketTooBig, 0, mtu, invoking)
}

// AppendDestUnreachable appends an IPv6 packet carrying a Destination
// Unreachable message (RFC 4443 §3.1) with the given code (ICMPv6NoRoute,
// ICMPv6AddressUnreachable, ...), with the invoking packet truncated as by
// AppendICMPv6Error.
func AppendDestUnreachable(b []byte, src, dst netip.Addr, hopLimit, code uint8, invoking []byte) ([]byte, error) {
	return AppendICMPv6Error(b, src, dst, hopLimit, ICMPv6DestUnreachable, code, 0, invoking)
}

// AppendTimeExceeded appends an IPv6 packet carrying a Time Exceeded message
// (RFC 4443 §3.3) with the given code (ICMPv6HopLimitExceeded or
// ICMPv6ReassemblyTimeout), with the invoking packet truncated as by
// AppendICMPv6Error.
func AppendTimeExceeded(b []byte, src, dst netip.Addr, hopLimit, code uint8, invoking []byte) ([]byte, error) {
	return AppendICMPv6Error(b, src, dst, hopLimit, ICMPv6TimeExceeded, code, 0, invoking)
}

// PrependICMPv6Error builds an ICMPv6 error message in place around the
// invoking packet at buf[off:], without copying it: the IPv6 and ICMPv6
// error headers go into buf[off-48:off], the invoking packet is cut so that
// the result does not exceed 1280 bytes (RFC 4443 §2.4(c)), and the result
// is that sub-slice of buf, starting at buf[off-48]. Arguments are as for
// AppendICMPv6Error.
//
// It returns [ErrNoHeadroom] if off < ICMPv6ErrorHeadroom, [io.ErrShortBuffer]
// if off > len(buf), [ErrWrongType] and [ErrNotIPv6Addr]; buf is not modified
// on error. It does not allocate.
func PrependICMPv6Error(buf []byte, off int, src, dst netip.Addr, hopLimit, typ, code uint8, param uint32) ([]byte, error) {
	if off < ICMPv6ErrorHeadroom {
		return nil, ErrNoHeadroom
	}
	if off > len(buf) {
		return nil, io.ErrShortBuffer
	}
	if typ >= 128 {
		return nil, ErrWrongType
	}
	if err := checkAddrs(src, dst, 0); err != nil {
		return nil, err
	}
	end := off + min(len(buf)-off, IPv6MinMTU-ICMPv6ErrorHeadroom)
	pkt := buf[off-ICMPv6ErrorHeadroom : end]
	h := IPv6Header{NextHeader: ProtoICMPv6, HopLimit: hopLimit, Src: src, Dst: dst}
	msg := pkt[IPv6HeaderLen:]
	h.put(pkt, len(msg))
	msg[0], msg[1], msg[2], msg[3] = typ, code, 0, 0
	binary.BigEndian.PutUint32(msg[4:], param)
	setICMPv6Checksum(msg, src, dst)
	return pkt, nil
}

// AppendRouterSolicitation appends an IPv6 packet carrying a Router
// Solicitation (RFC 4861 §4.1), usually from a link-local address (or ::)
// to ff02::2 (all routers). If lladdr is not empty, a Source Link-Layer
// Address option carries it, zero-padded to a multiple of 8 bytes; it is
// refused from the unspecified address ([ErrBadSource], §4.1). Other errors:
// [ErrNotIPv6Addr], [ErrBadOption] if lladdr does not fit in an option.
func AppendRouterSolicitation(b []byte, src, dst netip.Addr, lladdr []byte) ([]byte, error) {
	if len(lladdr) > 0 && isUnspecified6(src) {
		return b, ErrBadSource
	}
	optLen, err := llOptLen(lladdr)
	if err != nil {
		return b, err
	}
	n := RouterSolicitationLen + optLen
	if err := checkAddrs(src, dst, n); err != nil {
		return b, err
	}
	all, msg := appendICMPv6(b, src, dst, ndHopLimit, ICMPv6RouterSolicitation, 0, n)
	clear(msg[4:RouterSolicitationLen])
	putLLOption(msg[RouterSolicitationLen:], NDOptSourceLinkLayerAddr, lladdr)
	setICMPv6Checksum(msg, src, dst)
	return all, nil
}

// RAFields holds the contents of a Router Advertisement to build (RFC 4861
// §4.2). Options are written in the order SLLA, prefixes, MTU.
type RAFields struct {
	CurHopLimit    uint8  // 0: unspecified
	Flags          uint8  // RAFlagManaged, RAFlagOther, ...
	RouterLifetime uint16 // seconds; 0: not a default router
	ReachableTime  uint32 // milliseconds; 0: unspecified
	RetransTimer   uint32 // milliseconds; 0: unspecified

	SourceLinkLayerAddr []byte       // Source Link-Layer Address option; empty: none
	Prefixes            []PrefixInfo // one Prefix Information option each
	MTU                 uint32       // MTU option (RFC 4861 §4.6.4); 0: none
}

// AppendRouterAdvertisement appends an IPv6 packet carrying the Router
// Advertisement described by ra, from src, which must be link-local
// ([ErrBadSource], RFC 4861 §6.1.2), to dst (ff02::1 or the soliciting
// host). It returns [ErrNotIPv6Addr] for non-IPv6 addresses or prefixes,
// [ErrBadOption] if the link-layer address does not fit in an option and
// [ErrTooLong] if the message exceeds 65535 bytes. It does not allocate when
// b has enough spare capacity.
func AppendRouterAdvertisement(b []byte, src, dst netip.Addr, ra *RAFields) ([]byte, error) {
	if !isLinkLocal6(src) {
		return b, ErrBadSource
	}
	optLen, err := llOptLen(ra.SourceLinkLayerAddr)
	if err != nil {
		return b, err
	}
	for _, p := range ra.Prefixes {
		if !p.Prefix.IsValid() || !p.Prefix.Addr().Is6() {
			return b, ErrNotIPv6Addr
		}
	}
	n := RouterAdvertisementLen + optLen + len(ra.Prefixes)*PrefixInfoLen
	if ra.MTU != 0 {
		n += MTUOptionLen
	}
	if err := checkAddrs(src, dst, n); err != nil {
		return b, err
	}
	all, msg := appendICMPv6(b, src, dst, ndHopLimit, ICMPv6RouterAdvertisement, 0, n)
	msg[4], msg[5] = ra.CurHopLimit, ra.Flags
	binary.BigEndian.PutUint16(msg[6:], ra.RouterLifetime)
	binary.BigEndian.PutUint32(msg[8:], ra.ReachableTime)
	binary.BigEndian.PutUint32(msg[12:], ra.RetransTimer)
	o := msg[RouterAdvertisementLen:]
	putLLOption(o, NDOptSourceLinkLayerAddr, ra.SourceLinkLayerAddr)
	o = o[optLen:]
	for i := range ra.Prefixes {
		ra.Prefixes[i].put(o)
		o = o[PrefixInfoLen:]
	}
	if ra.MTU != 0 {
		putMTUOption(o, ra.MTU)
	}
	setICMPv6Checksum(msg, src, dst)
	return all, nil
}

// AppendNeighborSolicitation appends an IPv6 packet carrying a Neighbor
// Solicitation (RFC 4861 §4.3) for target, with a Source Link-Layer Address
// option if lladdr is not empty. For Duplicate Address Detection src is ::,
// dst must then be target's solicited-node multicast address
// ([ErrBadDestination]) and lladdr empty ([ErrBadSource]). It returns
// [ErrBadTarget] for a multicast target, [ErrNotIPv6Addr] and [ErrBadOption].
func AppendNeighborSolicitation(b []byte, src, dst, target netip.Addr, lladdr []byte) ([]byte, error) {
	if !target.Is6() {
		return b, ErrNotIPv6Addr
	}
	if isMulticast6(target) {
		return b, ErrBadTarget
	}
	if isUnspecified6(src) {
		if !isSolicitedNode(dst) {
			return b, ErrBadDestination
		}
		if len(lladdr) > 0 {
			return b, ErrBadSource
		}
	}
	return appendNeighbor(b, ICMPv6NeighborSolicitation, src, dst, target, 0, NDOptSourceLinkLayerAddr, lladdr)
}

// AppendNeighborAdvertisement appends an IPv6 packet carrying a Neighbor
// Advertisement (RFC 4861 §4.4) for target with the given flags
// (NAFlagRouter, NAFlagSolicited, NAFlagOverride; the whole byte is written
// as given), with a Target Link-Layer Address option if lladdr is not
// empty. It returns [ErrBadTarget] for a multicast target, [ErrBadDestination]
// for NAFlagSolicited with a multicast dst, [ErrNotIPv6Addr] and [ErrBadOption].
func AppendNeighborAdvertisement(b []byte, src, dst, target netip.Addr, flags uint8, lladdr []byte) ([]byte, error) {
	if !target.Is6() {
		return b, ErrNotIPv6Addr
	}
	if isMulticast6(target) {
		return b, ErrBadTarget
	}
	if flags&NAFlagSolicited != 0 && isMulticast6(dst) {
		return b, ErrBadDestination
	}
	return appendNeighbor(b, ICMPv6NeighborAdvertisement, src, dst, target, flags, NDOptTargetLinkLayerAddr, lladdr)
}

func appendNeighbor(b []byte, typ uint8, src, dst, target netip.Addr, flags, optType uint8, lladdr []byte) ([]byte, error) {
	optLen, err := llOptLen(lladdr)
	if err != nil {
		return b, err
	}
	n := NeighborSolicitationLen + optLen
	if err := checkAddrs(src, dst, n); err != nil {
		return b, err
	}
	all, msg := appendICMPv6(b, src, dst, ndHopLimit, typ, 0, n)
	msg[4], msg[5], msg[6], msg[7] = flags, 0, 0, 0
	t := target.As16()
	copy(msg[8:24], t[:])
	putLLOption(msg[NeighborSolicitationLen:], optType, lladdr)
	setICMPv6Checksum(msg, src, dst)
	return all, nil
}
