package teredo_test

// tshark as an independent validator (issue 4, interop item 4; teredo.md
// §4): every message the builders make is written as a whole IPv4+UDP
// datagram into a pcap and dissected, once with port 3544 on one side (the
// registered Teredo port) and once between two other ports with the
// heuristic dissector enabled. No packet may be malformed or carry an
// expert error, every checksum (IPv4, UDP, ICMPv6) must be good, and the
// fields tshark decodes must be the ones we put in.

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/internal/interop"
	"github.com/transit6/transit6/packet"
	"github.com/transit6/transit6/teredo"
)

// writePcap writes datagrams (IPv4 packets) to a classic pcap file with
// link type LINKTYPE_RAW (101): the record data starts with the IP header.
func writePcap(t *testing.T, path string, datagrams [][]byte) {
	t.Helper()
	var b bytes.Buffer
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4) // magic, microsecond timestamps
	binary.LittleEndian.PutUint16(hdr[4:], 2)          // version 2.4
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535) // snaplen
	binary.LittleEndian.PutUint32(hdr[20:], 101)   // LINKTYPE_RAW
	b.Write(hdr)
	for i, d := range datagrams {
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec[0:], uint32(1700000000+i))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(d)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(d)))
		b.Write(rec)
		b.Write(d)
	}
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
}

// tsharkMsg is one message to dissect and what tshark must find in it.
type tsharkMsg struct {
	name    string
	payload []byte
	// toServer says whether the datagram goes to a server's port 3544 (else
	// it comes from it).
	toServer bool
	// trailer marks payloads with RFC 6081 trailers, which the heuristic
	// dissector does not take (it wants an exact length).
	trailer bool
}

// tsharkFields are the fields extracted, in order.
var tsharkFields = []string{
	"frame.number", "_ws.malformed", "_ws.expert.severity",
	"ip.checksum.status", "udp.checksum.status", "icmpv6.checksum.status",
	"teredo.auth.idlen", "teredo.auth.aulen", "teredo.auth.id", "teredo.auth.value", "teredo.auth.nonce", "teredo.auth.conf",
	"teredo.orig.port", "teredo.orig.addr",
	"ipv6.src", "ipv6.dst", "ipv6.plen", "ipv6.nxt", "ipv6.hlim", "icmpv6.type",
	"ipv6.src_ts_ipv4", "ipv6.src_tc_port", "ipv6.src_tc_ipv4",
}

