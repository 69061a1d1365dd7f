package sixtofour

// Tests against independent implementations: packets built by scapy are
// decapsulated, checked and translated as scapy says they should be, and
// every kind of packet this package builds is dissected by tshark without
// complaint. Missing tools skip, unless TRANSIT6_REQUIRE_INTEROP is set (as
// in CI), where they fail.

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/internal/interop"
	"github.com/transit6/transit6/packet"
)

// scapyPython returns an interpreter that can import scapy. Debian's
// python3-scapy installs for /usr/bin/python3, which need not be the
// python3 first on PATH (pyenv).
func scapyPython(t *testing.T) string {
	t.Helper()
	candidates := []string{"/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	for _, p := range candidates {
		if exec.Command(p, "-c", "import scapy.all").Run() == nil {
			return p
		}
	}
	interop.Unavailable(t, "no python3 that can import scapy (install python3-scapy)")
	return ""
}

// scapyCases builds the test packets with scapy and prints one JSON object
// per line. Expected results are computed here, in Python, independently
// of the Go code: scapy builds the expected outer headers and ICMPv6
// errors, and the RFC 6040 table below decides the inner ECN field.
const scapyCases = `
import json, sys
from scapy.all import *

conf.verb = 0
A, B, RELAY, OTHER, RTR = "192.0.2.4", "198.51.100.7", "203.0.113.1", "192.0.2.5", "198.51.100.254"

# RFC 6040 Figure 4: [outer][inner], codepoints Not-ECT 0, ECT(1) 1, ECT(0) 2, CE 3; None = drop.
ECN = [[0, 1, 2, 3], [0, 1, 1, 3], [0, 1, 2, 3], [None, 3, 3, 3]]

def out(**kw):
    print(json.dumps(kw))

def decapped(pkt):
    """The inner packet as the decapsulator must deliver it, or None."""
    ip = IP(bytes(pkt))
    inner = bytearray(bytes(ip.payload))[:40 + IPv6(bytes(ip.payload)).plen]
    e = ECN[ip.tos & 3][(inner[1] >> 4) & 3]
    if e is None:
        return None
    inner[1] = (inner[1] & 0xcf) | (e << 4)
    return bytes(inner).hex()

payloads = [
    lambda: ICMPv6EchoRequest(id=7, seq=1, data=b"scapy"),
    lambda: UDP(sport=5353, dport=53) / Raw(b"q" * 33),
    lambda: TCP(sport=40000, dport=443, flags="S", seq=1),
    lambda: IPv6ExtHdrHopByHop() / UDP(sport=1, dport=2) / Raw(b"hbh"),
    lambda: Raw(b""),  # No Next Header
]

mechs = {
    "6to4":   ("2002:c000:204::1", "2002:c633:6407::1"),
    "6rd":    ("2001:db8:c000:204::1", "2001:db8:c633:6407::1"),
    "isatap": ("2001:db8:1:2:200:5efe:c000:204", "2001:db8:1:2:200:5efe:c633:6407"),
    "6in4":   ("2001:db8:1234::1", "2001:db8:5678::2"),
}

n = 0
for mech, (s6, d6) in mechs.items():
    for i, mk in enumerate(payloads):
        for tos, tc in [(0x00, 0x00), (0xb8, 0x02), (0x01, 0x02), (0x03, 0x01), (0x02, 0x03), (0x03, 0x00), (0x48, 0x2a)]:
            n += 1
            pl = mk()
            inner = IPv6(src=s6, dst=d6, tc=tc, hlim=(n * 37) % 256 or 1, fl=n)
            inner = inner / pl if len(bytes(pl)) else inner
            if not len(bytes(pl)):
                inner.nh = 59
            ttl = [1, 64, 255][n % 3]
            pkt = IP(src=A, dst=B, tos=tos, ttl=ttl, id=n, flags="DF" if n % 2 else 0) / inner
            want = decapped(pkt)
            reason = ("received-direct" if want else "ecn-drop")
            out(kind="decap", name=f"{mech} payload {i} tos {tos:#x} tc {tc:#x}", mech=mech,
                pkt=bytes(pkt).hex(), inner=want or "", decap="ok" if want else "ecn-drop", router=reason)

# 6to4 packets that are odd but valid, or malformed.
inner = IPv6(src="2002:c000:204::1", dst="2002:c633:6407::1") / UDP(sport=1, dport=2) / Raw(b"x" * 20)
good = IP(src=A, dst=B) / inner
def case(name, pkt, decap, router, inner_hex=""):
    out(kind="decap", name=name, mech="6to4", pkt=bytes(pkt).hex(), inner=inner_hex, decap=decap, router=router)
case("IPv4 options", IP(src=A, dst=B, options=[IPOption_NOP(), IPOption_NOP(), IPOption_NOP(), IPOption_EOL()]) / inner,
     "ok", "received-direct", bytes(inner).hex())
case("outer longer than inner", IP(src=A, dst=B, proto=41) / Raw(bytes(inner) + b"trailer!"), "ok", "received-direct", bytes(inner).hex())
case("link padding after the packet", Raw(bytes(good) + b"\0" * 6), "ok", "received-direct", bytes(inner).hex())
case("bad checksum", IP(src=A, dst=B, chksum=0x1234) / inner, "bad-checksum", "bad-checksum")
case("fragment", IP(src=A, dst=B, flags="MF", proto=41) / Raw(bytes(inner)[:48]), "fragmented", "fragment-queued")
case("protocol 4", IP(src=A, dst=B, proto=4) / IP(), "not-proto41", "not-proto41")
case("total length 59", IP(src=A, dst=B, proto=41) / Raw(bytes(inner)[:39]), "inner-truncated", "inner-truncated")
case("inner IPv4", IP(src=A, dst=B, proto=41) / IP(src=A, dst=B) / Raw(b"z" * 30), "not-ipv6-inner", "not-ipv6-inner")
case("inner plen too big", IP(src=A, dst=B) / IPv6(src="2002:c000:204::1", dst="2002:c633:6407::1", plen=100, nh=59) / Raw(b"y" * 10),
     "length-mismatch", "length-mismatch")
case("buffer cut short", Raw(bytes(good)[:50]), "truncated", "truncated")
case("outer version 5", Raw(bytes([0x55]) + bytes(good)[1:]), "bad-version", "bad-version")
case("spoofed 6to4 source", IP(src=OTHER, dst=B) / inner, "ok", "spoofed-source", bytes(inner).hex())
case("native source from the relay", IP(src=RELAY, dst=B) / IPv6(src="2001:db8::1", dst="2002:c633:6407::1") / Raw(b"r"),
     "ok", "received-relay", bytes(IPv6(src="2001:db8::1", dst="2002:c633:6407::1") / Raw(b"r")).hex())

# Encapsulation: scapy builds the outer header our encapsulator must write
# (RFC 6040 normal mode: the outer ECN is the inner one).
for i, (ttl, dscp, tc, hlim, df) in enumerate([(64, 0, 0, 64, True), (0, 0, 0x03, 17, True), (255, 0x2e, 0xb9, 1, False),
                                               (0, 0x0a, 0x02, 255, False), (40, 0x3f, 0xff, 9, True)]):
    inner = IPv6(src="2002:c000:204::1", dst="2002:c633:6407::1", tc=tc, hlim=hlim) / UDP(sport=i, dport=9) / Raw(b"e" * (i * 100))
    outer = IP(src=A, dst=B, ttl=ttl or hlim, tos=(dscp << 2) | (tc & 3), id=1000 + i, flags="DF" if df else 0, proto=41) / inner
    out(kind="encap", name=f"encap {i}", inner=bytes(inner).hex(), ttl=ttl, dscp=dscp, id=1000 + i, df=df, want=bytes(outer).hex())

# ICMPv4 errors about a packet router A (192.0.2.4) sent, and the ICMPv6
# errors they must become (RFC 4213 §3.4, Linux ipip6_err).
sent = bytes(IP(src=A, dst=B, flags="DF") / IPv6(src="2002:c000:204::1", dst="2002:c633:6407::1") / UDP(sport=7, dport=7) / Raw(b"u" * 200))
def icmp(name, typ, code, quote, want6, reason, mtu=0):
    e = IP(src=RTR, dst=A) / ICMP(type=typ, code=code, nexthopmtu=mtu) / Raw(quote)
    out(kind="icmp", name=name, pkt=bytes(e).hex(), want=want6.hex() if want6 else "", router=reason)
def v6err(layer, quote):
    return bytes(IPv6(src="::ffff:" + RTR, dst="2002:c000:204::1", hlim=64) / layer / Raw(quote[20:]))
icmp("host unreachable, quote 40+8", 3, 1, sent[:68], v6err(ICMPv6DestUnreach(code=3), sent[:68]), "icmpv4-translated")
icmp("admin prohibited, whole packet", 3, 13, sent, v6err(ICMPv6DestUnreach(code=3), sent), "icmpv4-translated")
icmp("time exceeded in transit", 11, 0, sent[:100], v6err(ICMPv6TimeExceeded(code=0), sent[:100]), "icmpv4-translated")
icmp("RFC 792 minimum quote", 3, 1, sent[:28], None, "quote-truncated")
icmp("source route failed", 3, 5, sent[:68], None, "icmpv4-ignored")
icmp("reassembly time exceeded", 11, 1, sent[:68], None, "icmpv4-ignored")
bigsent = bytes(IP(src=A, dst=B, flags="DF") / IPv6(src="2002:c000:204::1", dst="2002:c633:6407::1") / UDP(sport=7, dport=7) / Raw(b"u" * 1432))
icmp("fragmentation needed", 3, 4, bigsent[:28], None, "pmtu-updated", mtu=1400)

# Packet Too Big for a 1500-byte packet on a 1480 tunnel.
big = bytes(IPv6(src="2002:c000:204::1", dst="2002:c633:6407::1") / UDP(sport=1, dport=2) / Raw(b"p" * 1452))
ptb = IPv6(src="2002:c000:204::1", dst="2002:c000:204::1", hlim=64) / ICMPv6PacketTooBig(mtu=1480) / Raw(big[:1232])
out(kind="ptb", name="packet too big", inner=big.hex(), want=bytes(ptb).hex())
`

