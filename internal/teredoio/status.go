package teredoio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/transit6/transit6/teredo"
)

// DefaultSocketDir is where the status sockets live by default:
// DefaultSocketDir/teredo-client.sock and teredo-server.sock.
const DefaultSocketDir = "/run/transit6"

// DefaultSocket returns the default status socket of role ("client",
// "server" or "relay").
func DefaultSocket(role string) string {
	return filepath.Join(DefaultSocketDir, "teredo-"+role+".sock")
}

// Status is what a running client or server reports, with the fields of
// Windows' `netsh interface teredo show state`. Fields that do not apply to
// a role are left zero and omitted from the JSON.
type Status struct {
	// Type is "client", "server" or "relay".
	Type string `json:"type"`
	// State is the client's state (teredo.ClientState), or "online" for a
	// server.
	State string `json:"state"`

	// Client fields.
	Server          netip.Addr     `json:"server,omitzero"`
	Secondary       netip.Addr     `json:"secondary,omitzero"`
	ServerNames     []string       `json:"server_names,omitempty"`
	RefreshSeconds  int            `json:"refresh_interval_seconds,omitzero"`
	ClientPort      uint16         `json:"client_port,omitzero"`
	NAT             string         `json:"nat,omitempty"`
	PortPreserving  bool           `json:"port_preserving,omitzero"`
	LocalMapping    netip.AddrPort `json:"local_mapping,omitzero"`
	ExternalMapping netip.AddrPort `json:"external_mapping,omitzero"`
	Address         netip.Addr     `json:"address,omitzero"`
	MTU             int            `json:"mtu,omitzero"`
	Interface       string         `json:"interface,omitempty"`
	// TUNReads is how the client or relay reads its TUN device: "io_uring"
	// (internal/tun ring reads) or "read(2)" (a kernel without them).
	TUNReads  string `json:"tun_reads,omitempty"`
	LastError string `json:"last_error,omitempty"`

	// Server fields.
	PrimarySocket   netip.AddrPort    `json:"primary_socket,omitzero"`
	SecondarySocket netip.AddrPort    `json:"secondary_socket,omitzero"`
	Native          bool              `json:"native,omitzero"`
	Accepted        uint64            `json:"accepted,omitzero"`
	Dropped         uint64            `json:"dropped,omitzero"`
	Counters        map[string]uint64 `json:"counters,omitempty"`

	// Relay fields.
	RelayBind netip.AddrPort `json:"relay_bind,omitzero"`
	Prefix    netip.Prefix   `json:"prefix,omitzero"`

	// Data path (client and relay): the size of the peer list and up to
	// MaxStatusPeers of its entries, for `transit6 teredo status --peers`.
	NumPeers int          `json:"num_peers,omitzero"`
	Peers    []PeerStatus `json:"peers,omitempty"`
}

// PeerStatus is one entry of the peer list (teredo.Peer): why traffic to a
// peer flows or not (teredo.md §6.2, "qualified but no traffic").
type PeerStatus struct {
	Addr    netip.Addr     `json:"addr"`
	Mapping netip.AddrPort `json:"mapping,omitzero"`
	Trusted bool           `json:"trusted"`
	Testing string         `json:"testing,omitempty"`
	LastRx  string         `json:"last_rx,omitempty"`
	LastTx  string         `json:"last_tx,omitempty"`
	Bubbles uint32         `json:"bubbles,omitzero"`
	Queued  int            `json:"queued,omitzero"`
}

