package udpio

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

// IdealBatchSize is the number of datagrams ReadBatch reads at most per
// call, and the number of buffers a caller should pass to ReadBatch and
// WriteBatch. WriteBatch takes longer batches in several system calls.
const IdealBatchSize = 128

// MaxPayload is the largest UDP payload over IPv4: the 65535 bytes of an
// IPv4 Total Length less a 20-byte IPv4 header and the 8-byte UDP header
// (RFC 791 §3.1, RFC 768). WriteBatch gets EMSGSIZE for a longer one.
const MaxPayload = 65535 - 20 - 8

// maxSegments is the most datagrams WriteBatch coalesces into one
// UDP_SEGMENT send: UDP_MAX_SEGMENTS, 64 until Linux 6.13 raised it to 128.
const maxSegments = 64

// segCmsgSpace is the room for one UDP_SEGMENT control message (a uint16).
var segCmsgSpace = unix.CmsgSpace(2)

// ListenConfig holds the options of a Conn. The zero ListenConfig listens
// on a random port of every local address, with the kernel's buffer sizes
// and no offloads.
type ListenConfig struct {
	// Local is the IPv4 address and port to bind. The zero Addr (or
	// 0.0.0.0) binds every local address; port 0 a random free port.
	Local netip.AddrPort
	// RecvBuffer and SendBuffer, when positive, set the socket's buffers
	// as SetReadBuffer and SetWriteBuffer do.
	RecvBuffer, SendBuffer int
	// GSO makes WriteBatch send runs of datagrams to one destination as
	// one UDP_SEGMENT (generic segmentation offload) super-datagram,
	// where the kernel offers it (Linux 4.18). See the package
	// documentation.
	GSO bool
	// GRO makes the kernel coalesce datagrams of one flow (UDP_GRO,
	// Linux 5.0), which ReadBatch splits again, where the kernel offers
	// it. It costs 1 MiB of buffers and a copy per datagram. See the
	// package documentation.
	GRO bool
}

// Conn is a UDP socket over IPv4 with batched reads and writes. ReadBatch
// and WriteBatch may be called concurrently with each other; calls of the
// same method serialize.
type Conn struct {
	f      *os.File
	rc     syscall.RawConn
	local  netip.AddrPort
	closed atomic.Bool
	gso    atomic.Bool // UDP_SEGMENT in use; cleared if the route refuses it

	rmu    sync.Mutex
	rmsgs  []unix.Mmsghdr
	riovs  []unix.Iovec
	rnames []unix.RawSockaddrInet4
	rn     int // messages prepared for the current read
	rgot   int
	rerr   error
	readFn func(fd uintptr) bool // c.doRead, bound once so ReadBatch does not allocate
	gro    *groState             // nil unless UDP_GRO is on

	wmu     sync.Mutex
	wmsgs   []unix.Mmsghdr
	wiovs   []unix.Iovec // one per datagram; a coalesced message takes a run
	wnames  []unix.RawSockaddrInet4
	wctl    []byte // one UDP_SEGMENT control message per message
	wstart  []int  // index of each message's first datagram, then the total
	wtotal  int    // messages prepared for the current write
	wsent   int
	werr    error
	writeFn func(fd uintptr) bool // c.doWrite, bound once
}

// Listen opens a UDP socket over IPv4 bound to local (see
// ListenConfig.Local), in the calling thread's network namespace, with
// no offloads. It returns ErrBadAddr if local's address is not IPv4.
func Listen(local netip.AddrPort) (*Conn, error) {
	return ListenConfig{Local: local}.Listen()
}

