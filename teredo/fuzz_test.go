package teredo_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"unsafe"

	"github.com/transit6/transit6/packet"
	"github.com/transit6/transit6/teredo"
)

// within reports whether sub lies inside b (an empty sub always does).
func within(sub, b []byte) bool {
	if len(sub) == 0 {
		return true
	}
	s := uintptr(unsafe.Pointer(unsafe.SliceData(sub)))
	base := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return s >= base && s+uintptr(len(sub)) <= base+uintptr(len(b))
}

// refPacket is what the reference decoder finds in a payload.
type refPacket struct {
	hasAuth   bool
	id, value []byte
	nonce     [8]byte
	conf      byte
	hasOrigin bool
	origin    netip.AddrPort
	ipOff     int
	ipLen     int
	trailers  [][]byte
}

// refDecode is the slow reference decoder, re-stated from RFC 4380 §5.1.1
// (indicators: 00 01 authentication, 00 00 origin, authentication first,
// each at most once), RFC 8200 §3 (IPv6 header), RFC 2675 (jumbograms) and
// RFC 6081 §4 / [MS-TERR] §2.2.2 (trailers), in the error precedence
// Packet.Decode documents: front to back, first fault wins.
func refDecode(b []byte) (refPacket, error) {
	var r refPacket
	if len(b) < 2 {
		return r, teredo.ErrTooShort
	}
	i := 0
	for i+2 <= len(b) && b[i] == 0x00 {
		switch b[i+1] {
		case 0x01:
			if r.hasOrigin {
				return r, teredo.ErrAuthAfterOrigin
			}
			if r.hasAuth {
				return r, teredo.ErrDuplicateAuth
			}
			if i+4 > len(b) {
				return r, teredo.ErrAuthTruncated
			}
			idLen, auLen := int(b[i+2]), int(b[i+3])
			end := i + 4 + idLen + auLen + 8 + 1
			if end > len(b) {
				return r, teredo.ErrAuthTruncated
			}
			r.hasAuth = true
			r.id = b[i+4 : i+4+idLen]
			r.value = b[i+4+idLen : i+4+idLen+auLen]
			copy(r.nonce[:], b[end-9:end-1])
			r.conf = b[end-1]
			i = end
		case 0x00:
			if r.hasOrigin {
				return r, teredo.ErrDuplicateOrigin
			}
			if i+8 > len(b) {
				return r, teredo.ErrOriginTruncated
			}
			port := uint16(b[i+2])<<8 | uint16(b[i+3])
			r.hasOrigin = true
			r.origin = netip.AddrPortFrom(
				netip.AddrFrom4([4]byte{b[i+4] ^ 0xff, b[i+5] ^ 0xff, b[i+6] ^ 0xff, b[i+7] ^ 0xff}),
				port^0xffff)
			i += 8
		default:
			return r, teredo.ErrUnknownIndicator
		}
	}
	rest := b[i:]
	if len(rest) > 0 && rest[0]>>4 != 6 {
		return r, teredo.ErrNotIPv6
	}
	if len(rest) < 40 {
		return r, teredo.ErrShortIPv6
	}
	plen := int(rest[4])<<8 | int(rest[5])
	if 40+plen > len(rest) {
		return r, teredo.ErrIPv6Length
	}
	if plen == 0 && rest[6] == 0 && refJumbo(rest[40:]) {
		return r, packet.ErrJumbogram
	}
	r.ipOff, r.ipLen = i, 40+plen
	trailers, err := refTrailers(rest[40+plen:])
	if err != nil {
		return r, err
	}
	r.trailers = trailers
	return r, nil
}

// refJumbo reports whether b starts with a well-formed Hop-by-Hop header
// holding a Jumbo Payload option (type 0xC2, RFC 2675 §2).
func refJumbo(b []byte) bool {
	if len(b) < 2 || (int(b[1])+1)*8 > len(b) {
		return false
	}
	opts := b[2 : (int(b[1])+1)*8]
	jumbo := false
	for j := 0; j < len(opts); {
		if opts[j] == 0 {
			j++
			continue
		}
		if j+2 > len(opts) || j+2+int(opts[j+1]) > len(opts) {
			return false
		}
		jumbo = jumbo || opts[j] == 0xc2
		j += 2 + int(opts[j+1])
	}
	return jumbo
}

