package iphttps

import (
	"bytes"
	"strconv"
)

// The client's request head, [MS-IPHTTPS] §3.1.5.2 and §4.1:
//
//	POST /IPHTTPS HTTP/1.1\r\n
//	Host: da.example.com\r\n
//	Content-Length: 18446744073709551615\r\n
//	\r\n
//
// after which the request body is the client→server packet stream.

// RequestOptions says what ParseRequestHead and ReadRequestHead accept
// beyond the heads every IP-HTTPS client sends. A nil *RequestOptions means
// the zero RequestOptions.
type RequestOptions struct {
	// MaxHeadLen bounds the head, request line to blank line included;
	// 0 or less means DefaultMaxHeadLen.
	MaxHeadLen int

	// Methods lists the accepted methods (case-sensitive, RFC 9110 §9.1);
	// nil means POST only, the method [MS-IPHTTPS] §3.1.5.2 requires.
	Methods []string

	// Path, if not empty, is the only accepted request path, compared
	// ignoring ASCII case: deployments write /IPHTTPS, /iphttps and /IPHTTPs
	// (iphttps.md report section 5.9). The query is ignored; no percent
	// decoding or dot-segment removal is done, and a trailing slash makes
	// another path.
	Path string

	// AllowNoContentLength accepts a request without Content-Length, which
	// HTTP reads as an empty body (RFC 9112 §6.3) but a lenient server may
	// treat as the start of the stream anyway. Content-Length: 0 is refused
	// regardless.
	AllowNoContentLength bool

	// StrictCRLF refuses lines ended by a bare LF (ErrBareLF). By default
	// they are accepted, as RFC 9112 §2.2 allows: openssl s_client without
	// -crlf and the ip-https-tools test script send them.
	StrictCRLF bool
}

func (o *RequestOptions) maxHeadLen() int {
	if o == nil || o.MaxHeadLen <= 0 {
		return DefaultMaxHeadLen
	}
	return o.MaxHeadLen
}

func (o *RequestOptions) allowMethod(m []byte) bool {
	if o == nil || o.Methods == nil {
		return string(m) == "POST"
	}
	for _, a := range o.Methods {
		if string(m) == a {
			return true
		}
	}
	return false
}

// RequestHead is a parsed request head: a view of the bytes given to
// ParseRequestHead, which it aliases. It comes from ParseRequestHead or
// ReadRequestHead; the zero RequestHead is not valid and its accessors
// return zero values.
type RequestHead struct {
	b             []byte // the head, request line to blank line
	method        []byte
	target        []byte
	path          []byte
	proto         []byte
	host          []byte
	fields        []byte // the field lines and the blank line
	contentLength uint64
	hasCL         bool
	hasHost       bool
	minor         uint8
}

// ParseRequestHead parses the HTTP request head at the start of b, up to and
// including the blank line that ends it, and returns it with its length n.
// The bytes b[n:] are the first bytes of the request body: the packet stream
// ([MS-IPHTTPS] §3.1.5.3). The head's slices alias b.
//
// It accepts the heads of iphttps.md report section 5.9: any path case (and
// any path unless opts.Path is set), origin-form and absolute-form targets
// (http or https), HTTP/1.0 and HTTP/1.1, extra header fields in any order,
// any Host value (IP literals included), header names in any case, and lines
// ended by CRLF or, unless opts.StrictCRLF, a bare LF. Content-Length is read
// as a uint64, so 18446744073709551615 is accepted.
//
// If b ends before the head does, it returns [ErrIncomplete]; the complete
// lines seen so far are checked already, so a malformed request line is
// refused before the rest arrives. Otherwise it refuses, with n = 0:
// a head longer than opts.MaxHeadLen ([ErrHeadTooLarge]); a malformed
// request line ([ErrBadRequestLine]), version ([ErrHTTPVersion]), method
// ([ErrMethod]), target form ([ErrBadTarget]) or path ([ErrPath]); a header
// line with obs-fold ([ErrObsFold]), without a colon or otherwise malformed
// ([ErrMalformedHeader]); a bare CR ([ErrBareCR]) or bare LF in strict mode
// ([ErrBareLF]); any Transfer-Encoding ([ErrTransferEncoding]); a
// malformed, overflowing, duplicate or conflicting Content-Length
// ([ErrBadContentLength], [ErrContentLengthOverflow],
// [ErrDuplicateContentLength], [ErrConflictingContentLength]); none
// ([ErrNoContentLength], unless opts.AllowNoContentLength) or 0
// ([ErrZeroContentLength]); a missing Host in HTTP/1.1 ([ErrNoHost]) or a
// repeated one ([ErrDuplicateHost]). Errors are checked line by line, in
// order; the ones about the whole head (no length, zero length, no Host) come
// last.
//
// It never panics and does not allocate.
func ParseRequestHead(b []byte, opts *RequestOptions) (h RequestHead, n int, err error) {
	s := newLineScanner(b, opts.maxHeadLen(), opts != nil && opts.StrictCRLF)
	line, err := s.next()
	if err != nil {
		return RequestHead{}, 0, err
	}
	if err := h.parseRequestLine(line, opts); err != nil {
		return RequestHead{}, 0, err
	}
	fieldsStart := s.off
	var cl contentLength
	for {
		line, err := s.next()
		if err != nil {
			return RequestHead{}, 0, err
		}
		if len(line) == 0 {
			break
		}
		f, err := parseHeaderLine(line)
		if err != nil {
			return RequestHead{}, 0, err
		}
		switch {
		case equalFold(f.name, "Content-Length"):
			if err := cl.add(f.value); err != nil {
				return RequestHead{}, 0, err
			}
		case equalFold(f.name, "Transfer-Encoding"):
			return RequestHead{}, 0, ErrTransferEncoding
		case equalFold(f.name, "Host"):
			if h.hasHost {
				return RequestHead{}, 0, ErrDuplicateHost
			}
			h.host, h.hasHost = f.value, true
		}
	}
	switch {
	case !cl.seen && (opts == nil || !opts.AllowNoContentLength):
		return RequestHead{}, 0, ErrNoContentLength
	case cl.seen && cl.v == 0:
		return RequestHead{}, 0, ErrZeroContentLength
	case !h.hasHost && h.minor == 1:
		return RequestHead{}, 0, ErrNoHost
	}
	n = s.off
	h.b = b[:n:n]
	h.fields = b[fieldsStart:n:n]
	h.contentLength, h.hasCL = cl.v, cl.seen
	return h, n, nil
}

