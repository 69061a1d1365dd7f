package netns

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/transit6/transit6/internal/interop"
)

// Prefix starts the name of every namespace the harness creates. Nothing
// else on the machine should use it: CleanStale deletes namespaces with this
// prefix whose creator has exited.
const Prefix = "t6-"

// RunDir is where iproute2 keeps the bind mounts that name namespaces.
const RunDir = "/var/run/netns"

// NS is a named network namespace created by [New] for one test. Its methods
// may be called from several goroutines.
type NS struct {
	name string
	ip   string // path of iproute2's ip

	mu    sync.Mutex
	procs []*Proc
}

var staleOnce sync.Once

// New creates a fresh network namespace for t, with lo up, and registers a
// t.Cleanup that stops every process started in it, kills any other process
// still inside, and deletes it. label (letters, digits and '-'; other bytes
// are dropped, and it is cut to 16 bytes) only helps a person reading `ip
// netns list`; names are unique whatever the label.
//
// New calls interop.Unavailable unless the test runs as root with ip in
// PATH. The first call in a process removes stale namespaces (see
// [CleanStale]).
func New(t testing.TB, label string) *NS {
	t.Helper()
	interop.RequireRoot(t)
	ip := interop.LookPath(t, "ip")
	staleOnce.Do(func() {
		if err := CleanStale(); err != nil {
			t.Logf("netns: removing stale namespaces: %v", err)
		}
	})
	n := &NS{name: uniqueName(label), ip: ip}
	if out, err := exec.Command(ip, "netns", "add", n.name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", n.name, err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if err := n.destroy(); err != nil {
			t.Errorf("netns: cleaning up %s: %v", n.name, err)
		}
	})
	n.IP(t, "link", "set", "lo", "up")
	return n
}

// uniqueName returns Prefix + PID + random hex + the sanitized label.
func uniqueName(label string) string {
	var r [3]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read never fails (Go 1.24+)
	clean := make([]byte, 0, 16)
	for i := 0; i < len(label) && len(clean) < 16; i++ {
		c := label[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' {
			clean = append(clean, c)
		}
	}
	name := Prefix + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(r[:])
	if len(clean) > 0 {
		name += "-" + string(clean)
	}
	return name
}

// Owner returns the PID of the process that created the harness namespace
// called name, or [ErrBadName] if name does not have the harness's form.
func Owner(name string) (int, error) {
	rest, ok := strings.CutPrefix(name, Prefix)
	if !ok {
		return 0, ErrBadName
	}
	pid, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, ErrBadName
	}
	n, err := strconv.Atoi(pid)
	if err != nil || n <= 0 {
		return 0, ErrBadName
	}
	return n, nil
}

// Name returns the namespace's name, as `ip netns` knows it.
func (n *NS) Name() string { return n.name }

// Path returns the namespace's bind mount under RunDir, which setns(2),
// netlink.NewHandleAt and similar accept.
func (n *NS) Path() string { return filepath.Join(RunDir, n.name) }

// Command returns an unstarted command that runs args in the namespace via
// `ip netns exec`, for callers that need more control than Run and Start
// give (expected failures, stdin, environment).
func (n *NS) Command(args ...string) *exec.Cmd {
	return exec.Command(n.ip, append([]string{"netns", "exec", n.name}, args...)...)
}

// Output runs args in the namespace and returns its standard output. A
// command that fails (cannot start, exits non-zero) fails t with its
// standard error.
func (n *NS) Output(t testing.TB, args ...string) string {
	t.Helper()
	cmd := n.Command(args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("in %s: %s: %v\nstdout: %s\nstderr: %s", n.name, strings.Join(args, " "), err,
			bytes.TrimSpace(out), bytes.TrimSpace(stderr.Bytes()))
	}
	return string(out)
}

// Run runs args in the namespace like Output, discarding standard output.
func (n *NS) Run(t testing.TB, args ...string) {
	t.Helper()
	n.Output(t, args...)
}

