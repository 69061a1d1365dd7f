package iphttps

import "errors"

// Errors of the HTTP head parsers ([ParseRequestHead], [ParseResponseHead],
// [ReadRequestHead], [ReadResponseHead]). They are returned bare (no
// wrapping, no allocation), so callers may compare them with errors.Is or ==.
// Every one but [ErrIncomplete] and [ErrStatus] means the peer sent a head
// this package refuses; a server then closes the connection (with or without
// an HTTP error response: the server reply to a bad request is unspecified,
// iphttps.md report section 10).
var (
	// ErrIncomplete reports that the bytes given end before the blank line
	// that ends the head, and no error was found in the complete lines so
	// far: read more bytes and parse again.
	ErrIncomplete = errors.New("iphttps: incomplete HTTP head")

	// ErrHeadTooLarge reports that no blank line ends the head within the
	// size limit (RequestOptions.MaxHeadLen, ResponseOptions.MaxHeadLen, or
	// the buffer given to ReadRequestHead or ReadResponseHead).
	ErrHeadTooLarge = errors.New("iphttps: HTTP head too large")

	// ErrBadRequestLine reports a request line that is not method SP
	// request-target SP HTTP-version (RFC 9112 §3): a missing or doubled
	// space, a method that is not a token, a control character or space in
	// the target, or a version not of the form HTTP/d.d.
	ErrBadRequestLine = errors.New("iphttps: malformed HTTP request line")

	// ErrBadStatusLine reports a status line that is not HTTP-version SP
	// 3DIGIT [SP reason] (RFC 9112 §4).
	ErrBadStatusLine = errors.New("iphttps: malformed HTTP status line")

	// ErrHTTPVersion reports a well-formed HTTP version other than HTTP/1.0
	// and HTTP/1.1, the versions [MS-IPHTTPS] §1.2.1 references.
	ErrHTTPVersion = errors.New("iphttps: unsupported HTTP version")

	// ErrMethod reports a request method other than POST ([MS-IPHTTPS]
	// §3.1.5.2), or than those listed in RequestOptions.Methods.
	ErrMethod = errors.New("iphttps: HTTP method not allowed")

	// ErrBadTarget reports a request-target in neither origin-form
	// ("/IPHTTPS") nor absolute-form with an http or https scheme (RFC 9112
	// §3.2): authority-form, asterisk-form and other schemes are refused.
	ErrBadTarget = errors.New("iphttps: unsupported HTTP request target")

	// ErrPath reports a request path that differs, ignoring ASCII case, from
	// RequestOptions.Path.
	ErrPath = errors.New("iphttps: HTTP request path does not match")

	// ErrMalformedHeader reports a header line without a colon, a field
	// name that is empty or not a token (including whitespace before the
	// colon, which RFC 9112 §5.1 requires rejecting), or a field value with
	// a control character other than horizontal tab.
	ErrMalformedHeader = errors.New("iphttps: malformed HTTP header line")

	// ErrObsFold reports a header line that starts with a space or tab:
	// obsolete line folding (RFC 9112 §5.2), refused here.
	ErrObsFold = errors.New("iphttps: obsolete HTTP header line folding")

	// ErrBareCR reports a carriage return not followed by a line feed
	// (RFC 9112 §2.2).
	ErrBareCR = errors.New("iphttps: bare CR in HTTP head")

	// ErrBareLF reports a line ended by a line feed alone when the options
	// ask for strict CRLF line endings (StrictCRLF). By default a bare LF
	// ends a line, as RFC 9112 §2.2 allows.
	ErrBareLF = errors.New("iphttps: bare LF in HTTP head")

	// ErrTransferEncoding reports a Transfer-Encoding header field (chunked
	// or any other coding) in a request, or in a 200 response. The packet
	// stream is the raw entity body ([MS-IPHTTPS] §3.1.5.3, §3.2.5.2): a
	// chunk-size line would be read as an IPv6 header.
	ErrTransferEncoding = errors.New("iphttps: Transfer-Encoding not allowed")

	// ErrNoContentLength reports a request without Content-Length, which
	// HTTP reads as an empty body (RFC 9112 §6.3) and [MS-IPHTTPS] §3.1.5.2
	// asks for; see RequestOptions.AllowNoContentLength.
	ErrNoContentLength = errors.New("iphttps: no Content-Length in request")

	// ErrZeroContentLength reports Content-Length: 0 in a request or in a 200
	// response: the body, and so the packet stream, would be empty.
	ErrZeroContentLength = errors.New("iphttps: Content-Length is 0")

	// ErrBadContentLength reports a Content-Length value that is not
	// 1*DIGIT (RFC 9110 §8.6): empty, signed, with inner spaces or other
	// characters.
	ErrBadContentLength = errors.New("iphttps: malformed Content-Length")

	// ErrContentLengthOverflow reports a Content-Length above
	// 18446744073709551615 (2^64-1), the value [MS-IPHTTPS] §3.1.5.2 asks
	// clients to send.
	ErrContentLengthOverflow = errors.New("iphttps: Content-Length overflows 64 bits")

	// ErrDuplicateContentLength reports more than one Content-Length field,
	// or a list value ("5, 5"), with equal values. RFC 9110 §8.6 lets a
	// recipient merge these; this package refuses them, as request
	// smuggling defences do.
	ErrDuplicateContentLength = errors.New("iphttps: duplicate Content-Length")

	// ErrConflictingContentLength reports Content-Length fields or list
	// elements with different values (RFC 9112 §6.3 rule 5).
	ErrConflictingContentLength = errors.New("iphttps: conflicting Content-Length")

	// ErrNoHost reports an HTTP/1.1 request without Host (RFC 9112 §3.2).
	ErrNoHost = errors.New("iphttps: no Host in HTTP/1.1 request")

	// ErrDuplicateHost reports a request with more than one Host field (RFC
	// 9112 §3.2).
	ErrDuplicateHost = errors.New("iphttps: duplicate Host")

	// ErrStatus reports a well-formed response whose status is not 200: the
	// server or a proxy refused the tunnel ([MS-IPHTTPS] §3.1.5.2, §3.2.5.1).
	// Unlike the other errors it comes with the parsed head and its length,
	// so the caller can report the status and, say, answer a proxy's 407.
	ErrStatus = errors.New("iphttps: HTTP status is not 200")
)

