package teredo

import (
	crand "crypto/rand"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/transit6/transit6/addr"
	"github.com/transit6/transit6/packet"
)

// Timers of the client (RFC 4380 §5.2.1, §5.2.5, §2.15).
const (
	// QualificationTimeout is T, how long the client waits for a Router
	// Advertisement before it repeats a Router Solicitation (RFC 4380
	// §5.2.1: 4 seconds).
	QualificationTimeout = 4 * time.Second

	// QualificationTries is N, how many Router Solicitations a probe sends
	// before it gives up (RFC 4380 §5.2.1: 3). The last one is given T to
	// be answered, so a silent server is declared offline N×T = 12 s after
	// the first solicitation, having received 3 (Miredo sends 3 too; the
	// RFC's "N repetitions" could be read as 4 solicitations).
	QualificationTries = 3

	// DefaultRefreshInterval is the default Teredo refresh interval (RFC
	// 4380 §2.15: 30 seconds). Each refresh waits a duration drawn
	// uniformly in [75 %, 100 %] of it, the randomized refresh interval.
	DefaultRefreshInterval = 30 * time.Second

	// ClientBackoffMin and ClientBackoffMax bound the back-off after every
	// configured server was found offline: the k-th consecutive back-off
	// (k ≥ 1) waits a duration drawn uniformly in [d/2, d] with
	// d = min(ClientBackoffMin × 2^(k−1), ClientBackoffMax), then probes the
	// servers again from the first one. Miredo waits a fixed 100 s.
	ClientBackoffMin = 4 * time.Second
	ClientBackoffMax = 5 * time.Minute
)

// discardPort is the UDP port (RFC 863 discard) of the packet that opens
// the NAT toward the secondary server address, but not toward its port
// 3544, in the restricted-NAT test (see Client).
const discardPort = 9

// ClientConfig configures a Client.
type ClientConfig struct {
	// Servers lists the primary IPv4 addresses of the Teredo servers, in
	// order of preference; at least one is required. Each must be a global
	// unicast IPv4 address, or lie in Global.
	Servers []netip.Addr

	// Secondaries gives the secondary address of each server, by index
	// (RFC 4380 §5.2.1). A missing or zero entry selects the primary
	// address + 1, the consecutive address Miredo's and Windows' servers
	// require.
	Secondaries []netip.Addr

	// Local is the IPv4 address and port the caller's Teredo socket is
	// bound to, reported in the status as the local mapping. A client whose
	// mapped address and port equal Local, and whose NAT test shows a cone,
	// reports NATNone. May be left zero (the NAT is then never "none").
	Local netip.AddrPort

	// RefreshInterval is the Teredo refresh interval; 0 selects
	// DefaultRefreshInterval. The client refreshes after a duration drawn
	// in [75 %, 100 %] of it without news from the server.
	RefreshInterval time.Duration

	// Global lists IPv4 prefixes to treat as global unicast although they
	// are not (see addr.NewClassifier): the documentation ranges of labs
	// and tests. The server addresses and the mapped address learnt from
	// the server must be global.
	Global []netip.Prefix

	// Rand is the source of the solicitation nonces, the random bits of the
	// address (RFC 5991) and the timer jitter. nil selects crypto/rand.
	// Tests pass a seeded generator (math/rand/v2's ChaCha8 is an
	// io.Reader) to be deterministic.
	Rand io.Reader

	// SkipRestrictedProbe leaves out the restricted-NAT test, which sends
	// one bubble to the discard port (9) of the secondary server address:
	// a NAT whose mapping does not depend on the destination but which
	// drops the cone test is then reported as NATPortRestricted.
	SkipRestrictedProbe bool

	// SecureKey, if not empty, turns on secure qualification (RFC 4380
	// §5.2.2), the client side of ServerConfig.SecureKey: every Router
	// Solicitation carries an authentication indicator with ClientID and
	// an authentication value, an HMAC-SHA1 keyed with SecureKey over the
	// nonce, the confirmation byte and the IPv6 packet (see
	// Authenticator), and a Router Advertisement is accepted only if its
	// own value verifies ([ErrAuthValue]). The confirmation byte of the
	// advertisements is not acted on. The key is copied. Empty, the
	// solicitations carry a nonce only, as Miredo's and Windows' do.
	SecureKey []byte

	// ClientID is the client identifier sent with secure qualification,
	// which a server may use to choose the key (RFC 4380 §5.2.2): at most
	// 255 bytes, and only with SecureKey. May be empty. It is copied.
	ClientID []byte
}

