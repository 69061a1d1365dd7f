package tun

import (
	"encoding/binary"
	"io"
	"unsafe"

	"golang.org/x/sys/unix"
)

// superLen is the size of the buffer a super-packet is read into: the
// largest IPv6 packet (a 65535-byte payload after the fixed header), with
// room to spare for a device whose gso_max_size was raised a little.
const superLen = 1 << 17

// Offload flags asked of TUNSETOFFLOAD (linux/if_tun.h), most first.
var offloadTries = []int{
	unix.TUN_F_CSUM | unix.TUN_F_TSO4 | unix.TUN_F_TSO6 | unix.TUN_F_TSO_ECN | unix.TUN_F_USO4 | unix.TUN_F_USO6,
	unix.TUN_F_CSUM | unix.TUN_F_TSO4 | unix.TUN_F_TSO6 | unix.TUN_F_TSO_ECN,
}

// setOffload configures the virtio-net header of a TUN file descriptor
// opened with IFF_VNET_HDR and asks for offloads; it reports whether the
// kernel took TSO and USO.
func setOffload(fd int) (tso, uso bool, err error) {
	if err := unix.IoctlSetPointerInt(fd, unix.TUNSETVNETHDRSZ, VirtioNetHdrLen); err != nil {
		return false, false, err
	}
	// Little-endian fields whatever the host (a no-op on little-endian
	// hosts, where the legacy layout is little-endian already).
	if err := unix.IoctlSetPointerInt(fd, unix.TUNSETVNETLE, 1); err != nil && binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		return false, false, err
	}
	for _, flags := range offloadTries {
		if unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, flags) == nil {
			return true, flags&unix.TUN_F_USO4 != 0, nil
		}
	}
	// No offloads: every packet still carries a (zero) virtio-net header.
	return false, false, unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, 0)
}

// sysIO is readv(2) or writev(2) on iovecs that the device owns, so that
// no iovec array is allocated per call. Errors are syscall.Errno values
// (EAGAIN and EINTR come back without allocating).
//
// The file descriptor is non-blocking, so the call never waits: it is
// made as a raw system call, without telling the Go scheduler, which
// would otherwise hand the goroutine's P to another thread whenever the
// kernel spends more than 20 µs in it (a write of a 64 KiB super-packet
// runs the receiving TCP stack) and take it back after, two thread
// wake-ups per call on a busy tunnel.
func sysIO(trap, fd uintptr, iov []unix.Iovec) (int, error) {
	n, _, e := unix.RawSyscall(trap, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func setIovec(v *unix.Iovec, b []byte) {
	if len(b) == 0 {
		*v = unix.Iovec{}
		return
	}
	v.Base = &b[0]
	v.SetLen(len(b))
}

// doReadVnet is doRead for a device with virtio-net headers: each read(2)
// takes the header into d.rvh, the packet into the caller's buffer and
// whatever does not fit into d.super, so that plain packets are read in
// place; super-packets are split into the caller's buffers.
func (d *Device) doReadVnet(fd uintptr) bool {
	for d.rn < len(d.rbufs) {
		b := d.rbufs[d.rn]
		if d.roff > len(b) {
			if d.rn == 0 {
				d.rerr = io.ErrShortBuffer
			}
			return true
		}
		head := b[d.roff:]
		tail := d.super[min(len(head), len(d.super)):]
		setIovec(&d.riov[0], d.rvh[:])
		setIovec(&d.riov[1], head)
		setIovec(&d.riov[2], tail)
		n, err := sysIO(unix.SYS_READV, fd, d.riov[:])
		switch err {
		case nil:
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return d.rn > 0
		default:
			if d.rn == 0 {
				d.rerr = err
			}
			return true
		}
		if n < VirtioNetHdrLen { // the kernel always writes the header
			if d.rn == 0 {
				d.rerr = io.ErrUnexpectedEOF
			}
			return true
		}
		var h VirtioNetHdr
		_ = h.Decode(d.rvh[:])
		n -= VirtioNetHdrLen
		if h.GSOType == GSONone {
			if n <= len(head) {
				// A bad offset (which the kernel does not send) leaves
				// the packet as it came.
				_ = CompleteChecksum(head[:n], h)
			}
			d.rsizes[d.rn] = min(n, len(head))
			d.rn++
			continue
		}
		// A super-packet: make it whole in d.super, where Split reads
		// it from.
		if n > len(head) {
			copy(d.super, head)
		} else if n <= len(d.super) {
			copy(d.super, head[:n])
		} else {
			continue // bigger than any IP packet
		}
		pkt := d.super[:n]
		segs, err := Segments(pkt, h)
		if err != nil {
			if d.rn == 0 {
				d.rerr = err
				return true
			}
			continue
		}
		d.pend, d.pendHdr, d.pendAt, d.pendN = pkt, h, 0, segs
		d.supers++
		if !d.drain() {
			return true
		}
	}
	return true
}

// drain splits the pending super-packet into the caller's buffers and
// reports whether it is done and buffers are left.
func (d *Device) drain() bool {
	k, err := Split(d.pend, d.pendHdr, d.pendAt, d.rbufs[d.rn:], d.rsizes[d.rn:], d.roff)
	d.rn += k
	d.pendAt += k
	if err != nil {
		d.pend = nil
		if d.rn == 0 {
			d.rerr = err
			return false
		}
	}
	if d.pendAt >= d.pendN {
		d.pend = nil
	}
	if d.pend == nil && d.pendRing {
		d.ring.recycle(d.pendBid)
		d.pendRing = false
	}
	return d.pend == nil && d.rn < len(d.rbufs)
}

// doWriteVnet is doWrite for a device with virtio-net headers: each unit,
// a packet or a run of packets that Coalesce joined, goes out in one
// writev(2) of the header, the first packet and the others' payloads.
func (d *Device) doWriteVnet(fd uintptr) bool {
	for d.wn < len(d.wbufs) {
		b := d.wbufs[d.wn]
		if d.woff > len(b) {
			d.werr = io.ErrShortBuffer
			return true
		}
		if d.unitN == 0 {
			// Keep the first packet's headers, which Coalesce may
			// rewrite, to restore them if the kernel refuses the unit.
			d.saved = copy(d.wsave[:], b[d.woff:])
			d.unitN, d.unitHdr = 1, VirtioNetHdr{}
			if d.tso {
				d.unitN, d.unitHdr = Coalesce(d.wbufs[d.wn:], d.woff, d.uso)
			}
			d.unitHdr.put(d.wvh[:])
		}
		iov := d.wiov[:d.unitN+1]
		setIovec(&iov[0], d.wvh[:])
		setIovec(&iov[1], b[d.woff:])
		for i := 2; i < len(iov); i++ {
			setIovec(&iov[i], d.wbufs[d.wn+i-1][d.woff+int(d.unitHdr.HdrLen):])
		}
		_, err := sysIO(unix.SYS_WRITEV, fd, iov)
		switch err {
		case nil:
			if d.unitN > 1 {
				d.runs++
			}
			d.wn += d.unitN
			d.unitN = 0
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			if d.unitN > 1 {
				copy(b[d.woff:], d.wsave[:d.saved])
			}
			d.unitN = 0
			d.werr = err
			return true
		}
	}
	return true
}
