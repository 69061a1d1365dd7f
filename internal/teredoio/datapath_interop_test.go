package teredoio_test

// The data path against Miredo 1.2.6 (issue 5, "Interoperability" 1–5), as
// root in network namespaces, in the topology of
// ../shared/protocols/teredo-miredo-lab.md:
//
//	client        198.51.100.20, .21 (no NAT)        ─┐
//	NATs          198.51.100.30, .31, .32 (outside)  ─┤ IPv4 "internet" 198.51.100.0/24
//	server        198.51.100.1 and .2                ─┤ (bridge "inet")
//	relays        198.51.100.10 (transit6), .11      ─┘
//	relays        2001:db8:1::1 (transit6), ::3      ─┐
//	server        2001:db8:1::2                      ─┤ native IPv6 2001:db8:1::/64
//	native host   2001:db8:1::100 (2001::/32 via a relay)  ─┘ (bridge "v6")
//
// Behind each NAT namespace is a LAN 10.0.2.0/24 (the NAT is 10.0.2.1,
// hosts from 10.0.2.2) on a bridge of its own. Every transit6 role runs
// the real binary with --global 198.51.100.0/24; the traffic is ping -6
// and iperf3 between Teredo addresses, or between a Teredo address and the
// native host.

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/internal/interop"
	"github.com/transit6/transit6/internal/netns"
	"github.com/transit6/transit6/internal/teredoio"
)

var (
	client2IP     = netip.MustParseAddr("198.51.100.21")
	nat2OutIP     = netip.MustParseAddr("198.51.100.31")
	nat3OutIP     = netip.MustParseAddr("198.51.100.32")
	relayIP       = netip.MustParseAddr("198.51.100.10")
	miredoRelayIP = netip.MustParseAddr("198.51.100.11")

	relay6       = netip.MustParseAddr("2001:db8:1::1")
	server6      = netip.MustParseAddr("2001:db8:1::2")
	miredoRelay6 = netip.MustParseAddr("2001:db8:1::3")
	nativeHost6  = netip.MustParseAddr("2001:db8:1::100")

	teredoPrefix = "2001::/32"
	nativeGlobal = "2001:db8::/32"
)

// NAT behaviours (nftables rules on the NAT's outside interface).
const (
	// coneNAT keeps the source port and maps independently of the
	// destination, but lets in only what comes from where it sent: a
	// port-restricted cone, which never hairpins.
	coneNAT = "masquerade"
	// symmetricNAT maps every destination to a new random port.
	symmetricNAT = "masquerade fully-random"
)

// relayPort is the UDP port of both relays.
const relayPort = 3545

// pingTimeout bounds one `ping -6 -c 3` (ping's -w): the first reply may
// wait for bubbles (2 s apart) or a direct connectivity test.
const pingTimeout = 20

// world is the topology above, built piece by piece by each test.
type world struct {
	sw   *netns.NS     // holds the bridges
	inet *netns.Bridge // IPv4 internet
	v6   *netns.Bridge // native IPv6
	// checksums turns off transmit checksum offload on every interface
	// built, so that captures see finished checksums.
	checksums bool
	// relayProfile, if set, is where the transit6 relay writes a CPU
	// profile (cmd/transit6's TRANSIT6_CPUPROFILE).
	relayProfile string
}

// newWorld returns the bridges of a new topology, with a capture of the
// headers of all UDP on them that is shown if the test fails.
func newWorld(t *testing.T) *world {
	t.Helper()
	return buildWorld(t, true)
}

