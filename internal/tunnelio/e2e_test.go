package tunnelio_test

// End to end in network namespaces (issue 3, "Tests": the kernel has no sit
// module, so both ends run transit6). The topology: an "internet"
// namespace forwarding IPv4 between three hosts on documentation
// addresses, A 192.0.2.1, B 198.51.100.2 and C 203.0.113.3, each on a /24
// of its own with the router at .254. Every transit6 role runs the real
// binary with --global for the three /24s.

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"

	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/internal/interop"
	"github.com/transit6/transit6/internal/netns"
	"github.com/transit6/transit6/internal/rawip"
	"github.com/transit6/transit6/internal/tunnelio"
	"github.com/transit6/transit6/sixtofour"
)

var (
	ipA       = netip.MustParseAddr("192.0.2.1")
	ipB       = netip.MustParseAddr("198.51.100.2")
	ipC       = netip.MustParseAddr("203.0.113.3")
	labGlobal = "192.0.2.0/24,198.51.100.0/24,203.0.113.0/24"

	// The 6to4 addresses of A and B: 2002:V4ADDR::1 (RFC 3056 §2), with
	// c000:0201 = 192.0.2.1 and c633:6402 = 198.51.100.2.
	sixToFourA = "2002:c000:201::1"
	sixToFourB = "2002:c633:6402::1"
)

// waitTimeout bounds every wait for a daemon; cmdTimeout every command.
const (
	waitTimeout = 10 * time.Second
	cmdTimeout  = 30 * time.Second
)

func TestMain(m *testing.M) {
	code := m.Run()
	interop.RemoveBinaries()
	if left, err := netns.Owned(); err != nil || len(left) > 0 {
		fmt.Fprintf(os.Stderr, "netns leak check: %v %v\n", left, err)
		code = 1
	}
	os.Exit(code)
}

// transit6 builds the transit6 binary once and returns its path.
func transit6(t testing.TB) string {
	t.Helper()
	return interop.Binary(t, interop.Transit6Package)
}

// lab is the topology of one test.
type lab struct {
	inet, a, b, c *netns.NS
}

func newLab(t testing.TB) *lab {
	t.Helper()
	interop.RequireRoot(t)
	interop.LookPath(t, "ping")
	l := &lab{inet: netns.New(t, "inet"), a: netns.New(t, "a"), b: netns.New(t, "b"), c: netns.New(t, "c")}
	for i, h := range []struct {
		ns *netns.NS
		ip netip.Addr
	}{{l.a, ipA}, {l.b, ipB}, {l.c, ipC}} {
		gw := netip.AddrFrom4([4]byte(append(h.ip.AsSlice()[:3:3], 254)))
		netns.Link(t, l.inet, "h"+strconv.Itoa(i), netip.PrefixFrom(gw, 24), h.ns, "eth0", netip.PrefixFrom(h.ip, 24))
		h.ns.IP(t, "route", "add", "default", "via", gw.String())
	}
	l.inet.Sysctl(t, "net.ipv4.ip_forward", "1")
	return l
}

// tunnel runs `transit6 tunnel args...` in ns and waits until it has
// configured its interface (the start-up log line).
func tunnel(t testing.TB, ns *netns.NS, args ...string) *netns.Proc {
	t.Helper()
	args = append([]string{transit6(t), "tunnel"}, args...)
	args = append(args, "--global", labGlobal)
	p := ns.Start(t, args...)
	for start := time.Now(); !strings.Contains(p.Stderr(), " interface "); time.Sleep(10 * time.Millisecond) {
		if p.Exited() || time.Since(start) > waitTimeout {
			t.Fatalf("transit6 %v did not start:\n%s", args[1:], p.Stderr())
		}
	}
	// This kernel has io_uring: where interop is required (CI), a silent
	// fall-back to read(2) is a failure.
	if interop.Required() && !strings.Contains(p.Stderr(), ", io_uring reads") {
		t.Fatalf("transit6 %v reads its TUN without io_uring:\n%s", args[1:], p.Stderr())
	}
	return p
}

// counters sends SIGUSR1 to p and returns the counters it prints.
func counters(t testing.TB, p *netns.Proc) map[string]uint64 {
	t.Helper()
	before := strings.Count(p.Stderr(), "end counters\n")
	require.NoError(t, syscall.Kill(p.Pid(), syscall.SIGUSR1))
	var out string
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		out = p.Stderr()
		if strings.Count(out, "end counters\n") > before {
			break
		}
		if time.Since(start) > waitTimeout {
			t.Fatalf("no counters after SIGUSR1:\n%s", out)
		}
	}
	i := strings.LastIndex(out, "counters:\n")
	m := map[string]uint64{}
	for _, line := range strings.Split(out[i:], "\n")[1:] {
		k, v, ok := strings.Cut(line, " ")
		if !ok || line == "end counters" {
			break
		}
		n, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, line)
		m[k] = n
	}
	return m
}

