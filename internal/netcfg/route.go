package netcfg

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Route is a unicast route through one interface.
type Route struct {
	// Dst is the destination prefix; ::/0 (or 0.0.0.0/0) is the default
	// route. Host bits are ignored.
	Dst netip.Prefix
	// Gateway is the next hop, or the zero Addr for a directly connected
	// (point-to-point) route, which is what a TUN device needs.
	Gateway netip.Addr
	// OnLink marks the gateway as reachable on the interface even though no
	// prefix of the interface covers it (RTNH_F_ONLINK): the sit-style next
	// hops "::192.0.2.1" of RFC 4213 §3 tunnels and the 6to4 relay anycast
	// "::192.88.99.1".
	OnLink bool
	// Metric is the route's priority (lower wins); 0 leaves the kernel's
	// default (1024 for IPv6).
	Metric int
	// MTU is the route's path MTU, or 0 for the interface's.
	MTU int
	// Table is the routing table, or 0 for main.
	Table int
}

func (c *Handle) nlRoute(name string, r Route) (*netlink.Route, error) {
	if !r.Dst.IsValid() || r.Dst.Addr().Is4In6() {
		return nil, ErrBadPrefix
	}
	dst := r.Dst.Masked()
	l, err := c.link(name)
	if err != nil {
		return nil, err
	}
	nr := &netlink.Route{
		LinkIndex: l.Attrs().Index,
		Dst:       &net.IPNet{IP: dst.Addr().AsSlice(), Mask: net.CIDRMask(dst.Bits(), dst.Addr().BitLen())},
		Priority:  r.Metric,
		MTU:       r.MTU,
		Table:     r.Table,
		Family:    netlink.FAMILY_V6,
	}
	if dst.Addr().Is4() {
		nr.Family = netlink.FAMILY_V4
	}
	if r.Gateway.IsValid() {
		if r.Gateway.Is4() != dst.Addr().Is4() || r.Gateway.Is4In6() {
			return nil, ErrFamilyMismatch
		}
		nr.Gw = r.Gateway.AsSlice()
		if r.OnLink {
			nr.Flags = int(netlink.FLAG_ONLINK)
		}
	} else {
		nr.Scope = netlink.SCOPE_LINK
	}
	return nr, nil
}

// AddRoute adds r through the named interface. A route that exists already
// is an error wrapping unix.EEXIST; use ReplaceRoute to overwrite.
func (c *Handle) AddRoute(name string, r Route) error {
	return c.route(name, r, "add", c.h.RouteAdd)
}

// ReplaceRoute adds r through the named interface, replacing a route to the
// same destination (and metric) if there is one.
func (c *Handle) ReplaceRoute(name string, r Route) error {
	return c.route(name, r, "replace", c.h.RouteReplace)
}

// DelRoute deletes route r through the named interface. A missing route is
// an error wrapping unix.ESRCH.
func (c *Handle) DelRoute(name string, r Route) error {
	return c.route(name, r, "delete", c.h.RouteDel)
}

func (c *Handle) route(name string, r Route, what string, f func(*netlink.Route) error) error {
	nr, err := c.nlRoute(name, r)
	if err != nil {
		return err
	}
	if err := f(nr); err != nil {
		return fmt.Errorf("netcfg: %s route %s via %v dev %s: %w", what, r.Dst, r.Gateway, name, err)
	}
	return nil
}

// Routes returns the unicast routes of the main table through the named
// interface, IPv4 and IPv6, including the kernel's own prefix routes.
// Only the fields of Route are reported.
func (c *Handle) Routes(name string) ([]Route, error) {
	l, err := c.link(name)
	if err != nil {
		return nil, err
	}
	var rs []Route
	for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		var nrs []netlink.Route
		for range 5 { // a dump interrupted by a concurrent change is retried
			nrs, err = c.h.RouteList(l, family)
			if !errors.Is(err, netlink.ErrDumpInterrupted) {
				break
			}
		}
		if err != nil {
			return nil, fmt.Errorf("netcfg: routes of %s: %w", name, err)
		}
		for _, nr := range nrs {
			if nr.Type != 0 && nr.Type != 1 { // RTN_UNSPEC, RTN_UNICAST
				continue
			}
			rs = append(rs, fromNetlink(nr, family == netlink.FAMILY_V4))
		}
	}
	return rs, nil
}

// fromNetlink converts a route of the given family.
func fromNetlink(nr netlink.Route, is4 bool) Route {
	var r Route
	addr := func(b []byte) (netip.Addr, bool) {
		ip, ok := netip.AddrFromSlice(b)
		if is4 {
			ip = ip.Unmap() // netlink may give IPv4 addresses in 16 bytes
		}
		return ip, ok
	}
	if nr.Dst != nil {
		ip, _ := addr(nr.Dst.IP)
		bits, _ := nr.Dst.Mask.Size()
		r.Dst = netip.PrefixFrom(ip, bits)
	} else if is4 {
		r.Dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	} else {
		r.Dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	}
	if gw, ok := addr(nr.Gw); ok {
		r.Gateway = gw
	}
	r.OnLink = nr.Flags&int(netlink.FLAG_ONLINK) != 0
	r.Metric = nr.Priority
	r.MTU = nr.MTU
	if nr.Table != 254 { // RT_TABLE_MAIN
		r.Table = nr.Table
	}
	return r
}

