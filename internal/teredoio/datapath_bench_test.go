package teredoio_test

// Relay forwarding measured side by side with Miredo's (issue 5,
// "Performance"), in the topology of datapath_interop_test.go. Opt-in: it
// takes minutes and loads every core.
//
//	sudo TRANSIT6_TUNNEL_BENCH=1 go test -count=1 -run TestRelayThroughput -v -timeout 30m ./internal/teredoio/

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/internal/interop"
	"github.com/transit6/transit6/internal/netns"
)

// EnvTunnelBench enables TestRelayThroughput.
const EnvTunnelBench = "TRANSIT6_TUNNEL_BENCH"

// Bench parameters: 10 s rounds, median of 3, 1280-byte IPv6 packets
// offered at up to 2 Gbit/s (far beyond what the tunnel carries).
const (
	benchSeconds = 10
	benchRounds  = 3
	benchRate    = "2G"
)

var (
	// The native host's addresses: one routed back through each relay.
	nativeViaT6     = netip.MustParseAddr("2001:db8:1::100")
	nativeViaMiredo = netip.MustParseAddr("2001:db8:1::101")
	// The plain IPv6 path: a host on the internet with native IPv6,
	// routed through the transit6 relay's namespace as a plain router.
	plainNet   = netip.MustParsePrefix("2001:db8:2::/64")
	plainHost6 = netip.MustParseAddr("2001:db8:2::20")
	plainGw6   = netip.MustParseAddr("2001:db8:2::10")
	plainIP    = netip.MustParseAddr("198.51.100.22")
)

// benchPath is one way from a sender to the native host.
type benchPath struct {
	name   string
	from   *netns.NS
	dst    netip.Addr
	relay  *netns.NS  // nil for the plain path
	sink   *netns.NS  // the native host
	teredo netip.Addr // the client's Teredo address (relay paths)
}

// benchSample is one round's figures for one path.
type benchSample struct {
	offered  float64 // UDP datagrams/s the sender sent
	dropped  float64 // datagrams/s dropped at the relay's socket (buffer full)
	relayed  float64 // datagrams/s the relay took from its socket
	received float64 // datagrams/s that reached the native host's UDP layer
	cpuPerM  float64 // relay CPU seconds per million relayed datagrams
	tcpGbps  float64
}

// reverseSample is one round's figures for one path in the reverse
// direction (iperf3 -R): the native host sends, the relay reads IPv6 from
// its TUN and sends it encapsulated to the client.
type reverseSample struct {
	offered   float64 // UDP datagrams/s the native host sent
	relaySent float64 // relay Udp OutDatagrams/s: sends toward the client
	clientIP4 float64 // IPv4 packets/s reaching the client (per segment)
	clientUDP float64 // client Udp InDatagrams+RcvbufErrors/s (per skb)
	delivered float64 // IPv6 datagrams/s reaching the client's UDP layer
	cpuPerM   float64 // relay CPU seconds per million packets to the client
	tcpGbps   float64
}

