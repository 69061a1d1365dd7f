package addr_test

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"

	"github.com/transit6/transit6/addr"
)

// sixrdBit returns bit i (0 = most significant) of b.
func sixrdBit(b []byte, i int) byte { return b[i/8] >> (7 - i%8) & 1 }

// sixrdSetBit sets bit i (0 = most significant) of b to v.
func sixrdSetBit(b []byte, i int, v byte) {
	if v != 0 {
		b[i/8] |= 0x80 >> (i % 8)
	} else {
		b[i/8] &^= 0x80 >> (i % 8)
	}
}

// sixrdRefCheck is the configuration check of RFC 5969 written out plainly,
// in the documented order.
func sixrdRefCheck(c addr.SixRD) error {
	switch {
	case !c.Prefix.IsValid():
		return addr.ErrSixRDPrefixLen
	case !c.Prefix.Addr().Is6():
		return addr.ErrNotIPv6Prefix
	}
	a := c.Prefix.Addr().As16()
	for i := c.Prefix.Bits(); i < 128; i++ {
		if sixrdBit(a[:], i) != 0 {
			return addr.ErrSixRDHostBits
		}
	}
	if c.IPv4MaskLen < 0 || c.IPv4MaskLen > 32 {
		return addr.ErrSixRDMaskLen
	}
	if c.Prefix.Bits()+32-c.IPv4MaskLen > 128 {
		return addr.ErrSixRDDelegatedTooLong
	}
	return nil
}

// sixrdRefDelegated builds the delegated prefix one bit at a time: bit i of
// the CE address (i >= IPv4MaskLen) goes to bit n+i-IPv4MaskLen.
func sixrdRefDelegated(c addr.SixRD, ce netip.Addr) (netip.Prefix, error) {
	if err := sixrdRefCheck(c); err != nil {
		return netip.Prefix{}, err
	}
	if !ce.Is4() {
		return netip.Prefix{}, addr.ErrNotIPv4
	}
	n, m := c.Prefix.Bits(), c.IPv4MaskLen
	a := c.Prefix.Addr().As16()
	v4 := ce.As4()
	for i := m; i < 32; i++ {
		sixrdSetBit(a[:], n+i-m, sixrdBit(v4[:], i))
	}
	return netip.PrefixFrom(netip.AddrFrom16(a), n+32-m), nil
}

// sixrdRefIPv4For is the reverse map one bit at a time.
func sixrdRefIPv4For(c addr.SixRD, dst, common netip.Addr) (netip.Addr, error) {
	if err := sixrdRefCheck(c); err != nil {
		return netip.Addr{}, err
	}
	if !dst.Is6() {
		return netip.Addr{}, addr.ErrNotIPv6
	}
	n, m := c.Prefix.Bits(), c.IPv4MaskLen
	d := dst.As16()
	p := c.Prefix.Addr().As16()
	for i := range n {
		if sixrdBit(d[:], i) != sixrdBit(p[:], i) {
			return netip.Addr{}, addr.ErrSixRDNotInDomain
		}
	}
	if m > 0 && !common.Is4() {
		return netip.Addr{}, addr.ErrNotIPv4
	}
	var out, cm [4]byte
	if m > 0 {
		cm = common.As4()
	}
	for i := range 32 {
		if i < m {
			sixrdSetBit(out[:], i, sixrdBit(cm[:], i))
		} else {
			sixrdSetBit(out[:], i, sixrdBit(d[:], n+i-m))
		}
	}
	return netip.AddrFrom4(out), nil
}

