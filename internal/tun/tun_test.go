package tun

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transit6/transit6/internal/interop"
	"github.com/transit6/transit6/internal/netcfg"
	"github.com/transit6/transit6/internal/netns"
	"github.com/transit6/transit6/packet"
	"golang.org/x/sys/unix"
)

// Documentation addresses (RFC 3849): the TUN interface's own address and
// a peer on its /64, reached through the device.
var (
	local = netip.MustParsePrefix("2001:db8:1::1/64")
	peer  = netip.MustParseAddr("2001:db8:1::2")
)

const (
	ifname = "t6tun0"
	off    = packet.MaxHeadroom // read and write with transit6's headroom
	guard  = 10 * time.Second   // liveness guard for reads that must succeed
)

// open creates a namespace holding a TUN device with address local, opened
// and configured from inside it; everything is closed by t.Cleanup.
func open(t testing.TB, mtu int) (*netns.NS, *Device) {
	t.Helper()
	return openWith(t, mtu, Options{})
}

// openWith is open with options.
func openWith(t testing.TB, mtu int, opts Options) (*netns.NS, *Device) {
	t.Helper()
	ns := netns.New(t, "tun")
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		interop.Unavailable(t, "no /dev/net/tun")
	}
	// Keep the kernel's own traffic (router solicitations) off the device
	// where it is easy; the tests skip what remains (MLD).
	ns.Sysctl(t, "net.ipv6.conf.default.router_solicitations", "0")
	var d *Device
	ns.Exec(t, func() (err error) {
		d, err = OpenWithOptions(ifname, mtu, opts)
		return err
	})
	t.Cleanup(func() { d.Close() })
	requireRing(t, d, opts)
	h, err := netcfg.NewAt(ns.Path())
	require.NoError(t, err)
	defer h.Close()
	require.NoError(t, h.AddAddr(d.Name(), local))
	return ns, d
}

// requireRing fails or skips (interop.Unavailable) a test that asked for
// ring reads on a kernel without them.
func requireRing(t testing.TB, d *Device, opts Options) {
	t.Helper()
	if opts.Ring && !d.RingReads() {
		interop.Unavailable(t, fmt.Sprintf("no io_uring multishot reads: %v", d.ringErr))
	}
	want := "read(2)"
	if opts.Ring {
		want = "io_uring"
	}
	if got := d.Reads(); got != want {
		t.Fatalf("Reads() = %q, want %q", got, want)
	}
}

// forModes runs test without and with offloads, each reading with read(2)
// and through io_uring: everything a Device does for plain packets must
// work the same behind virtio-net headers and from the ring.
func forModes(t *testing.T, test func(*testing.T, Options)) {
	t.Run("plain", func(t *testing.T) { test(t, Options{}) })
	t.Run("offload", func(t *testing.T) { test(t, Options{Offload: true}) })
	t.Run("ring", func(t *testing.T) { test(t, Options{Ring: true}) })
	t.Run("offload-ring", func(t *testing.T) { test(t, Options{Offload: true, Ring: true}) })
}

