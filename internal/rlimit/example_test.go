package rlimit_test

import (
	"fmt"

	"github.com/supervisord-lite/supervisord-lite/internal/rlimit"
)

// supervisord's minfds: make sure at least 64 file descriptors may be open.
func ExampleRaise() {
	_, _, err := rlimit.Raise(rlimit.NOFILE, 64)
	fmt.Println(err)
	// Output: <nil>
}
