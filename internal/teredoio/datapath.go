package teredoio

import (
	"net/netip"
	"sync"
	"time"

	"github.com/transit6/transit6/teredo"
)

// batchConn is the Teredo UDP socket as the data path uses it: batches of
// datagrams at an offset in caller-owned buffers (package udpio).
type batchConn interface {
	ReadBatch(bufs [][]byte, sizes []int, from []netip.AddrPort, offset int) (int, error)
	WriteBatch(bufs [][]byte, to []netip.AddrPort, offset int) (int, error)
}

// batchDev is the TUN device as the data path uses it (package tun).
type batchDev interface {
	Read(bufs [][]byte, sizes []int, offset int) (int, error)
	Write(bufs [][]byte, offset int) (int, error)
}

// ringBatch is how long a TUN read that has a packet may wait for more
// (tun.Options.RingBatch): under a steady stream the host loop then wakes
// once per batch, not per packet, and sends each batch as one GSO
// datagram, for at most this much added latency (what a NIC's interrupt
// coalescing adds). Measured (bench/README.md, reverse relay): 50 µs gave
// about 23 packets per send and 3.0–3.9 µs of relay CPU per packet, 200 µs
// 2.4–3.1 µs: the kernel then wakes the Go runtime's poller (a write-space
// event of the socket) once per send, not per packet.
const ringBatch = 200 * time.Microsecond

// batchLen is the number of packets a loop handles per system call.
const batchLen = 64

// bufLen is the size of each packet buffer: the largest UDP payload.
const bufLen = 65535

// dataPath carries packets between a TUN device and the Teredo socket
// through a teredo.Node (and, for a client, its teredo.Client control
// plane, which sees every datagram first). Each direction has its own
// buffers, allocated once; the engines are shared under mu, taken once
// per batch. Control packets the engines build (bubbles, echo tests,
// flushed queues, ICMPv6 errors) are copied out of the engines' storage
// before mu is released; data packets are never copied: a datagram's
// inner IPv6 packet is written to the TUN device from the receive buffer,
// and a TUN packet is sent as the UDP payload from the read buffer.
type dataPath struct {
	mu     sync.Mutex
	node   *teredo.Node
	client *teredo.Client             // nil for a relay
	onOut  func(*teredo.ClientOutput) // a client's events and status, under mu

	conn batchConn
	dev  batchDev // nil: no TUN (the client only qualifies)

	net  netSide
	host hostSide
	tick tickSide
}

// netSide is the network → host direction's state.
type netSide struct {
	bufs  [][]byte
	sizes []int
	from  []netip.AddrPort
	tun   [][]byte
	ctl   ctlBatch
	pkt   teredo.Packet
	cout  teredo.ClientOutput
	nout  teredo.NodeOutput
}

// hostSide is the host → network direction's state.
type hostSide struct {
	bufs  [][]byte
	sizes []int
	send  [][]byte
	to    []netip.AddrPort
	ctl   ctlBatch
	out   teredo.NodeOutput
}

// tickSide is the timer's state.
type tickSide struct {
	ctl  ctlBatch
	cout teredo.ClientOutput
	nout teredo.NodeOutput
}

// ctlBatch holds copies of the control packets of one batch: datagrams
// for the socket and packets for the TUN device.
type ctlBatch struct {
	arena []byte
	send  [][]byte
	to    []netip.AddrPort
	host  [][]byte
}

func (c *ctlBatch) reset() {
	c.arena = c.arena[:0]
	c.send = c.send[:0]
	c.to = c.to[:0]
	c.host = c.host[:0]
}

func (c *ctlBatch) copy(b []byte) []byte {
	start := len(c.arena)
	c.arena = append(c.arena, b...)
	return c.arena[start:len(c.arena):len(c.arena)]
}

func (c *ctlBatch) datagram(to netip.AddrPort, b []byte) {
	c.send = append(c.send, c.copy(b))
	c.to = append(c.to, to)
}

func (c *ctlBatch) node(o *teredo.NodeOutput) {
	for _, d := range o.Send {
		c.datagram(d.To, d.Payload)
	}
	for _, h := range o.Host {
		c.host = append(c.host, c.copy(h))
	}
}

func (c *ctlBatch) client(o *teredo.ClientOutput) {
	for _, d := range o.Send {
		c.datagram(d.To, d.Payload)
	}
}

func newDataPath(node *teredo.Node, client *teredo.Client, conn batchConn, dev batchDev) *dataPath {
	d := &dataPath{node: node, client: client, conn: conn, dev: dev}
	alloc := func() ([][]byte, []int) {
		bufs := make([][]byte, batchLen)
		for i := range bufs {
			bufs[i] = make([]byte, bufLen)
		}
		return bufs, make([]int, batchLen)
	}
	d.net.bufs, d.net.sizes = alloc()
	d.net.from = make([]netip.AddrPort, batchLen)
	if dev != nil {
		d.host.bufs, d.host.sizes = alloc()
	}
	return d
}

