// Package udpio is a UDP socket over IPv4 with batched reads and writes
// (recvmmsg(2), sendmmsg(2)) that do not allocate, for the data path of
// transit6's Teredo client and relay (RFC 4380 §5.1.1: Teredo carries
// IPv6 packets as the payload of UDP datagrams over IPv4). It is the UDP
// counterpart of package rawip and has the same shape: the socket is
// non-blocking and waits in the Go runtime's poller, so a blocked read
// holds no thread, deadlines work, and Close wakes a blocked ReadBatch,
// which returns [ErrClosed].
//
// # Batches
//
// [Conn.ReadBatch] waits for one datagram, then takes what else is queued,
// up to [IdealBatchSize], in one system call, and reports each datagram's
// payload length and source. [Conn.WriteBatch] sends any number of
// datagrams, each to its own destination, in one sendmmsg(2) per
// IdealBatchSize. A batch costs the kernel about as much per datagram as
// single calls do, but saves a system call, the poller and the locking
// per datagram, and lets the caller batch the other side of the tunnel
// (package tun) too.
//
// # Buffers, offset and headroom
//
// The caller owns every buffer. A datagram's UDP payload is read into and
// written from bufs[i][offset:]: the kernel writes the IPv4 and UDP
// headers itself, so the Teredo path never builds one. The offset exists
// so that the same buffers serve the TUN side with its headroom: a packet
// read from the TUN device at offset packet.MaxHeadroom gets its Teredo
// headers (origin indication, authentication; RFC 4380 §5.1.1) written
// in front of it in place, and is then written here at the smaller
// offset where those headers start, without a byte moved. ReadBatch never
// touches bufs[i][:offset] nor keeps a buffer after it returns; the
// socket keeps no reference a caller must wait for after WriteBatch
// either.
//
// Sources and destinations are netip.AddrPort values built from and into
// preallocated sockaddrs, so no address allocates. Only IPv4 addresses
// are accepted ([ErrBadAddr] otherwise); IPv4-mapped IPv6 addresses are
// refused rather than unmapped, so that a caller's mistake shows.
//
// # Errors on send
//
// WriteBatch stops at the first datagram it cannot send: it returns how
// many went before it and the error for that one, and nothing after it
// was sent. The caller drops that datagram and calls again with the rest,
// so one bad datagram costs only itself. The socket is unconnected and
// has no IP_RECVERR, so ICMP errors (a Port Unreachable from a peer that
// went away) reach neither WriteBatch nor ReadBatch (udp(7)): an
// ECONNREFUSED never poisons the socket that a relay shares among all its
// peers; an engine that wants ICMP errors must read them elsewhere.
//
// # Offloads
//
// [ListenConfig] turns on, where the kernel offers them, the two UDP
// offloads of Linux:
//
//   - GSO (UDP_SEGMENT, Linux 4.18): WriteBatch sends each run of
//     consecutive datagrams to one destination, all of one length but
//     the last (which may be shorter), up to 64 datagrams and
//     [MaxPayload] bytes, as one super-datagram that the kernel (or the
//     NIC) cuts again, so the stack is walked once per run. The
//     datagrams need not be contiguous: the run's buffers are the
//     message's iovecs, gathered by the kernel, so nothing is copied. If
//     the kernel refuses a super-datagram (EINVAL: a segment longer than
//     the route's MTU; EIO: a device without checksum offload, after
//     which GSO stays off), WriteBatch sends that run again one datagram
//     per message, so errors keep their per-datagram meaning.
//   - GRO (UDP_GRO, Linux 5.0): the kernel may hand one message holding a
//     run of datagrams of one flow with their segment size; ReadBatch
//     splits it into the caller's buffers. A coalesced run does not fit
//     a caller's buffer, so with GRO on the kernel reads into 16 regions
//     of 64 KiB that the Conn owns, and ReadBatch copies each datagram
//     out, keeping what does not fit the caller's batch for the next
//     call. That costs 1 MiB per Conn, a copy per datagram, and at most
//     16 messages per system call. GRO happens where a NIC's driver
//     coalesces (NAPI), and on loopback, where a GSO super-datagram
//     reaches a UDP_GRO socket whole.
//
// Both are off by default ([Listen]). Over loopback, GSO with GRO on the
// receiver gives the largest gain for runs; see the benchmarks.
package udpio
