// Package teredo is the wire codec of Teredo, IPv6 over UDP over IPv4
// through NATs: decoding and building Teredo UDP payloads with their
// authentication and origin indicators and RFC 6081 trailers, bubbles,
// the Router Solicitations and Advertisements of qualification with their
// validation rules, and the HMAC of secure qualification. It is pure: no
// sockets, clocks or goroutines. The client and server engines build on it.
//
// # Standards
//
//   - RFC 4380, Teredo: Tunneling IPv6 over UDP through NATs (§5.1.1
//     encapsulation, §5.2.1 qualification, §5.2.2 secure qualification,
//     §5.3 server)
//   - RFC 5991, Teredo Security Updates (random flag bits; see the addr
//     package for the address itself)
//   - RFC 6081, Teredo Extensions (trailers after the IPv6 packet; the
//     Alternate Address trailer as laid out in [MS-TERR] §2.2.2)
//   - RFC 4861 (the Router Solicitation and Advertisement inside, via the
//     packet package)
//
// # Encapsulation
//
// A Teredo datagram is an IPv4 packet carrying UDP (port 3544 on the server
// side) whose payload is an IPv6 packet, optionally preceded by indicators
// and followed by trailers:
//
//	+------+-----+----------------+-------------------+-------------+----------+
//	| IPv4 | UDP | authentication | origin indication | IPv6 packet | trailers |
//	|  20  |  8  | 13+ID+AU (opt) |      8 (opt)      | 40+plen     |  (opt)   |
//	+------+-----+----------------+-------------------+-------------+----------+
//	             |<------------------ Teredo UDP payload ---------------------->|
//
// The first two bytes of the payload tell what comes next: 6x an IPv6
// header, 00 01 an authentication indicator, 00 00 an origin indication.
// Authentication, when present, comes first; each appears at most once.
// Anything after 40 + Payload Length bytes of IPv6 is a sequence of RFC 6081
// trailers.
//
// # Decoding
//
// Packet.Decode (or ParsePacket) checks a UDP payload as a socket delivers
// it and returns one sentinel error per reason it is not Teredo
// (ErrAuthAfterOrigin, ErrNotIPv6, ErrIPv6Length, ...). The Packet aliases
// the payload: Inner returns the IPv6 packet as a sub-slice, Auth and
// Origin the indicators (the origin de-obfuscated as a netip.AddrPort),
// Trailers an iterator over the trailers. Nothing allocates; reuse one
// Packet for every datagram. ParseRouterSolicitation (server side) and
// ValidateRouterAdvertisement (client side) then apply the rules of RFC 4380
// §5.3 case 4 and §5.2.1 to a decoded Packet.
//
// # Building and buffer ownership
//
// Builders come in the two forms of the other transit6 protocol packages.
// Appenders (AppendEncapsulate, AppendBubble, AppendRouterSolicitation,
// AppendRouterAdvertisement, AppendDatagram, AppendTrailer, ...) append to
// a caller's slice, never modify its existing bytes, and do not allocate
// when it has room; pass buf[:0] to build into buf. In-place builders
// (Encapsulate, EncapsulateDatagram) write headers into the headroom in
// front of an IPv6 packet that already sits at buf[off:] and return the
// sub-slice of buf that starts at the first header, so a packet read from a
// TUN device at buf[Headroom:] is sent without being moved:
//
//	n, _ := tun.Read(buf[teredo.Headroom:])
//	payload, err := teredo.Encapsulate(buf[:teredo.Headroom+n], teredo.Headroom, nil)
//	conn.WriteToUDPAddrPort(payload, peer)
//
// Views and builders keep no reference to their arguments beyond the
// returned slices and views, which alias the caller's buffers: the caller
// owns every buffer and must not reuse it while a view of it is in use.
// Authenticator is the one type with state (its HMAC), reused so that
// signing and verifying do not allocate.
package teredo
