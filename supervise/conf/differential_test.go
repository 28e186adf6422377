package conf

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// The differential test: generated configs are given to the real supervisord 4.2.5
// (`supervisord -n -c FILE`) and to Load; a config supervisord accepts must give the same
// getAllConfigInfo (read over XML-RPC on its unix socket), a config it rejects must give its
// exact error as our first error.

// xvalue is an XML-RPC <value>.
type xvalue struct {
	Int    *string `xml:"int"`
	I4     *string `xml:"i4"`
	Bool   *string `xml:"boolean"`
	Str    *string `xml:"string"`
	Array  *xarray `xml:"array"`
	Struct *struct {
		Members []struct {
			Name  string `xml:"name"`
			Value xvalue `xml:"value"`
		} `xml:"member"`
	} `xml:"struct"`
	Text string `xml:",chardata"`
}

type xarray struct {
	Values []xvalue `xml:"data>value"`
}

func (v xvalue) decode() any {
	switch {
	case v.Int != nil:
		n, _ := strconv.Atoi(*v.Int)
		return float64(n)
	case v.I4 != nil:
		n, _ := strconv.Atoi(*v.I4)
		return float64(n)
	case v.Bool != nil:
		return *v.Bool == "1"
	case v.Str != nil:
		return *v.Str
	case v.Array != nil:
		out := []any{}
		for _, e := range v.Array.Values {
			out = append(out, e.decode())
		}
		return out
	case v.Struct != nil:
		out := map[string]any{}
		for _, m := range v.Struct.Members {
			out[m.Name] = m.Value.decode()
		}
		return out
	}
	return v.Text
}

type rpcFault struct{ msg string }

func (f *rpcFault) Error() string { return "fault: " + f.msg }

// rpcCall calls method (no arguments) on supervisord's unix socket.
func rpcCall(ctx context.Context, sock, method string) (any, error) {
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		DisableKeepAlives: true,
	}}
	body := `<?xml version="1.0"?><methodCall><methodName>` + method + `</methodName><params></params></methodCall>`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://localhost/RPC2", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// supervisord answers 500 when the result cannot be marshalled (an int beyond 32 bits)
		return nil, &rpcFault{resp.Status}
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var r struct {
		Params []xvalue `xml:"params>param>value"`
		Fault  *xvalue  `xml:"fault>value"`
	}
	if err := xml.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	if r.Fault != nil {
		return nil, &rpcFault{fmt.Sprint(r.Fault.decode())}
	}
	if len(r.Params) != 1 {
		return nil, fmt.Errorf("bad response %q", data)
	}
	return r.Params[0].decode(), nil
}

type svResult struct {
	info   []any  // getAllConfigInfo when it started
	fault  string // when getAllConfigInfo answered with a fault
	stderr string // when it exited
	code   int
}

// runSupervisord starts supervisord on conf, reads getAllConfigInfo or its error, and stops
// it.
// release is called once supervisord has answered (it then only needs to be stopped).
func runSupervisord(t *testing.T, bin, conf, sock string, env []string, release func()) svResult {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.Command(bin, "-n", "-c", conf)
	cmd.Env = env
	cmd.Dir = filepath.Dir(conf)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			var ee *exec.ExitError
			code := 0
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			}
			return svResult{stderr: stderr.String(), code: code}
		case <-ctx.Done():
			stop()
			t.Fatalf("supervisord did not answer on %s: %s", sock, stderr.String())
		case <-tick.C:
			if _, err := os.Stat(sock); err != nil {
				continue
			}
			info, err := rpcCall(ctx, sock, "supervisor.getAllConfigInfo")
			var fault *rpcFault
			if errors.As(err, &fault) {
				release()
				stop()
				return svResult{fault: fault.msg}
			}
			if err != nil {
				continue
			}
			release()
			stop()
			list, _ := info.([]any)
			return svResult{info: list}
		}
	}
}

