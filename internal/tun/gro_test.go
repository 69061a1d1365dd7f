package tun

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// atOffset copies pkts into fresh buffers at offset off, as Write takes
// them.
func atOffset(pkts [][]byte) [][]byte {
	bufs := make([][]byte, len(pkts))
	for i, p := range pkts {
		bufs[i] = append(make([]byte, off), p...)
	}
	return bufs
}

// joined returns the super-packet Coalesce describes: the first packet
// and the payloads of the next n-1.
func joined(bufs [][]byte, n int, h VirtioNetHdr) []byte {
	out := append([]byte(nil), bufs[0][off:]...)
	for _, b := range bufs[1:n] {
		out = append(out, b[off+int(h.HdrLen):]...)
	}
	return out
}

// TestCoalesce joins the segments gopacket builds for a payload and
// compares the result with the super-packet gopacket builds for the whole
// payload, as the kernel would take it (lengths of the whole, PSH of the
// last segment, the pseudo-header sum in the checksum field); Split gives
// the segments back.
func TestCoalesce(t *testing.T) {
	withTS := func(f flow) flow { f.ts = true; return f }
	withPSH := func(f flow) flow { f.flags |= tcpPSH; return f }
	withECE := func(f flow) flow { f.flags |= tcpECE; return f }
	for _, c := range []struct {
		name string
		f    flow
		size int
		mss  int
	}{
		{"TCPv4 2 segments", tcp4Flow(), 2 * 1460, 1460},
		{"TCPv4 short last, PSH", withPSH(tcp4Flow()), 20*1448 + 17, 1448},
		{"TCPv4 timestamps, ECE", withECE(withTS(tcp4Flow())), 30 * 1388, 1388},
		{"TCPv6 44 segments", withTS(tcp6Flow()), 44 * 1408, 1408},
		{"TCPv6 PSH", withPSH(tcp6Flow()), 5 * 1220, 1220},
		{"UDPv4", udp4Flow(), 10*1232 - 99, 1232},
		{"UDPv6", udp6Flow(), 45 * 1400, 1400},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := payload(c.size)
			segs := c.f.segments(t, data, c.mss)
			bufs := atOffset(segs)
			n, h := Coalesce(bufs, off, true)
			require.Equal(t, len(segs), n)
			want, wantH := c.f.super(t, data, c.mss)
			wantH.HdrLen = uint16(c.f.hdrLen())
			assert.Equal(t, wantH, h)
			got := joined(bufs, n, h)
			assert.Equal(t, hex.EncodeToString(want), hex.EncodeToString(got))
			for i := 1; i < n; i++ {
				assert.Equal(t, segs[i], bufs[i][off:], "packet %d modified", i)
			}
			assert.Equal(t, make([]byte, off), bufs[0][:off], "headroom written")
			// And back.
			back := splitAll(t, got, h, c.f.hdrLen()+c.mss)
			assert.Equal(t, segs, back)
		})
	}
}

