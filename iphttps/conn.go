package iphttps

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/transit6/transit6/packet"
)

// Defaults of ClientConfig.
const (
	DefaultSetupTimeout = 30 * time.Second // connect, TLS, head, RA
	DefaultRSInterval   = 4 * time.Second  // RFC 4861 §10 RTR_SOLICITATION_INTERVAL
	maxRS               = 3                // RFC 4861 §10 MAX_RTR_SOLICITATIONS
)

// ClientConfig configures Dial and Client.
type ClientConfig struct {
	// URL is the server's URI ([MS-IPHTTPS] §3.1.1), such as
	// https://da.example.com/IPHTTPS or https://192.0.2.1:8443/IPHTTPS;
	// an empty path means DefaultPath. The http scheme connects without
	// TLS ([MS-IPHTTPS] §1.3).
	URL string

	// Proxy, if set, is an HTTP proxy (http://[user:password@]host:port)
	// asked to CONNECT to the server ([MS-IPHTTPS] §1.3, §3.1.5.1), with
	// Basic proxy authentication if it has user information.
	Proxy *url.URL

	// TLSConfig holds the trust anchors (RootCAs; nil means the system's),
	// the client certificate for mode Certificates (Certificates) and any
	// other TLS setting. The server certificate is verified, name and
	// chain ([MS-IPHTTPS] §4.2.3), unless InsecureSkipVerify is set here
	// explicitly. ServerName defaults to the URL's host, NextProtos to
	// ["http/1.1"]. It is cloned, not modified.
	TLSConfig *tls.Config

	// Dialer opens the TCP connection; nil means a net.Dialer with TCP
	// keepalive.
	Dialer interface {
		DialContext(ctx context.Context, network, address string) (net.Conn, error)
	}

	// InterfaceID is the interface identifier (RFC 4291 §2.5.1) of the
	// client's addresses: the link-local fe80::/64 one the Router
	// Solicitation comes from, and the one formed in the advertised prefix
	// (RFC 4862 §5.5.3). The zero value means a random one, as Windows
	// clients use (iphttps.md report section 1.5), drawn from Rand; Client
	// keeps it across reconnections.
	InterfaceID [8]byte

	// Rand is the source of random interface identifiers; nil means
	// crypto/rand.
	Rand io.Reader

	// SetupTimeout bounds Dial, from the TCP connect to the Router
	// Advertisement; 0 means DefaultSetupTimeout.
	SetupTimeout time.Duration

	// RSInterval is the time between the (at most three) Router
	// Solicitations; 0 means DefaultRSInterval.
	RSInterval time.Duration
}

// StatusError is the refusal of the tunnel by the server, or of the
// CONNECT by the proxy: an HTTP response whose status is not 200. It
// matches ErrStatus (the server), or ErrProxy and, for 407, ErrProxyAuth
// (the proxy), with errors.Is.
type StatusError struct {
	Code   int    // the status code, such as 404 or 407
	Reason string // the reason phrase
	Proxy  bool   // the proxy answered, not the server
}

// Error returns a message with the status.
func (e *StatusError) Error() string {
	who := "server"
	if e.Proxy {
		who = "proxy"
	}
	return fmt.Sprintf("iphttps: %s answered %d %s", who, e.Code, e.Reason)
}

// Unwrap returns the sentinels the error matches.
func (e *StatusError) Unwrap() []error {
	switch {
	case !e.Proxy:
		return []error{ErrStatus}
	case e.Code == 407:
		return []error{ErrProxy, ErrProxyAuth}
	}
	return []error{ErrProxy}
}

