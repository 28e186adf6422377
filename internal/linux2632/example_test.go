package linux2632_test

import (
	"fmt"

	"github.com/supervisord-lite/supervisord-lite/internal/linux2632"
)

// A program checks whether it runs under the profile it was asked for.
func Example() {
	if linux2632.Expected() && !linux2632.Active() {
		fmt.Println("asked for the 2.6.32 profile, but no filter is installed")
		return
	}
	fmt.Println(len(linux2632.Filter()) > 0)
	// Output: true
}
