package teredo_test

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/teredo"
)

// Keys and identifier of the secure qualification tests (RFC 4380 §5.2.2).
var (
	secKey   = []byte("transit6 shared secret")
	secOther = []byte("another secret")
	secID    = []byte("client-7")
)

// secNAT runs a client configured by ccfg behind a port-restricted NAT
// against a server engine configured by scfg (Primary defaults to clSrvA)
// for ten minutes.
func secNAT(t *testing.T, scfg teredo.ServerConfig, ccfg teredo.ClientConfig) (*simTeredoServer, *simClient) {
	t.Helper()
	n := newSimNet(t)
	n.Latency = 10 * time.Millisecond
	if !scfg.Primary.IsValid() {
		scfg.Primary = clSrvA
	}
	srv := n.AddTeredoServer(scfg)
	nat := n.AddNAT(clNATAddr, natPortRestricted)
	ccfg.Servers = []netip.Addr{clSrvA}
	c := n.AddClient(ccfg, clPrivate, nat, nil)
	c.Start()
	n.RunFor(10 * time.Minute)
	return srv, c
}

// TestClientSecureQualifies: a client and a server sharing a key qualify,
// and every solicitation the client sent carries its identifier and a
// value the key verifies.
func TestClientSecureQualifies(t *testing.T) {
	srv, c := secNAT(t, teredo.ServerConfig{SecureKey: secKey}, teredo.ClientConfig{SecureKey: secKey, ClientID: secID})
	st := c.C.Status()
	require.Equal(t, teredo.ClientQualified, st.State)
	assert.Equal(t, teredo.NATPortRestricted, st.NAT)
	assert.Empty(t, c.Errs, "every advertisement verified")
	require.NotEmpty(t, srv.Verdicts)
	for _, v := range srv.Verdicts {
		assert.Equal(t, teredo.ServerCase4RA, v.Reason, "%v", v.Cause)
	}
	assert.Len(t, c.EventsOf(teredo.EventAddressAcquired), 1)
	assert.Empty(t, c.EventsOf(teredo.EventServerOffline), "refreshes verified too")

	// The solicitations themselves, checked with an Authenticator of the
	// same key.
	_, o, _ := directClient(t, teredo.ClientConfig{SecureKey: secKey, ClientID: secID})
	check, err := teredo.NewAuthenticator(nil, secKey)
	require.NoError(t, err)
	require.Len(t, o.Send, 2)
	for _, d := range o.Send {
		p, err := teredo.ParsePacket(d.Payload)
		require.NoError(t, err)
		au, ok := p.Auth()
		require.True(t, ok)
		assert.Equal(t, secID, au.ClientID)
		assert.Len(t, au.Value, 20, "HMAC-SHA1")
		assert.Zero(t, au.Confirmation)
		assert.NoError(t, check.Verify(&p))
		_, err = teredo.ParseRouterSolicitation(&p)
		assert.NoError(t, err)
	}
}

// TestClientSecureKeyMismatch: with different keys, or a key on one side
// only, the client never qualifies; advertisements that reach it unsigned
// are ignored with ErrAuthValue.
func TestClientSecureKeyMismatch(t *testing.T) {
	t.Run("different keys", func(t *testing.T) {
		srv, c := secNAT(t, teredo.ServerConfig{SecureKey: secOther}, teredo.ClientConfig{SecureKey: secKey, ClientID: secID})
		assert.NotEqual(t, teredo.ClientQualified, c.C.State())
		assert.Empty(t, c.EventsOf(teredo.EventAddressAcquired))
		assert.NotEmpty(t, c.EventsOf(teredo.EventServerOffline))
		require.NotEmpty(t, srv.Verdicts)
		for _, v := range srv.Verdicts {
			assert.Equal(t, teredo.ServerDropAuth, v.Reason)
			assert.ErrorIs(t, v.Cause, teredo.ErrAuthValue)
		}
	})
	t.Run("client key only", func(t *testing.T) {
		srv, c := secNAT(t, teredo.ServerConfig{}, teredo.ClientConfig{SecureKey: secKey, ClientID: secID})
		assert.NotEqual(t, teredo.ClientQualified, c.C.State())
		assert.Empty(t, c.EventsOf(teredo.EventAddressAcquired))
		assert.NotEmpty(t, c.EventsOf(teredo.EventServerOffline))
		for _, v := range srv.Verdicts {
			assert.Equal(t, teredo.ServerCase4RA, v.Reason, "the server answers, unsigned")
		}
		require.NotEmpty(t, c.Errs, "the answers reached the client")
		for _, err := range c.Errs {
			assert.ErrorIs(t, err, teredo.ErrAuthValue)
		}
	})
	t.Run("server key only", func(t *testing.T) {
		srv, c := secNAT(t, teredo.ServerConfig{SecureKey: secKey}, teredo.ClientConfig{})
		assert.NotEqual(t, teredo.ClientQualified, c.C.State())
		assert.Empty(t, c.EventsOf(teredo.EventAddressAcquired))
		require.NotEmpty(t, srv.Verdicts)
		for _, v := range srv.Verdicts {
			assert.Equal(t, teredo.ServerDropAuth, v.Reason)
		}
	})
}