// TestRelayThroughput measures packets/s forwarded by the transit6 relay
// and by Miredo's relay (RelayType cone) from the same Teredo clients to
// the same native host, alternating in one run, with the relays' CPU per
// million packets and TCP throughput, and the plain IPv6 path for
// reference; it logs a Markdown table. Each round measures each path in
// both directions: client → native host, then native host → client
// (iperf3 -R, the relay encapsulating what it reads from its TUN), which
// gets a table of its own.
func TestRelayThroughput(t *testing.T) {
	if os.Getenv(EnvTunnelBench) == "" {
		t.Skipf("set %s=1 to measure relay throughput (minutes, every core)", EnvTunnelBench)
	}
	// Enabled, it measures or fails: a missing tool or privilege is no
	// reason to skip.
	t.Setenv(interop.EnvRequire, "1")
	interop.LookPath(t, "iperf3")
	interop.LookPath(t, "miredo")
	w := buildWorld(t, false)
	// With TRANSIT6_TUNNEL_BENCH_PROFILE=FILE the transit6 relay writes
	// a CPU profile there (go tool pprof BINARY FILE).
	w.relayProfile = os.Getenv(EnvTunnelBench + "_PROFILE")
	relayT6, _ := w.transit6Relay(t)
	relayMi, _ := w.miredoRelay(t)
	w.server(t, "transit6", relay6)

	// One native host per relay, each routing the Teredo prefix back
	// through its relay. (One host with two addresses and policy routing
	// would not do: iperf3's UDP server answers from the address source
	// selection picks, not the one the client sent to.)
	nativeT6, nativeMi := netns.New(t, "native-t6"), netns.New(t, "native-mi")
	for _, n := range []struct {
		ns        *netns.NS
		addr, via netip.Addr
	}{{nativeT6, nativeViaT6, relay6}, {nativeMi, nativeViaMiredo, miredoRelay6}} {
		w.plug(t, w.v6, n.ns, "eth0", prefix6(n.addr))
		n.ns.IP(t, "-6", "route", "add", teredoPrefix, "via", n.via.String())
		n.ns.IperfServer(t)
	}
	nativeT6.IP(t, "-6", "route", "add", plainNet.String(), "via", relay6.String())

	plain := w.host(t, "plain", plainIP)
	plain.AddAddr(t, "eth0", netip.PrefixFrom(plainHost6, 64))
	relayT6.AddAddr(t, "eth0", netip.PrefixFrom(plainGw6, 64))
	plain.IP(t, "-6", "route", "add", "2001:db8:1::/64", "via", plainGw6.String())

	clients := []struct {
		name string
		ns   *netns.NS
		addr netip.Addr // its Teredo address
	}{
		{name: "Miredo client", ns: w.host(t, "mclient", clientIP)},
		{name: "transit6 client", ns: w.host(t, "tclient", client2IP)},
	}
	clients[0].addr = w.miredoClient(t, clients[0].ns)
	clients[1].addr = w.transit6Client(t, "client", clients[1].ns)

	var paths []benchPath
	for _, c := range clients {
		for _, r := range []struct {
			name     string
			ns, sink *netns.NS
			dst      netip.Addr
		}{{"transit6 relay", relayT6, nativeT6, nativeViaT6}, {"Miredo relay", relayMi, nativeMi, nativeViaMiredo}} {
			// The first packets wait for the direct connectivity test.
			ping(t, c.ns, r.dst)
			paths = append(paths, benchPath{name: c.name + " → " + r.name, from: c.ns, dst: r.dst, relay: r.ns, sink: r.sink, teredo: c.addr})
		}
	}
	ping(t, plain, nativeViaT6)
	paths = append(paths, benchPath{name: "plain IPv6 (reference)", from: plain, dst: nativeViaT6, sink: nativeT6})
	if t.Failed() {
		t.FailNow()
	}

	// TRANSIT6_TUNNEL_BENCH_ONLY=TEXT measures only the paths whose name
	// contains TEXT (profiling one path); the ratio tables then need both
	// relays of a client, and are left out if a path is missing.
	full := true
	if only := os.Getenv(EnvTunnelBench + "_ONLY"); only != "" {
		full = false
		paths = slices.DeleteFunc(paths, func(p benchPath) bool { return !strings.Contains(p.name, only) })
		require.NotEmpty(t, paths, "no path's name contains %q", only)
	}
	rounds := benchRounds
	if v := os.Getenv(EnvTunnelBench + "_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "%s_ROUNDS", EnvTunnelBench)
		require.Positive(t, n, "%s_ROUNDS", EnvTunnelBench)
		rounds = n
	}
	samples := make([][]benchSample, len(paths))
	reverse := make([][]reverseSample, len(paths))
	blasts := make([][2][]blastSample, len(paths))
	for round := range rounds {
		for i, p := range paths {
			s := measure(t, p)
			t.Logf("round %d, %s: %+v", round+1, p.name, s)
			samples[i] = append(samples[i], s)
			r := measureReverse(t, p)
			t.Logf("round %d, %s, reverse: %+v", round+1, p.name, r)
			reverse[i] = append(reverse[i], r)
			if p.relay == nil {
				continue
			}
			for dir, rev := range []bool{false, true} {
				b := measureBlast(t, p, rev)
				t.Logf("round %d, %s, saturated (reverse %v): %+v", round+1, p.name, rev, b)
				blasts[i][dir] = append(blasts[i][dir], b)
			}
		}
	}
	defer func() {
		if full {
			t.Log(blastTable(paths, clients[0].name, clients[1].name, blasts))
		}
	}()

	var b strings.Builder
	fmt.Fprintf(&b, "\n%d s rounds, median of %d; UDP: iperf3 -u -l 1232 -b %s (1280-byte IPv6 packets); TCP: iperf3 -t %d\n\n",
		benchSeconds, rounds, benchRate, benchSeconds)
	b.WriteString("| path | offered pkt/s | relay socket drops/s | relay received pkt/s | native host pkt/s | relay CPU s / M pkts | TCP Gbit/s |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	med := make([]benchSample, len(paths))
	for i, p := range paths {
		m := median(samples[i])
		med[i] = m
		dropped, relayed, cpu := "—", "—", "—"
		if p.relay != nil {
			dropped, relayed, cpu = fmt.Sprintf("%.0f", m.dropped), fmt.Sprintf("%.0f", m.relayed), fmt.Sprintf("%.2f", m.cpuPerM)
		}
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %.0f | %s | %.3f |\n", p.name, m.offered, dropped, relayed, m.received, cpu, m.tcpGbps)
	}
	b.WriteString("\n| client | relay pkt/s ratio (transit6 / Miredo) | CPU per packet ratio | TCP ratio |\n| --- | ---: | ---: | ---: |\n")
	for i := 0; i+1 < len(paths)-1 && full; i += 2 {
		t6, mi := med[i], med[i+1]
		fmt.Fprintf(&b, "| %s | %.2f× | %.2f× | %.2f× |\n", clients[i/2].name, t6.relayed/mi.relayed, t6.cpuPerM/mi.cpuPerM, t6.tcpGbps/mi.tcpGbps)
	}
	t.Log(b.String())
	if full {
		t.Log(reverseTable(paths, clients[0].name, clients[1].name, reverse))
	}
}

// reverseTable formats the medians of the reverse direction (iperf3 -R,
// native host → client) as Markdown tables, in the style of the forward
// ones: one row per path, then the transit6 / Miredo ratios per client,
// from the IPv4 packets reaching the client, which the relay forwarded.
func reverseTable(paths []benchPath, client1, client2 string, samples [][]reverseSample) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nReverse (iperf3 -R: the native host sends, the client receives); %d s rounds, median of %d; UDP: iperf3 -u -l 1232 -b %s -R; TCP: iperf3 -t %d -R\n\n",
		benchSeconds, len(samples[0]), benchRate, benchSeconds)
	b.WriteString("| path | offered pkt/s | relay UDP sends/s | client IPv4 pkt/s | client UDP in+drops/s | client IPv6 delivered pkt/s | relay CPU s / M pkts | TCP -R Gbit/s |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	med := make([]reverseSample, len(paths))
	for i, p := range paths {
		m := medianReverse(samples[i])
		med[i] = m
		sent, ip4, udp, cpu := "—", "—", "—", "—"
		if p.relay != nil {
			sent, ip4, udp = fmt.Sprintf("%.0f", m.relaySent), fmt.Sprintf("%.0f", m.clientIP4), fmt.Sprintf("%.0f", m.clientUDP)
			cpu = fmt.Sprintf("%.2f", m.cpuPerM)
		}
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %s | %.0f | %s | %.3f |\n", p.name, m.offered, sent, ip4, udp, m.delivered, cpu, m.tcpGbps)
	}
	b.WriteString("\n| client | reverse relay pkt/s ratio (transit6 / Miredo) | CPU per packet ratio | TCP -R ratio |\n| --- | ---: | ---: | ---: |\n")
	for i, name := range []string{client1, client2} {
		t6, mi := med[2*i], med[2*i+1]
		fmt.Fprintf(&b, "| %s | %.2f× | %.2f× | %.2f× |\n", name, t6.clientIP4/mi.clientIP4, t6.cpuPerM/mi.cpuPerM, t6.tcpGbps/mi.tcpGbps)
	}
	return b.String()
}

