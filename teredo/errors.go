package teredo

import (
	"errors"

	"github.com/transit6/transit6/packet"
)

// Errors returned by Packet.Decode, one per reason a UDP payload is not a
// Teredo packet (RFC 4380 §5.1.1, §5.2.3; RFC 6081 §4). They are returned
// bare (no wrapping, no allocation), so callers compare them with errors.Is
// or ==.
var (
	// ErrTooShort reports a payload of fewer than 2 bytes: too short for
	// the 2-byte discriminator that starts an indicator or an IPv6 header.
	ErrTooShort = errors.New("teredo: payload too short")

	// ErrAuthTruncated reports an authentication indicator (00 01) that
	// runs past the end of the payload: fewer than 13 bytes, or ID-len and
	// AU-len announcing more bytes than remain.
	ErrAuthTruncated = errors.New("teredo: truncated authentication indicator")

	// ErrOriginTruncated reports an origin indication (00 00) shorter than
	// its 8 bytes.
	ErrOriginTruncated = errors.New("teredo: truncated origin indication")

	// ErrAuthAfterOrigin reports an authentication indicator that follows
	// an origin indication: RFC 4380 §5.1.1 puts authentication first.
	ErrAuthAfterOrigin = errors.New("teredo: authentication indicator after origin indication")

	// ErrDuplicateAuth reports a second authentication indicator.
	ErrDuplicateAuth = errors.New("teredo: duplicate authentication indicator")

	// ErrDuplicateOrigin reports a second origin indication.
	ErrDuplicateOrigin = errors.New("teredo: duplicate origin indication")

	// ErrUnknownIndicator reports a payload (or what follows an indicator)
	// starting with 00 02 to 00 FF: an indicator type RFC 4380 does not
	// define.
	ErrUnknownIndicator = errors.New("teredo: unknown indicator type")

	// ErrNotIPv6 reports that the bytes after the indicators do not start
	// with IP version 6 (an IPv4 packet, version 0, 7, ...).
	ErrNotIPv6 = errors.New("teredo: not an IPv6 packet")

	// ErrShortIPv6 reports fewer than 40 bytes (the IPv6 header) after the
	// indicators, including none at all.
	ErrShortIPv6 = errors.New("teredo: truncated IPv6 header")

	// ErrIPv6Length reports an IPv6 Payload Length that runs past the end of
	// the UDP payload (RFC 4380 §5.2.3: the length must be consistent with
	// the UDP length).
	ErrIPv6Length = errors.New("teredo: IPv6 payload length exceeds the datagram")
)

// Errors of the RFC 6081 trailers that follow the IPv6 packet, returned by
// TrailerIter and Packet.Decode.
var (
	// ErrTrailerTruncated reports a trailer whose type and length bytes, or
	// whose value, run past the end of the payload.
	ErrTrailerTruncated = errors.New("teredo: truncated trailer")

	// ErrAltAddrLength reports an Alternate Address trailer whose length is
	// not 8, 14, 20 or 26 ([MS-TERR] §2.2.2).
	ErrAltAddrLength = errors.New("teredo: bad alternate address trailer length")

	// ErrAltAddrReserved reports an Alternate Address trailer whose reserved
	// field is not zero.
	ErrAltAddrReserved = errors.New("teredo: alternate address trailer reserved field not zero")

	// ErrAltAddrPort reports a zero port in an Alternate Address trailer.
	ErrAltAddrPort = errors.New("teredo: alternate address with port 0")

	// ErrAltAddrIPv4 reports an IPv4 address in an Alternate Address
	// trailer that is not unicast (see IsAltAddrUnicast), or a non-IPv4
	// address given to the builder.
	ErrAltAddrIPv4 = errors.New("teredo: alternate address not a unicast IPv4 address")

	// ErrTrailerTooLong reports a trailer value longer than 255 bytes, or
	// an Alternate Address trailer built with no address or more than 4.
	ErrTrailerTooLong = errors.New("teredo: trailer value too long")

	// ErrWrongTrailerType reports a typed accessor called on a trailer of
	// another type.
	ErrWrongTrailerType = errors.New("teredo: wrong trailer type")
)

