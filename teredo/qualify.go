package teredo

import (
	"net/netip"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/packet"
)

// allRouters is ff02::2, the destination of Router Solicitations.
var allRouters = netip.AddrFrom16([16]byte{0: 0xff, 1: 0x02, 15: 0x02})

// Values of the Router Advertisements built by AppendRouterAdvertisement,
// the ones Miredo's server sends: the server is not a default router
// (Router Lifetime 0), Retrans Timer 2 s, and one Prefix Information option
// with the A flag, the L flag clear (Teredo peers are reached through the
// tunnel, not on-link) and infinite lifetimes.
const (
	raRetransTimer = 2000 // milliseconds
	infinite       = 0xffffffff
)

// Bounds of the MTU option ValidateRouterAdvertisement accepts.
const (
	// MinMTU is the minimum IPv6 MTU (RFC 8200 §5) and the default Teredo
	// MTU (RFC 4380 §5.1.2). An MTU option below it is refused.
	MinMTU = packet.IPv6MinMTU
	// MaxMTU is the largest MTU accepted in a Router Advertisement, as
	// Miredo does: the 16-bit IPv6 Payload Length cannot describe more.
	MaxMTU = 65535
)

// ClientLinkLocal returns the link-local address a client uses as the
// source of its Router Solicitations (RFC 4380 §5.2.1): the well-known
// address with the cone bit (addr.TeredoClientLinkLocalCone) when probing
// for a cone NAT, else the one Miredo and Windows Vista and later use
// (addr.TeredoClientLinkLocalRestricted).
func ClientLinkLocal(cone bool) netip.Addr {
	if cone {
		return addr.TeredoClientLinkLocalCone
	}
	return addr.TeredoClientLinkLocalRestricted
}

// isLinkLocal reports whether a is an IPv6 link-local unicast address,
// fe80::/10; IPv4-mapped 169.254/16 is not.
func isLinkLocal(a netip.Addr) bool {
	b := a.As16()
	return a.Is6() && b[0] == 0xfe && b[1]&0xc0 == 0x80
}

// coneBit reports whether the cone flag (0x8000 in bits 64–79, RFC 4380
// §5.2.1) is set in the link-local address a.
func coneBit(a netip.Addr) bool { return a.As16()[8]&0x80 != 0 }

// AppendBubble appends to b a Teredo payload carrying a bubble (RFC 4380
// §2.8): the indicators h describes (nil: none) and an IPv6 header from src
// to dst with Next Header 59 and Payload Length 0.
//
// A direct bubble goes to the peer's mapped address and port; an indirect
// bubble has the same bytes but goes to the peer's server on port 3544,
// which forwards it with an origin indication (h.Origin) added. Peers are
// normally Teredo addresses; local discovery uses ff02::1 and hop limit 1
// (RFC 4380 §5.2.8). Miredo sends bubbles with hop limit 0.
//
// It returns b unchanged and [packet.ErrNotIPv6Addr] if src or dst is not an
// IPv6 address, or the errors of Header.AppendTo. It does not allocate if b
// has h.Len()+40 bytes of spare capacity.
func AppendBubble(b []byte, h *Header, src, dst netip.Addr, hopLimit uint8) ([]byte, error) {
	if err := h.check(); err != nil {
		return b, err
	}
	if !src.Is6() || !dst.Is6() {
		return b, packet.ErrNotIPv6Addr
	}
	n := h.Len()
	all, t := extend(b, n+packet.IPv6HeaderLen)
	h.put(t)
	ih := packet.IPv6Header{NextHeader: packet.ProtoNoNext, HopLimit: hopLimit, Src: src, Dst: dst}
	if err := ih.Encode(t[n:], 0); err != nil {
		return b, err
	}
	return all, nil
}

