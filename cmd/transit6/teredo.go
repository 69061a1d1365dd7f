package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/transit6/transit6/internal/miredoconf"
	"github.com/transit6/transit6/internal/teredoio"
	"github.com/transit6/transit6/teredo"
)

// runTeredo dispatches "transit6 teredo client|server|relay|status|checkconf".
func runTeredo(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		teredoUsage(stderr)
		return 2
	}
	switch args[0] {
	case "client":
		return runTeredoClient(args[1:], stderr)
	case "server":
		return runTeredoServer(args[1:], stderr)
	case "relay":
		return runTeredoRelay(args[1:], stderr)
	case "status":
		return runTeredoStatus(args[1:], stdout, stderr)
	case "checkconf":
		return runTeredoCheckconf(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		teredoUsage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "transit6 teredo: unknown command %q\n", args[0])
	teredoUsage(stderr)
	return 2
}

func teredoUsage(w io.Writer) {
	fmt.Fprint(w, `usage: transit6 teredo client --server HOST[,HOST...] [flags]
       transit6 teredo server --primary IPV4 [flags]
       transit6 teredo relay [--prefix 2001::/32] [--ifname teredo] [--bind IPV4:PORT] [--global CIDR,...]
       transit6 teredo status [--socket PATH] [--json] [--peers]
       transit6 teredo checkconf [--server] FILE

A Teredo (RFC 4380) client, like miredo with "RelayType client"; a server,
like miredo-server; a relay, like miredo with "RelayType cone". status shows
a running one like "netsh interface teredo show state", and with --peers its
peer list. client, server and relay also take Miredo's configuration file:
--miredo-conf /etc/miredo/miredo.conf (or miredo-server.conf for a server);
checkconf, like miredo-checkconf, checks such a file and prints the
transit6 command it amounts to. Run "transit6 teredo COMMAND -h" for the
flags.
`)
}

// clientFlags are the options of "transit6 teredo client".
type clientFlags struct {
	servers    string
	server2    string
	port       uint
	bind       string
	ifname     string
	refresh    time.Duration
	global     prefixList
	socket     string
	noRestrict bool
	discovery  bool
	secureKey  string
	clientID   string
}

// parseClientFlags parses the command line of "transit6 teredo client".
func parseClientFlags(args []string, stderr io.Writer) (*clientFlags, error) {
	fs := flag.NewFlagSet("transit6 teredo client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &clientFlags{}
	fs.StringVar(&f.servers, "server", "", "Teredo server `HOST[,HOST...]` (IPv4 or name), in order of preference (required)")
	fs.StringVar(&f.server2, "server2", "", "secondary `IPV4` of the first server (default: its address + 1)")
	fs.UintVar(&f.port, "port", 0, "local UDP `port` (default: random)")
	fs.StringVar(&f.bind, "bind", "", "local `IPV4` address (default: the source address toward the server)")
	fs.StringVar(&f.ifname, "ifname", "teredo", "TUN interface `name`")
	fs.DurationVar(&f.refresh, "refresh", teredo.DefaultRefreshInterval, "refresh `interval`")
	fs.Var(&f.global, "global", "IPv4 `prefixes` to treat as global (comma-separated or repeated), e.g. 198.51.100.0/24 in a lab")
	fs.StringVar(&f.socket, "socket", teredoio.DefaultSocket("client"), "status Unix socket `path`")
	fs.BoolVar(&f.discovery, "local-discovery", false, "local discovery (RFC 4380 §5.2.8): find Teredo clients on the same link, behind the same NAT, through 224.0.0.253:3544")
	fs.BoolVar(&f.noRestrict, "no-restricted-probe", false, "skip the restricted-NAT test (no bubble to the secondary address's port 9)")
	fs.StringVar(&f.secureKey, "secure-key", "", "secure qualification (RFC 4380 §5.2.2): the key is every byte of `FILE` (a trailing newline included), shared with the server")
	fs.StringVar(&f.clientID, "client-id", "", "client identifier sent with --secure-key (at most 255 bytes)")
	conf := fs.String("miredo-conf", "", miredoConfUsage)
	if _, err := parseInterleaved(fs, args); err != nil {
		return nil, err
	}
	if err := applyMiredoConf(fs, *conf, miredoconf.Client); err != nil {
		return nil, err
	}
	if f.servers == "" {
		fmt.Fprintln(stderr, "transit6 teredo client: --server is required")
		return nil, errUsage
	}
	if f.port > 65535 {
		fmt.Fprintln(stderr, "transit6 teredo client: --port out of range")
		return nil, errUsage
	}
	return f, nil
}

var errUsage = errors.New("usage")

// maxKeyFile is the largest --secure-key file accepted: a key is a few
// dozen bytes, a larger file is most likely the wrong one.
const maxKeyFile = 4096

// readSecureKey returns the key of secure qualification (RFC 4380 §5.2.2)
// stored in the file at path: all of its bytes, which must be between 1 and
// maxKeyFile.
func readSecureKey(path string) ([]byte, error) {
	k, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--secure-key: %w", err)
	}
	if len(k) == 0 || len(k) > maxKeyFile {
		return nil, fmt.Errorf("--secure-key %q: %d bytes, want 1 to %d", path, len(k), maxKeyFile)
	}
	return k, nil
}

