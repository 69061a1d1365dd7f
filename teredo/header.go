package teredo

// Teredo indicators, RFC 4380 §5.1.1. The first two bytes of a Teredo UDP
// payload tell what follows: 6x is an IPv6 header, 00 00 an origin
// indication, 00 01 an authentication indicator.
//
// Authentication indicator (13 bytes + ID-len + AU-len):
//
//	+--------+--------+--------+--------+
//	|  0x00  | 0x01   | ID-len | AU-len |
//	+--------+--------+--------+--------+
//	|  Client identifier (ID-len)       |
//	+-----------------+-----------------+
//	|  Authentication value (AU-len)    |
//	+-----------------+-----------------+
//	|              Nonce value          |
//	+                  (8)              +
//	|                                   |
//	+--------+--------+-----------------+
//	| Conf.  |
//	+--------+
//
// Origin indication (8 bytes):
//
//	+--------+--------+-----------------+
//	|  0x00  | 0x00   | Origin port #   |
//	+--------+--------+-----------------+
//	|  Origin IPv4 address              |
//	+-----------------------------------+
//
// The origin port and address are obfuscated: sent XOR 0xFFFF and XOR
// 0xFFFFFFFF. When both are present, the authentication indicator comes
// first, then the origin indication, then the IPv6 packet.

import (
	"encoding/binary"
	"io"
	"net/netip"
	"slices"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/packet"
)

// Sizes and limits of Teredo payloads.
const (
	// ServerPort is the UDP port of Teredo servers (RFC 4380 §2.7).
	ServerPort = addr.TeredoPort

	// NonceLen is the length of the nonce in an authentication indicator.
	NonceLen = 8

	// AuthHeaderLen is the length of an authentication indicator with an
	// empty client identifier and authentication value: type (2), ID-len
	// (1), AU-len (1), nonce (8), confirmation (1). This is the form Miredo
	// and Windows clients put in every Router Solicitation.
	AuthHeaderLen = 13

	// MaxAuthLen is the longest authentication indicator: 255-byte client
	// identifier and authentication value.
	MaxAuthLen = AuthHeaderLen + 255 + 255

	// OriginLen is the length of an origin indication.
	OriginLen = 8

	// MaxHeaderLen is the longest run of indicators in front of an IPv6
	// packet: the longest authentication indicator and an origin indication.
	MaxHeaderLen = MaxAuthLen + OriginLen

	// MaxPayloadLen is the largest Teredo UDP payload: 65535 minus the IPv4
	// and UDP headers (RFC 4380 §5.1.2).
	MaxPayloadLen = packet.IPv4MaxLen - packet.IPv4HeaderLen - packet.UDPHeaderLen

	// DatagramHeaderLen is the length of the outer IPv4 and UDP headers of a
	// Teredo datagram, as written by EncapsulateDatagram.
	DatagramHeaderLen = packet.IPv4HeaderLen + packet.UDPHeaderLen

	// Headroom is the room EncapsulateDatagram needs in front of an IPv6
	// packet for the largest header transit6 usually writes: IPv4, UDP, an
	// authentication indicator without client identifier or authentication
	// value, and an origin indication (packet.TeredoHeadroom, 49 bytes). A
	// longer authentication indicator needs DatagramHeaderLen+Header.Len().
	Headroom = packet.TeredoHeadroom
)

// Indicator types (RFC 4380 §5.1.1), the second byte after a zero byte.
const (
	typeOrigin = 0
	typeAuth   = 1
)

// Auth is the content of an authentication indicator (RFC 4380 §5.1.1).
// In an Auth returned by Packet.Auth, ClientID and Value alias the decoded
// payload.
type Auth struct {
	// ClientID is the client identifier; empty unless the client uses
	// secure qualification (RFC 4380 §5.2.2).
	ClientID []byte
	// Value is the authentication value (an HMAC, see Authenticator);
	// empty unless the client uses secure qualification.
	Value []byte
	// Nonce is chosen by the client and echoed by the server.
	Nonce [NonceLen]byte
	// Confirmation is 0 from clients; from servers, non-zero asks the
	// client to get a new key.
	Confirmation uint8
}

