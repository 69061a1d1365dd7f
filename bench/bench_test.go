package bench

import (
	"encoding/binary"
	"fmt"
	"testing"
	"unsafe"

	"github.com/transit6/transit6/packet"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
)

var sink16 uint16

// Run all of them in one go (see README.md):
//
//	go test -run '^$' -bench . -benchmem -count 5 .

func BenchmarkDecode6in4(b *testing.B) {
	for _, size := range Sizes6in4 {
		in, err := New6in4(size)
		if err != nil {
			b.Fatal(err)
		}
		for _, im := range Impls() {
			b.Run(fmt.Sprintf("size=%d/impl=%s", size, im.Name), func(b *testing.B) {
				benchDecode(b, im.Decode6in4, in)
			})
		}
	}
}

func BenchmarkDecodeTeredo(b *testing.B) {
	for _, size := range SizesTeredo {
		in, err := NewTeredo(size)
		if err != nil {
			b.Fatal(err)
		}
		for _, im := range Impls() {
			b.Run(fmt.Sprintf("size=%d/impl=%s", size, im.Name), func(b *testing.B) {
				benchDecode(b, im.DecodeTeredo, in)
			})
		}
	}
}

// benchDecode calls decode through a function value, as it does for every
// implementation, so that no adapter is inlined into the loop and others
// not. The input and the output are placed with placeInput and
// placeOutput.
func benchDecode(b *testing.B, decode func([]byte, *Decoded) error, in Input) {
	pkt := placeInput(in.Pkt)
	out := placeOutput[Decoded](pkt)
	var err error
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		err = decode(pkt, out)
	}
	if err != nil {
		b.Fatal(err)
	}
	if *out != in.Want {
		b.Fatalf("decoded %+v, want %+v", *out, in.Want)
	}
}

// Where the input and the output of a decode benchmark lie in memory
// matters on x86: a load whose address matches an earlier store still in
// flight in its low 12 bits waits for that store ("4K aliasing"). The heap
// put the output of each sample, and each input, anywhere, and the same
// adapter on the same input measured 18 ns in one sample and 31 ns in the
// next. placeInput puts every input at the start of a 4 KiB page and
// placeOutput every output 2 KiB from it, the same for every adapter, so
// that the headers the adapters read and the fields they write never
// share their low 12 bits.

// placeInput returns a copy of pkt that starts on a 4 KiB boundary.
func placeInput(pkt []byte) []byte {
	buf := make([]byte, len(pkt)+4096)
	off := -int(uintptr(unsafe.Pointer(unsafe.SliceData(buf)))) & 4095
	p := buf[off : off+len(pkt) : off+len(pkt)]
	copy(p, pkt)
	return p
}

// placeOutput returns a new zero T whose address is as close as its size
// allows to 2 KiB after that of pkt, modulo 4 KiB.
func placeOutput[T any](pkt []byte) *T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	s := make([]T, 4096/size+2)
	base := uintptr(unsafe.Pointer(unsafe.SliceData(pkt)))
	best, bestDist := 0, 4096
	for i := range s {
		d := int((uintptr(unsafe.Pointer(&s[i]))-base)&4095) - 2048
		if d < 0 {
			d = -d
		}
		if d < bestDist {
			best, bestDist = i, d
		}
	}
	return &s[best]
}

// fillOnly copies the fields of a 6in4 packet into out from fixed offsets
// and checks nothing: the cost that every decoder pays for its output and
// the call, whatever the library.
func fillOnly(b []byte, out *Decoded) error {
	if len(b) < ipv4MinLen+ipv6HdrLen {
		return errTruncated
	}
	out.OuterSrc = [4]byte(b[12:16])
	out.OuterDst = [4]byte(b[16:20])
	out.TotalLen = binary.BigEndian.Uint16(b[2:4])
	out.Protocol = b[9]
	out.TTL = b[8]
	out.SrcPort, out.DstPort, out.UDPLen = 0, 0, 0
	p := b[ipv4MinLen : ipv4MinLen+ipv6HdrLen]
	out.InnerSrc = [16]byte(p[8:24])
	out.InnerDst = [16]byte(p[24:40])
	out.PayloadLen = binary.BigEndian.Uint16(p[4:6])
	out.NextHeader = p[6]
	out.HopLimit = p[7]
	return nil
}

// BenchmarkFloor measures fillOnly on the 1280-byte 6in4 input, called like
// the decoders: the floor under every figure of BenchmarkDecode6in4, which
// README.md uses to explain the ratios.
func BenchmarkFloor(b *testing.B) {
	in, err := New6in4(1280)
	if err != nil {
		b.Fatal(err)
	}
	benchDecode(b, fillOnly, in)
}

// BenchmarkBuildIPv4 writes the 20-byte header of BuildSpec, checksum
// included; the payload is already in place and is not touched.
func BenchmarkBuildIPv4(b *testing.B) {
	for _, bl := range Builders() {
		b.Run("impl="+bl.Name, func(b *testing.B) {
			build := bl.New(BuildSpec)
			dst := make([]byte, packet.IPv4HeaderLen)
			var err error
			b.ReportAllocs()
			b.SetBytes(packet.IPv4HeaderLen)
			for b.Loop() {
				_, err = build(dst)
			}
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkChecksum compares packet.Checksum with gVisor's checksum.Checksum
// on the same 8-byte-aligned buffers.
func BenchmarkChecksum(b *testing.B) {
	impls := []struct {
		name string
		fn   func([]byte, uint16) uint16
	}{
		{"packet", packet.Checksum},
		{"gvisor", checksum.Checksum},
	}
	for _, n := range []int{20, 40, 576, 1280, 1500, 9000} {
		buf := make([]byte, n)
		fillPayload(buf)
		for _, im := range impls {
			b.Run(fmt.Sprintf("size=%d/impl=%s", n, im.name), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(n))
				for b.Loop() {
					sink16 = im.fn(buf, 0)
				}
			})
		}
	}
}