// TestCoalesceStops checks where a run ends, and that a packet Coalesce
// does not take is not modified.
func TestCoalesceStops(t *testing.T) {
	const mss, count = 1000, 4
	data := payload(count * mss)
	type edit func(t *testing.T, f flow, segs [][]byte) [][]byte
	// seg replaces segment i by the packet of flow g with the given
	// sequence offset, flags and payload length.
	seg := func(i int, g func(flow) flow, seqOff int, flags uint8, size int) edit {
		return func(t *testing.T, f flow, segs [][]byte) [][]byte {
			segs[i] = g(f).build(t, payload(size), uint32(seqOff), uint16(i), flags)
			return segs
		}
	}
	same := func(f flow) flow { return f }
	flip := func(i, at int) edit { // a bit error: the checksum no longer verifies
		return func(t *testing.T, f flow, segs [][]byte) [][]byte {
			segs[i][len(segs[i])-at] ^= 0x10
			return segs
		}
	}
	for _, c := range []struct {
		name string
		f    flow
		udp  bool
		edit edit
		want int
	}{
		{"whole run", tcp4Flow(), false, nil, count},
		{"first with PSH", tcp4Flow(), false, seg(0, same, 0, tcpACK|tcpPSH, mss), 1},
		{"first with FIN", tcp4Flow(), false, seg(0, same, 0, tcpACK|tcpFIN, mss), 1},
		{"first with SYN", tcp4Flow(), false, seg(0, same, 0, tcpACK|tcpSYN, mss), 1},
		{"first with CWR", tcp4Flow(), false, seg(0, same, 0, tcpACK|tcpCWR, mss), 1},
		{"first with URG", tcp4Flow(), false, seg(0, same, 0, tcpACK|tcpURG, mss), 1},
		{"first without ACK", tcp4Flow(), false, seg(0, same, 0, tcpPSH, mss), 1},
		{"first without payload", tcp4Flow(), false, seg(0, same, 0, tcpACK, 0), 1},
		{"first with a bad checksum", tcp4Flow(), false, flip(0, 1), 1},
		{"first with a bad IPv4 header checksum", tcp4Flow(), false, flip(0, 1000+20+20-11), 1},
		{"first an IPv4 fragment", tcp4Flow(), false, func(t *testing.T, f flow, segs [][]byte) [][]byte {
			segs[0][6] |= 0x20
			return segs
		}, 1},
		{"first longer than its Total Length", tcp4Flow(), false, func(t *testing.T, f flow, segs [][]byte) [][]byte {
			segs[0] = append(segs[0], 0)
			return segs
		}, 1},
		{"second with a bad checksum", tcp6Flow(), false, flip(1, 7), 1},
		{"third with a bad checksum", tcp6Flow(), false, flip(2, 7), 2},
		{"third with a sequence gap", tcp4Flow(), false, seg(2, same, 2*mss+1, tcpACK, mss), 2},
		{"third retransmits", tcp4Flow(), false, seg(2, same, mss, tcpACK, mss), 2},
		{"third to another port", tcp4Flow(), false, seg(2, func(f flow) flow { f.dport++; return f }, 2*mss, tcpACK, mss), 2},
		{"third acknowledges more", tcp4Flow(), false, seg(2, func(f flow) flow { f.ack++; return f }, 2*mss, tcpACK, mss), 2},
		{"third with another window", tcp4Flow(), false, seg(2, func(f flow) flow { f.win++; return f }, 2*mss, tcpACK, mss), 2},
		{"third with other options", tcp4Flow(), false, seg(2, func(f flow) flow { f.ts = true; return f }, 2*mss, tcpACK, mss), 2},
		{"third with another TTL", tcp4Flow(), false, seg(2, func(f flow) flow { f.hop = 63; return f }, 2*mss, tcpACK, mss), 2},
		{"third with another TOS", tcp4Flow(), false, seg(2, func(f flow) flow { f.tos = 2; return f }, 2*mss, tcpACK, mss), 2},
		{"third without DF", tcp4Flow(), false, seg(2, func(f flow) flow { f.dfOff = true; return f }, 2*mss, tcpACK, mss), 2},
		{"third from another address", tcp4Flow(), false, seg(2, func(f flow) flow { f.src = dst4; return f }, 2*mss, tcpACK, mss), 2},
		{"third with another flow label", tcp6Flow(), false, seg(2, func(f flow) flow { f.label++; return f }, 2*mss, tcpACK, mss), 2},
		{"third with another hop limit", tcp6Flow(), false, seg(2, func(f flow) flow { f.hop = 1; return f }, 2*mss, tcpACK, mss), 2},
		{"third with FIN", tcp4Flow(), false, seg(2, same, 2*mss, tcpACK|tcpFIN, mss), 2},
		{"third with ECE", tcp4Flow(), false, seg(2, same, 2*mss, tcpACK|tcpECE, mss), 2},
		{"third with PSH ends the run", tcp4Flow(), false, seg(2, same, 2*mss, tcpACK|tcpPSH, mss), 3},
		{"second short ends the run", tcp6Flow(), false, seg(1, same, mss, tcpACK, mss-1), 2},
		{"third longer", tcp4Flow(), false, seg(2, same, 2*mss, tcpACK, mss+1), 2},
		{"third without payload", tcp4Flow(), false, seg(2, same, 2*mss, tcpACK, 0), 2},
		{"IPv4 Identification not checked", tcp4Flow(), false, func(t *testing.T, f flow, segs [][]byte) [][]byte {
			segs[2] = f.build(t, payload(mss), 2*mss, 999, tcpACK)
			return segs
		}, count},
		{"UDP whole run", udp4Flow(), true, nil, count},
		{"UDP not asked for", udp4Flow(), false, nil, 1},
		{"UDP second short ends the run", udp6Flow(), true, seg(1, same, 0, 0, 1), 2},
		{"UDP third to another port", udp6Flow(), true, seg(2, func(f flow) flow { f.sport++; return f }, 0, 0, mss), 2},
		{"UDP third with a bad checksum", udp4Flow(), true, flip(2, 1), 2},
		{"UDP first without checksum", udp4Flow(), true, func(t *testing.T, f flow, segs [][]byte) [][]byte {
			segs[0][26], segs[0][27] = 0, 0
			return segs
		}, 1},
		{"UDP third without checksum", udp4Flow(), true, func(t *testing.T, f flow, segs [][]byte) [][]byte {
			segs[2][26], segs[2][27] = 0, 0
			return segs
		}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			segs := c.f.segments(t, data, mss)
			if c.edit != nil {
				segs = c.edit(t, c.f, segs)
			}
			bufs := atOffset(segs)
			n, h := Coalesce(bufs, off, c.udp)
			assert.Equal(t, c.want, n)
			if n == 1 {
				assert.Equal(t, VirtioNetHdr{}, h)
			}
			for i := range segs {
				if i == 0 && n > 1 {
					continue
				}
				assert.Equal(t, segs[i], bufs[i][off:], "packet %d modified", i)
			}
		})
	}
}

// TestCoalesceLimits checks the 65535-byte and MaxCoalesce bounds and the
// degenerate arguments.
func TestCoalesceLimits(t *testing.T) {
	f := tcp4Flow()
	// 1000-byte payloads after 40 bytes of headers: 65 fit in 65535.
	bufs := atOffset(f.segments(t, payload(80*1000), 1000))
	n, h := Coalesce(bufs, off, false)
	assert.Equal(t, 65, n)
	assert.LessOrEqual(t, len(joined(bufs, n, h)), 65535)

	bufs = atOffset(f.segments(t, payload(MaxCoalesce+50), 1))
	n, _ = Coalesce(bufs, off, false)
	assert.Equal(t, MaxCoalesce, n)

	n, _ = Coalesce(nil, off, false)
	assert.Zero(t, n)
	n, _ = Coalesce(bufs[:1], off, false)
	assert.Equal(t, 1, n)
	n, _ = Coalesce(bufs, len(bufs[0])+1, false)
	assert.Equal(t, 1, n)
	n, _ = Coalesce(bufs, -1, false)
	assert.Equal(t, 1, n)
	// A later buffer shorter than the offset ends the run.
	bufs = atOffset(f.segments(t, payload(3000), 1000))
	bufs[2] = bufs[2][:off-1]
	n, _ = Coalesce(bufs, off, false)
	assert.Equal(t, 2, n)
}
