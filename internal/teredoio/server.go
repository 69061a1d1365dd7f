package teredoio

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"time"

	"github.com/transit6/transit6/internal/tun"
	"github.com/transit6/transit6/teredo"
)

// ServerConfig configures a Server.
type ServerConfig struct {
	// Engine configures the engine. A zero Engine.RateSeed is replaced by
	// a random one.
	Engine teredo.ServerConfig
	// IfName names the TUN interface native packets are written to when
	// Engine.Native is set (default "teredo").
	IfName string
	// Log receives start-up and error lines; nil discards.
	Log *log.Logger
}

// Server runs a teredo.Server on its two UDP sockets.
type Server struct {
	eng    *teredo.Server
	conns  [2]*net.UDPConn // indexed by teredo.Socket
	dev    *tun.Device
	native bool
	log    *log.Logger

	closeOnce sync.Once
}

// NewServer creates the engine, binds the primary and secondary sockets
// (port 3544) and, with native forwarding, creates the TUN interface.
// Close releases them.
func NewServer(cfg ServerConfig) (*Server, error) {
	ecfg := cfg.Engine
	if ecfg.RateSeed == 0 {
		var b [8]byte
		_, _ = crand.Read(b[:]) // never fails (Go 1.24+)
		ecfg.RateSeed = binary.LittleEndian.Uint64(b[:])
	}
	eng, err := teredo.NewServer(ecfg)
	if err != nil {
		return nil, err
	}
	s := &Server{eng: eng, native: ecfg.Native, log: cfg.Log}
	if s.log == nil {
		s.log = log.New(io.Discard, "", 0)
	}
	for _, sock := range []teredo.Socket{teredo.PrimarySocket, teredo.SecondarySocket} {
		c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(eng.Addr(sock)))
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("teredoio: %s socket %v: %w", sock, eng.Addr(sock), err)
		}
		s.conns[sock] = c
	}
	if ecfg.Native {
		name := cfg.IfName
		if name == "" {
			name = "teredo"
		}
		if s.dev, err = tun.Open(name, TunMTU); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// Status returns a snapshot of the server. It may be called from any
// goroutine.
func (s *Server) Status() Status { return serverStatus(s.eng, s.native) }

// Run serves both sockets until ctx is done, then closes them and returns
// nil; an error on a socket ends Run with it. Run must be called once.
func (s *Server) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		for _, c := range s.conns {
			_ = c.SetReadDeadline(time.Unix(1, 0))
		}
	})
	defer stop()
	var wg sync.WaitGroup
	errs := make([]error, len(s.conns))
	for i := range s.conns {
		wg.Go(func() {
			errs[i] = s.serve(ctx, teredo.Socket(i))
			cancel()
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// serve reads socket sock until ctx is done.
func (s *Server) serve(ctx context.Context, sock teredo.Socket) error {
	conn := s.conns[sock]
	buf := make([]byte, 64<<10)
	var out []teredo.ServerOut
	var native [][]byte
	for ctx.Err() == nil {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("teredoio: %s socket: %w", sock, err)
			}
			s.log.Printf("%s socket: receive: %v", sock, err)
			continue
		}
		out, _ = s.eng.HandleDatagram(time.Now(), sock, from, buf[:n], out[:0])
		for i := range out {
			o := &out[i]
			if o.Native {
				if s.dev != nil {
					native = append(native[:0], o.Payload)
					if _, err := s.dev.Write(native, 0); err != nil {
						s.log.Printf("native: %v", err)
					}
				}
				continue
			}
			if _, err := s.conns[o.Socket].WriteToUDPAddrPort(o.Payload, o.To); err != nil {
				s.log.Printf("%s socket: send to %v: %v", o.Socket, o.To, err)
			}
		}
	}
	return nil
}

// Close closes the sockets and deletes the TUN interface. Call it after Run
// has returned.
func (s *Server) Close() error {
	var errs []error
	s.closeOnce.Do(func() {
		for _, c := range s.conns {
			if c != nil {
				errs = append(errs, c.Close())
			}
		}
		if s.dev != nil {
			errs = append(errs, s.dev.Close())
		}
	})
	return errors.Join(errs...)
}
