package teredo

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/transit6/transit6/addr"
)

// probeKind names the Router Solicitations a client sends (see Client).
type probeKind uint8

const (
	// probePrimary: no cone bit, to the primary address, answered from it:
	// qualification and refresh (RFC 4380 §5.2.1, §5.2.5).
	probePrimary probeKind = iota
	// probeCone: cone bit, to the primary address, answered from the
	// secondary: the cone test.
	probeCone
	// probeRestricted: a bubble to the secondary's discard port, then the
	// cone solicitation: the restricted test.
	probeRestricted
	// probeSecondary: no cone bit, to the secondary address, answered from
	// it: the symmetric test.
	probeSecondary
	numProbes
)

// probeOrder is the order Tick visits the probes in: the NAT test before
// the primary probe, so that a server whose every probe timed out together
// is found offline with all of them finished.
var probeOrder = [numProbes]probeKind{probeCone, probeRestricted, probeSecondary, probePrimary}

// probe is the state of one kind of solicitation.
type probe struct {
	active   bool
	tries    int           // solicitations sent
	deadline time.Duration // of the next retransmission or the timeout
	nonce    [NonceLen]byte
	prev     [NonceLen]byte // nonce of the solicitation before, still accepted
	hasNonce bool
	hasPrev  bool
}

// detPhase is the progress of the NAT test.
type detPhase uint8

const (
	detCone       detPhase = iota // the cone probe runs
	detConeFailed                 // no cone answer; next step once qualified
	detLater                      // restricted or secondary probe runs
	detDone                       // concluded (or given up)
)

// cone reports whether solicitations of kind k carry the cone bit.
func (k probeKind) cone() bool { return k == probeCone || k == probeRestricted }

// dst returns where solicitations of kind k go.
func (c *Client) dst(k probeKind) netip.AddrPort {
	s := &c.servers[c.idx]
	if k == probeSecondary {
		return netip.AddrPortFrom(s.secondary, ServerPort)
	}
	return netip.AddrPortFrom(s.primary, ServerPort)
}

// sender returns where answers to solicitations of kind k come from: the
// other address when the cone bit is set (RFC 4380 §5.3.2).
func (c *Client) sender(k probeKind) netip.AddrPort {
	s := &c.servers[c.idx]
	if k == probePrimary {
		return netip.AddrPortFrom(s.primary, ServerPort)
	}
	return netip.AddrPortFrom(s.secondary, ServerPort)
}

// startProbe starts probe k afresh and sends its first solicitation. The
// nonces of its previous run are forgotten: a delayed answer to an old
// solicitation must not pass for a new one.
func (c *Client) startProbe(k probeKind, o *ClientOutput) {
	p := &c.probes[k]
	p.active, p.tries, p.hasNonce, p.hasPrev = true, 0, false, false
	c.sendRS(k, o)
}

// sendRS sends the next solicitation of probe k with a fresh nonce.
func (c *Client) sendRS(k probeKind, o *ClientOutput) {
	p := &c.probes[k]
	p.prev, p.hasPrev = p.nonce, p.hasNonce
	binary.BigEndian.PutUint64(p.nonce[:], c.rand64())
	p.hasNonce = true
	p.tries++
	p.deadline = c.clock + QualificationTimeout
	s := &c.servers[c.idx]
	if k == probeRestricted {
		// Open the NAT toward the secondary address but not its port 3544.
		start := len(c.buf)
		b, err := AppendBubble(c.buf, nil, ClientLinkLocal(false),
			addr.TeredoServerLinkLocal(netip.AddrPortFrom(s.primary, ServerPort)), 0)
		if err == nil {
			c.buf = b
			o.Send = append(o.Send, ClientDatagram{
				To:      netip.AddrPortFrom(s.secondary, discardPort),
				Payload: c.buf[start:len(c.buf):len(c.buf)],
			})
		}
	}
	start := len(c.buf)
	h := Header{HasAuth: true, Auth: Auth{Nonce: p.nonce}}
	if c.auth != nil {
		h.Auth = c.auth.Auth(p.nonce, 0) // the value is filled in by Sign
	}
	b, err := AppendRouterSolicitation(c.buf, &h, ClientLinkLocal(k.cone()))
	if err != nil {
		return // cannot happen: a fixed link-local source, checked auth fields
	}
	if c.auth != nil {
		if err := c.auth.Sign(b[start:]); err != nil {
			return // cannot happen: the payload was just built with its AU-len
		}
	}
	c.buf = b
	o.Send = append(o.Send, ClientDatagram{To: c.dst(k), Payload: c.buf[start:len(c.buf):len(c.buf)]})
}

