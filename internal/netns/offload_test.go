package netns

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNoTxChecksumOffload(t *testing.T) {
	a, b := pair(t)
	assert.True(t, a.TxChecksumOffload(t, "veth-a"), "veth offloads checksums by default")
	a.NoTxChecksumOffload(t, "veth-a")
	assert.False(t, a.TxChecksumOffload(t, "veth-a"))
	assert.True(t, b.TxChecksumOffload(t, "veth-b"), "the peer keeps its own setting")

	rec := &recorder{TB: t}
	a.NoTxChecksumOffload(rec, "nosuchif")
	assert.Len(t, rec.fatals, 1, "an unknown interface fails")
}
