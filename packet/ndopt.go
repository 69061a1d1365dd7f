package packet

// Neighbor Discovery options, RFC 4861 §4.6. Every option is a TLV whose
// Length counts 8-octet units, type and length bytes included; Length 0 is
// invalid:
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Type      |    Length     |              ...              |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Source/Target Link-Layer Address (§4.6.1), types 1 and 2: the address
// follows the Length byte, padded to 8-octet units.
//
// Prefix Information (§4.6.2), type 3, Length 4:
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Type      |    Length     | Prefix Length |L|A| Reserved1 |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                         Valid Lifetime                        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                       Preferred Lifetime                      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                           Reserved2                           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                        Prefix (16 bytes)                      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// MTU (§4.6.4), type 5, Length 1:
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Type      |    Length     |           Reserved            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                              MTU                              |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

import (
	"encoding/binary"
	"net/netip"
)

// Neighbor Discovery option types (RFC 4861 §4.6).
const (
	NDOptSourceLinkLayerAddr = 1
	NDOptTargetLinkLayerAddr = 2
	NDOptPrefixInfo          = 3
	NDOptRedirectedHeader    = 4
	NDOptMTU                 = 5
)

// Lengths in bytes of fixed-size Neighbor Discovery options.
const (
	PrefixInfoLen = 32 // Prefix Information option, Length 4
	MTUOptionLen  = 8  // MTU option, Length 1
)

// maxNDOptionLen is the longest option the 8-bit Length field can describe.
const maxNDOptionLen = 255 * 8

// Prefix Information flag bits (RFC 4861 §4.6.2).
const (
	pioFlagOnLink     = 0x80 // L
	pioFlagAutonomous = 0x40 // A
)

// NDOption is one Neighbor Discovery option found by an NDOptIter. Its
// accessors never panic; the zero NDOption has Type 0 and no bytes.
type NDOption struct{ b []byte }

// Type returns the option type.
func (o NDOption) Type() uint8 {
	if len(o.b) == 0 {
		return 0
	}
	return o.b[0]
}

// Len returns the length of the option in bytes: its Length field times 8.
func (o NDOption) Len() int { return len(o.b) }

// Bytes returns the whole option, type and length included. The returned
// slice aliases the message.
func (o NDOption) Bytes() []byte { return o.b }

// Data returns the option after its type and length bytes. The returned
// slice aliases the message.
func (o NDOption) Data() []byte {
	if len(o.b) < 2 {
		return nil
	}
	return o.b[2:]
}

// LinkLayerAddr returns the address carried by a Source or Target
// Link-Layer Address option (RFC 4861 §4.6.1): the option data, padding
// included, since its length depends on the link type (6 bytes, no padding,
// on Ethernet, RFC 2464 §6). It returns [ErrBadOption] for other options. The
// returned slice aliases the message.
func (o NDOption) LinkLayerAddr() ([]byte, error) {
	if t := o.Type(); t != NDOptSourceLinkLayerAddr && t != NDOptTargetLinkLayerAddr {
		return nil, ErrBadOption
	}
	return o.Data(), nil
}

// MTU returns the MTU carried by an MTU option (RFC 4861 §4.6.4). It returns
// [ErrBadOption] for other options or a Length other than 1.
func (o NDOption) MTU() (uint32, error) {
	if o.Type() != NDOptMTU || len(o.b) != MTUOptionLen {
		return 0, ErrBadOption
	}
	return binary.BigEndian.Uint32(o.b[4:]), nil
}

