package iphttps

import (
	"bytes"
	"io"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
	"unsafe"
)

// inside reports whether v lies within b (an empty v is accepted anywhere).
func inside(b, v []byte) bool {
	if len(v) == 0 {
		return true
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(v)))
	return p >= base && p+uintptr(len(v)) <= base+uintptr(len(b))
}

// fuzzRequestOptions derives parser options from the fuzzer's flags.
func fuzzRequestOptions(flags uint8) *RequestOptions {
	if flags == 0 {
		return nil
	}
	o := &RequestOptions{StrictCRLF: flags&1 != 0, AllowNoContentLength: flags&2 != 0}
	if flags&4 != 0 {
		o.Path = DefaultPath
	}
	if flags&8 != 0 {
		o.Methods = []string{"POST", "PUT", "GET"}
	}
	if flags&16 != 0 {
		o.MaxHeadLen = 64
	}
	return o
}

// checkPrefixes checks that every prefix of b parses to ErrIncomplete or to
// the same result as b: complete lines are judged as soon as they arrive,
// and a judgement never changes as more bytes come. Long inputs are
// sampled.
func checkPrefixes(t *testing.T, b []byte, parse func([]byte) (refHead, int, error), full refHead, fullN int, fullErr error) {
	ks := make([]int, 0, 32)
	if len(b) <= 300 {
		for k := range len(b) {
			ks = append(ks, k)
		}
	} else {
		rng := rand.New(rand.NewPCG(uint64(len(b)), 0))
		for range 32 {
			ks = append(ks, rng.IntN(len(b)))
		}
	}
	for _, k := range ks {
		h, n, err := parse(b[:k])
		if err == ErrIncomplete {
			if n != 0 {
				t.Fatalf("prefix %d: ErrIncomplete with n=%d", k, n)
			}
			continue
		}
		if err != fullErr || n != fullN {
			t.Fatalf("prefix %d: (%d, %v), whole input: (%d, %v)", k, n, err, fullN, fullErr)
		}
		if fullErr == nil || fullErr == ErrStatus {
			if !refEqual(h, full) {
				t.Fatalf("prefix %d: head %+v, whole input: %+v", k, h, full)
			}
		}
	}
}

func refEqual(a, b refHead) bool {
	if len(a.Headers) != len(b.Headers) {
		return false
	}
	for i := range a.Headers {
		if a.Headers[i] != b.Headers[i] {
			return false
		}
	}
	a.Headers, b.Headers = nil, nil
	return reflect.DeepEqual(a, b)
}