// Len returns the length of a's indicator on the wire: 13 bytes plus the
// client identifier and authentication value.
func (a *Auth) Len() int { return AuthHeaderLen + len(a.ClientID) + len(a.Value) }

// check validates the field lengths.
func (a *Auth) check() error {
	if len(a.ClientID) > 255 || len(a.Value) > 255 {
		return ErrFieldTooLong
	}
	return nil
}

// put writes a into b[:a.Len()] without checking.
func (a *Auth) put(b []byte) {
	b[0], b[1], b[2], b[3] = 0, typeAuth, uint8(len(a.ClientID)), uint8(len(a.Value))
	n := 4 + copy(b[4:], a.ClientID)
	n += copy(b[n:], a.Value)
	n += copy(b[n:], a.Nonce[:])
	b[n] = a.Confirmation
}

// AppendTo appends a's indicator to b and returns the extended slice. It
// returns b unchanged and [ErrFieldTooLong] if the client identifier or the
// authentication value is longer than 255 bytes. It does not allocate if b
// has a.Len() bytes of spare capacity.
func (a *Auth) AppendTo(b []byte) ([]byte, error) {
	if err := a.check(); err != nil {
		return b, err
	}
	all, t := extend(b, a.Len())
	a.put(t)
	return all, nil
}

// AppendOrigin appends an origin indication for o, whose port and IPv4
// address are obfuscated (RFC 4380 §5.1.1): 1.2.3.4 port 337 gives
// 00 00 FE AE FE FD FC FB. It returns b unchanged and [ErrNotIPv4] if o
// is not an IPv4 address and port. It does not allocate if b has 8 bytes of
// spare capacity.
func AppendOrigin(b []byte, o netip.AddrPort) ([]byte, error) {
	if !o.Addr().Is4() {
		return b, ErrNotIPv4
	}
	all, t := extend(b, OriginLen)
	putOrigin(t, o)
	return all, nil
}

// putOrigin writes the origin indication for the IPv4 o into b[:8].
func putOrigin(b []byte, o netip.AddrPort) {
	_ = b[OriginLen-1]
	a := o.Addr().As4()
	b[0], b[1] = 0, typeOrigin
	binary.BigEndian.PutUint16(b[2:], ^o.Port())
	binary.BigEndian.PutUint32(b[4:], ^binary.BigEndian.Uint32(a[:]))
}

// ParseOrigin decodes the origin indication at the start of b into the
// de-obfuscated IPv4 address and port. It returns [ErrOriginTruncated] if b
// is shorter than 8 bytes and [ErrUnknownIndicator] if b does not start with
// 00 00. It does not allocate.
func ParseOrigin(b []byte) (netip.AddrPort, error) {
	if len(b) >= 2 && (b[0] != 0 || b[1] != typeOrigin) {
		return netip.AddrPort{}, ErrUnknownIndicator
	}
	if len(b) < OriginLen {
		return netip.AddrPort{}, ErrOriginTruncated
	}
	return origin(b), nil
}

// origin decodes the 8-byte origin indication b without checking its type.
func origin(b []byte) netip.AddrPort {
	_ = b[OriginLen-1]
	v := ^binary.BigEndian.Uint32(b[4:])
	return netip.AddrPortFrom(
		netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}),
		^binary.BigEndian.Uint16(b[2:]))
}

// Header describes the indicators in front of an IPv6 packet: an optional
// authentication indicator and an optional origin indication, written in
// that order. The zero Header is simple encapsulation (no indicator).
type Header struct {
	// HasAuth says whether the authentication indicator Auth is present.
	HasAuth bool
	// Auth is the authentication indicator, used when HasAuth is set.
	Auth Auth
	// Origin is the origin indication: present when it is valid, which
	// servers use when relaying to their clients (RFC 4380 §5.3) and in
	// Router Advertisements. It must be an IPv4 address and port.
	Origin netip.AddrPort
}

