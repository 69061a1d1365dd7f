package bench

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/google/gopacket/layers"
	"github.com/transit6/transit6/packet"
	"github.com/transit6/transit6/teredo"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// DecodedTeredo is Decoded plus what a Teredo decoder extracts from the
// indicators in front of the inner IPv6 packet (RFC 4380 §5.1.1): the
// authentication indicator's nonce and confirmation byte, and the
// de-obfuscated origin indication. It is comparable. The origin stays a
// netip.AddrPort, the value teredo's Origin returns and every adapter
// builds the same way from the de-obfuscated bytes.
type DecodedTeredo struct {
	Decoded
	HasAuth      bool
	Nonce        [8]byte        // zero without an authentication indicator
	Confirmation uint8          // zero without an authentication indicator
	Origin       netip.AddrPort // zero without an origin indication
}

// Errors of the hand-written indicator walk. Like the other bench errors,
// only acceptance is compared, not which error.
var (
	errAuth      = errors.New("bench: truncated authentication indicator")
	errOrigin    = errors.New("bench: truncated origin indication")
	errIndicator = errors.New("bench: unexpected indicator")
)

// TeredoAuthImpl is one decoder of IPv4→UDP→Teredo indicators→IPv6.
type TeredoAuthImpl struct {
	Name   string
	Decode func(pkt []byte, out *DecodedTeredo) error
}

// TeredoAuthImpls returns fresh instances of every implementation, transit6
// first. None of the peers knows Teredo (gVisor, gopacket and x/net have no
// indicator parser), so each peer adapter decodes as far as its library
// goes (IPv4, UDP, IPv6 headers) and walks the indicators with the
// plainest code that makes the checks teredo makes: walkIndicators for
// gopacket and x/net, the same walk in line for gVisor (whose adapters are
// straight-line, see gvisorImpl) and for the hand-written decoder.
func TeredoAuthImpls() []TeredoAuthImpl {
	g := newGopacketDLP()
	return []TeredoAuthImpl{
		{"transit6", decodeTransit6TeredoAuth},
		{"gopacket-dlp", func(pkt []byte, out *DecodedTeredo) error { return g.decodeTeredoAuth(pkt, out) }},
		{"xnet", decodeXnetTeredoAuth},
		{"gvisor", decodeGvisorTeredoAuth},
		{"hand", decodeHandTeredoAuth},
	}
}

// decodeTransit6TeredoAuth is packet.ParseIPv4 (version, IHL, lengths,
// header checksum), the fragment and protocol checks, packet.ParseUDP and
// teredo's (*Packet).Decode of the UDP payload (indicator order and
// lengths, IPv6 version and Payload Length, no jumbogram, well-formed RFC
// 6081 trailers), read with its accessors: the addresses as header bytes,
// as in decodePacketTeredo, and the indicators with Nonce, Confirmation
// and Origin (Auth would build the whole Auth, client identifier and value
// included, which the others do not extract either).
func decodeTransit6TeredoAuth(pkt []byte, out *DecodedTeredo) error {
	ip, err := packet.ParseIPv4(pkt)
	if err != nil {
		return err
	}
	if ip.IsFragment() {
		return errFragment
	}
	if ip.Protocol() != packet.ProtoUDP {
		return errProtocol
	}
	udp, err := packet.ParseUDP(ip.Payload())
	if err != nil {
		return err
	}
	h := ip.Header()
	out.OuterSrc = [4]byte(h[12:16])
	out.OuterDst = [4]byte(h[16:20])
	out.TotalLen = uint16(ip.TotalLen())
	out.Protocol = ip.Protocol()
	out.TTL = ip.TTL()
	out.SrcPort = udp.SrcPort()
	out.DstPort = udp.DstPort()
	out.UDPLen = uint16(udp.Length())
	var p teredo.Packet
	if err := p.Decode(udp.Payload()); err != nil {
		return err
	}
	ip6 := p.IPv6()
	h6 := ip6.Header()
	out.InnerSrc = [16]byte(h6[8:24])
	out.InnerDst = [16]byte(h6[24:40])
	out.PayloadLen = uint16(ip6.PayloadLen())
	out.NextHeader = ip6.NextHeader()
	out.HopLimit = ip6.HopLimit()
	out.Nonce, out.HasAuth = p.Nonce()
	out.Confirmation, _ = p.Confirmation()
	out.Origin, _ = p.Origin()
	return nil
}

