package iphttps

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Device is a packet device with the batch interface of wireguard-go's
// tun.Device, which transit6's internal/tun also implements: Read fills
// bufs[i][offset:] with one packet each and sizes[i] with its length and
// returns how many it read, waiting for the first only; Write writes the
// packets bufs[i][offset:] and returns how many it wrote. Read and Write
// may be called concurrently, and Write by several goroutines at once.
//
// The server's native side (a TUN toward the real network) and the
// client's local side (the TUN its host routes through the tunnel) are
// Devices; tests use in-memory ones.
type Device interface {
	Read(bufs [][]byte, sizes []int, offset int) (n int, err error)
	Write(bufs [][]byte, offset int) (n int, err error)
}

// Defaults of Server.
const (
	DefaultHeadTimeout  = 10 * time.Second // TLS handshake and request head (iphttps.md report section 5.6)
	DefaultKeepAlive    = 30 * time.Second // TCP keepalive idle time and interval
	DefaultMaxPending   = 256              // connections in handshake or head at once
	DefaultNativeBatch  = 32               // packets per native Read and at most per Write
	DefaultTickInterval = time.Second      // how often the server calls Router.Tick
	writeChunk          = 64 << 10         // bytes per Write of the send queue
)

// Server is an IP-HTTPS server ([MS-IPHTTPS] §3.2): it accepts
// connections, reads each client's request head, answers 200, and then
// moves packets between the client's connection and its Router, and
// between the Router and the native Device. It does not use net/http,
// which cannot carry IP-HTTPS (iphttps.md report sections 5.1 and 5.2).
//
// Each connection has a deadline of HeadTimeout for the TLS handshake, the
// request head and the response head (against clients that never finish,
// "slowloris"), and none afterwards: the tunnel lives as long as TCP does,
// kept alive by TCP keepalive (report section 5.6). Then a reader
// goroutine frames the client's stream (Reader) and hands each packet to
// the Router, and a writer goroutine sends the client's send queue, which
// the Router fills without ever waiting for a slow client (report section
// 5.7).
//
// Memory is bounded: at most MaxPending connections before their 200, each
// holding ReadBufferSize bytes, and at most RouterConfig.MaxClients
// sessions, each holding ReadBufferSize plus RouterConfig.QueueBytes (plus
// the TLS and socket buffers of the runtime and the kernel).
//
// Set the fields before calling Serve, and do not change them afterwards.
type Server struct {
	// Router routes the packets; required.
	Router *Router

	// TLSConfig, if not nil, makes the server speak TLS (see
	// ServerTLSConfig). If nil the server speaks plain HTTP, behind a TLS
	// terminator ([MS-IPHTTPS] §1.3, §5.1).
	TLSConfig *tls.Config

	// Native is the device toward the real network: packets the router
	// sends off-link are written to it, and packets read from it go to the
	// client owning their destination. If nil, off-link packets are
	// dropped (DropNoRoute).
	Native Device

	// NativeOffset is the offset given to Native's Read and Write (the
	// headroom a device may need in front of each packet); with 0, packets
	// are written to Native straight from the connection's buffer.
	NativeOffset int

	// NativeMTU is the largest packet read from Native; 0 means
	// MaxPacketLen.
	NativeMTU int

	// NativeBatch is the number of packets per Read from Native, and at
	// most per Write to it; 0 means DefaultNativeBatch.
	NativeBatch int

	// ServerHeader is the Server field of the 200 response; empty means
	// DefaultServer, Microsoft-HTTPAPI/2.0, which nmap's ip-https-discover
	// and Windows administrators look for (iphttps.md report sections 1.3
	// and 4).
	ServerHeader string

	// Path is the request path accepted, ignoring case; empty means
	// DefaultPath (/IPHTTPS), "*" any path (the specification's example
	// uses /IPTLS).
	Path string

	// AllowNoContentLength accepts requests without Content-Length (see
	// RequestOptions).
	AllowNoContentLength bool

	// MaxHeadLen bounds the request head; 0 means DefaultMaxHeadLen.
	MaxHeadLen int

	// HeadTimeout bounds the time from accept to the end of the 200
	// response: TLS handshake, request head and response head. 0 means
	// DefaultHeadTimeout.
	HeadTimeout time.Duration

	// KeepAlive is the TCP keepalive idle time and probe interval of
	// accepted TCP connections; 0 means DefaultKeepAlive, negative leaves
	// the listener's setting.
	KeepAlive time.Duration

	// MaxPending bounds the connections not yet answered 200; more are
	// closed at once. 0 means DefaultMaxPending.
	MaxPending int

	// ReadBufferSize is the buffer of each connection, for the head and
	// then the packet stream; 0 means MinReadBufferSize + 16 KiB, less
	// than MinReadBufferSize is raised to it.
	ReadBufferSize int

	// TickInterval is how often the server calls Router.Tick; 0 means
	// DefaultTickInterval.
	TickInterval time.Duration

	// Logger receives connection events at Debug level and errors at
	// Warn; nil discards them.
	Logger *slog.Logger

	// Now is the clock; nil means time.Now.
	Now func() time.Time

	init      sync.Once
	initErr   error
	reqOpts   RequestOptions
	pending   chan struct{}
	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
	wg        sync.WaitGroup
	bg        sync.Once
	stop      chan struct{}
	stats     serverCounters
}

