package main

import (
	"os"
	"testing"

	"github.com/transit6/transit6/internal/interop"
)

func TestMain(m *testing.M) {
	code := m.Run()
	interop.RemoveBinaries() // the transit6 binary built for end-to-end tests
	os.Exit(code)
}
