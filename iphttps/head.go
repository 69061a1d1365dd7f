package iphttps

import (
	"bytes"
	"errors"
)

// Shared machinery of the request and response heads: the line scanner, the
// character classes of RFC 9110 §5.6 and RFC 9112 §2–§5, Content-Length, and
// the header iterator.

const (
	// DefaultMaxHeadLen is the head size limit used when the options leave
	// MaxHeadLen at zero: 8 KiB, far above the ~90 bytes Windows and
	// scanners send, and the limit of common HTTP servers. It bounds the
	// memory a client that never finishes its head can hold (iphttps.md
	// report section 9, case 3).
	DefaultMaxHeadLen = 8192

	// MaxContentLength is 2^64-1, the Content-Length a client SHOULD send
	// ([MS-IPHTTPS] §3.1.5.2) to announce a body that never ends.
	MaxContentLength uint64 = 1<<64 - 1

	// DefaultPath is the request path deployed Windows clients and servers
	// use (https://<server>/IPHTTPS); the example of [MS-IPHTTPS] §4.1 uses
	// /IPTLS.
	DefaultPath = "/IPHTTPS"

	// DefaultServer is the Server header value Windows servers (HTTP.sys)
	// send, which scanners such as nmap's ip-https-discover require.
	DefaultServer = "Microsoft-HTTPAPI/2.0"
)

// Character classes as bit sets over the byte value.
type charClass [4]uint64

func (c *charClass) has(b byte) bool { return c[b>>6]&(1<<(b&63)) != 0 }

func makeClass(f func(b byte) bool) (c charClass) {
	for i := 0; i < 256; i++ {
		if f(byte(i)) {
			c[i>>6] |= 1 << (i & 63)
		}
	}
	return c
}

var (
	// tchar, RFC 9110 §5.6.2: the characters of a token (method, field name).
	tokenChars = makeClass(func(b byte) bool {
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
			return true
		}
		return bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), b) >= 0
	})

	// field-vchar, SP and HTAB, RFC 9110 §5.5: what a field value or a
	// reason phrase may hold (VCHAR, obs-text, SP, HTAB).
	valueChars = makeClass(func(b byte) bool {
		return b == ' ' || b == '\t' || (0x21 <= b && b != 0x7f)
	})

	// VCHAR, RFC 5234 B.1: what a request-target may hold.
	targetChars = makeClass(func(b byte) bool { return 0x21 <= b && b <= 0x7e })
)

func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tokenChars.has(c) {
			return false
		}
	}
	return true
}

func isTokenString(s string) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenChars.has(s[i]) {
			return false
		}
	}
	return true
}

func allIn(c *charClass, b []byte) bool {
	for _, x := range b {
		if !c.has(x) {
			return false
		}
	}
	return true
}

func allInString(c *charClass, s string) bool {
	for i := 0; i < len(s); i++ {
		if !c.has(s[i]) {
			return false
		}
	}
	return true
}

// isOWS reports whether b is optional whitespace, RFC 9110 §5.6.3.
func isOWS(b byte) bool { return b == ' ' || b == '\t' }

// trimOWS removes leading and trailing optional whitespace. The result is
// capped so that appending to it cannot overwrite the bytes after it.
func trimOWS(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isOWS(b[i]) {
		i++
	}
	for j > i && isOWS(b[j-1]) {
		j--
	}
	return b[i:j:j]
}

// lower folds an ASCII letter to lower case.
func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// equalFold reports whether a and b are equal ignoring ASCII case.
func equalFold[A, B string | []byte](a A, b B) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// hasPrefixFold reports whether b starts with s, ignoring ASCII case.
func hasPrefixFold[T string | []byte](b T, s string) bool {
	return len(b) >= len(s) && equalFold(b[:len(s)], s)
}

// indexAny returns the index of the first byte of b that is in chars, or -1.
func indexAny[T string | []byte](b T, chars string) int {
	for i := 0; i < len(b); i++ {
		for j := 0; j < len(chars); j++ {
			if b[i] == chars[j] {
				return i
			}
		}
	}
	return -1
}

// lineScanner yields the lines of a head from b, refusing to look past max
// bytes.
type lineScanner struct {
	b      []byte // the input, cut at the size limit
	full   bool   // the input reached the size limit
	off    int    // start of the next line
	strict bool   // refuse bare LF
}

func newLineScanner(b []byte, max int, strict bool) lineScanner {
	s := lineScanner{b: b, strict: strict}
	if len(b) >= max {
		s.b, s.full = b[:max], true
	}
	return s
}

// next returns the next line without its CR LF or LF. At the end of the
// input it returns ErrIncomplete, or ErrHeadTooLarge if the line would end
// past the size limit.
func (s *lineScanner) next() ([]byte, error) {
	i := bytes.IndexByte(s.b[s.off:], '\n')
	if i < 0 {
		if s.full {
			return nil, ErrHeadTooLarge
		}
		return nil, ErrIncomplete
	}
	line := s.b[s.off : s.off+i]
	s.off += i + 1
	cr := len(line) > 0 && line[len(line)-1] == '\r'
	if cr {
		line = line[:len(line)-1]
	}
	if bytes.IndexByte(line, '\r') >= 0 {
		return nil, ErrBareCR
	}
	if !cr && s.strict {
		return nil, ErrBareLF
	}
	return line[:len(line):len(line)], nil
}