// ClientState is the state of a Client (see Client for the diagram).
type ClientState uint8

// The states of a Client.
const (
	// ClientStopped: not started, or stopped. The zero ClientState.
	ClientStopped ClientState = iota
	// ClientProbing: qualifying with a server (Windows: "probe").
	ClientProbing
	// ClientQualified: the client has a Teredo address and keeps it fresh.
	ClientQualified
	// ClientOffline: every server failed to answer; waiting out the
	// back-off before probing again.
	ClientOffline
)

// String returns "stopped", "probing", "qualified" or "offline".
func (s ClientState) String() string {
	switch s {
	case ClientStopped:
		return "stopped"
	case ClientProbing:
		return "probing"
	case ClientQualified:
		return "qualified"
	case ClientOffline:
		return "offline"
	}
	return "ClientState(?)"
}

// NATType is the kind of NAT between a Client and its server, as Windows'
// `netsh interface teredo show state` reports it.
type NATType uint8

// The NAT types a Client reports.
const (
	// NATUnknown: not determined (yet): the client is not qualified, the
	// test is running, or the secondary server address never answered.
	NATUnknown NATType = iota
	// NATNone: no NAT and no filtering (Windows: "none (global
	// connectivity)"): the server sees the local address and port, and
	// reaches it from its other address.
	NATNone
	// NATCone: a full-cone NAT: one mapping for every destination, and
	// anyone may send to it (RFC 4380 §2.9).
	NATCone
	// NATRestricted: one mapping for every destination; only addresses the
	// client has sent to may send to it, from any port (RFC 4380 §2.10).
	NATRestricted
	// NATPortRestricted: one mapping for every destination; only address
	// and port pairs the client has sent to may send to it (Windows:
	// "restricted (port)"). Also reported for a NAT that maps each
	// destination separately but preserves the port (see
	// ClientStatus.PortPreserving), as it behaves the same for one socket.
	NATPortRestricted
	// NATSymmetric: a different mapping for each destination (RFC 4380
	// §2.11). The client still qualifies with the mapping toward the
	// primary server address.
	NATSymmetric
)

// String returns "unknown", "none", "cone", "restricted", "port-restricted"
// or "symmetric".
func (t NATType) String() string {
	switch t {
	case NATUnknown:
		return "unknown"
	case NATNone:
		return "none"
	case NATCone:
		return "cone"
	case NATRestricted:
		return "restricted"
	case NATPortRestricted:
		return "port-restricted"
	case NATSymmetric:
		return "symmetric"
	}
	return "NATType(?)"
}

// ClientEventKind says what a ClientEvent reports.
type ClientEventKind uint8

// The kinds of ClientEvent.
const (
	// EventStateChanged: the client entered ClientEvent.State; also when
	// it starts probing another server (ClientEvent.Server).
	EventStateChanged ClientEventKind = iota + 1
	// EventAddressAcquired: ClientEvent.Addr is the client's Teredo
	// address from now on; configure it.
	EventAddressAcquired
	// EventAddressLost: ClientEvent.Addr is no longer the client's
	// address; remove it. Every acquired address is lost exactly once, and
	// before its successor is acquired.
	EventAddressLost
	// EventNATDetected: the NAT test concluded; ClientEvent.NAT is the
	// type.
	EventNATDetected
	// EventServerOffline: the server ClientEvent.Server did not answer N
	// solicitations; ClientEvent.Err is ErrNoAnswer. The client moves
	// on to the next server or backs off.
	EventServerOffline
)

// String returns "state", "address-acquired", "address-lost", "nat" or
// "server-offline".
func (k ClientEventKind) String() string {
	switch k {
	case EventStateChanged:
		return "state"
	case EventAddressAcquired:
		return "address-acquired"
	case EventAddressLost:
		return "address-lost"
	case EventNATDetected:
		return "nat"
	case EventServerOffline:
		return "server-offline"
	}
	return "ClientEventKind(?)"
}

// ClientEvent is something a program embedding a Client may act on: an
// address to configure or remove, a state change to log or display.
type ClientEvent struct {
	Kind ClientEventKind
	// State is the client's state after the event.
	State ClientState
	// Server is the primary address of the server concerned: the one the
	// client is using or probing, or the one that went offline.
	Server netip.Addr
	// Addr is the Teredo address of EventAddressAcquired and
	// EventAddressLost.
	Addr netip.Addr
	// NAT is the NAT type of EventNATDetected.
	NAT NATType
	// Err is the error of EventServerOffline.
	Err error
}

