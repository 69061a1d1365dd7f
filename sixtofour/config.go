package sixtofour

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/transit6/transit6/addr"
)

// Mechanism is a protocol-41 tunnelling mechanism. The zero Mechanism is
// not valid.
type Mechanism uint8

// The mechanisms. They share the wire format (RFC 4213 §3.5) and differ in
// how the outer addresses relate to the inner ones.
const (
	// SixToFour is 6to4 (RFC 3056): the site prefix 2002:V4ADDR::/48
	// embeds the site's IPv4 address; native IPv6 goes through a relay.
	SixToFour Mechanism = iota + 1

	// SixRD is 6rd (RFC 5969): 6to4 inside one provider's prefix, with
	// border relays for native IPv6.
	SixRD

	// ISATAP is the Intra-Site Automatic Tunnel Addressing Protocol (RFC
	// 5214): interface identifiers embed IPv4 addresses, routers are found
	// in the potential router list.
	ISATAP

	// SixInFour is a configured point-to-point tunnel (RFC 4213 §3), the
	// kind tunnel brokers hand out.
	SixInFour
)

// String returns "6to4", "6rd", "isatap" or "6in4".
func (m Mechanism) String() string {
	switch m {
	case SixToFour:
		return "6to4"
	case SixRD:
		return "6rd"
	case ISATAP:
		return "isatap"
	case SixInFour:
		return "6in4"
	}
	return "Mechanism(" + strconv.Itoa(int(m)) + ")"
}

// ParseMechanism returns the Mechanism named by s, as String writes it. It
// reports false for any other string.
func ParseMechanism(s string) (Mechanism, bool) {
	for m := SixToFour; m <= SixInFour; m++ {
		if m.String() == s {
			return m, true
		}
	}
	return 0, false
}

// Defaults of Config.
const (
	// DefaultPathMTU is the IPv4 path MTU assumed until an ICMPv4
	// Fragmentation Needed says otherwise: Ethernet's 1500, which makes the
	// tunnel MTU 1480 as on Linux.
	DefaultPathMTU = 1500

	// MinPathMTU is the smallest path MTU an ICMPv4 Fragmentation Needed
	// can set; lower values are raised to it. It is Linux's
	// ip_rt_min_pmtu (512 + 20 + 20), the defence against forged
	// Fragmentation Needed messages that would make every packet tiny.
	// Its tunnel MTU is below 1280, so DF is cleared (see TunnelMTU).
	MinPathMTU = 552

	// PMTUTimeout is how long a learned path MTU holds before the path is
	// probed at the configured MTU again (RFC 1191 §6.3 suggests 10
	// minutes; Linux's mtu_expires is 600 s).
	PMTUTimeout = 10 * time.Minute

	// DefaultICMPRate and DefaultICMPBurst bound the ICMP errors the
	// router generates in each direction (RFC 4443 §2.4(f)): on average
	// DefaultICMPRate per second, at most DefaultICMPBurst at once.
	DefaultICMPRate  = 100
	DefaultICMPBurst = 10
)

