package broker

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RFC 7617 §2's example credentials and the header it derives for them.
const (
	rfcUser   = "Aladdin"
	rfcKey    = "open sesame"
	rfcHeader = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
)

// seenRequest is what the fake broker recorded of one request.
type seenRequest struct {
	Method, Path, RawQuery, Authorization, UserAgent string
}

// fakeBroker is a loopback HTTP server answering like HE's nic/update
// (proto41.md §5.5): status and body are set per test.
type fakeBroker struct {
	*httptest.Server
	mu     sync.Mutex
	seen   []seenRequest
	status int
	body   string
}

func newFakeBroker(t testing.TB, status int, body string) *fakeBroker {
	t.Helper()
	fb := &fakeBroker{status: status, body: body}
	fb.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fb.mu.Lock()
		fb.seen = append(fb.seen, seenRequest{
			Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
			Authorization: r.Header.Get("Authorization"), UserAgent: r.Header.Get("User-Agent"),
		})
		status, body := fb.status, fb.body
		fb.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(fb.Close)
	return fb
}

func (fb *fakeBroker) requests() []seenRequest {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	return append([]seenRequest(nil), fb.seen...)
}

func (fb *fakeBroker) client() *Client {
	return &Client{URL: fb.URL + "/nic/update", User: rfcUser, Key: rfcKey, HTTP: fb.Server.Client()}
}

var docGlobal = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
}

func TestUpdateRequest(t *testing.T) {
	tests := []struct {
		name          string
		local         string // "" for the zero Addr
		treatAsGlobal []netip.Prefix
		wantQuery     string
	}{
		// myip present for a global address (documentation space declared
		// global, as the namespace tests do with --global).
		{"global doc address", "203.0.113.5", docGlobal, "hostname=123456&myip=203.0.113.5"},
		{"global mapped", "::ffff:198.51.100.7", docGlobal, "hostname=123456&myip=198.51.100.7"},
		// Documentation space is not global by default.
		{"doc address strict", "203.0.113.5", nil, "hostname=123456"},
		// Never myip for RFC 1918 or RFC 6598 (§5.5), even if declared global.
		{"rfc1918 10/8", "10.0.0.1", docGlobal, "hostname=123456"},
		{"rfc1918 172.16/12", "172.16.0.1", docGlobal, "hostname=123456"},
		{"rfc1918 192.168/16", "192.168.1.1", docGlobal, "hostname=123456"},
		{"rfc6598 first", "100.64.0.1", docGlobal, "hostname=123456"},
		{"rfc6598 last", "100.127.255.254", docGlobal, "hostname=123456"},
		{"rfc1918 declared global", "10.0.0.1", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, "hostname=123456"},
		{"rfc6598 declared global", "100.64.0.1", []netip.Prefix{netip.MustParsePrefix("100.64.0.0/10")}, "hostname=123456"},
		{"rfc1918 mapped", "::ffff:192.168.1.1", docGlobal, "hostname=123456"},
		// Other non-global addresses: the broker uses the request's source.
		{"loopback", "127.0.0.1", docGlobal, "hostname=123456"},
		{"link-local", "169.254.1.1", docGlobal, "hostname=123456"},
		{"this network", "0.0.0.0", docGlobal, "hostname=123456"},
		{"broadcast", "255.255.255.255", docGlobal, "hostname=123456"},
		{"multicast", "224.0.0.1", docGlobal, "hostname=123456"},
		{"6to4 relay anycast", "192.88.99.1", docGlobal, "hostname=123456"},
		{"zero addr", "", docGlobal, "hostname=123456"},
		{"ipv6", "2001:db8::1", docGlobal, "hostname=123456"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := newFakeBroker(t, http.StatusOK, "good 203.0.113.5\n")
			c := fb.client()
			c.TreatAsGlobal = tt.treatAsGlobal
			var local netip.Addr
			if tt.local != "" {
				local = netip.MustParseAddr(tt.local)
			}
			res, err := c.Update(t.Context(), "123456", local)
			require.NoError(t, err)
			assert.Equal(t, Result{StatusGood, netip.MustParseAddr("203.0.113.5")}, res)
			assert.Equal(t, []seenRequest{{
				Method: "GET", Path: "/nic/update", RawQuery: tt.wantQuery,
				Authorization: rfcHeader, UserAgent: DefaultUserAgent,
			}}, fb.requests())
		})
	}
}

func TestMyIPDefaultClassifier(t *testing.T) {
	var c Client
	// A public address (not a documentation one) is global by default; no
	// request is made here.
	a, ok := c.MyIP(netip.MustParseAddr("8.8.8.8"))
	assert.True(t, ok)
	assert.Equal(t, netip.MustParseAddr("8.8.8.8"), a)
	for _, s := range []string{"192.0.2.1", "198.51.100.1", "203.0.113.5", "10.1.2.3", "100.64.0.1"} {
		_, ok := c.MyIP(netip.MustParseAddr(s))
		assert.False(t, ok, s)
	}
}