// fromNetwork handles the n datagrams d.net holds, received at now, and
// sends what they produced. It does not allocate once its buffers have
// grown.
func (d *dataPath) fromNetwork(now time.Time, n int) {
	s := &d.net
	s.tun = s.tun[:0]
	s.ctl.reset()
	d.mu.Lock()
	for i := range n {
		payload := s.bufs[i][:s.sizes[i]]
		from := s.from[i]
		var p *teredo.Packet
		fromServer := false
		if d.client != nil {
			err := d.client.HandleDatagram(now, from, payload, &s.cout)
			s.ctl.client(&s.cout)
			if d.onOut != nil && (len(s.cout.Events) > 0 || len(s.cout.Send) > 0) {
				d.onOut(&s.cout)
			}
			if err != nil || !s.cout.Data.IsValid() {
				continue
			}
			p, fromServer = &s.cout.Data, s.cout.FromServer
		} else {
			if s.pkt.Decode(payload) != nil {
				continue
			}
			p = &s.pkt
		}
		deliver, _ := d.node.Receive(now, from, p, fromServer, &s.nout)
		for _, dg := range s.nout.Send {
			s.ctl.datagram(dg.To, dg.Payload)
		}
		if d.dev == nil {
			continue
		}
		// Packets held for a peer this one verified are older: they go
		// to the host first, in order.
		for _, h := range s.nout.Host {
			s.tun = append(s.tun, s.ctl.copy(h))
		}
		if deliver {
			s.tun = append(s.tun, p.Inner())
		}
	}
	d.mu.Unlock()
	d.writeTUN(s.tun)
	d.flushCtl(&s.ctl)
}

// fromHost handles the n packets d.host holds, read from the TUN device at
// now, and sends them. It does not allocate once its buffers have grown.
func (d *dataPath) fromHost(now time.Time, n int) {
	s := &d.host
	s.send = s.send[:0]
	s.to = s.to[:0]
	s.ctl.reset()
	d.mu.Lock()
	for i := range n {
		pkt := s.bufs[i][:s.sizes[i]]
		to, err := d.node.Transmit(now, pkt, &s.out)
		s.ctl.node(&s.out)
		if err == nil && to.IsValid() {
			s.send = append(s.send, pkt)
			s.to = append(s.to, to)
		}
	}
	d.mu.Unlock()
	d.writeNet(s.send, s.to)
	d.flushCtl(&s.ctl)
}

// fromDiscovery handles a datagram received on the local discovery group
// (RFC 4380 §5.2.8): a neighbour's discovery bubble, for the node only.
func (d *dataPath) fromDiscovery(now time.Time, from netip.AddrPort, payload []byte, s *discoverySide) {
	s.ctl.reset()
	if s.pkt.Decode(payload) != nil {
		return
	}
	d.mu.Lock()
	_, _ = d.node.Receive(now, from, &s.pkt, false, &s.out)
	s.ctl.node(&s.out)
	d.mu.Unlock()
	d.flushCtl(&s.ctl)
}

// discoverySide is the state of the local discovery loop.
type discoverySide struct {
	pkt teredo.Packet
	out teredo.NodeOutput
	ctl ctlBatch
}

// onTick runs the engines' timers that are due at now.
func (d *dataPath) onTick(now time.Time) {
	s := &d.tick
	s.ctl.reset()
	d.mu.Lock()
	if d.client != nil {
		if dl := d.client.NextDeadline(); !dl.IsZero() && !now.Before(dl) {
			d.client.Tick(now, &s.cout)
			s.ctl.client(&s.cout)
			if d.onOut != nil {
				d.onOut(&s.cout)
			}
		}
	}
	if dl := d.node.NextDeadline(); !dl.IsZero() && !now.Before(dl) {
		d.node.Tick(now, &s.nout)
		s.ctl.node(&s.nout)
	}
	d.mu.Unlock()
	d.flushCtl(&s.ctl)
}

func (d *dataPath) flushCtl(c *ctlBatch) {
	d.writeNet(c.send, c.to)
	d.writeTUN(c.host)
}

// writeNet sends bufs[i] to to[i], skipping a datagram the kernel refuses.
func (d *dataPath) writeNet(bufs [][]byte, to []netip.AddrPort) {
	for len(bufs) > 0 {
		n, err := d.conn.WriteBatch(bufs, to, 0)
		if err == nil {
			return
		}
		n++ // bufs[n] was refused: skip it
		if n > len(bufs) {
			return
		}
		bufs, to = bufs[n:], to[n:]
	}
}

// writeTUN writes pkts to the device, skipping a packet it refuses.
func (d *dataPath) writeTUN(pkts [][]byte) {
	if d.dev == nil {
		return
	}
	for len(pkts) > 0 {
		n, err := d.dev.Write(pkts, 0)
		if err == nil {
			return
		}
		n++
		if n > len(pkts) {
			return
		}
		pkts = pkts[n:]
	}
}

// tickEvery is how often the timer loop checks the engines' deadlines; the
// protocol's timers are seconds long.
const tickEvery = 50 * time.Millisecond

// runTicker calls onTick every tickEvery until done is closed.
func (d *dataPath) runTicker(done <-chan struct{}) {
	t := time.NewTicker(tickEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			d.onTick(now)
		}
	}
}
