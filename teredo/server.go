package teredo

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/packet"
)

// Socket names one of the two UDP sockets of a Teredo server, both on port
// 3544 (RFC 4380 §5.3): the primary IPv4 address, which the server's
// clients embed in their addresses, and the secondary one, which answers
// the Router Solicitations of cone NAT probes.
type Socket uint8

// The sockets.
const (
	PrimarySocket   Socket = iota // the primary IPv4 address, port 3544
	SecondarySocket               // the secondary IPv4 address, port 3544
)

// String returns "primary" or "secondary".
func (s Socket) String() string {
	switch s {
	case PrimarySocket:
		return "primary"
	case SecondarySocket:
		return "secondary"
	}
	return "Socket(" + strconv.Itoa(int(s)) + ")"
}

// other returns the other socket.
func (s Socket) other() Socket { return s ^ 1 }

// Defaults of ServerConfig.
const (
	// DefaultForwardLimit is the default ServerConfig.ForwardLimit: 88
	// bytes after the IPv6 header, the limit of Miredo's server (which
	// says Microsoft's servers drop larger ICMPv6 packets too): big enough
	// for bubbles with trailers and for the echo requests of the direct
	// connectivity test, too small to make the server an open relay.
	DefaultForwardLimit = 88

	// DefaultRSInterval and DefaultRSBurst are the default rate limit of
	// Router Solicitations per source IPv4 address: a burst of 3 (a
	// client's qualification), then one a second.
	DefaultRSInterval = time.Second
	DefaultRSBurst    = 3

	// DefaultRateBuckets is the default number of rate-limit buckets:
	// 65536 of 8 bytes each.
	DefaultRateBuckets = 1 << 16
	// MaxRateBuckets is the largest accepted ServerConfig.RateBuckets.
	MaxRateBuckets = 1 << 24
)

// minOutBuf is the smallest buffer the server allocates for an output:
// room for any Router Advertisement (at most 13+255+64+8+96 bytes) and
// for forwarded packets within DefaultForwardLimit.
const minOutBuf = 512

// ServerConfig configures a Server. Only Primary is required.
type ServerConfig struct {
	// Primary is the server's primary IPv4 address: clients embed it in
	// their Teredo addresses and the Router Advertisements advertise
	// 2001:0:<Primary>::/64 (RFC 4380 §5.3.2). It must be global unicast
	// (see TreatAsGlobal), as Miredo's server requires.
	Primary netip.Addr

	// Secondary is the server's second IPv4 address, which answers
	// solicitations with the cone bit. The zero Addr selects Primary+1,
	// the consecutive address Miredo's and Microsoft's servers use; the
	// engine itself does not require consecutive addresses. It must be
	// global unicast and differ from Primary.
	Secondary netip.Addr

	// TreatAsGlobal lists IPv4 (and IPv6) prefixes to treat as global
	// unicast, for labs and tests numbered from documentation ranges (see
	// addr.NewClassifier). The server is strict without them.
	TreatAsGlobal []netip.Prefix

	// MTU is the value of the MTU option of the Router Advertisements; 0
	// selects MinMTU (1280, as Miredo's server sends). It must lie in
	// [MinMTU, MaxMTU].
	MTU uint32

	// NoMTUOption sends Router Advertisements without an MTU option, as
	// Microsoft's servers do; MTU is then ignored.
	NoMTUOption bool

	// SecureKey, if not empty, turns on secure qualification (RFC 4380
	// §5.2.2): every Router Solicitation must carry an authentication
	// value, an HMAC-SHA1 keyed with SecureKey (see Authenticator), and
	// the Router Advertisements carry one too. One key serves every
	// client; the client identifier is echoed, not checked. The key is
	// copied.
	SecureKey []byte

	// Native turns on native forwarding: bubbles and ICMPv6 packets from a
	// client to a non-Teredo destination come out as ServerOut values with
	// Native set, for the caller to write to a TUN device. Off by
	// default: they are dropped (ErrServerNativeDisabled).
	Native bool

	// ForwardLimit is the most bytes after the IPv6 header (payload, and
	// trailers for Teredo destinations) that a forwarded packet may
	// carry. 0 selects DefaultForwardLimit; a negative value forwards any
	// size, as RFC 4380 §5.3 would.
	ForwardLimit int

	// RSInterval and RSBurst set the rate limit of Router Solicitations
	// per source IPv4 address: RSBurst at once, then one per RSInterval.
	// Zero values select DefaultRSInterval and DefaultRSBurst; a negative
	// RSInterval turns the limit off.
	RSInterval time.Duration
	RSBurst    int

	// RateBuckets is the size of the rate-limit table, rounded up to a
	// power of two; 0 selects DefaultRateBuckets. The table is the only
	// memory the server keeps about its clients: it never grows. Sources
	// that hash to the same bucket share it.
	RateBuckets int

	// RateSeed seeds the hash of sources into buckets. Pass a random value
	// so that attackers cannot choose addresses that share a legitimate
	// client's bucket.
	RateSeed uint64
}

