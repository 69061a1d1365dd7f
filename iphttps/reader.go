package iphttps

import (
	"errors"
	"io"

	"github.com/transit6/transit6/packet"
)

// Framing, [MS-IPHTTPS] §3.1.5.3 (client) and §3.2.5.2 (server): each side
// sends back-to-back IPv6 packets in its entity body, with no prefix,
// padding or chunking, and the receiver "MUST delimit the IPv6 packet
// boundaries using the Payload Length field":
//
//	+--------------------+---------------------+--------------------+----
//	| IPv6 header (40)   | Payload Length bytes | IPv6 header (40)   | ...
//	| version 6, PL=n    |                     | version 6, PL=m    |
//	+--------------------+---------------------+--------------------+----

const (
	// MaxPacketLen is the longest packet the framing can carry: the IPv6
	// header and a Payload Length of 65535 (RFC 8200 §3).
	MaxPacketLen = packet.IPv6HeaderLen + packet.IPv6MaxPayloadLen

	// MinReadBufferSize is the smallest buffer NewReader accepts: one
	// packet of MaxPacketLen must fit, since the framing allows it.
	MinReadBufferSize = MaxPacketLen

	// DefaultReadBufferSize is the buffer NewReader allocates when given
	// none: two maximal packets, so that a read can always fetch more than
	// one TLS record's worth (16 KiB) after a partial packet.
	DefaultReadBufferSize = 2 * MaxPacketLen
)

// Reader splits an IP-HTTPS entity body into IPv6 packets. It reads from
// the underlying reader into one buffer, as much as the buffer holds, and
// returns the packets from it without copying (Next) or copies them into the
// caller's buffers (ReadBatch); the bytes of a packet that a read cut short
// are moved to the front of the buffer before the next read. It does not
// allocate per packet.
//
// The stream is trusted for nothing: data that does not start with version
// 6 gives [ErrNotIPv6] and a jumbogram header gives [ErrJumbogram]. These
// errors, the end of the stream (io.EOF between packets,
// io.ErrUnexpectedEOF inside one) and read errors are sticky: the packet
// boundaries are lost, so the session must end. Packets that were complete
// before the error are returned first.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	rd   io.Reader
	buf  []byte
	r, w int   // unread bytes are buf[r:w]
	rerr error // error of the last read, not yet reported
	err  error // sticky error, reported by Next and ReadBatch

	// noWait, if set, switches the underlying reader to and from reads
	// that do not wait (see noWaitConn): drain uses it.
	noWait func(on bool)
}

// minDrain is the least free space at the end of the buffer for which
// drain reads: a TLS record's worth, so a drain is not wasted on a sliver.
const minDrain = 16 << 10

// NewReader returns a Reader of the packet stream in rd. The stream's first
// bytes are buffered, the bytes ReadRequestHead or ReadResponseHead returned
// after the head; they are copied into buf first, and may lie anywhere in
// buf, overlapping included (a head read into buf is then overwritten).
//
// buf is the Reader's only buffer, owned by the Reader until it is dropped
// or Reset; nil means a new one of DefaultReadBufferSize. It returns
// io.ErrShortBuffer if buf is shorter than MinReadBufferSize or than
// buffered.
func NewReader(rd io.Reader, buf, buffered []byte) (*Reader, error) {
	r := new(Reader)
	if err := r.Reset(rd, buf, buffered); err != nil {
		return nil, err
	}
	return r, nil
}

// Reset makes r read a new stream from rd with buf and buffered as for
// NewReader, dropping its state and its previous buffer. On error r is
// unchanged. It does not allocate unless buf is nil.
func (r *Reader) Reset(rd io.Reader, buf, buffered []byte) error {
	if buf == nil {
		buf = make([]byte, max(DefaultReadBufferSize, len(buffered)))
	}
	if len(buf) < MinReadBufferSize || len(buf) < len(buffered) {
		return io.ErrShortBuffer
	}
	*r = Reader{rd: rd, buf: buf, w: copy(buf, buffered), noWait: r.noWait}
	return nil
}

// Buffered returns the number of bytes read from the underlying reader and
// not yet returned as packets.
func (r *Reader) Buffered() int { return r.w - r.r }

// Err returns the sticky error, or nil while the stream is usable.
func (r *Reader) Err() error { return r.err }

// Next returns the next packet: the IPv6 header and Payload Length bytes.
// It reads from the underlying reader only when no whole packet is
// buffered. The returned slice aliases the Reader's buffer and is valid
// until the next call of Next, ReadBatch or Reset; its capacity is its
// length. The packet's length agrees with its header; nothing else in it is
// checked (see packet.ParseIPv6).
//
// At the end of the stream it returns io.EOF, or io.ErrUnexpectedEOF if the
// stream ends inside a packet; see Reader for the other errors. It does not
// allocate.
func (r *Reader) Next() ([]byte, error) {
	for r.err == nil {
		n, err := r.peek()
		if err != nil {
			r.err = err
			break
		}
		if n > 0 {
			p := r.buf[r.r : r.r+n : r.r+n]
			r.r += n
			return p, nil
		}
		r.fill()
	}
	return nil, r.err
}

