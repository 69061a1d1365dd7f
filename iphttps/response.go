package iphttps

import "time"

// The server's response head, [MS-IPHTTPS] §3.2.5.1 and §4.1:
//
//	HTTP/1.1 200 OK\r\n
//	Server: Microsoft-HTTPAPI/2.0\r\n
//	Date: Sun, 10 Aug 2008 03:51:52 GMT\r\n
//	\r\n
//
// with neither Content-Length nor Transfer-Encoding: the body is delimited by
// the end of the connection and is the server→client packet stream.

// ResponseOptions says what ParseResponseHead and ReadResponseHead accept.
// A nil *ResponseOptions means the zero ResponseOptions.
type ResponseOptions struct {
	// MaxHeadLen bounds the head, status line to blank line included; 0 or
	// less means DefaultMaxHeadLen.
	MaxHeadLen int

	// StrictCRLF refuses lines ended by a bare LF (ErrBareLF); see
	// RequestOptions.StrictCRLF.
	StrictCRLF bool
}

func (o *ResponseOptions) maxHeadLen() int {
	if o == nil || o.MaxHeadLen <= 0 {
		return DefaultMaxHeadLen
	}
	return o.MaxHeadLen
}

// ResponseHead is a parsed response head: a view of the bytes given to
// ParseResponseHead, which it aliases. It comes from ParseResponseHead or
// ReadResponseHead; the zero ResponseHead is not valid and its accessors
// return zero values.
type ResponseHead struct {
	b             []byte // the head, status line to blank line
	proto         []byte
	reason        []byte
	server        []byte
	date          []byte
	fields        []byte // the field lines and the blank line
	contentLength uint64
	status        uint16
	hasCL         bool
	hasServer     bool
	hasDate       bool
	minor         uint8
}

// ParseResponseHead parses the HTTP response head at the start of b, up to
// and including the blank line that ends it, and returns it with its length
// n. The bytes b[n:] are the first bytes of the response body: the packet
// stream ([MS-IPHTTPS] §3.2.5.2). The head's slices alias b.
//
// It accepts HTTP/1.0 and HTTP/1.1, any reason phrase (or none), header
// names in any case (HAProxy in HTTP mode lowercases them, iphttps.md report
// section 6), extra fields such as Connection: close, and lines ended by
// CRLF or, unless opts.StrictCRLF, a bare LF. Server and Date are exposed
// but not required.
//
// A well-formed response whose status is not 200 gives [ErrStatus] together
// with the head and n, so that the caller can report it (a proxy's 407, a
// server's 404). For a 200 it refuses a Transfer-Encoding
// ([ErrTransferEncoding]) and Content-Length: 0 ([ErrZeroContentLength]); any
// other Content-Length, such as one a proxy added, is returned for the
// caller to honour. Otherwise it reports, with n = 0, the errors
// ParseRequestHead does for the lines of a head, and [ErrBadStatusLine] for a
// malformed status line.
//
// It never panics and does not allocate.
func ParseResponseHead(b []byte, opts *ResponseOptions) (h ResponseHead, n int, err error) {
	s := newLineScanner(b, opts.maxHeadLen(), opts != nil && opts.StrictCRLF)
	line, err := s.next()
	if err != nil {
		return ResponseHead{}, 0, err
	}
	if err := h.parseStatusLine(line); err != nil {
		return ResponseHead{}, 0, err
	}
	fieldsStart := s.off
	var cl contentLength
	for {
		line, err := s.next()
		if err != nil {
			return ResponseHead{}, 0, err
		}
		if len(line) == 0 {
			break
		}
		f, err := parseHeaderLine(line)
		if err != nil {
			return ResponseHead{}, 0, err
		}
		switch {
		case equalFold(f.name, "Content-Length"):
			if err := cl.add(f.value); err != nil {
				return ResponseHead{}, 0, err
			}
		case equalFold(f.name, "Transfer-Encoding"):
			if h.status == 200 {
				return ResponseHead{}, 0, ErrTransferEncoding
			}
		case equalFold(f.name, "Server"):
			if !h.hasServer {
				h.server, h.hasServer = f.value, true
			}
		case equalFold(f.name, "Date"):
			if !h.hasDate {
				h.date, h.hasDate = f.value, true
			}
		}
	}
	if h.status == 200 && cl.seen && cl.v == 0 {
		return ResponseHead{}, 0, ErrZeroContentLength
	}
	n = s.off
	h.b = b[:n:n]
	h.fields = b[fieldsStart:n:n]
	h.contentLength, h.hasCL = cl.v, cl.seen
	if h.status != 200 {
		return h, n, ErrStatus
	}
	return h, n, nil
}

// parseStatusLine parses HTTP-version SP 3DIGIT [SP reason-phrase] (RFC 9112
// §4; the SP before an empty reason may be missing) into h.
func (h *ResponseHead) parseStatusLine(line []byte) error {
	if len(line) < 12 || line[8] != ' ' || !isDigit(line[9]) || !isDigit(line[10]) || !isDigit(line[11]) {
		return ErrBadStatusLine
	}
	var reason []byte
	if len(line) > 12 {
		if line[12] != ' ' || !allIn(&valueChars, line[13:]) {
			return ErrBadStatusLine
		}
		reason = line[13:]
	}
	minor, err := parseVersion(line[:8], ErrBadStatusLine)
	if err != nil {
		return err
	}
	h.proto, h.reason, h.minor = line[:8:8], reason, minor
	h.status = uint16(line[9]-'0')*100 + uint16(line[10]-'0')*10 + uint16(line[11]-'0')
	return nil
}