// Errors of the builders.
var (
	// ErrNoHeadroom is packet.ErrNoHeadroom: an in-place builder was asked
	// to write headers in front of offset off, but off is too small.
	ErrNoHeadroom = packet.ErrNoHeadroom

	// ErrTooLong reports a Teredo payload longer than MaxPayloadLen (65507
	// bytes, the largest UDP payload over IPv4; RFC 4380 §5.1.2).
	ErrTooLong = errors.New("teredo: payload too long")

	// ErrFieldTooLong reports a client identifier or authentication value
	// longer than 255 bytes, which its 1-byte length cannot describe.
	ErrFieldTooLong = errors.New("teredo: authentication field longer than 255 bytes")

	// ErrNotIPv4 reports an origin indication, outer address or server address that is
	// not an IPv4 address and port (IPv4-mapped IPv6 is refused too).
	ErrNotIPv4 = errors.New("teredo: not an IPv4 address")

	// ErrNotLinkLocal reports a Router Solicitation or Advertisement source,
	// or an Advertisement destination, that is not an IPv6 link-local
	// address.
	ErrNotLinkLocal = errors.New("teredo: not an IPv6 link-local address")
)

// Errors of ParseRouterSolicitation (RFC 4380 §5.3, case 4). Besides these,
// it returns the errors of packet.ParseICMPv6 and
// packet.ParseRouterSolicitation as they are (packet.ErrNotICMPv6,
// packet.ErrWrongType, packet.ErrBadHopLimit, packet.ErrBadChecksum, ...).
var (
	// ErrRSSource reports a Router Solicitation whose IPv6 source is not
	// link-local.
	ErrRSSource = errors.New("teredo: router solicitation source not link-local")

	// ErrRSDestination reports a Router Solicitation not sent to ff02::2.
	ErrRSDestination = errors.New("teredo: router solicitation not sent to all-routers")
)

// Errors of ValidateRouterAdvertisement (RFC 4380 §5.2.1). Besides these, it
// returns the errors of packet.ParseICMPv6 and
// packet.ParseRouterAdvertisement as they are (packet.ErrNotICMPv6,
// packet.ErrWrongType, packet.ErrBadHopLimit, packet.ErrBadChecksum,
// packet.ErrBadOption, ...).
var (
	// ErrRASender reports a Router Advertisement from another IPv4 address
	// or port than Solicitation.Sender.
	ErrRASender = errors.New("teredo: router advertisement from unexpected sender")

	// ErrRANoOrigin reports a Router Advertisement without an origin
	// indication.
	ErrRANoOrigin = errors.New("teredo: router advertisement without origin indication")

	// ErrRANoAuth reports a Router Advertisement without an authentication
	// indicator answering a solicitation that carried a nonce.
	ErrRANoAuth = errors.New("teredo: router advertisement without authentication indicator")

	// ErrRANonce reports a Router Advertisement whose nonce differs from the
	// solicitation's.
	ErrRANonce = errors.New("teredo: router advertisement nonce mismatch")

	// ErrRADestination reports a Router Advertisement not addressed to the
	// link-local source of the solicitation.
	ErrRADestination = errors.New("teredo: router advertisement destination is not the solicitation source")

	// ErrRAPrefixCount reports a Router Advertisement without exactly one
	// Prefix Information option.
	ErrRAPrefixCount = errors.New("teredo: router advertisement without exactly one prefix")

	// ErrRAPrefixLen reports a Prefix Information option whose prefix
	// length is not 64.
	ErrRAPrefixLen = errors.New("teredo: router advertisement prefix is not a /64")

	// ErrRAPrefix reports an advertised prefix outside the Teredo service
	// prefix 2001:0::/32.
	ErrRAPrefix = errors.New("teredo: router advertisement prefix is not a Teredo prefix")

	// ErrRAServer reports an advertised prefix whose bits 32–63 are not the
	// expected server IPv4 address.
	ErrRAServer = errors.New("teredo: router advertisement prefix names another server")

	// ErrRAMTU reports an MTU option outside [MinMTU, MaxMTU].
	ErrRAMTU = errors.New("teredo: router advertisement MTU out of range")
)

// Errors of the secure qualification authenticator (RFC 4380 §5.2.2).
var (
	// ErrNoAuth reports a packet without the authentication indicator an
	// Authenticator needs.
	ErrNoAuth = errors.New("teredo: no authentication indicator")

	// ErrAuthValue reports an authentication value that does not verify, or
	// whose length is not the size of the authenticator's MAC.
	ErrAuthValue = errors.New("teredo: authentication value does not verify")
)

