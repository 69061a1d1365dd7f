package teredo_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/teredo"
)

// TestClientMasqueradeConflict: Linux's plain masquerade keeps the local
// port toward the primary address, but the cone test's answers it dropped
// from the secondary address's port 3544 leave conntrack entries claiming
// that port pair, so the later solicitation to the secondary is mapped to
// another port (seen in the Miredo interop test through nftables
// masquerade). A NAT that preserved the port toward the primary is still
// port-restricted; one that preserved no port is symmetric.
func TestClientMasqueradeConflict(t *testing.T) {
	local := netip.MustParseAddrPort("10.0.0.2:50000")
	for _, tc := range []struct {
		name               string
		primary, secondary netip.AddrPort
		want               teredo.NATType
		preserving         bool
	}{
		{"masquerade, port pushed off toward the secondary",
			netip.AddrPortFrom(clNATAddr, 50000), netip.AddrPortFrom(clNATAddr, 40001), teredo.NATPortRestricted, true},
		{"masquerade fully-random",
			netip.AddrPortFrom(clNATAddr, 40000), netip.AddrPortFrom(clNATAddr, 40001), teredo.NATSymmetric, false},
		{"port kept, another address toward the secondary",
			netip.AddrPortFrom(clNATAddr, 50000), netip.MustParseAddrPort("203.0.113.2:50000"), teredo.NATSymmetric, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, o, nonces := directClient(t, teredo.ClientConfig{Local: local, SkipRestrictedProbe: true})
			rtt := 10 * time.Millisecond
			require.NoError(t, c.HandleDatagram(at(rtt), clPrimary, clRA(t, nonces[1], tc.primary, teredo.ClientLinkLocal(false), 1280), o))
			require.Equal(t, teredo.ClientQualified, c.State())
			// The cone solicitations go unanswered (the NAT drops the
			// answers from the secondary); after N×T the secondary test
			// starts.
			var rs []byte
			for d := clT; d <= clNT; d += clT {
				c.Tick(at(d), o)
				for _, s := range o.Send {
					if s.To == clSecondary {
						rs = s.Payload
					}
				}
			}
			require.NotNil(t, rs, "no solicitation to the secondary address")
			p, err := teredo.ParsePacket(rs)
			require.NoError(t, err)
			nonce, ok := p.Nonce()
			require.True(t, ok)
			ra := clRA(t, nonce, tc.secondary, teredo.ClientLinkLocal(false), 1280)
			require.NoError(t, c.HandleDatagram(at(clNT+rtt), clSecondary, ra, o))
			st := c.Status()
			assert.Equal(t, tc.want, st.NAT)
			assert.Equal(t, tc.preserving, st.PortPreserving)
			assert.Equal(t, tc.primary, st.Mapped, "the address keeps the primary mapping")
		})
	}
}
