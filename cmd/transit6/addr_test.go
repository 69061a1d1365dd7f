package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runCmd(t *testing.T, stdin string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errb bytes.Buffer
	status = run(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), status
}

// jsonLines decodes one JSON object per line.
func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), "line %q", line)
		objs = append(objs, m)
	}
	return objs
}

func TestAddrTeredoGolden(t *testing.T) {
	// Vector from RFC 4380 literature (teredo.md §1.2): server 65.54.227.120,
	// cone, client 192.0.2.45:40000.
	out, errOut, st := runCmd(t, "", "addr", "2001:0:4136:e378:8000:63bf:3fff:fdd2")
	require.Equal(t, 0, st, errOut)
	assert.Contains(t, out, "kind:          teredo")
	assert.Contains(t, out, "server 65.54.227.120, client 192.0.2.45, port 40000, flags 0x8000, cone true")
	assert.Contains(t, out, "embedded ipv4: teredo-server 65.54.227.120 (public)")
	assert.Contains(t, out, "embedded ipv4: teredo-client 192.0.2.45 (not public)")
	assert.Contains(t, out, "public:        false")
}

func TestAddrJSON(t *testing.T) {
	out, errOut, st := runCmd(t, "", "addr", "--json",
		"2001:0:4136:e378:8000:63bf:3fff:fdd2", "2002:c000:204:1::5", "fe80::200:5efe:c000:204",
		"64:ff9b::808:808", "::ffff:10.0.0.1", "2001:db8::1", "192.0.2.4")
	require.Equal(t, 0, st, errOut)
	objs := jsonLines(t, out)
	require.Len(t, objs, 7)

	te := objs[0]
	assert.Equal(t, "teredo", te["kind"])
	assert.Equal(t, "2001:0:4136:e378:8000:63bf:3fff:fdd2", te["input"])
	assert.Equal(t, false, te["public"])
	assert.Equal(t, map[string]any{"server": "65.54.227.120", "client": "192.0.2.45", "port": 40000.0,
		"flags": "0x8000", "cone": true, "rfc5991": true, "server_link_local": "fe80::8000:f227:bec9:1c87"}, te["teredo"])
	assert.ElementsMatch(t, []any{
		map[string]any{"role": "teredo-server", "ipv4": "65.54.227.120", "public": true},
		map[string]any{"role": "teredo-client", "ipv4": "192.0.2.45", "public": false},
	}, te["embedded_ipv4"])

	s := objs[1]
	assert.Equal(t, "6to4", s["kind"])
	assert.Equal(t, map[string]any{"ipv4": "192.0.2.4", "sla": 1.0, "prefix": "2002:c000:204::/48"}, s["sixtofour"])

	is := objs[2]
	assert.Equal(t, "isatap", is["kind"])
	assert.Equal(t, map[string]any{"ipv4": "192.0.2.4", "universal": true, "strict": true}, is["isatap"])

	n := objs[3]
	assert.Equal(t, "nat64", n["kind"])
	assert.Equal(t, true, n["public"])
	assert.Equal(t, map[string]any{"prefix": "64:ff9b::/96", "ipv4": "8.8.8.8"}, n["nat64"])

	assert.Equal(t, "ipv4-mapped", objs[4]["kind"])
	assert.Equal(t, false, objs[4]["public"])
	assert.Equal(t, "ipv6", objs[5]["kind"])
	assert.Equal(t, map[string]any{"prefix": "2001:db8::/32", "name": "Documentation", "rfc": "RFC 3849", "global": false}, objs[5]["special_range"])
	assert.Equal(t, []any{}, objs[5]["embedded_ipv4"])

	v4 := objs[6]
	assert.Equal(t, "ipv4", v4["kind"])
	assert.Equal(t, map[string]any{
		"sixtofour_prefix":     "2002:c000:204::/48",
		"isatap_interface_ids": []any{"0:5efe:c000:204", "200:5efe:c000:204"},
		"teredo_obfuscated":    "3fff:fdfb",
		"nat64_well_known":     "64:ff9b::c000:204",
		"ipv4_mapped":          "::ffff:192.0.2.4",
	}, v4["ipv4"])
}

func TestAddrTeredoLinkLocal(t *testing.T) {
	// teredo.md §1.6: the server link-local of 65.54.227.120:3544.
	out, errOut, st := runCmd(t, "", "addr", "--json", "fe80::8000:f227:bec9:1c87", "fe80::ffff:ffff:ffff", "fe80::1")
	require.Equal(t, 0, st, errOut)
	objs := jsonLines(t, out)
	require.Len(t, objs, 3)
	assert.Equal(t, map[string]any{"role": "server", "server": "65.54.227.120:3544"}, objs[0]["teredo_link_local"])
	assert.Equal(t, map[string]any{"role": "client"}, objs[1]["teredo_link_local"])
	assert.Nil(t, objs[2]["teredo_link_local"])
}

