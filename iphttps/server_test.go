package iphttps

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/packet"
)

// readResponse reads a response head from c and returns it with the
// packet stream after it.
func readResponse(tb testing.TB, c net.Conn) (ResponseHead, *Reader, error) {
	tb.Helper()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	buf := make([]byte, DefaultReadBufferSize)
	h, rest, err := ReadResponseHead(c, buf[:DefaultMaxHeadLen], nil)
	if err != nil && !errors.Is(err, ErrStatus) {
		return h, nil, err
	}
	rd, rerr := NewReader(c, nil, rest) // the head aliases buf
	require.NoError(tb, rerr)
	return h, rd, err
}

// Request heads of iphttps.md report section 9, cases 1 and 3, sent by
// hand through a real TLS connection: the accepted ones get the 200 of
// [MS-IPHTTPS] §4.1 and then the Router Advertisement; the refused ones an
// error status and the end of the connection.
func TestServerHeadVariants(t *testing.T) {
	ts := startServer(t, RouterConfig{}, nil)
	any := startServer(t, RouterConfig{}, func(s *Server) { s.Path = "*" })
	const cl = "Content-Length: 18446744073709551615\r\n"
	for _, tc := range []struct {
		name   string
		srv    *testServer
		head   string
		status int
	}{
		{"scanner request", ts, string(hx(t, vecScannerRequestHex)), 200},
		{"spec example, any path", any, vecSpecRequest, 200},
		{"spec example, default path", ts, vecSpecRequest, 404},
		{"lower-case path", ts, "POST /iphttps HTTP/1.1\r\nHost: h\r\n" + cl + "\r\n", 200},
		{"mixed-case path", ts, "POST /IPHTTPs HTTP/1.1\r\nHost: h\r\n" + cl + "\r\n", 200},
		{"absolute-form", ts, "POST https://localhost/IPHTTPS HTTP/1.1\r\nHost: localhost\r\n" + cl + "\r\n", 200},
		{"query string", ts, "POST /IPHTTPS?x=1 HTTP/1.1\r\nHost: h\r\n" + cl + "\r\n", 200},
		{"HTTP/1.0 without Host", ts, "POST /IPHTTPS HTTP/1.0\r\n" + cl + "\r\n", 200},
		{"IP literal Host and extra fields", ts, "POST /IPHTTPS HTTP/1.1\r\nUser-Agent: MSRPC\r\nHost: [2001:db8::1]:443\r\n" + cl +
			"Content-Type: application/octet-stream\r\nConnection: Keep-Alive\r\n\r\n", 200},
		{"bare LF (ip-https-tools)", ts, "POST /IPHTTPS HTTP/1.1\nHost: vpn1.contoso.com\nContent-Length: 18446744073709551615\n\n", 200},
		{"finite length", ts, "POST /IPHTTPS HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n", 200},
		{"length overflow", ts, "POST /IPHTTPS HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551616\r\n\r\n", 400},
		{"length -1", ts, "POST /IPHTTPS HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400},
		{"length +1", ts, "POST /IPHTTPS HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n", 400},
		{"length with inner space", ts, "POST /IPHTTPS HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n", 400},
		{"two lengths", ts, "POST /IPHTTPS HTTP/1.1\r\nHost: h\r\n" + cl + cl + "\r\n", 400},
		{"length and chunked", ts, "POST /IPHTTPS HTTP/1.1\r\nHost: h\r\n" + cl + "Transfer-Encoding: chunked\r\n\r\n", 400},
		{"chunked", ts, "POST /IPHTTPS HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
		{"no length", ts, "POST /IPHTTPS HTTP/1.1\r\nHost: h\r\n\r\n", 400},
		{"no Host", ts, "POST /IPHTTPS HTTP/1.1\r\n" + cl + "\r\n", 400},
		{"GET", ts, "GET /IPHTTPS HTTP/1.1\r\nHost: h\r\n" + cl + "\r\n", 405},
		{"PUT", ts, "PUT /IPHTTPS HTTP/1.1\r\nHost: h\r\n" + cl + "\r\n", 405},
		{"trailing slash", ts, "POST /IPHTTPS/ HTTP/1.1\r\nHost: h\r\n" + cl + "\r\n", 404},
		{"HTTP/2.0", ts, "POST /IPHTTPS HTTP/2.0\r\nHost: h\r\n" + cl + "\r\n", 505},
		{"head over 8 KiB", ts, "POST /IPHTTPS HTTP/1.1\r\nHost: h\r\nX-Pad: " + strings.Repeat("x", 9000) + "\r\n" + cl + "\r\n", 431},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.srv.rawTLS(t)
			_, err := io.WriteString(c, tc.head)
			require.NoError(t, err)
			h, rd, err := readResponse(t, c)
			if tc.status != 200 {
				require.ErrorIs(t, err, ErrStatus)
				assert.Equal(t, tc.status, h.StatusCode())
				_, err = readUntilClosed(t, c)
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "HTTP/1.1", string(h.Proto()))
			sv, _ := h.Server()
			assert.Equal(t, DefaultServer, string(sv))
			date, ok := h.Date()
			require.True(t, ok)
			_, err = time.Parse(time.RFC1123, string(date))
			assert.NoError(t, err, "Date is an HTTP date")
			_, hasCL := h.ContentLength()
			assert.False(t, hasCL, "no Content-Length: the body is the stream")
			_, hasTE := h.Header("Transfer-Encoding")
			assert.False(t, hasTE)
			p, err := rd.Next()
			require.NoError(t, err)
			assert.Equal(t, hx(t, vecRA), p, "the first Router Advertisement follows the head")
		})
	}
	assert.Equal(t, uint64(15), ts.srv.Stats().HeadErrors+any.srv.Stats().HeadErrors, "one per refused head")
}