// listenICMP6 returns a raw ICMPv6 socket in ns bound to the TUN address.
func listenICMP6(t testing.TB, ns *netns.NS) *net.IPConn {
	t.Helper()
	var c *net.IPConn
	ns.Exec(t, func() (err error) {
		c, err = net.ListenIP("ip6:ipv6-icmp", &net.IPAddr{IP: local.Addr().AsSlice()})
		return err
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// newBufs returns n buffers of headroom+size bytes with the headroom filled
// with 0xA5, so tests can check it was left alone.
func newBufs(n, size int) [][]byte {
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = make([]byte, off+size)
		for j := range off {
			bufs[i][j] = 0xA5
		}
	}
	return bufs
}

func headroomIntact(b []byte) bool {
	for _, c := range b[:off] {
		if c != 0xA5 {
			return false
		}
	}
	return true
}

func TestOpenConfigures(t *testing.T) {
	ns, d := open(t, 1400)
	assert.Equal(t, ifname, d.Name())
	assert.Equal(t, 1400, d.MTU())
	assert.Equal(t, IdealBatchSize, d.BatchSize())
	assert.False(t, d.Offload())
	assert.False(t, d.UDPOffload())

	// iproute2's view: a TUN device (no link-layer address), up, MTU 1400.
	var links []map[string]any
	require.NoError(t, json.Unmarshal([]byte(ns.Output(t, "ip", "-j", "-d", "link", "show", ifname)), &links))
	require.Len(t, links, 1)
	assert.Contains(t, links[0]["flags"], "UP")
	assert.Equal(t, 1400.0, links[0]["mtu"])
	assert.Equal(t, "none", links[0]["link_type"])
	assert.Equal(t, "tun", links[0]["linkinfo"].(map[string]any)["info_kind"])

	require.NoError(t, d.SetMTU(1280))
	assert.Equal(t, 1280, d.MTU())
	assert.Contains(t, ns.Output(t, "ip", "link", "show", ifname), "mtu 1280")
	assert.ErrorIs(t, d.SetMTU(MinMTU-1), ErrBadMTU)
	assert.ErrorIs(t, d.SetMTU(MaxMTU+1), ErrBadMTU)

	// Closing deletes the interface.
	require.NoError(t, d.Close())
	assert.ErrorIs(t, d.Close(), ErrClosed)
	assert.ErrorIs(t, d.SetMTU(1280), ErrClosed)
	out, err := ns.Command("ip", "link", "show", ifname).CombinedOutput()
	assert.Error(t, err, string(out))
}

func TestOpenErrors(t *testing.T) {
	ns := netns.New(t, "tunerr")
	ns.Exec(t, func() error {
		_, err := Open("0123456789abcdef", 1500)
		if !errors.Is(err, ErrNameTooLong) {
			return errors.New("want ErrNameTooLong, got " + errString(err))
		}
		if _, err = Open("x", MinMTU-1); !errors.Is(err, ErrBadMTU) {
			return errors.New("want ErrBadMTU, got " + errString(err))
		}
		// The kernel names devices given a pattern.
		d, err := Open("t6t%d", 1500)
		if err != nil {
			return err
		}
		defer d.Close()
		if d.Name() != "t6t0" {
			return errors.New("pattern name: " + d.Name())
		}
		// A name in use by a device of another kind is refused.
		if _, err = Open("lo", 1500); err == nil {
			return errors.New("Open(lo) succeeded")
		}
		return nil
	})
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// readEcho reads batches from d until it finds an ICMPv6 Echo message of
// type typ with identifier id, and returns a copy of the packet. Other
// packets (MLD reports the kernel sends on its own) are skipped.
func readEcho(t testing.TB, d *Device, typ uint8, id uint16) []byte {
	t.Helper()
	require.NoError(t, d.SetReadDeadline(time.Now().Add(guard)))
	defer d.SetReadDeadline(time.Time{})
	bufs, sizes := newBufs(8, 1500), make([]int, 8)
	for {
		n, err := d.Read(bufs, sizes, off)
		require.NoError(t, err)
		require.Positive(t, n)
		for i := range n {
			require.True(t, headroomIntact(bufs[i]), "Read wrote into the headroom")
			pkt := bufs[i][off : off+sizes[i]]
			ip, err := packet.ParseIPv6(pkt)
			if err != nil {
				continue
			}
			m, err := packet.ParseICMPv6(ip)
			if err != nil || m.Type() != typ {
				continue
			}
			if gotID, _, _, err := m.Echo(); err == nil && gotID == id {
				return append([]byte(nil), pkt...)
			}
		}
	}
}

// TestKernelEcho sends an Echo Request from a socket in the namespace to a
// peer behind the TUN device, reads it from the device, writes the Echo
// Reply back and sees the socket receive it: the kernel accepted our
// packet (checksum included) and routed it.
func TestKernelEcho(t *testing.T) { forModes(t, testKernelEcho) }

func testKernelEcho(t *testing.T, opts Options) {
	ns, d := openWith(t, 1400, opts)
	sock := listenICMP6(t, ns)
	const id, seq = 0x7436, 1
	data := []byte("transit6 tun test")
	req := []byte{packet.ICMPv6EchoRequest, 0, 0, 0, id >> 8, id & 0xff, 0, seq}
	req = append(req, data...) // the kernel computes the checksum of raw ICMPv6
	_, err := sock.WriteToIP(req, &net.IPAddr{IP: peer.AsSlice()})
	require.NoError(t, err)

	pkt := readEcho(t, d, packet.ICMPv6EchoRequest, id)
	ip, err := packet.ParseIPv6(pkt)
	require.NoError(t, err)
	assert.Equal(t, local.Addr(), ip.Src())
	assert.Equal(t, peer, ip.Dst())
	m, err := packet.ParseICMPv6(ip)
	require.NoError(t, err)
	_, gotSeq, gotData, err := m.Echo()
	require.NoError(t, err)
	assert.Equal(t, uint16(seq), gotSeq)
	assert.Equal(t, data, gotData)

	// The reply, built by package packet, goes in at the headroom offset.
	reply, err := packet.AppendEchoReply(make([]byte, off), peer, local.Addr(), 64, id, seq, data)
	require.NoError(t, err)
	n, err := d.Write([][]byte{reply}, off)
	require.NoError(t, err)
	assert.Equal(t, 1, n)

	require.NoError(t, sock.SetReadDeadline(time.Now().Add(guard)))
	buf := make([]byte, 1500)
	for {
		n, from, err := sock.ReadFromIP(buf)
		require.NoError(t, err)
		if n < 8 || buf[0] != packet.ICMPv6EchoReply {
			continue // our own request, looped to the raw socket
		}
		assert.Equal(t, peer.String(), from.IP.String())
		assert.Equal(t, uint16(id), binary.BigEndian.Uint16(buf[4:]))
		assert.Equal(t, uint16(seq), binary.BigEndian.Uint16(buf[6:]))
		assert.Equal(t, data, buf[8:n])
		return
	}
}

// respond answers every Echo Request read from d with an Echo Reply written
// back in place (addresses swapped, type and checksum updated), a whole
// batch per Write, until d is closed.
func respond(d *Device, done chan<- error) {
	bufs, sizes := newBufs(IdealBatchSize, 1500), make([]int, IdealBatchSize)
	out := make([][]byte, 0, IdealBatchSize)
	for {
		n, err := d.Read(bufs, sizes, off)
		if err != nil {
			if errors.Is(err, ErrClosed) {
				err = nil
			}
			done <- err
			return
		}
		out = out[:0]
		for i := range n {
			pkt := bufs[i][:off+sizes[i]]
			b := pkt[off:]
			if len(b) < 48 || b[0]>>4 != 6 || b[6] != packet.ProtoICMPv6 || b[40] != packet.ICMPv6EchoRequest {
				continue
			}
			var a [16]byte
			copy(a[:], b[8:24])
			copy(b[8:24], b[24:40])
			copy(b[24:40], a[:])
			b[40] = packet.ICMPv6EchoReply
			// Swapping addresses leaves the pseudo-header sum alone; only
			// the type word changed (RFC 1624).
			ck := binary.BigEndian.Uint16(b[42:])
			binary.BigEndian.PutUint16(b[42:], packet.UpdateChecksum(ck, packet.ICMPv6EchoRequest<<8, packet.ICMPv6EchoReply<<8))
			out = append(out, pkt)
		}
		if _, err := d.Write(out, off); err != nil {
			done <- err
			return
		}
	}
}

// TestPing runs iputils ping in the namespace against a peer behind the
// TUN device, answered by respond.
func TestPing(t *testing.T) { forModes(t, testPing) }

func testPing(t *testing.T, opts Options) {
	interop.LookPath(t, "ping")
	ns, d := openWith(t, 1400, opts)
	done := make(chan error, 1)
	go respond(d, done)
	out := ns.Output(t, "ping", "-6", "-c3", "-i0.2", "-W5", peer.String())
	assert.Contains(t, out, "3 received", out)
	require.NoError(t, d.Close())
	require.NoError(t, <-done)
}

func TestCloseWakesRead(t *testing.T) { forModes(t, testCloseWakesRead) }

func testCloseWakesRead(t *testing.T, opts Options) {
	_, d := openWith(t, 1400, opts)
	bufs, sizes := newBufs(1, 1500), make([]int, 1)
	errc := make(chan error, 1)
	go func() {
		_, err := d.Read(bufs, sizes, off)
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond) // let Read block (it passes either way)
	require.NoError(t, d.Close())
	assert.ErrorIs(t, <-errc, ErrClosed)
	assert.ErrorIs(t, <-func() chan error { c := make(chan error, 1); _, err := d.Read(bufs, sizes, off); c <- err; return c }(), ErrClosed)
	_, err := d.Write(bufs, off)
	assert.ErrorIs(t, err, ErrClosed)
}

func TestReadDeadline(t *testing.T) { forModes(t, testReadDeadline) }

func testReadDeadline(t *testing.T, opts Options) {
	_, d := openWith(t, 1400, opts)
	// One goroutine reads throughout (ring reads allow no other).
	bufs, sizes := newBufs(1, 1500), make([]int, 1)
	errc := make(chan error)
	read := func() {
		for range 3 {
			_, err := d.Read(bufs, sizes, off)
			errc <- err
		}
	}
	require.NoError(t, d.SetReadDeadline(time.Now().Add(-time.Second)))
	go read()
	assert.ErrorIs(t, <-errc, os.ErrDeadlineExceeded)

	// A deadline ends a Read that is waiting, and one in the past wakes
	// it (as the data paths stop their loops).
	require.NoError(t, d.SetReadDeadline(time.Now().Add(150*time.Millisecond)))
	assert.ErrorIs(t, <-errc, os.ErrDeadlineExceeded)
	require.NoError(t, d.SetReadDeadline(time.Time{}))
	// (Read may start before the line above; a deadline passed meanwhile
	// gives the same answer.)
	time.Sleep(50 * time.Millisecond) // let Read block (it passes either way)
	require.NoError(t, d.SetReadDeadline(time.Unix(1, 0)))
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	case <-time.After(guard):
		t.Fatal("a deadline in the past did not wake Read")
	}
}

func TestWriteErrors(t *testing.T) { forModes(t, testWriteErrors) }

func testWriteErrors(t *testing.T, opts Options) {
	_, d := openWith(t, 1400, opts)
	good, err := packet.AppendEchoRequest(make([]byte, off), peer, local.Addr(), 64, 1, 1, nil)
	require.NoError(t, err)
	notIP := make([]byte, off+48) // version 0: the kernel refuses it
	short := make([]byte, off-1)

	n, err := d.Write([][]byte{good, good, notIP, good}, off)
	assert.Equal(t, 2, n)
	assert.ErrorIs(t, err, unix.EINVAL)

	n, err = d.Write([][]byte{good, short}, off)
	assert.Equal(t, 1, n)
	assert.ErrorIs(t, err, io.ErrShortBuffer)

	n, err = d.Write(nil, off)
	assert.Equal(t, 0, n)
	assert.NoError(t, err)
	_, err = d.Read(newBufs(1, 10), []int{0}, -1)
	assert.ErrorIs(t, err, io.ErrShortBuffer)
	n, err = d.Read(nil, nil, off)
	assert.Equal(t, 0, n)
	assert.NoError(t, err)
}

// TestReadDrainsBatch writes many packets the kernel answers and checks a
// single Read returns several of them at once, each intact.
func TestReadDrainsBatch(t *testing.T) { forModes(t, testReadDrainsBatch) }

func testReadDrainsBatch(t *testing.T, opts Options) {
	_, d := openWith(t, 1400, opts)
	const count = 16
	reqs := make([][]byte, count)
	for i := range reqs {
		var err error
		reqs[i], err = packet.AppendEchoRequest(make([]byte, off), peer, local.Addr(), 64, 0x4242, uint16(i), []byte(strings.Repeat("x", i)))
		require.NoError(t, err)
	}
	n, err := d.Write(reqs, off)
	require.NoError(t, err)
	require.Equal(t, count, n)

	// The kernel's replies are queued on the device before Write returns
	// or shortly after; collect them all.
	bufs, sizes := newBufs(IdealBatchSize, 1500), make([]int, IdealBatchSize)
	seen := map[uint16]bool{}
	maxBatch := 0
	require.NoError(t, d.SetReadDeadline(time.Now().Add(guard)))
	defer func() { t.Logf("seen %v", seen) }()
	for len(seen) < count {
		n, err := d.Read(bufs, sizes, off)
		require.NoError(t, err)
		maxBatch = max(maxBatch, n)
		for i := range n {
			ip, err := packet.ParseIPv6(bufs[i][off : off+sizes[i]])
			require.NoError(t, err)
			m, err := packet.ParseICMPv6(ip)
			if err != nil || m.Type() != packet.ICMPv6EchoReply {
				continue
			}
			_, seq, data, err := m.Echo()
			require.NoError(t, err)
			assert.Equal(t, strings.Repeat("x", int(seq)), string(data))
			seen[seq] = true
		}
	}
	assert.Greater(t, maxBatch, 1, "Read never returned more than one packet")
}

// TestReadCutsLongPacket checks what Read documents for a buffer shorter
// than the packet: the kernel cuts the packet to the buffer.
func TestReadCutsLongPacket(t *testing.T) { forModes(t, testReadCutsLongPacket) }

func testReadCutsLongPacket(t *testing.T, opts Options) {
	_, d := openWith(t, 1400, opts)
	req, err := packet.AppendEchoRequest(make([]byte, off), peer, local.Addr(), 64, 9, 9, make([]byte, 1000))
	require.NoError(t, err)
	_, err = d.Write([][]byte{req}, off)
	require.NoError(t, err)
	require.NoError(t, d.SetReadDeadline(time.Now().Add(guard)))
	bufs, sizes := newBufs(1, 100), make([]int, 1)
	for {
		n, err := d.Read(bufs, sizes, off)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		b := bufs[0][off : off+sizes[0]]
		if len(b) > 40 && b[6] == packet.ProtoICMPv6 && b[40] == packet.ICMPv6EchoReply {
			assert.Equal(t, 100, sizes[0])
			assert.Equal(t, uint16(1048), binary.BigEndian.Uint16(b[4:])+40, "the header still tells the real length")
			return
		}
	}
}
