package netns

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transit6/transit6/internal/interop"
)

// Documentation addresses (RFC 5737, RFC 3849) for the two ends of a link.
var (
	a4 = netip.MustParsePrefix("192.0.2.1/24")
	b4 = netip.MustParsePrefix("192.0.2.2/24")
	a6 = netip.MustParsePrefix("2001:db8:6::1/64")
	b6 = netip.MustParsePrefix("2001:db8:6::2/64")
)

// pair returns two namespaces joined by a veth pair ("veth-a" in a,
// "veth-b" in b) carrying both the IPv4 and the IPv6 prefixes above.
func pair(t *testing.T) (a, b *NS) {
	t.Helper()
	a, b = New(t, "a"), New(t, "b")
	Link(t, a, "veth-a", a4, b, "veth-b", b4)
	a.AddAddr(t, "veth-a", a6)
	b.AddAddr(t, "veth-b", b6)
	return a, b
}

func TestOwner(t *testing.T) {
	for _, tc := range []struct {
		name string
		pid  int
		err  error
	}{
		{"t6-4242-9f3c1a-tun", 4242, nil},
		{"t6-1-000000", 1, nil},
		{"t6-4242", 0, ErrBadName},          // no random part
		{"t6--9f3c1a", 0, ErrBadName},       // empty PID
		{"t6-0-9f3c1a", 0, ErrBadName},      // PID 0 is no process
		{"t6-x42-9f3c1a", 0, ErrBadName},    // not a number
		{"t7-4242-9f3c1a", 0, ErrBadName},   // someone else's prefix
		{"blue-4242-9f3c1a", 0, ErrBadName}, // not ours at all
	} {
		pid, err := Owner(tc.name)
		assert.Equal(t, tc.pid, pid, tc.name)
		assert.ErrorIs(t, err, tc.err, tc.name)
	}
}

func TestUniqueName(t *testing.T) {
	n1, n2 := uniqueName("a b/c!d-éé-0123456789abcdef"), uniqueName("a b/c!d-éé-0123456789abcdef")
	assert.NotEqual(t, n1, n2)
	pid, err := Owner(n1)
	require.NoError(t, err)
	assert.Equal(t, syscall.Getpid(), pid)
	// Only [A-Za-z0-9-] survive, at most 16 of them.
	assert.True(t, strings.HasSuffix(n1, "-abcd--0123456789"), n1)
}

func TestLinkPing(t *testing.T) {
	a, _ := pair(t)
	interop.LookPath(t, "ping")
	a.Run(t, "ping", "-c1", "-W5", b4.Addr().String())
	a.Run(t, "ping", "-6", "-c1", "-W5", b6.Addr().String())
}

// TestLinkUDP sends datagrams between sockets made in the two namespaces by
// Exec, over IPv4 and IPv6, and checks each socket sees only its own
// namespace's interfaces.
func TestLinkUDP(t *testing.T) {
	a, b := pair(t)
	for _, dst := range []netip.Addr{b4.Addr(), b6.Addr()} {
		var rx, tx *net.UDPConn
		b.Exec(t, func() (err error) {
			rx, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, 0)))
			return err
		})
		defer rx.Close()
		a.Exec(t, func() (err error) {
			tx, err = net.DialUDP("udp", nil, rx.LocalAddr().(*net.UDPAddr))
			return err
		})
		defer tx.Close()
		// The sockets work from any goroutine once made.
		_, err := tx.Write([]byte("hello " + dst.String()))
		require.NoError(t, err)
		buf := make([]byte, 100)
		require.NoError(t, rx.SetReadDeadline(time.Now().Add(10*time.Second))) // liveness guard only
		n, from, err := rx.ReadFromUDPAddrPort(buf)
		require.NoError(t, err)
		assert.Equal(t, "hello "+dst.String(), string(buf[:n]))
		assert.Equal(t, tx.LocalAddr().(*net.UDPAddr).AddrPort(), from)
	}
}

func TestExecSeesNamespace(t *testing.T) {
	a, _ := pair(t)
	var inside []string
	a.Exec(t, func() error {
		ifs, err := net.Interfaces()
		for _, i := range ifs {
			inside = append(inside, i.Name)
		}
		return err
	})
	slices.Sort(inside)
	assert.Equal(t, []string{"lo", "veth-a"}, inside)

	// The calling goroutine's thread never moved.
	outside, err := net.InterfaceByName("veth-a")
	if err == nil {
		t.Fatalf("veth-a visible outside the namespace: %+v", outside)
	}

	// fn's error comes back as is.
	errTest := errors.New("from fn")
	assert.ErrorIs(t, a.Do(func() error { return errTest }), errTest)
}

