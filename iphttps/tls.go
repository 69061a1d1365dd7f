package iphttps

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
)

// TLS for IP-HTTPS (iphttps.md report sections 3 and 5.4, 5.10): HTTP/1.1
// only, TLS 1.2 and later unless a Windows 7 client needs TLS 1.0, a
// default certificate for clients that send no server name, and client
// certificates in mode Certificates.
//
// Windows 8 and later clients may insist on the NULL cipher suites
// TLS_RSA_WITH_NULL_SHA and TLS_RSA_WITH_NULL_SHA256, which crypto/tls does
// not implement; serve them from behind a TLS terminator that does (the
// README shows HAProxy) with Server.TLSConfig nil: plain HTTP, as
// [MS-IPHTTPS] §1.3 and §5.1 allow.

// ALPNProtocol is the only application protocol the server and the client
// offer: the tunnel is HTTP/1.x ([MS-IPHTTPS] §1.2.1), never h2.
const ALPNProtocol = "http/1.1"

// TLSOptions configures ServerTLSConfig.
type TLSOptions struct {
	// Certificates are the server's certificates. A client that sends a
	// server name gets the first one valid for it; a client that sends none
	// (one dialling an IP literal, as in the example of [MS-IPHTTPS] §4.1)
	// or an unknown one gets the first, the default.
	Certificates []tls.Certificate

	// ClientCAs, if not nil, selects mode Certificates: every client must
	// present a certificate that chains to one of these
	// (tls.RequireAndVerifyClientCert; [MS-IPHTTPS] §3.2.1, §4.2.1). Pair
	// it with RouterConfig.Mode AuthCertificates.
	ClientCAs *x509.CertPool

	// MinVersion is the oldest TLS version accepted; 0 means TLS 1.2.
	// Windows 7 clients speak TLS 1.0 by default (iphttps.md report
	// section 3): tls.VersionTLS10 lets them in.
	MinVersion uint16
}

// ServerTLSConfig returns the tls.Config of an IP-HTTPS server: the
// certificates of o chosen by server name with the first as default,
// NextProtos ["http/1.1"] (no HTTP/2, iphttps.md report section 5.4), TLS
// 1.2 or o.MinVersion at least, and client certificates required and
// verified if o.ClientCAs is set. It returns an error wrapping
// ErrInvalidConfig without certificates or with a MinVersion below TLS 1.0.
func ServerTLSConfig(o TLSOptions) (*tls.Config, error) {
	if len(o.Certificates) == 0 {
		return nil, fmt.Errorf("%w: no server certificate", ErrInvalidConfig)
	}
	if o.MinVersion == 0 {
		o.MinVersion = tls.VersionTLS12
	}
	if o.MinVersion < tls.VersionTLS10 || o.MinVersion > tls.VersionTLS13 {
		return nil, fmt.Errorf("%w: TLS version %#x", ErrInvalidConfig, o.MinVersion)
	}
	certs := append([]tls.Certificate(nil), o.Certificates...)
	cfg := &tls.Config{
		MinVersion: o.MinVersion,
		NextProtos: []string{ALPNProtocol},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			return pickCertificate(certs, hello), nil
		},
	}
	if o.ClientCAs != nil {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = o.ClientCAs
	}
	return cfg, nil
}

// pickCertificate returns the first certificate valid for the server name
// the client sent, or the first certificate when it sent none or none fits.
func pickCertificate(certs []tls.Certificate, hello *tls.ClientHelloInfo) *tls.Certificate {
	if hello.ServerName != "" {
		for i := range certs {
			if hello.SupportsCertificate(&certs[i]) == nil {
				return &certs[i]
			}
		}
	}
	return &certs[0]
}
