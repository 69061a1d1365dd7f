// Package rawip is a raw IPv4 socket for one IP protocol, with batched
// reads and writes (recvmmsg(2), sendmmsg(2)) that do not allocate. transit6
// uses it for protocol 41, IPv6 in IPv4 (6to4, 6rd, ISATAP, configured
// tunnels; RFC 4213 §3.5), and it serves any other protocol number.
//
// Reads return whole IPv4 packets, header included, as the kernel received
// them (reassembled if they came in fragments). Writes take whole IPv4
// packets too: the socket has IP_HDRINCL set, so the header the caller built
// (the sixtofour encapsulator's, with its DF, TTL, TOS and ID) goes out as
// is, except that Linux always fills in Total Length and the header
// checksum, and the ID and source address when they are zero (raw(7)).
// The kernel does not fragment such packets: one longer than the route's
// device MTU is refused with EMSGSIZE. The destination is taken from each
// packet's header.
//
// Packets live at bufs[i][offset:], as with package tun, so the same
// buffers, with their headroom, serve both sides of a tunnel.
//
// # ICMPv4 errors
//
// A raw socket for protocol 41 never sees the ICMPv4 errors (Destination
// Unreachable, Time Exceeded) that routers send about the packets it sent:
// those are ICMP packets. [ListenICMPErrors] opens a second raw socket, for
// ICMP, with a classic BPF filter in the kernel that passes only Destination
// Unreachable and Time Exceeded messages whose quoted IPv4 header carries
// the given protocol; it returns each as the whole IPv4 packet received
// (outer header, ICMP header, quoted packet), for the engine to check and
// translate to ICMPv6 (RFC 4213 §3.4). This is used instead of IP_RECVERR
// on the data socket, which would hand back the error out of band on the
// socket's error queue and make the next data read fail with the error's
// errno.
package rawip
