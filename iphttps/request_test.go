package iphttps

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hx decodes a hex vector; spaces, newlines, tabs and '|' are ignored.
func hx(tb testing.TB, s string) []byte {
	tb.Helper()
	s = strings.NewReplacer(" ", "", "\n", "", "\t", "", "|", "").Replace(s)
	b, err := hex.DecodeString(s)
	require.NoError(tb, err)
	return b
}

const (
	// The example request of [MS-IPHTTPS] §4.1 (iphttps.md §1.3 item 3),
	// with the "<IP-address of IP-HTTPS server>" placeholder filled in with
	// a documentation address. Note the header order: Content-Length first.
	// This is also what `openssl s_client -crlf` sends when the request is
	// typed or piped in.
	vecSpecRequest = "POST /IPTLS HTTP/1.1\r\n" +
		"Content-Length: 18446744073709551615\r\n" +
		"Host: 192.0.2.1\r\n" +
		"\r\n"

	// The request nmap's ip-https-discover and ip-https-tools send, as the
	// notes render it byte for byte (iphttps.md §1.3 item 3: 86 bytes, the
	// request line in hex, then Host, Content-Length and the blank line).
	vecScannerRequestHex = "50 4f 53 54 20 2f 49 50 48 54 54 50 53 20 48 54 54 50 2f 31 2e 31 0d 0a" +
		"486f73743a2064612e6578616d706c652e636f6d0d0a" + // "Host: da.example.com\r\n"
		"436f6e74656e742d4c656e6774683a2031383434363734343037333730393535313631350d0a" + // "Content-Length: 18446744073709551615\r\n"
		"0d0a"
)

// reqSummary is the part of a parsed request the table tests compare.
type reqSummary struct {
	Method, Target, Path string
	Proto                string
	Minor                int
	Host                 string
	HasHost              bool
	CL                   uint64
	HasCL                bool
}

func summarizeRequest(h RequestHead) reqSummary {
	host, hasHost := h.Host()
	cl, hasCL := h.ContentLength()
	return reqSummary{Method: string(h.Method()), Target: string(h.Target()), Path: string(h.Path()),
		Proto: string(h.Proto()), Minor: h.ProtoMinor(), Host: string(host), HasHost: hasHost, CL: cl, HasCL: hasCL}
}

// iphttpsPost is the common accepted summary: POST /IPHTTPS HTTP/1.1 with
// the maximal length.
func iphttpsPost(host string) reqSummary {
	return reqSummary{Method: "POST", Target: "/IPHTTPS", Path: "/IPHTTPS", Proto: "HTTP/1.1", Minor: 1,
		Host: host, HasHost: true, CL: MaxContentLength, HasCL: true}
}

const maxCL = "Content-Length: 18446744073709551615\r\n"

var pathOpts = &RequestOptions{Path: "/IPHTTPS"}