type serverCounters struct {
	accepted, rejectedPending, handshakeErrors, headErrors, headTimeouts,
	rejectedFull, sessions, nativeIn, nativeOut, nativeErrors atomic.Uint64
}

// ServerStats are the server's counters since it started.
type ServerStats struct {
	Accepted        uint64 `json:"accepted"`         // connections accepted
	RejectedPending uint64 `json:"rejected_pending"` // closed at once: MaxPending reached
	HandshakeErrors uint64 `json:"handshake_errors"` // TLS handshakes that failed (mode Certificates: no or bad client certificate)
	HeadErrors      uint64 `json:"head_errors"`      // request heads refused
	HeadTimeouts    uint64 `json:"head_timeouts"`    // connections closed by HeadTimeout
	RejectedFull    uint64 `json:"rejected_full"`    // closed because the Client Table was full
	Sessions        uint64 `json:"sessions"`         // connections answered 200
	NativeIn        uint64 `json:"native_in"`        // packets read from Native
	NativeOut       uint64 `json:"native_out"`       // packets written to Native
	NativeErrors    uint64 `json:"native_errors"`    // errors reading or writing Native
}

// Status is a snapshot of the server for `transit6 iphttps status`.
type Status struct {
	Mode    string            `json:"mode"`
	Prefix  netip.Prefix      `json:"prefix"`
	Clients []ClientInfo      `json:"clients"`
	Server  ServerStats       `json:"server"`
	Drops   map[string]uint64 `json:"drops"`
}

// Stats returns the server's counters.
func (s *Server) Stats() ServerStats {
	c := &s.stats
	return ServerStats{
		Accepted: c.accepted.Load(), RejectedPending: c.rejectedPending.Load(),
		HandshakeErrors: c.handshakeErrors.Load(), HeadErrors: c.headErrors.Load(),
		HeadTimeouts: c.headTimeouts.Load(), RejectedFull: c.rejectedFull.Load(),
		Sessions: c.sessions.Load(), NativeIn: c.nativeIn.Load(), NativeOut: c.nativeOut.Load(),
		NativeErrors: c.nativeErrors.Load(),
	}
}

// Status returns the connected clients with their addresses and counters,
// and the server's and router's counters.
func (s *Server) Status() Status {
	st := Status{Server: s.Stats(), Drops: map[string]uint64{}}
	if s.Router == nil {
		return st
	}
	cfg := s.Router.Config()
	st.Mode, st.Prefix = cfg.Mode.String(), cfg.Prefix
	st.Clients = s.Router.Clients()
	for i, n := range s.Router.Drops() {
		if i != int(NotDropped) {
			st.Drops[DropReason(i).String()] = n
		}
	}
	return st
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return discardLogger
}

