package teredo_test

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/teredo"
)

// fuzzServers are the two servers of the fuzzed client: primary and
// secondary addresses.
var fuzzServers = [2][2]netip.Addr{
	{netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.2")},
	{netip.MustParseAddr("198.51.100.11"), netip.MustParseAddr("198.51.100.12")},
}

// fuzzSources are the sources datagrams come from: each server address on
// port 3544 and another port, a peer.
var fuzzSources = []netip.AddrPort{
	netip.MustParseAddrPort("198.51.100.1:3544"),
	netip.MustParseAddrPort("198.51.100.2:3544"),
	netip.MustParseAddrPort("198.51.100.11:3544"),
	netip.MustParseAddrPort("198.51.100.12:3544"),
	netip.MustParseAddrPort("198.51.100.1:3545"),
	netip.MustParseAddrPort("203.0.113.77:41000"),
	netip.MustParseAddrPort("[::ffff:198.51.100.1]:3544"),
}

// clientFuzzer drives a Client through the operations a fuzz input
// describes and checks its invariants after each.
type clientFuzzer struct {
	t    *testing.T
	c    *teredo.Client
	now  time.Time
	out  teredo.ClientOutput
	rs   [][]byte         // recent solicitations, copies
	rsTo []netip.AddrPort // and where they went
	held netip.Addr       // the address acquired and not lost
}

// FuzzClientHandleDatagram feeds a client random datagrams from random
// sources, valid and corrupted answers to its own solicitations, time steps
// both ways, stops and starts, in every state. It must never panic, and
// after every call: a qualified client has a valid Teredo address naming
// its server and mapping with RFC 5991 flags, and no other state has one;
// addresses are acquired and lost strictly in turn; a dropped datagram
// changes nothing; data goes up only while qualified and aliases the input;
// datagrams go only to the servers.
func FuzzClientHandleDatagram(f *testing.F) {
	ra := func(cone bool) []byte {
		// op 3: answer solicitation 0 or 1 (cone / not), mapped
		// 203.0.113.9:40000, MTU 1280.
		b := []byte{3, 0, 203, 0, 113, 9, 0x9c, 0x40, 0}
		if !cone {
			b[1] = 1
		}
		return b
	}
	// Nothing: the client just starts.
	f.Add(byte(1), []byte{})
	// Silent server: ticks until offline, failover, back-off.
	f.Add(byte(2), bytes.Repeat([]byte{1}, 30))
	// Qualifies through the primary answer, then refreshes.
	f.Add(byte(3), append(ra(false), 1, 1, 1, 1, 1, 1, 1, 1, 1, 1))
	// Qualifies through the cone answer.
	f.Add(byte(4), ra(true))
	// Qualifies, then a corrupted answer to the next solicitation.
	f.Add(byte(5), append(ra(false), 1, 4, 2, 0, 203, 0, 113, 9, 0x9c, 0x41, 50))
	// A garbage datagram from the server, then from a peer.
	f.Add(byte(6), []byte{2, 0, 5, 0x60, 0, 0, 0, 0, 2, 5, 3, 0, 1, 0, 0})
	// Qualifies, then a bubble from a peer (passed up).
	f.Add(byte(7), append(ra(false), 2, 5, 40, 0x60, 0, 0, 0, 0, 0, 59, 0,
		0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2))
	// Qualifies, steps the clock back, then forward an hour, stops and
	// restarts.
	f.Add(byte(8), append(ra(false), 5, 10, 0, 255, 0, 255, 5, 200, 1))
	// Mapped to a private address: refused.
	f.Add(byte(9), []byte{3, 1, 10, 0, 0, 1, 0x9c, 0x40, 0})

	f.Fuzz(func(t *testing.T, seed byte, ops []byte) {
		c, err := teredo.NewClient(teredo.ClientConfig{
			Servers: []netip.Addr{fuzzServers[0][0], fuzzServers[1][0]},
			Global:  simGlobal,
			Local:   netip.MustParseAddrPort("203.0.113.9:40000"),
			Rand:    rand.NewChaCha8([32]byte{seed}),
		})
		if err != nil {
			t.Fatal(err)
		}
		z := &clientFuzzer{t: t, c: c, now: simEpoch}
		c.Start(z.now, &z.out)
		z.after(nil)
		next := func() byte {
			if len(ops) == 0 {
				return 0
			}
			b := ops[0]
			ops = ops[1:]
			return b
		}
		for len(ops) > 0 {
			switch op := next() % 6; op {
			case 0: // time passes: up to 25.5 s
				z.now = z.now.Add(time.Duration(next()) * 100 * time.Millisecond)
				c.Tick(z.now, &z.out)
				z.after(nil)
			case 1: // the timer fires
				if d := c.NextDeadline(); !d.IsZero() && d.After(z.now) {
					z.now = d
				}
				c.Tick(z.now, &z.out)
				z.after(nil)
			case 2: // a datagram from a listed source
				from := fuzzSources[int(next())%len(fuzzSources)]
				n := int(next())
				payload := ops[:min(n, len(ops))]
				ops = ops[len(payload):]
				z.handle(from, payload)
			case 3, 4: // an answer to a recent solicitation, maybe corrupted
				corrupt := op == 4
				i := int(next())
				var m [6]byte
				for j := range m {
					m[j] = next()
				}
				mtu := uint32(next()) * 8
				flip := int(next())
				if len(z.rs) == 0 {
					continue
				}
				i %= len(z.rs)
				from, payload, ok := z.answer(i, netip.AddrPortFrom(netip.AddrFrom4([4]byte(m[:4])), uint16(m[4])<<8|uint16(m[5])), mtu)
				if !ok {
					continue
				}
				if corrupt && len(payload) > 0 {
					payload[flip%len(payload)] ^= 1 << (flip % 8)
				}
				z.handle(from, payload)
			case 5: // the clock steps, or the program stops and restarts
				switch b := next(); {
				case b < 100:
					z.now = z.now.Add(-time.Duration(b) * time.Second)
					c.Tick(z.now, &z.out)
				case b < 200:
					z.now = z.now.Add(time.Duration(b) * time.Minute)
					c.Tick(z.now, &z.out)
				case b < 230:
					c.Stop(z.now, &z.out)
				default:
					c.Start(z.now, &z.out)
				}
				z.after(nil)
			}
		}
	})
}

// handle passes a datagram to the client and checks the outcome.
func (z *clientFuzzer) handle(from netip.AddrPort, payload []byte) {
	before := z.c.Status()
	err := z.c.HandleDatagram(z.now, from, payload, &z.out)
	if err != nil {
		if len(z.out.Send) != 0 || len(z.out.Events) != 0 || z.out.Data.IsValid() {
			z.t.Fatalf("dropped datagram (%v) had effects: %+v", err, z.out)
		}
		after := z.c.Status()
		after.NextRefresh, before.NextRefresh = time.Time{}, time.Time{}
		if after != before {
			z.t.Fatalf("dropped datagram (%v) changed the status:\n%+v\n%+v", err, before, after)
		}
	}
	z.after(payload)
}

// answer builds the answer a server would send to recent solicitation i,
// for mapping m.
func (z *clientFuzzer) answer(i int, m netip.AddrPort, mtu uint32) (netip.AddrPort, []byte, bool) {
	p, err := teredo.ParsePacket(z.rs[i])
	if err != nil {
		return netip.AddrPort{}, nil, false
	}
	rs, err := teredo.ParseRouterSolicitation(&p)
	if err != nil {
		return netip.AddrPort{}, nil, false
	}
	to := z.rsTo[i]
	var srv [2]netip.Addr
	for _, s := range fuzzServers {
		if to.Addr() == s[0] || to.Addr() == s[1] {
			srv = s
		}
	}
	from := to.Addr()
	if rs.Cone {
		from = srv[0]
		if to.Addr() == srv[0] {
			from = srv[1]
		}
	}
	if mtu != 0 && mtu < teredo.MinMTU {
		mtu = 0
	}
	h := teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: rs.Nonce}, Origin: m}
	b, err := teredo.AppendRouterAdvertisement(nil, &h, &teredo.RAFields{Server: srv[0], Dst: rs.Src, MTU: mtu})
	if err != nil {
		return netip.AddrPort{}, nil, false
	}
	return netip.AddrPortFrom(from, teredo.ServerPort), b, true
}