func TestParseRequestHeadAccepted(t *testing.T) {
	scanner := string(hx(t, vecScannerRequestHex))
	tests := []struct {
		name string
		in   string
		opts *RequestOptions
		want reqSummary
	}{
		{"spec §4.1 example (openssl s_client -crlf)", vecSpecRequest, nil,
			reqSummary{"POST", "/IPTLS", "/IPTLS", "HTTP/1.1", 1, "192.0.2.1", true, MaxContentLength, true}},
		{"scanner request, 86 bytes", scanner, pathOpts, iphttpsPost("da.example.com")},
		{"openssl s_client without -crlf: bare LF",
			"POST /IPTLS HTTP/1.1\nContent-Length: 18446744073709551615\nHost: 192.0.2.1\n\n", nil,
			reqSummary{"POST", "/IPTLS", "/IPTLS", "HTTP/1.1", 1, "192.0.2.1", true, MaxContentLength, true}},
		{"ip-https-tools script: bare LF, fixed Host",
			"POST /IPHTTPS HTTP/1.1\nHost: vpn1.contoso.com\nContent-Length: 18446744073709551615\n\n", pathOpts,
			iphttpsPost("vpn1.contoso.com")},
		{"mixed CRLF and LF", "POST /IPHTTPS HTTP/1.1\r\nHost: h\n" + maxCL + "\n", pathOpts, iphttpsPost("h")},
		{"path lower case", "POST /iphttps HTTP/1.1\r\nHost: h\r\n" + maxCL + "\r\n", pathOpts,
			reqSummary{"POST", "/iphttps", "/iphttps", "HTTP/1.1", 1, "h", true, MaxContentLength, true}},
		{"path mixed case /IPHTTPs", "POST /IPHTTPs HTTP/1.1\r\nHost: h\r\n" + maxCL + "\r\n", pathOpts,
			reqSummary{"POST", "/IPHTTPs", "/IPHTTPs", "HTTP/1.1", 1, "h", true, MaxContentLength, true}},
		{"query string ignored by path match", "POST /IPHTTPS?x=1 HTTP/1.1\r\nHost: h\r\n" + maxCL + "\r\n", pathOpts,
			reqSummary{"POST", "/IPHTTPS?x=1", "/IPHTTPS", "HTTP/1.1", 1, "h", true, MaxContentLength, true}},
		{"any path without Path option", "POST /IPHTTPS/ HTTP/1.1\r\nHost: h\r\n" + maxCL + "\r\n", nil,
			reqSummary{"POST", "/IPHTTPS/", "/IPHTTPS/", "HTTP/1.1", 1, "h", true, MaxContentLength, true}},
		{"absolute-form https", "POST https://da.example.com/IPHTTPS HTTP/1.1\r\nHost: da.example.com\r\n" + maxCL + "\r\n", pathOpts,
			reqSummary{"POST", "https://da.example.com/IPHTTPS", "/IPHTTPS", "HTTP/1.1", 1, "da.example.com", true, MaxContentLength, true}},
		{"absolute-form HTTP scheme upper case, port, query",
			"POST HTTP://da.example.com:443/iphttps?a HTTP/1.1\r\nHost: x\r\n" + maxCL + "\r\n", pathOpts,
			reqSummary{"POST", "HTTP://da.example.com:443/iphttps?a", "/iphttps", "HTTP/1.1", 1, "x", true, MaxContentLength, true}},
		{"absolute-form without path", "POST https://h HTTP/1.1\r\nHost: h\r\n" + maxCL + "\r\n", nil,
			reqSummary{"POST", "https://h", "", "HTTP/1.1", 1, "h", true, MaxContentLength, true}},
		{"HTTP/1.0 without Host", "POST /IPHTTPS HTTP/1.0\r\n" + maxCL + "\r\n", pathOpts,
			reqSummary{"POST", "/IPHTTPS", "/IPHTTPS", "HTTP/1.0", 0, "", false, MaxContentLength, true}},
		{"HTTP/1.0 with Host", "POST /IPHTTPS HTTP/1.0\r\nHost: h\r\n" + maxCL + "\r\n", pathOpts,
			reqSummary{"POST", "/IPHTTPS", "/IPHTTPS", "HTTP/1.0", 0, "h", true, MaxContentLength, true}},
		{"IPv4 literal Host", "POST /IPHTTPS HTTP/1.1\r\nHost: 203.0.113.7\r\n" + maxCL + "\r\n", pathOpts,
			iphttpsPost("203.0.113.7")},
		{"IPv6 literal Host with port", "POST /IPHTTPS HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n" + maxCL + "\r\n", pathOpts,
			iphttpsPost("[2001:db8::1]:443")},
		{"empty Host value", "POST /IPHTTPS HTTP/1.1\r\nHost:\r\n" + maxCL + "\r\n", pathOpts, iphttpsPost("")},
		{"HAProxy lower-case names", "POST /IPHTTPS HTTP/1.1\r\nhost: h\r\ncontent-length: 18446744073709551615\r\n\r\n", pathOpts,
			iphttpsPost("h")},
		{"upper-case names", "POST /IPHTTPS HTTP/1.1\r\nHOST: h\r\nCONTENT-LENGTH: 18446744073709551615\r\n\r\n", pathOpts,
			iphttpsPost("h")},
		{"extra headers around", "POST /IPHTTPS HTTP/1.1\r\nUser-Agent: x/1\r\nHost: h\r\nContent-Type: application/octet-stream\r\n" +
			maxCL + "Connection: keep-alive\r\nX-Forwarded-For: 198.51.100.1\r\n\r\n", pathOpts, iphttpsPost("h")},
		{"no whitespace after colon", "POST /IPHTTPS HTTP/1.1\r\nHost:h\r\nContent-Length:18446744073709551615\r\n\r\n", pathOpts,
			iphttpsPost("h")},
		{"tabs and spaces around values", "POST /IPHTTPS HTTP/1.1\r\nHost: \th \t\r\nContent-Length:\t 18446744073709551615 \t\r\n\r\n", pathOpts,
			iphttpsPost("h")},
		{"leading zeros in Content-Length", "POST /IPHTTPS HTTP/1.1\r\nHost: h\r\nContent-Length: 0018446744073709551615\r\n\r\n", pathOpts,
			iphttpsPost("h")},
		{"finite Content-Length", "POST /IPHTTPS HTTP/1.1\r\nHost: h\r\nContent-Length: 1280\r\n\r\n", pathOpts,
			reqSummary{"POST", "/IPHTTPS", "/IPHTTPS", "HTTP/1.1", 1, "h", true, 1280, true}},
		{"no Content-Length when allowed", "POST /IPHTTPS HTTP/1.1\r\nHost: h\r\n\r\n", &RequestOptions{AllowNoContentLength: true},
			reqSummary{"POST", "/IPHTTPS", "/IPHTTPS", "HTTP/1.1", 1, "h", true, 0, false}},
		{"PUT when configured", "PUT /IPHTTPS HTTP/1.1\r\nHost: h\r\n" + maxCL + "\r\n", &RequestOptions{Methods: []string{"POST", "PUT"}},
			reqSummary{"PUT", "/IPHTTPS", "/IPHTTPS", "HTTP/1.1", 1, "h", true, MaxContentLength, true}},
		{"obs-text in a value", "POST /IPHTTPS HTTP/1.1\r\nHost: h\r\nX-Name: caf\xc3\xa9\r\n" + maxCL + "\r\n", pathOpts,
			iphttpsPost("h")},
		{"strict CRLF honoured", "POST /IPHTTPS HTTP/1.1\r\nHost: h\r\n" + maxCL + "\r\n", &RequestOptions{StrictCRLF: true},
			iphttpsPost("h")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.in + "\x60\x00\x00\x00") // start of a packet after the head
			h, n, err := ParseRequestHead(b, tt.opts)
			require.NoError(t, err)
			assert.Equal(t, tt.want, summarizeRequest(h))
			assert.Equal(t, len(tt.in), n)
			assert.Equal(t, tt.in, string(h.Bytes()))
			assert.Equal(t, n, h.Len())
			assert.True(t, h.IsValid())

			ref, rerr := refParseRequest(b, tt.opts)
			require.NoError(t, rerr)
			assert.Equal(t, ref, toRefRequest(h, n), "reference parser")

			// Every proper prefix is incomplete, not an error.
			for k := range n {
				_, m, err := ParseRequestHead(b[:k], tt.opts)
				require.ErrorIs(t, err, ErrIncomplete, "prefix %d", k)
				require.Zero(t, m)
			}
		})
	}
}

