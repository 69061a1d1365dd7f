package tun

import (
	"encoding/binary"
	"net"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"
	"github.com/transit6/transit6/packet"
)

// Packets for the offload tests are built by gopacket, an implementation
// independent of package packet and of the code under test: headers,
// lengths and checksums (FixLengths, ComputeChecksums).

// flow describes the packets of one test flow.
type flow struct {
	v6    bool
	udp   bool
	src   net.IP
	dst   net.IP
	sport uint16
	dport uint16
	id    uint16 // IPv4 Identification of the first packet
	seq   uint32 // TCP sequence number of the first packet
	ack   uint32
	win   uint16
	ts    bool   // a TCP timestamps option (NOP, NOP, TS: 12 bytes)
	ext   bool   // an IPv6 Destination Options header before TCP/UDP
	tos   uint8  // IPv4 TOS or IPv6 Traffic Class
	flags uint8  // TCP flags of every packet, or of a super-packet
	hop   uint8  // TTL / Hop Limit; 64 if 0
	dfOff bool   // IPv4 without DF
	label uint32 // IPv6 flow label
}

var (
	src4 = net.IPv4(192, 0, 2, 1).To4()
	dst4 = net.IPv4(198, 51, 100, 2).To4()
	src6 = net.ParseIP("2001:db8::1")
	dst6 = net.ParseIP("2001:db8:ffff::2")
)

func tcp4Flow() flow {
	return flow{src: src4, dst: dst4, sport: 40000, dport: 5201, id: 0x1234, seq: 0xfffff000, ack: 77, win: 500, flags: tcpACK}
}

func tcp6Flow() flow {
	f := tcp4Flow()
	f.v6, f.src, f.dst, f.label = true, src6, dst6, 0xbeef
	return f
}

func udp4Flow() flow {
	f := tcp4Flow()
	f.udp, f.flags = true, 0
	return f
}

func udp6Flow() flow {
	f := tcp6Flow()
	f.udp, f.flags = true, 0
	return f
}

// build returns the packet of flow f with the given payload, sequence
// offset (added to f.seq), Identification offset (added to f.id) and TCP
// flags.
func (f flow) build(t testing.TB, payload []byte, seqOff uint32, idOff uint16, flags uint8) []byte {
	t.Helper()
	hop := f.hop
	if hop == 0 {
		hop = 64
	}
	var l4 []gopacket.SerializableLayer
	var nl gopacket.NetworkLayer
	proto := layers.IPProtocolTCP
	if f.udp {
		proto = layers.IPProtocolUDP
	}
	if f.v6 {
		nl = &layers.IPv6{Version: 6, TrafficClass: f.tos, FlowLabel: f.label, NextHeader: proto, HopLimit: hop, SrcIP: f.src, DstIP: f.dst}
	} else {
		ip := &layers.IPv4{Version: 4, IHL: 5, TOS: f.tos, Id: f.id + idOff, TTL: hop, Protocol: proto, SrcIP: f.src, DstIP: f.dst, Flags: layers.IPv4DontFragment}
		if f.dfOff {
			ip.Flags = 0
		}
		nl = ip
	}
	if f.udp {
		u := &layers.UDP{SrcPort: layers.UDPPort(f.sport), DstPort: layers.UDPPort(f.dport)}
		require.NoError(t, u.SetNetworkLayerForChecksum(nl))
		l4 = append(l4, u)
	} else {
		tc := &layers.TCP{SrcPort: layers.TCPPort(f.sport), DstPort: layers.TCPPort(f.dport), Seq: f.seq + seqOff, Ack: f.ack, Window: f.win,
			FIN: flags&tcpFIN != 0, SYN: flags&tcpSYN != 0, RST: flags&tcpRST != 0, PSH: flags&tcpPSH != 0,
			ACK: flags&tcpACK != 0, URG: flags&tcpURG != 0, ECE: flags&tcpECE != 0, CWR: flags&tcpCWR != 0}
		if f.ts {
			tc.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindNop}, {OptionType: layers.TCPOptionKindNop},
				{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: []byte{1, 2, 3, 4, 5, 6, 7, 8}}}
		}
		require.NoError(t, tc.SetNetworkLayerForChecksum(nl))
		l4 = append(l4, tc)
	}
	l4 = append(l4, gopacket.Payload(payload))
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	buf := gopacket.NewSerializeBuffer()
	require.NoError(t, gopacket.SerializeLayers(buf, opts, l4...))
	upper := append([]byte(nil), buf.Bytes()...)
	if f.ext {
		// Destination Options (RFC 8200 §4.6) with one PadN option of 4
		// bytes: 8 bytes in all.
		upper = append([]byte{byte(proto), 0, 1, 4, 0, 0, 0, 0}, upper...)
		nl.(*layers.IPv6).NextHeader = layers.IPProtocolIPv6Destination
	}
	buf = gopacket.NewSerializeBuffer()
	require.NoError(t, gopacket.SerializeLayers(buf, opts, nl.(gopacket.SerializableLayer), gopacket.Payload(upper)))
	return append([]byte(nil), buf.Bytes()...)
}