var discardLogger = slog.New(slog.DiscardHandler)

func (s *Server) setup() error {
	s.init.Do(func() {
		if s.Router == nil {
			s.initErr = errors.Join(ErrInvalidConfig, errors.New("iphttps: Server.Router is nil"))
			return
		}
		if s.TLSConfig != nil && s.Router.Mode() == AuthCertificates && s.TLSConfig.ClientAuth != tls.RequireAndVerifyClientCert {
			s.initErr = ErrAuthMode
			return
		}
		if s.NativeOffset < 0 {
			s.initErr = errors.Join(ErrInvalidConfig, errors.New("iphttps: negative NativeOffset"))
			return
		}
		path := s.Path
		switch path {
		case "":
			path = DefaultPath
		case "*":
			path = ""
		}
		s.reqOpts = RequestOptions{MaxHeadLen: s.MaxHeadLen, Path: path, AllowNoContentLength: s.AllowNoContentLength}
		n := s.MaxPending
		if n <= 0 {
			n = DefaultMaxPending
		}
		s.pending = make(chan struct{}, n)
		s.listeners = make(map[net.Listener]struct{})
		s.conns = make(map[net.Conn]struct{})
		s.stop = make(chan struct{})
	})
	return s.initErr
}

// Serve accepts connections on l and serves each in its own goroutines
// until l fails or the server is shut down; it then returns ErrServerClosed
// or the Accept error. It returns ErrAuthMode at once if TLSConfig does not
// require client certificates while the router is in mode Certificates.
// Serve may be called for several listeners. The first call also starts
// the router's timer and, if Native is set, the native reader.
func (s *Server) Serve(l net.Listener) error {
	if err := s.setup(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()
	s.bg.Do(s.startBackground)

	var delay time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Temporary trouble such as EMFILE: wait a little, as net/http does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.logger().Warn("iphttps: accept", "err", err, "retry", delay)
			select {
			case <-time.After(delay):
			case <-s.stop:
				return ErrServerClosed
			}
			continue
		}
		delay = 0
		s.stats.accepted.Add(1)
		if !s.track(c) {
			c.Close()
			return ErrServerClosed
		}
		select {
		case s.pending <- struct{}{}:
		default:
			s.stats.rejectedPending.Add(1)
			s.untrack(c)
			c.Close()
			continue
		}
		s.wg.Add(1)
		go s.handle(c)
	}
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Close closes the listeners and every connection at once: every client
// is disconnected ([MS-IPHTTPS] §3.2.7.3). Native is not closed; close it
// afterwards to end the native reader.
func (s *Server) Close() error {
	if err := s.setup(); err != nil {
		return err
	}
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.stop)
	}
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	return nil
}

// Shutdown closes the server as Close does, then waits until every
// connection's goroutines have ended or ctx is done. IP-HTTPS has no
// graceful close: a session ends when its connection does.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.Close(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) startBackground() {
	tick := s.TickInterval
	if tick <= 0 {
		tick = DefaultTickInterval
	}
	go func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.Router.Tick(s.now())
			case <-s.stop:
				return
			}
		}
	}()
	if s.Native != nil {
		go s.nativeLoop()
	}
}

