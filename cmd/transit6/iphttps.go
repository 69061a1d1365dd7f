package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/transit6/transit6/internal/netcfg"
	"github.com/transit6/transit6/internal/tun"
	"github.com/transit6/transit6/iphttps"
)

// iphttpsSocketDir holds the status sockets of running IP-HTTPS daemons.
const iphttpsSocketDir = "/run/transit6"

func iphttpsDefaultSocket(role string) string {
	return filepath.Join(iphttpsSocketDir, "iphttps-"+role+".sock")
}

// runIPHTTPS dispatches "transit6 iphttps server|client|status".
func runIPHTTPS(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		iphttpsUsage(stderr)
		return 2
	}
	switch args[0] {
	case "server":
		return runIPHTTPSServer(args[1:], stderr)
	case "client":
		return runIPHTTPSClient(args[1:], stderr)
	case "status":
		return runIPHTTPSStatus(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		iphttpsUsage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "transit6 iphttps: unknown command %q\n", args[0])
	iphttpsUsage(stderr)
	return 2
}

func iphttpsUsage(w io.Writer) {
	fmt.Fprint(w, `usage: transit6 iphttps server --prefix P --cert F --key F [--listen :443] [flags]
       transit6 iphttps server --prefix P --plain-http [--listen :80] [flags]
       transit6 iphttps client --url https://HOST[:PORT]/IPHTTPS [flags]
       transit6 iphttps status [--socket PATH] [--json]

An IP-HTTPS ([MS-IPHTTPS], the DirectAccess fallback) server, which routes
its clients' IPv6 through a TUN interface, or client, which brings up a TUN
interface through the server; status shows a running one, like "netsh
interface httpstunnel show interfaces". Run "transit6 iphttps COMMAND -h"
for the flags.
`)
}

// iphttpsServerFlags are the options of "transit6 iphttps server".
type iphttpsServerFlags struct {
	listen, cert, key, clientCA, prefix, ifname, path, serverHeader, socket string
	plainHTTP, tls10                                                        bool
	maxClients, queueBytes                                                  int
	headTimeout                                                             time.Duration
}

func parseIPHTTPSServerFlags(args []string, stderr io.Writer) (*iphttpsServerFlags, error) {
	fs := flag.NewFlagSet("transit6 iphttps server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &iphttpsServerFlags{}
	fs.StringVar(&f.listen, "listen", "", "TCP `address` to listen on (default :443, or :80 with --plain-http)")
	fs.StringVar(&f.cert, "cert", "", "server certificate chain, PEM `file`")
	fs.StringVar(&f.key, "key", "", "server private key, PEM `file`")
	fs.StringVar(&f.clientCA, "client-ca", "", "CA certificates, PEM `file`: require client certificates from them (authentication mode Certificates)")
	fs.BoolVar(&f.plainHTTP, "plain-http", false, "speak plain HTTP, behind a TLS terminator (for Windows 8+ clients that want NULL cipher suites)")
	fs.BoolVar(&f.tls10, "tls10", false, "accept TLS 1.0 (Windows 7 clients); the default minimum is TLS 1.2")
	fs.StringVar(&f.prefix, "prefix", "", "IPv6 `prefix` advertised to clients (required; a bare address means its /64)")
	fs.StringVar(&f.ifname, "ifname", "iphttps", "TUN interface `name` toward the real network (\"none\": clients only reach each other)")
	fs.StringVar(&f.path, "path", iphttps.DefaultPath, "request `path` accepted, any case (\"*\": any)")
	fs.StringVar(&f.serverHeader, "server-header", iphttps.DefaultServer, "Server header `value` of the 200 response")
	fs.IntVar(&f.maxClients, "max-clients", iphttps.DefaultMaxClients, "most clients connected at once")
	fs.IntVar(&f.queueBytes, "queue-bytes", iphttps.DefaultQueueBytes, "`bytes` of each client's send queue (tail drop beyond)")
	fs.DurationVar(&f.headTimeout, "head-timeout", iphttps.DefaultHeadTimeout, "time a client has for the TLS handshake and the request head")
	fs.StringVar(&f.socket, "socket", iphttpsDefaultSocket("server"), "status Unix socket `path` (\"\": none)")
	if _, err := parseInterleaved(fs, args); err != nil {
		return nil, err
	}
	if f.prefix == "" {
		fmt.Fprintln(stderr, "transit6 iphttps server: --prefix is required")
		return nil, errUsage
	}
	if !f.plainHTTP && (f.cert == "" || f.key == "") {
		fmt.Fprintln(stderr, "transit6 iphttps server: --cert and --key are required (or --plain-http)")
		return nil, errUsage
	}
	if f.listen == "" {
		f.listen = ":443"
		if f.plainHTTP {
			f.listen = ":80"
		}
	}
	return f, nil
}

// parseIPHTTPSPrefix parses a prefix, or a bare address as its /64.
func parseIPHTTPSPrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("--prefix %q is not an IPv6 prefix", s)
	}
	return netip.PrefixFrom(a, 64).Masked(), nil
}

func loadCertPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s: no PEM certificate", file)
	}
	return pool, nil
}

// iphttpsServer builds the server from the flags, without starting it.
func iphttpsServer(f *iphttpsServerFlags) (*iphttps.Server, error) {
	prefix, err := parseIPHTTPSPrefix(f.prefix)
	if err != nil {
		return nil, err
	}
	rcfg := iphttps.RouterConfig{Prefix: prefix, MaxClients: f.maxClients, QueueBytes: f.queueBytes}
	var tcfg *tls.Config
	if !f.plainHTTP {
		cert, err := tls.LoadX509KeyPair(f.cert, f.key)
		if err != nil {
			return nil, err
		}
		opts := iphttps.TLSOptions{Certificates: []tls.Certificate{cert}}
		if f.tls10 {
			opts.MinVersion = tls.VersionTLS10
		}
		if f.clientCA != "" {
			if opts.ClientCAs, err = loadCertPool(f.clientCA); err != nil {
				return nil, err
			}
		}
		if tcfg, err = iphttps.ServerTLSConfig(opts); err != nil {
			return nil, err
		}
	}
	if f.clientCA != "" {
		rcfg.Mode = iphttps.AuthCertificates
	}
	r, err := iphttps.NewRouter(rcfg)
	if err != nil {
		return nil, err
	}
	return &iphttps.Server{
		Router:       r,
		TLSConfig:    tcfg,
		Path:         f.path,
		ServerHeader: f.serverHeader,
		HeadTimeout:  f.headTimeout,
	}, nil
}

func runIPHTTPSServer(args []string, stderr io.Writer) int {
	f, err := parseIPHTTPSServerFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	logger := log.New(stderr, "transit6 iphttps server: ", log.LstdFlags)
	srv, err := iphttpsServer(f)
	if err != nil {
		logger.Print(err)
		return 2
	}
	srv.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	prefix := srv.Router.Config().Prefix

	tunReads := "" // how the TUN is read, if there is one
	if f.ifname != "none" && f.ifname != "" {
		dev, err := tun.OpenWithOptions(f.ifname, iphttps.DefaultMTU, iphttpsTUN)
		if err != nil {
			logger.Print(err)
			return 1
		}
		defer dev.Close()
		nc, err := netcfg.New()
		if err != nil {
			logger.Print(err)
			return 1
		}
		defer nc.Close()
		if err := nc.ReplaceRoute(dev.Name(), netcfg.Route{Dst: prefix}); err != nil {
			logger.Printf("route %v via %s: %v", prefix, dev.Name(), err)
			return 1
		}
		if b, err := os.ReadFile("/proc/sys/net/ipv6/conf/all/forwarding"); err == nil && strings.TrimSpace(string(b)) != "1" {
			logger.Print("warning: IPv6 forwarding is off (sysctl net.ipv6.conf.all.forwarding=1): clients reach only each other")
		}
		srv.Native = dev
		tunReads = dev.Reads()
		logger.Printf("interface %s routes %v, %s reads", dev.Name(), prefix, tunReads)
	}

	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		logger.Print(err)
		return 1
	}
	proto := "https"
	if srv.TLSConfig == nil {
		proto = "http (behind a TLS terminator)"
	}
	logger.Printf("serving %s on %v, prefix %v, authentication %v", proto, ln.Addr(), prefix, srv.Router.Mode())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	status := func() any {
		return iphttpsServerStatus{"server", ln.Addr().String(), tunReads, srv.Status()}
	}
	return iphttpsDaemon(ctx, logger, f.socket, status, func(ctx context.Context) error {
		errc := make(chan error, 1)
		go func() { errc <- srv.Serve(ln) }()
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		<-errc
		return nil
	})
}

// iphttpsDaemon serves the status socket while run runs, and returns the
// exit status.
func iphttpsDaemon(ctx context.Context, logger *log.Logger, socket string, status func() any, run func(context.Context) error) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if socket != "" {
		ln, err := listenStatus(socket)
		if err != nil {
			logger.Print(err)
			return 1
		}
		stopServe := context.AfterFunc(ctx, func() { ln.Close() })
		defer stopServe()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				b, _ := json.Marshal(status())
				c.SetWriteDeadline(time.Now().Add(5 * time.Second))
				c.Write(append(b, '\n'))
				c.Close()
			}
		}()
	}
	err := run(ctx)
	cancel()
	wg.Wait()
	if err != nil {
		logger.Print(err)
		return 1
	}
	logger.Print("stopped")
	return 0
}