// PrefixInfo decodes a Prefix Information option (RFC 4861 §4.6.2). It
// returns [ErrBadOption] for other options, a Length other than 4 or a prefix
// length above 128.
func (o NDOption) PrefixInfo() (PrefixInfo, error) {
	if o.Type() != NDOptPrefixInfo || len(o.b) != PrefixInfoLen || o.b[2] > 128 {
		return PrefixInfo{}, ErrBadOption
	}
	return PrefixInfo{
		// Bits after the prefix length are ignored by receivers
		// (§4.6.2), so they are cleared.
		Prefix:            netip.PrefixFrom(netip.AddrFrom16([16]byte(o.b[16:32])), int(o.b[2])).Masked(),
		OnLink:            o.b[3]&pioFlagOnLink != 0,
		Autonomous:        o.b[3]&pioFlagAutonomous != 0,
		ValidLifetime:     binary.BigEndian.Uint32(o.b[4:]),
		PreferredLifetime: binary.BigEndian.Uint32(o.b[8:]),
	}, nil
}

// NDOptIter iterates over a sequence of Neighbor Discovery options without
// allocating:
//
//	it := ra.Options()
//	for o, ok := it.Next(); ok; o, ok = it.Next() {
//		switch o.Type() { ... }
//	}
//	if err := it.Err(); err != nil { ... }
//
// The zero NDOptIter is an empty sequence.
type NDOptIter struct {
	b   []byte
	err error
}

// NDOptions returns an iterator over the options in b, the part of a
// Neighbor Discovery message after its fixed fields.
func NDOptions(b []byte) NDOptIter { return NDOptIter{b: b} }

// Next returns the next option and true, or the zero NDOption and false at
// the end of the options or at a malformed option: Length 0
// ([ErrZeroLengthOption], RFC 4861 §4.6) or an option running past the end,
// including 1 to 7 stray bytes at the end ([ErrBadOption]). Err tells which.
// The contents of options are not checked; the typed decoders do that.
func (it *NDOptIter) Next() (NDOption, bool) {
	if len(it.b) == 0 {
		return NDOption{}, false
	}
	if len(it.b) < 2 {
		return it.fail(ErrBadOption)
	}
	l := int(it.b[1]) * 8
	if l == 0 {
		return it.fail(ErrZeroLengthOption)
	}
	if l > len(it.b) {
		return it.fail(ErrBadOption)
	}
	o := NDOption{it.b[:l]}
	it.b = it.b[l:]
	return o, true
}

func (it *NDOptIter) fail(err error) (NDOption, bool) {
	it.b, it.err = nil, err
	return NDOption{}, false
}

// Err returns the error that ended the iteration, or nil.
func (it *NDOptIter) Err() error { return it.err }

// checkNDOptions validates the options in b as ParseRouterAdvertisement
// documents and returns the set of option types seen (bit t for type t < 32).
// The RFC 4861 §4.6 framing errors ([ErrZeroLengthOption], [ErrBadOption] for
// an overrun) take precedence over a malformed known option anywhere in b.
func checkNDOptions(b []byte) (seen uint32, err error) {
	var bad error
	it := NDOptions(b)
	for o, ok := it.Next(); ok; o, ok = it.Next() {
		t := o.Type()
		switch t {
		case NDOptPrefixInfo:
			if _, err := o.PrefixInfo(); err != nil && bad == nil {
				bad = err
			}
		case NDOptMTU:
			if _, err := o.MTU(); err != nil && bad == nil {
				bad = err
			}
		}
		if t < 32 {
			seen |= 1 << t
		}
	}
	if it.Err() != nil {
		return 0, it.Err()
	}
	if bad != nil {
		return 0, bad
	}
	return seen, nil
}

// findLinkLayerAddr returns the data of the first option of type typ.
func findLinkLayerAddr(it NDOptIter, typ uint8) ([]byte, bool) {
	for o, ok := it.Next(); ok; o, ok = it.Next() {
		if o.Type() == typ {
			return o.Data(), true
		}
	}
	return nil, false
}

// PrefixInfo is the contents of a Prefix Information option (RFC 4861
// §4.6.2). Flag bits other than L and A (R, RFC 6275; P, RFC 9762) are
// ignored when decoding and written as zero.
type PrefixInfo struct {
	Prefix            netip.Prefix // an IPv6 prefix; bits after its length are sent as zero
	OnLink            bool         // L: the prefix is on-link
	Autonomous        bool         // A: usable for stateless address autoconfiguration (RFC 4862)
	ValidLifetime     uint32       // seconds; 0xffffffff: infinity
	PreferredLifetime uint32       // seconds; 0xffffffff: infinity
}