// clientConfig turns the flags into the runner's configuration.
func clientConfig(ctx context.Context, f *clientFlags, logger *log.Logger) (teredoio.ClientConfig, error) {
	var cfg teredoio.ClientConfig
	names := strings.Split(f.servers, ",")
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
	}
	servers, err := teredoio.ResolveServers(ctx, nil, names)
	if err != nil {
		return cfg, err
	}
	cfg.ServerNames = names
	cfg.Engine.Servers = servers
	if f.server2 != "" {
		a, err := netip.ParseAddr(f.server2)
		if err != nil || !a.Is4() {
			return cfg, fmt.Errorf("--server2 %q is not an IPv4 address", f.server2)
		}
		cfg.Engine.Secondaries = []netip.Addr{a}
	}
	cfg.Engine.RefreshInterval = f.refresh
	cfg.Engine.Global = f.global
	cfg.Engine.SkipRestrictedProbe = f.noRestrict
	cfg.Node.LocalDiscovery = f.discovery
	if f.secureKey != "" {
		k, err := readSecureKey(f.secureKey)
		if err != nil {
			return cfg, err
		}
		if len(f.clientID) > 255 {
			return cfg, fmt.Errorf("--client-id: %d bytes, at most 255", len(f.clientID))
		}
		cfg.Engine.SecureKey, cfg.Engine.ClientID = k, []byte(f.clientID)
	} else if f.clientID != "" {
		return cfg, errors.New("--client-id needs --secure-key")
	}
	if f.bind != "" {
		a, err := netip.ParseAddr(f.bind)
		if err != nil || !a.Is4() {
			return cfg, fmt.Errorf("--bind %q is not an IPv4 address", f.bind)
		}
		cfg.Bind = netip.AddrPortFrom(a, uint16(f.port))
	} else {
		cfg.Bind = netip.AddrPortFrom(netip.Addr{}, uint16(f.port))
	}
	cfg.IfName = f.ifname
	cfg.Log = logger
	return cfg, nil
}

func runTeredoClient(args []string, stderr io.Writer) int {
	f, err := parseClientFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	logger := log.New(stderr, "transit6 teredo client: ", log.LstdFlags)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := clientConfig(ctx, f, logger)
	if err != nil {
		logger.Print(err)
		return 2
	}
	c, err := teredoio.NewClient(cfg)
	if err != nil {
		logger.Print(err)
		return 1
	}
	defer c.Close()
	logger.Printf("socket %v, interface %q", c.LocalAddr(), c.IfName())
	return runDaemon(ctx, logger, f.socket, c.Run, c.Status)
}

// runDaemon serves the status socket while run runs, and returns the exit
// status.
func runDaemon(ctx context.Context, logger *log.Logger, socket string, run func(context.Context) error, status func() teredoio.Status) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	if socket != "" {
		ln, err := teredoio.Listen(socket)
		if err != nil {
			logger.Print(err)
			return 1
		}
		go func() { served <- teredoio.Serve(ctx, ln, status) }()
	} else {
		served <- nil
	}
	err := run(ctx)
	cancel()
	if serr := <-served; serr != nil {
		logger.Print(serr)
	}
	if err != nil {
		logger.Print(err)
		return 1
	}
	logger.Print("stopped")
	return 0
}

// serverFlags are the options of "transit6 teredo server".
type serverFlags struct {
	primary   string
	secondary string
	global    prefixList
	native    bool
	ifname    string
	socket    string
	secureKey string
}

