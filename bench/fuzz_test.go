package bench

import (
	"testing"
)

// fuzzAgree checks that every implementation accepts or refuses pkt as the
// packet adapter does and decodes the same fields, unless Quirk documents a
// difference for it.
func fuzzAgree(t *testing.T, teredo bool, pkt []byte) {
	impls := Impls()
	var want Decoded
	wantErr := decoderOf(impls[0], teredo)(pkt, &want)
	for _, im := range impls[1:] {
		if Quirk(im.Name, teredo, pkt) != "" {
			continue
		}
		var got Decoded
		err := decoderOf(im, teredo)(pkt, &got)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%s: err %v, packet: %v", im.Name, err, wantErr)
		}
		if err == nil && got != want {
			t.Fatalf("%s: %+v, packet: %+v", im.Name, got, want)
		}
	}
}

// fuzzSeeds adds the 1280-byte input and every mutation of it for the
// encapsulation (their names in the mutations table say what edge each
// one is), plus the smallest input.
func fuzzSeeds(f *testing.F, teredo bool) {
	build, small := New6in4, 68
	if teredo {
		build, small = NewTeredo, 76
	}
	for _, size := range []int{small, 1280} {
		in, err := build(size)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(in.Pkt)
	}
	base, _ := build(1280)
	for _, m := range mutations {
		if m.teredo && !teredo { // the 6in4 mutations make Teredo seeds too
			continue
		}
		pkt := m.f(append([]byte{}, base.Pkt...))
		if !m.keepChecksum {
			fixChecksum(pkt)
		}
		f.Add(pkt)
	}
}

func FuzzAgree6in4(f *testing.F) {
	fuzzSeeds(f, false)
	f.Fuzz(func(t *testing.T, pkt []byte) { fuzzAgree(t, false, pkt) })
}

func FuzzAgreeTeredo(f *testing.F) {
	fuzzSeeds(f, true)
	f.Fuzz(func(t *testing.T, pkt []byte) { fuzzAgree(t, true, pkt) })
}
