package tun

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Ring reads (Options.Ring): the device is read through an io_uring with
// one multishot read (IORING_OP_READ_MULTISHOT, Linux 6.7) into a ring of
// provided buffers (IORING_REGISTER_PBUF_RING, 5.19). The kernel reads
// each packet as it arrives, without a system call of ours, and a Read
// that finds nothing waits in io_uring_enter(2), which returns with every
// packet read meanwhile: one system call per wait, where read(2) costs
// one per packet and one more to find the queue empty, plus the poller's
// epoll_wait(2). On a virtual machine where a system call costs a
// microsecond that is most of a relay's cost per packet.

// io_uring ABI (include/uapi/linux/io_uring.h).
const (
	ioringOpReadMultishot = 49 // IORING_OP_READ_MULTISHOT

	iosqeBufferSelect = 1 << 5 // IOSQE_BUFFER_SELECT

	ioringCQEFBuffer     = 1 << 0 // IORING_CQE_F_BUFFER: the buffer id is in flags>>16
	ioringCQEFMore       = 1 << 1 // IORING_CQE_F_MORE: the multishot request goes on
	ioringCQEBufferShift = 16

	ioringSetupCQSize       = 1 << 3  // IORING_SETUP_CQSIZE
	ioringSetupClamp        = 1 << 4  // IORING_SETUP_CLAMP
	ioringSetupRDisabled    = 1 << 6  // IORING_SETUP_R_DISABLED
	ioringSetupSingleIssuer = 1 << 12 // IORING_SETUP_SINGLE_ISSUER
	ioringSetupDeferTaskrun = 1 << 13 // IORING_SETUP_DEFER_TASKRUN

	ioringFeatSingleMmap = 1 << 0  // IORING_FEAT_SINGLE_MMAP
	ioringFeatNoDrop     = 1 << 1  // IORING_FEAT_NODROP
	ioringFeatExtArg     = 1 << 8  // IORING_FEAT_EXT_ARG
	ioringFeatMinTimeout = 1 << 15 // IORING_FEAT_MIN_TIMEOUT

	ioringEnterGetEvents = 1 << 0 // IORING_ENTER_GETEVENTS
	ioringEnterExtArg    = 1 << 3 // IORING_ENTER_EXT_ARG

	ioringOffSQEs = 0x10000000 // IORING_OFF_SQES

	ioringRegisterProbe       = 8  // IORING_REGISTER_PROBE
	ioringRegisterEnableRings = 12 // IORING_REGISTER_ENABLE_RINGS
	ioringRegisterPbufRing    = 22 // IORING_REGISTER_PBUF_RING
	ioringRegisterSyncCancel  = 24 // IORING_REGISTER_SYNC_CANCEL
)

// Ring sizes.
const (
	ringSQEntries = 4
	// ringBufs is the number of provided buffers: the packets the kernel
	// can read ahead of Read. When they run out, the multishot read ends
	// (ENOBUFS) and is armed again once Read gives buffers back; packets
	// wait in the device's queue meanwhile.
	ringBufs = 64
	// ringBufLen is each buffer's size: a virtio-net header and the
	// largest super-packet.
	ringBufLen = superLen
	// ringWait is the longest a Read waits in the kernel before looking
	// at its deadline and at Close again: a deadline in the past or Close
	// ends a blocked Read within it.
	ringWait = 100 * time.Millisecond
	// ringRawWait is the longest wait that keeps the goroutine's P (see
	// enter): a stream's packets come far more often; a quiet device is
	// then waited for the runtime's way.
	ringRawWait = time.Millisecond
	// readTag is the user_data of the multishot read.
	readTag = 1
)

// uringParams is struct io_uring_params.
type uringParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFD uint32
	resv                                                                   [3]uint32
	sqOff                                                                  sqOffsets
	cqOff                                                                  cqOffsets
}

// sqOffsets is struct io_sqring_offsets.
type sqOffsets struct {
	head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
	userAddr                                                        uint64
}

// cqOffsets is struct io_cqring_offsets.
type cqOffsets struct {
	head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
	userAddr                                                        uint64
}