// IsValid reports whether h comes from a parse that returned it (without
// error, or with ErrStatus).
func (h ResponseHead) IsValid() bool { return h.b != nil }

// Len returns the length of the head in bytes, blank line included.
func (h ResponseHead) Len() int { return len(h.b) }

// Bytes returns the whole head. The returned slice aliases the parsed
// buffer.
func (h ResponseHead) Bytes() []byte { return h.b }

// Proto returns the HTTP version as sent: HTTP/1.1 or HTTP/1.0. The
// returned slice aliases the parsed buffer.
func (h ResponseHead) Proto() []byte { return h.proto }

// ProtoMinor returns the minor HTTP version: 1 for HTTP/1.1, 0 for
// HTTP/1.0.
func (h ResponseHead) ProtoMinor() int { return int(h.minor) }

// StatusCode returns the three-digit status code, 200 on success.
func (h ResponseHead) StatusCode() int { return int(h.status) }

// Reason returns the reason phrase, possibly empty; it carries no meaning
// (RFC 9112 §4). The returned slice aliases the parsed buffer.
func (h ResponseHead) Reason() []byte { return h.reason }

// Server returns the first Server field value and whether there is one.
// Windows servers send DefaultServer. The returned slice aliases the parsed
// buffer.
func (h ResponseHead) Server() (server []byte, ok bool) { return h.server, h.hasServer }

// Date returns the first Date field value, unparsed, and whether there is
// one. The returned slice aliases the parsed buffer.
func (h ResponseHead) Date() (date []byte, ok bool) { return h.date, h.hasDate }

// ContentLength returns the Content-Length value and whether the head has
// one. [MS-IPHTTPS] servers send none; a proxy may add one, which then
// bounds the response body and so the server's packet stream.
func (h ResponseHead) ContentLength() (n uint64, ok bool) { return h.contentLength, h.hasCL }

// Headers returns an iterator over all header fields, in order. It does
// not allocate.
func (h ResponseHead) Headers() HeaderIter { return HeaderIter{h.fields} }

// Header returns the value of the first header field called name, ignoring
// ASCII case, and whether there is one. The returned slice aliases the parsed
// buffer. It does not allocate.
func (h ResponseHead) Header(name string) (value []byte, ok bool) { return lookup(h.fields, name) }

// DateLen is the length of an IMF-fixdate, such as "Sun, 10 Aug 2008
// 03:51:52 GMT" (RFC 9110 §5.6.7).
const DateLen = 29

// SizeResponseHead returns the length of the head AppendResponseHead writes
// for server. It does not allocate.
func SizeResponseHead(server string) int {
	if server == "" {
		server = DefaultServer
	}
	return len("HTTP/1.1 200 OK\r\nServer: \r\nDate: \r\n\r\n") + len(server) + DateLen
}

// AppendResponseHead appends the server's 200 response head to dst: status
// line, Server, Date and the blank line, nothing else ([MS-IPHTTPS]
// §3.2.5.1, §4.1): no Content-Length and no Transfer-Encoding, so the body
// is the connection's remainder. An empty server means DefaultServer. The
// date is written as an IMF-fixdate in UTC (RFC 9110 §5.6.7, the layout of
// net/http's TimeFormat).
//
// It returns [ErrInvalidField] and dst unchanged if server is not a valid
// field value (see Field) or date's year is outside 0000–9999. It does not
// allocate when dst has SizeResponseHead(server) bytes of spare capacity.
func AppendResponseHead(dst []byte, server string, date time.Time) ([]byte, error) {
	if server == "" {
		server = DefaultServer
	}
	date = date.UTC()
	if !validValue(server) || date.Year() < 0 || date.Year() > 9999 {
		return dst, ErrInvalidField
	}
	dst = append(dst, "HTTP/1.1 200 OK\r\nServer: "...)
	dst = append(dst, server...)
	dst = append(dst, "\r\nDate: "...)
	dst = appendIMFDate(dst, date)
	return append(dst, "\r\n\r\n"...), nil
}

// appendIMFDate appends t, in UTC with a year in 0000–9999, as
// "Sun, 06 Nov 1994 08:49:37 GMT".
func appendIMFDate(dst []byte, t time.Time) []byte {
	const days = "SunMonTueWedThuFriSat"
	const months = "JanFebMarAprMayJunJulAugSepOctNovDec"
	year, month, day := t.Date()
	hour, min, sec := t.Clock()
	wd := int(t.Weekday()) * 3
	mo := (int(month) - 1) * 3
	dst = append(dst, days[wd:wd+3]...)
	dst = append(dst, ", "...)
	dst = append2(dst, day)
	dst = append(dst, ' ')
	dst = append(dst, months[mo:mo+3]...)
	dst = append(dst, ' ')
	dst = append2(dst, year/100)
	dst = append2(dst, year%100)
	dst = append(dst, ' ')
	dst = append2(dst, hour)
	dst = append(dst, ':')
	dst = append2(dst, min)
	dst = append(dst, ':')
	dst = append2(dst, sec)
	return append(dst, " GMT"...)
}

// append2 appends v, in 0–99, as two decimal digits.
func append2(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}
