package packet

import "errors"

// Errors returned by the IPv4, UDP, checksum, ECN and headroom code. They are
// returned bare on hot paths (no wrapping, no allocation), so callers may
// compare them with errors.Is or ==.
var (
	// ErrTruncated reports that a buffer is shorter than the fixed part of a
	// header, or shorter than a length field inside it claims.
	ErrTruncated = errors.New("packet: truncated")

	// ErrBadVersion reports an IP version field that does not match the
	// header being parsed.
	ErrBadVersion = errors.New("packet: bad IP version")

	// ErrBadChecksum reports a header or transport checksum that does not
	// verify.
	ErrBadChecksum = errors.New("packet: bad checksum")

	// ErrNoHeadroom reports that an in-place encapsulation was asked to write
	// a header in front of offset off, but off is smaller than the header.
	ErrNoHeadroom = errors.New("packet: not enough headroom")

	// ErrBadIHL reports an IPv4 Internet Header Length below 5 (20 bytes),
	// the minimum allowed by RFC 791.
	ErrBadIHL = errors.New("packet: bad IPv4 header length")

	// ErrBadTotalLength reports an IPv4 Total Length smaller than the header
	// length.
	ErrBadTotalLength = errors.New("packet: bad IPv4 total length")

	// ErrNotIPv4Addr reports that an address given to an IPv4 builder is not
	// a 4-byte IPv4 address (IPv4-mapped IPv6 addresses are refused too).
	ErrNotIPv4Addr = errors.New("packet: not an IPv4 address")

	// ErrNotIPv6Addr reports that an address given to an IPv6 builder is not
	// a 16-byte IPv6 address.
	ErrNotIPv6Addr = errors.New("packet: not an IPv6 address")

	// ErrTooLong reports a packet that does not fit in a 16-bit length field.
	ErrTooLong = errors.New("packet: packet too long")

	// ErrBadUDPLength reports a UDP Length field below 8 (the header length).
	ErrBadUDPLength = errors.New("packet: bad UDP length")

	// ErrZeroUDPChecksumIPv6 reports a UDP datagram carried over IPv6 whose
	// checksum field is zero, which RFC 8200 §8.1 forbids: receivers must
	// discard it. RFC 6935/6936 relax this for tunnel protocols that opt in;
	// this package does not (see UDP.VerifyChecksum6).
	ErrZeroUDPChecksumIPv6 = errors.New("packet: zero UDP checksum over IPv6")

	// ErrIPv4Fragment reports an IPv4 fragment (More Fragments set or a
	// non-zero Fragment Offset, RFC 791 §3.2) where a whole packet is
	// needed: ParseIPv6InIPv4 and ParseIPv6InUDP4 refuse it, because a
	// fragment's payload is not the whole IPv6 packet; reassemble first.
	ErrIPv4Fragment = errors.New("packet: IPv4 packet is a fragment")

	// ErrWrongProtocol reports an IPv4 packet whose Protocol is not the one
	// the parser decodes: 41 for ParseIPv6InIPv4, 17 for ParseIPv6InUDP4.
	ErrWrongProtocol = errors.New("packet: unexpected IPv4 protocol")

	// ErrECNDrop reports an outer CE mark over an inner Not-ECT packet: RFC
	// 6040 §4.2 (Figure 4) requires the decapsulator to drop the packet.
	ErrECNDrop = errors.New("packet: ECN: outer CE on Not-ECT inner packet")
)

// Errors returned by the IPv6, extension header, ICMPv6 and Neighbor
// Discovery code. Like the ones above they are returned bare on hot paths.
var (
	// ErrJumbogram reports an IPv6 jumbogram (RFC 2675): Payload Length 0
	// with a Jumbo Payload option in the Hop-by-Hop header, or a Jumbo
	// Payload option in any Hop-by-Hop header. No transit6 link carries
	// packets over 65535 bytes, so they are refused.
	ErrJumbogram = errors.New("packet: IPv6 jumbogram not supported")

	// ErrBadFlowLabel reports a flow label that does not fit in 20 bits
	// (RFC 6437).
	ErrBadFlowLabel = errors.New("packet: IPv6 flow label exceeds 20 bits")

	// ErrHopByHopNotFirst reports a Hop-by-Hop Options header that does not
	// immediately follow the IPv6 header (RFC 8200 §4.1).
	ErrHopByHopNotFirst = errors.New("packet: IPv6 Hop-by-Hop header not first")

	// ErrFragmented reports a packet whose upper layer cannot be examined
	// because it is fragmented: a non-first fragment (no upper-layer header
	// at all) or, for ICMPv6, a fragment whose checksum cannot be verified
	// before reassembly. Neighbor Discovery messages in any fragment are
	// refused with it too (RFC 6980 §5).
	ErrFragmented = errors.New("packet: IPv6 packet is a fragment")

	// ErrTooManyExtHeaders reports a chain of more than MaxExtHeaders IPv6
	// extension headers.
	ErrTooManyExtHeaders = errors.New("packet: too many IPv6 extension headers")

	// ErrBadExtHeader reports a malformed IPv6 extension header: options
	// overrunning a Hop-by-Hop or Destination Options header, or an AH whose
	// length is not a multiple of 8 bytes (RFC 4302 §2.2).
	ErrBadExtHeader = errors.New("packet: malformed IPv6 extension header")

	// ErrNotICMPv6 reports an IPv6 packet whose upper layer is not ICMPv6
	// (Next Header 58).
	ErrNotICMPv6 = errors.New("packet: not ICMPv6")

	// ErrWrongType reports an ICMPv6 message of another type than the one
	// being parsed.
	ErrWrongType = errors.New("packet: wrong ICMPv6 type")

	// ErrBadCode reports an ICMPv6 Code not allowed for its type; Neighbor
	// Discovery messages must have Code 0 (RFC 4861 §6.1, §7.1).
	ErrBadCode = errors.New("packet: bad ICMPv6 code")

	// ErrBadHopLimit reports a Neighbor Discovery message whose IP Hop Limit
	// is not 255, so that it may have crossed a router (RFC 4861 §6.1, §7.1).
	ErrBadHopLimit = errors.New("packet: ND message hop limit not 255")

	// ErrZeroLengthOption reports a Neighbor Discovery option with Length 0,
	// which makes receivers discard the whole message (RFC 4861 §4.6).
	ErrZeroLengthOption = errors.New("packet: ND option with zero length")

	// ErrBadOption reports a Neighbor Discovery option that runs past the
	// message, or a known option with the wrong length or contents (Prefix
	// Information: Length 4 and prefix length ≤ 128; MTU: Length 1).
	ErrBadOption = errors.New("packet: malformed ND option")

	// ErrBadSource reports a Neighbor Discovery message whose IP source
	// address is not allowed: a Router Advertisement not from a link-local
	// address (RFC 4861 §6.1.2), or a source link-layer address option sent
	// from the unspecified address (§6.1.1, §7.1.1).
	ErrBadSource = errors.New("packet: bad ND source address")

	// ErrBadDestination reports a Neighbor Discovery message whose IP
	// destination is not allowed: a solicited Neighbor Advertisement to a
	// multicast address (RFC 4861 §7.1.2), or a Neighbor Solicitation from
	// the unspecified address not sent to a solicited-node multicast address
	// (§7.1.1).
	ErrBadDestination = errors.New("packet: bad ND destination address")

	// ErrBadTarget reports a Neighbor Solicitation or Advertisement whose
	// Target Address is multicast (RFC 4861 §7.1.1, §7.1.2).
	ErrBadTarget = errors.New("packet: ND target address is multicast")
)