// parseVersion parses HTTP-version (RFC 9112 §2.3, "HTTP/" DIGIT "." DIGIT)
// and returns the minor version. Malformed versions give bad; versions
// other than 1.0 and 1.1 give ErrHTTPVersion.
func parseVersion(v []byte, bad error) (minor uint8, err error) {
	if len(v) != 8 || string(v[:5]) != "HTTP/" || !isDigit(v[5]) || v[6] != '.' || !isDigit(v[7]) {
		return 0, bad
	}
	if v[5] != '1' || v[7] > '1' {
		return 0, ErrHTTPVersion
	}
	return v[7] - '0', nil
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// header is one field line split into name and value (OWS trimmed).
type header struct {
	name, value []byte
}

// parseHeaderLine splits a non-empty field line (RFC 9112 §5): no obs-fold,
// a token name immediately followed by a colon, a value of field-vchar, SP
// and HTAB.
func parseHeaderLine(line []byte) (header, error) {
	if isOWS(line[0]) {
		return header{}, ErrObsFold
	}
	c := bytes.IndexByte(line, ':')
	if c < 0 {
		return header{}, ErrMalformedHeader
	}
	name, value := line[:c:c], trimOWS(line[c+1:])
	if !isToken(name) || !allIn(&valueChars, value) {
		return header{}, ErrMalformedHeader
	}
	return header{name, value}, nil
}

// contentLength accumulates the Content-Length fields of a head.
type contentLength struct {
	v    uint64
	seen bool
}

// add parses one Content-Length field value: 1*DIGIT, or a comma-separated
// list of them (RFC 9110 §8.6, §5.6.1). Elements are parsed left to right and
// the first malformed or overflowing one is reported; any second value, in
// the list or in an earlier field, is an error: ErrConflictingContentLength
// as soon as a value differs, otherwise ErrDuplicateContentLength.
func (cl *contentLength) add(value []byte) error {
	dup := cl.seen
	for first := true; ; first = false {
		elem := value
		c := bytes.IndexByte(value, ',')
		if c >= 0 {
			elem, value = value[:c], value[c+1:]
		}
		v, err := parseDecimal(trimOWS(elem))
		if err != nil {
			return err
		}
		if cl.seen && v != cl.v {
			return ErrConflictingContentLength
		}
		if !first {
			dup = true
		}
		cl.v, cl.seen = v, true
		if c < 0 {
			break
		}
	}
	if dup {
		return ErrDuplicateContentLength
	}
	return nil
}

// parseDecimal parses 1*DIGIT as a uint64.
func parseDecimal(b []byte) (uint64, error) {
	if len(b) == 0 {
		return 0, ErrBadContentLength
	}
	var v uint64
	for _, c := range b {
		if !isDigit(c) {
			return 0, ErrBadContentLength
		}
	}
	for _, c := range b {
		d := uint64(c - '0')
		if v > (MaxContentLength-d)/10 {
			return 0, ErrContentLengthOverflow
		}
		v = v*10 + d
	}
	return v, nil
}

// HeaderIter iterates over the header fields of a parsed head, in order,
// including those the head also exposes through accessors (Host,
// Content-Length, Server, Date). It comes from RequestHead.Headers or
// ResponseHead.Headers; the zero HeaderIter yields nothing. It does not
// allocate.
type HeaderIter struct {
	b []byte // the remaining field lines, validated by the parser
}

// Next returns the next field's name, as sent (compare it with
// [bytes.EqualFold] or [strings.EqualFold]: HAProxy in HTTP mode lowercases
// names, iphttps.md report section 6), and its value without surrounding
// whitespace, or ok false after the last field. The returned slices alias
// the parsed buffer. It does not allocate.
func (it *HeaderIter) Next() (name, value []byte, ok bool) {
	i := bytes.IndexByte(it.b, '\n')
	if i < 0 {
		it.b = nil
		return nil, nil, false
	}
	line := it.b[:i]
	it.b = it.b[i+1:]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if len(line) == 0 {
		it.b = nil
		return nil, nil, false
	}
	c := bytes.IndexByte(line, ':')
	if c < 0 { // not from a parser; stop rather than guess
		it.b = nil
		return nil, nil, false
	}
	return line[:c:c], trimOWS(line[c+1:]), true
}

// lookup returns the value of the first field called name (ASCII case
// ignored) in the field lines b.
func lookup(b []byte, name string) ([]byte, bool) {
	it := HeaderIter{b}
	for {
		n, v, ok := it.Next()
		if !ok {
			return nil, false
		}
		if equalFold(n, name) {
			return v, true
		}
	}
}

// errInvalidCount reports a Reader or Writer that returned a count outside
// [0, len(p)], which the io contracts forbid.
var errInvalidCount = errors.New("iphttps: invalid count from underlying Read or Write")