// String returns a one-line description of e, such as
// "address-acquired 2001:0:c633:6401:..." or "state qualified".
func (e ClientEvent) String() string {
	switch e.Kind {
	case EventStateChanged:
		return "state " + e.State.String()
	case EventAddressAcquired, EventAddressLost:
		return e.Kind.String() + " " + e.Addr.String()
	case EventNATDetected:
		return "nat " + e.NAT.String()
	case EventServerOffline:
		return "server-offline " + e.Server.String()
	}
	return e.Kind.String()
}

// ClientDatagram is a UDP datagram the client asks its caller to send from
// the Teredo socket.
type ClientDatagram struct {
	// To is the destination IPv4 address and port.
	To netip.AddrPort
	// Payload is the UDP payload. It aliases a buffer of the Client, valid
	// until the next call of one of its methods: send or copy it before.
	Payload []byte
}

// ClientOutput receives what one call of Start, Tick, HandleDatagram or
// Stop produced. Every call clears it first, keeping the capacity of its
// slices: reuse one ClientOutput for every call and the client does not
// allocate. A caller sends Send, acts on Events, and passes Data to the
// data path, before its next call.
type ClientOutput struct {
	// Send lists the datagrams to send, in order.
	Send []ClientDatagram
	// Events lists what happened, in the order a program must apply it.
	Events []ClientEvent
	// Data is, after HandleDatagram, a decoded Teredo packet that is not
	// for the control plane (a bubble, data from a peer or relayed by the
	// server), for the data path: Data.IsValid() reports whether there is
	// one. It aliases the payload passed to HandleDatagram.
	Data Packet
	// FromServer reports whether Data came from the current server's
	// primary or secondary address and port 3544 (an origin indication in
	// it is then meaningful, RFC 4380 §5.2.3).
	FromServer bool
}

func (o *ClientOutput) reset() {
	clear(o.Send) // drop references to payloads of earlier calls
	o.Send = o.Send[:0]
	o.Events = o.Events[:0]
	o.Data = Packet{}
	o.FromServer = false
}

func (o *ClientOutput) event(e ClientEvent) { o.Events = append(o.Events, e) }

// ClientStatus is a snapshot of a Client, with the fields of Windows'
// `netsh interface teredo show state`.
type ClientStatus struct {
	// State is the client's state.
	State ClientState
	// Server and Secondary are the addresses of the server in use or being
	// probed; zero when stopped.
	Server, Secondary netip.Addr
	// NAT is the NAT type found by the last qualification.
	NAT NATType
	// PortPreserving reports that the NAT kept the local port in the
	// mapping (Windows' "NAT special behaviour"; RFC 6081 §3.2).
	PortPreserving bool
	// Local is ClientConfig.Local, the local mapping.
	Local netip.AddrPort
	// Mapped is the external NAT mapping the server reported; zero unless
	// qualified.
	Mapped netip.AddrPort
	// Addr is the Teredo address; zero unless qualified. Teredo is Addr
	// decoded.
	Addr   netip.Addr
	Teredo addr.Teredo
	// MTU is the MTU the server advertised, or MinMTU if it sent no MTU
	// option; 0 unless qualified.
	MTU int
	// RefreshInterval is the configured refresh interval.
	RefreshInterval time.Duration
	// NextRefresh is when the client will refresh, if nothing arrives from
	// the server before (in the past while a refresh is under way); zero
	// unless qualified.
	NextRefresh time.Time
	// LastError is the last condition the client ran into
	// (ErrNoAnswer, ErrNoSecondaryAnswer, ErrRandom), nil if none since
	// it last qualified.
	LastError error
}

