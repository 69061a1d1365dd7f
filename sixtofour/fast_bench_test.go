package sixtofour

import (
	"strconv"
	"testing"
)

// BenchmarkPolicyDecapsulate is BenchmarkDecapsulate6to4 through the
// one-call Policy.Decapsulate: the same checks, on the Internet (global
// addresses, plain octets) and in a lab (documentation addresses listed in
// TreatAsGlobal).
func BenchmarkPolicyDecapsulate(b *testing.B) {
	cfg := Config{Mechanism: SixToFour, Local: benchV4B}
	pol, err := NewPolicy(&cfg)
	if err != nil {
		b.Fatal(err)
	}
	lab := sixToFour(v4B)
	labPol, err := NewPolicy(&lab)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			pkt := tunnelled6(b, n)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := pol.Decapsulate(pkt, DecapRFC6040); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("1280-lab", func(b *testing.B) {
		pkt := ip4{src: v4A, dst: v4B}.wrap(b, sized(b, site6A, site6B, 1280))
		b.SetBytes(1280)
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := labPol.Decapsulate(pkt, DecapRFC6040); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkTemplateEncapsulate is BenchmarkEncapsulate through a Template
// compiled from the same Params.
func BenchmarkTemplateEncapsulate(b *testing.B) {
	tmpl, err := NewTemplate(&Params{OuterPolicy: OuterPolicy{TTL: 64}, Src: benchV4A, Dst: benchV4B, DF: true})
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			buf, off := withHeadroom(sized(b, bench6A, bench6B, n))
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tmpl.Encapsulate(buf, off); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTemplateAppendEncapsulate is BenchmarkAppendEncapsulate through
// a Template.
func BenchmarkTemplateAppendEncapsulate(b *testing.B) {
	tmpl, err := NewTemplate(&Params{OuterPolicy: OuterPolicy{TTL: 64}, Src: benchV4A, Dst: benchV4B, DF: true})
	if err != nil {
		b.Fatal(err)
	}
	inner := sized(b, bench6A, bench6B, 1280)
	dst := make([]byte, 0, 2048)
	b.SetBytes(1280)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tmpl.AppendEncapsulate(dst[:0], inner); err != nil {
			b.Fatal(err)
		}
	}
}
