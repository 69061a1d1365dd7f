package udpio_test

import (
	"fmt"
	"log"
	"net/netip"

	"github.com/transit6/transit6/internal/udpio"
)

// Two sockets on loopback: one batch out of a, read back in b at an
// offset that leaves headroom in front of each payload.
func Example() {
	a, err := udpio.Listen(netip.MustParseAddrPort("127.0.0.1:0"))
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	b, err := udpio.Listen(netip.MustParseAddrPort("127.0.0.1:0"))
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	const headroom = 16
	out := [][]byte{
		append(make([]byte, headroom), "hello"...),
		append(make([]byte, headroom), "teredo"...),
	}
	to := []netip.AddrPort{b.LocalAddr(), b.LocalAddr()}
	if _, err := a.WriteBatch(out, to, headroom); err != nil {
		log.Fatal(err)
	}

	bufs := make([][]byte, udpio.IdealBatchSize)
	for i := range bufs {
		bufs[i] = make([]byte, headroom+1500)
	}
	sizes := make([]int, len(bufs))
	from := make([]netip.AddrPort, len(bufs))
	for got := 0; got < len(out); {
		n, err := b.ReadBatch(bufs, sizes, from, headroom)
		if err != nil {
			log.Fatal(err)
		}
		for i := range n {
			fmt.Printf("%q from a: %v\n", bufs[i][headroom:headroom+sizes[i]], from[i] == a.LocalAddr())
		}
		got += n
	}
	// Output:
	// "hello" from a: true
	// "teredo" from a: true
}
