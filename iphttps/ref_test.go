package iphttps

import (
	"bufio"
	"bytes"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/transit6/transit6/packet"
)

// Slow, obvious references for the differential tests and fuzz targets:
// bufio line reading, regular expressions, strings.Cut and strconv instead
// of the hand-written scanners. They implement the rules as the doc comments
// state them, check by check in the documented order.

// refHead is what a reference parser extracts from a head; the real
// parsers' results are converted to it for comparison.
type refHead struct {
	N                    int
	Method, Target, Path string
	Proto                string
	Status               int
	Reason               string
	Host, Server, Date   string
	HasHost, HasServer   bool
	HasDate              bool
	ContentLength        uint64
	HasContentLength     bool
	Headers              [][2]string
}

var (
	refTokenRE    = regexp.MustCompile("^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$")
	refRequestRE  = regexp.MustCompile("^([!#$%&'*+\\-.^_`|~0-9A-Za-z]+) ([\\x21-\\x7e]+) (HTTP/[0-9]\\.[0-9])$")
	refStatusRE   = regexp.MustCompile(`^(HTTP/[0-9]\.[0-9]) ([0-9]{3})(?: (.*))?$`)
	refDigitsRE   = regexp.MustCompile(`^[0-9]+$`)
	refVersionsOK = map[string]bool{"HTTP/1.0": true, "HTTP/1.1": true}
)

// refValueOK reports whether every byte of v is field-vchar, SP or HTAB.
func refValueOK(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\t' && (c < 0x20 || c == 0x7f) {
			return false
		}
	}
	return true
}

// refLines reads the lines of a head from b cut at max bytes.
type refLines struct {
	br       *bufio.Reader
	full     bool
	consumed int
	strict   bool
}

func newRefLines(b []byte, max int, strict bool) *refLines {
	full := len(b) >= max
	if full {
		b = b[:max]
	}
	return &refLines{br: bufio.NewReader(bytes.NewReader(b)), full: full, strict: strict}
}

func (l *refLines) next() (string, error) {
	s, err := l.br.ReadString('\n')
	if err != nil {
		if l.full {
			return "", ErrHeadTooLarge
		}
		return "", ErrIncomplete
	}
	l.consumed += len(s)
	s = strings.TrimSuffix(s, "\n")
	hadCR := strings.HasSuffix(s, "\r")
	s = strings.TrimSuffix(s, "\r")
	if strings.Contains(s, "\r") {
		return "", ErrBareCR
	}
	if !hadCR && l.strict {
		return "", ErrBareLF
	}
	return s, nil
}

// refHeaderLine splits a field line.
func refHeaderLine(line string) (name, value string, err error) {
	if line[0] == ' ' || line[0] == '\t' {
		return "", "", ErrObsFold
	}
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		return "", "", ErrMalformedHeader
	}
	value = strings.Trim(value, " \t")
	if !refTokenRE.MatchString(name) || !refValueOK(value) {
		return "", "", ErrMalformedHeader
	}
	return name, value, nil
}

// refCL holds the Content-Length state across fields.
type refCL struct {
	values []uint64
}

func (c *refCL) add(v string) error {
	for _, e := range strings.Split(v, ",") {
		e = strings.Trim(e, " \t")
		if !refDigitsRE.MatchString(e) {
			return ErrBadContentLength
		}
		n, err := strconv.ParseUint(e, 10, 64)
		if err != nil {
			return ErrContentLengthOverflow
		}
		if len(c.values) > 0 && n != c.values[0] {
			return ErrConflictingContentLength
		}
		c.values = append(c.values, n)
	}
	if len(c.values) > 1 {
		return ErrDuplicateContentLength
	}
	return nil
}

func refTargetPath(t string) (string, bool) {
	if !strings.HasPrefix(t, "/") {
		lt := strings.ToLower(t)
		switch {
		case strings.HasPrefix(lt, "http://"):
			t = t[7:]
		case strings.HasPrefix(lt, "https://"):
			t = t[8:]
		default:
			return "", false
		}
		authority, rest := t, ""
		if i := strings.IndexAny(t, "/?#"); i >= 0 {
			authority, rest = t[:i], t[i:]
		}
		if authority == "" {
			return "", false
		}
		if !strings.HasPrefix(rest, "/") {
			return "", true
		}
		t = rest
	}
	path, _, _ := strings.Cut(t, "?")
	return path, true
}

func refParseRequest(b []byte, opts *RequestOptions) (refHead, error) {
	var o RequestOptions
	if opts != nil {
		o = *opts
	}
	max := o.MaxHeadLen
	if max <= 0 {
		max = DefaultMaxHeadLen
	}
	l := newRefLines(b, max, o.StrictCRLF)
	line, err := l.next()
	if err != nil {
		return refHead{}, err
	}
	m := refRequestRE.FindStringSubmatch(line)
	if m == nil {
		return refHead{}, ErrBadRequestLine
	}
	h := refHead{Method: m[1], Target: m[2], Proto: m[3]}
	if !refVersionsOK[h.Proto] {
		return refHead{}, ErrHTTPVersion
	}
	methods := o.Methods
	if methods == nil {
		methods = []string{"POST"}
	}
	allowed := false
	for _, x := range methods {
		allowed = allowed || x == h.Method
	}
	if !allowed {
		return refHead{}, ErrMethod
	}
	var ok bool
	if h.Path, ok = refTargetPath(h.Target); !ok {
		return refHead{}, ErrBadTarget
	}
	if o.Path != "" && !strings.EqualFold(h.Path, o.Path) {
		return refHead{}, ErrPath
	}
	var cl refCL
	for {
		line, err := l.next()
		if err != nil {
			return refHead{}, err
		}
		if line == "" {
			break
		}
		name, value, err := refHeaderLine(line)
		if err != nil {
			return refHead{}, err
		}
		h.Headers = append(h.Headers, [2]string{name, value})
		switch strings.ToLower(name) {
		case "content-length":
			if err := cl.add(value); err != nil {
				return refHead{}, err
			}
		case "transfer-encoding":
			return refHead{}, ErrTransferEncoding
		case "host":
			if h.HasHost {
				return refHead{}, ErrDuplicateHost
			}
			h.Host, h.HasHost = value, true
		}
	}
	if len(cl.values) == 0 && !o.AllowNoContentLength {
		return refHead{}, ErrNoContentLength
	}
	if len(cl.values) > 0 && cl.values[0] == 0 {
		return refHead{}, ErrZeroContentLength
	}
	if !h.HasHost && h.Proto == "HTTP/1.1" {
		return refHead{}, ErrNoHost
	}
	if len(cl.values) > 0 {
		h.ContentLength, h.HasContentLength = cl.values[0], true
	}
	h.N = l.consumed
	return h, nil
}

