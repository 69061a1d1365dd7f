package iphttps

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The reconnect timer of [MS-IPHTTPS] §3.1.2.1 with a fake clock: first
// failure 30 s, then "the time elapsed since the beginning of the
// algorithm", at most 15 minutes, reset by a success. Expected waits are
// worked out by hand from that rule.
func TestBackoffSchedule(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fail  time.Duration // T, how long an attempt takes to fail
		waits []time.Duration
	}{
		{
			// Attempts fail at once: failures at 0, 30, 60, 120, ...: the
			// wait doubles up to 900 s.
			name:  "instant failures",
			fail:  0,
			waits: secs(30, 30, 60, 120, 240, 480, 900, 900, 900),
		},
		{
			// T = 5 s: failures at 0; 30+5=35 (wait 35); 35+35+5=75 (wait
			// 75); 75+75+5=155; 155+155+5=315; 315+315+5=635; then 635+635+5
			// = 1275 > 900.
			name:  "attempts taking 5 s",
			fail:  5 * time.Second,
			waits: secs(30, 35, 75, 155, 315, 635, 900, 900),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b Backoff
			now := t0
			var got []time.Duration
			for range tc.waits {
				d := b.Failure(now)
				got = append(got, d)
				now = now.Add(d + tc.fail)
				assert.LessOrEqual(t, d, 15*time.Minute)
			}
			assert.Equal(t, tc.waits, got)
		})
	}
}

func TestBackoffReset(t *testing.T) {
	var b Backoff
	assert.False(t, b.Running())
	b.Failure(t0)
	assert.Equal(t, 30*time.Second, b.Failure(t0.Add(30*time.Second)))
	assert.Equal(t, 10*time.Minute, b.Failure(t0.Add(10*time.Minute)))
	assert.True(t, b.Running())
	b.Success()
	assert.False(t, b.Running())
	assert.Equal(t, 30*time.Second, b.Failure(t0.Add(time.Hour)), "a success resets the timer")
	assert.Equal(t, 30*time.Second, b.Failure(t0.Add(time.Hour+5*time.Second)), "never below the first wait")
}

func TestBackoffConfigured(t *testing.T) {
	b := Backoff{Initial: time.Second, Max: 4 * time.Second}
	now := t0
	var got []time.Duration
	for range 5 {
		d := b.Failure(now)
		got = append(got, d)
		now = now.Add(d)
	}
	assert.Equal(t, secs(1, 1, 2, 4, 4), got)
}

func secs(s ...int) []time.Duration {
	d := make([]time.Duration, len(s))
	for i, v := range s {
		d[i] = time.Duration(v) * time.Second
	}
	return d
}