// buildWorld returns the bridges of a new topology; diag starts the
// capture (when tshark is installed).
func buildWorld(t *testing.T, diag bool) *world {
	t.Helper()
	interop.RequireRoot(t)
	w := &world{sw: netns.New(t, "inet")}
	w.inet = w.sw.Bridge(t, "inet")
	w.v6 = w.sw.Bridge(t, "v6")
	if tshark, err := exec.LookPath("tshark"); err == nil && diag {
		// Everything on the bridges (once: as it enters from its
		// sender's port), shown if the test fails.
		stop := capture(t, tshark, w.sw, "any", "udp and inbound", 256, netip.Addr{}) // headers only: cheap
		t.Cleanup(func() {
			if pcap := stop(); t.Failed() {
				out, _ := exec.Command(tshark, "-r", pcap, "-n", "--enable-heuristic", "teredo_udp", "-T", "fields",
					"-E", "occurrence=f", "-e", "frame.time_relative", "-e", "ip.src", "-e", "udp.srcport",
					"-e", "ip.dst", "-e", "udp.dstport", "-e", "teredo.orig.addr", "-e", "teredo.orig.port",
					"-e", "ipv6.src", "-e", "ipv6.dst", "-e", "_ws.col.Info").CombinedOutput()
				t.Logf("UDP on the internet and the native network:\n%s", out)
			}
		})
	}
	return w
}

// capture starts tshark on ifname in ns, capturing what filter (pcap
// syntax) selects, the first snaplen bytes of each packet (0: all), and
// returns a function that stops it and returns the capture file.
//
// If canary is valid (a neighbour reached through ifname), the capture
// also holds UDP datagrams to canary port 9, sent from ns: capture returns
// once the first is in the file (tshark says it captures before its socket
// sees packets), and stop sends another and waits for it before stopping
// tshark, so everything sent before stop is in the file (dumpcap drops what
// its ring has not handed over when stopped). Analyses leave them out with
// the display filter noCanary.
func capture(t *testing.T, tshark string, ns *netns.NS, ifname, filter string, snaplen int, canary netip.Addr) (stop func() string) {
	t.Helper()
	pcap := filepath.Join(t.TempDir(), "capture.pcapng")
	if canary.IsValid() {
		filter = "(" + filter + ") or (udp dst port 9 and dst host " + canary.String() + ")"
	}
	p := ns.Start(t, tshark, "-n", "-i", ifname, "-f", filter, "-s", strconv.Itoa(snaplen), "-w", pcap)
	waitCapturing(t, p)
	// canaries counts the canaries in the file; one being written may
	// end in a partial block: count what tshark reads, whatever its exit
	// status.
	canaries := func() int {
		out, _ := exec.Command(tshark, "-r", pcap, "-n", "-Y", "!("+noCanary+")", "-T", "fields",
			"-e", "frame.number").Output()
		return len(strings.Fields(string(out)))
	}
	// waitCanary sends canaries until the file holds more than seen.
	waitCanary := func(seen int) {
		t.Helper()
		for start := time.Now(); canaries() <= seen; time.Sleep(100 * time.Millisecond) {
			if p.Exited() {
				t.Fatalf("tshark exited: %v\n%s", p.Wait(), p.Stderr())
			}
			if time.Since(start) > pollTimeout {
				t.Fatalf("tshark on %s did not capture its canary:\n%s", ifname, p.Stderr())
			}
			_ = ns.Command("bash", "-c", "echo transit6-canary >/dev/udp/"+canary.String()+"/9").Run()
		}
	}
	if canary.IsValid() {
		waitCanary(0)
	}
	return func() string {
		if canary.IsValid() {
			waitCanary(canaries())
		}
		_ = p.Stop()
		return pcap
	}
}

// noCanary is the display filter that leaves capture's canaries out.
const noCanary = "!(udp.dstport == 9 && udp.payload contains \"transit6-canary\")"

// dumpStatus registers a cleanup that shows the status and peers of the
// transit6 daemon at sock in ns if the test fails.
func dumpStatus(t *testing.T, name string, ns *netns.NS, sock string) {
	t.Cleanup(func() {
		if t.Failed() {
			out, err := ns.Command(transit6(t), "teredo", "status", "--socket", sock, "--peers").CombinedOutput()
			t.Logf("%s status (%v):\n%s", name, err, out)
		}
	})
}

// prefix4 returns a's /24 (the internet's, or a LAN's).
func prefix4(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, 24) }

// prefix6 returns a's /64 on the native network.
func prefix6(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, 64) }

// plug connects ns to bridge b as ifname with addrs.
func (w *world) plug(t *testing.T, b *netns.Bridge, ns *netns.NS, ifname string, addrs ...netip.Prefix) {
	t.Helper()
	b.Plug(t, ns, ifname, addrs...)
	if w.checksums {
		ns.NoTxChecksumOffload(t, ifname)
	}
}