func FuzzSixRD(f *testing.F) {
	doc := []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	// Altibox: /30, mask 0 (proto41.md §3.3).
	f.Add([]byte{0x2a, 0x01, 0x07, 0x9c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, uint8(30), int8(0), uint32(0x51a704d6), []byte{}, uint32(0))
	// Elisa: /38, mask 14, reverse with another CE's address as common.
	f.Add([]byte{0x20, 0x01, 0x20, 0x03, 0xf4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, uint8(38), int8(14), uint32(0x54f06464), []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, uint32(0x54f30000))
	// Mask 32: nothing embedded, IPv4For returns common.
	f.Add(doc, uint8(32), int8(32), uint32(0xc0000204), []byte{}, uint32(0x0a000001))
	// Delegated prefix crossing the 64-bit boundary (/48 + 32).
	f.Add(doc, uint8(48), int8(0), uint32(0xffffffff), []byte{}, uint32(0))
	// Delegated /128 exactly.
	f.Add(doc, uint8(96), int8(0), uint32(0xc0000204), []byte{}, uint32(0))
	// Delegated 129: rejected.
	f.Add(doc, uint8(97), int8(0), uint32(0xc0000204), []byte{}, uint32(0))
	// Prefix length 129 makes an invalid netip.Prefix.
	f.Add(doc, uint8(129), int8(0), uint32(1), []byte{}, uint32(0))
	// Host bits in the configured prefix.
	f.Add(doc, uint8(16), int8(0), uint32(1), []byte{}, uint32(0))
	// Negative and oversized mask lengths.
	f.Add(doc, uint8(32), int8(-1), uint32(1), []byte{}, uint32(0))
	f.Add(doc, uint8(32), int8(33), uint32(1), []byte{}, uint32(0))
	// ::/0: the IPv4 address becomes the top 32 bits.
	f.Add(make([]byte, 16), uint8(0), int8(0), uint32(0xc0000204), []byte{0xff}, uint32(0))
	// dst outside the domain.
	f.Add(doc, uint8(32), int8(0), uint32(1), []byte{0x20, 0x01, 0x0d, 0xb9}, uint32(0))

	f.Fuzz(func(t *testing.T, pfx []byte, bits uint8, mask int8, ce4 uint32, dstBits []byte, common4 uint32) {
		var a [16]byte
		copy(a[:], pfx)
		c := addr.SixRD{Prefix: netip.PrefixFrom(netip.AddrFrom16(a), int(bits)), IPv4MaskLen: int(mask)}
		ce := netip.AddrFrom4([4]byte{byte(ce4 >> 24), byte(ce4 >> 16), byte(ce4 >> 8), byte(ce4)})
		common := netip.AddrFrom4([4]byte{byte(common4 >> 24), byte(common4 >> 16), byte(common4 >> 8), byte(common4)})

		if got, want := c.Validate(addr.SixRDPolicyDHCP), sixrdRefCheck(c); got != want {
			t.Fatalf("Validate(DHCP) = %v, reference %v", got, want)
		}
		if err := c.Validate(addr.SixRDPolicyKernel); err == nil && c.DelegatedLen() > 64 {
			t.Fatalf("kernel policy accepted /%d", c.DelegatedLen())
		}

		p, err := c.DelegatedPrefix(ce)
		rp, rerr := sixrdRefDelegated(c, ce)
		if err != rerr || p != rp {
			t.Fatalf("DelegatedPrefix = %v, %v; reference %v, %v", p, err, rp, rerr)
		}
		if err == nil {
			if p.Bits() != c.DelegatedLen() || p.Masked() != p || !c.Prefix.Contains(p.Addr()) {
				t.Fatalf("DelegatedPrefix = %v: bad length, host bits or outside %v", p, c.Prefix)
			}
			// Round trip from the base address of the delegated prefix.
			v4, err := c.IPv4For(p.Addr(), ce)
			if err != nil || v4 != ce {
				t.Fatalf("IPv4For(%v, %v) = %v, %v; want %v", p.Addr(), ce, v4, err, ce)
			}
			// And from an address inside it: the host part comes from
			// dstBits and must not matter.
			d := p.Addr().As16()
			for i := p.Bits(); i < 128; i++ {
				if j := i - p.Bits(); j/8 < len(dstBits) {
					sixrdSetBit(d[:], i, dstBits[j/8]>>(7-j%8)&1)
				}
			}
			v4, err = c.IPv4For(netip.AddrFrom16(d), ce)
			if err != nil || v4 != ce {
				t.Fatalf("IPv4For(%v, %v) = %v, %v; want %v", netip.AddrFrom16(d), ce, v4, err, ce)
			}
		}

		// Reverse map of an arbitrary destination: dstBits overwrite the
		// address from the top, so short inputs stay in the domain.
		d := c.Prefix.Addr().As16()
		for i := range min(len(dstBits), 16) {
			d[i] = dstBits[i]
		}
		dst := netip.AddrFrom16(d)
		got, err := c.IPv4For(dst, common)
		want, werr := sixrdRefIPv4For(c, dst, common)
		if err != werr || got != want {
			t.Fatalf("IPv4For(%v, %v) = %v, %v; reference %v, %v", dst, common, got, err, want, werr)
		}
	})
}

// opt6rdRef is a slow OPTION_6RD reference parser written from the RFC text:
// separate byte copies, bit loops for the mask, errors in the documented
// order.
type opt6rdRef struct {
	mask, plen int
	prefix     [16]byte
	hostBits   bool
	relays     []netip.Addr
}

func opt6rdRefParse(b []byte) (opt6rdRef, error) {
	var r opt6rdRef
	if len(b) < 22 {
		return r, addr.ErrOption6RDTooShort
	}
	relayBytes := b[18:]
	if len(relayBytes)%4 != 0 {
		return r, addr.ErrOption6RDTrailing
	}
	r.mask, r.plen = int(b[0]), int(b[1])
	switch {
	case r.mask > 32:
		return opt6rdRef{}, addr.ErrSixRDMaskLen
	case r.plen > 128:
		return opt6rdRef{}, addr.ErrSixRDPrefixLen
	case r.plen+32-r.mask > 128:
		return opt6rdRef{}, addr.ErrSixRDDelegatedTooLong
	}
	copy(r.prefix[:], b[2:18])
	for i := r.plen; i < 128; i++ {
		if sixrdBit(r.prefix[:], i) != 0 {
			r.hostBits = true
			sixrdSetBit(r.prefix[:], i, 0)
		}
	}
	for len(relayBytes) > 0 {
		r.relays = append(r.relays, netip.AddrFrom4([4]byte{relayBytes[0], relayBytes[1], relayBytes[2], relayBytes[3]}))
		relayBytes = relayBytes[4:]
	}
	return r, nil
}

// opt6rdCheckView compares a view with the reference.
func opt6rdCheckView(t *testing.T, o addr.Option6RD, r opt6rdRef) {
	t.Helper()
	if !o.IsValid() {
		t.Fatal("successful parse returned an invalid view")
	}
	want := netip.PrefixFrom(netip.AddrFrom16(r.prefix), r.plen)
	if o.IPv4MaskLen() != r.mask || o.Prefix() != want || o.HostBitsSet() != r.hostBits ||
		o.DelegatedLen() != r.plen+32-r.mask || o.NumRelays() != len(r.relays) {
		t.Fatalf("view mask %d prefix %v hostbits %v delegated %d relays %d; reference %+v",
			o.IPv4MaskLen(), o.Prefix(), o.HostBitsSet(), o.DelegatedLen(), o.NumRelays(), r)
	}
	for i, a := range r.relays {
		if o.Relay(i) != a {
			t.Fatalf("Relay(%d) = %v, reference %v", i, o.Relay(i), a)
		}
	}
	if o.Relay(-1).IsValid() || o.Relay(len(r.relays)).IsValid() {
		t.Fatal("Relay out of range returned a valid address")
	}
}

func FuzzParseOption6RD(f *testing.F) {
	const doc = "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	// Elisa, 22 octets (proto41.md §3.2).
	f.Add([]byte("\x0e\x26\x20\x01\x20\x03\xf4\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x54\xfb\xff\xfe"))
	// Two border relays, 26 octets.
	f.Add([]byte("\x00\x20" + doc + "\xc0\x00\x02\x01\xc0\x00\x02\x02"))
	// 21 octets: too short.
	f.Add([]byte("\x00\x20" + doc + "\xc0\x00\x02"))
	// 24 octets: 2 trailing relay octets (bonan/dhcp6rd would slice past the end).
	f.Add([]byte("\x00\x20" + doc + "\xc0\x00\x02\x01\xc0\x00"))
	// IPv4MaskLen 33.
	f.Add([]byte("\x21\x20" + doc + "\xc0\x00\x02\x01"))
	// 6rdPrefixLen 129.
	f.Add([]byte("\x20\x81" + doc + "\xc0\x00\x02\x01"))
	// Delegated length 129.
	f.Add([]byte("\x00\x61" + doc + "\xc0\x00\x02\x01"))
	// Host bits set beyond a /32: masked, reported.
	f.Add([]byte("\x00\x20\x20\x01\x0d\xb8\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\xc0\x00\x02\x01"))
	// Relay 0.0.0.0, kept.
	f.Add([]byte("\x00\x20" + doc + "\x00\x00\x00\x00"))
	// 60 relays: parses, but does not fit one option when re-encoded.
	f.Add(append([]byte("\x00\x20"+doc), make([]byte, 240)...))

	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		o, err := addr.ParseOption6RD(b)
		r, rerr := opt6rdRefParse(b)
		if !errors.Is(err, rerr) || (err == nil) != (rerr == nil) {
			t.Fatalf("ParseOption6RD error %v, reference %v", err, rerr)
		}
		if !bytes.Equal(b, in) {
			t.Fatal("ParseOption6RD modified its input")
		}
		if err != nil {
			if o.IsValid() {
				t.Fatal("failed parse returned a valid view")
			}
			return
		}
		opt6rdCheckView(t, o, r)

		// The relays are read from b itself, at octet 18 onwards.
		b[18] ^= 0xff
		if got := o.Relay(0).As4(); got[0] != b[18] {
			t.Fatalf("Relay(0) = %v does not alias b[18:22]", o.Relay(0))
		}
		b[18] ^= 0xff

		// Append(Config()) re-parses to the same view, minus the host bits.
		c := o.Config()
		enc, err := addr.AppendOption6RD(nil, c)
		if len(r.relays) > addr.Option6RDMaxRelays {
			if !errors.Is(err, addr.ErrOption6RDTooManyRelays) {
				t.Fatalf("AppendOption6RD with %d relays: %v", len(r.relays), err)
			}
			return
		}
		if err != nil {
			t.Fatalf("AppendOption6RD(Config()) = %v", err)
		}
		if len(enc) != addr.SizeOption6RD(c) || len(enc) != 2+len(b) {
			t.Fatalf("encoded %d octets, SizeOption6RD %d, input body %d", len(enc), addr.SizeOption6RD(c), len(b))
		}
		o2, n, err := addr.ConsumeOption6RD(enc)
		if err != nil || n != len(enc) {
			t.Fatalf("ConsumeOption6RD(re-encoded) = %d, %v", n, err)
		}
		r.hostBits = false
		opt6rdCheckView(t, o2, r)
		// Outside the prefix the encoding is the input byte for byte.
		if !bytes.Equal(enc[2:4], b[:2]) || !bytes.Equal(enc[20:], b[18:]) {
			t.Fatalf("re-encoding changed more than the prefix:\n in % x\nout % x", b, enc[2:])
		}
	})
}

