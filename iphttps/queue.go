package iphttps

import "sync"

// queue is a client's bounded send queue: a byte ring holding packets back
// to back, exactly as they go on the wire, so the bytes between its read and
// write positions are always a valid IP-HTTPS packet stream and the writer
// sends them with one Write per contiguous run, without another copy. A
// packet is never split across the end of the ring: when it does not fit
// there, the ring wraps early and the unused tail is skipped (end marks
// it).
//
// Producers (the router, on the packet paths of other clients and of the
// native side) never wait: a packet that does not fit is refused, which
// is tail drop (iphttps.md report section 5.7), so one client that stops
// reading costs the others nothing. There is one consumer, the session's
// writer; it takes a run with peek, writes it without holding the lock and
// then releases it, so producers keep appending into the free space
// meanwhile.
//
//	not wrapped:  [ free | r ... data ... w | free ]
//	wrapped:      [ data ... w | free | r ... data ... end | skipped ]
type queue struct {
	mu      sync.Mutex
	buf     []byte
	r, w    int  // data starts at r; new data goes at w
	end     int  // wrapped: the data that starts at r ends here
	wrapped bool // data runs from r to end, then from 0 to w
	n       int  // bytes queued
	closed  bool

	// wake holds one token when the writer may have something to do: a
	// commit since its last peek, or close.
	wake chan struct{}
}

func newQueue(size int) *queue {
	return &queue{buf: make([]byte, size), wake: make(chan struct{}, 1)}
}

// alloc reserves n contiguous bytes at the tail and returns them with the
// queue locked; the caller fills them and calls commit. It returns nil,
// unlocked, if they do not fit (tail drop) or the queue is closed.
func (q *queue) alloc(n int) []byte {
	q.mu.Lock()
	if q.closed || n <= 0 {
		q.mu.Unlock()
		return nil
	}
	if !q.wrapped && q.r == q.w {
		q.r, q.w = 0, 0
	}
	var b []byte
	switch {
	case q.wrapped:
		if q.r-q.w >= n {
			b = q.buf[q.w : q.w+n : q.w+n]
			q.w += n
		}
	case len(q.buf)-q.w >= n:
		b = q.buf[q.w : q.w+n : q.w+n]
		q.w += n
	case q.r >= n: // wrap early: [w, len) stays unused
		q.end, q.wrapped = q.w, true
		b = q.buf[:n:n]
		q.w = n
	}
	if b == nil {
		q.mu.Unlock()
		return nil
	}
	q.n += n
	return b
}

// commit ends an alloc that succeeded: it unlocks the queue and wakes the
// writer.
func (q *queue) commit() {
	q.mu.Unlock()
	q.signal()
}

// push copies p into the queue and reports whether it fitted.
func (q *queue) push(p []byte) bool {
	if !q.pushQuiet(p) {
		return false
	}
	q.signal()
	return true
}

// pushQuiet is push without waking the writer: the caller calls signal
// once it has queued all it had (see Router.fromNativeBatch).
func (q *queue) pushQuiet(p []byte) bool {
	b := q.alloc(len(p))
	if b == nil {
		return false
	}
	copy(b, p)
	q.mu.Unlock()
	return true
}

func (q *queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// peek returns the next contiguous run of queued bytes, at most max long,
// or nil if the queue is empty. The run stays queued, and its bytes
// untouched by producers, until release. Only the writer calls it.
func (q *queue) peek(max int) []byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	stop := q.w
	if q.wrapped {
		stop = q.end
	}
	if stop-q.r > max {
		stop = q.r + max
	}
	return q.buf[q.r:stop:stop]
}

// release drops the first n bytes of the queue, which peek returned.
func (q *queue) release(n int) {
	q.mu.Lock()
	q.r += n
	q.n -= n
	switch {
	case q.wrapped && q.r == q.end:
		q.r, q.end, q.wrapped = 0, 0, false
	case !q.wrapped && q.r == q.w:
		q.r, q.w = 0, 0 // empty: start again at the front, where the most room is
	}
	q.mu.Unlock()
}

// len returns the number of bytes queued.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// close makes every later alloc fail and wakes the writer.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

// isClosed reports whether close was called.
func (q *queue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}