// scapyCase is one line of scapyCases' output.
type scapyCase struct {
	Kind, Name, Mech, Pkt, Inner, Decap, Router, Want string
	TTL, DSCP, ID                                     int
	DF                                                bool
}

// scapyRouters are the receivers of the decapsulation cases, one per
// mechanism, at 198.51.100.7.
func scapyRouters(t *testing.T) map[string]*Router {
	t.Helper()
	local := v4B
	return map[string]*Router{
		"6to4": router(t, Config{Mechanism: SixToFour, Local: local, TreatAsGlobal: labGlobal, SixToFourRelay: v4Relay}),
		"6rd": router(t, Config{Mechanism: SixRD, Local: local, SixRD: addr.SixRD{
			Prefix: netip.MustParsePrefix("2001:db8::/32"), BorderRelays: []netip.Addr{v4Relay}}}),
		"isatap": router(t, Config{Mechanism: ISATAP, Local: local, PRL: []netip.Addr{v4Relay},
			OnLink: []netip.Prefix{netip.MustParsePrefix("2001:db8:1:2::/64")}}),
		"6in4": router(t, Config{Mechanism: SixInFour, Local: local, Remote: v4A}),
	}
}

func TestScapyInterop(t *testing.T) {
	py := scapyPython(t)
	cmd := exec.Command(py, "-c", scapyCases)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outp, err := cmd.Output()
	require.NoError(t, err, stderr.String())

	recv := scapyRouters(t)
	sender := sixToFour(v4A)
	sender.ICMPRate = -1
	a := router(t, sender)
	var n int
	for _, line := range strings.Split(strings.TrimSpace(string(outp)), "\n") {
		var c scapyCase
		require.NoError(t, json.Unmarshal([]byte(line), &c), line)
		n++
		pkt, err := hex.DecodeString(c.Pkt)
		require.NoError(t, err)
		switch c.Kind {
		case "decap":
			inner, _, err := Decapsulate(append([]byte(nil), pkt...), DecapRFC6040)
			if c.Decap == "ok" {
				require.NoError(t, err, c.Name)
				assert.Equal(t, c.Inner, hex.EncodeToString(inner), c.Name)
			} else {
				assert.Equal(t, c.Decap, reasonOf(err).String(), c.Name)
			}
			res := recv[c.Mech].Inbound(t0, append([]byte(nil), pkt...))
			assert.Equal(t, c.Router, res.Reason().String(), c.Name)
			if res.Action() == ActionToHost {
				assert.Equal(t, c.Inner, hex.EncodeToString(res.Packet), c.Name)
			}
		case "encap":
			inner, _ := hex.DecodeString(c.Inner)
			p := Params{OuterPolicy: OuterPolicy{TTL: uint8(c.TTL), TOS: uint8(c.DSCP << 2)}, Src: v4A, Dst: v4B,
				ID: uint16(c.ID), DF: c.DF}
			got, err := AppendEncapsulate(nil, inner, &p)
			require.NoError(t, err, c.Name)
			assert.Equal(t, c.Want, hex.EncodeToString(got), c.Name)
			buf, off := withHeadroom(inner)
			got, err = Encapsulate(buf, off, &p)
			require.NoError(t, err, c.Name)
			assert.Equal(t, c.Want, hex.EncodeToString(got), c.Name)
		case "icmp":
			res := a.Inbound(t0, pkt)
			assert.Equal(t, c.Router, res.Reason().String(), c.Name)
			if res.Reason() == ReasonPMTUUpdated {
				assert.Equal(t, 1400, res.MTU(), "%s: scapy's nexthopmtu", c.Name)
			}
			if c.Want != "" {
				assert.Equal(t, c.Want, hex.EncodeToString(res.Packet), c.Name)
				got, err := TranslateICMPv4(nil, pkt)
				require.NoError(t, err)
				assert.Equal(t, c.Want, hex.EncodeToString(got), c.Name)
			}
		case "ptb":
			inner, _ := hex.DecodeString(c.Inner)
			res := out(router(t, sender), inner)
			require.Equal(t, ActionToHost, res.Action(), c.Name)
			assert.Equal(t, c.Want, hex.EncodeToString(res.Packet), c.Name)
		default:
			t.Fatalf("kind %q", c.Kind)
		}
	}
	assert.Greater(t, n, 150, "cases run")
}

