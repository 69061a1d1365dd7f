package tun

import (
	"encoding/binary"
	"io"

	"github.com/transit6/transit6/packet"
)

// TCP header fields and flags (RFC 9293 §3.1) the segmenter and the
// coalescer touch.
const (
	tcpSeqOff    = 4
	tcpAckOff    = 8
	tcpFlagsOff  = 13
	tcpWindowOff = 14
	tcpCsumOff   = 16
	udpLenOff    = 4
	udpCsumOff   = 6

	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpPSH = 0x08
	tcpACK = 0x10
	tcpURG = 0x20
	tcpECE = 0x40
	tcpCWR = 0x80

	tcpMinLen = 20
	udpLen    = 8

	maxIPLen = 65535 // IPv4 Total Length, and what Split and Coalesce keep an IPv6 packet to
)

// gsoLayout is the validated shape of a super-packet.
type gsoLayout struct {
	v6     bool
	udp    bool
	l4     int    // offset of the TCP or UDP header
	hdrLen int    // IP and TCP/UDP headers, repeated in every segment
	mss    int    // payload bytes per segment
	n      int    // number of segments
	pseudo uint16 // pseudo-header sum without the length
}

// layoutGSO validates the super-packet pkt against h (whose GSO type is
// not GSONone) and returns its layout. It trusts nothing in h but the GSO
// type, the segment size and, when VirtioNeedsCsum is set, the checksum
// offsets, which must agree with the headers.
func layoutGSO(pkt []byte, h VirtioNetHdr) (gsoLayout, error) {
	var l gsoLayout
	var proto uint8 = packet.ProtoTCP
	switch h.GSO() {
	case GSOTCPv4, GSOTCPv6:
	case GSOUDPL4:
		proto, l.udp = packet.ProtoUDP, true
	default:
		return l, ErrGSOType
	}
	if len(pkt) == 0 {
		return l, ErrTruncated
	}
	switch pkt[0] >> 4 {
	case 4:
		if h.GSO() == GSOTCPv6 {
			return l, ErrBadGSO
		}
		if len(pkt) < packet.IPv4HeaderLen {
			return l, ErrTruncated
		}
		l.l4 = int(pkt[0]&0x0f) * 4
		if l.l4 < packet.IPv4HeaderLen {
			return l, ErrBadGSO
		}
		if pkt[9] != proto || binary.BigEndian.Uint16(pkt[6:])&0x3fff != 0 { // MF or a fragment offset
			return l, ErrBadGSO
		}
		l.pseudo = packet.Checksum(pkt[12:20], uint16(proto))
	case 6:
		if h.GSO() == GSOTCPv4 {
			return l, ErrBadGSO
		}
		if len(pkt) < packet.IPv6HeaderLen {
			return l, ErrTruncated
		}
		l.v6 = true
		var err error
		if l.l4, err = ipv6L4(pkt, proto); err != nil {
			return l, err
		}
		l.pseudo = packet.Checksum(pkt[8:40], uint16(proto))
	default:
		return l, ErrBadGSO
	}
	if l.udp {
		l.hdrLen = l.l4 + udpLen
		if len(pkt) < l.hdrLen {
			return l, ErrTruncated
		}
	} else {
		if len(pkt) < l.l4+tcpMinLen {
			return l, ErrTruncated
		}
		thl := int(pkt[l.l4+12]>>4) * 4
		if thl < tcpMinLen {
			return l, ErrBadGSO
		}
		l.hdrLen = l.l4 + thl
		if len(pkt) < l.hdrLen {
			return l, ErrTruncated
		}
	}
	if h.NeedsCsum() {
		want := uint16(tcpCsumOff)
		if l.udp {
			want = udpCsumOff
		}
		if int(h.CsumStart) != l.l4 || h.CsumOffset != want {
			return l, ErrChecksumOffset
		}
	}
	l.mss = int(h.GSOSize)
	payload := len(pkt) - l.hdrLen
	if l.mss == 0 || payload == 0 || l.hdrLen+l.mss > maxIPLen {
		return l, ErrBadGSO
	}
	l.n = (payload + l.mss - 1) / l.mss
	return l, nil
}

// ipv6L4 returns the offset of the upper-layer header of the IPv6 packet
// pkt (at least 40 bytes), walking Hop-by-Hop, Routing and Destination
// Options headers (RFC 8200 §4); it must be proto.
func ipv6L4(pkt []byte, proto uint8) (int, error) {
	next, off := pkt[6], packet.IPv6HeaderLen
	for {
		switch next {
		case proto:
			return off, nil
		case 0, 43, 60: // Hop-by-Hop Options, Routing, Destination Options
			if len(pkt) < off+2 {
				return 0, ErrTruncated
			}
			next, off = pkt[off], off+(int(pkt[off+1])+1)*8
		default: // a Fragment header, or another protocol
			return 0, ErrBadGSO
		}
	}
}

// Segments returns how many packets the super-packet pkt, described by h,
// is cut into by Split: 1 for GSONone, ⌈payload / GSOSize⌉ otherwise. It
// returns the errors of Split about pkt and h. It does not allocate.
func Segments(pkt []byte, h VirtioNetHdr) (int, error) {
	if h.GSOType == GSONone {
		return 1, nil
	}
	l, err := layoutGSO(pkt, h)
	return l.n, err
}

