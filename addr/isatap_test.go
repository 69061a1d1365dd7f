package addr_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/transit6/transit6/addr"
)

// TestISATAPAddr uses the vectors of proto41.md §4.1.
func TestISATAPAddr(t *testing.T) {
	tests := []struct {
		name      string
		prefix    string
		v4        string
		universal bool
		want      string
		id        [8]byte
	}{
		{"link-local u=0", "fe80::/64", "192.0.2.4", false, "fe80::5efe:c000:204",
			[8]byte{0x00, 0x00, 0x5e, 0xfe, 192, 0, 2, 4}},
		{"link-local u=1", "fe80::/64", "192.0.2.4", true, "fe80::200:5efe:c000:204",
			[8]byte{0x02, 0x00, 0x5e, 0xfe, 192, 0, 2, 4}},
		{"global prefix", "2001:db8:1:2::/64", "10.0.0.5", false, "2001:db8:1:2:0:5efe:a00:5",
			[8]byte{0x00, 0x00, 0x5e, 0xfe, 10, 0, 0, 5}},
		{"host bits masked", "2001:db8:1:2:ffff::/64", "10.0.0.5", false, "2001:db8:1:2:0:5efe:a00:5",
			[8]byte{0x00, 0x00, 0x5e, 0xfe, 10, 0, 0, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v4 := mustAddr(tt.v4)
			id, err := addr.ISATAPInterfaceID(v4, tt.universal)
			if err != nil || id != tt.id {
				t.Errorf("ISATAPInterfaceID(%s, %v) = % x, %v; want % x", v4, tt.universal, id, err, tt.id)
			}
			got, err := addr.ISATAPAddr(netip.MustParsePrefix(tt.prefix), v4, tt.universal)
			if err != nil || got != mustAddr(tt.want) {
				t.Fatalf("ISATAPAddr = %s, %v; want %s", got, err, tt.want)
			}
			for _, mode := range []addr.ISATAPMode{addr.ISATAPStrict, addr.ISATAPLenient} {
				back, u, err := addr.DecodeISATAP(got, mode)
				if err != nil || back != v4 || u != tt.universal {
					t.Errorf("DecodeISATAP(%s, %d) = %s, %v, %v; want %s, %v", got, mode, back, u, err, v4, tt.universal)
				}
			}
		})
	}
}

func TestISATAPAddrErrors(t *testing.T) {
	tests := []struct {
		name   string
		prefix netip.Prefix
		v4     netip.Addr
		want   error
	}{
		{"/48", mustPrefix("2001:db8:1::/48"), mustAddr("192.0.2.4"), addr.ErrBadPrefixLen},
		{"/65", mustPrefix("2001:db8:1:2::/65"), mustAddr("192.0.2.4"), addr.ErrBadPrefixLen},
		{"/128", mustPrefix("fe80::1/128"), mustAddr("192.0.2.4"), addr.ErrBadPrefixLen},
		{"IPv4 prefix", mustPrefix("192.0.2.0/24"), mustAddr("192.0.2.4"), addr.ErrNotIPv6Prefix},
		{"zero prefix", netip.Prefix{}, mustAddr("192.0.2.4"), addr.ErrNotIPv6Prefix},
		{"IPv6 v4", mustPrefix("fe80::/64"), mustAddr("2001:db8::1"), addr.ErrNotIPv4},
		{"mapped v4", mustPrefix("fe80::/64"), mustAddr("::ffff:192.0.2.4"), addr.ErrNotIPv4},
		{"zero v4", mustPrefix("fe80::/64"), netip.Addr{}, addr.ErrNotIPv4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := addr.ISATAPAddr(tt.prefix, tt.v4, true)
			if !errors.Is(err, tt.want) || got.IsValid() {
				t.Errorf("ISATAPAddr(%s, %s) = %s, %v; want %v", tt.prefix, tt.v4, got, err, tt.want)
			}
			got, err = (*addr.Classifier)(nil).ISATAPAddr(tt.prefix, tt.v4)
			if !errors.Is(err, tt.want) || got.IsValid() {
				t.Errorf("Classifier.ISATAPAddr(%s, %s) = %s, %v; want %v", tt.prefix, tt.v4, got, err, tt.want)
			}
		})
	}
	if id, err := addr.ISATAPInterfaceID(mustAddr("::1"), false); !errors.Is(err, addr.ErrNotIPv4) || id != ([8]byte{}) {
		t.Errorf("ISATAPInterfaceID(::1) = % x, %v; want ErrNotIPv4", id, err)
	}
}

