package iphttps

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/packet"
)

// Two clients get different addresses in the prefix and ping each other
// through the server.
func TestDialTwoClientsPing(t *testing.T) {
	ts := startServer(t, RouterConfig{}, nil)
	a, b := ts.dial(t, nil), ts.dial(t, nil)
	for _, c := range []*Conn{a, b} {
		assert.True(t, testPrefix.Contains(c.Addr()), c.Addr())
		assert.Equal(t, testPrefix, c.Prefix())
		assert.True(t, c.LinkLocal().IsLinkLocalUnicast())
		assert.Equal(t, c.Addr().AsSlice()[8:], c.LinkLocal().AsSlice()[8:], "one interface identifier")
		assert.Equal(t, netip.MustParseAddr("fe80::1"), c.Router())
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
}

// A client reaches the native side and is reached from it.
func TestDialNative(t *testing.T) {
	ts := startServer(t, RouterConfig{}, nil)
	c := ts.dial(t, nil)
	ext := netip.MustParseAddr("2001:db8:ffff::1")
	req := echoReq(t, c.Addr(), ext, 1)
	require.NoError(t, c.WritePacket(req))
	assert.Equal(t, req, ts.native.next(t))

	reply := must(t)(packet.AppendEchoReply(nil, ext, c.Addr(), 60, 0x4242, 1, []byte("transit6 ping")))
	ts.native.inject(reply)
	assert.Equal(t, reply, readPacket(t, c))
	eventually(t, func() bool { st := ts.srv.Stats(); return st.NativeIn == 1 && st.NativeOut == 1 }, "native counters")

	// Batches both ways, and garbage from the host dropped, not sent.
	var bufs [][]byte
	for i := range 10 {
		bufs = append(bufs, append(make([]byte, 4), echoReq(t, c.Addr(), ext, uint16(100+i))...))
	}
	bufs = append(bufs, []byte{0, 0, 0, 0, 0x45, 0, 0, 20})
	n, err := c.Write(bufs, 4)
	require.NoError(t, err)
	assert.Equal(t, 11, n)
	for i := range 10 {
		assert.Equal(t, bufs[i][4:], ts.native.next(t))
	}
	assert.Equal(t, uint64(1), c.Dropped())
}

func TestDialVerifiesServer(t *testing.T) {
	ts := startServer(t, RouterConfig{}, nil)
	for _, tc := range []struct {
		name string
		cfg  func(*ClientConfig)
		ok   bool
	}{
		{"IP literal in the URL", nil, true},
		{"name in the URL", func(c *ClientConfig) { c.URL = "https://localhost:" + port(ts.addr) + "/IPHTTPS" }, true},
		{"unknown CA", func(c *ClientConfig) { c.TLSConfig = &tls.Config{RootCAs: x509.NewCertPool()} }, false},
		{"system roots", func(c *ClientConfig) { c.TLSConfig = nil }, false},
		{"wrong name", func(c *ClientConfig) { c.TLSConfig.ServerName = "da.example.com" }, false},
		{"insecure, explicitly", func(c *ClientConfig) { c.TLSConfig = &tls.Config{InsecureSkipVerify: true} }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ts.clientConfig()
			if tc.cfg != nil {
				tc.cfg(cfg)
			}
			c, err := Dial(context.Background(), cfg)
			if !tc.ok {
				var verr *tls.CertificateVerificationError
				assert.ErrorAs(t, err, &verr)
				return
			}
			require.NoError(t, err)
			c.Close()
		})
	}
}

func port(hostPort string) string {
	_, p, _ := net.SplitHostPort(hostPort)
	return p
}

func TestDialStatus(t *testing.T) {
	ts := startServer(t, RouterConfig{}, func(s *Server) { s.Path = "/other" })
	_, err := Dial(context.Background(), ts.clientConfig())
	require.ErrorIs(t, err, ErrStatus)
	var se *StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, &StatusError{Code: 404, Reason: "Not Found"}, se)
	assert.NotErrorIs(t, err, ErrProxy)
}

func TestDialBadURL(t *testing.T) {
	for _, u := range []string{"ftp://h/IPHTTPS", "https:///IPHTTPS", "https://user@h/IPHTTPS", "https://h:99999/", "%"} {
		_, err := Dial(context.Background(), &ClientConfig{URL: u})
		assert.ErrorIs(t, err, ErrBadURL, u)
	}
	_, err := Dial(context.Background(), &ClientConfig{URL: "https://h/", Proxy: &url.URL{Scheme: "socks5", Host: "p:1080"}})
	assert.ErrorIs(t, err, ErrBadURL)

	for _, tc := range []struct{ in, hostPort, target string }{
		{"https://da.example.com/IPHTTPS", "da.example.com:443", "/IPHTTPS"},
		{"https://192.0.2.1:44500/IPHTTPS", "192.0.2.1:44500", "/IPHTTPS"},
		{"https://[2001:db8::1]/", "[2001:db8::1]:443", "/IPHTTPS"},
		{"http://h", "h:80", "/IPHTTPS"},
		{"https://h/IPTLS?a=b", "h:443", "/IPTLS?a=b"},
	} {
		u, err := parseServerURL(tc.in)
		require.NoError(t, err)
		assert.Equal(t, tc.hostPort, u.hostPort)
		assert.Equal(t, tc.target, u.requestTarget)
	}
}

