package bench

// 6to4 decapsulation with policy, and encapsulation in place (issue 3).
//
// The decapsulators take a protocol-41 packet and return the inner IPv6
// packet as a sub-slice of it: b[IHL·4 : IHL·4+40+Payload Length]. That
// slice is the common output, the one sixtofour.Decapsulate returns, so the
// tests can hold every adapter to the same offsets and bytes. transit6's
// adapters add the 6to4 policy (every check of
// sixtofour.Policy.CheckInbound) to the decapsulation: in one call
// (Policy.Decapsulate), in two (Decapsulate, then CheckInbound) and in the
// router (Router.Inbound); the peers and the hand-written limit make the
// wire checks only (see Decappers for what they leave out).
//
// The encapsulators take an IPv6 packet at buf[off:] and write the 20-byte
// protocol-41 header into buf[off-20:off], returning buf[off-20 : off+40+
// Payload Length], as sixtofour.Encapsulate does.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/google/gopacket/layers"
	"github.com/transit6/transit6/packet"
	"github.com/transit6/transit6/sixtofour"
	"golang.org/x/net/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// Addresses of the 6to4 input: site A (192.0.2.1, 2002:c000:201::/48,
// outerSrc and innerSrc of inputs.go) sends to site B (198.51.100.2,
// 2002:c633:6402::/48), whose tunnel decapsulates.
var (
	sixtofourDst = netip.MustParseAddr("2002:c633:6402::1")

	// sixtofourGlobal is what sixtofour's own tests pass as
	// Config.TreatAsGlobal: the three IPv4 documentation /24s (RFC 5737)
	// and the IPv6 documentation /32 (RFC 3849), which the strict
	// classifier would otherwise refuse as outer addresses.
	sixtofourGlobal = []netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/24"),
		netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"),
		netip.MustParsePrefix("2001:db8::/32"),
	}

	// sixtofourNow is the clock reading handed to Router.Inbound.
	sixtofourNow = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
)

// sixtofourID is the outer Identification of the inputs and of every
// encapsulator (DF is set, so any value will do: RFC 6864 §4.1).
const sixtofourID = 0x1234

// Errors of the hand-written and gVisor encapsulators (the others are in
// decoded.go).
var (
	errNoHeadroom = errors.New("bench: not enough headroom")
	errTooLong    = errors.New("bench: inner packet too long for IPv4")
)

// SixtofourConfig is the 6to4 tunnel of site B, the decapsulating end:
// Local 198.51.100.2, the documentation prefixes treated as global.
func SixtofourConfig() sixtofour.Config {
	return sixtofour.Config{
		Mechanism:     sixtofour.SixToFour,
		Local:         outerDst,
		TreatAsGlobal: sixtofourGlobal,
	}
}

// New6to4 builds a 6to4 packet of total length size with packet's
// builders: IPv4 (DF, TTL 64, ID 0x1234, protocol 41, valid checksum) from
// 192.0.2.1 to 198.51.100.2 carrying IPv6 (hop limit 63) from
// 2002:c000:201::1 to 2002:c633:6402::1 carrying UDP (valid checksum) and
// a payload. Want holds the fields it was built from.
func New6to4(size int) (Input, error) {
	const off = packet.IPv4HeaderLen + packet.IPv6HeaderLen + packet.UDPHeaderLen
	if size < off {
		return Input{}, fmt.Errorf("bench: 6to4 input of %d bytes: at least %d", size, off)
	}
	buf := make([]byte, size)
	fillPayload(buf[off:])
	inner := buf[packet.IPv4HeaderLen:]
	if _, err := packet.PrependUDP6(inner, packet.IPv6HeaderLen+packet.UDPHeaderLen,
		packet.UDPHeader{SrcPort: innerSrcPort, DstPort: innerDstPort}, innerSrc, sixtofourDst); err != nil {
		return Input{}, err
	}
	h6 := packet.IPv6Header{NextHeader: packet.ProtoUDP, HopLimit: innerHopLimit, Src: innerSrc, Dst: sixtofourDst}
	if _, err := packet.PrependIPv6(inner, packet.IPv6HeaderLen, &h6); err != nil {
		return Input{}, err
	}
	h4 := packet.IPv4Header{ID: sixtofourID, DontFragment: true, TTL: outerTTL, Protocol: packet.ProtoIPv6,
		Src: outerSrc, Dst: outerDst}
	pkt, err := packet.PrependIPv4(buf, packet.IPv4HeaderLen, &h4)
	if err != nil {
		return Input{}, err
	}
	return Input{Size: size, Pkt: pkt, Want: Decoded{
		OuterSrc: outerSrc.As4(), OuterDst: outerDst.As4(), TotalLen: uint16(size), Protocol: 41, TTL: outerTTL,
		InnerSrc: innerSrc.As16(), InnerDst: sixtofourDst.As16(), PayloadLen: uint16(size - 60), NextHeader: 17,
		HopLimit: innerHopLimit,
	}}, nil
}

