package bench

import (
	"testing"

	"github.com/transit6/transit6/packet"
)

// TestNoAllocs asserts that the packet adapters, that is packet's parsers,
// accessors, header encoder and checksum as the benchmarks call them, do
// not allocate.
func TestNoAllocs(t *testing.T) {
	in6, err := New6in4(1280)
	if err != nil {
		t.Fatal(err)
	}
	inT, err := NewTeredo(1280)
	if err != nil {
		t.Fatal(err)
	}
	im := packetImpl()
	build := newBuildPacket(BuildSpec)
	dst := make([]byte, packet.IPv4HeaderLen)
	var (
		out  Decoded
		sink uint16
	)
	tests := []struct {
		name string
		fn   func()
	}{
		{"Decode6in4", func() { err = im.Decode6in4(in6.Pkt, &out) }},
		{"DecodeTeredo", func() { err = im.DecodeTeredo(inT.Pkt, &out) }},
		{"BuildIPv4", func() { _, err = build(dst) }},
		{"Checksum", func() { sink = packet.Checksum(in6.Pkt, sink) }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", tt.name, n)
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}