// ServerOut is one datagram a Server asks its caller to send.
//
// The Payload of a UDP output is built in storage the ServerOut keeps and
// reuses when the slice it sits in is passed back to the server: keep one
// []ServerOut, pass it back as out[:0], and the server does not allocate
// once each slot has grown to its largest payload. Do not copy ServerOut
// values into other slots of a slice you pass back: the copies would share
// that storage. A Native output's Payload aliases the datagram handed to
// HandleDatagram instead.
type ServerOut struct {
	// Native reports that Payload is an IPv6 packet for the native IPv6
	// network (write it to the TUN device) rather than a UDP payload.
	Native bool
	// Socket is the socket to send a UDP output from.
	Socket Socket
	// To is the IPv4 address and UDP port to send a UDP output to.
	To netip.AddrPort
	// Payload is the Teredo UDP payload, or the IPv6 packet of a Native
	// output.
	Payload []byte

	buf []byte // the slot's storage, allocated by the server only
}

// Server is the sans-IO engine of a Teredo server (RFC 4380 §5.3): it
// answers Router Solicitations with Router Advertisements, relays bubbles
// and ICMPv6 packets to the clients named by Teredo destinations, and hands
// the ones for native IPv6 destinations to its caller when native
// forwarding is on. It owns no sockets and no goroutines and reads no
// clock; a thin adapter reads datagrams from the two UDP sockets (see
// Socket), passes them to HandleDatagram with the time, and sends the
// outputs. It keeps no state per client but a fixed rate-limit table, so
// its memory does not grow with the number of clients, and HandleDatagram
// does not allocate.
//
// HandleDatagram may run on two goroutines at once, one per socket, but
// calls for the same socket must not overlap (with secure qualification,
// each socket has its own HMAC state). Counters and the accessors may be
// called from anywhere.
type Server struct {
	addrs  [2]netip.AddrPort // indexed by Socket
	cls    *addr.Classifier
	mtu    uint32 // 0: no MTU option
	native bool
	limit  int // -1: none
	auth   [2]*Authenticator
	rl     rsLimiter
	counts serverCounters
}

// NewServer returns a server configured by cfg. It returns an error
// wrapping [ErrServerConfig] for an unusable configuration. It allocates
// the rate-limit table; HandleDatagram then does not allocate.
func NewServer(cfg ServerConfig) (*Server, error) {
	bad := func(format string, a ...any) (*Server, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrServerConfig}, a...)...)
	}
	if !cfg.Primary.Is4() {
		return bad("primary address %v is not IPv4", cfg.Primary)
	}
	if !cfg.Secondary.IsValid() {
		cfg.Secondary = cfg.Primary.Next()
		if !cfg.Secondary.IsValid() {
			return bad("primary address %v has no successor for the secondary address", cfg.Primary)
		}
	}
	if !cfg.Secondary.Is4() {
		return bad("secondary address %v is not IPv4", cfg.Secondary)
	}
	if cfg.Secondary == cfg.Primary {
		return bad("secondary address %v equals the primary address", cfg.Secondary)
	}
	cls := addr.NewClassifier(cfg.TreatAsGlobal...)
	for _, a := range []netip.Addr{cfg.Primary, cfg.Secondary} {
		if !cls.IsGlobalIPv4(a) {
			return bad("server address %v is not global unicast (list its prefix in TreatAsGlobal)", a)
		}
	}
	mtu := cfg.MTU
	switch {
	case cfg.NoMTUOption:
		mtu = 0
	case mtu == 0:
		mtu = MinMTU
	case mtu < MinMTU || mtu > MaxMTU:
		return bad("MTU %d outside %d..%d", mtu, MinMTU, MaxMTU)
	}
	limit := cfg.ForwardLimit
	switch {
	case limit == 0:
		limit = DefaultForwardLimit
	case limit < 0:
		limit = -1
	}
	interval, burst, buckets := cfg.RSInterval, cfg.RSBurst, cfg.RateBuckets
	if interval == 0 {
		interval = DefaultRSInterval
	}
	if burst == 0 {
		burst = DefaultRSBurst
	}
	if burst < 0 {
		return bad("RS burst %d is negative", burst)
	}
	if buckets == 0 {
		buckets = DefaultRateBuckets
	}
	if buckets < 0 || buckets > MaxRateBuckets {
		return bad("%d rate buckets outside 1..%d", buckets, MaxRateBuckets)
	}
	s := &Server{
		addrs: [2]netip.AddrPort{
			netip.AddrPortFrom(cfg.Primary, ServerPort),
			netip.AddrPortFrom(cfg.Secondary, ServerPort),
		},
		cls:    cls,
		mtu:    mtu,
		native: cfg.Native,
		limit:  limit,
		rl:     newRSLimiter(interval, burst, buckets, cfg.RateSeed),
	}
	if len(cfg.SecureKey) > 0 {
		for i := range s.auth {
			a, err := NewAuthenticator(nil, cfg.SecureKey)
			if err != nil {
				return bad("%v", err)
			}
			s.auth[i] = a
		}
	}
	return s, nil
}

