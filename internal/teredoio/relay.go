package teredoio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/transit6/transit6/internal/netcfg"
	"github.com/transit6/transit6/internal/tun"
	"github.com/transit6/transit6/internal/udpio"
	"github.com/transit6/transit6/teredo"
)

// DefaultRelayPort is the UDP port a relay binds by default. Any port
// works: clients learn it from the origin indication of the relay's
// bubbles; Miredo's relays use 3545 in its examples.
const DefaultRelayPort = 3545

// RelayConfig configures a Relay.
type RelayConfig struct {
	// Engine configures the data path; Engine.Relay is set by NewRelay.
	Engine teredo.NodeConfig
	// Bind is the IPv4 address and UDP port of the relay's socket (port 0
	// selects DefaultRelayPort).
	Bind netip.AddrPort
	// IfName names the TUN interface (default "teredo"); the Teredo
	// prefix (Engine.Prefix, default 2001::/32) is routed into it, and
	// Engine.RelayAddr, if set, is configured on it.
	IfName string
	// MTU is the interface's MTU; 0 selects TunMTU (1280).
	MTU int
	// Log receives start-up and error lines; nil discards.
	Log *log.Logger
}

// Relay runs a Teredo relay (RFC 4380 §5.4): native IPv6 packets routed
// into its TUN interface for the Teredo prefix go to Teredo clients over
// UDP, and packets from Teredo clients come out of the interface.
type Relay struct {
	conn   *udpio.Conn
	dev    *tun.Device
	nc     *netcfg.Handle
	node   *teredo.Node
	dp     *dataPath
	ifname string
	prefix netip.Prefix
	log    *log.Logger

	closeOnce sync.Once
}

// NewRelay binds the socket, creates the TUN interface with its route and
// the engine. Close releases them.
func NewRelay(cfg RelayConfig) (*Relay, error) {
	ecfg := cfg.Engine
	ecfg.Relay = true
	node, err := teredo.NewNode(ecfg)
	if err != nil {
		return nil, err
	}
	bind := cfg.Bind
	if bind.Port() == 0 {
		bind = netip.AddrPortFrom(bind.Addr(), DefaultRelayPort)
	}
	if !bind.Addr().IsValid() {
		bind = netip.AddrPortFrom(netip.IPv4Unspecified(), bind.Port())
	}
	r := &Relay{node: node, log: cfg.Log, prefix: ecfg.Prefix}
	if !r.prefix.IsValid() {
		r.prefix = netip.MustParsePrefix("2001::/32")
	}
	if r.log == nil {
		r.log = log.New(io.Discard, "", 0)
	}
	if r.conn, err = listenUDP(bind); err != nil {
		return nil, fmt.Errorf("teredoio: relay socket: %w", err)
	}
	name := cfg.IfName
	if name == "" {
		name = "teredo"
	}
	mtu := cfg.MTU
	if mtu == 0 {
		mtu = TunMTU
	}
	// Offloads: a run of datagrams of one flow is written as one
	// super-packet, which the kernel forwards once (most of the relay's
	// CPU goes to the kernel's forwarding of what it writes). Ring
	// reads: one system call per wait for what native hosts send, however
	// many packets came meanwhile (internal/tun, Options.Ring).
	if r.dev, err = tun.OpenWithOptions(name, mtu, tun.Options{Offload: true, Ring: true, RingBatch: ringBatch}); err != nil {
		r.Close()
		return nil, err
	}
	r.ifname = r.dev.Name()
	if r.nc, err = netcfg.New(); err != nil {
		r.Close()
		return nil, err
	}
	if a := ecfg.RelayAddr; a.IsValid() {
		if err := r.nc.AddAddr(r.ifname, netip.PrefixFrom(a, 128)); err != nil {
			r.Close()
			return nil, fmt.Errorf("teredoio: relay address: %w", err)
		}
	}
	if err := r.nc.AddRoute(r.ifname, netcfg.Route{Dst: r.prefix}); err != nil {
		r.Close()
		return nil, fmt.Errorf("teredoio: route %v: %w", r.prefix, err)
	}
	r.dp = newDataPath(node, nil, r.conn, r.dev)
	return r, nil
}

// LocalAddr returns the socket's address.
func (r *Relay) LocalAddr() netip.AddrPort { return r.conn.LocalAddr() }

// IfName returns the TUN interface's name.
func (r *Relay) IfName() string { return r.ifname }

// Status returns a snapshot of the relay, with up to MaxStatusPeers peers.
// It may be called from any goroutine.
func (r *Relay) Status() Status {
	r.dp.mu.Lock()
	st := Status{
		Type:      "relay",
		State:     "online",
		Interface: r.ifname,
		TUNReads:  r.dev.Reads(),
		RelayBind: r.conn.LocalAddr(),
		Prefix:    r.prefix,
	}
	nodeStatus(&st, r.node)
	r.dp.mu.Unlock()
	return st
}