// listenStatus opens the Unix status socket, replacing a stale one.
func listenStatus(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("status socket %s is in use", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return net.Listen("unix", path)
}

// iphttpsClientFlags are the options of "transit6 iphttps client".
type iphttpsClientFlags struct {
	url, proxy, ca, clientCert, clientKey, ifname, iid, socket string
	insecure                                                   bool
	routes                                                     prefixList
	reconnect, reconnectMax                                    time.Duration
}

func parseIPHTTPSClientFlags(args []string, stderr io.Writer) (*iphttpsClientFlags, error) {
	fs := flag.NewFlagSet("transit6 iphttps client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &iphttpsClientFlags{}
	fs.StringVar(&f.url, "url", "", "server `URL`, https://HOST[:PORT]/IPHTTPS (required)")
	fs.StringVar(&f.proxy, "proxy", "", "HTTP proxy `URL`, http://[USER:PASSWORD@]HOST:PORT, asked to CONNECT")
	fs.StringVar(&f.ca, "ca", "", "CA certificates trusted for the server, PEM `file` (default: the system's)")
	fs.StringVar(&f.clientCert, "client-cert", "", "client certificate chain, PEM `file` (authentication mode Certificates)")
	fs.StringVar(&f.clientKey, "client-key", "", "client private key, PEM `file`")
	fs.BoolVar(&f.insecure, "insecure", false, "do not verify the server certificate (testing only)")
	fs.StringVar(&f.ifname, "ifname", "iphttps", "TUN interface `name`")
	fs.Var(&f.routes, "route", "IPv6 `prefixes` routed through the tunnel (comma-separated or repeated; default ::/0)")
	fs.StringVar(&f.iid, "iid", "", "interface identifier, 16 hex digits (default: random)")
	fs.DurationVar(&f.reconnect, "reconnect", iphttps.DefaultReconnectInitial, "first reconnection delay ([MS-IPHTTPS] §3.1.2.1)")
	fs.DurationVar(&f.reconnectMax, "reconnect-max", iphttps.DefaultReconnectMax, "longest reconnection delay")
	fs.StringVar(&f.socket, "socket", iphttpsDefaultSocket("client"), "status Unix socket `path` (\"\": none)")
	if _, err := parseInterleaved(fs, args); err != nil {
		return nil, err
	}
	if f.url == "" {
		fmt.Fprintln(stderr, "transit6 iphttps client: --url is required")
		return nil, errUsage
	}
	if (f.clientCert == "") != (f.clientKey == "") {
		fmt.Fprintln(stderr, "transit6 iphttps client: --client-cert and --client-key go together")
		return nil, errUsage
	}
	if len(f.routes) == 0 {
		f.routes = prefixList{netip.MustParsePrefix("::/0")}
	}
	for _, r := range f.routes {
		if !r.Addr().Is6() {
			fmt.Fprintf(stderr, "transit6 iphttps client: --route %v is not IPv6\n", r)
			return nil, errUsage
		}
	}
	return f, nil
}

// iphttpsClientConfig turns the flags into the client's configuration.
func iphttpsClientConfig(f *iphttpsClientFlags) (iphttps.ClientConfig, error) {
	cfg := iphttps.ClientConfig{URL: f.url, TLSConfig: &tls.Config{InsecureSkipVerify: f.insecure}}
	if f.proxy != "" {
		u, err := url.Parse(f.proxy)
		if err != nil {
			return cfg, fmt.Errorf("--proxy: %w", err)
		}
		cfg.Proxy = u
	}
	if f.ca != "" {
		pool, err := loadCertPool(f.ca)
		if err != nil {
			return cfg, err
		}
		cfg.TLSConfig.RootCAs = pool
	}
	if f.clientCert != "" {
		cert, err := tls.LoadX509KeyPair(f.clientCert, f.clientKey)
		if err != nil {
			return cfg, err
		}
		cfg.TLSConfig.Certificates = []tls.Certificate{cert}
	}
	if f.iid != "" {
		b, err := hex.DecodeString(strings.ReplaceAll(f.iid, ":", ""))
		if err != nil || len(b) != 8 {
			return cfg, fmt.Errorf("--iid %q is not 16 hex digits", f.iid)
		}
		cfg.InterfaceID = [8]byte(b)
	}
	return cfg, nil
}

// iphttpsTUN opens the server's and the client's TUN: with offloads, and
// read through io_uring where the kernel has it, a read that has a packet
// waiting up to 100 µs for more. Measured against read(2) in one session
// (TestIPHTTPSThroughput, medians of 3, bench/README.md): UDP upload
// 167.8k vs 115.9k packets/s at 3.84 vs 6.31 s of CPU per GB; TCP
// 83 vs 79 % (upload) and 91 vs 82 % (download) of a plain TLS pipe.
var iphttpsTUN = tun.Options{Offload: true, Ring: true, RingBatch: 100 * time.Microsecond}

// iphttpsServerStatus is what "transit6 iphttps status" shows of a
// server: the engine's status, the listening address and how the TUN is
// read (empty without one).
type iphttpsServerStatus struct {
	Role     string `json:"role"`
	Listen   string `json:"listen"`
	TUNReads string `json:"tun_reads,omitempty"`
	iphttps.Status
}

// iphttpsClientStatus is what "transit6 iphttps status" shows of a client.
type iphttpsClientStatus struct {
	Role      string       `json:"role"`
	URL       string       `json:"url"`
	Interface string       `json:"interface"`
	TUNReads  string       `json:"tun_reads,omitempty"` // "io_uring" or "read(2)"
	State     string       `json:"state"`
	Addr      netip.Addr   `json:"addr,omitzero"`
	Prefix    netip.Prefix `json:"prefix,omitzero"`
	Router    netip.Addr   `json:"router,omitzero"`
	MTU       int          `json:"mtu,omitempty"`
	Server    string       `json:"server,omitempty"`
	Since     time.Time    `json:"since"`
	LastError string       `json:"last_error,omitempty"`
	Retry     string       `json:"retry,omitempty"`
}

func runIPHTTPSClient(args []string, stderr io.Writer) int {
	f, err := parseIPHTTPSClientFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	logger := log.New(stderr, "transit6 iphttps client: ", log.LstdFlags)
	cfg, err := iphttpsClientConfig(f)
	if err != nil {
		logger.Print(err)
		return 2
	}
	dev, err := tun.OpenWithOptions(f.ifname, iphttps.DefaultMTU, iphttpsTUN)
	if err != nil {
		logger.Print(err)
		return 1
	}
	defer dev.Close()
	nc, err := netcfg.New()
	if err != nil {
		logger.Print(err)
		return 1
	}
	defer nc.Close()

	var mu sync.Mutex
	st := iphttpsClientStatus{Role: "client", URL: f.url, Interface: dev.Name(), TUNReads: dev.Reads(), State: iphttps.StateLinkDown.String(), Since: time.Now()}
	var configured netip.Prefix // the address on the interface
	cl := &iphttps.Client{
		Config:  cfg,
		Backoff: iphttps.Backoff{Initial: f.reconnect, Max: f.reconnectMax},
		OnEvent: func(e iphttps.Event) {
			mu.Lock()
			defer mu.Unlock()
			st.State, st.Since = e.State.String(), time.Now()
			switch e.State {
			case iphttps.StateLinkUp:
				c := e.Conn
				st.Addr, st.Prefix, st.Router, st.MTU, st.Server = c.Addr(), c.Prefix(), c.Router(), c.MTU(), c.ServerHeader()
				st.LastError, st.Retry = "", ""
				if err := iphttpsConfigure(nc, dev.Name(), c, &configured, f.routes); err != nil {
					logger.Printf("configuring %s: %v", dev.Name(), err)
				}
				logger.Printf("link up: %v on %s, router %v, MTU %d", c.Addr(), dev.Name(), c.Router(), c.MTU())
			case iphttps.StateWaiting:
				st.LastError, st.Retry = fmt.Sprint(e.Err), e.Retry.String()
				logger.Printf("link down: %v; reconnecting in %v", e.Err, e.Retry)
			}
		},
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	status := func() any {
		mu.Lock()
		defer mu.Unlock()
		return st
	}
	return iphttpsDaemon(ctx, logger, f.socket, status, func(ctx context.Context) error {
		err := cl.Run(ctx, dev)
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	})
}

// iphttpsConfigure gives the interface the link's MTU, address and routes.
func iphttpsConfigure(nc *netcfg.Handle, ifname string, c *iphttps.Conn, configured *netip.Prefix, routes []netip.Prefix) error {
	if err := nc.SetMTU(ifname, c.MTU()); err != nil {
		return err
	}
	want := netip.PrefixFrom(c.Addr(), c.Prefix().Bits())
	if *configured != want {
		if configured.IsValid() {
			nc.DelAddr(ifname, *configured)
		}
		if err := nc.AddAddr(ifname, want); err != nil && !errors.Is(err, syscall.EEXIST) {
			return err
		}
		*configured = want
	}
	for _, r := range routes {
		if err := nc.ReplaceRoute(ifname, netcfg.Route{Dst: r}); err != nil {
			return fmt.Errorf("route %v: %w", r, err)
		}
	}
	return nil
}

func runIPHTTPSStatus(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("transit6 iphttps status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	socket := fs.String("socket", "", "status Unix socket `path` (default: the client's, else the server's)")
	asJSON := fs.Bool("json", false, "print the status as one JSON object")
	if _, err := parseInterleaved(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	paths := []string{*socket}
	if *socket == "" {
		paths = []string{iphttpsDefaultSocket("client"), iphttpsDefaultSocket("server")}
	}
	var err error
	for _, p := range paths {
		var b []byte
		if b, err = queryStatus(p); err != nil {
			continue
		}
		if *asJSON {
			stdout.Write(b)
			return 0
		}
		if err = writeIPHTTPSStatus(stdout, b); err == nil {
			return 0
		}
	}
	fmt.Fprintf(stderr, "transit6 iphttps status: %v\n", err)
	return 1
}

func queryStatus(path string) ([]byte, error) {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return io.ReadAll(c)
}

// writeIPHTTPSStatus prints a status as text, in the manner of netsh.
func writeIPHTTPSStatus(w io.Writer, b []byte) error {
	var role struct {
		Role string `json:"role"`
	}
	if err := json.Unmarshal(b, &role); err != nil {
		return err
	}
	switch role.Role {
	case "client":
		var st iphttpsClientStatus
		if err := json.Unmarshal(b, &st); err != nil {
			return err
		}
		iface := "IPHTTPS interface active"
		if st.State != iphttps.StateLinkUp.String() {
			iface = "Failed to connect to the IPHTTPS server; waiting to reconnect"
			if st.LastError == "" {
				iface = "Connecting to the IPHTTPS server"
			}
		}
		fmt.Fprintf(w, "Role             : client\nURL              : %s\nInterface        : %s\nInterface Status : %s\n",
			st.URL, st.Interface, iface)
		if st.TUNReads != "" {
			fmt.Fprintf(w, "Interface Reads  : %s\n", st.TUNReads)
		}
		fmt.Fprintf(w, "State            : %s since %s\n", st.State, st.Since.Format(time.RFC3339))
		if st.State == iphttps.StateLinkUp.String() {
			fmt.Fprintf(w, "Address          : %v\nPrefix           : %v\nRouter           : %v\nMTU              : %d\nServer           : %s\n",
				st.Addr, st.Prefix, st.Router, st.MTU, st.Server)
		}
		if st.LastError != "" {
			fmt.Fprintf(w, "Last Error       : %s\nRetry In         : %s\n", st.LastError, st.Retry)
		}
		return nil
	case "server":
		var st iphttpsServerStatus
		if err := json.Unmarshal(b, &st); err != nil {
			return err
		}
		fmt.Fprintf(w, "Role             : server\nListen           : %s\nAuthentication   : %s\nPrefix           : %v\n",
			st.Listen, st.Mode, st.Prefix)
		if st.TUNReads != "" {
			fmt.Fprintf(w, "Interface Reads  : %s\n", st.TUNReads)
		}
		fmt.Fprintf(w, "Clients          : %d\n", len(st.Clients))
		for _, c := range st.Clients {
			addrs := make([]string, len(c.Addrs))
			for i, a := range c.Addrs {
				addrs[i] = a.String()
			}
			peer := ""
			if c.Peer != "" {
				peer = " " + c.Peer
			}
			fmt.Fprintf(w, "  #%d %s%s since %s: %s; rx %d pkts, tx %d pkts, %d dropped\n",
				c.ID, c.Remote, peer, c.Since.Format(time.RFC3339), strings.Join(addrs, " "), c.RxPackets, c.TxPackets, c.Drops)
		}
		s := st.Server
		fmt.Fprintf(w, "Sessions         : %d (refused: %d handshakes, %d heads, %d timeouts, %d table full)\n",
			s.Sessions, s.HandshakeErrors, s.HeadErrors, s.HeadTimeouts, s.RejectedFull)
		var drops []string
		for k, v := range st.Drops {
			if v > 0 {
				drops = append(drops, fmt.Sprintf("%s %d", k, v))
			}
		}
		sort.Strings(drops)
		if len(drops) > 0 {
			fmt.Fprintf(w, "Dropped          : %s\n", strings.Join(drops, ", "))
		}
		return nil
	}
	return fmt.Errorf("unknown status %q", role.Role)
}