// Conn is an established IP-HTTPS link of a client, in the LinkUp state of
// [MS-IPHTTPS] §3.1.1: the HTTPS connection, the request and response
// heads done, the address configured from the server's Router
// Advertisement. Read and Write carry the packets; they may be called
// concurrently with each other.
//
// Conn handles part of Neighbor Discovery itself, for the host behind it,
// whose TUN interface has no link layer: it answers Neighbor Solicitations
// for its addresses, absorbs Router Advertisements and reports a Neighbor
// Advertisement for its address from another node (Duplicate Address
// Detection, RFC 4862 §5.4, done optimistically as in RFC 4429) as
// ErrDuplicateAddress.
type Conn struct {
	raw    net.Conn // the TCP connection
	c      net.Conn // raw, or the TLS connection over it
	server string   // the response's Server field

	ll, addr, router netip.Addr
	prefix           netip.Prefix
	mtu              int

	rmu sync.Mutex
	rd  *Reader

	wmu  sync.Mutex
	w    *Writer
	pkts [][]byte
	ctl  [packet.IPv6HeaderLen + packet.NeighborAdvertisementLen]byte

	dup     atomic.Bool
	dropped atomic.Uint64
	closing sync.Once
}

// Addr returns the client's address: the advertised prefix and the
// interface identifier.
func (c *Conn) Addr() netip.Addr { return c.addr }

// LinkLocal returns the client's link-local address, fe80:: and the
// interface identifier.
func (c *Conn) LinkLocal() netip.Addr { return c.ll }

// Prefix returns the advertised prefix the address comes from.
func (c *Conn) Prefix() netip.Prefix { return c.prefix }

// Router returns the server's link-local address, the source of its Router
// Advertisement: the default router.
func (c *Conn) Router() netip.Addr { return c.router }

// MTU returns the link MTU: the Router Advertisement's MTU option, or 1280
// ([MS-IPHTTPS] §3.1.5.2).
func (c *Conn) MTU() int { return c.mtu }

// ServerHeader returns the Server field of the server's 200 response.
func (c *Conn) ServerHeader() string { return c.server }

// LocalAddr returns the local TCP address.
func (c *Conn) LocalAddr() net.Addr { return c.raw.LocalAddr() }

// RemoteAddr returns the TCP address of the server (or of the proxy).
func (c *Conn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }

// Dropped returns the number of packets Read and Write dropped: packets
// that were not IPv6 or did not fit the caller's buffers.
func (c *Conn) Dropped() uint64 { return c.dropped.Load() }

// Close closes the connection. Blocked Reads and Writes return.
func (c *Conn) Close() error {
	var err error
	c.closing.Do(func() { err = c.raw.Close() })
	return err
}

// Read reads packets from the server into bufs[i][offset:] and their
// lengths into sizes[i], like Device.Read: it waits for the first packet,
// then takes those already received, and returns how many it read. Neighbor
// Discovery messages for the Conn itself are handled, not returned. It
// returns io.ErrShortBuffer if the first packet does not fit in
// bufs[0][offset:], ErrDuplicateAddress once another node has claimed the
// client's address, and the stream's errors (see Reader) when the link is
// lost, after which the client reconnects ([MS-IPHTTPS] §3.1.5.4). It does
// not allocate.
func (c *Conn) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		if c.dup.Load() {
			return 0, ErrDuplicateAddress
		}
		n, err := c.rd.ReadBatch(bufs, sizes, offset)
		if err != nil {
			return 0, err
		}
		k := 0
		for i := range n {
			p := bufs[i][offset : offset+sizes[i]]
			if c.control(p) {
				continue
			}
			if k != i {
				if len(bufs[k])-offset < len(p) {
					c.dropped.Add(1)
					continue
				}
				sizes[k] = copy(bufs[k][offset:], p)
			}
			k++
		}
		if k > 0 || n == 0 {
			return k, nil
		}
	}
}

// ReadPacket reads one packet into buf and returns its length; see Read.
func (c *Conn) ReadPacket(buf []byte) (int, error) {
	bufs, sizes := [1][]byte{buf}, [1]int{}
	n, err := c.Read(bufs[:], sizes[:], 0)
	if n == 0 {
		return 0, err
	}
	return sizes[0], nil
}