// iphttps.md report section 9, case 2: the head split across TLS records
// byte by byte, and the head and the first packet in one record.
func TestServerRecordsSplitAndMerged(t *testing.T) {
	ts := startServer(t, RouterConfig{}, nil)
	head := hx(t, vecScannerRequestHex)
	rs := hx(t, vecRS)

	t.Run("one record per byte", func(t *testing.T) {
		c := ts.rawTLS(t)
		for _, b := range append(bytes.Clone(head), rs...) {
			_, err := c.Write([]byte{b}) // each Write is a TLS record
			require.NoError(t, err)
		}
		_, rd, err := readResponse(t, c)
		require.NoError(t, err)
		for range 2 { // the initial RA, then the solicited one
			p, err := rd.Next()
			require.NoError(t, err)
			assert.Equal(t, hx(t, vecRA), p)
		}
	})
	t.Run("head and packets in one record", func(t *testing.T) {
		// Another source than the first subtest's, whose session may not be
		// gone yet (its address would still be taken).
		c := ts.rawTLS(t)
		me := llAddr(0x2222)
		echo := echoReq(t, me, netipMust("fe80::1"), 9)
		_, err := c.Write(append(append(bytes.Clone(head), rsPkt(t, me)...), echo...))
		require.NoError(t, err)
		_, rd, err := readResponse(t, c)
		require.NoError(t, err)
		var got [][]byte
		for range 3 {
			p, err := rd.Next()
			require.NoError(t, err)
			got = append(got, bytes.Clone(p))
		}
		reply := must(t)(packet.AppendEchoReply(nil, netipMust("fe80::1"), me, 64, 0x4242, 9, []byte("transit6 ping")))
		assert.Equal(t, [][]byte{hx(t, vecRA), hx(t, vecRA), reply}, got)
	})
}