// nativeLoop moves packets from Native to the clients until Native fails
// for good or the server closes.
func (s *Server) nativeLoop() {
	n, off, mtu := s.NativeBatch, s.NativeOffset, s.NativeMTU
	if n <= 0 {
		n = DefaultNativeBatch
	}
	if mtu <= 0 {
		mtu = MaxPacketLen
	}
	bufs, sizes := make([][]byte, n), make([]int, n)
	for i := range bufs {
		bufs[i] = make([]byte, off+mtu)
	}
	pkts := make([][]byte, 0, n)
	var woken []*Session
	errs := 0
	for {
		k, err := s.Native.Read(bufs, sizes, off)
		pkts = pkts[:0]
		for i := range min(k, len(bufs)) {
			if sizes[i] < 0 || off+sizes[i] > len(bufs[i]) {
				continue
			}
			pkts = append(pkts, bufs[i][off:off+sizes[i]])
		}
		s.stats.nativeIn.Add(uint64(len(pkts)))
		// One wake-up per client per read: see Router.fromNativeBatch.
		woken = s.Router.fromNativeBatch(pkts, woken)
		clear(pkts)
		if err == nil {
			errs = 0
			continue
		}
		if s.isClosed() || errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) || errors.Is(err, io.EOF) {
			return
		}
		s.stats.nativeErrors.Add(1)
		if errs++; errs > 10 {
			select { // a device failing in a loop: do not spin
			case <-time.After(100 * time.Millisecond):
			case <-s.stop:
				return
			}
		}
	}
}

// errorStatus returns the status line of the response to a refused head,
// or "" to close without one.
func errorStatus(err error) string {
	switch {
	case errors.Is(err, ErrPath):
		return "404 Not Found"
	case errors.Is(err, ErrMethod):
		return "405 Method Not Allowed\r\nAllow: POST"
	case errors.Is(err, ErrHeadTooLarge):
		return "431 Request Header Fields Too Large"
	case errors.Is(err, ErrHTTPVersion):
		return "505 HTTP Version Not Supported"
	case errors.Is(err, ErrBadRequestLine), errors.Is(err, ErrBadTarget), errors.Is(err, ErrMalformedHeader),
		errors.Is(err, ErrObsFold), errors.Is(err, ErrBareCR), errors.Is(err, ErrBareLF),
		errors.Is(err, ErrTransferEncoding), errors.Is(err, ErrNoContentLength),
		errors.Is(err, ErrZeroContentLength), errors.Is(err, ErrBadContentLength),
		errors.Is(err, ErrContentLengthOverflow), errors.Is(err, ErrDuplicateContentLength),
		errors.Is(err, ErrConflictingContentLength), errors.Is(err, ErrNoHost), errors.Is(err, ErrDuplicateHost):
		return "400 Bad Request"
	}
	return ""
}

