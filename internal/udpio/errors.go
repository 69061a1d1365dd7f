package udpio

import (
	"errors"
	"net"
)

var (
	// ErrClosed is returned by the methods of a closed Conn. It is
	// net.ErrClosed.
	ErrClosed = net.ErrClosed
	// ErrBadAddr reports an address that is not IPv4: a local address
	// given to Listen that is neither IPv4 nor the zero Addr, or a
	// destination given to WriteBatch that is not an IPv4 address (IPv6,
	// IPv4-mapped IPv6, the zero AddrPort, or a missing one).
	ErrBadAddr = errors.New("udpio: address is not IPv4")
)
