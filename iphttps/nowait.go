package iphttps

import (
	"net"
	"sync/atomic"
	"syscall"
)

// A Reader that has just returned packets can often return more at once:
// the server (or client) sends a stream of TLS records, and by the time the
// packets of one record have been handed on, the next records have
// arrived. A *tls.Conn returns one record per Read, and a Read that finds
// nothing waits; so, to make its batches as large as what has arrived
// (fewer, larger writes to a TUN device, whose offloads then coalesce more),
// the Reader reads again "without waiting": noWaitConn, under the TLS
// layer, turns those reads into single non-blocking reads of the socket,
// and answers errWouldBlock when the socket has nothing. crypto/tls keeps a
// connection usable after an error whose Temporary method reports true, and
// keeps a partly received record for the next Read; the Reader treats
// errWouldBlock as "nothing more for now".

// errWouldBlock is what a noWaitConn in no-wait mode returns when nothing
// has arrived. It is a net.Error with Timeout and Temporary true.
var errWouldBlock net.Error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "iphttps: read would block" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

// noWaitConn is a net.Conn whose reads, while noWait is set, do not wait:
// they return what the socket holds, or errWouldBlock. Connections without
// a file descriptor (a net.Pipe, say) return errWouldBlock at once in that
// mode, which only turns the optimisation off.
type noWaitConn struct {
	net.Conn
	rc     syscall.RawConn // c's descriptor; nil if it has none
	noWait atomic.Bool

	// The state of readNow, in the Conn so that its callback, built once,
	// does not allocate. Only one Read runs at a time (the Reader's).
	p      []byte
	n      int
	errno  error
	readFn func(fd uintptr) bool
}

// newNoWaitConn wraps c.
func newNoWaitConn(c net.Conn) *noWaitConn {
	nc := &noWaitConn{Conn: c}
	if sc, ok := c.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			nc.rc = rc
		}
	}
	return nc
}

// setNoWait switches the mode; it is the Reader's noWait hook.
func (c *noWaitConn) setNoWait(on bool) { c.noWait.Store(on) }

// Read reads from the connection, without waiting in no-wait mode.
func (c *noWaitConn) Read(p []byte) (int, error) {
	if !c.noWait.Load() {
		return c.Conn.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if c.rc == nil {
		return 0, errWouldBlock
	}
	return c.readNow(p)
}
