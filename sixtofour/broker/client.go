package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/transit6/transit6/addr"
)

// Defaults of [Client].
const (
	// DefaultURL is Hurricane Electric's dyndns2-compatible endpoint-update
	// URL (tunnelbroker.net).
	DefaultURL = "https://ipv4.tunnelbroker.net/nic/update"

	// DefaultUserAgent identifies the client; the dyndns2 specification
	// asks every client to send a User-Agent naming itself.
	DefaultUserAgent = "transit6-broker/1 (+https://github.com/transit6/transit6)"

	// DefaultTimeout bounds a whole update when [Client.HTTP] is nil and the
	// context has no earlier deadline.
	DefaultTimeout = 30 * time.Second

	// MaxResponseLen is the largest answer body accepted. An answer is one
	// short line ("good 192.0.2.1", or a legacy "-ERROR:" sentence).
	MaxResponseLen = 4096
)

// Client updates the IPv4 endpoint of a tunnel at a broker speaking HE's
// dyndns2-style API (see the package documentation). The zero Client needs
// only User and Key. A Client is safe for concurrent use if its fields are
// not changed.
type Client struct {
	// URL is the update URL, DefaultURL if empty. It must be https, or
	// http to a loopback host (127.0.0.0/8, ::1 or "localhost"): the key
	// travels in an HTTP Basic header, in clear text over http. It must not
	// carry credentials, neither as user:key@host nor as username= or
	// password= query parameters. It may carry hostname=TUNNEL_ID (HE's
	// tunnel page shows such URLs), which Update uses when given no tunnel
	// ID; other query parameters are kept, and myip is always replaced.
	URL string

	// User is the tunnelbroker.net account name and Key the tunnel's Update
	// Key (or the account password), sent with HTTP Basic authentication
	// (RFC 7617). See KeyFromFile.
	User, Key string

	// HTTP is the client used for requests; nil means one with
	// DefaultTimeout. Whatever its redirect policy, Update never follows a
	// redirect: credentials are not sent to another URL, and a 3xx answer is
	// an ErrHTTPStatus error.
	HTTP *http.Client

	// UserAgent is sent as the User-Agent header; DefaultUserAgent if empty.
	UserAgent string

	// TreatAsGlobal lists IPv4 prefixes whose addresses count as global
	// when deciding whether to send myip, as transit6's --global flag does
	// for every role: by default documentation space such as 203.0.113.0/24
	// is not global. RFC 1918 and RFC 6598 addresses are never sent, even
	// when listed here.
	TreatAsGlobal []netip.Prefix
}

// MyIP returns the address Update sends as the myip parameter for the local
// tunnel endpoint local, and reports whether it sends one at all.
//
// myip is sent only for a globally usable IPv4 address (IPv4-mapped
// addresses are unmapped): per [addr.Classifier.IsGlobalIPv4], widened by
// c.TreatAsGlobal. For any other address (RFC 1918 private and RFC 6598
// shared space behind a NAT, loopback, link-local, documentation,
// multicast, IPv6, the zero Addr) the parameter is left out and the broker
// takes the request's source address, which behind a NAT is the public
// address the tunnel's packets come from too. This is what OpenWrt's 6in4
// updater does for RFC 1918 and RFC 6598 addresses; transit6 applies it to
// every non-global address, because telling the broker to send the tunnel
// to an address it cannot reach is never right. RFC 1918 and RFC 6598
// addresses are left out even when c.TreatAsGlobal covers them.
//
// It does not allocate when c.TreatAsGlobal is empty.
func (c *Client) MyIP(local netip.Addr) (netip.Addr, bool) {
	a := local.Unmap()
	if !a.Is4() {
		return netip.Addr{}, false
	}
	if r, ok := addr.LookupIPv4(a); ok && (r.RFC == "RFC 1918" || r.RFC == "RFC 6598") {
		return netip.Addr{}, false
	}
	if addr.IsGlobalIPv4(a) {
		return a, true
	}
	// Only widened classifiers are built (that allocates).
	if len(c.TreatAsGlobal) == 0 || !addr.NewClassifier(c.TreatAsGlobal...).IsGlobalIPv4(a) {
		return netip.Addr{}, false
	}
	return a, true
}

