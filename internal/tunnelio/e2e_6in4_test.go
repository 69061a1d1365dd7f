package tunnelio_test

// Configured 6in4 (RFC 4213) end to end, and the ICMPv4 errors a tunnel
// endpoint relays to the IPv6 source (RFC 4213 §3.4, the notes' §1.2 and
// §1.4), in the lab of e2e_test.go: A 192.0.2.1 and B 198.51.100.2 run
// `transit6 tunnel 6in4` toward each other, C 203.0.113.3 is a third host
// of the IPv4 internet.

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/internal/interop"
	"github.com/transit6/transit6/internal/netns"
	"github.com/transit6/transit6/internal/rawip"
	"github.com/transit6/transit6/internal/tunnelio"
	"github.com/transit6/transit6/packet"
	"github.com/transit6/transit6/sixtofour"
)

// The tunnel addresses of A and B, on the documentation prefix 2001:db8::/32
// (RFC 3849), like a broker's client /64.
var (
	sixInFourA = netip.MustParseAddr("2001:db8:46::1")
	sixInFourB = netip.MustParseAddr("2001:db8:46::2")
)

// routerToB is the internet router's interface toward B: newLab names the
// router's ends h0, h1, h2 for A, B, C.
const routerToB = "h1"

// sixInFour starts `transit6 tunnel 6in4` at A (remote B) and at B (remote
// A) with the addresses above.
func sixInFour(t testing.TB, l *lab) (pa, pb *netns.Proc) {
	t.Helper()
	pa = tunnel(t, l.a, "6in4", "--local", ipA.String(), "--remote", ipB.String(), "--addr", sixInFourA.String()+"/64")
	pb = tunnel(t, l.b, "6in4", "--local", ipB.String(), "--remote", ipA.String(), "--addr", sixInFourB.String()+"/64")
	return pa, pb
}

// echoIn4 returns an IPv4 protocol-41 packet from osrc to odst carrying an
// ICMPv6 Echo Request from src to dst. The outer header is built by hand
// (RFC 791; the kernel fills in the checksum of IP_HDRINCL packets), the
// inner packet by packet.AppendEchoRequest, whose checksum the receiving
// kernel verifies before it counts the request (Icmp6InEchos).
func echoIn4(t testing.TB, osrc, odst, src, dst netip.Addr) []byte {
	t.Helper()
	b := make([]byte, 20, 20+48)
	b[0], b[8], b[9] = 0x45, 64, 41
	copy(b[12:16], osrc.AsSlice())
	copy(b[16:20], odst.AsSlice())
	b, err := packet.AppendEchoRequest(b, src, dst, 64, 0x4604, 1, nil)
	require.NoError(t, err)
	b[2], b[3] = byte(len(b)>>8), byte(len(b))
	return b
}

// inject sends pkts, whole IPv4 packets, from ns through a raw
// protocol-41 socket bound to src.
func inject(t testing.TB, ns *netns.NS, src netip.Addr, pkts ...[]byte) {
	t.Helper()
	ns.Exec(t, func() error {
		c, err := rawip.Listen(tunnelio.ProtoIPv6, src)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.WriteBatch(pkts, 0)
		return err
	})
}

// netStat returns the kernel's network statistic key of ns (IpReasmOKs,
// Icmp6InEchos, ...: /proc/net/snmp and snmp6 as nstat names them).
func netStat(t testing.TB, ns *netns.NS, key string) uint64 {
	t.Helper()
	out := ns.Output(t, interop.LookPath(t, "nstat"), "-asz", key)
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == key {
			n, err := strconv.ParseUint(f[1], 10, 64)
			require.NoError(t, err, line)
			return n
		}
	}
	t.Fatalf("no %s in nstat's output:\n%s", key, out)
	return 0
}

// waitFor polls get until it returns at least want or waitTimeout passes,
// and returns the last value.
func waitFor(want uint64, get func() uint64) uint64 {
	var n uint64
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if n = get(); n >= want || time.Since(start) > waitTimeout {
			return n
		}
	}
}