// refTrailers splits b into trailers (type, length, value) and checks the
// Alternate Address trailer: length 8, 14, 20 or 26, reserved 0, then per
// entry a unicast IPv4 address (not 0/8, 127/8, 224/3) and a port other
// than 0.
func refTrailers(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 2 || 2+int(b[1]) > len(b) {
			return out, teredo.ErrTrailerTruncated
		}
		t := b[:2+int(b[1])]
		if t[0] == 3 {
			if l := t[1]; l != 8 && l != 14 && l != 20 && l != 26 {
				return out, teredo.ErrAltAddrLength
			}
			if t[2] != 0 || t[3] != 0 {
				return out, teredo.ErrAltAddrReserved
			}
			for e := 4; e < len(t); e += 6 {
				if t[e] == 0 || t[e] == 127 || t[e] >= 224 {
					return out, teredo.ErrAltAddrIPv4
				}
				if t[e+4] == 0 && t[e+5] == 0 {
					return out, teredo.ErrAltAddrPort
				}
			}
		}
		out = append(out, t)
		b = b[len(t):]
	}
	return out, nil
}

// decodeSeeds returns the seed payloads of FuzzDecode, FuzzParseRS and
// FuzzValidateRA, each commented with its edge case.
func decodeSeeds(f *testing.F) [][]byte {
	full := &teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: nonce}, Origin: mapped}
	rs, _ := teredo.AppendRouterSolicitation(nil, full, llClient)
	ra, _ := teredo.AppendRouterAdvertisement(nil, full, &teredo.RAFields{Server: srvPrimary, Dst: llClient, MTU: 1280})
	bubble, _ := teredo.AppendBubble(nil, nil, teredoA, teredoB, 0)
	return [][]byte{
		{},                             // empty payload
		{0x60},                         // one byte
		hx(f, hBubble),                 // simple bubble, 40 bytes
		hx(f, hAuth+hOrigin+hBubble),   // auth + origin + bubble
		hx(f, hOrigin+hAuth+hBubble),   // auth after origin
		hx(f, hAuth+hAuth+hBubble),     // two auths
		hx(f, hOrigin+hOrigin+hBubble), // two origins
		hx(f, "0001 ff ff 0102030405060708 00"+hBubble),                        // auth 255/255 beyond the datagram
		hx(f, "0002"+hBubble),                                                  // unknown indicator
		hx(f, "4500 0014 0000 4000 4011 0000 c0000201 c0000202"),               // IPv4 packet
		hx(f, "6000 0000 0009 3b ff "+hTeredoA+hTeredoB+"00"),                  // Payload Length beyond the datagram
		hx(f, hBubble+"03 08 0000 c0a80102 0d96 7e 00"),                        // alternate address and unknown trailers
		hx(f, hBubble+"03 08 0001 c0a80102 0d96"),                              // alt address reserved field set
		hx(f, hBubble+"03 09 0000 c0a80102 0d96 00"),                           // alt address bad length
		hx(f, hBubble+"7e"),                                                    // stray trailer byte
		hx(f, "6000 0000 0000 00 ff "+hTeredoA+hTeredoB+" 3b00 c204 00010000"), // jumbogram
		hx(f, "6000 0000 0000 00 ff "+hTeredoA+hTeredoB+" 3b00 c20a 00010000"), // HBH option overrun: not a jumbogram
		rs, // Router Solicitation with auth and origin
		ra, // Router Advertisement with auth, origin, MTU
		append(append([]byte{}, bubble...), 0x01, 0x04, 1, 2, 3, 4),                // nonce trailer [MEM]
		hx(f, "0001 02 03 aabb ccddee 0102030405060708 09"+hOrigin+hBubble+"7e00"), // auth with id and value, trailer
	}
}

