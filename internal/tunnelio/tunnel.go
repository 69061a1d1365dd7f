package tunnelio

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/internal/netcfg"
	"github.com/transit6/transit6/internal/rawip"
	"github.com/transit6/transit6/internal/tun"
	"github.com/transit6/transit6/packet"
	"github.com/transit6/transit6/sixtofour"
	"golang.org/x/sys/unix"
)

// ProtoIPv6 is the IP protocol number of IPv6 encapsulated in IPv4 (RFC
// 4213 §3.5).
const ProtoIPv6 = 41

// ExpireInterval is how often Run expires the router's reassembly and
// path MTU state while traffic is idle.
const ExpireInterval = 5 * time.Second

// ErrNoAddr is returned by New for a configured tunnel without a usable
// address plan.
var ErrNoAddr = errors.New("tunnelio: no tunnel address")

// Config configures a Tunnel.
type Config struct {
	// Engine is the router's configuration. Its MTU, if 0, is set from
	// DefaultMTU for the mechanisms whose default is static (6rd, ISATAP).
	// Its PathMTU, if 0, is the MTU of the IPv4 route PathPeer names (see
	// New).
	Engine sixtofour.Config

	// IfName is the TUN interface name; DefaultIfName if empty.
	IfName string

	// Addr, if valid, replaces the interface address Plan derives (and
	// becomes the router's Config.Addr, the source of its ICMPv6 errors).
	// A prefix length of 128 for 6to4 or 6rd keeps the derived length.
	Addr netip.Prefix

	// Log receives start-up, shutdown and error messages; nil discards
	// them.
	Log *log.Logger

	// NoOffload opens the TUN interface without the kernel's offloads
	// (see tun.Options): one packet per read(2) and write(2).
	NoOffload bool
}

// DefaultIfName returns the interface name Linux users know for m:
// tun6to4, tun6rd, tun6in4 or isatap0.
func DefaultIfName(m sixtofour.Mechanism) string {
	switch m {
	case sixtofour.SixRD:
		return "tun6rd"
	case sixtofour.ISATAP:
		return "isatap0"
	case sixtofour.SixInFour:
		return "tun6in4"
	}
	return "tun6to4"
}

// DefaultMTU returns the tunnel MTU used when none is configured and the
// route's MTU is unknown: 1480 (Ethernet's 1500 − 20, Linux sit's default,
// following the path MTU) for 6to4 and 6in4, and the static 1280 that RFC
// 5969 §9.1 and OpenWrt use for 6rd and the ISATAP packaging recommends
// (the notes' §3, §4). New replaces the 1480 by the MTU of the route
// PathPeer names, minus 20.
func DefaultMTU(m sixtofour.Mechanism) int {
	switch m {
	case sixtofour.SixRD, sixtofour.ISATAP:
		return sixtofour.MinTunnelMTU
	}
	return sixtofour.DefaultPathMTU - 20
}

// PathPeer returns the IPv4 address whose route stands for the tunnel's
// path when New derives the path MTU, or 0.0.0.0 for the default route
// (see netcfg.Handle.RouteMTU):
//
//   - 6in4: the remote, the only peer, as Linux's sit binds a
//     point-to-point tunnel to the route to its remote (the notes' §1.2);
//   - a 6to4 site with a relay: the relay;
//   - a 6rd CE: the first border relay;
//   - an ISATAP host: the first PRL entry;
//   - otherwise (a 6to4 site without a relay or a 6to4 relay, a 6rd border
//     relay, an ISATAP router), whose peers are anyone: the default route,
//     which carries the traffic of a site to the Internet. A peer reached
//     by a narrower route is found out when the kernel refuses a packet to
//     it (see Tunnel.Run).
//
// An address equal to Local (a relay listed in its own configuration)
// gives the default route too.
func PathPeer(cfg *sixtofour.Config) netip.Addr {
	var peer netip.Addr
	switch cfg.Mechanism {
	case sixtofour.SixInFour:
		peer = cfg.Remote
	case sixtofour.SixToFour:
		if !cfg.Relay {
			peer = cfg.SixToFourRelay
		}
	case sixtofour.SixRD:
		if !cfg.Relay && len(cfg.SixRD.BorderRelays) > 0 {
			peer = cfg.SixRD.BorderRelays[0]
		}
	case sixtofour.ISATAP:
		if !cfg.Relay && len(cfg.PRL) > 0 {
			peer = cfg.PRL[0]
		}
	}
	if !peer.Is4() || peer == cfg.Local {
		return netip.IPv4Unspecified()
	}
	return peer
}