// Client is the sans-IO control plane of a Teredo client (RFC 4380 §5.2):
// it qualifies with a server, finds out the kind of NAT in front of it,
// keeps its Teredo address fresh, fails over between servers and backs off
// when none answers. It owns no socket, goroutine or clock: the caller
// passes the time and the datagrams received on its Teredo UDP socket, and
// sends the datagrams the client returns from that socket, and configures
// the addresses the events announce:
//
//	var out teredo.ClientOutput // reused by every call: no allocation
//	c.Start(time.Now(), &out)
//	for {
//		// send out.Send from the socket, apply out.Events, then wait for
//		// a datagram or for c.NextDeadline(), and either
//		err := c.HandleDatagram(time.Now(), from, payload, &out) // out.Data: for the data path
//		// or
//		c.Tick(time.Now(), &out)
//	}
//
// # States
//
//	          Start                  valid RA
//	Stopped ──────────► Probing ────────────────────► Qualified ──┐ refresh answered
//	                     │   ▲ ▲                        │  │  ▲   │ (new mapping:
//	                     │   │ └── no answer, next ─────┘  │  └───┘ address replaced)
//	                     │   │     server (address lost)   │
//	         no answer,  │   │ back-off                    │ no answer, last server
//	         last server ▼   │ over                        │ (address lost)
//	                    Offline ◄──────────────────────────┘
//
// Stop leads from any state to Stopped (the address, if any, is lost). No
// answer while probing a server with another one after it in the list:
// probing again, the next server.
//
// Probing: every T (QualificationTimeout) the client sends two Router
// Solicitations to the primary server address, one with the cone bit and one
// without, each with a fresh random nonce; after N (QualificationTries)
// rounds and T more without an answer, the server is offline and the client
// probes the next one, or, after the last one, waits out the back-off (see
// ClientBackoffMin) in Offline and starts over from the first. The first
// valid Router Advertisement qualifies the client: its Teredo address is the
// advertised prefix, 12 random flag bits (RFC 5991; the cone bit is never
// set, and the bits are redrawn only when the mapping changes) and the
// mapped address and port of the origin indication. Sending both
// solicitations at once qualifies in one round trip, as Miredo does, while
// the NAT test goes on.
//
// Qualified: when nothing arrived from the primary server address for a
// randomized refresh interval (uniform in [75 %, 100 %] of
// RefreshInterval), the client sends a solicitation without the cone bit,
// up to N times T apart. An answer with a new mapping replaces the address
// (EventAddressLost, then EventAddressAcquired); no answer makes the server
// offline.
//
// # NAT test
//
// It runs alongside, from the first round of every qualification, with T
// and N as above, in the order that keeps one step from opening the NAT
// for the next (RFC 4380 §5.2.1, extended); EventNATDetected reports the
// result:
//
//  1. Cone: the solicitation with the cone bit to the primary address is
//     answered from the secondary address, which only a NAT without
//     filtering lets in: NATCone, or NATNone if the mapping is Local.
//  2. Restricted: a bubble to the secondary address's discard port (9),
//     then the cone solicitation again: the answer from the secondary
//     address's port 3544 passes a NAT that filters by address only:
//     NATRestricted. Skipped with ClientConfig.SkipRestrictedProbe.
//  3. Secondary: a solicitation without the cone bit to the secondary
//     address; the mapping it reports is compared with the one toward the
//     primary address: different is NATSymmetric (the client stays
//     qualified with the primary mapping, as Miredo and Windows'
//     NAT-aware client do), equal is NATPortRestricted. No answer leaves
//     NATUnknown and ErrNoSecondaryAnswer.
//
// A NAT that maps each destination separately but keeps the local port
// when it can (Linux's masquerade) gives both addresses the same mapping:
// it is reported as NATPortRestricted with ClientStatus.PortPreserving,
// which is how it behaves for the client's one socket. So is one that kept
// the local port toward the primary address but maps the secondary to
// another port of the same address: Linux's masquerade does that when the
// dropped answers of steps 1 and 2 left conntrack entries that claim the
// port toward the secondary's port 3544. Telling restricted
// from port-restricted needs step 2, as standard servers answer from port
// 3544 only. Behind a port-restricted or symmetric NAT the test concludes
// 2×N×T = 24 s (and a round trip) after the first round; the address does
// not wait for it.
//
// Every Router Advertisement must pass ValidateRouterAdvertisement against
// the solicitation whose nonce it echoes (its expected sender, the
// solicitation's link-local source, the server's prefix), and map the
// client to a global address (else ErrRAMapped), and, with secure
// qualification (ClientConfig.SecureKey), carry an authentication value
// that verifies (else ErrAuthValue); invalid ones are dropped.
//
// # Time
//
// The client keeps its own clock, advanced by the times passed to its
// methods: a time earlier than the last one is taken as no time passing
// since the last call, so a clock stepped backward never stretches a timer
// beyond the time it had left at that call, and one stepped forward (a
// resume from suspend) makes every due timer fire once, not once per missed
// period. NextDeadline is expressed in the caller's time as of its last
// call.
//
// A Client is not safe for concurrent use.
type Client struct {
	servers []clientServer
	local   netip.AddrPort
	refresh time.Duration
	cls     *addr.Classifier
	rand    io.Reader
	noRestr bool
	auth    *Authenticator // secure qualification; nil: nonce only

	state    ClientState
	idx      int           // current server
	backoffs int           // consecutive back-offs
	backEnd  time.Duration // end of the back-off

	clockSet bool
	lastNow  time.Time     // the latest time passed in
	clock    time.Duration // engine time: sum of the forward steps

	probes [numProbes]probe
	det    detPhase
	nat    NATType

	mapped   netip.AddrPort
	teredo   addr.Teredo
	address  netip.Addr
	flags    uint16
	flagsFor netip.AddrPort // the mapping flags were drawn for
	mtu      uint32
	lastRecv time.Duration // last datagram from the primary server address
	refIn    time.Duration // the current randomized refresh interval
	lastErr  error

	pkt     Packet
	buf     []byte // payloads of the datagrams of the current call
	rnd     [8]byte
	rndCtr  uint64
	discard ClientOutput
}

