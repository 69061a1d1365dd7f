package iphttps

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The example response of [MS-IPHTTPS] §4.1 (iphttps.md §1.3 item 4).
const vecSpecResponse = "HTTP/1.1 200 OK\r\nServer: Microsoft-HTTPAPI/2.0\r\nDate: Sun, 10 Aug 2008 03:51:52 GMT\r\n\r\n"

// vecSpecDate is the date of vecSpecResponse.
var vecSpecDate = time.Date(2008, time.August, 10, 3, 51, 52, 0, time.UTC)

type respSummary struct {
	Proto     string
	Status    int
	Reason    string
	Server    string
	HasServer bool
	Date      string
	HasDate   bool
	CL        uint64
	HasCL     bool
}

func summarizeResponse(h ResponseHead) respSummary {
	server, hasServer := h.Server()
	date, hasDate := h.Date()
	cl, hasCL := h.ContentLength()
	return respSummary{string(h.Proto()), h.StatusCode(), string(h.Reason()), string(server), hasServer,
		string(date), hasDate, cl, hasCL}
}

const specDate = "Sun, 10 Aug 2008 03:51:52 GMT"

func specOK(proto string) respSummary {
	return respSummary{proto, 200, "OK", DefaultServer, true, specDate, true, 0, false}
}

func TestParseResponseHeadAccepted(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts *ResponseOptions
		want respSummary
	}{
		{"spec §4.1 example", vecSpecResponse, nil, specOK("HTTP/1.1")},
		{"HAProxy http mode: lower-case names, connection close",
			"HTTP/1.1 200 OK\r\nserver: Microsoft-HTTPAPI/2.0\r\ndate: " + specDate + "\r\nconnection: close\r\n\r\n", nil,
			specOK("HTTP/1.1")},
		{"HTTP/1.0 from a downgrading proxy", "HTTP/1.0 200 OK\r\nServer: Microsoft-HTTPAPI/2.0\r\nDate: " + specDate + "\r\n\r\n", nil,
			specOK("HTTP/1.0")},
		{"other reason phrase", "HTTP/1.1 200 Connection established\r\n\r\n", nil,
			respSummary{"HTTP/1.1", 200, "Connection established", "", false, "", false, 0, false}},
		{"no reason, no space", "HTTP/1.1 200\r\n\r\n", nil, respSummary{Proto: "HTTP/1.1", Status: 200}},
		{"empty reason after space", "HTTP/1.1 200 \r\n\r\n", nil, respSummary{Proto: "HTTP/1.1", Status: 200}},
		{"bare LF", "HTTP/1.1 200 OK\nServer: Microsoft-HTTPAPI/2.0\nDate: " + specDate + "\n\n", nil, specOK("HTTP/1.1")},
		{"Content-Length added by a proxy", "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n", nil,
			respSummary{"HTTP/1.1", 200, "OK", "", false, "", false, MaxContentLength, true}},
		{"finite Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 1280\r\n\r\n", nil,
			respSummary{"HTTP/1.1", 200, "OK", "", false, "", false, 1280, true}},
		{"repeated Server: first wins", "HTTP/1.1 200 OK\r\nServer: a\r\nServer: b\r\n\r\n", nil,
			respSummary{"HTTP/1.1", 200, "OK", "a", true, "", false, 0, false}},
		{"Content-Type octet-stream (§2.1)", "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n", nil,
			respSummary{Proto: "HTTP/1.1", Status: 200, Reason: "OK"}},
		{"strict CRLF honoured", vecSpecResponse, &ResponseOptions{StrictCRLF: true}, specOK("HTTP/1.1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.in + "\x60\x00")
			h, n, err := ParseResponseHead(b, tt.opts)
			require.NoError(t, err)
			assert.Equal(t, tt.want, summarizeResponse(h))
			assert.Equal(t, len(tt.in), n)
			assert.Equal(t, tt.in, string(h.Bytes()))
			assert.Equal(t, n, h.Len())

			ref, rerr := refParseResponse(b, tt.opts)
			require.NoError(t, rerr)
			assert.Equal(t, ref, toRefResponse(h, n), "reference parser")

			for k := range n {
				_, m, err := ParseResponseHead(b[:k], tt.opts)
				require.ErrorIs(t, err, ErrIncomplete, "prefix %d", k)
				require.Zero(t, m)
			}
		})
	}
}

