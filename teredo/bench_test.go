package teredo_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/transit6/transit6/packet"
	"github.com/transit6/transit6/teredo"
)

// benchSizes are the total sizes swept: the smallest Teredo packet (a
// bubble), the IPv4 minimum reassembly size, the IPv6 minimum MTU, Ethernet
// and a jumbo frame.
var benchSizes = []int{40, 576, 1280, 1500, 9000}

// benchPayload returns a Teredo payload of exactly size bytes (or the
// smallest possible) made of h and an IPv6 packet.
func benchPayload(b *testing.B, h *teredo.Header, size int) []byte {
	b.Helper()
	plen := max(size-h.Len()-packet.IPv6HeaderLen, 0)
	ih := packet.IPv6Header{NextHeader: packet.ProtoUDP, HopLimit: 64, Src: teredoA, Dst: teredoB}
	inner, err := ih.AppendTo(nil, plen)
	if err != nil {
		b.Fatal(err)
	}
	inner = append(inner, make([]byte, plen)...)
	p, err := teredo.AppendEncapsulate(nil, inner, h)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func benchDecode(b *testing.B, h *teredo.Header) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			payload := benchPayload(b, h, size)
			var p teredo.Packet
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if err := p.Decode(payload); err != nil {
					b.Fatal(err)
				}
				sinkBytes = p.Inner()
			}
		})
	}
}

// BenchmarkDecodeSimple decodes a payload without indicators, what a relay
// or peer receives most.
func BenchmarkDecodeSimple(b *testing.B) { benchDecode(b, nil) }

// BenchmarkDecodeAuthOrigin decodes a payload with an authentication
// indicator and an origin indication, and reads both.
func BenchmarkDecodeAuthOrigin(b *testing.B) {
	h := &teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: nonce}, Origin: mapped}
	for _, size := range benchSizes {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			payload := benchPayload(b, h, size)
			var p teredo.Packet
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if err := p.Decode(payload); err != nil {
					b.Fatal(err)
				}
				sinkNonce, _ = p.Nonce()
				sinkAP, _ = p.Origin()
				sinkBytes = p.Inner()
			}
		})
	}
}

// BenchmarkDecodeDatagram decodes a whole 1280-byte datagram as a raw socket
// delivers it: IPv4 (header checksum), UDP (checksum over the datagram),
// then the Teredo payload with auth and origin, down to the IPv6 view.
func BenchmarkDecodeDatagram(b *testing.B) {
	h := &teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: nonce}, Origin: mapped}
	o := &teredo.Outer{Src: netip.AddrPortFrom(srvPrimary, teredo.ServerPort), Dst: netip.MustParseAddrPort("203.0.113.5:51000")}
	for _, check := range []bool{false, true} {
		name := "nochecksum"
		if check {
			name = "udpchecksum"
		}
		b.Run(name, func(b *testing.B) {
			payload := benchPayload(b, h, 1280-teredo.DatagramHeaderLen)
			d, err := teredo.AppendDatagram(nil, o, payload)
			if err != nil || len(d) != 1280 {
				b.Fatal(err, len(d))
			}
			var (
				ip4 packet.IPv4
				u   packet.UDP
				p   teredo.Packet
			)
			b.ReportAllocs()
			b.SetBytes(int64(len(d)))
			for b.Loop() {
				if err := ip4.Decode(d); err != nil {
					b.Fatal(err)
				}
				if err := u.Decode(ip4.Payload()); err != nil {
					b.Fatal(err)
				}
				if check {
					if err := u.VerifyChecksum4(ip4.Src(), ip4.Dst()); err != nil {
						b.Fatal(err)
					}
				}
				if err := p.Decode(u.Payload()); err != nil {
					b.Fatal(err)
				}
				sinkAP, _ = p.Origin()
				sinkBytes = p.Inner()
			}
		})
	}
}

func BenchmarkAppendRouterSolicitation(b *testing.B) {
	h := &teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: nonce}}
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	b.SetBytes(61)
	for b.Loop() {
		var err error
		if sinkBytes, err = teredo.AppendRouterSolicitation(buf[:0], h, llClient); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendRouterAdvertisement(b *testing.B) {
	h := &teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: nonce}, Origin: mapped}
	f := &teredo.RAFields{Server: srvPrimary, Dst: llClient, MTU: 1280}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(117)
	for b.Loop() {
		var err error
		if sinkBytes, err = teredo.AppendRouterAdvertisement(buf[:0], h, f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendBubble(b *testing.B) {
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	b.SetBytes(40)
	for b.Loop() {
		var err error
		if sinkBytes, err = teredo.AppendBubble(buf[:0], nil, teredoA, teredoB, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateRouterAdvertisement(b *testing.B) {
	h := &teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: nonce}, Origin: mapped}
	payload, err := teredo.AppendRouterAdvertisement(nil, h, &teredo.RAFields{Server: srvPrimary, Dst: llClient, MTU: 1280})
	if err != nil {
		b.Fatal(err)
	}
	from := netip.AddrPortFrom(srvPrimary, teredo.ServerPort)
	sol := &teredo.Solicitation{Src: llClient, HasNonce: true, Nonce: nonce, Server: srvPrimary, Sender: from}
	var p teredo.Packet
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if err := p.Decode(payload); err != nil {
			b.Fatal(err)
		}
		if sinkRA, err = teredo.ValidateRouterAdvertisement(&p, from, sol); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseRouterSolicitation(b *testing.B) {
	payload, err := teredo.AppendRouterSolicitation(nil, &teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: nonce}}, llClient)
	if err != nil {
		b.Fatal(err)
	}
	var p teredo.Packet
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if err := p.Decode(payload); err != nil {
			b.Fatal(err)
		}
		if sinkRS, err = teredo.ParseRouterSolicitation(&p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncapsulate writes the indicators in place in front of an IPv6
// packet (no copy), with and without the outer IPv4 and UDP headers (the
// UDP checksum reads the whole packet).
func BenchmarkEncapsulate(b *testing.B) {
	h := &teredo.Header{Origin: mapped}
	o := &teredo.Outer{Src: netip.AddrPortFrom(srvPrimary, teredo.ServerPort), Dst: netip.MustParseAddrPort("203.0.113.5:51000")}
	for _, size := range benchSizes {
		inner := benchPayload(b, nil, size)
		buf := append(make([]byte, teredo.Headroom), inner...)
		b.Run(fmt.Sprintf("payload/%d", size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(inner)))
			for b.Loop() {
				var err error
				if sinkBytes, err = teredo.Encapsulate(buf, teredo.Headroom, h); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("datagram/%d", size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(inner)))
			for b.Loop() {
				var err error
				if sinkBytes, err = teredo.EncapsulateDatagram(buf, teredo.Headroom, h, o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAuthenticator signs and verifies a 1280-byte payload with
// HMAC-SHA1 (secure qualification, RFC 4380 §5.2.2).
func BenchmarkAuthenticator(b *testing.B) {
	a, err := teredo.NewAuthenticator([]byte("client-7"), []byte("key"))
	if err != nil {
		b.Fatal(err)
	}
	payload := benchPayload(b, &teredo.Header{HasAuth: true, Auth: a.Auth(nonce, 0), Origin: mapped}, 1280)
	if err := a.Sign(payload); err != nil {
		b.Fatal(err)
	}
	var p teredo.Packet
	if err := p.Decode(payload); err != nil {
		b.Fatal(err)
	}
	b.Run("Sign", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if err := a.Sign(payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Verify", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if err := a.Verify(&p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