// stopProbes stops every probe.
func (c *Client) stopProbes() {
	for i := range c.probes {
		c.probes[i].active = false
	}
}

// probeServer starts qualifying with server i: the cone and the primary
// probes at once.
func (c *Client) probeServer(i int, o *ClientOutput) {
	c.stopProbes()
	c.idx = i
	c.nat, c.det = NATUnknown, detCone
	c.state = ClientProbing
	o.event(ClientEvent{Kind: EventStateChanged, State: ClientProbing, Server: c.servers[i].primary})
	c.startProbe(probeCone, o)
	c.startProbe(probePrimary, o)
}

// probeFailed handles probe k's last solicitation going unanswered.
func (c *Client) probeFailed(k probeKind, o *ClientOutput) {
	switch k {
	case probePrimary:
		if c.state == ClientQualified || !c.probes[probeCone].active {
			c.serverOffline(o)
		}
	case probeCone:
		c.det = detConeFailed
		if c.state == ClientQualified {
			c.nextNATStep(o)
		} else if !c.probes[probePrimary].active {
			c.serverOffline(o)
		}
	case probeRestricted:
		c.startProbe(probeSecondary, o)
	case probeSecondary:
		c.det = detDone
		c.lastErr = ErrNoSecondaryAnswer
	}
}

// nextNATStep starts the NAT test's step after a failed cone test.
func (c *Client) nextNATStep(o *ClientOutput) {
	c.det = detLater
	if c.noRestr {
		c.startProbe(probeSecondary, o)
	} else {
		c.startProbe(probeRestricted, o)
	}
}

// serverOffline gives up on the current server: the address is lost, and
// the client probes the next server, or backs off after the last.
func (c *Client) serverOffline(o *ClientOutput) {
	c.lastErr = ErrNoAnswer
	c.withdraw(o)
	o.event(ClientEvent{Kind: EventServerOffline, State: c.state, Server: c.servers[c.idx].primary, Err: ErrNoAnswer})
	if c.idx+1 < len(c.servers) {
		c.probeServer(c.idx+1, o)
		return
	}
	c.stopProbes()
	c.backoffs++
	d := ClientBackoffMax
	if c.backoffs <= 20 {
		d = min(ClientBackoffMin<<(c.backoffs-1), ClientBackoffMax)
	}
	c.backEnd = c.clock + c.uniform(d/2, d)
	c.idx = 0
	c.nat = NATUnknown
	c.setState(ClientOffline, o)
}

// match finds the probe whose current or previous solicitation carried
// nonce.
func (c *Client) match(nonce [NonceLen]byte) (probeKind, bool) {
	for i := range c.probes {
		p := &c.probes[i]
		if p.hasNonce && p.nonce == nonce || p.hasPrev && p.prev == nonce {
			return probeKind(i), true
		}
	}
	return 0, false
}

