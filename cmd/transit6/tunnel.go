package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/internal/tunnelio"
	"github.com/transit6/transit6/sixtofour"
	"github.com/transit6/transit6/sixtofour/broker"
)

// tunnelFlags are the options of "transit6 tunnel MECHANISM".
type tunnelFlags struct {
	mech       sixtofour.Mechanism
	local      string
	remote     string
	relay      string
	router     bool
	anyRelay   bool
	sixrd      string
	sixrdMask  int
	br         string
	prl        string
	prefix     string
	mtu        int
	ttl        string
	tos        string
	global     prefixList
	innerSrc   prefixList
	ifname     string
	addr       string
	updateURL  string
	updateUser string
	updateKey  string
	tunnelID   string
}

func tunnelUsage(w io.Writer) {
	fmt.Fprint(w, `usage: transit6 tunnel 6to4 --local IPV4 [--relay IPV4] [flags]
       transit6 tunnel 6rd --local IPV4 --6rd-prefix P --6rd-mask-len N --br IPV4 [flags]
       transit6 tunnel 6in4 --local IPV4 --remote IPV4 [--addr ADDR/LEN] [--inner-source P,...] [flags]
       transit6 tunnel isatap --local IPV4 [--prl IPV4,...] [--prefix P/64] [flags]

A protocol-41 tunnel (RFC 3056, 5969, 5214, 4213) between a TUN interface and
a raw IPv4 socket, like Linux's "ip tunnel add ... mode sit". --router makes
this node the 6to4 relay, 6rd border relay or ISATAP router. Counters are
printed on SIGUSR1 and at exit. Run "transit6 tunnel 6to4 -h" for the flags.
`)
}

// parseTunnelFlags parses the command line of "transit6 tunnel MECHANISM".
func parseTunnelFlags(args []string, stderr io.Writer) (*tunnelFlags, error) {
	if len(args) == 0 {
		tunnelUsage(stderr)
		return nil, errUsage
	}
	m, ok := sixtofour.ParseMechanism(args[0])
	if !ok {
		if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
			tunnelUsage(stderr)
			return nil, flag.ErrHelp
		}
		fmt.Fprintf(stderr, "transit6 tunnel: unknown mechanism %q (6to4, 6rd, 6in4, isatap)\n", args[0])
		return nil, errUsage
	}
	name := "transit6 tunnel " + m.String()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &tunnelFlags{mech: m}
	fs.StringVar(&f.local, "local", "", "local `IPV4` address, the tunnel's outer source (required)")
	fs.StringVar(&f.remote, "remote", "", "6in4: the remote tunnel endpoint `IPV4` (required)")
	fs.StringVar(&f.relay, "relay", "", "6to4: the relay router `IPV4` for destinations outside 2002::/16")
	fs.BoolVar(&f.router, "router", false, "be the 6to4 relay, 6rd border relay or ISATAP router")
	fs.BoolVar(&f.anyRelay, "any-relay", false, "6to4/6rd: accept native sources from any IPv4 address, as Linux does (spoofable)")
	fs.StringVar(&f.sixrd, "6rd-prefix", "", "6rd: the 6rd `prefix`")
	fs.IntVar(&f.sixrdMask, "6rd-mask-len", 0, "6rd: IPv4 mask `length` (high bits common to the domain)")
	fs.StringVar(&f.br, "br", "", "6rd: border relay `IPV4[,IPV4...]`")
	fs.StringVar(&f.prl, "prl", "", "ISATAP: potential router list `IPV4[,IPV4...]`")
	fs.StringVar(&f.prefix, "prefix", "", "ISATAP: on-link `prefix` (a /64)")
	fs.IntVar(&f.mtu, "mtu", 0, "tunnel `MTU` (default: 6to4 and 6in4 follow the path MTU, starting from the IPv4 route's MTU − 20; 1280 for 6rd and ISATAP)")
	fs.StringVar(&f.ttl, "ttl", "inherit", "outer TTL: `N` (1-255) or inherit")
	fs.StringVar(&f.tos, "tos", "0", "outer TOS: `N` (0-255, ECN bits ignored) or inherit")
	fs.Var(&f.global, "global", "IPv4 `prefixes` to treat as global (comma-separated or repeated), e.g. 198.51.100.0/24 in a lab")
	fs.Var(&f.innerSrc, "inner-source", "6in4: accept only these IPv6 inner source `prefixes` (comma-separated or repeated) from the remote, and link-local ones (RFC 4213 §3.6 ingress filter)")
	fs.StringVar(&f.ifname, "ifname", "", "TUN interface `name` (default tun6to4, tun6rd, tun6in4, isatap0)")
	fs.StringVar(&f.addr, "addr", "", "interface `ADDR[/LEN]` instead of the derived one")
	fs.StringVar(&f.updateURL, "update-url", "", "6in4: tunnel broker update `URL` (HE's dyndns2-style API), called once at start")
	fs.StringVar(&f.updateUser, "update-user", "", "6in4: broker account `name`")
	fs.StringVar(&f.updateKey, "update-key-file", "", "6in4: `file` holding the broker update key")
	fs.StringVar(&f.tunnelID, "tunnel-id", "", "6in4: broker tunnel `ID` (default: hostname= of --update-url)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", name, pos[0])
		return nil, errUsage
	}
	return f, nil
}

