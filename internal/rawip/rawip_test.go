package rawip

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transit6/transit6/internal/netns"
	"github.com/transit6/transit6/packet"
	"golang.org/x/sys/unix"
)

// Documentation addresses (RFC 5737) for the two tunnel endpoints.
var (
	addrA = netip.MustParsePrefix("192.0.2.1/24")
	addrB = netip.MustParsePrefix("192.0.2.2/24")
)

const (
	off   = packet.MaxHeadroom
	guard = 10 * time.Second // liveness guard for reads that must succeed
)

// pair returns two namespaces joined by a veth pair with addrA and addrB,
// at the given MTU.
func pair(t testing.TB, mtu int) (a, b *netns.NS) {
	t.Helper()
	a, b = netns.New(t, "rawa"), netns.New(t, "rawb")
	netns.Link(t, a, "veth0", addrA, b, "veth0", addrB)
	if mtu != 1500 {
		a.IP(t, "link", "set", "veth0", "mtu", strconv.Itoa(mtu))
		b.IP(t, "link", "set", "veth0", "mtu", strconv.Itoa(mtu))
	}
	return a, b
}

// listen opens a Conn in ns; t.Cleanup closes it.
func listen(t testing.TB, ns *netns.NS, open func() (*Conn, error)) *Conn {
	t.Helper()
	var c *Conn
	ns.Exec(t, func() (err error) {
		c, err = open()
		return err
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// proto41 builds an IPv4 protocol-41 packet from src to dst with the given
// ID, carrying an IPv6 packet (Next Header 59, "no next header") with
// payloadLen bytes of payload filled with fill, at b[off:]. The IPv4
// header is complete (checksum included), as the sixtofour encapsulator
// writes it.
func proto41(t testing.TB, src, dst netip.Addr, id uint16, payloadLen int, fill byte) []byte {
	t.Helper()
	b := make([]byte, off, off+60+payloadLen)
	for i := range b {
		b[i] = 0xA5
	}
	ip4 := packet.IPv4Header{ID: id, DontFragment: true, TTL: 64, TOS: 0x20, Protocol: packet.ProtoIPv6, Src: src, Dst: dst}
	b, err := ip4.AppendTo(b, 40+payloadLen)
	require.NoError(t, err)
	ip6 := packet.IPv6Header{NextHeader: packet.ProtoNoNext, HopLimit: 63,
		Src: netip.MustParseAddr("2002:c000:201::1"), Dst: netip.MustParseAddr("2002:c000:202::1")}
	b = b[:len(b)+40]
	require.NoError(t, ip6.Encode(b[len(b)-40:], payloadLen))
	for range payloadLen {
		b = append(b, fill)
	}
	return b
}

func headroomIntact(b []byte) bool {
	for _, c := range b[:off] {
		if c != 0xA5 {
			return false
		}
	}
	return true
}

// newBufs returns n buffers of off+size bytes with 0xA5 headroom.
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

// readN reads from c until it has n packets and returns copies of them.
func readN(t testing.TB, c *Conn, n int) [][]byte {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(guard)))
	defer c.SetReadDeadline(time.Time{})
	bufs, sizes := newBufs(IdealBatchSize, 9100), make([]int, IdealBatchSize)
	var got [][]byte
	for len(got) < n {
		k, err := c.ReadBatch(bufs, sizes, off)
		require.NoError(t, err)
		require.Positive(t, k)
		for i := range k {
			require.True(t, headroomIntact(bufs[i]), "ReadBatch wrote into the headroom")
			got = append(got, append([]byte(nil), bufs[i][off:off+sizes[i]]...))
		}
	}
	return got
}

// TestRoundTrip sends a batch of hand-built protocol-41 packets from A to B
// and checks B reads them byte for byte.
func TestRoundTrip(t *testing.T) {
	a, b := pair(t, 1500)
	ca := listen(t, a, func() (*Conn, error) { return Listen(packet.ProtoIPv6, addrA.Addr()) })
	cb := listen(t, b, func() (*Conn, error) { return Listen(packet.ProtoIPv6, addrB.Addr()) })
	require.NoError(t, cb.SetReadBuffer(4<<20))
	assert.Equal(t, 41, ca.Protocol())
	assert.Equal(t, addrA.Addr(), ca.Local())
	assert.Equal(t, IdealBatchSize, ca.BatchSize())

	var pkts [][]byte
	for i, n := range []int{0, 1, 8, 100, 1280 - 40, 1500 - 60} {
		pkts = append(pkts, proto41(t, addrA.Addr(), addrB.Addr(), uint16(0x1000+i), n, byte(i)))
	}
	n, err := ca.WriteBatch(pkts, off)
	require.NoError(t, err)
	require.Equal(t, len(pkts), n)
	got := readN(t, cb, len(pkts))
	require.Len(t, got, len(pkts))
	for i := range pkts {
		assert.Equal(t, pkts[i][off:], got[i], "packet %d", i)
	}

	// Longer than a read batch and a write batch: WriteBatch splits.
	pkts = pkts[:0]
	for i := range 2*IdealBatchSize + 7 {
		pkts = append(pkts, proto41(t, addrA.Addr(), addrB.Addr(), uint16(i+1), 16, byte(i)))
	}
	n, err = ca.WriteBatch(pkts, off)
	require.NoError(t, err)
	require.Equal(t, len(pkts), n)
	got = readN(t, cb, len(pkts))
	for i := range pkts {
		assert.Equal(t, pkts[i][off:], got[i], "packet %d", i)
	}

	// Both directions on the same sockets.
	back := proto41(t, addrB.Addr(), addrA.Addr(), 7, 64, 0xEE)
	n, err = cb.WriteBatch([][]byte{back}, off)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	assert.Equal(t, back[off:], readN(t, ca, 1)[0])
}

// TestKernelFillsHeader checks what raw(7) promises for IP_HDRINCL: Total
// Length and checksum are always filled in, and a zero ID is replaced.
func TestKernelFillsHeader(t *testing.T) {
	a, b := pair(t, 1500)
	ca := listen(t, a, func() (*Conn, error) { return Listen(packet.ProtoIPv6, addrA.Addr()) })
	cb := listen(t, b, func() (*Conn, error) { return Listen(packet.ProtoIPv6, addrB.Addr()) })
	p := proto41(t, addrA.Addr(), addrB.Addr(), 0, 8, 1)
	p[off+2], p[off+3] = 0, 0   // Total Length
	p[off+10], p[off+11] = 0, 0 // checksum
	_, err := ca.WriteBatch([][]byte{p}, off)
	require.NoError(t, err)
	got := readN(t, cb, 1)[0]
	h, err := packet.ParseIPv4(got) // verifies the checksum and length
	require.NoError(t, err)
	assert.Equal(t, 20+40+8, h.TotalLen())
	assert.Equal(t, p[off+20:], got[20:])
}

func TestWriteBatchErrors(t *testing.T) {
	a, b := pair(t, 1500)
	ca := listen(t, a, func() (*Conn, error) { return Listen(packet.ProtoIPv6, addrA.Addr()) })
	listen(t, b, func() (*Conn, error) { return Listen(packet.ProtoIPv6, addrB.Addr()) })
	good := proto41(t, addrA.Addr(), addrB.Addr(), 1, 8, 1)
	ipv6 := append(make([]byte, off), good[off+20:]...) // an IPv6 packet: version 6
	tooBig := proto41(t, addrA.Addr(), addrB.Addr(), 2, 1500-60+1, 2)
	unreachable := proto41(t, addrA.Addr(), netip.MustParseAddr("203.0.113.9"), 3, 8, 3) // no route

	for _, tc := range []struct {
		name string
		bufs [][]byte
		n    int
		err  error
	}{
		{"not IPv4", [][]byte{good, good, ipv6, good}, 2, ErrNotIPv4},
		{"shorter than a header", [][]byte{good, good[:off+19]}, 1, ErrNotIPv4},
		{"offset past the end", [][]byte{good, good[:off-1]}, 1, io.ErrShortBuffer},
		{"longer than the MTU", [][]byte{good, tooBig, good}, 1, unix.EMSGSIZE},
		{"no route", [][]byte{unreachable}, 0, unix.ENETUNREACH},
		{"none", nil, 0, nil},
	} {
		n, err := ca.WriteBatch(tc.bufs, off)
		assert.Equal(t, tc.n, n, tc.name)
		if tc.err == nil {
			assert.NoError(t, err, tc.name)
		} else {
			assert.ErrorIs(t, err, tc.err, tc.name)
		}
	}
	_, err := ca.WriteBatch([][]byte{good}, -1)
	assert.ErrorIs(t, err, io.ErrShortBuffer)
	_, err = ca.ReadBatch([][]byte{make([]byte, off)}, []int{0}, off)
	assert.ErrorIs(t, err, io.ErrShortBuffer, "no room after the offset")
	n, err := ca.ReadBatch(nil, nil, off)
	assert.Equal(t, 0, n)
	assert.NoError(t, err)
}

func TestListenErrors(t *testing.T) {
	for _, tc := range []struct {
		proto int
		local netip.Addr
		err   error
	}{
		{0, netip.Addr{}, ErrBadProtocol},
		{255, netip.Addr{}, ErrBadProtocol},
		{41, netip.MustParseAddr("2001:db8::1"), ErrBadAddr},
		{41, netip.MustParseAddr("::ffff:192.0.2.1"), ErrBadAddr},
	} {
		_, err := Listen(tc.proto, tc.local)
		assert.ErrorIs(t, err, tc.err, "Listen(%d, %v)", tc.proto, tc.local)
		_, err = ListenICMPErrors(tc.proto, tc.local)
		assert.ErrorIs(t, err, tc.err, "ListenICMPErrors(%d, %v)", tc.proto, tc.local)
	}
}

func TestCloseAndDeadline(t *testing.T) {
	a := netns.New(t, "rawclose")
	c := listen(t, a, func() (*Conn, error) { return Listen(packet.ProtoIPv6, netip.Addr{}) })
	bufs, sizes := newBufs(1, 100), make([]int, 1)

	require.NoError(t, c.SetReadDeadline(time.Now().Add(-time.Second)))
	_, err := c.ReadBatch(bufs, sizes, off)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.NoError(t, c.SetReadDeadline(time.Time{}))

	errc := make(chan error, 1)
	go func() {
		_, err := c.ReadBatch(bufs, sizes, off)
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond) // let ReadBatch block (it passes either way)
	require.NoError(t, c.Close())
	assert.ErrorIs(t, <-errc, ErrClosed)
	assert.ErrorIs(t, c.Close(), ErrClosed)
	_, err = c.WriteBatch([][]byte{proto41(t, addrA.Addr(), addrB.Addr(), 1, 8, 1)}, off)
	assert.ErrorIs(t, err, ErrClosed)
	assert.ErrorIs(t, c.SetReadBuffer(1<<20), ErrClosed)
}

func TestBuffers(t *testing.T) {
	a := netns.New(t, "rawbuf")
	c := listen(t, a, func() (*Conn, error) { return Listen(packet.ProtoIPv6, netip.Addr{}) })
	// As root SO_RCVBUFFORCE passes net.core.rmem_max; the kernel reports
	// twice the value set (socket(7)).
	require.NoError(t, c.SetReadBuffer(16<<20))
	n, err := c.ReadBuffer()
	require.NoError(t, err)
	assert.Equal(t, 32<<20, n)
	require.NoError(t, c.SetWriteBuffer(8<<20))
	n, err = c.WriteBuffer()
	require.NoError(t, err)
	assert.Equal(t, 16<<20, n)
}

// icmpMsg builds an IPv4 packet from src to dst carrying an ICMP message of
// the given type and code (unused field zero) that quotes quoted; ihl
// above 5 adds NOP options to the outer header.
func icmpMsg(t testing.TB, src, dst netip.Addr, ihl int, typ, code uint8, quoted []byte) []byte {
	t.Helper()
	icmp := append([]byte{typ, code, 0, 0, 0, 0, 0, 0}, quoted...)
	ck := ^packet.Checksum(icmp, 0)
	icmp[2], icmp[3] = byte(ck>>8), byte(ck)
	h := packet.IPv4Header{TTL: 64, Protocol: packet.ProtoICMP, Src: src, Dst: dst, ID: 99}
	b, err := h.AppendTo(make([]byte, off), (ihl-5)*4+len(icmp))
	require.NoError(t, err)
	for range (ihl - 5) * 4 {
		b = append(b, 1) // NOP option
	}
	b[off] = byte(0x40 | ihl) // the header checksum is the kernel's (IP_HDRINCL)
	return append(b, icmp...)
}

// TestICMPErrors checks that ListenICMPErrors passes exactly the ICMP
// errors quoting protocol 41: one the kernel of B generates (Protocol
// Unreachable for a protocol-41 packet B has no socket for), and crafted
// ones sent from B through a raw ICMP Conn, accepted and refused.
func TestICMPErrors(t *testing.T) {
	a, b := pair(t, 1500)
	errs := listen(t, a, func() (*Conn, error) { return ListenICMPErrors(packet.ProtoIPv6, addrA.Addr()) })
	assert.Equal(t, packet.ProtoICMP, errs.Protocol())
	ca := listen(t, a, func() (*Conn, error) { return Listen(packet.ProtoIPv6, addrA.Addr()) })
	icmpB := listen(t, b, func() (*Conn, error) { return Listen(packet.ProtoICMP, addrB.Addr()) })

	// A UDP datagram to a closed port on B draws a Port Unreachable that
	// quotes UDP: the filter drops it. Wait until it has arrived (the
	// connected socket's next read fails) so the order below is certain.
	var udp *net.UDPConn
	a.Exec(t, func() (err error) {
		udp, err = net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(addrB.Addr(), 9)))
		return err
	})
	defer udp.Close()
	_, err := udp.Write([]byte("x"))
	require.NoError(t, err)
	require.NoError(t, udp.SetReadDeadline(time.Now().Add(guard)))
	_, err = udp.Read(make([]byte, 10))
	require.ErrorIs(t, err, unix.ECONNREFUSED)

	// Protocol 41 to B, which has no protocol-41 socket: B's kernel answers
	// with Destination Unreachable, code 2 (protocol), quoting the packet.
	sent := proto41(t, addrA.Addr(), addrB.Addr(), 0x4141, 32, 0x41)
	_, err = ca.WriteBatch([][]byte{sent}, off)
	require.NoError(t, err)
	got := readN(t, errs, 1)[0]
	h, err := packet.ParseIPv4(got)
	require.NoError(t, err)
	assert.Equal(t, addrB.Addr(), h.Src())
	icmp := h.Payload()
	require.GreaterOrEqual(t, len(icmp), 8+20+8)
	assert.Equal(t, []byte{ICMPDestUnreachable, 2}, icmp[:2])
	assert.Equal(t, sent[off:], icmp[8:], "the whole packet is quoted")

	// Crafted messages from B, each followed by a marker that passes, so
	// that a dropped one is seen to be dropped.
	quote41 := sent[off : off+28]
	quoteUDP := append([]byte(nil), quote41...)
	quoteUDP[9] = packet.ProtoUDP
	type msg struct {
		name   string
		pkt    []byte
		passes bool
	}
	src, dst := addrB.Addr(), addrA.Addr()
	msgs := []msg{
		{"time exceeded quoting 41", icmpMsg(t, src, dst, 5, ICMPTimeExceeded, 0, quote41), true},
		{"host unreachable quoting 41", icmpMsg(t, src, dst, 5, ICMPDestUnreachable, 1, quote41), true},
		{"outer header with options", icmpMsg(t, src, dst, 6, ICMPDestUnreachable, 1, quote41), true},
		{"quoting UDP", icmpMsg(t, src, dst, 5, ICMPDestUnreachable, 3, quoteUDP), false},
		{"parameter problem quoting 41", icmpMsg(t, src, dst, 5, 12, 0, quote41), false},
		{"echo request", icmpMsg(t, src, dst, 5, 8, 0, quote41), false},
		{"quote cut before Protocol", icmpMsg(t, src, dst, 5, ICMPDestUnreachable, 1, quote41[:9]), false},
		{"quote ending at Protocol", icmpMsg(t, src, dst, 5, ICMPDestUnreachable, 1, quote41[:10]), true},
	}
	var batch [][]byte
	var want []msg
	for _, m := range msgs {
		batch = append(batch, m.pkt)
		if m.passes {
			want = append(want, m)
		}
	}
	marker := msg{"marker", icmpMsg(t, src, dst, 5, ICMPTimeExceeded, 1, quote41), true}
	batch = append(batch, marker.pkt)
	want = append(want, marker)
	n, err := icmpB.WriteBatch(batch, off)
	require.NoError(t, err)
	require.Equal(t, len(batch), n)

	got2 := readN(t, errs, len(want))
	require.Len(t, got2, len(want), "a message that should have been dropped was read")
	for i, m := range want {
		// The kernel rewrote the outer checksum and length only.
		assert.Equal(t, m.pkt[off+12:], got2[i][12:], m.name)
	}
}

func TestICMPErrorsDoesNotStealData(t *testing.T) {
	// The protocol-41 socket still sees all its packets while an
	// ICMP-error socket is open, and the error socket sees none of them.
	a, b := pair(t, 1500)
	ca := listen(t, a, func() (*Conn, error) { return Listen(packet.ProtoIPv6, addrA.Addr()) })
	cb := listen(t, b, func() (*Conn, error) { return Listen(packet.ProtoIPv6, addrB.Addr()) })
	eb := listen(t, b, func() (*Conn, error) { return ListenICMPErrors(packet.ProtoIPv6, addrB.Addr()) })
	p := proto41(t, addrA.Addr(), addrB.Addr(), 5, 8, 5)
	_, err := ca.WriteBatch([][]byte{p}, off)
	require.NoError(t, err)
	assert.Equal(t, p[off:], readN(t, cb, 1)[0])
	require.NoError(t, eb.SetReadDeadline(time.Now()))
	_, err = eb.ReadBatch(newBufs(1, 100), []int{0}, off)
	assert.True(t, errors.Is(err, os.ErrDeadlineExceeded), "%v", err)
}
