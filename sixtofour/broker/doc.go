// Package broker is the endpoint-update client of a tunnel broker: it tells
// Hurricane Electric's tunnelbroker.net (or any broker speaking the same
// dyndns2-style API) the IPv4 address its configured 6in4 tunnel (RFC 4213)
// should now send to, as `transit6 tunnel 6in4 --update-url URL
// --update-user U --update-key-file F` does when the local address changes.
//
// A broker in the sense of RFC 3053 hands out a configured tunnel whose far
// end is fixed; a user with a dynamic IPv4 address must update that end
// whenever the address changes, or the tunnel goes dead in one direction.
//
// # Protocol
//
// The request is an HTTP GET (HE's endpoint update API, dyndns2-compatible):
//
//	GET https://ipv4.tunnelbroker.net/nic/update?hostname=TUNNEL_ID[&myip=IPV4]
//	Authorization: Basic base64(USER ":" UPDATE_KEY)
//	User-Agent: transit6-broker/1 (...)
//
// hostname carries the numeric tunnel ID; the credentials are the account
// name and the tunnel's Update Key (or the account password), sent with
// HTTP Basic authentication (RFC 7617). myip is optional: without it the
// broker uses the address the request comes from. [Client.MyIP] sends it
// only for a globally usable IPv4 address, so an RFC 1918 or RFC 6598
// (100.64.0.0/10) address behind a NAT is never announced, as OpenWrt's 6in4
// updater does; transit6 extends that to every non-global address.
//
// The answer is one line of text. "good <ipv4>" (updated) and "nochg <ipv4>"
// (already so) are success; every other answer is a distinct error
// ([ErrBadAuth], [ErrNoHost], [ErrAbuse], ...; see [ParseResponse]). The
// dyndns2 error codes (badauth, !donator, !yours, notfqdn, nohost, numhost,
// abuse, badagent, badsys, dnserr, 911, and "good 127.0.0.1" for an ignored
// request) are the DynDNS (Dyn) update specification's return codes: HE
// answers in that protocol, but its exact subset is not published. The
// parser also reads the answers of HE's older endpoint,
// ipv4_end.php ("+OK: Tunnel endpoint updated to: <ipv4>" and
// "-ERROR: <reason>" lines such as "Tunnel not found" or "IP is not ICMP
// pingable"; HE pings a new endpoint before accepting it). The dyndns2
// specification treats repeated no-change updates as abuse and asks clients
// to stop after a failure until the user acts: update only when the address
// changed, and retry only the errors [Retryable] accepts.
//
// Sources: HE's endpoint-update documentation as quoted by its users
// (forums.he.net topic 1994; OpenWrt's 6in4.sh and openwrt/packages#11168;
// troglobit/inadyn#83; MikroTik scripts matching "^(good|nochg) "), Dyn's
// dyndns2 return-code table (help.dyn.com/return-codes), and, for the
// legacy texts, DDNS clients that spoke ipv4_end.php.
//
// # Security
//
// Credentials go only in the Authorization header: [Client.Update] refuses
// URLs carrying user:key@ or username=/password= parameters, refuses clear
// text http except to loopback hosts, and never follows a redirect.
// [KeyFromFile] reads the key from a file that must not be world-readable.
// Answers are read up to [MaxResponseLen] bytes, and errors quote at most
// 64 bytes of an unexpected answer, escaped.
//
// # Example
//
//	c := &broker.Client{User: "alice", Key: key}
//	res, err := c.Update(ctx, "123456", local) // local: the tunnel's IPv4
//	switch {
//	case err == nil:
//		log.Printf("broker: %s", res) // "good 198.51.100.7"
//	case broker.Retryable(err):
//		// try again later
//	default:
//		// stop updating until the configuration is fixed
//	}
package broker
