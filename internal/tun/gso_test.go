package tun

import (
	"encoding/binary"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

func TestVirtioNetHdr(t *testing.T) {
	for _, c := range []struct {
		name string
		hex  string
		want VirtioNetHdr
	}{
		{"zero: a plain packet", "00 00 0000 0000 0000 0000", VirtioNetHdr{}},
		// A TSO super-packet of TCP over IPv6 as Linux hands it over:
		// NEEDS_CSUM, GSO_TCPV6, hdr_len 86, gso_size 1408 (0x0580),
		// csum_start 40, csum_offset 16, little-endian.
		{"TCPv6 TSO", "01 04 5600 8005 2800 1000",
			VirtioNetHdr{Flags: VirtioNeedsCsum, GSOType: GSOTCPv6, HdrLen: 86, GSOSize: 1408, CsumStart: 40, CsumOffset: 16}},
		{"TCPv4 TSO with ECN", "01 81 3400 b405 1400 1000",
			VirtioNetHdr{Flags: VirtioNeedsCsum, GSOType: GSOTCPv4 | GSOECN, HdrLen: 52, GSOSize: 1460, CsumStart: 20, CsumOffset: 16}},
		{"UDP L4 with DATA_VALID, high bytes", "03 05 ffff 0201 0403 0605",
			VirtioNetHdr{Flags: VirtioNeedsCsum | VirtioDataValid, GSOType: GSOUDPL4, HdrLen: 0xffff, GSOSize: 0x0102, CsumStart: 0x0304, CsumOffset: 0x0506}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := unhex(t, c.hex)
			h, err := ParseVirtioNetHdr(append(b, 0x45)) // trailing packet bytes are ignored
			require.NoError(t, err)
			assert.Equal(t, c.want, h)
			assert.Equal(t, b, c.want.AppendTo(nil))
			enc := make([]byte, VirtioNetHdrLen)
			require.NoError(t, c.want.Encode(enc))
			assert.Equal(t, b, enc)
			assert.Equal(t, c.want.GSOType&^GSOECN, h.GSO())
			assert.Equal(t, c.want.Flags&VirtioNeedsCsum != 0, h.NeedsCsum())
		})
	}
	_, err := ParseVirtioNetHdr(make([]byte, VirtioNetHdrLen-1))
	assert.ErrorIs(t, err, ErrTruncated)
	h := VirtioNetHdr{GSOSize: 9}
	assert.ErrorIs(t, h.Decode(nil), ErrTruncated)
	assert.Equal(t, VirtioNetHdr{GSOSize: 9}, h, "Decode left h alone")
	assert.ErrorIs(t, h.Encode(make([]byte, 9)), io.ErrShortBuffer)
}

// splitAll splits pkt into fresh buffers of size bytes each, at offset
// off, and returns the segments.
func splitAll(t testing.TB, pkt []byte, h VirtioNetHdr, size int) [][]byte {
	t.Helper()
	n, err := Segments(pkt, h)
	require.NoError(t, err)
	bufs, sizes := newBufs(n, size), make([]int, n)
	k, err := Split(pkt, h, 0, bufs, sizes, off)
	require.NoError(t, err)
	require.Equal(t, n, k)
	out := make([][]byte, k)
	for i := range k {
		require.True(t, headroomIntact(bufs[i]), "Split wrote into the headroom")
		out[i] = bufs[i][off : off+sizes[i]]
	}
	return out
}

// TestSplit checks Split against segments built independently by
// gopacket, for every GSO type, with and without TCP options and IPv6
// extension headers, last segments short and full, and flags that must
// stay on one segment.
func TestSplit(t *testing.T) {
	withTS := func(f flow) flow { f.ts = true; return f }
	withExt := func(f flow) flow { f.ext = true; return f }
	withFlags := func(f flow, fl uint8) flow { f.flags = fl; return f }
	for _, c := range []struct {
		name string
		f    flow
		size int // payload
		mss  int
	}{
		{"TCPv4 3 full segments", tcp4Flow(), 3 * 1448, 1448},
		{"TCPv4 short last", tcp4Flow(), 64000, 1460},
		{"TCPv4 timestamps, PSH and FIN on the last only", withFlags(withTS(tcp4Flow()), tcpACK|tcpPSH|tcpFIN), 10000, 1388},
		{"TCPv4 CWR on the first only, ECE on all", withFlags(tcp4Flow(), tcpACK|tcpCWR|tcpECE|tcpPSH), 5000, 1000},
		{"TCPv4 sequence number wraps", tcp4Flow(), 20 * 1460, 1460},
		{"TCPv4 one segment", tcp4Flow(), 100, 1460},
		{"TCPv6 3 full segments", tcp6Flow(), 3 * 1420, 1420},
		{"TCPv6 64 KiB", withTS(tcp6Flow()), 65535 - 40 - 32, 1408},
		{"TCPv6 destination options", withExt(withFlags(tcp6Flow(), tcpACK|tcpPSH)), 7777, 1212},
		{"TCPv6 1-byte segments", tcp6Flow(), 9, 1},
		{"UDPv4 USO", udp4Flow(), 10*1232 - 100, 1232},
		{"UDPv6 USO", udp6Flow(), 45 * 1400, 1400},
		{"UDPv6 destination options", withExt(udp6Flow()), 3000, 1000},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := payload(c.size)
			pkt, h := c.f.super(t, data, c.mss)
			orig := append([]byte(nil), pkt...)
			want := c.f.segments(t, data, c.mss)
			got := splitAll(t, pkt, h, c.f.hdrLen()+c.mss)
			require.Equal(t, len(want), len(got))
			for i := range want {
				assert.Equal(t, hex.EncodeToString(want[i]), hex.EncodeToString(got[i]), "segment %d", i)
			}
			assert.Equal(t, orig, pkt, "Split modified its input")

			// Resuming: one segment per call gives the same.
			bufs, sizes := newBufs(1, c.f.hdrLen()+c.mss), make([]int, 1)
			for i := range want {
				k, err := Split(pkt, h, i, bufs, sizes, off)
				require.NoError(t, err)
				require.Equal(t, 1, k)
				assert.Equal(t, want[i], bufs[0][off:off+sizes[0]], "segment %d alone", i)
			}
			k, err := Split(pkt, h, len(want), bufs, sizes, off)
			assert.NoError(t, err)
			assert.Zero(t, k, "past the last segment")
		})
	}
}