// Plan returns the interface addresses and routes for a tunnel configured
// by cfg whose router has policy pol (NewPolicy(cfg)); addrOverride, if valid, replaces the main address
// (see Config.Addr). The routes are all through the tunnel interface with
// no gateway: the router picks the IPv4 next hop.
func Plan(cfg *sixtofour.Config, pol *sixtofour.Policy, addrOverride netip.Prefix) (addrs []netip.Prefix, routes []netcfg.Route) {
	relay := cfg.Relay
	deflt := netcfg.Route{Dst: netip.PrefixFrom(netip.IPv6Unspecified(), 0)}
	main := netip.Prefix{}
	switch pol.Mechanism() {
	case sixtofour.SixToFour:
		// OpenWrt: 2002:V4ADDR::1/16, so every 6to4 site is on link.
		main = netip.PrefixFrom(pol.Addr(), 16)
		if cfg.SixToFourRelay.IsValid() && !relay {
			routes = append(routes, deflt)
		}
	case sixtofour.SixRD:
		// The delegated prefix ::1 with the 6rd prefix length: the whole
		// domain is on link (CE to CE directly, RFC 5969 §7.1.1).
		main = netip.PrefixFrom(pol.Addr(), cfg.SixRD.Prefix.Bits())
		if !relay {
			routes = append(routes, deflt)
		}
	case sixtofour.ISATAP:
		// Linux's sit: fe80::[02]00:5efe:V4ADDR (RFC 5214 §6.2), then
		// the address in the first on-link /64.
		ll, err := addr.NewClassifier(cfg.TreatAsGlobal...).ISATAPAddr(netip.MustParsePrefix("fe80::/64"), pol.Local())
		if err == nil {
			addrs = append(addrs, netip.PrefixFrom(ll, 64))
		}
		main = netip.PrefixFrom(pol.Addr(), 64)
		if !relay {
			routes = append(routes, deflt)
		}
	case sixtofour.SixInFour:
		main = netip.PrefixFrom(pol.Addr(), 64)
		routes = append(routes, deflt)
	}
	if addrOverride.IsValid() {
		if addrOverride.Bits() == 128 && main.IsValid() {
			addrOverride = netip.PrefixFrom(addrOverride.Addr(), main.Bits())
		}
		main = addrOverride
	}
	if main.IsValid() && (len(addrs) == 0 || addrs[0] != main) {
		addrs = append(addrs, main)
	}
	return addrs, routes
}

// Tunnel is one running protocol-41 tunnel: the router, its TUN interface
// and its sockets.
type Tunnel struct {
	cfg    Config
	router *sixtofour.Router
	dev    *tun.Device
	raw    *rawip.Conn
	icmp   *rawip.Conn
	nc     *netcfg.Handle
	addrs  []netip.Prefix
	routes []netcfg.Route
	mtu    int
	path   string // where the path MTU came from, for Describe
	logf   func(format string, a ...any)

	// refusedMTU remembers the last route MTU looked up for a packet the
	// kernel refused (see refused); the outbound loop owns it.
	refusedMTU struct {
		dst netip.Addr
		mtu int
		at  time.Time
	}

	inMu      sync.Mutex // serializes Router.Inbound and Expire
	closeOnce sync.Once
}

