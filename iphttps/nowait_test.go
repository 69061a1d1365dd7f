//go:build unix

package iphttps

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// socketPair returns the two ends of a Unix stream socket pair as
// net.Conns. Unlike TCP over loopback, a write to one end has reached the
// other end's receive queue when it returns, which makes "what has arrived"
// deterministic.
func socketPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	var cs [2]net.Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := net.FileConn(f)
		f.Close()
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		cs[i] = c
	}
	return cs[0], cs[1]
}

func TestNoWaitConn(t *testing.T) {
	a, b := socketPair(t)
	nw := newNoWaitConn(b)
	require.NotNil(t, nw.rc, "a Unix socket has a descriptor")
	buf := make([]byte, 64)

	nw.setNoWait(true)
	n, err := nw.Read(buf)
	assert.Zero(t, n)
	require.ErrorIs(t, err, errWouldBlock, "nothing has arrived")
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	//lint:ignore SA1019 crypto/tls keeps a connection after an error whose deprecated Temporary is true: what this checks
	assert.True(t, ne.Timeout() && ne.Temporary(), "crypto/tls keeps the connection after it")

	_, err = a.Write([]byte("hello"))
	require.NoError(t, err)
	n, err = nw.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(buf[:n]), "what has arrived, at once")
	n, err = nw.Read(buf)
	assert.Zero(t, n)
	require.ErrorIs(t, err, errWouldBlock, "and no more")
	assert.Equal(t, 0.0, testing.AllocsPerRun(100, func() { nw.Read(buf) }), "an empty read allocates")

	// Blocking mode again: an ordinary read.
	nw.setNoWait(false)
	_, err = a.Write([]byte("again"))
	require.NoError(t, err)
	n, err = nw.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "again", string(buf[:n]))

	// The end of the stream is io.EOF in either mode.
	require.NoError(t, a.Close())
	nw.setNoWait(true)
	n, err = nw.Read(buf)
	assert.Zero(t, n)
	assert.ErrorIs(t, err, io.EOF)

	// A Conn without a descriptor finds nothing in no-wait mode.
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	np := newNoWaitConn(p2)
	np.setNoWait(true)
	_, err = np.Read(buf)
	assert.ErrorIs(t, err, errWouldBlock)
}

// TestReaderDrainsTLS: once a ReadBatch has a packet, it goes on with the
// TLS records that have already arrived (not only the first one, which is
// all a *tls.Conn's Read returns), without waiting for more; without the
// hook it stops after the first record. The stream stays intact.
func TestReaderDrainsTLS(t *testing.T) {
	const count = 50 // 1280-byte packets: 64,000 bytes, several TLS records
	ca, cert := testPKI(t)
	var pkts [][]byte
	var want int
	for i := range count {
		p := udpPkt(t, addrIn(1), addrIn(uint64(2+i)), 1280-40)
		require.Len(t, p, 1280)
		pkts = append(pkts, p)
		want += len(p)
	}
	for _, hook := range []bool{true, false} {
		name := "without hook"
		if hook {
			name = "with hook"
		}
		t.Run(name, func(t *testing.T) {
			a, b := socketPair(t)
			srv := tls.Server(a, &tls.Config{Certificates: []tls.Certificate{cert}, SessionTicketsDisabled: true})
			roots := x509.NewCertPool()
			roots.AddCert(ca.cert)
			nw := newNoWaitConn(b)
			cli := tls.Client(nw, &tls.Config{RootCAs: roots, ServerName: "localhost"})
			errc := make(chan error, 1)
			go func() { errc <- srv.Handshake() }()
			require.NoError(t, cli.Handshake())
			require.NoError(t, <-errc)

			// All of it is in b's receive queue when this returns.
			require.NoError(t, NewWriter(srv, nil).WritePackets(pkts))

			rd, err := NewReader(cli, nil, nil)
			require.NoError(t, err)
			if hook {
				rd.noWait = nw.setNoWait
			}
			bufs, sizes := make([][]byte, 64), make([]int, 64)
			for i := range bufs {
				bufs[i] = make([]byte, 2048)
			}
			n, err := rd.ReadBatch(bufs, sizes, 0)
			require.NoError(t, err)
			if hook {
				assert.Equal(t, count, n, "one batch holds all that has arrived")
			} else {
				assert.Less(t, n, count, "one record's worth")
				assert.Positive(t, n)
			}
			got := n
			for got < count {
				n, err := rd.ReadBatch(bufs[got:], sizes[got:], 0)
				require.NoError(t, err)
				got += n
			}
			for i := range count {
				require.Equal(t, pkts[i], bufs[i][:sizes[i]], "packet %d", i)
			}
			// The TLS connection is still usable after reads that would
			// have blocked.
			require.NoError(t, NewWriter(srv, nil).WritePackets(pkts[:1]))
			n, err = rd.ReadBatch(bufs, sizes, 0)
			require.NoError(t, err)
			require.Equal(t, 1, n)
			assert.Equal(t, pkts[0], bufs[0][:sizes[0]])
			assert.False(t, errors.Is(rd.Err(), errWouldBlock))
		})
	}
}
