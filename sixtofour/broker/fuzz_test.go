package broker

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// answerErrors are the sentinels ParseResponse may return.
var answerErrors = []error{
	ErrBadAuth, ErrNotDonator, ErrNotYours, ErrNotFQDN, ErrNoHost, ErrNumHost,
	ErrAbuse, ErrBadAgent, ErrUpdateIgnored, ErrBadSys, ErrDNSError,
	ErrMaintenance, ErrBadIP, ErrMissingParameter, ErrNotPingable, ErrRefused,
	ErrEmptyResponse, ErrUnexpectedResponse,
}

const asciiSpace = " \t\r\n\v\f"

// refDyndns2 is a slow reference for answers that are not legacy lines,
// written with the strings package and netip.ParseAddr.
func refDyndns2(body string) (Result, error) {
	line := strings.TrimLeft(body, asciiSpace)
	line, _, _ = strings.Cut(line, "\n")
	fields := strings.FieldsFunc(line, func(r rune) bool { return r < 0x80 && strings.ContainsRune(asciiSpace, r) })
	if len(fields) == 0 {
		return Result{}, ErrEmptyResponse
	}
	var st Status
	switch strings.ToLower(fields[0]) {
	case "good":
		st = StatusGood
	case "nochg":
		st = StatusNoChange
	default:
		for _, c := range codes {
			if strings.EqualFold(fields[0], c.code) && isASCII(fields[0]) {
				return Result{}, c.err
			}
		}
		return Result{}, ErrUnexpectedResponse
	}
	if !isASCII(fields[0]) {
		return Result{}, ErrUnexpectedResponse
	}
	switch len(fields) {
	case 1:
		return Result{Status: st}, nil
	case 2:
		a, err := netip.ParseAddr(fields[1])
		if err != nil || !a.Is4() {
			return Result{}, ErrUnexpectedResponse
		}
		if st == StatusGood && a == netip.MustParseAddr("127.0.0.1") {
			return Result{}, ErrUpdateIgnored
		}
		return Result{Status: st, Addr: a}, nil
	}
	return Result{}, ErrUnexpectedResponse
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte("good 203.0.113.5"))                                                // §10 item 15: success
	f.Add([]byte("nochg 203.0.113.5\r\n"))                                           // §10 item 15: no change, CRLF
	f.Add([]byte("good"))                                                            // success without an address
	f.Add([]byte("good 127.0.0.1"))                                                  // dyndns2 "request ignored"
	f.Add([]byte("good 192.0.2.01"))                                                 // leading zero: netip refuses it too
	f.Add([]byte("good 1.2.3.256"))                                                  // octet overflow
	f.Add([]byte("good 99999999999999999999.1.1.1"))                                 // huge field must not overflow
	f.Add([]byte("good 2001:db8::1"))                                                // IPv6 where IPv4 is expected
	f.Add([]byte("good 1.2.3.4 5.6.7.8"))                                            // trailing field
	f.Add([]byte("\n\n  NOCHG\t198.51.100.1  \nbadauth"))                            // blank lines, case, later lines ignored
	f.Add([]byte("badauth"))                                                         // dyndns2 error code
	f.Add([]byte("911 maintenance"))                                                 // code followed by text
	f.Add([]byte("!yours"))                                                          // code starting with '!'
	f.Add([]byte("+OK: Tunnel endpoint updated to: 203.0.113.5"))                    // legacy success
	f.Add([]byte("+OK:"))                                                            // legacy success, no text
	f.Add([]byte("-ERROR: Tunnel not found"))                                        // legacy known error
	f.Add([]byte("-ERROR: This tunnel is already associated with this IP address.")) // legacy no change
	f.Add([]byte("-ERROR: \xff\x00 unknown"))                                        // legacy unknown, binary text
	f.Add([]byte(""))                                                                // empty body
	f.Add([]byte("good\u00a0192.0.2.1"))                                             // non-ASCII space is not a separator
	f.Add([]byte("g\xc3\xb6\xc3\xb6d 1.2.3.4"))                                      // non-ASCII code
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := ParseResponse(body)

		// Exactly one of a valid Result and an error.
		if (err == nil) != res.IsValid() {
			t.Fatalf("ParseResponse(%q) = %v, %v", body, res, err)
		}
		if err != nil {
			if res != (Result{}) {
				t.Fatalf("ParseResponse(%q) returned %v with error %v", body, res, err)
			}
			n := 0
			for _, e := range answerErrors {
				if errors.Is(err, e) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("ParseResponse(%q) error %v matches %d sentinels", body, err, n)
			}
		} else {
			// The address is IPv4, comes from the body, and the result
			// round-trips through its dyndns2 form.
			if res.Addr.IsValid() {
				if !res.Addr.Is4() || !bytes.Contains(body, []byte(res.Addr.String())) {
					t.Fatalf("ParseResponse(%q) address %v", body, res.Addr)
				}
			}
			again, err2 := ParseResponse([]byte(res.String()))
			if err2 != nil || again != res {
				t.Fatalf("round trip of %v (from %q): %v, %v", res, body, again, err2)
			}
		}

		// Agreement with the slow reference on non-legacy answers.
		trimmed := bytes.TrimLeft(body, asciiSpace)
		if !bytes.HasPrefix(trimmed, []byte("+OK")) && !bytes.HasPrefix(trimmed, []byte("-ERROR")) {
			want, wantErr := refDyndns2(string(body))
			if res != want || (err == nil) != (wantErr == nil) || (err != nil && !errors.Is(err, wantErr)) {
				t.Fatalf("ParseResponse(%q) = %v, %v; reference %v, %v", body, res, err, want, wantErr)
			}
		}

		// parseIPv4 agrees with netip.ParseAddr on the raw input.
		a, ok := parseIPv4(body)
		na, nerr := netip.ParseAddr(string(body))
		nok := nerr == nil && na.Is4()
		if ok != nok || (ok && a != na) {
			t.Fatalf("parseIPv4(%q) = %v, %v; netip %v, %v", body, a, ok, na, nerr)
		}
	})
}
