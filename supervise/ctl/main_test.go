package ctl

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// The wire captures were taken with TZ=UTC.
	time.Local = time.UTC
	goleak.VerifyTestMain(m)
}