func TestAddrTreatAsGlobal(t *testing.T) {
	// 192.0.2.0/24 is documentation space: not public by default, public
	// when a lab says so, and so is the 6to4 address embedding it.
	out, _, st := runCmd(t, "", "addr", "--json", "2002:c000:204::1")
	require.Equal(t, 0, st)
	assert.Equal(t, false, jsonLines(t, out)[0]["public"])
	out, _, st = runCmd(t, "", "addr", "--json", "--treat-as-global", "192.0.2.0/24", "2002:c000:204::1")
	require.Equal(t, 0, st)
	assert.Equal(t, true, jsonLines(t, out)[0]["public"])
}

func TestAddrBadInputKeepsGoing(t *testing.T) {
	stdin := "2002:808:808::1\nnot-an-address\n\n# comment\n192.0.2.300\n8.8.8.8\n"
	out, errOut, st := runCmd(t, stdin, "addr", "--json", "-")
	assert.Equal(t, 2, st)
	assert.Contains(t, errOut, `"not-an-address"`)
	assert.Contains(t, errOut, `"192.0.2.300"`)
	objs := jsonLines(t, out)
	require.Len(t, objs, 4, "every input line gets one JSON object")
	assert.Equal(t, true, objs[0]["public"])
	assert.Equal(t, "not-an-address", objs[1]["input"])
	assert.NotEmpty(t, objs[1]["error"])
	assert.Equal(t, "192.0.2.300", objs[2]["input"])
	assert.Equal(t, "8.8.8.8", objs[3]["input"])
	assert.Equal(t, true, objs[3]["public"])

	// Text mode: the good address is still explained.
	out, errOut, st = runCmd(t, "", "addr", "bogus", "2002:a9fe:a9fe::")
	assert.Equal(t, 2, st)
	assert.Contains(t, errOut, `"bogus"`)
	assert.Contains(t, out, "6to4")
	assert.Contains(t, out, "169.254.169.254")
}

func TestAddrUsage(t *testing.T) {
	_, _, st := runCmd(t, "", "addr")
	assert.Equal(t, 2, st)
	_, _, st = runCmd(t, "", "frobnicate")
	assert.Equal(t, 2, st)
	_, _, st = runCmd(t, "", "addr", "-h")
	assert.Equal(t, 0, st)
	out, _, st := runCmd(t, "", "version")
	assert.Equal(t, 0, st)
	assert.Contains(t, out, "transit6")
}

func TestAddr6RD(t *testing.T) {
	// proto41.md §3.3 doc example.
	out, errOut, st := runCmd(t, "", "addr", "6rd", "--prefix", "2001:db8::/32", "--mask-len", "0", "192.0.2.4")
	require.Equal(t, 0, st, errOut)
	assert.Equal(t, "192.0.2.4 -> 2001:db8:c000:204::/64\n", out)

	// Elisa/DNA-style row, flags after the address.
	out, errOut, st = runCmd(t, "", "addr", "6rd", "84.240.100.100", "--prefix", "2001:2003:f400::/38", "--mask-len", "14")
	require.Equal(t, 0, st, errOut)
	assert.Equal(t, "84.240.100.100 -> 2001:2003:f464:6400::/56\n", out)

	// OPTION_6RD wire vector of proto41.md §3.2 (with the 16-octet prefix its
	// length byte 0x16 implies), with code and length.
	out, errOut, st = runCmd(t, "", "addr", "6rd", "--json", "--dhcp-option", "d4160e2620012003f4000000000000000000000054fbfffe", "84.240.100.100")
	require.Equal(t, 0, st, errOut)
	objs := jsonLines(t, out)
	require.Len(t, objs, 2)
	assert.Equal(t, "2001:2003:f400::/38", objs[0]["prefix"])
	assert.Equal(t, 14.0, objs[0]["ipv4_mask_len"])
	assert.Equal(t, []any{"84.251.255.254"}, objs[0]["border_relays"])
	assert.Equal(t, "2001:2003:f464:6400::/56", objs[1]["delegated_prefix"])

	// Malformed option: trailing bytes not a multiple of 4.
	_, errOut, st = runCmd(t, "", "addr", "6rd", "--dhcp-option", "0e2620012003f4000000000000000000000054fbfffe0102")
	assert.Equal(t, 2, st)
	assert.Contains(t, errOut, "dhcp-option")

	// Mask length out of range.
	_, _, st = runCmd(t, "", "addr", "6rd", "--prefix", "2001:db8::/32", "--mask-len", "33", "192.0.2.4")
	assert.Equal(t, 2, st)

	// Bad CE address: reported, others still printed.
	out, errOut, st = runCmd(t, "", "addr", "6rd", "--prefix", "2001:db8::/32", "--mask-len", "0", "nope", "192.0.2.4")
	assert.Equal(t, 2, st)
	assert.Contains(t, errOut, `"nope"`)
	assert.Equal(t, "192.0.2.4 -> 2001:db8:c000:204::/64\n", out)
}