// New builds the router, opens the TUN interface (named cfg.IfName, MTU
// from the engine), adds the addresses and routes of Plan, and opens the
// raw protocol-41 and ICMP sockets bound to cfg.Engine.Local, in the
// calling thread's network namespace. It needs CAP_NET_ADMIN and
// CAP_NET_RAW. On error everything made so far is undone.
//
// Unless cfg.Engine.PathMTU is set, New asks the kernel for the MTU of the
// IPv4 route from Local toward PathPeer(&cfg.Engine) and makes it the
// router's path MTU, as Linux's sit does (the notes' §1.2): the TUN MTU is
// then that MTU − 20 (1280, with DF cleared, below 1300) unless
// cfg.Engine.MTU sets it, and a narrower local link (PPPoE's 1492, say)
// gets a narrower tunnel instead of packets the kernel refuses. If the
// kernel has no such route, the path MTU stays sixtofour.DefaultPathMTU
// and New logs why. cfg.Engine.MTU still caps the tunnel MTU, and a
// static MTU (6rd, ISATAP, --mtu) keeps the TUN MTU whatever the route.
func New(cfg Config) (*Tunnel, error) {
	m := cfg.Engine.Mechanism
	if cfg.IfName == "" {
		cfg.IfName = DefaultIfName(m)
	}
	if cfg.Engine.MTU == 0 && DefaultMTU(m) == sixtofour.MinTunnelMTU {
		cfg.Engine.MTU = DefaultMTU(m)
	}
	if cfg.Addr.IsValid() {
		cfg.Engine.Addr = cfg.Addr.Addr()
	}
	t := &Tunnel{logf: func(string, ...any) {}}
	if cfg.Log != nil {
		t.logf = cfg.Log.Printf
	}
	var err error
	if t.nc, err = netcfg.New(); err != nil {
		return nil, err
	}
	if cfg.Engine.PathMTU == 0 {
		cfg.Engine.PathMTU, t.path = t.routeMTU(&cfg.Engine)
	}
	t.cfg = cfg
	if t.router, err = sixtofour.NewRouter(cfg.Engine); err != nil {
		t.Close()
		return nil, err
	}
	t.mtu = cfg.Engine.MTU
	if t.mtu == 0 {
		mtu, _, err := sixtofour.TunnelMTU(t.router.PathMTU(netip.Addr{}, time.Time{}))
		if err != nil {
			t.Close()
			return nil, err
		}
		t.mtu = mtu
	}
	t.addrs, t.routes = Plan(&cfg.Engine, t.router.Policy(), cfg.Addr)
	if len(t.addrs) == 0 {
		t.Close()
		return nil, ErrNoAddr
	}
	if err := t.open(); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// routeMTU returns the path MTU New gives the router: the MTU of the route
// toward PathPeer, or DefaultPathMTU if the kernel has none; and a
// description of where it came from.
func (t *Tunnel) routeMTU(cfg *sixtofour.Config) (int, string) {
	peer := PathPeer(cfg)
	what := "the route to " + peer.String()
	if peer.IsUnspecified() {
		what = "the default route"
	}
	mtu, err := t.nc.RouteMTU(peer, cfg.Local)
	if err != nil {
		t.logf("path MTU: %v; assuming %d", err, sixtofour.DefaultPathMTU)
		return sixtofour.DefaultPathMTU, "assumed"
	}
	// A loopback route (a tunnel to this host) is wider than any IPv4
	// packet.
	return min(mtu, packet.IPv4MaxLen), "by " + what
}

// ringBatch is how long a TUN read that has a packet waits for more
// (tun.Options.RingBatch).
const ringBatch = 100 * time.Microsecond

func (t *Tunnel) open() error {
	var err error
	// Ring reads with a short batch: under a stream one wake-up reads
	// many packets (measured with TestThroughput: UDP 117–138k
	// packets/s A→B at 3.9–4.4 µs of CPU each, against 80–115k at
	// 4.1–5.5 µs with read(2)); a packet after an idle spell is not
	// delayed. Kernels without io_uring fall back to read(2).
	opts := tun.Options{Offload: !t.cfg.NoOffload, Ring: true, RingBatch: ringBatch}
	if t.dev, err = tun.OpenWithOptions(t.cfg.IfName, t.mtu, opts); err != nil {
		return err
	}
	name := t.dev.Name()
	for _, a := range t.addrs {
		if err := t.nc.AddAddr(name, a); err != nil {
			return err
		}
	}
	for _, r := range t.routes {
		if err := t.nc.ReplaceRoute(name, r); err != nil {
			return err
		}
	}
	local := t.cfg.Engine.Local
	if t.raw, err = rawip.Listen(ProtoIPv6, local); err != nil {
		return err
	}
	// Room for a burst at line rate: the default 208 KiB holds ~150
	// packets. Best effort.
	_ = t.raw.SetReadBuffer(4 << 20)
	_ = t.raw.SetWriteBuffer(4 << 20)
	if t.icmp, err = rawip.ListenICMPErrors(ProtoIPv6, local); err != nil {
		return err
	}
	return nil
}

// Router returns the tunnel's router, for its counters and policy.
func (t *Tunnel) Router() *sixtofour.Router { return t.router }

// Counters returns a snapshot of the router's counters.
func (t *Tunnel) Counters() sixtofour.Counters { return t.router.Counters() }

// IfName returns the TUN interface's name.
func (t *Tunnel) IfName() string { return t.dev.Name() }

// MTU returns the TUN interface's MTU.
func (t *Tunnel) MTU() int { return t.mtu }

// Addrs returns the interface addresses New configured.
func (t *Tunnel) Addrs() []netip.Prefix { return t.addrs }

// Routes returns the routes New configured.
func (t *Tunnel) Routes() []netcfg.Route { return t.routes }

// Run pumps packets until ctx is done or an I/O error that is not
// transient stops a loop; it returns nil after ctx is done, else that
// error. Call it once.
func (t *Tunnel) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 3)
	var wg sync.WaitGroup
	for _, loop := range []func() error{t.outbound, t.inbound, t.icmpErrors} {
		wg.Go(func() {
			err := loop()
			if ctx.Err() == nil {
				errc <- err
				cancel()
			}
		})
	}
	tick := time.NewTicker(ExpireInterval)
	defer tick.Stop()
wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case now := <-tick.C:
			t.inMu.Lock()
			t.router.Expire(now)
			t.inMu.Unlock()
		}
	}
	// Unblock the loops: a read deadline in the past ends their reads.
	past := time.Unix(1, 0)
	_ = t.dev.SetReadDeadline(past)
	_ = t.raw.SetReadDeadline(past)
	_ = t.icmp.SetReadDeadline(past)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// transient reports whether a read or write error is one to log and go
// on: the kernel's errno about one packet or an ICMP error it reports on
// the socket, as opposed to a closed device or an expired deadline.
func transient(err error) bool {
	return !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, tun.ErrClosed) && !errors.Is(err, rawip.ErrClosed)
}

// sameArray reports whether p is a sub-slice of b reaching to b's capacity:
// a view the router cut out of b, as opposed to one of its scratch buffers.
func sameArray(b, p []byte) bool {
	if cap(b) == 0 || cap(p) == 0 {
		return false
	}
	return &b[:cap(b)][cap(b)-1] == &p[:cap(p)][cap(p)-1]
}

func newBufs(n, size int) [][]byte {
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = make([]byte, size)
	}
	return bufs
}

// outbound moves packets from the TUN device to the network.
func (t *Tunnel) outbound() error {
	const off = sixtofour.Headroom
	n := t.dev.BatchSize()
	bufs := newBufs(n, off+max(t.mtu, 1500))
	sizes := make([]int, n)
	toNet := make([][]byte, 0, n)
	one := make([][]byte, 1)
	refused := func(pkt []byte) error { return t.refused(pkt, one) }
	var errs rateLog
	for {
		k, err := t.dev.Read(bufs, sizes, off)
		if err != nil {
			if !transient(err) {
				return err
			}
			errs.log(t.logf, "tun read: %v", err)
			continue
		}
		now := time.Now()
		toNet = toNet[:0]
		for i := range k {
			res := t.router.Outbound(now, bufs[i][:off+sizes[i]], off)
			switch res.Action() {
			case sixtofour.ActionToNetwork:
				toNet = append(toNet, res.Packet)
			case sixtofour.ActionToHost:
				// An ICMPv6 error in the router's scratch buffer, valid
				// until the next Outbound: deliver it now.
				one[0] = res.Packet
				if _, err := t.dev.Write(one, 0); err != nil && !transient(err) {
					return err
				}
			}
		}
		if err := t.writeNet(toNet, &errs, refused); err != nil {
			return err
		}
	}
}

