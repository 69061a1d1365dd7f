package packet

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestECNString(t *testing.T) {
	assert.Equal(t, "Not-ECT", NotECT.String())
	assert.Equal(t, "ECT(1)", ECT1.String())
	assert.Equal(t, "ECT(0)", ECT0.String())
	assert.Equal(t, "CE", CE.String())
	assert.Equal(t, "ECN(7)", ECN(7).String())
	assert.Equal(t, "normal", ECNNormal.String())
	assert.Equal(t, "compat", ECNCompat.String())
	assert.Equal(t, "linux", ECNLinux.String())
	assert.Equal(t, "ECNMode(9)", ECNMode(9).String())
}

// TestECNCodepoints pins the RFC 3168 §5 bit values.
func TestECNCodepoints(t *testing.T) {
	assert.Equal(t, ECN(0b00), NotECT)
	assert.Equal(t, ECN(0b01), ECT1)
	assert.Equal(t, ECN(0b10), ECT0)
	assert.Equal(t, ECN(0b11), CE)
}

// decapTable is RFC 6040 Figure 4 as transcribed in proto41.md §1.3, indexed
// [outer][inner]; "drop" cells are marked with drop = true.
var decapTable = []struct {
	outer, inner ECN
	want         ECN
	drop         bool
}{
	{NotECT, NotECT, NotECT, false},
	{NotECT, ECT0, ECT0, false},
	{NotECT, ECT1, ECT1, false},
	{NotECT, CE, CE, false},

	{ECT0, NotECT, NotECT, false}, // RFC 6040: log
	{ECT0, ECT0, ECT0, false},
	{ECT0, ECT1, ECT1, false},
	{ECT0, CE, CE, false},

	{ECT1, NotECT, NotECT, false}, // RFC 6040: log
	{ECT1, ECT0, ECT1, false},     // Linux leaves ECT(0): see below
	{ECT1, ECT1, ECT1, false},
	{ECT1, CE, CE, false},

	{CE, NotECT, 0, true},
	{CE, ECT0, CE, false},
	{CE, ECT1, CE, false},
	{CE, CE, CE, false},
}

func TestDecapsulateECNEveryCell(t *testing.T) {
	require.Len(t, decapTable, 16)
	for _, c := range decapTable {
		t.Run(c.outer.String()+"/"+c.inner.String(), func(t *testing.T) {
			got, err := DecapsulateECN(c.outer, c.inner)
			if c.drop {
				assert.ErrorIs(t, err, ErrECNDrop)
			} else {
				require.NoError(t, err)
				assert.Equal(t, c.want, got)
			}

			// Linux (__INET_ECN_decapsulate) differs in exactly one cell:
			// outer ECT(1) over inner ECT(0) stays ECT(0) (proto41.md §1.3
			// footnote).
			want := c.want
			if c.outer == ECT1 && c.inner == ECT0 {
				want = ECT0
			}
			got, err = DecapsulateECNLinux(c.outer, c.inner)
			if c.drop {
				assert.ErrorIs(t, err, ErrECNDrop)
			} else {
				require.NoError(t, err)
				assert.Equal(t, want, got)
			}
		})
	}
}

// TestDecapsulateECNIgnoresHighBits checks that bits above the two ECN
// bits, as left by a caller passing a whole TOS byte by mistake, do not
// change the result.
func TestDecapsulateECNIgnoresHighBits(t *testing.T) {
	for _, c := range decapTable {
		got, err := DecapsulateECN(c.outer|0xfc, c.inner|0x04)
		want, wantErr := DecapsulateECN(c.outer, c.inner)
		assert.Equal(t, want, got)
		assert.Equal(t, wantErr, err)
	}
}

