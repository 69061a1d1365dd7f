package broker

import (
	"fmt"
	"net/netip"
	"strconv"
)

// Status is the kind of a successful update answer.
type Status uint8

// The two successful dyndns2 answers. The zero Status is not valid.
const (
	// StatusGood is "good <ipv4>" (or legacy "+OK:"): the broker now sends
	// the tunnel's traffic to the reported address.
	StatusGood Status = iota + 1
	// StatusNoChange is "nochg <ipv4>" (or legacy "-ERROR: This tunnel is
	// already associated with this IP address"): the endpoint was already
	// this address. The dyndns2 specification counts repeated no-change
	// updates as abuse, so callers should update only when the address
	// changed.
	StatusNoChange
)

// String returns the dyndns2 code of s: "good" or "nochg".
func (s Status) String() string {
	switch s {
	case StatusGood:
		return "good"
	case StatusNoChange:
		return "nochg"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Result is a successful update answer. The zero Result is not valid.
type Result struct {
	Status Status
	// Addr is the IPv4 endpoint address the broker reported, or the zero
	// Addr when the answer carried none (a bare "good", legacy answers that
	// do not name it).
	Addr netip.Addr
}

// IsValid reports whether r is a successful answer (its Status is
// StatusGood or StatusNoChange). It does not allocate.
func (r Result) IsValid() bool {
	return r.Status == StatusGood || r.Status == StatusNoChange
}

// String returns r in dyndns2 form, "good 192.0.2.1" or "nochg", which
// [ParseResponse] parses back to r.
func (r Result) String() string {
	if !r.Addr.IsValid() {
		return r.Status.String()
	}
	return r.Status.String() + " " + r.Addr.String()
}

// maxQuote bounds how much of an unexpected answer an error quotes.
const maxQuote = 64

// loopback4 is the address of the dyndns2 "good 127.0.0.1" refusal.
var loopback4 = netip.AddrFrom4([4]byte{127, 0, 0, 1})

// codes maps the dyndns2 error codes (DynDNS update specification, return
// codes) to their sentinels. Matching ignores ASCII case; text after the code
// is ignored.
var codes = [...]struct {
	code string
	err  error
}{
	{"badauth", ErrBadAuth},
	{"!donator", ErrNotDonator},
	{"!yours", ErrNotYours},
	{"notfqdn", ErrNotFQDN},
	{"nohost", ErrNoHost},
	{"numhost", ErrNumHost},
	{"abuse", ErrAbuse},
	{"badagent", ErrBadAgent},
	{"badsys", ErrBadSys},
	{"dnserr", ErrDNSError},
	{"911", ErrMaintenance},
}

// legacyErrors maps the message prefixes of HE's legacy ipv4_end.php
// "-ERROR:" lines to their sentinels (nil: the no-change answer).
var legacyErrors = [...]struct {
	prefix string
	err    error
}{
	{"This tunnel is already associated with this IP address", nil},
	{"Tunnel not found", ErrNoHost},
	{"Invalid API key or password", ErrBadAuth},
	{"IP is not in a valid format", ErrBadIP},
	{"Missing parameter", ErrMissingParameter},
	{"IP is not ICMP pingable", ErrNotPingable},
}

// ParseResponse interprets the body of an endpoint-update answer.
//
// Only the first line that is not blank counts (a dyndns2 server answers one
// line per hostname, and the client sends one); surrounding white space and
// CR LF endings are ignored. Recognised forms:
//
//   - dyndns2 success, "good <ipv4>" and "nochg <ipv4>", the address
//     optional: a [Result] and a nil error. The address must be one dotted
//     IPv4 address (no leading zeros, as net/netip parses it) and nothing may
//     follow it. "good 127.0.0.1" is the dyndns2 "request ignored" signal and
//     yields [ErrUpdateIgnored].
//   - dyndns2 errors: badauth, !donator, !yours, notfqdn, nohost, numhost,
//     abuse, badagent, badsys, dnserr and 911, each its own sentinel
//     ([ErrBadAuth] ... [ErrMaintenance]); text after the code is ignored.
//   - HE's legacy answers: "+OK: Tunnel endpoint updated to: <ipv4>" is
//     StatusGood (Addr set when the line ends in an address); "-ERROR:
//     This tunnel is already associated with this IP address..." is
//     StatusNoChange; the other known "-ERROR:" texts map to [ErrNoHost],
//     [ErrBadAuth], [ErrBadIP], [ErrMissingParameter] and [ErrNotPingable];
//     any other "-ERROR:" text to an error wrapping [ErrRefused].
//
// Codes and known texts match regardless of ASCII case. A body without text
// yields [ErrEmptyResponse]; anything else an error wrapping
// [ErrUnexpectedResponse] that quotes up to 64 bytes of the line.
//
// ParseResponse never panics. Known answers do not allocate; the wrapped
// errors of unknown answers do.
func ParseResponse(body []byte) (Result, error) {
	line := firstLine(body)
	if len(line) == 0 {
		return Result{}, ErrEmptyResponse
	}
	if msg, ok := cutPrefixTag(line, "+OK"); ok {
		return parseOK(msg), nil
	}
	if msg, ok := cutPrefixTag(line, "-ERROR"); ok {
		return parseError(msg)
	}

	code, rest := cutField(line)
	var st Status
	switch {
	case equalFold(code, "good"):
		st = StatusGood
	case equalFold(code, "nochg"):
		st = StatusNoChange
	default:
		for _, c := range codes {
			if equalFold(code, c.code) {
				return Result{}, c.err
			}
		}
		return Result{}, unexpected(line)
	}
	if len(rest) == 0 {
		return Result{Status: st}, nil
	}
	a, ok := parseIPv4(rest)
	if !ok {
		return Result{}, unexpected(line)
	}
	if st == StatusGood && a == loopback4 {
		return Result{}, ErrUpdateIgnored
	}
	return Result{Status: st, Addr: a}, nil
}

// parseOK interprets the text after a legacy "+OK:", such as "Tunnel
// endpoint updated to: 192.0.2.1": the address, when present, is the last
// field (a final period is tolerated).
func parseOK(msg []byte) Result {
	last := msg
	for i := len(msg) - 1; i >= 0; i-- {
		if isSpace(msg[i]) || msg[i] == ':' {
			last = msg[i+1:]
			break
		}
	}
	if n := len(last); n > 0 && last[n-1] == '.' {
		last = last[:n-1]
	}
	r := Result{Status: StatusGood}
	if a, ok := parseIPv4(last); ok {
		r.Addr = a
	}
	return r
}

// parseError interprets the text after a legacy "-ERROR:".
func parseError(msg []byte) (Result, error) {
	for _, l := range legacyErrors {
		if len(msg) >= len(l.prefix) && equalFold(msg[:len(l.prefix)], l.prefix) {
			if l.err == nil {
				return Result{Status: StatusNoChange}, nil
			}
			return Result{}, l.err
		}
	}
	return Result{}, fmt.Errorf("%w: %q", ErrRefused, clip(msg))
}

// cutPrefixTag reports whether line starts with tag followed by ':', white
// space or the end, and returns the rest after the ':' with leading white
// space removed.
func cutPrefixTag(line []byte, tag string) ([]byte, bool) {
	if len(line) < len(tag) || string(line[:len(tag)]) != tag {
		return nil, false
	}
	rest := line[len(tag):]
	if len(rest) > 0 && rest[0] != ':' && !isSpace(rest[0]) {
		return nil, false
	}
	if len(rest) > 0 && rest[0] == ':' {
		rest = rest[1:]
	}
	return trimLeft(rest), true
}

func unexpected(line []byte) error {
	return fmt.Errorf("%w: %q", ErrUnexpectedResponse, clip(line))
}

func clip(b []byte) []byte {
	if len(b) > maxQuote {
		return b[:maxQuote]
	}
	return b
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

func trimLeft(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

func trimRight(b []byte) []byte {
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// firstLine returns the first line of b that is not blank, trimmed.
func firstLine(b []byte) []byte {
	b = trimLeft(b)
	for i, c := range b {
		if c == '\n' {
			b = b[:i]
			break
		}
	}
	return trimRight(b)
}

// cutField splits a trimmed line at its first space or tab.
func cutField(line []byte) (field, rest []byte) {
	for i, c := range line {
		if isSpace(c) {
			return line[:i], trimLeft(line[i+1:])
		}
	}
	return line, nil
}

// equalFold reports whether b equals s ignoring ASCII case. It does not
// allocate.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// parseIPv4 parses exactly one dotted-decimal IPv4 address, with the rules
// of netip.ParseAddr (four fields, each 0-255, no leading zeros). It exists
// because netip.ParseAddr takes a string and allocates on failure; the fuzz
// target checks that the two agree. It does not allocate.
func parseIPv4(b []byte) (netip.Addr, bool) {
	var out [4]byte
	i := 0
	for f := range 4 {
		if f > 0 {
			if i >= len(b) || b[i] != '.' {
				return netip.Addr{}, false
			}
			i++
		}
		start, v := i, 0
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			v = v*10 + int(b[i]-'0')
			if v > 255 {
				return netip.Addr{}, false
			}
			i++
		}
		if i == start || (i-start > 1 && b[start] == '0') {
			return netip.Addr{}, false
		}
		out[f] = byte(v)
	}
	if i != len(b) {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(out), true
}
