package packet

import (
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// More vectors. Their checksums were computed independently with a Python
// RFC 1071 sum over the RFC 8200 §8.1 pseudo-header (ipaddress + struct),
// not by this package.
const (
	// Neighbor Solicitation fe80::1 → ff02::1:ff00:2 (the solicited-node
	// address of the target) for 2001:db8::2, Source Link-Layer Address
	// 02:00:00:00:00:01. Checksum 0x4b5f.
	ic6VecNS = `60 00 00 00 00 20 3a ff | fe80 0000 0000 0000 0000 0000 0000 0001 |
		ff02 0000 0000 0000 0000 0001 ff00 0002 |
		87 00 4b 5f 00000000 | 2001 0db8 0000 0000 0000 0000 0000 0002 | 01 01 020000000001`

	// Neighbor Advertisement 2001:db8::2 → fe80::1, flags S and O, target
	// 2001:db8::2, Target Link-Layer Address 02:00:00:00:00:02. Checksum
	// 0xb9a9.
	ic6VecNA = `60 00 00 00 00 20 3a ff | 2001 0db8 0000 0000 0000 0000 0000 0002 |
		fe80 0000 0000 0000 0000 0000 0000 0001 |
		88 00 b9 a9 60 000000 | 2001 0db8 0000 0000 0000 0000 0000 0002 | 02 01 020000000002`

	// Echo Request 2001:db8::1 → 2001:db8::2, hop limit 64, identifier
	// 0x1234, sequence 1, data "hi". Checksum 0xa9a7.
	ic6VecEcho = `60 00 00 00 00 0a 3a 40 | 2001 0db8 0000 0000 0000 0000 0000 0001 |
		2001 0db8 0000 0000 0000 0000 0000 0002 | 80 00 a9 a7 1234 0001 6869`
)

var (
	ic6LL1      = netip.MustParseAddr("fe80::1")
	ic6AllNodes = netip.MustParseAddr("ff02::1")
	ic6AllRtrs  = netip.MustParseAddr("ff02::2")
	ic6RSSrc    = netip.MustParseAddr("fe80::1234:5678:9abc:def0")
	ic6G1       = netip.MustParseAddr("2001:db8::1")
	ic6G2       = netip.MustParseAddr("2001:db8::2")
	ic6SolG2    = netip.MustParseAddr("ff02::1:ff00:2")
	ic6MAC1     = []byte{2, 0, 0, 0, 0, 1}
	ic6MAC2     = []byte{2, 0, 0, 0, 0, 2}
)

// ic6RefChecksum is a plain RFC 1071 checksum of msg under the RFC 8200
// §8.1 pseudo-header, kept apart from Checksum and PseudoHeaderChecksum6.
func ic6RefChecksum(src, dst netip.Addr, msg []byte) uint16 {
	s, d := src.As16(), dst.As16()
	var data []byte
	data = append(data, s[:]...)
	data = append(data, d[:]...)
	data = binary.BigEndian.AppendUint32(data, uint32(len(msg)))
	data = append(data, 0, 0, 0, 58)
	data = append(data, msg...)
	if len(data)%2 == 1 {
		data = append(data, 0)
	}
	var sum uint64
	for i := 0; i < len(data); i += 2 {
		sum += uint64(data[i])<<8 | uint64(data[i+1])
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// ic6Fix recomputes, in place, the checksum of the ICMPv6 message at
// pkt[off:] of an IPv6 packet, and returns pkt.
func ic6Fix(pkt []byte, off int) []byte {
	src := netip.AddrFrom16([16]byte(pkt[8:24]))
	dst := netip.AddrFrom16([16]byte(pkt[24:40]))
	msg := pkt[off : 40+int(binary.BigEndian.Uint16(pkt[4:]))]
	msg[2], msg[3] = 0, 0
	binary.BigEndian.PutUint16(msg[2:], ic6RefChecksum(src, dst, msg))
	return pkt
}

// ic6Verify reports whether the ICMPv6 message at pkt[off:] has a correct
// checksum, by the reference sum.
func ic6Verify(pkt []byte, off int) bool {
	c := append([]byte{}, pkt...)
	ic6Fix(c, off)
	return string(c) == string(pkt)
}

func ic6Parse(tb testing.TB, pkt []byte) ICMPv6 {
	tb.Helper()
	ip, err := ParseIPv6(pkt)
	require.NoError(tb, err)
	m, err := ParseICMPv6(ip)
	require.NoError(tb, err)
	return m
}

// ic6Opt is an ND option in comparable form.
type ic6Opt struct {
	Type uint8
	Data string
}

func ic6Opts(it NDOptIter) ([]ic6Opt, error) {
	var got []ic6Opt
	for o, ok := it.Next(); ok; o, ok = it.Next() {
		got = append(got, ic6Opt{o.Type(), string(o.Data())})
	}
	return got, it.Err()
}

// ic6RA is every accessor of a RouterAdvertisement.
type ic6RA struct {
	CurHopLimit    uint8
	Flags          uint8
	Managed, Other bool
	RouterLifetime uint16
	ReachableTime  uint32
	RetransTimer   uint32
	MTU            uint32
	HasMTU         bool
	Prefix         PrefixInfo
	PrefixCount    int
	SLLA           []byte
	Options        []ic6Opt
}

func ic6RAOf(ra RouterAdvertisement) ic6RA {
	v := ic6RA{
		CurHopLimit: ra.CurHopLimit(), Flags: ra.Flags(), Managed: ra.Managed(), Other: ra.Other(),
		RouterLifetime: ra.RouterLifetime(), ReachableTime: ra.ReachableTime(), RetransTimer: ra.RetransTimer(),
	}
	v.MTU, v.HasMTU = ra.MTU()
	v.Prefix, v.PrefixCount = ra.PrefixInfo()
	v.SLLA, _ = ra.SourceLinkLayerAddr()
	v.Options, _ = ic6Opts(ra.Options())
	return v
}

var ic6VecRAPrefix = PrefixInfo{
	Prefix: netip.MustParsePrefix("2001:db8:1:1000::/64"), OnLink: true, Autonomous: true,
	ValidLifetime: 2592000, PreferredLifetime: 14400,
}

func TestICMPv6Vectors(t *testing.T) {
	t.Run("iphttps RS", func(t *testing.T) {
		pkt := i6Hex(t, i6VecRS)
		require.True(t, ic6Verify(pkt, 40), "reference checksum")
		m := ic6Parse(t, pkt)
		assert.Equal(t, uint8(ICMPv6RouterSolicitation), m.Type())
		assert.Equal(t, uint8(0), m.Code())
		assert.Equal(t, uint16(0x9add), m.Checksum())
		assert.Equal(t, pkt[40:], m.Bytes())
		assert.Equal(t, pkt[44:], m.Body())
		assert.False(t, m.IsError())
		assert.Equal(t, pkt, m.IP().Bytes())
		rs, err := ParseRouterSolicitation(m)
		require.NoError(t, err)
		assert.Equal(t, m, rs.Message())
		_, ok := rs.SourceLinkLayerAddr()
		assert.False(t, ok)
		opts, err := ic6Opts(rs.Options())
		assert.NoError(t, err)
		assert.Empty(t, opts)
	})
	t.Run("iphttps RA", func(t *testing.T) {
		pkt := i6Hex(t, i6VecRA)
		require.True(t, ic6Verify(pkt, 40), "reference checksum")
		m := ic6Parse(t, pkt)
		assert.Equal(t, uint16(0xe417), m.Checksum())
		ra, err := ParseRouterAdvertisement(m)
		require.NoError(t, err)
		assert.Equal(t, ic6RA{
			CurHopLimit: 64, RouterLifetime: 1800, MTU: 1280, HasMTU: true,
			Prefix: ic6VecRAPrefix, PrefixCount: 1,
			Options: []ic6Opt{
				{3, string(i6Hex(t, "40 c0 00278d00 00003840 00000000 20010db8000110000000000000000000"))},
				{5, string(i6Hex(t, "0000 00000500"))},
			},
		}, ic6RAOf(ra))
	})
	t.Run("NS", func(t *testing.T) {
		pkt := i6Hex(t, ic6VecNS)
		require.True(t, ic6Verify(pkt, 40), "reference checksum")
		ns, err := ParseNeighborSolicitation(ic6Parse(t, pkt))
		require.NoError(t, err)
		assert.Equal(t, ic6G2, ns.Target())
		ll, ok := ns.SourceLinkLayerAddr()
		assert.True(t, ok)
		assert.Equal(t, ic6MAC1, ll)
		assert.Equal(t, uint16(0x4b5f), ns.Message().Checksum())
	})
	t.Run("NA", func(t *testing.T) {
		pkt := i6Hex(t, ic6VecNA)
		require.True(t, ic6Verify(pkt, 40), "reference checksum")
		na, err := ParseNeighborAdvertisement(ic6Parse(t, pkt))
		require.NoError(t, err)
		assert.Equal(t, ic6G2, na.Target())
		assert.Equal(t, uint8(NAFlagSolicited|NAFlagOverride), na.Flags())
		assert.False(t, na.Router())
		assert.True(t, na.Solicited())
		assert.True(t, na.Override())
		ll, ok := na.TargetLinkLayerAddr()
		assert.True(t, ok)
		assert.Equal(t, ic6MAC2, ll)
		assert.Equal(t, uint16(0xb9a9), na.Message().Checksum())
	})
	t.Run("echo request", func(t *testing.T) {
		pkt := i6Hex(t, ic6VecEcho)
		require.True(t, ic6Verify(pkt, 40), "reference checksum")
		m := ic6Parse(t, pkt)
		id, seq, data, err := m.Echo()
		require.NoError(t, err)
		assert.Equal(t, []any{uint16(0x1234), uint16(1), []byte("hi")}, []any{id, seq, data})
		_, _, err = m.ErrorMessage()
		assert.ErrorIs(t, err, ErrWrongType)
	})
}

// TestBuildersReproduceVectors builds the vectors with our builders.
func TestBuildersReproduceVectors(t *testing.T) {
	got, err := AppendRouterSolicitation(nil, ic6RSSrc, ic6AllRtrs, nil)
	require.NoError(t, err)
	assert.Equal(t, i6Hex(t, i6VecRS), got)

	got, err = AppendRouterAdvertisement(nil, ic6LL1, ic6AllNodes, &RAFields{
		CurHopLimit: 64, RouterLifetime: 1800, Prefixes: []PrefixInfo{ic6VecRAPrefix}, MTU: 1280,
	})
	require.NoError(t, err)
	assert.Equal(t, i6Hex(t, i6VecRA), got)

	got, err = AppendNeighborSolicitation(nil, ic6LL1, ic6SolG2, ic6G2, ic6MAC1)
	require.NoError(t, err)
	assert.Equal(t, i6Hex(t, ic6VecNS), got)

	got, err = AppendNeighborAdvertisement(nil, ic6G2, ic6LL1, ic6G2, NAFlagSolicited|NAFlagOverride, ic6MAC2)
	require.NoError(t, err)
	assert.Equal(t, i6Hex(t, ic6VecNA), got)

	got, err = AppendEchoRequest(nil, ic6G1, ic6G2, 64, 0x1234, 1, []byte("hi"))
	require.NoError(t, err)
	assert.Equal(t, i6Hex(t, ic6VecEcho), got)
}

func TestBuildersParseBack(t *testing.T) {
	prefix := []byte("keep")
	buf := func() []byte { return append(make([]byte, 0, 2048), prefix...) }
	parse := func(t *testing.T, b []byte) ICMPv6 {
		t.Helper()
		require.Equal(t, prefix, b[:len(prefix)], "prefix kept")
		pkt := b[len(prefix):]
		require.True(t, ic6Verify(pkt, 40), "reference checksum")
		return ic6Parse(t, pkt)
	}

	t.Run("echo reply", func(t *testing.T) {
		b, err := AppendEchoReply(buf(), ic6G2, ic6G1, 255, 7, 65535, nil)
		require.NoError(t, err)
		m := parse(t, b)
		assert.Equal(t, uint8(ICMPv6EchoReply), m.Type())
		assert.Equal(t, uint8(255), m.IP().HopLimit())
		id, seq, data, err := m.Echo()
		require.NoError(t, err)
		assert.Equal(t, []any{uint16(7), uint16(65535), 0}, []any{id, seq, len(data)})
	})
	t.Run("RS with SLLA", func(t *testing.T) {
		b, err := AppendRouterSolicitation(buf(), ic6LL1, ic6AllRtrs, ic6MAC1)
		require.NoError(t, err)
		rs, err := ParseRouterSolicitation(parse(t, b))
		require.NoError(t, err)
		ll, ok := rs.SourceLinkLayerAddr()
		assert.True(t, ok)
		assert.Equal(t, ic6MAC1, ll)
	})
	t.Run("RS from unspecified", func(t *testing.T) {
		b, err := AppendRouterSolicitation(buf(), netip.IPv6Unspecified(), ic6AllRtrs, nil)
		require.NoError(t, err)
		_, err = ParseRouterSolicitation(parse(t, b))
		require.NoError(t, err)
	})
	t.Run("RS with odd-length link-layer address", func(t *testing.T) {
		ll := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9} // 2+9 → 16 bytes with padding
		b, err := AppendRouterSolicitation(buf(), ic6LL1, ic6AllRtrs, ll)
		require.NoError(t, err)
		rs, err := ParseRouterSolicitation(parse(t, b))
		require.NoError(t, err)
		got, ok := rs.SourceLinkLayerAddr()
		assert.True(t, ok)
		assert.Equal(t, append(ll, 0, 0, 0, 0, 0), got, "padding included")
	})
	t.Run("RA without MTU, two prefixes, SLLA", func(t *testing.T) {
		pi2 := PrefixInfo{Prefix: netip.MustParsePrefix("2001::/32"), ValidLifetime: 0xffffffff}
		b, err := AppendRouterAdvertisement(buf(), ic6LL1, ic6G1, &RAFields{
			CurHopLimit: 255, Flags: RAFlagManaged | RAFlagOther, RouterLifetime: 0xffff,
			ReachableTime: 30000, RetransTimer: 1000, SourceLinkLayerAddr: ic6MAC1,
			Prefixes: []PrefixInfo{ic6VecRAPrefix, pi2},
		})
		require.NoError(t, err)
		ra, err := ParseRouterAdvertisement(parse(t, b))
		require.NoError(t, err)
		v := ic6RAOf(ra)
		v.Options = nil
		assert.Equal(t, ic6RA{
			CurHopLimit: 255, Flags: 0xc0, Managed: true, Other: true, RouterLifetime: 0xffff,
			ReachableTime: 30000, RetransTimer: 1000, Prefix: ic6VecRAPrefix, PrefixCount: 2, SLLA: ic6MAC1,
		}, v)
		var pis []PrefixInfo
		it := ra.Options()
		for o, ok := it.Next(); ok; o, ok = it.Next() {
			if pi, err := o.PrefixInfo(); err == nil {
				pis = append(pis, pi)
			}
		}
		assert.Equal(t, []PrefixInfo{ic6VecRAPrefix, pi2}, pis)
	})
	t.Run("RA with MTU only", func(t *testing.T) {
		b, err := AppendRouterAdvertisement(buf(), ic6LL1, ic6AllNodes, &RAFields{MTU: 1480})
		require.NoError(t, err)
		ra, err := ParseRouterAdvertisement(parse(t, b))
		require.NoError(t, err)
		mtu, ok := ra.MTU()
		assert.True(t, ok)
		assert.Equal(t, uint32(1480), mtu)
		_, n := ra.PrefixInfo()
		assert.Zero(t, n)
	})
	t.Run("DAD NS", func(t *testing.T) {
		b, err := AppendNeighborSolicitation(buf(), netip.IPv6Unspecified(), ic6SolG2, ic6G2, nil)
		require.NoError(t, err)
		ns, err := ParseNeighborSolicitation(parse(t, b))
		require.NoError(t, err)
		assert.Equal(t, ic6G2, ns.Target())
		_, ok := ns.SourceLinkLayerAddr()
		assert.False(t, ok)
	})
	t.Run("unsolicited NA to all nodes, no option", func(t *testing.T) {
		// The NA an IP-HTTPS server synthesises for DAD ([MS-IPHTTPS]
		// §3.2.5.2.2): multicast, Router flag clear, no TLLA.
		b, err := AppendNeighborAdvertisement(buf(), ic6G2, ic6AllNodes, ic6G2, NAFlagOverride, nil)
		require.NoError(t, err)
		na, err := ParseNeighborAdvertisement(parse(t, b))
		require.NoError(t, err)
		assert.Equal(t, []bool{false, false, true}, []bool{na.Router(), na.Solicited(), na.Override()})
		_, ok := na.TargetLinkLayerAddr()
		assert.False(t, ok)
	})
}

// ic6Invoking returns an IPv6/UDP-looking packet of n bytes with recognisable
// contents.
func ic6Invoking(n int) []byte {
	p := i6Raw(0x60000000, 17, 63, "2001:db8::2", "2001:db8::1", make([]byte, n-40))
	for i := 40; i < n; i++ {
		p[i] = byte(i)
	}
	return p
}

func TestICMPv6ErrorBuilders(t *testing.T) {
	big, small := ic6Invoking(1500), ic6Invoking(100)
	tests := []struct {
		name     string
		build    func(b, inv []byte) ([]byte, error)
		typ      uint8
		code     uint8
		param    uint32
		invoking []byte
	}{
		{"packet too big", func(b, inv []byte) ([]byte, error) {
			return AppendPacketTooBig(b, ic6G1, ic6G2, 64, 1280, inv)
		}, ICMPv6PacketTooBig, 0, 1280, big},
		{"packet too big, small packet", func(b, inv []byte) ([]byte, error) {
			return AppendPacketTooBig(b, ic6G1, ic6G2, 64, 1400, inv)
		}, ICMPv6PacketTooBig, 0, 1400, small},
		{"destination unreachable", func(b, inv []byte) ([]byte, error) {
			return AppendDestUnreachable(b, ic6G1, ic6G2, 64, ICMPv6AddressUnreachable, inv)
		}, ICMPv6DestUnreachable, ICMPv6AddressUnreachable, 0, big},
		{"time exceeded", func(b, inv []byte) ([]byte, error) {
			return AppendTimeExceeded(b, ic6G1, ic6G2, 64, ICMPv6HopLimitExceeded, inv)
		}, ICMPv6TimeExceeded, ICMPv6HopLimitExceeded, 0, small},
		{"parameter problem", func(b, inv []byte) ([]byte, error) {
			return AppendICMPv6Error(b, ic6G1, ic6G2, 64, ICMPv6ParamProblem, 1, 6, inv)
		}, ICMPv6ParamProblem, 1, 6, big},
		{"empty invoking packet", func(b, inv []byte) ([]byte, error) {
			return AppendDestUnreachable(b, ic6G1, ic6G2, 64, ICMPv6NoRoute, inv)
		}, ICMPv6DestUnreachable, 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantInv := append([]byte{}, tt.invoking[:min(len(tt.invoking), 1232)]...)
			check := func(t *testing.T, pkt []byte) {
				t.Helper()
				assert.LessOrEqual(t, len(pkt), IPv6MinMTU, "RFC 4443 §2.4(c)")
				require.True(t, ic6Verify(pkt, 40), "reference checksum")
				m := ic6Parse(t, pkt)
				assert.True(t, m.IsError())
				assert.Equal(t, []uint8{tt.typ, tt.code}, []uint8{m.Type(), m.Code()})
				param, inv, err := m.ErrorMessage()
				require.NoError(t, err)
				assert.Equal(t, tt.param, param)
				assert.Equal(t, wantInv, inv)
				_, _, _, err = m.Echo()
				assert.ErrorIs(t, err, ErrWrongType)
			}
			pkt, err := tt.build(nil, tt.invoking)
			require.NoError(t, err)
			check(t, pkt)

			// In place, around the invoking packet.
			buf := make([]byte, ICMPv6ErrorHeadroom+len(tt.invoking))
			copy(buf[ICMPv6ErrorHeadroom:], tt.invoking)
			inPlace, err := PrependICMPv6Error(buf, ICMPv6ErrorHeadroom, ic6G1, ic6G2, 64, tt.typ, tt.code, tt.param)
			require.NoError(t, err)
			assert.Same(t, &buf[0], &inPlace[0])
			assert.Equal(t, pkt, inPlace)
		})
	}

	_, err := AppendICMPv6Error(nil, ic6G1, ic6G2, 64, ICMPv6EchoRequest, 0, 0, nil)
	assert.ErrorIs(t, err, ErrWrongType)
	_, err = PrependICMPv6Error(make([]byte, 100), 47, ic6G1, ic6G2, 64, 1, 0, 0)
	assert.ErrorIs(t, err, ErrNoHeadroom)
	_, err = PrependICMPv6Error(make([]byte, 100), 101, ic6G1, ic6G2, 64, 1, 0, 0)
	assert.ErrorIs(t, err, io.ErrShortBuffer)
	_, err = PrependICMPv6Error(make([]byte, 100), 48, ic6G1, ic6G2, 64, 200, 0, 0)
	assert.ErrorIs(t, err, ErrWrongType)
	buf := make([]byte, 100)
	_, err = PrependICMPv6Error(buf, 48, netip.MustParseAddr("192.0.2.1"), ic6G2, 64, 1, 0, 0)
	assert.ErrorIs(t, err, ErrNotIPv6Addr)
	assert.Equal(t, make([]byte, 100), buf)
}

func TestICMPv6BuilderErrors(t *testing.T) {
	v4 := netip.MustParseAddr("192.0.2.1")
	long := make([]byte, 2039) // 2+2039 > 2040: does not fit an option
	tests := []struct {
		name  string
		build func(b []byte) ([]byte, error)
		want  error
	}{
		{"echo from IPv4", func(b []byte) ([]byte, error) { return AppendEchoRequest(b, v4, ic6G2, 64, 0, 0, nil) }, ErrNotIPv6Addr},
		{"echo to zero Addr", func(b []byte) ([]byte, error) { return AppendEchoReply(b, ic6G1, netip.Addr{}, 64, 0, 0, nil) }, ErrNotIPv6Addr},
		{"echo too long", func(b []byte) ([]byte, error) {
			return AppendEchoRequest(b, ic6G1, ic6G2, 64, 0, 0, make([]byte, 65535-8+1))
		}, ErrTooLong},
		{"error to IPv4", func(b []byte) ([]byte, error) { return AppendPacketTooBig(b, ic6G1, v4, 64, 1280, nil) }, ErrNotIPv6Addr},
		{"RS with SLLA from ::", func(b []byte) ([]byte, error) {
			return AppendRouterSolicitation(b, netip.IPv6Unspecified(), ic6AllRtrs, ic6MAC1)
		}, ErrBadSource},
		{"RS with oversized link-layer address", func(b []byte) ([]byte, error) {
			return AppendRouterSolicitation(b, ic6LL1, ic6AllRtrs, long)
		}, ErrBadOption},
		{"RS from IPv4", func(b []byte) ([]byte, error) { return AppendRouterSolicitation(b, v4, ic6AllRtrs, nil) }, ErrNotIPv6Addr},
		{"RA from global", func(b []byte) ([]byte, error) {
			return AppendRouterAdvertisement(b, ic6G1, ic6AllNodes, &RAFields{})
		}, ErrBadSource},
		{"RA from IPv4", func(b []byte) ([]byte, error) { return AppendRouterAdvertisement(b, v4, ic6AllNodes, &RAFields{}) }, ErrBadSource},
		{"RA to IPv4", func(b []byte) ([]byte, error) { return AppendRouterAdvertisement(b, ic6LL1, v4, &RAFields{}) }, ErrNotIPv6Addr},
		{"RA with IPv4 prefix", func(b []byte) ([]byte, error) {
			return AppendRouterAdvertisement(b, ic6LL1, ic6AllNodes, &RAFields{Prefixes: []PrefixInfo{{Prefix: netip.MustParsePrefix("192.0.2.0/24")}}})
		}, ErrNotIPv6Addr},
		{"RA with zero prefix", func(b []byte) ([]byte, error) {
			return AppendRouterAdvertisement(b, ic6LL1, ic6AllNodes, &RAFields{Prefixes: []PrefixInfo{{}}})
		}, ErrNotIPv6Addr},
		{"RA with oversized link-layer address", func(b []byte) ([]byte, error) {
			return AppendRouterAdvertisement(b, ic6LL1, ic6AllNodes, &RAFields{SourceLinkLayerAddr: long})
		}, ErrBadOption},
		{"RA too long, valid prefixes", func(b []byte) ([]byte, error) {
			p := make([]PrefixInfo, 2048)
			for i := range p {
				p[i] = ic6VecRAPrefix
			}
			return AppendRouterAdvertisement(b, ic6LL1, ic6AllNodes, &RAFields{Prefixes: p})
		}, ErrTooLong},
		{"NS for multicast target", func(b []byte) ([]byte, error) {
			return AppendNeighborSolicitation(b, ic6LL1, ic6SolG2, ic6AllNodes, nil)
		}, ErrBadTarget},
		{"NS for IPv4 target", func(b []byte) ([]byte, error) { return AppendNeighborSolicitation(b, ic6LL1, ic6SolG2, v4, nil) }, ErrNotIPv6Addr},
		{"DAD NS not to solicited-node", func(b []byte) ([]byte, error) {
			return AppendNeighborSolicitation(b, netip.IPv6Unspecified(), ic6AllNodes, ic6G2, nil)
		}, ErrBadDestination},
		{"DAD NS with SLLA", func(b []byte) ([]byte, error) {
			return AppendNeighborSolicitation(b, netip.IPv6Unspecified(), ic6SolG2, ic6G2, ic6MAC1)
		}, ErrBadSource},
		{"NS with oversized option", func(b []byte) ([]byte, error) {
			return AppendNeighborSolicitation(b, ic6LL1, ic6SolG2, ic6G2, long)
		}, ErrBadOption},
		{"NS from IPv4", func(b []byte) ([]byte, error) { return AppendNeighborSolicitation(b, v4, ic6SolG2, ic6G2, nil) }, ErrNotIPv6Addr},
		{"NA for multicast target", func(b []byte) ([]byte, error) {
			return AppendNeighborAdvertisement(b, ic6G2, ic6LL1, ic6AllNodes, 0, nil)
		}, ErrBadTarget},
		{"NA for zero target", func(b []byte) ([]byte, error) {
			return AppendNeighborAdvertisement(b, ic6G2, ic6LL1, netip.Addr{}, 0, nil)
		}, ErrNotIPv6Addr},
		{"solicited NA to multicast", func(b []byte) ([]byte, error) {
			return AppendNeighborAdvertisement(b, ic6G2, ic6AllNodes, ic6G2, NAFlagSolicited, nil)
		}, ErrBadDestination},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := append(make([]byte, 0, 64), 1, 2, 3)
			got, err := tt.build(b)
			assert.ErrorIs(t, err, tt.want)
			assert.Equal(t, []byte{1, 2, 3}, got, "b returned unchanged")
			assert.Equal(t, make([]byte, 61), b[3:64], "spare capacity untouched")
		})
	}
}