// AppendRouterSolicitation appends to b a Teredo payload carrying a Router
// Solicitation (RFC 4380 §5.2.1): the indicators h describes, then an IPv6
// packet from src, which must be link-local ([ErrNotLinkLocal]), to ff02::2
// with hop limit 255 and an RFC 4861 Router Solicitation without options.
//
// Clients in the field (Miredo, Windows) always send an authentication
// indicator without client identifier or authentication value, carrying a
// nonce the Router Advertisement must echo:
//
//	h := &teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: nonce}}
//	b, err := teredo.AppendRouterSolicitation(b, h, teredo.ClientLinkLocal(false))
//
// The source's cone bit asks the server to answer from its other address
// (see ClientLinkLocal and the addr.TeredoClientLinkLocal* addresses). It
// returns b unchanged on error, with the errors of Header.AppendTo. It does
// not allocate if b has h.Len()+48 bytes of spare capacity.
func AppendRouterSolicitation(b []byte, h *Header, src netip.Addr) ([]byte, error) {
	if !isLinkLocal(src) {
		return b, ErrNotLinkLocal
	}
	all, err := h.AppendTo(b)
	if err != nil {
		return b, err
	}
	all, err = packet.AppendRouterSolicitation(all, src, allRouters, nil)
	if err != nil {
		return b, err
	}
	return all, nil
}

// RAFields describes the Router Advertisement a Teredo server sends in
// answer to a Router Solicitation (RFC 4380 §5.3.2).
type RAFields struct {
	// Server is the server's IPv4 address (its primary address), advertised
	// in the prefix 2001:0:<Server>::/64.
	Server netip.Addr
	// Src is the link-local source. The zero Addr selects the server
	// link-local address for Server, addr.TeredoServerLinkLocal
	// (fe80::8000:<~3544>:<~Server>).
	Src netip.Addr
	// Dst is the link-local source of the Router Solicitation.
	Dst netip.Addr
	// MTU is the value of an MTU option; 0 sends none (as Microsoft's
	// servers do; Miredo's sends 1280).
	MTU uint32
}

// AppendRouterAdvertisement appends to b a Teredo payload carrying the
// Router Advertisement f describes: the indicators h describes, then an IPv6
// packet with hop limit 255 from f.Src to f.Dst carrying an RFC 4861 Router
// Advertisement with Router Lifetime 0, Retrans Timer 2000 ms, one Prefix
// Information option for 2001:0:<f.Server>::/64 (A set, L clear, infinite
// lifetimes) and, if f.MTU is not 0, an MTU option.
//
// A server's h carries the origin indication of the client's mapped address
// and port, and, if the solicitation had one, an authentication indicator
// echoing its nonce (and client identifier) with confirmation 0 (RFC 4380
// §5.3.2):
//
//	rs, _ := teredo.ParseRouterSolicitation(&p)
//	h := &teredo.Header{Origin: from}
//	h.Auth, h.HasAuth = p.Auth()
//	h.Auth.Value, h.Auth.Confirmation = nil, 0
//	b, err := teredo.AppendRouterAdvertisement(b, h, &teredo.RAFields{Server: primary, Dst: rs.Src})
//
// Nothing here is required of h: a test can build an advertisement that a
// client must refuse. It returns b unchanged and [ErrNotIPv4] if f.Server is
// not an IPv4 address, [ErrNotLinkLocal] if f.Src or f.Dst is not link-local,
// or the errors of Header.AppendTo; a nil f counts as the zero RAFields. It
// does not allocate if b has h.Len()+96 bytes of spare capacity.
func AppendRouterAdvertisement(b []byte, h *Header, f *RAFields) ([]byte, error) {
	if f == nil {
		f = &RAFields{}
	}
	if !f.Server.Is4() {
		return b, ErrNotIPv4
	}
	src := f.Src
	if !src.IsValid() {
		src = addr.TeredoServerLinkLocal(netip.AddrPortFrom(f.Server, ServerPort))
	}
	if !isLinkLocal(src) || !isLinkLocal(f.Dst) {
		return b, ErrNotLinkLocal
	}
	all, err := h.AppendTo(b)
	if err != nil {
		return b, err
	}
	pi := [1]packet.PrefixInfo{{
		Prefix:            ServerPrefix(f.Server),
		Autonomous:        true,
		ValidLifetime:     infinite,
		PreferredLifetime: infinite,
	}}
	ra := packet.RAFields{RetransTimer: raRetransTimer, Prefixes: pi[:], MTU: f.MTU}
	all, err = packet.AppendRouterAdvertisement(all, src, f.Dst, &ra)
	if err != nil {
		return b, err
	}
	return all, nil
}