// Addr returns the IPv4 address and port 3544 of socket sock, for the
// caller to bind; the zero AddrPort for an unknown Socket.
func (s *Server) Addr(sock Socket) netip.AddrPort {
	if sock > SecondarySocket {
		return netip.AddrPort{}
	}
	return s.addrs[sock]
}

// Prefix returns the prefix the server advertises, 2001:0:<primary>::/64.
func (s *Server) Prefix() netip.Prefix { return ServerPrefix(s.addrs[PrimarySocket].Addr()) }

// LinkLocal returns the source of the server's Router Advertisements,
// fe80::8000:<~3544>:<~primary> (RFC 4380 §5.3.2).
func (s *Server) LinkLocal() netip.Addr { return addr.TeredoServerLinkLocal(s.addrs[PrimarySocket]) }

// Counters returns a snapshot of the counters, one per ServerReason.
func (s *Server) Counters() ServerCounters {
	var c ServerCounters
	for i := range c.n {
		c.n[i] = s.counts.n[i].Load()
	}
	return c
}

// verdict counts and returns the verdict for r.
func (s *Server) verdict(r ServerReason, cause error) ServerVerdict {
	s.counts.n[r].Add(1)
	return ServerVerdict{Reason: r, Cause: cause}
}

// isOwn reports whether a is one of the server's sockets.
func (s *Server) isOwn(a netip.AddrPort) bool { return a == s.addrs[0] || a == s.addrs[1] }