// TestDecodeISATAPModes: proto41.md §4.1 and §10 item 7. Linux accepts first
// IID bytes 00 and 02, Wireshark 00 to 03, nobody 04.
func TestDecodeISATAPModes(t *testing.T) {
	tests := []struct {
		in        string
		strict    bool
		lenient   bool
		v4        string
		universal bool
	}{
		{"fe80::5efe:a00:5", true, true, "10.0.0.5", false},
		{"fe80::200:5efe:a00:5", true, true, "10.0.0.5", true},
		{"fe80::100:5efe:a00:5", false, true, "10.0.0.5", false},
		{"fe80::300:5efe:a00:5", false, true, "10.0.0.5", true},
		{"fe80::400:5efe:a00:5", false, false, "", false},
		{"fe80::8000:5efe:a00:5", false, false, "", false},
		{"fe80::1:5efe:a00:5", false, false, "", false}, // second IID byte not zero
		{"fe80::5eff:a00:5", false, false, "", false},
		{"fe80::5efd:a00:5", false, false, "", false},
		{"fe80::a00:5", false, false, "", false},
		{"2001:db8:1:2:200:5efe:808:808%eth0", true, true, "8.8.8.8", true},
		{"::5efe:0:0", true, true, "0.0.0.0", false},
	}
	for _, tt := range tests {
		a := mustAddr(tt.in)
		for _, m := range []struct {
			mode addr.ISATAPMode
			ok   bool
		}{{addr.ISATAPStrict, tt.strict}, {addr.ISATAPLenient, tt.lenient}, {addr.ISATAPMode(7), tt.strict}} {
			v4, u, err := addr.DecodeISATAP(a, m.mode)
			if !m.ok {
				if !errors.Is(err, addr.ErrNotISATAP) || v4.IsValid() || u {
					t.Errorf("DecodeISATAP(%s, %d) = %s, %v, %v; want ErrNotISATAP", a, m.mode, v4, u, err)
				}
				continue
			}
			if err != nil || v4 != mustAddr(tt.v4) || u != tt.universal {
				t.Errorf("DecodeISATAP(%s, %d) = %s, %v, %v; want %s, %v", a, m.mode, v4, u, err, tt.v4, tt.universal)
			}
		}
	}
	for _, in := range []netip.Addr{{}, mustAddr("10.0.0.5")} {
		if _, _, err := addr.DecodeISATAP(in, addr.ISATAPLenient); !errors.Is(err, addr.ErrNotIPv6) {
			t.Errorf("DecodeISATAP(%s) error = %v, want ErrNotIPv6", in, err)
		}
	}
}

// TestISATAPUniversalFromClassifier: proto41.md §10 item 7. The u-bit is set
// for globally unique IPv4 addresses only. Linux's own list lacks
// 100.64.0.0/10 and sets u=1 there; the registry-based classifier does not.
func TestISATAPUniversalFromClassifier(t *testing.T) {
	fe80 := mustPrefix("fe80::/64")
	lab := addr.NewClassifier(mustPrefix("100.64.0.0/10"))
	tests := []struct {
		c    *addr.Classifier
		v4   string
		want string
	}{
		{nil, "10.0.0.5", "fe80::5efe:a00:5"},
		{nil, "8.8.8.8", "fe80::200:5efe:808:808"},
		{nil, "100.64.0.1", "fe80::5efe:6440:1"},
		{addr.NewClassifier(), "192.0.2.4", "fe80::5efe:c000:204"},
		{lab, "100.64.0.1", "fe80::200:5efe:6440:1"},
	}
	for _, tt := range tests {
		got, err := tt.c.ISATAPAddr(fe80, mustAddr(tt.v4))
		if err != nil || got != mustAddr(tt.want) {
			t.Errorf("ISATAPAddr(%s) = %s, %v; want %s", tt.v4, got, err, tt.want)
		}
		id, err := tt.c.ISATAPInterfaceID(mustAddr(tt.v4))
		if b := got.As16(); err != nil || [8]byte(b[8:]) != id {
			t.Errorf("ISATAPInterfaceID(%s) = % x, %v; want % x", tt.v4, id, err, b[8:])
		}
	}
}
