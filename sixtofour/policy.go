package sixtofour

// The security checks of each mechanism and its next-hop selection.
//
// 6to4 (RFC 3056 §5.3, §8; RFC 3964 §5) and 6rd (RFC 5969 §4, §12) embed
// an IPv4 address in the IPv6 address, so a decapsulator can check that the
// outer addresses agree with the inner ones; packets with native IPv6
// sources can only come from relays and cannot be checked that way. ISATAP
// (RFC 5214 §7.3) accepts packets from its potential routers, and from
// anyone whose ISATAP source address embeds the outer source under an
// on-link prefix. A configured tunnel (RFC 4213 §3.6) accepts packets from
// its remote endpoint only.

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/netip"
	"slices"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/packet"
)

// u128 is an IPv6 address or prefix as two big-endian halves.
type u128 struct{ hi, lo uint64 }

func u128Of(a netip.Addr) u128 {
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

func u128At(b []byte) u128 {
	_ = b[15]
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:16])}
}

// mask128 returns the mask of the first n bits, n in 0..128.
func mask128(n int) u128 {
	switch {
	case n <= 0:
		return u128{}
	case n < 64:
		return u128{^uint64(0) << (64 - n), 0}
	case n < 128:
		return u128{^uint64(0), ^uint64(0) << (128 - n)}
	}
	return u128{^uint64(0), ^uint64(0)}
}

// pfx is a compiled IPv6 prefix.
type pfx struct{ addr, mask u128 }

func pfxOf(p netip.Prefix) pfx {
	m := mask128(p.Bits())
	a := u128Of(p.Addr())
	return pfx{u128{a.hi & m.hi, a.lo & m.lo}, m}
}

func (p pfx) contains(a u128) bool {
	return a.hi&p.mask.hi == p.addr.hi && a.lo&p.mask.lo == p.addr.lo
}

// Address classes of inner addresses (RFC 4291 §2.4, §2.5.5, §2.7).
func (a u128) isCompatOrMapped() bool { return a.hi == 0 && (a.lo>>32 == 0 || a.lo>>32 == 0xffff) }
func (a u128) isMulticast() bool      { return a.hi>>56 == 0xff }
func (a u128) mcastScope() int        { return int(a.hi >> 48 & 0xf) }
func (a u128) isLinkLocal() bool      { return a.hi>>54 == 0xfe80>>6 }
func (a u128) inGlobalUnicast() bool  { return a.hi>>61 == 1 } // 2000::/3

// isUnicastV4 reports whether v4 can be a unicast tunnel endpoint at all:
// not 0.0.0.0/8, 127.0.0.0/8, multicast 224.0.0.0/4 or reserved and
// broadcast 240.0.0.0/4. It is the check 6rd and ISATAP apply, since their
// domains are often private address space.
func isUnicastV4(v4 uint32) bool {
	switch v4 >> 24 {
	case 0, 127:
		return false
	}
	return v4 < 0xe0000000
}