func TestParseRequestHeadScannerVector(t *testing.T) {
	b := hx(t, vecScannerRequestHex)
	require.Len(t, b, 86)
	assert.Equal(t, "POST /IPHTTPS HTTP/1.1\r\nHost: da.example.com\r\nContent-Length: 18446744073709551615\r\n\r\n", string(b))
}

func TestParseRequestHeadRejected(t *testing.T) {
	const host = "Host: h\r\n"
	tests := []struct {
		name string
		in   string
		opts *RequestOptions
		err  error
	}{
		// Request line.
		{"GET", "GET /IPHTTPS HTTP/1.1\r\n" + host + maxCL + "\r\n", nil, ErrMethod},
		{"PUT", "PUT /IPHTTPS HTTP/1.1\r\n" + host + maxCL + "\r\n", nil, ErrMethod},
		{"post in lower case", "post /IPHTTPS HTTP/1.1\r\n" + host + maxCL + "\r\n", nil, ErrMethod},
		{"POST not in configured list", "POST /IPHTTPS HTTP/1.1\r\n" + host + maxCL + "\r\n", &RequestOptions{Methods: []string{"PUT"}}, ErrMethod},
		{"no version", "POST /IPHTTPS\r\n" + host + maxCL + "\r\n", nil, ErrBadRequestLine},
		{"method only", "POST\r\n" + host + maxCL + "\r\n", nil, ErrBadRequestLine},
		{"empty request line", "\r\nPOST /IPHTTPS HTTP/1.1\r\n" + host + maxCL + "\r\n", nil, ErrBadRequestLine},
		{"double space", "POST  /IPHTTPS HTTP/1.1\r\n" + host + maxCL + "\r\n", nil, ErrBadRequestLine},
		{"trailing space", "POST /IPHTTPS HTTP/1.1 \r\n" + host + maxCL + "\r\n", nil, ErrBadRequestLine},
		{"tab separator", "POST\t/IPHTTPS HTTP/1.1\r\n" + host + maxCL + "\r\n", nil, ErrBadRequestLine},
		{"space in target", "POST /IP HTTPS HTTP/1.1\r\n" + host + maxCL + "\r\n", nil, ErrBadRequestLine},
		{"NUL in target", "POST /IP\x00HTTPS HTTP/1.1\r\n" + host + maxCL + "\r\n", nil, ErrBadRequestLine},
		{"non-ASCII in target", "POST /IP\xc3\xa9 HTTP/1.1\r\n" + host + maxCL + "\r\n", nil, ErrBadRequestLine},
		{"method not a token", "PO(ST /IPHTTPS HTTP/1.1\r\n" + host + maxCL + "\r\n", nil, ErrBadRequestLine},
		{"lower-case http version", "POST /IPHTTPS http/1.1\r\n" + host + maxCL + "\r\n", nil, ErrBadRequestLine},
		{"version HTTP/1", "POST /IPHTTPS HTTP/1\r\n" + host + maxCL + "\r\n", nil, ErrBadRequestLine},
		{"version HTTP/1.10", "POST /IPHTTPS HTTP/1.10\r\n" + host + maxCL + "\r\n", nil, ErrBadRequestLine},
		{"HTTP/2.0", "POST /IPHTTPS HTTP/2.0\r\n" + host + maxCL + "\r\n", nil, ErrHTTPVersion},
		{"HTTP/1.2", "POST /IPHTTPS HTTP/1.2\r\n" + host + maxCL + "\r\n", nil, ErrHTTPVersion},
		{"HTTP/0.9", "POST /IPHTTPS HTTP/0.9\r\n" + host + maxCL + "\r\n", nil, ErrHTTPVersion},
		{"asterisk-form", "POST * HTTP/1.1\r\n" + host + maxCL + "\r\n", nil, ErrBadTarget},
		{"authority-form", "POST da.example.com:443 HTTP/1.1\r\n" + host + maxCL + "\r\n", nil, ErrBadTarget},
		{"relative path", "POST IPHTTPS HTTP/1.1\r\n" + host + maxCL + "\r\n", nil, ErrBadTarget},
		{"ftp scheme", "POST ftp://h/IPHTTPS HTTP/1.1\r\n" + host + maxCL + "\r\n", nil, ErrBadTarget},
		{"absolute-form with empty host", "POST https:///IPHTTPS HTTP/1.1\r\n" + host + maxCL + "\r\n", nil, ErrBadTarget},
		{"trailing slash", "POST /IPHTTPS/ HTTP/1.1\r\n" + host + maxCL + "\r\n", pathOpts, ErrPath},
		{"spec path /IPTLS when /IPHTTPS configured", "POST /IPTLS HTTP/1.1\r\n" + host + maxCL + "\r\n", pathOpts, ErrPath},
		{"percent-encoded path", "POST /IP%48TTPS HTTP/1.1\r\n" + host + maxCL + "\r\n", pathOpts, ErrPath},
		{"absolute-form without path", "POST https://h HTTP/1.1\r\n" + host + maxCL + "\r\n", pathOpts, ErrPath},

		// Header lines.
		{"header without colon", "POST /IPHTTPS HTTP/1.1\r\nHost h\r\n" + maxCL + "\r\n", nil, ErrMalformedHeader},
		{"space before colon", "POST /IPHTTPS HTTP/1.1\r\n" + host + "Content-Length : 18446744073709551615\r\n\r\n", nil, ErrMalformedHeader},
		{"empty name", "POST /IPHTTPS HTTP/1.1\r\n" + host + ": x\r\n" + maxCL + "\r\n", nil, ErrMalformedHeader},
		{"name not a token", "POST /IPHTTPS HTTP/1.1\r\n" + host + "X(y): z\r\n" + maxCL + "\r\n", nil, ErrMalformedHeader},
		{"control character in value", "POST /IPHTTPS HTTP/1.1\r\n" + host + "X: a\x01b\r\n" + maxCL + "\r\n", nil, ErrMalformedHeader},
		{"DEL in value", "POST /IPHTTPS HTTP/1.1\r\n" + host + "X: a\x7fb\r\n" + maxCL + "\r\n", nil, ErrMalformedHeader},
		{"NUL in value", "POST /IPHTTPS HTTP/1.1\r\nHost: h\x00\r\n" + maxCL + "\r\n", nil, ErrMalformedHeader},
		{"obs-fold with space", "POST /IPHTTPS HTTP/1.1\r\n" + host + "X: a\r\n b\r\n" + maxCL + "\r\n", nil, ErrObsFold},
		{"obs-fold with tab", "POST /IPHTTPS HTTP/1.1\r\n" + host + "X: a\r\n\tb\r\n" + maxCL + "\r\n", nil, ErrObsFold},
		{"whitespace line after request line", "POST /IPHTTPS HTTP/1.1\r\n Host: h\r\n" + maxCL + "\r\n", nil, ErrObsFold},
		{"bare CR in header", "POST /IPHTTPS HTTP/1.1\r\nHost: h\rX: y\r\n" + maxCL + "\r\n", nil, ErrBareCR},
		{"bare CR in request line", "POST /IPHTTPS\rHTTP/1.1\r\n" + host + maxCL + "\r\n", nil, ErrBareCR},
		{"CR CR LF", "POST /IPHTTPS HTTP/1.1\r\r\n" + host + maxCL + "\r\n", nil, ErrBareCR},
		{"bare LF in strict mode", "POST /IPHTTPS HTTP/1.1\r\nHost: h\n" + maxCL + "\r\n", &RequestOptions{StrictCRLF: true}, ErrBareLF},
		{"bare LF blank line in strict mode", "POST /IPHTTPS HTTP/1.1\r\n" + host + maxCL + "\n", &RequestOptions{StrictCRLF: true}, ErrBareLF},

		// Body framing.
		{"chunked", "POST /IPHTTPS HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n", nil, ErrTransferEncoding},
		{"chunked and Content-Length", "POST /IPHTTPS HTTP/1.1\r\n" + host + maxCL + "Transfer-Encoding: chunked\r\n\r\n", nil, ErrTransferEncoding},
		{"identity Transfer-Encoding", "POST /IPHTTPS HTTP/1.1\r\n" + host + maxCL + "transfer-encoding: identity\r\n\r\n", nil, ErrTransferEncoding},
		{"empty Transfer-Encoding", "POST /IPHTTPS HTTP/1.1\r\n" + host + maxCL + "Transfer-Encoding:\r\n\r\n", nil, ErrTransferEncoding},
		{"no Content-Length", "POST /IPHTTPS HTTP/1.1\r\n" + host + "\r\n", nil, ErrNoContentLength},
		{"Content-Length 0", "POST /IPHTTPS HTTP/1.1\r\n" + host + "Content-Length: 0\r\n\r\n", nil, ErrZeroContentLength},
		{"Content-Length 000", "POST /IPHTTPS HTTP/1.1\r\n" + host + "Content-Length: 000\r\n\r\n", nil, ErrZeroContentLength},
		{"Content-Length 0 when missing allowed", "POST /IPHTTPS HTTP/1.1\r\n" + host + "Content-Length: 0\r\n\r\n", &RequestOptions{AllowNoContentLength: true}, ErrZeroContentLength},
		{"Content-Length 2^64 overflows", "POST /IPHTTPS HTTP/1.1\r\n" + host + "Content-Length: 18446744073709551616\r\n\r\n", nil, ErrContentLengthOverflow},
		{"Content-Length 20 nines", "POST /IPHTTPS HTTP/1.1\r\n" + host + "Content-Length: 99999999999999999999\r\n\r\n", nil, ErrContentLengthOverflow},
		{"Content-Length 2^64 with leading zeros", "POST /IPHTTPS HTTP/1.1\r\n" + host + "Content-Length: 00018446744073709551616\r\n\r\n", nil, ErrContentLengthOverflow},
		{"Content-Length -1", "POST /IPHTTPS HTTP/1.1\r\n" + host + "Content-Length: -1\r\n\r\n", nil, ErrBadContentLength},
		{"Content-Length +1", "POST /IPHTTPS HTTP/1.1\r\n" + host + "Content-Length: +1\r\n\r\n", nil, ErrBadContentLength},
		{"Content-Length inner space", "POST /IPHTTPS HTTP/1.1\r\n" + host + "Content-Length: 1 2\r\n\r\n", nil, ErrBadContentLength},
		{"Content-Length empty", "POST /IPHTTPS HTTP/1.1\r\n" + host + "Content-Length: \r\n\r\n", nil, ErrBadContentLength},
		{"Content-Length hex", "POST /IPHTTPS HTTP/1.1\r\n" + host + "Content-Length: 0x10\r\n\r\n", nil, ErrBadContentLength},
		{"Content-Length overflow with junk is malformed", "POST /IPHTTPS HTTP/1.1\r\n" + host + "Content-Length: 99999999999999999999x\r\n\r\n", nil, ErrBadContentLength},
		{"Content-Length empty list element", "POST /IPHTTPS HTTP/1.1\r\n" + host + "Content-Length: 5,,5\r\n\r\n", nil, ErrBadContentLength},
		{"two equal Content-Length fields", "POST /IPHTTPS HTTP/1.1\r\n" + host + maxCL + maxCL + "\r\n", nil, ErrDuplicateContentLength},
		{"equal list", "POST /IPHTTPS HTTP/1.1\r\n" + host + "Content-Length: 5, 5\r\n\r\n", nil, ErrDuplicateContentLength},
		{"two different Content-Length fields", "POST /IPHTTPS HTTP/1.1\r\n" + host + maxCL + "Content-Length: 5\r\n\r\n", nil, ErrConflictingContentLength},
		{"different list", "POST /IPHTTPS HTTP/1.1\r\n" + host + "Content-Length: 5, 6\r\n\r\n", nil, ErrConflictingContentLength},

		// Host.
		{"HTTP/1.1 without Host", "POST /IPHTTPS HTTP/1.1\r\n" + maxCL + "\r\n", nil, ErrNoHost},
		{"two Host fields", "POST /IPHTTPS HTTP/1.1\r\n" + host + "host: i\r\n" + maxCL + "\r\n", nil, ErrDuplicateHost},

		// Size.
		{"request line longer than limit", "POST /" + strings.Repeat("a", 100) + " HTTP/1.1\r\n", &RequestOptions{MaxHeadLen: 64}, ErrHeadTooLarge},
		{"no end within limit", "POST /IPHTTPS HTTP/1.1\r\n" + strings.Repeat("X: y\r\n", 20), &RequestOptions{MaxHeadLen: 64}, ErrHeadTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.in)
			h, n, err := ParseRequestHead(b, tt.opts)
			require.ErrorIs(t, err, tt.err)
			assert.Zero(t, n)
			assert.Equal(t, RequestHead{}, h)
			assert.False(t, h.IsValid())

			_, rerr := refParseRequest(b, tt.opts)
			assert.ErrorIs(t, rerr, tt.err, "reference parser")
		})
	}
}

