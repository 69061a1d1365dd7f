package teredo

import (
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
)

// Errors of the data path (Node), one per reason it refuses a packet. They
// are returned bare: no allocation.
var (
	// ErrNodeConfig reports an unusable NodeConfig; NewNode wraps it with
	// the reason.
	ErrNodeConfig = errors.New("teredo: invalid node configuration")
	// ErrNodeOffline reports a packet handed to a client node that has no
	// Teredo address (not qualified; RFC 4380 §5.2.3 drops everything).
	ErrNodeOffline = errors.New("teredo: client not qualified")
	// ErrNodeMalformed reports a packet from the host that is not exactly
	// one IPv6 packet (40 + Payload Length bytes, at most MaxPayloadLen),
	// or a Packet handed to Receive that was not decoded.
	ErrNodeMalformed = errors.New("teredo: malformed IPv6 packet")
	// ErrNodeSource reports a packet whose IPv6 source the node may not
	// carry: from the host, not the client's Teredo address (or a Teredo
	// address, at a relay); from the network, a non-Teredo source at a
	// relay (RFC 4380 §5.4.2), or an outer source that is not an IPv4
	// address with a non-zero port.
	ErrNodeSource = errors.New("teredo: source address not allowed")
	// ErrNodeDestination reports an IPv6 destination the node does not
	// serve: link-local, multicast, unspecified, loopback, the node's own
	// address from the host; not the client's address (or a Teredo
	// address, at a relay) from the network.
	ErrNodeDestination = errors.New("teredo: destination not served")
	// ErrNodeNonGlobal reports a Teredo address whose embedded server or
	// client IPv4 address is not global unicast (RFC 4380 §5.2.4;
	// CVE-2006-6264), or a mapping that is not.
	ErrNodeNonGlobal = errors.New("teredo: embedded IPv4 address not global")
	// ErrNodeRoutingHeader reports a received packet with a Routing header
	// (CVE-2006-6263: a Teredo interface must not be a source-routing
	// hop).
	ErrNodeRoutingHeader = errors.New("teredo: routing header")
	// ErrNodeLinkLocal reports a received packet with a link-local source
	// (RFC 4380 §5.2.3: only the server's Router Advertisements have one,
	// and the control plane takes those), but for the link-local-source
	// bubbles to its address that a client answers (see Node.Receive).
	ErrNodeLinkLocal = errors.New("teredo: link-local source from a peer")
	// ErrNodeMulticast reports a received packet to a multicast
	// destination (local discovery off).
	ErrNodeMulticast = errors.New("teredo: multicast destination")
	// ErrNodeQueueFull reports a packet dropped because its peer's queue,
	// or the node's queue memory, is full.
	ErrNodeQueueFull = errors.New("teredo: peer queue full")
	// ErrNodeQuota reports a packet from an unknown peer dropped because
	// the IPv4 source that brought it created too many peers recently
	// (RFC 4380 §7.3.3, peer list exhaustion).
	ErrNodeQuota = errors.New("teredo: peer creation quota exceeded")
	// ErrNodeUnverified reports a packet dropped because its source could
	// not be verified and the node keeps nothing for it: no test of the
	// source may start now (NodeConfig.TestRate), a bubble to a
	// link-local address is not the answer to a challenge of ours, or an
	// Echo Reply with the node's identifier answers no running test.
	ErrNodeUnverified = errors.New("teredo: peer not verified")
)

// NodeCounter names one of a Node's counters: what it did with packets,
// by case of RFC 4380 §5.2.3–5.2.4 and §5.4, and the probes it sent.
type NodeCounter uint8

