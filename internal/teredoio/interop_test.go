package teredoio_test

// Interoperability with Miredo 1.2.6 (issue 4, "Interoperability" 1–4), as
// root in network namespaces built with the shared harness (internal/netns),
// following ../shared/protocols/teredo-miredo-lab.md: an IPv4 "internet"
// 198.51.100.0/24, a server on 198.51.100.1 and .2, a client on
// 198.51.100.20 or behind a NAT namespace (10.0.2.0/24 inside,
// 198.51.100.30 outside) running nftables masquerade. Every transit6 role
// runs the real binary with --global 198.51.100.0/24; Miredo treats the
// documentation range as global by itself.

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
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
	serverIP  = netip.MustParseAddr("198.51.100.1")
	server2IP = netip.MustParseAddr("198.51.100.2")
	clientIP  = netip.MustParseAddr("198.51.100.20")
	natOutIP  = netip.MustParseAddr("198.51.100.30")
	inside    = netip.MustParseAddr("10.0.2.2")
	labGlobal = "198.51.100.0/24"
)

// pollTimeout bounds every wait for a daemon to reach a state. The NAT
// test alone takes 24 s behind a port-restricted NAT (2×N×T), more on a
// loaded machine.
const pollTimeout = 60 * time.Second

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
func transit6(t *testing.T) string {
	t.Helper()
	return interop.Binary(t, interop.Transit6Package)
}

// lab is the topology of one test.
type lab struct {
	server, client *netns.NS
	// mapped is the IPv4 address the server sees the client at.
	mapped netip.Addr
	dir    string
}

// newLab builds the server and client namespaces, with a NAT namespace
// between them running nftables rule natRule ("masquerade", "masquerade
// fully-random") unless natRule is empty.
func newLab(t *testing.T, natRule string) *lab {
	t.Helper()
	interop.RequireRoot(t)
	l := &lab{dir: t.TempDir()}
	l.server = netns.New(t, "srv")
	l.client = netns.New(t, "cli")
	pfx := func(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, 24) }
	if natRule == "" {
		netns.Link(t, l.client, "eth0", pfx(clientIP), l.server, "eth0", pfx(serverIP))
		l.mapped = clientIP
	} else {
		nft := interop.LookPath(t, "nft")
		nat := netns.New(t, "nat")
		netns.Link(t, nat, "out", pfx(natOutIP), l.server, "eth0", pfx(serverIP))
		netns.Link(t, l.client, "eth0", pfx(inside), nat, "in", pfx(netip.MustParseAddr("10.0.2.1")))
		l.client.IP(t, "route", "add", "default", "via", "10.0.2.1")
		nat.Sysctl(t, "net.ipv4.ip_forward", "1")
		rules := filepath.Join(l.dir, "nat.nft")
		require.NoError(t, os.WriteFile(rules, []byte(`table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "out" `+natRule+`
	}
}
`), 0o644))
		nat.Run(t, nft, "-f", rules)
		l.mapped = natOutIP
	}
	l.server.AddAddr(t, "eth0", pfx(server2IP))
	return l
}

// The configuration files of Miredo's server and client in the lab
// (miredo-server.conf(5), miredo.conf(5)); TestMiredoConfFiles gives
// them to transit6 too.
var (
	miredoServerConf = "ServerBindAddress " + serverIP.String() + "\n"
	miredoClientConf = "RelayType client\nServerAddress " + serverIP.String() + "\nInterfaceName teredo\n"
)

// startMiredoServer runs miredo-server on 198.51.100.1 (and .2).
func (l *lab) startMiredoServer(t *testing.T) {
	t.Helper()
	bin := interop.LookPath(t, "miredo-server")
	conf := filepath.Join(l.dir, "miredo-server.conf")
	require.NoError(t, os.WriteFile(conf, []byte(miredoServerConf), 0o644))
	l.server.Start(t, bin, "-f", "-p", filepath.Join(l.dir, "miredo-server.pid"), "-c", conf)
}

// startTransit6Client runs `transit6 teredo client` and returns its status
// socket.
func (l *lab) startTransit6Client(t *testing.T) (*netns.Proc, string) {
	t.Helper()
	sock := filepath.Join(l.dir, "client.sock")
	p := l.client.Start(t, transit6(t), "teredo", "client", "--server", serverIP.String(),
		"--global", labGlobal, "--ifname", "teredo", "--socket", sock)
	return p, sock
}