// ServerPrefix returns the /64 prefix a server with IPv4 address server
// advertises, 2001:0:<server>::/64 (RFC 4380 §5.3.2), or the zero Prefix if
// server is not an IPv4 address. It does not allocate.
func ServerPrefix(server netip.Addr) netip.Prefix {
	if !server.Is4() {
		return netip.Prefix{}
	}
	s := server.As4()
	return netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0, 0, s[0], s[1], s[2], s[3]}), 64)
}

// RSInfo is what a server needs from a valid Router Solicitation.
type RSInfo struct {
	// Src is the link-local source, the destination of the answer.
	Src netip.Addr
	// Cone reports the cone bit of Src (0x8000 in bits 64–79): the server
	// answers from its other IPv4 address (RFC 4380 §5.3.2).
	Cone bool
	// HasNonce reports whether the solicitation carried an authentication
	// indicator, whose nonce the answer must echo.
	HasNonce bool
	// Nonce is the nonce of the authentication indicator.
	Nonce [NonceLen]byte
}

// ParseRouterSolicitation checks that p carries a Router Solicitation a
// Teredo server must accept (RFC 4380 §5.3, case 4): an IPv6 source that is
// link-local ([ErrRSSource]), destination ff02::2 ([ErrRSDestination]), and a
// valid ICMPv6 Router Solicitation (hop limit 255, checksum, RFC 4861
// §6.1.1; the errors of packet.ParseICMPv6 and packet.ParseRouterSolicitation
// are returned as they are). With or without an authentication indicator;
// an origin indication is ignored. Whether secure qualification is required
// and succeeds is the caller's decision (see Authenticator). A nil p counts
// as the zero Packet. It does not allocate.
func ParseRouterSolicitation(p *Packet) (RSInfo, error) {
	if p == nil {
		return RSInfo{}, ErrRSSource
	}
	ip := p.IPv6()
	src := ip.Src()
	if !isLinkLocal(src) {
		return RSInfo{}, ErrRSSource
	}
	if ip.Dst() != allRouters {
		return RSInfo{}, ErrRSDestination
	}
	m, err := packet.ParseICMPv6(ip)
	if err != nil {
		return RSInfo{}, err
	}
	if _, err := packet.ParseRouterSolicitation(m); err != nil {
		return RSInfo{}, err
	}
	rs := RSInfo{Src: src, Cone: coneBit(src)}
	rs.Nonce, rs.HasNonce = p.Nonce()
	return rs, nil
}

// Solicitation is what a client remembers of the Router Solicitation it
// sent, to validate the answer with ValidateRouterAdvertisement.
type Solicitation struct {
	// Src is the link-local source of the solicitation: the advertisement
	// must be addressed to it.
	Src netip.Addr
	// HasNonce says whether the solicitation carried an authentication
	// indicator; the advertisement must then echo Nonce.
	HasNonce bool
	// Nonce is the nonce of the solicitation.
	Nonce [NonceLen]byte
	// Server is the IPv4 address the advertised prefix must name: the
	// primary address of the server, also when the solicitation went to its
	// secondary address.
	Server netip.Addr
	// Sender is the IPv4 address and port the advertisement must come from:
	// the address the solicitation went to, or the server's other address
	// if the solicitation had the cone bit. The zero AddrPort skips the
	// check.
	Sender netip.AddrPort
}

// RAInfo is what a client learns from a valid Router Advertisement.
type RAInfo struct {
	// Mapped is the client's mapped IPv4 address and port, from the origin
	// indication.
	Mapped netip.AddrPort
	// Prefix is the advertised /64, 2001:0:<Server>::/64.
	Prefix netip.Prefix
	// Server is the server IPv4 address named by Prefix.
	Server netip.Addr
	// MTU is the value of the MTU option, or 0 if there is none (use
	// MinMTU, RFC 4380 §5.1.2).
	MTU uint32
	// Confirmation is the confirmation byte of the authentication
	// indicator (0 without one). Non-zero asks a client using secure
	// qualification for a new key (RFC 4380 §5.2.2); the advertisement is
	// still valid.
	Confirmation uint8
	// RouterServer is the server address and port named by the
	// advertisement's link-local source when it has the server form
	// fe80::8000:<~port>:<~ipv4>, else the zero AddrPort. It need not be
	// the address the advertisement came from: Microsoft's servers answer
	// from a sibling address.
	RouterServer netip.AddrPort
}