// host returns a new namespace on the internet at a (eth0).
func (w *world) host(t *testing.T, label string, a netip.Addr) *netns.NS {
	t.Helper()
	ns := netns.New(t, label)
	w.plug(t, w.inet, ns, "eth0", prefix4(a))
	return ns
}

// natBox is a NAT namespace with a LAN 10.0.2.0/24 behind it.
type natBox struct {
	ns    *netns.NS
	lan   *netns.Bridge
	hosts int
}

// newNAT returns a new NAT namespace whose outside address is out and
// whose nftables rule on the outside is rule (coneNAT, symmetricNAT).
func (w *world) newNAT(t *testing.T, label string, out netip.Addr, rule string) *natBox {
	t.Helper()
	nft := interop.LookPath(t, "nft")
	nat := netns.New(t, label+"-nat")
	w.plug(t, w.inet, nat, "out", prefix4(out))
	lan := nat.Bridge(t, "lan", netip.MustParsePrefix("10.0.2.1/24"))
	nat.Sysctl(t, "net.ipv4.ip_forward", "1")
	rules := filepath.Join(t.TempDir(), "nat.nft")
	// The filter chain drops what arrives unsolicited on the outside, as
	// every home router's firewall does. It matters: without it, a peer's
	// direct bubble to a mapping (which RFC 4380 §5.2.6 sends before the
	// NAT has let anything in from that peer) goes up to the NAT's own
	// stack and leaves a confirmed conntrack entry peer → mapping. When
	// the host behind then answers that peer from the same socket,
	// masquerade finds the reply tuple taken and picks another port, so
	// the NAT behaves as a symmetric one toward that peer.
	require.NoError(t, os.WriteFile(rules, []byte(`table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "out" `+rule+`
	}
}
table ip filter {
	chain in {
		type filter hook input priority filter; policy accept;
		iifname "out" ct state new drop
	}
}
`), 0o644))
	nat.Run(t, nft, "-f", rules)
	return &natBox{ns: nat, lan: lan}
}

// host returns a new namespace on the NAT's LAN, at 10.0.2.2, .3, ...
func (b *natBox) host(t *testing.T, w *world, label string) *netns.NS {
	t.Helper()
	b.hosts++
	ns := netns.New(t, label)
	w.plug(t, b.lan, ns, "eth0", prefix4(netip.AddrFrom4([4]byte{10, 0, 2, byte(1 + b.hosts)})))
	ns.IP(t, "route", "add", "default", "via", "10.0.2.1")
	return ns
}

// behindNAT returns a new namespace alone behind a new NAT (see newNAT).
func (w *world) behindNAT(t *testing.T, label string, out netip.Addr, rule string) *netns.NS {
	t.Helper()
	return w.newNAT(t, label, out, rule).host(t, w, label)
}

// native connects ns to the native IPv6 network at a (eth1) and makes it
// a router.
func (w *world) native(t *testing.T, ns *netns.NS, a netip.Addr) {
	t.Helper()
	w.plug(t, w.v6, ns, "eth1", prefix6(a))
	ns.Sysctl(t, "net.ipv6.conf.all.forwarding", "1")
}

// nativeHost returns the native host, which routes the Teredo prefix via
// the relay at relay.
func (w *world) nativeHost(t *testing.T, relay netip.Addr) *netns.NS {
	t.Helper()
	ns := netns.New(t, "native")
	w.plug(t, w.v6, ns, "eth0", prefix6(nativeHost6))
	ns.IP(t, "-6", "route", "add", teredoPrefix, "via", relay.String())
	return ns
}