// walkIndicators is the indicator walk of the peer adapters, written as
// plainly as possible with the checks of teredo's Decode (RFC 4380
// §5.1.1): an optional authentication indicator (00 01, ID-len, AU-len,
// client ID, value, 8-byte nonce, confirmation) first, complete; then an
// optional origin indication (00 00, obfuscated port and address),
// complete; then no further indicator (a zero first byte). It fills the
// indicator fields of out and returns what follows, the IPv6 packet.
func walkIndicators(b []byte, out *DecodedTeredo) ([]byte, error) {
	out.HasAuth, out.Nonce, out.Confirmation, out.Origin = false, [8]byte{}, 0, netip.AddrPort{}
	if len(b) < 2 {
		return nil, errTruncated
	}
	if b[0] != 0 {
		return b, nil
	}
	if b[1] == 1 {
		if len(b) < 13 {
			return nil, errAuth
		}
		n := 13 + int(b[2]) + int(b[3])
		if n > len(b) {
			return nil, errAuth
		}
		out.HasAuth = true
		out.Nonce = [8]byte(b[n-9 : n-1])
		out.Confirmation = b[n-1]
		b = b[n:]
	}
	if len(b) >= 2 && b[0] == 0 && b[1] == 0 {
		if len(b) < 8 {
			return nil, errOrigin
		}
		v := ^binary.BigEndian.Uint32(b[4:8])
		out.Origin = netip.AddrPortFrom(
			netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}),
			^binary.BigEndian.Uint16(b[2:4]))
		b = b[8:]
	}
	if len(b) >= 2 && b[0] == 0 {
		return nil, errIndicator
	}
	return b, nil
}

// decodeGvisorTeredoAuth: header.IPv4 and header.UDP as in
// decodeGvisorTeredo, the indicator walk of walkIndicators written in line
// (the gVisor adapters are straight-line, see gvisorImpl), then
// header.IPv6.IsValid.
func decodeGvisorTeredoAuth(pkt []byte, out *DecodedTeredo) error {
	h := header.IPv4(pkt)
	if !h.IsValid(len(pkt)) {
		return errTruncated
	}
	if !h.IsChecksumValid() {
		return errChecksum
	}
	if h.More() || h.FragmentOffset() != 0 {
		return errFragment
	}
	if h.Protocol() != protoUDP {
		return errProtocol
	}
	p := h.Payload()
	if len(p) < header.UDPMinimumSize {
		return errTruncated
	}
	u := header.UDP(p)
	if ok, _ := header.UDPValid(u, nil, uint16(len(p)-header.UDPMinimumSize), header.IPv4ProtocolNumber,
		tcpip.Address{}, tcpip.Address{}, true); !ok {
		return errUDPLength
	}
	r := p[header.UDPMinimumSize:u.Length()]
	if len(r) < 2 {
		return errTruncated
	}
	hasAuth, conf := false, uint8(0)
	var nonce [8]byte
	var origin netip.AddrPort
	if r[0] == 0 {
		if r[1] == 1 {
			if len(r) < 13 {
				return errAuth
			}
			n := 13 + int(r[2]) + int(r[3])
			if n > len(r) {
				return errAuth
			}
			hasAuth, nonce, conf = true, [8]byte(r[n-9:n-1]), r[n-1]
			r = r[n:]
		}
		if len(r) >= 2 && r[0] == 0 && r[1] == 0 {
			if len(r) < 8 {
				return errOrigin
			}
			v := ^binary.BigEndian.Uint32(r[4:8])
			origin = netip.AddrPortFrom(
				netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}),
				^binary.BigEndian.Uint16(r[2:4]))
			r = r[8:]
		}
		if len(r) >= 2 && r[0] == 0 {
			return errIndicator
		}
	}
	h6 := header.IPv6(r)
	if !h6.IsValid(len(r)) {
		return errTruncated
	}
	out.OuterSrc = [4]byte(h.SourceAddressSlice())
	out.OuterDst = [4]byte(h.DestinationAddressSlice())
	out.TotalLen = h.TotalLength()
	out.Protocol = h.Protocol()
	out.TTL = h.TTL()
	out.SrcPort = u.SourcePort()
	out.DstPort = u.DestinationPort()
	out.UDPLen = u.Length()
	out.InnerSrc = [16]byte(h6.SourceAddressSlice())
	out.InnerDst = [16]byte(h6.DestinationAddressSlice())
	out.PayloadLen = h6.PayloadLength()
	out.NextHeader = h6.NextHeader()
	out.HopLimit = h6.HopLimit()
	out.HasAuth, out.Nonce, out.Confirmation, out.Origin = hasAuth, nonce, conf, origin
	return nil
}

