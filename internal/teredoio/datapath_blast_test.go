package teredoio_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The relay at saturation. iperf3 (3.12: one thread, one datagram per
// system call) offers 90 000 to 160 000 packets/s here, which the transit6
// relay forwards all of, so its packets/s against Miredo's measure the
// sender. measureBlast offers more: 1232-byte UDP datagrams sent 48 at a
// time with UDP_SEGMENT (one system call, one super-packet through the
// client's TUN or the native host's route), as fast as the sender's
// socket takes them, for benchSeconds. The sender runs in this test's
// process, so its CPU is not the relay's.

// blastSegs is the datagrams per send: 48 × 1232 bytes fit a UDP payload.
const blastSegs = 48

// blastPort is the discard port the sink socket is bound to.
const blastPort = 9

// blastSample is one saturated round's figures for one path and direction.
type blastSample struct {
	offered  float64 // datagrams/s the sender sent
	relayed  float64 // datagrams/s through the relay: received from its socket, or (reverse) IPv4 packets reaching the client
	received float64 // datagrams/s reaching the sink's UDP layer
	cpuPerM  float64 // relay CPU seconds per million relayed datagrams
}

// measureBlast runs one saturated round on p: client → native host, or
// with reverse native host → client (to its Teredo address).
func measureBlast(t *testing.T, p benchPath, reverse bool) blastSample {
	t.Helper()
	from, sink, dst := p.from, p.sink, p.dst
	if reverse {
		from, sink, dst = p.sink, p.from, p.teredo
	}
	require.True(t, dst.IsValid(), "%s: no destination", p.name)
	to := netip.AddrPortFrom(dst, blastPort)
	// A bound socket at the sink that nobody reads: what the kernel
	// delivers is counted (InDatagrams or RcvbufErrors), with no ICMPv6
	// errors and no reader competing for the CPU.
	var sc *net.UDPConn
	sink.Exec(t, func() (err error) {
		sc, err = net.ListenUDP("udp6", net.UDPAddrFromAddrPort(to))
		return err
	})
	defer sc.Close()
	var uc *net.UDPConn
	from.Exec(t, func() (err error) {
		uc, err = net.ListenUDP("udp6", nil)
		return err
	})
	defer uc.Close()
	require.NoError(t, uc.SetWriteBuffer(4<<20))

	sinkRx := func() uint64 {
		return snmpCounter(t, sink, "Udp6", "InDatagrams") + snmpCounter(t, sink, "Udp6", "RcvbufErrors")
	}
	relayed := func() uint64 {
		if reverse {
			return ipv4InPkts(t, p.from) // per segment, whatever GSO or GRO merged
		}
		return snmpCounter(t, p.relay, "Udp", "InDatagrams")
	}
	rx0, rel0, cpu0 := sinkRx(), relayed(), nsCPU(t, p.relay)
	start := time.Now()
	sent := blast(t, uc, to, time.Duration(benchSeconds)*time.Second)
	// Let the queues drain into the counters.
	time.Sleep(200 * time.Millisecond)
	secs := time.Since(start).Seconds()
	n := float64(relayed() - rel0)
	require.Positive(t, n, "%s: the relay forwarded nothing", p.name)
	s := blastSample{
		offered:  float64(sent) / secs,
		relayed:  n / secs,
		received: float64(sinkRx()-rx0) / secs,
		cpuPerM:  (nsCPU(t, p.relay) - cpu0).Seconds() / n * 1e6,
	}
	require.Positive(t, s.received, "%s: the sink received nothing", p.name)
	return s
}

// blast sends 1232-byte datagrams from c to to, blastSegs per sendmsg with
// UDP_SEGMENT, for d, and returns how many it sent.
func blast(t *testing.T, c *net.UDPConn, to netip.AddrPort, d time.Duration) uint64 {
	t.Helper()
	oob := make([]byte, unix.CmsgSpace(2))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level, h.Type = unix.SOL_UDP, unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	binary.NativeEndian.PutUint16(oob[unix.CmsgLen(0):], 1232)
	buf := make([]byte, 1232*blastSegs)
	var sent, errs uint64
	for end := time.Now().Add(d); time.Now().Before(end); {
		if _, _, err := c.WriteMsgUDPAddrPort(buf, oob, to); err != nil {
			errs++ // ENOBUFS, or an ICMP error from an earlier send
			if errs > 1000 && sent == 0 {
				t.Fatalf("blast to %v: %v", to, err)
			}
			continue
		}
		sent += blastSegs
	}
	return sent
}

// blastTable formats the medians of the saturated rounds as Markdown, with
// the transit6 / Miredo ratios per client and direction.
func blastTable(paths []benchPath, client1, client2 string, samples [][2][]blastSample) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nSaturated (UDP_SEGMENT sender, %d × 1232-byte datagrams per send, as fast as it goes); %d s rounds, median of %d\n\n",
		blastSegs, benchSeconds, len(samples[0][0]))
	b.WriteString("| path | direction | offered pkt/s | relayed pkt/s | sink pkt/s | relay CPU s / M pkts |\n")
	b.WriteString("| --- | --- | ---: | ---: | ---: | ---: |\n")
	med := make([][2]blastSample, len(paths))
	for i, p := range paths {
		if p.relay == nil {
			continue
		}
		for dir, name := range []string{"client → native", "native → client"} {
			ss := samples[i][dir]
			pick := func(f func(blastSample) float64) float64 { return medianOf(ss, f) }
			m := blastSample{
				offered:  pick(func(s blastSample) float64 { return s.offered }),
				relayed:  pick(func(s blastSample) float64 { return s.relayed }),
				received: pick(func(s blastSample) float64 { return s.received }),
				cpuPerM:  pick(func(s blastSample) float64 { return s.cpuPerM }),
			}
			med[i][dir] = m
			fmt.Fprintf(&b, "| %s | %s | %.0f | %.0f | %.0f | %.2f |\n", p.name, name, m.offered, m.relayed, m.received, m.cpuPerM)
		}
	}
	b.WriteString("\n| client | direction | relayed pkt/s, transit6 ÷ Miredo | CPU per packet, transit6 ÷ Miredo |\n| --- | --- | ---: | ---: |\n")
	for i, name := range []string{client1, client2} {
		for dir, d := range []string{"client → native", "native → client"} {
			t6, mi := med[2*i][dir], med[2*i+1][dir]
			fmt.Fprintf(&b, "| %s | %s | %.2f× | %.2f× |\n", name, d, t6.relayed/mi.relayed, t6.cpuPerM/mi.cpuPerM)
		}
	}
	return b.String()
}