// server runs a Teredo server on 198.51.100.1 and .2: "miredo" or
// "transit6". If relay is valid, the server is also on the native network
// (transit6 with --native; miredo-server needs no option), so that
// clients' direct connectivity tests reach the native host, and routes the
// Teredo prefix via relay.
func (w *world) server(t *testing.T, kind string, relay netip.Addr) {
	t.Helper()
	ns := w.host(t, "srv", serverIP)
	ns.AddAddr(t, "eth0", prefix4(server2IP))
	if relay.IsValid() {
		w.native(t, ns, server6)
		ns.IP(t, "-6", "route", "add", teredoPrefix, "via", relay.String())
	}
	l := &lab{server: ns, dir: t.TempDir()}
	switch kind {
	case "miredo":
		// With native IPv6, miredo-server sends what clients address to
		// native hosts from a raw socket.
		l.startMiredoServer(t)
	case "transit6":
		sock := filepath.Join(l.dir, "server.sock")
		args := []string{"teredo", "server", "--primary", serverIP.String(), "--global", labGlobal, "--socket", sock}
		if relay.IsValid() {
			// The server forwards only to global IPv6 destinations; the
			// native network is numbered from the documentation prefix.
			args = append(args, "--native", "--ifname", "teredo", "--global", nativeGlobal)
		}
		p := ns.Start(t, append([]string{transit6(t)}, args...)...)
		waitStatus(t, p, sock, "serving", func(s teredoio.Status) bool { return s.State == "online" })
		dumpStatus(t, "server", ns, sock)
	default:
		t.Fatalf("unknown server %q", kind)
	}
}

// transit6Relay runs `transit6 teredo relay` at 198.51.100.10:3545 and
// 2001:db8:1::1, and returns its namespace and process.
func (w *world) transit6Relay(t *testing.T) (*netns.NS, *netns.Proc) {
	t.Helper()
	ns := w.host(t, "relay", relayIP)
	w.native(t, ns, relay6)
	dir := t.TempDir()
	sock := filepath.Join(dir, "relay.sock")
	// Its address, port and interface come from a Miredo relay's
	// configuration file, written as for Miredo's relay (miredoRelay).
	conf := filepath.Join(dir, "miredo.conf")
	require.NoError(t, os.WriteFile(conf, []byte(miredoRelayConf(relayIP, relayPort)), 0o644))
	args := []string{transit6(t), "teredo", "relay", "--miredo-conf", conf, "--global", labGlobal, "--socket", sock}
	if w.relayProfile != "" {
		args = append([]string{"env", "TRANSIT6_CPUPROFILE=" + w.relayProfile}, args...)
	}
	p := ns.Start(t, args...)
	st := waitStatus(t, p, sock, "relaying", func(s teredoio.Status) bool { return s.State == "online" })
	dumpStatus(t, "relay", ns, sock)
	// The relay reads its TUN through io_uring (internal/tun ring reads)
	// where the kernel has them (6.7 on); in CI it must.
	if st.TUNReads != "io_uring" {
		interop.Unavailable(t, "the relay reads its TUN with "+st.TUNReads+", not io_uring")
	}
	return ns, p
}

// miredoRelayConf is a Miredo relay's configuration file (miredo.conf(5))
// for a relay at ip:port with interface "teredo"; both relays are started
// with it.
func miredoRelayConf(ip netip.Addr, port uint16) string {
	return fmt.Sprintf("RelayType cone\nInterfaceName teredo\nBindAddress %v\nBindPort %d\n", ip, port)
}

// miredoRelay runs Miredo as a relay (RelayType cone) at 198.51.100.11:3545
// and 2001:db8:1::3, and returns its namespace and process once its
// interface routes the Teredo prefix.
func (w *world) miredoRelay(t *testing.T) (*netns.NS, *netns.Proc) {
	t.Helper()
	bin := interop.LookPath(t, "miredo")
	ns := w.host(t, "mrelay", miredoRelayIP)
	w.native(t, ns, miredoRelay6)
	dir := t.TempDir()
	conf := filepath.Join(dir, "miredo.conf")
	require.NoError(t, os.WriteFile(conf, []byte(miredoRelayConf(miredoRelayIP, relayPort)), 0o644))
	p := ns.Start(t, bin, "-f", "-p", filepath.Join(dir, "miredo.pid"), "-c", conf)
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		out, _ := ns.Command("ip", "-6", "route", "show", "dev", "teredo").Output()
		if strings.Contains(string(out), teredoPrefix) {
			return ns, p
		}
		if p.Exited() {
			t.Fatalf("miredo relay exited: %v\n%s", p.Wait(), p.Stderr())
		}
		if time.Since(start) > pollTimeout {
			t.Fatalf("miredo relay routes no %s within %v: %s\n%s", teredoPrefix, pollTimeout, out, p.Stderr())
		}
	}
}