// run runs args in ns, bounded by cmdTimeout, and returns its output.
func run(t testing.TB, ns *netns.NS, args ...string) (string, error) {
	t.Helper()
	cmd := ns.Command(args...)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	timer := time.AfterFunc(cmdTimeout, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	defer timer.Stop()
	err := cmd.Wait()
	return out.String(), err
}

// ping pings dst from ns (IPv6) and fails t unless the replies come back.
func ping(t testing.TB, ns *netns.NS, src, dst string) {
	t.Helper()
	args := []string{"ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", dst}
	if src != "" {
		args = append(args, "-I", src)
	}
	out, err := run(t, ns, args...)
	require.NoError(t, err, "ping %s → %s:\n%s", src, dst, out)
	require.Contains(t, out, " 0% packet loss", out)
}

func TestSixToFourPing(t *testing.T) {
	l := newLab(t)
	pa := tunnel(t, l.a, "6to4", "--local", ipA.String())
	pb := tunnel(t, l.b, "6to4", "--local", ipB.String())
	require.Contains(t, pa.Stderr(), "prefix 2002:c000:201::/48")
	ping(t, l.a, sixToFourA, sixToFourB)
	ping(t, l.b, sixToFourB, sixToFourA)
	ca, cb := counters(t, pa), counters(t, pb)
	require.GreaterOrEqual(t, ca["out.sent-direct"], uint64(6), ca)
	require.GreaterOrEqual(t, cb["in.received-direct"], uint64(6), cb)
	// Clean shutdown: SIGTERM removes the interface.
	require.NoError(t, pa.Stop())
	out, err := run(t, l.a, "ip", "link", "show", "tun6to4")
	require.Error(t, err, "interface left behind: %s", out)
	require.Contains(t, pa.Stderr(), "stopped after")
}

// iperf runs an iperf3 client in from, bound to bind, for 3 s with extra
// client args against a one-off server at dst in to, and returns its
// report.
func iperf(t testing.TB, from, to *netns.NS, bind, dst string, args ...string) netns.IperfResult {
	t.Helper()
	to.IperfServer(t, "-1", "-B", dst)
	return from.Iperf(t, append([]string{"-c", dst, "-B", bind, "-t", "3"}, args...)...)
}

func TestSixToFourIperf(t *testing.T) {
	l := newLab(t)
	tunnel(t, l.a, "6to4", "--local", ipA.String())
	tunnel(t, l.b, "6to4", "--local", ipB.String())
	ping(t, l.a, sixToFourA, sixToFourB)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"UDP", []string{"-u", "-b", "200M", "-l", "1232"}},
		{"TCP", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := iperf(t, l.a, l.b, sixToFourA, sixToFourB, c.args...)
			bytes, bps := res.Received()
			require.Positive(t, bytes, "%+v", res.End)
			t.Logf("6to4 %s: %d bytes received, %.1f Mbit/s", c.name, bytes, bps/1e6)
		})
	}
}

func TestSixRD(t *testing.T) {
	l := newLab(t)
	// CE A and border relay B in 6rd domain 2001:db8::/32 with the whole
	// IPv4 address embedded (mask length 0): delegated prefixes
	// 2001:db8:c000:201::/64 and 2001:db8:c633:6402::/64 (RFC 5969 §4).
	common := []string{"--6rd-prefix", "2001:db8::/32", "--6rd-mask-len", "0", "--br", ipB.String()}
	pce := tunnel(t, l.a, append([]string{"6rd", "--local", ipA.String()}, common...)...)
	pbr := tunnel(t, l.b, append([]string{"6rd", "--local", ipB.String(), "--router"}, common...)...)
	require.Contains(t, pce.Stderr(), "prefix 2001:db8:c000:201::/64")
	// Inside the domain: CE to BR directly.
	ping(t, l.a, "2001:db8:c000:201::1", "2001:db8:c633:6402::1")
	// Outside the domain: a native address behind the BR (3fff::/20, RFC
	// 9637 documentation space), reached through the BR by the CE's
	// default route, and back.
	l.b.IP(t, "link", "set", "lo", "up")
	l.b.AddAddr(t, "lo", netip.MustParsePrefix("3fff::1/128"))
	ping(t, l.a, "2001:db8:c000:201::1", "3fff::1")
	cce, cbr := counters(t, pce), counters(t, pbr)
	require.GreaterOrEqual(t, cce["out.sent-relay"], uint64(3), cce)
	require.GreaterOrEqual(t, cce["in.received-relay"], uint64(3), cce)
	require.GreaterOrEqual(t, cbr["in.received-direct"], uint64(6), cbr)
}

