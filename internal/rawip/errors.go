package rawip

import (
	"errors"
	"net"
)

var (
	// ErrClosed is returned by the methods of a closed Conn. It is
	// net.ErrClosed.
	ErrClosed = net.ErrClosed
	// ErrNotIPv4 reports a buffer given to WriteBatch that does not start
	// with an IPv4 header (shorter than 20 bytes, or version not 4).
	ErrNotIPv4 = errors.New("rawip: not an IPv4 packet")
	// ErrBadAddr reports a local address that is neither IPv4 nor the zero
	// Addr.
	ErrBadAddr = errors.New("rawip: local address is not IPv4")
	// ErrBadProtocol reports a protocol number outside [1, 254].
	ErrBadProtocol = errors.New("rawip: protocol number out of range")
)