type clientServer struct{ primary, secondary netip.Addr }

// NewClient returns a stopped client configured by cfg. It returns an error
// wrapping [ErrClientConfig] if cfg names no server, a server or secondary
// address that is not a global IPv4 address (see ClientConfig.Global), a
// secondary equal to its primary, a negative RefreshInterval, or a
// ClientID longer than 255 bytes or without SecureKey.
func NewClient(cfg ClientConfig) (*Client, error) {
	if len(cfg.Servers) == 0 {
		return nil, fmt.Errorf("%w: no server", ErrClientConfig)
	}
	if cfg.RefreshInterval < 0 {
		return nil, fmt.Errorf("%w: negative refresh interval %v", ErrClientConfig, cfg.RefreshInterval)
	}
	var auth *Authenticator
	switch {
	case len(cfg.SecureKey) > 0:
		a, err := NewAuthenticator(cfg.ClientID, cfg.SecureKey)
		if err != nil {
			return nil, fmt.Errorf("%w: client identifier of %d bytes (at most 255)", ErrClientConfig, len(cfg.ClientID))
		}
		auth = a
	case len(cfg.ClientID) > 0:
		return nil, fmt.Errorf("%w: client identifier without secure key", ErrClientConfig)
	}
	c := &Client{
		local:   netip.AddrPortFrom(cfg.Local.Addr().Unmap(), cfg.Local.Port()),
		refresh: cfg.RefreshInterval,
		cls:     addr.NewClassifier(cfg.Global...),
		rand:    cfg.Rand,
		noRestr: cfg.SkipRestrictedProbe,
		auth:    auth,
		buf:     make([]byte, 0, 1024),
	}
	if auth != nil { // room for the indicators of a call's solicitations
		c.buf = make([]byte, 0, 1024+int(numProbes)*(len(cfg.ClientID)+auth.Size()))
	}
	if c.refresh == 0 {
		c.refresh = DefaultRefreshInterval
	}
	if c.rand == nil {
		c.rand = crand.Reader
	}
	if cfg.Local.IsValid() && !c.local.Addr().Is4() {
		return nil, fmt.Errorf("%w: local address %v is not IPv4", ErrClientConfig, cfg.Local)
	}
	for i, p := range cfg.Servers {
		p = p.Unmap()
		var s netip.Addr
		if i < len(cfg.Secondaries) {
			s = cfg.Secondaries[i].Unmap()
		}
		if p.Is4() && !s.IsValid() {
			s = p.Next()
		}
		for _, a := range [2]netip.Addr{p, s} {
			if !c.cls.IsGlobalIPv4(a) {
				return nil, fmt.Errorf("%w: server address %v is not a global IPv4 address", ErrClientConfig, a)
			}
		}
		if p == s {
			return nil, fmt.Errorf("%w: server %v is its own secondary address", ErrClientConfig, p)
		}
		c.servers = append(c.servers, clientServer{p, s})
	}
	return c, nil
}

// State returns the client's state. It does not allocate.
func (c *Client) State() ClientState { return c.state }

// Addr returns the client's Teredo address, or the zero Addr unless it is
// qualified. It does not allocate.
func (c *Client) Addr() netip.Addr { return c.address }