// option choices for generated program sections; the ones marked bad make supervisord fail.
var diffOptions = [][]string{
	{"priority=5", "priority=-3", "priority=1_000", "!priority=high", "!priority=%(process_num)d"},
	{"autorestart=true", "autorestart=FALSE", "autorestart=unexpected", "!autorestart=sometimes"},
	{"startsecs=0", "startsecs=10", "startsecs= 7 ", "!startsecs=abc"},
	{"startretries=0", "startretries=+5"},
	{"stopsignal=KILL", "stopsignal=sigint", "stopsignal=9", "stopsignal=0", "stopsignal=SIG_DFL", "stopsignal=rtmin", "!stopsignal=FOO", "!stopsignal=99", "!stopsignal=32"},
	{"stopwaitsecs=1", "stopwaitsecs=0"},
	{"stopasgroup=true", "!stopasgroup=true\nkillasgroup=false", "killasgroup=on", "!stopasgroup=maybe", "!stopasgroup=t"},
	{"exitcodes=0,2", "exitcodes=", "exitcodes= 1 , 2", "!exitcodes=0,256", "!exitcodes=0;2", "!exitcodes=0,"},
	{"redirect_stderr=true", "redirect_stderr=true\nstderr_logfile=%(here)s/ignored.log", "redirect_stderr=yes"},
	{"numprocs=2\nprocess_name=%(program_name)s_%(process_num)02d", "!numprocs=3", "numprocs=0",
		"numprocs=2\nnumprocs_start=5\nprocess_name=%(program_name)s-%(process_num)d", "process_name=web_%(process_num)s",
		"!process_name=a:b", "!process_name=%(program_name)s_%(process_num)", "numprocs=2\nprocess_name=%(process_num)d%(group_name)s"},
	{"environment=A=1,B=2", `environment=A="x,y",B='p q'`, "environment=A=1;B=2", `environment=A="",B=1`, "environment=A=1,",
		"!environment=A=1 B=2", "!environment=A=", "!environment=A=a@b", "environment=A=x#y", "environment=URL=http://x?a=1&b=2",
		"environment=K=%(program_name)s,N=%(process_num)d", "environment=H=%(ENV_HOME)s", "!environment=H=%(ENV_NOPE)s",
		`!environment=A="unterminated`, "!environment=K=v=w", "!environment=A=1,,B=2", "environment=PATH=/opt/bin:/bin,X=%(here)s"},
	{"stdout_logfile=%(here)s/%(program_name)s-%(process_num)d.log", "stdout_logfile=NONE", "stdout_logfile=off", "stdout_logfile=AUTO",
		"stdout_logfile=syslog", "!stdout_logfile=/nonexistent/dir/x.log", "!stdout_logfile=%(here)s/a%%b.log", "stdout_logfile=relative.log",
		"stdout_logfile=%(here)s/x.log\nstdout_logfile_maxbytes=1KB", "stdout_logfile_maxbytes=10 MB", "!stdout_logfile_maxbytes=1.5MB",
		"stdout_logfile_maxbytes=0", "stdout_logfile_maxbytes=-1", "stdout_logfile_backups=0", "stdout_logfile_backups=3", "stdout_logfile=",
		"stdout_logfile=%(here)s/%(ENV_LOGNAME_TEST)s.log"},
	{"stderr_logfile=%(here)s/err.log", "stderr_capture_maxbytes=1MB", "stdout_events_enabled=true", "stderr_syslog=true",
		"stderr_logfile=NONE", "stdout_capture_maxbytes=2gb", "!stderr_logfile_maxbytes=1TB"},
	{"directory=%(here)s", "directory=/tmp/%(process_num)d", "directory=/nonexistent"},
	{"umask=022", "umask=0o27", "!umask=999", "umask=7"},
	{"user=nobody", "user=root", "user=65534", "!user=nosuchuserxyz", "!user=99999"},
	{"serverurl=AUTO", "serverurl=http://127.0.0.1:9001", "serverurl=", "serverurl= auto "},
	{"strip_ansi=true", "unknown_key=1"},
}

// [supervisord], [unix_http_server] and [inet_http_server] choices.
var (
	supervisordOptions = []string{"minfds=2048", "!minfds=lots", "umask=0o22", "!umask=9", "nocleanup=true",
		"!nodaemon=perhaps", "identifier=sv%(ENV_FOO_TEST)s", "!logfile=/nonexistent/x.log", "!childlogdir=/nonexistent",
		"logfile_maxbytes=1GB", "!logfile_backups=x", "strip_ansi=on", "!environment=A=1 B=2", "!user=nosuchuserxyz",
		"!pidfile=/nonexistent/p.pid", "!minprocs=%(process_num)d", "silent=true", "directory=%(here)s", "!directory=/nonexistent"}
	serverOptions = []string{"chmod=0770", "!chmod=999", "chown=nobody", "chown=nobody:nogroup", "!chown=nosuchuserxyz",
		"!chown=nobody:nosuchgroupxyz", "!username=u", "!password=p"}
	inetServers = []string{"[inet_http_server]\nport=127.0.0.1:notaport", "[inet_http_server]\nport=host:",
		"[inet_http_server]\nport=70000", "[inet_http_server]\nport=0", "[inet_http_server]\nusername=u\nport=9",
		"[inet_http_server]\nchmod=1", "[inet_http_server]\nport=notaport"}
)

