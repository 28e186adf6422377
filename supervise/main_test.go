package supervise

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if helper := os.Getenv(helperEnv); helper != "" {
		os.Exit(runHelper(helper, os.Args[1:]))
	}
	goleak.VerifyTestMain(m)
}
