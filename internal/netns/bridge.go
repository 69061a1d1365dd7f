package netns

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
)

// Bridge is a Linux bridge inside a namespace: one Ethernet segment that any
// number of namespaces join with [Bridge.Plug], for topologies a veth pair
// cannot make (an IPv4 "internet" with a server, a relay and several NATs
// on one /24; a LAN with two hosts behind one NAT). Its methods may be
// called from several goroutines.
type Bridge struct {
	ns    *NS
	name  string
	ports atomic.Int32 // ports made so far, for their names
}

// maxBridgeName leaves room in IFNAMSIZ (15 bytes) for the port suffix
// "p" + a number.
const maxBridgeName = 10

// Bridge creates a bridge called name (at most 10 bytes) in n, brings it
// up and adds addrs to it, so that n itself is a host on the segment (a
// router or a NAT with its inside address on the bridge). The bridge has
// no spanning tree, so ports forward as soon as they are up, and no
// multicast snooping, so Neighbor Discovery reaches every port whatever
// the hosts report (RFC 4861 §7.2). In n, bridged frames skip the host's
// iptables and ip6tables (br_netfilter), so only nftables rules a test
// adds to n see them. The bridge goes with the namespace.
func (n *NS) Bridge(t testing.TB, name string, addrs ...netip.Prefix) *Bridge {
	t.Helper()
	if len(name) == 0 || len(name) > maxBridgeName {
		t.Fatalf("netns: bridge name %q: want 1 to %d bytes", name, maxBridgeName)
		return nil // t.Fatalf returns only in the harness's own tests
	}
	n.IP(t, "link", "add", name, "type", "bridge", "stp_state", "0", "mcast_snooping", "0")
	n.Exec(t, func() error {
		// Present only when br_netfilter is loaded; then it is per
		// namespace (Linux 5.3+) and on by default.
		for _, k := range []string{"bridge-nf-call-iptables", "bridge-nf-call-ip6tables", "bridge-nf-call-arptables"} {
			err := os.WriteFile(filepath.Join("/proc/sys/net/bridge", k), []byte("0"), 0)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		return nil
	})
	n.IP(t, "link", "set", name, "up")
	for _, a := range addrs {
		n.AddAddr(t, name, a)
	}
	return &Bridge{ns: n, name: name}
}

// Name returns the bridge's interface name in its namespace.
func (b *Bridge) Name() string { return b.name }

// NS returns the namespace the bridge is in.
func (b *Bridge) NS() *NS { return b.ns }

// Plug connects namespace h to the bridge with a veth pair: hIf in h,
// carrying addrs (IPv6 ones with nodad), and a port in the bridge's
// namespace named after the bridge ("inet" gets "inetp1", "inetp2", ...).
// Both ends are up and the addresses usable when it returns. h may be the
// bridge's own namespace only if hIf differs from every port name.
func (b *Bridge) Plug(t testing.TB, h *NS, hIf string, addrs ...netip.Prefix) {
	t.Helper()
	port := b.name + "p" + strconv.Itoa(int(b.ports.Add(1)))
	b.ns.IP(t, "link", "add", port, "type", "veth", "peer", "name", hIf, "netns", h.name)
	b.ns.IP(t, "link", "set", port, "master", b.name)
	b.ns.IP(t, "link", "set", port, "up")
	for _, a := range addrs {
		h.AddAddr(t, hIf, a)
	}
	h.IP(t, "link", "set", hIf, "up")
	for _, a := range addrs {
		h.WaitAddr(t, a.Addr())
	}
}
