package tun

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// IdealBatchSize is the number of buffers a caller should pass to Read
// and Write: enough to amortize the poller and locks, small enough to
// keep latency and buffer memory low. It is what BatchSize returns.
const IdealBatchSize = 128

// MTU limits accepted by Open and SetMTU: IPv4's minimum (RFC 791) and the
// largest IP packet.
const (
	MinMTU = 68
	MaxMTU = 65535
)

// Device is an open TUN device. Read and Write may be called concurrently
// with each other (and Read with Read, Write with Write, which serialize;
// with Options.Ring, Read from one goroutine only).
type Device struct {
	f      *os.File
	rc     syscall.RawConn
	ctl    int // AF_INET datagram socket for interface ioctls, in the device's namespace
	name   string
	mtu    atomic.Int32
	closed atomic.Bool

	rmu    sync.Mutex
	rbufs  [][]byte
	rsizes []int
	roff   int
	rn     int
	rerr   error
	readFn func(fd uintptr) bool // d.doRead, bound once so Read does not allocate

	wmu     sync.Mutex
	wbufs   [][]byte
	woff    int
	wn      int
	werr    error
	writeFn func(fd uintptr) bool // d.doWrite, bound once

	// Offloads (offload.go). The read fields are under rmu, the write
	// fields under wmu.
	tso     bool // the kernel took TSO: reads may be super-packets, writes coalesce TCP
	uso     bool // the kernel took USO: the same for UDP
	rvh     [VirtioNetHdrLen]byte
	riov    [3]unix.Iovec
	super   []byte       // superLen bytes: a super-packet's tail as read, then all of it
	pend    []byte       // the super-packet being split, in super
	pendHdr VirtioNetHdr // its header
	pendAt  int          // the next segment to split
	pendN   int          // how many segments in all
	wvh     [VirtioNetHdrLen]byte
	wiov    []unix.Iovec // header, first packet, payloads of up to MaxCoalesce-1 more
	wsave   [120]byte    // the first packet's headers (IPv4 60 + TCP 60 at most)
	saved   int          // bytes in wsave
	unitN   int          // packets in the unit being written, 0 if none
	unitHdr VirtioNetHdr // its header
	vnet    bool         // every packet read or written has a virtio-net header

	// Ring reads (ring.go), under rmu but for rdeadline.
	ring      *ring        // nil: read(2) through the poller
	ringErr   error        // why Options.Ring left ring nil
	rdeadline atomic.Int64 // the read deadline in Unix nanoseconds, 0 for none
	pendRing  bool         // pend is in ring buffer pendBid, given back when split
	pendBid   uint16

	supers  int // super-packets read, for the tests
	runs    int // runs of more than one packet written, for the tests
	resumes int // Reads that began with a super-packet's rest, for the tests
}

// Options are the settings of OpenWithOptions. The zero Options are Open's.
type Options struct {
	// Offload opens the device with virtio-net headers (IFF_VNET_HDR)
	// and asks the kernel for checksum, TCP and UDP segmentation
	// offloads (TUNSETOFFLOAD with TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6,
	// TUN_F_TSO_ECN, and TUN_F_USO4 and TUN_F_USO6 where the kernel
	// has them, 6.2 on). The kernel then hands over TCP and UDP
	// super-packets of up to 64 KiB and packets whose checksum is left
	// to complete; Read splits and completes them, so the caller still
	// gets IP packets of at most the MTU with valid checksums, many per
	// read(2). Write joins runs of TCP segments (and UDP datagrams, with
	// USO) of one flow into super-packets (see Coalesce), so the
	// kernel's stack handles one packet where it would handle dozens.
	Offload bool

	// Ring reads the device through io_uring (Linux 6.7 on): one
	// multishot read into a ring of provided buffers, so that the kernel
	// reads each packet as it arrives and a Read that waits costs one
	// system call however many packets it returns, where read(2) costs
	// one per packet and one more to find the queue empty. Packets are
	// copied once, from the ring's buffer to the caller's. The goroutine
	// that first calls Read is locked to its thread, the ring's only
	// issuer: read from that goroutine alone (another gets
	// ErrRingThread). A deadline in the past or Close ends a blocked Read
	// within 100 ms. A kernel without it leaves the device reading with
	// read(2); RingReads reports which. See the package documentation.
	Ring bool

	// RingBatch, with Ring, lets a Read that has a packet wait up to
	// this long for more (up to 32) before it returns, on kernels that
	// can (6.12 on, IORING_FEAT_MIN_TIMEOUT): under a steady stream each
	// Read then returns a batch instead of one packet per wake-up, at the
	// cost of up to RingBatch of latency; a packet that comes after the
	// device was idle for longer is returned at once. Zero returns each
	// packet at once.
	RingBatch time.Duration
}

