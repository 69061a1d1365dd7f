// Package interop holds the shared plumbing of transit6's tests against real
// peers (ipv6calc, Python, tshark, Miredo, OpenSSL, ...): finding a tool and
// deciding whether its absence skips the test or fails it.
//
// On a developer's machine a missing tool or capability skips the test. In CI,
// .ci/run exports TRANSIT6_REQUIRE_INTEROP=1 and the same absence is a failure,
// so an interop test can never silently stop running.
package interop

import (
	"os"
	"os/exec"
	"testing"
)

// EnvRequire is the environment variable that turns skips into failures.
const EnvRequire = "TRANSIT6_REQUIRE_INTEROP"

// Required reports whether interop tests must run (TRANSIT6_REQUIRE_INTEROP is
// set to a non-empty value other than "0").
func Required() bool {
	v := os.Getenv(EnvRequire)
	return v != "" && v != "0"
}

// Unavailable skips t with reason, or fails it when interop is required.
func Unavailable(t testing.TB, reason string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s (required because %s is set)", reason, EnvRequire)
	}
	t.Skip(reason)
}

// LookPath returns the absolute path of the named tool, or calls Unavailable.
func LookPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Unavailable(t, name+" not found in PATH")
	}
	return p
}

// RequireRoot calls Unavailable unless the process runs as root, which
// namespace-based tests need.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Unavailable(t, "test needs root")
	}
}