// TestParseRequestHeadEarlyReject checks that a bad request line is refused
// as soon as it is complete, without waiting for the rest of the head (a
// scanner or attacker then costs no head deadline).
func TestParseRequestHeadEarlyReject(t *testing.T) {
	for _, tt := range []struct {
		in  string
		err error
	}{
		{"GET / HTTP/1.1\r\n", ErrMethod},
		{"POST /IPHTTPS HTTP/1.1\r\nTransfer-Encoding: chunked\r\n", ErrTransferEncoding},
		{"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n", ErrBadRequestLine}, // a TLS ClientHello sent to the plain-HTTP port
	} {
		_, n, err := ParseRequestHead([]byte(tt.in), nil)
		assert.ErrorIs(t, err, tt.err, "%q", tt.in)
		assert.Zero(t, n)
	}
}

// TestParseRequestHeadSizeLimit checks the bound exactly at and one byte
// above the limit, with the default and a configured limit, and with packet
// bytes following the head beyond the limit.
func TestParseRequestHeadSizeLimit(t *testing.T) {
	for _, limit := range []int{0, 100, 200, DefaultMaxHeadLen, 20000} {
		max := limit
		if max == 0 {
			max = DefaultMaxHeadLen
		}
		opts := &RequestOptions{MaxHeadLen: limit}
		build := func(size int) []byte {
			// Pad with an X-Pad field so that the head is size bytes.
			base := "POST /IPHTTPS HTTP/1.1\r\nHost: h\r\n" + maxCL + "X-Pad: \r\n\r\n"
			return []byte(strings.Replace(base, "X-Pad: ", "X-Pad: "+strings.Repeat("p", size-len(base)), 1))
		}
		at := build(max)
		require.Len(t, at, max)
		h, n, err := ParseRequestHead(at, opts)
		require.NoError(t, err, "limit %d: head of exactly the limit", max)
		assert.Equal(t, max, n)
		pad, ok := h.Header("x-pad")
		assert.True(t, ok)
		assert.Len(t, pad, max-len("POST /IPHTTPS HTTP/1.1\r\nHost: h\r\n"+maxCL+"X-Pad: \r\n\r\n"))

		// Packet bytes after the head do not count.
		_, n, err = ParseRequestHead(append(at, make([]byte, 100)...), opts)
		require.NoError(t, err)
		assert.Equal(t, max, n)

		above := build(max + 1)
		_, n, err = ParseRequestHead(above, opts)
		assert.ErrorIs(t, err, ErrHeadTooLarge, "limit %d: one byte above", max)
		assert.Zero(t, n)
		// ...also when fewer bytes than the head have arrived, but more than
		// the limit.
		_, _, err = ParseRequestHead(above[:max], opts)
		assert.ErrorIs(t, err, ErrHeadTooLarge)
		_, _, err = ParseRequestHead(above[:max-1], opts)
		assert.ErrorIs(t, err, ErrIncomplete)
	}
}

