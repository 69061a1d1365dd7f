package tun

import (
	"errors"
	"os"
)

var (
	// ErrClosed is returned by methods of a closed Device. It is
	// os.ErrClosed, so errors.Is(err, os.ErrClosed) works too.
	ErrClosed = os.ErrClosed
	// ErrBadMTU reports an MTU outside [MinMTU, MaxMTU].
	ErrBadMTU = errors.New("tun: MTU out of range")
	// ErrNameTooLong reports an interface name longer than 15 bytes
	// (IFNAMSIZ-1).
	ErrNameTooLong = errors.New("tun: interface name too long")

	// ErrRingThread is returned by Read on a device with ring reads
	// (Options.Ring) when called from a goroutine other than the one
	// that read first, which alone may wait on the ring.
	ErrRingThread = errors.New("tun: ring reads from a second goroutine")

	// ErrTruncated reports a virtio-net header shorter than
	// VirtioNetHdrLen, or a packet shorter than the IP and TCP/UDP
	// headers its GSO type implies.
	ErrTruncated = errors.New("tun: truncated virtio-net header or packet")
	// ErrGSOType reports a GSO type Split does not segment (UFO, or an
	// unknown value).
	ErrGSOType = errors.New("tun: unsupported GSO type")
	// ErrChecksumOffset reports a checksum start or offset that does not
	// lie inside the packet, or that disagrees with its headers.
	ErrChecksumOffset = errors.New("tun: checksum start or offset outside the packet")
	// ErrBadGSO reports a super-packet that does not match its
	// virtio-net header: wrong IP version or protocol, an IPv4 fragment,
	// an unknown IPv6 extension header, a bad TCP data offset, a zero
	// segment size, no payload, or segments longer than 65535 bytes.
	ErrBadGSO = errors.New("tun: malformed GSO super-packet")
)
