// Package miredoconf reads Miredo's configuration files, miredo.conf(5)
// and miredo-server.conf(5), and translates them into the command-line
// options of transit6's Teredo roles, so that an operator replacing
// Miredo keeps the file: `transit6 teredo client|relay|server
// --miredo-conf FILE`.
//
// The format (Miredo 1.2.6): one directive per line, a name followed by
// white space and a value; white space, empty lines and lines whose first
// non-blank character is '#' are ignored; names are case-insensitive.
// What the file says for one role and Miredo would not accept for it is
// refused, as Miredo refuses it ("Superfluous directive"), rather than
// silently ignored: a ServerAddress in a relay's file, a Prefix in a
// client's.
package miredoconf

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"
)

var (
	// ErrSyntax reports a file that is not text of directives: a NUL
	// byte, invalid UTF-8, a line longer than MaxLine, or a file longer
	// than MaxFile.
	ErrSyntax = errors.New("miredoconf: syntax error")
	// ErrDuplicate reports a directive given twice.
	ErrDuplicate = errors.New("miredoconf: directive given twice")
	// ErrUnknown reports a directive Miredo does not have.
	ErrUnknown = errors.New("miredoconf: unknown directive")
	// ErrSuperfluous reports a directive Miredo has but not for the role
	// (Miredo's own word for it): ServerAddress for a relay, Prefix for a
	// client, a server's directive in a client's or relay's file.
	ErrSuperfluous = errors.New("miredoconf: superfluous directive for this role")
	// ErrRelayType reports a RelayType the role is not: "client" given
	// to a relay, "cone" to a client.
	ErrRelayType = errors.New("miredoconf: RelayType is not this role")
	// ErrBadValue reports a missing or malformed value.
	ErrBadValue = errors.New("miredoconf: bad value")
	// ErrUnsupported reports a value transit6 does not implement: a
	// server Prefix other than 2001::, a DiscoveryInterfaces pattern.
	ErrUnsupported = errors.New("miredoconf: not supported by transit6")
)

const (
	// MaxFile is the largest file Parse reads: a real one is a few
	// hundred bytes.
	MaxFile = 64 << 10
	// MaxLine is the longest line Parse accepts.
	MaxLine = 1024
)

// Directive is one line of a configuration file.
type Directive struct {
	Name  string // as written
	Value string // the rest of the line, white space trimmed; may be empty
	Line  int    // 1-based
}