// Status returns a snapshot of the client. It does not allocate.
func (c *Client) Status() ClientStatus {
	s := ClientStatus{
		State:           c.state,
		NAT:             c.nat,
		Local:           c.local,
		RefreshInterval: c.refresh,
		LastError:       c.lastErr,
	}
	if c.state != ClientStopped {
		s.Server, s.Secondary = c.servers[c.idx].primary, c.servers[c.idx].secondary
	}
	if c.state == ClientQualified {
		s.Mapped, s.Addr, s.Teredo = c.mapped, c.address, c.teredo
		s.PortPreserving = c.portPreserving()
		s.MTU = int(c.mtu)
		if s.MTU == 0 {
			s.MTU = MinMTU
		}
		s.NextRefresh = c.wall(c.lastRecv + c.refIn)
	}
	return s
}

// portPreserving reports whether the NAT kept the local port: the mapped
// port is Local's, the mapped address is not.
func (c *Client) portPreserving() bool {
	return c.local.Port() != 0 && c.mapped.Port() == c.local.Port() && c.mapped.Addr() != c.local.Addr()
}

// NextDeadline returns when the client wants Tick to be called: the next
// retransmission, refresh or end of back-off. A time in the past means now.
// It returns the zero Time when the client is stopped. Calling Tick earlier
// or more often does no harm. It does not allocate.
func (c *Client) NextDeadline() time.Time {
	d, ok := c.nextDeadline()
	if !ok {
		return time.Time{}
	}
	return c.wall(d)
}

func (c *Client) nextDeadline() (time.Duration, bool) {
	switch c.state {
	case ClientStopped:
		return 0, false
	case ClientOffline:
		return c.backEnd, true
	}
	var d time.Duration
	ok := false
	for i := range c.probes {
		if p := &c.probes[i]; p.active && (!ok || p.deadline < d) {
			d, ok = p.deadline, true
		}
	}
	if r, due := c.refreshDue(); due && (!ok || r < d) {
		d, ok = r, true
	}
	return d, ok
}

// refreshDue returns when the next refresh is due, if one is to be made:
// qualified and no refresh running.
func (c *Client) refreshDue() (time.Duration, bool) {
	if c.state != ClientQualified || c.probes[probePrimary].active {
		return 0, false
	}
	return c.lastRecv + c.refIn, true
}

// wall converts engine time d to the caller's time.
func (c *Client) wall(d time.Duration) time.Time { return c.lastNow.Add(d - c.clock) }

// begin starts a call at now: it advances the clock and clears o (or the
// client's own output if o is nil) and the payload buffer.
func (c *Client) begin(now time.Time, o *ClientOutput) *ClientOutput {
	switch {
	case !c.clockSet:
		c.clockSet = true
	case now.After(c.lastNow):
		c.clock += now.Sub(c.lastNow)
	}
	c.lastNow = now
	if o == nil {
		o = &c.discard
	}
	o.reset()
	c.buf = c.buf[:0]
	return o
}

// Start starts a stopped client at time now: it sends the first Router
// Solicitations to the first server into o. It does nothing if the client
// is already started.
func (c *Client) Start(now time.Time, o *ClientOutput) {
	o = c.begin(now, o)
	if c.state != ClientStopped {
		return
	}
	c.backoffs = 0
	c.lastErr = nil
	c.probeServer(0, o)
}

// Stop stops the client at time now: its address, if any, is lost (an
// EventAddressLost in o) and it sends nothing more until started again.
func (c *Client) Stop(now time.Time, o *ClientOutput) {
	o = c.begin(now, o)
	if c.state == ClientStopped {
		return
	}
	c.withdraw(o)
	c.stopProbes()
	c.nat = NATUnknown
	c.setState(ClientStopped, o)
}

// Tick runs the timers due at time now: retransmissions, the NAT test's
// next step, refreshes, server failover and the end of a back-off. Call it
// at NextDeadline. With a caller's ClientOutput of sufficient capacity it
// does not allocate.
func (c *Client) Tick(now time.Time, o *ClientOutput) {
	o = c.begin(now, o)
	switch c.state {
	case ClientStopped:
		return
	case ClientOffline:
		if c.clock >= c.backEnd {
			c.probeServer(0, o)
		}
		return
	}
	server := c.idx
	for _, k := range probeOrder {
		p := &c.probes[k]
		if !p.active || c.clock < p.deadline {
			continue
		}
		if p.tries < QualificationTries {
			c.sendRS(k, o)
			continue
		}
		p.active = false
		c.probeFailed(k, o)
		if c.state != ClientProbing && c.state != ClientQualified || c.idx != server {
			return // failed over or backing off: the new server's probes run from now
		}
	}
	if r, due := c.refreshDue(); due && c.clock >= r {
		c.startProbe(probePrimary, o)
	}
}

