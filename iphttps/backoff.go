package iphttps

import "time"

// Defaults of the reconnect timer, [MS-IPHTTPS] §3.1.2.1.
const (
	DefaultReconnectInitial = 30 * time.Second
	DefaultReconnectMax     = 15 * time.Minute
)

// Backoff is the client's reconnect timer ([MS-IPHTTPS] §3.1.2.1): "Upon
// the first failure, the reconnection timer is started for an initial
// timeout of 30 seconds. Each subsequent failure starts a reconnection
// timer with a timeout set to the time elapsed since the beginning of the
// algorithm, up to a maximum timeout of 15 minutes", and "A successful
// HTTPS connection resets the timer". When attempts fail at once the waits
// are 30, 30, 60, 120, 240, 480 s, then 900 s for ever: the delay doubles.
//
// The specification then lists the attempts as "30, 30 + T, 60 + 2T, 120 +
// 3T" seconds, T being the time an attempt takes to fail; that list does
// not quite follow from its own rule (which gives 30, 30 + T, 60 + 3T,
// 120 + 7T), so Backoff implements the rule. It also never waits less than
// Initial, should a failure be reported sooner than the previous wait.
//
// Backoff is pure: the time comes in as an argument. The zero Backoff uses
// the defaults and is ready to use.
type Backoff struct {
	Initial time.Duration // the first wait; 0 means DefaultReconnectInitial
	Max     time.Duration // the longest wait; 0 means DefaultReconnectMax

	start   time.Time // the first failure since the last success
	running bool
}

// Failure records a failed attempt (or the abnormal end of a connection)
// at now and returns how long to wait before the next attempt.
func (b *Backoff) Failure(now time.Time) time.Duration {
	initial, ceiling := b.Initial, b.Max
	if initial <= 0 {
		initial = DefaultReconnectInitial
	}
	if ceiling <= 0 {
		ceiling = DefaultReconnectMax
	}
	if !b.running {
		b.start, b.running = now, true
		return min(initial, ceiling)
	}
	return min(max(now.Sub(b.start), initial), ceiling)
}

// Success resets the timer: the next failure waits Initial again.
func (b *Backoff) Success() { b.running = false }

// Running reports whether a failure has been recorded since the last
// success.
func (b *Backoff) Running() bool { return b.running }