func v4Addr(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func v4U32(a netip.Addr) uint32 {
	if !a.Is4() {
		return 0
	}
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

// Policy is the compiled security policy and next-hop table of one tunnel:
// the checks a decapsulated packet must pass (CheckInbound) and the choice
// of the outer destination for a packet to send (NextHop). It comes from
// NewPolicy; it is immutable and safe for concurrent use.
type Policy struct {
	mech    Mechanism
	relay   bool
	local   uint32
	site    uint32 // IPv4 in this node's 6to4/6rd prefix
	remote  uint32
	addr6   netip.Addr
	prefix  netip.Prefix
	own     pfx    // this node's 6to4 /48 or 6rd delegated prefix
	site48  uint64 // 6to4: the upper 48 bits of this site's prefix; others: ^0, which no 48 bits equal
	cls     *addr.Classifier
	extraV4 []v4Prefix // TreatAsGlobal's IPv4 prefixes, checked before cls
	// wire holds what Decapsulate's common case compares, in the order
	// of the bytes on the wire: as binary.LittleEndian loads them, so
	// that header words need no byte swap. site48 is this site's
	// 2002:site (6to4; ^0 otherwise, which no 48 bits equal); extra are
	// the first four of extraV4 (unused entries match nothing).
	wire struct {
		local  uint32
		site48 uint64
		extra  [4]v4Prefix
	}

	// 6to4 and 6rd: the domain prefix (2002::/16 for 6to4), the number of
	// embedded IPv4 bits k and where they start, and the IPv4 bits common
	// to the domain.
	domain    pfx
	domainLen int
	k         uint
	common    uint32
	outRelay  uint32 // 6to4 relay or first BR; 0: none
	allowed   []uint32
	anyRelay  bool
	prl       []uint32
	onLink    []uint64 // high halves of on-link ISATAP /64s
	innerSrcs []pfx
}

// plainOctet lists the first octets of the IPv4 addresses that the IANA
// registry makes global unicast as a whole: no special-purpose range lies
// in their /8. It lets the per-packet check skip the classifier for the
// common case; TestPlainOctets proves every such /8 global under package
// addr's classifier, /24 by /24.
var plainOctet = func() (t [256]bool) {
	for o := range 224 {
		t[o] = true
	}
	for _, o := range []int{0, 10, 100, 127, 169, 172, 192, 198, 203} {
		t[o] = false
	}
	return t
}()

// v4Prefix is a compiled IPv4 prefix.
type v4Prefix struct{ addr, mask uint32 }

// v4Usable is the IPv4 address check of the mechanism: global for 6to4 (the
// classifier, widened by TreatAsGlobal), unicast for the others. The
// TreatAsGlobal prefixes are tried first so that a lab's documentation
// addresses do not take the classifier's slow path on every packet.
func (p *Policy) v4Usable(v4 uint32) bool {
	if p.mech != SixToFour {
		return isUnicastV4(v4)
	}
	return plainOctet[v4>>24] || p.v4Global(v4)
}

// v4Global is v4Usable's slow path for 6to4.
func (p *Policy) v4Global(v4 uint32) bool {
	return p.extraGlobal(v4) || p.cls.IsGlobalIPv4(v4Addr(v4))
}

var linkLocal64 = pfxOf(netip.MustParsePrefix("fe80::/64"))

// NewPolicy compiles the address and check fields of cfg (see Config). It
// returns an error wrapping [ErrInvalidConfig] naming the first field that
// is missing or unusable: Local must be a unicast IPv4 address; for 6to4 the
// site IPv4 address must be global under TreatAsGlobal (RFC 3056 §2); 6rd
// needs a valid domain (addr.SixRD.Validate, DHCP policy); 6in4 needs
// Remote; ISATAP on-link prefixes must be /64s. NewPolicy allocates; the
// checks do not.
func NewPolicy(cfg *Config) (*Policy, error) {
	bad := func(format string, a ...any) (*Policy, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, a...)...)
	}
	if !cfg.Local.Is4() || !isUnicastV4(v4U32(cfg.Local)) {
		return bad("local address %v is not a unicast IPv4 address", cfg.Local)
	}
	p := &Policy{
		mech:     cfg.Mechanism,
		relay:    cfg.Relay,
		local:    v4U32(cfg.Local),
		anyRelay: cfg.AnyRelay,
		cls:      addr.NewClassifier(cfg.TreatAsGlobal...),
		site48:   ^uint64(0),
	}
	p.wire.local = bits.ReverseBytes32(p.local) // as binary.LittleEndian reads the address on the wire
	p.wire.site48 = ^uint64(0)
	for i := range p.wire.extra {
		p.wire.extra[i] = v4Prefix{addr: 1} // mask 0: v4&0 is never 1
	}
	for _, g := range cfg.TreatAsGlobal {
		if a := g.Addr(); g.IsValid() && (a.Is4() || (a.Is4In6() && g.Bits() >= 96)) {
			bits := g.Bits()
			if a.Is4In6() {
				bits -= 96
			}
			m := ^uint32(0) << (32 - bits)
			if bits == 0 {
				m = 0
			}
			p.extraV4 = append(p.extraV4, v4Prefix{v4U32(a.Unmap()) & m, m})
		}
	}
	for i, e := range p.extraV4[:min(len(p.extraV4), len(p.wire.extra))] {
		p.wire.extra[i] = v4Prefix{bits.ReverseBytes32(e.addr), bits.ReverseBytes32(e.mask)}
	}
	p.site = p.local
	if cfg.SiteIPv4.IsValid() {
		if !cfg.SiteIPv4.Is4() {
			return bad("site address %v is not IPv4", cfg.SiteIPv4)
		}
		p.site = v4U32(cfg.SiteIPv4)
	}
	for _, r := range cfg.AllowedRelays {
		if !r.Is4() {
			return bad("allowed relay %v is not IPv4", r)
		}
		p.allowed = append(p.allowed, v4U32(r))
	}
	switch cfg.Mechanism {
	case SixToFour:
		if !p.cls.IsGlobalIPv4(v4Addr(p.site)) {
			return bad("6to4 site address %v is not a global IPv4 address (RFC 3056 §2; see TreatAsGlobal)", v4Addr(p.site))
		}
		if err := p.setDomain(addr.SixToFourAsSixRD); err != nil {
			return nil, err
		}
		p.site48 = 0x2002<<32 | uint64(p.site)
		p.wire.site48 = bits.ReverseBytes64(p.site48 << 16)
		if r := cfg.SixToFourRelay; r.IsValid() {
			if !r.Is4() {
				return bad("6to4 relay %v is not IPv4", r)
			}
			p.outRelay = v4U32(r)
			p.allowed = append(p.allowed, p.outRelay)
		}
		p.addr6 = p.prefix.Addr().Next()
	case SixRD:
		if err := cfg.SixRD.Validate(addr.SixRDPolicyDHCP); err != nil {
			return bad("6rd domain: %v", err)
		}
		if err := p.setDomain(cfg.SixRD); err != nil {
			return nil, err
		}
		for i, br := range cfg.SixRD.BorderRelays {
			if i == 0 {
				p.outRelay = v4U32(br)
			}
			p.allowed = append(p.allowed, v4U32(br))
		}
		p.addr6 = p.prefix.Addr()
		if p.prefix.Bits() < 128 {
			p.addr6 = p.addr6.Next()
		}
	case ISATAP:
		for _, r := range cfg.PRL {
			if !r.Is4() || v4U32(r) == 0 {
				return bad("PRL entry %v is not a usable IPv4 address", r)
			}
			p.prl = append(p.prl, v4U32(r))
		}
		p.onLink = append(p.onLink, linkLocal64.addr.hi)
		p.prefix = netip.MustParsePrefix("fe80::/64")
		for i, o := range cfg.OnLink {
			if !o.IsValid() || !o.Addr().Is6() || o.Bits() != 64 {
				return bad("ISATAP on-link prefix %v is not an IPv6 /64", o)
			}
			o = o.Masked()
			if i == 0 {
				p.prefix = o
			}
			p.onLink = append(p.onLink, u128Of(o.Addr()).hi)
		}
		a, err := p.cls.ISATAPAddr(p.prefix, cfg.Local)
		if err != nil {
			return bad("ISATAP address: %v", err)
		}
		p.addr6 = a
	case SixInFour:
		if !cfg.Remote.Is4() || !isUnicastV4(v4U32(cfg.Remote)) {
			return bad("6in4 remote %v is not a unicast IPv4 address", cfg.Remote)
		}
		p.remote = v4U32(cfg.Remote)
		for _, s := range cfg.InnerSources {
			if !s.IsValid() || !s.Addr().Is6() {
				return bad("inner source prefix %v is not IPv6", s)
			}
			p.innerSrcs = append(p.innerSrcs, pfxOf(s))
		}
		l := cfg.Local.As4()
		p.addr6 = netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 12: l[0], 13: l[1], 14: l[2], 15: l[3]})
	default:
		return bad("unknown mechanism %v", cfg.Mechanism)
	}
	if cfg.Addr.IsValid() {
		if !cfg.Addr.Is6() || cfg.Addr.Is4In6() {
			return bad("tunnel address %v is not IPv6", cfg.Addr)
		}
		p.addr6 = cfg.Addr
	}
	return p, nil
}