// The counters. The string in each comment is the name String returns.
const (
	// From the host (Transmit).
	NodeTxSent        NodeCounter = iota // "tx-sent": sent to a trusted peer
	NodeTxQueued                         // "tx-queued": held until the peer is trusted
	NodeTxOffline                        // "tx-offline": ErrNodeOffline
	NodeTxMalformed                      // "tx-malformed": ErrNodeMalformed
	NodeTxSource                         // "tx-source": ErrNodeSource
	NodeTxDestination                    // "tx-destination": ErrNodeDestination
	NodeTxNonGlobal                      // "tx-non-global": ErrNodeNonGlobal
	NodeTxQueueFull                      // "tx-queue-full": ErrNodeQueueFull

	// From the network (Receive).
	NodeRxTrusted      // "rx-trusted": case 1, trusted peer at its mapping
	NodeRxEchoVerified // "rx-echo-verified": case 2, echo reply with our nonce
	NodeRxMapped       // "rx-mapped": case 3, Teredo source at its embedded mapping
	NodeRxChallenge    // "rx-challenge": a bubble answering our challenge (peer behind a symmetric NAT)
	NodeRxDiscovery    // "rx-discovery": discovery bubbles of neighbours (case 4, local discovery)
	NodeRxLocal        // "rx-local": case 5, a neighbour at its local address
	NodeRxServer       // "rx-server": from our server
	NodeRxBubble       // "rx-bubble": bubbles consumed
	NodeRxHeld         // "rx-held": case 6, queued until a test verifies the source
	NodeRxOffline      // "rx-offline": ErrNodeOffline
	NodeRxMalformed    // "rx-malformed": ErrNodeMalformed (a Packet that was not decoded)
	NodeRxSource       // "rx-source": ErrNodeSource
	NodeRxDestination  // "rx-destination": ErrNodeDestination
	NodeRxNonGlobal    // "rx-non-global": ErrNodeNonGlobal
	NodeRxRouting      // "rx-routing-header": ErrNodeRoutingHeader
	NodeRxLinkLocal    // "rx-link-local": ErrNodeLinkLocal
	NodeRxMulticast    // "rx-multicast": ErrNodeMulticast
	NodeRxQuota        // "rx-quota": ErrNodeQuota
	NodeRxQueueFull    // "rx-queue-full": ErrNodeQueueFull
	NodeRxUnverified   // "rx-unverified": ErrNodeUnverified

	// Probes and housekeeping.
	NodeBubblesSent     // "bubbles-sent": direct, indirect and reply bubbles
	NodeEchoesSent      // "echoes-sent": direct connectivity tests (ICMPv6 echo)
	NodeTestsFailed     // "tests-failed": peers that never answered
	NodeUnreachableSent // "unreachable-sent": ICMPv6 errors to the host
	NodeErrorsLimited   // "errors-rate-limited": ICMPv6 errors not sent (rate limit)
	NodeProbesLimited   // "probes-rate-limited": bubbles and echoes not sent (rate limit)
	NodeFlushed         // "flushed": queued packets sent once their peer was trusted
	NodeQueueDropped    // "queue-dropped": queued packets dropped (failed test, eviction)
	NodeEvicted         // "evicted": peers evicted from a full list
	NodeExpired         // "expired": peers removed after their validity

	numNodeCounters
)

var nodeCounterNames = [numNodeCounters]string{
	"tx-sent", "tx-queued", "tx-offline", "tx-malformed", "tx-source", "tx-destination",
	"tx-non-global", "tx-queue-full",
	"rx-trusted", "rx-echo-verified", "rx-mapped", "rx-challenge", "rx-discovery", "rx-local", "rx-server", "rx-bubble",
	"rx-held", "rx-offline", "rx-malformed", "rx-source", "rx-destination", "rx-non-global",
	"rx-routing-header", "rx-link-local", "rx-multicast", "rx-quota", "rx-queue-full",
	"rx-unverified",
	"bubbles-sent", "echoes-sent", "tests-failed", "unreachable-sent", "errors-rate-limited",
	"probes-rate-limited", "flushed", "queue-dropped", "evicted", "expired",
}

// String returns the counter's stable name, as listed with the constants.
func (c NodeCounter) String() string {
	if c < numNodeCounters {
		return nodeCounterNames[c]
	}
	return "NodeCounter(" + strconv.Itoa(int(c)) + ")"
}

type nodeCounters struct {
	n [numNodeCounters]atomic.Uint64
}

func (c *nodeCounters) inc(k NodeCounter) { c.n[k].Add(1) }

// NodeCounters is a snapshot of a Node's counters.
type NodeCounters struct{ n [numNodeCounters]uint64 }

// Get returns the value of counter k.
func (c NodeCounters) Get(k NodeCounter) uint64 {
	if k >= numNodeCounters {
		return 0
	}
	return c.n[k]
}

// Each calls f for every non-zero counter, in the order of the constants.
func (c NodeCounters) Each(f func(k NodeCounter, n uint64)) {
	for k := NodeCounter(0); k < numNodeCounters; k++ {
		if c.n[k] != 0 {
			f(k, c.n[k])
		}
	}
}

// String returns the non-zero counters, one "name N" per line.
func (c NodeCounters) String() string {
	var b strings.Builder
	c.Each(func(k NodeCounter, n uint64) {
		b.WriteString(k.String())
		b.WriteByte(' ')
		b.WriteString(strconv.FormatUint(n, 10))
		b.WriteByte('\n')
	})
	return b.String()
}
