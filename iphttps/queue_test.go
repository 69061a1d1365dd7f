package iphttps

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The send queue against a model: a FIFO of bytes. Whatever the sequence of
// pushes, peeks and (partial) releases, the bytes the writer takes are the
// bytes pushed, in order, the queue never holds more than its size, and an
// empty queue takes any packet that fits in it.
func TestQueueModel(t *testing.T) {
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 7))
		size := MinQueueBytes + rng.IntN(4*MinQueueBytes)
		q := newQueue(size)
		var model, sent []byte
		for range 2000 {
			switch rng.IntN(3) {
			case 0, 1:
				p := mkPacket(rng, rng.IntN(1500))
				empty := q.len() == 0
				ok := q.push(p)
				if ok {
					model = append(model, p...)
				}
				if empty && len(p) <= size {
					require.True(t, ok, "an empty queue takes a packet that fits")
				}
			case 2:
				run := q.peek(1 + rng.IntN(3000))
				n := rng.IntN(len(run) + 1)
				sent = append(sent, run[:n]...)
				q.release(n)
			}
			require.LessOrEqual(t, q.len(), size)
			require.Equal(t, len(model)-len(sent), q.len())
		}
		for {
			run := q.peek(size)
			if len(run) == 0 {
				break
			}
			sent = append(sent, run...)
			q.release(len(run))
		}
		require.True(t, bytes.Equal(model, sent), "seed %d: bytes out are bytes in", seed)
		require.Equal(t, 0, q.len())
		splitStream(t, sent)
	}
}

func TestQueueWrap(t *testing.T) {
	q := newQueue(100)
	a, b, c := bytes.Repeat([]byte{'a'}, 40), bytes.Repeat([]byte{'b'}, 40), bytes.Repeat([]byte{'c'}, 30)
	require.True(t, q.push(a))
	require.True(t, q.push(b))
	assert.False(t, q.push(c), "20 bytes left at the end, none at the front")
	q.release(40) // a sent
	require.True(t, q.push(c), "wraps to the front, skipping the tail")
	assert.Equal(t, b, q.peek(1000), "a run stops at the skipped tail")
	assert.False(t, q.push(a), "10 bytes free before b")
	q.release(40)
	assert.Equal(t, c, q.peek(1000))
	q.release(30)
	assert.Equal(t, 0, q.len())
	assert.Empty(t, q.peek(1000))
	require.True(t, q.push(bytes.Repeat([]byte{'d'}, 100)), "empty again: all of it")
}

func TestQueueClose(t *testing.T) {
	q := newQueue(100)
	require.True(t, q.push([]byte("x")))
	q.close()
	assert.True(t, q.isClosed())
	assert.False(t, q.push([]byte("y")))
	select {
	case <-q.wake:
	default:
		t.Fatal("close wakes the writer")
	}
	assert.False(t, q.push(nil), "empty packets are refused")
}
