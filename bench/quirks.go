package bench

import (
	"encoding/binary"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Quirk returns why the implementation named impl may legitimately accept or
// refuse pkt differently from the packet adapter, or "" if it must agree with
// it. teredo selects the IPv4→UDP→IPv6 decoder. These are the checks a peer
// genuinely makes differently and that its adapter cannot make up for from
// the decoded fields; the agreement tests skip exactly these inputs for that
// peer, and test that each quirk is real.
func Quirk(impl string, teredo bool, pkt []byte) string {
	if impl == "packet" {
		return ""
	}
	inner := innerHeader(teredo, pkt)
	gopacket := impl == "gopacket-newpacket" || impl == "gopacket-dlp"
	if gopacket {
		if len(pkt) >= ipv4MinLen && binary.BigEndian.Uint16(pkt[2:4]) == 0 {
			// layers.IPv4 takes Total Length 0 for "the whole buffer",
			// a workaround for Windows TCP segmentation offload; the
			// field is overwritten, so the adapter cannot see it.
			return "gopacket: IPv4 Total Length 0 taken as the buffer length"
		}
		if len(pkt) >= ipv4MinLen {
			hl := int(pkt[0]&0x0f) * 4
			if hl > ipv4MinLen && hl <= len(pkt) && !optionsWellFormed(pkt[ipv4MinLen:hl]) {
				// RFC 791 options are not interpreted by packet (nor
				// by the other peers); layers.IPv4 parses them.
				return "gopacket: refuses IPv4 options that are not well-formed TLVs"
			}
		}
		if inner != nil && binary.BigEndian.Uint16(inner[4:6]) == 0 {
			// layers.IPv6 refuses Payload Length 0 unless a Hop-by-Hop
			// header carries a Jumbo Payload option, so it refuses the
			// header-only packets (Teredo bubbles) packet accepts.
			return "gopacket: IPv6 Payload Length 0 (refused unless jumbogram)"
		}
		if inner != nil && inner[6] == 0 {
			// layers.IPv6 decodes a Hop-by-Hop header as part of the
			// IPv6 layer and refuses malformed ones; packet leaves
			// extension headers to its walkers.
			return "gopacket: parses the Hop-by-Hop Options header"
		}
	}
	if impl == "gopacket-newpacket" && teredo && !newPacketFindsIPv6(pkt) {
		// NewPacket picks the decoder of a UDP payload by port: IPv6
		// only for 3544 (registered in impl_gopacket.go), and the
		// destination port's decoder first.
		return "gopacket NewPacket: UDP ports do not lead to IPv6"
	}
	if impl == "gopacket-newpacket" && newPacketPayloadFails(teredo, pkt) {
		// NewPacket decodes the whole packet and reports failures and
		// truncation in the inner payload too, which no other adapter
		// looks at.
		return "gopacket NewPacket: the inner payload does not decode"
	}
	if inner != nil && binary.BigEndian.Uint16(inner[4:6]) == 0 && inner[6] == 0 {
		// packet refuses RFC 2675 jumbograms (Payload Length 0 and a
		// Jumbo Payload option in a Hop-by-Hop header); no peer looks.
		return "packet refuses IPv6 jumbograms; the peers do not check"
	}
	return ""
}

// innerHeader returns the 40 bytes where the inner IPv6 header of pkt
// starts, or nil if pkt is too short to have one there. It validates
// nothing else.
func innerHeader(teredo bool, pkt []byte) []byte {
	if len(pkt) < ipv4MinLen {
		return nil
	}
	off := int(pkt[0]&0x0f) * 4
	if teredo {
		off += udpHdrLen
	}
	if off+ipv6HdrLen > len(pkt) {
		return nil
	}
	return pkt[off : off+ipv6HdrLen]
}

// optionsWellFormed reports whether opts is a sequence of IPv4 options as
// layers.IPv4 parses them: End of Option List (0, which ends the list),
// No Operation (1), or type, length (at least 3) and data within opts.
func optionsWellFormed(opts []byte) bool {
	for len(opts) > 0 {
		switch opts[0] {
		case 0:
			return true
		case 1:
			opts = opts[1:]
		default:
			if len(opts) < 2 || int(opts[1]) > len(opts) || opts[1] <= 2 {
				return false
			}
			opts = opts[opts[1]:]
		}
	}
	return true
}

// newPacketPayloadFails reports whether pkt is well-formed up to the inner
// IPv6 header but gopacket fails to decode, or finds truncated, what follows
// that header, as NewPacket would go on to decode it.
func newPacketPayloadFails(teredo bool, pkt []byte) bool {
	if len(pkt) < ipv4MinLen {
		return false
	}
	hl := int(pkt[0]&0x0f) * 4
	tl := int(binary.BigEndian.Uint16(pkt[2:4]))
	if hl < ipv4MinLen || tl < hl || tl > len(pkt) {
		return false
	}
	b := pkt[hl:tl]
	if teredo {
		if len(b) < udpHdrLen {
			return false
		}
		ul := int(binary.BigEndian.Uint16(b[4:6]))
		if ul < udpHdrLen || ul > len(b) {
			return false
		}
		b = b[udpHdrLen:ul]
	}
	if len(b) < ipv6HdrLen {
		return false
	}
	pl := int(binary.BigEndian.Uint16(b[4:6]))
	if pl == 0 || b[6] == 0 || ipv6HdrLen+pl > len(b) {
		return false // Payload Length 0 and Hop-by-Hop have their own quirks
	}
	p := gopacket.NewPacket(b[ipv6HdrLen:ipv6HdrLen+pl], layers.IPProtocol(b[6]).LayerType(),
		gopacket.DecodeOptions{NoCopy: true})
	return p.ErrorLayer() != nil || p.Metadata().Truncated
}

// newPacketFindsIPv6 reports whether gopacket's UDP layer hands its payload
// to the IPv6 decoder, or pkt is too short to say.
func newPacketFindsIPv6(pkt []byte) bool {
	if len(pkt) < ipv4MinLen {
		return true
	}
	off := int(pkt[0]&0x0f) * 4
	if off+udpHdrLen > len(pkt) {
		return true
	}
	u := layers.UDP{
		SrcPort: layers.UDPPort(binary.BigEndian.Uint16(pkt[off:])),
		DstPort: layers.UDPPort(binary.BigEndian.Uint16(pkt[off+2:])),
	}
	return u.NextLayerType() == layers.LayerTypeIPv6
}
