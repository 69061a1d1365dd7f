package netns

import (
	"bytes"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// StopTimeout is how long [Proc.Stop] waits after SIGTERM before it sends
// SIGKILL.
const StopTimeout = 5 * time.Second

// Proc is a background process started in a namespace by [NS.Start].
type Proc struct {
	cmd    *exec.Cmd
	args   string
	stdout syncBuffer
	stderr syncBuffer
	done   chan struct{}
	err    error // set before done is closed
}

// Start starts args in the namespace in the background, in a process group
// of its own, with standard output and error captured (see [Proc.Stdout]),
// and returns once the process is inside the namespace.
// A process that cannot start fails t. The process is stopped by a
// t.Cleanup, and by the namespace's cleanup if that comes first; when t has
// failed, its output is logged then.
func (n *NS) Start(t testing.TB, args ...string) *Proc {
	t.Helper()
	p := &Proc{cmd: n.Command(args...), args: strings.Join(args, " "), done: make(chan struct{})}
	p.cmd.Stdout = &p.stdout
	p.cmd.Stderr = &p.stderr
	// A group of its own, so Stop reaches the children of a shell or a
	// daemon too, and a ^C to the test does not reach it twice.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("in %s: start %s: %v", n.name, p.args, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	n.mu.Lock()
	n.procs = append(n.procs, p)
	n.mu.Unlock()
	// ip enters the namespace after it starts: wait for that, so that the
	// namespace's cleanup (which finds processes by namespace) sees it.
	for start := time.Now(); !n.Contains(p.Pid()) && !p.Exited(); time.Sleep(time.Millisecond) {
		if time.Since(start) > StopTimeout {
			t.Fatalf("in %s: %s never entered the namespace", n.name, p.args)
		}
	}
	t.Cleanup(func() {
		_ = p.Stop() // an exit status is not a cleanup error
		if t.Failed() {
			t.Logf("in %s: %s (%v)\nstdout:\n%s\nstderr:\n%s", n.name, p.args, p.err, p.Stdout(), p.Stderr())
		}
	})
	return p
}

// Pid returns the process ID (which is also its process group ID).
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Wait waits for the process to exit and returns its exit error, as
// exec.Cmd.Wait does. It may be called several times and concurrently.
func (p *Proc) Wait() error {
	<-p.done
	return p.err
}

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM to the process group, waits up to StopTimeout for the
// process to exit, then sends SIGKILL, and returns what Wait returns: nil
// only for a process that exited with status 0 (such as a daemon that
// shuts down cleanly on SIGTERM). Stopping an exited process just returns
// its status.
func (p *Proc) Stop() error {
	if p.Exited() {
		return p.err
	}
	_ = syscall.Kill(-p.Pid(), syscall.SIGTERM)
	timer := time.NewTimer(StopTimeout)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
		<-p.done
	}
	// Reap what is left of the group (children that ignored SIGTERM).
	_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	return p.err
}

// Stdout returns what the process has written to standard output so far.
func (p *Proc) Stdout() string { return p.stdout.String() }

// Stderr returns what the process has written to standard error so far.
func (p *Proc) Stderr() string { return p.stderr.String() }

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
