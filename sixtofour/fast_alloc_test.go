package sixtofour

import (
	"testing"
)

// TestFastNoAllocs asserts that the one-call decapsulation (common case,
// precise path, refusal) and the compiled encapsulation allocate nothing.
func TestFastNoAllocs(t *testing.T) {
	cfg := sixToFour(v4B)
	pol, err := NewPolicy(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	common := ip4{src: v4A, dst: v4B}.wrap(t, sized(t, site6A, site6B, 1280))
	relayed := tunnelled(t, v4Relay, v4B, native, site6B)
	rewritten := ip4{src: v4A, dst: v4B, tos: 1}.wrap(t, ip6{src: site6A, dst: site6B, tc: 2}.bytes(t))
	spoofed := tunnelled(t, v4Other, v4B, site6A, site6B)
	p := Params{OuterPolicy: OuterPolicy{TTL: 64, InheritTOS: true}, Src: v4A, Dst: v4B, DF: true}
	tmpl, err := NewTemplate(&p)
	if err != nil {
		t.Fatal(err)
	}
	inner := sized(t, site6A, site6B, 1280)
	buf, off := withHeadroom(inner)
	dst := make([]byte, 0, 2048)

	tests := map[string]func(){
		"Policy.Decapsulate common case": func() {
			if _, _, err := pol.Decapsulate(common, DecapRFC6040); err != nil {
				t.Fatal(err)
			}
		},
		"Policy.Decapsulate relay": func() {
			if _, _, err := pol.Decapsulate(relayed, DecapRFC6040); err != nil {
				t.Fatal(err)
			}
		},
		"Policy.Decapsulate ECN rewrite": func() {
			if _, _, err := pol.Decapsulate(rewritten, DecapLinux); err != nil {
				t.Fatal(err)
			}
		},
		"Policy.Decapsulate refusal": func() {
			if _, _, err := pol.Decapsulate(spoofed, DecapRFC6040); err != ErrSpoofedSource {
				t.Fatal(err)
			}
		},
		"NewTemplate": func() {
			if _, err := NewTemplate(&p); err != nil {
				t.Fatal(err)
			}
		},
		"Template.SetID": func() { tmpl.SetID(tmpl.ID() + 1) },
		"Template.Encapsulate": func() {
			if _, err := tmpl.Encapsulate(buf, off); err != nil {
				t.Fatal(err)
			}
		},
		"Template.AppendEncapsulate with capacity": func() {
			if _, err := tmpl.AppendEncapsulate(dst[:0], inner); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, f := range tests {
		f()
		if n := testing.AllocsPerRun(200, f); n != 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
}