func TestTshark(t *testing.T) {
	tshark := interop.LookPath(t, "tshark")

	full := &teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: nonce}, Origin: mapped}
	authOnly := &teredo.Header{HasAuth: true, Auth: teredo.Auth{Nonce: nonce}}
	originOnly := &teredo.Header{Origin: mapped}
	must := func(b []byte, err error) []byte {
		t.Helper()
		require.NoError(t, err)
		return b
	}
	echo := must(packet.AppendEchoRequest(nil, teredoA, netip.MustParseAddr("2001:db8::1"), 64, 0x1234, 1, []byte("transit6")))
	hmacAuth, err := teredo.NewAuthenticator([]byte("client-7"), []byte("transit6 test key"))
	require.NoError(t, err)
	signedRS := must(teredo.AppendRouterSolicitation(nil, &teredo.Header{HasAuth: true, Auth: hmacAuth.Auth(nonce, 0)}, llClient))
	require.NoError(t, hmacAuth.Sign(signedRS))
	bubble := must(teredo.AppendBubble(nil, nil, teredoA, teredoB, 0))
	alts := []netip.AddrPort{netip.MustParseAddrPort("192.168.1.2:3478"), netip.MustParseAddrPort("10.0.0.1:1")}

	msgs := []tsharkMsg{
		{name: "RS Miredo", payload: must(teredo.AppendRouterSolicitation(nil, authOnly, llClient)), toServer: true},
		{name: "RS cone no auth", payload: must(teredo.AppendRouterSolicitation(nil, nil, teredo.ClientLinkLocal(true))), toServer: true},
		{name: "RS secure", payload: signedRS, toServer: true},
		{name: "RA with MTU", payload: must(teredo.AppendRouterAdvertisement(nil, full, &teredo.RAFields{Server: srvPrimary, Dst: llClient, MTU: 1280}))},
		{name: "RA without MTU", payload: must(teredo.AppendRouterAdvertisement(nil, full, &teredo.RAFields{Server: srvPrimary, Dst: llClient}))},
		{name: "direct bubble", payload: bubble},
		{name: "indirect bubble", payload: bubble, toServer: true},
		{name: "relayed bubble", payload: must(teredo.AppendBubble(nil, originOnly, teredoA, teredoB, 0))},
		{name: "echo simple", payload: must(teredo.AppendEncapsulate(nil, echo, nil)), toServer: true},
		{name: "echo auth", payload: must(teredo.AppendEncapsulate(nil, echo, authOnly)), toServer: true},
		{name: "echo origin", payload: must(teredo.AppendEncapsulate(nil, echo, originOnly))},
		{name: "echo auth+origin", payload: must(teredo.AppendEncapsulate(nil, echo, full))},
		{name: "bubble with trailer", payload: must(teredo.AppendAltAddrTrailer(bytes.Clone(bubble), alts)), trailer: true},
	}

	client := netip.MustParseAddrPort("203.0.113.5:51000")
	server := netip.AddrPortFrom(srvPrimary, teredo.ServerPort)
	peerA := netip.MustParseAddrPort("203.0.113.5:40000")
	peerB := netip.MustParseAddrPort("198.51.100.9:50000")
	dir := t.TempDir()

	for _, heuristic := range []bool{false, true} {
		name := "port3544"
		if heuristic {
			name = "heuristic"
		}
		t.Run(name, func(t *testing.T) {
			var datagrams [][]byte
			var sent []tsharkMsg
			for i, m := range msgs {
				o := &teredo.Outer{Src: server, Dst: client, ID: uint16(i)}
				if m.toServer {
					o.Src, o.Dst = client, server
				}
				if heuristic {
					if m.trailer {
						continue
					}
					o.Src, o.Dst = peerA, peerB
				}
				// Half of them built in place, half appended.
				var d []byte
				if i%2 == 0 {
					d = must(teredo.AppendDatagram(nil, o, m.payload))
				} else {
					buf := append(make([]byte, teredo.DatagramHeaderLen), m.payload...)
					d = must(teredo.EncapsulateDatagram(buf, teredo.DatagramHeaderLen, nil, o))
				}
				datagrams = append(datagrams, d)
				sent = append(sent, m)
			}
			// A control: the first datagram with a corrupted UDP checksum,
			// which tshark must flag, so that a silent tshark cannot pass.
			bad := bytes.Clone(datagrams[0])
			bad[packet.IPv4HeaderLen+7] ^= 0x55
			datagrams = append(datagrams, bad)
			// A second control: an authentication indicator announcing
			// more bytes than the datagram holds, which tshark reports
			// as malformed (teredo.md §4).
			trunc := must(teredo.AppendDatagram(nil, &teredo.Outer{Src: client, Dst: server},
				hx(t, "0001 ff ff 0102030405060708 00"+hBubble)))
			datagrams = append(datagrams, trunc)
			pcap := filepath.Join(dir, name+".pcap")
			writePcap(t, pcap, datagrams)

			args := []string{"-r", pcap, "-n",
				"-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
				"-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,"}
			if heuristic {
				args = append(args, "--enable-heuristic", "teredo_udp")
			}
			for _, f := range tsharkFields {
				args = append(args, "-e", f)
			}
			out, err := exec.Command(tshark, args...).Output()
			if os.Getenv("TSHARK_DUMP") != "" {
				t.Logf("%s", out)
			}
			require.NoError(t, err, "tshark %s", strings.Join(args, " "))
			lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
			require.Len(t, lines, len(sent)+2, "tshark output:\n%s", out)
			control := strings.Split(lines[len(sent)], "|")
			require.Len(t, control, len(tsharkFields))
			assert.Equal(t, "0", control[4], "control: udp.checksum.status of a corrupted checksum (0 = bad)")
			assert.Contains(t, control[2], "8388608", "control: expert error for the bad checksum")
			control = strings.Split(lines[len(sent)+1], "|")
			require.Len(t, control, len(tsharkFields))
			assert.NotEmpty(t, control[1], "control: _ws.malformed of a truncated authentication indicator")
			for i, line := range lines[:len(sent)] {
				v := strings.Split(line, "|")
				require.Len(t, v, len(tsharkFields), line)
				f := make(map[string]string, len(v))
				for j, name := range tsharkFields {
					f[name] = v[j]
				}
				checkTshark(t, sent[i], f)
			}
		})
	}
}

