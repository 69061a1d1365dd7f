// Package iphttps implements IP over HTTPS (IP-HTTPS, [MS-IPHTTPS]), the
// DirectAccess transition protocol that carries IPv6 packets inside one long
// HTTP POST, normally over TLS on port 443: a client and a server.
//
// It has three layers. The codec is pure (no sockets, no clock, no
// goroutines): the HTTP head in both directions and the framing of the
// packet streams that follow it. The Router is the server's router role
// without I/O: packets and the time come in as arguments, packets for
// clients go into their bounded send queues. Server, Dial (and its Conn)
// and Client are the thin I/O runners: TLS and TCP, goroutines, a Device
// (a TUN interface) on either side.
//
// # Server and router
//
// A Server accepts connections (TLS from ServerTLSConfig, or plain HTTP
// behind a TLS terminator), reads each head under a deadline, answers 200
// and the first Router Advertisement, and then runs a reader (Reader →
// Router.FromClient) and a writer (the session's queue → the connection)
// per client, and one reader of the native Device (Router.FromNative).
// The Router advertises the prefix and MTU 1280, learns which client owns
// which address, forwards between clients and to the native side, applies
// the rules of the authentication mode (AuthNone: no link-local or
// multicast between clients, DAD answered by the server; AuthCertificates:
// multicast forwarded), and never waits for a client: each has a bounded
// queue, and what does not fit is dropped and counted.
//
// # Client
//
// Dial connects (through an HTTP proxy with CONNECT if configured),
// verifies the server certificate, writes the head and a Router
// Solicitation, reads the 200 and the Router Advertisement, and returns a
// Conn with the address (the advertised prefix and a random or configured
// interface identifier) and batch packet I/O. Client keeps a Conn up,
// reconnecting with the timer of [MS-IPHTTPS] §3.1.2.1 (Backoff), and moves
// packets between it and a Device.
//
// # Protocol
//
// The client opens an HTTPS (or, behind a TLS terminator, HTTP) connection
// and sends a request head ([MS-IPHTTPS] §3.1.5.2, §4.1):
//
//	POST /IPHTTPS HTTP/1.1
//	Host: da.example.com
//	Content-Length: 18446744073709551615
//
// The server answers ([MS-IPHTTPS] §3.2.5.1, §4.1):
//
//	HTTP/1.1 200 OK
//	Server: Microsoft-HTTPAPI/2.0
//	Date: Sun, 10 Aug 2008 03:51:52 GMT
//
// with no Content-Length and no Transfer-Encoding. From then on the request
// body carries the client's IPv6 packets and the response body the
// server's, back to back, delimited only by each packet's Payload Length
// ([MS-IPHTTPS] §3.1.5.3, §3.2.5.2). There is no other message: no
// keepalive, no close, no padding. Data that is not IPv6 ends the session,
// since the stream cannot be resynchronised.
//
// AppendRequestHead, ParseRequestHead and ReadRequestHead handle the
// request; AppendResponseHead, ParseResponseHead and ReadResponseHead the
// response; Reader and Writer the packet streams.
//
// # Why not net/http
//
// net/http cannot carry IP-HTTPS. It parses Content-Length as an int64 and
// answers 18446744073709551615 with 400 Bad Request before any handler runs;
// a handler's streamed response goes out with Transfer-Encoding: chunked,
// whose chunk-size lines a Windows peer would read as IPv6 headers; and its
// client cannot send the length either (iphttps.md report sections 5.1, 5.2,
// 5.11). This package writes and parses the heads itself: Content-Length as
// a uint64, header names in any case (HAProxy lowercases them), no
// Transfer-Encoding ever, a bounded head, and a distinct error for each
// thing it refuses.
//
// # Choices where the specification is silent
//
// [MS-IPHTTPS] says only that the client SHOULD send Content-Length
// 18446744073709551615. The parsers decide the rest (iphttps.md report
// sections 5.9 and 9):
//
//   - Transfer-Encoding, chunked or any other, is refused in requests and
//     in 200 responses: the body must be the raw packet stream.
//   - A request must carry one Content-Length, not 0 (an empty body holds no
//     stream); a missing one is accepted only with
//     RequestOptions.AllowNoContentLength. Repeated or list-valued lengths
//     are refused even when equal. A finite length is accepted and returned:
//     it bounds the stream.
//   - Lines may end with a bare LF (RFC 9112 §2.2; openssl s_client without
//     -crlf and the ip-https-tools script send them) unless StrictCRLF; a
//     bare CR and obsolete line folding are refused.
//   - Methods are case-sensitive (POST only by default); paths compare
//     ignoring case, without decoding, so /IPHTTPS/ is another path.
//   - HTTP/1.1 requests need exactly one Host, of any form; HTTP/1.0 ones
//     may omit it.
//   - A response with another status than 200 is returned with ErrStatus
//     and its head, for the caller to report.
//
// # Buffers
//
// Nothing here allocates on its hot paths. Parsed heads are views: their
// accessors return slices of the parsed buffer, valid as long as it is. The
// head readers read into the caller's buffer and return, next to the head,
// the bytes that came after it: the start of the packet stream, which must
// be handed to NewReader. A Reader owns the buffer it is given; the packet
// Next returns aliases it until the next call. ReadBatch copies packets out
// at an offset instead. A Writer owns its coalescing buffer and does not
// retain the packets it is given.
package iphttps