// HandleDatagram handles payload, a UDP payload received on socket on from
// from at time now, appends what to send to out, and returns out and the
// verdict. The checks run in the order of RFC 4380 §5.3, each dropping with
// its own reason (see ServerReason):
//
//  0. on must be PrimarySocket or SecondarySocket ([ErrServerSocket]); a
//     datagram from one of the server's own addresses on port 3544 is
//     dropped ([ErrServerLoop]), as Miredo's server does, so that two
//     servers or a misrouted packet cannot loop;
//  1. the payload must decode as a Teredo packet (Packet.Decode: at most
//     MaxPayloadLen bytes, indicators in order, an IPv6 packet whose Payload
//     Length fits, valid trailers) ([ErrServerMalformed]);
//  2. the IPv6 packet must be a bubble or have Next Header 58, ICMPv6
//     ([ErrServerNotBubbleOrICMPv6]);
//  3. from must be a global unicast IPv4 address (see
//     ServerConfig.TreatAsGlobal) with a non-zero port ([ErrServerSource]);
//     an IPv4-mapped from is taken as its IPv4 address;
//  4. an ICMPv6 Router Solicitation (type 133) from a link-local source to
//     ff02::2 is accepted if valid (ParseRouterSolicitation,
//     [ErrServerBadRS]), within the source's rate limit
//     ([ErrServerRateLimited]) and, with secure qualification, correctly
//     authenticated ([ErrServerAuth]), and answered with a Router
//     Advertisement: ServerCase4RA;
//  5. a packet from a Teredo source that embeds from is accepted;
//  6. a packet from a non-Teredo source to a Teredo destination that
//     embeds the primary address (a client of this server) is accepted;
//  7. anything else is dropped ([ErrServerNotAccepted]).
//
// An accepted packet of cases 5 and 6 is then forwarded. A link-local or
// multicast destination is not ([ErrServerLocalDestination]): the server
// does not answer echo requests to its own link-local address, which no
// client needs. For a Teredo destination, the embedded client must be a
// global unicast IPv4 address with a non-zero port
// ([ErrServerNonGlobalClient]) other than the server's own sockets
// ([ErrServerLoop]), and the bytes after the IPv6 header within
// ServerConfig.ForwardLimit ([ErrServerTooLarge]); the output goes from the
// primary socket to the embedded client with the IPv6 packet and its
// trailers (authentication and origin indicators of the input are left
// out), behind an origin indication of from if the destination is a client
// of this server (ServerCase5ToClient, ServerCase6ToClient), without one if
// it is another server's (ServerCase5ToTeredo): the origin indication tells
// a server's own client who sent an indirect bubble (RFC 4380 §5.2.3), and
// another server's client expects none from a server it does not use. A
// non-Teredo destination must be a public IPv6 address
// (addr.Classifier.IsPublic, [ErrServerNonGlobalDestination]), native
// forwarding must be on ([ErrServerNativeDisabled]) and the IPv6 payload
// within ForwardLimit ([ErrServerTooLarge]); the output is the IPv6 packet
// without trailers, Native set, hop limit untouched (the host's stack
// forwards it and decrements it): ServerCase5ToNative.
//
// The Router Advertisement (AppendRouterAdvertisement) advertises
// 2001:0:<primary>::/64 from the server's link-local address (LinkLocal) to
// the solicitation's link-local source, with the MTU option of the
// configuration, an origin indication of from, and, only if the
// solicitation carried an authentication indicator, one that echoes its
// nonce and client identifier with confirmation 0 (and, with secure
// qualification, the HMAC of the advertisement). A solicitation without
// an authentication indicator gets an advertisement without one: there is
// no nonce to echo, and RFC 4380 §5.2.2 makes the indicator optional.
// Miredo's server echoes an indicator anyway, with 8 uninitialized bytes
// of its stack as the nonce. The advertisement goes to from, from the
// other socket if the solicitation's source has the cone bit (RFC 4380
// §5.3.2), else from the socket on which it came; from is global unicast by
// check 3, so the destination check of §5.3.2 holds.
//
// Outputs to UDP destinations go to global unicast addresses only. See
// ServerOut for the ownership of the outputs' payloads. payload is not
// modified. It does not allocate once out's slots have grown.
func (s *Server) HandleDatagram(now time.Time, on Socket, from netip.AddrPort, payload []byte, out []ServerOut) ([]ServerOut, ServerVerdict) {
	if on > SecondarySocket {
		return out, s.verdict(ServerDropSocket, nil)
	}
	src := from.Addr().Unmap()
	from = netip.AddrPortFrom(src, from.Port())
	if s.isOwn(from) {
		return out, s.verdict(ServerDropLoop, nil)
	}
	// Check 1: a well-formed Teredo IPv6 packet.
	if len(payload) > MaxPayloadLen {
		return out, s.verdict(ServerDropMalformed, ErrTooLong)
	}
	var p Packet
	if err := p.Decode(payload); err != nil {
		return out, s.verdict(ServerDropMalformed, err)
	}
	ip := p.IPv6()
	// Check 2: a bubble or ICMPv6.
	if !ip.IsBubble() && ip.NextHeader() != packet.ProtoICMPv6 {
		return out, s.verdict(ServerDropNotBubbleOrICMPv6, nil)
	}
	// Check 3: a global unicast IPv4 source.
	if from.Port() == 0 || !s.cls.IsGlobalIPv4(src) {
		return out, s.verdict(ServerDropSource, nil)
	}
	ipSrc, ipDst := ip.Src(), ip.Dst()
	// Check 4: a Router Solicitation.
	if isLinkLocal(ipSrc) && ipDst == allRouters && ip.NextHeader() == packet.ProtoICMPv6 {
		if pl := ip.Payload(); len(pl) > 0 && pl[0] == packet.ICMPv6RouterSolicitation {
			return s.solicitation(now, on, from, &p, out)
		}
	}
	// Checks 5 and 6.
	var accept ServerReason
	if t, err := addr.DecodeTeredo(ipSrc); err == nil {
		if t.Client != from {
			return out, s.verdict(ServerDropNotAccepted, nil)
		}
		accept = ServerCase5ToClient
	} else {
		t, err := addr.DecodeTeredo(ipDst)
		if err != nil || t.Server != s.addrs[PrimarySocket].Addr() {
			return out, s.verdict(ServerDropNotAccepted, nil)
		}
		accept = ServerCase6ToClient
	}
	return s.forward(from, &p, accept, out)
}

