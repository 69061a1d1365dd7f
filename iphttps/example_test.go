package iphttps_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"time"

	"github.com/transit6/transit6/iphttps"
	"github.com/transit6/transit6/packet"
)

// A whole exchange, in memory: the client's head and its first Router
// Solicitation arrive together; the server reads the head into its buffer,
// answers, and reads packets from the same buffer.
func Example() {
	// Client: the head, then an RS, written in one go.
	var client bytes.Buffer
	head, _ := iphttps.AppendRequestHead(nil, &iphttps.RequestFields{Host: "da.example.com"})
	rs, _ := packet.AppendRouterSolicitation(nil, netip.MustParseAddr("fe80::1234"), netip.MustParseAddr("ff02::2"), nil)
	w := iphttps.NewWriter(&client, nil)
	client.Write(head)
	w.WritePacket(rs)

	// Server: one buffer for the head and then the packets.
	buf := make([]byte, iphttps.DefaultReadBufferSize)
	h, rest, err := iphttps.ReadRequestHead(&client, buf, &iphttps.RequestOptions{Path: iphttps.DefaultPath})
	if err != nil {
		fmt.Println(err)
		return
	}
	host, _ := h.Host()
	length, _ := h.ContentLength()
	fmt.Printf("%s %s host=%s length=%d, %d bytes of stream already read\n", h.Method(), h.Path(), host, length, len(rest))

	resp, _ := iphttps.AppendResponseHead(nil, "", time.Date(2008, 8, 10, 3, 51, 52, 0, time.UTC))
	fmt.Printf("%q\n", resp)

	r, _ := iphttps.NewReader(&client, buf, rest)
	for {
		p, err := r.Next()
		if err != nil {
			fmt.Println(err)
			break
		}
		ip, _ := packet.ParseIPv6(p)
		fmt.Printf("%d-byte packet %v → %v\n", len(p), ip.Src(), ip.Dst())
	}
	// Output:
	// POST /IPHTTPS host=da.example.com length=18446744073709551615, 48 bytes of stream already read
	// "HTTP/1.1 200 OK\r\nServer: Microsoft-HTTPAPI/2.0\r\nDate: Sun, 10 Aug 2008 03:51:52 GMT\r\n\r\n"
	// 48-byte packet fe80::1234 → ff02::2
	// EOF
}

// A response that went through HAProxy in HTTP mode, which lowercases
// header names and adds Connection: close.
func ExampleParseResponseHead() {
	in := []byte("HTTP/1.1 200 OK\r\nserver: Microsoft-HTTPAPI/2.0\r\ndate: Sun, 10 Aug 2008 03:51:52 GMT\r\nconnection: close\r\n\r\n")
	h, n, err := iphttps.ParseResponseHead(in, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	server, _ := h.Server()
	fmt.Println(h.StatusCode(), string(server), n == len(in))

	_, _, err = iphttps.ParseResponseHead([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), nil)
	fmt.Println(err)
	// Output:
	// 200 Microsoft-HTTPAPI/2.0 true
	// iphttps: Transfer-Encoding not allowed
}

// Parsing a head as it arrives: ErrIncomplete asks for more bytes.
func ExampleParseRequestHead() {
	in := []byte("POST /IPTLS HTTP/1.1\r\nContent-Length: 18446744073709551615\r\nHost: 192.0.2.1\r\n\r\n")
	for _, k := range []int{30, len(in)} {
		h, n, err := iphttps.ParseRequestHead(in[:k], nil)
		if err != nil {
			fmt.Println(k, err)
			continue
		}
		host, _ := h.Host()
		fmt.Println(k, n, string(h.Target()), string(host))
	}
	// Output:
	// 30 iphttps: incomplete HTTP head
	// 79 79 /IPTLS 192.0.2.1
}

// Copying packets into TUN-sized buffers behind a headroom.
func ExampleReader_ReadBatch() {
	var stream []byte
	for i := range 3 {
		stream, _ = packet.AppendEchoRequest(stream, netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2"), 64, 1, uint16(i), make([]byte, 10*i))
	}
	r, _ := iphttps.NewReader(bytes.NewReader(stream), nil, nil)
	const headroom = 10 // a virtio-net header, say
	bufs := [][]byte{make([]byte, 1500), make([]byte, 1500), make([]byte, 1500), make([]byte, 1500)}
	sizes := make([]int, len(bufs))
	n, err := r.ReadBatch(bufs, sizes, headroom)
	fmt.Println(n, err, sizes[:n])
	// Output:
	// 3 <nil> [48 58 68]
}
