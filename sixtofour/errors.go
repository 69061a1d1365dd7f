package sixtofour

import (
	"errors"

	"github.com/transit6/transit6/packet"
)

// The error scheme: a malformed outer IPv4 header (or an IPv6 header handed
// to Outbound by the host) is reported with package packet's own sentinels,
// returned as is — packet.ErrTruncated, packet.ErrBadVersion,
// packet.ErrBadIHL, packet.ErrBadTotalLength, packet.ErrBadChecksum,
// packet.ErrNoHeadroom — so one errors.Is test works whichever layer found
// the problem. Everything specific to protocol 41, to the inner packet of a
// tunnelled packet or to a mechanism's policy is one of the sentinels below.
// [ErrECNDrop] is packet.ErrECNDrop under this package's name. Every
// sentinel is returned bare (no wrapping, no allocation) except
// [ErrInvalidConfig], which constructors wrap with the offending field.

// Errors of the codec: decapsulation, encapsulation and the inner packet.
var (
	// ErrNotProto41 reports an IPv4 packet whose Protocol is not 41 (IPv6
	// encapsulation, RFC 4213 §3.5), or an ICMPv4 error quoting one.
	ErrNotProto41 = errors.New("sixtofour: not protocol 41")

	// ErrInnerTruncated reports a protocol-41 packet whose payload is
	// shorter than an IPv6 header (outer Total Length < 60 without options).
	// Linux's protocol-41 demultiplexer drops it too (net/ipv4/tunnel4.c).
	ErrInnerTruncated = errors.New("sixtofour: inner IPv6 header truncated")

	// ErrNotIPv6Inner reports a protocol-41 payload whose version is not 6,
	// or an IPv6 jumbogram, which no IPv4 packet can carry.
	ErrNotIPv6Inner = errors.New("sixtofour: inner packet is not IPv6")

	// ErrLengthMismatch reports an inner IPv6 Payload Length that runs past
	// the outer packet's Total Length. (An outer packet longer than the
	// inner one is accepted and the extra bytes are trimmed.)
	ErrLengthMismatch = errors.New("sixtofour: inner IPv6 length exceeds the outer packet")

	// ErrECNDrop reports an outer CE mark over an inner Not-ECT packet,
	// which RFC 6040 §4.2 makes the decapsulator drop. It is
	// packet.ErrECNDrop.
	ErrECNDrop = packet.ErrECNDrop

	// ErrFragmented reports a fragment of an outer IPv4 packet (MF set or
	// a non-zero offset) when reassembly is disabled.
	ErrFragmented = errors.New("sixtofour: fragmented outer IPv4 packet")

	// ErrMTUTooSmall reports a path MTU that leaves a tunnel MTU below 68
	// bytes, the IPv4 minimum: Linux drops such packets (§1.2 of the
	// notes, ip_tunnel_core.c).
	ErrMTUTooSmall = errors.New("sixtofour: path MTU too small for the tunnel")

	// ErrPacketTooBig reports an IPv6 packet larger than the tunnel MTU
	// (RFC 4213 §3.2); the router answers it with an ICMPv6 Packet Too Big.
	ErrPacketTooBig = errors.New("sixtofour: IPv6 packet larger than the tunnel MTU")
)

