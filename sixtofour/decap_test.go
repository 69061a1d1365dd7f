package sixtofour

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/packet"
)

// TestDecapsulateP41 takes vector P41-1 apart.
func TestDecapsulateP41(t *testing.T) {
	b := hexb(t, vectorP41)
	inner, outer, err := Decapsulate(b, DecapRFC6040)
	require.NoError(t, err)
	assert.Equal(t, packet.IPv4Header{DontFragment: true, TTL: 64, Protocol: packet.ProtoIPv6, Src: v4A, Dst: v4B}, outer.Fields())
	assert.Equal(t, 20, outer.HeaderLen())
	assert.Equal(t, b[:20], outer.Header())
	assert.True(t, outer.IsValid())
	assert.Equal(t, b[20:], inner)
	assert.Equal(t, &b[20], &inner[0], "the inner packet is a sub-slice")
	ip, err := packet.ParseIPv6(inner)
	require.NoError(t, err)
	assert.Equal(t, site6A, ip.Src())
	assert.Equal(t, site6B, ip.Dst())
	assert.Equal(t, uint8(packet.ProtoNoNext), ip.NextHeader())
}

// ecnTable is RFC 6040 Figure 4 as proto41.md §1.3 gives it, outer rows by
// inner columns, indexed by codepoint value (Not-ECT 0, ECT(1) 1, ECT(0)
// 2, CE 3); -1 is a drop. linuxDiff is the one cell where Linux differs.
var ecnTable = [4][4]int{
	//                    inner: Not-ECT ECT(1) ECT(0) CE
	packet.NotECT: {0, 1, 2, 3},
	packet.ECT1:   {0, 1, 1, 3}, // RFC 6040: ECT(0) under outer ECT(1) becomes ECT(1)
	packet.ECT0:   {0, 1, 2, 3},
	packet.CE:     {-1, 3, 3, 3},
}

// TestDecapsulateECN is §10 item 10, decapsulation side: every cell of the
// table under both modes, applied in place to the inner header, with the
// DSCP and flow label kept.
func TestDecapsulateECN(t *testing.T) {
	for _, mode := range []DecapECN{DecapRFC6040, DecapLinux} {
		for outer := packet.NotECT; outer <= packet.CE; outer++ {
			for innerE := packet.NotECT; innerE <= packet.CE; innerE++ {
				want := ecnTable[outer][innerE]
				if mode == DecapLinux && outer == packet.ECT1 && innerE == packet.ECT0 {
					want = int(packet.ECT0) // Linux propagates only CE
				}
				inner := ip6{src: site6A, dst: site6B, tc: 0xa0 | uint8(innerE)}.bytes(t)
				binary.BigEndian.PutUint32(inner[0:4], binary.BigEndian.Uint32(inner[0:4])|0xabcde) // a flow label
				b := ip4{src: v4A, dst: v4B, tos: 0x48 | uint8(outer)}.wrap(t, inner)
				inb, o, err := Decapsulate(b, mode)
				name := mode.String() + " outer " + outer.String() + " inner " + innerE.String()
				if want < 0 {
					assert.ErrorIs(t, err, ErrECNDrop, name)
					assert.ErrorIs(t, err, packet.ErrECNDrop, name)
					continue
				}
				require.NoError(t, err, name)
				assert.Equal(t, outer, o.ECN(), name)
				in, err := packet.ParseIPv6(inb)
				require.NoError(t, err)
				assert.Equal(t, packet.ECN(want), in.ECN(), name)
				assert.Equal(t, uint8(0xa0>>2), in.DSCP(), name)
				assert.Equal(t, uint32(0xabcde), in.FlowLabel(), name)
				assert.Equal(t, packet.ECN(want), packet.TOSECN(b[20]<<4|b[21]>>4), "%s: rewritten in b", name)
			}
		}
	}
}

