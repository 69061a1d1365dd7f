package iphttps_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/transit6/transit6/iphttps"
	"github.com/transit6/transit6/packet"
)

// The router without I/O: two clients attach, one solicits a Router
// Advertisement and pings the other; what a client must receive waits in
// its session's queue, as the bytes of its response stream.
func ExampleRouter() {
	r, err := iphttps.NewRouter(iphttps.RouterConfig{Prefix: netip.MustParsePrefix("2001:db8:1:1000::/64")})
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, _ := r.Attach(now, iphttps.SessionInfo{})
	b, _ := r.Attach(now, iphttps.SessionInfo{})

	aAddr := netip.MustParseAddr("2001:db8:1:1000::a")
	bAddr := netip.MustParseAddr("2001:db8:1:1000::b")
	rs, _ := packet.AppendRouterSolicitation(nil, netip.MustParseAddr("fe80::a"), netip.MustParseAddr("ff02::2"), nil)
	v, _ := r.FromClient(now, a, rs)
	fmt.Println("RS:", v, len(a.Peek(1500)), "bytes queued for A")
	a.Release(len(a.Peek(1500)))

	// B's first packet makes the router learn B's address.
	hello, _ := packet.AppendEchoRequest(nil, bAddr, netip.MustParseAddr("2001:db8:ffff::1"), 64, 1, 1, nil)
	v, _ = r.FromClient(now, b, hello)
	fmt.Println("B to the Internet:", v)

	ping, _ := packet.AppendEchoRequest(nil, aAddr, bAddr, 64, 7, 1, []byte("hi"))
	v, why := r.FromClient(now, a, ping)
	fmt.Println("A to B:", v, why, len(b.Peek(1500)), "bytes queued for B")

	// Mode None: A may not use B's address.
	spoof, _ := packet.AppendEchoRequest(nil, bAddr, aAddr, 64, 7, 2, nil)
	v, why = r.FromClient(now, a, spoof)
	fmt.Println("A as B:", v, why)
	// Output:
	// RS: local 96 bytes queued for A
	// B to the Internet: native
	// A to B: queued none 50 bytes queued for B
	// A as B: drop spoofed-source
}

// The reconnect timer of [MS-IPHTTPS] §3.1.2.1, with attempts that fail at
// once.
func ExampleBackoff() {
	var b iphttps.Backoff
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var waits []time.Duration
	for range 8 {
		d := b.Failure(now)
		waits = append(waits, d)
		now = now.Add(d)
	}
	fmt.Println(waits)
	b.Success()
	fmt.Println(b.Failure(now))
	// Output:
	// [30s 30s 1m0s 2m0s 4m0s 8m0s 15m0s 15m0s]
	// 30s
}