// setDomain compiles a 6to4 or 6rd domain and this node's prefix in it.
func (p *Policy) setDomain(d addr.SixRD) error {
	own, err := d.DelegatedPrefix(v4Addr(p.site))
	if err != nil {
		return fmt.Errorf("%w: delegated prefix: %v", ErrInvalidConfig, err)
	}
	p.prefix = own
	p.own = pfxOf(own)
	p.domain = pfxOf(d.Prefix)
	p.domainLen = d.Prefix.Bits()
	p.k = uint(32 - d.IPv4MaskLen)
	p.common = p.site &^ uint32(uint64(1)<<p.k-1)
	return nil
}

// embedded returns the IPv4 address that a (inside the domain) maps to:
// bits [n, n+k) of a below the domain's common high bits (RFC 5969 §4;
// for 6to4, bytes 2-5).
func (p *Policy) embedded(a u128) uint32 {
	s := uint(128 - p.domainLen - int(p.k)) // right shift that brings the bits down
	var v uint64
	if s >= 64 {
		v = a.hi >> (s - 64)
	} else {
		v = a.lo>>s | a.hi<<(64-s)
	}
	return p.common | uint32(v&(uint64(1)<<p.k-1))
}

// Mechanism returns the tunnel's mechanism.
func (p *Policy) Mechanism() Mechanism { return p.mech }