// TestParseResponseHeadStatus checks that a refusal comes back as ErrStatus
// with the parsed head, whatever body framing it announces.
func TestParseResponseHeadStatus(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		status int
		reason string
	}{
		{"proxy 407", "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 0\r\n\r\n",
			407, "Proxy Authentication Required"},
		{"403 with chunked body", "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n", 403, "Forbidden"},
		{"404", "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n", 404, "Not Found"},
		{"400 from nginx", "HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nConnection: close\r\n\r\n", 400, "Bad Request"},
		{"100 Continue", "HTTP/1.1 100 Continue\r\n\r\n", 100, "Continue"},
		{"201", "HTTP/1.1 201 Created\r\n\r\n", 201, "Created"},
		{"502 HTTP/1.0", "HTTP/1.0 502 Bad Gateway\r\n\r\n", 502, "Bad Gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.in + "body")
			h, n, err := ParseResponseHead(b, nil)
			require.ErrorIs(t, err, ErrStatus)
			assert.True(t, h.IsValid())
			assert.Equal(t, len(tt.in), n)
			assert.Equal(t, tt.status, h.StatusCode())
			assert.Equal(t, tt.reason, string(h.Reason()))

			ref, rerr := refParseResponse(b, nil)
			require.ErrorIs(t, rerr, ErrStatus)
			assert.Equal(t, ref, toRefResponse(h, n))
		})
	}
}