// Errors of the server engine (RFC 4380 §5.3), one per reason Server drops a
// datagram, in the order of its checks; ServerReason.Err maps each reason to
// its sentinel. Every one but ErrServerConfig is returned bare.
var (
	// ErrServerConfig reports an unusable ServerConfig; NewServer wraps it
	// with the details.
	ErrServerConfig = errors.New("teredo: invalid server configuration")

	// ErrServerSocket reports a datagram handed to the server with a Socket
	// other than PrimarySocket or SecondarySocket.
	ErrServerSocket = errors.New("teredo: unknown server socket")

	// ErrServerLoop reports a datagram from one of the server's own
	// addresses on port 3544, or one the server would send to itself: the
	// loop guard of Miredo's server.
	ErrServerLoop = errors.New("teredo: packet would loop through the server")

	// ErrServerMalformed reports a payload that is not a well-formed Teredo
	// IPv6 packet (RFC 4380 §5.3, check 1); the verdict's Cause is the
	// decoder's error.
	ErrServerMalformed = errors.New("teredo: malformed Teredo packet")

	// ErrServerNotBubbleOrICMPv6 reports an IPv6 packet that is neither a
	// bubble nor ICMPv6: a server is no relay (RFC 4380 §5.3, check 2).
	ErrServerNotBubbleOrICMPv6 = errors.New("teredo: neither a bubble nor ICMPv6")

	// ErrServerSource reports an IPv4 source that is not global unicast, or
	// UDP source port 0 (RFC 4380 §5.3, check 3).
	ErrServerSource = errors.New("teredo: IPv4 source not global unicast")

	// ErrServerBadRS reports a packet from a link-local source to ff02::2
	// that is not a valid Router Solicitation (RFC 4380 §5.3, check 4; RFC
	// 4861 §6.1.1); the verdict's Cause is the parser's error.
	ErrServerBadRS = errors.New("teredo: invalid router solicitation")

	// ErrServerRateLimited reports a Router Solicitation over the per-source
	// rate limit.
	ErrServerRateLimited = errors.New("teredo: router solicitation rate limited")

	// ErrServerAuth reports a Router Solicitation that fails secure
	// qualification (RFC 4380 §5.2.2, §5.3 check 4); the verdict's Cause is
	// ErrNoAuth or ErrAuthValue.
	ErrServerAuth = errors.New("teredo: router solicitation failed authentication")

	// ErrServerNotAccepted reports a packet that matches none of the
	// accepted cases (RFC 4380 §5.3, check 7): a Teredo source that does not
	// embed the outer address and port, or a non-Teredo source to a
	// destination this server does not serve.
	ErrServerNotAccepted = errors.New("teredo: packet not accepted by the server")

	// ErrServerLocalDestination reports an accepted packet for a link-local
	// or multicast destination that the server does not process itself.
	ErrServerLocalDestination = errors.New("teredo: link-local or multicast destination")

	// ErrServerNonGlobalClient reports a Teredo destination whose embedded
	// IPv4 address is not global unicast or whose port is 0 (RFC 4380 §5.3).
	ErrServerNonGlobalClient = errors.New("teredo: Teredo destination embeds a non-global IPv4 address")

	// ErrServerNonGlobalDestination reports a non-Teredo destination that
	// is not a public IPv6 address (RFC 4380 §5.3: MUST NOT forward).
	ErrServerNonGlobalDestination = errors.New("teredo: non-global IPv6 destination")

	// ErrServerNativeDisabled reports a packet for a native IPv6
	// destination while native forwarding is off.
	ErrServerNativeDisabled = errors.New("teredo: native IPv6 forwarding disabled")

	// ErrServerTooLarge reports a packet to forward whose IPv6 payload and
	// trailers exceed ServerConfig.ForwardLimit.
	ErrServerTooLarge = errors.New("teredo: packet too large to forward")
)

// Errors of the client engine (RFC 4380 §5.2): its configuration, the
// conditions ClientStatus.LastError and EventServerOffline report, and the
// reasons Client.HandleDatagram drops a datagram besides those of
// Packet.Decode and ValidateRouterAdvertisement.
var (
	// ErrClientConfig reports an unusable ClientConfig; NewClient wraps it
	// with the details.
	ErrClientConfig = errors.New("teredo: invalid client configuration")

	// ErrNoAnswer reports a Teredo server that answered none of N Router
	// Solicitations (RFC 4380 §5.2.1): the client considers it offline.
	ErrNoAnswer = errors.New("teredo: no answer from the Teredo server")

	// ErrNoSecondaryAnswer reports a server whose secondary address did not
	// answer the NAT test, which could then not tell a symmetric NAT.
	ErrNoSecondaryAnswer = errors.New("teredo: no answer from the Teredo server's secondary address")

	// ErrNotQualified reports a datagram for the data path received while
	// the client has no Teredo address (or any datagram while stopped).
	ErrNotQualified = errors.New("teredo: client not qualified")

	// ErrRAMapped reports a Router Advertisement whose origin indication
	// maps the client to a non-global IPv4 address or to port 0.
	ErrRAMapped = errors.New("teredo: router advertisement maps the client to a non-global address")

	// ErrRandom reports that the client's random source failed; it went on
	// with a weaker generator.
	ErrRandom = errors.New("teredo: random source failed")
)
