package logrotate_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/supervisord-lite/supervisord-lite/logrotate"
)

// Ten 300-byte writes with supervisord's stdout_logfile_maxbytes=1KB and
// stdout_logfile_backups=2 leave the same files supervisord leaves.
func Example() {
	dir, err := os.MkdirTemp("", "logrotate-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	w := &logrotate.Writer{
		Filename: filepath.Join(dir, "app.log"),
		MaxBytes: 1024,
		Backups:  2,
	}
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(w, "chunk%02d-%s\n", i, strings.Repeat("x", 291))
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"app.log", "app.log.1", "app.log.2"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(name, fi.Size())
	}

	// The control plane reads the last 8 bytes the way readProcessLog(name, -8, 0) does.
	tail, err := logrotate.ReadFile(filepath.Join(dir, "app.log"), -8, 0)
	fmt.Printf("%q %v\n", tail, err)
	// Output:
	// app.log 600
	// app.log.1 1200
	// app.log.2 1200
	// "xxxxxxx\n" <nil>
}
