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

// TestOffloadNoAllocs checks the offload hot paths: parsing and encoding
// the virtio-net header, completing a checksum, splitting a super-packet
// and coalescing segments.
func TestOffloadNoAllocs(t *testing.T) {
	f := tcp6Flow()
	f.ts = true
	data := payload(20 * 1408)
	super, h := f.super(t, data, 1408)
	bufs, sizes := newBufs(IdealBatchSize, 1500), make([]int, IdealBatchSize)
	segs := atOffset(f.segments(t, data, 1408))
	head := append([]byte(nil), segs[0]...)
	udp := udp4Flow().build(t, payload(1200), 0, 0, 0)
	vh := make([]byte, 0, VirtioNetHdrLen)
	for _, c := range []struct {
		name string
		fn   func()
	}{
		{"ParseVirtioNetHdr", func() { _, _ = ParseVirtioNetHdr(super) }},
		{"VirtioNetHdr.AppendTo", func() { vh = h.AppendTo(vh[:0]) }},
		{"CompleteChecksum", func() { _ = CompleteChecksum(udp, VirtioNetHdr{Flags: VirtioNeedsCsum, CsumStart: 20, CsumOffset: 6}) }},
		{"Segments", func() { _, _ = Segments(super, h) }},
		{"Split", func() {
			if n, err := Split(super, h, 0, bufs, sizes, off); n != 20 || err != nil {
				t.Fatal(n, err)
			}
		}},
		{"Coalesce", func() {
			copy(segs[0], head) // undo the last run's rewrite
			if n, _ := Coalesce(segs, off, true); n != 20 {
				t.Fatal(n)
			}
		}},
	} {
		if allocs := testing.AllocsPerRun(100, c.fn); allocs != 0 {
			t.Errorf("%s: %v allocs per run, want 0", c.name, allocs)
		}
	}
}

// TestOffloadDeviceNoAllocs is TestNoAllocs with virtio-net headers.
func TestOffloadDeviceNoAllocs(t *testing.T) { forOffloads(t, testOffloadDeviceNoAllocs) }

func testOffloadDeviceNoAllocs(t *testing.T, opts Options) {
	_, d := openOffloadWith(t, "tunalloc", ifname, 1400, opts, local)
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
		if n, err := d.Read(rbufs, sizes, off); n < 1 || err != nil {
			t.Fatalf("Read: %d, %v", n, err)
		}
	}
	step()
	if allocs := testing.AllocsPerRun(100, step); allocs != 0 {
		t.Errorf("Write+Read: %v allocs per run, want 0", allocs)
	}
}