// transit6Client runs `transit6 teredo client` in ns, with extra flags,
// and returns its Teredo address once it is qualified and configured.
func (w *world) transit6Client(t *testing.T, name string, ns *netns.NS, extra ...string) netip.Addr {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "client.sock")
	p := ns.Start(t, append([]string{transit6(t), "teredo", "client", "--server", serverIP.String(),
		"--global", labGlobal, "--ifname", "teredo", "--socket", sock}, extra...)...)
	st := waitStatus(t, p, sock, "qualified", func(s teredoio.Status) bool {
		return s.State == "qualified" && s.Address.IsValid()
	})
	dumpStatus(t, name, ns, sock)
	ns.WaitAddr(t, st.Address) // the kernel delivers to it
	return st.Address
}

// miredoClient runs Miredo as a client in ns and returns its Teredo
// address.
func (w *world) miredoClient(t *testing.T, ns *netns.NS) netip.Addr {
	t.Helper()
	l := &lab{client: ns, dir: t.TempDir()}
	td := l.startMiredoClient(t)
	for _, a := range teredoAddrs(t, ns, "teredo") {
		if d, err := addr.DecodeTeredo(a.Addr()); err == nil && d == td {
			ns.WaitAddr(t, a.Addr())
			return a.Addr()
		}
	}
	t.Fatalf("miredo's address %+v not on its interface", td)
	return netip.Addr{}
}

// ping runs `ping -6 -c 3` from ns to dst, which must answer all three.
func ping(t *testing.T, ns *netns.NS, dst netip.Addr) {
	t.Helper()
	out, stderr, err := runFor(ns, 2*pingTimeout*time.Second, "ping", "-6", "-n", "-c", "3", "-i", "0.5", "-w", strconv.Itoa(pingTimeout), dst.String())
	if err != nil {
		t.Errorf("ping -6 -c 3 %v from %s: %v\n%s%s", dst, ns.Name(), err, out, stderr)
	}
}

// runFor runs args in ns, killed after limit (a liveness guard only), and
// returns its standard output and error.
func runFor(ns *netns.NS, limit time.Duration, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns.Name()}, args...)...)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// iperf runs one iperf3 client in ns against dst with args and returns
// its report.
func iperf(t *testing.T, ns *netns.NS, dst netip.Addr, args ...string) netns.IperfResult {
	t.Helper()
	return ns.Iperf(t, append([]string{"-6", "-c", dst.String()}, args...)...)
}

// iperfBoth runs short iperf3 tests from client to server's dst (iperf3 -s
// must run there): TCP and UDP with 1280-byte IPv6 packets, each in both
// directions (-R). TCP must carry data; UDP at a rate far below what either
// implementation forwards must lose little (losses here come from a
// starved CPU, as when other tests run at the same time).
func iperfBoth(t *testing.T, client, server *netns.NS, dst netip.Addr) {
	t.Helper()
	server.IperfServer(t)
	for _, rev := range []bool{false, true} {
		dir := "forward"
		var extra []string
		if rev {
			dir, extra = "reverse", []string{"-R"}
		}
		r := iperf(t, client, dst, append([]string{"-t", "3"}, extra...)...)
		t.Logf("iperf3 TCP %s to %v: %.1f Mbit/s", dir, dst, r.End.SumReceived.BitsPerSecond/1e6)
		assert.Positive(t, r.End.SumReceived.Bytes, "TCP %s: bytes received", dir)
		// 20 Mbit/s of 1232-byte datagrams: about 2,000 packets/s.
		r = iperf(t, client, dst, append([]string{"-t", "3", "-u", "-l", "1232", "-b", "20M"}, extra...)...)
		t.Logf("iperf3 UDP %s to %v: %d packets, %d lost", dir, dst, r.End.Sum.Packets, r.End.Sum.LostPackets)
		assert.Positive(t, r.End.Sum.Packets-r.End.Sum.LostPackets, "UDP %s: packets received", dir)
		assert.Less(t, r.End.Sum.LostPercent, 10.0, "UDP %s: loss", dir)
	}
}

