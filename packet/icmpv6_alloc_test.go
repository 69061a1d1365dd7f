package packet

import (
	"net/netip"
	"testing"
)

var (
	ic6SinkMsg ICMPv6
	ic6SinkRA  RouterAdvertisement
	ic6SinkPI  PrefixInfo
	ic6SinkU16 uint16
)

func TestICMPv6NoAllocs(t *testing.T) {
	raPkt := i6Hex(t, i6VecRA)
	ip, err := ParseIPv6(raPkt)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseICMPv6(ip)
	if err != nil {
		t.Fatal(err)
	}
	ra, err := ParseRouterAdvertisement(m)
	if err != nil {
		t.Fatal(err)
	}
	echo := ic6Parse(t, i6Hex(t, ic6VecEcho))
	ns := ic6Parse(t, i6Hex(t, ic6VecNS))
	na := ic6Parse(t, i6Hex(t, ic6VecNA))
	rs := ic6Parse(t, i6Hex(t, i6VecRS))
	raf := &RAFields{CurHopLimit: 64, RouterLifetime: 1800, SourceLinkLayerAddr: ic6MAC1,
		Prefixes: []PrefixInfo{ic6VecRAPrefix}, MTU: 1280}
	invoking := ic6Invoking(1500)
	buf := make([]byte, 0, 2048)
	inplace := make([]byte, 1600)
	tests := []struct {
		name string
		f    func()
	}{
		{"ParseICMPv6", func() { ic6SinkMsg, i6SinkErr = ParseICMPv6(ip) }},
		{"ICMPv6 accessors", func() {
			i6SinkU8 = m.Type() + m.Code()
			ic6SinkU16 = m.Checksum()
			i6SinkBytes = m.Body()
			i6SinkBytes = m.Bytes()
			i6SinkBool = m.IsError()
			i6SinkView = m.IP()
		}},
		{"Echo", func() { ic6SinkU16, ic6SinkU16, i6SinkBytes, i6SinkErr = echo.Echo() }},
		{"ErrorMessage", func() { i6SinkU32, i6SinkBytes, i6SinkErr = m.ErrorMessage() }},
		{"ParseRouterAdvertisement", func() { ic6SinkRA, i6SinkErr = ParseRouterAdvertisement(m) }},
		{"ParseRouterSolicitation", func() { _, i6SinkErr = ParseRouterSolicitation(rs) }},
		{"ParseNeighborSolicitation", func() { _, i6SinkErr = ParseNeighborSolicitation(ns) }},
		{"ParseNeighborAdvertisement", func() { _, i6SinkErr = ParseNeighborAdvertisement(na) }},
		{"RA accessors", func() {
			i6SinkU8 = ra.CurHopLimit() + ra.Flags()
			ic6SinkU16 = ra.RouterLifetime()
			i6SinkU32 = ra.ReachableTime() + ra.RetransTimer()
			i6SinkU32, i6SinkBool = ra.MTU()
			ic6SinkPI, i6SinkInt = ra.PrefixInfo()
			i6SinkBytes, i6SinkBool = ra.SourceLinkLayerAddr()
		}},
		{"ND option iteration", func() {
			it := ra.Options()
			for o, ok := it.Next(); ok; o, ok = it.Next() {
				i6SinkU8 = o.Type()
				i6SinkBytes = o.Data()
				if pi, err := o.PrefixInfo(); err == nil {
					ic6SinkPI = pi
				}
				i6SinkU32, i6SinkErr = o.MTU()
			}
		}},
		{"AppendEchoRequest", func() {
			i6SinkBytes, i6SinkErr = AppendEchoRequest(buf[:0], ic6G1, ic6G2, 64, 1, 2, invoking[:56])
		}},
		{"AppendEchoReply", func() {
			i6SinkBytes, i6SinkErr = AppendEchoReply(buf[:0], ic6G1, ic6G2, 64, 1, 2, invoking[:56])
		}},
		{"AppendRouterSolicitation", func() {
			i6SinkBytes, i6SinkErr = AppendRouterSolicitation(buf[:0], ic6LL1, ic6AllRtrs, ic6MAC1)
		}},
		{"AppendRouterAdvertisement", func() {
			i6SinkBytes, i6SinkErr = AppendRouterAdvertisement(buf[:0], ic6LL1, ic6AllNodes, raf)
		}},
		{"AppendNeighborSolicitation", func() {
			i6SinkBytes, i6SinkErr = AppendNeighborSolicitation(buf[:0], ic6LL1, ic6SolG2, ic6G2, ic6MAC1)
		}},
		{"AppendNeighborAdvertisement", func() {
			i6SinkBytes, i6SinkErr = AppendNeighborAdvertisement(buf[:0], ic6G2, ic6LL1, ic6G2, NAFlagSolicited, ic6MAC2)
		}},
		{"AppendPacketTooBig", func() {
			i6SinkBytes, i6SinkErr = AppendPacketTooBig(buf[:0], ic6G1, ic6G2, 64, 1280, invoking)
		}},
		{"AppendDestUnreachable", func() {
			i6SinkBytes, i6SinkErr = AppendDestUnreachable(buf[:0], ic6G1, ic6G2, 64, ICMPv6NoRoute, invoking)
		}},
		{"AppendTimeExceeded", func() {
			i6SinkBytes, i6SinkErr = AppendTimeExceeded(buf[:0], ic6G1, ic6G2, 64, 0, invoking)
		}},
		{"PrependICMPv6Error", func() {
			i6SinkBytes, i6SinkErr = PrependICMPv6Error(inplace, ICMPv6ErrorHeadroom, ic6G1, ic6G2, 64, ICMPv6PacketTooBig, 0, 1280)
		}},
		{"option appenders", func() {
			i6SinkBytes, i6SinkErr = ic6VecRAPrefix.AppendTo(buf[:0])
			i6SinkBytes = AppendMTUOption(i6SinkBytes, 1280)
			i6SinkBytes, i6SinkErr = AppendNDOption(i6SinkBytes, NDOptSourceLinkLayerAddr, ic6MAC1)
		}},
		{"builder error", func() {
			i6SinkBytes, i6SinkErr = AppendEchoRequest(buf[:0], netip.Addr{}, ic6G2, 64, 1, 2, nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tt.f); n != 0 {
				t.Errorf("%v allocations, want 0", n)
			}
		})
	}
}
