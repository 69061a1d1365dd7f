package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/internal/interop"
	"github.com/transit6/transit6/internal/netns"
	"github.com/transit6/transit6/iphttps"
)

// envTunnelBench enables TestIPHTTPSThroughput, a measurement rather than a
// check, for bench/README.md. It is the variable internal/tunnelio's
// TestThroughput reads too.
const envTunnelBench = "TRANSIT6_TUNNEL_BENCH"

// Parameters of TestIPHTTPSThroughput.
const (
	benchRounds  = 3  // rounds of each measurement; the median is reported
	benchSeconds = 10 // seconds per iperf3 run

	// clockTicks is USER_HZ, the unit of utime and stime in
	// /proc/PID/stat, 100 on every Linux architecture Go supports.
	clockTicks = 100
)

// cpuTime returns the user+system CPU time of process pid (proc(5),
// fields 14 and 15 of /proc/PID/stat), or of this process for pid 0.
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	name := "/proc/self/stat"
	if pid != 0 {
		name = "/proc/" + strconv.Itoa(pid) + "/stat"
	}
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields 3 and on
	require.Greater(t, len(f), 12, "%s: %s", name, s)
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	require.NoError(t, errors.Join(err1, err2), "%s: %s", name, s)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// tlsPipe is the limit the tunnel is measured against: a TCP byte pipe
// through TLS between the same namespaces as the tunnel. Each connection
// to its listener in the client's namespace becomes a TLS connection
// to its TLS listener in the server's namespace, which connects to the
// target; bytes are copied both ways with io.Copy. It runs in the test
// process.
type tlsPipe struct {
	ln, tlsLn net.Listener
	mu        sync.Mutex
	conns     []net.Conn
	state     tls.ConnectionState // of the first TLS connection
	wg        sync.WaitGroup
}

// startTLSPipe starts a pipe from a listener on 127.0.0.1 in from, over
// TLS to tlsAddr in to, then over TCP to target, with the given TLS
// configurations, and returns it; it stops at the end of the test.
func startTLSPipe(t *testing.T, from, to *netns.NS, tlsAddr, target netip.AddrPort, serverCfg, clientCfg *tls.Config) *tlsPipe {
	t.Helper()
	p := &tlsPipe{}
	from.Exec(t, func() (err error) {
		p.ln, err = net.Listen("tcp", "127.0.0.1:0")
		return err
	})
	to.Exec(t, func() (err error) {
		p.tlsLn, err = net.Listen("tcp", tlsAddr.String())
		return err
	})
	t.Cleanup(func() {
		p.ln.Close()
		p.tlsLn.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	// dial connects from ns: a socket takes the namespace of the thread
	// that creates it.
	dial := func(ns *netns.NS, addr netip.AddrPort) (c net.Conn, err error) {
		err = ns.Do(func() error {
			c, err = net.Dial("tcp", addr.String())
			return err
		})
		return c, err
	}
	accept := func(ln net.Listener, serve func(net.Conn)) {
		p.wg.Go(func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				p.wg.Go(func() { serve(c) })
			}
		})
	}
	// Client side: plain TCP in, TLS out.
	accept(p.ln, func(in net.Conn) {
		out, err := dial(from, tlsAddr)
		if err != nil {
			t.Errorf("TLS pipe: %v", err)
			in.Close()
			return
		}
		p.splice(in, tls.Client(out, clientCfg))
	})
	// Server side: TLS in, plain TCP out.
	accept(p.tlsLn, func(in net.Conn) {
		tc := tls.Server(in, serverCfg)
		if err := tc.Handshake(); err != nil {
			t.Errorf("TLS pipe: %v", err)
			in.Close()
			return
		}
		p.mu.Lock()
		if p.state.Version == 0 {
			p.state = tc.ConnectionState()
		}
		p.mu.Unlock()
		out, err := dial(to, target)
		if err != nil {
			t.Errorf("TLS pipe: %v", err)
			in.Close()
			return
		}
		p.splice(tc, out)
	})
	return p
}

// splice copies a to b and b to a until either direction ends, then closes
// both.
func (p *tlsPipe) splice(a, b net.Conn) {
	p.mu.Lock()
	p.conns = append(p.conns, a, b)
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(a, b); done <- struct{}{} }()
	go func() { io.Copy(b, a); done <- struct{}{} }()
	<-done
	a.Close()
	b.Close()
	<-done
}

// port returns the pipe's TCP port in the client's namespace.
func (p *tlsPipe) port() string {
	return strconv.Itoa(p.ln.Addr().(*net.TCPAddr).Port)
}