var diffCommands = []string{
	"command=/bin/sleep %(process_num)d", "command=/bin/echo %(host_node_name)s %(group_name)s %(numprocs)d",
	"!command=/bin/echo 100%", "command=/bin/sh -c 'a;b ; c' ; x", "command=/bin/sleep\n  100\n\n  200",
	"command=/bin/date +%%Y", "!command=/bin/date +%Y", "!cmd=/bin/true", "command=", "command=/bin/echo %(ENV_FOO_TEST)s",
	"command=/bin/echo %(process_num)05.1f %(numprocs)x", "command=/bin/echo 'unterminated",
}

// pick returns a random choice; bad choices (marked "!") only when allowBad.
func pick(r *rand.Rand, choices []string, allowBad bool) string {
	for k := 0; k < 100; k++ {
		c := choices[r.Intn(len(choices))]
		if !strings.HasPrefix(c, "!") {
			return c
		}
		if allowBad {
			return c[1:]
		}
	}
	return ""
}

// genConfig writes a generated config under dir and returns its path. Configs with i%5 < 2
// may hold mistakes; the others only accepted values.
func genConfig(r *rand.Rand, dir string, i int) string {
	allowBad := i%5 < 2
	var b strings.Builder
	fmt.Fprintf(&b, "; generated case %d\n[unix_http_server]\nfile=%%(here)s/s.sock\n\n", i)
	b.WriteString("[supervisord]\nlogfile=%(here)s/sd.log\npidfile=%(here)s/sd.pid\nchildlogdir=%(here)s\n")
	switch r.Intn(5) {
	case 0:
		b.WriteString("environment=LOGNAME_TEST=fromsupervisord,FOO_TEST=override\n")
	case 1:
		b.WriteString("environment=A=%(ENV_HOME)s,B=%(here)s\n")
	}
	if r.Intn(8) == 0 {
		b.WriteString("loglevel=" + pick(r, []string{"debug", "BLATHER", "!verbose"}, allowBad) + "\n")
	}
	if r.Intn(3) == 0 {
		b.WriteString(pick(r, supervisordOptions, allowBad) + "\n")
	}
	if r.Intn(4) == 0 {
		b.WriteString("[unix_http_server]\n" + pick(r, serverOptions, allowBad) + "\n")
	}
	if allowBad && r.Intn(6) == 0 {
		b.WriteString(pick(r, inetServers, true) + "\n")
	}
	if r.Intn(10) == 0 {
		b.WriteString("[DEFAULT]\nstartsecs=3\n")
	}
	b.WriteString("\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n")
	nprog := 1 + r.Intn(3)
	var progs []string
	for p := 0; p < nprog; p++ {
		name := fmt.Sprintf("p%d", p)
		progs = append(progs, name)
		fmt.Fprintf(&b, "[program:%s]\nautostart=false\n", name)
		if r.Intn(4) > 0 {
			b.WriteString(pick(r, diffCommands, allowBad) + "\n")
		} else {
			b.WriteString("command=/bin/sleep 100\n")
		}
		for k := 0; k < 1+r.Intn(4); k++ {
			b.WriteString(pick(r, diffOptions[r.Intn(len(diffOptions))], allowBad) + "\n")
		}
		b.WriteString("\n")
	}
	if r.Intn(5) == 0 {
		// a section header again: supervisord merges the two
		b.WriteString("[program:p0]\n" + pick(r, diffOptions[r.Intn(len(diffOptions))], allowBad) + "\n\n")
	}
	switch r.Intn(6) {
	case 0:
		fmt.Fprintf(&b, "[group:g]\nprograms=%s\npriority=%d\n\n", strings.Join(progs, ","), r.Intn(20))
	case 1:
		if allowBad {
			b.WriteString("[group:g]\nprograms=p0,nope\n\n")
		}
	case 2:
		inc := filepath.Join(dir, "conf.d")
		_ = os.MkdirAll(inc, 0o755)
		_ = os.WriteFile(filepath.Join(inc, "b.ini"), []byte("[program:inc_b]\nautostart=false\ncommand=/bin/sleep 1\nstdout_logfile=%(here)s/b.log\ndirectory=%(here)s\n"), 0o644)
		_ = os.WriteFile(filepath.Join(inc, "a.ini"), []byte("[program:inc_a]\nautostart=false\ncommand=/bin/echo %(here)s %(program_name)s\npriority=3\n"), 0o644)
		_ = os.WriteFile(filepath.Join(inc, ".hidden.ini"), []byte("[program:hidden]\ncommand=/bin/false\n"), 0o644)
		b.WriteString("[include]\nfiles = conf.d/*.ini\n  nothing/*.conf %(here)s/conf.d/[ab].ini\n\n")
	case 3:
		b.WriteString("[eventlistener:ev]\ncommand=/bin/cat\nautostart=false\nevents=PROCESS_STATE,tick_5\nbuffer_size=" +
			pick(r, []string{"5", "!0", "!x"}, allowBad) + "\n\n")
	}
	path := filepath.Join(dir, "supervisord.conf")
	_ = os.WriteFile(path, []byte(b.String()), 0o644)
	return path
}