// Decapper is one 6to4 decapsulator under comparison.
type Decapper struct {
	Name string
	// Policy reports whether Decap applies the 6to4 policy checks
	// (sixtofour.Policy.CheckInbound) on top of the wire checks.
	Policy bool
	// Decap validates the protocol-41 packet pkt and returns the inner
	// IPv6 packet, pkt[IHL·4 : IHL·4+40+Payload Length].
	Decap func(pkt []byte) ([]byte, error)
}

// Decappers returns every decapsulator, transit6's first, each with fresh
// state (the DecodingLayerParser's layers, the router's counters).
//
// The wire checks every one makes: outer version 4, IHL ≥ 5, IHL·4 ≤ Total
// Length ≤ len(pkt), header checksum, not a fragment, protocol 41; at least
// 40 inner bytes, inner version 6, 40 + Payload Length within the outer
// payload. What only transit6 checks: the 6to4 policy of RFC 3056 §5.3 and
// RFC 3964 §5 (outer destination is Local; outer source global; an inner
// 2002:: source embedding the outer source; the inner destination in the
// site's /48 or embedding the outer destination; native sources only from
// allowed relays; inner address classes), the RFC 6040 decapsulation of ECN
// (outer CE over inner Not-ECT is dropped, an inner ECN field may be
// rewritten in place) and the refusal of RFC 2675 jumbograms (gopacket
// refuses them too).
func Decappers() ([]Decapper, error) {
	cfg := SixtofourConfig()
	pol, err := sixtofour.NewPolicy(&cfg)
	if err != nil {
		return nil, err
	}
	r, err := sixtofour.NewRouter(cfg)
	if err != nil {
		return nil, err
	}
	g := newGopacketDLP()
	return []Decapper{
		{Name: "sixtofour", Policy: true, Decap: func(pkt []byte) ([]byte, error) {
			return decapSixtofour(pol, pkt)
		}},
		{Name: "sixtofour-2step", Policy: true, Decap: func(pkt []byte) ([]byte, error) {
			return decapSixtofour2Step(pol, pkt)
		}},
		{Name: "sixtofour-router", Policy: true, Decap: func(pkt []byte) ([]byte, error) {
			return decapRouter(r, pkt)
		}},
		{Name: "gvisor", Decap: decapGvisor6to4},
		{Name: "gopacket-dlp", Decap: g.decap6to4},
		{Name: "xnet", Decap: decapXnet6to4},
		{Name: "hand", Decap: decapHand6to4},
	}, nil
}

// decapSixtofour is the codec and the policy in one call,
// sixtofour.Policy.Decapsulate: the wire checks, RFC 6040 and every check
// of Policy.CheckInbound.
func decapSixtofour(pol *sixtofour.Policy, pkt []byte) ([]byte, error) {
	inner, _, err := pol.Decapsulate(pkt, sixtofour.DecapRFC6040)
	return inner, err
}

// decapSixtofour2Step is the same in two calls, as a 6to4 site that keeps
// the codec and the policy apart calls them: sixtofour.Decapsulate (the
// wire checks and RFC 6040), then Policy.CheckInbound.
func decapSixtofour2Step(pol *sixtofour.Policy, pkt []byte) ([]byte, error) {
	inner, outer, err := sixtofour.Decapsulate(pkt, sixtofour.DecapRFC6040)
	if err != nil {
		return nil, err
	}
	if err := pol.CheckInbound(outer, inner); err != nil {
		return nil, err
	}
	return inner, nil
}

// decapRouter is the router engine's receive path, Router.Inbound: the
// same checks in another order, plus the per-reason counters (an atomic
// add per packet) and the dispatch of ICMPv4 and fragments.
func decapRouter(r *sixtofour.Router, pkt []byte) ([]byte, error) {
	res := r.Inbound(sixtofourNow, pkt)
	if res.Action() != sixtofour.ActionToHost {
		if err := res.Err(); err != nil {
			return nil, err
		}
		return nil, errNotDecoded
	}
	return res.Packet, nil
}

// decapGvisor6to4 is decodeGvisor6in4 without the stores into Decoded:
// header.IPv4.IsValid, IsChecksumValid, More/FragmentOffset, Protocol,
// Payload, header.IPv6.IsValid, PayloadLength.
func decapGvisor6to4(pkt []byte) ([]byte, error) {
	h := header.IPv4(pkt)
	if !h.IsValid(len(pkt)) {
		return nil, errTruncated
	}
	if !h.IsChecksumValid() {
		return nil, errChecksum
	}
	if h.More() || h.FragmentOffset() != 0 {
		return nil, errFragment
	}
	if h.Protocol() != protoIPv6 {
		return nil, errProtocol
	}
	p := h.Payload()
	h6 := header.IPv6(p)
	if !h6.IsValid(len(p)) {
		return nil, errTruncated
	}
	return p[:header.IPv6MinimumSize+int(h6.PayloadLength())], nil
}