// Interop 1: a transit6 client and a Miredo client, each behind its own
// port-restricted cone NAT, qualified against miredo-server and against
// the transit6 server, reach each other's Teredo addresses: ping both
// ways, iperf3 TCP and UDP both ways.
func TestClientToMiredoClient(t *testing.T) {
	for _, server := range []string{"miredo", "transit6"} {
		t.Run(server+"-server", func(t *testing.T) {
			w := newWorld(t)
			w.server(t, server, netip.Addr{})
			t6 := w.behindNAT(t, "t6", natOutIP, coneNAT)
			mi := w.behindNAT(t, "mi", nat2OutIP, coneNAT)
			a := w.transit6Client(t, "client", t6)
			b := w.miredoClient(t, mi)
			t.Logf("transit6 %v, Miredo %v", a, b)
			ping(t, t6, b)
			ping(t, mi, a)
			iperfBoth(t, t6, mi, b)
		})
	}
}

// Interop 2: a native IPv6 host and a Teredo client behind a cone NAT
// reach each other through a relay: Miredo's client through the transit6
// relay, the transit6 client through Miredo's relay (RelayType cone), and
// transit6 throughout. The client's server is on the native network, so
// that its direct connectivity test (RFC 4380 §5.2.9) reaches the native
// host; the native host routes 2001::/32 to the relay.
func TestNativeThroughRelay(t *testing.T) {
	for _, tc := range []struct {
		name, relay, server, client string
	}{
		{"miredo-client/transit6-relay", "transit6", "transit6", "miredo"},
		{"transit6-client/miredo-relay", "miredo", "miredo", "transit6"},
		{"transit6-client/transit6-relay", "transit6", "transit6", "transit6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			via := relay6
			if tc.relay == "miredo" {
				w.miredoRelay(t)
				via = miredoRelay6
			} else {
				w.transit6Relay(t)
			}
			w.server(t, tc.server, via)
			native := w.nativeHost(t, via)
			cl := w.behindNAT(t, "cl", natOutIP, coneNAT)
			var a netip.Addr
			if tc.client == "miredo" {
				a = w.miredoClient(t, cl)
			} else {
				a = w.transit6Client(t, "client", cl)
			}
			t.Logf("client %v", a)
			ping(t, cl, nativeHost6)
			ping(t, native, a)
			iperfBoth(t, cl, native, nativeHost6)
		})
	}
}

// Interop 3: two transit6 clients reach each other behind two NATs that
// do not hairpin, and behind one NAT that does.
//
// Behind one NAT that does not hairpin, only local discovery (RFC 4380
// §5.2.8, optional; --local-discovery, TestClientToClientLocalDiscovery)
// connects them: both mappings are the NAT's own outside address, so each
// client's direct bubble to the other, and the answer to the indirect
// bubble the server relays, is addressed to the NAT itself, which delivers
// it to its own stack (here: the firewall drops it) and never to the LAN.
// Only the indirect bubbles, through the server, arrive.
//
// Like TestSymmetricNAT it only pings, so its cases run in parallel.
func TestClientToClientNAT(t *testing.T) {
	t.Parallel()
	t.Run("two-nats", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.server(t, "transit6", netip.Addr{})
		h1 := w.behindNAT(t, "c1", natOutIP, coneNAT)
		h2 := w.behindNAT(t, "c2", nat2OutIP, coneNAT)
		a := w.transit6Client(t, "client1", h1)
		b := w.transit6Client(t, "client2", h2)
		ping(t, h1, b)
		ping(t, h2, a)
	})
	t.Run("same-nat-hairpin", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.server(t, "transit6", netip.Addr{})
		nat := w.newNAT(t, "c", natOutIP, coneNAT)
		h1, h2 := nat.host(t, w, "c1"), nat.host(t, w, "c2")
		// Hairpinning (RFC 4787 §6) for the clients' two mappings: a
		// datagram from the LAN to the outside address and a client's
		// port goes to that client, from the sender's mapping. Linux
		// masquerade keeps the clients' ports, so the mappings are known
		// in advance: static rules do what a hairpinning NAT does for any
		// mapping.
		const p1, p2 = 40001, 40002
		rules := filepath.Join(t.TempDir(), "hairpin.nft")
		require.NoError(t, os.WriteFile(rules, []byte(fmt.Sprintf(`table ip hairpin {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "lan" ip daddr %[1]v udp dport %[2]d dnat to 10.0.2.2:%[2]d
		iifname "lan" ip daddr %[1]v udp dport %[3]d dnat to 10.0.2.3:%[3]d
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "lan" ct status dnat ip saddr 10.0.2.0/24 snat to %[1]v
	}
}
`, natOutIP, p1, p2)), 0o644))
		nat.ns.Run(t, interop.LookPath(t, "nft"), "-f", rules)
		a := w.transit6Client(t, "client1", h1, "--port", strconv.Itoa(p1))
		b := w.transit6Client(t, "client2", h2, "--port", strconv.Itoa(p2))
		ping(t, h1, b)
		ping(t, h2, a)
	})
}

