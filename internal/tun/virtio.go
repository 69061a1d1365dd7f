package tun

// The virtio-net header (struct virtio_net_hdr in Linux's
// include/uapi/linux/virtio_net.h; VIRTIO 1.2 §5.1.6, "Device Operation")
// comes before every packet read from or written to a TUN device opened
// with IFF_VNET_HDR. It tells which checksum the reader still has to
// complete (VIRTIO_NET_HDR_F_NEEDS_CSUM, the kernel's CHECKSUM_PARTIAL) and
// whether the packet is a GSO super-packet to cut into gso_size segments.
// Its 16-bit fields are little-endian: Open puts the device in
// little-endian mode (TUNSETVNETLE), which is also the legacy layout of
// every little-endian host.
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     flags     |   gso_type    |            hdr_len            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|           gso_size            |          csum_start           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|          csum_offset          |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

import (
	"encoding/binary"
	"io"
)

// VirtioNetHdrLen is the length of the virtio-net header, sizeof(struct
// virtio_net_hdr).
const VirtioNetHdrLen = 10

// Virtio-net header flags (VIRTIO 1.2 §5.1.6).
const (
	// VirtioNeedsCsum: the Internet checksum from CsumStart to the end
	// of the packet is still to be computed and stored at
	// CsumStart+CsumOffset, whose 16 bits hold the pseudo-header sum.
	VirtioNeedsCsum = 1
	// VirtioDataValid: the checksums were verified (only on packets the
	// device delivers).
	VirtioDataValid = 2
)

// Virtio-net GSO types (VIRTIO 1.2 §5.1.6): what a super-packet is to be
// segmented as.
const (
	GSONone  = 0    // a single packet
	GSOTCPv4 = 1    // TCP over IPv4 (TSO)
	GSOUDP   = 3    // UDP fragmentation offload (UFO), which Linux no longer produces
	GSOTCPv6 = 4    // TCP over IPv6 (TSO)
	GSOUDPL4 = 5    // UDP segmentation (USO, Linux's UDP_SEGMENT), over IPv4 or IPv6
	GSOECN   = 0x80 // flag: the TCP super-packet carries CWR (RFC 3168 §6.1.2)
)

// VirtioNetHdr is a decoded virtio-net header. The zero VirtioNetHdr
// describes a plain packet with its checksums complete.
type VirtioNetHdr struct {
	Flags   uint8 // VirtioNeedsCsum, VirtioDataValid
	GSOType uint8 // GSONone, GSOTCPv4, GSOTCPv6 or GSOUDPL4, maybe | GSOECN
	// HdrLen is the length of the headers a segment repeats (IP and
	// TCP/UDP). Linux fills it loosely when it sends (it may cover the
	// whole linear part of the buffer), so Split computes it from the
	// packet instead.
	HdrLen     uint16
	GSOSize    uint16 // payload bytes per segment, the last one may be shorter
	CsumStart  uint16 // offset of the first byte the checksum covers (the TCP/UDP header)
	CsumOffset uint16 // offset of the checksum field from CsumStart: 16 TCP, 6 UDP
}

// ParseVirtioNetHdr decodes the virtio-net header at the start of b. It
// returns ErrTruncated if b is shorter than VirtioNetHdrLen. It does not
// allocate.
func ParseVirtioNetHdr(b []byte) (VirtioNetHdr, error) {
	var h VirtioNetHdr
	err := h.Decode(b)
	return h, err
}

// Decode decodes the virtio-net header at the start of b into h. It
// returns ErrTruncated if b is shorter than VirtioNetHdrLen, leaving h
// unchanged. It does not allocate.
func (h *VirtioNetHdr) Decode(b []byte) error {
	if len(b) < VirtioNetHdrLen {
		return ErrTruncated
	}
	*h = VirtioNetHdr{
		Flags:      b[0],
		GSOType:    b[1],
		HdrLen:     binary.LittleEndian.Uint16(b[2:]),
		GSOSize:    binary.LittleEndian.Uint16(b[4:]),
		CsumStart:  binary.LittleEndian.Uint16(b[6:]),
		CsumOffset: binary.LittleEndian.Uint16(b[8:]),
	}
	return nil
}

// Encode writes h into b[:VirtioNetHdrLen]. It returns io.ErrShortBuffer
// if b is shorter. It does not allocate.
func (h VirtioNetHdr) Encode(b []byte) error {
	if len(b) < VirtioNetHdrLen {
		return io.ErrShortBuffer
	}
	h.put(b)
	return nil
}

func (h VirtioNetHdr) put(b []byte) {
	_ = b[VirtioNetHdrLen-1]
	b[0], b[1] = h.Flags, h.GSOType
	binary.LittleEndian.PutUint16(b[2:], h.HdrLen)
	binary.LittleEndian.PutUint16(b[4:], h.GSOSize)
	binary.LittleEndian.PutUint16(b[6:], h.CsumStart)
	binary.LittleEndian.PutUint16(b[8:], h.CsumOffset)
}

// AppendTo appends the encoded header to dst. It does not allocate if dst
// has room for VirtioNetHdrLen more bytes.
func (h VirtioNetHdr) AppendTo(dst []byte) []byte {
	dst = append(dst, make([]byte, VirtioNetHdrLen)...)
	h.put(dst[len(dst)-VirtioNetHdrLen:])
	return dst
}

// GSO returns the GSO type without the GSOECN flag.
func (h VirtioNetHdr) GSO() uint8 { return h.GSOType &^ GSOECN }

// NeedsCsum reports whether the VirtioNeedsCsum flag is set.
func (h VirtioNetHdr) NeedsCsum() bool { return h.Flags&VirtioNeedsCsum != 0 }
