// Package tun is a Linux TUN device (layer 3, IFF_TUN|IFF_NO_PI) with the
// batch interface of wireguard-go's tun.Device, on golang.org/x/sys/unix
// alone:
//
//	Read(bufs [][]byte, sizes []int, offset int) (int, error)
//	Write(bufs [][]byte, offset int) (int, error)
//
// Packets are read into and written from bufs[i][offset:], so a caller that
// reads at offset packet.MaxHeadroom can write an outer header in front of
// each packet in place (transit6's data path: TUN read, encapsulate into the
// headroom, batched socket write) and never moves a byte. The device's file
// descriptor is non-blocking and registered with the Go runtime's poller:
// a Read waits without holding a thread, deadlines work, and Close wakes a
// blocked Read, which then returns [ErrClosed]. Read and Write do not
// allocate.
//
// The device is created in the network namespace of the calling thread and
// stays there: open it inside the namespace (see netns.NS.Do) and use it
// from anywhere. It disappears when it is closed.
//
// Open gives a device without offloads: every packet read is one IP packet
// of at most the MTU, and every packet written must be one. Linux offers
// no batched read or write for TUN, so a batch costs one read(2) or
// write(2) per packet; batching saves the poller and locking per packet,
// and lets the caller batch its socket side.
//
// # Offloads
//
// OpenWithOptions with Options.Offload opens the device the way
// wireguard-go does: with a virtio-net header in front of every packet
// (IFF_VNET_HDR, see VirtioNetHdr) and the kernel's checksum, TCP and UDP
// segmentation offloads (TUNSETOFFLOAD). The kernel's stack then sends the
// device TCP and UDP super-packets of up to 64 KiB, one skb where it would
// send dozens, and leaves checksums to complete. The interface is the
// same: Read splits super-packets into MTU-sized IP packets in the
// caller's buffers (Split) and completes checksums (CompleteChecksum), so
// a 64 KiB TCP burst costs one read(2) instead of 45; Write joins runs of
// TCP segments of one connection (and UDP datagrams, where the kernel has
// USO) into super-packets (Coalesce), so the receiving stack handles one
// packet where it would handle dozens. The virtio-net header travels in
// buffers of the Device (readv and writev), so no headroom is needed for
// it and the offsets work as without offloads.
//
// # Ring reads
//
// Options.Ring reads the device through io_uring instead (Linux 6.7 on;
// older kernels fall back to read(2), see Device.RingReads): one multishot
// read (IORING_OP_READ_MULTISHOT) into a ring of 64 provided buffers, on a
// ring with one issuer whose completion work waits for the issuer
// (IORING_SETUP_SINGLE_ISSUER, DEFER_TASKRUN). The kernel then reads the
// packets that arrived when the reading thread waits, all in one
// io_uring_enter(2), and the device is not in the runtime's poller, so no
// epoll_wait(2) either: read(2) costs a system call per packet and one more
// to find the queue empty. Options.RingBatch lets a Read wait a little for
// more packets once it has one (IORING_FEAT_MIN_TIMEOUT, 6.12), as a NIC
// coalesces interrupts. Short waits keep the goroutine's P (a raw system
// call), so the runtime does not move it between threads per wait. The
// costs: a copy per packet from the ring's buffer, the reading goroutine
// locked to its thread (only it may Read), and a Read that waits notices
// a past deadline or Close within 100 ms. On a virtual machine where a
// system call costs a microsecond, this halved the relay's CPU per packet
// in the direction native host → Teredo client (bench/README.md).
//
// Split, Coalesce, CompleteChecksum and the header codec are exported for
// tests and benchmarks; they do not touch the device.
package tun
