package bench

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transit6/transit6/packet"
	"github.com/transit6/transit6/teredo"
)

// Offsets in the Teredo inputs with indicators (no IPv4 options).
const (
	taPayload = inTeredoIPv6                     // UDP payload: the authentication indicator
	taOrigin  = taPayload + teredo.AuthHeaderLen // origin indication
	taIPv6    = taPayload + teredoAuthHeaderLen  // inner IPv6 header
)

func BenchmarkDecodeTeredoAuth(b *testing.B) {
	for _, size := range SizesTeredoAuth {
		in, err := NewTeredoAuth(size)
		if err != nil {
			b.Fatal(err)
		}
		for _, im := range TeredoAuthImpls() {
			b.Run(fmt.Sprintf("size=%d/impl=%s", size, im.Name), func(b *testing.B) {
				pkt := placeInput(in.Pkt) // see benchDecode
				out := placeOutput[DecodedTeredo](pkt)
				var err error
				b.ReportAllocs()
				b.SetBytes(int64(len(pkt)))
				for b.Loop() {
					err = im.Decode(pkt, out)
				}
				if err != nil {
					b.Fatal(err)
				}
				if *out != in.Want {
					b.Fatalf("decoded %+v, want %+v", *out, in.Want)
				}
			})
		}
	}
}

var (
	sinkNonce  [8]byte
	sinkConf   uint8
	sinkOrigin netip.AddrPort
	sinkAddr   netip.Addr
)

// BenchmarkTeredoPayload decodes the UDP payload alone, which is what a UDP
// socket delivers, with teredo's (*Packet).Decode: op=Decode is the
// validation alone (indicators, IPv6 header, trailers), op=Decode+read also
// reads the nonce, the confirmation byte, the origin and the inner source
// address with the accessors.
func BenchmarkTeredoPayload(b *testing.B) {
	for _, size := range SizesTeredoAuth {
		in, err := NewTeredoAuth(size)
		if err != nil {
			b.Fatal(err)
		}
		payload := placeInput(in.Pkt[taPayload:]) // see benchDecode
		b.Run(fmt.Sprintf("size=%d/op=Decode", size), func(b *testing.B) {
			p := placeOutput[teredo.Packet](payload)
			var err error
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				err = p.Decode(payload)
			}
			if err != nil {
				b.Fatal(err)
			}
			if p.HeaderLen() != teredoAuthHeaderLen {
				b.Fatalf("indicators of %d bytes", p.HeaderLen())
			}
		})
		b.Run(fmt.Sprintf("size=%d/op=Decode+read", size), func(b *testing.B) {
			p := placeOutput[teredo.Packet](payload)
			var err error
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				err = p.Decode(payload)
				sinkNonce, _ = p.Nonce()
				sinkConf, _ = p.Confirmation()
				sinkOrigin, _ = p.Origin()
				sinkAddr = p.IPv6().Src()
			}
			if err != nil {
				b.Fatal(err)
			}
			if sinkNonce != teredoNonce || sinkConf != 0 || sinkOrigin != teredoOrigin || sinkAddr != teredoSrc {
				b.Fatalf("decoded %x %d %v %v", sinkNonce, sinkConf, sinkOrigin, sinkAddr)
			}
		})
	}
}

// teredoBuilds are the builders of BenchmarkTeredoBuild and
// TestTeredoBuildNoAllocs, each writing into buffers with capacity.
func teredoBuilds(tb testing.TB) []struct {
	name string
	fn   func() error
} {
	clientLL := teredo.ClientLinkLocal(false)
	rsHdr := teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: teredoNonce}}
	raHdr := teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: teredoNonce},
		Origin: netip.AddrPortFrom(outerSrc, clientPort)}
	ra := teredo.RAFields{Server: outerDst, Dst: clientLL, MTU: 1280}
	bubHdr := teredo.Header{Origin: teredoOrigin}
	buf := make([]byte, 0, 256)
	// Encapsulate in place: a 1280-byte Teredo payload (1259-byte IPv6
	// packet after 21 bytes of indicators) in a buffer with headroom.
	in, err := NewTeredoAuth(1280 + teredo.DatagramHeaderLen)
	require.NoError(tb, err)
	inner := in.Pkt[teredo.DatagramHeaderLen+teredoAuthHeaderLen:]
	pkt := make([]byte, teredo.Headroom+len(inner))
	copy(pkt[teredo.Headroom:], inner)
	o := teredo.Outer{Src: netip.AddrPortFrom(outerSrc, teredoPort), Dst: netip.AddrPortFrom(outerDst, clientPort)}
	return []struct {
		name string
		fn   func() error
	}{
		{"RS", func() error {
			_, err := teredo.AppendRouterSolicitation(buf[:0], &rsHdr, clientLL)
			return err
		}},
		{"RA", func() error {
			_, err := teredo.AppendRouterAdvertisement(buf[:0], &raHdr, &ra)
			return err
		}},
		{"bubble", func() error {
			_, err := teredo.AppendBubble(buf[:0], &bubHdr, teredoSrc, innerDst, 0)
			return err
		}},
		{"Encapsulate", func() error {
			p, err := teredo.Encapsulate(pkt, teredo.Headroom, &raHdr)
			if err == nil && len(p) != 1280 {
				return fmt.Errorf("payload of %d bytes", len(p))
			}
			return err
		}},
		{"EncapsulateDatagram", func() error {
			_, err := teredo.EncapsulateDatagram(pkt, teredo.Headroom, &raHdr, &o)
			return err
		}},
	}
}

