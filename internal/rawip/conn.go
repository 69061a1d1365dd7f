package rawip

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// IdealBatchSize is the number of packets ReadBatch reads at most per call,
// and the number of buffers a caller should pass to ReadBatch and
// WriteBatch. WriteBatch takes longer batches in several system calls.
const IdealBatchSize = 128

// Conn is a raw IPv4 socket for one protocol. ReadBatch and WriteBatch may
// be called concurrently with each other; calls of the same method
// serialize.
type Conn struct {
	f      *os.File
	rc     syscall.RawConn
	proto  int
	local  netip.Addr
	closed atomic.Bool

	rmu    sync.Mutex
	rmsgs  []unix.Mmsghdr
	riovs  []unix.Iovec
	rn     int // messages prepared for the current read
	rgot   int
	rerr   error
	readFn func(fd uintptr) bool // c.doRead, bound once so ReadBatch does not allocate

	wmu     sync.Mutex
	wmsgs   []unix.Mmsghdr
	wiovs   []unix.Iovec
	wnames  []unix.RawSockaddrInet4
	wtotal  int // messages prepared for the current write
	wsent   int
	werr    error
	writeFn func(fd uintptr) bool // c.doWrite, bound once
}

// Listen opens a raw IPv4 socket for IP protocol proto (41 for IPv6 in
// IPv4) with IP_HDRINCL set, in the calling thread's network namespace. If
// local is a valid, specified IPv4 address, the socket is bound to it and
// receives only packets addressed to it; otherwise it receives the
// protocol's packets to every local address. It needs CAP_NET_RAW.
//
// While a raw socket for a protocol is open, the kernel no longer answers
// that protocol's packets with ICMP Protocol Unreachable.
func Listen(proto int, local netip.Addr) (*Conn, error) {
	fd, err := socket(proto, local)
	if err != nil {
		return nil, err
	}
	return newConn(fd, proto, local)
}

// socket makes the bound raw socket.
func socket(proto int, local netip.Addr) (int, error) {
	if proto < 1 || proto > 254 {
		return -1, ErrBadProtocol
	}
	if local.IsValid() && !local.Is4() {
		return -1, ErrBadAddr
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return -1, fmt.Errorf("rawip: socket(AF_INET, SOCK_RAW, %d): %w", proto, err)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_HDRINCL, 1); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("rawip: IP_HDRINCL: %w", err)
	}
	if local.IsValid() && !local.IsUnspecified() {
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: local.As4()}); err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("rawip: bind %v: %w", local, err)
		}
	}
	return fd, nil
}

// newConn wraps fd, which is non-blocking, with the runtime poller and the
// preallocated message arrays.
func newConn(fd, proto int, local netip.Addr) (*Conn, error) {
	c := &Conn{
		f:      os.NewFile(uintptr(fd), "rawip"),
		proto:  proto,
		local:  local,
		rmsgs:  make([]unix.Mmsghdr, IdealBatchSize),
		riovs:  make([]unix.Iovec, IdealBatchSize),
		wmsgs:  make([]unix.Mmsghdr, IdealBatchSize),
		wiovs:  make([]unix.Iovec, IdealBatchSize),
		wnames: make([]unix.RawSockaddrInet4, IdealBatchSize),
	}
	c.readFn = c.doRead
	c.writeFn = c.doWrite
	for i := range IdealBatchSize {
		c.rmsgs[i].Hdr.Iov = &c.riovs[i]
		c.rmsgs[i].Hdr.SetIovlen(1)
		c.wmsgs[i].Hdr.Iov = &c.wiovs[i]
		c.wmsgs[i].Hdr.SetIovlen(1)
		c.wnames[i].Family = unix.AF_INET
		c.wmsgs[i].Hdr.Name = (*byte)(unsafe.Pointer(&c.wnames[i]))
		c.wmsgs[i].Hdr.Namelen = unix.SizeofSockaddrInet4
	}
	var err error
	if c.rc, err = c.f.SyscallConn(); err != nil {
		c.f.Close()
		return nil, fmt.Errorf("rawip: %w", err)
	}
	return c, nil
}

// Protocol returns the IP protocol number the socket is for.
func (c *Conn) Protocol() int { return c.proto }

// Local returns the address given to Listen (the zero Addr if none).
func (c *Conn) Local() netip.Addr { return c.local }

// BatchSize returns IdealBatchSize.
func (c *Conn) BatchSize() int { return IdealBatchSize }

// SetReadDeadline sets the time after which a blocked ReadBatch returns
// os.ErrDeadlineExceeded; the zero time means none.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.f.SetReadDeadline(t) }

// Close closes the socket and wakes a blocked ReadBatch, which returns
// ErrClosed.
func (c *Conn) Close() error {
	if c.closed.Swap(true) {
		return ErrClosed
	}
	return c.f.Close()
}

// SetReadBuffer sets the socket's receive buffer to bytes (SO_RCVBUF),
// beyond net.core.rmem_max where the process may (SO_RCVBUFFORCE, with
// CAP_NET_ADMIN). The kernel doubles the value for its bookkeeping.
func (c *Conn) SetReadBuffer(bytes int) error {
	return c.setBuffer(unix.SO_RCVBUFFORCE, unix.SO_RCVBUF, bytes)
}

// SetWriteBuffer sets the socket's send buffer, as SetReadBuffer does
// (SO_SNDBUFFORCE, else SO_SNDBUF).
func (c *Conn) SetWriteBuffer(bytes int) error {
	return c.setBuffer(unix.SO_SNDBUFFORCE, unix.SO_SNDBUF, bytes)
}