// svSem bounds how many supervisord start at once across the differential tests (each is a
// Python process; the machine may have two cores).
var svSem = make(chan struct{}, 8)

func TestDifferentialSupervisord(t *testing.T) {
	testenv.Short(t)
	bin := testenv.LookPath(t, "supervisord", "supervisor")
	t.Parallel()
	host, err := os.Hostname()
	require.NoError(t, err)
	env := []string{"PATH=/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8", "FOO_TEST=xyz", "LOGNAME_TEST=fromenv"}
	const cases = 64
	r := rand.New(rand.NewSource(42))
	sem := svSem
	var started, failed int
	results := make(chan bool, cases)
	t.Run("cases", func(t *testing.T) {
		for i := 0; i < cases; i++ {
			dir := filepath.Join(t.TempDir(), "c")
			require.NoError(t, os.MkdirAll(dir, 0o755))
			path := genConfig(r, dir, i)
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				sem <- struct{}{}
				var once sync.Once
				release := func() { once.Do(func() { <-sem }) }
				defer release()
				text, _ := os.ReadFile(path)
				sv := runSupervisord(t, bin, path, filepath.Join(dir, "s.sock"), env, release)
				cfg, err := Load(path, Options{Environ: env, Hostname: host})
				results <- sv.info != nil || sv.fault != ""
				if sv.fault != "" {
					// Python's XML-RPC cannot send ints beyond 32 bits (e.g. capture_maxbytes=2gb):
					// supervisord answers HTTP 500.
					require.NoError(t, err)
					big := false
					for _, ci := range cfg.ConfigInfo() {
						for _, v := range ci.Map() {
							if n, ok := v.(int64); ok && (n > math.MaxInt32 || n < math.MinInt32) {
								big = true
							}
						}
					}
					assert.True(t, big, "supervisord faulted (%s) but no value exceeds 32 bits:\n%s", sv.fault, text)
					return
				}
				if sv.info == nil {
					require.Equal(t, 2, sv.code, "supervisord exit code; stderr %s\n%s", sv.stderr, text)
					var me *multierror.Error
					require.True(t, errors.As(err, &me), "supervisord failed with %q but Load accepted:\n%s", sv.stderr, text)
					want, _, _ := strings.Cut(sv.stderr, "\nFor help, use")
					if i := strings.LastIndex(want, "Error: "); i >= 0 {
						want = want[i:]
					}
					assert.Equal(t, want, "Error: "+me.Errors[0].(*Error).Supervisord(), "config:\n%s", text)
					return
				}
				require.NoError(t, err, "supervisord accepted:\n%s", text)
				ours := cfg.ConfigInfo()
				require.Len(t, ours, len(sv.info), "config:\n%s", text)
				for k, ci := range ours {
					got := normalizeJSON(t, ci.Map())
					w, _ := sv.info[k].(map[string]any)
					for _, key := range []string{"stdout_logfile", "stderr_logfile"} {
						if got[key] == "auto" {
							if s, _ := w[key].(string); strings.HasPrefix(s, dir+"/") && strings.Contains(s, "---") {
								w[key] = "auto"
							}
						}
					}
					assert.Equal(t, w, got, "process %d of config:\n%s", k, text)
				}
			})
		}
	})
	close(results)
	for ok := range results {
		if ok {
			started++
		} else {
			failed++
		}
	}
	t.Logf("%d generated configs: %d started, %d rejected by supervisord", started+failed, started, failed)
	assert.Greater(t, started, 10)
	assert.Greater(t, failed, 10)
	_ = json.Marshal
}