// uringSQE is struct io_uring_sqe (64 bytes).
type uringSQE struct {
	opcode, flags uint8
	ioprio        uint16
	fd            int32
	off, addr     uint64
	len, opFlags  uint32
	userData      uint64
	bufGroup      uint16
	personality   uint16
	spliceFDIn    int32
	addr3, _      uint64
}

// uringCQE is struct io_uring_cqe (16 bytes).
type uringCQE struct {
	userData uint64
	res      int32
	flags    uint32
}

// kernelTimespec is struct __kernel_timespec.
type kernelTimespec struct{ sec, nsec int64 }

// getEventsArg is struct io_uring_getevents_arg.
type getEventsArg struct {
	sigmask     uint64
	sigmaskSz   uint32
	minWaitUsec uint32
	ts          uint64
}

// bufReg is struct io_uring_buf_reg.
type bufReg struct {
	ringAddr    uint64
	ringEntries uint32
	bgid, flags uint16
	resv        [3]uint64
}

// syncCancelReg is struct io_uring_sync_cancel_reg.
type syncCancelReg struct {
	addr    uint64
	fd      int32
	flags   uint32
	timeout kernelTimespec
	opcode  uint8
	_       [7]uint8
	_       [3]uint64
}

// ring is an io_uring with one multishot read of the device armed on it.
// Everything but close is used under the device's read lock.
type ring struct {
	fd     int
	devFD  int
	mem    [][]byte // mappings, unmapped by close
	sqTail *uint32
	sqMask uint32
	sqes   []uringSQE
	cqHead *uint32
	cqTail *uint32
	cqMask uint32
	cqes   []uringCQE

	bufRing []byte // ringBufs struct io_uring_buf; the tail overlays the first's resv
	bufs    []byte // ringBufs buffers of ringBufLen bytes
	bufTail uint16
	bid0    uint16 // the buffer id in the first entry, rewritten with the tail

	batch    uint32 // microseconds a wait may go on to gather packets (min_wait_usec)
	enabled  bool   // enabled by the reading thread, which alone may enter
	idle     bool   // the last raw wait timed out: wait the runtime's way
	armed    bool   // the multishot read is on
	arms     int    // times it was armed, for the tests
	toSubmit uint32 // SQEs queued since the last io_uring_enter

	ts  kernelTimespec // io_uring_enter's timeout, here so that nothing escapes per call
	arg getEventsArg
}

// errRingUnsupported reports a kernel without what ring reads need.
var errRingUnsupported = errors.New("tun: io_uring lacks multishot reads, single mmap, NODROP or EXT_ARG")