// l4Off returns the offset of the TCP/UDP header in f's packets.
func (f flow) l4Off() int {
	switch {
	case f.v6 && f.ext:
		return 48
	case f.v6:
		return 40
	}
	return 20
}

// hdrLen returns the length of the IP and TCP/UDP headers of f's packets.
func (f flow) hdrLen() int {
	switch {
	case f.udp:
		return f.l4Off() + 8
	case f.ts:
		return f.l4Off() + 32
	}
	return f.l4Off() + 20
}

// super returns the super-packet the kernel would hand a TUN with TSO/USO
// for payload sent in segments of mss bytes, and its virtio-net header:
// one packet with all the payload, the flags of the whole, and the
// TCP/UDP checksum field holding the pseudo-header sum (VirtioNeedsCsum).
func (f flow) super(t testing.TB, payload []byte, mss int) ([]byte, VirtioNetHdr) {
	t.Helper()
	p := f.build(t, payload, 0, 0, f.flags)
	l4 := f.l4Off()
	h := VirtioNetHdr{Flags: VirtioNeedsCsum, HdrLen: uint16(len(p)), GSOSize: uint16(mss), CsumStart: uint16(l4)}
	proto := uint8(packet.ProtoTCP)
	switch {
	case f.udp:
		h.GSOType, h.CsumOffset, proto = GSOUDPL4, 6, packet.ProtoUDP
	case f.v6:
		h.GSOType, h.CsumOffset = GSOTCPv6, 16
	default:
		h.GSOType, h.CsumOffset = GSOTCPv4, 16
	}
	if f.flags&tcpCWR != 0 && !f.udp {
		h.GSOType |= GSOECN
	}
	// The pseudo-header sum, by hand (RFC 768, RFC 9293 §3.1, RFC 8200
	// §8.1): addresses as 16-bit words, the protocol, the length.
	var sum uint32
	for _, a := range [][]byte{p[ipSrcOff(f.v6):ipDstOff(f.v6)], p[ipDstOff(f.v6) : 2*ipDstOff(f.v6)-ipSrcOff(f.v6)]} {
		for i := 0; i < len(a); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(a[i:]))
		}
	}
	sum += uint32(proto) + uint32(len(p)-l4)
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(p[l4+int(h.CsumOffset):], uint16(sum))
	return p, h
}

func ipSrcOff(v6 bool) int {
	if v6 {
		return 8
	}
	return 12
}

func ipDstOff(v6 bool) int {
	if v6 {
		return 24
	}
	return 16
}

// segments returns the packets a NIC would send for payload in segments
// of mss bytes: IPv4 Identification counting up, sequence numbers
// following the payload, FIN and PSH on the last segment only, CWR on the
// first only.
func (f flow) segments(t testing.TB, payload []byte, mss int) [][]byte {
	t.Helper()
	var out [][]byte
	for i, off := 0, 0; off < len(payload); i, off = i+1, off+mss {
		end := min(off+mss, len(payload))
		flags := f.flags
		if end != len(payload) {
			flags &^= tcpFIN | tcpPSH
		}
		if i != 0 {
			flags &^= tcpCWR
		}
		out = append(out, f.build(t, payload[off:end], uint32(off), uint16(i), flags))
	}
	return out
}

// payload returns n bytes of a pattern that no two nearby offsets share.
func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

// verifyL4 reports whether the TCP/UDP checksum of the IP packet p, whose
// upper-layer header is at l4, verifies (by the straightforward RFC 1071
// sum, independent of package packet).
func verifyL4(p []byte, l4 int, v6 bool, proto uint8) bool {
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	if v6 {
		add(p[8:40])
	} else {
		add(p[12:20])
	}
	sum += uint32(proto) + uint32(len(p)-l4)
	add(p[l4:])
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return sum == 0xffff
}
