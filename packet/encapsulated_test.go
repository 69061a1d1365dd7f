package packet

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refEncapsulated is the sequence of calls that ParseIPv6InIPv4 (proto 41)
// and ParseIPv6InUDP4 (proto 17) document, made with the exported parsers:
// the reference the fused parsers are held to.
func refEncapsulated(b []byte, proto uint8) (ip IPv4, u UDP, ip6 IPv6, err error) {
	if ip, err = ParseIPv4(b); err != nil {
		return IPv4{}, UDP{}, IPv6{}, err
	}
	if ip.IsFragment() {
		return IPv4{}, UDP{}, IPv6{}, ErrIPv4Fragment
	}
	if ip.Protocol() != proto {
		return IPv4{}, UDP{}, IPv6{}, ErrWrongProtocol
	}
	p := ip.Payload()
	if proto == ProtoUDP {
		if u, err = ParseUDP(p); err != nil {
			return IPv4{}, UDP{}, IPv6{}, err
		}
		p = u.Payload()
	}
	if ip6, err = ParseIPv6(p); err != nil {
		return IPv4{}, UDP{}, IPv6{}, err
	}
	return ip, u, ip6, nil
}

// parseEncapsulatedAs calls the parser for proto.
func parseEncapsulatedAs(b []byte, proto uint8) (Encapsulated, error) {
	if proto == ProtoUDP {
		return ParseIPv6InUDP4(b)
	}
	return ParseIPv6InIPv4(b)
}

// checkEncapsulated fails t unless the parser for proto and
// refEncapsulated agree on b: the same error, and on success the same
// layers, aliasing b. It returns the parser's error.
func checkEncapsulated(t testing.TB, b []byte, proto uint8) error {
	t.Helper()
	e, err := parseEncapsulatedAs(b, proto)
	ip, u, ip6, rerr := refEncapsulated(b, proto)
	if err != rerr {
		t.Fatalf("proto %d, % x: error %v, reference %v", proto, b, err, rerr)
	}
	if err != nil {
		if e.IsValid() || e.Outer().IsValid() || e.UDP().IsValid() || e.Inner().IsValid() {
			t.Fatalf("proto %d, % x: %v with a valid view", proto, b, err)
		}
		return err
	}
	same := func(what string, got, want []byte) {
		t.Helper()
		if len(got) != len(want) || len(got) > 0 && &got[0] != &want[0] {
			t.Fatalf("proto %d, % x: %s is % x, reference % x", proto, b, what, got, want)
		}
	}
	if !e.IsValid() {
		t.Fatalf("proto %d, % x: accepted, not valid", proto, b)
	}
	o := e.Outer()
	same("outer", o.Bytes(), ip.Bytes())
	same("outer header", o.Header(), ip.Header())
	same("UDP", e.UDP().Bytes(), u.Bytes())
	in := e.Inner()
	same("inner", in.Bytes(), ip6.Bytes())
	same("inner payload", in.Payload(), ip6.Payload())
	same("trailer", in.Trailer(), ip6.Trailer())
	if in.PayloadLen() != ip6.PayloadLen() || in.NextHeader() != ip6.NextHeader() ||
		in.Src() != ip6.Src() || o.Dst() != ip.Dst() {
		t.Fatalf("proto %d, % x: fields differ from the reference", proto, b)
	}
	return nil
}

// encap6in4 returns an IPv4 packet (protocol 41, DF, TTL 64, 192.0.2.4 →
// 198.51.100.7) carrying an IPv6 packet with a payload of n bytes, followed
// by trailer inside Total Length.
func encap6in4(t testing.TB, n int, trailer []byte) []byte {
	t.Helper()
	inner := innerIPv6(t, n)
	h := IPv4Header{DontFragment: true, TTL: 64, Protocol: ProtoIPv6,
		Src: netip.MustParseAddr("192.0.2.4"), Dst: netip.MustParseAddr("198.51.100.7")}
	b, err := h.AppendTo(nil, len(inner)+len(trailer))
	require.NoError(t, err)
	return append(append(b, inner...), trailer...)
}

// encapTeredo returns an IPv4 packet carrying a UDP datagram (3544 →
// 40000) whose data is an IPv6 packet with a payload of n bytes followed by
// trailer.
func encapTeredo(t testing.TB, n int, trailer []byte) []byte {
	t.Helper()
	src, dst := netip.MustParseAddr("192.0.2.4"), netip.MustParseAddr("198.51.100.7")
	data := append(innerIPv6(t, n), trailer...)
	u, err := AppendUDP4(nil, UDPHeader{SrcPort: 3544, DstPort: 40000}, src, dst, data)
	require.NoError(t, err)
	h := IPv4Header{TTL: 64, Protocol: ProtoUDP, Src: src, Dst: dst}
	b, err := h.AppendTo(nil, len(u))
	require.NoError(t, err)
	return append(b, u...)
}

