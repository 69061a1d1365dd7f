package main

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/transit6/transit6/iphttps"
)

func TestIPHTTPSUsage(t *testing.T) {
	var out, errb bytes.Buffer
	assert.Equal(t, 2, run([]string{"iphttps"}, nil, &out, &errb))
	assert.Contains(t, errb.String(), "transit6 iphttps server")
	assert.Equal(t, 2, run([]string{"iphttps", "nope"}, nil, &out, &errb))
	out.Reset()
	assert.Equal(t, 0, run([]string{"iphttps", "help"}, nil, &out, &errb))
	assert.Contains(t, out.String(), "transit6 iphttps client --url")
}

func TestIPHTTPSServerFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"--prefix", "2001:db8::/64", "--cert", "c", "--key", "k"}, true},
		{[]string{"--prefix", "2001:db8::/64", "--plain-http"}, true},
		{[]string{"--cert", "c", "--key", "k"}, false},                // no prefix
		{[]string{"--prefix", "2001:db8::/64"}, false},                // no certificate
		{[]string{"--prefix", "2001:db8::/64", "--cert", "c"}, false}, // no key
	} {
		var errb bytes.Buffer
		f, err := parseIPHTTPSServerFlags(tc.args, &errb)
		if !tc.ok {
			assert.Error(t, err, tc.args)
			continue
		}
		require.NoError(t, err, tc.args)
		if f.plainHTTP {
			assert.Equal(t, ":80", f.listen)
		} else {
			assert.Equal(t, ":443", f.listen)
		}
	}
	for in, want := range map[string]string{
		"2001:db8:1:1000::/64": "2001:db8:1:1000::/64",
		"2001:db8:1:1000::":    "2001:db8:1:1000::/64",
		"2001:db8:1:1000::5":   "2001:db8:1:1000::/64",
		"2001:db8:1::/48":      "2001:db8:1::/48",
	} {
		p, err := parseIPHTTPSPrefix(in)
		require.NoError(t, err)
		assert.Equal(t, want, p.String())
	}
	_, err := parseIPHTTPSPrefix("nope")
	assert.Error(t, err)

	// Plain HTTP with a client CA file is mode Certificates (the terminator
	// checks the certificates).
	f, err := parseIPHTTPSServerFlags([]string{"--prefix", "2001:db8::/64", "--plain-http", "--client-ca", "/nonexistent"}, &bytes.Buffer{})
	require.NoError(t, err)
	srv, err := iphttpsServer(f)
	require.NoError(t, err)
	assert.Equal(t, iphttps.AuthCertificates, srv.Router.Mode())
	assert.Nil(t, srv.TLSConfig)
	assert.Equal(t, iphttps.DefaultQueueBytes, f.queueBytes, "default send queue")

	// --queue-bytes reaches the router, which refuses a queue under
	// MinQueueBytes.
	f, err = parseIPHTTPSServerFlags([]string{"--prefix", "2001:db8::/64", "--plain-http", "--queue-bytes", "4194304"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, 4<<20, f.queueBytes)
	_, err = iphttpsServer(f)
	require.NoError(t, err)
	f.queueBytes = iphttps.MinQueueBytes - 1
	_, err = iphttpsServer(f)
	assert.Error(t, err, "a queue under MinQueueBytes")
}

func TestIPHTTPSClientFlags(t *testing.T) {
	f, err := parseIPHTTPSClientFlags([]string{"--url", "https://da.example.com/IPHTTPS", "--iid", "0000:0000:0000:1234",
		"--proxy", "http://u:p@proxy:3128", "--insecure"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, prefixList{netip.MustParsePrefix("::/0")}, f.routes)
	cfg, err := iphttpsClientConfig(f)
	require.NoError(t, err)
	assert.Equal(t, [8]byte{6: 0x12, 7: 0x34}, cfg.InterfaceID)
	assert.Equal(t, "proxy:3128", cfg.Proxy.Host)
	assert.True(t, cfg.TLSConfig.InsecureSkipVerify)

	for _, args := range [][]string{
		{},
		{"--url", "https://h/", "--client-cert", "c"},
		{"--url", "https://h/", "--route", "192.0.2.0/24"},
	} {
		_, err := parseIPHTTPSClientFlags(args, &bytes.Buffer{})
		assert.Error(t, err, args)
	}
	f, err = parseIPHTTPSClientFlags([]string{"--url", "https://h/", "--iid", "12"}, &bytes.Buffer{})
	require.NoError(t, err)
	_, err = iphttpsClientConfig(f)
	assert.Error(t, err)
}

// The status socket serves JSON, which "transit6 iphttps status" prints as
// is or as text.
func TestIPHTTPSStatus(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s.sock")
	ln, err := listenStatus(sock)
	require.NoError(t, err)
	defer ln.Close()
	st := iphttpsClientStatus{Role: "client", URL: "https://da.example.com/IPHTTPS", Interface: "iphttps0", TUNReads: "io_uring", State: "link-up",
		Addr: netip.MustParseAddr("2001:db8:1:1000::1234"), Prefix: netip.MustParsePrefix("2001:db8:1:1000::/64"),
		Router: netip.MustParseAddr("fe80::1"), MTU: 1280, Server: "Microsoft-HTTPAPI/2.0", Since: time.Unix(0, 0).UTC()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b, _ := json.Marshal(st)
			c.Write(b)
			c.Close()
		}
	}()
	var out, errb bytes.Buffer
	require.Equal(t, 0, run([]string{"iphttps", "status", "--socket", sock}, nil, &out, &errb), errb.String())
	assert.Contains(t, out.String(), "Interface Status : IPHTTPS interface active")
	assert.Contains(t, out.String(), "Interface Reads  : io_uring")
	assert.Contains(t, out.String(), "Address          : 2001:db8:1:1000::1234")
	out.Reset()
	require.Equal(t, 0, run([]string{"iphttps", "status", "--socket", sock, "--json"}, nil, &out, &errb))
	var back iphttpsClientStatus
	require.NoError(t, json.Unmarshal(out.Bytes(), &back))
	assert.Equal(t, st, back)

	_, err = listenStatus(sock)
	assert.Error(t, err, "in use")
	assert.Equal(t, 1, run([]string{"iphttps", "status", "--socket", filepath.Join(t.TempDir(), "none.sock")}, nil, &out, &errb))

	// A server's status as text.
	var b bytes.Buffer
	srvJSON := `{"role":"server","listen":"[::]:443","tun_reads":"read(2)","mode":"none","prefix":"2001:db8:1:1000::/64",
		"clients":[{"id":1,"remote":"192.0.2.2:5555","since":"2026-01-01T00:00:00Z","addrs":["fe80::1234","2001:db8:1:1000::1234"],
		"rx_packets":3,"tx_packets":4,"queue_drops":0}],"server":{"sessions":1},"drops":{"queue-full":0,"no-route":2}}`
	require.NoError(t, writeIPHTTPSStatus(&b, []byte(strings.ReplaceAll(srvJSON, "\n", ""))))
	assert.Contains(t, b.String(), "Clients          : 1")
	assert.Contains(t, b.String(), "Interface Reads  : read(2)")
	assert.Contains(t, b.String(), "#1 192.0.2.2:5555 since 2026-01-01T00:00:00Z: fe80::1234 2001:db8:1:1000::1234; rx 3 pkts, tx 4 pkts, 0 dropped")
	assert.Contains(t, b.String(), "Dropped          : no-route 2")
}