// Listen opens a UDP socket over IPv4 with the options of lc, in the
// calling thread's network namespace. It returns ErrBadAddr if lc.Local's
// address is neither IPv4 nor the zero Addr.
func (lc ListenConfig) Listen() (*Conn, error) {
	a := lc.Local.Addr()
	if a.IsValid() && !a.Is4() {
		return nil, ErrBadAddr
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return nil, fmt.Errorf("udpio: socket(AF_INET, SOCK_DGRAM): %w", err)
	}
	c, err := lc.setup(fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	c.f = os.NewFile(uintptr(fd), "udpio") // owns fd from here
	if c.rc, err = c.f.SyscallConn(); err != nil {
		c.f.Close()
		return nil, fmt.Errorf("udpio: %w", err)
	}
	return c, nil
}

// setup binds fd, sets its options and makes the Conn, without its File.
func (lc ListenConfig) setup(fd int) (*Conn, error) {
	sa := &unix.SockaddrInet4{Port: int(lc.Local.Port())}
	if lc.Local.Addr().IsValid() {
		sa.Addr = lc.Local.Addr().As4()
	}
	if err := unix.Bind(fd, sa); err != nil {
		return nil, fmt.Errorf("udpio: bind %v: %w", lc.Local, err)
	}
	if lc.RecvBuffer > 0 {
		if err := setBuffer(fd, unix.SO_RCVBUFFORCE, unix.SO_RCVBUF, lc.RecvBuffer); err != nil {
			return nil, err
		}
	}
	if lc.SendBuffer > 0 {
		if err := setBuffer(fd, unix.SO_SNDBUFFORCE, unix.SO_SNDBUF, lc.SendBuffer); err != nil {
			return nil, err
		}
	}
	bound, err := unix.Getsockname(fd)
	if err != nil {
		return nil, fmt.Errorf("udpio: getsockname: %w", err)
	}
	sa4, ok := bound.(*unix.SockaddrInet4)
	if !ok {
		return nil, fmt.Errorf("udpio: getsockname: %w", ErrBadAddr)
	}
	c := newConn(netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), uint16(sa4.Port)))
	// The kernel has UDP_SEGMENT if it can report it; UDP_GRO if it takes it.
	if lc.GSO {
		_, err := unix.GetsockoptInt(fd, unix.IPPROTO_UDP, unix.UDP_SEGMENT)
		c.gso.Store(err == nil)
	}
	if lc.GRO && unix.SetsockoptInt(fd, unix.IPPROTO_UDP, unix.UDP_GRO, 1) == nil {
		c.initGRO()
	}
	return c, nil
}

// newConn allocates a Conn's message arrays, once for its lifetime.
func newConn(local netip.AddrPort) *Conn {
	c := &Conn{
		local:  local,
		rmsgs:  make([]unix.Mmsghdr, IdealBatchSize),
		riovs:  make([]unix.Iovec, IdealBatchSize),
		rnames: make([]unix.RawSockaddrInet4, IdealBatchSize),
		wmsgs:  make([]unix.Mmsghdr, IdealBatchSize),
		wiovs:  make([]unix.Iovec, IdealBatchSize),
		wnames: make([]unix.RawSockaddrInet4, IdealBatchSize),
		wctl:   make([]byte, IdealBatchSize*segCmsgSpace),
		wstart: make([]int, IdealBatchSize+1),
	}
	c.readFn = c.doRead
	c.writeFn = c.doWrite
	for i := range IdealBatchSize {
		c.rmsgs[i].Hdr.Iov = &c.riovs[i]
		c.rmsgs[i].Hdr.SetIovlen(1)
		c.rmsgs[i].Hdr.Name = (*byte)(unsafe.Pointer(&c.rnames[i]))
		c.wnames[i].Family = unix.AF_INET
		c.wmsgs[i].Hdr.Name = (*byte)(unsafe.Pointer(&c.wnames[i]))
		c.wmsgs[i].Hdr.Namelen = unix.SizeofSockaddrInet4
		h := (*unix.Cmsghdr)(unsafe.Pointer(&c.wctl[i*segCmsgSpace]))
		h.Level = unix.IPPROTO_UDP
		h.Type = unix.UDP_SEGMENT
		h.SetLen(unix.CmsgLen(2))
	}
	return c
}

// LocalAddr returns the address and port the socket is bound to; the
// port is the one the kernel chose if Listen was given port 0.
func (c *Conn) LocalAddr() netip.AddrPort { return c.local }

// BatchSize returns IdealBatchSize.
func (c *Conn) BatchSize() int { return IdealBatchSize }

// GSO reports whether WriteBatch coalesces datagrams with UDP_SEGMENT:
// ListenConfig.GSO was set, the kernel offers it, and no route has
// refused it (EIO: the device cannot checksum it) since.
func (c *Conn) GSO() bool { return c.gso.Load() }

// GRO reports whether the socket has UDP_GRO on: ListenConfig.GRO was
// set and the kernel offers it.
func (c *Conn) GRO() bool { return c.gro != nil }

// SetReadDeadline sets the time after which a blocked ReadBatch returns
// os.ErrDeadlineExceeded; the zero time means none.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.f.SetReadDeadline(t) }

// SetWriteDeadline sets the time after which a WriteBatch blocked on a
// full send buffer returns os.ErrDeadlineExceeded; the zero time means
// none.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.f.SetWriteDeadline(t) }

// Close closes the socket and wakes a blocked ReadBatch or WriteBatch,
// which returns ErrClosed. Closing twice returns ErrClosed.
func (c *Conn) Close() error {
	if c.closed.Swap(true) {
		return ErrClosed
	}
	return c.f.Close()
}

