package teredo

import (
	"sync/atomic"
	"time"
)

// rsLimiter limits Router Solicitations per source IPv4 address with a
// fixed table of token buckets, so that its memory does not depend on the
// number of clients (a server is otherwise stateless, RFC 4380 §5.3).
// Sources are hashed with a seed into the table; sources that collide
// share a bucket, which under a flood from very many addresses makes
// legitimate clients share the flood's budget: the price of bounded memory.
//
// Each bucket is one int64 holding the theoretical arrival time of the
// generic cell rate algorithm (the token bucket written as a single time
// stamp): a solicitation at t is allowed if tat-t ≤ tolerance, where
// tat = max(bucket, t), and then the bucket becomes tat+interval. The
// tolerance (burst-1)×interval lets burst solicitations through at once,
// then one per interval. Buckets are updated with compare-and-swap, so the
// two sockets' goroutines can share the table without a lock.
type rsLimiter struct {
	tat       []atomic.Int64 // nanoseconds since the Unix epoch; 0: idle
	mask      uint64
	seed      uint64
	interval  int64 // nanoseconds; 0: no limit
	tolerance int64 // nanoseconds
}

func newRSLimiter(interval time.Duration, burst, buckets int, seed uint64) rsLimiter {
	if interval <= 0 {
		return rsLimiter{}
	}
	n := 1
	for n < buckets {
		n <<= 1
	}
	return rsLimiter{
		tat:       make([]atomic.Int64, n),
		mask:      uint64(n - 1),
		seed:      seed,
		interval:  int64(interval),
		tolerance: int64(burst-1) * int64(interval),
	}
}

// index returns the bucket of the IPv4 source src: the seeded source
// through the splitmix64 finalizer, masked.
func (l *rsLimiter) index(src uint32) uint64 {
	z := uint64(src) ^ l.seed
	z += 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return (z ^ z>>31) & l.mask
}

// allow reports whether a solicitation from src at now is within the
// limit, and charges its bucket if so.
func (l *rsLimiter) allow(src uint32, now time.Time) bool {
	if l.interval == 0 {
		return true
	}
	b := &l.tat[l.index(src)]
	t := now.UnixNano()
	for {
		old := b.Load()
		tat := max(old, t)
		if d := tat - t; d > l.tolerance+l.interval {
			// Refused solicitations do not advance the bucket, so it
			// never runs further ahead than this: the clock went back.
			tat = t
		} else if d > l.tolerance {
			return false
		}
		if b.CompareAndSwap(old, tat+l.interval) {
			return true
		}
	}
}
