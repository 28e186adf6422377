package shlex_test

import (
	"fmt"

	"github.com/supervisord-lite/supervisord-lite/internal/shlex"
)

func ExampleSplit() {
	argv, _ := shlex.Split(`/bin/sh -c 'echo started; exit 1'`)
	fmt.Printf("%q\n", argv)
	_, err := shlex.Split(`python3 -c "print(1)`)
	fmt.Println(err)
	// Output:
	// ["/bin/sh" "-c" "echo started; exit 1"]
	// No closing quotation
}