func TestRequestHeadHeaders(t *testing.T) {
	in := "POST /IPHTTPS HTTP/1.1\r\nhost: h\r\nX-A:  1 \r\ncontent-length: 18446744073709551615\nX-A: 2\r\nX-Empty:\r\n\r\n"
	h, _, err := ParseRequestHead([]byte(in), nil)
	require.NoError(t, err)
	var got [][2]string
	it := h.Headers()
	for name, value, ok := it.Next(); ok; name, value, ok = it.Next() {
		got = append(got, [2]string{string(name), string(value)})
	}
	assert.Equal(t, [][2]string{{"host", "h"}, {"X-A", "1"}, {"content-length", "18446744073709551615"}, {"X-A", "2"}, {"X-Empty", ""}}, got)
	_, _, ok := it.Next()
	assert.False(t, ok, "exhausted iterator stays exhausted")

	v, ok := h.Header("x-a")
	assert.True(t, ok)
	assert.Equal(t, "1", string(v), "first of repeated fields")
	v, ok = h.Header("X-EMPTY")
	assert.True(t, ok)
	assert.Empty(t, v)
	_, ok = h.Header("Content-Type")
	assert.False(t, ok)

	var zero RequestHead
	it = zero.Headers()
	_, _, ok = it.Next()
	assert.False(t, ok)
	assert.Empty(t, zero.Method())
	_, ok = zero.ContentLength()
	assert.False(t, ok)
}