// iphttps.md report section 9, case 4, and section 5.6: a client that never
// finishes the handshake or the head is cut off after HeadTimeout; after the
// 200 there is no deadline.
func TestServerSlowloris(t *testing.T) {
	const timeout = 150 * time.Millisecond
	ts := startServer(t, RouterConfig{}, func(s *Server) { s.HeadTimeout = timeout })

	t.Run("no ClientHello", func(t *testing.T) {
		c, err := net.Dial("tcp", ts.addr)
		require.NoError(t, err)
		defer c.Close()
		_, err = readUntilClosed(t, c)
		assert.Error(t, err)
	})
	t.Run("half a head", func(t *testing.T) {
		c := ts.rawTLS(t)
		_, err := io.WriteString(c, "POST /IPHTTPS HTTP/1.1\r\nHost: da.example.com\r\n")
		require.NoError(t, err)
		got, err := readUntilClosed(t, c)
		assert.Error(t, err)
		assert.Empty(t, got, "no response, just the end")
	})
	t.Run("one byte at a time, forever", func(t *testing.T) {
		c := ts.rawTLS(t)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for _, b := range []byte("POST /IPHTTPS HTTP/1.1\r\nX-Slow: " + strings.Repeat("a", 1000)) {
				if _, err := c.Write([]byte{b}); err != nil {
					return
				}
				time.Sleep(timeout / 10)
			}
		}()
		_, err := readUntilClosed(t, c)
		assert.Error(t, err)
		c.Close()
		<-done
	})
	eventually(t, func() bool { return ts.srv.Stats().HeadTimeouts >= 3 }, "head timeouts counted")
	assert.Equal(t, 0, ts.router.NumClients())

	t.Run("no deadline after the 200", func(t *testing.T) {
		c := ts.dial(t, nil)
		time.Sleep(3 * timeout)
		require.NoError(t, c.WritePacket(echoReq(t, c.LinkLocal(), c.Router(), 1)))
		p := readPacket(t, c)
		ip, err := packet.ParseIPv6(p)
		require.NoError(t, err)
		assert.Equal(t, c.Router(), ip.Src())
	})
}

// openTunnel sends the scanner's head on a raw TLS connection and reads the
// 200 and the first RA.
func openTunnel(tb testing.TB, ts *testServer) (*tls.Conn, *Reader) {
	tb.Helper()
	c := ts.rawTLS(tb)
	_, err := c.Write(hx(tb, vecScannerRequestHex))
	require.NoError(tb, err)
	_, rd, err := readResponse(tb, c)
	require.NoError(tb, err)
	p, err := rd.Next()
	require.NoError(tb, err)
	require.Equal(tb, hx(tb, vecRA), p)
	return c, rd
}

// iphttps.md report section 9, case 5: framing through a real connection.
// Data that cannot be framed ends the session ([MS-IPHTTPS] §3.2.5.2.2);
// odd but valid packets do not.
func TestServerFraming(t *testing.T) {
	ts := startServer(t, RouterConfig{}, nil)
	me := llAddr(0x77)
	hdr := func(plen int, nh byte) []byte {
		h := packet.IPv6Header{NextHeader: nh, HopLimit: 255, Src: me, Dst: netipMust("fe80::1")}
		return append(must(t)(h.AppendTo(nil, plen)), make([]byte, plen)...)
	}
	ends := func(t *testing.T, stream []byte) {
		c, _ := openTunnel(t, ts)
		_, err := c.Write(stream)
		require.NoError(t, err)
		_, err = readUntilClosed(t, c)
		assert.Error(t, err)
		eventually(t, func() bool { return ts.router.NumClients() == 0 }, "session removed")
	}
	t.Run("IPv4 packet", func(t *testing.T) {
		ends(t, hx(t, "45 00 00 1c 0000 0000 40 01 0000 c0000201 c0000202 0800f7ff00000000"))
	})
	t.Run("jumbogram", func(t *testing.T) {
		ends(t, append(hdr(0, packet.ProtoHopByHop), hx(t, "3a 00 c2 04 00 01 00 00")...))
	})
	t.Run("truncated by EOF", func(t *testing.T) {
		c, _ := openTunnel(t, ts)
		_, err := c.Write(hdr(100, packet.ProtoNoNext)[:70])
		require.NoError(t, err)
		require.NoError(t, c.CloseWrite())
		_, err = readUntilClosed(t, c)
		assert.Error(t, err)
		eventually(t, func() bool { return ts.router.NumClients() == 0 }, "session removed")
	})
	t.Run("valid oddities", func(t *testing.T) {
		c, rd := openTunnel(t, ts)
		var stream []byte
		stream = append(stream, hdr(0, packet.ProtoNoNext)...) // Payload Length 0, No Next Header
		for range 10000 {                                      // 10,000 tiny packets in few records
			stream = append(stream, hdr(0, packet.ProtoNoNext)...)
		}
		stream = append(stream, hdr(65535, packet.ProtoNoNext)...) // the largest packet
		stream = append(stream, echoReq(t, me, netipMust("fe80::1"), 5)...)
		_, err := c.Write(stream)
		require.NoError(t, err)
		p, err := rd.Next()
		require.NoError(t, err)
		ip, err := packet.ParseIPv6(p)
		require.NoError(t, err)
		assert.Equal(t, me, ip.Dst(), "the echo, after all of them, is answered")
		info := ts.router.Clients()
		require.Len(t, info, 1)
		assert.Equal(t, uint64(10003), info[0].RxPackets)
	})
}