func refParseResponse(b []byte, opts *ResponseOptions) (refHead, error) {
	var o ResponseOptions
	if opts != nil {
		o = *opts
	}
	max := o.MaxHeadLen
	if max <= 0 {
		max = DefaultMaxHeadLen
	}
	l := newRefLines(b, max, o.StrictCRLF)
	line, err := l.next()
	if err != nil {
		return refHead{}, err
	}
	m := refStatusRE.FindStringSubmatch(line)
	if m == nil || !refValueOK(m[3]) {
		return refHead{}, ErrBadStatusLine
	}
	if !refVersionsOK[m[1]] {
		return refHead{}, ErrHTTPVersion
	}
	h := refHead{Proto: m[1], Reason: m[3]}
	h.Status, _ = strconv.Atoi(m[2])
	var cl refCL
	for {
		line, err := l.next()
		if err != nil {
			return refHead{}, err
		}
		if line == "" {
			break
		}
		name, value, err := refHeaderLine(line)
		if err != nil {
			return refHead{}, err
		}
		h.Headers = append(h.Headers, [2]string{name, value})
		switch strings.ToLower(name) {
		case "content-length":
			if err := cl.add(value); err != nil {
				return refHead{}, err
			}
		case "transfer-encoding":
			if h.Status == 200 {
				return refHead{}, ErrTransferEncoding
			}
		case "server":
			if !h.HasServer {
				h.Server, h.HasServer = value, true
			}
		case "date":
			if !h.HasDate {
				h.Date, h.HasDate = value, true
			}
		}
	}
	if len(cl.values) > 0 {
		h.ContentLength, h.HasContentLength = cl.values[0], true
	}
	if h.Status == 200 && h.HasContentLength && h.ContentLength == 0 {
		return refHead{}, ErrZeroContentLength
	}
	h.N = l.consumed
	if h.Status != 200 {
		return h, ErrStatus
	}
	return h, nil
}

// toRefRequest converts a parsed request to refHead.
func toRefRequest(h RequestHead, n int) refHead {
	if !h.IsValid() {
		return refHead{}
	}
	r := refHead{N: n, Method: string(h.Method()), Target: string(h.Target()), Path: string(h.Path()),
		Proto: string(h.Proto())}
	host, ok := h.Host()
	r.Host, r.HasHost = string(host), ok
	r.ContentLength, r.HasContentLength = h.ContentLength()
	it := h.Headers()
	for name, value, ok := it.Next(); ok; name, value, ok = it.Next() {
		r.Headers = append(r.Headers, [2]string{string(name), string(value)})
	}
	return r
}

// toRefResponse converts a parsed response to refHead.
func toRefResponse(h ResponseHead, n int) refHead {
	if !h.IsValid() {
		return refHead{}
	}
	r := refHead{N: n, Proto: string(h.Proto()), Status: h.StatusCode(), Reason: string(h.Reason())}
	server, ok := h.Server()
	r.Server, r.HasServer = string(server), ok
	date, ok := h.Date()
	r.Date, r.HasDate = string(date), ok
	r.ContentLength, r.HasContentLength = h.ContentLength()
	it := h.Headers()
	for name, value, ok := it.Next(); ok; name, value, ok = it.Next() {
		r.Headers = append(r.Headers, [2]string{string(name), string(value)})
	}
	return r
}

// refSplit is the reference framing: io.ReadFull of a 40-byte header, then
// of the payload, from a bytes.Reader, with the errors Reader documents.
func refSplit(stream []byte) (pkts [][]byte, err error) {
	br := bytes.NewReader(stream)
	for {
		hdr := make([]byte, packet.IPv6HeaderLen)
		n, _ := io.ReadFull(br, hdr)
		switch {
		case n == 0:
			return pkts, io.EOF
		case hdr[0]>>4 != 6:
			return pkts, ErrNotIPv6
		case n < 7:
			return pkts, io.ErrUnexpectedEOF
		case hdr[4] == 0 && hdr[5] == 0 && hdr[6] == 0:
			return pkts, ErrJumbogram
		case n < packet.IPv6HeaderLen:
			return pkts, io.ErrUnexpectedEOF
		}
		payload := make([]byte, int(hdr[4])<<8|int(hdr[5]))
		if _, err := io.ReadFull(br, payload); err != nil {
			return pkts, io.ErrUnexpectedEOF
		}
		pkts = append(pkts, append(hdr, payload...))
	}
}
