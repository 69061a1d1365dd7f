package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/transit6/transit6/addr"
)

// prefixList is a flag.Value collecting IPv4/IPv6 prefixes, repeated or
// comma-separated.
type prefixList []netip.Prefix

func (p *prefixList) String() string {
	s := make([]string, len(*p))
	for i, x := range *p {
		s[i] = x.String()
	}
	return strings.Join(s, ",")
}

func (p *prefixList) Set(v string) error {
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(f)
		if err != nil {
			// A bare address means a single-address prefix.
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return fmt.Errorf("bad prefix %q", f)
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		*p = append(*p, pfx.Masked())
	}
	return nil
}

// parseInterleaved parses flags that may appear before, between or after the
// positional arguments, and returns the positional arguments. A lone "-" is
// positional (standard input); "--" ends flag parsing.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

type addrOptions struct {
	json          bool
	legacyTeredo  bool
	treatAsGlobal prefixList
}

func runAddr(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "6rd" {
		return runAddr6RD(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("transit6 addr", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o addrOptions
	fs.BoolVar(&o.json, "json", false, "print one JSON object per input")
	fs.BoolVar(&o.legacyTeredo, "legacy-teredo", false, "also decode the obsolete Teredo prefix 3ffe:831f::/32")
	fs.Var(&o.treatAsGlobal, "treat-as-global", "IPv4/IPv6 `prefixes` to treat as global (comma-separated or repeated), e.g. 192.0.2.0/24 in a lab")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: transit6 addr [flags] ADDR... | -
       transit6 addr 6rd [flags] IPV4...

Explains IPv6 and IPv4 addresses of the transition world: kind, every
embedded IPv4 and its role, Teredo, 6to4, ISATAP and NAT64 fields, and
whether the address may be treated as public (every embedded IPv4 is
re-classified). "-" reads one address per line from standard input.

flags:
`)
		fs.PrintDefaults()
	}
	inputs, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(inputs) == 0 {
		fs.Usage()
		return 2
	}
	c := addr.NewClassifier(o.treatAsGlobal...)
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	status := 0
	handle := func(in string) {
		if err := explainOne(w, c, &o, in); err != nil {
			fmt.Fprintf(stderr, "transit6 addr: %q: %v\n", in, err)
			if o.json {
				writeJSON(w, errorJSON{Input: in, Error: err.Error()})
			}
			status = 2
		}
	}
	for _, in := range inputs {
		if in != "-" {
			handle(in)
			continue
		}
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 0, 4096), 1<<20)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			handle(line)
		}
		if err := sc.Err(); err != nil {
			fmt.Fprintf(stderr, "transit6 addr: reading standard input: %v\n", err)
			status = 2
		}
	}
	return status
}

// JSON shapes of "transit6 addr --json". Field names are a stable interface.
type (
	addrJSON struct {
		Input        string         `json:"input"`
		Addr         string         `json:"addr"`
		Kind         addr.Kind      `json:"kind"`
		Public       bool           `json:"public"`
		EmbeddedIPv4 []embeddedJSON `json:"embedded_ipv4"`
		Range        *rangeJSON     `json:"special_range,omitempty"`
		Teredo       *teredoJSON    `json:"teredo,omitempty"`
		SixToFour    *sixtofourJSON `json:"sixtofour,omitempty"`
		ISATAP       *isatapJSON    `json:"isatap,omitempty"`
		NAT64        *nat64JSON     `json:"nat64,omitempty"`
		TeredoLL     *teredoLLJSON  `json:"teredo_link_local,omitempty"`
		IPv4         *ipv4JSON      `json:"ipv4,omitempty"`
	}
	embeddedJSON struct {
		Role   string `json:"role"`
		IPv4   string `json:"ipv4"`
		Public bool   `json:"public"`
	}
	rangeJSON struct {
		Prefix string `json:"prefix"`
		Name   string `json:"name"`
		RFC    string `json:"rfc"`
		Global bool   `json:"global"`
	}
	teredoJSON struct {
		Server  string `json:"server"`
		Client  string `json:"client"`
		Port    uint16 `json:"port"`
		Flags   string `json:"flags"`
		Cone    bool   `json:"cone"`
		RFC5991 bool   `json:"rfc5991"`
		Legacy  bool   `json:"legacy_prefix,omitempty"`
		LinkLcl string `json:"server_link_local"`
	}
	sixtofourJSON struct {
		IPv4   string `json:"ipv4"`
		SLA    uint16 `json:"sla"`
		Prefix string `json:"prefix"`
	}
	isatapJSON struct {
		IPv4      string `json:"ipv4"`
		Universal bool   `json:"universal"`
		Strict    bool   `json:"strict"`
	}
	teredoLLJSON struct {
		Role   string `json:"role"`             // "server" or "client"
		Server string `json:"server,omitempty"` // server IPv4:port, for the server form
	}
	nat64JSON struct {
		Prefix string `json:"prefix"`
		IPv4   string `json:"ipv4"`
	}
	ipv4JSON struct {
		SixToFourPrefix  string   `json:"sixtofour_prefix"`
		ISATAPIDs        []string `json:"isatap_interface_ids"`
		TeredoObfuscated string   `json:"teredo_obfuscated"`
		NAT64            string   `json:"nat64_well_known"`
		Mapped           string   `json:"ipv4_mapped"`
	}
	errorJSON struct {
		Input string `json:"input"`
		Error string `json:"error"`
	}
)

func writeJSON(w io.Writer, v any) {
	b, _ := json.Marshal(v) // the shapes above always marshal
	w.Write(append(b, '\n'))
}

var errBadAddr = errors.New("not an IPv4 or IPv6 address")

// describe computes everything "transit6 addr" reports about a.
func describe(c *addr.Classifier, o *addrOptions, in string) (addrJSON, error) {
	a, err := netip.ParseAddr(in)
	if err != nil {
		return addrJSON{}, errBadAddr
	}
	d := addrJSON{
		Input:        in,
		Addr:         a.String(),
		Kind:         addr.KindOf(a),
		Public:       c.IsPublic(a),
		EmbeddedIPv4: []embeddedJSON{},
	}
	r, ok := addr.LookupIPv4(a)
	if !ok {
		r, ok = addr.LookupIPv6(a)
	}
	if ok {
		d.Range = &rangeJSON{Prefix: r.Prefix.String(), Name: r.Name, RFC: r.RFC, Global: r.Global}
	}
	es := addr.EmbeddedIPv4(a)
	for i := 0; i < es.Len(); i++ {
		e := es.At(i)
		d.EmbeddedIPv4 = append(d.EmbeddedIPv4, embeddedJSON{Role: e.Role.String(), IPv4: e.IPv4.String(), Public: c.IsGlobalIPv4(e.IPv4)})
	}
	if a.Is4() {
		v4 := a
		p, _ := addr.SixToFourSitePrefix(v4)
		id0, _ := addr.ISATAPInterfaceID(v4, false)
		id1, _ := addr.ISATAPInterfaceID(v4, true)
		b := v4.As4()
		nat, _ := addr.NAT64Embed(addr.NAT64WellKnownPrefix, v4)
		d.IPv4 = &ipv4JSON{
			SixToFourPrefix:  p.String(),
			ISATAPIDs:        []string{iidString(id0), iidString(id1)},
			TeredoObfuscated: fmt.Sprintf("%x:%x", (uint16(b[0])<<8|uint16(b[1]))^0xffff, (uint16(b[2])<<8|uint16(b[3]))^0xffff),
			NAT64:            nat.String(),
			Mapped:           addr.IPv4Mapped(v4).String(),
		}
		return d, nil
	}
	t, err := addr.TeredoOptions{AllowLegacyPrefix: o.legacyTeredo}.Decode(a)
	if err == nil {
		d.Teredo = &teredoJSON{
			Server:  t.Server.String(),
			Client:  t.Client.Addr().String(),
			Port:    t.Client.Port(),
			Flags:   fmt.Sprintf("0x%04x", t.Flags),
			Cone:    t.Cone(),
			RFC5991: t.ConformsRFC5991(),
			Legacy:  t.Legacy,
			LinkLcl: addr.TeredoServerLinkLocal(netip.AddrPortFrom(t.Server, 3544)).String(),
		}
		if t.Legacy {
			d.Kind = addr.KindTeredo
		}
	}
	if v4, sla, err := addr.DecodeSixToFour(a); err == nil {
		p, _ := addr.SixToFourSitePrefix(v4)
		d.SixToFour = &sixtofourJSON{IPv4: v4.String(), SLA: sla, Prefix: p.String()}
	}
	if v4, u, err := addr.DecodeISATAP(a, addr.ISATAPLenient); err == nil {
		_, _, serr := addr.DecodeISATAP(a, addr.ISATAPStrict)
		d.ISATAP = &isatapJSON{IPv4: v4.String(), Universal: u, Strict: serr == nil}
	}
	if ap, err := addr.DecodeTeredoServerLinkLocal(a); err == nil {
		d.TeredoLL = &teredoLLJSON{Role: "server", Server: ap.String()}
	} else if addr.IsTeredoClientLinkLocal(a) {
		d.TeredoLL = &teredoLLJSON{Role: "client"}
	}
	for _, p := range []netip.Prefix{addr.NAT64WellKnownPrefix, addr.NAT64LocalUsePrefix} {
		if v4, err := addr.NAT64Extract(p, a); err == nil {
			d.NAT64 = &nat64JSON{Prefix: p.String(), IPv4: v4.String()}
			break
		}
	}
	return d, nil
}

func iidString(id [8]byte) string {
	return fmt.Sprintf("%x:%x:%x:%x", uint16(id[0])<<8|uint16(id[1]), uint16(id[2])<<8|uint16(id[3]),
		uint16(id[4])<<8|uint16(id[5]), uint16(id[6])<<8|uint16(id[7]))
}

func explainOne(w io.Writer, c *addr.Classifier, o *addrOptions, in string) error {
	d, err := describe(c, o, in)
	if err != nil {
		return err
	}
	if o.json {
		writeJSON(w, d)
		return nil
	}
	fmt.Fprintf(w, "%s\n", d.Addr)
	row := func(k, format string, args ...any) {
		fmt.Fprintf(w, "  %-14s %s\n", k+":", fmt.Sprintf(format, args...))
	}
	row("kind", "%s", d.Kind)
	row("public", "%v", d.Public)
	if d.Range != nil {
		g := "not globally reachable"
		if d.Range.Global {
			g = "globally reachable"
			if len(d.EmbeddedIPv4) > 0 {
				g = "judged by its embedded IPv4"
			}
		}
		row("special range", "%s %s (%s), %s", d.Range.Prefix, d.Range.Name, d.Range.RFC, g)
	}
	for _, e := range d.EmbeddedIPv4 {
		pub := "not public"
		if e.Public {
			pub = "public"
		}
		row("embedded ipv4", "%s %s (%s)", e.Role, e.IPv4, pub)
	}
	if t := d.Teredo; t != nil {
		row("teredo", "server %s, client %s, port %d, flags %s, cone %v, rfc5991 %v", t.Server, t.Client, t.Port, t.Flags, t.Cone, t.RFC5991)
		row("teredo server", "link-local %s", t.LinkLcl)
	}
	if s := d.SixToFour; s != nil {
		row("6to4", "ipv4 %s, sla %d (0x%04x), site %s", s.IPv4, s.SLA, s.SLA, s.Prefix)
	}
	if s := d.ISATAP; s != nil {
		row("isatap", "ipv4 %s, universal %v, linux-recognised %v", s.IPv4, s.Universal, s.Strict)
	}
	if s := d.NAT64; s != nil {
		row("nat64", "prefix %s, ipv4 %s", s.Prefix, s.IPv4)
	}
	if s := d.TeredoLL; s != nil {
		if s.Role == "server" {
			row("teredo", "server link-local of %s", s.Server)
		} else {
			row("teredo", "well-known client link-local (Router Solicitation source)")
		}
	}
	if s := d.IPv4; s != nil {
		row("6to4 prefix", "%s", s.SixToFourPrefix)
		row("isatap iid", "%s (u=0), %s (u=1)", s.ISATAPIDs[0], s.ISATAPIDs[1])
		row("teredo form", "%s (obfuscated, as in the last 32 bits of a Teredo address)", s.TeredoObfuscated)
		row("nat64", "%s", s.NAT64)
		row("ipv4-mapped", "%s", s.Mapped)
	}
	return nil
}

// runAddr6RD implements "transit6 addr 6rd".
func runAddr6RD(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("transit6 addr 6rd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		prefix  = fs.String("prefix", "", "6rd `prefix`, e.g. 2001:db8::/32")
		maskLen = fs.Int("mask-len", 0, "IPv4MaskLen: high bits of the CE IPv4 common to the domain (0..32)")
		option  = fs.String("dhcp-option", "", "decode DHCPv4 OPTION_6RD from `hex` (option body, or with code 212 and length)")
		kernel  = fs.Bool("kernel-limits", false, "also require the delegated prefix to be /64 or shorter (Linux/FreeBSD limit)")
		asJSON  = fs.Bool("json", false, "print JSON")
	)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: transit6 addr 6rd --prefix P --mask-len N IPV4...
       transit6 addr 6rd --dhcp-option HEX [IPV4...]

Prints the 6rd delegated prefix of each CE IPv4 address (RFC 5969 §4), and
decodes DHCPv4 OPTION_6RD (code 212, RFC 5969 §7.1.1).

flags:
`)
		fs.PrintDefaults()
	}
	ces, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var cfg addr.SixRD
	switch {
	case *option != "":
		raw, err := hex.DecodeString(strings.NewReplacer(" ", "", ":", "").Replace(*option))
		if err != nil {
			fmt.Fprintf(stderr, "transit6 addr 6rd: --dhcp-option: not hex: %v\n", err)
			return 2
		}
		var o addr.Option6RD
		if len(raw) > 0 && raw[0] == 212 && len(raw) >= 2 && int(raw[1]) == len(raw)-2 {
			o, _, err = addr.ConsumeOption6RD(raw)
		} else {
			o, err = addr.ParseOption6RD(raw)
		}
		if err != nil {
			fmt.Fprintf(stderr, "transit6 addr 6rd: --dhcp-option: %v\n", err)
			return 2
		}
		cfg = o.Config()
		if *asJSON {
			writeJSON(stdout, option6RDJSON(cfg, o.HostBitsSet()))
		} else {
			fmt.Fprintf(stdout, "OPTION_6RD\n  6rd prefix:    %s\n  ipv4 mask len: %d\n", cfg.Prefix, cfg.IPv4MaskLen)
			for _, br := range cfg.BorderRelays {
				fmt.Fprintf(stdout, "  border relay:  %s\n", br)
			}
			fmt.Fprintf(stdout, "  delegated len: /%d\n", cfg.DelegatedLen())
			if o.HostBitsSet() {
				fmt.Fprintln(stdout, "  warning:       the sender left host bits set in the 6rd prefix (ignored, RFC 5969 §7.1.1)")
			}
		}
	case *prefix != "":
		p, err := netip.ParsePrefix(*prefix)
		if err != nil {
			fmt.Fprintf(stderr, "transit6 addr 6rd: --prefix: %v\n", err)
			return 2
		}
		cfg = addr.SixRD{Prefix: p, IPv4MaskLen: *maskLen}
	default:
		fmt.Fprintln(stderr, "transit6 addr 6rd: need --prefix and --mask-len, or --dhcp-option")
		fs.Usage()
		return 2
	}
	policy := addr.SixRDPolicyDHCP
	if *kernel {
		policy = addr.SixRDPolicyKernel
	}
	if err := cfg.Validate(policy); err != nil {
		fmt.Fprintf(stderr, "transit6 addr 6rd: %s/%d: %v\n", cfg.Prefix, cfg.IPv4MaskLen, err)
		return 2
	}
	status := 0
	for _, in := range ces {
		v4, err := netip.ParseAddr(in)
		var d netip.Prefix
		if err == nil {
			d, err = cfg.DelegatedPrefix(v4)
		}
		if err != nil {
			fmt.Fprintf(stderr, "transit6 addr 6rd: %q: %v\n", in, err)
			if *asJSON {
				writeJSON(stdout, errorJSON{Input: in, Error: err.Error()})
			}
			status = 2
			continue
		}
		if *asJSON {
			writeJSON(stdout, struct {
				Input     string `json:"input"`
				Delegated string `json:"delegated_prefix"`
				CE        string `json:"ce_address"`
			}{in, d.String(), d.Addr().Next().String()})
		} else {
			fmt.Fprintf(stdout, "%s -> %s\n", in, d)
		}
	}
	return status
}

func option6RDJSON(c addr.SixRD, hostBits bool) any {
	brs := make([]string, len(c.BorderRelays))
	for i, b := range c.BorderRelays {
		brs[i] = b.String()
	}
	return struct {
		Prefix       string   `json:"prefix"`
		IPv4MaskLen  int      `json:"ipv4_mask_len"`
		BorderRelays []string `json:"border_relays"`
		DelegatedLen int      `json:"delegated_len"`
		HostBitsSet  bool     `json:"host_bits_set"`
	}{c.Prefix.String(), c.IPv4MaskLen, brs, c.DelegatedLen(), hostBits}
}
