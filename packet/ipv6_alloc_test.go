package packet

import (
	"net/netip"
	"testing"
)

var (
	i6SinkInt   int
	i6SinkU8    uint8
	i6SinkU32   uint32
	i6SinkBool  bool
	i6SinkErr   error
	i6SinkAddr  netip.Addr
	i6SinkBytes []byte
	i6SinkView  IPv6
	i6SinkECN   ECN
)

func TestIPv6NoAllocs(t *testing.T) {
	ra := i6Hex(t, i6VecRA)
	bubble := i6Hex(t, i6VecBubble+i6VecAltTrailer)
	chain := i6Chain([]i6Ext{{ProtoHopByHop, i6PadN}, {ProtoIPv6Opts, i6PadN}, {ProtoIPv6Route, i6Route},
		{ProtoIPv6Frag, i6Frag(0, false, 7)}, {ProtoAH, i6AH}}, ProtoUDP, make([]byte, 8))
	view, err := ParseIPv6(chain)
	if err != nil {
		t.Fatal(err)
	}
	hdr := view.Fields()
	buf := make([]byte, 0, 128)
	inplace := make([]byte, 128)
	tests := []struct {
		name string
		f    func()
	}{
		{"ParseIPv6", func() { i6SinkView, i6SinkErr = ParseIPv6(ra) }},
		{"ParseIPv6 error", func() { i6SinkView, i6SinkErr = ParseIPv6(ra[:39]) }},
		{"Decode", func() { i6SinkErr = i6SinkView.Decode(bubble) }},
		{"IPv6PacketLen", func() { i6SinkInt, i6SinkErr = IPv6PacketLen(ra) }},
		{"accessors", func() {
			i6SinkU8 = view.TrafficClass() + view.DSCP() + view.NextHeader() + view.HopLimit()
			i6SinkECN = view.ECN()
			i6SinkU32 = view.FlowLabel()
			i6SinkInt = view.PayloadLen()
			i6SinkAddr = view.Src()
			i6SinkAddr = view.Dst()
			i6SinkBytes = view.Header()
			i6SinkBytes = view.Payload()
			i6SinkBytes = view.Bytes()
			i6SinkBytes = view.Trailer()
			i6SinkBool = view.IsBubble() || view.IsValid()
		}},
		{"Fields", func() { hdr = view.Fields() }},
		{"UpperLayer", func() { i6SinkU8, i6SinkInt, i6SinkErr = view.UpperLayer() }},
		{"Extensions", func() {
			it := view.Extensions()
			for e, ok := it.Next(); ok; e, ok = it.Next() {
				i6SinkInt += e.Offset() + e.FragmentOffset()
				i6SinkU8 = e.Type() + e.RoutingType()
			}
			i6SinkErr = it.Err()
		}},
		{"HasRoutingHeader", func() { i6SinkBool = view.HasRoutingHeader() }},
		{"Encode", func() { i6SinkErr = hdr.Encode(inplace, 8) }},
		{"AppendTo with capacity", func() { i6SinkBytes, i6SinkErr = hdr.AppendTo(buf[:0], 8) }},
		{"PrependIPv6", func() { i6SinkBytes, i6SinkErr = PrependIPv6(inplace, 64, &hdr) }},
		{"ECN helpers", func() {
			i6SinkECN, i6SinkBool = IPv6ECN(inplace[:40])
			i6SinkBool = SetIPv6ECN(inplace[:40], ECT0)
		}},
	}
	if err := hdr.Encode(inplace, 88); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tt.f); n != 0 {
				t.Errorf("%v allocations, want 0", n)
			}
		})
	}
}