// solicitation answers the Router Solicitation p received on socket on
// from from (check 4).
func (s *Server) solicitation(now time.Time, on Socket, from netip.AddrPort, p *Packet, out []ServerOut) ([]ServerOut, ServerVerdict) {
	rs, err := ParseRouterSolicitation(p)
	if err != nil {
		return out, s.verdict(ServerDropBadRS, err)
	}
	a4 := from.Addr().As4()
	if !s.rl.allow(uint32(a4[0])<<24|uint32(a4[1])<<16|uint32(a4[2])<<8|uint32(a4[3]), now) {
		return out, s.verdict(ServerDropRateLimited, nil)
	}
	auth := s.auth[on]
	if auth != nil {
		if err := auth.Verify(p); err != nil {
			return out, s.verdict(ServerDropAuth, err)
		}
	}
	h := Header{Origin: from}
	if au, ok := p.Auth(); ok {
		h.HasAuth = true
		if auth != nil {
			h.Auth = auth.Auth(au.Nonce, 0) // placeholder value for Sign
		} else {
			h.Auth.Nonce = au.Nonce
		}
		h.Auth.ClientID = au.ClientID
	}
	send := on
	if rs.Cone {
		send = on.other()
	}
	out, o := nextOut(out)
	b, err := AppendRouterAdvertisement(o.storage(h.Len()+packet.IPv6HeaderLen+64), &h,
		&RAFields{Server: s.addrs[PrimarySocket].Addr(), Dst: rs.Src, MTU: s.mtu})
	if err == nil && auth != nil {
		err = auth.Sign(b)
	}
	if err != nil { // not expected: every field was checked
		o.buf = b[:0]
		return out[:len(out)-1], s.verdict(ServerDropTooLong, err)
	}
	*o = ServerOut{Socket: send, To: from, Payload: b, buf: b[:0]}
	return out, s.verdict(ServerCase4RA, nil)
}

// forward forwards the packet p from from, accepted by case 5
// (ServerCase5ToClient) or 6 (ServerCase6ToClient).
func (s *Server) forward(from netip.AddrPort, p *Packet, accept ServerReason, out []ServerOut) ([]ServerOut, ServerVerdict) {
	ip := p.IPv6()
	dst := ip.Dst()
	if isLinkLocal(dst) || dst.IsMulticast() {
		return out, s.verdict(ServerDropLocalDestination, nil)
	}
	if t, err := addr.DecodeTeredo(dst); err == nil {
		to := t.Client
		if to.Port() == 0 || !s.cls.IsGlobalIPv4(to.Addr()) {
			return out, s.verdict(ServerDropNonGlobalClient, nil)
		}
		if s.isOwn(to) {
			return out, s.verdict(ServerDropLoop, nil)
		}
		body := p.Bytes()[p.HeaderLen():] // the IPv6 packet and its trailers
		if s.limit >= 0 && len(body)-packet.IPv6HeaderLen > s.limit {
			return out, s.verdict(ServerDropTooLarge, nil)
		}
		var h Header
		if t.Server == s.addrs[PrimarySocket].Addr() {
			h.Origin = from
		} else {
			accept = ServerCase5ToTeredo // case 6 requires a client of ours
		}
		out, o := nextOut(out)
		b, err := AppendEncapsulate(o.storage(h.Len()+len(body)), body, &h)
		if err != nil { // ErrTooLong: the origin indication made it too long
			return out[:len(out)-1], s.verdict(ServerDropTooLong, err)
		}
		*o = ServerOut{Socket: PrimarySocket, To: to, Payload: b, buf: b[:0]}
		return out, s.verdict(accept, nil)
	}
	// Case 6 needs a Teredo destination, so this is case 5.
	if !s.cls.IsPublic(dst) {
		return out, s.verdict(ServerDropNonGlobalDestination, nil)
	}
	if !s.native {
		return out, s.verdict(ServerDropNativeDisabled, nil)
	}
	if s.limit >= 0 && ip.PayloadLen() > s.limit {
		return out, s.verdict(ServerDropTooLarge, nil)
	}
	out, o := nextOut(out)
	*o = ServerOut{Native: true, Payload: p.Inner(), buf: o.buf}
	return out, s.verdict(ServerCase5ToNative, nil)
}

// nextOut extends out by one slot, reusing the slot's storage if out has
// capacity, and returns the extended slice and the slot.
func nextOut(out []ServerOut) ([]ServerOut, *ServerOut) {
	if len(out) < cap(out) {
		out = out[:len(out)+1]
	} else {
		out = append(out, ServerOut{})
	}
	return out, &out[len(out)-1]
}

// storage returns o's storage, emptied, with room for n bytes: the server
// builds an output there. It allocates only when the storage is too small.
func (o *ServerOut) storage(n int) []byte {
	if cap(o.buf) < n {
		o.buf = make([]byte, 0, max(n, minOutBuf))
	}
	return o.buf[:0]
}