// TestClientSecureTampered: an advertisement signed by the server but
// altered on the way (its value, or the origin indication the value
// covers) is ignored, changes nothing, and the genuine one still
// qualifies.
func TestClientSecureTampered(t *testing.T) {
	mapped := netip.MustParseAddrPort("203.0.113.9:40000")
	s, err := teredo.NewServer(teredo.ServerConfig{Primary: clSrvA, SecureKey: secKey, TreatAsGlobal: simGlobal})
	require.NoError(t, err)
	c, o, _ := directClient(t, teredo.ClientConfig{SecureKey: secKey, ClientID: secID})
	rs := bytes.Clone(o.Send[1].Payload) // no cone bit: answered from the primary
	out, v := s.HandleDatagram(at(time.Millisecond), teredo.PrimarySocket, mapped, rs, nil)
	require.Equal(t, teredo.ServerCase4RA, v.Reason, "%v", v.Cause)
	require.Len(t, out, 1)
	from := s.Addr(out[0].Socket)
	ra := bytes.Clone(out[0].Payload)
	p, err := teredo.ParsePacket(ra)
	require.NoError(t, err)
	au, ok := p.Auth()
	require.True(t, ok)
	require.Len(t, au.Value, 20)
	valueAt := 4 + len(au.ClientID) // 00 01, ID-len, AU-len, client identifier
	originAt := 4 + len(au.ClientID) + len(au.Value) + 8 + 1

	for _, tc := range []struct {
		name   string
		tamper func(b []byte)
	}{
		{"value", func(b []byte) { b[valueAt] ^= 0x01 }},
		{"last value byte", func(b []byte) { b[valueAt+19] ^= 0x80 }},
		{"origin indication", func(b []byte) { b[originAt+3] ^= 0x01 }}, // another mapped port
		{"no value", func(b []byte) { b[3] = 0 }},                       // AU-len 0
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := bytes.Clone(ra)
			tc.tamper(bad)
			if tc.name == "no value" { // the indicator without its value, well-formed
				bad = append(bad[:valueAt:valueAt], bad[valueAt+20:]...)
			}
			err := c.HandleDatagram(at(2*time.Millisecond), from, bad, o)
			assert.ErrorIs(t, err, teredo.ErrAuthValue)
			assert.Empty(t, o.Events)
			assert.Empty(t, o.Send)
			assert.Equal(t, teredo.ClientProbing, c.State())
		})
	}

	require.NoError(t, c.HandleDatagram(at(3*time.Millisecond), from, ra, o), "the genuine advertisement")
	assert.Equal(t, teredo.ClientQualified, c.State())
	checkAddr(t, c.Addr(), clSrvA, mapped)
}

// TestClientSecureOff: without a key the solicitations are the 61 bytes
// Miredo and Windows send (an indicator with a nonce only), a server
// without a key answers them, and a secure server refuses them.
func TestClientSecureOff(t *testing.T) {
	_, o, _ := directClient(t, teredo.ClientConfig{})
	for _, d := range o.Send {
		require.Len(t, d.Payload, 61)
		assert.Equal(t, []byte{0, 1, 0, 0}, d.Payload[:4], "ID-len and AU-len 0")
	}
	_, oSec, _ := directClient(t, teredo.ClientConfig{SecureKey: secKey, ClientID: secID})
	for _, d := range oSec.Send {
		assert.Len(t, d.Payload, 61+len(secID)+20)
	}

	srv, c := secNAT(t, teredo.ServerConfig{}, teredo.ClientConfig{})
	require.Equal(t, teredo.ClientQualified, c.C.State())
	assert.Empty(t, c.Errs)
	for _, v := range srv.Verdicts {
		assert.Equal(t, teredo.ServerCase4RA, v.Reason)
	}
}

// TestNewClientSecureErrors: the configuration errors of secure
// qualification.
func TestNewClientSecureErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  teredo.ClientConfig
	}{
		{"identifier without key", teredo.ClientConfig{ClientID: secID}},
		{"identifier of 256 bytes", teredo.ClientConfig{SecureKey: secKey, ClientID: make([]byte, 256)}},
	} {
		tc.cfg.Servers = []netip.Addr{clSrvA}
		tc.cfg.Global = simGlobal
		_, err := teredo.NewClient(tc.cfg)
		assert.ErrorIs(t, err, teredo.ErrClientConfig, tc.name)
	}
	_, err := teredo.NewClient(teredo.ClientConfig{Servers: []netip.Addr{clSrvA}, Global: simGlobal, SecureKey: secKey, ClientID: make([]byte, 255)})
	assert.NoError(t, err)
}
