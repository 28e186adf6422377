package ctl

import (
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(ctlChildEnv) != "" {
		os.Exit(runCtlChild(os.Args[1:]))
	}
	// The wire captures were taken with TZ=UTC.
	time.Local = time.UTC
	goleak.VerifyTestMain(m)
}