// checkTshark compares the fields tshark found in one message with what the
// message carries, decoded by our own decoder.
func checkTshark(t *testing.T, m tsharkMsg, f map[string]string) {
	t.Helper()
	var p teredo.Packet
	require.NoError(t, p.Decode(m.payload), m.name)
	ip := p.IPv6()
	assert.Empty(t, f["_ws.malformed"], "%s: malformed", m.name)
	for _, s := range strings.Split(f["_ws.expert.severity"], ",") {
		// Severities: 2097152 chat, 4194304 note, 6291456 warning,
		// 8388608 error. Warnings would flag a length inconsistency, so
		// only chat and note are allowed.
		if s != "" && s != "2097152" && s != "4194304" {
			t.Errorf("%s: expert severity %s", m.name, s)
		}
	}
	assert.Equal(t, "1", f["ip.checksum.status"], "%s: IPv4 checksum (1 = good)", m.name)
	assert.Equal(t, "1", f["udp.checksum.status"], "%s: UDP checksum (1 = good)", m.name)
	if ip.NextHeader() == packet.ProtoICMPv6 {
		assert.Equal(t, "1", f["icmpv6.checksum.status"], "%s: ICMPv6 checksum (1 = good)", m.name)
	}
	if a, ok := p.Auth(); ok {
		assert.Equal(t, fmt.Sprint(len(a.ClientID)), f["teredo.auth.idlen"], m.name)
		assert.Equal(t, fmt.Sprint(len(a.Value)), f["teredo.auth.aulen"], m.name)
		assert.Equal(t, hex.EncodeToString(a.Nonce[:]), strings.ReplaceAll(f["teredo.auth.nonce"], ":", ""), m.name)
		assert.Equal(t, hex.EncodeToString(a.ClientID), strings.ReplaceAll(f["teredo.auth.id"], ":", ""), m.name)
		assert.Equal(t, hex.EncodeToString(a.Value), strings.ReplaceAll(f["teredo.auth.value"], ":", ""), m.name)
		assert.Equal(t, fmt.Sprintf("%02x", a.Confirmation), strings.ReplaceAll(f["teredo.auth.conf"], ":", ""), m.name)
	} else {
		assert.Empty(t, f["teredo.auth.nonce"], m.name)
	}
	if o, ok := p.Origin(); ok {
		assert.Equal(t, fmt.Sprint(o.Port()), f["teredo.orig.port"], m.name)
		assert.Equal(t, o.Addr().String(), f["teredo.orig.addr"], m.name)
	} else {
		assert.Empty(t, f["teredo.orig.port"], m.name)
	}
	assert.Equal(t, ip.Src().String(), f["ipv6.src"], m.name)
	assert.Equal(t, ip.Dst().String(), f["ipv6.dst"], m.name)
	assert.Equal(t, fmt.Sprint(ip.PayloadLen()), f["ipv6.plen"], m.name)
	assert.Equal(t, fmt.Sprint(ip.NextHeader()), f["ipv6.nxt"], m.name)
	assert.Equal(t, fmt.Sprint(ip.HopLimit()), f["ipv6.hlim"], m.name)
	if ip.NextHeader() == packet.ProtoICMPv6 {
		assert.Equal(t, fmt.Sprint(ip.Payload()[0]), f["icmpv6.type"], m.name)
	}
	if src := ip.Src(); src.As16()[0] == 0x20 && src.As16()[1] == 0x01 && src.As16()[2] == 0 && src.As16()[3] == 0 {
		// tshark's own Teredo address decoding agrees with the address.
		s := src.As16()
		assert.Equal(t, netip.AddrFrom4([4]byte(s[4:8])).String(), f["ipv6.src_ts_ipv4"], m.name)
		assert.Equal(t, fmt.Sprint(^binary.BigEndian.Uint16(s[10:12])), f["ipv6.src_tc_port"], m.name)
	}
}
