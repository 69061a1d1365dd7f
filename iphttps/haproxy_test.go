package iphttps

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
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
	"github.com/transit6/transit6/packet"
)

// HAProxy terminating TLS in front of the plain-HTTP server (iphttps.md
// report section 3, option 1, and section 6): the way to serve Windows 8 and
// later clients, which offer the NULL cipher suites TLS_RSA_WITH_NULL_SHA256
// (0x003B) and TLS_RSA_WITH_NULL_SHA (0x0002) that crypto/tls lacks.

// haproxyCiphers is the TLS 1.2 cipher list of the frontend: the two NULL
// suites first (OpenSSL needs security level 0 to offer them), then
// encrypted ones for every other client (Windows 7, Go's client). TLS 1.3
// uses HAProxy's default ciphersuites. The README shows the same list.
const haproxyCiphers = "NULL-SHA256:NULL-SHA:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA:@SECLEVEL=0"

// haproxyConfig returns the configuration the README shows: mode is "tcp"
// (the bytes after TLS pass unchanged) or "http" (HAProxy parses the head
// both ways and streams the bodies). The generous timeouts keep an idle
// tunnel open: "timeout tunnel" governs mode tcp, but in mode http the
// endless POST body stays an HTTP transfer, so "timeout client" and
// "timeout server" apply to it. Mode http also needs "option
// http-no-delay".
func haproxyConfig(mode, bind, pem, backend string) string {
	opts := ""
	if mode == "http" {
		// Without it HAProxy sends body data with MSG_MORE while the
		// Content-Length is not reached (always, here), and each
		// packet waits for the kernel's 200 ms cork timer.
		opts = "    option http-no-delay\n"
	}
	return fmt.Sprintf(`global
    maxconn 1000

defaults
    mode %[1]s
    timeout connect 10s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
%[6]s
frontend iphttps
    bind %[2]s ssl crt %[3]s ciphers %[5]s
    default_backend transit6

backend transit6
    server transit6 %[4]s
`, mode, bind, pem, backend, haproxyCiphers, opts)
}

// writeHAProxyPEM issues an RSA server certificate for 127.0.0.1 from the
// test CA (both NULL suites use RSA key transport: an ECDSA certificate
// cannot negotiate them) and writes it with its key in the one PEM file
// HAProxy's "crt" wants.
func writeHAProxyPEM(t *testing.T, ca *testCA) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: der}))
	require.NoError(t, pem.Encode(&b, &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	name := filepath.Join(t.TempDir(), "iphttps.pem")
	require.NoError(t, os.WriteFile(name, b.Bytes(), 0o600))
	return name
}

// freeAddr returns a 127.0.0.1 address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// startHAProxy runs HAProxy in the foreground (-db) with the configuration
// cfg and waits until it accepts connections on addr; it is killed when
// the test ends.
func startHAProxy(t *testing.T, haproxy, cfg, addr string) {
	t.Helper()
	name := filepath.Join(t.TempDir(), "haproxy.cfg")
	require.NoError(t, os.WriteFile(name, []byte(cfg), 0o600))
	check, err := exec.Command(haproxy, "-c", "-f", name).CombinedOutput()
	require.NoError(t, err, "haproxy -c: %s", check)
	assert.NotContains(t, string(check), "[WARNING]")

	var out lockedBuffer
	cmd := exec.Command(haproxy, "-f", name, "-db")
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("haproxy output:\n%s", out.String())
		}
	})
	eventually(t, func() bool {
		select {
		case <-exited:
			t.Fatalf("haproxy exited: %s", out.String())
		default:
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}, "haproxy listening on "+addr)
}

// A plain-HTTP server behind HAProxy, in mode tcp and in mode http, serves
// both a NULL-cipher client and whole sessions of our client.
func TestInteropHAProxy(t *testing.T) {
	haproxy := interop.LookPath(t, "haproxy")
	openssl := interop.LookPath(t, "openssl")
	ca, _ := testPKI(t)
	pemFile := writeHAProxyPEM(t, ca)
	caFile := writeCAFile(t)

	for _, mode := range []string{"tcp", "http"} {
		t.Run(mode, func(t *testing.T) {
			ts := startServer(t, RouterConfig{}, func(s *Server) { s.TLSConfig, s.Path = nil, "*" })
			front := freeAddr(t)
			startHAProxy(t, haproxy, haproxyConfig(mode, front, pemFile, ts.addr), front)

			t.Run("NullCipher", func(t *testing.T) {
				head := haproxyNullClient(t, openssl, caFile, front)
				// Mode tcp passes our head byte for byte; mode http
				// rewrites header names to lower case (report section
				// 6). Either way the values are ours.
				if mode == "tcp" {
					assert.Contains(t, head, "\r\nServer: Microsoft-HTTPAPI/2.0\r\n")
				} else {
					assert.Contains(t, head, "\r\nserver: Microsoft-HTTPAPI/2.0\r\n")
				}
				eventually(t, func() bool { return ts.srv.Stats().Sessions == 1 }, "session behind haproxy")
			})

			t.Run("Session", func(t *testing.T) {
				haproxySession(t, ts, front)
			})
		})
	}
}

