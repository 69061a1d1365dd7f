package teredo

import (
	"crypto/hmac"
	"crypto/sha1"
	"hash"
)

// Authenticator computes and verifies the authentication value of secure
// qualification (RFC 4380 §5.2.2): an HMAC, keyed with the secret a server
// shares with a client, over
//
//	nonce ‖ confirmation byte ‖ origin indication (if present) ‖ IPv6 packet
//
// with no padding; the client identifier is not covered, it selects the key.
// Trailers (RFC 6081) after the IPv6 packet are not covered either.
//
// RFC 4380 is not consistent about the default algorithm: §5.2.2 names
// HMAC with SHA-1 (a 20-byte value), §7.2.1 "HMAC and MD5". NewAuthenticator
// uses HMAC-SHA1; NewAuthenticatorHash takes another hash, crypto/md5.New
// for a peer that reads §7.2.1. Neither Miredo nor, as far as is known, any
// public server implements secure qualification.
//
// An Authenticator keeps its HMAC state, so that Sign and Verify do not
// allocate once it is built; it is not safe for concurrent use. Keep one per
// goroutine (or per client key on a server).
type Authenticator struct {
	mac  hash.Hash
	id   []byte
	size int
	zero [64]byte // placeholder value written by Auth, never modified
	sum  [64]byte
}

// NewAuthenticator returns an Authenticator using HMAC-SHA1 (RFC 4380
// §5.2.2) with key, for the client identified by clientID (at most 255
// bytes, else [ErrFieldTooLong]; may be empty). Both are copied.
func NewAuthenticator(clientID, key []byte) (*Authenticator, error) {
	return NewAuthenticatorHash(sha1.New, clientID, key)
}

// NewAuthenticatorHash is NewAuthenticator with the HMAC built on the hash
// newHash returns, such as crypto/md5.New (RFC 4380 §7.2.1). Hashes with a
// digest longer than 64 bytes are not supported ([ErrFieldTooLong]).
func NewAuthenticatorHash(newHash func() hash.Hash, clientID, key []byte) (*Authenticator, error) {
	if len(clientID) > 255 {
		return nil, ErrFieldTooLong
	}
	mac := hmac.New(newHash, key)
	if mac.Size() > 64 {
		return nil, ErrFieldTooLong
	}
	return &Authenticator{mac: mac, id: append([]byte(nil), clientID...), size: mac.Size()}, nil
}

// Size returns the length of the authentication value: 20 for HMAC-SHA1.
func (a *Authenticator) Size() int { return a.size }

// ClientID returns the client identifier. The returned slice aliases a's
// copy; do not modify it.
func (a *Authenticator) ClientID() []byte { return a.id }

// Auth returns an authentication indicator for a's client with the given
// nonce and confirmation byte, whose Value is Size() zero bytes: build the
// payload with it, then call Sign to fill the value in.
//
//	h := &teredo.Header{HasAuth: true, Auth: a.Auth(nonce, 0)}
//	payload, _ := teredo.AppendRouterSolicitation(buf[:0], h, src)
//	err := a.Sign(payload)
//
// It does not allocate.
func (a *Authenticator) Auth(nonce [NonceLen]byte, confirmation uint8) Auth {
	return Auth{ClientID: a.id, Value: a.zero[:a.size:a.size], Nonce: nonce, Confirmation: confirmation}
}

// sumOf computes the authentication value of the decoded payload p into
// a.sum and returns it.
func (a *Authenticator) sumOf(p *Packet) []byte {
	b := p.Bytes()
	al := int(p.authLen)
	a.mac.Reset()
	a.mac.Write(b[al-NonceLen-1 : al]) // nonce and confirmation
	if p.HasOrigin() {
		a.mac.Write(b[al : al+OriginLen])
	}
	a.mac.Write(p.Inner())
	return a.mac.Sum(a.sum[:0])
}

// Sign computes the authentication value of the Teredo payload b and writes
// it in place into the authentication indicator, whose AU-len must be
// Size(). It returns the errors of Packet.Decode, [ErrNoAuth] if b has no
// authentication indicator, and [ErrAuthValue] if its AU-len is not Size().
// It does not allocate.
func (a *Authenticator) Sign(b []byte) error {
	var p Packet
	if err := p.Decode(b); err != nil {
		return err
	}
	au, ok := p.Auth()
	if !ok {
		return ErrNoAuth
	}
	if len(au.Value) != a.size {
		return ErrAuthValue
	}
	copy(au.Value, a.sumOf(&p))
	return nil
}

// Verify checks the authentication value of the decoded payload p in
// constant time (crypto/hmac.Equal). It returns [ErrNoAuth] if p has no
// authentication indicator and [ErrAuthValue] if the value does not verify
// or has the wrong length. The client identifier is not compared: a server
// chooses the Authenticator by it. A nil p gives ErrNoAuth. It does not
// allocate.
func (a *Authenticator) Verify(p *Packet) error {
	if p == nil {
		return ErrNoAuth
	}
	au, ok := p.Auth()
	if !ok {
		return ErrNoAuth
	}
	if !hmac.Equal(au.Value, a.sumOf(p)) {
		return ErrAuthValue
	}
	return nil
}
