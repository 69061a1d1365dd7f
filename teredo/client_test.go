package teredo_test

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/packet"
	"github.com/transit6/transit6/teredo"
)

// Addresses of the client tests: servers and clients on the documentation
// ranges (treated as global with simGlobal), clients behind NATs on 10/8.
var (
	clSrvA      = netip.MustParseAddr("198.51.100.1") // secondary .2
	clSrvA2     = netip.MustParseAddr("198.51.100.2")
	clSrvB      = netip.MustParseAddr("198.51.100.11")
	clPrimary   = netip.AddrPortFrom(clSrvA, teredo.ServerPort)
	clSecondary = netip.AddrPortFrom(clSrvA2, teredo.ServerPort)
	clNATAddr   = netip.MustParseAddr("203.0.113.1")
	clPublic    = "203.0.113.50:50000" // a client without NAT
	clPrivate   = "10.0.0.2:50000"     // a client behind a NAT
	clPeer      = netip.MustParseAddrPort("203.0.113.77:41000")
)

// Durations of the documented schedule (teredo.Client): T, N×T.
const (
	clT  = teredo.QualificationTimeout
	clNT = teredo.QualificationTries * teredo.QualificationTimeout
)

func at(d time.Duration) time.Time { return simEpoch.Add(d) }

// simSetup builds a network with server A and one client, behind a NAT with
// behaviour b (nil: none).
func simSetup(t *testing.T, b *natBehaviour, cfg teredo.ClientConfig) (*simNet, *simServer, *simClient, *simNAT) {
	t.Helper()
	n := newSimNet(t)
	srv := n.AddServer("198.51.100.1")
	var nat *simNAT
	local := clPublic
	if b != nil {
		nat = n.AddNAT(clNATAddr, *b)
		local = clPrivate
	}
	return n, srv, n.AddClient(cfg, local, nat, srv), nat
}

// checkAddr checks that a is a Teredo address of server for the mapping
// mapped, with RFC 5991 flags: only random bits, the cone bit clear.
func checkAddr(t *testing.T, a netip.Addr, server netip.Addr, mapped netip.AddrPort) {
	t.Helper()
	td, err := addr.DecodeTeredo(a)
	require.NoError(t, err, "%v", a)
	assert.Equal(t, server, td.Server, "server of %v", a)
	assert.Equal(t, mapped, td.Client, "mapping of %v", a)
	assert.Zero(t, td.Flags&^addr.TeredoFlagsRandom, "flags %#04x of %v", td.Flags, a)
}

// kinds returns the kinds of the events.
func kinds(evs []simEvent) []string {
	var r []string
	for _, e := range evs {
		r = append(r, e.Kind.String())
	}
	return r
}

// TestClientNATMatrix qualifies behind every NAT of teredo.md §9 case 20.
// The expected types follow from the NAT definitions (RFC 4787) and the
// documented test sequence: the cone answer (from the secondary address)
// passes only a NAT without filtering, at once; the restricted test's
// answer passes a NAT filtering by address after the cone test's N×T; the
// secondary address's mapping tells port-restricted from symmetric after
// another N×T. The address must embed the NAT's binding toward the primary
// address, whatever the NAT.
func TestClientNATMatrix(t *testing.T) {
	const rtt = 20 * time.Millisecond
	for _, tc := range []struct {
		name     string
		nat      *natBehaviour
		skip     bool // SkipRestrictedProbe
		want     teredo.NATType
		at       time.Duration // when the test concludes
		preserve bool
	}{
		{"no NAT", nil, false, teredo.NATNone, rtt, false},
		{"full cone", &natFullCone, false, teredo.NATCone, rtt, false},
		{"restricted", &natRestricted, false, teredo.NATRestricted, clNT + rtt, false},
		{"port-restricted", &natPortRestricted, false, teredo.NATPortRestricted, 2*clNT + rtt, false},
		{"symmetric", &natSymmetric, false, teredo.NATSymmetric, 2*clNT + rtt, false},
		{"symmetric by address", &natSymmetricAddr, false, teredo.NATSymmetric, 2*clNT + rtt, false},
		// Linux's masquerade: per-destination mappings that keep the port
		// look like one mapping to a single socket.
		{"port-preserving", &natPortPreserving, false, teredo.NATPortRestricted, 2*clNT + rtt, true},
		// Without the restricted test, a restricted NAT cannot be told
		// from a port-restricted one.
		{"restricted, probe skipped", &natRestricted, true, teredo.NATPortRestricted, clNT + rtt, false},
		{"symmetric, probe skipped", &natSymmetric, true, teredo.NATSymmetric, clNT + rtt, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, srv, c, nat := simSetup(t, tc.nat, teredo.ClientConfig{SkipRestrictedProbe: tc.skip})
			n.Latency = rtt / 2
			c.Start()
			n.RunFor(tc.at - time.Millisecond)
			assert.Equal(t, teredo.NATUnknown, c.C.Status().NAT, "concluded early")
			n.RunFor(time.Minute)

			mapped := c.Local // no NAT
			if nat != nil {
				var ok bool
				mapped, ok = nat.MappingFor(c.Local, clPrimary)
				require.True(t, ok, "no binding toward the primary address")
			}
			st := c.C.Status()
			require.Equal(t, teredo.ClientQualified, st.State)
			checkAddr(t, st.Addr, srv.Primary, mapped)
			assert.Equal(t, tc.want, st.NAT)
			assert.Equal(t, tc.preserve, st.PortPreserving)
			assert.Equal(t, mapped, st.Mapped)
			assert.Equal(t, c.Local, st.Local)
			assert.Equal(t, clSrvA, st.Server)
			assert.Equal(t, clSrvA2, st.Secondary)
			assert.Equal(t, 1280, st.MTU)
			assert.NoError(t, st.LastError)

			assert.Equal(t, []string{"state", "state", "address-acquired", "nat"}, kinds(c.Events))
			q, _ := c.First(teredo.EventAddressAcquired)
			assert.Equal(t, rtt, q.At, "qualified in one round trip")
			assert.Equal(t, st.Addr, q.Addr)
			e, _ := c.First(teredo.EventNATDetected)
			assert.Equal(t, tc.at, e.At)
			assert.Equal(t, tc.want, e.NAT)
		})
	}
}