// tlsState returns the version and cipher suite of the first TLS
// connection of the pipe.
func (p *tlsPipe) tlsState() tls.ConnectionState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// tlsName returns "TLS 1.3 TLS_AES_128_GCM_SHA256" for a connection state.
func tlsName(st tls.ConnectionState) string {
	return tls.VersionName(st.Version) + " " + tls.CipherSuiteName(st.CipherSuite)
}

// throughputRun is one iperf3 run and the CPU time spent meanwhile by the
// processes that carry it (both transit6 processes, or the test process
// for the TLS pipe), per 10^9 bytes carried: received by iperf3 (TCP), or
// written by the transit6 server to its TUN (UDP).
type throughputRun struct {
	mbps      float64       // received by iperf3, Mbit/s
	cpuPerGB  time.Duration // of the carrying processes
	loss      float64       // UDP: percent of datagrams lost
	forwarded float64       // UDP: packets per second the transit6 server wrote to its TUN
	retrans   float64       // TCP: segments the sender retransmitted
}

// String returns "608 Mbit/s, CPU 18.06 s/GB" and for UDP the loss and
// the packets forwarded.
func (r throughputRun) String() string {
	s := fmt.Sprintf("%.0f Mbit/s, CPU %.2f s/GB", r.mbps, r.cpuPerGB.Seconds())
	if r.retrans > 0 {
		s += fmt.Sprintf(", %.0f retransmitted", r.retrans)
	}
	if r.forwarded > 0 {
		s += fmt.Sprintf(" (%.1f %% lost; server forwarded %.0f pkt/s = %.0f Mbit/s of 1280-byte packets)",
			r.loss, r.forwarded, r.forwarded*1280*8/1e6)
	}
	return s
}

