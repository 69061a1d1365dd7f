package broker

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Answers from proto41.md §5.5 and §10 item 15 (HE's good/nochg lines and
// the legacy ipv4_end.php texts) and Dyn's dyndns2 return-code table.
var responseTests = []struct {
	name string
	body string
	want Result
	err  error // nil: success; otherwise errors.Is must hold
}{
	// dyndns2 success (§10 item 15).
	{"good", "good 203.0.113.5", Result{StatusGood, netip.MustParseAddr("203.0.113.5")}, nil},
	{"nochg", "nochg 203.0.113.5", Result{StatusNoChange, netip.MustParseAddr("203.0.113.5")}, nil},
	{"good with LF", "good 203.0.113.5\n", Result{StatusGood, netip.MustParseAddr("203.0.113.5")}, nil},
	{"nochg with CRLF", "nochg 198.51.100.1\r\n", Result{StatusNoChange, netip.MustParseAddr("198.51.100.1")}, nil},
	{"leading blank lines", "\r\n\n  good 192.0.2.1  \n", Result{StatusGood, netip.MustParseAddr("192.0.2.1")}, nil},
	{"tab separator", "good\t192.0.2.1", Result{StatusGood, netip.MustParseAddr("192.0.2.1")}, nil},
	{"several spaces", "nochg    192.0.2.1", Result{StatusNoChange, netip.MustParseAddr("192.0.2.1")}, nil},
	{"upper case", "GOOD 192.0.2.1", Result{StatusGood, netip.MustParseAddr("192.0.2.1")}, nil},
	{"bare good", "good", Result{Status: StatusGood}, nil},
	{"bare nochg", "nochg\n", Result{Status: StatusNoChange}, nil},
	{"later lines ignored", "good 192.0.2.1\nbadauth\n", Result{StatusGood, netip.MustParseAddr("192.0.2.1")}, nil},
	{"zero address", "good 0.0.0.0", Result{StatusGood, netip.MustParseAddr("0.0.0.0")}, nil},
	{"max octets", "nochg 255.255.255.255", Result{StatusNoChange, netip.MustParseAddr("255.255.255.255")}, nil},
	{"nochg loopback", "nochg 127.0.0.1", Result{StatusNoChange, netip.MustParseAddr("127.0.0.1")}, nil},

	// dyndns2 "good 127.0.0.1": request ignored.
	{"good loopback", "good 127.0.0.1", Result{}, ErrUpdateIgnored},

	// dyndns2 error codes, one sentinel each.
	{"badauth", "badauth", Result{}, ErrBadAuth},
	{"badauth CRLF", "badauth\r\n", Result{}, ErrBadAuth},
	{"!donator", "!donator", Result{}, ErrNotDonator},
	{"!yours", "!yours", Result{}, ErrNotYours},
	{"notfqdn", "notfqdn", Result{}, ErrNotFQDN},
	{"nohost", "nohost", Result{}, ErrNoHost},
	{"numhost", "numhost", Result{}, ErrNumHost},
	{"abuse", "abuse", Result{}, ErrAbuse},
	{"badagent", "badagent", Result{}, ErrBadAgent},
	{"badsys", "badsys", Result{}, ErrBadSys},
	{"dnserr", "dnserr", Result{}, ErrDNSError},
	{"911", "911", Result{}, ErrMaintenance},
	{"911 with text", "911 scheduled maintenance\n", Result{}, ErrMaintenance},
	{"code upper case", "BADAUTH", Result{}, ErrBadAuth},

	// HE legacy ipv4_end.php answers (§5.5).
	{"legacy ok", "+OK: Tunnel endpoint updated to: 203.0.113.5", Result{StatusGood, netip.MustParseAddr("203.0.113.5")}, nil},
	{"legacy ok period", "+OK: Tunnel endpoint updated to: 203.0.113.5.\n", Result{StatusGood, netip.MustParseAddr("203.0.113.5")}, nil},
	{"legacy ok no address", "+OK: Tunnel endpoint updated", Result{Status: StatusGood}, nil},
	{"legacy ok bare", "+OK", Result{Status: StatusGood}, nil},
	{"legacy already", "-ERROR: This tunnel is already associated with this IP address. Please try and limit your updates to IP changes.", Result{Status: StatusNoChange}, nil},
	{"legacy not found", "-ERROR: Tunnel not found", Result{}, ErrNoHost},
	{"legacy bad key", "-ERROR: Invalid API key or password", Result{}, ErrBadAuth},
	{"legacy bad ip", "-ERROR: IP is not in a valid format", Result{}, ErrBadIP},
	{"legacy missing", "-ERROR: Missing parameter(s).", Result{}, ErrMissingParameter},
	{"legacy ping", "-ERROR: IP is not ICMP pingable. Please make sure ICMP is not blocked.", Result{}, ErrNotPingable},
	{"legacy other", "-ERROR: Something new", Result{}, ErrRefused},
	{"legacy empty", "-ERROR:", Result{}, ErrRefused},

	// Everything else.
	{"empty", "", Result{}, ErrEmptyResponse},
	{"blank", " \r\n\t\n", Result{}, ErrEmptyResponse},
	{"unknown code", "ok", Result{}, ErrUnexpectedResponse},
	{"dnspark nochange", "nochange", Result{}, ErrUnexpectedResponse},
	{"html", "<html><body>hi</body></html>", Result{}, ErrUnexpectedResponse},
	{"good garbage", "good yes", Result{}, ErrUnexpectedResponse},
	{"good ipv6", "good 2001:db8::1", Result{}, ErrUnexpectedResponse},
	{"good mapped", "good ::ffff:192.0.2.1", Result{}, ErrUnexpectedResponse},
	{"good two addresses", "good 192.0.2.1 192.0.2.2", Result{}, ErrUnexpectedResponse},
	{"good leading zero", "good 192.0.2.01", Result{}, ErrUnexpectedResponse},
	{"good octet 256", "good 192.0.2.256", Result{}, ErrUnexpectedResponse},
	{"good three octets", "good 192.0.2", Result{}, ErrUnexpectedResponse},
	{"good five octets", "good 192.0.2.1.5", Result{}, ErrUnexpectedResponse},
	{"good trailing dot", "good 192.0.2.1.", Result{}, ErrUnexpectedResponse},
	{"good glued", "good192.0.2.1", Result{}, ErrUnexpectedResponse},
	{"plus other", "+OKAY", Result{}, ErrUnexpectedResponse},
	{"minus other", "-ERRORS: x", Result{}, ErrUnexpectedResponse},
	{"nul", "\x00", Result{}, ErrUnexpectedResponse},
}

func TestParseResponse(t *testing.T) {
	for _, tt := range responseTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseResponse([]byte(tt.body))
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				assert.Equal(t, Result{}, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.True(t, got.IsValid())
		})
	}
}