// handle serves one connection from accept to close.
func (s *Server) handle(raw net.Conn) {
	defer s.wg.Done()
	defer s.untrack(raw)
	defer raw.Close()
	pending := true
	release := func() {
		if pending {
			pending = false
			<-s.pending
		}
	}
	defer release()
	log := s.logger().With("remote", raw.RemoteAddr().String())

	if tc, ok := raw.(*net.TCPConn); ok && s.KeepAlive >= 0 {
		ka := s.KeepAlive
		if ka == 0 {
			ka = DefaultKeepAlive
		}
		tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: ka, Interval: ka, Count: 9})
	}
	headTimeout := s.HeadTimeout
	if headTimeout <= 0 {
		headTimeout = DefaultHeadTimeout
	}
	raw.SetDeadline(time.Now().Add(headTimeout))

	// Under TLS, so that the Reader can drain what has arrived (nowait.go).
	nw := newNoWaitConn(raw)
	var c net.Conn = nw
	var peer string
	if s.TLSConfig != nil {
		tc := tls.Server(nw, s.TLSConfig)
		if err := tc.Handshake(); err != nil {
			if isTimeout(err) {
				s.stats.headTimeouts.Add(1)
			} else {
				s.stats.handshakeErrors.Add(1)
			}
			log.Debug("iphttps: TLS handshake", "err", err)
			return
		}
		if certs := tc.ConnectionState().PeerCertificates; len(certs) > 0 {
			peer = certs[0].Subject.String()
		}
		c = tc
	}

	size := max(s.ReadBufferSize, MinReadBufferSize)
	if s.ReadBufferSize == 0 {
		size = MinReadBufferSize + 16<<10
	}
	buf := make([]byte, size)
	headBuf := buf[:min(len(buf), s.reqOpts.maxHeadLen())]
	h, rest, err := ReadRequestHead(c, headBuf, &s.reqOpts)
	if err != nil {
		switch {
		case isTimeout(err):
			s.stats.headTimeouts.Add(1)
		case errorStatus(err) != "":
			s.stats.headErrors.Add(1)
			s.writeError(c, errorStatus(err))
			lingeringClose(c, raw)
		}
		log.Debug("iphttps: request head", "err", err)
		return
	}

	sess, err := s.Router.Attach(s.now(), SessionInfo{Remote: remoteAddrPort(raw), Peer: peer})
	if err != nil {
		// §3.2.5.1: "If the attempt fails, it MUST disconnect the client."
		s.stats.rejectedFull.Add(1)
		log.Warn("iphttps: client refused", "err", err)
		return
	}
	defer s.Router.Detach(sess)

	now := s.now()
	out := make([]byte, 0, SizeResponseHead(s.ServerHeader)+len(s.Router.ra))
	out, err = AppendResponseHead(out, s.ServerHeader, now)
	if err != nil {
		log.Warn("iphttps: response head", "err", err)
		return
	}
	if !s.Router.cfg.NoInitialRA {
		out = s.Router.AppendRA(out)
		s.Router.MarkRA(now, sess)
	}
	if _, err := c.Write(out); err != nil {
		log.Debug("iphttps: response head", "err", err)
		return
	}
	raw.SetDeadline(time.Time{})
	release()
	s.stats.sessions.Add(1)
	log.Debug("iphttps: client connected", "session", sess.ID(), "peer", peer)

	var body io.Reader = c
	if cl, ok := h.ContentLength(); ok && cl != MaxContentLength {
		// A finite request body bounds the client's stream.
		if uint64(len(rest)) > cl {
			rest = rest[:cl]
		}
		body = io.LimitReader(c, int64(min(cl-uint64(len(rest)), math.MaxInt64)))
	}
	rd, err := NewReader(body, buf, rest)
	if err != nil {
		return
	}
	rd.noWait = nw.setNoWait

	wdone := make(chan struct{})
	go func() {
		defer close(wdone)
		s.writeLoop(c, raw, sess)
	}()
	s.readLoop(rd, sess)
	log.Debug("iphttps: client disconnected", "session", sess.ID(), "err", rd.Err())
	s.Router.Detach(sess)
	raw.Close()
	<-wdone
}

// readLoop hands the client's packets to the router until the stream ends.
// A stream that is not IPv6 ends the session ([MS-IPHTTPS] §3.2.5.2.2: the
// server "SHOULD terminate the IP-HTTPS session with the offending
// client"), as does any read error.
//
// The packets of one read (up to a TLS record's worth) are routed together,
// with one clock reading, and those for the native side are written to it
// in one Write of up to NativeBatch packets. A TUN device without offloads
// still makes one system call per packet, but pays for its descriptor's
// lock and the poller once per batch; one with offloads (IFF_VNET_HDR)
// can coalesce the batch's TCP segments into one super-packet, which the
// kernel then forwards as one.
func (s *Server) readLoop(rd *Reader, sess *Session) {
	n, off := s.NativeBatch, s.NativeOffset
	if n <= 0 {
		n = DefaultNativeBatch
	}
	batch := make([][]byte, 0, n)
	var scratch [][]byte // with a NativeOffset: a copy of each packet behind it
	if off > 0 && s.Native != nil {
		scratch = make([][]byte, n)
	}
	for {
		p, err := rd.Next()
		if err != nil {
			return
		}
		now := s.now()
		for ; p != nil; p = rd.nextBuffered() {
			v, _ := s.Router.FromClient(now, sess, p)
			if v != VerdictNative {
				continue
			}
			if s.Native == nil {
				s.Router.countDrop(DropNoRoute)
				continue
			}
			if off > 0 {
				i := len(batch)
				if scratch[i] == nil {
					scratch[i] = make([]byte, off+MaxPacketLen)
				}
				p = scratch[i][:off+copy(scratch[i][off:], p)]
			}
			batch = append(batch, p)
			if len(batch) == cap(batch) {
				s.writeNative(batch)
				batch = batch[:0]
			}
		}
		if len(batch) > 0 {
			s.writeNative(batch)
			batch = batch[:0]
		}
	}
}