// TestClientSymmetricStillQualifies: behind a symmetric NAT the server's
// two addresses see two mappings; the client reports symmetric and keeps
// the address of the primary one (teredo.md §1.4 step 2, RFC 6081).
func TestClientSymmetricStillQualifies(t *testing.T) {
	n, srv, c, nat := simSetup(t, &natSymmetric, teredo.ClientConfig{})
	c.Start()
	n.RunFor(time.Minute)
	m1, ok1 := nat.MappingFor(c.Local, clPrimary)
	m2, ok2 := nat.MappingFor(c.Local, clSecondary)
	require.True(t, ok1 && ok2)
	require.NotEqual(t, m1, m2)
	st := c.C.Status()
	assert.Equal(t, teredo.NATSymmetric, st.NAT)
	checkAddr(t, st.Addr, srv.Primary, m1)
	// The server saw both mappings in the solicitations.
	var seen []netip.AddrPort
	for _, rs := range srv.RS {
		if !rs.Cone {
			seen = append(seen, rs.From)
		}
	}
	assert.Contains(t, seen, m1)
	assert.Contains(t, seen, m2)
}

// TestClientSolicitations checks the solicitations against the notes
// (teredo.md §1.4, §2.2): 61-byte payloads (auth with a nonce, no ID/AU),
// the cone one from fe80::8000:ffff:ffff:fffe, the other from
// fe80::ffff:ffff:ffff, a different random nonce each, drawn from the
// injected source.
func TestClientSolicitations(t *testing.T) {
	mk := func(seed byte) *teredo.Client {
		c, err := teredo.NewClient(teredo.ClientConfig{Servers: []netip.Addr{clSrvA}, Global: simGlobal,
			Rand: rand.NewChaCha8([32]byte{seed})})
		require.NoError(t, err)
		return c
	}
	run := func(c *teredo.Client) (nonces [][8]byte, srcs []netip.Addr) {
		var o teredo.ClientOutput
		c.Start(at(0), &o)
		for i := range teredo.QualificationTries {
			if i > 0 {
				c.Tick(at(time.Duration(i)*clT), &o)
			}
			require.Len(t, o.Send, 2)
			for _, d := range o.Send {
				assert.Equal(t, clPrimary, d.To)
				assert.Len(t, d.Payload, 61)
				p, err := teredo.ParsePacket(d.Payload)
				require.NoError(t, err)
				a, ok := p.Auth()
				require.True(t, ok)
				assert.Empty(t, a.ClientID)
				assert.Empty(t, a.Value)
				assert.Zero(t, a.Confirmation)
				assert.False(t, p.HasOrigin())
				_, err = teredo.ParseRouterSolicitation(&p)
				require.NoError(t, err)
				nonces = append(nonces, a.Nonce)
				srcs = append(srcs, p.IPv6().Src())
			}
		}
		return nonces, srcs
	}
	n1, srcs := run(mk(1))
	assert.Equal(t, []netip.Addr{
		addr.TeredoClientLinkLocalCone, addr.TeredoClientLinkLocalRestricted,
		addr.TeredoClientLinkLocalCone, addr.TeredoClientLinkLocalRestricted,
		addr.TeredoClientLinkLocalCone, addr.TeredoClientLinkLocalRestricted,
	}, srcs)
	seen := map[[8]byte]bool{}
	for _, x := range n1 {
		assert.False(t, seen[x], "nonce %x repeated", x)
		seen[x] = true
	}
	n1again, _ := run(mk(1))
	assert.Equal(t, n1, n1again, "nonces come from the injected source")
	n2, _ := run(mk(2))
	assert.NotEqual(t, n1, n2)
}

// TestClientNoAnswer: teredo.md §9 case 12 and the timers at their
// boundaries. A silent server gets 3 rounds of solicitations T = 4 s apart
// (3 with the cone bit, 3 without) and is offline N×T = 12 s after the
// first, not a nanosecond earlier.
func TestClientNoAnswer(t *testing.T) {
	n, srv, c, _ := simSetup(t, nil, teredo.ClientConfig{})
	srv.Silent = true
	c.Start()
	for r := range teredo.QualificationTries {
		n.RunUntil(at(time.Duration(r) * clT))
		next := at(time.Duration(r+1) * clT) // the next round, or the verdict after the last
		assert.Equal(t, next, c.C.NextDeadline(), "round %d", r)
		n.RunUntil(next.Add(-time.Nanosecond))
		assert.Len(t, srv.RS, 2*(r+1), "round %d", r)
		assert.Equal(t, teredo.ClientProbing, c.C.State())
		assert.Empty(t, c.EventsOf(teredo.EventServerOffline))
	}
	n.RunUntil(at(clNT))
	assert.Len(t, srv.RS, 6)
	for i, rs := range srv.RS {
		assert.Equal(t, at(time.Duration(i/2)*clT), rs.At, "solicitation %d", i)
		assert.Equal(t, i%2 == 0, rs.Cone, "solicitation %d", i)
	}
	off := c.EventsOf(teredo.EventServerOffline)
	require.Len(t, off, 1)
	assert.Equal(t, clNT, off[0].At)
	assert.Equal(t, clSrvA, off[0].Server)
	assert.ErrorIs(t, off[0].Err, teredo.ErrNoAnswer)
	st := c.C.Status()
	assert.Equal(t, teredo.ClientOffline, st.State)
	assert.ErrorIs(t, st.LastError, teredo.ErrNoAnswer)
	assert.False(t, st.Addr.IsValid())
	assert.Equal(t, []string{"state", "server-offline", "state"}, kinds(c.Events))
	assert.Empty(t, c.EventsOf(teredo.EventAddressAcquired))
}