// iphttps.md report section 9, case 8 seen from the client: a second client
// configured with the same interface identifier hears the server's NA for
// the address and reports ErrDuplicateAddress.
func TestDialDuplicateAddress(t *testing.T) {
	ts := startServer(t, RouterConfig{}, nil)
	iid := [8]byte{0, 0, 0, 0, 0, 0, 0x12, 0x34}
	a := ts.dial(t, func(c *ClientConfig) { c.InterfaceID = iid })
	eventually(t, func() bool { o, ok := ts.router.Owner(a.Addr()); return ok && o != nil }, "A's address claimed")
	b := ts.dial(t, func(c *ClientConfig) { c.InterfaceID = iid })
	assert.Equal(t, a.Addr(), b.Addr())
	_, err := b.ReadPacket(make([]byte, MaxPacketLen))
	assert.ErrorIs(t, err, ErrDuplicateAddress)
}

// The client answers Neighbor Solicitations for its own addresses and
// keeps them away from the host.
func TestConnAnswersNS(t *testing.T) {
	ts := startServer(t, RouterConfig{Mode: AuthCertificates}, func(s *Server) {
		s.TLSConfig.ClientAuth = tls.RequireAndVerifyClientCert
		s.TLSConfig.ClientCAs = pkiCAPool(t)
	})
	cert := pkiCA.issue(t, "client", true, time.Now().Add(time.Hour))
	withCert := func(c *ClientConfig) { c.TLSConfig.Certificates = []tls.Certificate{cert} }
	a, b := ts.dial(t, withCert), ts.dial(t, withCert)
	// A reads, as Client.Run does: the NS is answered inside Read and not
	// returned.
	got := make(chan []byte, 10)
	go func() {
		buf := make([]byte, MaxPacketLen)
		for {
			n, err := a.ReadPacket(buf)
			if err != nil {
				close(got)
				return
			}
			got <- append([]byte(nil), buf[:n]...)
		}
	}()
	// B resolves A (mode Certificates forwards the multicast NS).
	require.NoError(t, b.WritePacket(nsPkt(t, b.Addr(), solicitedNode(a.Addr()), a.Addr())))
	p := readPacket(t, b)
	ip, err := packet.ParseIPv6(p)
	require.NoError(t, err)
	msg, err := packet.ParseICMPv6(ip)
	require.NoError(t, err)
	na, err := packet.ParseNeighborAdvertisement(msg)
	require.NoError(t, err)
	assert.Equal(t, a.Addr(), na.Target())
	assert.True(t, na.Solicited())
	assert.False(t, na.Router())
	a.Close()
	for p := range got {
		// B's own RS and DAD probe are flooded to A's host (mode
		// Certificates), but not the NS for A.
		ip, err := packet.ParseIPv6(p)
		require.NoError(t, err)
		msg, err := packet.ParseICMPv6(ip)
		require.NoError(t, err)
		if ns, err := packet.ParseNeighborSolicitation(msg); err == nil {
			assert.NotEqual(t, a.Addr(), ns.Target(), "the NS for A was answered, not passed on")
		}
	}
}

func pkiCAPool(tb testing.TB) *x509.CertPool {
	ca, _ := testPKI(tb)
	return ca.pool
}

// fakeTLSServer accepts one connection, reads the request head and hands
// the connection and the packet stream to serve.
func fakeTLSServer(t *testing.T, serve func(c net.Conn, rd *Reader)) *testServer {
	ca, cert := testPKI(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, DefaultReadBufferSize)
		_, rest, err := ReadRequestHead(c, buf, nil)
		if err != nil {
			return
		}
		rd, _ := NewReader(c, buf, rest)
		serve(c, rd)
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return &testServer{addr: ln.Addr().String(), ca: ca, cert: cert}
}