// measure runs one UDP and one TCP round on p. Packets are counted by
// the kernel's UDP counters (RFC 4113 udpInDatagrams, RcvbufErrors), not
// by interface counters, which count a super-packet once when the relay
// uses TUN or UDP segmentation offloads.
func measure(t *testing.T, p benchPath) benchSample {
	t.Helper()
	var s benchSample
	// What reaches the native host's UDP layer, whether its iperf3 (on a
	// starved CPU) keeps up or its socket buffer overflows.
	sinkRx := func() uint64 {
		return snmpCounter(t, p.sink, "Udp6", "InDatagrams") + snmpCounter(t, p.sink, "Udp6", "RcvbufErrors")
	}
	rx0 := sinkRx()
	var in0, drop0 uint64
	var cpu0 time.Duration
	if p.relay != nil {
		in0 = snmpCounter(t, p.relay, "Udp", "InDatagrams")
		drop0 = snmpCounter(t, p.relay, "Udp", "RcvbufErrors")
		cpu0 = nsCPU(t, p.relay)
	}
	r := iperf(t, p.from, p.dst, "-u", "-l", "1232", "-b", benchRate, "-t", strconv.Itoa(benchSeconds))
	secs := r.End.Sum.Seconds
	require.Positive(t, secs, "%s: iperf3 reported no duration", p.name)
	s.offered = float64(r.End.Sum.Packets) / secs
	s.received = float64(sinkRx()-rx0) / secs
	if p.relay != nil {
		cpu := nsCPU(t, p.relay) - cpu0
		n := float64(snmpCounter(t, p.relay, "Udp", "InDatagrams") - in0)
		require.Positive(t, n, "%s: the relay received nothing", p.name)
		s.relayed = n / secs
		s.dropped = float64(snmpCounter(t, p.relay, "Udp", "RcvbufErrors")-drop0) / secs
		s.cpuPerM = cpu.Seconds() / n * 1e6
	}
	require.Positive(t, s.received, "%s: the native host received nothing", p.name)
	r = iperf(t, p.from, p.dst, "-t", strconv.Itoa(benchSeconds))
	s.tcpGbps = r.End.SumReceived.BitsPerSecond / 1e9
	require.Positive(t, s.tcpGbps, "%s: no TCP throughput", p.name)
	return s
}