func TestISATAP(t *testing.T) {
	l := newLab(t)
	// ISATAP addresses under 2001:db8:1::/64 (RFC 5214 §6.1); the u-bit
	// is set (0200:5efe) because --global makes the IPv4 addresses
	// global.
	const (
		hostAddr   = "2001:db8:1:0:200:5efe:c000:201"
		routerAddr = "2001:db8:1:0:200:5efe:c633:6402"
	)
	ph := tunnel(t, l.a, "isatap", "--local", ipA.String(), "--prl", ipB.String(), "--prefix", "2001:db8:1::/64")
	pr := tunnel(t, l.b, "isatap", "--local", ipB.String(), "--router", "--prefix", "2001:db8:1::/64")
	require.Contains(t, ph.Stderr(), hostAddr)
	require.Contains(t, pr.Stderr(), routerAddr)
	ping(t, l.a, hostAddr, routerAddr)
	ping(t, l.b, routerAddr, hostAddr)
	// Link-local too, as sit configures fe80::200:5efe:V4ADDR.
	ping(t, l.a, "", "fe80::200:5efe:c633:6402%isatap0")
	ch, cr := counters(t, ph), counters(t, pr)
	require.GreaterOrEqual(t, ch["in.received-relay"], uint64(3), ch) // from the PRL router
	require.GreaterOrEqual(t, cr["in.received-direct"], uint64(3), cr)
}

// spoofed returns a 6to4 packet from ipC to ipB whose inner source
// 2002:c000:201::1 embeds A's address, not the outer source: an ICMPv6
// echo request, headers built by hand (RFC 791, RFC 8200, RFC 4443).
func spoofed() []byte {
	const payload = 8
	b := make([]byte, 20+40+payload)
	b[0], b[8], b[9] = 0x45, 64, 41
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	copy(b[12:16], ipC.AsSlice())
	copy(b[16:20], ipB.AsSlice())
	in := b[20:]
	in[0] = 0x60
	binary.BigEndian.PutUint16(in[4:], payload)
	in[6], in[7] = 58, 64
	src, dst := netip.MustParseAddr(sixToFourA).As16(), netip.MustParseAddr(sixToFourB).As16()
	copy(in[8:24], src[:])
	copy(in[24:40], dst[:])
	in[40] = 128 // echo request
	return b
}

func TestSpoofDropped(t *testing.T) {
	l := newLab(t)
	pb := tunnel(t, l.b, "6to4", "--local", ipB.String())
	before := counters(t, pb)
	const n = 3
	l.c.Exec(t, func() error {
		c, err := rawip.Listen(41, ipC)
		if err != nil {
			return err
		}
		defer c.Close()
		pkts := make([][]byte, n)
		for i := range pkts {
			pkts[i] = spoofed()
		}
		_, err = c.WriteBatch(pkts, 0)
		return err
	})
	var after map[string]uint64
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		after = counters(t, pb)
		if after["in.spoofed-source"]-before["in.spoofed-source"] >= n || time.Since(start) > waitTimeout {
			break
		}
	}
	require.Equal(t, uint64(n), after["in.spoofed-source"]-before["in.spoofed-source"], after)
	require.Equal(t, before["in.received-direct"], after["in.received-direct"], after)
}

// EnvBench enables TestThroughput, a measurement rather than a check: it
// runs iperf3 at full speed through the 6to4 tunnel and over the plain
// IPv4 path between the same namespaces, and logs the figures of
// bench/README.md.
const EnvBench = "TRANSIT6_TUNNEL_BENCH"

// cpuTicks returns the user+system CPU time of pid in clock ticks
// (proc(5), fields 14 and 15 of /proc/PID/stat).
func cpuTicks(t testing.TB, pid int) uint64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(t, err)
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 on
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	k, err2 := strconv.ParseUint(f[12], 10, 64)
	require.NoError(t, err1)
	require.NoError(t, err2)
	return u + k
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