// newRing sets up a ring reading devFD (non-blocking), gathering packets
// for up to batch once one has come (on kernels that can, 6.12 on). A
// kernel without io_uring, or without multishot reads, returns an error;
// the device then reads with read(2).
//
// The ring is made disabled, for one issuer, with its completion work
// deferred to the issuer's waits (IORING_SETUP_R_DISABLED, SINGLE_ISSUER,
// DEFER_TASKRUN): the thread that first reads enables it, and from then on
// the kernel reads packets only when that thread waits, all that arrived
// since in one go, instead of interrupting it per packet.
func newRing(devFD int, batch time.Duration) (r *ring, err error) {
	p := uringParams{
		flags:     ioringSetupCQSize | ioringSetupClamp | ioringSetupRDisabled | ioringSetupSingleIssuer | ioringSetupDeferTaskrun,
		cqEntries: 2 * ringBufs,
	}
	fd, _, e := unix.Syscall(unix.SYS_IO_URING_SETUP, ringSQEntries, uintptr(unsafe.Pointer(&p)), 0)
	if e != 0 {
		return nil, fmt.Errorf("tun: io_uring_setup: %w", e)
	}
	r = &ring{fd: int(fd), devFD: devFD}
	if p.features&ioringFeatMinTimeout != 0 && batch > 0 {
		r.batch = uint32(min(batch, time.Second) / time.Microsecond)
	}
	defer func() {
		if err != nil {
			r.close()
			r = nil
		}
	}()
	if p.features&(ioringFeatSingleMmap|ioringFeatNoDrop|ioringFeatExtArg) != ioringFeatSingleMmap|ioringFeatNoDrop|ioringFeatExtArg {
		return r, errRingUnsupported
	}
	// Kernels before 6.7 have io_uring but not multishot reads.
	var probe [16 + 256*8]byte
	if _, _, e := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), ioringRegisterProbe, uintptr(unsafe.Pointer(&probe[0])), 256, 0, 0); e != 0 {
		return r, fmt.Errorf("tun: io_uring probe: %w", e)
	}
	// struct io_uring_probe: last_op, then 8-byte ops {op, resv, flags}
	// from byte 16; flags bit 0 is IO_URING_OP_SUPPORTED.
	if probe[0] < ioringOpReadMultishot || probe[16+8*ioringOpReadMultishot+2]&1 == 0 {
		return r, errRingUnsupported
	}
	size := max(p.sqOff.array+4*p.sqEntries, p.cqOff.cqes+16*p.cqEntries)
	rings, err := r.mmap(r.fd, 0, int(size))
	if err != nil {
		return r, err
	}
	sqeMem, err := r.mmap(r.fd, ioringOffSQEs, int(p.sqEntries)*int(unsafe.Sizeof(uringSQE{})))
	if err != nil {
		return r, err
	}
	u32 := func(off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&rings[off])) }
	r.sqTail, r.sqMask = u32(p.sqOff.tail), *u32(p.sqOff.ringMask)
	r.sqes = unsafe.Slice((*uringSQE)(unsafe.Pointer(&sqeMem[0])), p.sqEntries)
	// The SQ array maps ring slots to SQEs: slot i is SQE i, for good.
	array := unsafe.Slice(u32(p.sqOff.array), p.sqEntries)
	for i := range array {
		array[i] = uint32(i)
	}
	r.cqHead, r.cqTail, r.cqMask = u32(p.cqOff.head), u32(p.cqOff.tail), *u32(p.cqOff.ringMask)
	r.cqes = unsafe.Slice((*uringCQE)(unsafe.Pointer(&rings[p.cqOff.cqes])), p.cqEntries)

	if r.bufRing, err = r.mmap(-1, 0, ringBufs*16); err != nil {
		return r, err
	}
	if r.bufs, err = r.mmap(-1, 0, ringBufs*ringBufLen); err != nil {
		return r, err
	}
	reg := bufReg{ringAddr: uint64(uintptr(unsafe.Pointer(&r.bufRing[0]))), ringEntries: ringBufs}
	if _, _, e := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), ioringRegisterPbufRing, uintptr(unsafe.Pointer(&reg)), 1, 0, 0); e != 0 {
		return r, fmt.Errorf("tun: io_uring provided buffer ring: %w", e)
	}
	for bid := range uint16(ringBufs) {
		r.recycle(bid)
	}
	return r, nil
}

// mmap maps size bytes of fd at off (fd -1: anonymous memory) and keeps
// the mapping for close.
func (r *ring) mmap(fd int, off int64, size int) ([]byte, error) {
	flags := unix.MAP_SHARED | unix.MAP_POPULATE
	if fd < 0 {
		flags = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS
	}
	b, err := unix.Mmap(fd, off, size, unix.PROT_READ|unix.PROT_WRITE, flags)
	if err != nil {
		return nil, fmt.Errorf("tun: io_uring mmap: %w", err)
	}
	r.mem = append(r.mem, b)
	return b, nil
}

// buf returns provided buffer bid.
func (r *ring) buf(bid uint16) []byte {
	at := int(bid) * ringBufLen
	return r.bufs[at : at+ringBufLen : at+ringBufLen]
}