func TestUpdateURLForms(t *testing.T) {
	tests := []struct {
		name, path, tunnelID, wantQuery string
	}{
		{"extra parameter kept", "/nic/update?foo=bar", "123456", "foo=bar&hostname=123456"},
		{"hostname from URL", "/nic/update?hostname=654321", "", "hostname=654321"},
		{"argument overrides URL", "/nic/update?hostname=654321", "123456", "hostname=123456"},
		{"myip in URL dropped", "/nic/update?hostname=1&myip=10.0.0.1", "", "hostname=1"},
		{"fragment dropped", "/nic/update#x", "7", "hostname=7"},
		{"tunnel ID escaped", "/nic/update", "12 34&x=y", "hostname=12+34%26x%3Dy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := newFakeBroker(t, http.StatusOK, "nochg 192.0.2.1")
			c := fb.client()
			c.URL = fb.URL + tt.path
			c.UserAgent = "test-agent/2"
			res, err := c.Update(t.Context(), tt.tunnelID, netip.Addr{})
			require.NoError(t, err)
			assert.Equal(t, Result{StatusNoChange, netip.MustParseAddr("192.0.2.1")}, res)
			reqs := fb.requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, tt.wantQuery, reqs[0].RawQuery)
			assert.Equal(t, "test-agent/2", reqs[0].UserAgent)
		})
	}
}

func TestUpdateConfigErrors(t *testing.T) {
	fb := newFakeBroker(t, http.StatusOK, "good 192.0.2.1")
	host := strings.TrimPrefix(fb.URL, "http://")
	tests := []struct {
		name, url, user, key, tunnelID string
		err                            error
	}{
		{"no user", fb.URL, "", "k", "1", ErrNoCredentials},
		{"no key", fb.URL, "u", "", "1", ErrNoCredentials},
		{"no tunnel ID", fb.URL, "u", "k", "", ErrNoTunnelID},
		{"userinfo", "http://u:secret@" + host + "/nic/update", "u", "k", "1", ErrBadURL},
		{"password param", fb.URL + "/nic/update?username=u&password=secret&hostname=1", "u", "k", "", ErrBadURL},
		{"username param", fb.URL + "/nic/update?username=u", "u", "k", "1", ErrBadURL},
		{"ftp", "ftp://" + host + "/", "u", "k", "1", ErrBadURL},
		{"relative", "/nic/update", "u", "k", "1", ErrBadURL},
		{"http to non-loopback", "http://192.0.2.1/nic/update", "u", "k", "1", ErrBadURL},
		{"http to name", "http://ipv4.tunnelbroker.net/nic/update", "u", "k", "1", ErrBadURL},
		{"unparsable", "http://[::1/nic", "u", "k", "1", ErrBadURL},
		{"bad query", fb.URL + "/?a=%zz", "u", "k", "1", ErrBadURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Client{URL: tt.url, User: tt.user, Key: tt.key, HTTP: fb.Server.Client()}
			_, err := c.Update(t.Context(), tt.tunnelID, netip.Addr{})
			require.ErrorIs(t, err, tt.err)
			assert.NotContains(t, err.Error(), "secret")
			assert.False(t, Retryable(err))
		})
	}
	assert.Empty(t, fb.requests(), "nothing may be sent for a bad configuration")
}

func TestLoopbackHosts(t *testing.T) {
	for _, h := range []string{"localhost", "127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"} {
		assert.True(t, isLoopbackHost(h), h)
	}
	for _, h := range []string{"localhost.example", "192.0.2.1", "::2", "", "fe80::1%lo"} {
		assert.False(t, isLoopbackHost(h), h)
	}
}

// TestUpdateAnswers runs every answer of the parser table through a real
// HTTP exchange.
func TestUpdateAnswers(t *testing.T) {
	for _, tt := range responseTests {
		t.Run(tt.name, func(t *testing.T) {
			fb := newFakeBroker(t, http.StatusOK, tt.body)
			res, err := fb.client().Update(t.Context(), "123456", netip.Addr{})
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, res)
		})
	}
}

func TestUpdateHTTPStatus(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		err       error
		retryable bool
	}{
		{"401", http.StatusUnauthorized, "badauth", ErrBadAuth, false},
		{"401 empty", http.StatusUnauthorized, "", ErrBadAuth, false},
		{"500", http.StatusInternalServerError, "good 192.0.2.1", ErrServer, true},
		{"502", http.StatusBadGateway, "<html>", ErrServer, true},
		{"503", http.StatusServiceUnavailable, "", ErrServer, true},
		{"404", http.StatusNotFound, "not found", ErrHTTPStatus, false},
		{"403", http.StatusForbidden, "", ErrHTTPStatus, false},
		{"429", http.StatusTooManyRequests, "", ErrHTTPStatus, false},
		{"204", http.StatusNoContent, "", ErrEmptyResponse, false},
		{"202 good", http.StatusAccepted, "good 192.0.2.1", nil, false},
		{"200 911", http.StatusOK, "911", ErrMaintenance, true},
		{"200 dnserr", http.StatusOK, "dnserr", ErrDNSError, true},
		{"200 abuse", http.StatusOK, "abuse", ErrAbuse, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := newFakeBroker(t, tt.status, tt.body)
			_, err := fb.client().Update(t.Context(), "1", netip.Addr{})
			if tt.err == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.err)
			assert.Equal(t, tt.retryable, Retryable(err))
		})
	}
}