// decodeTeredoAuth: the DecodingLayerParser decodes IPv4 and UDP,
// walkIndicators walks the UDP payload, layers.IPv6 DecodeFromBytes decodes
// the rest, and the checks gopacket leaves to callers follow in line, as in
// decodeTeredo.
func (g *gopacketDLP) decodeTeredoAuth(pkt []byte, out *DecodedTeredo) error {
	p := g.pTeredo
	if err := p.DecodeLayers(pkt, &g.decoded); err != nil {
		return err
	}
	if !sameLayers(g.decoded, g.expectUD) {
		return errNotDecoded
	}
	if p.Truncated {
		return errTruncated
	}
	ip4, udp, ip6 := &g.ip4, &g.udp, &g.ip6
	r, err := walkIndicators(udp.Payload, out)
	if err != nil {
		return err
	}
	if err := ip6.DecodeFromBytes(r, p); err != nil {
		return err
	}
	if p.Truncated {
		return errTruncated
	}
	if ip4.Version != 4 || ip6.Version != 6 {
		return errVersion
	}
	if !headerValid(ip4.Contents) {
		return errChecksum
	}
	if ip4.Flags&layers.IPv4MoreFragments != 0 || ip4.FragOffset != 0 {
		return errFragment
	}
	if ip4.Protocol != layers.IPProtocolUDP {
		return errProtocol
	}
	if udp.Length < udpHdrLen {
		return errUDPLength
	}
	out.OuterSrc = [4]byte(ip4.SrcIP)
	out.OuterDst = [4]byte(ip4.DstIP)
	out.TotalLen = ip4.Length
	out.Protocol = uint8(ip4.Protocol)
	out.TTL = ip4.TTL
	out.SrcPort = uint16(udp.SrcPort)
	out.DstPort = uint16(udp.DstPort)
	out.UDPLen = udp.Length
	out.InnerSrc = [16]byte(ip6.SrcIP)
	out.InnerDst = [16]byte(ip6.DstIP)
	out.PayloadLen = ip6.Length
	out.NextHeader = uint8(ip6.NextHeader)
	out.HopLimit = ip6.HopLimit
	return nil
}

// decodeXnetTeredoAuth: ipv4.ParseHeader with the checks of xnetIPv4, the
// UDP header by hand (x/net has none), walkIndicators, ipv6.ParseHeader.
func decodeXnetTeredoAuth(pkt []byte, out *DecodedTeredo) error {
	h, u, err := xnetIPv4(pkt, protoUDP)
	if err != nil {
		return err
	}
	if len(u) < udpHdrLen {
		return errTruncated
	}
	ul := binary.BigEndian.Uint16(u[4:6])
	if ul < udpHdrLen {
		return errUDPLength
	}
	if int(ul) > len(u) {
		return errTruncated
	}
	r, err := walkIndicators(u[udpHdrLen:ul], out)
	if err != nil {
		return err
	}
	if err := xnetIPv6(r, &out.Decoded); err != nil {
		return err
	}
	xnetOuter(h, &out.Decoded)
	out.SrcPort = binary.BigEndian.Uint16(u[0:2])
	out.DstPort = binary.BigEndian.Uint16(u[2:4])
	out.UDPLen = ul
	return nil
}

// decodeHandTeredoAuth is the minimal hand-written decoder: straight-line
// code for exactly this job with the same checks as every adapter.
func decodeHandTeredoAuth(b []byte, out *DecodedTeredo) error {
	if len(b) < ipv4MinLen {
		return errTruncated
	}
	if b[0]>>4 != 4 {
		return errVersion
	}
	hl := int(b[0]&0x0f) * 4
	if hl < ipv4MinLen {
		return errIHL
	}
	tl := int(binary.BigEndian.Uint16(b[2:4]))
	if tl < hl {
		return errTotalLen
	}
	if tl > len(b) {
		return errTruncated
	}
	if !headerValid(b[:hl]) {
		return errChecksum
	}
	if binary.BigEndian.Uint16(b[6:8])&(ipv4FlagMF|ipv4FragMask) != 0 {
		return errFragment
	}
	if b[9] != protoUDP {
		return errProtocol
	}
	u := b[hl:tl]
	if len(u) < udpHdrLen {
		return errTruncated
	}
	ul := binary.BigEndian.Uint16(u[4:6])
	if ul < udpHdrLen {
		return errUDPLength
	}
	if int(ul) > len(u) {
		return errTruncated
	}
	p := u[udpHdrLen:ul]
	if len(p) < 2 {
		return errTruncated
	}
	hasAuth, conf := false, uint8(0)
	var nonce [8]byte
	var origin netip.AddrPort
	if p[0] == 0 {
		if p[1] == 1 {
			if len(p) < 13 {
				return errAuth
			}
			n := 13 + int(p[2]) + int(p[3])
			if n > len(p) {
				return errAuth
			}
			hasAuth, nonce, conf = true, [8]byte(p[n-9:n-1]), p[n-1]
			p = p[n:]
		}
		if len(p) >= 2 && p[0] == 0 && p[1] == 0 {
			if len(p) < 8 {
				return errOrigin
			}
			v := ^binary.BigEndian.Uint32(p[4:8])
			origin = netip.AddrPortFrom(
				netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}),
				^binary.BigEndian.Uint16(p[2:4]))
			p = p[8:]
		}
		if len(p) >= 2 && p[0] == 0 {
			return errIndicator
		}
	}
	if len(p) < ipv6HdrLen {
		return errTruncated
	}
	if p[0]>>4 != 6 {
		return errVersion
	}
	pl := binary.BigEndian.Uint16(p[4:6])
	if ipv6HdrLen+int(pl) > len(p) {
		return errTruncated
	}
	out.OuterSrc = [4]byte(b[12:16])
	out.OuterDst = [4]byte(b[16:20])
	out.TotalLen = uint16(tl)
	out.Protocol = b[9]
	out.TTL = b[8]
	out.SrcPort = binary.BigEndian.Uint16(u[0:2])
	out.DstPort = binary.BigEndian.Uint16(u[2:4])
	out.UDPLen = ul
	out.InnerSrc = [16]byte(p[8:24])
	out.InnerDst = [16]byte(p[24:40])
	out.PayloadLen = pl
	out.NextHeader = p[6]
	out.HopLimit = p[7]
	out.HasAuth, out.Nonce, out.Confirmation, out.Origin = hasAuth, nonce, conf, origin
	return nil
}