func FuzzParseRequestHead(f *testing.F) {
	// The spec §4.1 example, no options.
	f.Add([]byte(vecSpecRequest), uint8(0))
	// The scanner request with a packet after it, path matched.
	f.Add([]byte("POST /IPHTTPS HTTP/1.1\r\nHost: da.example.com\r\n"+maxCL+"\r\n`\x00\x00\x00"), uint8(4))
	// Bare LF line ends, in strict mode (refused).
	f.Add([]byte("POST /IPHTTPS HTTP/1.1\nHost: h\n"+maxCL+"\n"), uint8(1))
	// Absolute-form, lower-case names, HTTP/1.0.
	f.Add([]byte("POST https://h:443/iphttps?q HTTP/1.0\r\ncontent-length: 5\r\n\r\n"), uint8(4))
	// Content-Length overflow by one.
	f.Add([]byte("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551616\r\n\r\n"), uint8(0))
	// List-valued and repeated Content-Length.
	f.Add([]byte("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 7 , 7\r\nContent-Length: 7\r\n\r\n"), uint8(0))
	// Chunked.
	f.Add([]byte("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"), uint8(0))
	// No Content-Length, allowed; GET allowed.
	f.Add([]byte("GET /IPHTTPS HTTP/1.1\r\nHost: h\r\n\r\n"), uint8(2|8))
	// obs-fold and a bare CR.
	f.Add([]byte("POST / HTTP/1.1\r\nHost: h\r\n x\rY\r\n\r\n"), uint8(0))
	// A head over the 64-byte limit.
	f.Add([]byte("POST /IPHTTPS HTTP/1.1\r\nHost: da.example.com\r\n"+maxCL+"\r\n"), uint8(16))
	// Obs-text in a value, empty Host.
	f.Add([]byte("POST / HTTP/1.1\r\nHost:\r\nX: \xff\xfe\r\n"+maxCL+"\r\n"), uint8(0))

	f.Fuzz(func(t *testing.T, b []byte, flags uint8) {
		opts := fuzzRequestOptions(flags)
		h, n, err := ParseRequestHead(b, opts)
		if n < 0 || n > len(b) {
			t.Fatalf("n = %d, len %d", n, len(b))
		}
		if err != nil {
			if n != 0 || h.IsValid() {
				t.Fatalf("error %v with n=%d, valid=%v", err, n, h.IsValid())
			}
		} else {
			if n == 0 || n != h.Len() || n > opts.maxHeadLen() || !bytes.Equal(h.Bytes(), b[:n]) {
				t.Fatalf("n = %d, Len %d", n, h.Len())
			}
			host, _ := h.Host()
			views := [][]byte{h.Method(), h.Target(), h.Path(), h.Proto(), host}
			it := h.Headers()
			for name, value, ok := it.Next(); ok; name, value, ok = it.Next() {
				views = append(views, name, value)
			}
			for i, v := range views {
				if !inside(b[:n], v) {
					t.Fatalf("view %d %q outside the head", i, v)
				}
			}
		}

		// Agreement with the reference parser.
		ref, rerr := refParseRequest(b, opts)
		if rerr != err {
			t.Fatalf("error %v, reference %v", err, rerr)
		}
		got := toRefRequest(h, n)
		if err == nil && !refEqual(got, ref) {
			t.Fatalf("head %+v\nreference %+v", got, ref)
		}

		checkPrefixes(t, b, func(p []byte) (refHead, int, error) {
			h, n, err := ParseRequestHead(p, opts)
			return toRefRequest(h, n), n, err
		}, got, n, err)

		if err != nil {
			return
		}
		// Round trip: append the parsed fields and parse again.
		host, hasHost := h.Host()
		if hasHost && len(host) == 0 {
			return // an empty Host cannot be written (it is omitted)
		}
		f := RequestFields{Method: string(h.Method()), Target: string(h.Target()), Host: string(host), HTTP10: h.ProtoMinor() == 0}
		cl, hasCL := h.ContentLength()
		f.ContentLength = cl
		it := h.Headers()
		for name, value, ok := it.Next(); ok; name, value, ok = it.Next() {
			if !equalFold(name, "Host") && !equalFold(name, "Content-Length") {
				f.Extra = append(f.Extra, Field{string(name), string(value)})
			}
		}
		out, err := AppendRequestHead(nil, &f)
		if err != nil {
			t.Fatalf("re-append: %v (%+v)", err, f)
		}
		if len(out) != SizeRequestHead(&f) {
			t.Fatalf("SizeRequestHead %d, appended %d", SizeRequestHead(&f), len(out))
		}
		o2 := RequestOptions{Methods: []string{f.Method}}
		if opts != nil {
			o2.Path = opts.Path
		}
		h2, n2, err := ParseRequestHead(out, &o2)
		if err != nil || n2 != len(out) {
			t.Fatalf("re-parse: %v, n %d of %d\n%q", err, n2, len(out), out)
		}
		host2, _ := h2.Host()
		cl2, _ := h2.ContentLength()
		if !bytes.Equal(h2.Method(), h.Method()) || !bytes.Equal(h2.Target(), h.Target()) || !bytes.Equal(h2.Path(), h.Path()) ||
			!bytes.Equal(h2.Proto(), h.Proto()) || !bytes.Equal(host2, host) || (hasCL && cl2 != cl) || (!hasCL && cl2 != MaxContentLength) {
			t.Fatalf("round trip changed the head:\n%q\n%q", b[:n], out)
		}
	})
}