func FuzzDecode(f *testing.F) {
	for _, b := range decodeSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p teredo.Packet
		err := p.Decode(b)
		ref, rerr := refDecode(b)
		if !errors.Is(err, rerr) || (err == nil) != (rerr == nil) {
			t.Fatalf("Decode: %v, reference: %v", err, rerr)
		}
		if err != nil {
			if p.IsValid() || p.Bytes() != nil {
				t.Fatal("failed Decode left a valid Packet")
			}
			return
		}
		// The view agrees with the reference.
		a, ok := p.Auth()
		if ok != ref.hasAuth || !bytes.Equal(a.ClientID, ref.id) || !bytes.Equal(a.Value, ref.value) ||
			a.Nonce != ref.nonce || a.Confirmation != ref.conf {
			t.Fatalf("auth %v %+v, reference %+v", ok, a, ref)
		}
		if n, ok := p.Nonce(); ok != ref.hasAuth || n != ref.nonce {
			t.Fatal("Nonce disagrees with Auth")
		}
		if c, ok := p.Confirmation(); ok != ref.hasAuth || c != ref.conf {
			t.Fatal("Confirmation disagrees with Auth")
		}
		if o, ok := p.Origin(); ok != ref.hasOrigin || o != ref.origin {
			t.Fatalf("origin %v %v, reference %v", ok, o, ref.origin)
		}
		if p.HeaderLen() != ref.ipOff || !bytes.Equal(p.Inner(), b[ref.ipOff:ref.ipOff+ref.ipLen]) {
			t.Fatalf("inner at %d+%d, reference %d+%d", p.HeaderLen(), len(p.Inner()), ref.ipOff, ref.ipLen)
		}
		if p.IsBubble() != (ref.ipLen == 40 && b[ref.ipOff+6] == 59) {
			t.Fatal("IsBubble disagrees")
		}
		it := p.Trailers()
		var trs [][]byte
		for tr, ok := it.Next(); ok; tr, ok = it.Next() {
			trs = append(trs, tr.Bytes())
			if !within(tr.Bytes(), b) {
				t.Fatal("trailer outside the input")
			}
		}
		if it.Err() != nil || len(trs) != len(ref.trailers) {
			t.Fatalf("trailers %v (%v), reference %v", trs, it.Err(), ref.trailers)
		}
		for i := range trs {
			if !bytes.Equal(trs[i], ref.trailers[i]) {
				t.Fatalf("trailer %d: %x, reference %x", i, trs[i], ref.trailers[i])
			}
		}
		// Every returned slice lies inside the input.
		for _, s := range [][]byte{a.ClientID, a.Value, p.Inner(), p.Trailer(), p.Bytes(), p.IPv6().Payload()} {
			if !within(s, b) {
				t.Fatal("slice outside the input")
			}
		}
		// decode → build → decode is the identity.
		h := p.Header()
		inner := append(append([]byte{}, p.Inner()...), p.Trailer()...)
		re, err := teredo.AppendEncapsulate(nil, inner, &h)
		if err != nil {
			t.Fatalf("rebuild: %v", err)
		}
		if len(b) <= teredo.MaxPayloadLen && !bytes.Equal(re, b) {
			t.Fatalf("rebuilt %x from %x", re, b)
		}
		buf := append(make([]byte, h.Len()), inner...)
		inPlace, err := teredo.Encapsulate(buf, h.Len(), &h)
		if err != nil || !bytes.Equal(inPlace, re) {
			t.Fatalf("in place: %v %x", err, inPlace)
		}
		var q teredo.Packet
		if err := q.Decode(re); err != nil || q.HeaderLen() != p.HeaderLen() || !bytes.Equal(q.Inner(), p.Inner()) {
			t.Fatalf("redecode: %v", err)
		}
	})
}