// medianRun returns the median of each figure of runs.
func medianRun(runs []throughputRun) throughputRun {
	median := func(f func(throughputRun) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return throughputRun{
		mbps:      median(func(r throughputRun) float64 { return r.mbps }),
		cpuPerGB:  time.Duration(median(func(r throughputRun) float64 { return float64(r.cpuPerGB) })),
		loss:      median(func(r throughputRun) float64 { return r.loss }),
		forwarded: median(func(r throughputRun) float64 { return r.forwarded }),
	}
}

// TestIPHTTPSThroughput measures, for bench/README.md, iperf3 TCP between
// a client namespace and a host behind the server namespace, both ways
// (upload, and download with -R), (a) through the transit6 IP-HTTPS tunnel
// (client and server with their TUN interfaces) and (b) through a plain
// TLS byte pipe between the same namespaces (the limit: one TLS connection
// per TCP connection, the same TLS version and cipher suite, no packets),
// alternately, benchRounds times each, and logs the medians, their ratio
// and the CPU time per GB; and UDP with 1280-byte IPv6 packets through the
// tunnel (the pipe cannot carry UDP). It is skipped unless
// TRANSIT6_TUNNEL_BENCH is set; then it fails if it cannot measure.
//
//	cli ─ 192.0.2.0/24 ─ srv ─ 2001:db8:ffff::/64, 203.0.113.0/24 ─ host
//	 (a) iperf3 -6 → iphttps0 ══ transit6 client ══ TLS ══ transit6 server ══ iphttps0 → host
//	 (b) iperf3 -4 → 127.0.0.1 ══ pipe ══ TLS ══ pipe ══ host
func TestIPHTTPSThroughput(t *testing.T) {
	if os.Getenv(envTunnelBench) == "" {
		t.Skip("set " + envTunnelBench + "=1 to measure the IP-HTTPS tunnel's throughput")
	}
	t.Setenv(interop.EnvRequire, "1") // from here on, what is missing fails the measurement
	srv, cli, host := netns.New(t, "ihbsrv"), netns.New(t, "ihbcli"), netns.New(t, "ihbhost")
	interop.LookPath(t, "iperf3")
	interop.LookPath(t, "ping")
	bin := buildTransit6(t)
	caFile, certFile, keyFile := writeTestPKI(t, "192.0.2.1")
	dir := t.TempDir()

	netns.Link(t, srv, "v-cli", netip.MustParsePrefix("192.0.2.1/24"), cli, "v-srv", netip.MustParsePrefix("192.0.2.2/24"))
	netns.Link(t, srv, "v-host", netip.MustParsePrefix("2001:db8:ffff::1/64"), host, "v-srv", netip.MustParsePrefix("2001:db8:ffff::2/64"))
	srv.AddAddr(t, "v-host", netip.MustParsePrefix("203.0.113.1/24"))
	host.AddAddr(t, "v-srv", netip.MustParsePrefix("203.0.113.2/24"))
	host.IP(t, "-6", "route", "add", "2001:db8:1:1000::/64", "via", "2001:db8:ffff::1")
	srv.Sysctl(t, "net.ipv6.conf.all.forwarding", "1")

	// (a) The tunnel, as in TestIPHTTPSEndToEnd.
	srvSock, cliSock := filepath.Join(dir, "srv.sock"), filepath.Join(dir, "cli.sock")
	// TRANSIT6_TUNNEL_BENCH_PROFILE=DIR: CPU profiles of both ends, in
	// DIR/server.prof and DIR/client.prof (cmd/transit6's
	// TRANSIT6_CPUPROFILE), written when the test stops them.
	// TRANSIT6_TUNNEL_BENCH_ENV="K=V ...": more environment for both
	// (GOMAXPROCS=1, say).
	profile := func(name string) []string {
		args := []string{"env"}
		if d := os.Getenv(envTunnelBench + "_PROFILE"); d != "" {
			args = append(args, envCPUProfile+"="+filepath.Join(d, name+".prof"))
		}
		args = append(args, strings.Fields(os.Getenv(envTunnelBench+"_ENV"))...)
		return append(args, bin)
	}
	// TRANSIT6_TUNNEL_BENCH_SERVER_ARGS="...": more options for the
	// server (--queue-bytes N, say).
	server := srv.Start(t, append(append(profile("server"), "iphttps", "server", "--listen", ":443", "--cert", certFile, "--key", keyFile,
		"--prefix", "2001:db8:1:1000::/64", "--ifname", "iphttps0", "--socket", srvSock),
		strings.Fields(os.Getenv(envTunnelBench+"_SERVER_ARGS"))...)...)
	client := cli.Start(t, append(profile("client"), "iphttps", "client", "--url", "https://192.0.2.1/IPHTTPS", "--ca", caFile,
		"--ifname", "iphttps0", "--socket", cliSock)...)
	clientUp(t, bin, cliSock, client)
	cli.Run(t, "ping", "-6", "-c", "1", "-W", "5", "2001:db8:ffff::2")
	for _, p := range []*netns.Proc{server, client} {
		// ip netns exec execs the command, so these are transit6's own
		// PIDs, whose CPU time the runs read.
		comm, err := os.ReadFile("/proc/" + strconv.Itoa(p.Pid()) + "/comm")
		require.NoError(t, err)
		require.Contains(t, string(comm), "transit6", "PID %d is not transit6", p.Pid())
	}

	// (b) The pipe, with the TLS configurations of transit6's server and
	// client (iphttps.ServerTLSConfig; the client's trust anchors and
	// ALPN).
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	require.NoError(t, err)
	serverCfg, err := iphttps.ServerTLSConfig(iphttps.TLSOptions{Certificates: []tls.Certificate{cert}})
	require.NoError(t, err)
	caPEM, err := os.ReadFile(caFile)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(caPEM))
	clientCfg := &tls.Config{RootCAs: roots, ServerName: "192.0.2.1", NextProtos: []string{iphttps.ALPNProtocol}}
	pipe := startTLSPipe(t, cli, srv, netip.MustParseAddrPort("192.0.2.1:8443"), netip.MustParseAddrPort("203.0.113.2:5201"), serverCfg, clientCfg)

	// The tunnel's TLS, seen by a client with the same configuration as
	// transit6's: the comparison is only fair if the pipe's is the same.
	var tunnelTLS tls.ConnectionState
	cli.Exec(t, func() error {
		c, err := tls.Dial("tcp", "192.0.2.1:443", clientCfg)
		if err != nil {
			return err
		}
		tunnelTLS = c.ConnectionState()
		return c.Close()
	})

	host.IperfServer(t)
	secs := strconv.Itoa(benchSeconds)
	tunnelPIDs, pipePIDs := []int{server.Pid(), client.Pid()}, []int{0}
	measure := func(pids []int, args ...string) throughputRun {
		t.Helper()
		var cpu0 time.Duration
		for _, pid := range pids {
			cpu0 += cpuTime(t, pid)
		}
		out0 := nativeOut(t, bin, srvSock)
		res := cli.Iperf(t, append(args, "-t", secs)...)
		out1 := nativeOut(t, bin, srvSock)
		var cpu time.Duration
		for _, pid := range pids {
			cpu += cpuTime(t, pid)
		}
		require.Positive(t, res.End.SumReceived.Bytes, "iperf3 %s received nothing", strings.Join(args, " "))
		r := throughputRun{mbps: res.End.SumReceived.BitsPerSecond / 1e6, retrans: float64(res.End.SumSent.Retransmits)}
		carried := float64(res.End.SumReceived.Bytes)
		if slices.Contains(args, "-u") {
			// iperf3's own receive buffer overflows at this rate: what
			// the tunnel carried is what the server forwarded.
			r.loss = res.End.Sum.LostPercent
			r.forwarded = float64(out1-out0) / res.End.SumReceived.Seconds
			carried = float64(out1-out0) * 1280
			require.Positive(t, carried, "iperf3 %s: the tunnel carried nothing", strings.Join(args, " "))
		}
		r.cpuPerGB = time.Duration(float64(cpu-cpu0) * 1e9 / carried)
		return r
	}
	tunnelTo := []string{"-6", "-c", "2001:db8:ffff::2"}
	pipeTo := []string{"-4", "-c", "127.0.0.1", "-p", pipe.port()}
	type caseT struct {
		name string
		pids []int
		args []string
		runs []throughputRun
	}
	cases := []caseT{
		{name: "tunnel TCP upload", pids: tunnelPIDs, args: tunnelTo},
		{name: "TLS pipe TCP upload", pids: pipePIDs, args: pipeTo},
		{name: "tunnel TCP download", pids: tunnelPIDs, args: append(slices.Clone(tunnelTo), "-R")},
		{name: "TLS pipe TCP download", pids: pipePIDs, args: append(slices.Clone(pipeTo), "-R")},
		// 1232-byte payloads: 1280-byte IPv6 packets, the link MTU. The
		// TLS pipe carries no UDP.
		{name: "tunnel UDP 1232 B upload", pids: tunnelPIDs, args: append(slices.Clone(tunnelTo), "-u", "-b", "0", "-l", "1232")},
	}
	// TRANSIT6_TUNNEL_BENCH_ONLY=S: only the cases whose name contains S
	// (while working on one of them).
	if only := os.Getenv(envTunnelBench + "_ONLY"); only != "" {
		cases = slices.DeleteFunc(cases, func(c caseT) bool { return !strings.Contains(c.name, only) })
	}
	for i := range benchRounds {
		// Tunnel and pipe alternate, so that a change in the machine's
		// load falls on both.
		for j := range cases {
			c := &cases[j]
			c.runs = append(c.runs, measure(c.pids, c.args...))
			t.Logf("round %d: %s: %s", i+1, c.name, c.runs[i])
		}
	}

	if slices.ContainsFunc(cases, func(c caseT) bool { return strings.HasPrefix(c.name, "TLS pipe") }) {
		require.Equal(t, tlsName(tunnelTLS), tlsName(pipe.tlsState()), "the pipe's TLS differs from the tunnel's")
	}
	lines := []string{"TLS (tunnel and pipe): " + tlsName(tunnelTLS)}
	for _, c := range cases {
		var each []string
		for _, r := range c.runs {
			each = append(each, r.String())
		}
		lines = append(lines, fmt.Sprintf("%s, %d × %d s: %s", c.name, len(c.runs), benchSeconds, strings.Join(each, "; ")))
	}
	for _, a := range cases {
		// Each tunnel case with its pipe, if it has one.
		pipeName, ok := strings.CutPrefix(a.name, "tunnel ")
		if !ok {
			continue
		}
		tm := medianRun(a.runs)
		i := slices.IndexFunc(cases, func(c caseT) bool { return c.name == "TLS pipe "+pipeName })
		if i < 0 {
			lines = append(lines, fmt.Sprintf("medians: %s: %s", a.name, tm))
			continue
		}
		pm := medianRun(cases[i].runs)
		lines = append(lines, fmt.Sprintf("medians: %s: %s; %s: %s; tunnel/pipe = %.0f %%", a.name, tm, cases[i].name, pm, 100*tm.mbps/pm.mbps))
	}
	t.Log("\n" + strings.Join(lines, "\n"))
}

// nativeOut returns the number of packets the server behind socket has
// written to its TUN interface ("transit6 iphttps status --json").
func nativeOut(t *testing.T, bin, socket string) uint64 {
	t.Helper()
	out, err := exec.Command(bin, "iphttps", "status", "--socket", socket, "--json").Output()
	require.NoError(t, err)
	var st struct {
		Server iphttps.ServerStats `json:"server"`
	}
	require.NoError(t, json.Unmarshal(out, &st), "%s", out)
	return st.Server.NativeOut
}