// TestRequestHeadViewsCapped checks that appending to a view cannot
// overwrite the parsed buffer.
func TestRequestHeadViewsCapped(t *testing.T) {
	b := []byte(vecSpecRequest + "tail")
	h, _, err := ParseRequestHead(b, nil)
	require.NoError(t, err)
	host, _ := h.Host()
	for _, v := range [][]byte{h.Method(), h.Target(), h.Path(), h.Proto(), host, h.Bytes()} {
		_ = append(v, 'Z')
	}
	assert.Equal(t, vecSpecRequest+"tail", string(b))
}

func TestAppendRequestHead(t *testing.T) {
	scanner := string(hx(t, vecScannerRequestHex))
	tests := []struct {
		name string
		f    RequestFields
		want string
	}{
		{"defaults: the scanner request", RequestFields{Host: "da.example.com"}, scanner},
		{"spec path and IP literal", RequestFields{Target: "/IPTLS", Host: "192.0.2.1"},
			"POST /IPTLS HTTP/1.1\r\nHost: 192.0.2.1\r\nContent-Length: 18446744073709551615\r\n\r\n"},
		{"HTTP/1.0 without Host", RequestFields{HTTP10: true},
			"POST /IPHTTPS HTTP/1.0\r\nContent-Length: 18446744073709551615\r\n\r\n"},
		{"finite length, extra fields, absolute-form", RequestFields{Method: "PUT", Target: "https://h/x?y", Host: "[2001:db8::1]:8443",
			ContentLength: 1280, Extra: []Field{{"Content-Type", "application/octet-stream"}, {"User-Agent", "transit6"}}},
			"PUT https://h/x?y HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\nContent-Length: 1280\r\n" +
				"Content-Type: application/octet-stream\r\nUser-Agent: transit6\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("keep")
			got, err := AppendRequestHead(prefix, &tt.f)
			require.NoError(t, err)
			assert.Equal(t, "keep"+tt.want, string(got))
			assert.Equal(t, len(tt.want), SizeRequestHead(&tt.f))

			opts := &RequestOptions{Methods: []string{"POST", "PUT"}}
			h, n, err := ParseRequestHead(got[4:], opts)
			require.NoError(t, err)
			assert.Equal(t, len(tt.want), n)
			assert.Equal(t, tt.f.method(), string(h.Method()))
			assert.Equal(t, tt.f.target(), string(h.Target()))
			host, _ := h.Host()
			assert.Equal(t, tt.f.Host, string(host))
			cl, _ := h.ContentLength()
			assert.Equal(t, tt.f.contentLength(), cl)
		})
	}
}