// Update asks the broker to send tunnel tunnelID's IPv4 traffic to local,
// with a GET of URL?hostname=TUNNEL_ID[&myip=IPV4] and HTTP Basic
// authentication. An empty tunnelID means the hostname parameter already in
// c.URL. myip is sent only as [Client.MyIP] decides; pass the zero Addr to
// let the broker use the request's source address.
//
// On success (dyndns2 "good" or "nochg", or the legacy equivalents) it
// returns the [Result]. Otherwise the error is:
//
//   - a sentinel of the answer, as [ParseResponse] returns it, for a 2xx
//     answer; [ErrResponseTooLarge] for a body over [MaxResponseLen];
//   - [ErrBadAuth] for HTTP 401; an error wrapping [ErrServer] for 5xx, or
//     [ErrHTTPStatus] for any other status (redirects included);
//   - an error wrapping [ErrRequest] and the cause when the request failed,
//     including ctx's deadline or cancellation;
//   - [ErrNoTunnelID], [ErrNoCredentials] or an error wrapping [ErrBadURL]
//     for a bad configuration, before anything is sent.
//
// [Retryable] tells which errors may go away by themselves. Errors never
// contain the key.
func (c *Client) Update(ctx context.Context, tunnelID string, local netip.Addr) (Result, error) {
	if c.User == "" || c.Key == "" {
		return Result{}, ErrNoCredentials
	}
	target, err := c.updateURL(tunnelID, local)
	if err != nil {
		return Result{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil { // the URL is checked; only a nil ctx gets here
		return Result{}, fmt.Errorf("%w: %w", ErrRequest, err)
	}
	req.SetBasicAuth(c.User, c.Key)
	ua := c.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	req.Header.Set("User-Agent", ua)

	resp, err := c.httpClient().Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrRequest, err)
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, MaxResponseLen+1))

	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized:
		return Result{}, ErrBadAuth
	case 500 <= code && code <= 599:
		return Result{}, fmt.Errorf("%w: HTTP %d %s", ErrServer, code, http.StatusText(code))
	case code < 200 || code > 299:
		return Result{}, fmt.Errorf("%w: HTTP %d %s", ErrHTTPStatus, code, http.StatusText(code))
	}
	if len(body) > MaxResponseLen {
		return Result{}, ErrResponseTooLarge
	}
	if readErr != nil {
		return Result{}, fmt.Errorf("%w: reading the answer: %w", ErrRequest, readErr)
	}
	return ParseResponse(body)
}

// httpClient returns a copy of c.HTTP (or of a default client) that never
// follows redirects.
func (c *Client) httpClient() *http.Client {
	var hc http.Client
	if c.HTTP != nil {
		hc = *c.HTTP
	} else {
		hc.Timeout = DefaultTimeout
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// updateURL builds the request URL from c.URL, checking it as the URL field
// documents.
func (c *Client) updateURL(tunnelID string, local netip.Addr) (string, error) {
	raw := c.URL
	if raw == "" {
		raw = DefaultURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		// The url.Error quotes the whole URL, which may hold credentials;
		// keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("%w: %w", ErrBadURL, err)
	}
	switch {
	case u.User != nil:
		return "", fmt.Errorf("%w: credentials in the URL; use User and Key", ErrBadURL)
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("%w: no host", ErrBadURL)
	case u.Scheme == "https":
	case u.Scheme == "http":
		if !isLoopbackHost(u.Hostname()) {
			return "", fmt.Errorf("%w: http (clear text) is allowed only to loopback hosts; use https", ErrBadURL)
		}
	default:
		return "", fmt.Errorf("%w: scheme %q is not http or https", ErrBadURL, u.Scheme)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", fmt.Errorf("%w: query: %w", ErrBadURL, err)
	}
	if q.Has("password") || q.Has("username") {
		return "", fmt.Errorf("%w: credentials in the query; use User and Key", ErrBadURL)
	}
	if tunnelID != "" {
		q.Set("hostname", tunnelID)
	} else if q.Get("hostname") == "" {
		return "", ErrNoTunnelID
	}
	q.Del("myip")
	if a, ok := c.MyIP(local); ok {
		q.Set("myip", a.String())
	}
	u.RawQuery = q.Encode() // sorted: hostname=...&myip=...
	u.Fragment, u.RawFragment = "", ""
	return u.String(), nil
}

// isLoopbackHost reports whether host (without port or brackets) names the
// local machine: "localhost" or a loopback IP literal.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