// Run forwards until ctx is done, then returns nil; a failing socket or
// device ends it with the error. Run must be called once.
func (r *Relay) Run(ctx context.Context) error {
	return runDataPath(ctx, r.dp, []waker{r.conn, r.dev}, r.log)
}

// Close closes the socket and deletes the TUN interface (and its route).
// Call it after Run has returned.
func (r *Relay) Close() error {
	var errs []error
	r.closeOnce.Do(func() {
		if r.conn != nil {
			errs = append(errs, r.conn.Close())
		}
		if r.dev != nil {
			errs = append(errs, r.dev.Close())
		}
		if r.nc != nil {
			errs = append(errs, r.nc.Close())
		}
	})
	return errors.Join(errs...)
}

// socketBuffer is the receive and send buffer size of the data path's
// socket: room for bursts of a few thousand datagrams.
const socketBuffer = 4 << 20

// listenUDP opens the data path's socket: batched, with UDP segmentation
// offload (runs of datagrams to one peer leave in one system call) and
// large buffers.
func listenUDP(bind netip.AddrPort) (*udpio.Conn, error) {
	return udpio.ListenConfig{Local: bind, GSO: true, RecvBuffer: socketBuffer, SendBuffer: socketBuffer}.Listen()
}

// waker is what runDataPath wakes its loops with: a read deadline in the
// past makes a blocked read return.
type waker interface{ SetReadDeadline(time.Time) error }

// runDataPath runs the network loop, the host loop (with a device) and the
// timer until ctx is done or a loop fails, then wakes the others with read
// deadlines in the past; it closes nothing.
func runDataPath(ctx context.Context, dp *dataPath, wake []waker, logger *log.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	var wg sync.WaitGroup
	var netErr, hostErr error
	wg.Go(func() {
		defer cancel()
		netErr = dp.netLoop(ctx, logger)
	})
	if dp.dev != nil {
		wg.Go(func() {
			defer cancel()
			hostErr = dp.hostLoop(ctx, logger)
		})
	}
	wg.Go(func() { dp.runTicker(done) })
	<-ctx.Done()
	close(done)
	for _, w := range wake {
		_ = w.SetReadDeadline(time.Unix(1, 0))
	}
	wg.Wait()
	return errors.Join(netErr, hostErr)
}

// netLoop reads the socket until ctx is done. It returns nil when ctx
// ended it, the socket's error otherwise.
func (d *dataPath) netLoop(ctx context.Context, logger *log.Logger) error {
	for {
		n, err := d.conn.ReadBatch(d.net.bufs, d.net.sizes, d.net.from, 0)
		if n > 0 {
			d.fromNetwork(time.Now(), n)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, udpio.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Errorf("teredoio: socket: %w", err)
			}
			// ICMP errors (ECONNREFUSED) surface here; nothing to do.
			logger.Printf("receive: %v", err)
		}
	}
}

// hostLoop reads the TUN device until ctx is done.
func (d *dataPath) hostLoop(ctx context.Context, logger *log.Logger) error {
	for {
		n, err := d.dev.Read(d.host.bufs, d.host.sizes, 0)
		if n > 0 {
			d.fromHost(time.Now(), n)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, os.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Errorf("teredoio: TUN: %w", err)
			}
			logger.Printf("TUN read: %v", err)
		}
	}
}

// MaxStatusPeers is the most peers a status lists.
const MaxStatusPeers = 1000

// nodeStatus adds the data path's counters and peers to st. Call it with
// the data path's lock held.
func nodeStatus(st *Status, n *teredo.Node) {
	c := n.Counters()
	if st.Counters == nil {
		st.Counters = map[string]uint64{}
	}
	c.Each(func(k teredo.NodeCounter, v uint64) { st.Counters[k.String()] = v })
	st.NumPeers = n.NumPeers()
	for _, p := range n.Peers(nil, MaxStatusPeers) {
		ps := PeerStatus{
			Addr:    p.Addr,
			Mapping: p.Mapping,
			Trusted: p.Trusted,
			Testing: p.Testing,
			Bubbles: p.Bubbles,
			Queued:  p.Queued,
		}
		if !p.LastRx.IsZero() {
			ps.LastRx = p.LastRx.UTC().Format(time.RFC3339)
		}
		if !p.LastTx.IsZero() {
			ps.LastTx = p.LastTx.UTC().Format(time.RFC3339)
		}
		st.Peers = append(st.Peers, ps)
	}
}
