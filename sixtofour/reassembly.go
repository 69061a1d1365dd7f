package sixtofour

// Reassembly of fragmented outer IPv4 packets (RFC 791 §3.2). A tunnel
// whose IPv4 path MTU is below 1300 sends 1280-byte IPv6 packets with DF
// clear (RFC 4213 §3.2, Linux's rule, see TunnelMTU), so routers on the path
// fragment them and the decapsulator must put them back together. Linux
// does this in the IPv4 layer before any raw socket sees the packet; a
// user-space decapsulator fed by another path (a packet socket, a capture)
// needs its own, and it must be bounded: reassembly buffers are the classic
// memory-exhaustion target.

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/transit6/transit6/packet"
)

// Defaults of ReassemblyConfig.
const (
	// DefaultReassemblyMaxBytes is the default memory cap: 1 MiB.
	DefaultReassemblyMaxBytes = 1 << 20

	// DefaultReassemblyMaxDatagram is the default largest datagram, the
	// largest IPv4 packet.
	DefaultReassemblyMaxDatagram = packet.IPv4MaxLen

	// DefaultReassemblyTimeout is the default lifetime of an unfinished
	// datagram, Linux's ipfrag_time (RFC 791 suggests 15 s as a lower
	// bound for the timer).
	DefaultReassemblyTimeout = 30 * time.Second
)

// hdrRoom is the space kept in front of each reassembly buffer's payload
// for the first fragment's header, options included.
const hdrRoom = packet.IPv4MaxHeaderLen

// ReassemblyConfig bounds a Reassembler. Zero fields take the defaults.
type ReassemblyConfig struct {
	// MaxBytes caps the memory the reassembler ever holds, buffers and
	// bookkeeping included. It is divided into slots of one maximum
	// datagram each; their number bounds the datagrams under reassembly.
	MaxBytes int

	// MaxDatagram is the largest datagram accepted, header included,
	// from 60 (an IPv4 and an IPv6 header) to 65535.
	MaxDatagram int

	// Timeout is how long an unfinished datagram is kept after its first
	// fragment arrived.
	Timeout time.Duration
}

// reasmSlot holds one datagram under reassembly.
type reasmSlot struct {
	used     bool
	src, dst uint32
	id       uint16
	created  time.Time
	hlen     int // header length of the first fragment, 0 until it arrives
	end      int // payload length, known from the last fragment; -1 before
	maxEnd   int // furthest payload byte received
	got      int // payload bytes received
	buf      []byte
	bits     []uint64 // received 8-byte blocks of payload
}

// Reassembler reassembles fragmented protocol-41 IPv4 packets within fixed
// bounds: at most MaxBytes of memory, datagrams of at most MaxDatagram
// bytes, each kept at most Timeout. Fragments that overlap, that disagree
// on the datagram's end or that are too short to be legitimate discard
// their datagram. When every slot is in use, the oldest datagram is
// evicted to make room.
//
// Buffers are allocated the first time a slot is used and reused after
// that, so a steady stream of fragments does not allocate. A Reassembler
// is not safe for concurrent use. Time is passed in; it never reads the
// clock.
type Reassembler struct {
	cfg        ReassemblyConfig
	maxPayload int
	slotBytes  int
	slots      []reasmSlot
	allocated  int // slots with buffers

	completed, timeouts, evicted uint64
}

// NewReassembler returns a Reassembler bounded by cfg, with defaults for
// its zero fields. It allocates the slot table but no buffers. It returns
// an error wrapping [ErrInvalidConfig] if MaxDatagram is outside 60..65535,
// Timeout is negative, or MaxBytes cannot hold one datagram.
func NewReassembler(cfg ReassemblyConfig) (*Reassembler, error) {
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultReassemblyMaxBytes
	}
	if cfg.MaxDatagram == 0 {
		cfg.MaxDatagram = DefaultReassemblyMaxDatagram
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultReassemblyTimeout
	}
	if cfg.MaxDatagram < packet.IPv4HeaderLen+packet.IPv6HeaderLen || cfg.MaxDatagram > packet.IPv4MaxLen {
		return nil, fmt.Errorf("%w: reassembly MaxDatagram %d outside 60..65535", ErrInvalidConfig, cfg.MaxDatagram)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: negative reassembly timeout", ErrInvalidConfig)
	}
	r := &Reassembler{cfg: cfg, maxPayload: cfg.MaxDatagram - packet.IPv4HeaderLen}
	blocks := (r.maxPayload + 7) / 8
	r.slotBytes = hdrRoom + r.maxPayload + 8*((blocks+63)/64)
	n := cfg.MaxBytes / r.slotBytes
	if n < 1 {
		return nil, fmt.Errorf("%w: reassembly MaxBytes %d below one datagram slot (%d bytes)",
			ErrInvalidConfig, cfg.MaxBytes, r.slotBytes)
	}
	r.slots = make([]reasmSlot, n)
	return r, nil
}

