package teredo

import (
	"strconv"
	"strings"
	"sync/atomic"
)

// ServerReason says what a Server did with a datagram and why: the case of
// RFC 4380 §5.3 that accepted it and where it went, or the check that
// dropped it. Every ServerVerdict carries one and the server counts each.
type ServerReason uint8

// The reasons, in the order of the server's checks. The string in each
// comment is the name String returns.
const (
	ServerNone ServerReason = iota // "none": the zero ServerReason, never a verdict

	// Accepted datagrams, by case of RFC 4380 §5.3 and output.
	ServerCase4RA       // "case4-ra": a Router Solicitation, answered with a Router Advertisement
	ServerCase5ToClient // "case5-to-client": from a client, to a client of this server (with origin indication)
	ServerCase5ToTeredo // "case5-to-teredo": from a client, to a client of another server (no origin indication)
	ServerCase5ToNative // "case5-to-native": from a client, to a native IPv6 destination
	ServerCase6ToClient // "case6-to-client": from a non-Teredo source, to a client of this server (with origin indication)

	// Drops.
	ServerDropSocket               // "bad-socket": ErrServerSocket
	ServerDropLoop                 // "loop": ErrServerLoop
	ServerDropMalformed            // "malformed": ErrServerMalformed (check 1)
	ServerDropNotBubbleOrICMPv6    // "not-bubble-or-icmpv6": ErrServerNotBubbleOrICMPv6 (check 2)
	ServerDropSource               // "non-global-source": ErrServerSource (check 3)
	ServerDropBadRS                // "bad-rs": ErrServerBadRS (check 4)
	ServerDropRateLimited          // "rs-rate-limited": ErrServerRateLimited (check 4)
	ServerDropAuth                 // "auth-failed": ErrServerAuth (check 4)
	ServerDropNotAccepted          // "not-accepted": ErrServerNotAccepted (check 7)
	ServerDropLocalDestination     // "local-destination": ErrServerLocalDestination
	ServerDropNonGlobalClient      // "non-global-client": ErrServerNonGlobalClient
	ServerDropNonGlobalDestination // "non-global-destination": ErrServerNonGlobalDestination
	ServerDropNativeDisabled       // "native-disabled": ErrServerNativeDisabled
	ServerDropTooLarge             // "too-large": ErrServerTooLarge
	ServerDropTooLong              // "too-long": ErrTooLong (the forwarded payload would exceed MaxPayloadLen)

	numServerReasons
)

var serverReasonNames = [numServerReasons]string{
	"none",
	"case4-ra", "case5-to-client", "case5-to-teredo", "case5-to-native", "case6-to-client",
	"bad-socket", "loop", "malformed", "not-bubble-or-icmpv6", "non-global-source", "bad-rs",
	"rs-rate-limited", "auth-failed", "not-accepted", "local-destination", "non-global-client",
	"non-global-destination", "native-disabled", "too-large", "too-long",
}

var serverReasonErrs = [numServerReasons]error{
	ServerDropSocket:               ErrServerSocket,
	ServerDropLoop:                 ErrServerLoop,
	ServerDropMalformed:            ErrServerMalformed,
	ServerDropNotBubbleOrICMPv6:    ErrServerNotBubbleOrICMPv6,
	ServerDropSource:               ErrServerSource,
	ServerDropBadRS:                ErrServerBadRS,
	ServerDropRateLimited:          ErrServerRateLimited,
	ServerDropAuth:                 ErrServerAuth,
	ServerDropNotAccepted:          ErrServerNotAccepted,
	ServerDropLocalDestination:     ErrServerLocalDestination,
	ServerDropNonGlobalClient:      ErrServerNonGlobalClient,
	ServerDropNonGlobalDestination: ErrServerNonGlobalDestination,
	ServerDropNativeDisabled:       ErrServerNativeDisabled,
	ServerDropTooLarge:             ErrServerTooLarge,
	ServerDropTooLong:              ErrTooLong,
}

// String returns the reason's stable name, as listed with the constants,
// for logs and counters.
func (r ServerReason) String() string {
	if r < numServerReasons {
		return serverReasonNames[r]
	}
	return "ServerReason(" + strconv.Itoa(int(r)) + ")"
}

// Err returns the sentinel error of a drop reason, and nil for accepted
// datagrams and ServerNone.
func (r ServerReason) Err() error {
	if r < numServerReasons {
		return serverReasonErrs[r]
	}
	return nil
}

// IsDrop reports whether r is the reason a datagram was dropped.
func (r ServerReason) IsDrop() bool { return r >= ServerDropSocket && r < numServerReasons }

// IsAccepted reports whether r is an accepted datagram.
func (r ServerReason) IsAccepted() bool { return r >= ServerCase4RA && r <= ServerCase6ToClient }

// ServerVerdict is what Server.HandleDatagram did with one datagram.
type ServerVerdict struct {
	// Reason is the accepted case or the drop reason.
	Reason ServerReason
	// Cause is the error behind ServerDropMalformed (the decoder's: ErrNotIPv6, ErrIPv6Length,
	// ...), ServerDropBadRS (ParseRouterSolicitation's: packet.ErrBadChecksum, ...),
	// ServerDropAuth (ErrNoAuth or ErrAuthValue) and ServerDropTooLong
	// (ErrTooLong); nil otherwise.
	Cause error
}

// Err returns the sentinel of a drop (Reason.Err()), or nil if the datagram
// was accepted.
func (v ServerVerdict) Err() error { return v.Reason.Err() }

// serverCounters holds one counter per reason, updated atomically so that
// both sockets' goroutines and a status reader can share them.
type serverCounters struct {
	n [numServerReasons]atomic.Uint64
}

// ServerCounters is a snapshot of a server's counters, one per reason.
type ServerCounters struct {
	n [numServerReasons]uint64
}

// Get returns the count of r.
func (c ServerCounters) Get(r ServerReason) uint64 {
	if r >= numServerReasons {
		return 0
	}
	return c.n[r]
}

// Accepted returns the number of datagrams accepted, all cases together.
func (c ServerCounters) Accepted() uint64 {
	var t uint64
	for r := ServerCase4RA; r <= ServerCase6ToClient; r++ {
		t += c.n[r]
	}
	return t
}

// Dropped returns the number of datagrams dropped, all reasons together.
func (c ServerCounters) Dropped() uint64 {
	var t uint64
	for r := ServerDropSocket; r < numServerReasons; r++ {
		t += c.n[r]
	}
	return t
}

// Each calls f for every non-zero counter in the order of the ServerReason
// constants.
func (c ServerCounters) Each(f func(r ServerReason, n uint64)) {
	for r := ServerReason(0); r < numServerReasons; r++ {
		if n := c.n[r]; n != 0 {
			f(r, n)
		}
	}
}

// String returns the non-zero counters, one "reason N" per line, or "" when
// all are zero.
func (c ServerCounters) String() string {
	var b strings.Builder
	c.Each(func(r ServerReason, n uint64) {
		b.WriteString(r.String())
		b.WriteByte(' ')
		b.WriteString(strconv.FormatUint(n, 10))
		b.WriteByte('\n')
	})
	return b.String()
}
