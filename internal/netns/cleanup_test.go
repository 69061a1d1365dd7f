package netns

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transit6/transit6/internal/interop"
)

// childEnv makes TestChild act, in a child test binary, as a test that
// creates a namespace, starts a process in it and then ends as the
// variable says: "fail" (t.FailNow), "panic", or "hang" (until killed).
const childEnv = "TRANSIT6_NETNS_CHILD"

func TestChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("helper for TestCleanupOnExit; runs only in a child process")
	}
	a := New(t, "child")
	p := a.Start(t, "sleep", "1000")
	fmt.Printf("NETNS %s %d\n", a.Name(), p.Pid())
	switch mode {
	case "fail":
		t.FailNow()
	case "panic":
		panic("child panics on purpose")
	case "hang":
		select {}
	}
}

// startChild runs TestChild in a child test binary and returns it with the
// namespace it created and the PID of the process it started there.
func startChild(t *testing.T, mode string) (cmd *exec.Cmd, ns string, pid int) {
	t.Helper()
	cmd = exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	var stderr syncBuffer // the child's own failure report, shown only if ours fails
	cmd.Stderr = &stderr
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("child (%s) stderr:\n%s", mode, stderr.String())
		}
	})
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "NETNS "); ok {
			_, err := fmt.Sscan(rest, &ns, &pid)
			require.NoError(t, err)
			go func() { // drain, so the child never blocks on a full pipe
				for sc.Scan() {
				}
			}()
			return cmd, ns, pid
		}
	}
	_ = cmd.Wait()
	t.Fatalf("child (%s) never reported its namespace", mode)
	return nil, "", 0
}

// TestCleanupOnExit checks the harness's promise on every exit path of a
// test: a test that fails or panics still deletes its namespace and stops
// its processes; a test binary that is killed leaves them behind, and
// CleanStale removes them.
func TestCleanupOnExit(t *testing.T) {
	interop.RequireRoot(t)
	interop.LookPath(t, "ip")
	for _, mode := range []string{"fail", "panic"} {
		t.Run(mode, func(t *testing.T) {
			cmd, ns, pid := startChild(t, mode)
			var ee *exec.ExitError
			require.ErrorAs(t, cmd.Wait(), &ee, "the child test must fail")
			names, err := List()
			require.NoError(t, err)
			assert.NotContains(t, names, ns)
			assert.False(t, alive(pid), "process in the namespace survived")
		})
	}
	t.Run("killed", func(t *testing.T) {
		cmd, ns, pid := startChild(t, "hang")
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		names, err := List()
		require.NoError(t, err)
		// A killed binary cannot clean up. (Another test binary running at
		// the same time may have removed the namespace already with its own
		// CleanStale; then there is nothing left to check but the end.)
		if slices.Contains(names, ns) {
			require.True(t, alive(pid))
		}

		require.NoError(t, CleanStale())
		names, err = List()
		require.NoError(t, err)
		assert.NotContains(t, names, ns)
		waitGone(t, pid)
	})
}

// TestCleanStaleSparesLive checks that CleanStale leaves alone the
// namespaces of live processes: this one's and another test binary's.
func TestCleanStaleSparesLive(t *testing.T) {
	a := New(t, "live")
	cmd, other, _ := startChild(t, "hang")
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		assert.NoError(t, CleanStale())
	})
	require.NoError(t, CleanStale())
	names, err := List()
	require.NoError(t, err)
	assert.Contains(t, names, a.Name())
	assert.Contains(t, names, other)
}
