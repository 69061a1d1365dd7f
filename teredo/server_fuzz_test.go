package teredo_test

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/packet"
	"github.com/transit6/transit6/teredo"
)

// svFuzzKey is the secure qualification key of the fuzzed secure server.
var svFuzzKey = []byte("fuzz key")

// svFuzzServers returns fresh servers in three configurations: the
// defaults, everything on and unlimited (native forwarding, no forward or
// rate limit, no MTU option), and secure qualification. The rate-limit
// tables are small so that a fresh set per input is cheap and each input
// is handled the same way every time.
func svFuzzServers(t testing.TB) []*teredo.Server {
	mk := func(mod func(*teredo.ServerConfig)) *teredo.Server {
		cfg := teredo.ServerConfig{Primary: srvPrimary, TreatAsGlobal: svGlobal, RateBuckets: 4}
		mod(&cfg)
		s, err := teredo.NewServer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return []*teredo.Server{
		mk(func(*teredo.ServerConfig) {}),
		mk(func(c *teredo.ServerConfig) {
			c.Native, c.ForwardLimit, c.RSInterval, c.NoMTUOption = true, -1, -1, true
		}),
		mk(func(c *teredo.ServerConfig) { c.SecureKey = svFuzzKey }),
	}
}

func v4u32(a netip.Addr) uint32 { b := a.As4(); return binary.BigEndian.Uint32(b[:]) }

func FuzzServerHandleDatagram(f *testing.F) {
	teredoMapped := svTeredo(srvPrimary, mapped)
	teredoB := svTeredo(srvPrimary, svClientB)
	cl, err := teredo.NewAuthenticator([]byte("client-7"), svFuzzKey)
	if err != nil {
		f.Fatal(err)
	}
	signed, err := teredo.AppendRouterSolicitation(nil, &teredo.Header{HasAuth: true, Auth: cl.Auth(nonce, 0)}, llClient)
	if err != nil {
		f.Fatal(err)
	}
	if err := cl.Sign(signed); err != nil {
		f.Fatal(err)
	}
	alt, _ := teredo.AppendAltAddrTrailer(nil, []netip.AddrPort{netip.MustParseAddrPort("192.168.1.2:3478")})
	m, b, relay := v4u32(mapped.Addr()), v4u32(svClientB.Addr()), v4u32(svRelay.Addr())

	// Miredo's Router Solicitation from a client, on each socket.
	f.Add(hx(f, svMiredoRS), m, mapped.Port(), uint8(0), false)
	f.Add(hx(f, svMiredoRS), m, mapped.Port(), uint8(1), false)
	// A solicitation without an authentication indicator (no nonce to echo).
	f.Add(svRS(f, nil, llClient), m, mapped.Port(), uint8(0), true)
	// The cone form, answered from the other socket.
	f.Add(svRS(f, &teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: nonce}}, addr.TeredoClientLinkLocalCone), b, svClientB.Port(), uint8(1), true)
	// A solicitation with client identifier and authentication value,
	// signed with the secure server's key.
	f.Add(signed, m, mapped.Port(), uint8(0), false)
	// An indirect bubble to a client of this server, with an alternate
	// address trailer.
	f.Add(svCat(svBubble(f, nil, teredoMapped, teredoB), alt), m, mapped.Port(), uint8(0), false)
	// A bubble to a client of another server (no origin indication).
	f.Add(svBubble(f, nil, teredoMapped, svTeredo(svOtherServer, svClientB)), m, mapped.Port(), uint8(0), false)
	// A relay's bubble from a native source to a client of this server.
	f.Add(svBubble(f, nil, svNativeSrc, teredoB), relay, svRelay.Port(), uint8(0), false)
	// An echo request to a native destination, with indicators in front.
	f.Add(svCat(hx(f, hAuth+hOrigin), svEcho(f, teredoMapped, svNativeDst, 22)), m, mapped.Port(), uint8(0), true)
	// An echo too large for the default forward limit.
	f.Add(svEcho(f, teredoMapped, teredoB, 200), m, mapped.Port(), uint8(0), true)
	// A Teredo destination embedding a private address.
	f.Add(svBubble(f, nil, teredoMapped, svTeredo(srvPrimary, netip.MustParseAddrPort("10.0.0.1:1"))), m, mapped.Port(), uint8(0), false)
	// A client claiming the server's own address as its mapping.
	f.Add(svBubble(f, nil, svTeredo(srvPrimary, svPrimaryAP), teredoB), v4u32(srvPrimary), uint16(3544), uint8(0), false)
	// A solicitation from a private source.
	f.Add(hx(f, svMiredoRS), uint32(0x0a000001), uint16(1), uint8(0), false)
	// An unknown indicator type.
	f.Add([]byte{0, 2, 0, 0}, m, mapped.Port(), uint8(0), false)
	// An unknown socket.
	f.Add(hx(f, svMiredoRS), m, mapped.Port(), uint8(2), false)
	// Nothing at all.
	f.Add([]byte{}, uint32(0), uint16(0), uint8(0), false)

	cls := addr.NewClassifier(svGlobal...)
	f.Fuzz(func(t *testing.T, payload []byte, src uint32, port uint16, sock uint8, fix bool) {
		if fix {
			payload = fixChecksum(payload)
		}
		var a4 [4]byte
		binary.BigEndian.PutUint32(a4[:], src)
		from := netip.AddrPortFrom(netip.AddrFrom4(a4), port)
		on := teredo.Socket(sock % 3)
		in := bytes.Clone(payload)
		var inPkt teredo.Packet
		inErr := inPkt.Decode(in)

		for i, s := range svFuzzServers(t) {
			before := s.Counters()
			out, v := s.HandleDatagram(svNow, on, from, in, nil)
			if !bytes.Equal(in, payload) {
				t.Fatalf("server %d modified its input", i)
			}
			after := s.Counters()
			if after.Get(v.Reason) != before.Get(v.Reason)+1 ||
				after.Accepted()+after.Dropped() != before.Accepted()+before.Dropped()+1 {
				t.Fatalf("server %d: %v not counted once", i, v.Reason)
			}
			if v.Reason.IsDrop() {
				if len(out) != 0 {
					t.Fatalf("server %d: drop %v with %d outputs", i, v.Reason, len(out))
				}
				continue
			}
			if !v.Reason.IsAccepted() || len(out) != 1 || v.Cause != nil {
				t.Fatalf("server %d: verdict %+v with %d outputs", i, v, len(out))
			}
			if inErr != nil {
				t.Fatalf("server %d accepted a payload the decoder refuses: %v", i, inErr)
			}
			o := out[0]
			if o.Native {
				svFuzzNative(t, cls, o, in, &inPkt, v)
				continue
			}
			if o.Socket > teredo.SecondarySocket || o.To.Port() == 0 || !cls.IsGlobalIPv4(o.To.Addr()) ||
				o.To == s.Addr(teredo.PrimarySocket) || o.To == s.Addr(teredo.SecondarySocket) {
				t.Fatalf("server %d sends from %v to %v", i, o.Socket, o.To)
			}
			var p teredo.Packet
			if err := p.Decode(o.Payload); err != nil {
				t.Fatalf("server %d: output does not decode: %v\n%x", i, err, o.Payload)
			}
			if v.Reason == teredo.ServerCase4RA {
				svFuzzRA(t, s, i, on, from, &inPkt, o, &p)
			} else {
				svFuzzForwarded(t, s, from, &inPkt, o, &p, v)
			}
		}
	})
}