// waitStatus polls the status socket until ok accepts the status, and
// returns it.
func waitStatus(t *testing.T, p *netns.Proc, sock string, what string, ok func(teredoio.Status) bool) teredoio.Status {
	t.Helper()
	var st teredoio.Status
	var err error
	for start := time.Now(); time.Since(start) < pollTimeout; time.Sleep(100 * time.Millisecond) {
		if p.Exited() {
			t.Fatalf("transit6 exited: %v\n%s", p.Wait(), p.Stderr())
		}
		st, err = teredoio.Query(sock)
		if err == nil && ok(st) {
			return st
		}
	}
	t.Fatalf("transit6 never reached %s within %v: last status %+v (%v)\nstderr:\n%s", what, pollTimeout, st, err, p.Stderr())
	return st
}

// ipAddr is one interface of `ip -j addr`.
type ipAddr struct {
	IfName   string `json:"ifname"`
	MTU      int    `json:"mtu"`
	AddrInfo []struct {
		Family    string `json:"family"`
		Local     string `json:"local"`
		PrefixLen int    `json:"prefixlen"`
	} `json:"addr_info"`
}

// teredoAddrs returns the global IPv6 addresses of ifname in ns, with their
// prefix lengths; nil if the interface does not exist.
func teredoAddrs(t *testing.T, ns *netns.NS, ifname string) []netip.Prefix {
	t.Helper()
	out, err := ns.Command("ip", "-j", "addr", "show", "dev", ifname).Output()
	if err != nil {
		return nil
	}
	var links []ipAddr
	require.NoError(t, json.Unmarshal(out, &links), "%s", out)
	var ps []netip.Prefix
	for _, l := range links {
		for _, a := range l.AddrInfo {
			ip, err := netip.ParseAddr(a.Local)
			if err == nil && a.Family == "inet6" && !ip.IsLinkLocalUnicast() {
				ps = append(ps, netip.PrefixFrom(ip, a.PrefixLen))
			}
		}
	}
	return ps
}

// linkExists reports whether ifname exists in ns.
func linkExists(ns *netns.NS, ifname string) bool {
	return ns.Command("ip", "link", "show", "dev", ifname).Run() == nil
}

// checkQualified checks a qualified transit6 client's status and interface:
// the address decodes to server 198.51.100.1 and the mapping the server saw.
func checkQualified(t *testing.T, l *lab, st teredoio.Status) addr.Teredo {
	t.Helper()
	td, err := addr.DecodeTeredo(st.Address)
	require.NoError(t, err, "address %v", st.Address)
	assert.Equal(t, serverIP, td.Server, "server in the address")
	assert.Equal(t, l.mapped, td.Client.Addr(), "mapped IPv4 in the address")
	assert.Equal(t, st.ExternalMapping, td.Client, "address agrees with the reported mapping")
	assert.Zero(t, td.Flags&addr.TeredoFlagCone, "cone bit clear (RFC 5991)")
	// The interface carries it, /32 on-link.
	var got []netip.Prefix
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(50 * time.Millisecond) {
		if got = teredoAddrs(t, l.client, "teredo"); len(got) > 0 {
			break
		}
	}
	assert.Equal(t, []netip.Prefix{netip.PrefixFrom(st.Address, 32)}, got, "addresses of the teredo interface")
	// With MTU 1280 (RFC 4380 §5.1.2).
	out, err := l.client.Command("ip", "-j", "link", "show", "dev", "teredo").Output()
	require.NoError(t, err)
	var links []ipAddr
	require.NoError(t, json.Unmarshal(out, &links), "%s", out)
	require.Len(t, links, 1)
	assert.Equal(t, 1280, links[0].MTU, "MTU of the teredo interface")
	return td
}