// pcapRaw returns a pcap file (LINKTYPE_RAW: each record an IPv4 or IPv6
// packet) holding pkts.
func pcapRaw(pkts [][]byte) []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, 0xa1b2c3d4)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = binary.LittleEndian.AppendUint64(b, 0)      // thiszone, sigfigs
	b = binary.LittleEndian.AppendUint32(b, 262144) // snaplen
	b = binary.LittleEndian.AppendUint32(b, 101)    // LINKTYPE_RAW
	for i, p := range pkts {
		b = binary.LittleEndian.AppendUint32(b, uint32(i+1)) // seconds
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

// TestTsharkDissects writes every kind of packet this package builds to a
// pcap and has tshark dissect it with checksum validation on: no malformed
// or expert reports, every checksum good, and the fields as intended.
func TestTsharkDissects(t *testing.T) {
	tshark := interop.LookPath(t, "tshark")
	type tcase struct {
		name string
		pkt  []byte
		want string // the fields below, '|'-separated
	}
	var cases []tcase
	add := func(name string, res Result, want string) {
		t.Helper()
		require.NotNil(t, res.Packet, "%s: %v", name, res)
		cases = append(cases, tcase{name, append([]byte(nil), res.Packet...), want})
	}
	udp := func(src, dst netip.Addr, n int) []byte {
		b, err := packet.AppendUDP6(nil, packet.UDPHeader{SrcPort: 40000, DstPort: 40001}, src, dst, make([]byte, n))
		require.NoError(t, err)
		return ip6{src: src, dst: dst, nh: packet.ProtoUDP, payload: b}.bytes(t)
	}

	// Fields: ip.checksum.status|ip.proto|ip.ttl|ip.flags.df|ipv6.src|ipv6.dst|
	// 6to4 gateway (src,dst)|ISATAP IPv4 (src,dst)|udp.checksum.status|
	// icmpv6 type|code|checksum status|mtu|icmp type|code|checksum status
	cfg := sixToFour(v4A)
	cfg.ICMPRate = -1
	cfg.Outer = OuterPolicy{TTL: 255, InheritTOS: true}
	a := router(t, cfg)
	add("6to4 direct", out(a, udp(site6A, site6B, 100)),
		"1|41|255|1|2002:c000:204::1|2002:c633:6407::1|192.0.2.4,198.51.100.7||1|||||||")
	add("6to4 to the relay", out(a, udp(site6A, native, 1000)),
		"1|41|255|1|2002:c000:204::1|2001:db8::1|192.0.2.4||1|||||||")

	rd := router(t, Config{Mechanism: SixRD, Local: v4A, SixRD: addr.SixRD{Prefix: netip.MustParsePrefix("2001:db8::/32"),
		IPv4MaskLen: 8, BorderRelays: []netip.Addr{v4Relay}}})
	add("6rd CE to CE", out(rd, udp(rd.Policy().Addr(), netip.MustParseAddr("2001:db8:33:6407::1"), 10)),
		"1|41|64|1|2001:db8:2:400::1|2001:db8:33:6407::1|||1|||||||")

	is := router(t, Config{Mechanism: ISATAP, Local: netip.MustParseAddr("10.0.0.9"), PRL: []netip.Addr{netip.MustParseAddr("10.0.0.1")},
		OnLink: []netip.Prefix{netip.MustParsePrefix("2001:db8:1:2::/64")}})
	add("ISATAP to an on-link neighbour", out(is, udp(is.Policy().Addr(), netip.MustParseAddr("2001:db8:1:2:0:5efe:a00:5"), 10)),
		"1|41|64|1|2001:db8:1:2:0:5efe:a00:9|2001:db8:1:2:0:5efe:a00:5||10.0.0.9,10.0.0.5|1|||||||")

	p2p := router(t, Config{Mechanism: SixInFour, Local: v4A, Remote: v4B, Outer: OuterPolicy{TTL: 255}, PathMTU: 576})
	add("6in4, DF clear on a 576 path", out(p2p, udp(native, netip.MustParseAddr("2001:db8:99::1"), 1000)),
		"1|41|255|0|2001:db8::1|2001:db8:99::1|||1|||||||")

	add("Packet Too Big", out(a, udp(site6A, site6B, 1500)),
		// tshark dissects the quoted packet too: its IPv6 addresses follow the
		// error's, and its UDP checksum cannot be verified (status 2) when
		// the quote is partial.
		"||||2002:c000:204::1,2002:c000:204::1|2002:c000:204::1,2002:c633:6407::1|192.0.2.4,192.0.2.4,192.0.2.4,198.51.100.7||2|2|0|1|1480|||")
	sent := append([]byte(nil), out(a, udp(site6A, site6B, 200)).Packet...)
	add("Destination Unreachable from ICMPv4", in(a, icmpv4(t, rtr4, v4A, 3, 1, [4]byte{}, sent[:68])),
		"||||::ffff:198.51.100.254,2002:c000:204::1|2002:c000:204::1,2002:c633:6407::1|192.0.2.4,192.0.2.4,198.51.100.7||2|1|3|1||||")
	add("Time Exceeded from ICMPv4", in(a, icmpv4(t, rtr4, v4A, 11, 0, [4]byte{}, sent)),
		"||||::ffff:198.51.100.254,2002:c000:204::1|2002:c000:204::1,2002:c633:6407::1|192.0.2.4,192.0.2.4,198.51.100.7||1|3|0|1||||")
	add("no route", out(router(t, Config{Mechanism: SixToFour, Local: v4A, TreatAsGlobal: labGlobal}), udp(site6A, native, 10)),
		"||||2002:c000:204::1,2002:c000:204::1|2002:c000:204::1,2001:db8::1|192.0.2.4,192.0.2.4,192.0.2.4||1|1|0|1||||")

	un := sixToFour(v4A)
	un.ICMPv4Unreachable = true
	add("ICMPv4 port unreachable", in(router(t, un), tunnelled(t, v4Other, netip.MustParseAddr("192.0.2.99"), native, site6A)),
		"1,1|1,41|64,64|0,0|2001:db8::1|2002:c000:204::1|192.0.2.4|||||||3|3|1")

	// A reassembled datagram is built here too.
	frags := fragmentIPv4(t, out(p2p, udp(native, netip.MustParseAddr("2001:db8:99::1"), 1200)).Packet, 576)
	rx := router(t, Config{Mechanism: SixInFour, Local: v4B, Remote: v4A})
	for _, f := range frags[:len(frags)-1] {
		rx.Inbound(t0, f)
	}
	last := rx.Inbound(t0, frags[len(frags)-1])
	require.Equal(t, ActionToHost, last.Action())
	dg := rx.in.reasm.slots[0].buf // the datagram around the delivered packet
	for i := range rx.in.reasm.slots {
		if b := rx.in.reasm.slots[i].buf; b != nil && within(b, last.Packet) {
			dg = b
		}
	}
	start := hdrRoom - 20
	cases = append(cases, tcase{"reassembled datagram", append([]byte(nil), dg[start:start+20+len(last.Packet)]...),
		"1|41|255|0|2001:db8::1|2001:db8:99::1|||1|||||||"})

	var pkts [][]byte
	for _, c := range cases {
		pkts = append(pkts, c.pkt)
	}
	file := filepath.Join(t.TempDir(), "sixtofour.pcap")
	require.NoError(t, os.WriteFile(file, pcapRaw(pkts), 0o600))
	args := []string{"-r", file, "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
		"-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,"}
	fields := []string{"ip.checksum.status", "ip.proto", "ip.ttl", "ip.flags.df", "ipv6.src", "ipv6.dst",
		"ipv6.6to4_gw_ipv4", "ipv6.isatap_ipv4", "udp.checksum.status",
		"icmpv6.type", "icmpv6.code", "icmpv6.checksum.status", "icmpv6.mtu",
		"icmp.type", "icmp.code", "icmp.checksum.status", "_ws.malformed", "_ws.expert.message"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	cmd := exec.Command(tshark, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outp, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	lines := strings.Split(strings.TrimRight(string(outp), "\n"), "\n")
	require.Len(t, lines, len(cases))
	for i, c := range cases {
		got := strings.Split(lines[i], "|")
		require.Len(t, got, len(fields), c.name)
		assert.Equal(t, "", got[len(fields)-2], "%s: malformed", c.name)
		assert.Equal(t, "", got[len(fields)-1], "%s: expert", c.name)
		assert.Equal(t, c.want, strings.Join(got[:len(fields)-2], "|"), c.name)
	}
}
