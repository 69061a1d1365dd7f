package packet

import (
	"encoding/binary"
	"strconv"
)

// ECN is the two-bit Explicit Congestion Notification field of an IPv4 TOS
// byte or IPv6 Traffic Class (RFC 3168 §5). Values above 3 are not valid
// codepoints; the functions here use only the low two bits.
type ECN uint8

// ECN codepoints, RFC 3168 §5.
const (
	NotECT ECN = 0 // Not ECN-Capable Transport
	ECT1   ECN = 1 // ECN-Capable Transport, ECT(1)
	ECT0   ECN = 2 // ECN-Capable Transport, ECT(0)
	CE     ECN = 3 // Congestion Experienced
)

// String returns the RFC 3168 name of e: "Not-ECT", "ECT(1)", "ECT(0)" or
// "CE", or "ECN(n)" for a value above 3.
func (e ECN) String() string {
	switch e {
	case NotECT:
		return "Not-ECT"
	case ECT1:
		return "ECT(1)"
	case ECT0:
		return "ECT(0)"
	case CE:
		return "CE"
	}
	return "ECN(" + strconv.Itoa(int(e)) + ")"
}

// TOSECN returns the ECN field of tos, an IPv4 TOS byte or IPv6 Traffic
// Class: both hold the DSCP in the upper six bits and the ECN field in the
// lower two (RFC 2474 §3, RFC 3168 §5).
func TOSECN(tos uint8) ECN { return ECN(tos & 3) }

// SetTOSECN returns tos, an IPv4 TOS byte or IPv6 Traffic Class, with its
// ECN field replaced by e and its DSCP kept.
func SetTOSECN(tos uint8, e ECN) uint8 { return tos&^3 | uint8(e&3) }

// IPv4ECN returns the ECN field of the raw IPv4 header that starts hdr, and
// false if hdr is shorter than 2 bytes or not version 4. It does not
// allocate.
func IPv4ECN(hdr []byte) (ECN, bool) {
	if len(hdr) < 2 || hdr[0]>>4 != 4 {
		return 0, false
	}
	return ECN(hdr[1] & 3), true
}

// SetIPv4ECN sets the ECN field of the raw IPv4 header that starts hdr, in
// place, keeping the DSCP, and updates the header checksum incrementally
// (RFC 1624), so a header that verified before still verifies. It reports
// whether hdr was long enough (20 bytes) and version 4; if not, hdr is not
// modified. It does not allocate.
func SetIPv4ECN(hdr []byte, e ECN) bool {
	if len(hdr) < IPv4HeaderLen || hdr[0]>>4 != 4 {
		return false
	}
	old := binary.BigEndian.Uint16(hdr[0:2])
	hdr[1] = SetTOSECN(hdr[1], e)
	ck := UpdateChecksum(binary.BigEndian.Uint16(hdr[ipv4Checksum:]), old, binary.BigEndian.Uint16(hdr[0:2]))
	binary.BigEndian.PutUint16(hdr[ipv4Checksum:], ck)
	return true
}

// ECNMode selects how a tunnel ingress sets the outer ECN field from the
// inner one when it encapsulates a packet.
type ECNMode uint8

const (
	// ECNNormal is RFC 6040 §4.1 normal mode: the outer header gets a copy
	// of the inner ECN field, CE included. This is the mode RFC 6040 says
	// an ingress SHOULD use.
	ECNNormal ECNMode = iota

	// ECNCompat is RFC 6040 §4.1 compatibility mode: the outer header is
	// always Not-ECT, for egresses that do not understand ECN (RFC 3168
	// §9.1.1 "limited functionality", RFC 4301 §5.1.2.1).
	ECNCompat

	// ECNLinux is what the Linux kernel does for sit, ipip and GRE tunnels
	// (INET_ECN_encapsulate, RFC 3168 §9.1.1 "full functionality"): copy
	// the inner ECN field, except that inner CE becomes outer ECT(0).
	ECNLinux
)

// String returns the mode's name: "normal", "compat" or "linux".
func (m ECNMode) String() string {
	switch m {
	case ECNNormal:
		return "normal"
	case ECNCompat:
		return "compat"
	case ECNLinux:
		return "linux"
	}
	return "ECNMode(" + strconv.Itoa(int(m)) + ")"
}

// EncapsulateECN returns the ECN field for the outer header of a tunnelled
// packet whose inner ECN field is inner, under mode. An unknown mode
// behaves as ECNCompat, the mode that never sends a mark the egress might
// mishandle.
func EncapsulateECN(inner ECN, mode ECNMode) ECN {
	inner &= 3
	switch mode {
	case ECNNormal:
		return inner
	case ECNLinux:
		if inner == CE {
			return ECT0
		}
		return inner
	}
	return NotECT
}

// DecapsulateECN returns the ECN field to give the inner packet at a tunnel
// egress, from the arriving outer and inner fields, following RFC 6040 §4.2
// Figure 4 (outer across, inner down):
//
//	inner \ outer | Not-ECT  ECT(0)   ECT(1)   CE
//	--------------+-----------------------------------
//	Not-ECT       | Not-ECT  Not-ECT  Not-ECT  drop
//	ECT(0)        | ECT(0)   ECT(0)   ECT(1)   CE
//	ECT(1)        | ECT(1)   ECT(1)   ECT(1)   CE
//	CE            | CE       CE       CE       CE
//
// It returns ErrECNDrop for an outer CE over an inner Not-ECT packet, which
// the egress must drop: the congestion mark cannot be passed on and must not
// be lost. RFC 6040 asks the egress to log the Not-ECT inner rows with an
// ECN-capable outer field, which no conforming ingress produces.
// DecapsulateECNLinux gives the Linux kernel's variant.
func DecapsulateECN(outer, inner ECN) (ECN, error) {
	outer, inner = outer&3, inner&3
	switch {
	case inner == NotECT:
		if outer == CE {
			return NotECT, ErrECNDrop
		}
		return NotECT, nil
	case outer == CE:
		return CE, nil
	case outer == ECT1 && inner == ECT0:
		return ECT1, nil
	}
	return inner, nil
}

// DecapsulateECNLinux is DecapsulateECN as the Linux kernel implements it
// (__INET_ECN_decapsulate, used by sit, ipip and GRE): only CE is
// propagated from the outer header, so an outer ECT(1) over an inner ECT(0)
// leaves ECT(0) where RFC 6040 gives ECT(1). Every other cell, including the
// drop, matches RFC 6040.
func DecapsulateECNLinux(outer, inner ECN) (ECN, error) {
	outer, inner = outer&3, inner&3
	if inner == NotECT {
		if outer == CE {
			return NotECT, ErrECNDrop
		}
		return NotECT, nil
	}
	if outer == CE {
		return CE, nil
	}
	return inner, nil
}
