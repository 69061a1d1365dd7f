// Package miredoconf reads Miredo's configuration files, miredo.conf(5)
// and miredo-server.conf(5), and translates them into the command-line
// options of transit6's Teredo roles, so that an operator replacing
// Miredo keeps the file: `transit6 teredo client|relay|server
// --miredo-conf FILE`.
//
// It reads what Miredo 1.2.6 reads, and the same way (checked against
// the program): a line is a directive name and a value, the first two
// words on it (what follows is ignored, so a trailing comment is
// harmless); a line whose first word starts with '#' is a comment; names
// are case-insensitive; integers may be written in decimal, octal (0...)
// or hexadecimal (0x...). What Miredo only warns about is a warning here
// too, returned beside the options for the caller to log: a line with a
// name and no value, or too long; a directive given twice (the first
// counts); a directive Miredo does not have, or has but not for the role
// ("Superfluous directive", a ServerAddress in a relay's file). What
// Miredo refuses is an error, and so is what transit6 cannot do as the
// file asks (a host name where transit6 takes an IPv4 address, a server
// prefix other than 2001::).
package miredoconf

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

var (
	// ErrSyntax reports a file that is not text: a NUL byte or invalid
	// UTF-8, or a file longer than MaxFile.
	ErrSyntax = errors.New("miredoconf: not a configuration file")
	// ErrIgnored (a warning) reports a line Miredo ignores too: a name
	// with no value, or a line longer than MaxLine.
	ErrIgnored = errors.New("miredoconf: line ignored")
	// ErrDuplicate (a warning) reports a directive given again: the first
	// counts, as in Miredo.
	ErrDuplicate = errors.New("miredoconf: directive given twice, this one ignored")
	// ErrUnknown (a warning) reports a directive Miredo does not have; it
	// is ignored, as Miredo does.
	ErrUnknown = errors.New("miredoconf: unknown directive, ignored")
	// ErrSuperfluous (a warning) reports a directive Miredo has but not
	// for the role, which Miredo ignores with "Superfluous directive": a
	// ServerAddress for a relay, a Prefix for a client.
	ErrSuperfluous = errors.New("miredoconf: superfluous directive for this role, ignored")
	// ErrTruncated (a warning) reports a Prefix with bits set past its
	// first 32, which Miredo ignores, as Options does.
	ErrTruncated = errors.New("miredoconf: prefix truncated to /32")
	// ErrRelayType reports a RelayType the role is not: "client" given
	// to a relay, "cone" to a client.
	ErrRelayType = errors.New("miredoconf: RelayType is not this role")
	// ErrBadValue reports a value Miredo refuses too, or one outside what
	// the transit6 option takes (an MTU below 1280).
	ErrBadValue = errors.New("miredoconf: bad value")
	// ErrUnsupported reports what transit6 cannot do as the file asks: a
	// host name for an IPv4 address, a server Prefix other than 2001::,
	// a server InterfaceMTU other than 1280, DiscoveryInterfaces with
	// local discovery on.
	ErrUnsupported = errors.New("miredoconf: not supported by transit6")
)

const (
	// MaxFile is the largest file Parse reads: a real one is a few
	// hundred bytes.
	MaxFile = 64 << 10
	// MaxLine is the longest line Parse reads; a longer one is ignored
	// with a warning (Miredo's limit is about the same).
	MaxLine = 1024
)

// Directive is one line of a configuration file.
type Directive struct {
	Name  string // as written
	Value string // the second word on the line
	Line  int    // 1-based
}

// File is a parsed configuration file: its directives in file order, the
// first of each name only, and the warnings about the lines it skipped
// (ErrIgnored, ErrDuplicate).
type File struct {
	Directives []Directive
	Warnings   []*Error
}

// Error is a problem at one line of a file; it wraps one of the package's
// sentinel errors.
type Error struct {
	Line int
	Name string // the directive, if the line has one
	Err  error
}

