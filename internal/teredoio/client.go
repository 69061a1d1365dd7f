package teredoio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/transit6/transit6/internal/netcfg"
	"github.com/transit6/transit6/internal/tun"
	"github.com/transit6/transit6/internal/udpio"
	"github.com/transit6/transit6/teredo"
)

// TunMTU is the MTU of the Teredo interface (RFC 4380 §5.2: 1280 unless the
// server advertises otherwise; Miredo uses 1280).
const TunMTU = 1280

// DefaultRouteMetric is the metric of the default route a client adds
// through its interface: Miredo's, so that native IPv6 routes win.
const DefaultRouteMetric = 1029

var defaultRoute = netcfg.Route{Dst: netip.MustParsePrefix("::/0"), Metric: DefaultRouteMetric}

// AddrBits is the prefix length the Teredo address is configured with:
// 2001::/32 is on link through the interface, as Miredo does.
const AddrBits = 32

// ClientConfig configures a Client.
type ClientConfig struct {
	// Engine configures the engine. Engine.Local is set by NewClient to
	// the socket's address.
	Engine teredo.ClientConfig
	// Node configures the data path (peers, bubbles, direct connectivity
	// tests). Its Global defaults to Engine.Global; Relay must be false.
	Node teredo.NodeConfig
	// ServerNames are the names the servers were given as, for the status
	// only.
	ServerNames []string
	// Bind is the local IPv4 address and UDP port of the Teredo socket. A
	// zero address selects the source address of the route to the first
	// server; port 0 a random port.
	Bind netip.AddrPort
	// IfName names the TUN interface; "" runs without one (the address is
	// only reported).
	IfName string
	// Log receives one line per state change, NAT type and address; nil
	// discards.
	Log *log.Logger
}

// Client runs a teredo.Client (the control plane) and a teredo.Node (the
// data path) on one UDP socket and a TUN interface.
type Client struct {
	conn   *udpio.Conn
	local  netip.AddrPort
	eng    *teredo.Client
	node   *teredo.Node
	dp     *dataPath
	mc     *net.UDPConn // local discovery group, nil when off
	dev    *tun.Device
	nc     *netcfg.Handle
	ifname string
	names  []string
	log    *log.Logger

	configured []netip.Addr // addresses on the interface

	closeOnce sync.Once
}

// NewClient binds the socket, creates the TUN interface (if cfg.IfName is
// set) and the engine. Close releases them.
func NewClient(cfg ClientConfig) (*Client, error) {
	if len(cfg.Engine.Servers) == 0 {
		return nil, fmt.Errorf("%w: no server", teredo.ErrClientConfig)
	}
	bind := cfg.Bind
	if !bind.Addr().IsValid() {
		a, err := SourceFor(cfg.Engine.Servers[0])
		if err != nil {
			return nil, err
		}
		bind = netip.AddrPortFrom(a, bind.Port())
	}
	if !bind.Addr().Unmap().Is4() {
		return nil, fmt.Errorf("%w: local address %v is not IPv4", teredo.ErrClientConfig, bind)
	}
	conn, err := listenUDP(bind)
	if err != nil {
		return nil, fmt.Errorf("teredoio: client socket: %w", err)
	}
	c := &Client{conn: conn, ifname: cfg.IfName, names: cfg.ServerNames, log: cfg.Log}
	if c.log == nil {
		c.log = log.New(io.Discard, "", 0)
	}
	c.local = conn.LocalAddr()
	ecfg := cfg.Engine
	ecfg.Local = c.local
	if c.eng, err = teredo.NewClient(ecfg); err != nil {
		conn.Close()
		return nil, err
	}
	ncfg := cfg.Node
	if ncfg.Global == nil {
		ncfg.Global = ecfg.Global
	}
	if ncfg.Rand == nil {
		ncfg.Rand = ecfg.Rand
	}
	if c.node, err = teredo.NewNode(ncfg); err != nil {
		conn.Close()
		return nil, err
	}
	if cfg.IfName != "" {
		if c.dev, err = tun.OpenWithOptions(cfg.IfName, TunMTU, tun.Options{Offload: true, Ring: true, RingBatch: ringBatch}); err != nil {
			conn.Close()
			return nil, err
		}
		c.ifname = c.dev.Name()
		if c.nc, err = netcfg.New(); err != nil {
			c.dev.Close()
			conn.Close()
			return nil, err
		}
	}
	if ncfg.LocalDiscovery {
		if err := c.listenDiscovery(); err != nil {
			c.Close()
			return nil, err
		}
	}
	var dev batchDev
	if c.dev != nil {
		dev = c.dev
	}
	c.dp = newDataPath(c.node, c.eng, conn, dev)
	c.dp.onOut = c.apply
	return c, nil
}

// SourceFor returns the IPv4 address the kernel sends from toward dst,
// without sending anything.
func SourceFor(dst netip.Addr) (netip.Addr, error) {
	conn, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, teredo.ServerPort)))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("teredoio: no route to %v: %w", dst, err)
	}
	defer conn.Close()
	return conn.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap(), nil
}

// LocalAddr returns the socket's address: the local mapping.
func (c *Client) LocalAddr() netip.AddrPort { return c.local }

// IfName returns the TUN interface's name, "" without one.
func (c *Client) IfName() string { return c.ifname }

