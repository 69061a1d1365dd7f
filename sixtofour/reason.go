package sixtofour

import (
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/transit6/transit6/packet"
)

// Reason says what the router did with a packet and why: an accepted path,
// or the refusal behind a drop. Every Result carries one and the router
// counts each, per direction. A few reasons are events counted alongside
// (marked "counter only" below) and never appear in a Result.
type Reason uint8

// The reasons. The string in each comment is the name String returns.
const (
	ReasonNone Reason = iota // "none"

	// Accepted paths.
	ReasonSentDirect     // "sent-direct": encapsulated to the destination's own endpoint (6to4 site, 6rd CE, on-link ISATAP node, 6in4 remote)
	ReasonSentRelay      // "sent-relay": encapsulated to a 6to4 relay, 6rd border relay or ISATAP router
	ReasonReceivedDirect // "received-direct": delivered; the inner source embeds the outer source, or came from the 6in4 remote
	ReasonReceivedRelay  // "received-relay": delivered; a native source through an allowed relay, or from an ISATAP PRL router
	ReasonICMPTranslated // "icmpv4-translated": an ICMPv4 error became an ICMPv6 error for the host
	ReasonPMTUUpdated    // "pmtu-updated": an ICMPv4 Fragmentation Needed lowered a path MTU
	ReasonFragmentQueued // "fragment-queued": an outer fragment is waiting for the rest of its datagram

	// Refusals of malformed packets: package packet's sentinels.
	ReasonTruncated      // "truncated": packet.ErrTruncated
	ReasonBadVersion     // "bad-version": packet.ErrBadVersion
	ReasonBadIHL         // "bad-ihl": packet.ErrBadIHL
	ReasonBadTotalLength // "bad-total-length": packet.ErrBadTotalLength
	ReasonBadChecksum    // "bad-checksum": packet.ErrBadChecksum (IPv4 header or ICMPv4)
	ReasonNoHeadroom     // "no-headroom": packet.ErrNoHeadroom

	// Refusals of the codec.
	ReasonNotProto41             // "not-proto41": ErrNotProto41
	ReasonInnerTruncated         // "inner-truncated": ErrInnerTruncated
	ReasonNotIPv6Inner           // "not-ipv6-inner": ErrNotIPv6Inner
	ReasonLengthMismatch         // "length-mismatch": ErrLengthMismatch
	ReasonECNDrop                // "ecn-drop": ErrECNDrop
	ReasonFragmented             // "fragmented": ErrFragmented
	ReasonMTUTooSmall            // "mtu-too-small": ErrMTUTooSmall
	ReasonPacketTooBig           // "packet-too-big": ErrPacketTooBig (answered with a Packet Too Big)
	ReasonReassemblyOverlap      // "reassembly-overlap": ErrReassemblyOverlap
	ReasonReassemblyShort        // "reassembly-short": ErrReassemblyShortFragment
	ReasonReassemblyInconsistent // "reassembly-inconsistent": ErrReassemblyInconsistent
	ReasonReassemblyTooBig       // "reassembly-too-big": ErrReassemblyTooBig
	ReasonReassemblyMemory       // "reassembly-memory": ErrReassemblyMemory (counter only: evictions)
	ReasonReassemblyTimeout      // "reassembly-timeout": ErrReassemblyTimeout (counter only: expired datagrams)

	// Refusals of the policy.
	ReasonNoTunnel             // "no-tunnel": ErrNoTunnel
	ReasonNotFromRemote        // "not-from-remote": ErrNotFromRemote
	ReasonSpoofedSource        // "spoofed-source": ErrSpoofedSource
	ReasonSpoofedDestination   // "spoofed-destination": ErrSpoofedDestination
	ReasonNonGlobalAddress     // "non-global-address": ErrNonGlobalAddress
	ReasonBadInnerSource       // "bad-inner-source": ErrBadInnerSource
	ReasonBadInnerDestination  // "bad-inner-destination": ErrBadInnerDestination
	ReasonNotLocalDestination  // "not-local-destination": ErrNotLocalDestination
	ReasonRelayNotAllowed      // "relay-not-allowed": ErrRelayNotAllowed
	ReasonInnerSourceFiltered  // "inner-source-filtered": ErrInnerSourceFiltered
	ReasonNotInPRL             // "not-in-prl": ErrNotInPRL
	ReasonISATAPSourceMismatch // "isatap-source-mismatch": ErrISATAPSourceMismatch
	ReasonPrefixNotOnLink      // "prefix-not-on-link": ErrPrefixNotOnLink
	ReasonNoRoute              // "no-route": ErrNoRoute
	ReasonRoutingLoop          // "routing-loop": ErrRoutingLoop

	// Refusals of ICMPv4 errors.
	ReasonNotICMPv4Error // "not-icmpv4-error": ErrNotICMPv4Error
	ReasonQuoteTruncated // "quote-truncated": ErrQuoteTruncated
	ReasonICMPIgnored    // "icmpv4-ignored": ErrICMPIgnored
	ReasonICMPSuppressed // "icmp-suppressed": ErrICMPSuppressed
	ReasonQuoteNotOurs   // "quote-not-ours": ErrQuoteNotOurs
	ReasonOther          // "other": an error not listed here

	// Events, counter only.
	ReasonReassembled     // "reassembled": datagrams put back together
	ReasonICMPv6Sent      // "icmpv6-sent": ICMPv6 errors generated for the host
	ReasonICMPv4Sent      // "icmpv4-sent": ICMPv4 errors generated for the network
	ReasonICMPRateLimited // "icmp-rate-limited": ICMP errors not sent because of the rate limit

	numReasons
)