// SetReadBuffer sets the socket's receive buffer to bytes (SO_RCVBUF),
// beyond net.core.rmem_max where the process may (SO_RCVBUFFORCE, with
// CAP_NET_ADMIN). The kernel doubles the value for its bookkeeping
// (socket(7)).
func (c *Conn) SetReadBuffer(bytes int) error {
	return c.control(func(fd int) error { return setBuffer(fd, unix.SO_RCVBUFFORCE, unix.SO_RCVBUF, bytes) })
}

// SetWriteBuffer sets the socket's send buffer, as SetReadBuffer does
// (SO_SNDBUFFORCE, else SO_SNDBUF).
func (c *Conn) SetWriteBuffer(bytes int) error {
	return c.control(func(fd int) error { return setBuffer(fd, unix.SO_SNDBUFFORCE, unix.SO_SNDBUF, bytes) })
}

func setBuffer(fd, force, plain, bytes int) error {
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, force, bytes) == nil {
		return nil
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, plain, bytes); err != nil {
		return fmt.Errorf("udpio: socket buffer: %w", err)
	}
	return nil
}

// ReadBuffer returns the socket's receive buffer size as the kernel
// reports it (twice what was set).
func (c *Conn) ReadBuffer() (int, error) { return c.buffer(unix.SO_RCVBUF) }

// WriteBuffer returns the socket's send buffer size as the kernel reports
// it.
func (c *Conn) WriteBuffer() (int, error) { return c.buffer(unix.SO_SNDBUF) }

func (c *Conn) buffer(opt int) (int, error) {
	var v int
	err := c.control(func(fd int) (err error) {
		v, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, opt)
		return err
	})
	return v, err
}

// SetMulticastInterface makes the datagrams the socket sends to multicast
// groups leave through the interface that has the IPv4 address local
// (IP_MULTICAST_IF), with a TTL of 1 (the link: IP_MULTICAST_TTL). Teredo's
// local discovery sends to 224.0.0.253 this way (RFC 4380 §5.2.8). It
// returns ErrBadAddr if local is not IPv4.
func (c *Conn) SetMulticastInterface(local netip.Addr) error {
	local = local.Unmap()
	if !local.Is4() {
		return ErrBadAddr
	}
	return c.control(func(fd int) error {
		if err := unix.SetsockoptInet4Addr(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, local.As4()); err != nil {
			return err
		}
		return unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, 1)
	})
}

// control runs fn on the socket's descriptor.
func (c *Conn) control(fn func(fd int) error) error {
	var ferr error
	if err := c.rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return c.mapErr(err)
	}
	return ferr
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