// Local returns the local IPv4 address.
func (p *Policy) Local() netip.Addr { return v4Addr(p.local) }

// Addr returns this node's IPv6 address on the tunnel (Config.Addr or its
// default).
func (p *Policy) Addr() netip.Addr { return p.addr6 }

// Prefix returns this node's prefix: the 6to4 site /48 (RFC 3056 §2), the
// 6rd delegated prefix (RFC 5969 §4), the first ISATAP on-link /64 (or
// fe80::/64); the zero Prefix for 6in4.
func (p *Policy) Prefix() netip.Prefix { return p.prefix }

func (p *Policy) isAllowedRelay(v4 uint32) bool {
	return p.anyRelay || slices.Contains(p.allowed, v4)
}

// checkSrc and checkDst apply the address-class checks common to every
// mechanism; autoTunnel adds 6to4 and 6rd's lack of link-local scope.
func (p *Policy) checkSrc(s u128) error {
	if s.isCompatOrMapped() || s.isMulticast() || (p.autoTunnel() && s.isLinkLocal()) {
		return ErrBadInnerSource
	}
	return nil
}

func (p *Policy) checkDst(d u128) error {
	if d.isCompatOrMapped() {
		return ErrBadInnerDestination
	}
	if d.isMulticast() {
		scope := d.mcastScope()
		if scope <= 1 || (p.autoTunnel() && scope <= 2) {
			return ErrBadInnerDestination
		}
	}
	if p.autoTunnel() && d.isLinkLocal() {
		return ErrBadInnerDestination
	}
	return nil
}

func (p *Policy) autoTunnel() bool { return p.mech == SixToFour || p.mech == SixRD }

// CheckInbound applies the tunnel's receive checks to a decapsulated packet:
// outer and inner as Decapsulate returns them (only the addresses and the
// inner 40-byte header are read). It returns nil if the packet may be
// delivered, else the reason:
//
//   - every mechanism: outer destination not Local ([ErrNoTunnel]); inner
//     source or destination of a class no tunnel carries
//     ([ErrBadInnerSource], [ErrBadInnerDestination]);
//   - 6to4 and 6rd (RFC 3964 §5.1, RFC 5969 §12, the notes' §2.4): outer
//     source not usable ([ErrNonGlobalAddress]: global for 6to4, unicast
//     for 6rd); inner source in the domain embedding another IPv4 than the
//     outer source ([ErrSpoofedSource]); native inner source from an
//     outer source that is not an allowed relay or border relay
//     ([ErrRelayNotAllowed]), or, for 6to4, not public
//     ([ErrNonGlobalAddress]); inner destination in the domain embedding
//     another IPv4 than the outer destination and outside this node's
//     prefix ([ErrSpoofedDestination]), or embedding a non-global IPv4
//     (6to4, [ErrNonGlobalAddress]); inner destination outside this
//     node's prefix on a non-relay ([ErrNotLocalDestination]), or not
//     public on a 6to4 relay ([ErrNonGlobalAddress]);
//   - ISATAP (RFC 5214 §7.3, Linux isatap_chksrc): unless the outer source
//     is in the PRL, the inner source must be an ISATAP address
//     ([ErrNotInPRL]) embedding the outer source
//     ([ErrISATAPSourceMismatch]) under an on-link prefix
//     ([ErrPrefixNotOnLink]); a host accepts only destinations under its
//     on-link prefixes or multicast ([ErrNotLocalDestination]);
//   - 6in4 (RFC 4213 §3.6): outer source not Remote ([ErrNotFromRemote]);
//     inner source outside InnerSources, if set, and not link-local
//     ([ErrInnerSourceFiltered]).
//
// It returns [ErrInnerTruncated] if inner is shorter than 40 bytes and
// [ErrNonGlobalAddress] for the zero Outer. It does not allocate.
func (p *Policy) CheckInbound(outer Outer, inner []byte) error {
	h := outer.hdr()
	if h == nil {
		return ErrNonGlobalAddress
	}
	if len(inner) < packet.IPv6HeaderLen {
		return ErrInnerTruncated
	}
	_, err := p.checkInbound(binary.BigEndian.Uint32(h[12:16]), binary.BigEndian.Uint32(h[16:20]), inner)
	return err
}

