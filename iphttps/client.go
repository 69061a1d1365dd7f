package iphttps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"
)

// State is a state of the client ([MS-IPHTTPS] §3.1.1), as Client reports
// it in its events.
type State uint8

const (
	// StateLinkDown: connecting: TCP, proxy, TLS ("LinkDown: ... tries to
	// establish an HTTPS connection").
	StateLinkDown State = iota
	// StateLinkUp: the 200 and the Router Advertisement have come; the
	// Event carries the Conn and its address ("LinkUp: ... usable for
	// sending and receiving IPv6 traffic").
	StateLinkUp
	// StateWaiting: an attempt failed or the link was lost; the reconnect
	// timer runs (§3.1.2.1). The Event carries the error and the wait.
	StateWaiting
)

// String returns "link-down", "link-up" or "waiting".
func (s State) String() string {
	switch s {
	case StateLinkDown:
		return "link-down"
	case StateLinkUp:
		return "link-up"
	case StateWaiting:
		return "waiting"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Event is a change of the client's state.
type Event struct {
	State State
	Conn  *Conn         // StateLinkUp: the link, with its address, prefix, router and MTU
	Err   error         // StateWaiting: why
	Retry time.Duration // StateWaiting: the wait before the next attempt
}

// Client keeps an IP-HTTPS link up and moves packets between it and a local
// Device (the host's TUN interface): it dials, and when the link fails it
// waits as the reconnect timer of [MS-IPHTTPS] §3.1.2.1 says (Backoff) and
// dials again, for as long as Run runs. Its interface identifier stays the
// same across reconnections, so the address does too as long as the prefix
// does.
type Client struct {
	// Config says where and how to connect.
	Config ClientConfig

	// Backoff is the reconnect timer; its zero value follows the
	// specification (30 s, then the time elapsed since the first failure,
	// at most 15 min).
	Backoff Backoff

	// OnEvent, if set, is called on each change of state, from Run's
	// goroutine; Run waits for it. On StateLinkUp it is where the caller
	// configures the Device's address, routes and MTU before packets flow.
	OnEvent func(Event)

	// DeviceOffset is the offset given to the Device's Read and Write.
	DeviceOffset int

	// BatchSize is the number of packets per Read and Write; 0 means 64.
	BatchSize int

	// PacketBufferSize is the size of the buffers packets are read into,
	// after DeviceOffset: the largest packet read from the Device (set its
	// MTU to the link's, Conn.MTU). 0 means 2048. One buffer of the batch
	// from the server holds MaxPacketLen, so any packet gets through.
	PacketBufferSize int

	// sleep waits for d or until ctx is done; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
	// now is the clock; tests replace it.
	now func() time.Time
}

func (c *Client) emit(e Event) {
	if c.OnEvent != nil {
		c.OnEvent(e)
	}
}

// Run keeps the link up until ctx is done, moving packets between it and
// dev, and returns ctx's error; it returns other errors only for a
// configuration that can never work (ErrBadURL, ErrInvalidConfig). While the
// link is down, packets read from dev are dropped.
//
// A goroutine reads dev for as long as dev.Read succeeds: it ends when dev
// is closed, which the caller does after Run returns.
func (c *Client) Run(ctx context.Context, dev Device) error {
	cfg := c.Config
	if _, err := parseServerURL(cfg.URL); err != nil {
		return err
	}
	if cfg.Proxy != nil && (cfg.Proxy.Scheme != "http" || cfg.Proxy.Host == "") {
		return fmt.Errorf("%w: proxy %s", ErrBadURL, cfg.Proxy.Redacted())
	}
	if cfg.InterfaceID == ([8]byte{}) {
		iid, err := randomIID(cfg.Rand)
		if err != nil {
			return err
		}
		cfg.InterfaceID = iid
	}
	sleep, now := c.sleep, c.now
	if sleep == nil {
		sleep = sleepContext
	}
	if now == nil {
		now = time.Now
	}
	batch := c.BatchSize
	if batch <= 0 {
		batch = 64
	}
	if c.DeviceOffset < 0 {
		return fmt.Errorf("%w: negative DeviceOffset", ErrInvalidConfig)
	}

	size := c.PacketBufferSize
	if size <= 0 {
		size = 2048
	}
	var cur atomic.Pointer[Conn]
	go c.fromDevice(dev, &cur, batch, size)

	bufs, sizes := makeBatch(batch, c.DeviceOffset+size), make([]int, batch)
	if size < MaxPacketLen {
		bufs[0] = make([]byte, c.DeviceOffset+MaxPacketLen)
	}
	for {
		c.emit(Event{State: StateLinkDown})
		conn, err := Dial(ctx, &cfg)
		if err == nil {
			c.Backoff.Success()
			// The link carries the host's packets before anyone hears
			// of it: a packet read between the event and the store
			// would be dropped.
			cur.Store(conn)
			c.emit(Event{State: StateLinkUp, Conn: conn})
			stop := context.AfterFunc(ctx, func() { conn.Close() })
			err = c.toDevice(conn, dev, bufs, sizes)
			stop()
			cur.Store(nil)
			conn.Close()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, ErrBadURL) || errors.Is(err, ErrInvalidConfig) {
			return err
		}
		if errors.Is(err, ErrDuplicateAddress) && c.Config.InterfaceID == ([8]byte{}) {
			// Our random identifier collided: draw another one.
			if iid, rerr := randomIID(cfg.Rand); rerr == nil {
				cfg.InterfaceID = iid
			}
		}
		d := c.Backoff.Failure(now())
		c.emit(Event{State: StateWaiting, Err: err, Retry: d})
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

// toDevice moves packets from conn to dev until conn fails.
func (c *Client) toDevice(conn *Conn, dev Device, bufs [][]byte, sizes []int) error {
	off := c.DeviceOffset
	for {
		n, err := conn.Read(bufs, sizes, off)
		if err != nil {
			return err
		}
		out := bufs[:n]
		for i := range out {
			out[i] = out[i][:off+sizes[i]]
		}
		for len(out) > 0 {
			k, err := dev.Write(out, off)
			if err != nil {
				if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) {
					return err
				}
				k++ // the device refused out[k]: drop it, go on
			}
			out = out[min(k, len(out)):]
		}
		for i := range bufs[:n] {
			bufs[i] = bufs[i][:cap(bufs[i])]
		}
	}
}

// fromDevice moves packets from dev to the current link until dev fails
// for good.
func (c *Client) fromDevice(dev Device, cur *atomic.Pointer[Conn], batch, size int) {
	off := c.DeviceOffset
	bufs, sizes := makeBatch(batch, off+size), make([]int, batch)
	out := make([][]byte, batch)
	for {
		n, err := dev.Read(bufs, sizes, off)
		if n > 0 {
			if conn := cur.Load(); conn != nil {
				for i := range n {
					out[i] = bufs[i][:off+sizes[i]]
				}
				conn.Write(out[:n], off)
				clear(out[:n])
			}
		}
		if err != nil && n == 0 {
			if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) || errors.Is(err, io.EOF) {
				return
			}
			time.Sleep(10 * time.Millisecond) // a failing device: do not spin
		}
	}
}

func makeBatch(n, size int) [][]byte {
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = make([]byte, size)
	}
	return bufs
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
