package packet

// Header sizes and the headroom each transit6 encapsulation needs in front of
// an inner packet. A caller that reads an IPv6 packet into buf[Headroom:]
// (from a TUN device, say) can then write every outer header in place,
// into buf[:Headroom], without moving the packet.
const (
	// IPv4HeaderLen is the length of an IPv4 header without options
	// (IHL 5, RFC 791). Every IPv4 header this package writes has this length.
	IPv4HeaderLen = 20

	// IPv4MaxHeaderLen is the longest IPv4 header: IHL 15, 40 bytes of
	// options (RFC 791).
	IPv4MaxHeaderLen = 60

	// IPv6HeaderLen is the length of the fixed IPv6 header (RFC 8200 §3),
	// without extension headers.
	IPv6HeaderLen = 40

	// UDPHeaderLen is the length of the UDP header (RFC 768).
	UDPHeaderLen = 8

	// Proto41Headroom is the headroom for IPv6-in-IPv4 (protocol 41: 6to4,
	// 6rd, ISATAP, configured 6in4; RFC 4213 §3.5): one optionless IPv4
	// header.
	Proto41Headroom = IPv4HeaderLen

	// TeredoHeadroom is the headroom for the largest Teredo encapsulation
	// transit6 writes in front of an IPv6 packet (RFC 4380 §5.1.1): IPv4
	// header (20) + UDP header (8) + an authentication indicator with empty
	// client identifier and authentication value (13: type 2, ID-len 1,
	// AU-len 1, nonce 8, confirmation 1) + an origin indication (8: type 2,
	// obfuscated port 2, obfuscated address 4) = 49 bytes. Plain Teredo
	// data packets use only the first 28.
	TeredoHeadroom = IPv4HeaderLen + UDPHeaderLen + 13 + 8

	// MaxHeadroom is headroom enough for every encapsulation transit6
	// writes (protocol 41, Teredo, IP-HTTPS framing), with room to spare;
	// it is a multiple of 64 so the inner packet starts cache-line aligned
	// when the buffer does. Buffer pools should reserve it in front of every
	// packet.
	MaxHeadroom = 128
)

// IP protocol numbers (IPv4 Protocol, IPv6 Next Header), from the IANA
// "Assigned Internet Protocol Numbers" registry.
const (
	ProtoHopByHop  = 0  // IPv6 Hop-by-Hop Options (RFC 8200 §4.3)
	ProtoICMP      = 1  // ICMP for IPv4 (RFC 792)
	ProtoTCP       = 6  // TCP (RFC 9293)
	ProtoUDP       = 17 // UDP (RFC 768)
	ProtoIPv6      = 41 // IPv6 encapsulation (RFC 2473, RFC 4213)
	ProtoIPv6Encap = ProtoIPv6
	ProtoIPv6Route = 43 // IPv6 Routing header (RFC 8200 §4.4)
	ProtoIPv6Frag  = 44 // IPv6 Fragment header (RFC 8200 §4.5)
	ProtoESP       = 50 // Encapsulating Security Payload (RFC 4303)
	ProtoAH        = 51 // Authentication Header (RFC 4302)
	ProtoICMPv6    = 58 // ICMP for IPv6 (RFC 4443)
	ProtoNoNext    = 59 // IPv6 No Next Header (RFC 8200 §4.7)
	ProtoIPv6Opts  = 60 // IPv6 Destination Options (RFC 8200 §4.6)
)
