package iphttps

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
	"time"
)

var (
	sinkInt   int
	sinkBytes []byte
	sinkBool  bool
	sinkErr   error
	sinkU64   uint64
)

func TestHeadNoAllocs(t *testing.T) {
	req := []byte("POST https://da.example.com/IPHTTPS?x HTTP/1.1\r\nhost: da.example.com\r\nX-A: b\r\n" + maxCL + "\r\n")
	resp := []byte(vecSpecResponse)
	bad := []byte("POST /IPHTTPS HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551616\r\n\r\n")
	opts := &RequestOptions{Path: DefaultPath, Methods: []string{"POST", "PUT"}}
	reqHead, _, err := ParseRequestHead(req, opts)
	if err != nil {
		t.Fatal(err)
	}
	respHead, _, err := ParseResponseHead(resp, nil)
	if err != nil {
		t.Fatal(err)
	}
	fields := &RequestFields{Host: "da.example.com", Extra: []Field{{"Content-Type", "application/octet-stream"}}}
	dst := make([]byte, 0, 512)
	date := time.Date(2008, 8, 10, 3, 51, 52, 0, time.UTC)
	rs := hx(t, vecRS)

	for name, f := range map[string]func(){
		"ParseRequestHead": func() { _, sinkInt, sinkErr = ParseRequestHead(req, opts) },
		"ParseRequestHead incomplete": func() {
			_, sinkInt, sinkErr = ParseRequestHead(req[:50], nil)
		},
		"ParseRequestHead error": func() { _, sinkInt, sinkErr = ParseRequestHead(bad, nil) },
		"ParseResponseHead":      func() { _, sinkInt, sinkErr = ParseResponseHead(resp, nil) },
		"RequestHead accessors": func() {
			sinkBytes = reqHead.Method()
			sinkBytes = reqHead.Target()
			sinkBytes = reqHead.Path()
			sinkBytes = reqHead.Proto()
			sinkBytes, sinkBool = reqHead.Host()
			sinkU64, sinkBool = reqHead.ContentLength()
			sinkBytes, sinkBool = reqHead.Header("x-a")
		},
		"ResponseHead accessors": func() {
			sinkInt = respHead.StatusCode()
			sinkBytes = respHead.Reason()
			sinkBytes, sinkBool = respHead.Server()
			sinkBytes, sinkBool = respHead.Date()
			sinkBytes, sinkBool = respHead.Header("date")
		},
		"HeaderIter": func() {
			it := reqHead.Headers()
			for _, v, ok := it.Next(); ok; _, v, ok = it.Next() {
				sinkBytes = v
			}
		},
		"AppendRequestHead":  func() { sinkBytes, sinkErr = AppendRequestHead(dst[:0], fields) },
		"SizeRequestHead":    func() { sinkInt = SizeRequestHead(fields) },
		"AppendResponseHead": func() { sinkBytes, sinkErr = AppendResponseHead(dst[:0], "", date) },
		"SizeResponseHead":   func() { sinkInt = SizeResponseHead("") },
		"CheckPacket":        func() { sinkErr = CheckPacket(rs) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs, want 0", name, n)
		}
	}
}

// loopReader serves a stream of whole packets over and over, at most chunk
// bytes per Read: an endless connection at memory speed.
type loopReader struct {
	data  []byte
	off   int
	chunk int
	reads int // Read calls so far
}

func (l *loopReader) Read(p []byte) (int, error) {
	l.reads++
	if l.chunk > 0 && len(p) > l.chunk {
		p = p[:l.chunk]
	}
	n := copy(p, l.data[l.off:])
	l.off += n
	if l.off == len(l.data) {
		l.off = 0
	}
	return n, nil
}

func packetLoop(size, count int) []byte {
	rng := rand.New(rand.NewPCG(uint64(size), 0))
	var b []byte
	for range count {
		b = append(b, mkPacket(rng, size-40)...)
	}
	return b
}

func TestStreamNoAllocs(t *testing.T) {
	src := &loopReader{data: packetLoop(1280, 37), chunk: 16384}
	r, err := NewReader(src, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(1000, func() { sinkBytes, sinkErr = r.Next() }); n != 0 {
		t.Errorf("Reader.Next: %v allocs, want 0", n)
	}
	bufs := [][]byte{make([]byte, 1500), make([]byte, 1500), make([]byte, 1500), make([]byte, 1500)}
	sizes := make([]int, len(bufs))
	if n := testing.AllocsPerRun(1000, func() { sinkInt, sinkErr = r.ReadBatch(bufs, sizes, 10) }); n != 0 {
		t.Errorf("Reader.ReadBatch: %v allocs, want 0", n)
	}
	if sinkErr != nil {
		t.Fatal(sinkErr)
	}
	buf := make([]byte, MinReadBufferSize)
	if n := testing.AllocsPerRun(100, func() { sinkErr = r.Reset(src, buf, nil) }); n != 0 {
		t.Errorf("Reader.Reset: %v allocs, want 0", n)
	}

	var pkts [][]byte
	for p := packetLoop(1280, 20); len(p) > 0; p = p[1280:] {
		pkts = append(pkts, p[:1280])
	}
	w := NewWriter(io.Discard, nil)
	if n := testing.AllocsPerRun(1000, func() { sinkErr = w.WritePackets(pkts) }); n != 0 {
		t.Errorf("Writer.WritePackets: %v allocs, want 0", n)
	}
	if n := testing.AllocsPerRun(1000, func() { sinkErr = w.WritePacket(pkts[0]) }); n != 0 {
		t.Errorf("Writer.WritePacket: %v allocs, want 0", n)
	}
	var out bytes.Buffer
	out.Grow(1 << 20)
	if n := testing.AllocsPerRun(100, func() { w.Reset(&out); out.Reset() }); n != 0 {
		t.Errorf("Writer.Reset: %v allocs, want 0", n)
	}
	if sinkErr != nil {
		t.Fatal(sinkErr)
	}
}