// ErrInvalidField is returned by the head appenders for a field they cannot
// write: a method that is not a token, an empty target or host or one with
// spaces or control characters, an extra header named Host, Content-Length
// or Transfer-Encoding, a header value with control characters or leading
// or trailing whitespace. Nothing is appended then.
var ErrInvalidField = errors.New("iphttps: invalid HTTP head field")

// Errors of the packet stream ([Reader], [Writer]). Those of the Reader are
// sticky: once the stream has carried something that is not a framable
// IPv6 packet, the next packet boundary is unknown and the session must end
// ([MS-IPHTTPS] §3.2.5.2: the server SHOULD terminate the session).
var (
	// ErrNotIPv6 reports stream data whose first nibble is not 6, where an
	// IPv6 packet must start ([MS-IPHTTPS] §3.1.5.3, §3.2.5.2: non-IPv6
	// packets MUST be discarded; the stream cannot be resynchronised).
	ErrNotIPv6 = errors.New("iphttps: non-IPv6 data in packet stream")

	// ErrJumbogram reports an IPv6 header with Payload Length 0 and Next
	// Header 0 (Hop-by-Hop Options). A Hop-by-Hop header cannot fit in an
	// empty payload, so this is a jumbogram (RFC 2675 §2), whose length the
	// Payload Length field does not give, or garbage: either way the stream
	// cannot be framed further.
	ErrJumbogram = errors.New("iphttps: IPv6 jumbogram in packet stream")

	// ErrPacketLength reports a packet given to the Writer whose length is
	// not 40 plus its Payload Length: written as is, it would desynchronise
	// the peer's framing.
	ErrPacketLength = errors.New("iphttps: packet length does not match its IPv6 Payload Length")
)

// Errors of the server, the router and the client ([Server], [Router],
// [Dial], [Client]). Configuration errors wrap [ErrInvalidConfig] with
// details; the others are returned bare or wrapped with the failing step.
var (
	// ErrInvalidConfig reports a RouterConfig, Server or ClientConfig that
	// cannot work, such as a prefix longer than 64 bits.
	ErrInvalidConfig = errors.New("iphttps: invalid configuration")

	// ErrTooManyClients reports that the Client Table is full
	// (RouterConfig.MaxClients): the server disconnects the client without
	// an HTTP response ([MS-IPHTTPS] §3.2.5.1).
	ErrTooManyClients = errors.New("iphttps: client table full")

	// ErrServerClosed is returned by Server.Serve after Shutdown or Close.
	ErrServerClosed = errors.New("iphttps: server closed")

	// ErrAuthMode reports a server whose TLS configuration does not
	// implement its router's Authentication Mode: mode Certificates needs
	// tls.RequireAndVerifyClientCert ([MS-IPHTTPS] §3.2.1, §4.2.1).
	ErrAuthMode = errors.New("iphttps: TLS client authentication does not match the authentication mode")

	// ErrBadURL reports a server or proxy URL the client cannot use: not
	// http or https, without a host, or with user information.
	ErrBadURL = errors.New("iphttps: unsupported URL")

	// ErrProxy reports an HTTP proxy that refused to CONNECT to the server
	// ([MS-IPHTTPS] §1.3, §3.1.5.1); its status is in the StatusError.
	ErrProxy = errors.New("iphttps: proxy refused CONNECT")

	// ErrProxyAuth reports a proxy answering 407 Proxy Authentication
	// Required: no credentials were configured, or they were refused.
	ErrProxyAuth = errors.New("iphttps: proxy authentication required")

	// ErrNoRouterAdvertisement reports that no Router Advertisement with a
	// prefix usable for autoconfiguration (Autonomous, at most 64 bits)
	// arrived while setting up the link ([MS-IPHTTPS] §3.1.5.2, RFC 4862
	// §5.5.3).
	ErrNoRouterAdvertisement = errors.New("iphttps: no usable Router Advertisement")

	// ErrDuplicateAddress reports a Neighbor Advertisement for the
	// client's address from another node: Duplicate Address Detection
	// failed (RFC 4862 §5.4.5; in mode None the server sends it on the
	// owner's behalf, [MS-IPHTTPS] §3.2.5.2.2).
	ErrDuplicateAddress = errors.New("iphttps: duplicate address")
)
