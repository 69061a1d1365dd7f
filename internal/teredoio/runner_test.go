package teredoio_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/internal/teredoio"
	"github.com/transit6/transit6/teredo"
)

// TestRunnersLoopback runs the client runner (without a TUN interface)
// against the server runner on loopback addresses 127.0.0.1 and .2, treated
// as global: no root needed. Without NAT the client qualifies in one round
// trip, learns its own socket as the mapping and reports NAT type none.
func TestRunnersLoopback(t *testing.T) {
	global := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	srv, err := teredoio.NewServer(teredoio.ServerConfig{Engine: teredo.ServerConfig{
		Primary: netip.MustParseAddr("127.0.0.1"), TreatAsGlobal: global}})
	if err != nil {
		t.Skipf("cannot bind 127.0.0.1:3544 and 127.0.0.2:3544 (in use?): %v", err)
	}
	defer srv.Close()
	cl, err := teredoio.NewClient(teredoio.ClientConfig{Engine: teredo.ClientConfig{
		Servers: []netip.Addr{netip.MustParseAddr("127.0.0.1")}, Global: global}})
	require.NoError(t, err)
	defer cl.Close()
	assert.Equal(t, netip.MustParseAddr("127.0.0.1"), cl.LocalAddr().Addr(), "source address toward the server")

	ctx, cancel := context.WithCancel(context.Background())
	sdone, cdone := make(chan error, 1), make(chan error, 1)
	go func() { sdone <- srv.Run(ctx) }()
	go func() { cdone <- cl.Run(ctx) }()

	var st teredoio.Status
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(10 * time.Millisecond) {
		if st = cl.Status(); st.State == "qualified" && st.NAT != "unknown" {
			break
		}
	}
	require.Equal(t, "qualified", st.State)
	assert.Equal(t, "none", st.NAT)
	td, err := addr.DecodeTeredo(st.Address)
	require.NoError(t, err)
	assert.Equal(t, netip.MustParseAddr("127.0.0.1"), td.Server)
	assert.Equal(t, cl.LocalAddr(), td.Client)
	assert.Equal(t, cl.LocalAddr(), st.ExternalMapping)

	ss := srv.Status()
	assert.Equal(t, uint64(2), ss.Counters["case4-ra"], "the two solicitations of the first round")

	cancel()
	require.NoError(t, <-cdone)
	require.NoError(t, <-sdone)
	assert.Equal(t, "stopped", cl.Status().State)
}