// TestClientBackoff: with every server offline the client backs off as
// documented (uniform in [d/2, d], d = 4 s doubling up to 5 min), then
// probes again from the first server.
func TestClientBackoff(t *testing.T) {
	n := newSimNet(t)
	a, b := n.AddServer("198.51.100.1"), n.AddServer("198.51.100.11")
	a.Silent, b.Silent = true, true
	c := n.AddClient(teredo.ClientConfig{Servers: []netip.Addr{clSrvA, clSrvB}}, clPublic, nil, nil)
	c.Start()
	n.RunFor(2 * time.Hour)

	var offline []time.Duration // entries into Offline
	var probing []simEvent      // entries into Probing, per server
	for _, e := range c.EventsOf(teredo.EventStateChanged) {
		switch e.State {
		case teredo.ClientOffline:
			offline = append(offline, e.At)
		case teredo.ClientProbing:
			probing = append(probing, e)
		}
	}
	require.Greater(t, len(offline), 10)
	// Each pass: A at its start, B N×T later, Offline N×T after that.
	require.GreaterOrEqual(t, len(probing), 2*len(offline))
	for k, off := range offline {
		d := teredo.ClientBackoffMax
		if k < 20 {
			d = min(teredo.ClientBackoffMin<<k, teredo.ClientBackoffMax)
		}
		passA, passB := probing[2*k], probing[2*k+1]
		assert.Equal(t, clSrvA, passA.Server, "pass %d", k)
		assert.Equal(t, clSrvB, passB.Server, "pass %d", k)
		assert.Equal(t, clNT, passB.At-passA.At, "pass %d", k)
		assert.Equal(t, clNT, off-passB.At, "pass %d", k)
		if 2*k+2 < len(probing) {
			wait := probing[2*k+2].At - off
			assert.GreaterOrEqual(t, wait, d/2, "back-off %d", k+1)
			assert.LessOrEqual(t, wait, d, "back-off %d", k+1)
		}
	}
	// Both servers got their 6 solicitations per pass.
	assert.Equal(t, 6*len(probing)/2, len(a.RS))
}

// TestClientFailover: the first server is silent, the second (with an
// explicit secondary address that is not primary+1) answers.
func TestClientFailover(t *testing.T) {
	n := newSimNet(t)
	a := n.AddServer("198.51.100.1")
	b := n.AddServer("198.51.100.11", "198.51.100.20")
	a.Silent = true
	cfg := teredo.ClientConfig{
		Servers:     []netip.Addr{clSrvA, clSrvB},
		Secondaries: []netip.Addr{{}, netip.MustParseAddr("198.51.100.20")},
	}
	nat := n.AddNAT(clNATAddr, natFullCone)
	c := n.AddClient(cfg, clPrivate, nat, nil)
	c.Start()
	n.RunFor(time.Minute)
	st := c.C.Status()
	require.Equal(t, teredo.ClientQualified, st.State)
	assert.Equal(t, clSrvB, st.Server)
	assert.Equal(t, netip.MustParseAddr("198.51.100.20"), st.Secondary)
	assert.Equal(t, teredo.NATCone, st.NAT, "the cone answer came from B's explicit secondary")
	m, _ := nat.MappingFor(c.Local, netip.AddrPortFrom(clSrvB, teredo.ServerPort))
	checkAddr(t, st.Addr, clSrvB, m)
	assert.Equal(t, []string{"state", "server-offline", "state", "state", "address-acquired", "nat"}, kinds(c.Events))
	assert.Equal(t, clNT, c.Events[1].At)
	assert.Equal(t, clSrvA, c.Events[1].Server)
	assert.Equal(t, clSrvB, c.Events[2].Server)
	assert.Equal(t, teredo.ClientProbing, c.Events[2].State)
	atB := 0
	for _, rs := range b.RS {
		if rs.At == at(clNT) {
			atB++
		}
	}
	assert.Equal(t, 2, atB, "B probed as soon as A was found offline")
	assert.NoError(t, st.LastError, "cleared by qualifying")
}

// TestClientServerLost: a qualified client whose server stops answering
// loses its address exactly once, N×T after the refresh began, and fails
// over to the next server.
func TestClientServerLost(t *testing.T) {
	n := newSimNet(t)
	a := n.AddServer("198.51.100.1")
	n.AddServer("198.51.100.11")
	c := n.AddClient(teredo.ClientConfig{Servers: []netip.Addr{clSrvA, clSrvB}}, clPublic, nil, nil)
	c.Start()
	n.RunFor(time.Second)
	first := c.C.Addr()
	require.True(t, first.IsValid())
	a.Silent = true
	n.RunFor(2 * time.Minute)

	lost := c.EventsOf(teredo.EventAddressLost)
	require.Len(t, lost, 1)
	assert.Equal(t, first, lost[0].Addr)
	refresh := a.RSSince(at(time.Second))
	require.Len(t, refresh, 3, "N refresh solicitations")
	assert.False(t, refresh[0].Cone)
	assert.GreaterOrEqual(t, refresh[0].At, at(22500*time.Millisecond))
	assert.LessOrEqual(t, refresh[0].At, at(30*time.Second))
	assert.Equal(t, refresh[0].At.Add(clT), refresh[1].At)
	assert.Equal(t, refresh[0].At.Add(2*clT), refresh[2].At)
	assert.Equal(t, refresh[0].At.Add(clNT), at(lost[0].At))

	assert.Equal(t, []string{"state", "state", "address-acquired", "nat",
		"address-lost", "server-offline", "state", "state", "address-acquired", "nat"}, kinds(c.Events))
	st := c.C.Status()
	assert.Equal(t, clSrvB, st.Server)
	checkAddr(t, st.Addr, clSrvB, c.Local)
}

// TestClientRefreshInterval: teredo.md §9 case 19. Every refresh waits a
// duration drawn in [75 %, 100 %] of the interval after the last answer;
// the draws spread over the range.
func TestClientRefreshInterval(t *testing.T) {
	for _, iv := range []time.Duration{0, 10 * time.Second, 90 * time.Second} {
		want := iv
		if want == 0 {
			want = teredo.DefaultRefreshInterval
		}
		t.Run(want.String(), func(t *testing.T) {
			n, srv, c, _ := simSetup(t, nil, teredo.ClientConfig{RefreshInterval: iv})
			c.Start()
			n.RunFor(200 * want)
			var gaps []time.Duration
			var last time.Time
			for _, rs := range srv.RS {
				if rs.Cone {
					continue
				}
				if !last.IsZero() {
					gaps = append(gaps, rs.At.Sub(last))
				}
				last = rs.At
			}
			require.GreaterOrEqual(t, len(gaps), 150)
			lo, hi := want*3/4, want
			mn, mx := gaps[0], gaps[0]
			for _, g := range gaps {
				require.GreaterOrEqual(t, g, lo)
				require.LessOrEqual(t, g, hi)
				mn, mx = min(mn, g), max(mx, g)
			}
			assert.Less(t, mn, lo+(hi-lo)/10, "draws reach the bottom of the range")
			assert.Greater(t, mx, hi-(hi-lo)/10, "draws reach the top of the range")
			assert.Equal(t, want, c.C.Status().RefreshInterval)
			assert.Len(t, c.EventsOf(teredo.EventAddressAcquired), 1, "the address is stable")
			assert.Empty(t, c.EventsOf(teredo.EventAddressLost))
		})
	}
}

