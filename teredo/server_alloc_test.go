package teredo_test

import (
	"testing"

	"github.com/transit6/transit6/teredo"
)

var (
	sinkOuts    []teredo.ServerOut
	sinkVerdict teredo.ServerVerdict
	sinkCounts  teredo.ServerCounters
)

// TestServerNoAllocs checks that the hot paths of the server engine do not
// allocate once the caller's output slots have grown (AllocsPerRun's
// warm-up run grows them).
func TestServerNoAllocs(t *testing.T) {
	teredoMapped := svTeredo(srvPrimary, mapped)
	teredoB := svTeredo(srvPrimary, svClientB)
	rs := hx(t, svMiredoRS)
	bubble := svBubble(t, nil, teredoMapped, teredoB)
	echo := svEcho(t, teredoMapped, svNativeDst, 22)
	plain := svServer(t, func(c *teredo.ServerConfig) { c.RSInterval = -1; c.Native = true })
	limited := svServer(t)
	secure := svServer(t, func(c *teredo.ServerConfig) { c.RSInterval = -1; c.SecureKey = []byte("k") })
	cl, err := teredo.NewAuthenticator([]byte("client-7"), []byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	signed, err := teredo.AppendRouterSolicitation(nil, &teredo.Header{HasAuth: true, Auth: cl.Auth(nonce, 0)}, llClient)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Sign(signed); err != nil {
		t.Fatal(err)
	}
	out := make([]teredo.ServerOut, 0, 2)
	for _, tc := range []struct {
		name string
		s    *teredo.Server
		in   []byte
		want teredo.ServerReason
	}{
		{"RS to RA", plain, rs, teredo.ServerCase4RA},
		{"RS to RA, rate limited", limited, rs, teredo.ServerDropRateLimited},
		{"RS to RA, secure", secure, signed, teredo.ServerCase4RA},
		{"bubble forwarding", plain, bubble, teredo.ServerCase5ToClient},
		{"native", plain, echo, teredo.ServerCase5ToNative},
		{"malformed", plain, rs[:20], teredo.ServerDropMalformed},
	} {
		allocs := testing.AllocsPerRun(100, func() {
			sinkOuts, sinkVerdict = tc.s.HandleDatagram(svNow, teredo.PrimarySocket, mapped, tc.in, out[:0])
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations", tc.name, allocs)
		}
		if sinkVerdict.Reason != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, sinkVerdict.Reason, tc.want)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { sinkCounts = plain.Counters() }); allocs != 0 {
		t.Errorf("Counters: %v allocations", allocs)
	}
}