func (c *Conn) setBuffer(force, plain, bytes int) error {
	var serr error
	err := c.rc.Control(func(fd uintptr) {
		if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, force, bytes); serr != nil {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, plain, bytes)
		}
	})
	if err != nil {
		return c.mapErr(err)
	}
	if serr != nil {
		return fmt.Errorf("rawip: socket buffer: %w", serr)
	}
	return nil
}

// ReadBuffer returns the socket's receive buffer size as the kernel reports
// it (twice what was set).
func (c *Conn) ReadBuffer() (int, error) { return c.buffer(unix.SO_RCVBUF) }

// WriteBuffer returns the socket's send buffer size as the kernel reports
// it.
func (c *Conn) WriteBuffer() (int, error) { return c.buffer(unix.SO_SNDBUF) }

func (c *Conn) buffer(opt int) (int, error) {
	var v int
	var gerr error
	if err := c.rc.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, opt) }); err != nil {
		return 0, c.mapErr(err)
	}
	return v, gerr
}

// mapErr turns the poller's errors into the exported ones.
func (c *Conn) mapErr(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return os.ErrDeadlineExceeded
	}
	if c.closed.Load() {
		return ErrClosed
	}
	return err
}

// ReadBatch reads IPv4 packets, header included, into bufs[i][offset:] and
// their lengths into sizes[i], and returns how many it read: it waits for
// the first, then takes what is queued already, up to min(len(bufs),
// len(sizes), IdealBatchSize), in one recvmmsg(2). A packet longer than its
// buffer is cut to it (its IPv4 Total Length then exceeds its size).
// bufs[i][:offset] is not touched.
//
// It returns io.ErrShortBuffer if offset is not inside every buffer,
// ErrClosed after Close, os.ErrDeadlineExceeded after the read deadline, and
// otherwise the kernel's errno, which is transient (an ICMP error the
// kernel reports on the socket): the caller reads again. It does not
// allocate.
func (c *Conn) ReadBatch(bufs [][]byte, sizes []int, offset int) (int, error) {
	n := min(len(bufs), len(sizes), IdealBatchSize)
	if n == 0 {
		return 0, nil
	}
	if offset < 0 {
		return 0, io.ErrShortBuffer
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for i, b := range bufs[:n] {
		if offset >= len(b) {
			return 0, io.ErrShortBuffer
		}
		c.riovs[i].Base = &b[offset]
		c.riovs[i].SetLen(len(b) - offset)
	}
	c.rn, c.rgot, c.rerr = n, 0, nil
	if err := c.rc.Read(c.readFn); err != nil {
		return 0, c.mapErr(err)
	}
	if c.rerr != nil {
		return 0, c.rerr
	}
	for i := range c.rgot {
		sizes[i] = int(c.rmsgs[i].Len)
	}
	return c.rgot, nil
}

// doRead makes one recvmmsg call; it returns false to wait for a packet.
func (c *Conn) doRead(fd uintptr) bool {
	for {
		// Raw: the descriptor is non-blocking, so the call never waits, and
		// the scheduler need not hand this P to another thread around it.
		r, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&c.rmsgs[0])), uintptr(c.rn), unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0:
			c.rgot = int(r)
			return true
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			c.rerr = e
			return true
		}
	}
}

// WriteBatch sends the IPv4 packets bufs[i][offset:], each to the
// destination in its own header, in as few sendmmsg(2) calls as it can,
// and returns how many were sent. On an error it stops: n packets were sent
// and bufs[n] was refused with the returned error, which is ErrNotIPv4,
// io.ErrShortBuffer (offset beyond the buffer), ErrClosed, or the kernel's
// errno for that packet (EMSGSIZE for one longer than the MTU, ENETUNREACH,
// EPERM from a firewall, ...), so the caller may drop bufs[n] and go on
// with bufs[n+1:]. It does not allocate.
func (c *Conn) WriteBatch(bufs [][]byte, offset int) (int, error) {
	if offset < 0 {
		return 0, io.ErrShortBuffer
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	sent := 0
	for sent < len(bufs) {
		chunk := bufs[sent:min(len(bufs), sent+IdealBatchSize)]
		k, perr := c.prepare(chunk, offset)
		if k > 0 {
			c.wtotal, c.wsent, c.werr = k, 0, nil
			err := c.rc.Write(c.writeFn)
			sent += c.wsent
			if err != nil {
				return sent, c.mapErr(err)
			}
			if c.werr != nil {
				return sent, c.werr
			}
		}
		if perr != nil {
			return sent, perr
		}
	}
	return sent, nil
}

// prepare fills the write messages for chunk and returns how many packets
// are ready, with the error that stopped it before the end of chunk.
func (c *Conn) prepare(chunk [][]byte, offset int) (int, error) {
	for i, b := range chunk {
		if offset > len(b) {
			return i, io.ErrShortBuffer
		}
		p := b[offset:]
		if len(p) < 20 || p[0]>>4 != 4 {
			return i, ErrNotIPv4
		}
		c.wnames[i].Addr = [4]byte(p[16:20])
		c.wiovs[i].Base = &p[0]
		c.wiovs[i].SetLen(len(p))
	}
	return len(chunk), nil
}

// doWrite sends the prepared messages, returning false to wait while the
// socket's buffer is full.
func (c *Conn) doWrite(fd uintptr) bool {
	for c.wsent < c.wtotal {
		// Raw: the descriptor is non-blocking, so the call never waits, and
		// the scheduler need not hand this P to another thread around it.
		r, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&c.wmsgs[c.wsent])), uintptr(c.wtotal-c.wsent), 0, 0, 0)
		switch e {
		case 0:
			c.wsent += int(r)
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			c.werr = e
			return true
		}
	}
	return true
}