// TestClientRefreshPostponed: anything from the primary server address
// counts as news from the server (RFC 4380 §5.2.5).
func TestClientRefreshPostponed(t *testing.T) {
	n, srv, c, _ := simSetup(t, nil, teredo.ClientConfig{})
	c.Start()
	n.RunFor(20 * time.Second)
	require.Equal(t, teredo.ClientQualified, c.C.State())
	bubble, err := teredo.AppendBubble(nil, &teredo.Header{Origin: clPeer}, addr.TeredoServerLinkLocal(clPrimary), c.C.Addr(), 0)
	require.NoError(t, err)
	n.Send(clPrimary, c.Local, bubble)
	n.RunFor(0)
	require.Len(t, c.Data, 1, "the relayed bubble is passed up")
	next := c.C.NextDeadline()
	assert.GreaterOrEqual(t, next, at(20*time.Second+22500*time.Millisecond))
	n.RunFor(time.Minute)
	refresh := srv.RSSince(at(time.Second))
	require.NotEmpty(t, refresh)
	assert.Equal(t, next, refresh[0].At)
	// From the secondary address, or another port: not the server.
	n.Send(clSecondary, c.Local, bubble)
	n.Send(netip.AddrPortFrom(clSrvA, 3545), c.Local, bubble)
	before := c.C.NextDeadline()
	n.RunFor(0)
	assert.Equal(t, before, c.C.NextDeadline())
}

// TestClientBindingTimeout: teredo.md §9 cases 13 and 20, a NAT binding
// that lives 20 s, less than any refresh interval: every refresh finds a
// new mapping, and every old address is withdrawn exactly once, before its
// successor appears. A port-preserving NAT gives the same port back and
// the address never changes.
func TestClientBindingTimeout(t *testing.T) {
	t.Run("new port each time", func(t *testing.T) {
		b := natFullCone
		b.Timeout = 20 * time.Second
		n, srv, c, _ := simSetup(t, &b, teredo.ClientConfig{})
		c.Start()
		n.RunFor(10 * time.Minute)
		refreshes := 0
		for _, rs := range srv.RSSince(at(time.Second)) {
			if !rs.Cone {
				refreshes++
			}
		}
		require.Greater(t, refreshes, 15)

		var addrs []netip.Addr // acquired, in order
		var pending netip.Addr // acquired, not yet lost
		lostAt := map[netip.Addr]bool{}
		for i, e := range c.Events {
			switch e.Kind {
			case teredo.EventAddressAcquired:
				require.False(t, pending.IsValid(), "event %d: acquired %v before losing %v", i, e.Addr, pending)
				pending = e.Addr
				addrs = append(addrs, e.Addr)
			case teredo.EventAddressLost:
				require.Equal(t, pending, e.Addr, "event %d", i)
				require.False(t, lostAt[e.Addr], "event %d: %v lost twice", i, e.Addr)
				lostAt[e.Addr] = true
				pending = netip.Addr{}
				// The successor comes at the same instant.
				require.Less(t, i+1, len(c.Events))
				assert.Equal(t, teredo.EventAddressAcquired, c.Events[i+1].Kind)
				assert.Equal(t, e.At, c.Events[i+1].At)
			}
		}
		assert.Len(t, addrs, refreshes+1, "one new address per refresh")
		assert.Len(t, lostAt, refreshes)
		last := srv.RS[len(srv.RS)-1] // the last refresh, whose answer made the address
		require.False(t, last.Cone)
		checkAddr(t, c.C.Addr(), clSrvA, last.From)
		assert.Equal(t, addrs[len(addrs)-1], c.C.Addr())
		// New mapping, new random bits (RFC 5991): not all equal.
		flags := map[uint16]bool{}
		for _, a := range addrs {
			td, _ := addr.DecodeTeredo(a)
			flags[td.Flags] = true
		}
		assert.Greater(t, len(flags), len(addrs)/2)
	})
	t.Run("port-preserving", func(t *testing.T) {
		b := natPortPreserving
		b.Timeout = 20 * time.Second
		n, _, c, _ := simSetup(t, &b, teredo.ClientConfig{})
		c.Start()
		n.RunFor(10 * time.Minute)
		assert.Len(t, c.EventsOf(teredo.EventAddressAcquired), 1)
		assert.Empty(t, c.EventsOf(teredo.EventAddressLost))
		checkAddr(t, c.C.Addr(), clSrvA, netip.AddrPortFrom(clNATAddr, 50000))
	})
}

// TestClientClockJumps: teredo.md §9 case 19. A forward jump (resume from
// suspend) fires the due refresh once, not once per missed period; a
// backward jump does not stretch the timers.
func TestClientClockJumps(t *testing.T) {
	t.Run("forward while qualified", func(t *testing.T) {
		n, srv, c, nat := simSetup(t, &natFullCone, teredo.ClientConfig{})
		n.Latency = 5 * time.Millisecond
		c.Start()
		n.RunFor(10 * time.Second)
		old := c.C.Addr()
		n.Jump(time.Hour) // the NAT forgot the binding meanwhile
		resumed := n.Now
		n.RunFor(time.Second)
		rs := srv.RSSince(resumed)
		require.Len(t, rs, 1, "one refresh after the jump")
		assert.Equal(t, resumed.Add(5*time.Millisecond), rs[0].At)
		m, _ := nat.MappingFor(c.Local, clPrimary)
		require.NotEqual(t, old, c.C.Addr())
		checkAddr(t, c.C.Addr(), clSrvA, m)
		assert.Len(t, c.EventsOf(teredo.EventAddressLost), 1)
		assert.Len(t, c.EventsOf(teredo.EventAddressAcquired), 2)
	})
	t.Run("forward while probing", func(t *testing.T) {
		n, srv, c, _ := simSetup(t, nil, teredo.ClientConfig{})
		srv.Silent = true
		c.Start()
		n.RunFor(time.Second)
		n.Jump(time.Hour)
		n.RunFor(0)
		assert.Len(t, srv.RS, 4, "one more round, not a burst")
		assert.Equal(t, teredo.ClientProbing, c.C.State())
		assert.Equal(t, n.Now.Add(clT), c.C.NextDeadline())
	})
	t.Run("backward while qualified", func(t *testing.T) {
		n, srv, c, _ := simSetup(t, nil, teredo.ClientConfig{})
		c.Start()
		n.RunFor(10 * time.Second)
		c.Tick(n.Now) // the client's last call before the step
		due := c.C.NextDeadline().Sub(n.Now)
		n.Jump(-time.Hour)
		// The client learns the time at its next call: a caller's timer
		// counts durations, so it fires (or a datagram arrives) after the
		// step.
		c.Tick(n.Now)
		assert.Equal(t, n.Now.Add(due), c.C.NextDeadline(), "the remaining time is kept")
		jumped := n.Now
		n.RunFor(30 * time.Second)
		last := srv.RS[len(srv.RS)-1] // (RSSince cannot tell times before the step)
		assert.Equal(t, jumped.Add(due), last.At)
		assert.GreaterOrEqual(t, due, 22500*time.Millisecond-10*time.Second)
		assert.LessOrEqual(t, due, 20*time.Second)
		assert.Equal(t, teredo.ClientQualified, c.C.State())
	})
	t.Run("backward while probing", func(t *testing.T) {
		n, srv, c, _ := simSetup(t, nil, teredo.ClientConfig{})
		srv.Silent = true
		c.Start()
		n.RunFor(3 * time.Second)
		c.Tick(n.Now) // the client's last call before the step
		n.Jump(-time.Hour)
		c.Tick(n.Now)
		assert.Equal(t, n.Now.Add(time.Second), c.C.NextDeadline())
		jumped := n.Now
		n.RunFor(10 * time.Second)
		off, ok := c.First(teredo.EventServerOffline)
		require.True(t, ok)
		assert.Equal(t, jumped.Add(9*time.Second), at(off.At))
	})
}