// TestConfigured6in4 runs a configured tunnel (RFC 4213, Linux's `ip tunnel
// add ... mode sit remote B local A`) between A and B: the kernel's ping
// and iperf3 through it, then the two receive checks of RFC 4213 §3.6
// (the notes' §5.1): the outer source must be the configured remote, and
// the inner source may be filtered.
func TestConfigured6in4(t *testing.T) {
	l := newLab(t)
	pa, pb := sixInFour(t, l)
	// The interface sit users know, with sit's default MTU: Ethernet's
	// 1500 − 20 (the notes' §1).
	require.Contains(t, pa.Stderr(), "interface tun6in4 mtu 1480", pa.Stderr())
	require.Contains(t, pb.Stderr(), "interface tun6in4 mtu 1480", pb.Stderr())
	// A 6in4 tunnel has no prefix of its own: the start-up line names the
	// remote and the inner sources accepted instead.
	require.Contains(t, pa.Stderr(), "6in4 endpoint, local 192.0.2.1, remote 198.51.100.2, inner sources any, address [2001:db8:46::1/64], ", pa.Stderr())
	require.NotContains(t, pa.Stderr(), "prefix", pa.Stderr())

	// Kernel ping both ways: 3 requests and 3 replies each way, so each
	// end sends and receives at least 6 packets.
	ca0, cb0 := counters(t, pa), counters(t, pb)
	ping(t, l.a, sixInFourA.String(), sixInFourB.String())
	ping(t, l.b, sixInFourB.String(), sixInFourA.String())
	ca1, cb1 := counters(t, pa), counters(t, pb)
	for _, c := range []struct {
		name     string
		from, to map[string]uint64
	}{{"A", ca0, ca1}, {"B", cb0, cb1}} {
		require.GreaterOrEqual(t, c.to["out.sent-direct"]-c.from["out.sent-direct"], uint64(6), "%s: %v", c.name, c.to)
		require.GreaterOrEqual(t, c.to["in.received-direct"]-c.from["in.received-direct"], uint64(6), "%s: %v", c.name, c.to)
	}

	t.Run("iperf3", func(t *testing.T) {
		for _, c := range []struct {
			name string
			args []string
		}{
			{"UDP", []string{"-u", "-b", "200M", "-l", "1232"}},
			{"TCP", nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				before := counters(t, pb)["in.received-direct"]
				res := iperf(t, l.a, l.b, sixInFourA.String(), sixInFourB.String(), c.args...)
				bytes, bps := res.Received()
				require.Positive(t, bytes, "%+v", res.End)
				got := counters(t, pb)["in.received-direct"] - before
				// Every byte the server received came through B's
				// transit6, at most one UDP datagram (1232 + 8 + 40 =
				// 1280 bytes of IPv6) or 1480 bytes of IPv6 per
				// protocol-41 packet.
				want := uint64(bytes / 1480)
				if s := res.End.Sum; c.args != nil {
					want = uint64(s.Packets - s.LostPackets)
				}
				require.GreaterOrEqual(t, got, want, "%+v", res.End)
				t.Logf("6in4 %s: %d bytes received, %.1f Mbit/s, %d packets decapsulated at B", c.name, bytes, bps/1e6, got)
			})
		}
	})

	t.Run("not from remote", func(t *testing.T) {
		// C sends B a well-formed tunnel packet whose inner source is A's:
		// B must drop it because C is not its configured remote (RFC 4213
		// §3.6, the notes' §5.1).
		const n = 3
		before := counters(t, pb)
		echos := netStat(t, l.b, "Icmp6InEchos")
		spoofed := make([][]byte, n)
		for i := range spoofed {
			spoofed[i] = echoIn4(t, ipC, ipB, sixInFourA, sixInFourB)
		}
		inject(t, l.c, ipC, spoofed...)
		key := "in." + sixtofour.ReasonNotFromRemote.String()
		var after map[string]uint64
		waitFor(before[key]+n, func() uint64 { after = counters(t, pb); return after[key] })
		require.Equal(t, uint64(n), after[key]-before[key], after)
		// The control: the same packets from A are delivered, so the
		// drop above is about the outer source and nothing else. B drops
		// or delivers in arrival order, so the spoofed packets, already
		// counted, can no longer reach the kernel: it sees exactly n.
		genuine := make([][]byte, n)
		for i := range genuine {
			genuine[i] = echoIn4(t, ipA, ipB, sixInFourA, sixInFourB)
		}
		inject(t, l.a, ipA, genuine...)
		got := waitFor(echos+n, func() uint64 { return netStat(t, l.b, "Icmp6InEchos") })
		require.Equal(t, echos+n, got, "echo requests delivered at B")
		after = counters(t, pb)
		require.Equal(t, uint64(n), after[key]-before[key], after)
	})

	t.Run("ingress filter", func(t *testing.T) {
		// RFC 4213 §3.6's inner-source filter (--inner-source,
		// sixtofour.Config.InnerSources): C runs a configured tunnel to
		// A accepting inner sources in 2001:db8:46::/64 only, and A's
		// address sends it one packet from inside that prefix and one
		// from outside.
		addrC := netip.MustParseAddr("2001:db8:46::3")
		pc := tunnel(t, l.c, "6in4", "--local", ipC.String(), "--remote", ipA.String(), "--addr", addrC.String()+"/64",
			"--inner-source", "2001:db8:46::/64")
		require.Contains(t, pc.Stderr(), "6in4 endpoint, local 203.0.113.3, remote 192.0.2.1, inner sources [2001:db8:46::/64], ", pc.Stderr())
		const filteredKey, receivedKey = "in.inner-source-filtered", "in.received-direct"
		before := counters(t, pc)
		echos := netStat(t, l.c, "Icmp6InEchos")
		inject(t, l.a, ipA, echoIn4(t, ipA, ipC, netip.MustParseAddr("2001:db8:99::1"), addrC))
		require.Equal(t, before[filteredKey]+1, waitFor(before[filteredKey]+1, func() uint64 { return counters(t, pc)[filteredKey] }))
		inject(t, l.a, ipA, echoIn4(t, ipA, ipC, sixInFourA, addrC))
		require.Equal(t, before[receivedKey]+1, waitFor(before[receivedKey]+1, func() uint64 { return counters(t, pc)[receivedKey] }))
		require.Equal(t, echos+1, waitFor(echos+1, func() uint64 { return netStat(t, l.c, "Icmp6InEchos") }))
		require.Equal(t, before[filteredKey]+1, counters(t, pc)[filteredKey])
	})
}

