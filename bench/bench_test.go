package bench

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"

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
// not.
func benchDecode(b *testing.B, decode func([]byte, *Decoded) error, in Input) {
	var out Decoded
	var err error
	b.ReportAllocs()
	b.SetBytes(int64(len(in.Pkt)))
	for b.Loop() {
		err = decode(in.Pkt, &out)
	}
	if err != nil {
		b.Fatal(err)
	}
	if out != in.Want {
		b.Fatalf("decoded %+v, want %+v", out, in.Want)
	}
}

// fillOnly copies the fields of a 6in4 packet into out from fixed offsets
// and checks nothing: the cost that every decoder pays for its output and
// the call, whatever the library.
func fillOnly(b []byte, out *Decoded) error {
	if len(b) < ipv4MinLen+ipv6HdrLen {
		return errTruncated
	}
	out.OuterSrc = netip.AddrFrom4([4]byte(b[12:16]))
	out.OuterDst = netip.AddrFrom4([4]byte(b[16:20]))
	out.TotalLen = binary.BigEndian.Uint16(b[2:4])
	out.Protocol = b[9]
	out.TTL = b[8]
	out.SrcPort, out.DstPort, out.UDPLen = 0, 0, 0
	p := b[ipv4MinLen : ipv4MinLen+ipv6HdrLen]
	out.InnerSrc = netip.AddrFrom16([16]byte(p[8:24]))
	out.InnerDst = netip.AddrFrom16([16]byte(p[24:40]))
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
