// Package bench compares transit6's packet package with the Go packet
// libraries people would otherwise reach for: gopacket (NewPacket and a
// preallocated DecodingLayerParser), golang.org/x/net (ipv4, ipv6), gVisor's
// pkg/tcpip/header and pkg/tcpip/checksum, and a minimal hand-written decoder
// that marks the practical limit.
//
// It is its own module, with a replace of the root module, so that the peer
// libraries never enter transit6's go.mod. Nothing here is imported by
// transit6.
//
// Every implementation is wrapped in an adapter of the same shape (a
// decoder, a header builder, a checksum) and every decoder does the same
// work: it validates the same things and extracts the same fields into a
// Decoded. The tests hold the adapters to that: on identical inputs every
// adapter accepts what the packet adapter accepts, rejects what it rejects
// and produces the identical Decoded, except for the peer behaviours listed
// in quirks.go. README.md describes each adapter and records the figures.
package bench
