package iphttps

import (
	"bytes"
	"io"
)

// maxEmptyReads is how many successive (0, nil) results from a Read are
// taken before giving up with io.ErrNoProgress, as bufio does.
const maxEmptyReads = 100

// ReadRequestHead reads a request head from r into buf and parses it with
// ParseRequestHead. It returns the head, which aliases buf, and rest: the
// bytes read after the head, which also alias buf. They are the start of the
// client's packet stream (the client may send its first Router Solicitation
// in the same TLS record as its head, iphttps.md report section 5.3): hand
// them to NewReader.
//
// The head may not exceed len(buf) nor opts.MaxHeadLen ([ErrHeadTooLarge]).
// Bytes are parsed as they arrive, so a malformed request line is refused
// without waiting for the rest. End of input before any byte gives io.EOF,
// within the head io.ErrUnexpectedEOF; other read errors are returned as
// they are. ReadRequestHead sets no deadline: the caller bounds the time a
// client may take (iphttps.md report section 5.6).
func ReadRequestHead(r io.Reader, buf []byte, opts *RequestOptions) (h RequestHead, rest []byte, err error) {
	n, filled, err := readHead(r, buf, func(b []byte) (int, error) {
		var n int
		h, n, err = ParseRequestHead(b, opts)
		return n, err
	})
	if err != nil {
		return RequestHead{}, nil, err
	}
	return h, buf[n:filled:filled], nil
}

// ReadResponseHead reads a response head from r into buf and parses it with
// ParseResponseHead. It returns the head, which aliases buf, and rest: the
// bytes read after the head, which also alias buf and are the start of the
// server's packet stream (the 200 and the first Router Advertisement may
// share a TLS record). With [ErrStatus] the head and rest are returned too.
// Limits and read errors are as for ReadRequestHead.
func ReadResponseHead(r io.Reader, buf []byte, opts *ResponseOptions) (h ResponseHead, rest []byte, err error) {
	n, filled, err := readHead(r, buf, func(b []byte) (int, error) {
		var n int
		h, n, err = ParseResponseHead(b, opts)
		return n, err
	})
	if err != nil && err != ErrStatus {
		return ResponseHead{}, nil, err
	}
	return h, buf[n:filled:filled], err
}

// readHead reads into buf until parse stops returning ErrIncomplete. It
// parses again only when a line has ended (or the input has), so a client
// sending one byte at a time costs one parse per line. It returns the head
// length and the number of bytes read.
func readHead(r io.Reader, buf []byte, parse func([]byte) (int, error)) (n, filled int, err error) {
	empty := 0
	for {
		if filled == len(buf) {
			return 0, 0, ErrHeadTooLarge
		}
		m, rerr := r.Read(buf[filled:])
		if m < 0 || m > len(buf)-filled {
			return 0, 0, errInvalidCount
		}
		newLine := bytes.IndexByte(buf[filled:filled+m], '\n') >= 0
		filled += m
		if newLine || rerr != nil || filled == len(buf) {
			n, err := parse(buf[:filled])
			if err != ErrIncomplete {
				return n, filled, err
			}
		}
		switch {
		case rerr == io.EOF && filled == 0:
			return 0, 0, io.EOF
		case rerr == io.EOF:
			return 0, 0, io.ErrUnexpectedEOF
		case rerr != nil:
			return 0, 0, rerr
		case m == 0:
			if empty++; empty >= maxEmptyReads {
				return 0, 0, io.ErrNoProgress
			}
		default:
			empty = 0
		}
	}
}