// Interop 1 and 4: a transit6 client qualifies against miredo-server, with
// tshark capturing in the server's namespace.
func TestClientAgainstMiredoServer(t *testing.T) {
	l := newLab(t, "")
	tshark := interop.LookPath(t, "tshark")
	stop := capture(t, tshark, l.server, "eth0", "udp port 3544", 0, clientIP)
	l.startMiredoServer(t)
	p, sock := l.startTransit6Client(t)

	st := waitStatus(t, p, sock, "qualified with a NAT type", func(s teredoio.Status) bool {
		return s.State == "qualified" && s.NAT != "unknown"
	})
	td := checkQualified(t, l, st)
	assert.Equal(t, st.LocalMapping, td.Client, "no NAT: the mapping is the local address and port")
	assert.Equal(t, clientIP, st.LocalMapping.Addr())
	assert.Equal(t, "none", st.NAT, "NAT type (Miredo's server answers the cone RS from its secondary address)")
	assert.Equal(t, "teredo", st.Interface)

	// The status command shows the same, as text and JSON.
	text := l.client.Output(t, transit6(t), "teredo", "status", "--socket", sock)
	assert.Contains(t, text, "Teredo Address          : "+st.Address.String())
	assert.Contains(t, text, "State                   : qualified")
	js := l.client.Output(t, transit6(t), "teredo", "status", "--socket", sock, "--json")
	var st2 teredoio.Status
	require.NoError(t, json.Unmarshal([]byte(js), &st2))
	assert.Equal(t, st.Address, st2.Address)

	// SIGTERM: clean exit, interface gone.
	require.NoError(t, p.Stop(), "transit6 exit status\n%s", p.Stderr())
	assert.False(t, linkExists(l.client, "teredo"), "teredo interface left behind")
	checkCapture(t, tshark, stop())
}

// waitCapturing waits until tshark says it captures.
func waitCapturing(t *testing.T, p *netns.Proc) {
	t.Helper()
	for start := time.Now(); time.Since(start) < pollTimeout; time.Sleep(50 * time.Millisecond) {
		if strings.Contains(p.Stderr(), "Capturing on") {
			return
		}
		if p.Exited() {
			t.Fatalf("tshark exited: %v\n%s", p.Wait(), p.Stderr())
		}
	}
	t.Fatalf("tshark did not start capturing:\n%s", p.Stderr())
}

// checkCapture dissects the capture of test 1: Router Solicitations from
// the client and Router Advertisements from the server, none malformed,
// no expert warning or error. Checksums are not checked: a live capture on
// a veth sees checksums the kernel left to offload.
func checkCapture(t *testing.T, tshark, pcap string) {
	t.Helper()
	out, err := exec.Command(tshark, "-r", pcap, "-n", "-Y", noCanary, "-T", "fields", "-E", "separator=|",
		"-E", "occurrence=a", "-E", "aggregator=,",
		"-e", "frame.number", "-e", "_ws.malformed", "-e", "_ws.expert.severity", "-e", "icmpv6.type",
		"-e", "teredo.auth.nonce", "-e", "teredo.orig.addr").Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	types := map[string]int{}
	for _, line := range lines {
		f := strings.Split(line, "|")
		require.Len(t, f, 6, line)
		assert.Empty(t, f[1], "malformed: %s", line)
		for _, s := range strings.Split(f[2], ",") {
			// 2097152 chat, 4194304 note; 6291456 warning, 8388608 error.
			if s != "" && s != "2097152" && s != "4194304" {
				t.Errorf("expert severity %s: %s", s, line)
			}
		}
		types[f[3]]++
		if f[3] == "134" {
			assert.Equal(t, clientIP.String(), f[5], "origin indication of the RA: %s", line)
		}
	}
	assert.Positive(t, types["133"], "Router Solicitations captured: %v", lines)
	assert.Positive(t, types["134"], "Router Advertisements captured: %v", lines)
}

// startTransit6Server runs `transit6 teredo server` on 198.51.100.1/.2,
// waits for its status socket and returns its path.
func (l *lab) startTransit6Server(t *testing.T) string {
	t.Helper()
	sock := filepath.Join(l.dir, "server.sock")
	p := l.server.Start(t, transit6(t), "teredo", "server", "--primary", serverIP.String(),
		"--global", labGlobal, "--socket", sock)
	waitStatus(t, p, sock, "serving", func(s teredoio.Status) bool { return s.State == "online" })
	return sock
}

// startMiredoClient runs miredo as a client of 198.51.100.1 and waits for
// its teredo interface to carry a Teredo address, which it returns decoded.
func (l *lab) startMiredoClient(t *testing.T) addr.Teredo {
	t.Helper()
	bin := interop.LookPath(t, "miredo")
	conf := filepath.Join(l.dir, "miredo.conf")
	require.NoError(t, os.WriteFile(conf, []byte(miredoClientConf), 0o644))
	p := l.client.Start(t, bin, "-f", "-p", filepath.Join(l.dir, "miredo.pid"), "-c", conf)
	for start := time.Now(); time.Since(start) < pollTimeout; time.Sleep(100 * time.Millisecond) {
		for _, a := range teredoAddrs(t, l.client, "teredo") {
			if td, err := addr.DecodeTeredo(a.Addr()); err == nil {
				return td
			}
		}
		if p.Exited() {
			t.Fatalf("miredo exited: %v\n%s", p.Wait(), p.Stderr())
		}
	}
	t.Fatalf("miredo's teredo interface got no Teredo address within %v\nstderr:\n%s", pollTimeout, p.Stderr())
	return addr.Teredo{}
}

