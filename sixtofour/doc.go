// Package sixtofour implements the protocol-41 family of IPv6-over-IPv4
// tunnels — 6to4, 6rd, ISATAP and configured 6in4 — from the wire codec to
// a sans-IO router engine.
//
// # Standards
//
//   - RFC 4213 (basic transition mechanisms: protocol 41, tunnel MTU, ICMPv4
//     error relaying, ingress filtering of configured tunnels)
//   - RFC 3056 (6to4), RFC 3964 (6to4 security), RFC 3068 and RFC 7526
//     (the relay anycast address and its deprecation), RFC 6343 (6to4
//     operations)
//   - RFC 5969 (6rd), RFC 5214 (ISATAP)
//   - RFC 6040 (ECN at tunnel endpoints), RFC 6864 (IPv4 ID), RFC 1191
//     (path MTU discovery), RFC 791 (fragmentation), RFC 4443 (ICMPv6)
//
// Where the RFCs leave room, Linux's sit driver is the reference: outer TTL
// inherit or fixed, DF and MTU rules (TunnelMTU), ICMPv4 translation
// (ICMPv4Error.AppendICMPv6), the DNAT exception of the 6to4 destination
// check, and the ISATAP source check.
//
// # Layers
//
// The codec — Encapsulate, AppendEncapsulate, Decapsulate, TunnelMTU,
// Reassembler, ParseICMPv4Error, TranslateICMPv4, AppendPacketTooBig —
// knows the wire format and nothing about addresses. Policy holds one
// tunnel's security checks (CheckInbound, after RFC 3964 §5 and the
// mechanism's RFC) and next-hop choice (NextHop); it classifies IPv4
// addresses with package addr's Classifier, strict by default and widened
// by Config.TreatAsGlobal for labs that use documentation addresses.
// (Whether 2002::/16 counts as global depends on whom you ask: Python's
// ipaddress says yes up to 3.12 and no from 3.13, without looking inside.
// Here the embedded IPv4 address decides: 2002:808:808:: is usable,
// 2002:a9fe:a9fe:: is not.)
// Policy.Decapsulate does Decapsulate and CheckInbound in one call, with
// the common 6to4 case checked in one pass (same results and errors as the
// two steps; FuzzPolicyDecapsulate holds it to them), and Template
// encapsulates with the outer header's fixed fields and their checksum
// computed once (same bytes as Encapsulate; FuzzTemplate): the hot paths.
// Router puts both together with path MTU state, ICMP generation, rate
// limiting and counters: IPv6 in from the host, IPv4 out to the network and
// back. None of it touches a socket, a goroutine or the clock: time is an
// argument.
//
// # Errors
//
// Malformed IPv4 headers are reported with package packet's sentinels
// (packet.ErrTruncated, packet.ErrBadChecksum, ...); everything specific to
// protocol 41 with this package's (ErrNotProto41, ErrSpoofedSource, ...).
// All are returned bare: compare with errors.Is or ==. Each has a Reason,
// which names it in the router's counters.
//
// # Buffer ownership
//
// Nothing is copied unless a name says so (AppendEncapsulate,
// AppendPacketTooBig, ...). Encapsulate writes the outer header into the
// Headroom bytes in front of the inner packet and returns a sub-slice of
// the caller's buffer; read packets from the host at buf[Headroom:] (or at
// packet.MaxHeadroom) so they never move. Decapsulate returns views into
// its argument and rewrites the inner ECN field in place. The Router's
// Result aliases the caller's buffer, or for the ICMP errors it generates
// and for reassembled datagrams a scratch buffer of its own that stays valid
// until the next call to the same method.
//
// # Example
//
//	r, err := sixtofour.NewRouter(sixtofour.Config{
//		Mechanism:      sixtofour.SixToFour,
//		Local:          netip.MustParseAddr("192.0.2.4"),
//		SixToFourRelay: netip.MustParseAddr("198.51.100.1"),
//		TreatAsGlobal:  []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24")},
//	})
//	// host → network:
//	n, _ := tun.Read(buf[sixtofour.Headroom:])
//	res := r.Outbound(time.Now(), buf[:sixtofour.Headroom+n], sixtofour.Headroom)
//	switch res.Action() {
//	case sixtofour.ActionToNetwork: // send res.Packet to res.NextHop()
//	case sixtofour.ActionToHost: // write res.Packet (an ICMPv6 error) back to the TUN
//	}
//	// network → host:
//	res = r.Inbound(time.Now(), pkt) // ActionToHost: write res.Packet to the TUN
package sixtofour
