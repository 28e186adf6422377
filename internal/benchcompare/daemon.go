package benchcompare

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/supervisord-lite/supervisord-lite/internal/xmlrpc"
)

// Side is one supervisor under test.
type Side struct {
	// Label names it in the results ("supervisord", "supervisord-lite").
	Label string
	// Start runs the daemon in the foreground; "{conf}" in an argument is replaced by the
	// configuration file's path.
	Start []string
	// Ctl is its supervisorctl; "{conf}" as in Start. The subcommand is appended.
	Ctl []string
}

// program is one [program:x] section.
type program struct {
	name, command string
	extra         string // more lines of the section
}

// daemon is one running supervisor of a scenario.
type daemon struct {
	side  Side
	dir   string
	sock  string
	conf  string
	cmd   *exec.Cmd
	tag   string
	http  *http.Client
	fifo  *os.File
	pids  chan string   // lines written to the FIFO by programs
	start time.Time     // just before the daemon was launched
	took  time.Duration // set by the first stop
	done  bool          // stopped
}

// envTag is the environment variable that marks every process a run started.
const envTag = "BENCHCOMPARE_TAG"

// launch writes the configuration and starts the side's daemon in dir; it does not wait for it.
func launch(side Side, dir, tag string, progs []program) (*daemon, error) {
	d := &daemon{side: side, dir: dir, sock: filepath.Join(dir, "sv.sock"), conf: filepath.Join(dir, "supervisord.conf"),
		tag: tag, pids: make(chan string, 100000)}
	var b strings.Builder
	fmt.Fprintf(&b, "[unix_http_server]\nfile=%s\nchmod=0700\n\n[supervisord]\nnodaemon=true\nlogfile=%s\npidfile=%s\n"+
		"childlogdir=%s\nloglevel=info\nuser=root\n\n[rpcinterface:supervisor]\n"+
		"supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n[supervisorctl]\nserverurl=unix://%s\n",
		d.sock, filepath.Join(dir, "supervisord.log"), filepath.Join(dir, "supervisord.pid"), dir, d.sock)
	for _, p := range progs {
		fmt.Fprintf(&b, "\n[program:%s]\ncommand=%s\nstdout_logfile=NONE\nstderr_logfile=NONE\n%s", p.name, p.command, p.extra)
	}
	if err := os.WriteFile(d.conf, []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	fifo := filepath.Join(dir, "notify.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		return nil, fmt.Errorf("mkfifo: %w", err)
	}
	// Read-write, so that the FIFO never reports end of file between writers.
	f, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	d.fifo = f
	go func() {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			d.pids <- sc.Text()
		}
	}()
	d.http = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, "unix", d.sock)
	}}}
	d.cmd = exec.Command(d.side.Start[0], expand(d.side.Start[1:], d.conf)...)
	d.cmd.Env = append(os.Environ(), envTag+"="+tag)
	d.cmd.Dir = dir
	d.cmd.Stdout, d.cmd.Stderr = io.Discard, io.Discard
	d.start = time.Now()
	if err := d.cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	return d, nil
}

func expand(args []string, conf string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(a, "{conf}", conf)
	}
	return out
}

// ready waits until the daemon answers getState.
func (d *daemon) ready(ctx context.Context) error {
	for {
		if _, err := d.call(ctx, "supervisor.getState"); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer on %s: %w", d.side.Label, d.sock, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// call makes one XML-RPC call.
func (d *daemon) call(ctx context.Context, method string, args ...any) (any, error) {
	body, err := xmlrpc.AppendCall(nil, method, args...)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://localhost/RPC2", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := d.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %s", method, resp.Status)
	}
	return xmlrpc.DecodeResponse(data)
}

// states returns each process's state name and pid, by name.
func (d *daemon) states(ctx context.Context) (map[string]string, map[string]int64, error) {
	v, err := d.call(ctx, "supervisor.getAllProcessInfo")
	if err != nil {
		return nil, nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, nil, fmt.Errorf("getAllProcessInfo answered %T", v)
	}
	states, pids := map[string]string{}, map[string]int64{}
	for _, e := range list {
		st, ok := e.(xmlrpc.Struct)
		if !ok {
			return nil, nil, fmt.Errorf("getAllProcessInfo entry %T", e)
		}
		m := st.Map()
		name, _ := m["name"].(string)
		states[name], _ = m["statename"].(string)
		switch p := m["pid"].(type) {
		case int64:
			pids[name] = p
		case int:
			pids[name] = int64(p)
		}
	}
	return states, pids, nil
}

// waitAll polls getAllProcessInfo every interval until n processes are in state.
func (d *daemon) waitAll(ctx context.Context, n int, state string, interval time.Duration) error {
	for {
		if st, _, err := d.states(ctx); err == nil && countState(st, state) >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: waiting for %d %s: %w", d.side.Label, n, state, ctx.Err())
		case <-time.After(interval):
		}
	}
}

// line waits for the next FIFO line.
func (d *daemon) line(ctx context.Context) (string, error) {
	select {
	case l := <-d.pids:
		return l, nil
	case <-ctx.Done():
		return "", fmt.Errorf("%s: waiting for a program: %w", d.side.Label, ctx.Err())
	}
}

// ctl runs the side's client with args and returns its output.
func (d *daemon) ctl(ctx context.Context, args ...string) (string, error) {
	argv := append(expand(d.side.Ctl[1:], d.conf), args...)
	cmd := exec.CommandContext(ctx, d.side.Ctl[0], argv...)
	cmd.Env = append(os.Environ(), envTag+"="+d.tag)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 3 { // supervisorctl status: some process not running
		err = nil
	}
	return string(out), err
}

// stop sends SIGTERM and waits for the daemon to exit (SIGKILL after grace); then it kills
// by pid anything left that carries the tag, and closes the FIFO. It returns how long the
// daemon took to exit. Later calls only return that.
func (d *daemon) stop(grace time.Duration) time.Duration {
	if d.done {
		return d.took
	}
	d.done = true
	t0 := time.Now()
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		_ = d.cmd.Process.Kill()
		<-done
	}
	d.took = time.Since(t0)
	killTagged(d.tag)
	d.http.CloseIdleConnections()
	d.fifo.Close()
	return d.took
}

// killTagged SIGKILLs every process whose environment holds envTag=tag.
func killTagged(tag string) {
	want := []byte(envTag + "=" + tag + "\x00")
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err == nil && bytes.Contains(env, want) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// cpu is the daemon's run time so far, over all its threads (schedstat, ns resolution).
func (d *daemon) cpu() time.Duration {
	var sum time.Duration
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", d.cmd.Process.Pid))
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) > 0 {
			ns, _ := strconv.ParseInt(f[0], 10, 64)
			sum += time.Duration(ns)
		}
	}
	return sum
}

// wakeups is the daemon's voluntary context switches so far, over all its threads.
func (d *daemon) wakeups() int64 {
	var sum int64
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", d.cmd.Process.Pid))
	for _, t := range tasks {
		if v, ok := statusField(t, "voluntary_ctxt_switches:"); ok {
			sum += v
		}
	}
	return sum
}

// rssKB is the daemon's VmRSS in kB.
func (d *daemon) rssKB() int64 {
	v, _ := statusField(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid), "VmRSS:")
	return v
}

func statusField(path, key string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, key); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, err := strconv.ParseInt(f[0], 10, 64)
				return v, err == nil
			}
		}
	}
	return 0, false
}
