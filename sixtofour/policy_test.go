package sixtofour

import (
	"net/netip"
	"testing"

	"github.com/transit6/transit6/addr"
)

// TestPlainOctets proves the shortcut of v4Usable: every /24 of every /8
// marked plain is global under package addr's default classifier (its
// special-purpose ranges are /24 or larger outside the /8s not marked), and
// every /8 not marked holds at least one address that is not.
func TestPlainOctets(t *testing.T) {
	for o := range 256 {
		if !plainOctet[o] {
			found := false
			for x := 0; x < 1<<16 && !found; x++ {
				found = !addr.IsGlobalIPv4(netip.AddrFrom4([4]byte{byte(o), byte(x >> 8), byte(x), 0}))
			}
			if !found && !addr.IsGlobalIPv4(netip.AddrFrom4([4]byte{byte(o), 255, 255, 255})) {
				found = true
			}
			if !found {
				t.Errorf("%d.0.0.0/8 is all global: mark it plain", o)
			}
			continue
		}
		for x := 0; x < 1<<16; x++ {
			for _, last := range []byte{0, 255} {
				a := netip.AddrFrom4([4]byte{byte(o), byte(x >> 8), byte(x), last})
				if !addr.IsGlobalIPv4(a) {
					t.Fatalf("%v is not global, but %d/8 is marked plain", a, o)
				}
			}
		}
	}
}