// TestClientLoss: lost answers are made up for by the next round.
func TestClientLoss(t *testing.T) {
	n, _, c, _ := simSetup(t, &natPortRestricted, teredo.ClientConfig{})
	n.Drop = func(d *simDatagram) bool { return d.Src.Port() == teredo.ServerPort && d.Sent.Before(at(time.Second)) }
	c.Start()
	n.RunFor(time.Minute)
	q, ok := c.First(teredo.EventAddressAcquired)
	require.True(t, ok)
	assert.Equal(t, clT, q.At, "qualified by the second round")
	assert.Equal(t, teredo.NATPortRestricted, c.C.Status().NAT)
}

// TestClientSecondarySilent: a server whose secondary address is dead
// still qualifies clients; the NAT type stays unknown.
func TestClientSecondarySilent(t *testing.T) {
	n, srv, c, _ := simSetup(t, &natPortRestricted, teredo.ClientConfig{})
	srv.SilentSecondary = true
	c.Start()
	n.RunFor(3*clNT - time.Millisecond)
	assert.NoError(t, c.C.Status().LastError)
	n.RunFor(time.Minute)
	st := c.C.Status()
	assert.Equal(t, teredo.ClientQualified, st.State)
	assert.Equal(t, teredo.NATUnknown, st.NAT)
	assert.ErrorIs(t, st.LastError, teredo.ErrNoSecondaryAnswer)
	assert.Empty(t, c.EventsOf(teredo.EventNATDetected))
}

// TestClientTwoBehindOneNAT: two clients with the same local port behind
// one port-preserving NAT both qualify, with different mappings.
func TestClientTwoBehindOneNAT(t *testing.T) {
	n := newSimNet(t)
	srv := n.AddServer("198.51.100.1")
	nat := n.AddNAT(clNATAddr, natPortPreserving)
	c1 := n.AddClient(teredo.ClientConfig{}, "10.0.0.2:3544", nat, srv)
	c2 := n.AddClient(teredo.ClientConfig{}, "10.0.0.3:3544", nat, srv)
	c1.Start()
	c2.Start()
	n.RunFor(time.Minute)
	for _, c := range []*simClient{c1, c2} {
		m, ok := nat.MappingFor(c.Local, clPrimary)
		require.True(t, ok)
		require.Equal(t, teredo.ClientQualified, c.C.State())
		checkAddr(t, c.C.Addr(), clSrvA, m)
	}
	assert.NotEqual(t, c1.C.Addr(), c2.C.Addr())
	assert.Equal(t, uint16(3544), c1.C.Status().Mapped.Port(), "the first keeps its port")
}

// TestClientStop withdraws the address once and goes quiet.
func TestClientStop(t *testing.T) {
	n, srv, c, _ := simSetup(t, nil, teredo.ClientConfig{})
	c.Start()
	n.RunFor(time.Second)
	a := c.C.Addr()
	require.True(t, a.IsValid())
	c.Events = nil
	c.Stop()
	c.Stop()
	assert.Equal(t, []string{"address-lost", "state"}, kinds(c.Events))
	assert.Equal(t, a, c.Events[0].Addr)
	assert.Equal(t, teredo.ClientStopped, c.Events[1].State)
	assert.True(t, c.C.NextDeadline().IsZero())
	before := len(srv.RS)
	n.RunFor(time.Hour)
	assert.Len(t, srv.RS, before)
	st := c.C.Status()
	assert.Equal(t, teredo.ClientStopped, st.State)
	assert.False(t, st.Addr.IsValid())
	assert.False(t, st.Server.IsValid())
	var o teredo.ClientOutput
	assert.ErrorIs(t, c.C.HandleDatagram(n.Now, clPrimary, []byte{0x60}, &o), teredo.ErrNotQualified)

	c.Events = nil
	c.Start()
	c.Start()
	n.RunFor(time.Second)
	assert.Equal(t, []string{"state", "state", "address-acquired", "nat"}, kinds(c.Events))
	assert.Equal(t, a, c.C.Addr(), "same mapping, same random bits")
}

// directClient returns a started client driven by hand, without the
// simulator, and the nonces of its first round: [0] with the cone bit,
// [1] without.
func directClient(t *testing.T, cfg teredo.ClientConfig) (*teredo.Client, *teredo.ClientOutput, [2][8]byte) {
	t.Helper()
	if cfg.Servers == nil {
		cfg.Servers = []netip.Addr{clSrvA}
	}
	if cfg.Global == nil {
		cfg.Global = simGlobal
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.NewChaCha8([32]byte{7})
	}
	c, err := teredo.NewClient(cfg)
	require.NoError(t, err)
	o := &teredo.ClientOutput{}
	c.Start(at(0), o)
	require.Len(t, o.Send, 2)
	var nonces [2][8]byte
	for i, d := range o.Send {
		p, err := teredo.ParsePacket(d.Payload)
		require.NoError(t, err)
		nonces[i], _ = p.Nonce()
	}
	return c, o, nonces
}

