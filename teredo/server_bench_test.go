package teredo_test

import (
	"testing"

	"github.com/transit6/transit6/teredo"
)

// benchServer runs HandleDatagram on one datagram, reusing the output slots
// as an adapter does.
func benchServer(b *testing.B, s *teredo.Server, in []byte, want teredo.ServerReason) {
	out := make([]teredo.ServerOut, 0, 1)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		out, sinkVerdict = s.HandleDatagram(svNow, teredo.PrimarySocket, mapped, in, out[:0])
	}
	if sinkVerdict.Reason != want {
		b.Fatalf("%v, want %v", sinkVerdict.Reason, want)
	}
}

// BenchmarkServerRS answers Miredo's Router Solicitation (61 bytes) with a
// Router Advertisement: decode, ICMPv6 checksum, build, checksum.
func BenchmarkServerRS(b *testing.B) {
	b.Run("plain", func(b *testing.B) {
		s := svServer(b, func(c *teredo.ServerConfig) { c.RSInterval = -1 })
		benchServer(b, s, hx(b, svMiredoRS), teredo.ServerCase4RA)
	})
	b.Run("rate-limited", func(b *testing.B) {
		// The same source every time: the first three are answered, the
		// rest dropped by the limiter.
		benchServer(b, svServer(b), hx(b, svMiredoRS), teredo.ServerDropRateLimited)
	})
	b.Run("limiter", func(b *testing.B) {
		// The limiter on, the clock moving on one second per solicitation.
		s := svServer(b)
		in := hx(b, svMiredoRS)
		out := make([]teredo.ServerOut, 0, 1)
		now := svNow
		b.ReportAllocs()
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			now = now.Add(1e9)
			out, sinkVerdict = s.HandleDatagram(now, teredo.PrimarySocket, mapped, in, out[:0])
		}
		if sinkVerdict.Reason != teredo.ServerCase4RA {
			b.Fatal(sinkVerdict.Reason)
		}
	})
}

// BenchmarkServerBubble forwards an indirect bubble to a client of the
// server, adding the origin indication.
func BenchmarkServerBubble(b *testing.B) {
	in := svBubble(b, nil, svTeredo(srvPrimary, mapped), svTeredo(srvPrimary, svClientB))
	benchServer(b, svServer(b), in, teredo.ServerCase5ToClient)
}

// BenchmarkServerNative hands an echo request to the native side.
func BenchmarkServerNative(b *testing.B) {
	in := svEcho(b, svTeredo(srvPrimary, mapped), svNativeDst, 22)
	benchServer(b, svServer(b, func(c *teredo.ServerConfig) { c.Native = true }), in, teredo.ServerCase5ToNative)
}