// parseRequestLine parses method SP request-target SP HTTP-version (RFC 9112
// §3) into h.
func (h *RequestHead) parseRequestLine(line []byte, opts *RequestOptions) error {
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 < 0 {
		return ErrBadRequestLine
	}
	method, rest := line[:sp1:sp1], line[sp1+1:]
	sp2 := bytes.LastIndexByte(rest, ' ')
	if sp2 < 0 {
		return ErrBadRequestLine
	}
	target, version := rest[:sp2:sp2], rest[sp2+1:]
	if !isToken(method) || len(target) == 0 || !allIn(&targetChars, target) {
		return ErrBadRequestLine
	}
	minor, err := parseVersion(version, ErrBadRequestLine)
	if err != nil {
		return err
	}
	if !opts.allowMethod(method) {
		return ErrMethod
	}
	path, ok := targetPath(target)
	if !ok {
		return ErrBadTarget
	}
	path = path[:len(path):len(path)]
	if opts != nil && opts.Path != "" && !equalFold(path, opts.Path) {
		return ErrPath
	}
	h.method, h.target, h.path, h.proto, h.minor = method, target, path, version, minor
	return nil
}

// targetPath returns the path of an origin-form or absolute-form (http or
// https, non-empty authority) request-target, without the query (RFC 9112
// §3.2.1, §3.2.2). An absolute-form target without a path gives an empty
// path.
func targetPath[T string | []byte](t T) (path T, ok bool) {
	if len(t) == 0 || t[0] != '/' {
		switch {
		case hasPrefixFold(t, "http://"):
			t = t[len("http://"):]
		case hasPrefixFold(t, "https://"):
			t = t[len("https://"):]
		default:
			return path, false
		}
		end := indexAny(t, "/?#")
		if end < 0 {
			end = len(t)
		}
		if end == 0 {
			return path, false // RFC 9110 §4.2.1: empty host
		}
		if end == len(t) || t[end] != '/' {
			return t[end:end], true
		}
		t = t[end:]
	}
	if q := indexAny(t, "?"); q >= 0 {
		t = t[:q]
	}
	return t, true
}

// IsValid reports whether h comes from a successful parse.
func (h RequestHead) IsValid() bool { return h.b != nil }

// Len returns the length of the head in bytes, blank line included.
func (h RequestHead) Len() int { return len(h.b) }

// Bytes returns the whole head. The returned slice aliases the parsed
// buffer.
func (h RequestHead) Bytes() []byte { return h.b }

// Method returns the request method, such as POST. The returned slice
// aliases the parsed buffer.
func (h RequestHead) Method() []byte { return h.method }

// Target returns the request-target as sent: a path with an optional query,
// or an absolute URI. The returned slice aliases the parsed buffer.
func (h RequestHead) Target() []byte { return h.target }

// Path returns the path of the request-target, without query: the whole
// origin-form target up to '?', or the part of an absolute URI after its
// authority (empty if there is none). The returned slice aliases the parsed
// buffer.
func (h RequestHead) Path() []byte { return h.path }

// Proto returns the HTTP version as sent: HTTP/1.1 or HTTP/1.0. The
// returned slice aliases the parsed buffer.
func (h RequestHead) Proto() []byte { return h.proto }

// ProtoMinor returns the minor HTTP version: 1 for HTTP/1.1, 0 for
// HTTP/1.0.
func (h RequestHead) ProtoMinor() int { return int(h.minor) }

// Host returns the Host field value and whether the head has one (always
// for HTTP/1.1). The returned slice aliases the parsed buffer.
func (h RequestHead) Host() (host []byte, ok bool) { return h.host, h.hasHost }