// Interop 4: a client behind a symmetric NAT (masquerade fully-random)
// and a client with no NAT, whichever pings first; transit6 on both sides,
// and transit6 on either side with Miredo on the other.
//
// One pair cannot work, and is not here: the transit6 client behind the
// symmetric NAT pinging Miredo first. Its direct bubble reaches Miredo
// from a mapping its address does not embed, which Miredo drops without
// a challenge of its own; Miredo answers the indirect bubble to the
// mapping the NAT opened only to the server. Miredo trusts such a peer
// only when it sends first (the challenge transit6 answers, as in the
// "open-first" case). Miredo behind the symmetric NAT, pinging transit6
// first, works: transit6 answers Miredo's link-local challenge bubble,
// which Miredo itself drops (teredo-miredo-lab.md).
func TestSymmetricNAT(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sym, open string // implementations
		symFirst  bool   // the client behind the symmetric NAT pings first
	}{
		{"transit6", "transit6", true},
		{"transit6", "transit6", false},
		{"transit6", "miredo", false},
		{"miredo", "transit6", true},
		{"miredo", "transit6", false},
	} {
		first := "open-first"
		if tc.symFirst {
			first = "sym-first"
		}
		t.Run(tc.sym+"-sym/"+tc.open+"-open/"+first, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.server(t, "transit6", netip.Addr{})
			hs := w.behindNAT(t, "sym", nat3OutIP, symmetricNAT)
			ho := w.host(t, "open", clientIP)
			start := func(kind, name string, ns *netns.NS) netip.Addr {
				if kind == "miredo" {
					return w.miredoClient(t, ns)
				}
				return w.transit6Client(t, name, ns)
			}
			as := start(tc.sym, "sym", hs)
			ao := start(tc.open, "open", ho)
			if tc.symFirst {
				ping(t, hs, ao)
				ping(t, ho, as)
			} else {
				ping(t, ho, as)
				ping(t, hs, ao)
			}
		})
	}
}