// measureReverse runs one UDP and one TCP round on p with iperf3 -R: the
// native host (p.dst) sends to the client (p.from). The relay's sends are
// counted by its Udp OutDatagrams; what reaches the client both by the
// IPv4 layer's ECN counters (IpExt In*Pkts, RFC 3168), which count each
// segment of a GSO or GRO super-packet, and by Udp InDatagrams +
// RcvbufErrors, which count a UDP_GRO read once however many datagrams it
// holds (udp_recvmsg counts per skb). The client's Udp6 InDatagrams +
// RcvbufErrors count the IPv6 datagrams it decapsulated that reached its
// iperf3 socket (no UDP_GRO there, so one per datagram).
func measureReverse(t *testing.T, p benchPath) reverseSample {
	t.Helper()
	var s reverseSample
	delivered := func() uint64 {
		return snmpCounter(t, p.from, "Udp6", "InDatagrams") + snmpCounter(t, p.from, "Udp6", "RcvbufErrors")
	}
	clientUDP := func() uint64 {
		return snmpCounter(t, p.from, "Udp", "InDatagrams") + snmpCounter(t, p.from, "Udp", "RcvbufErrors")
	}
	d0 := delivered()
	var sent0, ip40, udp0 uint64
	var cpu0 time.Duration
	if p.relay != nil {
		sent0 = snmpCounter(t, p.relay, "Udp", "OutDatagrams")
		ip40, udp0 = ipv4InPkts(t, p.from), clientUDP()
		cpu0 = nsCPU(t, p.relay)
	}
	r := iperf(t, p.from, p.dst, "-u", "-l", "1232", "-b", benchRate, "-t", strconv.Itoa(benchSeconds), "-R")
	secs := r.End.Sum.Seconds
	require.Positive(t, secs, "%s reverse: iperf3 reported no duration", p.name)
	// With -R, iperf3 3.12's end.sum is the receiver's summary (its
	// seconds, lost_packets) but its packets are the sender's count, as
	// in end.sum_sent; check that against the bytes sent.
	assert.Equal(t, r.End.SumSent.Bytes, 1232*r.End.Sum.Packets, "%s reverse: end.sum.packets is not the sender's count", p.name)
	s.offered = float64(r.End.Sum.Packets) / secs
	s.delivered = float64(delivered()-d0) / secs
	if p.relay != nil {
		cpu := nsCPU(t, p.relay) - cpu0
		s.relaySent = float64(snmpCounter(t, p.relay, "Udp", "OutDatagrams")-sent0) / secs
		s.clientUDP = float64(clientUDP()-udp0) / secs
		n := float64(ipv4InPkts(t, p.from) - ip40)
		require.Positive(t, n, "%s reverse: the client received nothing", p.name)
		s.clientIP4 = n / secs
		s.cpuPerM = cpu.Seconds() / n * 1e6
	}
	require.Positive(t, s.delivered, "%s reverse: the client delivered nothing", p.name)
	r = iperf(t, p.from, p.dst, "-t", strconv.Itoa(benchSeconds), "-R")
	s.tcpGbps = r.End.SumReceived.BitsPerSecond / 1e9
	require.Positive(t, s.tcpGbps, "%s reverse: no TCP throughput", p.name)
	return s
}