// svFuzzRA checks an advertisement the way a client does.
func svFuzzRA(t *testing.T, s *teredo.Server, i int, on teredo.Socket, from netip.AddrPort, in *teredo.Packet, o teredo.ServerOut, p *teredo.Packet) {
	rs, err := teredo.ParseRouterSolicitation(in)
	if err != nil {
		t.Fatalf("server %d answered a solicitation ParseRouterSolicitation refuses: %v", i, err)
	}
	want := on
	if rs.Cone {
		want = 1 - on
	}
	if o.Socket != want || o.To != from {
		t.Fatalf("server %d answers from %v to %v", i, o.Socket, o.To)
	}
	sol := &teredo.Solicitation{Src: rs.Src, HasNonce: rs.HasNonce, Nonce: rs.Nonce,
		Server: srvPrimary, Sender: s.Addr(want)}
	info, err := teredo.ValidateRouterAdvertisement(p, s.Addr(o.Socket), sol)
	if err != nil {
		t.Fatalf("server %d: advertisement refused: %v", i, err)
	}
	if info.Mapped != from {
		t.Fatalf("server %d: mapping %v, want %v", i, info.Mapped, from)
	}
	if p.HasAuth() != rs.HasNonce {
		t.Fatalf("server %d: authentication indicator %v for a solicitation with %v", i, p.HasAuth(), rs.HasNonce)
	}
	if i == 2 {
		cl, _ := teredo.NewAuthenticator(nil, svFuzzKey)
		if err := cl.Verify(p); err != nil {
			t.Fatalf("secure server: advertisement not signed: %v", err)
		}
	}
}

// svFuzzForwarded checks a packet forwarded to a Teredo destination.
func svFuzzForwarded(t *testing.T, s *teredo.Server, from netip.AddrPort, in *teredo.Packet, o teredo.ServerOut, p *teredo.Packet, v teredo.ServerVerdict) {
	d, err := addr.DecodeTeredo(in.IPv6().Dst())
	if err != nil || o.To != d.Client || o.Socket != teredo.PrimarySocket {
		t.Fatalf("%v: forwarded from %v to %v for %v", v.Reason, o.Socket, o.To, in.IPv6().Dst())
	}
	if !bytes.Equal(p.Inner(), in.Inner()) || !bytes.Equal(p.Trailer(), in.Trailer()) || p.HasAuth() {
		t.Fatalf("%v: forwarded packet differs", v.Reason)
	}
	origin, ok := p.Origin()
	served := d.Server == srvPrimary
	if ok != served || (ok && origin != from) || (v.Reason == teredo.ServerCase5ToTeredo) != !served {
		t.Fatalf("%v: origin %v %v for a destination served by %v", v.Reason, origin, ok, d.Server)
	}
}

// svFuzzNative checks a packet for the native IPv6 side.
func svFuzzNative(t *testing.T, cls *addr.Classifier, o teredo.ServerOut, in []byte, p *teredo.Packet, v teredo.ServerVerdict) {
	if v.Reason != teredo.ServerCase5ToNative || !bytes.Equal(o.Payload, p.Inner()) || !within(o.Payload, in) {
		t.Fatalf("%v: native output is not the input's IPv6 packet", v.Reason)
	}
	ip, err := packet.ParseIPv6(o.Payload)
	if err != nil || len(ip.Trailer()) != 0 || !cls.IsPublic(ip.Dst()) {
		t.Fatalf("native output %v to %v", err, ip.Dst())
	}
}
