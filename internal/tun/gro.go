package tun

import (
	"bytes"
	"encoding/binary"

	"github.com/transit6/transit6/packet"
)

// MaxCoalesce is the most packets Coalesce joins into one super-packet.
const MaxCoalesce = IdealBatchSize

// groFlow is what Coalesce learns from the first packet of a run.
type groFlow struct {
	v6     bool
	udp    bool
	l4     int // offset of the TCP/UDP header: 20 or 40, no options or extension headers
	hdrLen int
	mss    int // the first packet's payload length
	pseudo uint16
}

// groHead checks whether p can start a super-packet and returns its flow.
// It takes IPv4 without options and not fragmented, and IPv6 with TCP or
// UDP right after the fixed header, whose lengths match len(p) exactly;
// TCP segments with ACK, maybe ECE and PSH, and no other flag, carrying
// data; UDP datagrams carrying data with a checksum.
func groHead(p []byte, udpOK bool) (groFlow, bool) {
	var f groFlow
	if len(p) < packet.IPv4HeaderLen || len(p) > maxIPLen {
		return f, false
	}
	var proto uint8
	switch p[0] >> 4 {
	case 4:
		if p[0]&0x0f != 5 || int(binary.BigEndian.Uint16(p[2:])) != len(p) ||
			binary.BigEndian.Uint16(p[6:])&0xbfff != 0 { // reserved flag, MF or an offset
			return f, false
		}
		f.l4, proto = packet.IPv4HeaderLen, p[9]
	case 6:
		if len(p) < packet.IPv6HeaderLen || int(binary.BigEndian.Uint16(p[4:]))+packet.IPv6HeaderLen != len(p) {
			return f, false
		}
		f.v6, f.l4, proto = true, packet.IPv6HeaderLen, p[6]
	default:
		return f, false
	}
	switch proto {
	case packet.ProtoTCP:
		if len(p) < f.l4+tcpMinLen {
			return f, false
		}
		t := p[f.l4:]
		thl := int(t[12]>>4) * 4
		if thl < tcpMinLen || len(t) <= thl || t[tcpFlagsOff]&^(tcpPSH|tcpECE) != tcpACK {
			return f, false
		}
		f.hdrLen = f.l4 + thl
	case packet.ProtoUDP:
		if !udpOK || len(p) <= f.l4+udpLen {
			return f, false
		}
		t := p[f.l4:]
		if int(binary.BigEndian.Uint16(t[udpLenOff:])) != len(t) || binary.BigEndian.Uint16(t[udpCsumOff:]) == 0 {
			return f, false
		}
		f.udp, f.hdrLen = true, f.l4+udpLen
	default:
		return f, false
	}
	f.mss = len(p) - f.hdrLen
	if f.v6 {
		f.pseudo = packet.Checksum(p[8:40], uint16(proto))
	} else {
		f.pseudo = packet.Checksum(p[12:20], uint16(proto))
	}
	return f, true
}

// checksumOK reports whether the TCP or UDP checksum of p verifies, and
// its IPv4 header checksum.
func (f *groFlow) checksumOK(p []byte) bool {
	if !f.v6 && packet.Checksum(p[:f.l4], 0) != 0xffff {
		return false
	}
	t := p[f.l4:]
	return packet.Checksum(t, packet.Combine(f.pseudo, uint16(len(t)))) == 0xffff
}

// follows reports whether p can be appended to the run that head starts,
// whose payload so far is size bytes.
func (f *groFlow) follows(head, p []byte, size int) bool {
	if len(p) <= f.hdrLen || len(p)-f.hdrLen > f.mss || len(p) > maxIPLen {
		return false
	}
	// The IP headers must agree but for lengths, checksum and
	// Identification: version, IHL, TOS/Traffic Class, flow label, DF,
	// TTL/Hop Limit, protocol, addresses.
	if f.v6 {
		// Payload Length must cover the packet exactly, as Total Length
		// must for IPv4 (a packet shorter than its Payload Length would
		// come back from Split one byte short: found by FuzzCoalesce).
		if !bytes.Equal(p[:4], head[:4]) || !bytes.Equal(p[6:40], head[6:40]) ||
			int(binary.BigEndian.Uint16(p[4:]))+packet.IPv6HeaderLen != len(p) {
			return false
		}
	} else {
		if p[0] != head[0] || p[1] != head[1] || binary.BigEndian.Uint16(p[2:]) != uint16(len(p)) ||
			p[6] != head[6] || p[7] != head[7] || p[8] != head[8] || p[9] != head[9] ||
			!bytes.Equal(p[12:20], head[12:20]) {
			return false
		}
	}
	t, ht := p[f.l4:], head[f.l4:]
	if f.udp {
		// Ports; the length and checksum are the datagram's own.
		return bytes.Equal(t[:4], ht[:4]) && int(binary.BigEndian.Uint16(t[udpLenOff:])) == len(t) &&
			binary.BigEndian.Uint16(t[udpCsumOff:]) != 0
	}
	// TCP: ports, the next sequence number, acknowledgment, data offset,
	// flags but PSH, window and options all as in the head (Linux's
	// tcp_gro_receive asks the same).
	return bytes.Equal(t[:4], ht[:4]) &&
		binary.BigEndian.Uint32(t[tcpSeqOff:]) == binary.BigEndian.Uint32(ht[tcpSeqOff:])+uint32(size) &&
		bytes.Equal(t[tcpAckOff:tcpFlagsOff], ht[tcpAckOff:tcpFlagsOff]) &&
		t[tcpFlagsOff]&^tcpPSH == ht[tcpFlagsOff]&^tcpPSH &&
		bytes.Equal(t[tcpWindowOff:tcpCsumOff], ht[tcpWindowOff:tcpCsumOff]) &&
		bytes.Equal(t[tcpMinLen:f.hdrLen-f.l4], ht[tcpMinLen:f.hdrLen-f.l4])
}

