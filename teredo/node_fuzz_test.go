package teredo_test

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/packet"
	"github.com/transit6/transit6/teredo"
)

// fuzzNodeErrs are the errors the data path may return.
var fuzzNodeErrs = []error{
	teredo.ErrNodeOffline, teredo.ErrNodeMalformed, teredo.ErrNodeSource, teredo.ErrNodeDestination,
	teredo.ErrNodeNonGlobal, teredo.ErrNodeRoutingHeader, teredo.ErrNodeLinkLocal, teredo.ErrNodeMulticast,
	teredo.ErrNodeQueueFull, teredo.ErrNodeQuota, teredo.ErrNodeUnverified,
}

// fuzzFroms are the outer sources FuzzNodeReceive picks from.
var fuzzFroms = []netip.AddrPort{
	ndMapB,  // B's mapping
	ndSrvAP, // our server
	ndRelay, // a relay
	netip.MustParseAddrPort("203.0.113.20:50001"), // B's address, another port
	ndOther,                                  // a stranger
	netip.MustParseAddrPort("10.0.0.1:5000"), // a private address
	netip.MustParseAddrPort("[2001:db8::1]:5000"), // not IPv4
	{}, // the zero AddrPort
	netip.MustParseAddrPort("[::ffff:203.0.113.20]:50000"), // B's mapping, IPv4-mapped
	netip.MustParseAddrPort("203.0.113.20:0"),              // port 0
}

// fuzzNode returns a node in one of a few states: 0 a fresh client, 1 a
// client trusting B, 2 a client testing B and a native host with packets
// held, 3 a fresh relay, 4 a relay trusting B and testing another client.
// It returns the echo request of state 2's test, if any.
func fuzzNode(t *testing.T, state uint8) (*ndNode, []byte) {
	relay := state%5 >= 3
	h := ndNew(t, teredo.NodeConfig{Relay: relay, MaxPeers: 16, RelayAddr: netip.MustParseAddr("2001:db8:ffff::1")})
	var req []byte
	switch state % 5 {
	case 1:
		h.trustB()
	case 2:
		if _, err := h.tx(ndData(ndAddrA, ndNative, 1, 20)); err != nil {
			t.Fatal(err)
		}
		req = slices.Clone(h.Out.Send[0].Payload)
		if _, err := h.tx(ndData(ndAddrA, ndAddrB, 2, 20)); err != nil {
			t.Fatal(err)
		}
	case 4:
		if _, err := h.rx(ndMapB, ndBubble(t, ndAddrB, ndNative, netip.AddrPort{})); err != nil {
			t.Fatal(err)
		}
		if _, err := h.tx(ndData(ndNative, ndTeredo(ndSrvB, ndOther), 3, 20)); err != nil {
			t.Fatal(err)
		}
	}
	h.Out.Reset()
	return h, req
}

// fuzzCheckOut checks what the node produced: datagrams that decode as
// Teredo payloads without indicators and go to global IPv4 addresses with
// a port, and host packets that are IPv6 packets for the host.
func fuzzCheckOut(t *testing.T, h *ndNode, relay bool) {
	t.Helper()
	cls := addr.NewClassifier(simGlobal...)
	for _, d := range h.Out.Send {
		if !cls.IsGlobalIPv4(d.To.Addr()) || d.To.Port() == 0 {
			t.Fatalf("datagram to %v", d.To)
		}
		p, err := teredo.ParsePacket(d.Payload)
		if err != nil {
			t.Fatalf("datagram to %v does not decode: %v", d.To, err)
		}
		if p.HeaderLen() != 0 {
			t.Fatal("indicators in a datagram of the node")
		}
	}
	for _, b := range h.Out.Host {
		ip, err := packet.ParseIPv6(b)
		if err != nil || len(ip.Trailer()) != 0 {
			t.Fatalf("host packet: %v", err)
		}
		if !relay && ip.Dst() != ndAddrA {
			t.Fatalf("host packet to %v", ip.Dst())
		}
		if relay && ip.Dst().Is6() && ip.Dst().As16()[0] == 0x20 && ip.Dst().As16()[1] == 0x01 && ip.Dst().As16()[2] == 0 && ip.Dst().As16()[3] == 0 {
			t.Fatalf("relay host packet to Teredo %v", ip.Dst())
		}
	}
}

// fuzzCheckErr checks that err is nil or one of the node's sentinels.
func fuzzCheckErr(t *testing.T, err error) {
	t.Helper()
	if err != nil && !slices.ContainsFunc(fuzzNodeErrs, func(e error) bool { return errors.Is(err, e) }) {
		t.Fatalf("unexpected error %v", err)
	}
}