var reasonNames = [numReasons]string{
	"none", "sent-direct", "sent-relay", "received-direct", "received-relay", "icmpv4-translated",
	"pmtu-updated", "fragment-queued",
	"truncated", "bad-version", "bad-ihl", "bad-total-length", "bad-checksum", "no-headroom",
	"not-proto41", "inner-truncated", "not-ipv6-inner", "length-mismatch", "ecn-drop", "fragmented",
	"mtu-too-small", "packet-too-big", "reassembly-overlap", "reassembly-short", "reassembly-inconsistent",
	"reassembly-too-big", "reassembly-memory", "reassembly-timeout",
	"no-tunnel", "not-from-remote", "spoofed-source", "spoofed-destination", "non-global-address",
	"bad-inner-source", "bad-inner-destination", "not-local-destination", "relay-not-allowed",
	"inner-source-filtered", "not-in-prl", "isatap-source-mismatch", "prefix-not-on-link", "no-route",
	"routing-loop",
	"not-icmpv4-error", "quote-truncated", "icmpv4-ignored", "icmp-suppressed", "quote-not-ours", "other",
	"reassembled", "icmpv6-sent", "icmpv4-sent", "icmp-rate-limited",
}

var reasonErrs = [numReasons]error{
	ReasonTruncated:              packet.ErrTruncated,
	ReasonBadVersion:             packet.ErrBadVersion,
	ReasonBadIHL:                 packet.ErrBadIHL,
	ReasonBadTotalLength:         packet.ErrBadTotalLength,
	ReasonBadChecksum:            packet.ErrBadChecksum,
	ReasonNoHeadroom:             packet.ErrNoHeadroom,
	ReasonNotProto41:             ErrNotProto41,
	ReasonInnerTruncated:         ErrInnerTruncated,
	ReasonNotIPv6Inner:           ErrNotIPv6Inner,
	ReasonLengthMismatch:         ErrLengthMismatch,
	ReasonECNDrop:                ErrECNDrop,
	ReasonFragmented:             ErrFragmented,
	ReasonMTUTooSmall:            ErrMTUTooSmall,
	ReasonPacketTooBig:           ErrPacketTooBig,
	ReasonReassemblyOverlap:      ErrReassemblyOverlap,
	ReasonReassemblyShort:        ErrReassemblyShortFragment,
	ReasonReassemblyInconsistent: ErrReassemblyInconsistent,
	ReasonReassemblyTooBig:       ErrReassemblyTooBig,
	ReasonReassemblyMemory:       ErrReassemblyMemory,
	ReasonReassemblyTimeout:      ErrReassemblyTimeout,
	ReasonNoTunnel:               ErrNoTunnel,
	ReasonNotFromRemote:          ErrNotFromRemote,
	ReasonSpoofedSource:          ErrSpoofedSource,
	ReasonSpoofedDestination:     ErrSpoofedDestination,
	ReasonNonGlobalAddress:       ErrNonGlobalAddress,
	ReasonBadInnerSource:         ErrBadInnerSource,
	ReasonBadInnerDestination:    ErrBadInnerDestination,
	ReasonNotLocalDestination:    ErrNotLocalDestination,
	ReasonRelayNotAllowed:        ErrRelayNotAllowed,
	ReasonInnerSourceFiltered:    ErrInnerSourceFiltered,
	ReasonNotInPRL:               ErrNotInPRL,
	ReasonISATAPSourceMismatch:   ErrISATAPSourceMismatch,
	ReasonPrefixNotOnLink:        ErrPrefixNotOnLink,
	ReasonNoRoute:                ErrNoRoute,
	ReasonRoutingLoop:            ErrRoutingLoop,
	ReasonNotICMPv4Error:         ErrNotICMPv4Error,
	ReasonQuoteTruncated:         ErrQuoteTruncated,
	ReasonICMPIgnored:            ErrICMPIgnored,
	ReasonICMPSuppressed:         ErrICMPSuppressed,
	ReasonQuoteNotOurs:           ErrQuoteNotOurs,
}