// innerIPv6 returns an IPv6 packet (2001:db8::1 → 2001:db8::2, next header
// 59) with n bytes of payload.
func innerIPv6(t testing.TB, n int) []byte {
	t.Helper()
	h := IPv6Header{NextHeader: 59, HopLimit: 64,
		Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2")}
	b, err := h.AppendTo(nil, n)
	require.NoError(t, err)
	for i := range n {
		b = append(b, byte(i))
	}
	return b
}

func TestParseIPv6InIPv4Vector(t *testing.T) {
	b := hexv(t, p41v1)
	e, err := ParseIPv6InIPv4(b)
	require.NoError(t, err)
	o, in := e.Outer(), e.Inner()
	assert.Equal(t, netip.MustParseAddr("192.0.2.4"), o.Src())
	assert.Equal(t, netip.MustParseAddr("198.51.100.7"), o.Dst())
	assert.Equal(t, 60, o.TotalLen())
	assert.Equal(t, netip.MustParseAddr("2002:c000:204::1"), in.Src())
	assert.Equal(t, netip.MustParseAddr("2002:c633:6407::1"), in.Dst())
	assert.Equal(t, uint8(59), in.NextHeader())
	assert.Equal(t, 0, in.PayloadLen())
	assert.Empty(t, in.Trailer())
	assert.False(t, e.UDP().IsValid(), "protocol 41 has no UDP layer")
	assert.Same(t, &b[20], &in.Bytes()[0])

	_, err = ParseIPv6InUDP4(b)
	assert.ErrorIs(t, err, ErrWrongProtocol)
}

func TestParseIPv6InUDP4(t *testing.T) {
	trailer := []byte{0x03, 0x01, 0, 0, 0, 0, 0, 0} // an RFC 6081 trailer, opaque here
	b := encapTeredo(t, 100, trailer)
	e, err := ParseIPv6InUDP4(b)
	require.NoError(t, err)
	u := e.UDP()
	require.True(t, u.IsValid())
	assert.Equal(t, uint16(3544), u.SrcPort())
	assert.Equal(t, uint16(40000), u.DstPort())
	assert.NoError(t, u.VerifyChecksum4(e.Outer().Src(), e.Outer().Dst()))
	in := e.Inner()
	assert.Equal(t, 100, in.PayloadLen())
	assert.Equal(t, netip.MustParseAddr("2001:db8::2"), in.Dst())
	assert.Equal(t, trailer, in.Trailer())
	assert.Same(t, &b[28], &in.Bytes()[0])

	_, err = ParseIPv6InIPv4(b)
	assert.ErrorIs(t, err, ErrWrongProtocol)
}

// TestEncapsulatedAgrees holds both parsers to refEncapsulated, and to the
// error named for each case, on the fast path's packets and on every way
// out of it.
func TestEncapsulatedAgrees(t *testing.T) {
	type mutation struct {
		name string
		edit func(b []byte) []byte // on a copy; the IPv4 checksum is repaired afterwards unless keepSum
		keep bool                  // keep the checksum as edit left it
		want error
	}
	// in is the offset of the IPv6 header in the unmodified packet.
	common := func(in int) []mutation {
		return []mutation{
			{"as built", nil, false, nil},
			{"DF clear", func(b []byte) []byte { b[6] &^= 0x40; return b }, false, nil},
			{"ECN CE and DSCP", func(b []byte) []byte { b[1] = 0xbb; return b }, false, nil},
			{"link-layer padding after Total Length", func(b []byte) []byte { return append(b, 0, 0, 0, 0, 0, 0) }, false, nil},
			{"options (IHL 6)", func(b []byte) []byte {
				b = append(b[:20], append([]byte{0x94, 0x04, 0, 0}, b[20:]...)...)
				b[0] = 0x46
				binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
				return b
			}, false, nil},
			{"19 bytes", func(b []byte) []byte { return b[:19] }, true, ErrTruncated},
			{"empty", func(b []byte) []byte { return b[:0] }, true, ErrTruncated},
			{"version 6", func(b []byte) []byte { b[0] = 0x65; return b }, false, ErrBadVersion},
			{"IHL 4", func(b []byte) []byte { b[0] = 0x44; return b }, true, ErrBadIHL},
			{"Total Length below the header", func(b []byte) []byte { binary.BigEndian.PutUint16(b[2:], 19); return b }, false, ErrBadTotalLength},
			{"Total Length beyond the buffer", func(b []byte) []byte { return b[:len(b)-1] }, false, ErrTruncated},
			{"bad checksum", func(b []byte) []byte { b[11] ^= 1; return b }, true, ErrBadChecksum},
			{"More Fragments", func(b []byte) []byte { b[6] |= 0x20; return b }, false, ErrIPv4Fragment},
			{"Fragment Offset", func(b []byte) []byte { b[7] = 1; return b }, false, ErrIPv4Fragment},
			{"reserved flag only", func(b []byte) []byte { b[6] |= 0x80; return b }, false, nil},
			{"protocol 4", func(b []byte) []byte { b[9] = 4; return b }, false, ErrWrongProtocol},
			{"inner version 4", func(b []byte) []byte { b[in] = 0x45; return b }, false, ErrBadVersion},
			{"inner Payload Length beyond", func(b []byte) []byte { binary.BigEndian.PutUint16(b[in+4:], 0xffff); return b }, false, ErrTruncated},
			{"inner packet one byte beyond its carrier, padding after", func(b []byte) []byte {
				binary.BigEndian.PutUint16(b[in+4:], uint16(len(b)-in-40+1))
				return append(b, 0xee, 0xee)
			}, false, ErrTruncated},
			{"bubble (Payload Length 0) with a trailer", func(b []byte) []byte { binary.BigEndian.PutUint16(b[in+4:], 0); return b }, false, nil},
			{"Hop-by-Hop with Payload Length 0, no Jumbo option", func(b []byte) []byte {
				binary.BigEndian.PutUint16(b[in+4:], 0)
				b[in+6] = ProtoHopByHop
				copy(b[in+40:], []byte{59, 0, 1, 4, 0, 0, 0, 0}) // PadN
				return b
			}, false, nil},
			{"jumbogram", func(b []byte) []byte {
				binary.BigEndian.PutUint16(b[in+4:], 0)
				b[in+6] = ProtoHopByHop
				copy(b[in+40:], []byte{59, 0, 0xc2, 4, 0, 1, 0, 0}) // Jumbo Payload
				return b
			}, false, ErrJumbogram},
			{"Hop-by-Hop with Payload Length 0, header runs past the end", func(b []byte) []byte {
				binary.BigEndian.PutUint16(b[in+4:], 0)
				b[in+6] = ProtoHopByHop
				copy(b[in+40:], []byte{59, 200, 0xc2, 4, 0, 1, 0, 0})
				return b
			}, false, nil},
			{"IPv6 header cut", func(b []byte) []byte {
				b = b[:in+39]
				binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
				if in > 20 { // the UDP Length, which would otherwise fail first
					binary.BigEndian.PutUint16(b[24:], uint16(len(b)-20))
				}
				return b
			}, false, ErrTruncated},
		}
	}
	run := func(t *testing.T, proto uint8, base []byte, cases []mutation) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				b := append([]byte{}, base...)
				if c.edit != nil {
					b = c.edit(b)
				}
				if !c.keep && len(b) >= 20 {
					ipv4WithChecksum(b)
				}
				err := checkEncapsulated(t, b, proto)
				if err != c.want {
					t.Fatalf("error %v, want %v", err, c.want)
				}
			})
		}
	}
	trailer := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	t.Run("6in4", func(t *testing.T) {
		run(t, ProtoIPv6, encap6in4(t, 16, trailer), append(common(20),
			mutation{"UDP instead", func(b []byte) []byte { b[9] = ProtoUDP; return b }, false, ErrWrongProtocol}))
	})
	t.Run("Teredo", func(t *testing.T) {
		run(t, ProtoUDP, encapTeredo(t, 16, trailer), append(common(28),
			mutation{"UDP Length 7", func(b []byte) []byte { binary.BigEndian.PutUint16(b[24:], 7); return b }, false, ErrBadUDPLength},
			mutation{"UDP Length beyond the IPv4 payload, padding after", func(b []byte) []byte {
				binary.BigEndian.PutUint16(b[24:], uint16(len(b)-19))
				return append(b, 0xee, 0xee)
			}, false, ErrTruncated},
			mutation{"UDP Length leaves 39 bytes", func(b []byte) []byte { binary.BigEndian.PutUint16(b[24:], 8+39); return b }, false, ErrTruncated},
			mutation{"UDP Length ends the IPv6 packet", func(b []byte) []byte { binary.BigEndian.PutUint16(b[24:], 8+40+16); return b }, false, nil},
			mutation{"IPv4 payload shorter than a UDP header", func(b []byte) []byte {
				b = b[:27]
				binary.BigEndian.PutUint16(b[2:], 27)
				return b
			}, false, ErrTruncated},
			mutation{"origin indication first", func(b []byte) []byte { b[28], b[29] = 0, 0; return b }, false, ErrBadVersion},
			mutation{"protocol 41 instead", func(b []byte) []byte { b[9] = ProtoIPv6; return b }, false, ErrWrongProtocol}))
	})
}

func TestEncapsulatedSizes(t *testing.T) {
	for _, n := range []int{0, 1, 536, 1240, 1460, 65535 - 20 - 8 - 40} {
		checkEncapsulated(t, encapTeredo(t, n, nil), ProtoUDP)
		if n <= 65535-20-40 {
			checkEncapsulated(t, encap6in4(t, n, nil), ProtoIPv6)
		}
	}
	checkEncapsulated(t, encap6in4(t, 65535-20-40, nil), ProtoIPv6)
}

func TestEncapsulatedZero(t *testing.T) {
	var e Encapsulated
	assert.False(t, e.IsValid())
	assert.Equal(t, IPv4{}, e.Outer())
	assert.Equal(t, UDP{}, e.UDP())
	assert.False(t, e.Inner().IsValid())
	assert.Empty(t, e.Inner().Bytes())
	assert.Equal(t, uint8(0), e.Inner().NextHeader())
}