// fuzzRun ticks the node through its tests, checking each output, and
// returns copies of the host packets.
func fuzzRun(t *testing.T, h *ndNode, relay bool) (host [][]byte) {
	t.Helper()
	end := h.Now.Add(time.Minute)
	for steps := 0; steps < 1000; steps++ {
		dl := h.N.NextDeadline()
		if dl.IsZero() || dl.After(end) {
			return host
		}
		h.Now = dl
		h.tick()
		fuzzCheckOut(t, h, relay)
		for _, b := range h.Out.Host {
			host = append(host, slices.Clone(b))
		}
	}
	t.Fatal("the deadline does not move")
	return nil
}

func FuzzNodeReceive(f *testing.F) {
	el := netip.MustParseAddr("fe80::1")
	// A bubble from B at its mapping (case 3).
	f.Add(ndBubble(f, ndAddrB, ndAddrA, netip.AddrPort{}), uint8(0), false, uint8(0))
	// Data from B at its mapping, to a client trusting B (case 1).
	f.Add(ndData(ndAddrB, ndAddrA, 1, 30), uint8(0), false, uint8(1))
	// Data from B at another port (case 6, challenge).
	f.Add(ndData(ndAddrB, ndAddrA, 1, 30), uint8(3), false, uint8(1))
	// An indirect bubble from the server with an origin indication.
	f.Add(ndBubble(f, ndAddrB, ndAddrA, ndOther), uint8(1), true, uint8(2))
	// The same with a challenge source.
	f.Add(ndBubble(f, el, ndAddrA, ndOther), uint8(1), true, uint8(0))
	// A native packet through a relay (case 6, echo test).
	f.Add(ndData(ndNative, ndAddrA, 1, 30), uint8(2), false, uint8(0))
	// A bubble to a link-local address (a wrong challenge answer).
	f.Add(ndBubble(f, ndAddrB, netip.MustParseAddr("fe80::8000:1:2:3"), netip.AddrPort{}), uint8(3), false, uint8(2))
	// A link-local source bubble (Miredo's request for a challenge).
	f.Add(ndBubble(f, el, ndAddrA, netip.AddrPort{}), uint8(4), false, uint8(0))
	// A multicast destination.
	f.Add(ndData(ndAddrB, netip.MustParseAddr("ff02::1"), 1, 30), uint8(0), false, uint8(0))
	// A Routing header (CVE-2006-6263).
	rh := ndData(ndAddrB, ndAddrA, 0, 16)
	rh[6] = packet.ProtoIPv6Route
	copy(rh[40:], []byte{253, 1, 0, 0, 0, 0, 0, 0})
	f.Add(rh, uint8(0), false, uint8(1))
	// Client data to a native host, at a relay (case 3).
	f.Add(ndData(ndAddrB, ndNative, 1, 30), uint8(0), false, uint8(3))
	// Data for a relay from an untrusted mapping.
	f.Add(ndData(ndAddrB, ndNative, 1, 30), uint8(3), false, uint8(4))
	// An echo reply from a native host with a bad nonce.
	reply, _ := packet.AppendEchoReply(nil, ndNative, ndAddrA, 64, 1, 1, make([]byte, 8))
	f.Add(reply, uint8(2), false, uint8(2))
	// A non-global embedded address (CVE-2006-6264).
	f.Add(ndData(ndTeredo(ndSrvB, netip.MustParseAddrPort("10.0.0.1:5000")), ndAddrA, 1, 30), uint8(5), false, uint8(0))
	// A packet with a trailer.
	f.Add(append(ndBubble(f, ndAddrB, ndAddrA, netip.AddrPort{}), 0x01, 0x04, 1, 2, 3, 4), uint8(0), false, uint8(2))
	// From the IPv4-mapped form of B's mapping.
	f.Add(ndData(ndAddrB, ndAddrA, 1, 30), uint8(8), false, uint8(1))
	f.Fuzz(func(t *testing.T, payload []byte, fromIdx uint8, fromServer bool, state uint8) {
		var p teredo.Packet
		if p.Decode(payload) != nil {
			return
		}
		h, req := fuzzNode(t, state)
		relay := h.N.Relay()
		from := fuzzFroms[int(fromIdx)%len(fuzzFroms)]
		deliver, err := h.N.Receive(h.Now, from, &p, fromServer, &h.Out)
		fuzzCheckErr(t, err)
		if deliver {
			if err != nil {
				t.Fatal("deliver with an error")
			}
			inner := p.Inner()
			if !within(inner, payload) {
				t.Fatal("the delivered packet is not inside the payload")
			}
			ip := p.IPv6()
			src, dst := ip.Src(), ip.Dst()
			if src.IsLinkLocalUnicast() || dst.IsMulticast() || ip.HasRoutingHeader() {
				t.Fatalf("delivered %v → %v", src, dst)
			}
			if !relay && dst != ndAddrA {
				t.Fatalf("delivered to %v", dst)
			}
			if relay && (ip.IsBubble() || !isTeredoAddr(src) || isTeredoAddr(dst)) {
				t.Fatalf("relay delivered %v → %v", src, dst)
			}
			if p, ok := h.N.PeerInfo(src); !ok || !p.Trusted {
				t.Fatalf("delivered from an untrusted peer %v", src)
			}
		}
		fuzzCheckOut(t, h, relay)
		// Again, later, and the echo test's answer if there is one.
		h.after(time.Second)
		_, err = h.N.Receive(h.Now, from, &p, fromServer, &h.Out)
		fuzzCheckErr(t, err)
		fuzzCheckOut(t, h, relay)
		if req != nil {
			_, err := h.rx(ndRelay, ndEchoReply(t, req, ndNative))
			fuzzCheckErr(t, err)
			fuzzCheckOut(t, h, relay)
		}
		fuzzRun(t, h, relay)
		if h.N.QueuedBytes() < 0 || h.N.NumPeers() > 16 {
			t.Fatal(h.N.QueuedBytes(), h.N.NumPeers())
		}
	})
}

