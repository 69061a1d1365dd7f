package netns

import (
	"fmt"
	"os"
	"testing"
)

// TestMain is the leak check: after every test of the package has run, and
// every cleanup with it, no namespace created by this process may remain.
func TestMain(m *testing.M) {
	code := m.Run()
	if os.Getenv(childEnv) == "" {
		left, err := Owned()
		if err != nil {
			fmt.Fprintf(os.Stderr, "netns leak check: %v\n", err)
			code = 1
		}
		if len(left) > 0 {
			fmt.Fprintf(os.Stderr, "netns leak check: namespaces left behind: %v\n", left)
			code = 1
		}
	}
	os.Exit(code)
}
