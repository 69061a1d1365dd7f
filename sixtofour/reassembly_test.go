package sixtofour

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/packet"
)

func parse4(t testing.TB, b []byte) packet.IPv4 {
	t.Helper()
	ip, err := packet.ParseIPv4(b)
	require.NoError(t, err)
	return ip
}

func reassembler(t testing.TB, cfg ReassemblyConfig) *Reassembler {
	t.Helper()
	r, err := NewReassembler(cfg)
	require.NoError(t, err)
	return r
}

// datagram returns a protocol-41 packet of n bytes with the given ID.
func datagram(t testing.TB, id uint16, n int) []byte {
	t.Helper()
	return ip4{src: v4A, dst: v4B, id: id}.wrap(t, sized(t, site6A, site6B, n-20))
}

// frag cuts the fragment [off, end) out of the datagram b by hand.
func frag(t testing.TB, b []byte, off, end int, more bool) []byte {
	t.Helper()
	f := append(append([]byte(nil), b[:20]...), b[20+off:20+end]...)
	binary.BigEndian.PutUint16(f[2:], uint16(len(f)))
	fo := uint16(off / 8)
	if more {
		fo |= 0x2000
	}
	binary.BigEndian.PutUint16(f[6:], fo)
	fixChecksum(f)
	return f
}

func TestReassemblerOrders(t *testing.T) {
	dg := datagram(t, 77, 1300)
	frags := fragmentIPv4(t, dg, 500) // 480 + 480 + 320
	require.Len(t, frags, 3)
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 0, 2}, {2, 0, 1}} {
		r := reassembler(t, ReassemblyConfig{})
		for i, k := range order {
			got, done, err := r.Add(t0, parse4(t, frags[k]))
			require.NoError(t, err)
			if i < 2 {
				assert.False(t, done)
				assert.Nil(t, got)
				continue
			}
			require.True(t, done)
			assert.Equal(t, dg, got, "order %v", order)
		}
		assert.Zero(t, r.Pending())
		assert.Equal(t, uint64(1), r.Stats().Completed)
	}
}

// TestReassemblerOptions keeps the first fragment's header, options
// included, and rewrites length, flags and checksum.
func TestReassemblerOptions(t *testing.T) {
	payload := sized(t, site6A, site6B, 200)
	b := ip4{src: v4A, dst: v4B, id: 5}.wrap(t, payload)
	b = append(b[:20:20], append([]byte{0x94, 0x04, 0, 0}, b[20:]...)...) // Router Alert, just to have an option
	b[0] = 0x46
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	fixChecksum(b)
	frags := fragmentIPv4(t, b, 100)
	r := reassembler(t, ReassemblyConfig{})
	var got []byte
	for i := len(frags) - 1; i >= 0; i-- {
		var done bool
		var err error
		got, done, err = r.Add(t0, parse4(t, frags[i]))
		require.NoError(t, err)
		assert.Equal(t, i == 0, done)
	}
	ip := parse4(t, got)
	assert.Equal(t, []byte{0x94, 0x04, 0, 0}, ip.Options())
	assert.False(t, ip.IsFragment())
	assert.Equal(t, payload, ip.Payload())
	assert.Equal(t, b, got)
}

func TestReassemblerNotFragment(t *testing.T) {
	r := reassembler(t, ReassemblyConfig{})
	dg := datagram(t, 1, 100)
	got, done, err := r.Add(t0, parse4(t, dg))
	require.NoError(t, err)
	assert.True(t, done)
	assert.Equal(t, dg, got)
	assert.Zero(t, r.MemoryUsed(), "no buffer for whole packets")
}

func TestReassemblerRefusals(t *testing.T) {
	dg := datagram(t, 9, 1000) // payload 980 bytes
	tests := []struct {
		name  string
		frags [][]byte
		err   error // of the last fragment
	}{
		{"non-last not a multiple of 8", [][]byte{frag(t, dg, 0, 100, true)}, ErrReassemblyShortFragment},
		{"empty non-last", [][]byte{frag(t, dg, 8, 8, true)}, ErrReassemblyShortFragment},
		{"first fragment shorter than the IPv6 header", [][]byte{frag(t, dg, 0, 32, true)}, ErrReassemblyShortFragment},
		{"duplicate", [][]byte{frag(t, dg, 0, 480, true), frag(t, dg, 0, 480, true)}, ErrReassemblyOverlap},
		{"overlap by 8", [][]byte{frag(t, dg, 0, 480, true), frag(t, dg, 472, 980, false)}, ErrReassemblyOverlap},
		{"overlap inside", [][]byte{frag(t, dg, 400, 980, false), frag(t, dg, 0, 480, true)}, ErrReassemblyOverlap},
		{"two different ends", [][]byte{frag(t, dg, 480, 980, false), frag(t, dg, 480, 976, false)}, ErrReassemblyInconsistent},
		{"data after the end", [][]byte{frag(t, dg, 480, 960, false), frag(t, dg, 0, 968, true)}, ErrReassemblyInconsistent},
		{"end before received data", [][]byte{frag(t, dg, 0, 480, true), frag(t, dg, 400, 400+40, false)}, ErrReassemblyInconsistent},
		{"non-last reaching the end", [][]byte{frag(t, dg, 976, 976, false), frag(t, dg, 0, 976, true)}, ErrReassemblyInconsistent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := reassembler(t, ReassemblyConfig{})
			var err error
			for _, f := range tc.frags {
				_, _, err = r.Add(t0, parse4(t, f))
			}
			assert.ErrorIs(t, err, tc.err)
			// The whole datagram is gone: a clean set completes alone.
			for _, f := range fragmentIPv4(t, dg, 500) {
				_, _, err = r.Add(t0, parse4(t, f))
				require.NoError(t, err)
			}
			assert.Equal(t, uint64(1), r.Stats().Completed)
		})
	}

	// Protocol other than 41.
	r := reassembler(t, ReassemblyConfig{})
	udp := ip4{src: v4A, dst: v4B, proto: packet.ProtoUDP}.wrap(t, make([]byte, 100))
	_, _, err := r.Add(t0, parse4(t, frag(t, udp, 0, 48, true)))
	assert.ErrorIs(t, err, ErrNotProto41)

	// Datagram bigger than MaxDatagram.
	r = reassembler(t, ReassemblyConfig{MaxDatagram: 600})
	_, _, err = r.Add(t0, parse4(t, frag(t, dg, 0, 480, true)))
	require.NoError(t, err)
	_, _, err = r.Add(t0, parse4(t, frag(t, dg, 480, 980, false)))
	assert.ErrorIs(t, err, ErrReassemblyTooBig)
	assert.Zero(t, r.Pending(), "the datagram is discarded")

	// A 65528-byte offset with data: past 65535 bytes (the ping of death).
	r = reassembler(t, ReassemblyConfig{})
	pod := frag(t, dg, 0, 48, false)
	binary.BigEndian.PutUint16(pod[6:], 65528/8)
	fixChecksum(pod)
	_, _, err = r.Add(t0, parse4(t, pod))
	assert.ErrorIs(t, err, ErrReassemblyTooBig)
}

