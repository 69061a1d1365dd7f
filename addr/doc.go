// Package addr derives, decodes and classifies the IPv6 addresses of the
// IPv6-over-IPv4 transition mechanisms, on net/netip values:
//
//   - Teredo (RFC 4380 §4, flags per RFC 5991): [DecodeTeredo], [Teredo.Addr],
//     the server link-local form [TeredoServerLinkLocal] and the well-known
//     client link-locals ([IsTeredoClientLinkLocal]);
//   - 6to4 (RFC 3056): [SixToFourSitePrefix], [DecodeSixToFour];
//   - ISATAP (RFC 5214 §6.1): [ISATAPInterfaceID], [ISATAPAddr],
//     [DecodeISATAP] in Linux-strict or Wireshark-lenient mode;
//   - IPv4-embedded IPv6 for NAT64 (RFC 6052 §2.2): [NAT64Embed],
//     [NAT64Extract] for every allowed prefix length; IPv4-mapped and
//     (deprecated) IPv4-compatible addresses (RFC 4291 §2.5.5);
//   - 6rd (RFC 5969): [SixRD] and the DHCPv4 option [ParseOption6RD].
//
// # Classification
//
// [EmbeddedIPv4] lists every IPv4 address an IPv6 address carries and by
// which mechanism. [IsPublic] combines that with the IANA IPv4 and IPv6
// Special-Purpose Address Registries: an address is public only if its own
// range is globally reachable and every IPv4 address it carries is too. This
// is the check SSRF filters get wrong when they block 127.0.0.1 and
// 169.254.169.254 but let 2002:a9fe:a9fe:: or 64:ff9b::7f00:1 through.
// [NewClassifier] widens the default for labs that use documentation ranges
// as their Internet. [LookupIPv4] and [LookupIPv6] name the range an address
// falls in, and [KindOf] gives the stable kind string the CLI prints.
//
// The tables follow the registries rather than any library; see
// [Classifier.IsPublic] for the rules and the next section for how they
// differ from Python's ipaddress.
//
// # Differences from Python's ipaddress
//
// Python's is_global and is_private are the closest widely used oracle, but
// they answer another question. Observed with CPython 3.12.1 and 3.13.0; the
// 3.13 registry update (the fix for CVE-2024-4032) was also shipped in later
// security releases of older branches, so results depend on the exact
// release:
//
//   - Python never decodes an embedded IPv4 address. 3.12.1 calls
//     2002:a9fe:a9fe:: and 2002:7f00:1:: global; both versions call
//     64:ff9b::7f00:1 and ::7f00:1 global. 3.13.0 instead puts all of
//     2002::/16 in its private list, so 2002:808:808:: is not global there but
//     is public here.
//   - Teredo 2001::/32 is private in both versions (it lies in 2001::/23);
//     here it is judged by its server and client addresses.
//   - Inside 2001::/23, 3.13.0 follows the registry's globally reachable
//     exceptions (2001:1::1, 2001:1::2, 2001:3::/32, 2001:4:112::/48,
//     2001:20::/28, 2001:30::/28), which 3.12.1 called private; 3.13.0 does not
//     yet know 2001:1::3. 64:ff9b:1::/48 is global in 3.12.1, private in
//     3.13.0; here it is not public.
//   - 100.64.0.0/10 is neither private nor global in Python; here it is not
//     global. ::ffff:100.64.0.1 is global in both Python versions.
//   - 192.88.99.0/24 and multicast 224.0.0.0/4 are global in Python (it has a
//     separate is_multicast); here neither is global unicast. 192.0.0.8 is
//     global in 3.12.1.
//   - fec0::/10, 5f00::/16, 3fff::/20 and space outside 2000::/3 (4000::1)
//     are global in both Python versions; here they are not public.
//
// Python's behaviour was checked only for the addresses named above; treat
// it as a list of examples, not a specification of Python.
//
// # Conventions
//
// Everything takes and returns netip values, never panics and, except for
// [NewClassifier], does not allocate. The zero value of each value type is
// not valid. Functions that need an IPv4 argument require Is4 and reject
// IPv4-mapped IPv6 addresses with [ErrNotIPv4] (call Unmap first). Decoders
// ignore the zone of an IPv6 address; [IsPublic] reports false for any
// address with a zone. Errors are the exported sentinels of errors.go,
// returned bare so errors.Is and == both work.
//
// # Example
//
//	t, err := addr.DecodeTeredo(netip.MustParseAddr("2001:0:4136:e378:8000:63bf:3fff:fdd2"))
//	// t.Server = 65.54.227.120, t.Client = 192.0.2.45:40000, t.Cone() = true
//
//	addr.IsPublic(netip.MustParseAddr("2002:a9fe:a9fe::")) // false: carries 169.254.169.254
//	addr.IsPublic(netip.MustParseAddr("2002:808:808::"))   // true: carries 8.8.8.8
package addr