// HandleDatagram processes the UDP payload of a datagram received at time
// now from from on the Teredo socket.
//
// A Router Advertisement (an ICMPv6 type 134 message) is for the control
// plane: if it answers one of the client's solicitations and is valid it is
// consumed, and o may receive datagrams and events; else HandleDatagram
// returns why it was dropped. Any other Teredo packet is passed up in o.Data
// while the client is qualified, and refused with [ErrNotQualified] while
// it is not. A datagram that is not a Teredo packet is refused with the
// error of Packet.Decode. Every decodable datagram from the primary server
// address and port 3544 postpones the next refresh (RFC 4380 §5.2.5).
//
// The errors: those of Packet.Decode and ValidateRouterAdvertisement,
// [ErrRANoAuth] or [ErrRANonce] for an advertisement that echoes no nonce of
// the client's, [ErrAuthValue] for one whose authentication value does not
// verify (with ClientConfig.SecureKey), [ErrRAMapped], [ErrNotQualified].
// With a caller's
// ClientOutput of sufficient capacity it does not allocate.
func (c *Client) HandleDatagram(now time.Time, from netip.AddrPort, payload []byte, o *ClientOutput) error {
	o = c.begin(now, o)
	if c.state == ClientStopped {
		return ErrNotQualified
	}
	if err := c.pkt.Decode(payload); err != nil {
		return err
	}
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	srv := &c.servers[c.idx]
	fromServer := from.Port() == ServerPort && (from.Addr() == srv.primary || from.Addr() == srv.secondary)
	if fromServer && from.Addr() == srv.primary {
		c.lastRecv = c.clock
	}
	if isRA(c.pkt.IPv6()) {
		return c.handleRA(from, o)
	}
	if c.state != ClientQualified {
		return ErrNotQualified
	}
	o.Data, o.FromServer = c.pkt, fromServer
	return nil
}

// isRA reports whether ip carries an ICMPv6 Router Advertisement, which
// only the control plane may act on.
func isRA(ip packet.IPv6) bool {
	b := ip.Payload()
	return ip.NextHeader() == packet.ProtoICMPv6 && len(b) > 0 && b[0] == packet.ICMPv6RouterAdvertisement
}

// setState enters s, with an EventStateChanged if it is a change.
func (c *Client) setState(s ClientState, o *ClientOutput) {
	if c.state == s {
		return
	}
	c.state = s
	o.event(ClientEvent{Kind: EventStateChanged, State: s, Server: c.servers[c.idx].primary})
}

// withdraw drops the address, with an EventAddressLost, if there is one.
func (c *Client) withdraw(o *ClientOutput) {
	if !c.address.IsValid() {
		return
	}
	o.event(ClientEvent{Kind: EventAddressLost, State: c.state, Server: c.teredo.Server, Addr: c.address})
	c.address, c.teredo, c.mapped, c.mtu = netip.Addr{}, addr.Teredo{}, netip.AddrPort{}, 0
}

// rand64 returns 64 bits from the random source. If it fails, the client
// records ErrRandom and goes on with a counter mixed by SplitMix64, so that
// nonces still differ.
func (c *Client) rand64() uint64 {
	if _, err := io.ReadFull(c.rand, c.rnd[:]); err != nil {
		c.lastErr = ErrRandom
		c.rndCtr += 0x9e3779b97f4a7c15
		z := c.rndCtr
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		return z ^ z>>31
	}
	return uint64(c.rnd[0])<<56 | uint64(c.rnd[1])<<48 | uint64(c.rnd[2])<<40 | uint64(c.rnd[3])<<32 |
		uint64(c.rnd[4])<<24 | uint64(c.rnd[5])<<16 | uint64(c.rnd[6])<<8 | uint64(c.rnd[7])
}

// uniform returns a duration drawn uniformly in [lo, hi].
func (c *Client) uniform(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(c.rand64()%uint64(hi-lo+1))
}
