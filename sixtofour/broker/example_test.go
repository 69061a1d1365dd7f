package broker_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"

	"github.com/transit6/transit6/sixtofour/broker"
)

func ExampleParseResponse() {
	for _, body := range []string{
		"good 203.0.113.5\n",
		"nochg 203.0.113.5\n",
		"+OK: Tunnel endpoint updated to: 203.0.113.5",
		"badauth\n",
		"-ERROR: Tunnel not found",
		"hello",
	} {
		res, err := broker.ParseResponse([]byte(body))
		if err != nil {
			fmt.Printf("%-46q error: %v\n", body, err)
			continue
		}
		fmt.Printf("%-46q %v\n", body, res)
	}
	// Output:
	// "good 203.0.113.5\n"                           good 203.0.113.5
	// "nochg 203.0.113.5\n"                          nochg 203.0.113.5
	// "+OK: Tunnel endpoint updated to: 203.0.113.5" good 203.0.113.5
	// "badauth\n"                                    error: broker: bad authentication
	// "-ERROR: Tunnel not found"                     error: broker: no such tunnel
	// "hello"                                        error: broker: unexpected response: "hello"
}

func ExampleClient_Update() {
	// A stand-in for ipv4.tunnelbroker.net on loopback.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, _, _ := r.BasicAuth()
		fmt.Println("broker got:", r.URL.Path+"?"+r.URL.RawQuery, "user", user)
		myip := r.URL.Query().Get("myip")
		if myip == "" {
			myip = "198.51.100.7" // the request's public source address behind the NAT
		}
		io.WriteString(w, "good "+myip+"\n")
	}))
	defer srv.Close()

	c := &broker.Client{
		URL:  srv.URL + "/nic/update",
		User: "alice",
		Key:  "0123456789abcdef",
		// The example's "Internet" is documentation space.
		TreatAsGlobal: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")},
	}
	for _, local := range []string{"203.0.113.5", "192.168.1.2"} {
		res, err := c.Update(context.Background(), "123456", netip.MustParseAddr(local))
		fmt.Println(res, err)
	}
	// Output:
	// broker got: /nic/update?hostname=123456&myip=203.0.113.5 user alice
	// good 203.0.113.5 <nil>
	// broker got: /nic/update?hostname=123456 user alice
	// good 198.51.100.7 <nil>
}