// TestUpdateNoRedirect checks that credentials never follow a redirect, even
// with a caller's client that would follow it.
func TestUpdateNoRedirect(t *testing.T) {
	target := newFakeBroker(t, http.StatusOK, "good 192.0.2.1")
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/nic/update?"+r.URL.RawQuery, http.StatusFound)
	}))
	defer redirector.Close()
	c := &Client{URL: redirector.URL + "/nic/update", User: rfcUser, Key: rfcKey, HTTP: &http.Client{}}
	_, err := c.Update(t.Context(), "1", netip.Addr{})
	require.ErrorIs(t, err, ErrHTTPStatus)
	assert.Contains(t, err.Error(), "302")
	assert.Empty(t, target.requests())
	assert.Nil(t, c.HTTP.CheckRedirect, "the caller's client is not modified")
}

func TestUpdateDeadline(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)

	c := &Client{URL: slow.URL, User: rfcUser, Key: rfcKey, HTTP: slow.Client()}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Update(ctx, "1", netip.Addr{})
	require.ErrorIs(t, err, ErrRequest)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, Retryable(err))

	// A cancelled context is the caller asking to stop: not retryable.
	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	_, err = c.Update(ctx, "1", netip.Addr{})
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, Retryable(err))
}

func TestUpdateSlowBody(t *testing.T) {
	// Headers arrive, the body never ends: the deadline still applies.
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "good ")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	c := &Client{URL: slow.URL, User: rfcUser, Key: rfcKey, HTTP: slow.Client()}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Update(ctx, "1", netip.Addr{})
	require.ErrorIs(t, err, ErrRequest)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestUpdateBodySize(t *testing.T) {
	line := "nochg 192.0.2.1\n"
	fits := line + strings.Repeat(" ", MaxResponseLen-len(line))
	fb := newFakeBroker(t, http.StatusOK, fits)
	res, err := fb.client().Update(t.Context(), "1", netip.Addr{})
	require.NoError(t, err)
	assert.Equal(t, Result{StatusNoChange, netip.MustParseAddr("192.0.2.1")}, res)

	fb = newFakeBroker(t, http.StatusOK, fits+" ")
	_, err = fb.client().Update(t.Context(), "1", netip.Addr{})
	require.ErrorIs(t, err, ErrResponseTooLarge)

	fb = newFakeBroker(t, http.StatusOK, line+strings.Repeat("x", 1<<20))
	_, err = fb.client().Update(t.Context(), "1", netip.Addr{})
	require.ErrorIs(t, err, ErrResponseTooLarge)
	assert.False(t, Retryable(err))
}

func TestUpdateConnectionRefused(t *testing.T) {
	fb := newFakeBroker(t, http.StatusOK, "good")
	c := fb.client()
	fb.Close()
	_, err := c.Update(t.Context(), "1", netip.Addr{})
	require.ErrorIs(t, err, ErrRequest)
	assert.True(t, Retryable(err))
	assert.NotContains(t, err.Error(), rfcKey)
}

func TestUpdateTLS(t *testing.T) {
	auth := make(chan string, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth <- r.Header.Get("Authorization")
		io.WriteString(w, "good 192.0.2.9")
	}))
	defer srv.Close()
	c := &Client{URL: srv.URL + "/nic/update", User: rfcUser, Key: rfcKey, HTTP: srv.Client()}
	res, err := c.Update(t.Context(), "1", netip.Addr{})
	require.NoError(t, err)
	assert.Equal(t, Result{StatusGood, netip.MustParseAddr("192.0.2.9")}, res)
	assert.Equal(t, rfcHeader, <-auth)
}

func TestRetryable(t *testing.T) {
	assert.False(t, Retryable(nil))
	assert.False(t, Retryable(errors.New("other")))
	for _, e := range allErrors {
		want := e == ErrServer || e == ErrRequest || e == ErrMaintenance || e == ErrDNSError
		assert.Equal(t, want, Retryable(e), "%v", e)
	}
}

func TestDefaults(t *testing.T) {
	u, err := (&Client{}).updateURL("123456", netip.Addr{})
	require.NoError(t, err)
	assert.Equal(t, "https://ipv4.tunnelbroker.net/nic/update?hostname=123456", u)
	hc := (&Client{}).httpClient()
	assert.Equal(t, DefaultTimeout, hc.Timeout)
	assert.NotNil(t, hc.CheckRedirect)
}
