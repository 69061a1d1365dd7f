package tun

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transit6/transit6/internal/interop"
	"github.com/transit6/transit6/internal/netcfg"
	"github.com/transit6/transit6/internal/netns"
	"golang.org/x/sys/unix"
)

// Two namespaces, each with an offloading TUN device, joined by wire: the
// kernel of A hands its TUN super-packets, which Read splits and Write
// coalesces into B's TUN, and back. The addresses are documentation ones
// (RFC 3849, RFC 5737), one /64 and one /24 on link between the two.
var (
	wireA6 = netip.MustParsePrefix("2001:db8:7::1/64")
	wireB6 = netip.MustParsePrefix("2001:db8:7::2/64")
	wireA4 = netip.MustParsePrefix("192.0.2.1/24")
	wireB4 = netip.MustParsePrefix("192.0.2.2/24")
)

// openOffloadWith makes a namespace with a TUN device named name, MTU mtu,
// options opts (offloads, ring reads), with addresses addrs.
func openOffloadWith(t *testing.T, label, name string, mtu int, opts Options, addrs ...netip.Prefix) (*netns.NS, *Device) {
	t.Helper()
	ns := netns.New(t, label)
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		interop.Unavailable(t, "no /dev/net/tun")
	}
	ns.Sysctl(t, "net.ipv6.conf.default.router_solicitations", "0")
	var d *Device
	ns.Exec(t, func() (err error) {
		d, err = OpenWithOptions(name, mtu, opts)
		return err
	})
	t.Cleanup(func() { d.Close() })
	requireRing(t, d, opts)
	h, err := netcfg.NewAt(ns.Path())
	require.NoError(t, err)
	defer h.Close()
	for _, a := range addrs {
		require.NoError(t, h.AddAddr(d.Name(), a))
	}
	for _, a := range addrs {
		if a.Addr().Is6() {
			ns.WaitAddr(t, a.Addr()) // duplicate address detection
		}
	}
	return ns, d
}

// pump copies packets from one device to the other, batch at a time,
// until from is closed, checking that each is an IP packet of at most mtu
// bytes whose headroom Read left alone.
func pump(from, to *Device, mtu, batch int, errc chan<- error) {
	bufs, sizes := newBufs(batch, mtu), make([]int, batch)
	out := make([][]byte, 0, batch)
	for {
		n, err := from.Read(bufs, sizes, off)
		if err != nil {
			if errors.Is(err, ErrClosed) {
				err = nil
			}
			errc <- err
			return
		}
		out = out[:0]
		for i := range n {
			if !headroomIntact(bufs[i]) || sizes[i] > mtu {
				errc <- errors.New("bad packet from Read: size " + strconv.Itoa(sizes[i]))
				return
			}
			out = append(out, bufs[i][:off+sizes[i]])
		}
		if k, err := to.Write(out, off); err != nil {
			if errors.Is(err, ErrClosed) {
				err = nil
			} else {
				err = errors.New("Write refused packet " + strconv.Itoa(k) + ": " + err.Error())
			}
			errc <- err
			return
		}
	}
}

// wired returns namespaces A and B joined by pumps; the pumps stop at
// cleanup, and their errors fail the test. A's pump reads 3 packets at a
// time, so that Read keeps most of each super-packet for later calls.
func wired(t *testing.T, mtu int, opts Options) (a, b *netns.NS, da, db *Device) {
	t.Helper()
	a, da = openOffloadWith(t, "wirea", "t6wa", mtu, opts, wireA6, wireA4)
	b, db = openOffloadWith(t, "wireb", "t6wb", mtu, opts, wireB6, wireB4)
	require.True(t, da.Offload(), "the kernel refused TSO")
	errc := make(chan error, 2)
	go pump(da, db, mtu, 3, errc)
	go pump(db, da, mtu, IdealBatchSize, errc)
	t.Cleanup(func() {
		da.Close()
		db.Close()
		for range 2 {
			assert.NoError(t, <-errc)
		}
	})
	return a, b, da, db
}

// transfer sends size random bytes over TCP from a to b (to the listener
// at addr) and back, at once, and checks both arrive intact.
func transfer(t *testing.T, a, b *netns.NS, addr netip.Addr, size int) {
	t.Helper()
	var ln net.Listener
	b.Exec(t, func() (err error) {
		ln, err = net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
		return err
	})
	defer ln.Close()
	var c net.Conn
	a.Exec(t, func() (err error) {
		c, err = net.DialTimeout("tcp", ln.Addr().String(), guard)
		return err
	})
	defer c.Close()
	s, err := ln.Accept()
	require.NoError(t, err)
	defer s.Close()
	deadline := time.Now().Add(4 * guard)
	require.NoError(t, c.SetDeadline(deadline))
	require.NoError(t, s.SetDeadline(deadline))

	up, down := make([]byte, size), make([]byte, size)
	rand.Read(up)
	rand.Read(down)
	var wg sync.WaitGroup
	var gotUp, gotDown []byte
	var errUp, errDown error
	send := func(c net.Conn, b []byte) {
		if _, err := c.Write(b); err != nil {
			t.Error(err)
		}
		c.(*net.TCPConn).CloseWrite()
	}
	wg.Go(func() { send(c, up) })
	wg.Go(func() { send(s, down) })
	wg.Go(func() { gotUp, errUp = io.ReadAll(s) })
	wg.Go(func() { gotDown, errDown = io.ReadAll(c) })
	wg.Wait()
	require.NoError(t, errUp)
	require.NoError(t, errDown)
	assert.Equal(t, sha256.Sum256(up), sha256.Sum256(gotUp), "A→B: %d of %d bytes", len(gotUp), size)
	assert.Equal(t, sha256.Sum256(down), sha256.Sum256(gotDown), "B→A: %d of %d bytes", len(gotDown), size)
}