// ic6Mutate returns a copy of the packet from vector v with f applied and
// its ICMPv6 checksum recomputed.
func ic6Mutate(tb testing.TB, v string, f func(p []byte) []byte) []byte {
	p := f(append([]byte{}, i6Hex(tb, v)...))
	return ic6Fix(p, 40)
}

// ic6SetPlen grows or shrinks the packet to payload length n and sets the
// Payload Length field.
func ic6SetPlen(p []byte, n int) []byte {
	p = append(p, make([]byte, max(0, 40+n-len(p)))...)[:40+n]
	binary.BigEndian.PutUint16(p[4:], uint16(n))
	return p
}

func TestICMPv6ParseErrors(t *testing.T) {
	badSum := i6Hex(t, i6VecRS)
	badSum[47] ^= 1
	udp := i6Raw(0x60000000, 17, 64, "2001:db8::1", "2001:db8::2", make([]byte, 8))
	short := i6Raw(0x60000000, 58, 64, "2001:db8::1", "2001:db8::2", []byte{128, 0, 0})
	firstFrag := ic6Fix(i6Chain([]i6Ext{{ProtoIPv6Frag, i6Frag(0, true, 1)}}, 58, i6Hex(t, "80 00 0000 0001 0001")), 48)
	laterFrag := i6Chain([]i6Ext{{ProtoIPv6Frag, i6Frag(8, false, 1)}}, 58, i6Hex(t, "80 00 0000 0001 0001"))
	hbhLate := i6Chain([]i6Ext{{ProtoIPv6Opts, i6PadN}, {ProtoHopByHop, i6PadN}}, 58, i6Hex(t, "80 00 0000 0001 0001"))
	tests := []struct {
		name string
		pkt  []byte
		want error
	}{
		{"bad checksum", badSum, ErrBadChecksum},
		{"UDP", udp, ErrNotICMPv6},
		{"3 bytes", short, ErrTruncated},
		{"first fragment of several", firstFrag, ErrFragmented},
		{"later fragment", laterFrag, ErrFragmented},
		{"extension header error passed through", hbhLate, ErrHopByHopNotFirst},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ip, err := ParseIPv6(tt.pkt)
			require.NoError(t, err)
			m := ic6Parse(t, i6Hex(t, i6VecRA))
			err = m.Decode(ip)
			assert.ErrorIs(t, err, tt.want)
			assert.Equal(t, ICMPv6{}, m, "reset on error")
		})
	}

	// A message whose data sums to 0xffff has checksum 0x0000; 0xffff in
	// the field is the other one's-complement zero and verifies too
	// (RFC 1624 §3). Raising the echo identifier by the checksum c, in
	// one's-complement arithmetic, makes the sum 0xffff.
	echo := i6Hex(t, ic6VecEcho)
	c := binary.BigEndian.Uint16(echo[42:])
	s := uint32(binary.BigEndian.Uint16(echo[44:])) + uint32(c)
	binary.BigEndian.PutUint16(echo[44:], uint16(s+s>>16))
	binary.BigEndian.PutUint16(echo[42:], 0)
	require.True(t, ic6Verify(echo, 40), "reference checksum is 0")
	for _, field := range []uint16{0, 0xffff} {
		binary.BigEndian.PutUint16(echo[42:], field)
		assert.Equal(t, field, ic6Parse(t, echo).Checksum())
	}

	// Extension headers before the message: checksum still over the
	// message, atomic fragment accepted for non-ND messages.
	withExt := ic6Fix(i6Chain([]i6Ext{{ProtoIPv6Opts, i6PadN}, {ProtoIPv6Frag, i6Frag(0, false, 5)}}, 58, i6Hex(t, "80 00 0000 0001 0002 ff")), 56)
	m := ic6Parse(t, withExt)
	id, seq, data, err := m.Echo()
	require.NoError(t, err)
	assert.Equal(t, []any{uint16(1), uint16(2), []byte{0xff}}, []any{id, seq, data})

	var zero ICMPv6
	assert.Zero(t, zero.Type())
	assert.Zero(t, zero.Code())
	assert.Zero(t, zero.Checksum())
	assert.Empty(t, zero.Body())
	assert.False(t, zero.IsError())
	_, _, _, err = zero.Echo()
	assert.ErrorIs(t, err, ErrWrongType)
	_, _, err = zero.ErrorMessage()
	assert.ErrorIs(t, err, ErrWrongType)

	shortEcho := ic6Parse(t, ic6Fix(i6Raw(0x60000000, 58, 64, "::1", "::2", []byte{129, 0, 0, 0, 0, 1}), 40))
	_, _, _, err = shortEcho.Echo()
	assert.ErrorIs(t, err, ErrTruncated)
	shortErr := ic6Parse(t, ic6Fix(i6Raw(0x60000000, 58, 64, "::1", "::2", []byte{1, 0, 0, 0, 0, 1}), 40))
	_, _, err = shortErr.ErrorMessage()
	assert.ErrorIs(t, err, ErrTruncated)
}