// TestReassemblerBounds checks the memory cap (slots, eviction of the
// oldest) and the timeout.
func TestReassemblerBounds(t *testing.T) {
	cfg := ReassemblyConfig{MaxDatagram: 1500, Timeout: 10 * time.Second}
	r := reassembler(t, cfg)
	slot := r.slotBytes
	cfg.MaxBytes = 3*slot + slot/2 // room for three datagrams
	r = reassembler(t, cfg)
	assert.Len(t, r.slots, 3)

	dgs := make([][]byte, 5)
	for i := range dgs {
		dgs[i] = datagram(t, uint16(100+i), 1000)
		_, done, err := r.Add(t0.Add(time.Duration(i)*time.Second), parse4(t, frag(t, dgs[i], 0, 480, true)))
		require.NoError(t, err)
		require.False(t, done)
		assert.LessOrEqual(t, r.MemoryUsed(), cfg.MaxBytes)
	}
	assert.Equal(t, 3, r.Pending())
	assert.Equal(t, uint64(2), r.Stats().Evicted, "the two oldest made room")
	assert.Equal(t, 3*slot, r.MemoryUsed())

	// Datagram 0 was evicted: its last fragment starts a new entry and does
	// not complete; datagram 4 completes.
	_, done, err := r.Add(t0.Add(5*time.Second), parse4(t, frag(t, dgs[4], 480, 980, false)))
	require.NoError(t, err)
	assert.True(t, done)
	_, done, err = r.Add(t0.Add(5*time.Second), parse4(t, frag(t, dgs[0], 480, 980, false)))
	require.NoError(t, err)
	assert.False(t, done)

	// Timeout: datagram 2 started at t0+2s; at t0+13s it is stale, so its
	// last fragment starts afresh instead of completing.
	_, done, err = r.Add(t0.Add(13*time.Second), parse4(t, frag(t, dgs[2], 480, 980, false)))
	require.NoError(t, err)
	assert.False(t, done)
	assert.Equal(t, uint64(1), r.Stats().Timeouts)
	// Expire clears what is left: datagrams 3, 0 and 2's new entry.
	assert.Equal(t, 3, r.Expire(t0.Add(time.Hour)))
	assert.Zero(t, r.Pending())
	assert.LessOrEqual(t, r.MemoryUsed(), cfg.MaxBytes)
	assert.Equal(t, ReassemblyConfig{MaxBytes: cfg.MaxBytes, MaxDatagram: 1500, Timeout: 10 * time.Second}, r.Config())
}

// TestReassemblerNoAllocSteady checks that a reassembler that has used its
// slots does not allocate for more datagrams.
func TestReassemblerNoAllocSteady(t *testing.T) {
	r := reassembler(t, ReassemblyConfig{MaxDatagram: 1500, MaxBytes: 4 * 1600})
	frags := fragmentIPv4(t, datagram(t, 3, 1300), 576)
	ips := make([]packet.IPv4, len(frags))
	for i, f := range frags {
		ips[i] = parse4(t, f)
	}
	run := func() {
		for _, ip := range ips {
			if _, _, err := r.Add(t0, ip); err != nil {
				t.Fatal(err)
			}
		}
	}
	run()
	assert.Zero(t, testing.AllocsPerRun(100, run))
}

func TestReassemblerKeys(t *testing.T) {
	// Same ID, different source: two datagrams.
	a := datagram(t, 1, 1000)
	b := ip4{src: v4Other, dst: v4B, id: 1}.wrap(t, sized(t, netip.MustParseAddr("2002:cb00:7109::1"), site6B, 980))
	r := reassembler(t, ReassemblyConfig{})
	for _, f := range [][]byte{frag(t, a, 0, 480, true), frag(t, b, 0, 480, true), frag(t, b, 480, 980, false)} {
		got, done, err := r.Add(t0, parse4(t, f))
		require.NoError(t, err)
		if done {
			assert.Equal(t, b, got)
		}
	}
	assert.Equal(t, 1, r.Pending())
}