// recycle gives buffer bid back to the kernel.
func (r *ring) recycle(bid uint16) {
	slot := r.bufTail & (ringBufs - 1)
	e := r.bufRing[16*int(slot):]
	binary.NativeEndian.PutUint64(e[0:], uint64(uintptr(unsafe.Pointer(&r.buf(bid)[0]))))
	binary.NativeEndian.PutUint32(e[8:], ringBufLen)
	binary.NativeEndian.PutUint16(e[12:], bid)
	if slot == 0 {
		r.bid0 = bid
	}
	r.bufTail++
	// The tail is a 16-bit field the kernel loads with acquire semantics;
	// store the 32-bit word it shares with the first entry's buffer id
	// (unchanged) so that the store is atomic and releases the entry.
	var w [4]byte
	binary.NativeEndian.PutUint16(w[0:], r.bid0)
	binary.NativeEndian.PutUint16(w[2:], r.bufTail)
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&r.bufRing[12])), binary.NativeEndian.Uint32(w[:]))
}

// arm queues the multishot read; the next enter submits it.
func (r *ring) arm() {
	tail := *r.sqTail
	r.sqes[tail&r.sqMask] = uringSQE{
		opcode:   ioringOpReadMultishot,
		flags:    iosqeBufferSelect,
		fd:       int32(r.devFD),
		userData: readTag,
	}
	atomic.StoreUint32(r.sqTail, tail+1)
	r.toSubmit++
	r.armed = true
	r.arms++
}

// next returns the next completion, if any.
func (r *ring) next() (uringCQE, bool) {
	head := *r.cqHead
	if head == atomic.LoadUint32(r.cqTail) {
		return uringCQE{}, false
	}
	c := r.cqes[head&r.cqMask]
	atomic.StoreUint32(r.cqHead, head+1)
	return c, true
}

// pending reports whether a completion waits to be taken.
func (r *ring) pending() bool { return *r.cqHead != atomic.LoadUint32(r.cqTail) }

// enter submits what is queued and waits up to wait for a completion,
// and for up to batch microseconds for up to half the buffers' worth. It
// returns nil, or ETIME if none came, EINTR, or the kernel's error.
//
// A raw wait keeps this goroutine's P, so that the runtime does not hand
// it to another thread while the kernel waits and take it back after:
// under a steady stream, where waits are short, that dance (the system
// monitor polling every 20 µs, idle threads woken and put back to sleep)
// cost more than the reads. Only short waits may be raw: the P is not
// free meanwhile, nor can the garbage collector stop this goroutine.
func (r *ring) enter(wait time.Duration, batch uint32, raw bool) error {
	r.ts = kernelTimespec{sec: int64(wait / time.Second), nsec: int64(wait % time.Second)}
	r.arg = getEventsArg{ts: uint64(uintptr(unsafe.Pointer(&r.ts))), minWaitUsec: batch}
	// Wait for one packet; with a batch time, for up to half the buffers
	// during it, then for one.
	minComplete := uintptr(1)
	if batch > 0 {
		minComplete = ringBufs / 2
	}
	call := unix.Syscall6 // tells the runtime, which may run others on the P
	if raw {
		call = unix.RawSyscall6
	}
	n, _, e := call(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(r.toSubmit), minComplete,
		ioringEnterGetEvents|ioringEnterExtArg, uintptr(unsafe.Pointer(&r.arg)), unsafe.Sizeof(r.arg))
	r.toSubmit -= min(uint32(n), r.toSubmit)
	if e != 0 {
		return e
	}
	return nil
}

// close cancels the read, so that the device's file is no longer held
// when close returns, and releases the ring.
func (r *ring) close() {
	if r.armed {
		reg := syncCancelReg{addr: readTag, fd: -1, timeout: kernelTimespec{sec: 1}}
		_, _, _ = unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), ioringRegisterSyncCancel, uintptr(unsafe.Pointer(&reg)), 1, 0, 0)
		r.armed = false
	}
	unix.Close(r.fd)
	for _, b := range r.mem {
		_ = unix.Munmap(b)
	}
	r.mem = nil
}

