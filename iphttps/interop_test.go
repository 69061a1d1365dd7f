package iphttps

import (
	"bytes"
	"context"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/internal/interop"
)

// Real peers talking to the server (iphttps.md report section 4).

// lockedBuffer is a bytes.Buffer safe for a process to write while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// writeCAFile writes the test CA as PEM and returns the file name.
func writeCAFile(t *testing.T) string {
	ca, _ := testPKI(t)
	name := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o600))
	return name
}

// OpenSSL's s_client, verifying our certificate chain and IP address,
// sends the example request of [MS-IPHTTPS] §4.1 (Content-Length first, an
// IP literal as Host, the path /IPTLS) and gets the 200 with Server and
// Date, and the first Router Advertisement after it.
func TestInteropOpenSSLClient(t *testing.T) {
	openssl := interop.LookPath(t, "openssl")
	ts := startServer(t, RouterConfig{}, func(s *Server) { s.Path = "*" })
	host, _, _ := strings.Cut(ts.addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, openssl, "s_client", "-connect", ts.addr, "-quiet",
		"-CAfile", writeCAFile(t), "-verify_return_error", "-verify_ip", host)
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

	buf := make([]byte, DefaultReadBufferSize)
	h, rest, err := ReadResponseHead(out, buf[:DefaultMaxHeadLen], nil)
	if err != nil {
		t.Fatalf("%v; stderr: %s", err, stderr.String())
	}
	assert.Equal(t, 200, h.StatusCode())
	sv, _ := h.Server()
	assert.Equal(t, "Microsoft-HTTPAPI/2.0", string(sv))
	_, ok := h.Date()
	assert.True(t, ok)
	rd, err := NewReader(out, nil, rest)
	require.NoError(t, err)
	p, err := rd.Next()
	require.NoError(t, err)
	assert.Equal(t, hx(t, vecRA), p)
	eventually(t, func() bool { return ts.router.NumClients() == 1 }, "s_client in the Client Table")
}

// nmap's ip-https-discover script (the check DirectAccess administrators
// run, iphttps.md report sections 1.3 and 4) reports the server as
// IP-HTTPS. Service detection (-sV) tells nmap the port is HTTP over SSL,
// which the script's port rule wants on a port other than 443.
func TestInteropNmapDiscover(t *testing.T) {
	nmap := interop.LookPath(t, "nmap")
	ts := startServer(t, RouterConfig{}, nil)
	host, port, _ := strings.Cut(ts.addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, nmap, "-Pn", "-n", "-sV", "--version-light",
		"-p", port, "--script", "ip-https-discover", host).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "IP-HTTPS is supported", "%s", out)
}

// iphttps.md report section 9, case 4: a ClientHello offering only the NULL
// cipher suites Windows 8 and later want (TLS_RSA_WITH_NULL_SHA256 0x003B,
// TLS_RSA_WITH_NULL_SHA 0x0002), which crypto/tls lacks, is refused in the
// handshake and counted; such clients need a TLS terminator in front of a
// plain-HTTP server (report section 3, option 1).
func TestInteropOpenSSLNullCiphers(t *testing.T) {
	openssl := interop.LookPath(t, "openssl")
	ts := startServer(t, RouterConfig{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, openssl, "s_client", "-connect", ts.addr, "-tls1_2",
		"-cipher", "NULL-SHA256:NULL-SHA@SECLEVEL=0")
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	assert.Error(t, err, "the handshake fails: %s", out)
	assert.Contains(t, string(out), "handshake failure", "the server's alert 40")
	eventually(t, func() bool { return ts.srv.Stats().HandshakeErrors == 1 }, "refused in the handshake")
	assert.Equal(t, uint64(0), ts.srv.Stats().Sessions)
}
