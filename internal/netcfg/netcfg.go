package netcfg

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	nlns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Handle is an rtnetlink connection to one network namespace. The zero
// Handle is not valid; use New or NewAt.
type Handle struct {
	h *netlink.Handle
}

// New returns a Handle for the network namespace of the calling thread.
// Callers that have moved a locked thread into another namespace get that
// namespace.
func New() (*Handle, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netcfg: %w", err)
	}
	return &Handle{h: h}, nil
}

// NewAt returns a Handle for the network namespace bound at path (such as
// /var/run/netns/NAME or /proc/PID/ns/net), without the calling thread ever
// entering it.
func NewAt(path string) (*Handle, error) {
	ns, err := nlns.GetFromPath(path)
	if err != nil {
		return nil, fmt.Errorf("netcfg: %w", err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netcfg: %w", err)
	}
	return &Handle{h: h}, nil
}

// Close releases the Handle's netlink sockets.
func (c *Handle) Close() error {
	c.h.Close()
	return nil
}

// link looks an interface up by name.
func (c *Handle) link(name string) (netlink.Link, error) {
	l, err := c.h.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil, fmt.Errorf("%w: %s", ErrNoLink, name)
		}
		return nil, fmt.Errorf("netcfg: link %s: %w", name, err)
	}
	return l, nil
}

// Index returns the interface index of the named interface.
func (c *Handle) Index(name string) (int, error) {
	l, err := c.link(name)
	if err != nil {
		return 0, err
	}
	return l.Attrs().Index, nil
}

// SetUp brings the named interface up (IFF_UP).
func (c *Handle) SetUp(name string) error {
	return c.onLink(name, "up", c.h.LinkSetUp)
}

// SetDown takes the named interface down.
func (c *Handle) SetDown(name string) error {
	return c.onLink(name, "down", c.h.LinkSetDown)
}

// IsUp reports whether the named interface is administratively up.
func (c *Handle) IsUp(name string) (bool, error) {
	l, err := c.link(name)
	if err != nil {
		return false, err
	}
	return l.Attrs().Flags&net.FlagUp != 0, nil
}

// DelLink deletes the named interface.
func (c *Handle) DelLink(name string) error {
	return c.onLink(name, "delete", c.h.LinkDel)
}

func (c *Handle) onLink(name, what string, f func(netlink.Link) error) error {
	l, err := c.link(name)
	if err != nil {
		return err
	}
	if err := f(l); err != nil {
		return fmt.Errorf("netcfg: %s %s: %w", what, name, err)
	}
	return nil
}

// SetMTU sets the MTU of the named interface. The kernel removes IPv6 from
// an interface whose MTU drops below 1280 (RFC 8200 §5).
func (c *Handle) SetMTU(name string, mtu int) error {
	if mtu < 68 || mtu > 65535 {
		return ErrBadMTU
	}
	return c.onLink(name, "set MTU of", func(l netlink.Link) error { return c.h.LinkSetMTU(l, mtu) })
}

// MTU returns the MTU of the named interface.
func (c *Handle) MTU(name string) (int, error) {
	l, err := c.link(name)
	if err != nil {
		return 0, err
	}
	return l.Attrs().MTU, nil
}

// ipNet converts a prefix for netlink, keeping the address's host bits
// (an interface address 2001:db8::1/64 is not its network).
func ipNet(p netip.Prefix) (*net.IPNet, error) {
	if !p.IsValid() || p.Addr().Is4In6() {
		return nil, ErrBadPrefix
	}
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}, nil
}

// AddrReadyTimeout bounds how long AddAddr waits for an IPv6 address to
// become usable.
const AddrReadyTimeout = 2 * time.Second

// AddAddr adds address p (address and prefix length, "2002:c000:201::1/16")
// to the named interface, with the kernel's on-link route for the prefix.
// IPv6 addresses are added with IFA_F_NODAD: transit6 adds them to tunnel
// interfaces, where Duplicate Address Detection (RFC 4862 §5.4) has no
// neighbours to ask, as Linux's sit does.
//
// Even without DAD, Linux finishes adding an IPv6 address on a work queue:
// for a moment after the request returns, packets to the address are
// dropped (Ip6InAddrErrors). AddAddr waits until the kernel routes the
// address as local, and returns ErrAddrNotReady if that takes longer than
// AddrReadyTimeout (the address stays configured). On an interface that is
// not up and running the kernel waits for the link, and so AddAddr does not.
func (c *Handle) AddAddr(name string, p netip.Prefix) error {
	l, err := c.addr(name, p, "add", c.h.AddrAdd)
	if err != nil {
		return err
	}
	// IPv4 addresses are ready when the request returns.
	const upAndRunning = net.FlagUp | net.FlagRunning
	if !p.Addr().Is6() || l.Attrs().Flags&upAndRunning != upAndRunning {
		return nil
	}
	ip := p.Addr().AsSlice()
	for start := time.Now(); time.Since(start) < AddrReadyTimeout; time.Sleep(time.Millisecond) {
		rs, err := c.h.RouteGet(ip)
		if err == nil && len(rs) > 0 && rs[0].Type == unix.RTN_LOCAL {
			return nil
		}
	}
	return fmt.Errorf("%w: %s on %s", ErrAddrNotReady, p, name)
}

// DelAddr removes address p from the named interface.
func (c *Handle) DelAddr(name string, p netip.Prefix) error {
	_, err := c.addr(name, p, "delete", c.h.AddrDel)
	return err
}

func (c *Handle) addr(name string, p netip.Prefix, what string, f func(netlink.Link, *netlink.Addr) error) (netlink.Link, error) {
	n, err := ipNet(p)
	if err != nil {
		return nil, err
	}
	l, err := c.link(name)
	if err != nil {
		return nil, err
	}
	a := &netlink.Addr{IPNet: n}
	if p.Addr().Is6() {
		a.Flags = unix.IFA_F_NODAD
	}
	if err := f(l, a); err != nil {
		return nil, fmt.Errorf("netcfg: %s address %s on %s: %w", what, p, name, err)
	}
	return l, nil
}

// Addrs returns the addresses of the named interface, IPv4 and IPv6,
// link-local ones included.
func (c *Handle) Addrs(name string) ([]netip.Prefix, error) {
	l, err := c.link(name)
	if err != nil {
		return nil, err
	}
	var as []netlink.Addr
	for range 5 { // a dump interrupted by a concurrent change is retried
		as, err = c.h.AddrList(l, netlink.FAMILY_ALL)
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("netcfg: addresses of %s: %w", name, err)
	}
	ps := make([]netip.Prefix, 0, len(as))
	for _, a := range as {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		bits, _ := a.Mask.Size()
		ps = append(ps, netip.PrefixFrom(ip.Unmap(), bits))
	}
	return ps, nil
}
