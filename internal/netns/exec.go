package netns

import (
	"errors"
	"fmt"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// Exec runs fn inside the namespace and fails t with the error fn returns.
// See [NS.Do] for what fn may and may not do.
func (n *NS) Exec(t testing.TB, fn func() error) {
	t.Helper()
	if err := n.Do(fn); err != nil {
		t.Fatalf("in %s: %v", n.name, err)
	}
}

// Do runs fn on a fresh goroutine locked to its OS thread, which enters the
// namespace with setns(2) first, and returns fn's error.
//
// A network namespace belongs to a thread, not to a goroutine or a
// process: only what fn does on its own goroutine happens in the namespace.
// Goroutines that fn starts run on other threads, in the namespace of the
// process. Sockets, TUN devices and netlink handles keep the namespace they
// were created in, so fn may create them and return them for use from any
// goroutine afterwards; that is what Do is for. fn must not call t.FailNow
// (it does not run on the test goroutine): it returns an error instead.
//
// The thread is discarded afterwards: Do moves it back to its original
// namespace, but never unlocks it, so the Go runtime ends the thread when
// the goroutine exits rather than reuse a thread whose state fn may have
// changed.
func (n *NS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: see above.
		errc <- n.do(fn)
	}()
	return <-errc
}

func (n *NS) do(fn func() error) error {
	orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("%w: open own namespace: %v", ErrSetns, err)
	}
	defer unix.Close(orig)
	target, err := unix.Open(n.Path(), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("%w: open %s: %v", ErrSetns, n.Path(), err)
	}
	defer unix.Close(target)
	if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("%w: enter %s: %v", ErrSetns, n.name, err)
	}
	ferr := fn()
	if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
		return errors.Join(ferr, fmt.Errorf("%w: leave %s: %v", ErrSetns, n.name, err))
	}
	return ferr
}