// clRA builds the Router Advertisement a server would answer with, from
// the standard builder: nonce echoed, origin mapped, to dst.
func clRA(t testing.TB, nonce [8]byte, mapped netip.AddrPort, dst netip.Addr, mtu uint32) []byte {
	t.Helper()
	h := teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: nonce}, Origin: mapped}
	b, err := teredo.AppendRouterAdvertisement(nil, &h, &teredo.RAFields{Server: clSrvA, Dst: dst, MTU: mtu})
	require.NoError(t, err)
	return b
}

// TestClientRAValidity: teredo.md §9 case 11. Every invalid answer is
// dropped with its reason and changes nothing; Microsoft's quirk (the
// link-local source naming another server IPv4) is accepted.
func TestClientRAValidity(t *testing.T) {
	mappedOK := netip.MustParseAddrPort("203.0.113.9:40000")
	llR, llC := addr.TeredoClientLinkLocalRestricted, addr.TeredoClientLinkLocalCone
	srvLL := addr.TeredoServerLinkLocal(clPrimary)
	pio := func(p string) packet.PrefixInfo {
		return packet.PrefixInfo{Prefix: netip.MustParsePrefix(p), Autonomous: true, ValidLifetime: 1 << 30, PreferredLifetime: 1 << 30}
	}
	raf := func(mtu uint32, prefixes ...string) *packet.RAFields {
		f := &packet.RAFields{RetransTimer: 2000, MTU: mtu}
		for _, p := range prefixes {
			f.Prefixes = append(f.Prefixes, pio(p))
		}
		return f
	}
	type build func(n [2][8]byte) []byte
	full := func(n [8]byte, m netip.AddrPort) *teredo.Header {
		return &teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: n}, Origin: m}
	}
	for _, tc := range []struct {
		name string
		from netip.AddrPort
		ra   build
		err  error
	}{
		{"no origin", clPrimary, func(n [2][8]byte) []byte {
			return raWith(t, &teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: n[1]}}, srvLL, llR, raf(0, "2001:0:c633:6401::/64"))
		}, teredo.ErrRANoOrigin},
		{"no auth", clPrimary, func(n [2][8]byte) []byte {
			return raWith(t, &teredo.Header{Origin: mappedOK}, srvLL, llR, raf(0, "2001:0:c633:6401::/64"))
		}, teredo.ErrRANoAuth},
		{"wrong nonce", clPrimary, func(n [2][8]byte) []byte {
			x := n[1]
			x[0] ^= 1
			return clRA(t, x, mappedOK, llR, 0)
		}, teredo.ErrRANonce},
		{"to the cone link-local", clPrimary, func(n [2][8]byte) []byte { return clRA(t, n[1], mappedOK, llC, 0) }, teredo.ErrRADestination},
		{"no prefix", clPrimary, func(n [2][8]byte) []byte { return raWith(t, full(n[1], mappedOK), srvLL, llR, raf(0)) }, teredo.ErrRAPrefixCount},
		{"two prefixes", clPrimary, func(n [2][8]byte) []byte {
			return raWith(t, full(n[1], mappedOK), srvLL, llR, raf(0, "2001:0:c633:6401::/64", "2001:0:c633:6401::/64"))
		}, teredo.ErrRAPrefixCount},
		{"prefix /48", clPrimary, func(n [2][8]byte) []byte {
			return raWith(t, full(n[1], mappedOK), srvLL, llR, raf(0, "2001:0:c633::/48"))
		}, teredo.ErrRAPrefixLen},
		{"another server's prefix", clPrimary, func(n [2][8]byte) []byte {
			return raWith(t, full(n[1], mappedOK), srvLL, llR, raf(0, "2001:0:c633:640b::/64"))
		}, teredo.ErrRAServer},
		{"3ffe:831f prefix", clPrimary, func(n [2][8]byte) []byte {
			return raWith(t, full(n[1], mappedOK), srvLL, llR, raf(0, "3ffe:831f:c633:6401::/64"))
		}, teredo.ErrRAPrefix},
		{"MTU 1279", clPrimary, func(n [2][8]byte) []byte { return clRA(t, n[1], mappedOK, llR, 1279) }, teredo.ErrRAMTU},
		{"MTU 65536", clPrimary, func(n [2][8]byte) []byte { return clRA(t, n[1], mappedOK, llR, 65536) }, teredo.ErrRAMTU},
		{"bad checksum", clPrimary, func(n [2][8]byte) []byte {
			b := clRA(t, n[1], mappedOK, llR, 1280)
			b[len(b)-1] ^= 0x40
			return b
		}, packet.ErrBadChecksum},
		{"hop limit 254", clPrimary, func(n [2][8]byte) []byte {
			b := clRA(t, n[1], mappedOK, llR, 1280)
			b[13+8+7] = 254 // auth, origin, then the IPv6 hop limit
			return b
		}, packet.ErrBadHopLimit},
		{"from port 3545", netip.AddrPortFrom(clSrvA, 3545), func(n [2][8]byte) []byte { return clRA(t, n[1], mappedOK, llR, 0) }, teredo.ErrRASender},
		{"from the secondary without the cone bit", clSecondary, func(n [2][8]byte) []byte { return clRA(t, n[1], mappedOK, llR, 0) }, teredo.ErrRASender},
		{"cone answer from the primary", clPrimary, func(n [2][8]byte) []byte { return clRA(t, n[0], mappedOK, llC, 0) }, teredo.ErrRASender},
		{"from a stranger", clPeer, func(n [2][8]byte) []byte { return clRA(t, n[1], mappedOK, llR, 0) }, teredo.ErrRASender},
		{"mapped to a private address", clPrimary, func(n [2][8]byte) []byte {
			return clRA(t, n[1], netip.MustParseAddrPort("10.1.2.3:40000"), llR, 0)
		}, teredo.ErrRAMapped},
		{"mapped to port 0", clPrimary, func(n [2][8]byte) []byte {
			return clRA(t, n[1], netip.MustParseAddrPort("203.0.113.9:0"), llR, 0)
		}, teredo.ErrRAMapped},
		{"mapped outside the override", clPrimary, func(n [2][8]byte) []byte {
			return clRA(t, n[1], netip.MustParseAddrPort("192.0.2.9:40000"), llR, 0)
		}, teredo.ErrRAMapped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, o, n := directClient(t, teredo.ClientConfig{})
			err := c.HandleDatagram(at(time.Millisecond), tc.from, tc.ra(n), o)
			require.ErrorIs(t, err, tc.err)
			assert.Empty(t, o.Send)
			assert.Empty(t, o.Events)
			assert.False(t, o.Data.IsValid())
			assert.Equal(t, teredo.ClientProbing, c.State())
			assert.False(t, c.Addr().IsValid())
		})
	}

	t.Run("Microsoft link-local quirk", func(t *testing.T) {
		c, o, n := directClient(t, teredo.ClientConfig{})
		other := addr.TeredoServerLinkLocal(netip.MustParseAddrPort("198.51.100.77:3544"))
		b := raWith(t, full(n[1], mappedOK), other, llR, raf(0, "2001:0:c633:6401::/64"))
		require.NoError(t, c.HandleDatagram(at(time.Millisecond), clPrimary, b, o))
		assert.Equal(t, teredo.ClientQualified, c.State())
		checkAddr(t, c.Addr(), clSrvA, mappedOK)
		assert.Equal(t, teredo.MinMTU, c.Status().MTU, "no MTU option: 1280")
	})
	t.Run("cone answer", func(t *testing.T) {
		c, o, n := directClient(t, teredo.ClientConfig{Local: mappedOK})
		require.NoError(t, c.HandleDatagram(at(time.Millisecond), clSecondary, clRA(t, n[0], mappedOK, llC, 1400), o))
		assert.Equal(t, teredo.ClientQualified, c.State())
		assert.Equal(t, teredo.NATNone, c.Status().NAT, "mapped == local")
		assert.Equal(t, 1400, c.Status().MTU)
		// The answer to the other solicitation, late: consumed, no change.
		a := c.Addr()
		require.NoError(t, c.HandleDatagram(at(2*time.Millisecond), clPrimary, clRA(t, n[1], mappedOK, llR, 1400), o))
		assert.Empty(t, o.Events)
		assert.Equal(t, a, c.Addr())
	})
}