// Open creates the TUN interface name (the kernel picks a name such as
// "tun0" if name is empty or contains "%d") in the calling thread's network
// namespace, sets its MTU and brings it up. Interface addresses and routes
// are the caller's business (package netcfg).
//
// It returns ErrNameTooLong, ErrBadMTU, or the kernel's error (EPERM without
// CAP_NET_ADMIN, EBUSY if the name is taken by another device, ENOENT
// without /dev/net/tun) wrapped with context.
func Open(name string, mtu int) (*Device, error) {
	return OpenWithOptions(name, mtu, Options{})
}

// OpenWithOptions is Open with options. With opts.Offload, a kernel that
// refuses TSO leaves the device with virtio-net headers and no
// offloads, which Offload reports; Read and Write work the same either
// way. It returns Open's errors, and the kernel's if it refuses the
// virtio-net header (TUNSETVNETHDRSZ).
func OpenWithOptions(name string, mtu int, opts Options) (*Device, error) {
	if len(name) >= unix.IFNAMSIZ {
		return nil, ErrNameTooLong
	}
	if mtu < MinMTU || mtu > MaxMTU {
		return nil, ErrBadMTU
	}
	// The TUN fd and the ioctl socket must be made in the same namespace:
	// keep the goroutine on one thread while both are made (a no-op
	// nesting if the caller has locked it already).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("tun: open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("tun: %w", err)
	}
	flags := uint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if opts.Offload {
		flags |= unix.IFF_VNET_HDR
	}
	ifr.SetUint16(flags)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("tun: TUNSETIFF %q: %w", name, err)
	}
	var tso, uso bool
	if opts.Offload {
		if tso, uso, err = setOffload(fd); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("tun: offloads of %q: %w", name, err)
		}
	}
	ctl, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("tun: control socket: %w", err)
	}
	var rg *ring
	var ringErr error
	if opts.Ring {
		if rg, ringErr = newRing(fd, opts.RingBatch); rg != nil {
			// Keep the descriptor out of the runtime's poller, which
			// would otherwise wake for every packet the ring reads: the
			// os.File takes it blocking, then it is made non-blocking
			// again for the ring and for writes (which never wait).
			err = unix.SetNonblock(fd, false)
		}
	}
	d := &Device{f: os.NewFile(uintptr(fd), "/dev/net/tun"), ctl: ctl, name: ifr.Name(), ring: rg, ringErr: ringErr}
	if rg != nil && err == nil {
		err = unix.SetNonblock(fd, true)
	}
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("tun: %w", err)
	}
	d.readFn = d.doRead
	d.writeFn = d.doWrite
	if opts.Offload {
		d.tso, d.uso, d.vnet = tso, uso, true
		d.readFn = d.doReadVnet
		d.writeFn = d.doWriteVnet
		d.super = make([]byte, superLen)
		d.wiov = make([]unix.Iovec, 1+MaxCoalesce)
	}
	if d.rc, err = d.f.SyscallConn(); err != nil {
		d.Close()
		return nil, fmt.Errorf("tun: %w", err)
	}
	if err := d.SetMTU(mtu); err != nil {
		d.Close()
		return nil, err
	}
	if err := d.setUp(); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// setUp sets IFF_UP on the interface.
