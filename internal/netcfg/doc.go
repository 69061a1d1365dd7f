// Package netcfg configures network interfaces over rtnetlink (RFC 3549),
// through github.com/vishvananda/netlink, instead of running ip(8): links up
// and down, MTU, addresses and routes, including the default IPv6 route
// through a tunnel and sit-style routes whose gateway is an IPv4-derived
// IPv6 address ("::192.0.2.1", marked on-link).
//
// A [Handle] is bound to one network namespace for its whole life: the one
// the calling thread was in when [New] ran, or the one named by the path
// given to [NewAt]. Its methods may then be called from any goroutine, so
// a program (or a test, with netns.NS.Path) can configure a namespace it is
// not in.
//
// Interfaces are named by their name, as ip(8) does; addresses and
// prefixes are netip values. Errors from the kernel wrap its errno
// (errors.Is(err, unix.EEXIST) for an address or route that exists
// already, unix.EADDRNOTAVAIL for a missing address, unix.ESRCH for a
// missing route).
package netcfg