// Write sends the packets bufs[i][offset:] to the server, coalesced into as
// few TLS records as fit (see Writer), and returns len(bufs). Packets that
// are not IPv6, or whose length disagrees with their header, are dropped
// (counted by Dropped): the stream must stay framed. It returns
// io.ErrShortBuffer if an offset is beyond a buffer, and the write error if
// the connection fails. It does not allocate once its batch has grown to
// the caller's batch size.
func (c *Conn) Write(bufs [][]byte, offset int) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	pkts := c.pkts[:0]
	for _, b := range bufs {
		if offset < 0 || offset > len(b) {
			return 0, io.ErrShortBuffer
		}
		p := b[offset:]
		if CheckPacket(p) != nil {
			c.dropped.Add(1)
			continue
		}
		pkts = append(pkts, p)
	}
	err := c.w.WritePackets(pkts)
	clear(pkts)
	c.pkts = pkts[:0]
	if err != nil {
		return 0, err
	}
	return len(bufs), nil
}

// WritePacket sends one packet; see Write.
func (c *Conn) WritePacket(p []byte) error {
	bufs := [1][]byte{p}
	_, err := c.Write(bufs[:], 0)
	return err
}

// control handles the Neighbor Discovery messages meant for the Conn and
// reports whether p was one.
func (c *Conn) control(p []byte) bool {
	ip, err := packet.ParseIPv6(p)
	if err != nil || ip.NextHeader() != packet.ProtoICMPv6 || ip.PayloadLen() == 0 {
		return false
	}
	switch p[packet.IPv6HeaderLen] {
	case packet.ICMPv6RouterAdvertisement:
		return true // the link is configured; the host's TUN has no use for it
	case packet.ICMPv6NeighborSolicitation:
		msg, err := packet.ParseICMPv6(ip)
		if err != nil {
			return false
		}
		ns, err := packet.ParseNeighborSolicitation(msg)
		if err != nil || (ns.Target() != c.addr && ns.Target() != c.ll) {
			return false
		}
		// Answer for ourselves (RFC 4861 §7.2.4); a DAD probe for our
		// address is answered to all-nodes, which defends it.
		dst, flags := ip.Src(), uint8(packet.NAFlagSolicited|packet.NAFlagOverride)
		if dst == unspecified {
			dst, flags = allNodes, packet.NAFlagOverride
		}
		c.wmu.Lock()
		na, err := packet.AppendNeighborAdvertisement(c.ctl[:0], ns.Target(), dst, ns.Target(), flags, nil)
		if err == nil {
			c.w.WritePacket(na)
		}
		c.wmu.Unlock()
		return true
	case packet.ICMPv6NeighborAdvertisement:
		msg, err := packet.ParseICMPv6(ip)
		if err != nil {
			return false
		}
		na, err := packet.ParseNeighborAdvertisement(msg)
		if err != nil || (na.Target() != c.addr && na.Target() != c.ll) {
			return false
		}
		// RFC 4862 §5.4.4: an NA for our tentative or optimistic address
		// means another node has it.
		c.dup.Store(true)
		return true
	}
	return false
}

