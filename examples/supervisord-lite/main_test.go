package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"go.uber.org/goleak"
)

// slBin is this command, built once for the tests that run it as a daemon or as `ctl`.
var slBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "supervisord-lite-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	slBin = filepath.Join(dir, "supervisord-lite")
	if err := testenv.GoBuild(".", slBin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}