// File is a parsed configuration file, its directives in file order.
type File struct {
	Directives []Directive
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

// Parse reads a configuration file. It checks the syntax and that no
// directive is given twice (names compared case-insensitively); the names
// and values are checked against a role by [File.Options].
func Parse(data []byte) (File, error) {
	var f File
	if len(data) > MaxFile {
		return f, fmt.Errorf("%w: file longer than %d bytes", ErrSyntax, MaxFile)
	}
	seen := map[string]int{}
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(line) > MaxLine {
			return File{}, &Error{Line: n, Err: fmt.Errorf("%w: line longer than %d bytes", ErrSyntax, MaxLine)}
		}
		if bytes.IndexByte(line, 0) >= 0 || !utf8.Valid(line) {
			return File{}, &Error{Line: n, Err: fmt.Errorf("%w: not text", ErrSyntax)}
		}
		s := strings.TrimSpace(string(line))
		if s == "" || s[0] == '#' {
			continue
		}
		name, value := s, ""
		if i := strings.IndexAny(s, " \t\v\f\r"); i >= 0 {
			name, value = s[:i], strings.TrimSpace(s[i+1:])
		}
		key := strings.ToLower(name)
		if first, dup := seen[key]; dup {
			return File{}, &Error{Line: n, Name: name, Err: fmt.Errorf("%w (first at line %d)", ErrDuplicate, first)}
		}
		seen[key] = n
		f.Directives = append(f.Directives, Directive{Name: name, Value: value, Line: n})
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

// Option is a transit6 command-line option and the value the file gives
// it, with the line it came from.
type Option struct {
	Flag  string // without dashes: "server", "bind", "ifname", ...
	Value string
	Line  int
}

// roles lists, for each directive Miredo 1.2.6 knows (lower case), the
// roles that take it.
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

// teredoPrefix is Miredo's default and the only prefix a transit6 server
// serves.
var teredoPrefix = netip.MustParseAddr("2001::")

// Options translates the file into the options of `transit6 teredo
// role`, in file order. Directives with no transit6 counterpart that do
// not change what the role does are dropped: SyslogFacility (transit6
// logs to standard error), a LocalDiscovery "disabled" (the default),
// DiscoveryNetmask (transit6 sends to 224.0.0.253 on every interface). It
// returns an *Error wrapping ErrUnknown, ErrSuperfluous, ErrRelayType,
// ErrBadValue or ErrUnsupported for the first line it cannot take.
func (f File) Options(role Role) ([]Option, error) {
	var opts []Option
	var bindAddr, bindPort *Directive
	for i := range f.Directives {
		d := &f.Directives[i]
		key := strings.ToLower(d.Name)
		rs, known := roles[key]
		if !known {
			return nil, &Error{Line: d.Line, Name: d.Name, Err: ErrUnknown}
		}
		if !hasRole(rs, role) {
			return nil, &Error{Line: d.Line, Name: d.Name, Err: fmt.Errorf("%w (%s)", ErrSuperfluous, role)}
		}
		bad := func(why string) error {
			return &Error{Line: d.Line, Name: d.Name, Err: fmt.Errorf("%w %q: %s", ErrBadValue, d.Value, why)}
		}
		if d.Value == "" {
			return nil, bad("a value is required")
		}
		add := func(flag, value string) { opts = append(opts, Option{Flag: flag, Value: value, Line: d.Line}) }
		switch key {
		case "relaytype":
			t := strings.ToLower(d.Value)
			var r Role
			switch t {
			case "client", "autoclient":
				r = Client
			case "cone", "relay", "restricted":
				r = Relay
			default:
				return nil, bad("want client, autoclient, cone, relay or restricted")
			}
			if r != role {
				return nil, &Error{Line: d.Line, Name: d.Name, Err: fmt.Errorf("%w: %s is a %s, not a %s (use transit6 teredo %s)", ErrRelayType, d.Value, r, role, r)}
			}
		case "serveraddress":
			add("server", d.Value) // a name or an address: the client resolves it
		case "serveraddress2", "bindaddress", "serverbindaddress", "serverbindaddress2":
			a, err := netip.ParseAddr(d.Value)
			if err != nil || !a.Is4() {
				return nil, bad("not an IPv4 address")
			}
			switch key {
			case "serveraddress2":
				add("server2", a.String())
			case "serverbindaddress":
				add("primary", a.String())
			case "serverbindaddress2":
				add("secondary", a.String())
			default:
				bindAddr = d
			}
		case "bindport":
			var port uint16
			if _, err := fmt.Sscan(d.Value, &port); err != nil || fmt.Sprint(port) != d.Value {
				return nil, bad("not a port number")
			}
			bindPort = d
		case "prefix":
			// Miredo takes an address (the /32 is implied); a /32
			// prefix is taken too.
			p, err := netip.ParsePrefix(d.Value)
			if err != nil {
				a, aerr := netip.ParseAddr(d.Value)
				if aerr != nil {
					return nil, bad("not an IPv6 prefix")
				}
				p = netip.PrefixFrom(a, 32)
			}
			if !p.Addr().Is6() || p.Addr().Is4In6() || p.Bits() != 32 || p.Masked() != p {
				return nil, bad("not an IPv6 /32 prefix")
			}
			if role == Server {
				if p.Addr() != teredoPrefix {
					return nil, &Error{Line: d.Line, Name: d.Name, Err: fmt.Errorf("%w: a server prefix other than %v", ErrUnsupported, teredoPrefix)}
				}
				continue
			}
			add("prefix", p.String())
		case "interfacemtu":
			var mtu int
			if _, err := fmt.Sscan(d.Value, &mtu); err != nil || fmt.Sprint(mtu) != d.Value || mtu < 1280 || mtu > 65535 {
				return nil, bad("not an MTU in [1280, 65535]")
			}
			if role == Server {
				if mtu != 1280 {
					return nil, &Error{Line: d.Line, Name: d.Name, Err: fmt.Errorf("%w: a server MTU other than 1280", ErrUnsupported)}
				}
				continue
			}
			add("mtu", d.Value)
		case "interfacename":
			add("ifname", d.Value)
		case "syslogfacility":
			// transit6 logs to standard error.
		case "localdiscovery":
			switch strings.ToLower(d.Value) {
			case "enabled", "forced":
				add("local-discovery", "true")
			case "disabled":
			default:
				return nil, bad("want enabled, forced or disabled")
			}
		case "discoveryinterfaces":
			return nil, &Error{Line: d.Line, Name: d.Name, Err: fmt.Errorf("%w: transit6 discovers on every interface", ErrUnsupported)}
		case "discoverynetmask":
			// transit6 sends discovery bubbles to 224.0.0.253 only.
		}
	}
	switch role {
	case Client:
		if bindAddr != nil {
			opts = append(opts, Option{Flag: "bind", Value: bindAddr.Value, Line: bindAddr.Line})
		}
		if bindPort != nil {
			opts = append(opts, Option{Flag: "port", Value: bindPort.Value, Line: bindPort.Line})
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
			opts = append(opts, Option{Flag: "bind", Value: bindAddr.Value, Line: bindAddr.Line})
		}
	}
	return opts, nil
}

func hasRole(rs []Role, r Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}
