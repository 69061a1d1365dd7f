package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/internal/interop"
	"github.com/transit6/transit6/internal/netns"
)

// buildTransit6 builds this command (once per test process).
func buildTransit6(t *testing.T) string {
	t.Helper()
	return interop.Binary(t, interop.Transit6Package)
}

// writeTestPKI writes a CA and a server certificate for the given IP
// addresses, as PEM files, and returns their names.
func writeTestPKI(t *testing.T, ips ...string) (caFile, certFile, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "transit6 e2e CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "da.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"da.example.com"}}
	for _, ip := range ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	write := func(name, typ string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600))
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("cert.pem", "CERTIFICATE", der), write("key.pem", "EC PRIVATE KEY", keyDER)
}

// clientUp waits until the client behind socket reports the link up and
// returns its address.
func clientUp(t *testing.T, bin, socket string, proc *netns.Proc) netip.Addr {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := exec.Command(bin, "iphttps", "status", "--socket", socket, "--json").Output()
		if err == nil {
			var st iphttpsClientStatus
			require.NoError(t, json.Unmarshal(out, &st))
			if st.State == "link-up" {
				return st.Addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("client not up: %s\nstderr: %s", out, proc.Stderr())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// End to end, with the transit6 binary in network namespaces: two clients
// behind "the Internet" (IPv4 only) reach a host behind the server with the
// kernel's ping and iperf3, get different addresses and reach each other;
// when the server dies and comes back, the client reconnects.
//
//	cli1 ─ 192.0.2.0/24 ─┐
//	                     srv ─ 2001:db8:ffff::/64 ─ host
//	cli2 ─ 198.51.100.0/24┘   (clients: 2001:db8:1:1000::/64 on iphttps0)
func TestIPHTTPSEndToEnd(t *testing.T) {
	srv, cli1, cli2, host := netns.New(t, "ihsrv"), netns.New(t, "ihc1"), netns.New(t, "ihc2"), netns.New(t, "ihhost")
	interop.LookPath(t, "ping")
	interop.LookPath(t, "iperf3")
	bin := buildTransit6(t)
	caFile, certFile, keyFile := writeTestPKI(t, "192.0.2.1", "198.51.100.1")
	dir := t.TempDir()

	netns.Link(t, srv, "v-c1", netip.MustParsePrefix("192.0.2.1/24"), cli1, "v-srv", netip.MustParsePrefix("192.0.2.2/24"))
	netns.Link(t, srv, "v-c2", netip.MustParsePrefix("198.51.100.1/24"), cli2, "v-srv", netip.MustParsePrefix("198.51.100.2/24"))
	netns.Link(t, srv, "v-host", netip.MustParsePrefix("2001:db8:ffff::1/64"), host, "v-srv", netip.MustParsePrefix("2001:db8:ffff::2/64"))
	host.IP(t, "-6", "route", "add", "2001:db8:1:1000::/64", "via", "2001:db8:ffff::1")
	srv.Sysctl(t, "net.ipv6.conf.all.forwarding", "1")

	srvSock := filepath.Join(dir, "srv.sock")
	startServer := func() *netns.Proc {
		return srv.Start(t, bin, "iphttps", "server", "--listen", ":443", "--cert", certFile, "--key", keyFile,
			"--prefix", "2001:db8:1:1000::/64", "--ifname", "iphttps0", "--socket", srvSock)
	}
	server := startServer()
	client := func(ns *netns.NS, url, sock string) *netns.Proc {
		return ns.Start(t, bin, "iphttps", "client", "--url", url, "--ca", caFile, "--ifname", "iphttps0",
			"--socket", sock, "--reconnect", "200ms", "--reconnect-max", "1s")
	}
	c1Sock, c2Sock := filepath.Join(dir, "c1.sock"), filepath.Join(dir, "c2.sock")
	p1 := client(cli1, "https://192.0.2.1/IPHTTPS", c1Sock)
	p2 := client(cli2, "https://198.51.100.1:443/iphttps", c2Sock)
	a1, a2 := clientUp(t, bin, c1Sock, p1), clientUp(t, bin, c2Sock, p2)
	prefix := netip.MustParsePrefix("2001:db8:1:1000::/64")
	assert.True(t, prefix.Contains(a1), a1)
	assert.True(t, prefix.Contains(a2), a2)
	require.NotEqual(t, a1, a2, "a second client gets another address")

	cli1.Run(t, "ping", "-6", "-c", "3", "-W", "5", "2001:db8:ffff::2")
	cli2.Run(t, "ping", "-6", "-c", "3", "-W", "5", "2001:db8:ffff::2")
	cli1.Run(t, "ping", "-6", "-c", "3", "-W", "5", a2.String())

	host.IperfServer(t, "-1")
	res := cli1.Iperf(t, "-c", "2001:db8:ffff::2", "-t", "3")
	assert.Positive(t, res.End.SumReceived.BitsPerSecond)
	t.Logf("iperf3 through the tunnel: %.0f Mbit/s", res.End.SumReceived.BitsPerSecond/1e6)

	st, err := exec.Command(bin, "iphttps", "status", "--socket", srvSock).Output()
	require.NoError(t, err)
	assert.Contains(t, string(st), a1.String())
	assert.Contains(t, string(st), a2.String())
	assert.Contains(t, string(st), "Clients          : 2")
	// This kernel has io_uring: where interop is required (CI), a silent
	// fall-back to read(2) is a failure.
	if interop.Required() {
		assert.Contains(t, string(st), "Interface Reads  : io_uring")
		st, err = exec.Command(bin, "iphttps", "status", "--socket", c1Sock).Output()
		require.NoError(t, err)
		assert.Contains(t, string(st), "Interface Reads  : io_uring")
	}

	// The server dies: the client notices and waits; the server comes back:
	// the client reconnects, with the same address.
	require.NoError(t, server.Stop())
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _ := exec.Command(bin, "iphttps", "status", "--socket", c1Sock).Output()
		if strings.Contains(string(out), "waiting to reconnect") {
			break
		}
		require.True(t, time.Now().Before(deadline), "client did not notice: %s", out)
		time.Sleep(50 * time.Millisecond)
	}
	startServer()
	assert.Equal(t, a1, clientUp(t, bin, c1Sock, p1))
	cli1.Run(t, "ping", "-6", "-c", "3", "-W", "5", "2001:db8:ffff::2")
}
