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
// Offloads (IFF_VNET_HDR, TUNSETOFFLOAD: TSO/USO super-packets with a
// virtio-net header) are not enabled: every packet read is one IP packet of
// at most the MTU, and every packet written must be one. Linux offers no
// batched read or write for TUN, so a batch costs one read(2) or write(2)
// per packet; batching saves the poller and locking per packet, and lets
// the caller batch its socket side.
package tun