// Fields of the Teredo inputs with indicators: a client's nonce and the
// origin a server adds when relaying (RFC 4380 §5.3; documentation
// address, RFC 5737).
var (
	teredoNonce  = [8]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}
	teredoOrigin = netip.MustParseAddrPort("203.0.113.7:40001")
)

// SizesTeredoAuth are the total lengths of the Teredo inputs with
// indicators: IPv4 minimum reassembly size, IPv6 minimum MTU, Ethernet MTU.
var SizesTeredoAuth = []int{576, 1280, 1500}

// teredoAuthHeaderLen is the length of the indicators of the inputs: an
// authentication indicator without client ID or value (13) and an origin
// indication (8).
const teredoAuthHeaderLen = teredo.AuthHeaderLen + teredo.OriginLen

// InputTeredoAuth is one Teredo input with indicators and what every
// adapter must decode from it.
type InputTeredoAuth struct {
	Size int
	Pkt  []byte
	Want DecodedTeredo
}

// NewTeredoAuth builds an IPv4+UDP(from port 3544)+authentication
// indicator (ID-len 0, AU-len 0, nonce, confirmation 0)+origin
// indication+IPv6+UDP packet of total length size with packet's builders
// (the inner packet) and teredo.EncapsulateDatagram (indicators, UDP with
// checksum, IPv4): every checksum is valid.
func NewTeredoAuth(size int) (InputTeredoAuth, error) {
	const off = teredo.DatagramHeaderLen + teredoAuthHeaderLen
	if size < off+packet.IPv6HeaderLen+packet.UDPHeaderLen {
		return InputTeredoAuth{}, fmt.Errorf("bench: Teredo input of %d bytes is too short", size)
	}
	buf := make([]byte, size)
	fillPayload(buf[off+packet.IPv6HeaderLen+packet.UDPHeaderLen:])
	if err := innerPacket(buf[off:], teredoSrc); err != nil {
		return InputTeredoAuth{}, err
	}
	h := teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: teredoNonce}, Origin: teredoOrigin}
	o := teredo.Outer{Src: netip.AddrPortFrom(outerSrc, teredoPort),
		Dst: netip.AddrPortFrom(outerDst, clientPort), TTL: outerTTL, ID: 0x1234}
	pkt, err := teredo.EncapsulateDatagram(buf, off, &h, &o)
	if err != nil {
		return InputTeredoAuth{}, err
	}
	return InputTeredoAuth{Size: size, Pkt: pkt, Want: DecodedTeredo{
		Decoded: Decoded{
			OuterSrc: outerSrc.As4(), OuterDst: outerDst.As4(), TotalLen: uint16(size), Protocol: 17, TTL: outerTTL,
			SrcPort: teredoPort, DstPort: clientPort, UDPLen: uint16(size - 20),
			InnerSrc: teredoSrc.As16(), InnerDst: innerDst.As16(), PayloadLen: uint16(size - off - 40), NextHeader: 17,
			HopLimit: innerHopLimit,
		},
		HasAuth: true, Nonce: teredoNonce, Origin: teredoOrigin,
	}}, nil
}