// CheckInboundAddrs is CheckInbound for a caller that has the outer
// addresses rather than an Outer from Decapsulate. It returns
// [ErrNonGlobalAddress] if either is not an IPv4 address. It does not
// allocate.
func (p *Policy) CheckInboundAddrs(outerSrc, outerDst netip.Addr, inner []byte) error {
	if !outerSrc.Is4() || !outerDst.Is4() {
		return ErrNonGlobalAddress
	}
	if len(inner) < packet.IPv6HeaderLen {
		return ErrInnerTruncated
	}
	_, err := p.checkInbound(v4U32(outerSrc), v4U32(outerDst), inner)
	return err
}

// checkInbound is CheckInbound on raw values; inner has 40 bytes. It also
// reports whether the packet came through a relay: a native source on 6to4
// or 6rd, an outer source in the ISATAP PRL.
func (p *Policy) checkInbound(osrc, odst uint32, inner []byte) (viaRelay bool, err error) {
	// The common 6to4 case first: between two sites on ordinary global
	// addresses, the inner source embedding the outer source, for this
	// site's /48. Every check below passes for it: the outer addresses
	// are this node's and global, both inner addresses lie in 2000::/3,
	// and the destination is in this site's prefix.
	// (site48 matches nothing on other mechanisms.)
	if odst == p.local && binary.BigEndian.Uint64(inner[24:32])>>16 == p.site48 &&
		binary.BigEndian.Uint64(inner[8:16])>>16 == 0x2002<<32|uint64(osrc) &&
		(plainOctet[osrc>>24] || p.extraGlobal(osrc) || p.cls.IsGlobalIPv4(v4Addr(osrc))) {
		return false, nil
	}
	if odst != p.local {
		return false, ErrNoTunnel
	}
	s, d := u128At(inner[8:24]), u128At(inner[24:40])
	if p.mech == SixInFour {
		if osrc != p.remote {
			return false, ErrNotFromRemote
		}
	} else if !p.v4Usable(osrc) {
		return false, ErrNonGlobalAddress
	}
	if !s.inGlobalUnicast() || !d.inGlobalUnicast() { // else no class check can fail
		if err := p.checkSrc(s); err != nil {
			return false, err
		}
		if err := p.checkDst(d); err != nil {
			return false, err
		}
	}
	switch p.mech {
	case SixToFour, SixRD:
		return p.checkAuto(osrc, odst, s, d, inner)
	case ISATAP:
		return p.checkISATAP(osrc, s, d)
	}
	// SixInFour
	if len(p.innerSrcs) > 0 && !s.isLinkLocal() {
		for i := range p.innerSrcs {
			if p.innerSrcs[i].contains(s) {
				return false, nil
			}
		}
		return false, ErrInnerSourceFiltered
	}
	return false, nil
}

// checkAuto is the 6to4 / 6rd part of checkInbound.
func (p *Policy) checkAuto(osrc, odst uint32, s, d u128, inner []byte) (viaRelay bool, err error) {
	if p.domain.contains(s) {
		if p.embedded(s) != osrc {
			return false, ErrSpoofedSource
		}
	} else {
		if !p.isAllowedRelay(osrc) {
			return false, ErrRelayNotAllowed
		}
		if p.mech == SixToFour && !p.cls.IsPublic(netip.AddrFrom16([16]byte(inner[8:24]))) {
			return false, ErrNonGlobalAddress
		}
		viaRelay = true
	}
	if p.own.contains(d) {
		// The destination embeds the site address, global by
		// construction; it need not be the outer destination (Linux's
		// only_dnatted exception).
		return viaRelay, nil
	}
	if p.domain.contains(d) {
		e := p.embedded(d)
		if e != odst {
			return false, ErrSpoofedDestination
		}
		if !p.v4Usable(e) {
			return false, ErrNonGlobalAddress
		}
	}
	if !p.relay {
		return false, ErrNotLocalDestination
	}
	if p.mech == SixToFour && !p.cls.IsPublic(netip.AddrFrom16([16]byte(inner[24:40]))) {
		return false, ErrNonGlobalAddress
	}
	return viaRelay, nil
}

// isISATAP reports whether a has an ISATAP interface identifier as Linux
// recognises it (ipv6_addr_is_isatap: 0000:5efe or 0200:5efe) and returns
// the embedded IPv4 address.
func isISATAP(a u128) (uint32, bool) {
	return uint32(a.lo), a.lo>>32&^0x02000000 == 0x00005efe
}