// BenchmarkTeredoBuild builds a Router Solicitation, a Router
// Advertisement and a bubble into a buffer with capacity, and encapsulates
// a 1259-byte IPv6 packet in place (indicators alone; and with UDP and
// IPv4 headers, checksums included).
func BenchmarkTeredoBuild(b *testing.B) {
	for _, bl := range teredoBuilds(b) {
		b.Run("op="+bl.name, func(b *testing.B) {
			var err error
			b.ReportAllocs()
			for b.Loop() {
				err = bl.fn()
			}
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}

func TestTeredoBuildNoAllocs(t *testing.T) {
	for _, bl := range teredoBuilds(t) {
		require.NoError(t, bl.fn(), bl.name)
		if n := testing.AllocsPerRun(100, func() { _ = bl.fn() }); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", bl.name, n)
		}
	}
	in, err := NewTeredoAuth(1280)
	require.NoError(t, err)
	var out DecodedTeredo
	if n := testing.AllocsPerRun(100, func() { err = decodeTransit6TeredoAuth(in.Pkt, &out) }); n != 0 {
		t.Errorf("transit6 decode: %v allocs per run, want 0", n)
	}
	require.NoError(t, err)
}

// TestTeredoAuthInputs checks every adapter against the fields each input
// was built from, and the input against packet's and teredo's own parsers
// (UDP checksum included).
func TestTeredoAuthInputs(t *testing.T) {
	for _, size := range SizesTeredoAuth {
		in, err := NewTeredoAuth(size)
		require.NoError(t, err)
		require.Len(t, in.Pkt, size)
		ip, err := packet.ParseIPv4(in.Pkt)
		require.NoError(t, err)
		udp, err := packet.ParseUDP(ip.Payload())
		require.NoError(t, err)
		require.NoError(t, udp.VerifyChecksum4(ip.Src(), ip.Dst()), "UDP checksum")
		// The indicators as RFC 4380 §5.1.1 lays them out, by hand:
		// 00 01, ID-len 0, AU-len 0, nonce, confirmation 0; then 00 00,
		// port 40001 (0x9c41) and 203.0.113.7 (cb 00 71 07), each bit
		// inverted.
		wantInd := []byte{0, 1, 0, 0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0,
			0, 0, 0x63, 0xbe, 0x34, 0xff, 0x8e, 0xf8}
		require.Equal(t, wantInd, in.Pkt[taPayload:taIPv6])
		for _, im := range TeredoAuthImpls() {
			var got DecodedTeredo
			require.NoError(t, im.Decode(in.Pkt, &got), "size %d %s", size, im.Name)
			assert.Equal(t, in.Want, got, "size %d %s", size, im.Name)
		}
	}
}

// TestAgreeTeredoAuth decodes variants of the 1280-byte input with every
// adapter: valid ones must decode identically, invalid ones must be
// refused by all.
func TestAgreeTeredoAuth(t *testing.T) {
	base, err := NewTeredoAuth(1280)
	require.NoError(t, err)
	// shrink cuts the UDP payload to n bytes and fixes the lengths.
	shrink := func(p []byte, n int) []byte {
		p = p[:taPayload+n]
		setU16(p, 2, uint16(len(p)))
		setU16(p, inTeredoUDP+4, uint16(udpHdrLen+n))
		return p
	}
	tests := []struct {
		name         string
		f            func(p []byte) []byte
		keepChecksum bool
		want         func(d *DecodedTeredo) // nil: refused
		is           error                  // for a refusal, transit6's sentinel
	}{
		{"as built", func(p []byte) []byte { return p }, false, func(*DecodedTeredo) {}, nil},
		{"confirmation 1", func(p []byte) []byte { p[taOrigin-1] = 1; return p }, false,
			func(d *DecodedTeredo) { d.Confirmation = 1 }, nil},
		{"client ID and value", func(p []byte) []byte {
			// ID-len 4, AU-len 4: a 21-byte authentication
			// indicator (ID 1-4, value 5-8, nonce 9-16,
			// confirmation 0) where auth and origin were.
			p[taPayload+2], p[taPayload+3] = 4, 4
			copy(p[taPayload+4:], []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0})
			return p
		}, false, func(d *DecodedTeredo) {
			d.Nonce = [8]byte{9, 10, 11, 12, 13, 14, 15, 16}
			d.Origin = netip.AddrPort{}
		}, nil},
		{"origin only", func(p []byte) []byte {
			copy(p[taPayload:], p[taOrigin:])
			return shrink(p, len(p)-taOrigin)
		}, false, func(d *DecodedTeredo) {
			d.HasAuth, d.Nonce, d.TotalLen, d.UDPLen = false, [8]byte{}, d.TotalLen-13, d.UDPLen-13
		}, nil},
		{"truncated auth", func(p []byte) []byte { return shrink(p, 12) }, false, nil, teredo.ErrAuthTruncated},
		{"auth lengths beyond payload", func(p []byte) []byte {
			p[taPayload+2], p[taPayload+3] = 255, 255
			return shrink(p, 200)
		}, false, nil, teredo.ErrAuthTruncated},
		{"truncated origin", func(p []byte) []byte { return shrink(p, teredo.AuthHeaderLen+7) }, false, nil, teredo.ErrOriginTruncated},
		{"auth after origin", func(p []byte) []byte {
			var auth [teredo.AuthHeaderLen]byte
			copy(auth[:], p[taPayload:])
			copy(p[taPayload:], p[taOrigin:taIPv6])
			copy(p[taPayload+teredo.OriginLen:], auth[:])
			return p
		}, false, nil, teredo.ErrAuthAfterOrigin},
		{"duplicate origin", func(p []byte) []byte { p[taIPv6], p[taIPv6+1] = 0, 0; return p }, false, nil, teredo.ErrDuplicateOrigin},
		{"unknown indicator", func(p []byte) []byte { p[taPayload+1] = 2; return p }, false, nil, teredo.ErrUnknownIndicator},
		{"bad IPv4 checksum", func(p []byte) []byte { p[10] ^= 0x01; return p }, true, nil, packet.ErrBadChecksum},
		{"IPv6 length beyond datagram", func(p []byte) []byte {
			setU16(p, taIPv6+4, uint16(len(p)-taIPv6-ipv6HdrLen+1))
			return p
		}, false, nil, teredo.ErrIPv6Length},
		{"IPv6 version 4", func(p []byte) []byte { p[taIPv6] = 0x40; return p }, false, nil, teredo.ErrNotIPv6},
		{"UDP length beyond IPv4", func(p []byte) []byte { setU16(p, inTeredoUDP+4, 1261); return p }, false, nil, packet.ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.f(append([]byte(nil), base.Pkt...))
			if !tt.keepChecksum {
				fixChecksum(p)
			}
			want := base.Want
			if tt.want != nil {
				tt.want(&want)
			}
			for _, im := range TeredoAuthImpls() {
				var got DecodedTeredo
				err := im.Decode(p, &got)
				if tt.want == nil {
					assert.Error(t, err, im.Name)
					if im.Name == "transit6" {
						assert.ErrorIs(t, err, tt.is)
					}
					continue
				}
				if assert.NoError(t, err, im.Name) {
					assert.Equal(t, want, got, im.Name)
				}
			}
		})
	}
}