// ReadBatch reads UDP datagrams into bufs[i][offset:], their payload
// lengths into sizes[i] and their sources into from[i], and returns how
// many it read: it waits for the first, then takes what is queued
// already, up to min(len(bufs), len(sizes), len(from), IdealBatchSize),
// in one recvmmsg(2). A datagram longer than its buffer is cut to it.
// bufs[i][:offset] is not touched, nor is anything past the n datagrams
// read. With GRO on, datagrams the kernel coalesced beyond the caller's
// batch stay in the Conn and come first in the next call, which then
// does not wait.
//
// It returns io.ErrShortBuffer if offset is not inside every buffer,
// ErrClosed after Close, os.ErrDeadlineExceeded after the read deadline,
// and otherwise the kernel's errno, which is transient: the caller reads
// again. It does not allocate.
func (c *Conn) ReadBatch(bufs [][]byte, sizes []int, from []netip.AddrPort, offset int) (int, error) {
	n := min(len(bufs), len(sizes), len(from), IdealBatchSize)
	if n == 0 {
		return 0, nil
	}
	if offset < 0 {
		return 0, io.ErrShortBuffer
	}
	for _, b := range bufs[:n] {
		if offset >= len(b) {
			return 0, io.ErrShortBuffer
		}
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.gro != nil {
		return c.readGRO(bufs[:n], sizes, from, offset)
	}
	for i, b := range bufs[:n] {
		c.riovs[i].Base = &b[offset]
		c.riovs[i].SetLen(len(b) - offset)
		c.rmsgs[i].Hdr.Namelen = unix.SizeofSockaddrInet4
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
		from[i] = addrPort(&c.rnames[i])
	}
	return c.rgot, nil
}

// doRead makes one recvmmsg call; it returns false to wait for a datagram.
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

// WriteBatch sends the UDP datagrams bufs[i][offset:], each to to[i], in
// as few sendmmsg(2) calls as it can, and returns how many were sent. On
// an error it stops: n datagrams were sent and bufs[n] was refused with
// the returned error, which is ErrBadAddr (to[n] is not IPv4, or to is
// shorter than bufs), io.ErrShortBuffer (offset beyond bufs[n]),
// ErrClosed, os.ErrDeadlineExceeded (send buffer full past the write
// deadline), or the kernel's errno for that datagram (EMSGSIZE for one
// longer than MaxPayload, EINVAL for port 0, ENETUNREACH, EPERM from a
// firewall, ...). Nothing after bufs[n] was sent, so the caller drops
// bufs[n] and calls again with bufs[n+1:] and to[n+1:]: one bad datagram
// costs its own delivery only.
//
// With GSO, runs of datagrams to one destination go out as one
// super-datagram; if the kernel refuses one, WriteBatch sends that run
// again one datagram per message, so the error still names one datagram.
// It does not allocate.
func (c *Conn) WriteBatch(bufs [][]byte, to []netip.AddrPort, offset int) (int, error) {
	if len(bufs) == 0 {
		return 0, nil
	}
	if offset < 0 {
		return 0, io.ErrShortBuffer
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	sent := 0
	plain := 0 // datagrams from bufs[sent] on that must not be coalesced
	for sent < len(bufs) {
		end := min(len(bufs), sent+IdealBatchSize)
		k, m, perr := c.prepare(bufs[sent:end], to[min(sent, len(to)):min(end, len(to))], offset, plain)
		if m > 0 {
			c.wtotal, c.wsent, c.werr = m, 0, nil
			err := c.rc.Write(c.writeFn)
			done := c.wstart[c.wsent]
			if err != nil {
				return sent + done, c.mapErr(err)
			}
			if c.werr != nil {
				run := c.wstart[c.wsent+1] - done
				if run == 1 {
					return sent + done, c.werr
				}
				// A super-datagram was refused: send its datagrams
				// one by one, to deliver them or find the bad one.
				if c.werr == unix.EIO {
					c.gso.Store(false) // no checksum offload on the route's device
				}
				sent += done
				plain = run
				continue
			}
		}
		sent += k
		plain = max(0, plain-k)
		if perr != nil {
			return sent, perr
		}
	}
	return sent, nil
}

// prepare fills the write messages for chunk, coalescing runs if GSO is
// on (except the first plain datagrams), and returns how many datagrams
// and messages are ready, with the error that stopped it before the end
// of chunk. to may be shorter than chunk.
func (c *Conn) prepare(chunk [][]byte, to []netip.AddrPort, offset, plain int) (k, m int, err error) {
	gso := c.gso.Load()
	i := 0
	for i < len(chunk) {
		if offset > len(chunk[i]) {
			err = io.ErrShortBuffer
			break
		}
		if i >= len(to) || !to[i].Addr().Is4() {
			err = ErrBadAddr
			break
		}
		dst, p := to[i], chunk[i][offset:]
		c.wstart[m] = i
		c.wnames[m].Addr = dst.Addr().As4()
		setPort(&c.wnames[m], dst.Port())
		setIov(&c.wiovs[i], p)
		seg, total := len(p), len(p)
		j := i + 1
		if gso && i >= plain && seg > 0 {
			// Follow with datagrams to dst of seg bytes, the last
			// perhaps shorter, as UDP_SEGMENT allows.
			for j < len(chunk) && j < len(to) && j-i < maxSegments && to[j] == dst && offset <= len(chunk[j]) {
				q := chunk[j][offset:]
				if len(q) == 0 || len(q) > seg || total+len(q) > MaxPayload {
					break
				}
				setIov(&c.wiovs[j], q)
				total += len(q)
				j++
				if len(q) < seg {
					break
				}
			}
		}
		h := &c.wmsgs[m].Hdr
		h.Iov = &c.wiovs[i]
		h.SetIovlen(j - i)
		if j-i > 1 {
			ctl := c.wctl[m*segCmsgSpace : (m+1)*segCmsgSpace]
			*(*uint16)(unsafe.Pointer(&ctl[unix.SizeofCmsghdr])) = uint16(seg)
			h.Control = &ctl[0]
			h.SetControllen(segCmsgSpace)
		} else {
			h.Control = nil
			h.SetControllen(0)
		}
		m++
		i = j
	}
	c.wstart[m] = i
	return i, m, err
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

// setIov points v at p; an empty p gives an empty iovec.
func setIov(v *unix.Iovec, p []byte) {
	if len(p) == 0 {
		v.Base = nil
	} else {
		v.Base = &p[0]
	}
	v.SetLen(len(p))
}

// addrPort returns the address in sa, whose port is in network byte
// order. It does not allocate.
func addrPort(sa *unix.RawSockaddrInet4) netip.AddrPort {
	p := (*[2]byte)(unsafe.Pointer(&sa.Port))
	return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(p[0])<<8|uint16(p[1]))
}

// setPort stores port in sa in network byte order.
func setPort(sa *unix.RawSockaddrInet4, port uint16) {
	p := (*[2]byte)(unsafe.Pointer(&sa.Port))
	p[0], p[1] = byte(port>>8), byte(port)
}
