package proctree_test

import (
	"fmt"
	"os"

	"github.com/supervisord-lite/supervisord-lite/internal/proctree"
)

func ExampleIdentify() {
	id, err := proctree.Identify(os.Getpid())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(id.Alive())
	// Output: true
}