// IP runs `ip -n NAME args...`, iproute2 acting on this namespace, and
// fails t with ip's output on error.
func (n *NS) IP(t testing.TB, args ...string) {
	t.Helper()
	out, err := exec.Command(n.ip, append([]string{"-n", n.name}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip -n %s %s: %v: %s", n.name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
}

// AddAddr adds the address prefix p to interface ifname. IPv6 addresses are
// added with nodad, so tests never wait for Duplicate Address Detection
// (RFC 4862 §5.4) on links they built themselves. If the interface is up,
// AddAddr returns once the address is usable (see [NS.WaitAddr]).
func (n *NS) AddAddr(t testing.TB, ifname string, p netip.Prefix) {
	t.Helper()
	args := []string{"addr", "add", p.String(), "dev", ifname}
	if p.Addr().Is6() {
		args = append(args, "nodad")
	}
	n.IP(t, args...)
	out, err := exec.Command(n.ip, "-n", n.name, "-o", "link", "show", "dev", ifname).Output()
	if err == nil && bytes.Contains(out, []byte(",LOWER_UP")) {
		n.WaitAddr(t, p.Addr())
	}
}

// addrReadyTimeout bounds WaitAddr.
const addrReadyTimeout = 5 * time.Second

// WaitAddr waits until the kernel delivers packets to local address a.
// Even with nodad, Linux finishes adding an IPv6 address on a work queue
// once the link is up, and until then drops packets to it
// (Ip6InAddrErrors); a test that sends at once would be flaky. It fails t
// if that takes more than a few seconds.
func (n *NS) WaitAddr(t testing.TB, a netip.Addr) {
	t.Helper()
	family := "-4"
	if a.Is6() {
		family = "-6"
	}
	var out []byte
	for start := time.Now(); time.Since(start) < addrReadyTimeout; time.Sleep(time.Millisecond) {
		var err error
		out, err = exec.Command(n.ip, "-n", n.name, family, "route", "show", "table", "local", a.String()).CombinedOutput()
		if err == nil && bytes.HasPrefix(out, []byte("local ")) {
			return
		}
	}
	t.Fatalf("in %s: address %s not usable after %v: %s", n.name, a, addrReadyTimeout, bytes.TrimSpace(out))
}

// Sysctl sets the namespace's sysctl key (dotted, "net.ipv6.conf.all.forwarding")
// to value. Only per-namespace keys (net.*) make sense here: others would
// change the host.
func (n *NS) Sysctl(t testing.TB, key, value string) {
	t.Helper()
	if !strings.HasPrefix(key, "net.") {
		t.Fatalf("netns: sysctl %s is not per-namespace", key)
	}
	path := filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/"))
	n.Exec(t, func() error { return os.WriteFile(path, []byte(value), 0) })
}

// Link creates a veth pair between namespaces a and b, named aIf in a and
// bIf in b, adds aAddr and bAddr (either may be the zero Prefix for none;
// IPv6 ones with nodad) and brings both ends up, returning once the
// addresses are usable. The pair is created inside
// a with its peer moved straight into b, so the root namespace never sees
// it. More addresses can be added with [NS.AddAddr].
func Link(t testing.TB, a *NS, aIf string, aAddr netip.Prefix, b *NS, bIf string, bAddr netip.Prefix) {
	t.Helper()
	a.IP(t, "link", "add", aIf, "type", "veth", "peer", "name", bIf, "netns", b.name)
	if aAddr.IsValid() {
		a.AddAddr(t, aIf, aAddr)
	}
	if bAddr.IsValid() {
		b.AddAddr(t, bIf, bAddr)
	}
	a.IP(t, "link", "set", aIf, "up")
	b.IP(t, "link", "set", bIf, "up")
	if aAddr.IsValid() {
		a.WaitAddr(t, aAddr.Addr())
	}
	if bAddr.IsValid() {
		b.WaitAddr(t, bAddr.Addr())
	}
}

// destroy stops the processes started in n, kills every other process in
// it, and deletes it.
func (n *NS) destroy() error {
	n.mu.Lock()
	procs := n.procs
	n.procs = nil
	n.mu.Unlock()
	for _, p := range procs {
		_ = p.Stop() // an exit status is not a cleanup error
	}
	var errs []error
	if err := killAll(n.ip, n.name); err != nil {
		errs = append(errs, err)
	}
	if out, err := exec.Command(n.ip, "netns", "del", n.name).CombinedOutput(); err != nil {
		errs = append(errs, fmt.Errorf("ip netns del: %v: %s", err, bytes.TrimSpace(out)))
	}
	return errors.Join(errs...)
}

// killAll sends SIGKILL to every process in the named namespace other than
// this one (a thread of ours may have been inside it; see Exec).
func killAll(ip, name string) error {
	out, err := exec.Command(ip, "netns", "pids", name).Output()
	if err != nil {
		return fmt.Errorf("ip netns pids: %w", err)
	}
	self := os.Getpid()
	for _, f := range strings.Fields(string(out)) {
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 1 || pid == self {
			continue
		}
		_ = syscall.Kill(pid, syscall.SIGKILL) // it may have exited meanwhile
	}
	return nil
}

// List returns the names of all namespaces with the harness's Prefix,
// whoever created them.
func List() ([]string, error) {
	ents, err := os.ReadDir(RunDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), Prefix) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Owned returns the names of the harness namespaces created by this process
// that still exist. After every test's cleanup has run it should be empty;
// anything else is a leak.
func Owned() ([]string, error) {
	all, err := List()
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	var mine []string
	for _, name := range all {
		if pid, err := Owner(name); err == nil && pid == self {
			mine = append(mine, name)
		}
	}
	return mine, nil
}

// CleanStale deletes the harness namespaces whose creating process no longer
// exists (a test binary killed before its cleanups ran), after killing the
// processes left inside them. Namespaces of live processes, such as another
// test binary running in parallel, are left alone. It needs root and ip.
func CleanStale() error {
	ip, err := exec.LookPath("ip")
	if err != nil {
		return err
	}
	names, err := List()
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		pid, err := Owner(name)
		if err != nil || alive(pid) {
			continue
		}
		// Another test binary may be removing the same namespace: one that
		// has vanished meanwhile is not an error.
		if err := killAll(ip, name); err != nil && exists(name) {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
		if out, err := exec.Command(ip, "netns", "del", name).CombinedOutput(); err != nil && exists(name) {
			errs = append(errs, fmt.Errorf("ip netns del %s: %v: %s", name, err, bytes.TrimSpace(out)))
		}
	}
	return errors.Join(errs...)
}

// Contains reports whether process pid is in the namespace.
func (n *NS) Contains(pid int) bool {
	var want, got syscall.Stat_t
	if syscall.Stat(n.Path(), &want) != nil || syscall.Stat("/proc/"+strconv.Itoa(pid)+"/ns/net", &got) != nil {
		return false
	}
	return want.Dev == got.Dev && want.Ino == got.Ino
}

// exists reports whether the named namespace exists.
func exists(name string) bool {
	_, err := os.Stat(filepath.Join(RunDir, name))
	return err == nil
}

// alive reports whether process pid exists and is not a zombie.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name, which may itself
	// contain ") ".
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || (stat[i+2] != 'Z' && stat[i+2] != 'X')
}