// readRing is Read's body for a device with a ring, under d.rmu: it takes
// the packets read so far, and if there are none waits for some.
func (d *Device) readRing() error {
	r := d.ring
	if !r.enabled {
		// The ring's one issuer is the thread that enables it: lock the
		// reading goroutine to it, for good.
		runtime.LockOSThread()
		if _, _, e := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), ioringRegisterEnableRings, 0, 0, 0, 0); e != 0 {
			runtime.UnlockOSThread()
			return fmt.Errorf("tun: enabling io_uring: %w", e)
		}
		r.enabled = true
	}
	for {
		for d.rn < len(d.rbufs) && d.pend == nil {
			c, ok := r.next()
			if !ok {
				break
			}
			d.ringCompletion(c)
		}
		if d.rn > 0 || d.rerr != nil {
			return nil
		}
		if d.closed.Load() {
			return ErrClosed
		}
		wait := ringWait
		if dl := d.rdeadline.Load(); dl != 0 {
			left := time.Duration(dl - time.Now().UnixNano())
			if left <= 0 {
				return os.ErrDeadlineExceeded
			}
			wait = min(wait, left)
		}
		if !r.armed {
			r.arm()
		}
		// A raw wait first, if another P can run the rest of the
		// program meanwhile; then, if nothing came, a blocking one.
		raw := !r.idle && runtime.GOMAXPROCS(0) > 1
		if raw {
			wait = min(wait, ringRawWait+time.Duration(r.batch)*time.Microsecond)
		}
		var start time.Time
		if raw && r.batch > 0 {
			start = time.Now()
		}
		err := r.enter(wait, r.batch, raw)
		// A signal cut a raw wait short (the runtime preempts a goroutine
		// that has kept its P for 10 ms): if packets came, wait out the
		// rest of the batch time for more.
		for err == unix.EINTR && !start.IsZero() && r.pending() {
			left := time.Duration(r.batch)*time.Microsecond - time.Since(start)
			if left < time.Microsecond {
				break
			}
			err = r.enter(left, uint32(left/time.Microsecond), raw)
		}
		r.idle = raw && err == unix.ETIME
		switch err {
		case nil, unix.ETIME, unix.EINTR:
		case unix.EEXIST:
			return ErrRingThread
		default:
			return fmt.Errorf("tun: io_uring_enter: %w", err)
		}
	}
}

// ringCompletion handles one completion of the multishot read.
func (d *Device) ringCompletion(c uringCQE) {
	r := d.ring
	if c.flags&ioringCQEFMore == 0 {
		r.armed = false // ended: armed again before the next wait
	}
	if c.res < 0 {
		// ENOBUFS: the buffers ran out, which only ends the read;
		// anything else is the device's error, reported like read(2)'s.
		if e := unix.Errno(-c.res); e != unix.ENOBUFS && d.rn == 0 {
			d.rerr = e
		}
		return
	}
	if c.flags&ioringCQEFBuffer == 0 {
		return
	}
	bid := uint16(c.flags >> ioringCQEBufferShift)
	data := r.buf(bid)[:min(int(c.res), ringBufLen)]
	if !d.vnet {
		d.rsizes[d.rn] = copy(d.rbufs[d.rn][d.roff:], data)
		d.rn++
		r.recycle(bid)
		return
	}
	if len(data) < VirtioNetHdrLen {
		r.recycle(bid)
		if d.rn == 0 {
			d.rerr = io.ErrUnexpectedEOF
		}
		return
	}
	var h VirtioNetHdr
	_ = h.Decode(data)
	pkt := data[VirtioNetHdrLen:]
	if h.GSOType == GSONone {
		dst := d.rbufs[d.rn][d.roff:]
		n := copy(dst, pkt)
		if n == len(pkt) {
			// A bad offset (which the kernel does not send) leaves the
			// packet as it came.
			_ = CompleteChecksum(dst[:n], h)
		}
		d.rsizes[d.rn] = n
		d.rn++
		r.recycle(bid)
		return
	}
	segs, err := Segments(pkt, h)
	if err != nil {
		r.recycle(bid)
		if d.rn == 0 {
			d.rerr = err
		}
		return
	}
	// Split from the ring's buffer, which drain gives back when done.
	d.pend, d.pendHdr, d.pendAt, d.pendN = pkt, h, 0, segs
	d.pendRing, d.pendBid = true, bid
	d.supers++
	d.drain()
}