func (p *Policy) onLinkISATAP(a u128) bool {
	return slices.Contains(p.onLink, a.hi)
}

// checkISATAP is the ISATAP part of checkInbound.
func (p *Policy) checkISATAP(osrc uint32, s, d u128) (viaRelay bool, err error) {
	viaRelay = slices.Contains(p.prl, osrc)
	if !viaRelay {
		v4, ok := isISATAP(s)
		switch {
		case !ok:
			return false, ErrNotInPRL
		case v4 != osrc:
			return false, ErrISATAPSourceMismatch
		case !p.onLinkISATAP(s):
			return false, ErrPrefixNotOnLink
		}
	}
	if !p.relay && !d.isMulticast() && !p.onLinkISATAP(d) {
		return false, ErrNotLocalDestination
	}
	return viaRelay, nil
}

// NextHop returns the outer destination for the IPv6 packet inner (only its
// 40-byte header is read) and whether it is a relay rather than the
// destination's own tunnel endpoint:
//
//   - 6to4 (RFC 3056 §5.3): the IPv4 address embedded in a 2002::/16
//     destination, which must be global ([ErrNonGlobalAddress]); else the
//     configured relay ([ErrNoRoute] without one, or on a relay);
//   - 6rd (RFC 5969 §4, §8): the CE address mapped from a destination in
//     the 6rd domain (CE to CE directly); else the first border relay
//     ([ErrNoRoute] without one, or on a border relay);
//   - ISATAP (RFC 5214 §8.1): the IPv4 address in an ISATAP destination
//     under an on-link prefix; else the first PRL entry, the default
//     router ([ErrNoRoute] on a router or with an empty PRL);
//   - 6in4: Remote.
//
// Before that it refuses destinations and sources of classes no tunnel
// carries ([ErrBadInnerDestination], [ErrBadInnerSource]), and on 6to4 and
// 6rd a source inside the domain but outside this node's prefix
// ([ErrSpoofedSource], an egress filter). A next hop equal to Local gives
// [ErrRoutingLoop]. It returns [ErrInnerTruncated] if inner is shorter
// than 40 bytes. It does not allocate.
func (p *Policy) NextHop(inner []byte) (nextHop netip.Addr, viaRelay bool, err error) {
	if len(inner) < packet.IPv6HeaderLen {
		return netip.Addr{}, false, ErrInnerTruncated
	}
	v4, relay, err := p.nextHop(inner)
	if err != nil {
		return netip.Addr{}, false, err
	}
	return v4Addr(v4), relay, nil
}

// nextHop is NextHop on raw values; inner has 40 bytes.
func (p *Policy) nextHop(inner []byte) (v4 uint32, viaRelay bool, err error) {
	s, d := u128At(inner[8:24]), u128At(inner[24:40])
	if err := p.checkDst(d); err != nil {
		return 0, false, err
	}
	if err := p.checkSrc(s); err != nil {
		return 0, false, err
	}
	switch p.mech {
	case SixToFour, SixRD:
		if p.domain.contains(s) && !p.own.contains(s) {
			return 0, false, ErrSpoofedSource
		}
		if p.domain.contains(d) {
			v4 = p.embedded(d)
			if !p.v4Usable(v4) {
				return 0, false, ErrNonGlobalAddress
			}
			break
		}
		if p.relay || p.outRelay == 0 {
			return 0, false, ErrNoRoute
		}
		v4, viaRelay = p.outRelay, true
	case ISATAP:
		if e, ok := isISATAP(d); ok && p.onLinkISATAP(d) {
			if !isUnicastV4(e) {
				return 0, false, ErrNonGlobalAddress
			}
			v4 = e
			break
		}
		if p.relay || len(p.prl) == 0 {
			return 0, false, ErrNoRoute
		}
		v4, viaRelay = p.prl[0], true
	default:
		v4 = p.remote
	}
	if v4 == p.local {
		return 0, false, ErrRoutingLoop
	}
	return v4, viaRelay, nil
}

// viaRelay reports whether a packet checkInbound accepted from osrc came
// through a relay, as checkInbound reports it: a native inner source on
// 6to4 or 6rd, an outer source in the ISATAP PRL.
func (p *Policy) viaRelay(osrc uint32, inner []byte) bool {
	switch p.mech {
	case SixToFour, SixRD:
		return !p.domain.contains(u128At(inner[8:24]))
	case ISATAP:
		return slices.Contains(p.prl, osrc)
	}
	return false
}