// Config returns the bounds in force, defaults filled in.
func (r *Reassembler) Config() ReassemblyConfig { return r.cfg }

// MemoryUsed returns the bytes of buffers and bookkeeping allocated so far.
// It never exceeds Config().MaxBytes.
func (r *Reassembler) MemoryUsed() int { return r.allocated * r.slotBytes }

// Pending returns the number of datagrams under reassembly.
func (r *Reassembler) Pending() int {
	n := 0
	for i := range r.slots {
		if r.slots[i].used {
			n++
		}
	}
	return n
}

// ReassemblyStats counts what a Reassembler did with datagrams.
type ReassemblyStats struct {
	Completed uint64 // datagrams reassembled and returned
	Timeouts  uint64 // discarded for [ErrReassemblyTimeout]
	Evicted   uint64 // discarded for [ErrReassemblyMemory]
}

// Stats returns the running totals.
func (r *Reassembler) Stats() ReassemblyStats {
	return ReassemblyStats{Completed: r.completed, Timeouts: r.timeouts, Evicted: r.evicted}
}

// expired reports whether s, a used slot, is older than the timeout.
func (r *Reassembler) expired(s *reasmSlot, now time.Time) bool {
	return now.Sub(s.created) > r.cfg.Timeout
}

// Expire discards the datagrams older than the timeout and returns how many
// it discarded. Add expires lazily too; call Expire to release slots when
// traffic stops. It does not allocate.
func (r *Reassembler) Expire(now time.Time) int {
	n := 0
	for i := range r.slots {
		if s := &r.slots[i]; s.used && r.expired(s, now) {
			s.used = false
			n++
		}
	}
	r.timeouts += uint64(n)
	return n
}