// decap6to4 is gopacketDLP.decode6in4 without the stores into Decoded: the
// preallocated parser decodes the IPv4 layer, layers.IPv6.DecodeFromBytes
// the inner header, and the adapter makes the checks gopacket leaves to
// its caller (version, checksum with headerValid, fragment, protocol).
func (g *gopacketDLP) decap6to4(pkt []byte) ([]byte, error) {
	p := g.p6in4
	if err := p.DecodeLayers(pkt, &g.decoded); err != nil {
		return nil, err
	}
	if !sameLayers(g.decoded, g.expect4) {
		return nil, errNotDecoded
	}
	ip4, ip6 := &g.ip4, &g.ip6
	if err := ip6.DecodeFromBytes(ip4.Payload, p); err != nil {
		return nil, err
	}
	if p.Truncated {
		return nil, errTruncated
	}
	if ip4.Version != 4 || ip6.Version != 6 {
		return nil, errVersion
	}
	if !headerValid(ip4.Contents) {
		return nil, errChecksum
	}
	if ip4.Flags&layers.IPv4MoreFragments != 0 || ip4.FragOffset != 0 {
		return nil, errFragment
	}
	if ip4.Protocol != layers.IPProtocolIPv6 {
		return nil, errProtocol
	}
	n := ipv6HdrLen + int(ip6.Length)
	if n > len(ip4.Payload) {
		return nil, errTruncated
	}
	return ip4.Payload[:n], nil
}

// decapXnet6to4 is decodeXnet6in4 returning the inner slice:
// ipv4.ParseHeader with the checks of xnetIPv4, then ipv6.ParseHeader and
// the version and Payload Length checks. Both parsers allocate.
func decapXnet6to4(pkt []byte) ([]byte, error) {
	_, p, err := xnetIPv4(pkt, protoIPv6)
	if err != nil {
		return nil, err
	}
	h, err := ipv6.ParseHeader(p)
	if err != nil {
		return nil, err
	}
	if h.Version != 6 {
		return nil, errVersion
	}
	n := ipv6.HeaderLen + h.PayloadLen
	if n > len(p) {
		return nil, errTruncated
	}
	return p[:n], nil
}

// decapHand6to4 is the practical limit: the wire checks of
// sixtofour.Decapsulate in one straight-line function, the header checksum
// with headerValid (inlined), and the inner packet re-sliced. No policy, no
// ECN.
func decapHand6to4(b []byte) ([]byte, error) {
	if len(b) < ipv4MinLen {
		return nil, errTruncated
	}
	if b[0]>>4 != 4 {
		return nil, errVersion
	}
	hl := int(b[0]&0x0f) * 4
	if hl < ipv4MinLen {
		return nil, errIHL
	}
	tl := int(binary.BigEndian.Uint16(b[2:4]))
	if tl < hl {
		return nil, errTotalLen
	}
	if tl > len(b) {
		return nil, errTruncated
	}
	if !headerValid(b[:hl]) {
		return nil, errChecksum
	}
	if binary.BigEndian.Uint16(b[6:8])&(ipv4FlagMF|ipv4FragMask) != 0 {
		return nil, errFragment
	}
	if b[9] != protoIPv6 {
		return nil, errProtocol
	}
	p := b[hl:tl]
	if len(p) < ipv6HdrLen {
		return nil, errTruncated
	}
	if p[0]>>4 != 6 {
		return nil, errVersion
	}
	n := ipv6HdrLen + int(binary.BigEndian.Uint16(p[4:6]))
	if n > len(p) {
		return nil, errTruncated
	}
	return p[:n], nil
}

// Encapper is one in-place protocol-41 encapsulator under comparison.
type Encapper struct {
	Name string
	// Encap writes the outer header for the IPv6 packet at buf[off:] into
	// buf[off-20:off] and returns buf[off-20 : off+40+Payload Length].
	Encap func(buf []byte, off int) ([]byte, error)
}