// WritePeers writes the peer list as a table, one peer per line.
func (s *Status) WritePeers(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d peers", s.NumPeers)
	if len(s.Peers) < s.NumPeers {
		fmt.Fprintf(&b, " (first %d shown)", len(s.Peers))
	}
	b.WriteString("\n")
	if len(s.Peers) > 0 {
		fmt.Fprintf(&b, "%-40s %-21s %-9s %-7s %-7s %-6s %-20s %s\n", "PEER", "MAPPING", "STATE", "TEST", "BUBBLES", "QUEUED", "LAST RX", "LAST TX")
	}
	for _, p := range s.Peers {
		state := "untrusted"
		if p.Trusted {
			state = "trusted"
		}
		m := "-"
		if p.Mapping.IsValid() {
			m = p.Mapping.String()
		}
		dash := func(v string) string {
			if v == "" {
				return "-"
			}
			return v
		}
		fmt.Fprintf(&b, "%-40s %-21s %-9s %-7s %-7d %-6d %-20s %s\n", p.Addr, m, state, dash(p.Testing), p.Bubbles, p.Queued, dash(p.LastRx), dash(p.LastTx))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// clientStatus converts an engine snapshot.
func clientStatus(s *teredo.ClientStatus, names []string, ifname string) Status {
	st := Status{
		Type:            "client",
		State:           s.State.String(),
		Server:          s.Server,
		Secondary:       s.Secondary,
		ServerNames:     names,
		RefreshSeconds:  int(s.RefreshInterval / time.Second),
		ClientPort:      s.Local.Port(),
		NAT:             s.NAT.String(),
		PortPreserving:  s.PortPreserving,
		LocalMapping:    s.Local,
		ExternalMapping: s.Mapped,
		Address:         s.Addr,
		MTU:             s.MTU,
		Interface:       ifname,
	}
	if s.LastError != nil {
		st.LastError = s.LastError.Error()
	}
	return st
}

// serverStatus converts a server's addresses and counters.
func serverStatus(e *teredo.Server, native bool) Status {
	c := e.Counters()
	st := Status{
		Type:            "server",
		State:           "online",
		PrimarySocket:   e.Addr(teredo.PrimarySocket),
		SecondarySocket: e.Addr(teredo.SecondarySocket),
		Native:          native,
		Accepted:        c.Accepted(),
		Dropped:         c.Dropped(),
		Counters:        map[string]uint64{},
	}
	c.Each(func(r teredo.ServerReason, n uint64) { st.Counters[r.String()] = n })
	return st
}

// WriteText writes s in the layout of `netsh interface teredo show state`.
func (s *Status) WriteText(w io.Writer) error {
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "%-24s: %s\n", k, v) }
	orNone := func(v string) string {
		if v == "" || v == "invalid IP" || v == "invalid AddrPort" {
			return "none"
		}
		return v
	}
	line("Type", s.Type)
	switch s.Type {
	case "client":
		name := orNone(s.Server.String())
		if s.Secondary.IsValid() {
			name += " (secondary " + s.Secondary.String() + ")"
		}
		line("Server Name", name)
		line("Client Refresh Interval", strconv.Itoa(s.RefreshSeconds)+" seconds")
		line("Client Port", strconv.Itoa(int(s.ClientPort)))
		line("State", s.State)
		line("Client Type", "teredo client")
		line("Network", "unmanaged")
		line("NAT", s.NAT)
		pp := "No"
		if s.PortPreserving {
			pp = "Yes"
		}
		line("NAT Special Behaviour", "UPNP: No, PortPreserving: "+pp)
		line("Local Mapping", orNone(s.LocalMapping.String()))
		line("External NAT Mapping", orNone(s.ExternalMapping.String()))
		line("Teredo Address", orNone(s.Address.String()))
		if s.Interface != "" {
			line("Interface", s.Interface)
		}
		if s.TUNReads != "" {
			line("Interface Reads", s.TUNReads)
		}
		if s.MTU != 0 {
			line("MTU", strconv.Itoa(s.MTU))
		}
		line("Last Error", orNone(s.LastError))
	case "server":
		line("State", s.State)
		line("Primary", s.PrimarySocket.String())
		line("Secondary", s.SecondarySocket.String())
		native := "disabled"
		if s.Native {
			native = "enabled"
		}
		line("Native Forwarding", native)
		line("Accepted", strconv.FormatUint(s.Accepted, 10))
		line("Dropped", strconv.FormatUint(s.Dropped, 10))
		for _, k := range sortedKeys(s.Counters) {
			line("  "+k, strconv.FormatUint(s.Counters[k], 10))
		}
	case "relay":
		line("State", s.State)
		line("Relay Socket", s.RelayBind.String())
		line("Prefix", s.Prefix.String())
		if s.Interface != "" {
			line("Interface", s.Interface)
		}
		if s.TUNReads != "" {
			line("Interface Reads", s.TUNReads)
		}
	}
	if s.Type != "server" && len(s.Counters) > 0 {
		line("Peers", strconv.Itoa(s.NumPeers))
		for _, k := range sortedKeys(s.Counters) {
			line("  "+k, strconv.FormatUint(s.Counters[k], 10))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func sortedKeys(m map[string]uint64) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	for i := 1; i < len(ks); i++ { // tiny maps: insertion sort
		for j := i; j > 0 && ks[j] < ks[j-1]; j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
	return ks
}

// ErrSocketInUse reports a status socket path on which another process
// answers.
var ErrSocketInUse = errors.New("teredoio: status socket in use by a running daemon")

// Listen creates the status socket at path: its directory is created if
// needed, and a stale socket file (no one answers on it) is replaced. It
// returns ErrSocketInUse if a daemon answers on path.
func Listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("teredoio: status socket directory: %w", err)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("%w: %s", ErrSocketInUse, path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("teredoio: removing stale status socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("teredoio: status socket: %w", err)
	}
	return ln, nil
}

// Serve answers every connection on ln with one JSON object, status(),
// followed by a newline, until ctx is done; it then closes ln (which
// removes the socket file) and returns nil. Other accept errors are
// returned.
func Serve(ctx context.Context, ln net.Listener, status func() Status) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			ln.Close()
			return fmt.Errorf("teredoio: status socket: %w", err)
		}
		st := status()
		_ = c.SetWriteDeadline(time.Now().Add(time.Second))
		b, _ := json.Marshal(&st) // Status always marshals
		_, _ = c.Write(append(b, '\n'))
		c.Close()
	}
}

// Query reads the status from the daemon listening on the Unix socket path.
func Query(path string) (Status, error) {
	var st Status
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		return st, fmt.Errorf("teredoio: status: %w", err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	b, err := io.ReadAll(io.LimitReader(c, 1<<20))
	if err != nil {
		return st, fmt.Errorf("teredoio: status: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("teredoio: status: %w", err)
	}
	return st, nil
}
