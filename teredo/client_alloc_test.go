package teredo_test

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/teredo"
)

// steadyClient is a qualified client whose NAT test is over (a cone answer),
// driven by hand, with an output of sufficient capacity and a server that
// answers into a reused buffer.
type steadyClient struct {
	c      *teredo.Client
	out    *teredo.ClientOutput
	now    time.Time
	raBuf  []byte
	mapped netip.AddrPort
	p      teredo.Packet
}

func newSteadyClient(tb testing.TB) *steadyClient {
	tb.Helper()
	c, err := teredo.NewClient(teredo.ClientConfig{Servers: []netip.Addr{clSrvA}, Global: simGlobal,
		Rand: rand.NewChaCha8([32]byte{42})})
	require.NoError(tb, err)
	s := &steadyClient{
		c:      c,
		out:    &teredo.ClientOutput{Send: make([]teredo.ClientDatagram, 0, 8), Events: make([]teredo.ClientEvent, 0, 8)},
		now:    simEpoch,
		raBuf:  make([]byte, 0, 256),
		mapped: netip.MustParseAddrPort("203.0.113.9:40000"),
	}
	c.Start(s.now, s.out)
	require.NoError(tb, c.HandleDatagram(s.now, clSecondary, s.answer(tb, 0), s.out)) // the cone solicitation
	require.Equal(tb, teredo.ClientQualified, c.State())
	require.Equal(tb, teredo.NATCone, c.Status().NAT)
	return s
}

// answer returns the server's answer to out.Send[i], built without
// allocating.
func (s *steadyClient) answer(tb testing.TB, i int) []byte {
	if err := s.p.Decode(s.out.Send[i].Payload); err != nil {
		tb.Fatal(err)
	}
	rs, err := teredo.ParseRouterSolicitation(&s.p)
	if err != nil {
		tb.Fatal(err)
	}
	h := teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: rs.Nonce}, Origin: s.mapped}
	s.raBuf, err = teredo.AppendRouterAdvertisement(s.raBuf[:0], &h, &teredo.RAFields{Server: clSrvA, Dst: rs.Src, MTU: 1280})
	if err != nil {
		tb.Fatal(err)
	}
	return s.raBuf
}

// refresh runs one refresh cycle: the timer fires, the solicitation is
// answered.
func (s *steadyClient) refresh(tb testing.TB) {
	s.now = s.c.NextDeadline()
	s.c.Tick(s.now, s.out)
	if len(s.out.Send) != 1 {
		tb.Fatalf("refresh sent %d datagrams", len(s.out.Send))
	}
	if err := s.c.HandleDatagram(s.now, clPrimary, s.answer(tb, 0), s.out); err != nil {
		tb.Fatal(err)
	}
}

// TestClientNoAllocs: the steady state (refreshes, with or without a new
// mapping, data, timers that are not due, the status) does not allocate
// with a caller's output of sufficient capacity.
func TestClientNoAllocs(t *testing.T) {
	s := newSteadyClient(t)
	if n := testing.AllocsPerRun(200, func() { s.refresh(t) }); n != 0 {
		t.Errorf("refresh: %v allocations", n)
	}
	if n := testing.AllocsPerRun(200, func() {
		s.mapped = netip.AddrPortFrom(s.mapped.Addr(), s.mapped.Port()+1)
		s.refresh(t)
		if len(s.out.Events) != 2 {
			t.Fatalf("events %v", s.out.Events)
		}
	}); n != 0 {
		t.Errorf("refresh with a new mapping: %v allocations", n)
	}
	bubble, err := teredo.AppendBubble(nil, nil, addr.Teredo{Server: clSrvB, Client: clPeer}.Addr(), s.c.Addr(), 0)
	require.NoError(t, err)
	if n := testing.AllocsPerRun(200, func() {
		if err := s.c.HandleDatagram(s.now, clPeer, bubble, s.out); err != nil || !s.out.Data.IsValid() {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("data: %v allocations", n)
	}
	if n := testing.AllocsPerRun(200, func() {
		s.c.Tick(s.now, s.out)
		_ = s.c.NextDeadline()
		_ = s.c.Status()
	}); n != 0 {
		t.Errorf("idle tick, NextDeadline, Status: %v allocations", n)
	}
}
