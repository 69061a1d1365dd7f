package sixtofour

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/packet"
)

// Addresses of the tests. The IPv4 "Internet" is numbered from the
// documentation ranges, as in the namespace tests, so routers treat them as
// global (Config.TreatAsGlobal); everything else keeps its real class.
var (
	v4A     = netip.MustParseAddr("192.0.2.4")    // 6to4 site A: 2002:c000:204::/48
	v4B     = netip.MustParseAddr("198.51.100.7") // 6to4 site B: 2002:c633:6407::/48
	v4Relay = netip.MustParseAddr("203.0.113.1")  // a 6to4 relay, 6rd BR or ISATAP router
	v4Other = netip.MustParseAddr("203.0.113.9")  // some other Internet host

	site6A = netip.MustParseAddr("2002:c000:204::1")
	site6B = netip.MustParseAddr("2002:c633:6407::1")
	native = netip.MustParseAddr("2001:db8::1") // a native IPv6 host

	labGlobal = []netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/24"),
		netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"),
		netip.MustParsePrefix("2001:db8::/32"),
	}

	t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

// hexb decodes hex that may contain spaces and newlines.
func hexb(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	require.NoError(t, err)
	return b
}

// ip6 is an IPv6 packet to build: header fields and a payload.
type ip6 struct {
	src, dst netip.Addr
	tc       uint8 // traffic class
	hlim     uint8 // 0 means 64
	nh       uint8 // 0 means 59 (No Next Header)
	payload  []byte
}

// bytes builds the packet with package packet's builder.
func (p ip6) bytes(t testing.TB) []byte {
	t.Helper()
	h := packet.IPv6Header{TrafficClass: p.tc, NextHeader: p.nh, HopLimit: p.hlim, Src: p.src, Dst: p.dst}
	if h.NextHeader == 0 {
		h.NextHeader = packet.ProtoNoNext
	}
	if h.HopLimit == 0 {
		h.HopLimit = 64
	}
	b, err := h.AppendTo(nil, len(p.payload))
	require.NoError(t, err)
	return append(b, p.payload...)
}

// sized returns an IPv6 packet of exactly n bytes from src to dst.
func sized(t testing.TB, src, dst netip.Addr, n int) []byte {
	t.Helper()
	pl := make([]byte, n-packet.IPv6HeaderLen)
	for i := range pl {
		pl[i] = byte(i * 7)
	}
	return ip6{src: src, dst: dst, payload: pl}.bytes(t)
}

// ip4 is an outer IPv4 header to build around a payload, independently of
// Encapsulate.
type ip4 struct {
	src, dst netip.Addr
	tos      uint8
	ttl      uint8 // 0 means 64
	proto    uint8 // 0 means 41
	id       uint16
	df       bool
}

// wrap builds the IPv4 packet around payload with package packet's builder.
func (h ip4) wrap(t testing.TB, payload []byte) []byte {
	t.Helper()
	hh := packet.IPv4Header{TOS: h.tos, ID: h.id, DontFragment: h.df, TTL: h.ttl, Protocol: h.proto, Src: h.src, Dst: h.dst}
	if hh.TTL == 0 {
		hh.TTL = 64
	}
	if hh.Protocol == 0 {
		hh.Protocol = packet.ProtoIPv6
	}
	b, err := hh.AppendTo(nil, len(payload))
	require.NoError(t, err)
	return append(b, payload...)
}

// tunnelled builds a protocol-41 packet from outer src to outer dst
// carrying an IPv6 packet from isrc to idst.
func tunnelled(t testing.TB, osrc, odst, isrc, idst netip.Addr) []byte {
	t.Helper()
	return ip4{src: osrc, dst: odst}.wrap(t, ip6{src: isrc, dst: idst}.bytes(t))
}

// fixChecksum recomputes the IPv4 header checksum of b in place.
func fixChecksum(b []byte) {
	hl := int(b[0]&0xf) * 4
	b[10], b[11] = 0, 0
	binary.BigEndian.PutUint16(b[10:], ^packet.Checksum(b[:hl], 0))
}

// withHeadroom copies inner into a new buffer at offset Headroom.
func withHeadroom(inner []byte) ([]byte, int) {
	buf := make([]byte, Headroom+len(inner))
	copy(buf[Headroom:], inner)
	return buf, Headroom
}

// router builds a router or fails the test.
func router(t testing.TB, cfg Config) *Router {
	t.Helper()
	r, err := NewRouter(cfg)
	require.NoError(t, err)
	return r
}

// sixToFour returns the configuration of a 6to4 site router at local in the
// lab Internet.
func sixToFour(local netip.Addr) Config {
	return Config{Mechanism: SixToFour, Local: local, TreatAsGlobal: labGlobal, SixToFourRelay: v4Relay}
}

// out runs one packet through Outbound with headroom.
func out(r *Router, inner []byte) Result {
	buf, off := withHeadroom(inner)
	return r.Outbound(t0, buf, off)
}

// in runs a copy of pkt through Inbound.
func in(r *Router, pkt []byte) Result {
	return r.Inbound(t0, append([]byte(nil), pkt...))
}

// icmp6 parses an IPv6 packet carrying an ICMPv6 message, checksum
// verified by package packet.
func icmp6(t testing.TB, b []byte) packet.ICMPv6 {
	t.Helper()
	ip, err := packet.ParseIPv6(b)
	require.NoError(t, err)
	require.Len(t, ip.Trailer(), 0)
	m, err := packet.ParseICMPv6(ip)
	require.NoError(t, err)
	return m
}
