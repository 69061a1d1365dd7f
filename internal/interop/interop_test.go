package interop

import "testing"

func TestRequired(t *testing.T) {
	for _, tc := range []struct {
		val  string
		want bool
	}{{"", false}, {"0", false}, {"1", true}, {"yes", true}} {
		t.Setenv(EnvRequire, tc.val)
		if got := Required(); got != tc.want {
			t.Errorf("Required() with %s=%q = %v, want %v", EnvRequire, tc.val, got, tc.want)
		}
	}
}

func TestLookPathFindsShell(t *testing.T) {
	t.Setenv(EnvRequire, "1")
	if p := LookPath(t, "sh"); p == "" {
		t.Fatal("LookPath(sh) returned an empty path")
	}
}