// teredoAuthSkip reports whether the adapter named impl may legitimately
// decide pkt differently from transit6, whose error is wantErr: RFC 6081
// trailers and jumbograms, which only transit6 checks (README.md), and the
// gopacket quirks of quirks.go, here with the inner IPv6 header found after
// the indicators.
func teredoAuthSkip(impl string, pkt []byte, wantErr error) bool {
	for _, e := range []error{teredo.ErrTrailerTruncated, teredo.ErrAltAddrLength, teredo.ErrAltAddrReserved,
		teredo.ErrAltAddrPort, teredo.ErrAltAddrIPv4, packet.ErrJumbogram} {
		if errors.Is(wantErr, e) {
			return true
		}
	}
	if impl != "gopacket-dlp" {
		return false
	}
	if Quirk(impl, true, pkt) != "" {
		return true
	}
	if len(pkt) < ipv4MinLen {
		return false
	}
	hl := int(pkt[0]&0x0f) * 4
	if hl < ipv4MinLen || len(pkt) < hl+udpHdrLen {
		return false
	}
	var d DecodedTeredo
	r, err := walkIndicators(pkt[hl+udpHdrLen:], &d)
	if err != nil || len(r) < ipv6HdrLen {
		return false
	}
	return binary.BigEndian.Uint16(r[4:6]) == 0 || r[6] == 0
}