func FuzzTrailers(f *testing.F) {
	f.Add([]byte{})                                                                  // no trailer
	f.Add(hx(f, "7e"))                                                               // type byte only
	f.Add(hx(f, "7e 00"))                                                            // zero-length unknown trailer
	f.Add(hx(f, "7e 03 abcd"))                                                       // value past the end
	f.Add(hx(f, "01 04 01020304"))                                                   // nonce trailer [MEM], skipped as unknown
	f.Add(hx(f, "05 02 1234"))                                                       // random port trailer [MEM], skipped as unknown
	f.Add(hx(f, "03 08 0000 c0a80102 0d96"))                                         // one alternate address
	f.Add(hx(f, "03 1a 0000"+"c0a801020d96 0a0000010001 ac100001ffff cb0071011234")) // four alternate addresses
	f.Add(hx(f, "03 0e 0000 c0a80102 0d96 0a000001 0000"))                           // second port 0
	f.Add(hx(f, "03 08 0000 e0000001 0d96"))                                         // multicast alternate address
	f.Add(hx(f, "03 02 0000"))                                                       // alt address with no entry
	f.Add(hx(f, "03 08 00ff c0a80102 0d96"))                                         // reserved not zero
	f.Add(hx(f, "7e 00 03 08 0000 c0a80102 0d96 05 02 1234"))                        // a sequence
	f.Fuzz(func(t *testing.T, b []byte) {
		it := teredo.Trailers(b)
		var got [][]byte
		for tr, ok := it.Next(); ok; tr, ok = it.Next() {
			if !within(tr.Bytes(), b) || !within(tr.Value(), b) {
				t.Fatal("trailer outside the input")
			}
			got = append(got, tr.Bytes())
			if tr.Type() == teredo.TrailerAltAddress {
				as, err := tr.AppendAltAddrs(nil)
				if err != nil || len(as) != tr.NumAltAddrs() || len(as) < 1 || len(as) > 4 {
					t.Fatalf("alt addrs %v %v", as, err)
				}
				// The builder reproduces a valid alternate address trailer.
				re, err := teredo.AppendAltAddrTrailer(nil, as)
				if err != nil || !bytes.Equal(re, tr.Bytes()) {
					t.Fatalf("rebuilt %x from %x (%v)", re, tr.Bytes(), err)
				}
			} else {
				re, err := teredo.AppendTrailer(nil, tr.Type(), tr.Value())
				if err != nil || !bytes.Equal(re, tr.Bytes()) {
					t.Fatalf("rebuilt %x from %x (%v)", re, tr.Bytes(), err)
				}
			}
		}
		ref, rerr := refTrailers(b)
		if !errors.Is(it.Err(), rerr) || (it.Err() == nil) != (rerr == nil) {
			t.Fatalf("error %v, reference %v", it.Err(), rerr)
		}
		if len(got) != len(ref) {
			t.Fatalf("%d trailers, reference %d", len(got), len(ref))
		}
		for i := range got {
			if !bytes.Equal(got[i], ref[i]) {
				t.Fatalf("trailer %d: %x, reference %x", i, got[i], ref[i])
			}
		}
		if _, ok := it.Next(); ok {
			t.Fatal("iteration resumed")
		}
	})
}

// refICMPv6 re-states, from the raw IPv6 packet ip (Next Header 58, no
// extension headers), the ICMPv6 checks of RFC 4443 §2.3 and the RFC 4861
// Neighbor Discovery checks the packet package applies to a message of
// type want (133 or 134): checksum, type, RA source link-local, hop limit
// 255, code 0, minimum length, options that frame (Length ≠ 0, no overrun)
// with well-formed PIO (32 bytes, prefix length ≤ 128) and MTU (8 bytes)
// options. It returns the options on success.
func refICMPv6ND(ip []byte, want uint8) (opts [][]byte, ok bool) {
	msg := ip[40:]
	if len(msg) < 4 || refICMPv6Sum(ip) != 0xffff {
		return nil, false
	}
	minLen := 8
	if want == 134 {
		minLen = 16
	}
	if msg[0] != want || (want == 134 && !(ip[8] == 0xfe && ip[9]&0xc0 == 0x80)) || ip[7] != 255 || msg[1] != 0 || len(msg) < minLen {
		return nil, false
	}
	for o := msg[minLen:]; len(o) > 0; {
		if len(o) < 2 || o[1] == 0 || int(o[1])*8 > len(o) {
			return nil, false
		}
		opt := o[:int(o[1])*8]
		if (opt[0] == 3 && (len(opt) != 32 || opt[2] > 128)) || (opt[0] == 5 && len(opt) != 8) {
			return nil, false
		}
		opts = append(opts, opt)
		o = o[len(opt):]
	}
	return opts, true
}

// refICMPv6Sum returns the one's-complement sum of the ICMPv6 message after
// the 40-byte IPv6 header ip[:40] and its pseudo-header (RFC 8200 §8.1),
// 16 bits at a time: 0xffff when the checksum is right.
func refICMPv6Sum(ip []byte) uint16 {
	msg := ip[40:]
	pseudo := make([]byte, 0, 40+len(msg)+1)
	pseudo = append(pseudo, ip[8:40]...)
	pseudo = binary.BigEndian.AppendUint32(pseudo, uint32(len(msg)))
	pseudo = append(pseudo, 0, 0, 0, 58)
	pseudo = append(pseudo, msg...)
	if len(pseudo)%2 == 1 {
		pseudo = append(pseudo, 0)
	}
	var sum uint32
	for i := 0; i < len(pseudo); i += 2 {
		sum += uint32(pseudo[i])<<8 | uint32(pseudo[i+1])
	}
	for sum>>16 != 0 {
		sum = sum>>16 + sum&0xffff
	}
	return uint16(sum)
}