// Responses as middleboxes rewrite them (iphttps.md report section 9, case
// 6; section 6: HAProxy in HTTP mode lowercases names and adds Connection:
// close).
func TestDialResponseVariants(t *testing.T) {
	ra := hx(t, vecRA)
	for _, tc := range []struct {
		name string
		resp string
		err  error
		eof  bool // the stream ends after the RA
	}{
		{"HAProxy HTTP mode", "HTTP/1.1 200 OK\r\nserver: Microsoft-HTTPAPI/2.0\r\ndate: Sun, 10 Aug 2008 03:51:52 GMT\r\nconnection: close\r\n\r\n", nil, false},
		{"HTTP/1.0 and another reason", "HTTP/1.0 200 Connection established\r\n\r\n", nil, false},
		{"length added by a proxy", "HTTP/1.1 200 OK\r\nContent-Length: 96\r\n\r\n", nil, true},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", ErrTransferEncoding, false},
		{"401", "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n", ErrStatus, false},
		{"not HTTP", "SSH-2.0-OpenSSH_9.2\r\n\r\n", ErrBadStatusLine, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := fakeTLSServer(t, func(c net.Conn, rd *Reader) {
				c.Write(append([]byte(tc.resp), ra...))
				if tc.eof {
					return
				}
				for {
					if _, err := rd.Next(); err != nil {
						return
					}
				}
			})
			c, err := Dial(context.Background(), fs.clientConfig())
			if tc.err != nil {
				assert.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			defer c.Close()
			assert.Equal(t, testPrefix, c.Prefix())
			if tc.eof {
				_, err := c.ReadPacket(make([]byte, MaxPacketLen))
				assert.ErrorIs(t, err, io.EOF, "the length bounds the stream")
			}
		})
	}
}

// Without an advertisement the client solicits three times (RFC 4861
// §6.3.7), then gives up; an advertisement without a usable prefix is no
// better.
func TestDialNoRouterAdvertisement(t *testing.T) {
	var rs atomic.Int32
	fs := fakeTLSServer(t, func(c net.Conn, rd *Reader) {
		c.Write([]byte("HTTP/1.1 200 OK\r\n\r\n"))
		// An RA whose prefix is not autonomous: useless.
		bad := must(t)(packet.AppendRouterAdvertisement(nil, netip.MustParseAddr("fe80::1"), allNodes, &packet.RAFields{
			RouterLifetime: 1800, Prefixes: []packet.PrefixInfo{{Prefix: testPrefix, OnLink: true, ValidLifetime: 100}}}))
		c.Write(bad)
		for {
			p, err := rd.Next()
			if err != nil {
				return
			}
			if len(p) > 40 && p[40] == packet.ICMPv6RouterSolicitation {
				rs.Add(1)
			}
		}
	})
	cfg := fs.clientConfig()
	cfg.SetupTimeout = 2 * time.Second
	cfg.RSInterval = 20 * time.Millisecond
	_, err := Dial(context.Background(), cfg)
	assert.ErrorIs(t, err, ErrNoRouterAdvertisement)
	eventually(t, func() bool { return rs.Load() == 3 }, "three solicitations")
}

// startProxy runs an HTTP CONNECT proxy on 127.0.0.1. If user is set it
// requires those Basic credentials; refuse makes it answer 403, hangUp
// answer 200 and close.
func startProxy(t *testing.T, user, pass string, refuse, hangUp bool) *url.URL {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil || req.Method != http.MethodConnect {
					return
				}
				want := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
				switch {
				case user != "" && req.Header.Get("Proxy-Authorization") != want:
					io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"t\"\r\nContent-Length: 0\r\n\r\n")
					return
				case refuse:
					io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
					return
				case hangUp:
					// Half-close, then read what comes: closing with the
					// client's TLS hello unread would send a reset
					// (ECONNRESET) or a FIN (EOF), by the race.
					io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
					c.(*net.TCPConn).CloseWrite()
					io.Copy(io.Discard, br)
					return
				}
				up, err := net.Dial("tcp", req.Host)
				if err != nil {
					io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
					return
				}
				defer up.Close()
				io.WriteString(c, "HTTP/1.1 200 Connection established\r\nProxy-Agent: test\r\n\r\n")
				go func() { io.Copy(up, br); up.(*net.TCPConn).CloseWrite() }()
				io.Copy(c, up)
			}()
		}
	}()
	return &url.URL{Scheme: "http", Host: ln.Addr().String()}
}