func (e *Error) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("line %d: %s: %v", e.Line, e.Name, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Parse reads a configuration file. It fails only on a file that is not
// text (ErrSyntax); names and values are checked against a role by
// [File.Options].
func Parse(data []byte) (File, error) {
	var f File
	if len(data) > MaxFile {
		return f, fmt.Errorf("%w: longer than %d bytes", ErrSyntax, MaxFile)
	}
	seen := map[string]int{}
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if bytes.IndexByte(line, 0) >= 0 || !utf8.Valid(line) {
			return File{}, &Error{Line: n, Err: fmt.Errorf("%w: not text", ErrSyntax)}
		}
		if len(line) > MaxLine {
			f.Warnings = append(f.Warnings, &Error{Line: n, Err: fmt.Errorf("%w: longer than %d bytes", ErrIgnored, MaxLine)})
			continue
		}
		words := strings.Fields(string(line))
		if len(words) == 0 || words[0][0] == '#' {
			continue
		}
		if len(words) == 1 {
			f.Warnings = append(f.Warnings, &Error{Line: n, Name: words[0], Err: fmt.Errorf("%w: no value", ErrIgnored)})
			continue
		}
		key := strings.ToLower(words[0])
		if first, dup := seen[key]; dup {
			f.Warnings = append(f.Warnings, &Error{Line: n, Name: words[0], Err: fmt.Errorf("%w (first at line %d)", ErrDuplicate, first)})
			continue
		}
		seen[key] = n
		f.Directives = append(f.Directives, Directive{Name: words[0], Value: words[1], Line: n})
	}
	return f, nil
}

// Role is the transit6 Teredo role a file is read for.
type Role int

const (
	Client Role = iota // miredo.conf, RelayType client or autoclient
	Relay              // miredo.conf, RelayType cone, relay or restricted
	Server             // miredo-server.conf
)

func (r Role) String() string {
	switch r {
	case Client:
		return "client"
	case Relay:
		return "relay"
	case Server:
		return "server"
	}
	return fmt.Sprintf("Role(%d)", int(r))
}

// Role returns the role a miredo.conf(5) file describes, by its RelayType:
// Client without one (Miredo's default), as miredo-checkconf reads it. A
// miredo-server.conf(5) file has no RelayType: its role is Server,
// which only the caller knows. It returns an *Error wrapping ErrBadValue
// for a RelayType Miredo does not have.
func (f File) Role() (Role, error) {
	for _, d := range f.Directives {
		if strings.EqualFold(d.Name, "RelayType") {
			r, ok := relayType(d.Value)
			if !ok {
				return Client, &Error{Line: d.Line, Name: d.Name, Err: fmt.Errorf("%w %q: %s", ErrBadValue, d.Value, relayTypes)}
			}
			return r, nil
		}
	}
	return Client, nil
}

const relayTypes = "want client, autoclient, cone, relay or restricted"

// relayType reads a RelayType value.
func relayType(v string) (Role, bool) {
	switch strings.ToLower(v) {
	case "client", "autoclient":
		return Client, true
	case "cone", "relay", "restricted":
		return Relay, true
	}
	return Client, false
}

// Option is a transit6 command-line option and the value the file gives
// it, with the line it came from.
type Option struct {
	Flag  string // without dashes: "server", "bind", "ifname", ...
	Value string
	Line  int
}

// roles lists, for each directive Miredo knows (lower case), the roles
// that take it: those of 1.2.6, and the local discovery of its later
// sources (LocalDiscovery, DiscoveryInterfaces, DiscoveryNetmask), which
// transit6 has.
var roles = map[string][]Role{
	"relaytype":           {Client, Relay},
	"serveraddress":       {Client},
	"serveraddress2":      {Client},
	"prefix":              {Relay, Server},
	"interfacemtu":        {Relay, Server},
	"interfacename":       {Client, Relay},
	"bindaddress":         {Client, Relay},
	"bindport":            {Client, Relay},
	"syslogfacility":      {Client, Relay, Server},
	"localdiscovery":      {Client},
	"discoveryinterfaces": {Client},
	"discoverynetmask":    {Client},
	"serverbindaddress":   {Server},
	"serverbindaddress2":  {Server},
}