func isTeredoAddr(a netip.Addr) bool {
	b := a.As16()
	return a.Is6() && b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0
}

func FuzzNodeTransmit(f *testing.F) {
	// To B: held, bubbles.
	f.Add(ndData(ndAddrA, ndAddrB, 1, 30), uint8(0))
	// To B, trusted: sent.
	f.Add(ndData(ndAddrA, ndAddrB, 1, 30), uint8(1))
	// To a native host: held, echo test.
	f.Add(ndData(ndAddrA, ndNative, 1, 30), uint8(2))
	// An echo request, so that the unreachable error quotes ICMPv6.
	ping, _ := packet.AppendEchoRequest(nil, ndAddrA, ndNative, 64, 7, 1, []byte("x"))
	f.Add(ping, uint8(0))
	// An ICMPv6 error: never answered with an error.
	e, _ := packet.AppendDestUnreachable(nil, ndAddrA, ndNative, 64, 1, ndData(ndNative, ndAddrA, 0, 8))
	f.Add(e, uint8(2))
	// From the native network to B, at a relay.
	f.Add(ndData(ndNative, ndAddrB, 1, 30), uint8(3))
	// At a relay trusting B.
	f.Add(ndData(ndNative, ndAddrB, 1, 30), uint8(4))
	// A non-global embedded address.
	f.Add(ndData(ndAddrA, ndTeredo(ndSrvB, netip.MustParseAddrPort("192.168.1.1:1")), 1, 30), uint8(0))
	// Truncated, and with trailing bytes.
	f.Add(ndData(ndAddrA, ndAddrB, 1, 30)[:50], uint8(0))
	f.Add(append(ndData(ndAddrA, ndAddrB, 1, 30), 0), uint8(1))
	// A bubble from the host.
	f.Add(ndBubble(f, ndAddrA, ndAddrB, netip.AddrPort{}), uint8(0))
	// Not IPv6.
	f.Add([]byte{0x45, 0, 0, 20}, uint8(0))
	f.Fuzz(func(t *testing.T, pkt []byte, state uint8) {
		h, _ := fuzzNode(t, state)
		relay := h.N.Relay()
		in := slices.Clone(pkt)
		to, err := h.N.Transmit(h.Now, pkt, &h.Out)
		fuzzCheckErr(t, err)
		if !slices.Equal(in, pkt) {
			t.Fatal("Transmit modified its input")
		}
		if to.IsValid() {
			if err != nil {
				t.Fatal("to with an error")
			}
			// Sent as is: it must be a Teredo payload.
			p, err := teredo.ParsePacket(pkt)
			if err != nil || p.HeaderLen() != 0 || len(p.Trailer()) != 0 {
				t.Fatalf("sent a payload that does not decode: %v", err)
			}
			if !relay && p.IPv6().Src() != ndAddrA {
				t.Fatal("sent from another source")
			}
			if !isTeredoAddr(p.IPv6().Dst()) && relay {
				t.Fatal("relay sent to a native destination")
			}
		}
		fuzzCheckOut(t, h, relay)
		clear(pkt) // the node must have copied what it holds
		for _, b := range fuzzRun(t, h, relay) {
			// The node's own errors, which verify and quote the
			// original packet.
			ip, _ := packet.ParseIPv6(b)
			m, err := packet.ParseICMPv6(ip)
			if err != nil || m.Type() != packet.ICMPv6DestUnreachable || m.Code() != packet.ICMPv6AddressUnreachable {
				t.Fatalf("host packet: %v", err)
			}
			_, quoted, _ := m.ErrorMessage()
			if !slices.Equal(quoted, in[:min(len(in), len(quoted))]) && !slices.Equal(quoted, ndData(ndNative, ndTeredo(ndSrvB, ndOther), 3, 20)) &&
				!slices.Equal(quoted, ndData(ndAddrA, ndNative, 1, 20)) && !slices.Equal(quoted, ndData(ndAddrA, ndAddrB, 2, 20)) {
				t.Fatal("the error quotes another packet")
			}
		}
	})
}