// Errors of the outer IPv4 reassembler (RFC 791 §3.2).
var (
	// ErrReassemblyOverlap reports a fragment that overlaps (or
	// duplicates) data already received. The whole datagram is discarded,
	// as RFC 5722 asks for IPv6 and Linux does for IPv4 overlaps.
	ErrReassemblyOverlap = errors.New("sixtofour: overlapping IPv4 fragment")

	// ErrReassemblyShortFragment reports a fragment that is too short to be
	// legitimate: a non-last fragment whose payload is empty or not a
	// multiple of 8 bytes (RFC 791 §3.2), or a first fragment that cannot
	// hold the 40-byte inner IPv6 header (the tiny-fragment attack, RFC
	// 1858 §3).
	ErrReassemblyShortFragment = errors.New("sixtofour: IPv4 fragment too short")

	// ErrReassemblyInconsistent reports fragments that disagree on where
	// the datagram ends: two last fragments with different ends, or data
	// past the end a last fragment announced. The datagram is discarded.
	ErrReassemblyInconsistent = errors.New("sixtofour: inconsistent IPv4 fragments")

	// ErrReassemblyTooBig reports a datagram that would exceed the
	// reassembler's maximum datagram size or the 65535 bytes of an IPv4
	// Total Length.
	ErrReassemblyTooBig = errors.New("sixtofour: reassembled IPv4 datagram too big")

	// ErrReassemblyMemory reports a datagram evicted, unfinished, to make
	// room for a newer one when every reassembly slot was taken: the
	// memory cap at work. It is counted, never returned for the fragment
	// that caused the eviction.
	ErrReassemblyMemory = errors.New("sixtofour: IPv4 reassembly memory limit")

	// ErrReassemblyTimeout reports a datagram discarded because its first
	// fragment arrived more than the reassembly timeout ago. It is counted
	// by Expire and by the fragment that finds the stale datagram.
	ErrReassemblyTimeout = errors.New("sixtofour: IPv4 reassembly timeout")
)

// Errors of the security checks (RFC 3056 §8, RFC 3964 §5, RFC 5969 §12,
// RFC 5214 §7.3, RFC 4213 §3.6) and of next-hop selection.
var (
	// ErrNoTunnel reports a protocol-41 packet no tunnel of this router
	// accepts: its outer destination is not the local IPv4 address. Linux
	// answers it with an ICMPv4 port unreachable (tunnel4.c); the router
	// does so when Config.ICMPv4Unreachable is set.
	ErrNoTunnel = errors.New("sixtofour: no tunnel for the outer destination")

	// ErrNotFromRemote reports a packet on a configured (6in4) tunnel whose
	// outer source is not the configured remote endpoint (RFC 4213 §3.6).
	ErrNotFromRemote = errors.New("sixtofour: outer source is not the configured remote")

	// ErrSpoofedSource reports an inner source that embeds an IPv4 address
	// (6to4, 6rd) other than the outer source (RFC 3056 §8, RFC 3964 §5.1,
	// RFC 5969 §12), or an outbound packet whose inner source claims
	// another site's 6to4 or 6rd prefix.
	ErrSpoofedSource = errors.New("sixtofour: inner source does not match the outer source")

	// ErrSpoofedDestination reports an inner destination that embeds an
	// IPv4 address other than the outer destination and is not in the
	// local prefix (Linux's DNAT exception).
	ErrSpoofedDestination = errors.New("sixtofour: inner destination does not match the outer destination")

	// ErrNonGlobalAddress reports an outer IPv4 address, or an IPv4 address
	// embedded in an inner 6to4 address, that is not globally usable
	// (private, loopback, link-local, multicast, reserved, documentation
	// unless treated as global; RFC 3056 §2, RFC 3964 §5.1), or a relay's
	// native destination that is not public. For 6rd and ISATAP, which live
	// inside one provider or site, only addresses that cannot be a unicast
	// endpoint at all are refused (0/8, 127/8, 224/4, 240/4).
	ErrNonGlobalAddress = errors.New("sixtofour: address not globally usable")

	// ErrBadInnerSource reports an inner source that no tunnel may carry:
	// multicast, unspecified, loopback, IPv4-mapped or IPv4-compatible, or
	// link-local over 6to4 and 6rd, which have no link-local addresses
	// (RFC 3056 §3.1).
	ErrBadInnerSource = errors.New("sixtofour: inner source address not allowed")

	// ErrBadInnerDestination reports an inner destination that no tunnel
	// may carry (RFC 3964 §5.1): IPv4-mapped, IPv4-compatible (loopback
	// and unspecified included), multicast of interface-local or reserved
	// scope, and over 6to4 and 6rd link-local unicast or link-scope
	// multicast.
	ErrBadInnerDestination = errors.New("sixtofour: inner destination address not allowed")

	// ErrNotLocalDestination reports an inner destination outside the
	// prefixes this node serves, on a node that is not a relay: a 6to4 site
	// outside its /48, a 6rd CE outside its delegated prefix, an ISATAP
	// host outside its on-link prefixes.
	ErrNotLocalDestination = errors.New("sixtofour: inner destination not in a local prefix")

	// ErrRelayNotAllowed reports a native (non-6to4, non-6rd) inner source
	// arriving from an outer source that is not an allowed relay or border
	// relay (RFC 3964 §5.3).
	ErrRelayNotAllowed = errors.New("sixtofour: native source from a relay that is not allowed")

	// ErrInnerSourceFiltered reports an inner source outside the prefixes
	// a configured tunnel accepts from its remote (RFC 4213 §3.6 ingress
	// filtering).
	ErrInnerSourceFiltered = errors.New("sixtofour: inner source not allowed on this tunnel")

	// ErrNotInPRL reports an ISATAP packet whose outer source is not in the
	// potential router list and whose inner source is not an ISATAP
	// address (RFC 5214 §7.3).
	ErrNotInPRL = errors.New("sixtofour: ISATAP source neither in the PRL nor an ISATAP address")

	// ErrISATAPSourceMismatch reports an ISATAP inner source whose
	// embedded IPv4 address is not the outer source (RFC 5214 §7.3).
	ErrISATAPSourceMismatch = errors.New("sixtofour: ISATAP inner source does not embed the outer source")

	// ErrPrefixNotOnLink reports an ISATAP inner source whose /64 is not an
	// on-link prefix of the ISATAP interface (RFC 5214 §7.3).
	ErrPrefixNotOnLink = errors.New("sixtofour: ISATAP source prefix not on-link")

	// ErrNoRoute reports an outbound packet for which the mechanism has no
	// next hop: no relay or border relay configured, an off-link ISATAP
	// destination with an empty PRL, or a relay asked to send natively.
	ErrNoRoute = errors.New("sixtofour: no next hop for the inner destination")

	// ErrRoutingLoop reports an outbound packet whose next hop is the local
	// IPv4 address itself (Linux counts these as "collisions").
	ErrRoutingLoop = errors.New("sixtofour: next hop is the local address")
)