func (d *Device) setUp() error {
	ifr, err := unix.NewIfreq(d.name)
	if err != nil {
		return fmt.Errorf("tun: %w", err)
	}
	if err := unix.IoctlIfreq(d.ctl, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("tun: get flags of %s: %w", d.name, err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(d.ctl, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("tun: bring %s up: %w", d.name, err)
	}
	return nil
}

// SetMTU sets the interface's MTU. It returns ErrBadMTU for an MTU outside
// [MinMTU, MaxMTU]. The kernel removes IPv6 from an interface whose MTU is
// below 1280 (RFC 8200 §5).
func (d *Device) SetMTU(mtu int) error {
	if mtu < MinMTU || mtu > MaxMTU {
		return ErrBadMTU
	}
	if d.closed.Load() {
		return ErrClosed
	}
	ifr, err := unix.NewIfreq(d.name)
	if err != nil {
		return fmt.Errorf("tun: %w", err)
	}
	ifr.SetUint32(uint32(mtu))
	if err := unix.IoctlIfreq(d.ctl, unix.SIOCSIFMTU, ifr); err != nil {
		return fmt.Errorf("tun: set MTU of %s to %d: %w", d.name, mtu, err)
	}
	d.mtu.Store(int32(mtu))
	return nil
}

// MTU returns the MTU last set through Open or SetMTU.
func (d *Device) MTU() int { return int(d.mtu.Load()) }

// Name returns the interface's name, as the kernel assigned it.
func (d *Device) Name() string { return d.name }

// BatchSize returns IdealBatchSize, the number of buffers to pass to Read
// and Write. With offloads it is more than the segments of a 64 KiB
// super-packet at any MTU of 1280 or more, so a Read can take a whole one
// (it keeps what does not fit for the next Read in any case).
func (d *Device) BatchSize() int { return IdealBatchSize }

// Offload reports whether the kernel took TCP segmentation offload for
// the device (OpenWithOptions with Options.Offload): Read may then split
// super-packets into many packets, and Write coalesces TCP segments.
func (d *Device) Offload() bool { return d.tso }

// UDPOffload reports whether the kernel also took UDP segmentation
// offload (Linux 6.2 on): Read splits UDP super-packets, and Write
// coalesces UDP datagrams.
func (d *Device) UDPOffload() bool { return d.uso }

// RingReads reports whether the device reads through io_uring
// (Options.Ring on a kernel that has it).
func (d *Device) RingReads() bool { return d.ring != nil }

// Reads names how the device is read, for logs and status reports:
// "io_uring" with ring reads, else "read(2)".
func (d *Device) Reads() string {
	if d.RingReads() {
		return "io_uring"
	}
	return "read(2)"
}

// SetReadDeadline sets the time after which a blocked Read returns
// os.ErrDeadlineExceeded; the zero time means none.
func (d *Device) SetReadDeadline(t time.Time) error {
	var ns int64
	if !t.IsZero() {
		ns = max(t.UnixNano(), 1)
	}
	d.rdeadline.Store(ns)
	if d.ring != nil {
		return nil // not in the poller; readRing looks at rdeadline
	}
	return d.f.SetReadDeadline(t)
}

// Close closes the device, which deletes the interface, and wakes any
// blocked Read.
func (d *Device) Close() error {
	if d.closed.Swap(true) {
		return ErrClosed
	}
	if d.ring != nil {
		// A blocked Read returns within ringWait and lets go of the lock.
		d.rmu.Lock()
		d.pend = nil // in the ring's buffers
		d.ring.close()
		d.rmu.Unlock()
	}
	err := d.f.Close()
	if d.ring != nil {
		d.waitGone()
	}
	unix.Close(d.ctl)
	return err
}

// waitGone waits, for up to a second, until the interface is gone. The
// kernel deletes it when the last reference to the device's file goes,
// and a ring's multishot read holds one until the ring's teardown, which
// the kernel finishes in the background after the ring is closed (when
// Close runs in a thread other than the ring's issuer, which alone can
// cancel the read at once).
func (d *Device) waitGone() {
	for range 1000 {
		ifr, err := unix.NewIfreq(d.name)
		if err != nil {
			return
		}
		if unix.IoctlIfreq(d.ctl, unix.SIOCGIFINDEX, ifr) != nil {
			return // ENODEV
		}
		time.Sleep(time.Millisecond)
	}
}

// mapErr turns the poller's errors into the exported ones.
func (d *Device) mapErr(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return os.ErrDeadlineExceeded
	}
	if d.closed.Load() {
		return ErrClosed
	}
	return err
}

// Read reads packets into bufs[i][offset:] and their lengths into sizes[i]
// and returns how many it read. It waits for the first packet, then takes
// those that are queued already, up to min(len(bufs), len(sizes)), without
// waiting again. Each bufs[i][offset:] should hold MTU bytes; the kernel
// cuts a longer packet to the buffer. bufs[i][:offset] is not touched.
//
// With offloads (OpenWithOptions), a super-packet the kernel hands over
// is split into MTU-sized packets (see Split), one per buffer; those that
// do not fit in this call's buffers are returned first by the next Read,
// which then does not wait. Checksums left to complete are completed.
// Packets that fit in their buffer are read in place; a super-packet is
// copied once, segment by segment.
//
// It returns io.ErrShortBuffer if offset > len(bufs[i]) for a buffer it
// reaches (or, with offloads, if a segment does not fit its buffer: the
// super-packet is dropped), ErrClosed after Close, os.ErrDeadlineExceeded
// after the read deadline, and the kernel's errno otherwise. An error
// after the first packet ends the batch early and is reported by the next
// call. It does not allocate.
func (d *Device) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	n := min(len(bufs), len(sizes))
	if n == 0 {
		return 0, nil
	}
	if offset < 0 {
		return 0, io.ErrShortBuffer
	}
	d.rmu.Lock()
	defer d.rmu.Unlock()
	d.rbufs, d.rsizes, d.roff, d.rn, d.rerr = bufs[:n], sizes, offset, 0, nil
	defer func() { d.rbufs, d.rsizes = nil, nil }()
	if d.closed.Load() {
		return 0, ErrClosed
	}
	if d.pend != nil {
		d.resumes++
		if !d.drain() {
			return d.rn, d.rerr // the buffers are full, or the rest was dropped
		}
	}
	var err error
	if d.ring != nil {
		err = d.readRing()
	} else {
		err = d.rc.Read(d.readFn)
	}
	if err != nil {
		if d.rn > 0 { // segments of a super-packet read by an earlier call
			return d.rn, nil
		}
		return 0, d.mapErr(err)
	}
	return d.rn, d.rerr
}

