package broker

import (
	"net/http"
	"net/netip"
	"testing"
)

func BenchmarkParseResponse(b *testing.B) {
	for _, bc := range []struct{ name, body string }{
		{"good", "good 203.0.113.5\n"},
		{"badauth", "badauth\n"},
		{"legacy", "-ERROR: IP is not ICMP pingable. Please make sure ICMP is not blocked.\n"},
	} {
		body := []byte(bc.body)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				_, _ = ParseResponse(body)
			}
		})
	}
}

// BenchmarkUpdate measures one whole update over loopback HTTP, for
// reference: it runs once per address change, so only its correctness
// matters.
func BenchmarkUpdate(b *testing.B) {
	fb := newFakeBroker(b, http.StatusOK, "nochg 203.0.113.5\n")
	c := fb.client()
	c.TreatAsGlobal = docGlobal
	local := netip.MustParseAddr("203.0.113.5")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Update(b.Context(), "123456", local); err != nil {
			b.Fatal(err)
		}
	}
}