// Dial connects to the IP-HTTPS server of cfg and brings the link up
// ([MS-IPHTTPS] §3.1.5.1, §3.1.5.2): TCP (through the proxy with CONNECT if
// one is set), TLS with the server certificate verified, the request head
// written by hand (net/http cannot: iphttps.md report section 5.11) together
// with a first Router Solicitation from the link-local address, the 200
// response read, and the Router Advertisement waited for (with up to three
// solicitations, RFC 4861 §6.3.7). The address is the first autonomous
// prefix of at most 64 bits with cfg.InterfaceID (random if zero) in its
// low 64 bits. A Neighbor Solicitation for Duplicate Address Detection is
// sent, and the Conn returned without waiting for its outcome (RFC 4429).
//
// Errors: ErrBadURL, a StatusError (ErrStatus; ErrProxy, ErrProxyAuth), the
// errors of ParseResponseHead, ErrNoRouterAdvertisement, and the dialer's
// and TLS's, all wrapped with the failing step. ctx and cfg.SetupTimeout
// bound the whole setup.
func Dial(ctx context.Context, cfg *ClientConfig) (*Conn, error) {
	target, err := parseServerURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Proxy != nil && (cfg.Proxy.Scheme != "http" || cfg.Proxy.Host == "") {
		return nil, fmt.Errorf("%w: proxy %s: only http://host:port proxies are supported", ErrBadURL, cfg.Proxy.Redacted())
	}
	iid := cfg.InterfaceID
	if iid == ([8]byte{}) {
		if iid, err = randomIID(cfg.Rand); err != nil {
			return nil, err
		}
	}
	timeout := cfg.SetupTimeout
	if timeout <= 0 {
		timeout = DefaultSetupTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()

	var d interface {
		DialContext(ctx context.Context, network, address string) (net.Conn, error)
	} = &net.Dialer{KeepAlive: DefaultKeepAlive}
	if cfg.Dialer != nil {
		d = cfg.Dialer
	}
	addr := target.hostPort
	if cfg.Proxy != nil {
		addr = cfg.Proxy.Host
		if cfg.Proxy.Port() == "" {
			addr = net.JoinHostPort(cfg.Proxy.Hostname(), "80")
		}
	}
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("iphttps: dial %s: %w", addr, err)
	}
	ok := false
	defer func() {
		if !ok {
			raw.Close()
		}
	}()
	// The whole setup runs under one deadline, and cancelling ctx ends it.
	raw.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	// Under TLS, so that the Reader can drain what has arrived (nowait.go).
	nw := newNoWaitConn(raw)
	var c net.Conn = nw
	if cfg.Proxy != nil {
		if c, err = proxyConnect(nw, cfg.Proxy, target.hostPort); err != nil {
			return nil, err
		}
	}
	if target.tls {
		tc := tls.Client(c, clientTLSConfig(cfg.TLSConfig, target.host))
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("iphttps: TLS handshake with %s: %w", target.hostPort, err)
		}
		c = tc
	}

	conn := &Conn{raw: raw, c: c, mtu: DefaultMTU}
	conn.ll = netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 8: iid[0], 9: iid[1], 10: iid[2], 11: iid[3], 12: iid[4], 13: iid[5], 14: iid[6], 15: iid[7]})
	conn.w = NewWriter(c, nil)

	// The head and the first RS in one write, so in one TLS record
	// (iphttps.md report section 9, case 2).
	out, err := AppendRequestHead(nil, &RequestFields{Target: target.requestTarget, Host: target.hostPort})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadURL, cfg.URL, err)
	}
	rs, _ := packet.AppendRouterSolicitation(nil, conn.ll, allRouters, nil)
	if _, err := c.Write(append(out, rs...)); err != nil {
		return nil, fmt.Errorf("iphttps: request head: %w", err)
	}

	buf := make([]byte, DefaultReadBufferSize)
	h, rest, err := ReadResponseHead(c, buf[:DefaultMaxHeadLen], nil)
	if errors.Is(err, ErrStatus) {
		return nil, &StatusError{Code: h.StatusCode(), Reason: string(h.Reason())}
	}
	if err != nil {
		return nil, fmt.Errorf("iphttps: response head: %w", err)
	}
	if sv, ok := h.Server(); ok {
		conn.server = string(sv)
	}
	var body io.Reader = c
	if cl, ok := h.ContentLength(); ok {
		// A proxy gave the body a length: the stream ends there.
		if uint64(len(rest)) > cl {
			rest = rest[:cl]
		}
		body = io.LimitReader(c, int64(min(cl-uint64(len(rest)), math.MaxInt64)))
	}
	if conn.rd, err = NewReader(body, buf, rest); err != nil {
		return nil, err
	}
	conn.rd.noWait = nw.setNoWait

	// LinkUp ([MS-IPHTTPS] §3.1.5.2). Solicit again every RSInterval until
	// an advertisement comes.
	interval := cfg.RSInterval
	if interval <= 0 {
		interval = DefaultRSInterval
	}
	var (
		tmu   sync.Mutex
		timer *time.Timer
		sent  = 1
	)
	tmu.Lock()
	timer = time.AfterFunc(interval, func() {
		tmu.Lock()
		defer tmu.Unlock()
		if timer == nil || sent >= maxRS {
			return
		}
		sent++
		conn.wmu.Lock()
		conn.w.WritePacket(rs)
		conn.wmu.Unlock()
		timer.Reset(interval)
	})
	tmu.Unlock()
	err = conn.awaitRA(iid)
	tmu.Lock()
	timer.Stop()
	timer = nil
	tmu.Unlock()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w: %w", err, ctx.Err())
		}
		return nil, err
	}

	// Optimistic DAD (RFC 4429 §3.3, RFC 4862 §5.4.2): the probe goes out
	// and the address is used at once; an NA for it ends the link later.
	ns, err := packet.AppendNeighborSolicitation(nil, unspecified, solicitedNode(conn.addr), conn.addr, nil)
	if err == nil {
		conn.wmu.Lock()
		err = conn.w.WritePacket(ns)
		conn.wmu.Unlock()
	}
	if err != nil {
		return nil, fmt.Errorf("iphttps: duplicate address detection: %w", err)
	}
	stop()
	raw.SetDeadline(time.Time{})
	ok = true
	return conn, nil
}

