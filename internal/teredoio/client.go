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
	"github.com/transit6/transit6/teredo"
)

// TunMTU is the MTU of the Teredo interface (RFC 4380 §5.2: 1280 unless the
// server advertises otherwise; Miredo uses 1280).
const TunMTU = 1280

// AddrBits is the prefix length the Teredo address is configured with:
// 2001::/32 is on link through the interface, as Miredo does.
const AddrBits = 32

// ClientConfig configures a Client.
type ClientConfig struct {
	// Engine configures the engine. Engine.Local is set by NewClient to
	// the socket's address.
	Engine teredo.ClientConfig
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

// Client runs a teredo.Client on a UDP socket and a TUN interface.
type Client struct {
	conn   *net.UDPConn
	local  netip.AddrPort
	eng    *teredo.Client
	dev    *tun.Device
	nc     *netcfg.Handle
	ifname string
	names  []string
	log    *log.Logger

	configured []netip.Addr // addresses on the interface

	mu     sync.Mutex
	status Status

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
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(bind))
	if err != nil {
		return nil, fmt.Errorf("teredoio: client socket: %w", err)
	}
	c := &Client{conn: conn, ifname: cfg.IfName, names: cfg.ServerNames, log: cfg.Log}
	if c.log == nil {
		c.log = log.New(io.Discard, "", 0)
	}
	c.local = conn.LocalAddr().(*net.UDPAddr).AddrPort()
	c.local = netip.AddrPortFrom(c.local.Addr().Unmap(), c.local.Port())
	ecfg := cfg.Engine
	ecfg.Local = c.local
	if c.eng, err = teredo.NewClient(ecfg); err != nil {
		conn.Close()
		return nil, err
	}
	if cfg.IfName != "" {
		if c.dev, err = tun.Open(cfg.IfName, TunMTU); err != nil {
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
	st := c.eng.Status()
	c.status = clientStatus(&st, c.names, c.ifname)
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

// Status returns the latest snapshot. It may be called from any goroutine.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Run starts the engine and runs it until ctx is done, then stops it
// (removing the address) and returns nil. It returns early with an error
// only if the socket fails. Run must be called once.
func (c *Client) Run(ctx context.Context) error {
	var out teredo.ClientOutput
	buf := make([]byte, 64<<10)
	c.eng.Start(time.Now(), &out)
	c.apply(&out)
	// Wake a blocked read when ctx is done: Run checks ctx after setting
	// each deadline, so this deadline is never overwritten unseen.
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	var runErr error
	for {
		_ = c.conn.SetReadDeadline(c.eng.NextDeadline()) // zero: none
		if ctx.Err() != nil {
			break
		}
		n, from, err := c.conn.ReadFromUDPAddrPort(buf)
		now := time.Now()
		switch {
		case err == nil:
			if herr := c.eng.HandleDatagram(now, from, buf[:n], &out); herr == nil {
				c.apply(&out)
			}
		case errors.Is(err, os.ErrDeadlineExceeded):
		case errors.Is(err, net.ErrClosed):
			runErr = fmt.Errorf("teredoio: client socket: %w", err)
		default:
			// ICMP errors surface here on some kernels; the engine's
			// timers deal with an unreachable server.
			c.log.Printf("receive: %v", err)
		}
		if runErr != nil {
			break
		}
		if d := c.eng.NextDeadline(); !d.IsZero() && !now.Before(d) {
			c.eng.Tick(now, &out)
			c.apply(&out)
		}
	}
	c.eng.Stop(time.Now(), &out)
	c.apply(&out)
	return runErr
}

// apply sends out.Send, acts on out.Events and refreshes the status.
func (c *Client) apply(out *teredo.ClientOutput) {
	for _, d := range out.Send {
		if _, err := c.conn.WriteToUDPAddrPort(d.Payload, d.To); err != nil {
			c.log.Printf("send to %v: %v", d.To, err)
		}
	}
	for _, e := range out.Events {
		c.event(e)
	}
	st := c.eng.Status()
	s := clientStatus(&st, c.names, c.ifname)
	c.mu.Lock()
	c.status = s
	c.mu.Unlock()
}

// event logs e and configures the interface.
func (c *Client) event(e teredo.ClientEvent) {
	switch e.Kind {
	case teredo.EventStateChanged:
		c.log.Printf("state %s (server %v)", e.State, e.Server)
	case teredo.EventAddressAcquired:
		c.log.Printf("address %v (server %v)", e.Addr, e.Server)
		if c.nc != nil {
			if err := c.nc.AddAddr(c.ifname, netip.PrefixFrom(e.Addr, AddrBits)); err != nil {
				c.log.Printf("configure %v on %s: %v", e.Addr, c.ifname, err)
			} else {
				c.configured = append(c.configured, e.Addr)
			}
		}
	case teredo.EventAddressLost:
		c.log.Printf("address %v withdrawn", e.Addr)
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
		if c.dev != nil {
			errs = append(errs, c.dev.Close())
		}
		if c.nc != nil {
			errs = append(errs, c.nc.Close())
		}
	})
	return errors.Join(errs...)
}