// Add offers one IPv4 packet, parsed by packet.ParseIPv4, to the
// reassembler. A packet that is not a fragment is returned as is
// (datagram = frag.Bytes(), done). For a fragment Add returns done = false
// while the datagram is incomplete, and the reassembled datagram when frag
// completes it: a valid IPv4 packet with the first fragment's header
// (options included), MF and offset cleared, Total Length and checksum
// rewritten.
//
// The returned datagram aliases the reassembler's buffer and is valid only
// until the next call to Add or Expire. frag is copied; it is not retained.
//
// Add returns [ErrNotProto41] for a fragment of another protocol,
// [ErrReassemblyShortFragment], [ErrReassemblyOverlap],
// [ErrReassemblyInconsistent] and [ErrReassemblyTooBig]; the last three
// discard the datagram the fragment belongs to. A datagram found older than
// the timeout is discarded and counted before the fragment starts a new
// one. When every slot is taken the oldest datagram is evicted and counted
// as [ErrReassemblyMemory]. It does not allocate once every slot has been
// used.
func (r *Reassembler) Add(now time.Time, frag packet.IPv4) (datagram []byte, done bool, err error) {
	if !frag.IsFragment() {
		return frag.Bytes(), frag.IsValid(), nil
	}
	if frag.Protocol() != packet.ProtoIPv6 {
		return nil, false, ErrNotProto41
	}
	h := frag.Header()
	src := binary.BigEndian.Uint32(h[12:16])
	dst := binary.BigEndian.Uint32(h[16:20])
	id := frag.ID()
	data := frag.Payload()
	off := frag.FragmentOffset()
	more := frag.MoreFragments()
	end := off + len(data)

	if more && (len(data) == 0 || len(data)%8 != 0) {
		return nil, false, ErrReassemblyShortFragment
	}
	if off == 0 && len(data) < packet.IPv6HeaderLen {
		return nil, false, ErrReassemblyShortFragment
	}

	s := r.find(src, dst, id, now)
	if end > r.maxPayload {
		if s != nil {
			s.used = false
		}
		return nil, false, ErrReassemblyTooBig
	}
	if s == nil {
		s = r.take(now)
		*s = reasmSlot{used: true, src: src, dst: dst, id: id, created: now, end: -1, buf: s.buf, bits: s.bits}
		clear(s.bits)
	}

	// Consistency of the end (RFC 791: the last fragment has MF clear).
	switch {
	case !more && s.end >= 0 && s.end != end,
		!more && s.maxEnd > end,
		more && s.end >= 0 && end >= s.end:
		s.used = false
		return nil, false, ErrReassemblyInconsistent
	}
	if !markBlocks(s.bits, off, end) {
		s.used = false
		return nil, false, ErrReassemblyOverlap
	}
	copy(s.buf[hdrRoom+off:], data)
	s.got += len(data)
	s.maxEnd = max(s.maxEnd, end)
	if !more {
		s.end = end
	}
	if off == 0 {
		s.hlen = len(h)
		copy(s.buf[hdrRoom-len(h):hdrRoom], h)
	}
	if s.hlen == 0 || s.end < 0 || s.got != s.end {
		return nil, false, nil
	}

	// Complete: every block from 0 to end is marked exactly once.
	s.used = false
	total := s.hlen + s.end
	if total > r.cfg.MaxDatagram {
		return nil, false, ErrReassemblyTooBig
	}
	out := s.buf[hdrRoom-s.hlen : hdrRoom+s.end]
	binary.BigEndian.PutUint16(out[2:4], uint16(total))
	binary.BigEndian.PutUint16(out[6:8], 0) // flags and offset
	binary.BigEndian.PutUint16(out[10:12], 0)
	binary.BigEndian.PutUint16(out[10:12], ^packet.Checksum(out[:s.hlen], 0))
	r.completed++
	return out, true, nil
}

// find returns the used slot of the datagram (src, dst, id), discarding it
// instead if it has timed out.
func (r *Reassembler) find(src, dst uint32, id uint16, now time.Time) *reasmSlot {
	for i := range r.slots {
		s := &r.slots[i]
		if s.used && s.id == id && s.src == src && s.dst == dst {
			if r.expired(s, now) {
				s.used = false
				r.timeouts++
				return nil
			}
			return s
		}
	}
	return nil
}

// take returns a free slot with buffers, expiring or evicting to get one.
func (r *Reassembler) take(now time.Time) *reasmSlot {
	var free, oldest *reasmSlot
	for i := range r.slots {
		s := &r.slots[i]
		if s.used && r.expired(s, now) {
			s.used = false
			r.timeouts++
		}
		if !s.used {
			// Prefer a slot that already has buffers.
			if free == nil || (free.buf == nil && s.buf != nil) {
				free = s
			}
			continue
		}
		if oldest == nil || s.created.Before(oldest.created) {
			oldest = s
		}
	}
	if free == nil {
		free = oldest
		free.used = false
		r.evicted++
	}
	if free.buf == nil {
		free.buf = make([]byte, hdrRoom+r.maxPayload)
		free.bits = make([]uint64, ((r.maxPayload+7)/8+63)/64)
		r.allocated++
	}
	return free
}

// markBlocks marks the 8-byte blocks covering payload bytes [off, end) in
// bits and reports whether none of them was marked before. It marks
// nothing when it reports false.
func markBlocks(bits []uint64, off, end int) bool {
	first, last := off/8, (end+7)/8 // blocks [first, last)
	if last > 64*len(bits) {
		return false
	}
	for pass := 0; pass < 2; pass++ {
		for b := first; b < last; {
			w := b / 64
			lo := b % 64
			hi := min(64, lo+(last-b))
			var m uint64
			if hi-lo == 64 {
				m = ^uint64(0)
			} else {
				m = (uint64(1)<<(hi-lo) - 1) << lo
			}
			if pass == 0 && bits[w]&m != 0 {
				return false
			}
			if pass == 1 {
				bits[w] |= m
			}
			b += hi - lo
		}
	}
	return true
}