// Teredo returns the client's Teredo address (RFC 4380 §5.2.1 step 4):
// the advertised server, the given flags (see addr.TeredoFlagsRandom;
// RFC 5991 leaves the cone bit clear) and the mapped address and port.
func (i RAInfo) Teredo(flags uint16) addr.Teredo {
	return addr.Teredo{Server: i.Server, Flags: flags, Client: i.Mapped}
}

// ValidateRouterAdvertisement checks that p, received from from, is a
// Router Advertisement answering s, as a Teredo client must before using it
// (RFC 4380 §5.2.1; invalid ones are silently discarded). The checks, in
// order:
//
//   - from is s.Sender, if s.Sender is set ([ErrRASender]);
//   - p has an origin indication ([ErrRANoOrigin]);
//   - if s.HasNonce, p has an authentication indicator ([ErrRANoAuth]) with
//     the same nonce ([ErrRANonce]);
//   - the IPv6 destination is s.Src ([ErrRADestination]);
//   - p carries a valid RFC 4861 Router Advertisement: ICMPv6 checksum,
//     link-local source, hop limit 255, code 0, well-formed options (the
//     errors of packet.ParseICMPv6 and packet.ParseRouterAdvertisement are
//     returned as they are);
//   - exactly one Prefix Information option ([ErrRAPrefixCount]), a /64
//     ([ErrRAPrefixLen]) in 2001:0::/32 ([ErrRAPrefix]; the pre-RFC prefix
//     3ffe:831f::/32 is refused too) whose bits 32–63 are s.Server
//     ([ErrRAServer]);
//   - an MTU option, if present, in [MinMTU, MaxMTU] ([ErrRAMTU]). RFC 4861
//     §6.3.4 would only ignore such an option; Miredo refuses the
//     advertisement, and so does this function: no working server sends
//     one.
//
// The link-local source may name another server IPv4 than the one that
// sent the advertisement (Microsoft's servers do that): it is reported as
// RAInfo.RouterServer and not checked. A non-zero confirmation byte is
// reported, not refused. A nil p or s counts as the zero Packet or
// Solicitation. It does not allocate.
func ValidateRouterAdvertisement(p *Packet, from netip.AddrPort, s *Solicitation) (RAInfo, error) {
	var zeroPacket Packet
	var zeroSol Solicitation
	if p == nil {
		p = &zeroPacket
	}
	if s == nil {
		s = &zeroSol
	}
	if s.Sender.IsValid() && netip.AddrPortFrom(from.Addr().Unmap(), from.Port()) != s.Sender {
		return RAInfo{}, ErrRASender
	}
	mapped, ok := p.Origin()
	if !ok {
		return RAInfo{}, ErrRANoOrigin
	}
	var info RAInfo
	if a, ok := p.Auth(); ok {
		info.Confirmation = a.Confirmation
		if s.HasNonce && a.Nonce != s.Nonce {
			return RAInfo{}, ErrRANonce
		}
	} else if s.HasNonce {
		return RAInfo{}, ErrRANoAuth
	}
	ip := p.IPv6()
	if ip.Dst() != s.Src.WithZone("") {
		return RAInfo{}, ErrRADestination
	}
	m, err := packet.ParseICMPv6(ip)
	if err != nil {
		return RAInfo{}, err
	}
	ra, err := packet.ParseRouterAdvertisement(m)
	if err != nil {
		return RAInfo{}, err
	}
	pi, n := ra.PrefixInfo()
	if n != 1 {
		return RAInfo{}, ErrRAPrefixCount
	}
	if pi.Prefix.Bits() != 64 {
		return RAInfo{}, ErrRAPrefixLen
	}
	pb := pi.Prefix.Addr().As16()
	if pb[0] != 0x20 || pb[1] != 0x01 || pb[2] != 0 || pb[3] != 0 {
		return RAInfo{}, ErrRAPrefix
	}
	server := netip.AddrFrom4([4]byte(pb[4:8]))
	if server != s.Server {
		return RAInfo{}, ErrRAServer
	}
	if mtu, ok := ra.MTU(); ok {
		if mtu < MinMTU || mtu > MaxMTU {
			return RAInfo{}, ErrRAMTU
		}
		info.MTU = mtu
	}
	info.Mapped, info.Prefix, info.Server = mapped, pi.Prefix, server
	info.RouterServer, _ = addr.DecodeTeredoServerLinkLocal(ip.Src())
	return info, nil
}