// Bits of the repair argument of FuzzAgreeTeredoAuth.
const (
	repairTotalLen = 1 << iota // IPv4 Total Length := the input's length
	repairUDPLen               // UDP Length := what the IPv4 packet holds after its header
	repairChecksum             // IPv4 header checksum recomputed (last)
)

// repairOuter returns a copy of pkt with the outer fields that repair
// names made consistent, where pkt is long enough to have them, so that the
// fuzzer reaches the indicators and the inner packet instead of stopping at
// the IPv4 checksum or a length.
func repairOuter(pkt []byte, repair uint8) []byte {
	p := append([]byte(nil), pkt...)
	if len(p) < ipv4MinLen {
		return p
	}
	hl := int(p[0]&0x0f) * 4
	if repair&repairTotalLen != 0 && len(p) <= 0xffff {
		setU16(p, 2, uint16(len(p)))
	}
	if tl := int(binary.BigEndian.Uint16(p[2:4])); repair&repairUDPLen != 0 &&
		hl >= ipv4MinLen && hl+udpHdrLen <= tl && tl <= len(p) {
		setU16(p, hl+4, uint16(tl-hl))
	}
	if repair&repairChecksum != 0 {
		fixChecksum(p)
	}
	return p
}

// FuzzAgreeTeredoAuth checks that every adapter accepts or refuses pkt as
// transit6 does and decodes the same fields, unless teredoAuthSkip says
// otherwise. pkt is first repaired as repair says (repairOuter): with
// every bit set, random inputs get past the outer headers.
func FuzzAgreeTeredoAuth(f *testing.F) {
	const all = repairTotalLen | repairUDPLen | repairChecksum
	for _, size := range SizesTeredoAuth {
		in, err := NewTeredoAuth(size)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(in.Pkt, uint8(0)) // the benchmark inputs, as built
	}
	in, _ := NewTeredoAuth(1280)
	p := append([]byte(nil), in.Pkt...)
	p[taPayload+1] = 2
	f.Add(p, uint8(all)) // unknown indicator
	p = append([]byte(nil), in.Pkt...)
	p[taIPv6], p[taIPv6+1] = 0, 0
	f.Add(p, uint8(all))                          // duplicate origin
	f.Add(in.Pkt[:taOrigin+3], uint8(all))        // origin indication cut short, lengths repaired
	f.Add(in.Pkt[:taIPv6+ipv6HdrLen], uint8(all)) // inner header whose Payload Length runs past the datagram
	p = append([]byte(nil), in.Pkt...)
	p[10] ^= 1
	f.Add(p, uint8(0))                                // bad IPv4 checksum, left as is
	f.Add(in.Pkt, uint8(repairUDPLen|repairChecksum)) // UDP Length rewritten to what it already is
	impls := TeredoAuthImpls()
	f.Fuzz(func(t *testing.T, pkt []byte, repair uint8) {
		pkt = repairOuter(pkt, repair)
		var want DecodedTeredo
		wantErr := impls[0].Decode(pkt, &want)
		for _, im := range impls[1:] {
			if teredoAuthSkip(im.Name, pkt, wantErr) {
				continue
			}
			var got DecodedTeredo
			err := im.Decode(pkt, &got)
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("%s: err %v, transit6: %v", im.Name, err, wantErr)
			}
			if err == nil && got != want {
				t.Fatalf("%s: %+v, transit6: %+v", im.Name, got, want)
			}
		}
	})
}