// writeNet sends pkts to the network, dropping (and logging) each packet
// the kernel refuses. Packets of Router.Outbound pass tooBig, which takes
// those refused as longer than their route's MTU (EMSGSIZE); others nil.
func (t *Tunnel) writeNet(pkts [][]byte, errs *rateLog, tooBig func([]byte) error) error {
	for len(pkts) > 0 {
		k, err := t.raw.WriteBatch(pkts, 0)
		if err == nil {
			return nil
		}
		if !transient(err) {
			return err
		}
		if tooBig != nil && k < len(pkts) && errors.Is(err, unix.EMSGSIZE) {
			if err := tooBig(pkts[k]); err != nil {
				return err
			}
		} else {
			errs.log(t.logf, "raw write: %v", err)
		}
		pkts = pkts[min(k+1, len(pkts)):]
	}
	return nil
}

// refusedLookupInterval is how long the route MTU looked up for a refused
// packet stands for later ones to the same next hop.
const refusedLookupInterval = time.Second

// refused handles an encapsulated packet the kernel refused with EMSGSIZE:
// longer than the MTU of its route's interface, which a raw socket never
// fragments, DF or not. It asks the kernel for that route's MTU (at most
// once per refusedLookupInterval for the same next hop) and hands both to
// Router.TooBigForLink, which takes the packet back from the sent count,
// remembers the MTU for the next hop and answers the host with a Packet
// Too Big, written to the TUN device through one; as Linux's sit answers a
// packet larger than its route's MTU − 20 (the notes' §1.2). It runs on
// the outbound goroutine, the router's Outbound side.
func (t *Tunnel) refused(pkt []byte, one [][]byte) error {
	if len(pkt) < packet.IPv4HeaderLen {
		return nil
	}
	now := time.Now()
	dst := netip.AddrFrom4([4]byte(pkt[16:20]))
	m := &t.refusedMTU
	if m.dst != dst || now.Sub(m.at) >= refusedLookupInterval {
		mtu, err := t.nc.RouteMTU(dst, t.cfg.Engine.Local)
		if err != nil {
			t.logf("raw write to %v: %v; %v", dst, unix.EMSGSIZE, err)
			mtu = 0
		}
		m.dst, m.mtu, m.at = dst, mtu, now
	}
	res := t.router.TooBigForLink(now, pkt, m.mtu)
	if res.Action() != sixtofour.ActionToHost {
		return nil
	}
	one[0] = res.Packet
	if _, err := t.dev.Write(one, 0); err != nil && !transient(err) {
		return err
	}
	return nil
}

// writeHost writes pkts to the TUN device, dropping each packet it refuses.
func (t *Tunnel) writeHost(pkts [][]byte, errs *rateLog) error {
	for len(pkts) > 0 {
		k, err := t.dev.Write(pkts, 0)
		if err == nil {
			return nil
		}
		if !transient(err) {
			return err
		}
		errs.log(t.logf, "tun write: %v", err)
		pkts = pkts[min(k+1, len(pkts)):]
	}
	return nil
}

// inbound moves packets from the protocol-41 socket to the TUN device.
func (t *Tunnel) inbound() error {
	return t.readLoop(t.raw, rawip.IdealBatchSize)
}

// icmpErrors feeds the ICMPv4 errors about our packets to the router.
func (t *Tunnel) icmpErrors() error {
	return t.readLoop(t.icmp, 8)
}

// readLoop reads IPv4 packets from c and hands them to Router.Inbound.
func (t *Tunnel) readLoop(c *rawip.Conn, n int) error {
	bufs := newBufs(n, 65535)
	if n > 8 {
		// The raw socket returns reassembled datagrams whole; the tunnel
		// MTU bounds what a peer should send, 64 KiB of slack per buffer
		// is not worth it for the data path.
		bufs = newBufs(n, max(t.mtu, 1500)+sixtofour.Headroom+64)
	}
	sizes := make([]int, n)
	toHost := make([][]byte, 0, n)
	one := make([][]byte, 1)
	var errs rateLog
	for {
		k, err := c.ReadBatch(bufs, sizes, 0)
		if err != nil {
			if !transient(err) {
				return err
			}
			errs.log(t.logf, "raw read: %v", err)
			continue
		}
		now := time.Now()
		toHost = toHost[:0]
		t.inMu.Lock()
		for i := range k {
			pkt := bufs[i][:sizes[i]]
			res := t.router.Inbound(now, pkt)
			switch res.Action() {
			case sixtofour.ActionToHost:
				if sameArray(pkt, res.Packet) {
					toHost = append(toHost, res.Packet)
					continue
				}
				// A reassembled datagram or an ICMPv6 translation in a
				// router buffer, valid until the next Inbound.
				one[0] = res.Packet
				err = t.writeHost(one, &errs)
			case sixtofour.ActionToNetwork:
				one[0] = res.Packet
				err = t.writeNet(one, &errs, nil)
			}
			if err != nil {
				t.inMu.Unlock()
				return err
			}
		}
		t.inMu.Unlock()
		if err := t.writeHost(toHost, &errs); err != nil {
			return err
		}
	}
}