// Split cuts the packet pkt that a TUN device delivered with virtio-net
// header h into IP packets, as a NIC doing TSO or USO would (the kernel's
// tcp_gso_segment and __udp_gso_segment): segments first, first+1, … go to
// bufs[i][offset:], their lengths to sizes[i], as many as min(len(bufs),
// len(sizes)) allow, and Split returns how many it wrote. Call it again
// with first advanced by that count to resume; Segments tells how many
// there are in all.
//
// Each segment repeats the IP and TCP/UDP headers with its own lengths
// (IPv4 Total Length, IPv6 Payload Length, UDP Length), IPv4
// Identification (the first's plus the segment's index) and header
// checksum, and TCP Sequence Number (the first's plus the payload before
// it); FIN and PSH stay on the last segment only, CWR on the first only
// (RFC 3168 §6.1.2); the TCP or UDP checksum is computed in full (a UDP
// result of 0 is sent as 0xFFFF, RFC 768). With GSONone, pkt is copied
// whole to bufs[0][offset:] and its checksum completed there if h says
// VirtioNeedsCsum (see CompleteChecksum). pkt is not modified and must not
// overlap bufs.
//
// Split returns ErrGSOType, ErrTruncated, ErrChecksumOffset or ErrBadGSO
// for a packet it cannot cut, and io.ErrShortBuffer if a segment does not
// fit in bufs[i][offset:] (the segments before it are written and
// counted). It does not allocate.
func Split(pkt []byte, h VirtioNetHdr, first int, bufs [][]byte, sizes []int, offset int) (int, error) {
	room := min(len(bufs), len(sizes))
	if h.GSOType == GSONone {
		if first != 0 || room == 0 {
			return 0, nil
		}
		if offset < 0 || offset > len(bufs[0]) || len(bufs[0])-offset < len(pkt) {
			return 0, io.ErrShortBuffer
		}
		out := bufs[0][offset : offset+len(pkt)]
		copy(out, pkt)
		if err := CompleteChecksum(out, h); err != nil {
			return 0, err
		}
		sizes[0] = len(pkt)
		return 1, nil
	}
	l, err := layoutGSO(pkt, h)
	if err != nil {
		return 0, err
	}
	if first < 0 || first >= l.n {
		return 0, nil
	}
	k := min(room, l.n-first)
	for i := range k {
		seg := first + i
		start := l.hdrLen + seg*l.mss
		end := min(start+l.mss, len(pkt))
		total := l.hdrLen + end - start
		if offset < 0 || offset > len(bufs[i]) || len(bufs[i])-offset < total {
			return i, io.ErrShortBuffer
		}
		out := bufs[i][offset : offset+total]
		copy(out, pkt[:l.hdrLen])
		copy(out[l.hdrLen:], pkt[start:end])
		l.fixSegment(out, seg, pkt)
		sizes[i] = total
	}
	return k, nil
}

// fixSegment rewrites the headers copied into out for segment seg of the
// super-packet pkt.
func (l *gsoLayout) fixSegment(out []byte, seg int, pkt []byte) {
	total := len(out)
	if l.v6 {
		binary.BigEndian.PutUint16(out[4:], uint16(total-packet.IPv6HeaderLen))
	} else {
		binary.BigEndian.PutUint16(out[2:], uint16(total))
		binary.BigEndian.PutUint16(out[4:], binary.BigEndian.Uint16(pkt[4:])+uint16(seg))
		out[10], out[11] = 0, 0
		binary.BigEndian.PutUint16(out[10:], ^packet.Checksum(out[:l.l4], 0))
	}
	t := out[l.l4:]
	var csum int
	if l.udp {
		binary.BigEndian.PutUint16(t[udpLenOff:], uint16(len(t)))
		csum = udpCsumOff
	} else {
		seq := binary.BigEndian.Uint32(pkt[l.l4+tcpSeqOff:]) + uint32(seg*l.mss)
		binary.BigEndian.PutUint32(t[tcpSeqOff:], seq)
		if seg != 0 {
			t[tcpFlagsOff] &^= tcpCWR
		}
		if seg != l.n-1 {
			t[tcpFlagsOff] &^= tcpFIN | tcpPSH
		}
		csum = tcpCsumOff
	}
	t[csum], t[csum+1] = 0, 0
	sum := ^packet.Checksum(t, packet.Combine(l.pseudo, uint16(len(t))))
	if sum == 0 && l.udp {
		sum = 0xffff
	}
	binary.BigEndian.PutUint16(t[csum:], sum)
}

// CompleteChecksum completes the checksum of a packet the kernel handed
// over with VirtioNeedsCsum set in h (CHECKSUM_PARTIAL): the Internet
// checksum of pkt[h.CsumStart:], whose field at CsumStart+CsumOffset holds
// the pseudo-header sum, is stored in that field, with a result of 0 sent
// as 0xFFFF as Linux's skb_checksum_help does (the two are the same
// one's-complement number, and UDP reserves 0 for "no checksum"). Without
// the flag it does nothing.
//
// It returns ErrChecksumOffset if the field does not lie inside pkt. It
// does not allocate.
func CompleteChecksum(pkt []byte, h VirtioNetHdr) error {
	if !h.NeedsCsum() {
		return nil
	}
	start := int(h.CsumStart)
	at := start + int(h.CsumOffset)
	if at+2 > len(pkt) {
		return ErrChecksumOffset
	}
	sum := ^packet.Checksum(pkt[start:], 0)
	if sum == 0 {
		sum = 0xffff
	}
	binary.BigEndian.PutUint16(pkt[at:], sum)
	return nil
}
