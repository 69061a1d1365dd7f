//go:build unix

package iphttps

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// readNow makes one non-blocking read(2) of the socket (its descriptor is
// non-blocking already, as Go keeps every network descriptor). It does not
// allocate unless the read fails.
func (c *noWaitConn) readNow(p []byte) (int, error) {
	if c.readFn == nil {
		c.readFn = func(fd uintptr) bool {
			c.n, c.errno = syscall.Read(int(fd), c.p)
			return true // one attempt: never wait for readiness
		}
	}
	c.p = p
	err := c.rc.Read(c.readFn)
	n, errno := c.n, c.errno
	c.p, c.errno = nil, nil
	switch {
	case err != nil:
		return 0, err
	case errors.Is(errno, syscall.EAGAIN) || errors.Is(errno, syscall.EINTR):
		return 0, errWouldBlock
	case errno != nil:
		return 0, &net.OpError{Op: "read", Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.NewSyscallError("read", errno)}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}