// Close removes the interface (and its addresses and routes) and closes
// the sockets. It is safe to call more than once.
func (t *Tunnel) Close() error {
	var errs []error
	t.closeOnce.Do(func() {
		if t.raw != nil {
			errs = append(errs, t.raw.Close())
		}
		if t.icmp != nil {
			errs = append(errs, t.icmp.Close())
		}
		if t.dev != nil {
			name := t.dev.Name()
			errs = append(errs, t.dev.Close())
			// Closing a non-persistent TUN device removes it; make sure.
			if t.nc != nil {
				if err := t.nc.DelLink(name); err != nil && !errors.Is(err, netcfg.ErrNoLink) {
					errs = append(errs, err)
				}
			}
		}
		if t.nc != nil {
			errs = append(errs, t.nc.Close())
		}
	})
	return errors.Join(errs...)
}

// rateLog logs at most one message per second.
type rateLog struct{ last time.Time }

func (r *rateLog) log(logf func(string, ...any), format string, a ...any) {
	if now := time.Now(); now.Sub(r.last) >= time.Second {
		r.last = now
		logf(format, a...)
	}
}

// Describe returns a one-line summary of the tunnel for the start-up log:
// mechanism, role, local IPv4, then the derived prefix (6to4, 6rd,
// ISATAP) or the remote and the inner sources accepted (6in4, which has
// no prefix of its own), the interface addresses, the interface and its
// MTU, the path MTU and where it came from, the TUN offloads the kernel
// took, and whether the TUN is read through io_uring. For example:
//
//	6in4 endpoint, local 192.0.2.1, remote 198.51.100.2, inner sources any, address [2001:db8:46::1/64], interface tun6in4 mtu 1480 (path MTU 1500 by the route to 198.51.100.2), TSO/USO, io_uring reads
func (t *Tunnel) Describe() string {
	pol := t.router.Policy()
	role := "host"
	switch pol.Mechanism() {
	case sixtofour.SixToFour:
		role = "site"
		if t.cfg.Engine.Relay {
			role = "relay"
		}
	case sixtofour.SixRD:
		role = "CE"
		if t.cfg.Engine.Relay {
			role = "border relay"
		}
	case sixtofour.ISATAP:
		if t.cfg.Engine.Relay {
			role = "router"
		}
	case sixtofour.SixInFour:
		role = "endpoint"
	}
	what := fmt.Sprintf("prefix %v", pol.Prefix())
	if pol.Mechanism() == sixtofour.SixInFour {
		src := "any"
		if ps := t.cfg.Engine.InnerSources; len(ps) > 0 {
			src = fmt.Sprint(ps)
		}
		what = fmt.Sprintf("remote %v, inner sources %s", t.cfg.Engine.Remote, src)
	}
	off := ""
	switch {
	case t.dev.UDPOffload():
		off = ", TSO/USO"
	case t.dev.Offload():
		off = ", TSO"
	}
	if t.dev.RingReads() {
		off += ", io_uring reads"
	}
	path := ""
	if t.path != "" {
		path = fmt.Sprintf(" (path MTU %d %s)", t.router.PathMTU(netip.Addr{}, time.Time{}), t.path)
	}
	return fmt.Sprintf("%v %s, local %v, %s, address %v, interface %s mtu %d%s%s", pol.Mechanism(), role, pol.Local(), what, t.addrs, t.IfName(), t.mtu, path, off)
}