// haproxyNullClient has OpenSSL's s_client, offering only
// TLS_RSA_WITH_NULL_SHA256 on TLS 1.2 as a Windows 8 client does, verify
// HAProxy's certificate, check that NULL-SHA256 was negotiated, send the
// example request of [MS-IPHTTPS] §4.1 and read the 200 and the first
// Router Advertisement. It returns the bytes of the response head as they
// arrived.
func haproxyNullClient(t *testing.T, openssl, caFile, addr string) string {
	host, _, _ := strings.Cut(addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Not -quiet: the session summary names the cipher. -ign_eof keeps the
	// connection open after the request, as -quiet would.
	cmd := exec.CommandContext(ctx, openssl, "s_client", "-connect", addr, "-tls1_2",
		"-cipher", "NULL-SHA256@SECLEVEL=0", "-ign_eof",
		"-CAfile", caFile, "-verify_return_error", "-verify_ip", host)
	cmd.Stdin = strings.NewReader("POST /IPTLS HTTP/1.1\r\n" +
		"Content-Length: 18446744073709551615\r\n" +
		"Host: " + host + "\r\n" +
		"\r\n")
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()

	// The summary comes before any application data; the response starts
	// at its status line.
	br := bufio.NewReader(out)
	var summary strings.Builder
	const status = "HTTP/1.1 200 OK\r\n"
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("%v before the status line; stdout: %s; stderr: %s", err, summary.String(), stderr.String())
		}
		if line == status {
			break
		}
		summary.WriteString(line)
	}
	assert.Contains(t, summary.String(), "Cipher is NULL-SHA256", "the NULL suite 0x003B was negotiated")
	assert.Contains(t, summary.String(), "Verify return code: 0 (ok)")

	var raw bytes.Buffer
	buf := make([]byte, DefaultReadBufferSize)
	h, rest, err := ReadResponseHead(io.TeeReader(io.MultiReader(strings.NewReader(status), br), &raw), buf[:DefaultMaxHeadLen], nil)
	require.NoError(t, err, "stderr: %s", stderr.String())
	assert.Equal(t, 200, h.StatusCode())
	sv, _ := h.Server()
	assert.Equal(t, "Microsoft-HTTPAPI/2.0", string(sv))
	_, ok := h.Date()
	assert.True(t, ok)
	rd, err := NewReader(br, nil, rest)
	require.NoError(t, err)
	p, err := rd.Next()
	require.NoError(t, err)
	assert.Equal(t, hx(t, vecRA), p)

	headLen := len(raw.Bytes()) - len(rest)
	return string(raw.Bytes()[:headLen])
}

// haproxySession runs whole sessions of our client through HAProxy (with
// an encrypted suite: crypto/tls has no NULL ones): two clients get
// different addresses and ping each other, and one reaches the native side
// and is reached from it.
func haproxySession(t *testing.T, ts *testServer, front string) {
	dial := func() *Conn {
		return ts.dial(t, func(cfg *ClientConfig) { cfg.URL = "https://" + front + "/IPHTTPS" })
	}
	a, b := dial(), dial()
	for _, c := range []*Conn{a, b} {
		assert.True(t, testPrefix.Contains(c.Addr()), c.Addr())
		assert.Equal(t, 1280, c.MTU())
		assert.Equal(t, DefaultServer, c.ServerHeader())
	}
	require.NotEqual(t, a.Addr(), b.Addr())

	for seq := range uint16(3) {
		require.NoError(t, a.WritePacket(echoReq(t, a.Addr(), b.Addr(), seq)))
		p := readPacket(t, b)
		ip, err := packet.ParseIPv6(p)
		require.NoError(t, err)
		msg, err := packet.ParseICMPv6(ip)
		require.NoError(t, err)
		id, gotSeq, data, err := msg.Echo()
		require.NoError(t, err)
		require.Equal(t, uint8(packet.ICMPv6EchoRequest), msg.Type())
		require.Equal(t, seq, gotSeq)
		reply := must(t)(packet.AppendEchoReply(nil, b.Addr(), a.Addr(), 64, id, gotSeq, data))
		require.NoError(t, b.WritePacket(reply))
		assert.Equal(t, reply, readPacket(t, a))
	}

	ext := netip.MustParseAddr("2001:db8:ffff::1")
	req := echoReq(t, a.Addr(), ext, 1)
	require.NoError(t, a.WritePacket(req))
	assert.Equal(t, req, ts.native.next(t))
	reply := must(t)(packet.AppendEchoReply(nil, ext, a.Addr(), 60, 0x4242, 1, []byte("transit6 ping")))
	ts.native.inject(reply)
	assert.Equal(t, reply, readPacket(t, a))

	// Packets of the link MTU (1280) both ways, many in flight: the stream is not
	// buffered or cut.
	for i := range 50 {
		big := udpPkt(t, a.Addr(), ext, 1280-40-i)
		require.NoError(t, a.WritePacket(big))
		assert.Equal(t, big, ts.native.next(t))
	}
	for i := range 50 {
		ts.native.inject(udpPkt(t, ext, b.Addr(), 1280-40-i))
	}
	for i := range 50 {
		assert.Equal(t, udpPkt(t, ext, b.Addr(), 1280-40-i), readPacket(t, b))
	}
}
