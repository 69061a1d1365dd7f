package iphttps

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"io"
	"math/big"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/packet"
)

// Shared helpers of the router, server and client tests.

var testPrefix = netip.MustParsePrefix("2001:db8:1:1000::/64")

// ---- packets ----

// addrIn returns the address of testPrefix with interface identifier iid.
func addrIn(iid uint64) netip.Addr {
	a := testPrefix.Addr().As16()
	binary.BigEndian.PutUint64(a[8:], iid)
	return netip.AddrFrom16(a)
}

// llAddr returns fe80::iid.
func llAddr(iid uint64) netip.Addr {
	var a [16]byte
	a[0], a[1] = 0xfe, 0x80
	binary.BigEndian.PutUint64(a[8:], iid)
	return netip.AddrFrom16(a)
}

// must(tb)(f()) returns the packet f built, failing tb on error.
func must(tb testing.TB) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		tb.Helper()
		require.NoError(tb, err)
		return b
	}
}

func echoReq(tb testing.TB, src, dst netip.Addr, seq uint16) []byte {
	return must(tb)(packet.AppendEchoRequest(nil, src, dst, 64, 0x4242, seq, []byte("transit6 ping")))
}

// udpPkt returns an IPv6 packet with Next Header UDP and n payload bytes
// (not a valid UDP datagram: the router does not look).
func udpPkt(tb testing.TB, src, dst netip.Addr, n int) []byte {
	h := packet.IPv6Header{NextHeader: packet.ProtoUDP, HopLimit: 64, Src: src, Dst: dst}
	b := must(tb)(h.AppendTo(nil, n))
	return append(b, make([]byte, n)...)
}

func rsPkt(tb testing.TB, src netip.Addr) []byte {
	return must(tb)(packet.AppendRouterSolicitation(nil, src, allRouters, nil))
}

func dadPkt(tb testing.TB, target netip.Addr) []byte {
	return must(tb)(packet.AppendNeighborSolicitation(nil, unspecified, solicitedNode(target), target, nil))
}

func nsPkt(tb testing.TB, src, dst, target netip.Addr) []byte {
	return must(tb)(packet.AppendNeighborSolicitation(nil, src, dst, target, nil))
}

func naPkt(tb testing.TB, src, dst, target netip.Addr, flags uint8) []byte {
	return must(tb)(packet.AppendNeighborAdvertisement(nil, src, dst, target, flags, nil))
}

func raPkt(tb testing.TB, src netip.Addr) []byte {
	return must(tb)(packet.AppendRouterAdvertisement(nil, src, allNodes, &packet.RAFields{RouterLifetime: 1800}))
}

// splitStream splits a packet stream with the codec's Reader, failing the
// test if it is not whole IPv6 packets.
func splitStream(tb testing.TB, b []byte) [][]byte {
	tb.Helper()
	r, err := NewReader(bytes.NewReader(nil), nil, b)
	require.NoError(tb, err)
	pkts, err := readAll(tb, r)
	require.ErrorIs(tb, err, io.EOF, "queued bytes are whole IPv6 packets")
	return pkts
}

// drain empties a session's queue as its writer would and returns the
// packets.
func drain(tb testing.TB, s *Session) [][]byte {
	tb.Helper()
	var all []byte
	for {
		b := s.Peek(1 << 20)
		if len(b) == 0 {
			break
		}
		all = append(all, b...)
		s.Release(len(b))
	}
	return splitStream(tb, all)
}

// ---- certificates ----

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

var serial atomic.Int64