func TestAppendRequestHeadInvalid(t *testing.T) {
	tests := []struct {
		name string
		f    RequestFields
	}{
		{"no Host in HTTP/1.1", RequestFields{}},
		{"CRLF injection in Host", RequestFields{Host: "h\r\nTransfer-Encoding: chunked"}},
		{"LF in Host", RequestFields{Host: "h\nX: y"}},
		{"Host with leading space", RequestFields{Host: " h"}},
		{"method with space", RequestFields{Method: "PO ST", Host: "h"}},
		{"target without slash", RequestFields{Target: "IPHTTPS", Host: "h"}},
		{"target with space", RequestFields{Target: "/IP HTTPS", Host: "h"}},
		{"target with CR", RequestFields{Target: "/IP\rHTTPS", Host: "h"}},
		{"target scheme without host", RequestFields{Target: "https:///x", Host: "h"}},
		{"extra Content-Length", RequestFields{Host: "h", Extra: []Field{{"content-length", "5"}}}},
		{"extra Transfer-Encoding", RequestFields{Host: "h", Extra: []Field{{"Transfer-Encoding", "chunked"}}}},
		{"extra Host", RequestFields{Host: "h", Extra: []Field{{"HOST", "i"}}}},
		{"extra name with colon", RequestFields{Host: "h", Extra: []Field{{"X:Y", "z"}}}},
		{"extra empty name", RequestFields{Host: "h", Extra: []Field{{"", "z"}}}},
		{"extra value with trailing tab", RequestFields{Host: "h", Extra: []Field{{"X", "z\t"}}}},
		{"extra value with LF", RequestFields{Host: "h", Extra: []Field{{"X", "a\nb"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte("keep")
			got, err := AppendRequestHead(dst, &tt.f)
			assert.ErrorIs(t, err, ErrInvalidField)
			assert.Equal(t, "keep", string(got))
		})
	}
}