// TestNDParseErrors mutates valid ND vectors (recomputing the checksum) to
// trigger every validity rule of RFC 4861 §6.1 and §7.1.
func TestNDParseErrors(t *testing.T) {
	type parser func(m ICMPv6) error
	rs := func(m ICMPv6) error { _, err := ParseRouterSolicitation(m); return err }
	ra := func(m ICMPv6) error { _, err := ParseRouterAdvertisement(m); return err }
	ns := func(m ICMPv6) error { _, err := ParseNeighborSolicitation(m); return err }
	na := func(m ICMPv6) error { _, err := ParseNeighborAdvertisement(m); return err }
	unspec := func(p []byte) { clear(p[8:24]) }
	setDst := func(p []byte, a netip.Addr) { d := a.As16(); copy(p[24:40], d[:]) }
	appendOpt := func(opt string) func(p []byte) []byte {
		return func(p []byte) []byte {
			o := i6Hex(t, opt)
			p = append(p, o...)
			binary.BigEndian.PutUint16(p[4:], uint16(len(p)-40))
			return p
		}
	}
	tests := []struct {
		name  string
		vec   string
		parse parser
		mut   func(p []byte) []byte
		want  error
	}{
		{"RS parsed as RA", i6VecRS, ra, nil, ErrWrongType},
		{"RA parsed as RS", i6VecRA, rs, nil, ErrWrongType},
		{"NS parsed as NA", ic6VecNS, na, nil, ErrWrongType},
		{"NA parsed as NS", ic6VecNA, ns, nil, ErrWrongType},
		{"RS hop limit 254", i6VecRS, rs, func(p []byte) []byte { p[7] = 254; return p }, ErrBadHopLimit},
		{"RA hop limit 1", i6VecRA, ra, func(p []byte) []byte { p[7] = 1; return p }, ErrBadHopLimit},
		{"NS hop limit 64", ic6VecNS, ns, func(p []byte) []byte { p[7] = 64; return p }, ErrBadHopLimit},
		{"NA hop limit 0", ic6VecNA, na, func(p []byte) []byte { p[7] = 0; return p }, ErrBadHopLimit},
		{"RS code 1", i6VecRS, rs, func(p []byte) []byte { p[41] = 1; return p }, ErrBadCode},
		{"RA code 1", i6VecRA, ra, func(p []byte) []byte { p[41] = 1; return p }, ErrBadCode},
		{"NS code 255", ic6VecNS, ns, func(p []byte) []byte { p[41] = 255; return p }, ErrBadCode},
		{"NA code 1", ic6VecNA, na, func(p []byte) []byte { p[41] = 1; return p }, ErrBadCode},
		{"RS 7 bytes", i6VecRS, rs, func(p []byte) []byte { return ic6SetPlen(p, 7) }, ErrTruncated},
		{"RA 15 bytes", i6VecRA, ra, func(p []byte) []byte { return ic6SetPlen(p, 15) }, ErrTruncated},
		{"NS 23 bytes", ic6VecNS, ns, func(p []byte) []byte { return ic6SetPlen(p, 23) }, ErrTruncated},
		{"NA 23 bytes", ic6VecNA, na, func(p []byte) []byte { return ic6SetPlen(p, 23) }, ErrTruncated},
		{"RS zero-length option", i6VecRS, rs, appendOpt("01 00 000000000000"), ErrZeroLengthOption},
		{"RA zero-length option after good ones", i6VecRA, ra, appendOpt("19 00 000000000000"), ErrZeroLengthOption},
		{"NS zero-length option", ic6VecNS, ns, appendOpt("0e 00 000000000000"), ErrZeroLengthOption},
		{"NA zero-length option", ic6VecNA, na, appendOpt("02 00 000000000000"), ErrZeroLengthOption},
		{"RS option past the end", i6VecRS, rs, appendOpt("01 02 020000000001"), ErrBadOption},
		{"RA stray byte after options", i6VecRA, ra, appendOpt("01"), ErrBadOption},
		{"RA PIO length 3", i6VecRA, ra, appendOpt("03 03 40c0 00000000 00000000 00000000 20010db800000000"), ErrBadOption},
		{"RA PIO prefix length 129", i6VecRA, ra, func(p []byte) []byte { p[58] = 129; return p }, ErrBadOption},
		{"RA MTU option length 2", i6VecRA, ra, appendOpt("05 02 0000 00000500 0000000000000000"), ErrBadOption},
		{"NS option past the end", ic6VecNS, ns, func(p []byte) []byte { p[65] = 2; return p }, ErrBadOption},
		{"RA from global address", i6VecRA, ra, func(p []byte) []byte { p[8] = 0x20; return p }, ErrBadSource},
		{"RA from unspecified", i6VecRA, ra, func(p []byte) []byte { unspec(p); return p }, ErrBadSource},
		{"RS from :: with SLLA", i6VecRS, rs, func(p []byte) []byte {
			unspec(p)
			return appendOpt("01 01 020000000001")(p)
		}, ErrBadSource},
		{"DAD NS with SLLA", ic6VecNS, ns, func(p []byte) []byte { unspec(p); return p }, ErrBadSource},
		{"DAD NS to all nodes", ic6VecNS, ns, func(p []byte) []byte {
			unspec(p)
			setDst(p, ic6AllNodes)
			return ic6SetPlen(p, 24)
		}, ErrBadDestination},
		{"DAD NS to unicast", ic6VecNS, ns, func(p []byte) []byte {
			unspec(p)
			setDst(p, ic6G2)
			return ic6SetPlen(p, 24)
		}, ErrBadDestination},
		{"solicited NA to multicast", ic6VecNA, na, func(p []byte) []byte { setDst(p, ic6AllNodes); return p }, ErrBadDestination},
		{"NS multicast target", ic6VecNS, ns, func(p []byte) []byte { p[48] = 0xff; return p }, ErrBadTarget},
		{"NA multicast target", ic6VecNA, na, func(p []byte) []byte { p[48] = 0xff; return p }, ErrBadTarget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mut := tt.mut
			if mut == nil {
				mut = func(p []byte) []byte { return p }
			}
			m := ic6Parse(t, ic6Mutate(t, tt.vec, mut))
			assert.ErrorIs(t, tt.parse(m), tt.want)
		})
	}

	// The valid variants of the rules above.
	t.Run("DAD NS without option to solicited-node", func(t *testing.T) {
		m := ic6Parse(t, ic6Mutate(t, ic6VecNS, func(p []byte) []byte { unspec(p); return ic6SetPlen(p, 24) }))
		assert.NoError(t, ns(m))
	})
	t.Run("unsolicited NA to multicast", func(t *testing.T) {
		m := ic6Parse(t, ic6Mutate(t, ic6VecNA, func(p []byte) []byte { setDst(p, ic6AllNodes); p[44] = NAFlagOverride; return p }))
		assert.NoError(t, na(m))
	})
	t.Run("RS from :: without option", func(t *testing.T) {
		m := ic6Parse(t, ic6Mutate(t, i6VecRS, func(p []byte) []byte { unspec(p); return p }))
		assert.NoError(t, rs(m))
	})
	t.Run("RA with unknown option", func(t *testing.T) {
		m := ic6Parse(t, ic6Mutate(t, i6VecRA, appendOpt("fe 01 000000000000")))
		assert.NoError(t, ra(m))
	})
	t.Run("RA PIO prefix length 128", func(t *testing.T) {
		m := ic6Parse(t, ic6Mutate(t, i6VecRA, func(p []byte) []byte { p[58] = 128; return p }))
		assert.NoError(t, ra(m))
	})

	// RFC 6980 §5: ND messages in fragments are dropped, atomic or not.
	t.Run("atomic fragment RS", func(t *testing.T) {
		rsMsg := i6Hex(t, i6VecRS)[40:]
		pkt := i6Chain([]i6Ext{{ProtoIPv6Frag, i6Frag(0, false, 1)}}, 58, rsMsg)
		pkt[7] = 255
		m := ic6Parse(t, ic6Fix(pkt, 48))
		assert.ErrorIs(t, rs(m), ErrFragmented)
	})

	// Zero views.
	assert.Equal(t, ic6RA{}, ic6RAOf(RouterAdvertisement{}))
	assert.Equal(t, netip.Addr{}, NeighborSolicitation{}.Target())
	assert.Equal(t, netip.Addr{}, NeighborAdvertisement{}.Target())
	assert.Zero(t, NeighborAdvertisement{}.Flags())
	_, ok := RouterSolicitation{}.SourceLinkLayerAddr()
	assert.False(t, ok)
	_, ok = NeighborAdvertisement{}.TargetLinkLayerAddr()
	assert.False(t, ok)
}

