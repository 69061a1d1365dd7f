package broker

import (
	"context"
	"errors"
)

// Answers of the update API (see [ParseResponse]). Each refusal the broker
// can express has its own sentinel, so logs say why and callers can branch.
// [ParseResponse] and [Client.Update] return them bare (no wrapping, no
// allocation), except [ErrUnexpectedResponse] and [ErrRefused], which wrap
// the text they could not interpret.
//
// The dyndns2 codes and their meanings are those of the DynDNS (Dyn) update
// specification's return-code table; HE's nic/update endpoint answers in that
// protocol, but HE's exact subset is not published. The legacy "-ERROR:"
// wordings are HE's own (ipv4_end.php).
var (
	// ErrBadAuth is dyndns2 "badauth" or legacy "-ERROR: Invalid API key or
	// password", or an HTTP 401 answer: the user name and update key (or
	// password) do not match.
	ErrBadAuth = errors.New("broker: bad authentication")

	// ErrNotDonator is dyndns2 "!donator": the update needs a feature the
	// account does not have.
	ErrNotDonator = errors.New("broker: feature not available to this account")

	// ErrNotYours is dyndns2 "!yours": the hostname (tunnel ID) exists but
	// belongs to another account.
	ErrNotYours = errors.New("broker: tunnel belongs to another account")

	// ErrNotFQDN is dyndns2 "notfqdn": the hostname parameter is not in the
	// form the broker expects (for HE, not a tunnel ID), or was missing.
	ErrNotFQDN = errors.New("broker: hostname is not a valid name")

	// ErrNoHost is dyndns2 "nohost" or legacy "-ERROR: Tunnel not found":
	// there is no such tunnel in this account.
	ErrNoHost = errors.New("broker: no such tunnel")

	// ErrNumHost is dyndns2 "numhost": too many hostnames in one update.
	ErrNumHost = errors.New("broker: too many hostnames")

	// ErrAbuse is dyndns2 "abuse": updates of this hostname are blocked,
	// typically after too many updates that changed nothing.
	ErrAbuse = errors.New("broker: updates blocked for abuse")

	// ErrBadAgent is dyndns2 "badagent": the broker refuses the client's
	// User-Agent or request form.
	ErrBadAgent = errors.New("broker: user agent refused")

	// ErrUpdateIgnored is the dyndns2 answer "good 127.0.0.1", which the
	// specification reserves for a request the server ignored because the
	// client does not follow the protocol; it means success only when
	// 127.0.0.1 was asked for, and [Client] never asks for a loopback
	// address.
	ErrUpdateIgnored = errors.New("broker: update ignored (good 127.0.0.1)")

	// ErrBadSys is dyndns2 "badsys": the system parameter is not valid (an
	// older DynDNS code).
	ErrBadSys = errors.New("broker: bad system parameter")

	// ErrDNSError is dyndns2 "dnserr": the broker's DNS system failed.
	// Retrying later may succeed.
	ErrDNSError = errors.New("broker: DNS error at the broker")

	// ErrMaintenance is dyndns2 "911": the broker has a problem or is in
	// maintenance. Retrying later may succeed.
	ErrMaintenance = errors.New("broker: broker failure or maintenance (911)")

	// ErrBadIP is legacy "-ERROR: IP is not in a valid format".
	ErrBadIP = errors.New("broker: address not in a valid format")

	// ErrMissingParameter is legacy "-ERROR: Missing parameter(s).".
	ErrMissingParameter = errors.New("broker: missing parameter")

	// ErrNotPingable is legacy "-ERROR: IP is not ICMP pingable...": HE
	// pings a new endpoint before accepting it, so the WAN side must answer
	// ICMP echo.
	ErrNotPingable = errors.New("broker: endpoint does not answer ICMP echo")

	// ErrRefused is a legacy "-ERROR:" line whose text is none of the known
	// ones. The returned error wraps it and quotes the text.
	ErrRefused = errors.New("broker: update refused")

	// ErrEmptyResponse is returned for a body with no text.
	ErrEmptyResponse = errors.New("broker: empty response")

	// ErrUnexpectedResponse is returned for any other answer, including
	// "good" or "nochg" followed by something that is not one IPv4 address.
	// The returned error wraps it and quotes (a prefix of) the text.
	ErrUnexpectedResponse = errors.New("broker: unexpected response")
)

// Errors of the HTTP exchange and of the client's configuration, returned
// by [Client.Update] and [KeyFromFile].
var (
	// ErrServer is returned, wrapped with the status, for an HTTP 5xx
	// answer. Retrying later may succeed.
	ErrServer = errors.New("broker: server error")

	// ErrHTTPStatus is returned, wrapped with the status, for any other
	// answer that is not 2xx or 401, redirects included: credentials are
	// never sent on to another URL.
	ErrHTTPStatus = errors.New("broker: unexpected HTTP status")

	// ErrRequest is returned, wrapping the cause, when the request could not
	// be completed: connection failure, TLS failure, or the context's
	// deadline or cancellation (errors.Is(err, context.DeadlineExceeded)
	// works). Retrying later may succeed.
	ErrRequest = errors.New("broker: request failed")

	// ErrResponseTooLarge is returned when the body exceeds
	// [MaxResponseLen]; an update answer is one short line.
	ErrResponseTooLarge = errors.New("broker: response too large")

	// ErrBadURL is returned when the update URL does not parse, is not http
	// or https, has no host, or carries credentials (user:key@host), which
	// belong in [Client.User] and [Client.Key] so that they stay out of
	// logs and process lists.
	ErrBadURL = errors.New("broker: bad update URL")

	// ErrNoTunnelID is returned for an empty tunnel ID.
	ErrNoTunnelID = errors.New("broker: empty tunnel ID")

	// ErrNoCredentials is returned when [Client.User] or [Client.Key] is
	// empty: HE's update API always needs HTTP Basic authentication.
	ErrNoCredentials = errors.New("broker: user or key missing")

	// ErrEmptyKey is returned by [KeyFromFile] for a file holding only
	// white space.
	ErrEmptyKey = errors.New("broker: key file is empty")

	// ErrBadKey is returned by [KeyFromFile] when the key, once surrounding
	// white space is trimmed, contains control characters or white space
	// (a second line, for instance).
	ErrBadKey = errors.New("broker: key contains white space or control characters")

	// ErrKeyFileTooLarge is returned by [KeyFromFile] for a file longer than
	// [MaxKeyFileLen].
	ErrKeyFileTooLarge = errors.New("broker: key file too large")

	// ErrKeyFileWorldReadable is returned by [KeyFromFile] on Unix systems
	// when the key file may be read by every user (mode o+r).
	ErrKeyFileWorldReadable = errors.New("broker: key file is world-readable")
)

// Retryable reports whether err is a failure that may go away by itself,
// so that the same update may be retried later: [ErrServer], [ErrRequest]
// (network failures and timeouts), [ErrMaintenance] and [ErrDNSError].
//
// Every other error needs the user to act (fix credentials, tunnel ID or
// firewall, or wait out an abuse block). The dyndns2 specification asks
// clients to stop updating after such an answer instead of repeating it.
// A nil err is not retryable. A context.Canceled error is not retryable
// either: the caller asked to stop.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	return errors.Is(err, ErrServer) || errors.Is(err, ErrRequest) ||
		errors.Is(err, ErrMaintenance) || errors.Is(err, ErrDNSError)
}