func FuzzParseResponseHead(f *testing.F) {
	// The spec §4.1 example.
	f.Add([]byte(vecSpecResponse), uint8(0))
	// HAProxy's rewrite: lower-case names, Connection: close, then an RA.
	f.Add([]byte("HTTP/1.1 200 OK\r\nserver: Microsoft-HTTPAPI/2.0\r\ndate: "+specDate+"\r\nconnection: close\r\n\r\n`\x00"), uint8(0))
	// A proxy's 407 with a chunked body (ErrStatus).
	f.Add([]byte("HTTP/1.1 407 Proxy Authentication Required\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), uint8(0))
	// A chunked 200 (refused).
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), uint8(0))
	// No reason phrase, bare LF, strict mode.
	f.Add([]byte("HTTP/1.0 200\n\n"), uint8(1))
	// Content-Length 0 on a 200.
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), uint8(0))
	// Over the 64-byte limit.
	f.Add([]byte(vecSpecResponse), uint8(16))

	f.Fuzz(func(t *testing.T, b []byte, flags uint8) {
		var opts *ResponseOptions
		if flags != 0 {
			opts = &ResponseOptions{StrictCRLF: flags&1 != 0}
			if flags&16 != 0 {
				opts.MaxHeadLen = 64
			}
		}
		h, n, err := ParseResponseHead(b, opts)
		if n < 0 || n > len(b) {
			t.Fatalf("n = %d, len %d", n, len(b))
		}
		if err != nil && err != ErrStatus {
			if n != 0 || h.IsValid() {
				t.Fatalf("error %v with n=%d", err, n)
			}
		} else {
			if n == 0 || n != h.Len() || n > opts.maxHeadLen() || (err == nil) != (h.StatusCode() == 200) {
				t.Fatalf("n = %d, Len %d, status %d, err %v", n, h.Len(), h.StatusCode(), err)
			}
			server, _ := h.Server()
			date, _ := h.Date()
			views := [][]byte{h.Proto(), h.Reason(), server, date}
			it := h.Headers()
			for name, value, ok := it.Next(); ok; name, value, ok = it.Next() {
				views = append(views, name, value)
			}
			for i, v := range views {
				if !inside(b[:n], v) {
					t.Fatalf("view %d %q outside the head", i, v)
				}
			}
		}

		ref, rerr := refParseResponse(b, opts)
		if rerr != err {
			t.Fatalf("error %v, reference %v", err, rerr)
		}
		got := toRefResponse(h, n)
		if (err == nil || err == ErrStatus) && !refEqual(got, ref) {
			t.Fatalf("head %+v\nreference %+v", got, ref)
		}

		checkPrefixes(t, b, func(p []byte) (refHead, int, error) {
			h, n, err := ParseResponseHead(p, opts)
			return toRefResponse(h, n), n, err
		}, got, n, err)

		// The server value survives AppendResponseHead.
		server, ok := h.Server()
		if err != nil || !ok || len(server) == 0 {
			return
		}
		out, aerr := AppendResponseHead(nil, string(server), time.Unix(1218340312, 0))
		if aerr != nil {
			t.Fatalf("re-append: %v", aerr)
		}
		h2, n2, err := ParseResponseHead(out, nil)
		s2, _ := h2.Server()
		d2, _ := h2.Date()
		if err != nil || n2 != len(out) || !bytes.Equal(s2, server) || string(d2) != specDate {
			t.Fatalf("re-parse: %v %q", err, out)
		}
	})
}

// fuzzChunks splits b into chunks of 1 to 300 bytes chosen by seed.
func fuzzChunks(b []byte, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, seed>>32))
	var chunks [][]byte
	for len(b) > 0 {
		n := min(len(b), 1+rng.IntN(300))
		chunks = append(chunks, b[:n])
		b = b[n:]
	}
	return chunks
}