// parseV4 parses an IPv4 address flag value.
func parseV4(flagName, s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("--%s %q is not an IPv4 address", flagName, s)
	}
	return a, nil
}

// parseV4List parses a comma-separated list of IPv4 addresses.
func parseV4List(flagName, s string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		a, err := parseV4(flagName, f)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// parseByteOrInherit parses "inherit" (true) or a number 0..255.
func parseByteOrInherit(flagName, s string) (v uint8, inherit bool, err error) {
	if s == "inherit" {
		return 0, true, nil
	}
	n, err := strconv.ParseUint(s, 0, 8)
	if err != nil {
		return 0, false, fmt.Errorf("--%s %q is neither a number 0-255 nor inherit", flagName, s)
	}
	return uint8(n), false, nil
}

// tunnelConfig turns the flags into the runner's configuration.
func tunnelConfig(f *tunnelFlags) (tunnelio.Config, error) {
	var cfg tunnelio.Config
	e := &cfg.Engine
	e.Mechanism = f.mech
	e.Relay = f.router
	e.AnyRelay = f.anyRelay
	e.TreatAsGlobal = f.global
	e.MTU = f.mtu
	var err error
	if f.local == "" {
		return cfg, errors.New("--local is required")
	}
	if e.Local, err = parseV4("local", f.local); err != nil {
		return cfg, err
	}
	ttl, inherit, err := parseByteOrInherit("ttl", f.ttl)
	if err != nil {
		return cfg, err
	}
	if !inherit && ttl == 0 {
		return cfg, errors.New("--ttl 0: use 1-255 or inherit")
	}
	e.Outer.TTL = ttl // 0 is sixtofour.TTLInherit
	if e.Outer.TOS, e.Outer.InheritTOS, err = parseByteOrInherit("tos", f.tos); err != nil {
		return cfg, err
	}
	only := func(flagName, val string, m sixtofour.Mechanism) error {
		if val != "" && f.mech != m {
			return fmt.Errorf("--%s applies to %v only", flagName, m)
		}
		return nil
	}
	for _, c := range []struct {
		name, val string
		m         sixtofour.Mechanism
	}{
		{"remote", f.remote, sixtofour.SixInFour}, {"relay", f.relay, sixtofour.SixToFour},
		{"6rd-prefix", f.sixrd, sixtofour.SixRD}, {"br", f.br, sixtofour.SixRD},
		{"prl", f.prl, sixtofour.ISATAP}, {"prefix", f.prefix, sixtofour.ISATAP},
		{"update-url", f.updateURL, sixtofour.SixInFour}, {"inner-source", f.innerSrc.String(), sixtofour.SixInFour},
	} {
		if err := only(c.name, c.val, c.m); err != nil {
			return cfg, err
		}
	}
	switch f.mech {
	case sixtofour.SixToFour:
		if f.relay != "" {
			if e.SixToFourRelay, err = parseV4("relay", f.relay); err != nil {
				return cfg, err
			}
		}
	case sixtofour.SixRD:
		if f.sixrd == "" || f.br == "" {
			return cfg, errors.New("6rd needs --6rd-prefix and --br")
		}
		p, err := netip.ParsePrefix(f.sixrd)
		if err != nil || !p.Addr().Is6() {
			return cfg, fmt.Errorf("--6rd-prefix %q is not an IPv6 prefix", f.sixrd)
		}
		if f.sixrdMask < 0 || f.sixrdMask > 32 {
			return cfg, fmt.Errorf("--6rd-mask-len %d outside 0..32", f.sixrdMask)
		}
		brs, err := parseV4List("br", f.br)
		if err != nil {
			return cfg, err
		}
		e.SixRD = addr.SixRD{Prefix: p.Masked(), IPv4MaskLen: f.sixrdMask, BorderRelays: brs}
	case sixtofour.ISATAP:
		if e.PRL, err = parseV4List("prl", f.prl); err != nil {
			return cfg, err
		}
		if f.prefix != "" {
			p, err := netip.ParsePrefix(f.prefix)
			if err != nil || !p.Addr().Is6() || p.Bits() != 64 {
				return cfg, fmt.Errorf("--prefix %q is not an IPv6 /64", f.prefix)
			}
			e.OnLink = []netip.Prefix{p.Masked()}
		}
		if !f.router && len(e.PRL) == 0 {
			return cfg, errors.New("an ISATAP host needs --prl (or use --router)")
		}
	case sixtofour.SixInFour:
		if f.remote == "" {
			return cfg, errors.New("6in4 needs --remote")
		}
		if e.Remote, err = parseV4("remote", f.remote); err != nil {
			return cfg, err
		}
		if f.router {
			return cfg, errors.New("--router does not apply to 6in4")
		}
		for _, p := range f.innerSrc {
			if !p.Addr().Is6() || p.Addr().Is4In6() {
				return cfg, fmt.Errorf("--inner-source %v is not an IPv6 prefix", p)
			}
		}
		e.InnerSources = f.innerSrc
	}
	if f.addr != "" {
		p, err := netip.ParsePrefix(f.addr)
		if err != nil {
			a, aerr := netip.ParseAddr(f.addr)
			if aerr != nil {
				return cfg, fmt.Errorf("--addr %q is not an IPv6 address or prefix", f.addr)
			}
			p = netip.PrefixFrom(a, 128)
		}
		if !p.Addr().Is6() || p.Addr().Is4In6() {
			return cfg, fmt.Errorf("--addr %q is not IPv6", f.addr)
		}
		cfg.Addr = p
	}
	cfg.IfName = f.ifname
	return cfg, nil
}

// brokerClient returns the tunnel broker client the flags ask for, or nil.
func brokerClient(f *tunnelFlags) (*broker.Client, error) {
	if f.updateURL == "" {
		return nil, nil
	}
	if f.updateUser == "" || f.updateKey == "" {
		return nil, errors.New("--update-url needs --update-user and --update-key-file")
	}
	key, err := broker.KeyFromFile(f.updateKey)
	if err != nil {
		return nil, err
	}
	return &broker.Client{URL: f.updateURL, User: f.updateUser, Key: key, TreatAsGlobal: f.global}, nil
}

func runTunnel(args []string, stdout, stderr io.Writer) int {
	f, err := parseTunnelFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	logger := log.New(stderr, "transit6 tunnel "+f.mech.String()+": ", log.LstdFlags)
	cfg, err := tunnelConfig(f)
	if err != nil {
		logger.Print(err)
		return 2
	}
	bc, err := brokerClient(f)
	if err != nil {
		logger.Print(err)
		return 2
	}
	cfg.Log = logger
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if bc != nil {
		uctx, cancel := context.WithTimeout(ctx, 3*broker.DefaultTimeout)
		res, err := bc.Update(uctx, f.tunnelID, cfg.Engine.Local)
		cancel()
		if err != nil {
			logger.Printf("broker update: %v", err)
		} else {
			logger.Printf("broker update: %v", res)
		}
	}
	t, err := tunnelio.New(cfg)
	if err != nil {
		logger.Print(err)
		return 1
	}
	defer t.Close()
	// SIGUSR1 is taken before the line that says the tunnel is up: a
	// signal that comes before Notify is dropped, and a script that
	// waits for that line may send one at once.
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	logger.Print(t.Describe())
	go func() {
		for range usr1 {
			writeCounters(stderr, t.Counters())
		}
	}()
	start := time.Now()
	err = t.Run(ctx)
	writeCounters(stderr, t.Counters())
	if err != nil {
		logger.Print(err)
		return 1
	}
	if cerr := t.Close(); cerr != nil {
		logger.Print(cerr)
	}
	logger.Printf("stopped after %v", time.Since(start).Round(time.Second))
	return 0
}

// writeCounters prints the non-zero counters between marker lines, one
// "direction.reason N" per line, for humans and for tests that parse them.
func writeCounters(w io.Writer, c sixtofour.Counters) {
	fmt.Fprintf(w, "counters:\n%send counters\n", c.String())
}
