package netns

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/internal/interop"
)

func TestIperf(t *testing.T) {
	interop.LookPath(t, "iperf3")
	a := New(t, "iperf")
	a.IperfServer(t)

	r := a.Iperf(t, "-c", "::1", "-t", "1")
	bytes, bps := r.Received()
	assert.Positive(t, bytes, "%+v", r.End)
	assert.Equal(t, r.End.SumReceived.Bytes, bytes, "TCP: what the receiver counted")
	assert.Positive(t, bps)

	// UDP: 1232-byte datagrams at a rate loopback carries; what was
	// received is the datagrams less those lost.
	r = a.Iperf(t, "-c", "::1", "-t", "1", "-u", "-l", "1232", "-b", "10M")
	s := r.End.Sum
	require.Positive(t, s.Packets, "%+v", r.End)
	bytes, _ = r.Received()
	assert.Equal(t, (s.Packets-s.LostPackets)*s.Bytes/s.Packets, bytes)
	assert.Equal(t, 1232*s.Packets, r.End.SumSent.Bytes, "sum_sent counts the sender's datagrams")
}

// A refused connection fails the test: iperf3 3.12 reports it with exit
// status 0 and an "error" in its JSON, which Iperf must not take for a
// run that carried nothing.
func TestIperfRefused(t *testing.T) {
	interop.LookPath(t, "iperf3")
	a := New(t, "iperf-refused")
	rec := &recorder{TB: t}
	a.Iperf(rec, "-c", "::1", "-p", "5999", "-t", "1")
	require.Len(t, rec.fatals, 1)
	assert.Contains(t, rec.fatals[0], "Connection refused")
}