// Coalesce is the reverse of Split, what a NIC doing GRO does (Linux's
// tcp_gro_receive and udp_gro_receive): it returns how many of the
// packets bufs[i][offset:], from the first on, can be written to a TUN
// device as one super-packet, n ≥ 1 (0 only for empty bufs), and the
// virtio-net header to write in front of it. The super-packet is
// bufs[0][offset:] followed by the payloads bufs[i][offset+h.HdrLen:] of
// the others, in order; if n == 1, h is the zero header.
//
// A run is at most MaxCoalesce packets and 65535 bytes of one TCP
// connection (IPv4 without options, or IPv6 without extension headers):
// consecutive sequence numbers; the same IP header fields but lengths and
// IPv4 Identification; the same TCP ports, acknowledgment, window, options
// and flags (ACK, maybe ECE; PSH ends the run); payloads of the first
// packet's length but the last, which may be shorter; valid checksums,
// since the kernel trusts the one it computes for the super-packet. With
// udp set, runs of UDP datagrams between the same ports are coalesced
// likewise (for a device whose kernel takes GSOUDPL4 packets); the kernel
// delivers them as separate datagrams again.
//
// When n > 1, Coalesce rewrites the headers of bufs[0][offset:] for the
// super-packet: IPv4 Total Length and header checksum or IPv6 Payload
// Length, UDP Length, PSH if the last packet has it, and the TCP/UDP
// checksum field, which receives the pseudo-header sum that
// VirtioNeedsCsum asks for. The other packets are not modified. It does
// not allocate.
func Coalesce(bufs [][]byte, offset int, udp bool) (int, VirtioNetHdr) {
	if len(bufs) == 0 {
		return 0, VirtioNetHdr{}
	}
	if len(bufs) == 1 || offset < 0 || offset > len(bufs[0]) {
		return 1, VirtioNetHdr{}
	}
	head := bufs[0][offset:]
	f, ok := groHead(head, udp)
	if !ok {
		return 1, VirtioNetHdr{}
	}
	if !f.udp && head[f.l4+tcpFlagsOff]&tcpPSH != 0 {
		return 1, VirtioNetHdr{}
	}
	size := f.mss // payload bytes so far
	n := 1
	for n < len(bufs) && n < MaxCoalesce {
		if offset > len(bufs[n]) {
			break
		}
		p := bufs[n][offset:]
		if !f.follows(head, p, size) || size+len(p) > maxIPLen {
			break
		}
		if n == 1 && !f.checksumOK(head) {
			return 1, VirtioNetHdr{}
		}
		if !f.checksumOK(p) {
			break
		}
		size += len(p) - f.hdrLen
		n++
		if len(p)-f.hdrLen < f.mss || (!f.udp && p[f.l4+tcpFlagsOff]&tcpPSH != 0) {
			break // nothing may follow a short segment, or PSH
		}
	}
	if n == 1 {
		return 1, VirtioNetHdr{}
	}
	total := f.hdrLen + size
	h := VirtioNetHdr{
		Flags:     VirtioNeedsCsum,
		HdrLen:    uint16(f.hdrLen),
		GSOSize:   uint16(f.mss),
		CsumStart: uint16(f.l4),
	}
	if f.v6 {
		binary.BigEndian.PutUint16(head[4:], uint16(total-packet.IPv6HeaderLen))
		h.GSOType = GSOTCPv6
	} else {
		binary.BigEndian.PutUint16(head[2:], uint16(total))
		head[10], head[11] = 0, 0
		binary.BigEndian.PutUint16(head[10:], ^packet.Checksum(head[:f.l4], 0))
		h.GSOType = GSOTCPv4
	}
	t := head[f.l4:]
	csum := tcpCsumOff
	if f.udp {
		h.GSOType = GSOUDPL4
		csum = udpCsumOff
		binary.BigEndian.PutUint16(t[udpLenOff:], uint16(total-f.l4))
	} else if last := bufs[n-1][offset:]; last[f.l4+tcpFlagsOff]&tcpPSH != 0 {
		t[tcpFlagsOff] |= tcpPSH
	}
	h.CsumOffset = uint16(csum)
	binary.BigEndian.PutUint16(t[csum:], packet.Combine(f.pseudo, uint16(total-f.l4)))
	return n, h
}
