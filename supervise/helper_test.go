package supervise

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// helperEnv names the helper behaviour when the test binary runs as a supervised child.
const helperEnv = "SUPERVISE_TEST_HELPER"

// runHelper is the child side: the test binary re-run with SUPERVISE_TEST_HELPER set.
func runHelper(name string, args []string) int {
	if len(args) == 0 {
		args = []string{"0"}
	}
	switch name {
	case "exit": // exit N
		code, _ := strconv.Atoi(args[0])
		return code
	case "sleep":
		time.Sleep(time.Hour)
	case "ignoreterm":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "fork": // start N grandchildren that sleep, print "ready", sleep
		n, _ := strconv.Atoi(args[0])
		exe, _ := os.Executable()
		for i := 0; i < n; i++ {
			var env []string
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, helperEnv+"=") {
					env = append(env, kv)
				}
			}
			env = append(env, helperEnv+"=sleep")
			null, _ := os.Open(os.DevNull)
			if _, err := os.StartProcess(exe, []string{exe}, &os.ProcAttr{Env: env, Files: []*os.File{null, null, null}}); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 3
			}
		}
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "print": // print N lines to stdout and stderr, then exit 0
		n, _ := strconv.Atoi(args[0])
		w := bufio.NewWriter(os.Stdout)
		for i := 0; i < n; i++ {
			fmt.Fprintf(w, "out %d\n", i)
		}
		w.Flush()
		fmt.Fprintf(os.Stderr, "err %d\n", n)
	case "blast": // write N bytes to stdout as fast as possible, then exit 0
		n, _ := strconv.Atoi(args[0])
		buf := []byte(strings.Repeat("x", 65535) + "\n")
		for n > 0 {
			k := min(n, len(buf))
			os.Stdout.Write(buf[:k])
			n -= k
		}
	case "seq": // write lines 00000000..N-1 in 1000-byte writes (ending mid-line), a short pause between
		n, _ := strconv.Atoi(args[0])
		var buf []byte
		for i := 0; i < n; i++ {
			buf = append(buf, fmt.Sprintf("%08d\n", i)...)
			if len(buf) >= 1000 {
				os.Stdout.Write(buf[:1000])
				buf = append(buf[:0], buf[1000:]...)
				time.Sleep(time.Millisecond)
			}
		}
		os.Stdout.Write(buf)
	case "tick": // a numbered line every millisecond, forever
		for i := 0; ; i++ {
			fmt.Printf("tick %08d\n", i)
			time.Sleep(time.Millisecond)
		}
	case "lines": // N lines of 100 bytes, block-buffered
		n, _ := strconv.Atoi(args[0])
		w := bufio.NewWriterSize(os.Stdout, 64<<10)
		line := []byte(strings.Repeat("y", 99) + "\n")
		for i := 0; i < n; i++ {
			w.Write(line)
		}
		w.Flush()
	case "env":
		for _, kv := range os.Environ() {
			if strings.HasPrefix(kv, "SUPERVISOR_") || strings.HasPrefix(kv, "HELPER_") {
				fmt.Println(kv)
			}
		}
	case "echo": // copy stdin to stdout until EOF
		io.Copy(os.Stdout, os.Stdin)
	default:
		fmt.Fprintln(os.Stderr, "unknown helper", name)
		return 2
	}
	return 0
}
