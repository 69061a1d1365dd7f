package tun

import (
	"testing"
	"time"

	"github.com/transit6/transit6/packet"
)

// TestNoAllocs checks the steady state of the device: writing an Echo
// Request to the kernel and reading its Echo Reply allocate nothing.
func TestNoAllocs(t *testing.T) {
	_, d := open(t, 1400)
	req, err := packet.AppendEchoRequest(make([]byte, off), peer, local.Addr(), 64, 1, 1, make([]byte, 1200))
	if err != nil {
		t.Fatal(err)
	}
	wbufs := [][]byte{req}
	rbufs, sizes := newBufs(8, 1500), make([]int, 8)
	if err := d.SetReadDeadline(time.Now().Add(guard * 10)); err != nil {
		t.Fatal(err)
	}
	step := func() {
		if n, err := d.Write(wbufs, off); n != 1 || err != nil {
			t.Fatalf("Write: %d, %v", n, err)
		}
		// Every Echo Request written brings a reply to read, so this never
		// waits for ever.
		if n, err := d.Read(rbufs, sizes, off); n < 1 || err != nil {
			t.Fatalf("Read: %d, %v", n, err)
		}
	}
	step()
	if allocs := testing.AllocsPerRun(100, step); allocs != 0 {
		t.Errorf("Write+Read: %v allocs per run, want 0", allocs)
	}
}