// String returns the reason's stable name, as listed with the constants,
// for logs and counters.
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// Err returns the sentinel error of a refusal reason, and nil for accepted
// paths, events and ReasonOther.
func (r Reason) Err() error {
	if r < numReasons {
		return reasonErrs[r]
	}
	return nil
}

// IsDrop reports whether r is the reason a packet was refused.
func (r Reason) IsDrop() bool { return r >= ReasonTruncated && r <= ReasonOther }

// reasonOf returns the reason whose sentinel is err, ReasonOther if none.
// It compares identities only, so it does not allocate; callers pass bare
// sentinels.
func reasonOf(err error) Reason {
	for r := ReasonTruncated; r < ReasonOther; r++ {
		if reasonErrs[r] == err {
			return r
		}
	}
	return ReasonOther
}

// Direction tells outbound (host to network) from inbound counters.
type Direction uint8

// The directions.
const (
	Outbound Direction = iota // IPv6 from the host, encapsulated toward the network
	Inbound                   // IPv4 from the network, decapsulated for the host
)

// String returns "out" or "in".
func (d Direction) String() string {
	if d == Outbound {
		return "out"
	}
	return "in"
}

// counters holds one direction's counts. Its cache lines are its own, so
// the two directions can count from two goroutines without false sharing.
type counters struct {
	_ [64]byte
	n [numReasons]atomic.Uint64
	_ [64]byte
}

// Counters is a snapshot of a router's counters, one per reason and
// direction.
type Counters struct {
	n [2][numReasons]uint64
}

// Get returns the count of r in direction d.
func (c Counters) Get(d Direction, r Reason) uint64 {
	if d > Inbound || r >= numReasons {
		return 0
	}
	return c.n[d][r]
}

// Each calls f for every non-zero counter, outbound first, in the order of
// the Reason constants.
func (c Counters) Each(f func(d Direction, r Reason, n uint64)) {
	for d := Outbound; d <= Inbound; d++ {
		for r := Reason(0); r < numReasons; r++ {
			if n := c.n[d][r]; n != 0 {
				f(d, r, n)
			}
		}
	}
}

// String returns the non-zero counters, one "direction.reason N" per line,
// or "" when all are zero.
func (c Counters) String() string {
	var b strings.Builder
	c.Each(func(d Direction, r Reason, n uint64) {
		b.WriteString(d.String())
		b.WriteByte('.')
		b.WriteString(r.String())
		b.WriteByte(' ')
		b.WriteString(strconv.FormatUint(n, 10))
		b.WriteByte('\n')
	})
	return b.String()
}
