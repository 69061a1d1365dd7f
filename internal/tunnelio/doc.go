// Package tunnelio wires the sans-IO protocol-41 router of package
// sixtofour (6to4, 6rd, ISATAP, configured 6in4) to real I/O: a TUN
// interface with the tunnel's derived address and routes (packages tun and
// netcfg), a raw IPv4 socket for protocol 41 and a raw ICMP socket for the
// errors routers send about our packets (package rawip), and the clock. It
// is what `transit6 tunnel 6to4|6rd|6in4|isatap` runs and what the
// namespace end-to-end tests exercise.
//
// # Data path
//
// [Tunnel.Run] runs two loops (and a third, rarely woken, for ICMPv4
// errors), each on buffers allocated once:
//
//   - host → network: the TUN device is read in batches into
//     buf[sixtofour.Headroom:]; Router.Outbound writes the outer IPv4
//     header into the headroom in place; the results for the network go
//     out in one batched raw-socket write, the ICMPv6 errors the router
//     generates (Packet Too Big, Destination Unreachable) back to the TUN.
//   - network → host: the raw socket is read in batches; Router.Inbound
//     re-slices each packet to its inner IPv6 packet, which is written to
//     the TUN straight from the receive buffer, in one batch.
//
// The TUN device is opened with the kernel's offloads (tun.Options, unless
// Config.NoOffload): the host's TCP and UDP stacks hand the tunnel
// super-packets of up to 64 KiB, which the device's Read cuts into
// segments of at most the tunnel MTU, each in its own buffer with the
// headroom in front, since a raw protocol-41 socket cannot segment (no
// GSO for IP_HDRINCL) and every segment needs its own outer header. A
// 64 KiB TCP burst thus costs one read(2) and one sendmmsg(2) instead of
// 45 read(2)s. The other way, the device's Write joins the consecutive
// TCP segments (and UDP datagrams) of a flow in a received batch into one
// super-packet, so the host's stack receives one packet where it would
// receive dozens.
//
// The TUN is read through io_uring where the kernel has it (tun.Options
// Ring, with a 100 µs batch): under a stream one wake-up reads every
// packet queued, while a packet after an idle spell goes out at once.
// Describe says which way the TUN is read.
//
// Nothing is allocated per packet, and nothing is copied but the segments
// of a super-packet. The router's Inbound is called by one goroutine at a
// time (the protocol-41 and ICMP loops share a mutex, taken once per
// batch), as the router requires.
//
// # MTU
//
// As Linux's sit does, the tunnel takes its path MTU from the kernel's
// route to its peer (PathPeer: the 6in4 remote, the 6to4 relay, the 6rd
// border relay, the first ISATAP PRL entry, else the default route) unless
// it is configured, and its TUN MTU is that minus 20 (1280 with DF clear
// under 1300; proto41.md §1.2). A packet the kernel still refuses as too
// long for the outgoing link (EMSGSIZE: the link narrowed after start-up)
// is not counted as sent: the router records the link's MTU for that next
// hop and answers the host with an ICMPv6 Packet Too Big
// (sixtofour.Router.TooBigForLink), so the host's path MTU discovery
// converges instead of the packets vanishing.
//
// # Interface configuration
//
// [Plan] derives what the interface gets, as Linux's sit and OpenWrt set
// it up: 6to4 2002:V4ADDR::1/16 (every 6to4 destination on link), plus a
// default route when a relay is configured; 6rd the delegated prefix ::1
// with the 6rd prefix length, plus a default route on a CE; ISATAP the
// link-local fe80::[02]00:5efe:V4ADDR/64 and the address in the on-link
// /64, plus a default route on a host; 6in4 the configured address or
// fe80::V4ADDR/64, and a default route. [Tunnel.Close] removes the
// interface, and with it its addresses and routes.
package tunnelio
