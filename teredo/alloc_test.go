package teredo_test

import (
	"net/netip"
	"testing"

	"github.com/transit6/transit6/teredo"
)

// Sinks keep the compiler from optimizing the measured calls away.
var (
	sinkErr    error
	sinkBytes  []byte
	sinkBool   bool
	sinkInt    int
	sinkAuth   teredo.Auth
	sinkAP     netip.AddrPort
	sinkAPs    []netip.AddrPort
	sinkNonce  [8]byte
	sinkU8     uint8
	sinkHeader teredo.Header
	sinkRA     teredo.RAInfo
	sinkRS     teredo.RSInfo
	sinkPacket teredo.Packet
	sinkPrefix netip.Prefix
)

func TestNoAllocs(t *testing.T) {
	full := &teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: nonce}, Origin: mapped}
	inner := hx(t, hBubble)
	payload := append(hx(t, hAuth+hOrigin+hBubble), hx(t, "03 0e 0000 c0a80102 0d96 0a000001 0001 7e 00")...)
	var p teredo.Packet
	if err := p.Decode(payload); err != nil {
		t.Fatal(err)
	}
	rsPayload, err := teredo.AppendRouterSolicitation(nil, full, llClient)
	if err != nil {
		t.Fatal(err)
	}
	var rsPkt teredo.Packet
	if err := rsPkt.Decode(rsPayload); err != nil {
		t.Fatal(err)
	}
	raf := &teredo.RAFields{Server: srvPrimary, Dst: llClient, MTU: 1280}
	raPayload, err := teredo.AppendRouterAdvertisement(nil, full, raf)
	if err != nil {
		t.Fatal(err)
	}
	var raPkt teredo.Packet
	if err := raPkt.Decode(raPayload); err != nil {
		t.Fatal(err)
	}
	from := netip.AddrPortFrom(srvPrimary, teredo.ServerPort)
	sol := &teredo.Solicitation{Src: llClient, HasNonce: true, Nonce: nonce, Server: srvPrimary, Sender: from}
	outer := &teredo.Outer{Src: netip.MustParseAddrPort("203.0.113.5:51000"), Dst: from}
	alts := []netip.AddrPort{netip.MustParseAddrPort("192.168.1.2:3478"), netip.MustParseAddrPort("10.0.0.1:1")}
	trIt := p.Trailers()
	tr, _ := trIt.Next()

	auth, err := teredo.NewAuthenticator([]byte("client-7"), []byte("key"))
	if err != nil {
		t.Fatal(err)
	}
	signed, err := teredo.AppendRouterSolicitation(nil, &teredo.Header{HasAuth: true, Auth: auth.Auth(nonce, 0), Origin: mapped}, llClient)
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.Sign(signed); err != nil {
		t.Fatal(err)
	}
	var signedPkt teredo.Packet
	if err := signedPkt.Decode(signed); err != nil {
		t.Fatal(err)
	}

	buf := make([]byte, 0, 2048)
	inPlace := make([]byte, teredo.Headroom+len(inner))
	addrs := make([]netip.AddrPort, 0, teredo.MaxAltAddrs)
	tests := []struct {
		name string
		f    func()
	}{
		{"Decode", func() { sinkErr = p.Decode(payload) }},
		{"ParsePacket", func() { sinkPacket, sinkErr = teredo.ParsePacket(payload) }},
		{"Decode error", func() { sinkErr = sinkPacket.Decode(payload[:20]) }},
		{"accessors", func() {
			sinkAuth, sinkBool = p.Auth()
			sinkNonce, sinkBool = p.Nonce()
			sinkU8, sinkBool = p.Confirmation()
			sinkAP, sinkBool = p.Origin()
			sinkHeader = p.Header()
			sinkBytes = p.Inner()
			sinkBytes = p.Trailer()
			sinkBytes = p.Bytes()
			sinkInt = p.HeaderLen()
			sinkBool = p.IsBubble() || p.HasAuth() || p.HasOrigin() || p.IsValid()
			sinkInt = p.IPv6().PayloadLen()
		}},
		{"trailer iteration", func() {
			it := p.Trailers()
			for tr, ok := it.Next(); ok; tr, ok = it.Next() {
				sinkInt += int(tr.Type()) + tr.NumAltAddrs() + len(tr.Value())
				sinkAP = tr.AltAddr(0)
			}
			sinkErr = it.Err()
		}},
		{"AppendAltAddrs", func() { sinkAPs, sinkErr = tr.AppendAltAddrs(addrs[:0]) }},
		{"ParseOrigin", func() { sinkAP, sinkErr = teredo.ParseOrigin(payload[13:]) }},
		{"AppendOrigin", func() { sinkBytes, sinkErr = teredo.AppendOrigin(buf[:0], mapped) }},
		{"Auth.AppendTo", func() { sinkBytes, sinkErr = full.Auth.AppendTo(buf[:0]) }},
		{"Header.AppendTo", func() { sinkBytes, sinkErr = full.AppendTo(buf[:0]) }},
		{"AppendEncapsulate", func() { sinkBytes, sinkErr = teredo.AppendEncapsulate(buf[:0], inner, full) }},
		{"Encapsulate", func() { sinkBytes, sinkErr = teredo.Encapsulate(inPlace, teredo.Headroom, full) }},
		{"EncapsulateDatagram", func() { sinkBytes, sinkErr = teredo.EncapsulateDatagram(inPlace, teredo.Headroom, full, outer) }},
		{"AppendDatagram", func() { sinkBytes, sinkErr = teredo.AppendDatagram(buf[:0], outer, payload) }},
		{"AppendBubble", func() { sinkBytes, sinkErr = teredo.AppendBubble(buf[:0], full, teredoA, teredoB, 0) }},
		{"AppendRouterSolicitation", func() { sinkBytes, sinkErr = teredo.AppendRouterSolicitation(buf[:0], full, llClient) }},
		{"AppendRouterAdvertisement", func() { sinkBytes, sinkErr = teredo.AppendRouterAdvertisement(buf[:0], full, raf) }},
		{"AppendTrailer", func() { sinkBytes, sinkErr = teredo.AppendTrailer(buf[:0], 0x7e, inner) }},
		{"AppendAltAddrTrailer", func() { sinkBytes, sinkErr = teredo.AppendAltAddrTrailer(buf[:0], alts) }},
		{"ServerPrefix", func() { sinkPrefix = teredo.ServerPrefix(srvPrimary) }},
		{"ParseRouterSolicitation", func() { sinkRS, sinkErr = teredo.ParseRouterSolicitation(&rsPkt) }},
		{"ValidateRouterAdvertisement", func() { sinkRA, sinkErr = teredo.ValidateRouterAdvertisement(&raPkt, from, sol) }},
		{"ValidateRouterAdvertisement error", func() { sinkRA, sinkErr = teredo.ValidateRouterAdvertisement(&rsPkt, from, sol) }},
		{"Authenticator.Auth", func() { sinkAuth = auth.Auth(nonce, 0) }},
		{"Authenticator.Sign", func() { sinkErr = auth.Sign(signed) }},
		{"Authenticator.Verify", func() { sinkErr = auth.Verify(&signedPkt) }},
	}
	for _, tc := range tests {
		if n := testing.AllocsPerRun(100, tc.f); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", tc.name, n)
		}
	}
	if sinkErr != nil {
		// The last call is Verify; anything else failing shows in the
		// individual tests.
		t.Fatalf("Verify: %v", sinkErr)
	}
}
