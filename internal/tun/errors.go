package tun

import (
	"errors"
	"os"
)

var (
	// ErrClosed is returned by methods of a closed Device. It is
	// os.ErrClosed, so errors.Is(err, os.ErrClosed) works too.
	ErrClosed = os.ErrClosed
	// ErrBadMTU reports an MTU outside [MinMTU, MaxMTU].
	ErrBadMTU = errors.New("tun: MTU out of range")
	// ErrNameTooLong reports an interface name longer than 15 bytes
	// (IFNAMSIZ-1).
	ErrNameTooLong = errors.New("tun: interface name too long")
)