// Interop 2: Miredo's client qualifies against the transit6 server.
func TestMiredoClientAgainstServer(t *testing.T) {
	l := newLab(t, "")
	sock := l.startTransit6Server(t)
	td := l.startMiredoClient(t)
	assert.Equal(t, serverIP, td.Server, "server in Miredo's address")
	assert.Equal(t, clientIP, td.Client.Addr(), "mapping in Miredo's address")
	assert.NotZero(t, td.Client.Port())
	st, err := teredoio.Query(sock)
	require.NoError(t, err)
	assert.Positive(t, st.Counters["case4-ra"], "solicitations answered: %v", st.Counters)
}

// Interop 3: both directions through a Linux NAT; the transit6 client
// reports the NAT's behaviour.
func TestThroughNAT(t *testing.T) {
	for _, tc := range []struct {
		name, rule, nat string
	}{
		// Plain masquerade keeps the port and maps independently of the
		// destination, but only lets in the address and port sent to.
		{"masquerade", "masquerade", "port-restricted"},
		// fully-random maps each destination to a new random port.
		{"fully-random", "masquerade fully-random", "symmetric"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("transit6-client", func(t *testing.T) {
				l := newLab(t, tc.rule)
				l.startMiredoServer(t)
				p, sock := l.startTransit6Client(t)
				st := waitStatus(t, p, sock, "qualified with a NAT type", func(s teredoio.Status) bool {
					return s.State == "qualified" && s.NAT != "unknown"
				})
				checkQualified(t, l, st)
				assert.Equal(t, tc.nat, st.NAT, "NAT type")
				// Plain masquerade keeps the local port; fully-random does not.
				assert.Equal(t, tc.nat == "port-restricted", st.PortPreserving, "port preserving")
				assert.Equal(t, inside, st.LocalMapping.Addr())
			})
			t.Run("miredo-client", func(t *testing.T) {
				l := newLab(t, tc.rule)
				l.startTransit6Server(t)
				td := l.startMiredoClient(t)
				assert.Equal(t, serverIP, td.Server)
				assert.Equal(t, natOutIP, td.Client.Addr(), "mapping in Miredo's address: the NAT's outside")
			})
		})
	}
}

// transit6 takes Miredo's configuration files (--miredo-conf): the
// transit6 server and client started with the very files Miredo's server
// and client run with in the other tests qualify as they do with flags.
// (The transit6 relay of the data-path tests is started with a Miredo
// relay's file too.)
func TestMiredoConfFiles(t *testing.T) {
	l := newLab(t, "")
	serverConf, clientConf := filepath.Join(l.dir, "miredo-server.conf"), filepath.Join(l.dir, "miredo.conf")
	require.NoError(t, os.WriteFile(serverConf, []byte(miredoServerConf), 0o644))
	require.NoError(t, os.WriteFile(clientConf, []byte(miredoClientConf), 0o644))

	ssock := filepath.Join(l.dir, "server.sock")
	sp := l.server.Start(t, transit6(t), "teredo", "server", "--miredo-conf", serverConf, "--global", labGlobal, "--socket", ssock)
	sst := waitStatus(t, sp, ssock, "serving", func(s teredoio.Status) bool { return s.State == "online" })
	assert.Equal(t, serverIP, sst.PrimarySocket.Addr(), "ServerBindAddress")

	csock := filepath.Join(l.dir, "client.sock")
	cp := l.client.Start(t, transit6(t), "teredo", "client", "--miredo-conf", clientConf, "--global", labGlobal, "--socket", csock)
	st := waitStatus(t, cp, csock, "qualified", func(s teredoio.Status) bool {
		return s.State == "qualified" && s.Address.IsValid()
	})
	checkQualified(t, l, st)
	assert.Equal(t, "teredo", st.Interface, "InterfaceName")
	assert.True(t, linkExists(l.client, "teredo"))
}
