package addr

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
)

// Fuzz inputs are raw bytes; as16 pads or truncates them to one IPv6
// address so every input is used.
func as16(b []byte) [16]byte {
	var a [16]byte
	copy(a[:], b)
	return a
}

func hex16(s string) []byte {
	a := netip.MustParseAddr(s).As16()
	return a[:]
}

func FuzzDecodeTeredo(f *testing.F) {
	f.Add(hex16("2001:0:4136:e378:8000:63bf:3fff:fdd2"))    // Wikipedia vector, cone
	f.Add(hex16("2001:0:c000:201:8000:cfc6:3fff:fd74"))     // Miredo vector
	f.Add(hex16("2001::"))                                  // all-zero fields: client 255.255.255.255:65535
	f.Add(hex16("2001:0:ffff:ffff:ffff:ffff:ffff:ffff"))    // all-one fields: client 0.0.0.0:0, flags 0xffff
	f.Add(hex16("2001:0:4136:e378:4300:63bf:3fff:fdd2"))    // R, U and G set: not RFC 5991
	f.Add(hex16("3ffe:831f:4136:e378:8000:63bf:3fff:fdd2")) // legacy prefix: option only
	f.Add(hex16("2001:1::"))                                // just outside 2001::/32
	f.Add([]byte{0x20, 0x01})                               // short input, padded with zeros
	f.Fuzz(func(t *testing.T, in []byte) {
		b := as16(in)
		a := netip.AddrFrom16(b)
		te, err := DecodeTeredo(a)
		lte, lerr := TeredoOptions{AllowLegacyPrefix: true}.Decode(a)

		prefix := refBits(b, 0, 32)
		if (prefix == 0x20010000) != (err == nil) {
			t.Fatalf("DecodeTeredo(%s) error %v, prefix %#x", a, err, prefix)
		}
		if (prefix == 0x20010000 || prefix == 0x3ffe831f) != (lerr == nil) {
			t.Fatalf("legacy Decode(%s) error %v, prefix %#x", a, lerr, prefix)
		}
		if err != nil && !errors.Is(err, ErrNotTeredo) {
			t.Fatalf("DecodeTeredo(%s) error %v", a, err)
		}
		if lerr != nil {
			return
		}
		// Agreement with a slow bit-by-bit reference.
		want := Teredo{
			Server: refV4(refBits(b, 32, 32)),
			Flags:  uint16(refBits(b, 64, 16)),
			Client: netip.AddrPortFrom(refV4(refBits(b, 96, 32)^0xffffffff), uint16(refBits(b, 80, 16)^0xffff)),
			Legacy: prefix == 0x3ffe831f,
		}
		if lte != want {
			t.Fatalf("Decode(%s) = %+v, reference %+v", a, lte, want)
		}
		if err == nil && te != want {
			t.Fatalf("DecodeTeredo(%s) = %+v, reference %+v", a, te, want)
		}
		// decode → encode is the identity.
		if !lte.IsValid() || lte.Addr() != a {
			t.Fatalf("Decode(%s).Addr() = %s", a, lte.Addr())
		}
		if lte.Cone() != (b[8]&0x80 != 0) || lte.ConformsRFC5991() != (b[8]&0x43 == 0) {
			t.Fatalf("flag accessors disagree with byte 8 %#02x", b[8])
		}
		// The zone is ignored.
		if z, err := (TeredoOptions{AllowLegacyPrefix: true}).Decode(a.WithZone("t")); err != nil || z != lte {
			t.Fatalf("zoned decode = %+v, %v", z, err)
		}
	})
}

func FuzzDecodeTeredoServerLinkLocal(f *testing.F) {
	f.Add(hex16("fe80::8000:f227:bec9:1c87"))   // 65.54.227.120:3544
	f.Add(hex16("fe80::8000:ffff:ffff:fffe"))   // client cone link-local: rejected
	f.Add(hex16("fe80::ffff:ffff:ffff"))        // client link-local without cone bit
	f.Add(hex16("fe80::1:8000:f227:bec9:1c87")) // not fe80::/64
	f.Fuzz(func(t *testing.T, in []byte) {
		a := netip.AddrFrom16(as16(in))
		ap, err := DecodeTeredoServerLinkLocal(a)
		if err != nil {
			if !errors.Is(err, ErrNotTeredoServerLinkLocal) || ap.IsValid() {
				t.Fatalf("DecodeTeredoServerLinkLocal(%s) = %s, %v", a, ap, err)
			}
			return
		}
		if IsTeredoClientLinkLocal(a) {
			t.Fatalf("%s decoded as a server but is a client link-local", a)
		}
		if got := TeredoServerLinkLocal(ap); got != a {
			t.Fatalf("TeredoServerLinkLocal(%s) = %s, want %s", ap, got, a)
		}
	})
}

