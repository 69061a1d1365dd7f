package rawip

import (
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// ICMPv4 types that report a problem with a packet we sent (RFC 792).
const (
	ICMPDestUnreachable = 3
	ICMPTimeExceeded    = 11
)

// ListenICMPErrors opens a raw ICMP socket (bound to local, like Listen)
// whose reads return only ICMPv4 Destination Unreachable and Time Exceeded
// messages quoting a packet of IP protocol proto: whole IPv4 packets, outer
// header first. The selection is a classic BPF program run by the kernel,
// so other ICMP traffic never reaches the process:
//
//	ldxb 4*([0]&0xf)    ; X = outer header length
//	ldb  [x+0]          ; ICMP type
//	jeq  #3, quoted     ; Destination Unreachable
//	jeq  #11, quoted    ; Time Exceeded
//	ret  #0
//	quoted: ldb [x+17]  ; Protocol of the quoted header (8 + 9)
//	jeq  #proto, accept
//	ret  #0
//	accept: ret #-1
//
// A message too short to hold the quoted header's Protocol byte is
// dropped. Everything else, including whether the quoted packet is really
// one of ours, is for the caller to check. The kernel goes on handling the
// same messages itself (path MTU updates for Fragmentation Needed).
func ListenICMPErrors(proto int, local netip.Addr) (*Conn, error) {
	if proto < 1 || proto > 254 {
		return nil, ErrBadProtocol
	}
	fd, err := socket(unix.IPPROTO_ICMP, local)
	if err != nil {
		return nil, err
	}
	prog := []unix.SockFilter{
		{Code: unix.BPF_LDX | unix.BPF_B | unix.BPF_MSH, K: 0},
		{Code: unix.BPF_LD | unix.BPF_B | unix.BPF_IND, K: 0},
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: ICMPDestUnreachable, Jt: 1, Jf: 0},
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: ICMPTimeExceeded, Jt: 0, Jf: 2},
		{Code: unix.BPF_LD | unix.BPF_B | unix.BPF_IND, K: 8 + 9},
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: uint32(proto), Jt: 1, Jf: 0},
		{Code: unix.BPF_RET | unix.BPF_K, K: 0},
		{Code: unix.BPF_RET | unix.BPF_K, K: 0xffffffff},
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("rawip: SO_ATTACH_FILTER: %w", err)
	}
	// Drop what arrived between socket() and the filter.
	var scratch [64]byte
	for {
		if _, _, err := unix.Recvfrom(fd, scratch[:], unix.MSG_DONTWAIT|unix.MSG_TRUNC); err != nil {
			break
		}
	}
	return newConn(fd, unix.IPPROTO_ICMP, local)
}
