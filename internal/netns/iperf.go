package netns

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/transit6/transit6/internal/interop"
)

// IperfTimeout bounds one [NS.Iperf] run, and the wait for an
// [NS.IperfServer] to listen: far beyond any test's -t, so that a wedged
// iperf3 fails the test instead of hanging it.
const IperfTimeout = 2 * time.Minute

// IperfSum is one of the totals in iperf3's JSON report (-J).
type IperfSum struct {
	Seconds       float64 `json:"seconds"`
	Bytes         int64   `json:"bytes"`
	BitsPerSecond float64 `json:"bits_per_second"`
	Packets       int64   `json:"packets"`      // UDP
	LostPackets   int64   `json:"lost_packets"` // UDP, as the receiver counts
	LostPercent   float64 `json:"lost_percent"` // UDP
	Retransmits   int64   `json:"retransmits"`  // TCP, the sender's
}

// IperfResult is the part of iperf3's JSON report that tests read. For
// TCP, End.SumReceived is what the receiver got; for UDP, End.Sum holds
// the datagrams sent and the receiver's losses.
type IperfResult struct {
	Error string `json:"error"`
	End   struct {
		Sum         IperfSum `json:"sum"`
		SumSent     IperfSum `json:"sum_sent"`
		SumReceived IperfSum `json:"sum_received"`
		CPU         struct {
			Host   float64 `json:"host_total"`
			Remote float64 `json:"remote_total"`
		} `json:"cpu_utilization_percent"`
	} `json:"end"`
}

// Received returns the bytes and bit rate the receiver got: TCP's
// sum_received, or for UDP the sum less the datagrams the receiver lost.
func (r IperfResult) Received() (bytes int64, bps float64) {
	if r.End.SumReceived.Bytes > 0 {
		return r.End.SumReceived.Bytes, r.End.SumReceived.BitsPerSecond
	}
	s := r.End.Sum
	if s.Packets > 0 {
		return (s.Packets - s.LostPackets) * s.Bytes / s.Packets, s.BitsPerSecond * (1 - s.LostPercent/100)
	}
	return s.Bytes, s.BitsPerSecond
}

// IperfServer starts `iperf3 -s` with args (for example "-1" for one
// test, "-B" and an address) in the namespace and returns once it
// listens, so that a client started next does not find the port closed.
// Like [NS.Start], the server is stopped at cleanup.
func (n *NS) IperfServer(t testing.TB, args ...string) *Proc {
	t.Helper()
	bin := interop.LookPath(t, "iperf3")
	p := n.Start(t, append([]string{bin, "-s", "--forceflush"}, args...)...)
	for start := time.Now(); !strings.Contains(p.Stdout(), "Server listening"); time.Sleep(20 * time.Millisecond) {
		if p.Exited() {
			t.Fatalf("in %s: iperf3 -s exited: %v\n%s%s", n.name, p.Wait(), p.Stdout(), p.Stderr())
		}
		if time.Since(start) > IperfTimeout {
			t.Fatalf("in %s: iperf3 -s not listening after %v\n%s%s", n.name, IperfTimeout, p.Stdout(), p.Stderr())
		}
	}
	return p
}

// Iperf runs the iperf3 client in the namespace with args and -J, and
// returns its report. iperf3 failing fails t, whether it says so with its
// exit status or, as iperf3 3.12 does for a refused connection, only with
// an "error" in a report and exit status 0.
func (n *NS) Iperf(t testing.TB, args ...string) IperfResult {
	t.Helper()
	bin := interop.LookPath(t, "iperf3")
	ctx, cancel := context.WithTimeout(context.Background(), IperfTimeout)
	defer cancel()
	all := append([]string{"netns", "exec", n.name, bin, "-J", "--connect-timeout", "10000"}, args...)
	cmd := exec.CommandContext(ctx, n.ip, all...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var r IperfResult
	if jerr := json.Unmarshal(out, &r); err != nil || jerr != nil || r.Error != "" {
		t.Fatalf("in %s: iperf3 %s: %v %v %s\n%s%s", n.name, strings.Join(args, " "), err, jerr, r.Error, out, stderr.String())
	}
	return r
}
