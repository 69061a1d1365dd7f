package netcfg

import "errors"

// Errors returned for requests the package refuses before asking the kernel.
var (
	// ErrNoLink reports that no interface has the given name.
	ErrNoLink = errors.New("netcfg: no such interface")
	// ErrBadPrefix reports an invalid prefix: the zero Prefix or an
	// IPv4-mapped IPv6 one.
	ErrBadPrefix = errors.New("netcfg: invalid prefix")
	// ErrFamilyMismatch reports a route whose gateway is not of the
	// destination's address family.
	ErrFamilyMismatch = errors.New("netcfg: gateway and destination families differ")
	// ErrAddrNotReady reports an IPv6 address that the kernel accepted but
	// did not start delivering to within AddrReadyTimeout.
	ErrAddrNotReady = errors.New("netcfg: address added but not ready")
	// ErrBadMTU reports an MTU outside [68, 65535] (RFC 791 minimum, the
	// largest IP packet).
	ErrBadMTU = errors.New("netcfg: MTU out of range")
	// ErrBadAddr reports an address RouteMTU cannot look a route up for: the
	// zero Addr or an IPv4-mapped IPv6 one, or a source of the other family.
	ErrBadAddr = errors.New("netcfg: invalid address")
)