func TestThroughput(t *testing.T) {
	if os.Getenv(EnvBench) == "" {
		t.Skip("set " + EnvBench + "=1 to measure")
	}
	l := newLab(t)
	pa := tunnel(t, l.a, "6to4", "--local", ipA.String())
	pb := tunnel(t, l.b, "6to4", "--local", ipB.String())
	ping(t, l.a, sixToFourA, sixToFourB)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"UDP 1232", []string{"-u", "-b", "0", "-l", "1232"}},
		{"TCP", nil},
	} {
		plain := iperf(t, l.a, l.b, ipA.String(), ipB.String(), c.args...)
		ca0, cb0 := counters(t, pa), counters(t, pb)
		ta0, tb0 := cpuTicks(t, pa.Pid()), cpuTicks(t, pb.Pid())
		tun := iperf(t, l.a, l.b, sixToFourA, sixToFourB, c.args...)
		ta1, tb1 := cpuTicks(t, pa.Pid()), cpuTicks(t, pb.Pid())
		ca1, cb1 := counters(t, pa), counters(t, pb)
		pkts := float64(ca1["out.sent-direct"] - ca0["out.sent-direct"] + cb1["in.received-direct"] - cb0["in.received-direct"])
		pktsFwd := float64(cb1["in.received-direct"] - cb0["in.received-direct"])
		cpu := float64(ta1-ta0+tb1-tb0) / clockTicks
		pb, pbps := plain.Received()
		tb, tbps := tun.Received()
		secs := tun.End.Sum.Seconds
		if secs == 0 {
			secs = tun.End.SumReceived.Seconds
		}
		line := fmt.Sprintf("%s: plain %.2f Gbit/s (%d bytes), tunnel %.2f Gbit/s (%d bytes) = %.0f %%; tunnel %.0f pkt/s A→B (%.0f packets at B); transit6 CPU %.2f s = %.2f µs/packet (%.0f packets A out + B in)",
			c.name, pbps/1e9, pb, tbps/1e9, tb, 100*tbps/pbps, pktsFwd/secs, pktsFwd, cpu, 1e6*cpu/pkts, pkts)
		if c.args != nil {
			pp := float64(plain.End.Sum.Packets - plain.End.Sum.LostPackets)
			tp := float64(tun.End.Sum.Packets - tun.End.Sum.LostPackets)
			line += fmt.Sprintf("; iperf3 packets received: plain %.0f/s, tunnel %.0f/s = %.0f %% (loss plain %.1f %%, tunnel %.1f %%)",
				pp/plain.End.Sum.Seconds, tp/tun.End.Sum.Seconds, 100*(tp/tun.End.Sum.Seconds)/(pp/plain.End.Sum.Seconds),
				plain.End.Sum.LostPercent, tun.End.Sum.LostPercent)
		}
		t.Log(line)
		require.Positive(t, tb)
	}
}

// TestSixToFourOffloadInterop runs A in process without TUN offloads
// (Config.NoOffload) against B, the binary, with them (the default): ping
// with a payload pattern and TCP and UDP both ways get through, whatever
// each end's TUN hands over or takes. The kernels verify the TCP and UDP
// checksums of every segment B's Split makes and every run its Coalesce
// joins.
func TestSixToFourOffloadInterop(t *testing.T) {
	l := newLab(t)
	var tn *tunnelio.Tunnel
	l.a.Exec(t, func() (err error) {
		tn, err = tunnelio.New(tunnelio.Config{NoOffload: true, Engine: sixtofour.Config{
			Mechanism:     sixtofour.SixToFour,
			Local:         ipA,
			TreatAsGlobal: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24")},
		}})
		return err
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tn.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
		require.NoError(t, tn.Close())
	})
	pb := tunnel(t, l.b, "6to4", "--local", ipB.String())
	ping(t, l.a, sixToFourA, sixToFourB)
	out, err := run(t, l.a, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", "-s", "1400", "-p", "a5", sixToFourB)
	require.NoError(t, err, out)
	require.Contains(t, out, " 0% packet loss", out)
	require.NotContains(t, out, "wrong data", out)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"TCP A to B", nil},
		{"TCP B to A", []string{"-R"}},
		{"UDP A to B", []string{"-u", "-b", "50M", "-l", "1232"}},
		{"UDP B to A", []string{"-u", "-b", "50M", "-l", "1232", "-R"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := iperf(t, l.a, l.b, sixToFourA, sixToFourB, c.args...)
			bytes, _ := res.Received()
			require.Positive(t, bytes, "%+v", res.End)
		})
	}
	cb := counters(t, pb)
	require.Positive(t, cb["in.received-direct"], cb)
	require.Positive(t, tn.Counters().Get(sixtofour.Outbound, sixtofour.ReasonSentDirect))
}
