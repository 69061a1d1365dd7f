package udpio

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	// groMsgs is how many messages a read takes with UDP_GRO on: each
	// may be a coalesced run of datagrams, so it gets a region that holds
	// the largest, and the regions cost memory.
	groMsgs = 16
	// groRegion holds one message: a coalesced run is at most an IPv4
	// packet's worth of payload.
	groRegion = 1 << 16
)

// groCmsgSpace is the room for one UDP_GRO control message (an int).
var groCmsgSpace = unix.CmsgSpace(4)

// groState holds the datagrams a UDP_GRO read received that ReadBatch has
// not yet handed out: messages [msg, got) of the read, from byte pos of
// message msg on. The read messages c.rmsgs[:groMsgs] point into buf and
// ctl for the Conn's lifetime.
type groState struct {
	buf []byte
	ctl []byte
	seg [groMsgs]int // datagram size in each message
	got int
	msg int
	pos int
}

// initGRO points the first groMsgs read messages at regions of a buffer
// the Conn owns.
func (c *Conn) initGRO() {
	g := &groState{
		buf: make([]byte, groMsgs*groRegion),
		ctl: make([]byte, groMsgs*groCmsgSpace),
	}
	for i := range groMsgs {
		c.riovs[i].Base = &g.buf[i*groRegion]
		c.riovs[i].SetLen(groRegion)
		c.rmsgs[i].Hdr.Control = &g.ctl[i*groCmsgSpace]
	}
	c.gro = g
}

// readGRO is ReadBatch with UDP_GRO on: it receives into the Conn's
// regions when it has nothing left from the previous read, then copies
// one datagram into each buffer, splitting coalesced runs at their
// segment size. bufs is not empty, and offset is inside each buffer.
// It is called with c.rmu held.
func (c *Conn) readGRO(bufs [][]byte, sizes []int, from []netip.AddrPort, offset int) (int, error) {
	if c.closed.Load() {
		return 0, ErrClosed
	}
	g := c.gro
	if g.msg >= g.got {
		for i := range groMsgs {
			h := &c.rmsgs[i].Hdr
			h.Namelen = unix.SizeofSockaddrInet4
			h.SetControllen(groCmsgSpace)
			h.Flags = 0
		}
		c.rn, c.rgot, c.rerr = groMsgs, 0, nil
		if err := c.rc.Read(c.readFn); err != nil {
			return 0, c.mapErr(err)
		}
		if c.rerr != nil {
			return 0, c.rerr
		}
		g.got, g.msg, g.pos = c.rgot, 0, 0
		for i := range g.got {
			g.seg[i] = int(c.rmsgs[i].Len)
			h := &c.rmsgs[i].Hdr
			if int(h.Controllen) >= unix.CmsgLen(4) {
				cm := (*unix.Cmsghdr)(unsafe.Pointer(&g.ctl[i*groCmsgSpace]))
				if cm.Level == unix.IPPROTO_UDP && cm.Type == unix.UDP_GRO {
					if s := int(*(*int32)(unsafe.Pointer(&g.ctl[i*groCmsgSpace+unix.SizeofCmsghdr]))); s > 0 {
						g.seg[i] = s
					}
				}
			}
		}
	}
	n := 0
	for n < len(bufs) && g.msg < g.got {
		m := g.msg
		end := min(g.pos+g.seg[m], int(c.rmsgs[m].Len))
		sizes[n] = copy(bufs[n][offset:], g.buf[m*groRegion+g.pos:m*groRegion+end])
		from[n] = addrPort(&c.rnames[m])
		n++
		if g.pos = end; g.pos >= int(c.rmsgs[m].Len) {
			g.msg, g.pos = m+1, 0
		}
	}
	return n, nil
}