// awaitRA reads packets until a Router Advertisement with a usable prefix,
// and configures the Conn from it.
func (c *Conn) awaitRA(iid [8]byte) error {
	for {
		p, err := c.rd.Next()
		if err != nil {
			return fmt.Errorf("%w: %w", ErrNoRouterAdvertisement, err)
		}
		ip, err := packet.ParseIPv6(p)
		if err != nil {
			continue
		}
		msg, err := packet.ParseICMPv6(ip)
		if err != nil || msg.Type() != packet.ICMPv6RouterAdvertisement {
			continue
		}
		ra, err := packet.ParseRouterAdvertisement(msg)
		if err != nil {
			continue
		}
		it := ra.Options()
		for o, more := it.Next(); more; o, more = it.Next() {
			if o.Type() != packet.NDOptPrefixInfo {
				continue
			}
			pi, err := o.PrefixInfo()
			if err != nil || !pi.Autonomous || pi.ValidLifetime == 0 || pi.Prefix.Bits() > 64 ||
				!pi.Prefix.Addr().Is6() || pi.Prefix.Addr().IsLinkLocalUnicast() || pi.Prefix.Addr().IsMulticast() {
				continue
			}
			a := pi.Prefix.Masked().Addr().As16()
			copy(a[8:], iid[:])
			c.addr, c.prefix, c.router = netip.AddrFrom16(a), pi.Prefix.Masked(), ip.Src()
			if mtu, ok := ra.MTU(); ok && mtu >= packet.IPv6MinMTU && mtu <= MaxPacketLen {
				c.mtu = int(mtu)
			}
			return nil
		}
	}
}

// serverURL is a parsed server URI.
type serverURL struct {
	tls           bool
	host          string // without brackets or port
	hostPort      string // host:port, for dialling, CONNECT and Host
	requestTarget string // path and query
}