// fixChecksum returns a copy of the Teredo payload b whose ICMPv6 checksum
// is recomputed, when b decodes (per the reference) to an IPv6 packet with
// Next Header 58 and at least 4 bytes of message, so that mutated messages
// reach the checks after the checksum; else b itself.
func fixChecksum(b []byte) []byte {
	r, err := refDecode(b)
	if err != nil || r.ipLen < 44 || b[r.ipOff+6] != 58 {
		return b
	}
	c := bytes.Clone(b)
	ip := c[r.ipOff : r.ipOff+r.ipLen]
	ip[42], ip[43] = 0, 0
	binary.BigEndian.PutUint16(ip[42:], ^refICMPv6Sum(ip))
	return c
}

func FuzzParseRS(f *testing.F) {
	for _, b := range decodeSeeds(f) {
		f.Add(b, true) // each payload, its ICMPv6 checksum recomputed after mutation
	}
	for _, src := range []netip.Addr{teredo.ClientLinkLocal(true), teredoA} {
		b, _ := teredo.AppendRouterSolicitation(nil, nil, src) // cone RS without auth; refused Teredo source
		f.Add(b, false)
	}
	f.Fuzz(func(t *testing.T, b []byte, fix bool) {
		if fix {
			b = fixChecksum(b)
		}
		var p teredo.Packet
		if p.Decode(b) != nil {
			return
		}
		rs, err := teredo.ParseRouterSolicitation(&p)
		ip := p.Inner()
		// Reference: RFC 4380 §5.3 case 4 on the raw bytes.
		refOK := ip[8] == 0xfe && ip[9]&0xc0 == 0x80 &&
			bytes.Equal(ip[24:40], []byte{0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2})
		if ip[6] == 58 {
			_, ok := refICMPv6ND(ip, 133)
			refOK = refOK && ok
			if (err == nil) != refOK {
				t.Fatalf("ParseRouterSolicitation: %v, reference ok %v", err, refOK)
			}
		} else if !refOK && err == nil {
			t.Fatal("accepted an RS the reference refuses")
		}
		if err != nil {
			if rs != (teredo.RSInfo{}) {
				t.Fatal("non-zero RSInfo on error")
			}
			return
		}
		n, hasNonce := p.Nonce()
		if rs.Src != p.IPv6().Src() || rs.Cone != (ip[16]&0x80 != 0) || rs.HasNonce != hasNonce || rs.Nonce != n {
			t.Fatalf("RSInfo %+v", rs)
		}
		// The builder reproduces an RS without options from what was parsed.
		if len(ip) == 48 && ip[6] == 58 {
			h := p.Header()
			re, err := teredo.AppendRouterSolicitation(nil, &h, rs.Src)
			if err != nil {
				t.Fatal(err)
			}
			var q teredo.Packet
			if err := q.Decode(re); err != nil {
				t.Fatal(err)
			}
			if rs2, err := teredo.ParseRouterSolicitation(&q); err != nil || rs2 != rs {
				t.Fatalf("rebuilt RS: %+v %v", rs2, err)
			}
		}
	})
}