func TestParseResponseHeadRejected(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts *ResponseOptions
		err  error
	}{
		{"chunked 200", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", nil, ErrTransferEncoding},
		{"chunked 200 lower case", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n", nil, ErrTransferEncoding},
		{"Content-Length 0 on 200", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", nil, ErrZeroContentLength},
		{"Content-Length overflow", "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n", nil, ErrContentLengthOverflow},
		{"Content-Length negative", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", nil, ErrBadContentLength},
		{"Content-Length duplicate", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", nil, ErrDuplicateContentLength},
		{"Content-Length conflict", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", nil, ErrConflictingContentLength},
		{"bad Content-Length on 407 too", "HTTP/1.1 407 X\r\nContent-Length: x\r\n\r\n", nil, ErrBadContentLength},
		{"two-digit status", "HTTP/1.1 20 OK\r\n\r\n", nil, ErrBadStatusLine},
		{"four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", nil, ErrBadStatusLine},
		{"double space", "HTTP/1.1  200 OK\r\n\r\n", nil, ErrBadStatusLine},
		{"tab before reason", "HTTP/1.1 200\tOK\r\n\r\n", nil, ErrBadStatusLine},
		{"control character in reason", "HTTP/1.1 200 O\x00K\r\n\r\n", nil, ErrBadStatusLine},
		{"HTTP/2 short form", "HTTP/2 200\r\n\r\n", nil, ErrBadStatusLine},
		{"lower-case version", "http/1.1 200 OK\r\n\r\n", nil, ErrBadStatusLine},
		{"not HTTP", "ICY 200 OK\r\n\r\n", nil, ErrBadStatusLine},
		{"request instead of response", "POST /IPHTTPS HTTP/1.1\r\n\r\n", nil, ErrBadStatusLine},
		{"HTTP/2.0", "HTTP/2.0 200 OK\r\n\r\n", nil, ErrHTTPVersion},
		{"HTTP/0.9", "HTTP/0.9 200 OK\r\n\r\n", nil, ErrHTTPVersion},
		{"header without colon", "HTTP/1.1 200 OK\r\nServer Microsoft-HTTPAPI/2.0\r\n\r\n", nil, ErrMalformedHeader},
		{"obs-fold", "HTTP/1.1 200 OK\r\nServer: a\r\n b\r\n\r\n", nil, ErrObsFold},
		{"bare CR", "HTTP/1.1 200 OK\rServer: a\r\n\r\n", nil, ErrBareCR},
		{"bare LF in strict mode", "HTTP/1.1 200 OK\nServer: a\r\n\r\n", &ResponseOptions{StrictCRLF: true}, ErrBareLF},
		{"too large", "HTTP/1.1 200 OK\r\n" + strings.Repeat("X: y\r\n", 20) + "\r\n", &ResponseOptions{MaxHeadLen: 64}, ErrHeadTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.in)
			h, n, err := ParseResponseHead(b, tt.opts)
			require.ErrorIs(t, err, tt.err)
			assert.Zero(t, n)
			assert.Equal(t, ResponseHead{}, h)

			_, rerr := refParseResponse(b, tt.opts)
			assert.ErrorIs(t, rerr, tt.err, "reference parser")
		})
	}
}

func TestAppendResponseHead(t *testing.T) {
	got, err := AppendResponseHead([]byte("keep"), "", vecSpecDate)
	require.NoError(t, err)
	assert.Equal(t, "keep"+vecSpecResponse, string(got), "the spec §4.1 example, byte for byte")
	assert.Equal(t, len(vecSpecResponse), SizeResponseHead(""))

	// The date is converted to UTC.
	paris := time.FixedZone("CEST", 2*3600)
	got, err = AppendResponseHead(nil, "transit6", vecSpecDate.In(paris))
	require.NoError(t, err)
	assert.Equal(t, "HTTP/1.1 200 OK\r\nServer: transit6\r\nDate: "+specDate+"\r\n\r\n", string(got))
	assert.Equal(t, len(got), SizeResponseHead("transit6"))

	h, n, err := ParseResponseHead(got, nil)
	require.NoError(t, err)
	assert.Equal(t, len(got), n)
	server, _ := h.Server()
	assert.Equal(t, "transit6", string(server))
	_, ok := h.ContentLength()
	assert.False(t, ok, "no Content-Length")
	_, ok = h.Header("Transfer-Encoding")
	assert.False(t, ok, "no Transfer-Encoding")
}

// TestAppendResponseHeadDate checks the hand-written IMF-fixdate against
// net/http's TimeFormat, the oracle, over random instants, and that
// http.ParseTime reads it back.
func TestAppendResponseHeadDate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dates := []time.Time{
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2000, 2, 29, 12, 0, 0, 0, time.UTC),
		time.Unix(0, 0),
	}
	for range 1000 {
		dates = append(dates, time.Unix(rng.Int64N(253402300800), rng.Int64N(1e9)))
	}
	for _, d := range dates {
		got, err := AppendResponseHead(nil, "s", d)
		require.NoError(t, err)
		want := "HTTP/1.1 200 OK\r\nServer: s\r\nDate: " + d.UTC().Format(http.TimeFormat) + "\r\n\r\n"
		require.Equal(t, want, string(got), "%v", d)
		h, _, err := ParseResponseHead(got, nil)
		require.NoError(t, err)
		date, _ := h.Date()
		require.Len(t, date, DateLen)
		back, err := http.ParseTime(string(date))
		require.NoError(t, err)
		require.True(t, back.Equal(d.Truncate(time.Second)), "%v", d)
	}
}

func TestAppendResponseHeadInvalid(t *testing.T) {
	for _, tt := range []struct {
		name   string
		server string
		date   time.Time
	}{
		{"CRLF injection in Server", "x\r\nContent-Length: 0", vecSpecDate},
		{"Server with leading space", " x", vecSpecDate},
		{"year 10000", "", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"year -1", "", time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		got, err := AppendResponseHead([]byte("keep"), tt.server, tt.date)
		assert.ErrorIs(t, err, ErrInvalidField, tt.name)
		assert.Equal(t, "keep", string(got), tt.name)
	}
}