// pingOut runs ping -6 from ns with args before dst and returns its output
// and whether it exited 0.
func pingOut(t testing.TB, ns *netns.NS, dst netip.Addr, args ...string) (string, bool) {
	t.Helper()
	args = append(append([]string{"ping", "-6", "-c", "3", "-i", "0.3", "-W", "1"}, args...), dst.String())
	out, err := run(t, ns, args...)
	return out, err == nil
}

// routeMTU returns the mtu of `ip -6 route get dst` in ns, 0 if none is
// shown (the route's MTU is the interface's).
func routeMTU(t testing.TB, ns *netns.NS, dst netip.Addr) int {
	t.Helper()
	out := ns.Output(t, "ip", "-6", "route", "get", dst.String())
	f := strings.Fields(out)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "mtu" {
			n, err := strconv.Atoi(f[i+1])
			require.NoError(t, err, out)
			return n
		}
	}
	return 0
}

// TestPathMTUTranslation follows ICMPv4 errors about A's protocol-41
// packets from the internet router back to A's IPv6 stack (RFC 4213 §3.4,
// the notes' §1.2 and §1.4, Linux's sit as the reference):
//
//   - Destination Unreachable becomes ICMPv6 Destination Unreachable code 3
//     and Time Exceeded becomes ICMPv6 Time Exceeded code 0, both from
//     ::ffff:<the ICMPv4 sender>, here the router's 192.0.2.254 (its
//     address toward A, where newLab puts A's gateway).
//   - Fragmentation Needed lowers the path MTU toward B; no ICMPv6 error is
//     made from it, but the next packet over the new tunnel MTU (path MTU −
//     20) gets a Packet Too Big announcing it, and A's kernel caches that
//     MTU for B's address. Under 1280 the tunnel MTU stays 1280 and DF is
//     cleared, so the IPv4 network fragments.
//
// ping reports what A's kernel made of the ICMPv6 messages; transit6's
// counters say which path each message took.
func TestPathMTUTranslation(t *testing.T) {
	l := newLab(t)
	// Linux rate-limits the router's ICMPv4 errors per destination
	// (net.ipv4.icmp_ratelimit); this test wants every one of them.
	l.inet.Sysctl(t, "net.ipv4.icmp_ratelimit", "0")
	pa, _ := sixInFour(t, l)
	ping(t, l.a, sixInFourA.String(), sixInFourB.String())
	const (
		pmtuUpdated = "in.pmtu-updated"
		translated  = "in.icmpv4-translated"
		v6Sent      = "in.icmpv6-sent"
		tooBig      = "out.packet-too-big"
	)
	delta := func(before, after map[string]uint64, key string) uint64 { return after[key] - before[key] }

	// First, while the router has sent A no ICMP error yet: the errors of
	// an unreachable route have a rate limit of their own
	// (net.ipv4.route.error_cost, global, not per namespace) whose token
	// bucket, per source, every other ICMP error to that source drains
	// when icmp_ratelimit is 0. A fresh source gets a burst of 5.
	t.Run("destination unreachable", func(t *testing.T) {
		// The router has no way to B: ICMPv4 Host Unreachable (type 3
		// code 1) for every request.
		l.inet.IP(t, "route", "add", "unreachable", ipB.String()+"/32")
		before := counters(t, pa)
		out, ok := pingOut(t, l.a, sixInFourB)
		l.inet.IP(t, "route", "del", "unreachable", ipB.String()+"/32")
		require.False(t, ok, out)
		require.Contains(t, out, "From ::ffff:192.0.2.254 icmp_seq=1 Destination unreachable: Address unreachable", out)
		after := counters(t, pa)
		require.GreaterOrEqual(t, delta(before, after, translated), uint64(3), after)
		require.GreaterOrEqual(t, delta(before, after, v6Sent), uint64(3), after)
	})

	t.Run("time exceeded", func(t *testing.T) {
		// Hop limit 1, and the outer TTL inherits it (--ttl inherit, the
		// default): the router answers Time Exceeded in transit.
		before := counters(t, pa)
		out, ok := pingOut(t, l.a, sixInFourB, "-t", "1")
		require.False(t, ok, out)
		require.Contains(t, out, "From ::ffff:192.0.2.254 icmp_seq=1 Time exceeded: Hop limit", out)
		after := counters(t, pa)
		require.GreaterOrEqual(t, delta(before, after, translated), uint64(3), after)
		require.GreaterOrEqual(t, delta(before, after, v6Sent), uint64(3), after)
	})

	t.Run("fragmentation needed", func(t *testing.T) {
		// B's link at 1400: ping -s 1400 is 1448 bytes of IPv6 (40 + 8 +
		// 1400), 1468 of IPv4 with DF. The first request gets a
		// Fragmentation Needed (MTU 1400) at A, the second a Packet Too
		// Big (MTU 1400 − 20 = 1380) from A's tunnel, the third never
		// leaves A's kernel. None comes back.
		l.inet.IP(t, "link", "set", routerToB, "mtu", "1400")
		before := counters(t, pa)
		out, ok := pingOut(t, l.a, sixInFourB, "-M", "do", "-s", "1400")
		require.False(t, ok, out)
		require.Contains(t, out, " 0 received", out)
		require.Contains(t, out, "Packet too big: mtu=1380", out)
		require.Equal(t, 1380, routeMTU(t, l.a, sixInFourB))
		after := counters(t, pa)
		require.GreaterOrEqual(t, delta(before, after, pmtuUpdated), uint64(1), after)
		require.GreaterOrEqual(t, delta(before, after, tooBig), uint64(1), after)
		require.Zero(t, delta(before, after, translated), "Fragmentation Needed is not translated (§1.4): %v", after)
		// 1300 + 48 = 1348 ≤ 1380 fits.
		out, ok = pingOut(t, l.a, sixInFourB, "-M", "do", "-s", "1300")
		require.True(t, ok, out)
		require.Contains(t, out, " 0% packet loss", out)
	})

	t.Run("below 1280", func(t *testing.T) {
		// B's link at 1200: 1200 − 20 = 1180 < 1280, so the tunnel MTU
		// becomes 1280 and DF is cleared (§1.2). The 1348-byte request
		// gets a Fragmentation Needed (1368 > 1200), the next a Packet
		// Too Big for 1280.
		l.inet.IP(t, "link", "set", routerToB, "mtu", "1200")
		before := counters(t, pa)
		out, ok := pingOut(t, l.a, sixInFourB, "-M", "do", "-s", "1300")
		require.False(t, ok, out)
		require.Contains(t, out, "Packet too big: mtu=1280", out)
		require.Equal(t, 1280, routeMTU(t, l.a, sixInFourB))
		after := counters(t, pa)
		require.GreaterOrEqual(t, delta(before, after, pmtuUpdated), uint64(1), after)
		// 1232 + 48 = 1280 bytes of IPv6, 1300 of IPv4: they reach B only
		// in fragments, which DF would forbid. Only this direction is
		// checked: a veth drops frames longer than the receiving end's
		// MTU, so B's 1300-byte replies die entering the router at h1.
		echos, reasm := netStat(t, l.b, "Icmp6InEchos"), netStat(t, l.b, "IpReasmOKs")
		out, _ = pingOut(t, l.a, sixInFourB, "-M", "do", "-s", "1232")
		got := waitFor(echos+3, func() uint64 { return netStat(t, l.b, "Icmp6InEchos") })
		require.Equal(t, echos+3, got, "1280-byte echo requests delivered at B; ping at A:\n%s", out)
		require.GreaterOrEqual(t, netStat(t, l.b, "IpReasmOKs")-reasm, uint64(3), "outer packets reassembled at B")
	})

	t.Run("local link", func(t *testing.T) {
		// The narrow link is A's own (a PPPoE line, say, 1492). Linux's
		// sit takes the outer route's MTU, which the device's bounds,
		// minus 20 (§1.2): A's kernel learns 1380 from the tunnel, as no
		// router on the way will tell (a raw IPv4 socket cannot send
		// more than its device's MTU, DF or not).
		l := newLab(t)
		l.a.IP(t, "link", "set", "eth0", "mtu", "1400")
		l.inet.IP(t, "link", "set", "h0", "mtu", "1400")
		pa, _ := sixInFour(t, l)
		ping(t, l.a, sixInFourA.String(), sixInFourB.String())
		out, ok := pingOut(t, l.a, sixInFourB, "-M", "do", "-s", "1400")
		require.False(t, ok, out)
		// A Packet Too Big from transit6 ("Packet too big: mtu=1380"),
		// or a tunnel interface at 1380 as sit makes it ("local error:
		// message too long, mtu: 1380").
		require.Regexp(t, `mtu(=|: )1380\b`, out, "no Packet Too Big for a path narrower at A's own link (transit6 assumes a 1500-byte path; the kernel refuses the write with EMSGSIZE and the packet vanishes):\n%s\ntransit6 at A:\n%s", out, pa.Stderr())
		out, ok = pingOut(t, l.a, sixInFourB, "-M", "do", "-s", "1300")
		require.True(t, ok, out)
	})

	t.Run("local link narrowed", func(t *testing.T) {
		// A's link narrows to 1400 after transit6 started on a 1500-byte
		// one: its tunnel interface stays at 1480, so the kernel refuses
		// the 1468-byte protocol-41 packet with EMSGSIZE. Linux's sit
		// checks each packet against its route's MTU − 20 (§1.2): the
		// host gets a Packet Too Big for 1380, and the packet is not
		// counted as sent.
		l := newLab(t)
		pa, _ := sixInFour(t, l)
		require.Contains(t, pa.Stderr(), "interface tun6in4 mtu 1480 (path MTU 1500 by the route to "+ipB.String()+")", pa.Stderr())
		ping(t, l.a, sixInFourA.String(), sixInFourB.String())
		l.a.IP(t, "link", "set", "eth0", "mtu", "1400")
		l.inet.IP(t, "link", "set", "h0", "mtu", "1400")
		before := counters(t, pa)
		out, ok := pingOut(t, l.a, sixInFourB, "-M", "do", "-s", "1400")
		require.False(t, ok, out)
		require.Contains(t, out, "Packet too big: mtu=1380", "transit6 at A:\n%s", pa.Stderr())
		require.Equal(t, 1380, routeMTU(t, l.a, sixInFourB))
		after := counters(t, pa)
		require.GreaterOrEqual(t, delta(before, after, tooBig), uint64(1), after)
		require.Zero(t, delta(before, after, "out.sent-direct"), "refused packets are not sent: %v", after)
		require.Zero(t, delta(before, after, pmtuUpdated), "no ICMPv4 error involved: %v", after)
		require.NotContains(t, pa.Stderr(), "raw write", "the refusal is handled, not logged")
		out, ok = pingOut(t, l.a, sixInFourB, "-M", "do", "-s", "1300")
		require.True(t, ok, out)
	})
}