func FuzzValidateRA(f *testing.F) {
	for _, b := range decodeSeeds(f) {
		f.Add(b, uint16(3544), true, true) // each payload, from the server port, answering an RS with a nonce, checksum fixed after mutation
	}
	full := &teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: nonce}, Origin: mapped}
	for _, mtu := range []uint32{0, 1279, 65536} {
		b, _ := teredo.AppendRouterAdvertisement(nil, full, &teredo.RAFields{Server: srvPrimary, Dst: llClient, MTU: mtu}) // no MTU option; MTU out of range
		f.Add(b, uint16(3544), true, true)
	}
	noOrigin, _ := teredo.AppendRouterAdvertisement(nil, &teredo.Header{HasAuth: true}, &teredo.RAFields{Server: srvPrimary, Dst: llClient})
	f.Add(noOrigin, uint16(3544), false, true) // no origin indication, solicitation without nonce
	other, _ := teredo.AppendRouterAdvertisement(nil, full, &teredo.RAFields{Server: srvSecondary, Dst: llClient})
	f.Add(other, uint16(3544), true, true) // prefix names another server
	ra, _ := teredo.AppendRouterAdvertisement(nil, full, &teredo.RAFields{Server: srvPrimary, Dst: llClient})
	f.Add(ra, uint16(3545), true, false) // wrong source port
	f.Fuzz(func(t *testing.T, b []byte, port uint16, hasNonce, fix bool) {
		if fix {
			b = fixChecksum(b)
		}
		var p teredo.Packet
		if p.Decode(b) != nil {
			return
		}
		sender := netip.AddrPortFrom(srvPrimary, teredo.ServerPort)
		sol := &teredo.Solicitation{Src: llClient, HasNonce: hasNonce, Nonce: nonce, Server: srvPrimary, Sender: sender}
		from := netip.AddrPortFrom(srvPrimary, port)
		info, err := teredo.ValidateRouterAdvertisement(&p, from, sol)

		// Reference: RFC 4380 §5.2.1 on the raw bytes, in the documented
		// order.
		ip := p.Inner()
		a, hasAuth := p.Auth()
		var refErr error
		switch {
		case port != teredo.ServerPort:
			refErr = teredo.ErrRASender
		case !p.HasOrigin():
			refErr = teredo.ErrRANoOrigin
		case hasNonce && !hasAuth:
			refErr = teredo.ErrRANoAuth
		case hasNonce && a.Nonce != nonce:
			refErr = teredo.ErrRANonce
		case netip.AddrFrom16([16]byte(ip[24:40])) != llClient:
			refErr = teredo.ErrRADestination
		}
		if refErr != nil || ip[6] == 58 {
			var pios, mtus [][]byte
			if refErr == nil {
				opts, ok := refICMPv6ND(ip, 134)
				if !ok {
					// An ICMPv6 or ND fault: a packet error, found before
					// the Teredo checks of the options.
					for _, late := range []error{nil, teredo.ErrRAPrefixCount, teredo.ErrRAPrefixLen, teredo.ErrRAPrefix, teredo.ErrRAServer, teredo.ErrRAMTU} {
						if errors.Is(err, late) {
							t.Fatalf("invalid RA message: got %v", err)
						}
					}
					return
				}
				for _, o := range opts {
					switch o[0] {
					case 3:
						pios = append(pios, o)
					case 5:
						mtus = append(mtus, o)
					}
				}
			}
			switch {
			case refErr != nil:
			case len(pios) != 1:
				refErr = teredo.ErrRAPrefixCount
			case pios[0][2] != 64:
				refErr = teredo.ErrRAPrefixLen
			case !bytes.Equal(pios[0][16:20], []byte{0x20, 0x01, 0, 0}):
				refErr = teredo.ErrRAPrefix
			case !bytes.Equal(pios[0][20:24], []byte{192, 0, 2, 1}):
				refErr = teredo.ErrRAServer
			case len(mtus) > 0 && (binary.BigEndian.Uint32(mtus[0][4:]) < 1280 || binary.BigEndian.Uint32(mtus[0][4:]) > 65535):
				refErr = teredo.ErrRAMTU
			}
			if !errors.Is(err, refErr) || (err == nil) != (refErr == nil) {
				t.Fatalf("ValidateRouterAdvertisement: %v, reference %v", err, refErr)
			}
		}
		if err != nil {
			if info != (teredo.RAInfo{}) {
				t.Fatal("non-zero RAInfo on error")
			}
			return
		}
		// Properties of an accepted advertisement.
		o, _ := p.Origin()
		if info.Mapped != o || info.Server != srvPrimary || info.Prefix != teredo.ServerPrefix(srvPrimary) ||
			(info.MTU != 0 && (info.MTU < teredo.MinMTU || info.MTU > teredo.MaxMTU)) || info.Confirmation != a.Confirmation {
			t.Fatalf("RAInfo %+v", info)
		}
		// The address is in the advertised prefix and encodes the mapping.
		ta := info.Teredo(0)
		if !info.Prefix.Contains(ta.Addr()) || ta.Client != o {
			t.Fatalf("address %v", ta.Addr())
		}
	})
}
