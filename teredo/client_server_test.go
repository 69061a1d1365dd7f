package teredo_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/teredo"
)

// simTeredoServer plugs the package's Server engine into the simulated
// network, on both of its addresses, as its UDP adapter would.
type simTeredoServer struct {
	net      *simNet
	S        *teredo.Server
	out      []teredo.ServerOut
	Verdicts []teredo.ServerVerdict
}

// AddTeredoServer attaches a Server configured by cfg (TreatAsGlobal
// defaults to simGlobal).
func (n *simNet) AddTeredoServer(cfg teredo.ServerConfig) *simTeredoServer {
	n.helper()
	if cfg.TreatAsGlobal == nil {
		cfg.TreatAsGlobal = simGlobal
	}
	s, err := teredo.NewServer(cfg)
	if err != nil {
		n.fatalf("NewServer: %v", err)
	}
	ts := &simTeredoServer{net: n, S: s}
	n.AddHost(s.Addr(teredo.PrimarySocket).Addr(), ts)
	n.AddHost(s.Addr(teredo.SecondarySocket).Addr(), ts)
	return ts
}

func (ts *simTeredoServer) Receive(now time.Time, from, to netip.AddrPort, payload []byte) {
	sock := teredo.PrimarySocket
	if to == ts.S.Addr(teredo.SecondarySocket) {
		sock = teredo.SecondarySocket
	} else if to != ts.S.Addr(teredo.PrimarySocket) {
		return // no socket on that port
	}
	var v teredo.ServerVerdict
	ts.out, v = ts.S.HandleDatagram(now, sock, from, payload, ts.out[:0])
	ts.Verdicts = append(ts.Verdicts, v)
	for _, o := range ts.out {
		if !o.Native {
			ts.net.Send(ts.S.Addr(o.Socket), o.To, o.Payload)
		}
	}
}

// TestClientAgainstServer: the client engine qualifies against the server
// engine through every NAT of the matrix, with the NAT type the NAT's
// definition implies (see TestClientNATMatrix), and keeps its address
// through refreshes.
func TestClientAgainstServer(t *testing.T) {
	for _, tc := range []struct {
		nat  *natBehaviour
		want teredo.NATType
	}{
		{nil, teredo.NATNone},
		{&natFullCone, teredo.NATCone},
		{&natRestricted, teredo.NATRestricted},
		{&natPortRestricted, teredo.NATPortRestricted},
		{&natSymmetric, teredo.NATSymmetric},
		{&natPortPreserving, teredo.NATPortRestricted},
	} {
		name := "no NAT"
		if tc.nat != nil {
			name = tc.nat.Name
		}
		t.Run(name, func(t *testing.T) {
			n := newSimNet(t)
			n.Latency = 10 * time.Millisecond
			srv := n.AddTeredoServer(teredo.ServerConfig{Primary: clSrvA})
			var nat *simNAT
			local := clPublic
			if tc.nat != nil {
				nat = n.AddNAT(clNATAddr, *tc.nat)
				local = clPrivate
			}
			c := n.AddClient(teredo.ClientConfig{Servers: []netip.Addr{clSrvA}}, local, nat, nil)
			c.Start()
			n.RunFor(10 * time.Minute)

			mapped := c.Local
			if nat != nil {
				var ok bool
				mapped, ok = nat.MappingFor(c.Local, clPrimary)
				require.True(t, ok)
			}
			st := c.C.Status()
			require.Equal(t, teredo.ClientQualified, st.State)
			checkAddr(t, st.Addr, clSrvA, mapped)
			assert.Equal(t, tc.want, st.NAT)
			assert.Len(t, c.EventsOf(teredo.EventAddressAcquired), 1)
			assert.Empty(t, c.Errs)
			for _, v := range srv.Verdicts {
				assert.NoError(t, v.Err(), "the server dropped a solicitation: %v", v.Reason)
			}
		})
	}
}