// RouteMTU returns the MTU of the route the kernel picks for packets to dst
// from src (the zero Addr: from any source), as `ip route get dst from src`
// finds it, policy rules included: the route's own MTU metric if it has one
// (`ip route add ... mtu N`, or a path MTU the kernel learned from an ICMP
// Fragmentation Needed, RFC 1191, while it holds), else the MTU of the
// interface it leaves by (for a multipath route, that of the next hop the
// kernel picks for this flow). A route MTU larger than its interface's is
// not reported: the interface cannot send such packets, and the kernel
// refuses them to a raw socket. This is the MTU Linux's sit tunnel
// subtracts its 20 bytes from (the protocol-41 notes' §1.2), and the
// largest packet a raw socket with IP_HDRINCL may send there: the kernel
// refuses longer ones with EMSGSIZE and does not fragment them.
//
// A dst that is the unspecified address (0.0.0.0 or ::) stands for the
// default route of its family, which the kernel's lookup would answer with
// the loopback interface: RouteMTU then reports the main table's default
// route (0.0.0.0/0 or ::/0) with the lowest metric (its MTU metric, else
// the smallest MTU of its interfaces, since any of its next hops may be
// taken), and ignores src.
//
// It returns ErrBadAddr for an invalid dst or src, and an error wrapping
// the kernel's errno when there is no route (unix.ENETUNREACH, also for a
// missing default route; unix.EHOSTUNREACH, unix.EACCES for unreachable
// and prohibit routes).
func (c *Handle) RouteMTU(dst, src netip.Addr) (int, error) {
	if !dst.IsValid() || dst.Is4In6() || src.Is4In6() || (src.IsValid() && src.Is4() != dst.Is4()) {
		return 0, ErrBadAddr
	}
	var nr netlink.Route
	if dst.IsUnspecified() {
		r, err := c.defaultRoute(dst.Is4())
		if err != nil {
			return 0, err
		}
		nr = r
	} else {
		var opts *netlink.RouteGetOptions
		if src.IsValid() {
			opts = &netlink.RouteGetOptions{SrcAddr: src.AsSlice()}
		}
		rs, err := c.h.RouteGetWithOptions(dst.AsSlice(), opts)
		if err != nil {
			return 0, fmt.Errorf("netcfg: route to %v from %v: %w", dst, src, err)
		}
		if len(rs) == 0 {
			return 0, fmt.Errorf("netcfg: route to %v from %v: %w", dst, src, unix.ENETUNREACH)
		}
		nr = rs[0]
	}
	mtu := 0
	links := []int{nr.LinkIndex}
	if nr.LinkIndex == 0 {
		links = links[:0]
		for _, nh := range nr.MultiPath {
			links = append(links, nh.LinkIndex)
		}
	}
	for _, idx := range links {
		l, err := c.h.LinkByIndex(idx)
		if err != nil {
			return 0, fmt.Errorf("netcfg: interface %d of the route to %v: %w", idx, dst, err)
		}
		if m := l.Attrs().MTU; mtu == 0 || m < mtu {
			mtu = m
		}
	}
	if nr.MTU > 0 && (mtu == 0 || nr.MTU < mtu) {
		mtu = nr.MTU
	}
	if mtu == 0 {
		return 0, fmt.Errorf("netcfg: route to %v has no interface: %w", dst, unix.ENETUNREACH)
	}
	return mtu, nil
}

// defaultRoute returns the unicast default route of the main table with
// the lowest metric.
func (c *Handle) defaultRoute(is4 bool) (netlink.Route, error) {
	family := netlink.FAMILY_V6
	if is4 {
		family = netlink.FAMILY_V4
	}
	var nrs []netlink.Route
	var err error
	for range 5 { // a dump interrupted by a concurrent change is retried
		nrs, err = c.h.RouteList(nil, family)
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	if err != nil {
		return netlink.Route{}, fmt.Errorf("netcfg: default route: %w", err)
	}
	best := -1
	for i, nr := range nrs {
		if nr.Dst != nil {
			if ones, _ := nr.Dst.Mask.Size(); ones != 0 {
				continue
			}
		}
		if nr.Type != unix.RTN_UNICAST || (best >= 0 && nr.Priority >= nrs[best].Priority) {
			continue
		}
		best = i
	}
	if best < 0 {
		return netlink.Route{}, fmt.Errorf("netcfg: no default route: %w", unix.ENETUNREACH)
	}
	return nrs[best], nil
}
