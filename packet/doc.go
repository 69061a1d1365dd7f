// Package packet provides validated, zero-copy views and allocation-free
// builders for the IPv4, IPv6, UDP and ICMPv6 headers that transit6's
// tunnels carry, together with Internet checksums, ECN tunnelling rules and
// the headroom constants the protocol packages share.
//
// # Standards
//
//   - RFC 791 (IPv4), RFC 8200 (IPv6), RFC 768 (UDP), RFC 4443 (ICMPv6),
//     RFC 4861 (Neighbor Discovery)
//   - RFC 1071 and RFC 1624 (computing and incrementally updating the
//     Internet checksum)
//   - RFC 3168 and RFC 6040 (ECN and its handling at tunnel endpoints)
//   - RFC 4213 §3.5 (the outer IPv4 header of protocol-41 tunnels)
//
// # Views
//
// ParseIPv4, ParseUDP and ParseIPv6 (or the Decode methods, to reuse a view)
// check a packet once and return a small value whose accessors are total:
// they never panic, also on the zero value. A view aliases the parsed buffer
// and is trimmed to the length the header declares; accessors that return
// bytes say "The returned slice aliases b." Nothing is copied unless a
// function's name or documentation says so. Parsers do not allocate and
// return bare sentinel errors (ErrTruncated, ErrBadChecksum, …) for
// errors.Is.
//
// ParseIPv6InIPv4 (protocol 41: 6in4, 6to4, 6rd, ISATAP) and
// ParseIPv6InUDP4 (IPv6 in UDP in IPv4, as Teredo carries it) make the
// checks of those parsers, layer after layer, in one call, and return an
// Encapsulated whose Outer, UDP and Inner are the views of each layer:
// the decoder of a capture or a raw socket, faster than the calls one by
// one (the fused parser alone takes 3 to 5 ns where they take 8 to 9 ns).
//
// # Builders and headroom
//
// Headers are written in one of three ways: Encode into a caller's slice;
// AppendTo/AppendX, which append to a slice (and copy a payload once); or
// PrependX, which writes the header into the headroom in front of a payload
// that already sits at buf[off:] and returns the packet as a sub-slice of
// buf, so a packet read at buf[MaxHeadroom:] can be encapsulated without
// moving it:
//
//	n, _ := tun.Read(buf[packet.Proto41Headroom:])
//	pkt, err := packet.PrependIPv4(buf[:packet.Proto41Headroom+n], packet.Proto41Headroom, &outer)
//
// Builders never allocate when given room, and never panic: a short buffer
// gives io.ErrShortBuffer and missing headroom ErrNoHeadroom.
//
// # Checksums
//
// Checksum and the pseudo-header functions return one's-complement sums,
// not complemented, so parts can be combined; a checksum field holds ^sum.
// Checksum is an unrolled 64-bit implementation checked against a byte-wise
// reference.
package packet