// Encappers returns every encapsulator, transit6's first: sixtofour is a
// sixtofour.Template compiled once for the tunnel, sixtofour-params is
// sixtofour.Encapsulate with the Params on every packet. Each writes the
// header of the 6to4 input: 192.0.2.1 to 198.51.100.2, DF, TTL 64, ID
// 0x1234, DSCP 0 and the inner packet's ECN field copied (RFC 6040 §4.1
// normal mode, sixtofour's default). Each checks the headroom (20 bytes),
// the inner packet (40 bytes present, version 6, 40 + Payload Length within
// the buffer) and the total length (at most 65535), and does not modify
// buf when it refuses.
func Encappers() []Encapper {
	p := sixtofour.Params{OuterPolicy: sixtofour.OuterPolicy{TTL: outerTTL}, Src: outerSrc, Dst: outerDst,
		ID: sixtofourID, DF: true}
	t, _ := sixtofour.NewTemplate(&p) // cannot fail: the addresses are IPv4 (a zero Template would refuse every packet)
	return []Encapper{
		{"sixtofour", t.Encapsulate},
		{"sixtofour-params", func(buf []byte, off int) ([]byte, error) {
			return sixtofour.Encapsulate(buf, off, &p)
		}},
		{"hand", newEncapHand(outerSrc, outerDst)},
		{"gvisor", newEncapGvisor(outerSrc, outerDst)},
	}
}

// newEncapHand is the practical limit: the inner packet's checks, then the
// five header words computed as values, stored with five 32-bit stores and
// summed from the values (summing the stored bytes back would load words
// over narrower stores still in flight, a store-forwarding stall). The
// addresses are converted once, for the tunnel.
func newEncapHand(src, dst netip.Addr) func(buf []byte, off int) ([]byte, error) {
	s4, d4 := src.As4(), dst.As4()
	s, d := binary.BigEndian.Uint32(s4[:]), binary.BigEndian.Uint32(d4[:])
	return func(buf []byte, off int) ([]byte, error) {
		if off < ipv4MinLen {
			return nil, errNoHeadroom
		}
		if off > len(buf) {
			return nil, errShortBuffer
		}
		in := buf[off:]
		if len(in) < ipv6HdrLen {
			return nil, errTruncated
		}
		if in[0]>>4 != 6 {
			return nil, errVersion
		}
		n := ipv6HdrLen + int(binary.BigEndian.Uint16(in[4:6]))
		if n > len(in) {
			return nil, errTruncated
		}
		if n > 0xffff-ipv4MinLen {
			return nil, errTooLong
		}
		w0 := 0x45000000 | uint32(in[1]>>4&3)<<16 | uint32(ipv4MinLen+n)
		w1 := uint32(sixtofourID)<<16 | 0x4000
		w2 := uint32(outerTTL)<<24 | protoIPv6<<16
		sum := uint64(w0) + uint64(w1) + uint64(w2) + uint64(s) + uint64(d)
		sum = sum>>32 + sum&0xffffffff
		sum = sum>>16 + sum&0xffff
		sum = sum>>16 + sum&0xffff
		sum = sum>>16 + sum&0xffff
		h := buf[off-ipv4MinLen : off]
		binary.BigEndian.PutUint32(h[0:4], w0)
		binary.BigEndian.PutUint32(h[4:8], w1)
		binary.BigEndian.PutUint32(h[8:12], w2|uint32(^uint16(sum)))
		binary.BigEndian.PutUint32(h[12:16], s)
		binary.BigEndian.PutUint32(h[16:20], d)
		return buf[off-ipv4MinLen : off+n], nil
	}
}

// newEncapGvisor is gVisor's way: header.IPv6.IsValid and PayloadLength
// and TOS for the inner packet, then header.IPv4.Encode of IPv4Fields
// prepared once for the tunnel (Total Length and TOS set per packet) and
// SetChecksum(^CalculateChecksum()), as gVisor's IPv4 endpoint writes a
// header.
func newEncapGvisor(src, dst netip.Addr) func(buf []byte, off int) ([]byte, error) {
	tunnel := header.IPv4Fields{
		ID:       sixtofourID,
		Flags:    header.IPv4FlagDontFragment,
		TTL:      outerTTL,
		Protocol: protoIPv6,
		SrcAddr:  tcpip.AddrFrom4(src.As4()),
		DstAddr:  tcpip.AddrFrom4(dst.As4()),
	}
	return func(buf []byte, off int) ([]byte, error) {
		if off < header.IPv4MinimumSize {
			return nil, errNoHeadroom
		}
		if off > len(buf) {
			return nil, errShortBuffer
		}
		in := header.IPv6(buf[off:])
		if !in.IsValid(len(in)) {
			return nil, errTruncated
		}
		n := header.IPv6MinimumSize + int(in.PayloadLength())
		if n > 0xffff-header.IPv4MinimumSize {
			return nil, errTooLong
		}
		tc, _ := in.TOS()
		f := tunnel
		f.TOS = tc & 3
		f.TotalLength = uint16(header.IPv4MinimumSize + n)
		h := header.IPv4(buf[off-header.IPv4MinimumSize : off])
		h.Encode(&f)
		h.SetChecksum(^h.CalculateChecksum())
		return buf[off-header.IPv4MinimumSize : off+n], nil
	}
}
