// Package teredoio wires the sans-IO Teredo engines of package teredo to
// real I/O: UDP sockets, a TUN interface and its addresses (packages tun and
// netcfg), the clock, and a status endpoint on a Unix socket. It is what
// `transit6 teredo client|server|status` runs, and what the namespace
// interop tests against Miredo exercise.
//
// # Data path
//
// Clients and relays share one data path (datapath.go): a teredo.Node (peer
// list, bubbles, direct connectivity tests) between a batched UDP socket
// (package udpio: recvmmsg/sendmmsg) and a TUN device, in three goroutines:
//
//   - network → host: a batch of datagrams is read into buffers allocated
//     once; each is decoded in place (for a client, by the control plane
//     first, which takes the server's Router Advertisements) and judged by
//     Node.Receive; the inner IPv6 packets it accepts are written to the
//     TUN device straight from the receive buffer, in one batch.
//   - host → network: a batch of packets is read from the TUN device;
//     Node.Transmit names the mapping of each trusted peer and the packet
//     goes out as the UDP payload from the read buffer (Teredo's simple
//     encapsulation adds no header), in one sendmmsg.
//   - timer: every 50 ms, the engines' deadlines (probe repeats, refresh,
//     expiry).
//
// The engines are shared under one mutex, taken once per batch. Only the
// packets the engines build (bubbles, echo tests, held packets flushed once
// their peer is trusted, ICMPv6 errors) are copied, out of the engines'
// storage before the mutex is released; data packets are never copied and
// nothing is allocated per packet (TestRelayForwarding checks it).
//
// # Client
//
// [Client] runs the control plane (teredo.Client) and the data path on one
// UDP socket: every datagram goes to the control plane first, and what it
// passes up goes to the node. Its events configure the interface: the
// Teredo address is added with prefix length 32 (2001::/32 on link, as
// Miredo does) and a default route of metric 1029 through the interface
// (Miredo's), and the node learns the address; the interface (MTU 1280) is
// created by NewClient and deleted by Close.
//
// # Relay
//
// [Relay] (RFC 4380 §5.4, `transit6 teredo relay`, Miredo's "RelayType
// cone") routes the Teredo prefix into its TUN interface: native IPv6
// packets for Teredo clients come out of it, and packets from clients at
// their embedded mapping (or verified by a challenge, behind symmetric NATs)
// go into it for the host to forward (enable IPv6 forwarding).
//
// # Server
//
// [Server] owns the two UDP sockets on the primary and secondary addresses,
// port 3544 (RFC 4380 §5.3), and one goroutine per socket, as the engine
// allows concurrent calls for different sockets. Outputs go out of the
// socket they name; with native forwarding, IPv6 packets for native
// destinations are written to a TUN interface for the host to route (the
// reverse direction belongs to a relay).
//
// # Status
//
// Both serve [Status] on a Unix socket ([Serve]): one JSON object per
// connection, read with [Query] and shown like Windows' `netsh interface
// teredo show state` by [Status.WriteText]; clients and relays add their
// counters and peer list ([Status.WritePeers]).
package teredoio
