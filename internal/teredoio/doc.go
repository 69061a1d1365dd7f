// Package teredoio wires the sans-IO Teredo engines of package teredo to
// real I/O: UDP sockets, a TUN interface and its addresses (packages tun and
// netcfg), the clock, and a status endpoint on a Unix socket. It is what
// `transit6 teredo client|server|status` runs, and what the namespace
// interop tests against Miredo exercise.
//
// # Client
//
// [Client] owns one UDP socket and one goroutine (Run) that makes every
// call into the engine: it reads datagrams with a read deadline set to the
// engine's NextDeadline, calls Tick with the monotonic clock when the
// deadline passes, sends what the engine returns, and applies its events:
// the Teredo address is added to the TUN interface with prefix length 32
// (2001::/32 on link, as Miredo does) when acquired and removed when lost;
// the interface (MTU 1280) is created by NewClient and deleted by Close.
//
// The data path (packets between the TUN interface and peers, bubbles,
// relays) is not wired yet: packets the kernel sends to the interface are
// not read, and Teredo data packets the engine passes up are dropped.
//
// # Server
//
// [Server] owns the two UDP sockets on the primary and secondary addresses,
// port 3544 (RFC 4380 §5.3), and one goroutine per socket, as the engine
// allows concurrent calls for different sockets. Outputs go out of the
// socket they name; with native forwarding, IPv6 packets for native
// destinations are written to a TUN interface for the host to route (the
// reverse direction belongs to the relay, not yet wired).
//
// # Status
//
// Both serve [Status] on a Unix socket ([Serve]): one JSON object per
// connection, read with [Query] and shown like Windows' `netsh interface
// teredo show state` by [Status.WriteText].
package teredoio
