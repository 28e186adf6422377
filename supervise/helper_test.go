package supervise

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
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
	case "forkport": // listen on 127.0.0.1:PORT (exit 3 if taken), start N grandchildren holding the socket, print "ready", sleep
		ln, err := net.Listen("tcp", "127.0.0.1:"+args[0])
		if err != nil {
			fmt.Println("bind:", err)
			return 3
		}
		f, err := ln.(*net.TCPListener).File()
		if err != nil {
			return 4
		}
		n, _ := strconv.Atoi(args[1])
		for i := 0; i < n; i++ {
			if _, err := startHelper("sleep", false, f); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 3
			}
		}
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "orphan": // start a grandchild in its own process group, print its pid, exit 0
		pid, err := startHelper("sleep", true)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		fmt.Println(pid)
		time.Sleep(100 * time.Millisecond)
	case "escape": // start a grandchild in its own session (as a daemon does), print its pid, sleep
		exe, _ := os.Executable()
		null, _ := os.Open(os.DevNull)
		var env []string // without our own helper name: the first of two entries wins
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, helperEnv+"=") {
				env = append(env, kv)
			}
		}
		p, err := os.StartProcess(exe, []string{exe}, &os.ProcAttr{Env: append(env, helperEnv+"=sleep"),
			Files: []*os.File{null, null, null}, Sys: &syscall.SysProcAttr{Setsid: true}})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		fmt.Println(p.Pid)
		time.Sleep(time.Hour)
	case "minisv": // a Supervisor with StateFile args[0] running one "sleep" program; prints the child's pid
		return miniSupervisor(args[0])
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
	case "acceptfd0": // accept connections on fd 0 (a group's Socket): answer "pid N\n" to each
		fmt.Println("ready")
		for {
			nfd, _, err := syscall.Accept(0)
			if err == syscall.EINTR {
				continue
			}
			if err != nil {
				fmt.Println("accept:", err)
				return 3
			}
			syscall.Write(nfd, []byte(fmt.Sprintf("pid %d\n", os.Getpid())))
			syscall.Close(nfd)
		}
	case "listenfds": // serve held sockets (LISTEN_FDS): heldsocket_test.go
		return listenFDsHelper()
	case "echo": // copy stdin to stdout until EOF
		io.Copy(os.Stdout, os.Stdin)
	default:
		if code, ok := runCheckHelper(name, args); ok { // checks_helper_test.go
			return code
		}
		fmt.Fprintln(os.Stderr, "unknown helper", name)
		return 2
	}
	return 0
}

// startHelper starts this test binary as helper name with stdio on /dev/null and extra files
// from fd 3, in its own process group when ownGroup.
func startHelper(name string, ownGroup bool, extra ...*os.File) (int, error) {
	exe, _ := os.Executable()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, helperEnv+"=") {
			env = append(env, kv)
		}
	}
	env = append(env, helperEnv+"="+name)
	null, _ := os.Open(os.DevNull)
	files := append([]*os.File{null, null, null}, extra...)
	p, err := os.StartProcess(exe, []string{exe}, &os.ProcAttr{Env: env, Files: files,
		Sys: &syscall.SysProcAttr{Setpgid: ownGroup}})
	if err != nil {
		return 0, err
	}
	return p.Pid, nil
}

// miniSupervisor stands for a supervisor that will be killed with SIGKILL: it serves one
// program with a state file, prints the program's pid once RUNNING and the file is written,
// and waits to die.
func miniSupervisor(stateFile string) int {
	exe, _ := os.Executable()
	sv := New(Options{StateFile: stateFile, ChildLogDir: os.TempDir()})
	events, cancel := sv.Subscribe(100)
	defer cancel()
	go sv.Serve(context.Background())
	err := sv.Add(context.Background(), Group{Name: "app", Programs: []Program{{Name: "app", Command: exe,
		Env: []string{helperEnv + "=sleep"}, StartSecs: -1, Stdout: Log{Path: LogNone}, Stderr: Log{Path: LogNone}}}})
	if err != nil {
		fmt.Println(err)
		return 2
	}
	for e := range events {
		if e.Kind == EventState && e.To == Running {
			for i := 0; i < 1000; i++ {
				if recs, _ := ReadStateFile(stateFile); len(recs) == 1 && recs[0].Pid == e.Pid {
					fmt.Println(e.Pid)
					time.Sleep(time.Hour)
				}
				time.Sleep(5 * time.Millisecond)
			}
			return 5
		}
	}
	return 6
}