// CONNECT through a proxy ([MS-IPHTTPS] §1.3, §3.1.5.1) and iphttps.md
// report section 9, case 7.
func TestDialProxy(t *testing.T) {
	ts := startServer(t, RouterConfig{}, nil)
	withAuth := func(u *url.URL, user, pass string) *url.URL {
		u.User = url.UserPassword(user, pass)
		return u
	}
	for _, tc := range []struct {
		name  string
		proxy *url.URL
		err   error
	}{
		{"open proxy", startProxy(t, "", "", false, false), nil},
		{"Basic authentication", withAuth(startProxy(t, "alice", "s3cr:t", false, false), "alice", "s3cr:t"), nil},
		{"no credentials", startProxy(t, "alice", "pw", false, false), ErrProxyAuth},
		{"wrong credentials", withAuth(startProxy(t, "alice", "pw", false, false), "alice", "nope"), ErrProxyAuth},
		{"refused", startProxy(t, "", "", true, false), ErrProxy},
		{"200 then hang up", startProxy(t, "", "", false, true), io.EOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ts.clientConfig()
			cfg.Proxy = tc.proxy
			c, err := Dial(context.Background(), cfg)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				var se *StatusError
				if errors.As(err, &se) {
					assert.True(t, se.Proxy)
				}
				return
			}
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, c.WritePacket(echoReq(t, c.LinkLocal(), c.Router(), 1)))
			readPacket(t, c)
		})
	}
}

// failDialer fails its first n dials, then dials for real.
type failDialer struct {
	n     atomic.Int32
	dials atomic.Int32
}

func (d *failDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.dials.Add(1)
	if d.n.Add(-1) >= 0 {
		return nil, errors.New("test: connection refused")
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

// The reconnect schedule of [MS-IPHTTPS] §3.1.2.1 through Client.Run with a
// fake clock (iphttps.md report section 9, case 12): failed attempts wait
// 30, 30, 60, 120 s (they fail at once); the link comes up and the timer
// resets; the link is lost and the next wait is 30 s again.
func TestClientReconnectSchedule(t *testing.T) {
	ts := startServer(t, RouterConfig{}, nil)
	d := &failDialer{}
	d.n.Store(4)
	cfg := ts.clientConfig()
	cfg.Dialer = d
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	clock := t0
	var waits []time.Duration
	var states []State
	up := make(chan *Conn, 1)
	cl := &Client{
		Config: *cfg,
		OnEvent: func(e Event) {
			states = append(states, e.State)
			if e.State == StateLinkUp {
				up <- e.Conn
			}
		},
		now: func() time.Time { return clock },
		sleep: func(ctx context.Context, d time.Duration) error {
			waits = append(waits, d)
			clock = clock.Add(d)
			if len(waits) == 5 {
				cancel()
				return ctx.Err()
			}
			return nil
		},
	}
	dev := newFakeDevice()
	defer dev.Close()
	errc := make(chan error, 1)
	go func() { errc <- cl.Run(ctx, dev) }()

	var conn *Conn
	select {
	case conn = <-up:
	case <-time.After(20 * time.Second):
		t.Fatal("link never came up")
	}
	assert.True(t, testPrefix.Contains(conn.Addr()))
	ts.router.CloseAll() // the server drops the link
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return")
	}
	assert.Equal(t, secs(30, 30, 60, 120, 30), waits)
	assert.Equal(t, []State{
		StateLinkDown, StateWaiting, StateLinkDown, StateWaiting, StateLinkDown, StateWaiting,
		StateLinkDown, StateWaiting, StateLinkDown, StateLinkUp, StateWaiting,
	}, states)
	assert.Equal(t, int32(5), d.dials.Load())
}

// Client.Run moves packets between the local device and the link, and keeps
// the address across reconnections.
func TestClientRunPumps(t *testing.T) {
	ts := startServer(t, RouterConfig{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	up := make(chan *Conn, 4)
	cl := &Client{
		Config:  *ts.clientConfig(),
		Backoff: Backoff{Initial: time.Millisecond, Max: time.Millisecond},
		OnEvent: func(e Event) {
			if e.State == StateLinkUp {
				up <- e.Conn
			}
		},
	}
	dev := newFakeDevice()
	errc := make(chan error, 1)
	go func() { errc <- cl.Run(ctx, dev) }()
	defer func() {
		cancel()
		<-errc
		dev.Close()
	}()
	conn := <-up
	ext := netip.MustParseAddr("2001:db8:ffff::1")

	req := echoReq(t, conn.Addr(), ext, 1)
	dev.inject(req)
	assert.Equal(t, req, ts.native.next(t), "host → server's native side")
	reply := must(t)(packet.AppendEchoReply(nil, ext, conn.Addr(), 60, 0x4242, 1, []byte("transit6 ping")))
	ts.native.inject(reply)
	assert.Equal(t, reply, dev.next(t), "native side → host")

	// The server drops the link: the client comes back with the same address.
	addr := conn.Addr()
	ts.router.CloseAll()
	select {
	case conn = <-up:
	case <-time.After(20 * time.Second):
		t.Fatal("no reconnection")
	}
	assert.Equal(t, addr, conn.Addr())
	eventually(t, func() bool { _, ok := ts.router.Owner(addr); return ok }, "address claimed again")
	ts.native.inject(reply)
	assert.Equal(t, reply, dev.next(t))
}