// listenDiscovery joins the local discovery group 224.0.0.253:3544 on the
// interface of the socket's address, and makes the socket send its
// discovery bubbles out of that interface (RFC 4380 §5.2.8).
func (c *Client) listenDiscovery() error {
	ifi, err := interfaceWith(c.local.Addr())
	if err != nil {
		return err
	}
	g := teredo.DiscoveryGroup
	if c.mc, err = net.ListenMulticastUDP("udp4", ifi, net.UDPAddrFromAddrPort(g)); err != nil {
		return fmt.Errorf("teredoio: local discovery group %v on %s: %w", g, ifi.Name, err)
	}
	if err := c.conn.SetMulticastInterface(c.local.Addr()); err != nil {
		return fmt.Errorf("teredoio: local discovery: %w", err)
	}
	return nil
}

// interfaceWith returns the interface that has the IPv4 address a.
func interfaceWith(a netip.Addr) (*net.Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("teredoio: interfaces: %w", err)
	}
	for i := range ifs {
		addrs, err := ifs[i].Addrs()
		if err != nil {
			continue
		}
		for _, x := range addrs {
			if n, ok := x.(*net.IPNet); ok {
				if b, ok := netip.AddrFromSlice(n.IP); ok && b.Unmap() == a {
					return &ifs[i], nil
				}
			}
		}
	}
	return nil, fmt.Errorf("teredoio: no interface has the address %v (local discovery needs an explicit local address)", a)
}

// discoveryLoop reads the discovery group until Run wakes it.
func (c *Client) discoveryLoop() {
	buf := make([]byte, bufLen)
	var s discoverySide
	for {
		n, from, err := c.mc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed) {
				return
			}
			c.log.Printf("local discovery: %v", err)
			continue
		}
		c.dp.fromDiscovery(time.Now(), netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), buf[:n], &s)
	}
}

// Status returns a snapshot of the client and its data path. It may be
// called from any goroutine.
func (c *Client) Status() Status {
	c.dp.mu.Lock()
	defer c.dp.mu.Unlock()
	st := c.eng.Status()
	s := clientStatus(&st, c.names, c.ifname)
	if c.dev != nil {
		s.TUNReads = c.dev.Reads()
	}
	nodeStatus(&s, c.node)
	return s
}

// Run starts the engine and runs it until ctx is done, then stops it
// (removing the address) and returns nil. It returns early with an error
// only if the socket or the TUN device fails. Run must be called once.
func (c *Client) Run(ctx context.Context) error {
	var out teredo.ClientOutput
	var ctl ctlBatch
	c.dp.mu.Lock()
	c.eng.Start(time.Now(), &out)
	ctl.client(&out)
	c.apply(&out)
	c.dp.mu.Unlock()
	c.dp.flushCtl(&ctl)

	wake := []waker{c.conn}
	if c.dev != nil {
		wake = append(wake, c.dev)
	}
	var discovery sync.WaitGroup
	if c.mc != nil {
		wake = append(wake, c.mc)
		discovery.Go(c.discoveryLoop)
	}
	err := runDataPath(ctx, c.dp, wake, c.log)
	discovery.Wait()

	ctl.reset()
	c.dp.mu.Lock()
	c.eng.Stop(time.Now(), &out)
	ctl.client(&out)
	c.apply(&out)
	c.dp.mu.Unlock()
	return err
}

// apply acts on out.Events. It runs under the data path's lock; the caller
// sends out.Send.
func (c *Client) apply(out *teredo.ClientOutput) {
	for _, e := range out.Events {
		c.event(e)
	}
}

// event logs e and configures the interface.
func (c *Client) event(e teredo.ClientEvent) {
	switch e.Kind {
	case teredo.EventStateChanged:
		c.log.Printf("state %s (server %v)", e.State, e.Server)
	case teredo.EventAddressAcquired:
		c.log.Printf("address %v (server %v)", e.Addr, e.Server)
		c.node.SetAddress(time.Now(), e.Addr, netip.AddrPortFrom(e.Server, teredo.ServerPort))
		if c.nc != nil {
			if err := c.nc.AddAddr(c.ifname, netip.PrefixFrom(e.Addr, AddrBits)); err != nil {
				c.log.Printf("configure %v on %s: %v", e.Addr, c.ifname, err)
			} else {
				c.configured = append(c.configured, e.Addr)
				// The rest of the IPv6 Internet is reached through relays:
				// a default route of low preference, as Miredo sets.
				if err := c.nc.ReplaceRoute(c.ifname, defaultRoute); err != nil {
					c.log.Printf("default route via %s: %v", c.ifname, err)
				}
			}
		}
	case teredo.EventAddressLost:
		c.log.Printf("address %v withdrawn", e.Addr)
		if c.node.Addr() == e.Addr {
			c.node.SetAddress(time.Now(), netip.Addr{}, netip.AddrPort{})
		}
		c.unconfigure(e.Addr)
	case teredo.EventNATDetected:
		c.log.Printf("NAT type %s", e.NAT)
	case teredo.EventServerOffline:
		c.log.Printf("server %v offline: %v", e.Server, e.Err)
	}
}

// unconfigure removes a from the interface if Run configured it.
func (c *Client) unconfigure(a netip.Addr) {
	for i, x := range c.configured {
		if x != a {
			continue
		}
		c.configured = append(c.configured[:i], c.configured[i+1:]...)
		if err := c.nc.DelAddr(c.ifname, netip.PrefixFrom(a, AddrBits)); err != nil {
			c.log.Printf("remove %v from %s: %v", a, c.ifname, err)
		}
		return
	}
}

// Close closes the socket and deletes the TUN interface. Call it after Run
// has returned.
func (c *Client) Close() error {
	var errs []error
	c.closeOnce.Do(func() {
		errs = append(errs, c.conn.Close())
		if c.mc != nil {
			errs = append(errs, c.mc.Close())
		}
		if c.dev != nil {
			errs = append(errs, c.dev.Close())
		}
		if c.nc != nil {
			errs = append(errs, c.nc.Close())
		}
	})
	return errors.Join(errs...)
}
