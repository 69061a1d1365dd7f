package bench

import (
	"net"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// teredoPort is the Teredo server port (RFC 4380 §2.2), on which the
// Teredo-style inputs arrive.
const teredoPort = 3544

// gopacket does not map UDP port 3544 to IPv6 on its own; this is how a
// gopacket user tells it that Teredo carries IPv6, so that NewPacket decodes
// the inner header. The DecodingLayerParser adapter decodes it explicitly
// and does not depend on this.
func init() {
	layers.RegisterUDPPortLayerType(teredoPort, layers.LayerTypeIPv6)
}

// gopacketChecks makes the checks that gopacket's decoders leave to the
// caller or only flag: IPv4 version (not checked), the header checksum
// (gopacket has no verifier: headerValid, as for x/net and the
// hand-written decoder), fragments (the
// layer's flags), protocol, truncation (flagged with SetTruncated rather than
// refused), the UDP Length of 0 that gopacket takes for a jumbogram, and the
// IPv6 version (not checked). udp is nil for protocol 41.
func gopacketChecks(ip4 *layers.IPv4, udp *layers.UDP, ip6 *layers.IPv6, truncated bool, proto layers.IPProtocol) error {
	if truncated {
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
	if ip4.Protocol != proto {
		return errProtocol
	}
	if udp != nil && udp.Length < udpHdrLen {
		return errUDPLength
	}
	return nil
}

// gopacketFill copies the fields out of the decoded layers. gopacket's
// addresses are net.IP slices of the packet.
func gopacketFill(ip4 *layers.IPv4, udp *layers.UDP, ip6 *layers.IPv6, out *Decoded) {
	out.OuterSrc = [4]byte(ip4.SrcIP)
	out.OuterDst = [4]byte(ip4.DstIP)
	out.TotalLen = ip4.Length
	out.Protocol = uint8(ip4.Protocol)
	out.TTL = ip4.TTL
	out.InnerSrc = [16]byte(ip6.SrcIP)
	out.InnerDst = [16]byte(ip6.DstIP)
	out.PayloadLen = ip6.Length
	out.NextHeader = uint8(ip6.NextHeader)
	out.HopLimit = ip6.HopLimit
	out.SrcPort, out.DstPort, out.UDPLen = 0, 0, 0
	if udp != nil {
		out.SrcPort = uint16(udp.SrcPort)
		out.DstPort = uint16(udp.DstPort)
		out.UDPLen = udp.Length
	}
}

// gopacketNewPacketImpl is gopacket.NewPacket with NoCopy (nobody else
// copies). It keeps NewPacket's recovery from panics in decoders
// (SkipDecodeRecovery would save a deferred recover): fuzzing found
// gopacket's ESP decoder (layers/ipsec.go) panicking on short input, which
// NewPacket reaches for protocol 50 (testdata/fuzz keeps the inputs). NewPacket allocates the packet and every layer, and decodes
// every layer it knows: here also the inner UDP header and the payload, and
// it reports a failure or truncation in any of them. Lazy decoding would not
// avoid that work: a lazy packet reports decoding errors only through
// ErrorLayer, which decodes the rest of the packet. So this adapter refuses
// packets whose inner payload gopacket cannot decode, which the others do
// not look at (see Quirk).
func gopacketNewPacketImpl() Impl {
	return Impl{
		Name:         "gopacket-newpacket",
		Decode6in4:   decodeGopacketNewPacket6in4,
		DecodeTeredo: decodeGopacketNewPacketTeredo,
	}
}

var newPacketOptions = gopacket.DecodeOptions{NoCopy: true}

func decodeGopacketNewPacket6in4(pkt []byte, out *Decoded) error {
	p := gopacket.NewPacket(pkt, layers.LayerTypeIPv4, newPacketOptions)
	if e := p.ErrorLayer(); e != nil {
		return e.Error()
	}
	ls := p.Layers()
	if len(ls) < 2 {
		return errNotDecoded
	}
	ip4, _ := ls[0].(*layers.IPv4)
	ip6, _ := ls[1].(*layers.IPv6)
	if ip4 == nil || ip6 == nil {
		return errNotDecoded
	}
	if err := gopacketChecks(ip4, nil, ip6, p.Metadata().Truncated, layers.IPProtocolIPv6); err != nil {
		return err
	}
	gopacketFill(ip4, nil, ip6, out)
	return nil
}

func decodeGopacketNewPacketTeredo(pkt []byte, out *Decoded) error {
	p := gopacket.NewPacket(pkt, layers.LayerTypeIPv4, newPacketOptions)
	if e := p.ErrorLayer(); e != nil {
		return e.Error()
	}
	ls := p.Layers()
	if len(ls) < 3 {
		return errNotDecoded
	}
	ip4, _ := ls[0].(*layers.IPv4)
	udp, _ := ls[1].(*layers.UDP)
	ip6, _ := ls[2].(*layers.IPv6)
	if ip4 == nil || udp == nil || ip6 == nil {
		return errNotDecoded
	}
	if err := gopacketChecks(ip4, udp, ip6, p.Metadata().Truncated, layers.IPProtocolUDP); err != nil {
		return err
	}
	gopacketFill(ip4, udp, ip6, out)
	return nil
}

// gopacketDLP is a preallocated DecodingLayerParser over preallocated
// layers, set up as gopacket's documentation recommends for speed: the
// DecodingLayerSparse container, IgnoreUnsupported (decoding stops at the
// inner payload without an error) and IgnorePanic (no deferred recover).
// The parsers decode the outer headers (IPv4; IPv4 and UDP) and the inner
// IPv6 header is then decoded with the DecodingLayer method the parser
// would call: a parser holds one layer per type and goes on decoding while
// it knows the next type, so it would decode an inner IPv4, IPv6 or UDP
// header over the outer one, and do more work than the other adapters.
type gopacketDLP struct {
	ip4      layers.IPv4
	udp      layers.UDP
	ip6      layers.IPv6
	p6in4    *gopacket.DecodingLayerParser
	pTeredo  *gopacket.DecodingLayerParser
	decoded  []gopacket.LayerType
	expect4  []gopacket.LayerType
	expectUD []gopacket.LayerType
}

func newGopacketDLP() *gopacketDLP {
	g := &gopacketDLP{
		decoded:  make([]gopacket.LayerType, 0, 8),
		expect4:  []gopacket.LayerType{layers.LayerTypeIPv4},
		expectUD: []gopacket.LayerType{layers.LayerTypeIPv4, layers.LayerTypeUDP},
	}
	g.p6in4 = newParser(&g.ip4)
	g.pTeredo = newParser(&g.ip4, &g.udp)
	return g
}

func newParser(ls ...gopacket.DecodingLayer) *gopacket.DecodingLayerParser {
	p := gopacket.NewDecodingLayerParser(layers.LayerTypeIPv4)
	p.SetDecodingLayerContainer(gopacket.DecodingLayerSparse(nil))
	for _, l := range ls {
		p.AddDecodingLayer(l)
	}
	p.IgnoreUnsupported = true
	p.IgnorePanic = true
	return p
}

func gopacketDLPImpl() Impl {
	g := newGopacketDLP()
	return Impl{
		Name:         "gopacket-dlp",
		Decode6in4:   g.decode6in4,
		DecodeTeredo: g.decodeTeredo,
	}
}

func sameLayers(a, b []gopacket.LayerType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The DecodingLayerParser adapters make gopacketChecks' checks and
// gopacketFill's stores in line, straight-line like the hand-written
// decoder: the two helpers are too big for the compiler to inline, and
// their calls would cost the parser, the faster of gopacket's two ways,
// time its library does not need.

func (g *gopacketDLP) decode6in4(pkt []byte, out *Decoded) error {
	p := g.p6in4
	if err := p.DecodeLayers(pkt, &g.decoded); err != nil {
		return err
	}
	if !sameLayers(g.decoded, g.expect4) {
		return errNotDecoded
	}
	ip4, ip6 := &g.ip4, &g.ip6
	if err := ip6.DecodeFromBytes(ip4.Payload, p); err != nil {
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
	if ip4.Protocol != layers.IPProtocolIPv6 {
		return errProtocol
	}
	out.OuterSrc = [4]byte(ip4.SrcIP)
	out.OuterDst = [4]byte(ip4.DstIP)
	out.TotalLen = ip4.Length
	out.Protocol = uint8(ip4.Protocol)
	out.TTL = ip4.TTL
	out.SrcPort, out.DstPort, out.UDPLen = 0, 0, 0
	out.InnerSrc = [16]byte(ip6.SrcIP)
	out.InnerDst = [16]byte(ip6.DstIP)
	out.PayloadLen = ip6.Length
	out.NextHeader = uint8(ip6.NextHeader)
	out.HopLimit = ip6.HopLimit
	return nil
}

func (g *gopacketDLP) decodeTeredo(pkt []byte, out *Decoded) error {
	p := g.pTeredo
	if err := p.DecodeLayers(pkt, &g.decoded); err != nil {
		return err
	}
	if !sameLayers(g.decoded, g.expectUD) {
		return errNotDecoded
	}
	ip4, udp, ip6 := &g.ip4, &g.udp, &g.ip6
	if err := ip6.DecodeFromBytes(udp.Payload, p); err != nil {
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

// reserve is a layer that stands for a payload already in place: it
// reserves its bytes in the SerializeBuffer without writing them, so that
// FixLengths sees the right length and nothing is copied (the other
// builders do not touch the payload either).
type reserve int

func (r reserve) SerializeTo(b gopacket.SerializeBuffer, _ gopacket.SerializeOptions) error {
	_, err := b.PrependBytes(int(r))
	return err
}

func (reserve) LayerType() gopacket.LayerType { return gopacket.LayerTypePayload }

// newBuildGopacket fills a layers.IPv4 once and serializes it with
// SerializeLayers into a reused SerializeBuffer, with FixLengths (Total
// Length and IHL) and ComputeChecksums, in front of the reserved payload.
// The header is in the buffer's storage; dst is not used.
func newBuildGopacket(s HeaderSpec) func(dst []byte) ([]byte, error) {
	ip := &layers.IPv4{
		Version:  4,
		TOS:      s.TOS,
		Id:       s.ID,
		TTL:      s.TTL,
		Protocol: layers.IPProtocol(s.Protocol),
		SrcIP:    net.IP(s.Src.AsSlice()),
		DstIP:    net.IP(s.Dst.AsSlice()),
	}
	if s.DontFragment {
		ip.Flags = layers.IPv4DontFragment
	}
	buf := gopacket.NewSerializeBufferExpectedSize(ipv4MinLen+s.PayloadLen, 0)
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	ls := []gopacket.SerializableLayer{ip, reserve(s.PayloadLen)}
	return func([]byte) ([]byte, error) {
		if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
			return nil, err
		}
		return buf.Bytes()[:ipv4MinLen], nil
	}
}
