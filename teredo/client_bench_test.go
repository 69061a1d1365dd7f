package teredo_test

import (
	"testing"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/teredo"
)

// BenchmarkClientRefresh measures one refresh cycle: Tick sends the
// solicitation, HandleDatagram takes the answer (built by the benchmark
// too).
func BenchmarkClientRefresh(b *testing.B) {
	s := newSteadyClient(b)
	s.refresh(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(s.raBuf))) // the advertisement
	for b.Loop() {
		s.refresh(b)
	}
}

// BenchmarkClientData measures passing a bubble up to the data path.
func BenchmarkClientData(b *testing.B) {
	s := newSteadyClient(b)
	bubble, err := teredo.AppendBubble(nil, nil, addr.Teredo{Server: clSrvB, Client: clPeer}.Addr(), s.c.Addr(), 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(bubble)))
	for b.Loop() {
		if err := s.c.HandleDatagram(s.now, clPeer, bubble, s.out); err != nil {
			b.Fatal(err)
		}
	}
}