// after checks the invariants after a call; payload is the datagram
// handled, if any.
func (z *clientFuzzer) after(payload []byte) {
	t, o := z.t, &z.out
	for _, e := range o.Events {
		switch e.Kind {
		case teredo.EventAddressAcquired:
			if z.held.IsValid() || !e.Addr.IsValid() {
				t.Fatalf("acquired %v while holding %v", e.Addr, z.held)
			}
			z.held = e.Addr
		case teredo.EventAddressLost:
			if e.Addr != z.held || !e.Addr.IsValid() {
				t.Fatalf("lost %v while holding %v", e.Addr, z.held)
			}
			z.held = netip.Addr{}
		}
	}
	st := z.c.Status()
	if st.Addr != z.held || z.c.Addr() != z.held {
		t.Fatalf("address %v, events say %v", st.Addr, z.held)
	}
	if (st.State == teredo.ClientQualified) != st.Addr.IsValid() {
		t.Fatalf("state %v with address %v", st.State, st.Addr)
	}
	if st.State == teredo.ClientQualified {
		td, err := addr.DecodeTeredo(st.Addr)
		if err != nil || td != st.Teredo || td.Server != st.Server || td.Client != st.Mapped ||
			td.Flags&^addr.TeredoFlagsRandom != 0 || st.Mapped.Port() == 0 ||
			!addr.NewClassifier(simGlobal...).IsGlobalIPv4(st.Mapped.Addr()) || st.MTU < teredo.MinMTU {
			t.Fatalf("inconsistent qualified status %+v (%v)", st, err)
		}
	} else if st.Mapped.IsValid() || st.Teredo != (addr.Teredo{}) || st.MTU != 0 {
		t.Fatalf("status %+v keeps a mapping", st)
	}
	if (st.State == teredo.ClientStopped) != z.c.NextDeadline().IsZero() {
		t.Fatalf("state %v, next deadline %v", st.State, z.c.NextDeadline())
	}
	if o.Data.IsValid() {
		b := o.Data.Bytes()
		if st.State != teredo.ClientQualified || len(b) != len(payload) || len(b) > 0 && &b[0] != &payload[0] {
			t.Fatalf("data passed up in state %v, or not the input", st.State)
		}
	}
	for _, d := range o.Send {
		ok := false
		for _, s := range fuzzServers {
			ok = ok || d.To == netip.AddrPortFrom(s[0], teredo.ServerPort) ||
				d.To == netip.AddrPortFrom(s[1], teredo.ServerPort) || d.To == netip.AddrPortFrom(s[1], 9)
		}
		if !ok {
			t.Fatalf("datagram to %v", d.To)
		}
		if _, err := teredo.ParsePacket(d.Payload); err != nil {
			t.Fatalf("sent an invalid Teredo payload: %v", err)
		}
		if d.To.Port() == teredo.ServerPort {
			z.rs = append(z.rs, bytes.Clone(d.Payload))
			z.rsTo = append(z.rsTo, d.To)
			if len(z.rs) > 8 {
				z.rs, z.rsTo = z.rs[1:], z.rsTo[1:]
			}
		}
	}
}