func parseServerURL(s string) (serverURL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return serverURL{}, fmt.Errorf("%w: %w", ErrBadURL, err)
	}
	var t serverURL
	port := "443"
	switch strings.ToLower(u.Scheme) {
	case "https":
		t.tls = true
	case "http":
		port = "80"
	default:
		return serverURL{}, fmt.Errorf("%w: %q: scheme is not https or http", ErrBadURL, s)
	}
	if u.User != nil || u.Hostname() == "" || u.Opaque != "" {
		return serverURL{}, fmt.Errorf("%w: %q", ErrBadURL, s)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return serverURL{}, fmt.Errorf("%w: %q: bad port", ErrBadURL, s)
		}
		port = p
	}
	t.host = u.Hostname()
	t.hostPort = net.JoinHostPort(t.host, port)
	t.requestTarget = u.EscapedPath()
	if t.requestTarget == "" || t.requestTarget == "/" {
		t.requestTarget = DefaultPath
	}
	if u.RawQuery != "" {
		t.requestTarget += "?" + u.RawQuery
	}
	return t, nil
}

// clientTLSConfig returns a clone of base (or a new config) with the
// server name and ALPN set.
func clientTLSConfig(base *tls.Config, host string) *tls.Config {
	var cfg *tls.Config
	if base != nil {
		cfg = base.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	if cfg.NextProtos == nil {
		cfg.NextProtos = []string{ALPNProtocol}
	}
	return cfg
}

// proxyConnect asks the proxy on c to open a tunnel to hostPort ([SSLPROXY]
// as [MS-IPHTTPS] §1.3 references it), with Basic authentication (RFC 7617)
// when the proxy URL has a user.
func proxyConnect(c net.Conn, proxy *url.URL, hostPort string) (net.Conn, error) {
	req := "CONNECT " + hostPort + " HTTP/1.1\r\nHost: " + hostPort + "\r\n"
	if u := proxy.User; u != nil {
		pw, _ := u.Password()
		req += "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)) + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		return nil, fmt.Errorf("iphttps: proxy CONNECT: %w", err)
	}
	buf := make([]byte, DefaultMaxHeadLen)
	h, rest, err := ReadResponseHead(c, buf, nil)
	if errors.Is(err, ErrStatus) {
		return nil, &StatusError{Code: h.StatusCode(), Reason: string(h.Reason()), Proxy: true}
	}
	if err != nil {
		return nil, fmt.Errorf("iphttps: proxy CONNECT: %w", err)
	}
	if len(rest) > 0 { // bytes of the tunnel already read
		return &prefixConn{Conn: c, r: io.MultiReader(bytes.NewReader(rest), c)}, nil
	}
	return c, nil
}

// prefixConn is a net.Conn whose first bytes were read already.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// randomIID returns a random interface identifier, avoiding the reserved
// ones of RFC 5453 (the Subnet-Router anycast, the subnet anycast range
// and the proxy-mobile one) and the ISATAP form.
func randomIID(r io.Reader) ([8]byte, error) {
	if r == nil {
		r = rand.Reader
	}
	for range 16 {
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return b, fmt.Errorf("iphttps: random interface identifier: %w", err)
		}
		if !reservedIID(b) {
			return b, nil
		}
	}
	return [8]byte{}, fmt.Errorf("iphttps: random interface identifier: source not random")
}

func reservedIID(b [8]byte) bool {
	switch {
	case b == [8]byte{}: // Subnet-Router anycast (RFC 4291 §2.6.1)
		return true
	case b[0] == 0xfd && b[1] == 0xff && b[2] == 0xff && b[3] == 0xff && b[4] == 0xff && b[5] == 0xff && b[6] == 0xff && b[7] >= 0x80:
		return true // subnet anycast (RFC 2526), proxy MIPv6 (RFC 6543)
	case b[0]&^0x02 == 0 && b[1] == 0 && b[2] == 0x5e && b[3] == 0xfe:
		return true // ISATAP (RFC 5214 §6.1)
	}
	return false
}

// solicitedNode returns the solicited-node multicast address of a,
// ff02::1:ff00:0/104 (RFC 4291 §2.7.1).
func solicitedNode(a netip.Addr) netip.Addr {
	b := a.As16()
	return netip.AddrFrom16([16]byte{0: 0xff, 1: 0x02, 11: 0x01, 12: 0xff, 13: b[13], 14: b[14], 15: b[15]})
}