func TestNDOptIter(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []ic6Opt
		err  error
	}{
		{"empty", "", nil, nil},
		{"one", "01 01 020000000001", []ic6Opt{{1, "\x02\x00\x00\x00\x00\x01"}}, nil},
		{"two", "05 01 0000 00000500 | 02 02 0102030405060708090a0b0c0d0e",
			[]ic6Opt{{5, "\x00\x00\x00\x00\x05\x00"}, {2, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e"}}, nil},
		{"zero length", "01 00 000000000000", nil, ErrZeroLengthOption},
		{"zero length after a good one", "01 01 020000000001 | 03 00", []ic6Opt{{1, "\x02\x00\x00\x00\x00\x01"}}, ErrZeroLengthOption},
		{"past the end", "01 02 020000000001", nil, ErrBadOption},
		{"one stray byte", "01", nil, ErrBadOption},
		{"stray bytes after a good one", "01 01 020000000001 | 05 01 00", []ic6Opt{{1, "\x02\x00\x00\x00\x00\x01"}}, ErrBadOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ic6Opts(NDOptions(i6Hex(t, tt.in)))
			assert.Equal(t, tt.want, got)
			assert.ErrorIs(t, err, tt.err)
			if tt.err == nil {
				assert.NoError(t, err)
			}
		})
	}
	var zero NDOptIter
	_, ok := zero.Next()
	assert.False(t, ok)
	assert.NoError(t, zero.Err())
}

func TestNDOptionDecoders(t *testing.T) {
	opt := func(s string) NDOption {
		it := NDOptions(i6Hex(t, s))
		o, ok := it.Next()
		require.True(t, ok, it.Err())
		return o
	}
	// Bits past the prefix length are cleared (RFC 4861 §4.6.2); the flag
	// bits other than L and A are ignored.
	pi, err := opt("03 04 30 ff 00000001 00000002 ffffffff 2001 0db8 ffff ffff ffff ffff ffff ffff").PrefixInfo()
	require.NoError(t, err)
	assert.Equal(t, PrefixInfo{Prefix: netip.MustParsePrefix("2001:db8:ffff::/48"), OnLink: true, Autonomous: true,
		ValidLifetime: 1, PreferredLifetime: 2}, pi)
	pi, err = opt("03 04 00 00 00000000 00000000 00000000 2001 0db8 0000 0000 0000 0000 0000 0000").PrefixInfo()
	require.NoError(t, err)
	assert.Equal(t, PrefixInfo{Prefix: netip.MustParsePrefix("::/0")}, pi)

	_, err = opt("03 04 81 00 00000000 00000000 00000000 20010db8000000000000000000000000").PrefixInfo()
	assert.ErrorIs(t, err, ErrBadOption, "prefix length 129")
	_, err = opt("03 01 000000000000").PrefixInfo()
	assert.ErrorIs(t, err, ErrBadOption, "short PIO")
	_, err = opt("05 01 0000 00000500").PrefixInfo()
	assert.ErrorIs(t, err, ErrBadOption, "not a PIO")

	mtu, err := opt("05 01 0000 0000ffff").MTU()
	require.NoError(t, err)
	assert.Equal(t, uint32(65535), mtu)
	_, err = opt("05 02 0000 00000500 0000000000000000").MTU()
	assert.ErrorIs(t, err, ErrBadOption)
	_, err = opt("01 01 020000000001").MTU()
	assert.ErrorIs(t, err, ErrBadOption)

	ll, err := opt("02 01 020000000002").LinkLayerAddr()
	require.NoError(t, err)
	assert.Equal(t, ic6MAC2, ll)
	_, err = opt("05 01 0000 00000500").LinkLayerAddr()
	assert.ErrorIs(t, err, ErrBadOption)

	o := opt("05 01 0000 00000500")
	assert.Equal(t, 8, o.Len())
	assert.Equal(t, i6Hex(t, "05 01 0000 00000500"), o.Bytes())

	var zero NDOption
	assert.Zero(t, zero.Type())
	assert.Empty(t, zero.Data())
	_, err = zero.PrefixInfo()
	assert.ErrorIs(t, err, ErrBadOption)
}

func TestNDOptionAppenders(t *testing.T) {
	b, err := ic6VecRAPrefix.AppendTo([]byte{9})
	require.NoError(t, err)
	assert.Equal(t, i6Hex(t, "09 | 03 04 40 c0 00278d00 00003840 00000000 20010db8000110000000000000000000"), b)
	// Host bits are cleared on the wire.
	b, err = PrefixInfo{Prefix: netip.MustParsePrefix("2001:db8::1/32")}.AppendTo(nil)
	require.NoError(t, err)
	assert.Equal(t, i6Hex(t, "03 04 20 00 00000000 00000000 00000000 20010db8000000000000000000000000"), b)
	_, err = PrefixInfo{}.AppendTo(nil)
	assert.ErrorIs(t, err, ErrNotIPv6Addr)

	assert.Equal(t, i6Hex(t, "05 01 0000 00000500"), AppendMTUOption(nil, 1280))

	b, err = AppendNDOption(nil, NDOptSourceLinkLayerAddr, ic6MAC1)
	require.NoError(t, err)
	assert.Equal(t, i6Hex(t, "01 01 020000000001"), b)
	b, err = AppendNDOption(nil, 25, []byte{1, 2, 3, 4, 5, 6, 7})
	require.NoError(t, err)
	assert.Equal(t, i6Hex(t, "19 02 01020304050607 00000000000000"), b)
	b, err = AppendNDOption(nil, 1, make([]byte, 2038))
	require.NoError(t, err)
	assert.Len(t, b, 2040)
	assert.Equal(t, uint8(255), b[1])
	_, err = AppendNDOption([]byte{1}, 1, make([]byte, 2039))
	assert.ErrorIs(t, err, ErrBadOption)
}

// TestICMPv6AgainstGopacket has gopacket decode what we build and our
// parsers decode what gopacket builds, on random messages. gopacket checks
// no ICMPv6 checksum, so checksums are checked with ic6RefChecksum.
func TestICMPv6AgainstGopacket(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	randLL := func() netip.Addr {
		a := [16]byte{0xfe, 0x80}
		for i := 8; i < 16; i++ {
			a[i] = byte(r.Uint32())
		}
		return netip.AddrFrom16(a)
	}
	randBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	gpDecode := func(pkt []byte) gopacket.Packet {
		p := gopacket.NewPacket(pkt, layers.LayerTypeIPv6, gopacket.Default)
		require.Nil(t, p.ErrorLayer())
		require.True(t, ic6Verify(pkt, 40))
		return p
	}
	gpBuild := func(src, dst netip.Addr, typ uint8, ls ...gopacket.SerializableLayer) []byte {
		ip := &layers.IPv6{Version: 6, NextHeader: layers.IPProtocolICMPv6, HopLimit: 255,
			SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice())}
		ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, 0)}
		require.NoError(t, ic.SetNetworkLayerForChecksum(ip))
		sb := gopacket.NewSerializeBuffer()
		all := append([]gopacket.SerializableLayer{ip, ic}, ls...)
		require.NoError(t, gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, all...))
		return sb.Bytes()
	}
	for range 200 {
		src, dst := randLL(), randLL()

		// Echo.
		id, seq, data := uint16(r.Uint32()), uint16(r.Uint32()), randBytes(r.IntN(64))
		pkt, err := AppendEchoRequest(nil, src, dst, 64, id, seq, data)
		require.NoError(t, err)
		p := gpDecode(pkt)
		e := p.Layer(layers.LayerTypeICMPv6Echo).(*layers.ICMPv6Echo)
		assert.Equal(t, []uint16{id, seq}, []uint16{e.Identifier, e.SeqNumber})
		pkt = gpBuild(src, dst, ICMPv6EchoReply, &layers.ICMPv6Echo{Identifier: id, SeqNumber: seq}, gopacket.Payload(data))
		gid, gseq, gdata, err := ic6Parse(t, pkt).Echo()
		require.NoError(t, err)
		assert.Equal(t, []any{id, seq, data}, []any{gid, gseq, gdata})

		// Router Advertisement.
		raf := RAFields{
			CurHopLimit: uint8(r.Uint32()), Flags: uint8(r.Uint32()), RouterLifetime: uint16(r.Uint32()),
			ReachableTime: r.Uint32(), RetransTimer: r.Uint32(),
		}
		if r.IntN(2) == 0 {
			raf.SourceLinkLayerAddr = randBytes(6)
		}
		if r.IntN(2) == 0 {
			raf.MTU = 1280 + r.Uint32N(10000)
		}
		for range r.IntN(3) {
			raf.Prefixes = append(raf.Prefixes, PrefixInfo{
				Prefix: netip.PrefixFrom(randLL(), r.IntN(129)).Masked(), OnLink: r.IntN(2) == 0, Autonomous: r.IntN(2) == 0,
				ValidLifetime: r.Uint32(), PreferredLifetime: r.Uint32(),
			})
		}
		pkt, err = AppendRouterAdvertisement(nil, src, dst, &raf)
		require.NoError(t, err)
		p = gpDecode(pkt)
		g := p.Layer(layers.LayerTypeICMPv6RouterAdvertisement).(*layers.ICMPv6RouterAdvertisement)
		assert.Equal(t, []any{raf.CurHopLimit, raf.Flags, raf.RouterLifetime, raf.ReachableTime, raf.RetransTimer},
			[]any{g.HopLimit, g.Flags, g.RouterLifetime, g.ReachableTime, g.RetransTimer})
		var gopts layers.ICMPv6Options
		for _, o := range g.Options {
			switch o.Type {
			case layers.ICMPv6OptSourceAddress:
				assert.Equal(t, raf.SourceLinkLayerAddr, o.Data)
			case layers.ICMPv6OptMTU:
				assert.Equal(t, raf.MTU, binary.BigEndian.Uint32(o.Data[2:]))
			case layers.ICMPv6OptPrefixInfo:
				pi := raf.Prefixes[len(gopts)]
				gopts = append(gopts, o)
				assert.Equal(t, uint8(pi.Prefix.Bits()), o.Data[0])
				assert.Equal(t, pi.Prefix.Addr().AsSlice(), o.Data[14:30])
				assert.Equal(t, pi.ValidLifetime, binary.BigEndian.Uint32(o.Data[2:]))
			default:
				t.Fatalf("unexpected option %v", o)
			}
		}
		assert.Len(t, gopts, len(raf.Prefixes))

		// gopacket serializes options in reverse order; ours read them as
		// they are.
		var opts layers.ICMPv6Options
		for i := len(raf.Prefixes) - 1; i >= 0; i-- {
			b, err := raf.Prefixes[i].AppendTo(nil)
			require.NoError(t, err)
			opts = append(opts, layers.ICMPv6Option{Type: layers.ICMPv6OptPrefixInfo, Data: b[2:]})
		}
		pkt = gpBuild(src, dst, ICMPv6RouterAdvertisement, &layers.ICMPv6RouterAdvertisement{
			HopLimit: raf.CurHopLimit, Flags: raf.Flags, RouterLifetime: raf.RouterLifetime,
			ReachableTime: raf.ReachableTime, RetransTimer: raf.RetransTimer, Options: opts,
		})
		ra, err := ParseRouterAdvertisement(ic6Parse(t, pkt))
		require.NoError(t, err)
		want := raf
		want.MTU, want.SourceLinkLayerAddr = 0, nil
		got := RAFields{CurHopLimit: ra.CurHopLimit(), Flags: ra.Flags(), RouterLifetime: ra.RouterLifetime(),
			ReachableTime: ra.ReachableTime(), RetransTimer: ra.RetransTimer()}
		it := ra.Options()
		for o, ok := it.Next(); ok; o, ok = it.Next() {
			pi, err := o.PrefixInfo()
			require.NoError(t, err)
			got.Prefixes = append(got.Prefixes, pi)
		}
		require.NoError(t, it.Err())
		assert.Equal(t, want, got)

		// Neighbor Solicitation and Advertisement.
		target := randLL()
		pkt, err = AppendNeighborSolicitation(nil, src, dst, target, ic6MAC1)
		require.NoError(t, err)
		gns := gpDecode(pkt).Layer(layers.LayerTypeICMPv6NeighborSolicitation).(*layers.ICMPv6NeighborSolicitation)
		assert.Equal(t, target.AsSlice(), []byte(gns.TargetAddress))
		assert.Equal(t, layers.ICMPv6Options{{Type: layers.ICMPv6OptSourceAddress, Data: ic6MAC1}}, gns.Options)

		flags := uint8(r.Uint32()) &^ NAFlagSolicited
		pkt, err = AppendNeighborAdvertisement(nil, src, dst, target, flags, nil)
		require.NoError(t, err)
		gna := gpDecode(pkt).Layer(layers.LayerTypeICMPv6NeighborAdvertisement).(*layers.ICMPv6NeighborAdvertisement)
		assert.Equal(t, target.AsSlice(), []byte(gna.TargetAddress))
		assert.Equal(t, flags, gna.Flags)

		pkt = gpBuild(src, dst, ICMPv6NeighborAdvertisement, &layers.ICMPv6NeighborAdvertisement{
			Flags: flags, TargetAddress: net.IP(target.AsSlice()),
			Options: layers.ICMPv6Options{{Type: layers.ICMPv6OptTargetAddress, Data: ic6MAC2}},
		})
		na, err := ParseNeighborAdvertisement(ic6Parse(t, pkt))
		require.NoError(t, err)
		assert.Equal(t, target, na.Target())
		assert.Equal(t, flags, na.Flags())
		ll, _ := na.TargetLinkLayerAddr()
		assert.Equal(t, ic6MAC2, ll)

		pkt = gpBuild(src, dst, ICMPv6RouterSolicitation, &layers.ICMPv6RouterSolicitation{
			Options: layers.ICMPv6Options{{Type: layers.ICMPv6OptSourceAddress, Data: ic6MAC1}},
		})
		rs, err := ParseRouterSolicitation(ic6Parse(t, pkt))
		require.NoError(t, err)
		ll, _ = rs.SourceLinkLayerAddr()
		assert.Equal(t, ic6MAC1, ll)
	}
}

