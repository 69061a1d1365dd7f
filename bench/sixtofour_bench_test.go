package bench

import (
	"testing"
	"unsafe"
)

// Run them alone (see README.md):
//
//	go test -run '^$' -bench 6to4 -benchmem -count 6 .

// BenchmarkDecap6to4 decapsulates the 1280-byte 6to4 input (New6to4).
//
// out=inner: every adapter returns the inner IPv6 packet as a sub-slice of
// the input (Decappers): transit6 with every 6to4 policy check
// (sixtofour.Decapsulate + Policy.CheckInbound, and Router.Inbound), the
// peers and the hand-written limit with the wire checks only.
//
// out=decoded: the peers' and the hand-written decoder's existing
// Decode6in4 adapters (impl_*.go) on the same input: the header decode into
// a Decoded that BenchmarkDecode6in4 measures, the figures the issue quotes.
func BenchmarkDecap6to4(b *testing.B) {
	in, err := New6to4(1280)
	if err != nil {
		b.Fatal(err)
	}
	ds, err := Decappers()
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range ds {
		b.Run("out=inner/impl="+d.Name, func(b *testing.B) {
			benchDecap(b, d.Decap, in)
		})
	}
	for _, im := range Impls() {
		switch im.Name {
		case "gvisor", "gopacket-dlp", "xnet", "hand":
		default:
			continue
		}
		b.Run("out=decoded/impl="+im.Name, func(b *testing.B) {
			benchDecode(b, im.Decode6in4, in)
		})
	}
}

// benchDecap calls decap through a function value, as benchDecode does, on
// a copy of the input placed at the start of a 4 KiB page (placeInput).
// It checks the last result: no error, and the inner packet where it lies
// in the input (no options: from byte 20 to the end).
func benchDecap(b *testing.B, decap func([]byte) ([]byte, error), in Input) {
	pkt := placeInput(in.Pkt)
	var (
		inner []byte
		err   error
	)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		inner, err = decap(pkt)
	}
	if err != nil {
		b.Fatal(err)
	}
	if len(inner) != len(pkt)-ipv4MinLen || unsafe.SliceData(inner) != &pkt[ipv4MinLen] {
		b.Fatalf("inner packet of %d bytes, want pkt[20:%d]", len(inner), len(pkt))
	}
}

// BenchmarkEncap6to4 writes the outer header of the 6to4 input in place in
// front of its 1260-byte IPv6 packet, read into a 1280-byte buffer at
// offset 20 (the headroom): transit6's sixtofour.Encapsulate, the
// hand-written limit and gVisor's header.IPv4.Encode (Encappers). Every
// iteration rewrites the same header; the payload is not touched.
func BenchmarkEncap6to4(b *testing.B) {
	in, err := New6to4(1280)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range Encappers() {
		b.Run("impl="+e.Name, func(b *testing.B) {
			buf := placeInput(in.Pkt)
			clear(buf[:ipv4MinLen]) // the headroom, as a TUN read leaves it
			var (
				pkt []byte
				err error
			)
			b.ReportAllocs()
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				pkt, err = e.Encap(buf, ipv4MinLen)
			}
			if err != nil {
				b.Fatal(err)
			}
			if string(pkt) != string(in.Pkt) || unsafe.SliceData(pkt) != unsafe.SliceData(buf) {
				b.Fatal("encapsulated packet differs from the 6to4 input")
			}
		})
	}
}