// Len returns the length of the indicators h describes.
func (h *Header) Len() int {
	if h == nil {
		return 0
	}
	n := 0
	if h.HasAuth {
		n += h.Auth.Len()
	}
	if h.Origin.IsValid() {
		n += OriginLen
	}
	return n
}

// check validates h for encoding.
func (h *Header) check() error {
	if h == nil {
		return nil
	}
	if h.HasAuth {
		if err := h.Auth.check(); err != nil {
			return err
		}
	}
	if h.Origin.IsValid() && !h.Origin.Addr().Is4() {
		return ErrNotIPv4
	}
	return nil
}

// put writes the checked h into b[:h.Len()].
func (h *Header) put(b []byte) {
	if h == nil {
		return
	}
	if h.HasAuth {
		h.Auth.put(b)
		b = b[h.Auth.Len():]
	}
	if h.Origin.IsValid() {
		putOrigin(b, h.Origin)
	}
}

// AppendTo appends the indicators h describes to b and returns the extended
// slice; the caller appends the IPv6 packet next. A nil h appends nothing.
// It returns b unchanged and [ErrFieldTooLong] or [ErrNotIPv4] for
// invalid fields. It does not allocate if b has h.Len() bytes of spare
// capacity.
func (h *Header) AppendTo(b []byte) ([]byte, error) {
	if err := h.check(); err != nil {
		return b, err
	}
	all, t := extend(b, h.Len())
	h.put(t)
	return all, nil
}

// Encapsulate writes the indicators h describes in place in front of the
// IPv6 packet at buf[off:] (and any RFC 6081 trailers after it): they go
// into buf[off-h.Len():off] and the result is buf[off-h.Len():], the Teredo
// UDP payload. Nothing is copied and the packet is not examined. A nil h
// gives simple encapsulation: buf[off:] itself.
//
// It returns [ErrNoHeadroom] if off < h.Len(), [io.ErrShortBuffer] if
// off > len(buf), [ErrTooLong] if the payload would exceed MaxPayloadLen,
// and [ErrFieldTooLong] or [ErrNotIPv4] for invalid fields; buf is not
// modified on error. It does not allocate.
func Encapsulate(buf []byte, off int, h *Header) ([]byte, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	n := h.Len()
	if off < n {
		return nil, ErrNoHeadroom
	}
	if off > len(buf) {
		return nil, io.ErrShortBuffer
	}
	if len(buf)-off+n > MaxPayloadLen {
		return nil, ErrTooLong
	}
	p := buf[off-n:]
	h.put(p)
	return p, nil
}

// AppendEncapsulate appends to dst the Teredo UDP payload made of the
// indicators h describes (nil: none) followed by inner, an IPv6 packet and
// any RFC 6081 trailers, and returns the extended slice. It copies inner
// once; use Encapsulate to avoid the copy. It returns dst unchanged and
// [ErrTooLong] or the errors of Header.AppendTo. It does not allocate if dst
// has enough spare capacity.
func AppendEncapsulate(dst []byte, inner []byte, h *Header) ([]byte, error) {
	if err := h.check(); err != nil {
		return dst, err
	}
	n := h.Len()
	if n+len(inner) > MaxPayloadLen {
		return dst, ErrTooLong
	}
	all, t := extend(dst, n+len(inner))
	h.put(t)
	copy(t[n:], inner)
	return all, nil
}

// extend extends dst by n bytes and returns the extended slice and its last
// n bytes, which hold unspecified values. It allocates only if dst lacks
// capacity, and never modifies dst[:len(dst)].
func extend(dst []byte, n int) (all, tail []byte) {
	l := len(dst)
	dst = slices.Grow(dst, n)[:l+n]
	return dst, dst[l:]
}