func FuzzConsumeOption6RD(f *testing.F) {
	const doc = "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	// A well-formed option followed by END.
	f.Add([]byte("\xd4\x16\x00\x20" + doc + "\xc0\x00\x02\x01\xff"))
	// Wrong code.
	f.Add([]byte("\xd3\x16\x00\x20" + doc + "\xc0\x00\x02\x01"))
	// Length octet larger than the buffer.
	f.Add([]byte("\xd4\x1a\x00\x20" + doc + "\xc0\x00\x02\x01"))
	// Length octet 24: 2 trailing relay octets.
	f.Add([]byte("\xd4\x18\x00\x20" + doc + "\xc0\x00\x02\x01\xc0\x00"))
	// Code only.
	f.Add([]byte("\xd4"))
	// Length 255: the largest option, with 59 relays and a ragged tail.
	f.Add(append([]byte("\xd4\xff\x00\x20"+doc), make([]byte, 237)...))

	f.Fuzz(func(t *testing.T, b []byte) {
		o, n, err := addr.ConsumeOption6RD(b)
		if err != nil {
			if n != 0 || o.IsValid() {
				t.Fatalf("error %v with n = %d, valid view %v", err, n, o.IsValid())
			}
			switch {
			case len(b) < 2:
				if !errors.Is(err, addr.ErrOption6RDTooShort) {
					t.Fatalf("len %d: %v", len(b), err)
				}
			case b[0] != addr.Option6RDCode:
				if !errors.Is(err, addr.ErrOption6RDCode) {
					t.Fatalf("code %d: %v", b[0], err)
				}
			case len(b) < 2+int(b[1]):
				if !errors.Is(err, addr.ErrOption6RDTooShort) {
					t.Fatalf("length octet %d, buffer %d: %v", b[1], len(b), err)
				}
			default:
				_, perr := addr.ParseOption6RD(b[2 : 2+int(b[1])])
				if err != perr {
					t.Fatalf("Consume %v, Parse %v", err, perr)
				}
			}
			return
		}
		if n != 2+int(b[1]) || n > len(b) || b[0] != addr.Option6RDCode {
			t.Fatalf("n = %d for code %d length %d buffer %d", n, b[0], b[1], len(b))
		}
		r, rerr := opt6rdRefParse(b[2:n])
		if rerr != nil {
			t.Fatalf("Consume accepted what the reference rejects: %v", rerr)
		}
		opt6rdCheckView(t, o, r)
	})
}