// TestOffloadTCP runs TCP over IPv6 and IPv4 both ways through the wire:
// the kernel's TSO super-packets are split by Read, coalesced by Write,
// and the streams arrive intact.
func TestOffloadTCP(t *testing.T) { forOffloads(t, testOffloadTCP) }

// forOffloads runs test with offloads, reading with read(2) and through
// io_uring.
func forOffloads(t *testing.T, test func(*testing.T, Options)) {
	t.Run("read", func(t *testing.T) { test(t, Options{Offload: true}) })
	t.Run("ring", func(t *testing.T) { test(t, Options{Offload: true, Ring: true}) })
}

func testOffloadTCP(t *testing.T, opts Options) {
	a, b, da, db := wired(t, 1400, opts)
	transfer(t, a, b, wireB6.Addr(), 8<<20)
	transfer(t, a, b, wireB4.Addr(), 8<<20)
	da.Close() // ends the pumps' Reads, which hold rmu
	db.Close()
	// Read and Write do use the offloads.
	da.rmu.Lock()
	db.wmu.Lock()
	t.Logf("A read %d super-packets (%d Reads resumed one), B wrote %d runs", da.supers, da.resumes, db.runs)
	assert.Positive(t, da.supers, "A never read a super-packet")
	assert.Positive(t, da.resumes, "A never resumed a super-packet")
	assert.Positive(t, db.runs, "B never wrote a coalesced run")
	db.wmu.Unlock()
	da.rmu.Unlock()
}

// udpGSOSend sends b from c as datagrams of seg bytes in one sendmsg with
// UDP_SEGMENT (Linux 4.18), which the kernel passes to the TUN as one USO
// super-packet.
func udpGSOSend(c *net.UDPConn, to netip.AddrPort, b []byte, seg int) error {
	oob := make([]byte, unix.CmsgSpace(2))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level, h.Type = unix.SOL_UDP, unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	binary.NativeEndian.PutUint16(oob[unix.CmsgLen(0):], uint16(seg))
	_, _, err := c.WriteMsgUDPAddrPort(b, oob, to)
	return err
}

// TestOffloadUDP sends UDP super-packets (UDP_SEGMENT) from A: Read splits
// them into datagrams, Write coalesces them again into B, whose socket
// receives each datagram as sent.
func TestOffloadUDP(t *testing.T) { forOffloads(t, testOffloadUDP) }

func testOffloadUDP(t *testing.T, opts Options) {
	a, b, da, db := wired(t, 1400, opts)
	if !da.UDPOffload() {
		t.Skip("the kernel has no USO (Linux 6.2)")
	}
	for _, dst := range []netip.Addr{wireB6.Addr(), wireB4.Addr()} {
		var rc, sc *net.UDPConn
		b.Exec(t, func() (err error) {
			rc, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, 0)))
			return err
		})
		a.Exec(t, func() (err error) {
			sc, err = net.ListenUDP("udp", nil)
			return err
		})
		to := rc.LocalAddr().(*net.UDPAddr).AddrPort()
		const seg, count = 1000, 20
		msg := make([]byte, seg*count-123) // the last datagram is short
		rand.Read(msg)
		require.NoError(t, udpGSOSend(sc, to, msg, seg))
		require.NoError(t, rc.SetReadDeadline(time.Now().Add(guard)))
		buf := make([]byte, 2000)
		var got []byte
		for range count {
			n, err := rc.Read(buf)
			require.NoError(t, err)
			require.LessOrEqual(t, n, seg)
			got = append(got, buf[:n]...)
		}
		assert.True(t, bytes.Equal(msg, got), "%v: datagrams differ", dst)
		rc.Close()
		sc.Close()
	}
	da.Close() // ends the pumps' Reads, which hold rmu
	db.Close()
	da.rmu.Lock()
	db.wmu.Lock()
	assert.Positive(t, da.supers, "A never read a super-packet")
	assert.Positive(t, db.runs, "B never wrote a coalesced run")
	db.wmu.Unlock()
	da.rmu.Unlock()
}

// TestOffloadPing checks plain packets (ICMPv6, no offload involved) with
// the virtio-net header: iputils ping across the wire.
func TestOffloadPing(t *testing.T) { forOffloads(t, testOffloadPing) }

func testOffloadPing(t *testing.T, opts Options) {
	interop.LookPath(t, "ping")
	a, _, _, _ := wired(t, 1400, opts)
	out := a.Output(t, "ping", "-6", "-c3", "-i0.2", "-W5", "-s", "1300", wireB6.Addr().String())
	assert.Contains(t, out, "3 received", out)
	out = a.Output(t, "ping", "-4", "-c3", "-i0.2", "-W5", wireB4.Addr().String())
	assert.Contains(t, out, "3 received", out)
}