// ipv4InPkts returns the IPv4 packets ns has received: the sum of IpExt
// InNoECTPkts, InECT1Pkts, InECT0Pkts and InCEPkts of /proc/net/netstat,
// which ip_rcv adds per segment (gso_segs) where InReceives counts a
// super-packet once.
func ipv4InPkts(t *testing.T, ns *netns.NS) uint64 {
	t.Helper()
	var n uint64
	for _, name := range []string{"InNoECTPkts", "InECT1Pkts", "InECT0Pkts", "InCEPkts"} {
		n += procCounter(t, ns, "/proc/net/netstat", "IpExt", name)
	}
	return n
}

// medianReverse returns the median of each figure of ss.
func medianReverse(ss []reverseSample) reverseSample {
	pick := func(f func(reverseSample) float64) float64 { return medianOf(ss, f) }
	return reverseSample{
		offered:   pick(func(s reverseSample) float64 { return s.offered }),
		relaySent: pick(func(s reverseSample) float64 { return s.relaySent }),
		clientIP4: pick(func(s reverseSample) float64 { return s.clientIP4 }),
		clientUDP: pick(func(s reverseSample) float64 { return s.clientUDP }),
		delivered: pick(func(s reverseSample) float64 { return s.delivered }),
		cpuPerM:   pick(func(s reverseSample) float64 { return s.cpuPerM }),
		tcpGbps:   pick(func(s reverseSample) float64 { return s.tcpGbps }),
	}
}

// medianOf returns the median of f over ss.
func medianOf[S any](ss []S, f func(S) float64) float64 {
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// median returns the median of each figure of ss.
func median(ss []benchSample) benchSample {
	pick := func(f func(benchSample) float64) float64 { return medianOf(ss, f) }
	return benchSample{
		offered:  pick(func(s benchSample) float64 { return s.offered }),
		relayed:  pick(func(s benchSample) float64 { return s.relayed }),
		received: pick(func(s benchSample) float64 { return s.received }),
		cpuPerM:  pick(func(s benchSample) float64 { return s.cpuPerM }),
		tcpGbps:  pick(func(s benchSample) float64 { return s.tcpGbps }),
		dropped:  pick(func(s benchSample) float64 { return s.dropped }),
	}
}

// nsCPU returns the user and system CPU time used so far by the processes
// in ns (utime + stime of /proc/PID/stat, all threads included).
func nsCPU(t *testing.T, ns *netns.NS) time.Duration {
	t.Helper()
	out, err := exec.Command("ip", "netns", "pids", ns.Name()).Output()
	require.NoError(t, err)
	var ticks uint64
	for _, f := range strings.Fields(string(out)) {
		stat, err := os.ReadFile("/proc/" + f + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		// Fields after the parenthesised command name: state is field 3,
		// utime 14 and stime 15 (proc(5)).
		rest := stat[bytes.LastIndexByte(stat, ')')+2:]
		fs := strings.Fields(string(rest))
		u, _ := strconv.ParseUint(fs[14-3], 10, 64)
		s, _ := strconv.ParseUint(fs[15-3], 10, 64)
		ticks += u + s
	}
	const clkTck = 100 // USER_HZ on Linux
	return time.Duration(ticks) * time.Second / clkTck
}

// snmpCounter returns counter name of protocol proto in ns: "Udp" from
// /proc/net/snmp (a line of names, then a line of values), "Udp6" from
// /proc/net/snmp6 (one "Udp6InDatagrams 42" per line).
func snmpCounter(t *testing.T, ns *netns.NS, proto, name string) uint64 {
	t.Helper()
	file := "/proc/net/snmp"
	if strings.HasSuffix(proto, "6") {
		file = "/proc/net/snmp6"
	}
	return procCounter(t, ns, file, proto, name)
}

// procCounter returns counter name of proto in file of ns, in either of
// the formats snmpCounter reads (/proc/net/netstat has the first).
func procCounter(t *testing.T, ns *netns.NS, file, proto, name string) uint64 {
	t.Helper()
	text := ns.Output(t, "cat", file)
	var names []string
	for _, line := range strings.Split(text, "\n") {
		fs := strings.Fields(line)
		switch {
		case len(fs) == 2 && fs[0] == proto+name:
			n, err := strconv.ParseUint(fs[1], 10, 64)
			require.NoError(t, err, line)
			return n
		case len(fs) > 1 && fs[0] == proto+":" && names == nil:
			names = fs[1:]
		case len(fs) > 1 && fs[0] == proto+":":
			for i, v := range fs[1:] {
				if i < len(names) && names[i] == name {
					n, err := strconv.ParseUint(v, 10, 64)
					require.NoError(t, err, line)
					return n
				}
			}
		}
	}
	t.Fatalf("no %s %s in %s of %s:\n%s", proto, name, file, ns.Name(), text)
	return 0
}