func newCA(tb testing.TB, name string) *testCA {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(tb, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(tb, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(tb, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue returns a certificate signed by ca: a server certificate for the
// names (DNS names or IP literals), or a client certificate if client.
func (ca *testCA) issue(tb testing.TB, cn string, client bool, notAfter time.Time, names ...string) tls.Certificate {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(tb, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-2 * time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(tb, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(tb, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

var (
	pkiOnce  sync.Once
	pkiCA    *testCA
	pkiCert  tls.Certificate
	pkiMutex sync.Mutex
)

// testPKI returns a CA and a server certificate from it for localhost and
// 127.0.0.1, made once per test binary.
func testPKI(tb testing.TB) (*testCA, tls.Certificate) {
	pkiMutex.Lock()
	defer pkiMutex.Unlock()
	pkiOnce.Do(func() {
		pkiCA = newCA(tb, "transit6 test CA")
		pkiCert = pkiCA.issue(tb, "localhost", false, time.Now().Add(24*time.Hour), "localhost", "127.0.0.1")
	})
	return pkiCA, pkiCert
}

// ---- devices ----

// fakeDevice is an in-memory Device: packets given to inject are read,
// packets written are delivered on out.
type fakeDevice struct {
	in      chan []byte
	out     chan []byte
	done    chan struct{}
	once    sync.Once
	dropped atomic.Uint64
}

func newFakeDevice() *fakeDevice {
	return &fakeDevice{in: make(chan []byte, 1024), out: make(chan []byte, 4096), done: make(chan struct{})}
}

func (d *fakeDevice) inject(p []byte) { d.in <- bytes.Clone(p) }

func (d *fakeDevice) Read(bufs [][]byte, sizes []int, off int) (int, error) {
	n := 0
	for n < min(len(bufs), len(sizes)) {
		var p []byte
		if n == 0 {
			select {
			case p = <-d.in:
			case <-d.done:
				return 0, os.ErrClosed
			}
		} else {
			select {
			case p = <-d.in:
			default:
				return n, nil
			}
		}
		if off > len(bufs[n]) {
			return n, io.ErrShortBuffer
		}
		sizes[n] = copy(bufs[n][off:], p)
		n++
	}
	return n, nil
}

func (d *fakeDevice) Write(bufs [][]byte, off int) (int, error) {
	select {
	case <-d.done:
		return 0, os.ErrClosed
	default:
	}
	for _, b := range bufs {
		select {
		case d.out <- bytes.Clone(b[off:]):
		default:
			d.dropped.Add(1)
		}
	}
	return len(bufs), nil
}

func (d *fakeDevice) Close() { d.once.Do(func() { close(d.done) }) }

// next returns the next packet written to d, failing after a generous
// timeout (a liveness bound, not a speed requirement).
func (d *fakeDevice) next(tb testing.TB) []byte {
	tb.Helper()
	select {
	case p := <-d.out:
		return p
	case <-time.After(20 * time.Second):
		tb.Fatal("no packet on the fake device")
		return nil
	}
}

// ---- servers ----

type testServer struct {
	srv    *Server
	router *Router
	native *fakeDevice
	addr   string // host:port
	ca     *testCA
	cert   tls.Certificate
	errc   chan error
}

// startServer runs a TLS server on 127.0.0.1 with a fake native device;
// mutate adjusts the router configuration and the server before Serve.
func startServer(tb testing.TB, rcfg RouterConfig, mutate func(*Server)) *testServer {
	tb.Helper()
	if !rcfg.Prefix.IsValid() {
		rcfg.Prefix = testPrefix
	}
	r, err := NewRouter(rcfg)
	require.NoError(tb, err)
	ca, cert := testPKI(tb)
	tcfg, err := ServerTLSConfig(TLSOptions{Certificates: []tls.Certificate{cert}})
	require.NoError(tb, err)
	ts := &testServer{router: r, native: newFakeDevice(), ca: ca, cert: cert, errc: make(chan error, 1)}
	ts.srv = &Server{Router: r, TLSConfig: tcfg, Native: ts.native, TickInterval: time.Hour}
	if mutate != nil {
		mutate(ts.srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	ts.addr = ln.Addr().String()
	go func() { ts.errc <- ts.srv.Serve(ln) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		ts.srv.Shutdown(ctx)
		ts.native.Close()
	})
	return ts
}

func (ts *testServer) url() string { return "https://" + ts.addr + "/IPHTTPS" }

// clientConfig returns a ClientConfig trusting the test CA.
func (ts *testServer) clientConfig() *ClientConfig {
	return &ClientConfig{URL: ts.url(), TLSConfig: &tls.Config{RootCAs: ts.ca.pool}}
}

func (ts *testServer) dial(tb testing.TB, mutate func(*ClientConfig)) *Conn {
	tb.Helper()
	cfg := ts.clientConfig()
	if mutate != nil {
		mutate(cfg)
	}
	c, err := Dial(context.Background(), cfg)
	require.NoError(tb, err)
	tb.Cleanup(func() { c.Close() })
	if ts.router != nil && ts.router.Mode() == AuthNone {
		// The DAD probe claims the address (mode None), but the server
		// reads it on its own time: wait, so that packets for the client
		// sent on other connections find it.
		eventually(tb, func() bool { o, ok := ts.router.Owner(c.Addr()); return ok && o != nil }, "address claimed")
	}
	return c
}

// rawTLS opens a TLS connection to the server that the test drives by
// hand.
func (ts *testServer) rawTLS(tb testing.TB) *tls.Conn {
	tb.Helper()
	c, err := tls.Dial("tcp", ts.addr, &tls.Config{RootCAs: ts.ca.pool, ServerName: "localhost"})
	require.NoError(tb, err)
	tb.Cleanup(func() { c.Close() })
	return c
}

// readPacket reads the next packet from c, failing after a generous
// timeout.
func readPacket(tb testing.TB, c *Conn) []byte {
	tb.Helper()
	type res struct {
		p   []byte
		err error
	}
	ch := make(chan res, 1)
	go func() {
		buf := make([]byte, MaxPacketLen)
		n, err := c.ReadPacket(buf)
		ch <- res{buf[:n], err}
	}()
	select {
	case r := <-ch:
		require.NoError(tb, r.err)
		return r.p
	case <-time.After(20 * time.Second):
		tb.Fatal("no packet from the server")
		return nil
	}
}

// eventually polls cond until it holds, failing after a generous timeout.
func eventually(tb testing.TB, cond func() bool, msg string) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatal("timed out waiting: " + msg)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// readUntilClosed reads c until an error and returns everything read and
// the error; it fails after a generous timeout.
func readUntilClosed(tb testing.TB, c net.Conn) ([]byte, error) {
	tb.Helper()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	var buf bytes.Buffer
	_, err := io.Copy(&buf, c)
	if err == nil {
		err = io.EOF
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		tb.Fatal("connection was not closed")
	}
	return buf.Bytes(), err
}