// Buffers reused across FuzzReader inputs, which run one at a time in a
// process: allocating them for each input would dominate its cost.
var (
	fuzzReadBuf  = make([]byte, MinReadBufferSize)
	fuzzReadBuf2 = make([]byte, MinReadBufferSize)
	fuzzBatch    = [][]byte{make([]byte, 3+MaxPacketLen), make([]byte, 3+MaxPacketLen)}
	fuzzWriteBuf = make([]byte, 5000)
)

func FuzzReader(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 1))
	rs, ra := hx(f, vecRS), hx(f, vecRA)
	// The §1.4 RS and RA back to back.
	f.Add(append(bytes.Clone(rs), ra...), uint64(0))
	// Three packets, one header-only.
	f.Add(bytes.Join([][]byte{mkPacket(rng, 8), mkPacket(rng, 0), mkPacket(rng, 300)}, nil), uint64(7))
	// A packet then an IPv4 header.
	f.Add(append(bytes.Clone(rs), 0x45, 0, 0, 20), uint64(1))
	// A jumbogram after a packet.
	f.Add(append(bytes.Clone(rs), jumbogram(10)...), uint64(2))
	// A stream cut inside the second header.
	f.Add(append(bytes.Clone(rs), ra[:20]...), uint64(3))
	// A Payload Length far beyond the data.
	f.Add([]byte{0x60, 0, 0, 0, 0xff, 0xff, 59, 64}, uint64(4))
	// Empty stream.
	f.Add([]byte{}, uint64(5))

	f.Fuzz(func(t *testing.T, stream []byte, seed uint64) {
		want, wantErr := refSplit(stream)

		// Next, the stream in random chunks, part of it already buffered.
		split := 0
		if len(stream) > 0 {
			split = int(seed % uint64(len(stream)+1))
		}
		r, err := NewReader(&chunkReader{chunks: fuzzChunks(stream[split:], seed)}, fuzzReadBuf, stream[:split])
		if err != nil {
			t.Fatal(err)
		}
		var got [][]byte
		for {
			p, err := r.Next()
			if err != nil {
				if err != wantErr {
					t.Fatalf("error %v, reference %v", err, wantErr)
				}
				break
			}
			if len(got) >= len(want) || !bytes.Equal(p, want[len(got)]) {
				t.Fatalf("packet %d differs from the reference", len(got))
			}
			if CheckPacket(p) != nil {
				t.Fatalf("packet %d fails CheckPacket: %v", len(got), CheckPacket(p))
			}
			got = append(got, bytes.Clone(p))
		}
		if len(got) != len(want) {
			t.Fatalf("%d packets, reference %d", len(got), len(want))
		}

		// ReadBatch with headroom agrees.
		r, _ = NewReader(&chunkReader{chunks: fuzzChunks(stream, seed+1)}, fuzzReadBuf2, nil)
		const off = 3
		bufs := fuzzBatch
		sizes := make([]int, 2)
		var batched [][]byte
		for {
			n, err := r.ReadBatch(bufs, sizes, off)
			for i := range n {
				batched = append(batched, bytes.Clone(bufs[i][off:off+sizes[i]]))
			}
			if err != nil {
				if err != wantErr || n != 0 {
					t.Fatalf("ReadBatch error %v with %d packets, reference %v", err, n, wantErr)
				}
				break
			}
			if n == 0 {
				t.Fatal("ReadBatch returned no packet and no error")
			}
		}
		if len(batched) != len(want) {
			t.Fatalf("ReadBatch: %d packets, reference %d", len(batched), len(want))
		}
		for i := range want {
			if !bytes.Equal(batched[i], want[i]) {
				t.Fatalf("ReadBatch packet %d differs", i)
			}
		}

		// The Writer reproduces the framed part of the stream.
		var out bytes.Buffer
		w := NewWriter(&out, fuzzWriteBuf[:1+int(seed%5000)])
		if err := w.WritePackets(got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), stream[:out.Len()]) {
			t.Fatal("Writer output differs from the stream")
		}
		if wantErr == io.EOF && out.Len() != len(stream) {
			t.Fatal("Writer output shorter than a cleanly ended stream")
		}
	})
}