// handleRA processes the Router Advertisement in c.pkt, received from from.
func (c *Client) handleRA(from netip.AddrPort, o *ClientOutput) error {
	nonce, ok := c.pkt.Nonce()
	if !ok {
		return ErrRANoAuth
	}
	k, ok := c.match(nonce)
	if !ok {
		return ErrRANonce
	}
	sol := Solicitation{
		Src:      ClientLinkLocal(k.cone()),
		HasNonce: true,
		Nonce:    nonce,
		Server:   c.servers[c.idx].primary,
		Sender:   c.sender(k),
	}
	info, err := ValidateRouterAdvertisement(&c.pkt, from, &sol)
	if err != nil {
		return err
	}
	if c.auth != nil {
		// Secure qualification (RFC 4380 §5.2.2): the value covers the
		// nonce, the confirmation byte, the origin indication and the IPv6
		// packet; the indicator is there, as the nonce matched.
		if err := c.auth.Verify(&c.pkt); err != nil {
			return err
		}
	}
	if m := info.Mapped; m.Port() == 0 || !c.cls.IsGlobalIPv4(m.Addr()) {
		return ErrRAMapped
	}
	p := &c.probes[k]
	if !p.active {
		return nil // a late or repeated answer: nothing left to learn
	}
	p.active = false
	switch k {
	case probePrimary:
		if c.state == ClientProbing {
			c.qualify(info, o)
			return nil
		}
		c.refreshed()
		if info.Mapped != c.mapped {
			old := c.address
			c.setAddress(info)
			o.event(ClientEvent{Kind: EventAddressLost, State: c.state, Server: c.teredo.Server, Addr: old})
			o.event(ClientEvent{Kind: EventAddressAcquired, State: c.state, Server: c.teredo.Server, Addr: c.address})
		}
	case probeCone:
		if c.state == ClientProbing {
			c.qualify(info, o)
		}
		t := NATCone
		if c.local.IsValid() && info.Mapped == c.local {
			t = NATNone
		}
		c.setNAT(t, o)
	case probeRestricted:
		c.setNAT(NATRestricted, o)
	case probeSecondary:
		// A port-preserving NAT (the mapping toward the primary kept the
		// local port) that maps the secondary to another port of the same
		// address has most likely been pushed off the port by the test
		// itself: the answers it dropped from the secondary's port 3544
		// left state that claims that port pair (Linux's conntrack does,
		// for the 30 s of an unreplied UDP entry). Linux's masquerade then
		// looks symmetric toward the secondary only; toward any peer the
		// client has not been probed from first it keeps the port, which
		// is how a port-restricted NAT behaves (RFC 6081 §3.2's
		// port-preserving NAT). A NAT that preserved no port is symmetric.
		if info.Mapped == c.mapped || c.portPreserving() && info.Mapped.Addr() == c.mapped.Addr() {
			c.setNAT(NATPortRestricted, o)
		} else {
			c.setNAT(NATSymmetric, o)
		}
	}
	return nil
}

// qualify enters the qualified state with the mapping info reports.
func (c *Client) qualify(info RAInfo, o *ClientOutput) {
	c.probes[probePrimary].active = false
	c.setAddress(info)
	c.refreshed()
	c.backoffs = 0
	c.lastErr = nil
	c.setState(ClientQualified, o)
	o.event(ClientEvent{Kind: EventAddressAcquired, State: c.state, Server: c.teredo.Server, Addr: c.address})
	if c.det == detConeFailed {
		c.nextNATStep(o)
	}
}

// refreshed restarts the refresh timer with a new randomized interval.
func (c *Client) refreshed() {
	c.lastRecv = c.clock
	c.refIn = c.uniform(c.refresh*3/4, c.refresh)
}

// setAddress makes the address of the mapping and server info reports
// current. The 12 random flag bits are redrawn only for a new mapping (RFC
// 5991); the cone bit stays clear.
func (c *Client) setAddress(info RAInfo) {
	if info.Mapped != c.flagsFor {
		c.flags = uint16(c.rand64()) & addr.TeredoFlagsRandom
		c.flagsFor = info.Mapped
	}
	c.mapped, c.mtu = info.Mapped, info.MTU
	c.teredo = info.Teredo(c.flags)
	c.address = c.teredo.Addr()
}

// setNAT concludes the NAT test with type t.
func (c *Client) setNAT(t NATType, o *ClientOutput) {
	c.nat, c.det = t, detDone
	c.probes[probeCone].active = false
	c.probes[probeRestricted].active = false
	c.probes[probeSecondary].active = false
	o.event(ClientEvent{Kind: EventNATDetected, State: c.state, Server: c.servers[c.idx].primary, NAT: t})
}