// TestSplitNone checks a plain packet: copied whole, its checksum
// completed if the header asks.
func TestSplitNone(t *testing.T) {
	f := udp6Flow()
	want := f.build(t, payload(300), 0, 0, 0)
	pkt, _ := f.super(t, payload(300), 1000) // the checksum field holds the pseudo-header sum
	h := VirtioNetHdr{Flags: VirtioNeedsCsum, CsumStart: 40, CsumOffset: 6}
	got := splitAll(t, pkt, h, 400)
	require.Len(t, got, 1)
	assert.Equal(t, want, got[0])
	// Without the flag, the packet is copied as it is.
	got = splitAll(t, want, VirtioNetHdr{}, 400)
	assert.Equal(t, want, got[0])
	n, err := Split(want, VirtioNetHdr{}, 1, newBufs(1, 400), []int{0}, off)
	assert.NoError(t, err)
	assert.Zero(t, n)
	_, err = Split(want, VirtioNetHdr{}, 0, newBufs(1, len(want)-1), []int{0}, off)
	assert.ErrorIs(t, err, io.ErrShortBuffer)
}

// TestCompleteChecksum checks completion against hand-computed values.
func TestCompleteChecksum(t *testing.T) {
	for _, c := range []struct {
		name    string
		pkt     string // the checksum field holds the partial sum
		h       VirtioNetHdr
		want    string
		wantErr error
	}{
		// Bytes 2..7 summed from start 2: 0x0102 + 0x0304 + field 0x1000
		// = 0x1406, complemented 0xebf9.
		{"sum with partial field", "ffff 0102 0304 1000", VirtioNetHdr{Flags: VirtioNeedsCsum, CsumStart: 2, CsumOffset: 4},
			"ffff 0102 0304 ebf9", nil},
		// An odd length pads with a zero byte: 0x0102 + field 0 +
		// 0x0300 = 0x0402 → 0xfbfd.
		{"odd length", "0102 0000 03", VirtioNetHdr{Flags: VirtioNeedsCsum, CsumStart: 0, CsumOffset: 2}, "0102 fbfd 03", nil},
		// 0xffff + field 0 sums to 0xffff, whose complement 0 is sent as
		// 0xffff (the same one's-complement number; UDP's "no checksum").
		{"zero sent as 0xffff", "ffff 0000", VirtioNetHdr{Flags: VirtioNeedsCsum, CsumStart: 0, CsumOffset: 2}, "ffff ffff", nil},
		{"no flag, untouched", "1234 5678", VirtioNetHdr{CsumStart: 0, CsumOffset: 2}, "1234 5678", nil},
		{"field past the end", "1234 5678", VirtioNetHdr{Flags: VirtioNeedsCsum, CsumStart: 2, CsumOffset: 1}, "1234 5678", ErrChecksumOffset},
		{"start past the end", "1234", VirtioNetHdr{Flags: VirtioNeedsCsum, CsumStart: 0xffff, CsumOffset: 0xffff}, "1234", ErrChecksumOffset},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := unhex(t, c.pkt)
			err := CompleteChecksum(b, c.h)
			assert.ErrorIs(t, err, c.wantErr)
			assert.Equal(t, unhex(t, c.want), b)
		})
	}
}