func TestSysctl(t *testing.T) {
	a := New(t, "sysctl")
	a.Sysctl(t, "net.ipv6.conf.all.forwarding", "1")
	assert.Equal(t, "1\n", a.Output(t, "cat", "/proc/sys/net/ipv6/conf/all/forwarding"))
	a.Sysctl(t, "net.ipv6.conf.all.forwarding", "0")
	assert.Equal(t, "0\n", a.Output(t, "cat", "/proc/sys/net/ipv6/conf/all/forwarding"))
}

func TestOutput(t *testing.T) {
	a := New(t, "out")
	assert.Contains(t, a.Output(t, "ip", "-o", "link", "show", "lo"), "UP")

	// A failing command reports its status and standard error.
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"sh", "-c", "echo to-out; echo to-err >&2; exit 3"}, []string{"exit status 3", "to-out", "to-err"}},
		{[]string{"/nonexistent/binary"}, []string{"/nonexistent/binary"}},
	} {
		rec := &recorder{TB: t}
		a.Output(rec, tc.args...)
		require.Len(t, rec.fatals, 1, tc.args)
		for _, w := range tc.want {
			assert.Contains(t, rec.fatals[0], w, tc.args)
		}
	}
}

// recorder is a testing.TB whose Fatalf only records, so tests can check
// what the harness reports on failure.
type recorder struct {
	testing.TB
	fatals []string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
}

func TestStartStop(t *testing.T) {
	a := New(t, "proc")

	p := a.Start(t, "sh", "-c", "echo to-out; echo to-err >&2")
	require.NoError(t, p.Wait())
	assert.Equal(t, "to-out\n", p.Stdout())
	assert.Equal(t, "to-err\n", p.Stderr())
	assert.True(t, p.Exited())

	// SIGTERM ends sleep; Stop reports how.
	p = a.Start(t, "sleep", "1000")
	assert.False(t, p.Exited())
	assert.True(t, a.Contains(p.Pid()), "Start returns once the process is inside")
	assert.False(t, a.Contains(syscall.Getpid()))
	err := p.Stop()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, syscall.SIGTERM, ee.Sys().(syscall.WaitStatus).Signal())
	assert.Equal(t, err, p.Stop(), "a second Stop returns the same status")

	// A process that ignores SIGTERM is killed after StopTimeout; its
	// child, in the same group, goes with it.
	p = a.Start(t, "sh", "-c", "trap '' TERM; sleep 1000 & echo $!; wait")
	pid := readPid(t, p)
	require.ErrorAs(t, p.Stop(), &ee)
	assert.Equal(t, syscall.SIGKILL, ee.Sys().(syscall.WaitStatus).Signal())
	waitGone(t, pid)

	// A daemon that exits 0 on SIGTERM gets nil from Stop.
	p = a.Start(t, "sh", "-c", "trap 'exit 0' TERM; echo ready; while :; do sleep 0.05; done")
	readPid(t, p) // waits for "ready": the trap is set
	assert.NoError(t, p.Stop())
}

// readPid waits until p printed a first line and returns it as a number
// (or 0 if it is not one).
func readPid(t *testing.T, p *Proc) int {
	t.Helper()
	for !strings.Contains(p.Stdout(), "\n") {
		require.False(t, p.Exited(), "exited early: %s", p.Stderr())
		time.Sleep(10 * time.Millisecond)
	}
	var pid int
	fmt.Sscan(p.Stdout(), &pid)
	return pid
}

// waitGone waits until process pid is gone or a zombie.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for i := 0; alive(pid); i++ {
		require.Less(t, i, 1000, "process %d still alive", pid) // liveness guard, 10 s
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCleanupOrder checks what a test's cleanup leaves: after a subtest
// that started tracked and untracked processes in its namespace returns,
// the namespace is gone and so are all the processes.
func TestCleanupOrder(t *testing.T) {
	var name string
	var tracked *Proc
	var untracked *exec.Cmd
	t.Run("inner", func(t *testing.T) {
		a := New(t, "order")
		name = a.Name()
		tracked = a.Start(t, "sleep", "1000")
		untracked = a.Command("sleep", "1000")
		untracked.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		require.NoError(t, untracked.Start())
		t.Cleanup(func() { // a backstop only: the namespace's cleanup, which runs first, must kill it
			_ = untracked.Process.Kill()
		})
		// Wait until ip has moved it into the namespace: a process still on
		// its way in is invisible to `ip netns pids`.
		for i := 0; !a.Contains(untracked.Process.Pid); i++ {
			require.Less(t, i, 1000, "process never entered the namespace") // liveness guard, 10 s
			time.Sleep(10 * time.Millisecond)
		}
		names, err := List()
		require.NoError(t, err)
		require.Contains(t, names, name)
	})
	names, err := List()
	require.NoError(t, err)
	assert.NotContains(t, names, name)
	assert.True(t, tracked.Exited())
	// The untracked process was killed by the namespace cleanup (SIGKILL),
	// before the backstop.
	err = untracked.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, syscall.SIGKILL, ee.Sys().(syscall.WaitStatus).Signal())
}
