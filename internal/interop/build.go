package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Transit6Package is the import path of the transit6 command.
const Transit6Package = "github.com/transit6/transit6/cmd/transit6"

var built struct {
	sync.Mutex
	dir  string
	bins map[string]string // import path -> executable
	errs map[string]error
}

// Binary builds the main package pkg (an import path) with "go build" once
// per test process and returns the executable's path, or fails t. Tests that
// run transit6 in network namespaces share one build this way. Call
// RemoveBinaries from TestMain after m.Run to delete the build directory.
func Binary(t testing.TB, pkg string) string {
	t.Helper()
	built.Lock()
	defer built.Unlock()
	if p, ok := built.bins[pkg]; ok {
		return p
	}
	if err, ok := built.errs[pkg]; ok {
		t.Fatal(err)
	}
	if built.dir == "" {
		d, err := os.MkdirTemp("", "transit6-bin-")
		if err != nil {
			t.Fatal(err)
		}
		built.dir, built.bins, built.errs = d, map[string]string{}, map[string]error{}
	}
	p := filepath.Join(built.dir, fmt.Sprintf("bin%d-%s", len(built.bins), filepath.Base(pkg)))
	if out, err := exec.Command("go", "build", "-o", p, pkg).CombinedOutput(); err != nil {
		built.errs[pkg] = fmt.Errorf("go build %s: %v: %s", pkg, err, out)
		t.Fatal(built.errs[pkg])
	}
	built.bins[pkg] = p
	return p
}

// RemoveBinaries deletes what Binary built.
func RemoveBinaries() {
	built.Lock()
	defer built.Unlock()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	built.dir, built.bins, built.errs = "", nil, nil
}