// doRead reads packets until the batch is full or nothing is left; it
// returns false only to wait for the first packet.
func (d *Device) doRead(fd uintptr) bool {
	for d.rn < len(d.rbufs) {
		b := d.rbufs[d.rn]
		if d.roff > len(b) {
			if d.rn == 0 {
				d.rerr = io.ErrShortBuffer
			}
			return true
		}
		n, err := unix.Read(int(fd), b[d.roff:])
		switch err {
		case nil:
			d.rsizes[d.rn] = n
			d.rn++
		case unix.EINTR:
		case unix.EAGAIN:
			return d.rn > 0
		default:
			if d.rn == 0 {
				d.rerr = err
			}
			return true
		}
	}
	return true
}

// Write writes the packets bufs[i][offset:] to the device, one IPv4 or
// IPv6 packet each, and returns how many it wrote. On an error it stops:
// n packets were written and bufs[n] was refused with the returned error
// (EINVAL for one that is not an IP packet), so the caller may drop bufs[n]
// and go on with bufs[n+1:]. It returns io.ErrShortBuffer if offset >
// len(bufs[n]) and ErrClosed after Close. It does not allocate.
//
// With offloads (OpenWithOptions), each packet goes out behind a
// virtio-net header, from a separate buffer, so no headroom is needed
// (offset may be 0) and bufs[i][:offset] is not touched; runs of packets
// that Coalesce joins go out as one super-packet, and the first packet of
// each run has its IP and TCP/UDP headers rewritten for it. If the kernel
// refuses a run, the error is reported at its first packet, whose headers
// are restored, and none of the run was written.
func (d *Device) Write(bufs [][]byte, offset int) (int, error) {
	if len(bufs) == 0 {
		return 0, nil
	}
	if offset < 0 {
		return 0, io.ErrShortBuffer
	}
	d.wmu.Lock()
	defer d.wmu.Unlock()
	d.wbufs, d.woff, d.wn, d.werr, d.unitN = bufs, offset, 0, nil, 0
	err := d.rc.Write(d.writeFn)
	n, werr := d.wn, d.werr
	if d.unitN > 1 { // a run coalesced, then not written
		copy(bufs[n][offset:], d.wsave[:d.saved])
	}
	d.wbufs, d.unitN = nil, 0
	if err != nil {
		return n, d.mapErr(err)
	}
	return n, werr
}

// doWrite writes the batch, returning false to wait while the device's
// queue is full.
func (d *Device) doWrite(fd uintptr) bool {
	for d.wn < len(d.wbufs) {
		b := d.wbufs[d.wn]
		if d.woff > len(b) {
			d.werr = io.ErrShortBuffer
			return true
		}
		_, err := unix.Write(int(fd), b[d.woff:])
		switch err {
		case nil:
			d.wn++
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			d.werr = err
			return true
		}
	}
	return true
}