// TestICMPv6AgainstTshark has Wireshark's dissector check what our builders
// produce: checksum status, fields, and no malformed-packet reports. It is
// skipped where tshark is not installed.
func TestICMPv6AgainstTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	type tcase struct {
		pkt  []byte
		want string // the tshark fields below, '|'-separated
	}
	var cases []tcase
	add := func(want string) func([]byte, error) {
		return func(pkt []byte, err error) {
			t.Helper()
			require.NoError(t, err)
			cases = append(cases, tcase{pkt, want})
		}
	}
	// Fields: type|code|checksum status (1 good)|echo id|echo seq|PTB MTU|
	// RA cur hop limit|RA router lifetime|prefixes|prefix lengths|MTU
	// option|NS target|NA target|link-layer addresses|malformed|expert.
	add("133|0|1|||||||||||||")(AppendRouterSolicitation(nil, ic6RSSrc, ic6AllRtrs, nil))
	add("133|0|1|||||||||||02:00:00:00:00:01||")(AppendRouterSolicitation(nil, ic6LL1, ic6AllRtrs, ic6MAC1))
	add("134|0|1||||64|1800|2001:db8:1:1000::|64|1280|||||")(AppendRouterAdvertisement(nil, ic6LL1, ic6AllNodes, &RAFields{
		CurHopLimit: 64, RouterLifetime: 1800, Prefixes: []PrefixInfo{ic6VecRAPrefix}, MTU: 1280,
	}))
	add("134|0|1||||0|0|2001::,2002:c000:204::|32,48||||02:00:00:00:00:02||")(AppendRouterAdvertisement(nil, ic6LL1, ic6G1, &RAFields{
		RouterLifetime: 0, SourceLinkLayerAddr: ic6MAC2,
		Prefixes: []PrefixInfo{{Prefix: netip.MustParsePrefix("2001::/32")}, {Prefix: netip.MustParsePrefix("2002:c000:204::/48")}},
	}))
	add("135|0|1|||||||||2001:db8::2||02:00:00:00:00:01||")(AppendNeighborSolicitation(nil, ic6LL1, ic6SolG2, ic6G2, ic6MAC1))
	add("135|0|1|||||||||2001:db8::2||||")(AppendNeighborSolicitation(nil, netip.IPv6Unspecified(), ic6SolG2, ic6G2, nil))
	add("136|0|1||||||||||2001:db8::2|02:00:00:00:00:02||")(
		AppendNeighborAdvertisement(nil, ic6G2, ic6LL1, ic6G2, NAFlagSolicited|NAFlagOverride, ic6MAC2))
	add("128|0|1|0x1234|1|||||||||||")(AppendEchoRequest(nil, ic6G1, ic6G2, 64, 0x1234, 1, []byte("hi")))
	add("129|0|1|0xbeef|65535|||||||||||")(AppendEchoReply(nil, ic6G2, ic6G1, 64, 0xbeef, 65535, make([]byte, 1000)))
	add("2|0|1|||1280||||||||||")(AppendPacketTooBig(nil, ic6G1, ic6G2, 64, 1280, ic6Invoking(1500)))
	add("1|3|1|||||||||||||")(AppendDestUnreachable(nil, ic6G1, ic6G2, 64, ICMPv6AddressUnreachable, ic6Invoking(100)))
	add("3|0|1|||||||||||||")(AppendTimeExceeded(nil, ic6G1, ic6G2, 64, ICMPv6HopLimitExceeded, ic6Invoking(1300)))

	var pcap []byte
	pcap = binary.LittleEndian.AppendUint32(pcap, 0xa1b2c3d4)
	pcap = binary.LittleEndian.AppendUint16(pcap, 2)
	pcap = binary.LittleEndian.AppendUint16(pcap, 4)
	pcap = binary.LittleEndian.AppendUint64(pcap, 0)
	pcap = binary.LittleEndian.AppendUint32(pcap, 65535)
	pcap = binary.LittleEndian.AppendUint32(pcap, 229) // LINKTYPE_IPV6
	for _, c := range cases {
		pcap = binary.LittleEndian.AppendUint64(pcap, 0)
		pcap = binary.LittleEndian.AppendUint32(pcap, uint32(len(c.pkt)))
		pcap = binary.LittleEndian.AppendUint32(pcap, uint32(len(c.pkt)))
		pcap = append(pcap, c.pkt...)
	}
	file := filepath.Join(t.TempDir(), "icmpv6.pcap")
	require.NoError(t, os.WriteFile(file, pcap, 0o600))
	args := []string{"-r", file, "-T", "fields", "-E", "separator=|", "-E", "occurrence=f"}
	for _, f := range []string{"icmpv6.type", "icmpv6.code", "icmpv6.checksum.status", "icmpv6.echo.identifier",
		"icmpv6.echo.sequence_number", "icmpv6.mtu", "icmpv6.nd.ra.cur_hop_limit", "icmpv6.nd.ra.router_lifetime",
		"icmpv6.opt.prefix", "icmpv6.opt.prefix.length", "icmpv6.opt.mtu", "icmpv6.nd.ns.target_address",
		"icmpv6.nd.na.target_address", "icmpv6.opt.linkaddr", "_ws.malformed", "_ws.expert.message"} {
		args = append(args, "-e", f)
	}
	// Prefix fields repeat; gather them all.
	args[7] = "occurrence=a"
	args = append(args, "-E", "aggregator=,")
	out, err := exec.Command(tshark, args...).Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	require.Len(t, lines, len(cases))
	for i, c := range cases {
		assert.Equal(t, c.want, lines[i], "packet %d: %x", i, c.pkt[40:min(len(c.pkt), 80)])
	}
}
