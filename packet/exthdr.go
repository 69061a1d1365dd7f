package packet

// IPv6 extension headers, RFC 8200 §4. Hop-by-Hop Options (§4.3),
// Destination Options (§4.6) and Routing (§4.4) headers share the first two
// bytes; their length counts 8-octet units beyond the first 8:
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Next Header  |  Hdr Ext Len  |  (options, or Routing Type    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+   and Segments Left, then      +
//	|                    type-specific data) ...                    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Fragment header (§4.5), always 8 bytes:
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                         Identification                        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Authentication Header (RFC 4302 §2), Payload Len in 4-octet units minus 2:
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Next Header  |  Payload Len  |           RESERVED            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|       Security Parameters Index, Sequence Number, ICV ...     |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Options inside Hop-by-Hop and Destination Options headers are TLVs
// (§4.2): Pad1 is a single zero byte; every other option is Option Type,
// Opt Data Len, and that many data bytes.

import "encoding/binary"

// MaxExtHeaders bounds the number of extension headers a walk examines. RFC
// 8200 §4.1 allows each header at most once (Destination Options twice), so
// a legitimate packet has far fewer; the bound caps the work an attacker can
// make a walk do.
const MaxExtHeaders = 16

// FragmentHeaderLen is the length of the Fragment header (RFC 8200 §4.5).
const FragmentHeaderLen = 8

// ExtHeader is one IPv6 extension header found by an ExtIter. Its accessors
// never panic; the zero ExtHeader has Type 0 and no bytes.
type ExtHeader struct {
	b   []byte
	off int
	typ uint8
}

// Type returns the header's own protocol number: ProtoHopByHop,
// ProtoIPv6Opts, ProtoIPv6Route, ProtoIPv6Frag or ProtoAH.
func (e ExtHeader) Type() uint8 { return e.typ }

// NextHeader returns the protocol number of what follows the header.
func (e ExtHeader) NextHeader() uint8 {
	if len(e.b) == 0 {
		return 0
	}
	return e.b[0]
}

// Offset returns the offset of the header from the start of the IPv6 packet.
func (e ExtHeader) Offset() int { return e.off }

// Len returns the length of the header in bytes.
func (e ExtHeader) Len() int { return len(e.b) }

// Bytes returns the whole header. The returned slice aliases the packet.
func (e ExtHeader) Bytes() []byte { return e.b }

// RoutingType returns the Routing Type of a Routing header (RFC 8200 §4.4),
// and 0 for other headers.
func (e ExtHeader) RoutingType() uint8 {
	if e.typ != ProtoIPv6Route {
		return 0
	}
	return e.b[2]
}

// SegmentsLeft returns the Segments Left field of a Routing header (RFC 8200
// §4.4), and 0 for other headers.
func (e ExtHeader) SegmentsLeft() uint8 {
	if e.typ != ProtoIPv6Route {
		return 0
	}
	return e.b[3]
}

// FragmentOffset returns the offset in bytes (the 13-bit field times 8) of a
// Fragment header's data within the original packet (RFC 8200 §4.5), and 0
// for other headers.
func (e ExtHeader) FragmentOffset() int {
	if e.typ != ProtoIPv6Frag {
		return 0
	}
	return int(binary.BigEndian.Uint16(e.b[2:]) &^ 7)
}

// MoreFragments reports whether a Fragment header has its M flag set; it is
// false for other headers.
func (e ExtHeader) MoreFragments() bool {
	return e.typ == ProtoIPv6Frag && e.b[3]&1 != 0
}

// FragmentID returns the Identification of a Fragment header, and 0 for
// other headers.
func (e ExtHeader) FragmentID() uint32 {
	if e.typ != ProtoIPv6Frag {
		return 0
	}
	return binary.BigEndian.Uint32(e.b[4:])
}

// ExtIter walks the extension headers of an IPv6 packet in order, without
// allocating. Get one from IPv6.Extensions:
//
//	it := ip.Extensions()
//	for e, ok := it.Next(); ok; e, ok = it.Next() {
//		if e.Type() == packet.ProtoIPv6Route {
//			return errRouting
//		}
//	}
//	proto, off, err := it.UpperLayer()
//
// The walk stops at the first header that is not Hop-by-Hop, Destination
// Options, Routing, Fragment or AH: that is the upper layer, which may be
// ESP (RFC 4303: what follows is encrypted), No Next Header (59) or any
// other protocol, including those the IANA lists as extension headers but
// that end the chain in practice (Mobility, HIP, Shim6).
//
// The zero ExtIter walks nothing and ends with [ErrTruncated].
type ExtIter struct {
	pkt     []byte // the IPv6 packet, fixed header included
	off     int    // offset of the header to examine next
	next    uint8  // its protocol number
	n       int    // extension headers returned so far
	pending error  // error to report on the next call (non-first fragment)
	err     error
	done    bool
}

// Extensions returns an iterator over h's extension headers. For the zero
// IPv6 the walk is over at once, with [ErrTruncated].
func (h IPv6) Extensions() ExtIter {
	if h.n < IPv6HeaderLen {
		return ExtIter{}
	}
	return ExtIter{pkt: h.b[:h.n], off: IPv6HeaderLen, next: h.b[ipv6NextHeader]}
}

// UpperLayer walks the extension headers and returns the upper-layer
// protocol number and the offset of its header from the start of the packet
// (RFC 8200 §4). The offset equals len(h.Bytes()) when the upper layer is
// empty, as in a Teredo bubble. See ExtIter for the errors.
// It does not allocate.
func (h IPv6) UpperLayer() (proto uint8, off int, err error) {
	it := h.Extensions()
	return it.UpperLayer()
}

// HasRoutingHeader reports whether h carries a Routing header among the
// extension headers a walk reaches. Receivers that do not route (every
// transit6 tunnel endpoint) should drop such packets: Routing headers have
// been used to bounce traffic through tunnel endpoints (CVE-2006-6263, RFC
// 5095). Headers after a malformed one are not examined; callers that need
// a complete answer also check the error from UpperLayer.
// It does not allocate.
func (h IPv6) HasRoutingHeader() bool {
	it := h.Extensions()
	for e, ok := it.Next(); ok; e, ok = it.Next() {
		if e.typ == ProtoIPv6Route {
			return true
		}
	}
	return false
}

// Next returns the next extension header and true, or the zero ExtHeader and
// false once the upper layer is reached or an error occurs; Err tells which.
// Each header is checked before it is returned:
//
//   - a Hop-by-Hop Options header anywhere but directly after the fixed
//     header: [ErrHopByHopNotFirst] (RFC 8200 §4.1);
//   - a header extending past the packet: [ErrTruncated];
//   - Hop-by-Hop or Destination options overrunning their header, or an AH
//     whose length is not a multiple of 8 bytes (RFC 4302 §2.2):
//     [ErrBadExtHeader];
//   - a Jumbo Payload option (RFC 2675) in a Hop-by-Hop header: [ErrJumbogram];
//   - more than MaxExtHeaders headers: [ErrTooManyExtHeaders].
//
// A Fragment header with a non-zero offset is returned, after which the walk
// ends with [ErrFragmented]: the rest of the packet continues the payload of an
// earlier fragment and has no header of its own (RFC 8200 §4.5). A first
// fragment (offset 0) is walked through; its upper-layer header may be
// incomplete.
func (it *ExtIter) Next() (ExtHeader, bool) {
	if it.done {
		return ExtHeader{}, false
	}
	if len(it.pkt) < IPv6HeaderLen {
		// The zero ExtIter, or one from the zero IPv6.
		return it.fail(ErrTruncated)
	}
	if it.pending != nil {
		return it.fail(it.pending)
	}
	typ := it.next
	switch typ {
	case ProtoHopByHop, ProtoIPv6Opts, ProtoIPv6Route, ProtoIPv6Frag, ProtoAH:
	default:
		it.done = true
		return ExtHeader{}, false
	}
	if typ == ProtoHopByHop && it.off != IPv6HeaderLen {
		return it.fail(ErrHopByHopNotFirst)
	}
	if it.n == MaxExtHeaders {
		return it.fail(ErrTooManyExtHeaders)
	}
	rem := it.pkt[it.off:]
	if len(rem) < 2 {
		return it.fail(ErrTruncated)
	}
	var l int
	switch typ {
	case ProtoIPv6Frag:
		l = FragmentHeaderLen
	case ProtoAH:
		l = (int(rem[1]) + 2) * 4
	default:
		l = (int(rem[1]) + 1) * 8
	}
	if l > len(rem) {
		return it.fail(ErrTruncated)
	}
	b := rem[:l]
	switch typ {
	case ProtoHopByHop, ProtoIPv6Opts:
		jumbo, err := scanOptions(b[2:])
		if err != nil {
			return it.fail(err)
		}
		if jumbo && typ == ProtoHopByHop {
			return it.fail(ErrJumbogram)
		}
	case ProtoAH:
		if l%8 != 0 {
			return it.fail(ErrBadExtHeader)
		}
	case ProtoIPv6Frag:
		if binary.BigEndian.Uint16(b[2:])&^7 != 0 {
			it.pending = ErrFragmented
		}
	}
	e := ExtHeader{b: b, off: it.off, typ: typ}
	it.n++
	it.off += l
	it.next = b[0]
	return e, true
}

func (it *ExtIter) fail(err error) (ExtHeader, bool) {
	it.err, it.done = err, true
	return ExtHeader{}, false
}

// Err returns the error that ended the walk, or nil if the walk reached the
// upper layer or has not ended yet.
func (it *ExtIter) Err() error { return it.err }

// UpperLayer finishes the walk and returns the upper-layer protocol number
// and the offset of its header from the start of the packet, or the error
// that ended the walk (see Next). On error, proto and off name the header at
// which the walk stopped. It does not allocate.
func (it *ExtIter) UpperLayer() (proto uint8, off int, err error) {
	for _, ok := it.Next(); ok; _, ok = it.Next() {
	}
	return it.next, it.off, it.err
}

// scanOptions walks the TLV options of a Hop-by-Hop or Destination Options
// header (RFC 8200 §4.2) and reports whether a Jumbo Payload option is among
// them, or [ErrBadExtHeader] if an option overruns b.
func scanOptions(b []byte) (jumbo bool, err error) {
	// Written with re-slicing, which the compiler proves in bounds, so that
	// the decoders it is inlined into need no bounds-check panics (and so
	// no stack frame: see encapsulated.go).
	for len(b) > 0 {
		if b[0] == 0 { // Pad1
			b = b[1:]
			continue
		}
		if len(b) < 2 || 2+int(b[1]) > len(b) {
			return false, ErrBadExtHeader
		}
		if b[0] == jumboOptionType {
			jumbo = true
		}
		b = b[2+int(b[1]):]
	}
	return jumbo, nil
}