// put writes p as a Prefix Information option into b[:32]. p.Prefix is a
// valid IPv6 prefix.
func (p *PrefixInfo) put(b []byte) {
	_ = b[PrefixInfoLen-1]
	b[0], b[1], b[2], b[3] = NDOptPrefixInfo, PrefixInfoLen/8, uint8(p.Prefix.Bits()), 0
	if p.OnLink {
		b[3] |= pioFlagOnLink
	}
	if p.Autonomous {
		b[3] |= pioFlagAutonomous
	}
	binary.BigEndian.PutUint32(b[4:], p.ValidLifetime)
	binary.BigEndian.PutUint32(b[8:], p.PreferredLifetime)
	clear(b[12:16])
	a := p.Prefix.Masked().Addr().As16()
	copy(b[16:32], a[:])
}

// AppendTo appends p as a 32-byte Prefix Information option to b and
// returns the extended slice. It returns b unchanged and [ErrNotIPv6Addr] if
// p.Prefix is not a valid IPv6 prefix. It does not allocate when b has 32
// bytes of spare capacity.
func (p PrefixInfo) AppendTo(b []byte) ([]byte, error) {
	if !p.Prefix.IsValid() || !p.Prefix.Addr().Is6() {
		return b, ErrNotIPv6Addr
	}
	all, o := extend(b, PrefixInfoLen)
	p.put(o)
	return all, nil
}

// AppendMTUOption appends an 8-byte MTU option (RFC 4861 §4.6.4) to b and
// returns the extended slice. It does not allocate when b has 8 bytes of
// spare capacity.
func AppendMTUOption(b []byte, mtu uint32) []byte {
	all, o := extend(b, MTUOptionLen)
	putMTUOption(o, mtu)
	return all
}

func putMTUOption(b []byte, mtu uint32) {
	_ = b[MTUOptionLen-1]
	b[0], b[1], b[2], b[3] = NDOptMTU, MTUOptionLen/8, 0, 0
	binary.BigEndian.PutUint32(b[4:], mtu)
}

// AppendNDOption appends an option of type typ carrying data, zero-padded
// to a multiple of 8 bytes (RFC 4861 §4.6), and returns the extended slice;
// for a link-layer address option, data is the address. It returns b
// unchanged and [ErrBadOption] if the option would exceed 2040 bytes. It
// does not allocate when b has enough spare capacity.
func AppendNDOption(b []byte, typ uint8, data []byte) ([]byte, error) {
	l := (2 + len(data) + 7) &^ 7
	if l > maxNDOptionLen {
		return b, ErrBadOption
	}
	all, o := extend(b, l)
	o[0], o[1] = typ, uint8(l/8)
	n := copy(o[2:], data)
	clear(o[2+n:])
	return all, nil
}

// llOptLen returns the length of a link-layer address option carrying
// lladdr, 0 if lladdr is empty, or [ErrBadOption] if it does not fit.
func llOptLen(lladdr []byte) (int, error) {
	if len(lladdr) == 0 {
		return 0, nil
	}
	l := (2 + len(lladdr) + 7) &^ 7
	if l > maxNDOptionLen {
		return 0, ErrBadOption
	}
	return l, nil
}

// putLLOption writes a link-layer address option of type typ carrying
// lladdr into b, which has room for it as computed by llOptLen. It writes
// nothing for an empty lladdr.
func putLLOption(b []byte, typ uint8, lladdr []byte) {
	if len(lladdr) == 0 {
		return
	}
	l := (2 + len(lladdr) + 7) &^ 7
	b[0], b[1] = typ, uint8(l/8)
	n := copy(b[2:l], lladdr)
	clear(b[2+n : l])
}