// TestSplitErrors checks that malformed super-packets are refused with
// the documented errors and nothing is written.
func TestSplitErrors(t *testing.T) {
	data := payload(3000)
	tcp4, h4 := tcp4Flow().super(t, data, 1000)
	tcp6, h6 := tcp6Flow().super(t, data, 1000)
	udp4, hu := udp4Flow().super(t, data, 1000)
	mod := func(b []byte, f func([]byte)) []byte {
		b = append([]byte(nil), b...)
		f(b)
		return b
	}
	with := func(h VirtioNetHdr, f func(*VirtioNetHdr)) VirtioNetHdr { f(&h); return h }
	for _, c := range []struct {
		name string
		pkt  []byte
		h    VirtioNetHdr
		want error
	}{
		{"UFO", udp4, with(hu, func(h *VirtioNetHdr) { h.GSOType = GSOUDP }), ErrGSOType},
		{"unknown GSO type", tcp4, with(h4, func(h *VirtioNetHdr) { h.GSOType = 2 }), ErrGSOType},
		{"empty", nil, h4, ErrTruncated},
		{"IPv6 packet as TCPv4", tcp6, with(h6, func(h *VirtioNetHdr) { h.GSOType = GSOTCPv4 }), ErrBadGSO},
		{"IPv4 packet as TCPv6", tcp4, with(h4, func(h *VirtioNetHdr) { h.GSOType = GSOTCPv6 }), ErrBadGSO},
		{"UDP packet as TCP", udp4, with(hu, func(h *VirtioNetHdr) { h.GSOType, h.CsumOffset = GSOTCPv4, 16 }), ErrBadGSO},
		{"TCP packet as UDP", tcp4, with(h4, func(h *VirtioNetHdr) { h.GSOType, h.CsumOffset = GSOUDPL4, 6 }), ErrBadGSO},
		{"IP version 5", mod(tcp4, func(b []byte) { b[0] = 0x55 }), h4, ErrBadGSO},
		{"IHL 4", mod(tcp4, func(b []byte) { b[0] = 0x44 }), h4, ErrBadGSO},
		{"IPv4 fragment", mod(tcp4, func(b []byte) { b[6] |= 0x20 }), h4, ErrBadGSO},
		{"IPv4 truncated", tcp4[:19], h4, ErrTruncated},
		{"IPv6 truncated", tcp6[:39], h6, ErrTruncated},
		{"IPv6 fragment header", mod(tcp6, func(b []byte) { b[6] = 44 }), h6, ErrBadGSO},
		{"IPv6 extension header truncated", mod(tcp6[:41], func(b []byte) { b[6] = 60 }), h6, ErrTruncated},
		{"TCP truncated", tcp4[:39], h4, ErrTruncated},
		{"TCP data offset 4", mod(tcp4, func(b []byte) { b[32] = 0x40 }), h4, ErrBadGSO},
		{"TCP options truncated", mod(tcp4[:50], func(b []byte) { b[32] = 0xf0 }), h4, ErrTruncated},
		{"UDP truncated", udp4[:27], hu, ErrTruncated},
		{"checksum start not the TCP header", tcp4, with(h4, func(h *VirtioNetHdr) { h.CsumStart = 24 }), ErrChecksumOffset},
		{"checksum offset not TCP's", tcp4, with(h4, func(h *VirtioNetHdr) { h.CsumOffset = 6 }), ErrChecksumOffset},
		{"GSO size 0", tcp4, with(h4, func(h *VirtioNetHdr) { h.GSOSize = 0 }), ErrBadGSO},
		{"no payload", tcp4[:40], h4, ErrBadGSO},
		{"segments over 65535 bytes", tcp4, with(h4, func(h *VirtioNetHdr) { h.GSOSize = 65535 - 39 }), ErrBadGSO},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Segments(c.pkt, c.h)
			assert.ErrorIs(t, err, c.want)
			bufs := newBufs(4, 2000)
			n, err := Split(c.pkt, c.h, 0, bufs, make([]int, 4), off)
			assert.ErrorIs(t, err, c.want)
			assert.Zero(t, n)
			for _, b := range bufs {
				assert.Equal(t, make([]byte, 2000), b[off:], "Split wrote")
			}
		})
	}
	// Without VirtioNeedsCsum the checksum offsets are not looked at.
	n, err := Segments(tcp4, with(h4, func(h *VirtioNetHdr) { h.Flags, h.CsumStart = 0, 99 }))
	assert.NoError(t, err)
	assert.Equal(t, 3, n)
	// A buffer too short for its segment: the segments before it stay.
	bufs, sizes := [][]byte{make([]byte, off+1040), make([]byte, off+1039)}, make([]int, 2)
	n, err = Split(tcp4, h4, 0, bufs, sizes, off)
	assert.ErrorIs(t, err, io.ErrShortBuffer)
	assert.Equal(t, 1, n)
	assert.Equal(t, 1040, sizes[0])
	assert.Equal(t, uint16(1040), binary.BigEndian.Uint16(bufs[0][off+2:]))
	n, err = Split(tcp4, h4, 0, [][]byte{make([]byte, 10)}, sizes, 11)
	assert.ErrorIs(t, err, io.ErrShortBuffer)
	assert.Zero(t, n)
}