// Config describes one tunnel: the mechanism, its addresses and the policy
// the router applies. Which fields matter depends on Mechanism; the others
// are ignored. NewPolicy uses the address and check fields, NewRouter all
// of them.
type Config struct {
	// Mechanism selects 6to4, 6rd, ISATAP or a configured 6in4 tunnel.
	Mechanism Mechanism

	// Local is this node's IPv4 address: the outer source of every packet
	// sent and the outer destination every packet received must have.
	Local netip.Addr

	// Relay makes this node the router side of the mechanism: a 6to4
	// relay, a 6rd border relay or an ISATAP router. A relay accepts inner
	// destinations outside its own prefix (it forwards them natively)
	// and sends only to destinations the mechanism maps to an IPv4
	// address. Without Relay the node is a 6to4 site router, a 6rd CE or
	// an ISATAP host: it accepts only packets for its own prefix and sends
	// everything else to the relay, border relay or ISATAP router.
	Relay bool

	// SiteIPv4 is the IPv4 address embedded in this node's 6to4 or 6rd
	// prefix when it is not Local: the public address of a site whose
	// protocol-41 traffic is DNATed to Local. Packets to that prefix are
	// then accepted although the embedded address is not the outer
	// destination (Linux's only_dnatted exception). Default: Local.
	SiteIPv4 netip.Addr

	// SixToFourRelay is the 6to4 relay router that gets every packet for
	// a destination outside 2002::/16 (RFC 3056 §5.3). It is also allowed
	// to send native-source packets. The zero Addr means none: such
	// packets are refused with ErrNoRoute. RFC 7526 deprecated the anycast
	// address 192.88.99.1; configure a known relay instead.
	SixToFourRelay netip.Addr

	// SixRD is the 6rd domain (RFC 5969 §4): the 6rd prefix, IPv4MaskLen
	// and border relays. The first border relay gets every packet for a
	// destination outside the domain; all of them may send native-source
	// packets.
	SixRD addr.SixRD

	// PRL is the ISATAP potential router list (RFC 5214 §8.3.2). Packets
	// from these IPv4 addresses are accepted whatever their inner source
	// (RFC 5214 §7.3); off-link destinations go to the first.
	PRL []netip.Addr

	// OnLink lists the ISATAP interface's on-link /64 prefixes besides
	// fe80::/64, which is always on-link. The first one also forms this
	// node's ISATAP address.
	OnLink []netip.Prefix

	// AllowedRelays lists further IPv4 addresses allowed to send packets
	// with native (non-6to4, non-6rd) inner sources to a 6to4 site or a
	// 6rd CE (RFC 3964 §5.3).
	AllowedRelays []netip.Addr

	// AnyRelay accepts native inner sources from any outer source, as
	// Linux does. It is needed to receive from 6to4 relays reached by
	// anycast, whose addresses are unknown; it is also what makes 6to4
	// spoofable (RFC 3964 §5.3).
	AnyRelay bool

	// Remote is the other end of a configured (6in4) tunnel.
	Remote netip.Addr

	// InnerSources, if not empty, are the only inner source prefixes a
	// configured tunnel accepts from its remote besides link-local ones
	// (RFC 4213 §3.6 ingress filtering).
	InnerSources []netip.Prefix

	// TreatAsGlobal lists address prefixes to classify as globally usable
	// although the IANA registries say otherwise (see
	// addr.NewClassifier): labs and the namespace tests use documentation
	// addresses as their Internet. The classifier is strict by default.
	TreatAsGlobal []netip.Prefix

	// Addr is this node's IPv6 address on the tunnel, the source of the
	// ICMPv6 errors the router generates. Default: 2002:V4ADDR::1 (6to4),
	// the delegated prefix ::1 (6rd), the ISATAP address in the first
	// on-link prefix or fe80::/64 (ISATAP), fe80::V4ADDR (6in4, RFC 4213
	// §3.7).
	Addr netip.Addr

	// Outer is how outer headers are built (TTL, TOS, ECN).
	Outer OuterPolicy

	// NoPMTUDisc never sets DF (Linux "nopmtudisc"); packets are then
	// checked only against MTU.
	NoPMTUDisc bool

	// MTU is the tunnel's IPv6 MTU, 1280 to 65515; 0 means it follows the
	// path MTU (see TunnelMTU). RFC 4213 §3.2 recommends a static 1280;
	// Linux defaults to 1480. Larger packets get a Packet Too Big.
	MTU int

	// PathMTU is the IPv4 path MTU toward every peer until ICMPv4
	// Fragmentation Needed messages lower it for one. Default
	// DefaultPathMTU.
	PathMTU int

	// DecapECN selects the ECN decapsulation table.
	DecapECN DecapECN

	// NoReassembly refuses fragmented outer packets with ErrFragmented
	// instead of reassembling them (Linux reassembles before any raw
	// socket sees a packet, so I/O through a raw socket never needs it).
	NoReassembly bool

	// Reassembly bounds the reassembler.
	Reassembly ReassemblyConfig

	// ICMPv4Unreachable answers protocol-41 packets no tunnel accepts
	// (ErrNoTunnel, ErrNotFromRemote) with an ICMPv4 Destination
	// Unreachable, code 3 (port unreachable), as Linux's tunnel4 does.
	// Default: silent.
	ICMPv4Unreachable bool

	// ICMPRate and ICMPBurst bound generated ICMP errors per direction;
	// 0 takes DefaultICMPRate and DefaultICMPBurst, a negative ICMPRate
	// removes the limit.
	ICMPRate, ICMPBurst int

	// IDSeed is the first outer IPv4 Identification; the router counts up
	// from it. Callers that want unpredictable IDs seed it randomly.
	IDSeed uint16
}