// TestSentinelsDistinct checks that every answer maps to its own sentinel
// and that no sentinel matches another with errors.Is.
func TestSentinelsDistinct(t *testing.T) {
	seen := map[string]error{}
	for _, e := range allErrors {
		msg := e.Error()
		require.NotContains(t, seen, msg, "duplicate message")
		seen[msg] = e
		assert.Regexp(t, `^broker: `, msg)
		for _, o := range allErrors {
			if o != e {
				assert.False(t, errors.Is(e, o), "%v is %v", e, o)
			}
		}
	}
}

func TestUnexpectedQuotesClipped(t *testing.T) {
	long := "zzz " + string(make([]byte, 200))
	_, err := ParseResponse([]byte(long))
	require.ErrorIs(t, err, ErrUnexpectedResponse)
	// The quoted text is escaped (NULs as \x00) and clipped to maxQuote bytes.
	assert.NotContains(t, err.Error(), "\x00")
	assert.Less(t, len(err.Error()), len(ErrUnexpectedResponse.Error())+4*maxQuote+8)

	_, err = ParseResponse([]byte("-ERROR: Quota \x1b[31m exceeded"))
	require.ErrorIs(t, err, ErrRefused)
	assert.Contains(t, err.Error(), `Quota \x1b[31m exceeded`)
}

func TestResultString(t *testing.T) {
	assert.Equal(t, "good 192.0.2.1", Result{StatusGood, netip.MustParseAddr("192.0.2.1")}.String())
	assert.Equal(t, "nochg", Result{Status: StatusNoChange}.String())
	assert.Equal(t, "Status(0)", Status(0).String())
	assert.False(t, Result{}.IsValid())
	assert.False(t, Result{Status: 3}.IsValid())
}

// allErrors lists every exported sentinel.
var allErrors = []error{
	ErrBadAuth, ErrNotDonator, ErrNotYours, ErrNotFQDN, ErrNoHost, ErrNumHost,
	ErrAbuse, ErrBadAgent, ErrUpdateIgnored, ErrBadSys, ErrDNSError,
	ErrMaintenance, ErrBadIP, ErrMissingParameter, ErrNotPingable, ErrRefused,
	ErrEmptyResponse, ErrUnexpectedResponse,
	ErrServer, ErrHTTPStatus, ErrRequest, ErrResponseTooLarge, ErrBadURL,
	ErrNoTunnelID, ErrNoCredentials, ErrEmptyKey, ErrBadKey,
	ErrKeyFileTooLarge, ErrKeyFileWorldReadable,
}
