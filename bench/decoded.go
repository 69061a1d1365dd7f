package bench

import (
	"errors"
	"net/netip"
)

// Decoded holds what every decoder extracts from a tunnelled packet: the
// outer IPv4 header, the UDP header for Teredo-style packets (zero for
// protocol 41) and the inner IPv6 header. It is comparable, so adapters can
// be checked for agreement with ==.
type Decoded struct {
	OuterSrc, OuterDst netip.Addr
	TotalLen           uint16 // IPv4 Total Length
	Protocol           uint8  // IPv4 Protocol: 41 or 17
	TTL                uint8

	SrcPort, DstPort uint16 // UDP ports; 0 for protocol 41
	UDPLen           uint16 // UDP Length; 0 for protocol 41

	InnerSrc, InnerDst netip.Addr
	PayloadLen         uint16 // IPv6 Payload Length
	NextHeader         uint8
	HopLimit           uint8
}

// Errors the adapters return for the checks a peer library leaves to its
// caller. The packet adapter returns packet's own sentinels instead; the
// tests compare only whether a packet is accepted, not which error says no.
var (
	errTruncated   = errors.New("bench: truncated")
	errVersion     = errors.New("bench: bad IP version")
	errIHL         = errors.New("bench: bad IHL")
	errTotalLen    = errors.New("bench: bad IPv4 total length")
	errChecksum    = errors.New("bench: bad IPv4 header checksum")
	errFragment    = errors.New("bench: IPv4 fragment")
	errProtocol    = errors.New("bench: unexpected IPv4 protocol")
	errUDPLength   = errors.New("bench: bad UDP length")
	errNotDecoded  = errors.New("bench: expected layers not decoded")
	errShortBuffer = errors.New("bench: short buffer")
)

// IPv4 header constants shared by the adapters that parse by hand.
const (
	protoIPv6    = 41
	protoUDP     = 17
	ipv4MinLen   = 20
	ipv6HdrLen   = 40
	udpHdrLen    = 8
	ipv4FlagMF   = 0x2000
	ipv4FragMask = 0x1fff
)

// headerSum is the plain RFC 1071 loop that the adapters for peers without
// a checksum facility of their own (gopacket, x/net) and the hand-written
// decoder use to verify or compute the IPv4 header checksum: big-endian
// 16-bit words added into a 32-bit accumulator, folded at the end. hdr is an
// IPv4 header, so its length is even and at most 60 bytes, and the
// accumulator cannot overflow. It returns the folded sum, not complemented:
// a correct header sums to 0xffff.
func headerSum(hdr []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(hdr); i += 2 {
		sum += uint32(hdr[i])<<8 | uint32(hdr[i+1])
	}
	sum = sum>>16 + sum&0xffff
	sum = sum>>16 + sum&0xffff
	return uint16(sum)
}

// Impl is one decoder under comparison: IPv4(proto 41)→IPv6 and
// IPv4→UDP→IPv6. Every adapter has the same shape so that benchmarks and
// tests treat them alike.
type Impl struct {
	Name string
	// Decode6in4 validates an IPv4 packet carrying IPv6 (protocol 41) and
	// fills out. On error out holds unspecified values.
	Decode6in4 func(pkt []byte, out *Decoded) error
	// DecodeTeredo validates an IPv4 packet carrying UDP carrying IPv6 and
	// fills out. On error out holds unspecified values.
	DecodeTeredo func(pkt []byte, out *Decoded) error
}

// Builder is one IPv4 header builder under comparison.
type Builder struct {
	Name string
	// New prepares, once, what the library needs to write the header
	// described by s, and returns a function that writes it (checksum
	// included) and returns the 20 header bytes. dst is where it writes if
	// the library writes into a caller's buffer.
	New func(s HeaderSpec) func(dst []byte) ([]byte, error)
}

// HeaderSpec describes the IPv4 header the build benchmarks write: 20 bytes,
// no options, in front of PayloadLen bytes of payload that are already in
// place (only the header is written).
type HeaderSpec struct {
	TOS          uint8
	ID           uint16
	DontFragment bool
	TTL          uint8
	Protocol     uint8
	Src, Dst     netip.Addr // IPv4
	PayloadLen   int
}

// Builders returns every header builder, packet first.
func Builders() []Builder {
	return []Builder{
		{"packet", newBuildPacket},
		{"gopacket", newBuildGopacket},
		{"xnet", newBuildXnet},
		{"gvisor", newBuildGvisor},
		{"hand", newBuildHand},
	}
}

// Impls returns fresh instances of every implementation, packet first, in
// the order of the benchmark tables. The gopacket parser adapter has state
// (the parsers and their layers), which each call gets afresh, so callers
// that run in parallel must each call Impls.
func Impls() []Impl {
	return []Impl{
		packetImpl(),
		gopacketNewPacketImpl(),
		gopacketDLPImpl(),
		xnetImpl(),
		gvisorImpl(),
		handImpl(),
	}
}