// slowListener makes the kernel buffers of accepted TCP connections small,
// so that a client that stops reading blocks its writer quickly.
type slowListener struct{ net.Listener }

func (l slowListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

// iphttps.md report section 9, case 11, and section 5.7: a client that
// stops reading fills its own queue and loses packets (tail drop,
// counted); the other clients keep getting theirs.
func TestServerBackpressure(t *testing.T) {
	r, err := NewRouter(RouterConfig{Prefix: testPrefix, QueueBytes: 16 << 10})
	require.NoError(t, err)
	_, cert := testPKI(t)
	ca, _ := testPKI(t)
	tcfg, err := ServerTLSConfig(TLSOptions{Certificates: []tls.Certificate{cert}})
	require.NoError(t, err)
	native := newFakeDevice()
	srv := &Server{Router: r, TLSConfig: tcfg, Native: native}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(slowListener{ln})
	t.Cleanup(func() { srv.Close(); native.Close() })
	ts := &testServer{srv: srv, router: r, native: native, addr: ln.Addr().String(), ca: ca, cert: cert}

	// A: a raw client with a small receive buffer that reads the 200 and
	// then nothing.
	raw, err := net.Dial("tcp", ts.addr)
	require.NoError(t, err)
	raw.(*net.TCPConn).SetReadBuffer(4096)
	a := tls.Client(raw, &tls.Config{RootCAs: ca.pool, ServerName: "localhost"})
	t.Cleanup(func() { a.Close() })
	_, err = a.Write(append(hx(t, vecScannerRequestHex), dadPkt(t, addrIn(0xa))...))
	require.NoError(t, err)
	_, _, err = readResponse(t, a)
	require.NoError(t, err)
	eventually(t, func() bool { _, ok := r.Owner(addrIn(0xa)); return ok }, "A's address known")

	// B: a normal client.
	b := ts.dial(t, nil)

	ext := netipMust("2001:db8:ffff::1")
	toA := udpPkt(t, ext, addrIn(0xa), 1200)
	aDrops := func() uint64 {
		for _, ci := range r.Clients() {
			for _, x := range ci.Addrs {
				if x == addrIn(0xa) {
					return ci.Drops
				}
			}
		}
		return 0
	}
	for i := 0; aDrops() == 0; i++ {
		require.Less(t, i, 100000, "A's queue never filled")
		native.inject(toA)
		if i%64 == 63 {
			eventually(t, func() bool { return len(native.in) == 0 }, "native drained")
		}
	}
	assert.Positive(t, r.Dropped(DropQueueFull))

	// B still gets every packet, while A stays stuck.
	for i := range 200 {
		native.inject(echoReq(t, ext, b.Addr(), uint16(i)))
		p := readPacket(t, b)
		ip, err := packet.ParseIPv6(p)
		require.NoError(t, err)
		require.Equal(t, b.Addr(), ip.Dst())
		msg, err := packet.ParseICMPv6(ip)
		require.NoError(t, err)
		_, seq, _, err := msg.Echo()
		require.NoError(t, err)
		require.Equal(t, uint16(i), seq)
	}
	for _, ci := range r.Clients() {
		assert.LessOrEqual(t, ci.Queued, 16<<10, "queues stay bounded")
	}
}

// Hard case 10 and [MS-IPHTTPS] §3.2.5.1: with the Client Table full the
// server disconnects, without an HTTP response.
func TestServerClientTableFull(t *testing.T) {
	ts := startServer(t, RouterConfig{MaxClients: 1}, nil)
	ts.dial(t, nil)
	c := ts.rawTLS(t)
	_, err := c.Write(hx(t, vecScannerRequestHex))
	require.NoError(t, err)
	got, err := readUntilClosed(t, c)
	assert.Error(t, err)
	assert.Empty(t, got, "a plain close")
	eventually(t, func() bool { return ts.srv.Stats().RejectedFull == 1 }, "counted")
}

// [MS-IPHTTPS] §3.2.7.1: changing the Authentication Mode drops every
// connection; §3.2.7.3: so does shutdown.
func TestServerModeChangeAndShutdown(t *testing.T) {
	ts := startServer(t, RouterConfig{}, nil)
	a, b := ts.dial(t, nil), ts.dial(t, nil)
	ts.router.SetMode(AuthCertificates)
	for _, c := range []*Conn{a, b} {
		_, err := c.ReadPacket(make([]byte, MaxPacketLen))
		assert.Error(t, err)
	}
	ts.router.SetMode(AuthNone)
	c := ts.dial(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, ts.srv.Shutdown(ctx))
	_, err := c.ReadPacket(make([]byte, MaxPacketLen))
	assert.Error(t, err)
	assert.ErrorIs(t, <-ts.errc, ErrServerClosed)
	assert.Equal(t, 0, ts.router.NumClients())
}

func TestServerAuthModeMismatch(t *testing.T) {
	r, err := NewRouter(RouterConfig{Prefix: testPrefix, Mode: AuthCertificates})
	require.NoError(t, err)
	_, cert := testPKI(t)
	tcfg, err := ServerTLSConfig(TLSOptions{Certificates: []tls.Certificate{cert}})
	require.NoError(t, err)
	srv := &Server{Router: r, TLSConfig: tcfg}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	assert.ErrorIs(t, srv.Serve(ln), ErrAuthMode)
	assert.ErrorIs(t, (&Server{}).Serve(ln), ErrInvalidConfig)
}

// Plain HTTP behind a TLS terminator ([MS-IPHTTPS] §1.3, §5.1).
func TestServerPlainHTTP(t *testing.T) {
	ts := startServer(t, RouterConfig{}, func(s *Server) { s.TLSConfig = nil })
	c := ts.dial(t, func(cfg *ClientConfig) { cfg.URL = "http://" + ts.addr + "/IPHTTPS" })
	assert.True(t, testPrefix.Contains(c.Addr()))
	assert.Equal(t, DefaultServer, c.ServerHeader())
}

func TestServerStatus(t *testing.T) {
	ts := startServer(t, RouterConfig{}, nil)
	c := ts.dial(t, nil)
	eventually(t, func() bool {
		st := ts.srv.Status()
		return len(st.Clients) == 1 && len(st.Clients[0].Addrs) == 2
	}, "the client's addresses are known")
	st := ts.srv.Status()
	assert.Equal(t, "none", st.Mode)
	assert.Equal(t, testPrefix, st.Prefix)
	assert.ElementsMatch(t, []any{c.LinkLocal(), c.Addr()}, []any{st.Clients[0].Addrs[0], st.Clients[0].Addrs[1]})
	assert.Equal(t, c.LocalAddr().String(), st.Clients[0].Remote)
	assert.Equal(t, uint64(1), st.Server.Sessions)
	assert.Contains(t, st.Drops, "queue-full")
	assert.NotContains(t, st.Drops, "none")
}