// parseServerFlags parses the command line of "transit6 teredo server".
func parseServerFlags(args []string, stderr io.Writer) (*serverFlags, error) {
	fs := flag.NewFlagSet("transit6 teredo server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &serverFlags{}
	fs.StringVar(&f.primary, "primary", "", "primary `IPV4` address (required)")
	fs.StringVar(&f.secondary, "secondary", "", "secondary `IPV4` address (default: primary + 1)")
	fs.Var(&f.global, "global", "IPv4 `prefixes` to treat as global (comma-separated or repeated)")
	fs.BoolVar(&f.native, "native", false, "forward bubbles and ICMPv6 to native IPv6 through a TUN interface")
	fs.StringVar(&f.ifname, "ifname", "teredo", "TUN interface `name` for --native")
	fs.StringVar(&f.socket, "socket", teredoio.DefaultSocket("server"), "status Unix socket `path`")
	fs.StringVar(&f.secureKey, "secure-key", "", "require secure qualification (RFC 4380 §5.2.2): the key is every byte of `FILE` (a trailing newline included), shared with every client")
	conf := fs.String("miredo-conf", "", miredoServerConfUsage)
	if _, err := parseInterleaved(fs, args); err != nil {
		return nil, err
	}
	if err := applyMiredoConf(fs, *conf, miredoconf.Server); err != nil {
		return nil, err
	}
	if f.primary == "" {
		fmt.Fprintln(stderr, "transit6 teredo server: --primary is required")
		return nil, errUsage
	}
	return f, nil
}

// serverConfig turns the flags into the runner's configuration.
func serverConfig(f *serverFlags, logger *log.Logger) (teredoio.ServerConfig, error) {
	var cfg teredoio.ServerConfig
	p, err := netip.ParseAddr(f.primary)
	if err != nil || !p.Is4() {
		return cfg, fmt.Errorf("--primary %q is not an IPv4 address", f.primary)
	}
	cfg.Engine.Primary = p
	if f.secondary != "" {
		s, err := netip.ParseAddr(f.secondary)
		if err != nil || !s.Is4() {
			return cfg, fmt.Errorf("--secondary %q is not an IPv4 address", f.secondary)
		}
		cfg.Engine.Secondary = s
	}
	cfg.Engine.TreatAsGlobal = f.global
	cfg.Engine.Native = f.native
	if f.secureKey != "" {
		k, err := readSecureKey(f.secureKey)
		if err != nil {
			return cfg, err
		}
		cfg.Engine.SecureKey = k
	}
	cfg.IfName = f.ifname
	cfg.Log = logger
	return cfg, nil
}

func runTeredoServer(args []string, stderr io.Writer) int {
	f, err := parseServerFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	logger := log.New(stderr, "transit6 teredo server: ", log.LstdFlags)
	cfg, err := serverConfig(f, logger)
	if err != nil {
		logger.Print(err)
		return 2
	}
	s, err := teredoio.NewServer(cfg)
	if err != nil {
		logger.Print(err)
		return 1
	}
	defer s.Close()
	st := s.Status()
	logger.Printf("serving on %v and %v", st.PrimarySocket, st.SecondarySocket)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runDaemon(ctx, logger, f.socket, s.Run, s.Status)
}

// relayFlags are the options of "transit6 teredo relay".
type relayFlags struct {
	prefix string
	ifname string
	bind   string
	addr   string
	mtu    int
	global prefixList
	socket string
}

// parseRelayFlags parses the command line of "transit6 teredo relay".
func parseRelayFlags(args []string, stderr io.Writer) (*relayFlags, error) {
	fs := flag.NewFlagSet("transit6 teredo relay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &relayFlags{}
	fs.StringVar(&f.prefix, "prefix", "2001::/32", "Teredo `prefix` to serve (routed into the interface)")
	fs.StringVar(&f.ifname, "ifname", "teredo", "TUN interface `name`")
	fs.StringVar(&f.bind, "bind", "", "local `IPV4:PORT` of the relay's UDP socket (default 0.0.0.0:3545)")
	fs.StringVar(&f.addr, "addr", "", "the relay's native `IPV6` address, configured on the interface and used as the source of ICMPv6 errors")
	fs.IntVar(&f.mtu, "mtu", teredoio.TunMTU, "interface `MTU`")
	fs.Var(&f.global, "global", "IPv4 `prefixes` to treat as global (comma-separated or repeated)")
	fs.StringVar(&f.socket, "socket", teredoio.DefaultSocket("relay"), "status Unix socket `path`")
	conf := fs.String("miredo-conf", "", miredoConfUsage)
	if _, err := parseInterleaved(fs, args); err != nil {
		return nil, err
	}
	if err := applyMiredoConf(fs, *conf, miredoconf.Relay); err != nil {
		return nil, err
	}
	return f, nil
}

const (
	miredoConfUsage       = "take the options from Miredo's configuration `FILE` (miredo.conf(5), e.g. /etc/miredo/miredo.conf); options on the command line win"
	miredoServerConfUsage = "take the options from Miredo's server configuration `FILE` (miredo-server.conf(5)); options on the command line win"
)

// applyMiredoConf sets the options that Miredo's configuration file at
// path gives for role (package miredoconf), except those the command line
// set, with the same checks as on the command line; what Miredo would only
// warn about is printed as a warning on fs's output. An empty path does
// nothing. A file it cannot read or take is reported on fs's output and
// returned as errUsage.
func applyMiredoConf(fs *flag.FlagSet, path string, role miredoconf.Role) error {
	if path == "" {
		return nil
	}
	fail := func(format string, a ...any) error {
		fmt.Fprintf(fs.Output(), "%s: --miredo-conf %s: %s\n", fs.Name(), path, fmt.Sprintf(format, a...))
		return errUsage
	}
	b, err := readLimited(path, miredoconf.MaxFile)
	if err != nil {
		return fail("%v", err)
	}
	file, err := miredoconf.Parse(b)
	if err != nil {
		return fail("%v", err)
	}
	opts, warnings, err := file.Options(role)
	if err != nil {
		return fail("%v", err)
	}
	for _, w := range warnings {
		fmt.Fprintf(fs.Output(), "%s: --miredo-conf %s: warning: %v\n", fs.Name(), path, w)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, o := range opts {
		if set[o.Flag] {
			continue
		}
		if err := fs.Set(o.Flag, o.Value); err != nil {
			return fail("line %d: --%s %s: %v", o.Line, o.Flag, o.Value, err)
		}
	}
	return nil
}

// readLimited reads the file at path, refusing one longer than max bytes.
func readLimited(path string, max int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > max {
		return nil, fmt.Errorf("longer than %d bytes", max)
	}
	return b, nil
}

// relayConfig turns the flags into the runner's configuration.
func relayConfig(f *relayFlags, logger *log.Logger) (teredoio.RelayConfig, error) {
	var cfg teredoio.RelayConfig
	p, err := netip.ParsePrefix(f.prefix)
	if err != nil || !p.Addr().Is6() || p.Bits() != 32 {
		return cfg, fmt.Errorf("--prefix %q is not an IPv6 /32", f.prefix)
	}
	cfg.Engine.Prefix = p.Masked()
	if f.bind != "" {
		b, err := netip.ParseAddrPort(f.bind)
		if err != nil {
			a, aerr := netip.ParseAddr(f.bind)
			if aerr != nil {
				return cfg, fmt.Errorf("--bind %q is not IPV4:PORT", f.bind)
			}
			b = netip.AddrPortFrom(a, 0)
		}
		if !b.Addr().Is4() {
			return cfg, fmt.Errorf("--bind %q is not an IPv4 address", f.bind)
		}
		cfg.Bind = b
	}
	if f.addr != "" {
		a, err := netip.ParseAddr(f.addr)
		if err != nil || !a.Is6() || a.Is4In6() {
			return cfg, fmt.Errorf("--addr %q is not an IPv6 address", f.addr)
		}
		cfg.Engine.RelayAddr = a
	}
	if f.mtu < 1280 || f.mtu > 65535 {
		return cfg, fmt.Errorf("--mtu %d outside [1280, 65535]", f.mtu)
	}
	cfg.MTU = f.mtu
	cfg.Engine.Global = f.global
	cfg.IfName = f.ifname
	cfg.Log = logger
	return cfg, nil
}

func runTeredoRelay(args []string, stderr io.Writer) int {
	f, err := parseRelayFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	logger := log.New(stderr, "transit6 teredo relay: ", log.LstdFlags)
	cfg, err := relayConfig(f, logger)
	if err != nil {
		logger.Print(err)
		return 2
	}
	r, err := teredoio.NewRelay(cfg)
	if err != nil {
		logger.Print(err)
		return 1
	}
	defer r.Close()
	logger.Printf("relaying %v on %v, interface %q", cfg.Engine.Prefix, r.LocalAddr(), r.IfName())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runDaemon(ctx, logger, f.socket, r.Run, r.Status)
}

// runTeredoCheckconf checks a Miredo configuration file, as
// miredo-checkconf does, for the role its RelayType names (--server: a
// miredo-server.conf), with the checks the role would make at start-up
// short of resolving names, prints its warnings and errors on stderr and,
// if it is usable, the transit6 command it amounts to on stdout. Exit
// status: 0 usable and clean, 1 not usable or with warnings (as
// miredo-checkconf, which fails a file with warnings), 2 usage.
func runTeredoCheckconf(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("transit6 teredo checkconf", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.Bool("server", false, "the file is a miredo-server.conf(5)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: transit6 teredo checkconf [--server] FILE\n\nChecks Miredo's configuration FILE as miredo-checkconf does and prints the\ntransit6 command it amounts to (exit status 0: usable, no warnings).")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "usage: transit6 teredo checkconf [--server] FILE")
		return 2
	}
	path := pos[0]
	b, err := readLimited(path, miredoconf.MaxFile)
	if err == nil {
		var file miredoconf.File
		if file, err = miredoconf.Parse(b); err == nil {
			role := miredoconf.Server
			if !*server {
				role, err = file.Role()
			}
			if err == nil {
				return checkRole(role, path, file, stdout, stderr)
			}
		}
	}
	fmt.Fprintf(stderr, "transit6 teredo checkconf: %s: %v\n", path, err)
	return 1
}

// checkRole runs the role's option parsing and checks with --miredo-conf
// path (which print the file's warnings and errors), then prints the
// command line file amounts to.
func checkRole(role miredoconf.Role, path string, file miredoconf.File, stdout, stderr io.Writer) int {
	args := []string{"--miredo-conf", path}
	var err error
	switch role {
	case miredoconf.Client:
		// clientConfig would resolve the server names: not here.
		_, err = parseClientFlags(args, stderr)
	case miredoconf.Relay:
		var f *relayFlags
		if f, err = parseRelayFlags(args, stderr); err == nil {
			_, err = relayConfig(f, nil)
		}
	case miredoconf.Server:
		var f *serverFlags
		if f, err = parseServerFlags(args, stderr); err == nil {
			_, err = serverConfig(f, nil)
		}
	}
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "transit6 teredo checkconf: %s: %v\n", path, err)
		}
		return 1
	}
	opts, warnings, _ := file.Options(role) // no error: the role's parsing took it
	cmd := "transit6 teredo " + role.String()
	for _, o := range opts {
		cmd += " --" + o.Flag + " " + o.Value
	}
	fmt.Fprintln(stdout, cmd)
	if len(warnings) > 0 {
		// miredo-checkconf fails a file with warnings, which the daemon
		// runs with.
		fmt.Fprintf(stderr, "transit6 teredo checkconf: %s: %d warning(s): transit6 and Miredo run with it, miredo-checkconf refuses it\n", path, len(warnings))
		return 1
	}
	return 0
}

func runTeredoStatus(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("transit6 teredo status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	socket := fs.String("socket", "", "status Unix socket `path` (default: the client's, else the server's)")
	asJSON := fs.Bool("json", false, "print the status as one JSON object")
	peers := fs.Bool("peers", false, "also list the peers (state, mapping, bubbles sent, last packets) of a client or relay")
	if _, err := parseInterleaved(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	paths := []string{*socket}
	if *socket == "" {
		paths = []string{teredoio.DefaultSocket("client"), teredoio.DefaultSocket("server"), teredoio.DefaultSocket("relay")}
	}
	var err error
	for _, p := range paths {
		var st teredoio.Status
		if st, err = teredoio.Query(p); err != nil {
			continue
		}
		if !*peers {
			st.Peers = nil
		}
		if *asJSON {
			b, _ := json.Marshal(&st) // Status always marshals
			fmt.Fprintf(stdout, "%s\n", b)
		} else {
			st.WriteText(stdout)
			if *peers {
				fmt.Fprintln(stdout)
				st.WritePeers(stdout)
			}
		}
		return 0
	}
	fmt.Fprintf(stderr, "transit6 teredo status: %v\n", err)
	return 1
}