// TestDecapsulateOdd is §10 item 13 and the other refusals of the codec.
func TestDecapsulateOdd(t *testing.T) {
	good := ip6{src: site6A, dst: site6B, payload: []byte("0123456789")}.bytes(t)
	wrap := func(payload []byte) []byte { return ip4{src: v4A, dst: v4B}.wrap(t, payload) }

	withOptions := func() []byte { // IHL 6: one 4-byte option (End of Options + padding)
		b := wrap(good)
		b = append(b[:20:20], append([]byte{0, 0, 0, 0}, b[20:]...)...)
		b[0] = 0x46
		binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
		fixChecksum(b)
		return b
	}
	longerOuter := func() []byte { // outer Total Length covers 6 bytes after the inner packet
		return wrap(append(append([]byte(nil), good...), "extra!"...))
	}
	shortPlen := func() []byte { // the inner Payload Length says 11, the outer holds 10
		p := append([]byte(nil), good...)
		binary.BigEndian.PutUint16(p[4:], 11)
		return wrap(p)
	}
	fragment := func(mf bool, off uint16) []byte {
		b := wrap(good)
		f := off / 8
		if mf {
			f |= 0x2000
		}
		binary.BigEndian.PutUint16(b[6:], f)
		fixChecksum(b)
		return b
	}
	jumbo := func() []byte { // Payload Length 0, Hop-by-Hop with a Jumbo Payload option
		p := append([]byte{0x60, 0, 0, 0, 0, 0, packet.ProtoHopByHop, 64}, good[8:40]...)
		return append(p, packet.ProtoNoNext, 0, 0xc2, 4, 0, 1, 0, 0)
	}
	badChecksum := func() []byte { b := wrap(good); b[10] ^= 1; return b }
	tests := []struct {
		name      string
		b         []byte
		err       error
		wantInner []byte
	}{
		{"ok", wrap(good), nil, good},
		{"IHL > 5 is accepted on receive", withOptions(), nil, good},
		{"outer longer than inner: trimmed", longerOuter(), nil, good},
		{"link padding after Total Length", append(wrap(good), 0, 0, 0, 0), nil, good},
		{"total length 60: bare IPv6 header", wrap(ip6{src: site6A, dst: site6B}.bytes(t)), nil, nil},
		{"total length 59 < 60", wrap(good[:39]), ErrInnerTruncated, nil},
		{"total length 20: no payload", wrap(nil), ErrInnerTruncated, nil},
		{"inner payload length beyond the outer", shortPlen(), ErrLengthMismatch, nil},
		{"inner version 4", wrap(append([]byte{0x45}, good[1:]...)), ErrNotIPv6Inner, nil},
		{"inner jumbogram", wrap(jumbo()), ErrNotIPv6Inner, nil},
		{"protocol 4 (IPIP)", ip4{src: v4A, dst: v4B, proto: 4}.wrap(t, good), ErrNotProto41, nil},
		{"first fragment", fragment(true, 0), ErrFragmented, nil},
		{"last fragment", fragment(false, 8), ErrFragmented, nil},
		{"bad outer checksum", badChecksum(), packet.ErrBadChecksum, nil},
		{"outer version 6", good, packet.ErrBadVersion, nil},
		{"outer truncated", wrap(good)[:19], packet.ErrTruncated, nil},
		{"outer Total Length past the buffer", wrap(good)[:50], packet.ErrTruncated, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inner, outer, err := Decapsulate(tc.b, DecapRFC6040)
			if tc.err != nil {
				assert.ErrorIs(t, err, tc.err)
				assert.False(t, outer.IsValid())
				assert.Nil(t, inner)
				return
			}
			require.NoError(t, err)
			if tc.wantInner == nil {
				tc.wantInner = tc.b[20:60]
			}
			assert.Equal(t, tc.wantInner, inner)
			assert.Equal(t, v4A, outer.Src())
			assert.Equal(t, int(tc.b[0]&15)*4, outer.HeaderLen())
		})
	}
}

// TestZeroValues checks that the zero Outer and Result are total.
func TestZeroValues(t *testing.T) {
	var o Outer
	assert.False(t, o.IsValid())
	assert.Equal(t, packet.IPv4Header{Protocol: packet.ProtoIPv6}, o.Fields())
	assert.Zero(t, o.HeaderLen())
	assert.Zero(t, o.ECN())
	assert.False(t, o.DontFragment())
	assert.Nil(t, o.Header())

	var r Result
	assert.Equal(t, ActionNone, r.Action())
	assert.Equal(t, ReasonNone, r.Reason())
	assert.NoError(t, r.Err())
	assert.False(t, r.NextHop().IsValid())
	assert.Equal(t, "none none len 0", r.String())
	assert.Equal(t, "to-network sent-relay next-hop 203.0.113.1 mtu 1280 len 3",
		result(ActionToNetwork, ReasonSentRelay, []byte{1, 2, 3}, v4U32(v4Relay), 1280).String())
}
