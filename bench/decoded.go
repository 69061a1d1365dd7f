package bench

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// Decoded holds what every decoder extracts from a tunnelled packet: the
// outer IPv4 header, the UDP header for Teredo-style packets (zero for
// protocol 41) and the inner IPv6 header. Addresses are their bytes in
// network order, as they are on the wire: the lightest value every library
// can produce (gVisor's and gopacket's addresses are slices of the packet,
// x/net's are net.IP copies, packet's views hold the header bytes), so the
// output costs every adapter the same few stores and no adapter pays for a
// conversion another is spared. It is comparable, so adapters can be
// checked for agreement with ==.
type Decoded struct {
	OuterSrc, OuterDst [4]byte // IPv4 source and destination
	TotalLen           uint16  // IPv4 Total Length
	Protocol           uint8   // IPv4 Protocol: 41 or 17
	TTL                uint8

	SrcPort, DstPort uint16 // UDP ports; 0 for protocol 41
	UDPLen           uint16 // UDP Length; 0 for protocol 41

	InnerSrc, InnerDst [16]byte // IPv6 source and destination
	PayloadLen         uint16   // IPv6 Payload Length
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

// headerValid is the IPv4 header checksum verification of the adapters for
// peers without a checksum verifier of their own (gopacket, x/net) and of
// the hand-written decoder: the same function for the three, written as
// fast as plain Go allows, so that none of them is held back by the check
// the library leaves to its caller. It sums the header as big-endian 32-bit
// words in a 64-bit accumulator, which fifteen words cannot overflow (RFC
// 1071 §2(C), deferred carries), the 20 fixed bytes as five loads and the
// options in a loop; 2^16 ≡ 1 modulo 2^16-1, so this is the RFC 1071 sum
// modulo 0xffff. A correct header sums to 0xffff once folded, that is to a
// non-zero multiple of 0xffff: s%0xffff is one multiplication and one
// comparison (0xffff is odd). hdr is the header, IHL·4 bytes; a header
// shorter than 20 bytes is not valid. It is small enough to be inlined.
// TestHeaderSum checks it against the 16-bit loop of RFC 1071.
func headerValid(hdr []byte) bool {
	if len(hdr) < ipv4MinLen {
		return false
	}
	s := uint64(binary.BigEndian.Uint32(hdr[0:])) + uint64(binary.BigEndian.Uint32(hdr[4:])) +
		uint64(binary.BigEndian.Uint32(hdr[8:])) + uint64(binary.BigEndian.Uint32(hdr[12:])) +
		uint64(binary.BigEndian.Uint32(hdr[16:]))
	for o := hdr[ipv4MinLen:]; len(o) >= 4; o = o[4:] {
		s += uint64(binary.BigEndian.Uint32(o))
	}
	return s != 0 && s%0xffff == 0
}

// headerSum returns the RFC 1071 sum of an IPv4 header, folded to 16 bits
// and not complemented, for the builders that compute the checksum field
// themselves (x/net's, whose Marshal leaves it to the caller, and the
// hand-written one: ^headerSum of the header with the field zero) and for
// the tests. The header is read as big-endian 32-bit words added into a
// 64-bit accumulator and folded at the end, as headerValid sums it; a
// trailing 16-bit word (only fixChecksum in the tests passes one) is added
// alone. A correct header sums to 0xffff.
func headerSum(hdr []byte) uint16 {
	var s uint64
	for ; len(hdr) >= 4; hdr = hdr[4:] {
		s += uint64(binary.BigEndian.Uint32(hdr))
	}
	if len(hdr) >= 2 {
		s += uint64(binary.BigEndian.Uint16(hdr))
	}
	s = s>>32 + s&0xffffffff
	s = s>>16 + s&0xffff
	s = s>>16 + s&0xffff
	s = s>>16 + s&0xffff
	return uint16(s)
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
		handCallImpl(),
	}
}