// syslogFacilities are the facilities Miredo knows on Linux.
var syslogFacilities = []string{"auth", "authpriv", "cron", "daemon", "ftp", "kern",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
	"lpr", "mail", "news", "syslog", "user", "uucp"}

// teredoPrefix is Miredo's default and the only prefix a transit6 server
// serves.
var teredoPrefix = netip.MustParseAddr("2001::")

// Options translates the file into the options of `transit6 teredo
// role`, in file order, with the warnings of Parse and its own
// (ErrUnknown, ErrSuperfluous), in line order. Directives with no
// transit6 counterpart that do not change what the role does are dropped:
// SyslogFacility (transit6 logs to standard error), DiscoveryNetmask
// (transit6 sends discovery bubbles to 224.0.0.253), a server's Prefix
// 2001:: and InterfaceMTU 1280 (what a transit6 server does). It returns
// an *Error wrapping ErrRelayType, ErrBadValue or ErrUnsupported for the
// first line it cannot take.
func (f File) Options(role Role) (opts []Option, warnings []*Error, err error) {
	warnings = append(warnings, f.Warnings...)
	var bindAddr, bindPort *Option // the client's --bind and --port, joined for a relay
	discovery, discoveryIfs := false, 0
	for i := range f.Directives {
		d := &f.Directives[i]
		key := strings.ToLower(d.Name)
		rs, known := roles[key]
		if !known {
			warnings = append(warnings, &Error{Line: d.Line, Name: d.Name, Err: ErrUnknown})
			continue
		}
		if !slices.Contains(rs, role) {
			warnings = append(warnings, &Error{Line: d.Line, Name: d.Name, Err: fmt.Errorf("%w (%s)", ErrSuperfluous, role)})
			continue
		}
		fail := func(sentinel error, format string, a ...any) ([]Option, []*Error, error) {
			return nil, nil, &Error{Line: d.Line, Name: d.Name, Err: fmt.Errorf("%w %q: %s", sentinel, d.Value, fmt.Sprintf(format, a...))}
		}
		add := func(flag, value string) { opts = append(opts, Option{Flag: flag, Value: value, Line: d.Line}) }
		switch key {
		case "relaytype":
			r, ok := relayType(d.Value)
			if !ok {
				return fail(ErrBadValue, relayTypes)
			}
			if r != role {
				return fail(ErrRelayType, "a %s, not a %s (use transit6 teredo %s)", r, role, r)
			}
		case "serveraddress":
			add("server", d.Value) // a name or an address: the client resolves it
		case "serveraddress2", "bindaddress", "serverbindaddress", "serverbindaddress2":
			a, perr := netip.ParseAddr(d.Value)
			if perr != nil {
				// Miredo resolves a host name here; transit6's
				// options take addresses.
				return fail(ErrUnsupported, "transit6 takes an IPv4 address here, not a name")
			}
			if !a.Is4() {
				return fail(ErrBadValue, "not an IPv4 address")
			}
			switch key {
			case "serveraddress2":
				add("server2", a.String())
			case "serverbindaddress":
				add("primary", a.String())
			case "serverbindaddress2":
				add("secondary", a.String())
			default:
				bindAddr = &Option{Flag: "bind", Value: a.String(), Line: d.Line}
			}
		case "bindport":
			p, ok := parseUint16(d.Value)
			if !ok {
				return fail(ErrBadValue, "not a port number")
			}
			bindPort = &Option{Flag: "port", Value: fmt.Sprint(p), Line: d.Line}
		case "prefix":
			// Miredo takes an address (the /32 is implied); a /32
			// prefix is taken too.
			p, perr := netip.ParsePrefix(d.Value)
			if perr != nil {
				a, aerr := netip.ParseAddr(d.Value)
				if aerr != nil {
					return fail(ErrBadValue, "not an IPv6 prefix")
				}
				p = netip.PrefixFrom(a, 32)
			}
			if !p.Addr().Is6() || p.Addr().Is4In6() || p.Addr().Zone() != "" || p.Bits() != 32 || p.Addr().IsMulticast() {
				return fail(ErrBadValue, "not a Teredo prefix (an IPv6 /32, not multicast)")
			}
			if p.Masked() != p {
				// Miredo takes the first 32 bits of the address.
				warnings = append(warnings, &Error{Line: d.Line, Name: d.Name, Err: fmt.Errorf("%w: only its first 32 bits count, %v", ErrTruncated, p.Masked())})
				p = p.Masked()
			}
			if role == Server {
				if p.Addr() != teredoPrefix {
					return fail(ErrUnsupported, "a transit6 server serves %v only", teredoPrefix)
				}
				continue
			}
			add("prefix", p.String())
		case "interfacemtu":
			mtu, ok := parseUint16(d.Value)
			if !ok {
				return fail(ErrBadValue, "not a number up to 65535")
			}
			if mtu < 1280 {
				return fail(ErrBadValue, "below IPv6's minimum MTU, 1280")
			}
			if role == Server {
				if mtu != 1280 {
					return fail(ErrUnsupported, "a transit6 server announces an MTU of 1280")
				}
				continue
			}
			add("mtu", fmt.Sprint(mtu))
		case "interfacename":
			add("ifname", d.Value)
		case "syslogfacility":
			// Checked as Miredo does; transit6 logs to standard error.
			if !slices.Contains(syslogFacilities, strings.ToLower(d.Value)) {
				return fail(ErrBadValue, "not a syslog facility")
			}
		case "localdiscovery":
			on, ok := parseBool(d.Value)
			if !ok && strings.EqualFold(d.Value, "forced") {
				on, ok = true, true
			}
			if !ok {
				return fail(ErrBadValue, "want enabled, forced or disabled")
			}
			if on {
				discovery = true
				add("local-discovery", "true")
			}
		case "discoveryinterfaces":
			discoveryIfs = d.Line
		case "discoverynetmask":
			// transit6 sends discovery bubbles to 224.0.0.253.
		}
	}
	if discovery && discoveryIfs != 0 {
		return nil, nil, &Error{Line: discoveryIfs, Name: "DiscoveryInterfaces", Err: fmt.Errorf("%w: transit6 discovers on every interface", ErrUnsupported)}
	}
	switch role {
	case Client:
		if bindAddr != nil {
			opts = append(opts, *bindAddr)
		}
		if bindPort != nil {
			opts = append(opts, *bindPort)
		}
	case Relay:
		// The relay's --bind is IPV4[:PORT]; without a port (or with
		// port 0) the relay takes port 3545, where Miredo would take a
		// random one: a relay's port need not be hidden.
		if bindPort != nil {
			a := "0.0.0.0"
			if bindAddr != nil {
				a = bindAddr.Value
			}
			opts = append(opts, Option{Flag: "bind", Value: a + ":" + bindPort.Value, Line: bindPort.Line})
		} else if bindAddr != nil {
			opts = append(opts, *bindAddr)
		}
	}
	slices.SortStableFunc(warnings, func(a, b *Error) int { return a.Line - b.Line })
	return opts, warnings, nil
}

// parseUint16 reads an unsigned integer as Miredo does (strtoul with base
// 0): decimal, octal with a leading 0, hexadecimal with 0x; at most 65535.
func parseUint16(s string) (uint16, bool) {
	base, digits := 10, s
	switch {
	case len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X"):
		base, digits = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, digits = 8, s[1:]
	}
	if digits == "" || strings.ContainsAny(digits, "+-_") {
		return 0, false
	}
	v, err := strconv.ParseUint(digits, base, 16)
	return uint16(v), err == nil
}

// parseBool reads a boolean as Miredo does: a number (non-zero is true)
// or yes/true/on/enabled, no/false/off/disabled in any case.
func parseBool(s string) (bool, bool) {
	if v, err := strconv.ParseInt(s, 0, 64); err == nil && !strings.Contains(s, "_") {
		return v != 0, true
	}
	switch strings.ToLower(s) {
	case "yes", "true", "on", "enabled":
		return true, true
	case "no", "false", "off", "disabled":
		return false, true
	}
	return false, false
}