// TestClientNonceWindow: an answer to the solicitation before the last is
// still accepted (it may cross the retransmission); older ones are not.
func TestClientNonceWindow(t *testing.T) {
	mappedOK := netip.MustParseAddrPort("203.0.113.9:40000")
	llR := addr.TeredoClientLinkLocalRestricted
	c, o, n := directClient(t, teredo.ClientConfig{})
	c.Tick(at(clT), o)
	c.Tick(at(2*clT), o)
	assert.ErrorIs(t, c.HandleDatagram(at(2*clT), clPrimary, clRA(t, n[1], mappedOK, llR, 0), o), teredo.ErrRANonce)

	c, o, n = directClient(t, teredo.ClientConfig{})
	c.Tick(at(clT), o)
	require.NoError(t, c.HandleDatagram(at(clT+time.Millisecond), clPrimary, clRA(t, n[1], mappedOK, llR, 0), o))
	assert.Equal(t, teredo.ClientQualified, c.State())

	// A replayed answer to the last refresh does not answer the next one.
	s := newSteadyClient(t)
	s.refresh(t)
	old := append([]byte{}, s.raBuf...)
	s.now = s.c.NextDeadline()
	s.c.Tick(s.now, s.out)
	require.Len(t, s.out.Send, 1)
	a := s.c.Addr()
	s.mapped = netip.MustParseAddrPort("203.0.113.9:40001")
	s.answer(t, 0) // the server's answer, not delivered yet
	assert.ErrorIs(t, s.c.HandleDatagram(s.now, clPrimary, old, s.out), teredo.ErrRANonce)
	require.NoError(t, s.c.HandleDatagram(s.now, clPrimary, s.raBuf, s.out))
	assert.NotEqual(t, a, s.c.Addr(), "the real answer's new mapping is taken")
}

// TestClientData: datagrams that are not control go up to the data path
// while qualified, and nowhere otherwise.
func TestClientData(t *testing.T) {
	mappedOK := netip.MustParseAddrPort("203.0.113.9:40000")
	c, o, n := directClient(t, teredo.ClientConfig{})
	peerAddr := addr.Teredo{Server: clSrvB, Client: clPeer}.Addr()
	bubble, err := teredo.AppendBubble(nil, nil, peerAddr, netip.MustParseAddr("2001:0:c633:6401::1"), 0)
	require.NoError(t, err)
	assert.ErrorIs(t, c.HandleDatagram(at(0), clPeer, bubble, o), teredo.ErrNotQualified)
	assert.False(t, o.Data.IsValid())

	require.NoError(t, c.HandleDatagram(at(0), clPrimary, clRA(t, n[1], mappedOK, addr.TeredoClientLinkLocalRestricted, 0), o))
	require.Equal(t, teredo.ClientQualified, c.State())

	require.NoError(t, c.HandleDatagram(at(time.Second), clPeer, bubble, o))
	require.True(t, o.Data.IsValid())
	assert.True(t, o.Data.IsBubble())
	assert.False(t, o.FromServer)
	assert.Equal(t, bubble, o.Data.Bytes())

	relayed, err := teredo.AppendBubble(nil, &teredo.Header{Origin: clPeer}, peerAddr, c.Addr(), 0)
	require.NoError(t, err)
	require.NoError(t, c.HandleDatagram(at(time.Second), netip.AddrPortFrom(clSrvA.Unmap(), teredo.ServerPort), relayed, o))
	assert.True(t, o.FromServer)
	o2, _ := o.Data.Origin()
	assert.Equal(t, clPeer, o2)
	// IPv4-mapped source, as from a dual-stack socket.
	require.NoError(t, c.HandleDatagram(at(time.Second), netip.AddrPortFrom(netip.AddrFrom16(clSrvA.As16()), teredo.ServerPort), relayed, o))
	assert.True(t, o.FromServer)

	// The next call clears the output.
	assert.ErrorIs(t, c.HandleDatagram(at(time.Second), clPeer, []byte{0x45, 0, 0, 20}, o), teredo.ErrNotIPv6)
	assert.False(t, o.Data.IsValid())
	assert.ErrorIs(t, c.HandleDatagram(at(time.Second), clPeer, []byte{0x60}, o), teredo.ErrTooShort)
	// An advertisement from a peer is never data.
	err = c.HandleDatagram(at(time.Second), clPeer, clRA(t, n[1], mappedOK, addr.TeredoClientLinkLocalRestricted, 0), o)
	assert.Error(t, err)
	assert.False(t, o.Data.IsValid())

	// A nil output is allowed.
	require.NoError(t, c.HandleDatagram(at(time.Second), clPeer, bubble, nil))
	c.Tick(at(time.Hour), nil)
}

func TestNewClientErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  teredo.ClientConfig
	}{
		{"no server", teredo.ClientConfig{Global: simGlobal}},
		{"IPv6 server", teredo.ClientConfig{Servers: []netip.Addr{netip.MustParseAddr("2001:db8::1")}}},
		{"zero server", teredo.ClientConfig{Servers: []netip.Addr{{}}}},
		{"documentation server without override", teredo.ClientConfig{Servers: []netip.Addr{clSrvA}}},
		{"private server", teredo.ClientConfig{Servers: []netip.Addr{netip.MustParseAddr("10.0.0.1")}, Global: simGlobal}},
		{"secondary outside override", teredo.ClientConfig{Servers: []netip.Addr{clSrvA}, Secondaries: []netip.Addr{netip.MustParseAddr("10.0.0.1")}, Global: simGlobal}},
		{"secondary is primary", teredo.ClientConfig{Servers: []netip.Addr{clSrvA}, Secondaries: []netip.Addr{clSrvA}, Global: simGlobal}},
		{"primary+1 overflows", teredo.ClientConfig{Servers: []netip.Addr{netip.MustParseAddr("255.255.255.255")}, Global: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}}},
		{"negative refresh", teredo.ClientConfig{Servers: []netip.Addr{clSrvA}, Global: simGlobal, RefreshInterval: -time.Second}},
		{"IPv6 local", teredo.ClientConfig{Servers: []netip.Addr{clSrvA}, Global: simGlobal, Local: netip.MustParseAddrPort("[2001:db8::1]:1")}},
	} {
		_, err := teredo.NewClient(tc.cfg)
		assert.ErrorIs(t, err, teredo.ErrClientConfig, tc.name)
	}
	// Real global servers need no override; IPv4-mapped forms are unmapped.
	c, err := teredo.NewClient(teredo.ClientConfig{Servers: []netip.Addr{netip.MustParseAddr("::ffff:8.8.4.4")}})
	require.NoError(t, err)
	var o teredo.ClientOutput
	c.Start(at(0), &o)
	require.NotEmpty(t, o.Send)
	assert.Equal(t, netip.MustParseAddrPort("8.8.4.4:3544"), o.Send[0].To)
	assert.Equal(t, netip.MustParseAddr("8.8.4.5"), c.Status().Secondary)
}

// failingReader fails every read.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

// TestClientRandomFailure: a failing random source is reported, and the
// client still works with distinct nonces.
func TestClientRandomFailure(t *testing.T) {
	c, o, n := directClient(t, teredo.ClientConfig{Rand: failingReader{}})
	assert.NotEqual(t, n[0], n[1])
	assert.ErrorIs(t, c.Status().LastError, teredo.ErrRandom)
	require.NoError(t, c.HandleDatagram(at(0), clPrimary,
		clRA(t, n[1], netip.MustParseAddrPort("203.0.113.9:40000"), addr.TeredoClientLinkLocalRestricted, 0), o))
	assert.Equal(t, teredo.ClientQualified, c.State())
}

// TestClientRandomFlags: the 12 random bits vary between clients and never
// touch the cone, reserved, U or G bits (RFC 5991).
func TestClientRandomFlags(t *testing.T) {
	seen := map[uint16]bool{}
	for seed := range 64 {
		c, err := teredo.NewClient(teredo.ClientConfig{Servers: []netip.Addr{clSrvA}, Global: simGlobal,
			Rand: rand.NewChaCha8([32]byte{byte(seed), 1})})
		require.NoError(t, err)
		var o teredo.ClientOutput
		c.Start(at(0), &o)
		p, err := teredo.ParsePacket(o.Send[1].Payload)
		require.NoError(t, err)
		nonce, _ := p.Nonce()
		require.NoError(t, c.HandleDatagram(at(0), clPrimary,
			clRA(t, nonce, netip.MustParseAddrPort("203.0.113.9:40000"), addr.TeredoClientLinkLocalRestricted, 0), &o))
		f := c.Status().Teredo.Flags
		assert.Zero(t, f&^addr.TeredoFlagsRandom)
		seen[f] = true
	}
	assert.Greater(t, len(seen), 56, "64 draws of 12 bits mostly differ")
}

func TestClientStrings(t *testing.T) {
	// Windows' names (teredo.md §3), in the brief's spelling.
	assert.Equal(t, []string{"unknown", "none", "cone", "restricted", "port-restricted", "symmetric", "NATType(?)"}, []string{
		teredo.NATUnknown.String(), teredo.NATNone.String(), teredo.NATCone.String(), teredo.NATRestricted.String(),
		teredo.NATPortRestricted.String(), teredo.NATSymmetric.String(), teredo.NATType(99).String(),
	})
	assert.Equal(t, []string{"stopped", "probing", "qualified", "offline", "ClientState(?)"}, []string{
		teredo.ClientStopped.String(), teredo.ClientProbing.String(), teredo.ClientQualified.String(),
		teredo.ClientOffline.String(), teredo.ClientState(9).String(),
	})
	a := netip.MustParseAddr("2001:0:c633:6401:0:63bf:34ff:fff6")
	for _, tc := range []struct {
		e    teredo.ClientEvent
		want string
	}{
		{teredo.ClientEvent{Kind: teredo.EventStateChanged, State: teredo.ClientQualified}, "state qualified"},
		{teredo.ClientEvent{Kind: teredo.EventAddressAcquired, Addr: a}, "address-acquired " + a.String()},
		{teredo.ClientEvent{Kind: teredo.EventAddressLost, Addr: a}, "address-lost " + a.String()},
		{teredo.ClientEvent{Kind: teredo.EventNATDetected, NAT: teredo.NATSymmetric}, "nat symmetric"},
		{teredo.ClientEvent{Kind: teredo.EventServerOffline, Server: clSrvA}, "server-offline 198.51.100.1"},
		{teredo.ClientEvent{}, "ClientEventKind(?)"},
	} {
		assert.Equal(t, tc.want, tc.e.String())
	}
}
