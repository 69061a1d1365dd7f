package broker

import (
	"net/netip"
	"testing"
)

// TestNoAllocs checks that known answers parse without allocating; only the
// wrapped errors of unknown answers allocate.
func TestNoAllocs(t *testing.T) {
	bodies := []string{
		"good 203.0.113.5\r\n",
		"nochg 203.0.113.5",
		"good",
		"good 127.0.0.1",
		"badauth",
		"911",
		"+OK: Tunnel endpoint updated to: 203.0.113.5",
		"-ERROR: Tunnel not found",
		"-ERROR: This tunnel is already associated with this IP address.",
		"",
	}
	for _, body := range bodies {
		b := []byte(body)
		if n := testing.AllocsPerRun(100, func() { _, _ = ParseResponse(b) }); n != 0 {
			t.Errorf("ParseResponse(%q): %v allocs", body, n)
		}
	}
	var c Client
	a := netip.MustParseAddr("203.0.113.5") // reaches the classifier
	if n := testing.AllocsPerRun(100, func() { _, _ = c.MyIP(a) }); n != 0 {
		t.Errorf("MyIP(203.0.113.5): %v allocs", n)
	}
	r := Result{StatusGood, netip.MustParseAddr("192.0.2.1")}
	if n := testing.AllocsPerRun(100, func() { _ = r.IsValid() }); n != 0 {
		t.Errorf("IsValid: %v allocs", n)
	}
}