// ContentLength returns the Content-Length value and whether the head has
// one (always, unless RequestOptions.AllowNoContentLength). Windows clients
// send MaxContentLength; a smaller value bounds the request body and so the
// client's packet stream.
func (h RequestHead) ContentLength() (n uint64, ok bool) { return h.contentLength, h.hasCL }

// Headers returns an iterator over all header fields, in order. It does
// not allocate.
func (h RequestHead) Headers() HeaderIter { return HeaderIter{h.fields} }

// Header returns the value of the first header field called name, ignoring
// ASCII case, and whether there is one. The returned slice aliases the parsed
// buffer. It does not allocate.
func (h RequestHead) Header(name string) (value []byte, ok bool) { return lookup(h.fields, name) }

// Field is one extra header field for AppendRequestHead.
type Field struct {
	Name  string // a token, RFC 9110 §5.1
	Value string // field-vchar, SP and HTAB; no leading or trailing whitespace
}

// RequestFields describes a request head for AppendRequestHead.
type RequestFields struct {
	// Method is the request method; empty means POST.
	Method string

	// Target is the request-target in origin-form or absolute-form; empty
	// means DefaultPath.
	Target string

	// Host is the Host field value, such as da.example.com, 192.0.2.1 or
	// [2001:db8::1]:8443. It may be empty, and Host then omitted, only with
	// HTTP10.
	Host string

	// ContentLength is the Content-Length value; 0 means MaxContentLength,
	// the value [MS-IPHTTPS] §3.1.5.2 asks for (a 0 length would announce an
	// empty body).
	ContentLength uint64

	// HTTP10 writes HTTP/1.0 instead of HTTP/1.1.
	HTTP10 bool

	// Extra are header fields written after Host and Content-Length, such
	// as Content-Type: application/octet-stream ([MS-IPHTTPS] §2.1). Host,
	// Content-Length and Transfer-Encoding are refused.
	Extra []Field
}

func (f *RequestFields) method() string {
	if f.Method == "" {
		return "POST"
	}
	return f.Method
}

func (f *RequestFields) target() string {
	if f.Target == "" {
		return DefaultPath
	}
	return f.Target
}

func (f *RequestFields) contentLength() uint64 {
	if f.ContentLength == 0 {
		return MaxContentLength
	}
	return f.ContentLength
}

func (f *RequestFields) check() error {
	t := f.target()
	if !isTokenString(f.method()) || !allInString(&targetChars, t) {
		return ErrInvalidField
	}
	if _, ok := targetPath(t); !ok {
		return ErrInvalidField
	}
	if (f.Host == "" && !f.HTTP10) || !validValue(f.Host) {
		return ErrInvalidField
	}
	for _, x := range f.Extra {
		if !isTokenString(x.Name) || !validValue(x.Value) {
			return ErrInvalidField
		}
		for _, reserved := range [...]string{"Host", "Content-Length", "Transfer-Encoding"} {
			if equalFold(x.Name, reserved) {
				return ErrInvalidField
			}
		}
	}
	return nil
}

// validValue reports whether s can be written as a field value that parses
// back to s: field-vchar, SP and HTAB without leading or trailing
// whitespace.
func validValue(s string) bool {
	if s != "" && (isOWS(s[0]) || isOWS(s[len(s)-1])) {
		return false
	}
	return allInString(&valueChars, s)
}

// SizeRequestHead returns the length of the head AppendRequestHead writes
// for f, if f is valid. It does not allocate.
func SizeRequestHead(f *RequestFields) int {
	n := len(f.method()) + 1 + len(f.target()) + len(" HTTP/1.1\r\n")
	if f.Host != "" {
		n += len("Host: \r\n") + len(f.Host)
	}
	n += len("Content-Length: \r\n") + decimalLen(f.contentLength())
	for _, x := range f.Extra {
		n += len(x.Name) + len(": \r\n") + len(x.Value)
	}
	return n + len("\r\n")
}

func decimalLen(v uint64) int {
	n := 1
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}

// AppendRequestHead appends the request head described by f to dst:
// request line, Host, Content-Length, the extra fields and the blank line,
// with CRLF line ends, as [MS-IPHTTPS] §3.1.5.2 and §4.1 describe and the
// scanners of iphttps.md report section 4 send. Field values are checked so
// that the head parses back to f; an invalid field gives [ErrInvalidField]
// and dst unchanged. It does not allocate when dst has SizeRequestHead(f)
// bytes of spare capacity.
func AppendRequestHead(dst []byte, f *RequestFields) ([]byte, error) {
	if err := f.check(); err != nil {
		return dst, err
	}
	dst = append(dst, f.method()...)
	dst = append(dst, ' ')
	dst = append(dst, f.target()...)
	if f.HTTP10 {
		dst = append(dst, " HTTP/1.0\r\n"...)
	} else {
		dst = append(dst, " HTTP/1.1\r\n"...)
	}
	if f.Host != "" {
		dst = append(dst, "Host: "...)
		dst = append(dst, f.Host...)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendUint(dst, f.contentLength(), 10)
	dst = append(dst, "\r\n"...)
	for _, x := range f.Extra {
		dst = append(dst, x.Name...)
		dst = append(dst, ": "...)
		dst = append(dst, x.Value...)
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "\r\n"...), nil
}
