package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

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
	if out, err := exec.Command("go", "build", "-o", slBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building supervisord-lite: %v\n%s", err, out)
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