func TestEncapsulateECNEveryCell(t *testing.T) {
	tests := []struct {
		mode  ECNMode
		inner ECN
		want  ECN
	}{
		// RFC 6040 §4.1 normal mode: copy, CE included (proto41.md §10
		// item 10: inner CE encapsulated as CE).
		{ECNNormal, NotECT, NotECT},
		{ECNNormal, ECT0, ECT0},
		{ECNNormal, ECT1, ECT1},
		{ECNNormal, CE, CE},
		// RFC 6040 §4.1 compatibility mode: always Not-ECT.
		{ECNCompat, NotECT, NotECT},
		{ECNCompat, ECT0, NotECT},
		{ECNCompat, ECT1, NotECT},
		{ECNCompat, CE, NotECT},
		// Linux INET_ECN_encapsulate (RFC 3168 full functionality): inner
		// CE becomes ECT(0).
		{ECNLinux, NotECT, NotECT},
		{ECNLinux, ECT0, ECT0},
		{ECNLinux, ECT1, ECT1},
		{ECNLinux, CE, ECT0},
		// Unknown modes are as safe as compatibility mode.
		{ECNMode(200), CE, NotECT},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, EncapsulateECN(tt.inner, tt.mode), "%v %v", tt.mode, tt.inner)
		assert.Equal(t, tt.want, EncapsulateECN(tt.inner|0xfc, tt.mode), "%v %v with high bits", tt.mode, tt.inner)
	}
}

// TestECNRoundTrip: in normal mode, encapsulating and then decapsulating
// an unchanged packet restores the inner codepoint; a CE mark added on the
// way is delivered, except to Not-ECT packets, which are dropped.
func TestECNRoundTrip(t *testing.T) {
	for _, inner := range []ECN{NotECT, ECT0, ECT1, CE} {
		for _, mode := range []ECNMode{ECNNormal, ECNCompat, ECNLinux} {
			outer := EncapsulateECN(inner, mode)
			got, err := DecapsulateECN(outer, inner)
			require.NoError(t, err)
			assert.Equal(t, inner, got, "%v %v", mode, inner)

			if outer == NotECT {
				continue // a router never marks Not-ECT outer headers
			}
			got, err = DecapsulateECN(CE, inner)
			if inner == NotECT {
				assert.ErrorIs(t, err, ErrECNDrop)
			} else {
				require.NoError(t, err)
				assert.Equal(t, CE, got)
			}
		}
	}
}

func TestTOSECN(t *testing.T) {
	assert.Equal(t, ECT1, TOSECN(0xb9)) // DSCP 46 (EF) + ECT(1)
	assert.Equal(t, CE, TOSECN(0x03))
	assert.Equal(t, uint8(0xbb), SetTOSECN(0xb8, CE))
	assert.Equal(t, uint8(0xb8), SetTOSECN(0xbb, NotECT))
	assert.Equal(t, uint8(0xba), SetTOSECN(0xb9, ECT0|0xf0), "only the low two bits of e are used")
	for tos := range 256 {
		for e := range ECN(4) {
			v := SetTOSECN(uint8(tos), e)
			require.Equal(t, e, TOSECN(v))
			require.Equal(t, uint8(tos)>>2, v>>2, "DSCP kept")
		}
	}
}

func TestIPv4ECNInPlace(t *testing.T) {
	b := hexv(t, p41v1)
	e, ok := IPv4ECN(b)
	require.True(t, ok)
	assert.Equal(t, NotECT, e)

	for _, want := range []ECN{CE, ECT0, ECT1, NotECT, CE} {
		require.True(t, SetIPv4ECN(b, want))
		h, err := ParseIPv4(b)
		require.NoError(t, err, "checksum still valid after setting %v", want)
		assert.Equal(t, want, h.ECN())
		assert.Equal(t, uint8(0), h.DSCP())
		e, ok := IPv4ECN(b)
		assert.True(t, ok)
		assert.Equal(t, want, e)
	}
	// Back to Not-ECT: the original bytes, checksum 0x4e5a.
	require.True(t, SetIPv4ECN(b, NotECT))
	assert.Equal(t, hexv(t, p41v1), b)

	_, ok = IPv4ECN(b[:1])
	assert.False(t, ok)
	_, ok = IPv4ECN(hexv(t, "6000"))
	assert.False(t, ok)
	short := append([]byte{}, b[:19]...)
	assert.False(t, SetIPv4ECN(short, CE))
	assert.Equal(t, b[:19], short, "not modified")
	v6 := hexv(t, "60000000 00003b40 00000000 00000000 00000000")
	assert.False(t, SetIPv4ECN(v6, CE))
	assert.Equal(t, hexv(t, "60000000 00003b40 00000000 00000000 00000000"), v6)
}
