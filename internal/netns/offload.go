package netns

import (
	"fmt"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ethtoolValue is struct ethtool_value of <linux/ethtool.h>.
type ethtoolValue struct {
	cmd, data uint32
}

// ifreqData is struct ifreq with ifr_data set.
type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [24 - unsafe.Sizeof(uintptr(0))]byte // rest of the union
}

// ethtool runs the ethtool command cmd with value v on ifname in n's
// namespace and returns the value the kernel left.
func (n *NS) ethtool(ifname string, cmd, v uint32) (uint32, error) {
	var out uint32
	err := n.Do(func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		ev := &ethtoolValue{cmd: cmd, data: v}
		ifr := &ifreqData{data: unsafe.Pointer(ev)}
		copy(ifr.name[:unix.IFNAMSIZ-1], ifname)
		if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(ifr))); errno != 0 {
			return fmt.Errorf("ethtool %#x on %s: %w", cmd, ifname, errno)
		}
		out = ev.data
		return nil
	})
	return out, err
}

// NoTxChecksumOffload turns off transmit checksum offload on ifname (as
// `ethtool -K IFNAME tx off` does), so that the packets it sends carry
// finished checksums. A veth otherwise hands its peer packets whose
// transport checksum covers only the pseudo-header (the kernel trusts
// them), and a capture anywhere on their way, in any namespace, shows them
// as bad. Tests that validate checksums in a capture call it on every
// interface that sends what they capture. Segmentation offloads that
// need checksum offload go with it.
func (n *NS) NoTxChecksumOffload(t testing.TB, ifname string) {
	t.Helper()
	if _, err := n.ethtool(ifname, unix.ETHTOOL_STXCSUM, 0); err != nil {
		t.Fatalf("in %s: %v", n.name, err)
	}
}

// TxChecksumOffload reports whether transmit checksum offload is on for
// ifname.
func (n *NS) TxChecksumOffload(t testing.TB, ifname string) bool {
	t.Helper()
	v, err := n.ethtool(ifname, unix.ETHTOOL_GTXCSUM, 0)
	if err != nil {
		t.Fatalf("in %s: %v", n.name, err)
	}
	return v != 0
}