// Interop 5: tshark dissects what transit6 sends and receives on the data
// path (bubbles direct and indirect, with origin indications, challenges
// and their answers, direct connectivity tests, data) without a malformed
// packet, an expert warning or error, or a bad checksum, outer (UDP) or
// inner (ICMPv6, TCP, UDP). transit6 plays every role: server with native
// forwarding, relay, and two clients behind cone NATs; the capture is
// client 1's, inside its NAT.
func TestDissectDataPath(t *testing.T) {
	tshark := interop.LookPath(t, "tshark")
	w := newWorld(t)
	w.checksums = true
	w.transit6Relay(t)
	w.server(t, "transit6", relay6)
	native := w.nativeHost(t, relay6)
	h1 := w.behindNAT(t, "c1", natOutIP, coneNAT)
	h2 := w.behindNAT(t, "c2", nat2OutIP, coneNAT)
	stop := capture(t, tshark, h1, "eth0", "udp", 0, netip.MustParseAddr("10.0.2.1"))
	a := w.transit6Client(t, "client1", h1)
	b := w.transit6Client(t, "client2", h2)

	ping(t, h1, nativeHost6) // direct connectivity test through the server
	ping(t, native, a)       // relay's bubbles
	ping(t, h1, b)           // client 1's bubbles
	native.IperfServer(t)
	for _, args := range [][]string{{"-n", "200K"}, {"-n", "200K", "-R"}, {"-n", "200K", "-u", "-l", "1232", "-b", "10M"}} {
		iperf(t, h1, nativeHost6, args...)
	}
	pcap := stop()

	// iperf3's payload is random bytes, which the Thrift dissector's TCP
	// heuristic sometimes takes for its own and then finds too short
	// (thrift.not_enough_data, "Not enough data to decode.", seen once in
	// CI): it judges iperf3's payload, not the tunnel, so it is off.
	out, err := exec.Command(tshark, "-r", pcap, "-n", "--enable-heuristic", "teredo_udp", "--disable-protocol", "thrift", "-Y", noCanary,
		"-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
		"-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,",
		"-e", "frame.number", "-e", "_ws.malformed", "-e", "_ws.expert.severity", "-e", "_ws.expert.message",
		"-e", "udp.checksum.status", "-e", "tcp.checksum.status", "-e", "icmpv6.checksum.status",
		"-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "ipv6.nxt", "-e", "ipv6.plen",
		"-e", "icmpv6.type", "-e", "icmpv6.nonce", "-e", "teredo.orig.addr", "-e", "_ws.expert.group").Output()
	require.NoError(t, err)
	local := "10.0.2.2"
	seen := map[string]int{}
	explained := false
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		require.Len(t, f, 17, line)
		assert.Empty(t, f[1], "malformed: %s", line)
		groups := strings.Split(f[16], ",")
		for i, s := range strings.Split(f[2], ",") {
			// 2097152 chat, 4194304 note; 6291456 warning, 8388608 error.
			// TCP's sequence analysis (group 0x02000000) judges iperf3's
			// connections (their RSTs), not the tunnel.
			if s != "" && s != "2097152" && s != "4194304" && (i >= len(groups) || groups[i] != "33554432") {
				t.Errorf("expert severity %s (%s): %s", s, f[3], line)
				if !explained {
					// The first one in full, to show which layer says it.
					explained = true
					v, _ := exec.Command(tshark, "-r", pcap, "-n", "--enable-heuristic", "teredo_udp", "--disable-protocol", "thrift",
						"-Y", "frame.number == "+f[0], "-V").Output()
					t.Logf("frame %s:\n%s", f[0], v)
				}
			}
		}
		for i, proto := range []string{"udp", "tcp", "icmpv6"} {
			for _, s := range strings.Split(f[4+i], ",") {
				// 0 bad, 1 good, 2 unverified.
				if s == "1" {
					seen[proto+" checksum good"]++
				} else if s != "" {
					t.Errorf("%s checksum status %s: %s", proto, s, line)
				}
			}
		}
		if f[9] == "" {
			continue // not Teredo
		}
		seen["teredo"]++
		out := f[7] == local // sent by client 1 (before its NAT)
		src, _ := netip.ParseAddr(f[9])
		switch {
		case f[11] == "59" && f[12] == "0" && out && src == a:
			seen["bubble sent"]++
		case f[11] == "59" && f[12] == "0" && out && src.IsLinkLocalUnicast():
			seen["challenge sent"]++
		case f[11] == "59" && f[12] == "0" && !out && f[15] != "":
			seen["bubble received via the server"]++
		case f[13] == "128" && out && f[8] == serverIP.String() && f[10] == nativeHost6.String():
			seen["echo test sent"]++
			assert.NotEmpty(t, f[14], "tshark sees the echo test's nonce: %s", line)
		case f[13] == "129" && !out && f[9] == nativeHost6.String():
			seen["echo reply received"]++
		}
	}
	t.Logf("dissected: %v", seen)
	for _, k := range []string{"bubble sent", "challenge sent", "bubble received via the server", "echo test sent", "echo reply received",
		"udp checksum good", "tcp checksum good", "icmpv6 checksum good"} {
		assert.Positive(t, seen[k], "%s: none captured (%v)", k, seen)
	}
}
