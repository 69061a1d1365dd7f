package iphttps

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Mode Certificates ([MS-IPHTTPS] §3.2.1, §4.2.1) and iphttps.md report
// section 9, case 9: only a client with a valid certificate from the
// configured CA gets past TLS; the others never reach the Client Table.
func TestServerModeCertificates(t *testing.T) {
	clientCA, foreignCA := newCA(t, "client CA"), newCA(t, "foreign CA")
	ts := startServer(t, RouterConfig{Mode: AuthCertificates}, func(s *Server) {
		cfg, err := ServerTLSConfig(TLSOptions{Certificates: []tls.Certificate{pkiCert}, ClientCAs: clientCA.pool})
		require.NoError(t, err)
		s.TLSConfig = cfg
	})
	valid := clientCA.issue(t, "laptop-1", true, time.Now().Add(time.Hour))
	parent := t
	for _, tc := range []struct {
		name  string
		certs []tls.Certificate
		ok    bool
	}{
		{"valid certificate", []tls.Certificate{valid}, true},
		{"no certificate", nil, false},
		{"expired", []tls.Certificate{clientCA.issue(t, "laptop-2", true, time.Now().Add(-time.Hour))}, false},
		{"foreign CA", []tls.Certificate{foreignCA.issue(t, "laptop-3", true, time.Now().Add(time.Hour))}, false},
		{"server certificate (no clientAuth use)", []tls.Certificate{clientCA.issue(t, "laptop-4", false, time.Now().Add(time.Hour))}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := ts.srv.Stats().HandshakeErrors
			cfg := ts.clientConfig()
			cfg.TLSConfig.Certificates = tc.certs
			c, err := Dial(context.Background(), cfg)
			if !tc.ok {
				// With TLS 1.3 the client's handshake ends before the server
				// checks the certificate; the alert comes on the first read.
				assert.Error(t, err)
				eventually(t, func() bool { return ts.srv.Stats().HandshakeErrors == before+1 }, "refused in the handshake")
				assert.Equal(t, 1, ts.router.NumClients(), "only the valid client")
				return
			}
			require.NoError(t, err)
			parent.Cleanup(func() { c.Close() }) // it stays connected for the next cases
			info := ts.router.Clients()
			require.Len(t, info, 1)
			assert.Equal(t, "CN=laptop-1", info[0].Peer)
		})
	}
}

// A client that sends no server name (an IP-literal URL) gets the default
// certificate (iphttps.md report section 5.10); one that sends a name gets
// the certificate for it.
func TestServerTLSCertificateChoice(t *testing.T) {
	ca, first := testPKI(t)
	second := ca.issue(t, "second", false, time.Now().Add(time.Hour), "second.example")
	cfg, err := ServerTLSConfig(TLSOptions{Certificates: []tls.Certificate{first, second}})
	require.NoError(t, err)
	assert.Equal(t, []string{"http/1.1"}, cfg.NextProtos)
	assert.Equal(t, uint16(tls.VersionTLS12), cfg.MinVersion)
	assert.Equal(t, tls.NoClientCert, cfg.ClientAuth)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	for _, tc := range []struct {
		sni  string
		want string
	}{
		{"", "localhost"},
		{"second.example", "second"},
		{"unknown.example", "localhost"},
	} {
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{ServerName: tc.sni, InsecureSkipVerify: true})
		require.NoError(t, err, tc.sni)
		assert.Equal(t, tc.want, c.ConnectionState().PeerCertificates[0].Subject.CommonName, "SNI %q", tc.sni)
		c.Close()
	}

	_, err = ServerTLSConfig(TLSOptions{})
	assert.ErrorIs(t, err, ErrInvalidConfig)
	_, err = ServerTLSConfig(TLSOptions{Certificates: []tls.Certificate{first}, MinVersion: 0x0300}) // SSL 3.0
	assert.ErrorIs(t, err, ErrInvalidConfig)
}

// HTTP/1.1 only (iphttps.md report section 5.4), and TLS 1.0 only when asked
// for (report section 3, Windows 7).
func TestServerTLSVersionsAndALPN(t *testing.T) {
	_, cert := testPKI(t)
	for _, tc := range []struct {
		name    string
		min     uint16
		client  *tls.Config
		ok      bool
		negoted string
	}{
		{"no ALPN", 0, &tls.Config{}, true, ""},
		{"h2 and http/1.1", 0, &tls.Config{NextProtos: []string{"h2", "http/1.1"}}, true, "http/1.1"},
		{"h2 only", 0, &tls.Config{NextProtos: []string{"h2"}}, false, ""},
		{"TLS 1.0 client, default server", 0, &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}, false, ""},
		{"TLS 1.0 client, Windows 7 option", tls.VersionTLS10, &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ServerTLSConfig(TLSOptions{Certificates: []tls.Certificate{cert}, MinVersion: tc.min})
			require.NoError(t, err)
			ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
			require.NoError(t, err)
			defer ln.Close()
			go func() {
				c, err := ln.Accept()
				if err == nil {
					c.(*tls.Conn).Handshake()
					c.Close()
				}
			}()
			raw, err := net.Dial("tcp", ln.Addr().String())
			require.NoError(t, err)
			ccfg := tc.client.Clone()
			ccfg.InsecureSkipVerify = true
			c := tls.Client(raw, ccfg)
			defer c.Close()
			err = c.Handshake()
			if !tc.ok {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.negoted, c.ConnectionState().NegotiatedProtocol)
		})
	}
}