func FuzzDecodeSixToFour(f *testing.F) {
	f.Add(hex16("2002:c000:204:1::5"))                      // 192.0.2.4, SLA 1
	f.Add(hex16("2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff")) // all ones
	f.Add(hex16("2003::"))                                  // just outside 2002::/16
	f.Fuzz(func(t *testing.T, in []byte) {
		b := as16(in)
		a := netip.AddrFrom16(b)
		v4, sla, err := DecodeSixToFour(a)
		if (refBits(b, 0, 16) == 0x2002) != (err == nil) {
			t.Fatalf("DecodeSixToFour(%s) error %v", a, err)
		}
		if err != nil {
			if !errors.Is(err, ErrNotSixToFour) || v4.IsValid() || sla != 0 {
				t.Fatalf("DecodeSixToFour(%s) = %s, %d, %v", a, v4, sla, err)
			}
			return
		}
		if v4 != refV4(refBits(b, 16, 32)) || sla != uint16(refBits(b, 48, 16)) {
			t.Fatalf("DecodeSixToFour(%s) = %s, %d", a, v4, sla)
		}
		// The site prefix of v4 contains a.
		p, err := SixToFourSitePrefix(v4)
		if err != nil || !p.Contains(a) || p.Bits() != 48 {
			t.Fatalf("SixToFourSitePrefix(%s) = %s, %v; does not contain %s", v4, p, err, a)
		}
	})
}

func FuzzDecodeISATAP(f *testing.F) {
	f.Add(hex16("fe80::5efe:a00:5"))          // strict, u=0
	f.Add(hex16("fe80::200:5efe:808:808"))    // strict, u=1
	f.Add(hex16("fe80::100:5efe:a00:5"))      // lenient only (g bit)
	f.Add(hex16("fe80::300:5efe:a00:5"))      // lenient only (u and g)
	f.Add(hex16("fe80::400:5efe:a00:5"))      // neither
	f.Add(hex16("2001:db8:1:2:0:5eff:a00:5")) // wrong type byte
	f.Fuzz(func(t *testing.T, in []byte) {
		b := as16(in)
		a := netip.AddrFrom16(b)
		sv4, su, serr := DecodeISATAP(a, ISATAPStrict)
		lv4, lu, lerr := DecodeISATAP(a, ISATAPLenient)
		// strict ⊂ lenient, with the same result.
		if serr == nil && (lerr != nil || sv4 != lv4 || su != lu) {
			t.Fatalf("%s: strict %s %v %v, lenient %s %v %v", a, sv4, su, serr, lv4, lu, lerr)
		}
		iid := refBits(b, 64, 32)
		if (iid == 0x00005efe || iid == 0x02005efe) != (serr == nil) {
			t.Fatalf("%s: strict error %v", a, serr)
		}
		if (iid>>24 <= 3 && iid&0xffffff == 0x5efe) != (lerr == nil) {
			t.Fatalf("%s: lenient error %v", a, lerr)
		}
		if lerr != nil {
			if !errors.Is(lerr, ErrNotISATAP) {
				t.Fatalf("%s: lenient error %v", a, lerr)
			}
			return
		}
		if lv4 != refV4(refBits(b, 96, 32)) || lu != (b[8]&2 != 0) {
			t.Fatalf("%s: lenient = %s, %v", a, lv4, lu)
		}
		if serr == nil {
			// Rebuilding from the /64 gives the address back.
			p := netip.PrefixFrom(a, 64)
			got, err := ISATAPAddr(p, sv4, su)
			if err != nil || got != a {
				t.Fatalf("ISATAPAddr(%s, %s, %v) = %s, %v; want %s", p, sv4, su, got, err, a)
			}
		}
	})
}

var nat64Lens = [...]int{32, 40, 48, 56, 64, 96}