// nextBuffered returns the next packet if it is wholly buffered, or nil,
// without reading from the underlying reader. Since it never moves the
// buffer, the packets it returns after a Next stay valid together until
// the next call of Next, ReadBatch or Reset; that is what lets the server
// hand a whole read's packets to a Device in one Write. A framing error
// becomes the sticky error, which the next Next reports. It does not
// allocate.
func (r *Reader) nextBuffered() []byte {
	if r.err != nil {
		return nil
	}
	n, err := r.peek()
	for err == nil && n == 0 && r.drain() {
		n, err = r.peek()
	}
	if err != nil {
		r.err = err
		return nil
	}
	if n == 0 {
		return nil
	}
	p := r.buf[r.r : r.r+n : r.r+n]
	r.r += n
	return p
}

// ReadBatch copies packets into bufs[i][offset:] and sets sizes[i] to their
// lengths, so that they arrive with offset bytes of headroom (for a TUN
// device's virtio header, say). It returns the number of packets copied,
// at most min(len(bufs), len(sizes)): it waits for the first packet as Next
// does, then takes only those already buffered. If the next packet does not
// fit in bufs[i][offset:], the batch ends before it, or with
// io.ErrShortBuffer if it is the first; the packet stays buffered. Errors
// are those of Next, reported once no packet is copied. It does not
// allocate.
func (r *Reader) ReadBatch(bufs [][]byte, sizes []int, offset int) (int, error) {
	count := min(len(bufs), len(sizes))
	i := 0
	for i < count && r.err == nil {
		n, err := r.peek()
		if err != nil {
			r.err = err
			break
		}
		if n == 0 {
			if i > 0 {
				if r.drain() {
					continue
				}
				break
			}
			r.fill()
			continue
		}
		if offset < 0 || offset > len(bufs[i]) || len(bufs[i])-offset < n {
			if i == 0 {
				return 0, io.ErrShortBuffer
			}
			break
		}
		sizes[i] = copy(bufs[i][offset:], r.buf[r.r:r.r+n])
		r.r += n
		i++
	}
	if i > 0 || count == 0 {
		return i, nil
	}
	return 0, r.err
}

// peek returns the length of the packet at the front of the buffer if it is
// all there, 0 if more bytes are needed, or a framing error.
func (r *Reader) peek() (int, error) {
	b := r.buf[r.r:r.w]
	if len(b) == 0 {
		return 0, nil
	}
	if b[0]>>4 != 6 { // refuse at once, without waiting for a header
		return 0, ErrNotIPv6
	}
	if len(b) <= 6 {
		return 0, nil
	}
	n, err := packet.IPv6PacketLen(b)
	if err != nil {
		return 0, ErrNotIPv6
	}
	if n == packet.IPv6HeaderLen && b[6] == packet.ProtoHopByHop {
		return 0, ErrJumbogram
	}
	if n > len(b) {
		return 0, nil
	}
	return n, nil
}

// drain reads what has already arrived, without waiting, into the free
// end of the buffer (at least minDrain bytes; it never moves the buffer,
// so packets returned since the last Next stay valid), if the Reader has
// a noWait hook. It reports whether it read anything. A read that would
// block is not an error; any other error is kept for after the buffered
// packets, as fill keeps it.
func (r *Reader) drain() bool {
	if r.noWait == nil || r.err != nil || r.rerr != nil || len(r.buf)-r.w < minDrain {
		return false
	}
	r.noWait(true)
	m, err := r.rd.Read(r.buf[r.w:])
	r.noWait(false)
	if m < 0 || m > len(r.buf)-r.w {
		r.err = errInvalidCount
		return false
	}
	r.w += m
	if err != nil && !errors.Is(err, errWouldBlock) {
		r.rerr = err
	}
	return m > 0
}

// fill reads once more from the underlying reader, after moving the
// unread bytes (less than one packet) to the front of the buffer, or turns
// a pending read error into the sticky error.
func (r *Reader) fill() {
	if r.rerr != nil {
		r.err = r.rerr
		if r.err == io.EOF && r.w > r.r {
			r.err = io.ErrUnexpectedEOF
		}
		return
	}
	if r.r > 0 {
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
	}
	for range maxEmptyReads {
		m, err := r.rd.Read(r.buf[r.w:])
		if m < 0 || m > len(r.buf)-r.w {
			r.err = errInvalidCount
			return
		}
		r.w += m
		if err != nil {
			r.rerr = err
			return
		}
		if m > 0 {
			return
		}
	}
	r.rerr = io.ErrNoProgress
}