// Errors of ICMPv4 error processing (RFC 4213 §3.4, RFC 792, RFC 1191).
var (
	// ErrNotICMPv4Error reports an IPv4 packet that is not an ICMPv4
	// Destination Unreachable, Time Exceeded, Parameter Problem, Source
	// Quench or Redirect message.
	ErrNotICMPv4Error = errors.New("sixtofour: not an ICMPv4 error message")

	// ErrQuoteTruncated reports an ICMPv4 error whose quoted packet is too
	// short: less than a whole IPv4 header, or — for translation to ICMPv6
	// — less than the outer header, the 40-byte IPv6 header and 8 more
	// bytes (Linux ipip6_err; most routers quote only 8 bytes).
	ErrQuoteTruncated = errors.New("sixtofour: ICMPv4 error quotes too little of the packet")

	// ErrICMPIgnored reports an ICMPv4 error that has no IPv6 meaning and
	// is ignored, as Linux does: Source Route Failed, Time Exceeded during
	// reassembly, Parameter Problem, Source Quench, Redirect.
	ErrICMPIgnored = errors.New("sixtofour: ICMPv4 error ignored")

	// ErrICMPSuppressed reports an ICMPv6 error that must not be sent
	// (RFC 4443 §2.4(e)): about an ICMPv6 error message, or to a
	// multicast, unspecified or otherwise unusable address.
	ErrICMPSuppressed = errors.New("sixtofour: ICMPv6 error not allowed for this packet")

	// ErrQuoteNotOurs reports an ICMPv4 error quoting a packet this router
	// did not send: the quoted source is not the local address, or on a
	// configured tunnel the quoted destination is not the remote.
	ErrQuoteNotOurs = errors.New("sixtofour: ICMPv4 error quotes a packet we did not send")
)

// ErrInvalidConfig reports a configuration NewRouter, NewPolicy or
// NewReassembler cannot use. It is wrapped with a description of the field
// at fault; test it with errors.Is.
var ErrInvalidConfig = errors.New("sixtofour: invalid configuration")