// refNAT64Bits returns the 32 bits after the first pl bits of b, skipping
// bits 64–71.
func refNAT64Bits(b [16]byte, pl int) uint64 {
	var v uint64
	for i, n := pl, 0; n < 32; i++ {
		if i >= 64 && i < 72 {
			continue
		}
		v = v<<1 | refBits(b, i, 1)
		n++
	}
	return v
}

func FuzzNAT64(f *testing.F) {
	f.Add(hex16("2001:db8:122:344::"), uint8(0), uint32(0xc0000221))                      // RFC 6052 §2.4, /32
	f.Add(hex16("2001:db8:122:344::"), uint8(3), uint32(0xc0000221))                      // /56
	f.Add(hex16("64:ff9b::"), uint8(5), uint32(0x7f000001))                               // well-known prefix
	f.Add(hex16("2001:db8:0:0:ff00::"), uint8(5), uint32(0x08080808))                     // /96 with u-octet set: rejected
	f.Add(hex16("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), uint8(4), uint32(0xffffffff)) // all ones
	f.Fuzz(func(t *testing.T, in []byte, lenIdx uint8, v uint32) {
		b := as16(in)
		pl := nat64Lens[int(lenIdx)%len(nat64Lens)]
		prefix := netip.PrefixFrom(netip.AddrFrom16(b), pl)
		v4 := refV4(uint64(v))

		a, err := NAT64Embed(prefix, v4)
		uSet := pl == 96 && b[8] != 0
		if uSet {
			if !errors.Is(err, ErrNAT64UOctet) {
				t.Fatalf("NAT64Embed(%s) error %v, want ErrNAT64UOctet", prefix, err)
			}
		} else {
			if err != nil {
				t.Fatalf("NAT64Embed(%s, %s): %v", prefix, v4, err)
			}
			if a.As16() != refNAT64Embed(b, pl, v) || !prefix.Contains(a) {
				t.Fatalf("NAT64Embed(%s, %s) = %s, reference %s", prefix, v4, a, netip.AddrFrom16(refNAT64Embed(b, pl, v)))
			}
			if got, err := NAT64Extract(prefix, a); err != nil || got != v4 {
				t.Fatalf("NAT64Extract(%s, %s) = %s, %v; want %s", prefix, a, got, err, v4)
			}
		}

		// Extracting from an arbitrary address under the prefix agrees with
		// the reference, and re-embedding gives the address with a zero
		// suffix.
		raw := netip.AddrFrom16(as16(append(slices.Clone(in), 0xa5)[1:]))
		for _, x := range []netip.Addr{netip.AddrFrom16(b), raw} {
			got, err := NAT64Extract(prefix, x)
			xb := x.As16()
			switch {
			case uSet:
				if !errors.Is(err, ErrNAT64UOctet) {
					t.Fatalf("NAT64Extract(%s, %s) error %v", prefix, x, err)
				}
			case !prefix.Contains(x):
				if !errors.Is(err, ErrNotNAT64) {
					t.Fatalf("NAT64Extract(%s, %s) error %v, want ErrNotNAT64", prefix, x, err)
				}
			case xb[8] != 0:
				if !errors.Is(err, ErrNAT64UOctet) {
					t.Fatalf("NAT64Extract(%s, %s) error %v, want ErrNAT64UOctet", prefix, x, err)
				}
			default:
				if err != nil || got != refV4(refNAT64Bits(xb, pl)) {
					t.Fatalf("NAT64Extract(%s, %s) = %s, %v", prefix, x, got, err)
				}
				back, err := NAT64Embed(prefix, got)
				if err != nil || back.As16() != refNAT64Embed(xb, pl, uint32(refNAT64Bits(xb, pl))) {
					t.Fatalf("NAT64Embed(%s, %s) = %s, %v; from %s", prefix, got, back, err, x)
				}
			}
		}
	})
}

// refNAT64Embed builds a NAT64 address bit by bit: the first pl bits of p,
// then the 32 bits of v skipping bits 64–71, then zeros.
func refNAT64Embed(p [16]byte, pl int, v uint32) [16]byte {
	var out [16]byte
	set := func(i int, bit uint64) {
		if bit == 1 {
			out[i/8] |= 0x80 >> (i % 8)
		}
	}
	for i := 0; i < pl; i++ {
		set(i, refBits(p, i, 1))
	}
	for i, n := pl, 0; n < 32; i++ {
		if i >= 64 && i < 72 {
			continue
		}
		set(i, uint64(v>>(31-n))&1)
		n++
	}
	return out
}

func FuzzEmbeddedIPv4(f *testing.F) {
	f.Add(hex16("2001:0:4136:e378:200:5efe:3fff:fdd2")) // Teredo that also looks like ISATAP: three entries
	f.Add(hex16("2002:808:808:1:200:5efe:a00:1"))       // 6to4 and ISATAP
	f.Add(hex16("64:ff9b:1:a00:0:5efe:c000:204"))       // local-use NAT64 and ISATAP
	f.Add(hex16("64:ff9b::7f00:1"))                     // NAT64 well-known
	f.Add(hex16("::ffff:169.254.169.254"))              // mapped
	f.Add(hex16("::2"))                                 // smallest compatible
	f.Add(hex16("::1"))                                 // loopback, not compatible
	f.Fuzz(func(t *testing.T, in []byte) {
		a := netip.AddrFrom16(as16(in))
		s := EmbeddedIPv4(a)
		want := refEmbedded(a)
		if got := embeddedSlice(s); !slices.Equal(got, want) {
			t.Fatalf("EmbeddedIPv4(%s) = %v, reference %v", a, got, want)
		}
		if s.Len() > maxEmbedded || len(want) > maxEmbedded {
			t.Fatalf("%s carries %d addresses", a, len(want))
		}
		for i := 0; i < s.Len(); i++ {
			if e := s.At(i); !e.IPv4.Is4() || e.Role.String() == "unknown" || e.Role == 0 {
				t.Fatalf("EmbeddedIPv4(%s).At(%d) = %v", a, i, e)
			}
		}
		k := KindOf(a)
		if (s.Len() == 0) != (k == KindIPv6) || s.Len() > 0 && k != s.At(0).Role.Kind() {
			t.Fatalf("KindOf(%s) = %s with %v", a, k, want)
		}
	})
}

var fuzzLab = NewClassifier(netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("fd00::/8"))

func FuzzIsPublic(f *testing.F) {
	f.Add(hex16("2002:808:808::"))                         // public 6to4
	f.Add(hex16("2002:a9fe:a9fe::"))                       // 6to4 of the metadata address
	f.Add(hex16("2001:0:4136:e378:8000:63bf:80ff:fffe"))   // Teredo client 127.0.0.1
	f.Add(hex16("64:ff9b::808:808"))                       // NAT64 public
	f.Add(hex16("::ffff:8.8.8.8"))                         // mapped public
	f.Add(hex16("2001:1::3"))                              // registry exception inside 2001::/23
	f.Add(hex16("3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff")) // last address of 3fff::/20
	f.Add(hex16("2001:db8:1:2:0:5efe:a00:5"))              // lab override range with private ISATAP
	f.Fuzz(func(t *testing.T, in []byte) {
		b := as16(in)
		v6 := netip.AddrFrom16(b)
		v4 := netip.AddrFrom4([4]byte(b[:4]))
		for _, a := range []netip.Addr{v6, v4, v6.WithZone("eth0")} {
			for _, c := range []*Classifier{nil, fuzzLab} {
				got := c.IsPublic(a)
				if want := refIsPublic(c, a); got != want {
					t.Fatalf("IsPublic(%s) = %v, reference %v (lab %v)", a, got, want, c != nil)
				}
				for _, e := range EmbeddedIPv4(a).All() {
					if got && !c.IsGlobalIPv4(e.IPv4) {
						t.Fatalf("IsPublic(%s) with non-global %v", a, e)
					}
				}
				if a.Zone() != "" && got {
					t.Fatalf("IsPublic(%s) with a zone", a)
				}
			}
		}
		if got, want := IsGlobalIPv4(v4), refGlobalIPv4(nil, v4); got != want {
			t.Fatalf("IsGlobalIPv4(%s) = %v, reference %v", v4, got, want)
		}
		r4, ok4 := LookupIPv4(v4)
		if w, wok := refLookup(refIPv4Table, v4); ok4 != wok || r4 != w {
			t.Fatalf("LookupIPv4(%s) = %+v, reference %+v", v4, r4, w)
		}
		r6, ok6 := LookupIPv6(v6)
		if w, wok := refLookup(refIPv6Table, v6); ok6 != wok || r6 != w {
			t.Fatalf("LookupIPv6(%s) = %+v, reference %+v", v6, r6, w)
		}
	})
}