// writeNative writes the packets bufs[i][NativeOffset:] to Native. A packet
// the device refuses is counted and dropped, and the rest still go.
func (s *Server) writeNative(bufs [][]byte) {
	for len(bufs) > 0 {
		k, err := s.Native.Write(bufs, s.NativeOffset)
		k = min(max(k, 0), len(bufs))
		s.stats.nativeOut.Add(uint64(k))
		bufs = bufs[k:]
		switch {
		case len(bufs) == 0:
			return
		case err == nil && k > 0:
			continue // a short write: the rest go in another
		case errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed):
			s.stats.nativeErrors.Add(uint64(len(bufs)))
			return
		}
		s.stats.nativeErrors.Add(1) // bufs[0] was refused: drop it, go on
		bufs = bufs[1:]
	}
}

// writeLoop sends the session's queue to the client until the session
// closes or a write fails; either way it closes the connection, which ends
// readLoop.
func (s *Server) writeLoop(c, raw net.Conn, sess *Session) {
	defer raw.Close()
	for {
		select {
		case <-sess.Ready():
		case <-sess.Closed():
			return
		}
		for {
			b := sess.Peek(writeChunk)
			if len(b) == 0 {
				break
			}
			if _, err := c.Write(b); err != nil {
				return
			}
			sess.Release(len(b))
		}
	}
}

// writeError answers a refused head, still under the head deadline, the
// way HTTP.sys does (which scanners such as nmap's service detection
// recognise): an HTML body, Content-Type first, then Server, Date,
// Connection: close and Content-Length.
func (s *Server) writeError(c net.Conn, status string) {
	server := s.ServerHeader
	if server == "" {
		server = DefaultServer
	}
	line, extra, _ := strings.Cut(status, "\r\n")
	_, reason, _ := strings.Cut(line, " ")
	body := "<HTML><HEAD><TITLE>" + reason + "</TITLE></HEAD><BODY><h2>" + reason + "</h2><hr><p>HTTP Error " +
		line[:3] + ".</p></BODY></HTML>\r\n"
	var b []byte
	b = append(b, "HTTP/1.1 "+line+"\r\nContent-Type: text/html; charset=us-ascii\r\nServer: "+server+"\r\n"...)
	if extra != "" {
		b = append(b, extra+"\r\n"...)
	}
	b = append(b, "Date: "...)
	b = appendIMFDate(b, s.now().UTC())
	b = append(b, "\r\nConnection: close\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"+body...)
	c.Write(b)
}

// lingeringClose ends a connection after an error response so that the
// client reads the response: a TLS close_notify (OpenSSL 3 peers, such as
// nmap's service scan, report a close without one as an error and may drop
// what they read), a TCP FIN, then a short drain of what the client still
// sends, since closing a socket with unread data makes the kernel send a
// reset that can overtake the response (as net/http does).
func lingeringClose(c, raw net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		tc.CloseWrite()
	}
	if tc, ok := raw.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	raw.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	io.Copy(io.Discard, io.LimitReader(raw, 64<<10))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// remoteAddrPort returns the peer address of c as a netip.AddrPort, or the
// zero AddrPort.
func remoteAddrPort(c net.Conn) netip.AddrPort {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, _ := netip.ParseAddrPort(c.RemoteAddr().String())
	return ap
}
