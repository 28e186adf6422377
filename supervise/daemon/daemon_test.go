package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// testDaemon is a Daemon serving a config in a temp dir, with injected signals.
type testDaemon struct {
	d    *Daemon
	dir  string
	conf string
	sock string
	sigs chan os.Signal
	done chan error
	c    *rpc.Client
}

const programs = "\n[program:a]\ncommand=/bin/sleep 1000\nstartsecs=0\n"

func (td *testDaemon) write(t *testing.T, body string) {
	t.Helper()
	text := "[unix_http_server]\nfile=" + td.sock + "\n[supervisord]\nlogfile=" + filepath.Join(td.dir, "sv.log") +
		"\npidfile=" + filepath.Join(td.dir, "sv.pid") + "\nchildlogdir=" + td.dir + "\n" + body
	require.NoError(t, os.WriteFile(td.conf, []byte(text), 0o644))
}

func startDaemon(t *testing.T, body string, opts Options) *testDaemon {
	t.Helper()
	dir := t.TempDir()
	td := &testDaemon{dir: dir, conf: filepath.Join(dir, "sv.conf"), sock: filepath.Join(dir, "sv.sock"),
		sigs: make(chan os.Signal), done: make(chan error, 1)}
	td.write(t, body)
	opts.ConfigFile, opts.Signals = td.conf, td.sigs
	td.d = New(opts)
	go func() { td.done <- td.d.Serve(context.Background()) }()
	c, err := rpc.Dial("unix://"+td.sock, "", "")
	require.NoError(t, err)
	td.c = c
	t.Cleanup(func() {
		c.Close()
		select {
		case td.sigs <- syscall.SIGTERM:
			<-td.done
		case <-td.done:
		}
	})
	testenv.WaitFor(t, "the daemon to answer", func() bool {
		_, err := td.call("supervisor.getPID")
		return err == nil
	})
	return td
}

func (td *testDaemon) call(method string, args ...any) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return td.c.Call(ctx, method, args...)
}

func (td *testDaemon) state(t *testing.T, name string) string {
	t.Helper()
	v, err := td.call("supervisor.getProcessInfo", name)
	if err != nil {
		return err.Error()
	}
	return v.(rpc.Struct).Map()["statename"].(string)
}

func (td *testDaemon) log(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(td.dir, "sv.log"))
	require.NoError(t, err)
	return string(b)
}

// The signals, injected: SIGUSR1 is ignored, SIGUSR2 reopens the main log, SIGHUP reloads a
// changed config (and keeps the running one when the new one is broken), SIGTERM stops every
// program and removes the pidfile.
func TestSignals(t *testing.T) {
	td := startDaemon(t, programs, Options{})
	testenv.WaitFor(t, "a RUNNING", func() bool { return td.state(t, "a") == "RUNNING" })
	v, err := td.call("supervisor.getState")
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"statecode": int64(1), "statename": "RUNNING"}, v.(rpc.Struct).Map())
	pid, err := os.ReadFile(filepath.Join(td.dir, "sv.pid"))
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("%d\n", os.Getpid()), string(pid))

	td.sigs <- syscall.SIGUSR1
	testenv.WaitFor(t, "SIGUSR1 logged", func() bool { return strings.Contains(td.log(t), "received SIGUSR1; ignored") })

	require.NoError(t, os.Rename(filepath.Join(td.dir, "sv.log"), filepath.Join(td.dir, "sv.log.old")))
	td.sigs <- syscall.SIGUSR2
	testenv.WaitFor(t, "the main log reopened", func() bool {
		b, err := os.ReadFile(filepath.Join(td.dir, "sv.log"))
		return err == nil && len(b) >= 0
	})

	td.write(t, "[program:a]\ncommand=/bin/sleep 1000\nstartsecs=0\n[program:b]\ncommand=/bin/sleep 1001\nstartsecs=0\n")
	td.sigs <- syscall.SIGHUP
	testenv.WaitFor(t, "b RUNNING after SIGHUP", func() bool { return td.state(t, "b") == "RUNNING" })

	td.write(t, "[program:a]\ncommand=/bin/sleep 1000\nstartsecs=nope\n")
	td.sigs <- syscall.SIGHUP
	testenv.WaitFor(t, "the broken reload refused", func() bool {
		return strings.Contains(td.log(t), "reload refused, keeping the running configuration")
	})
	assert.Equal(t, "RUNNING", td.state(t, "b"), "the running configuration goes on")
	assert.Equal(t, supervise.SupervisorRunning, td.d.State())

	td.sigs <- syscall.SIGTERM
	select {
	case err := <-td.done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after SIGTERM")
	}
	assert.Equal(t, supervise.SupervisorShutdown, td.d.State())
	_, err = os.Stat(filepath.Join(td.dir, "sv.pid"))
	assert.True(t, os.IsNotExist(err), "the pidfile is removed")
	td.done <- nil // for the cleanup
}

// reread, add, remove and update answer from the engine's groups and the last config read.
func TestRereadUpdate(t *testing.T) {
	td := startDaemon(t, programs+"[program:gone]\ncommand=/bin/sleep 1000\nstartsecs=0\nautostart=false\n", Options{})
	td.write(t, "[program:a]\ncommand=/bin/sleep 1002\nstartsecs=0\n[program:new]\ncommand=/bin/sleep 1000\nstartsecs=0\n")
	v, err := td.call("supervisor.reloadConfig")
	require.NoError(t, err)
	assert.Equal(t, []any{[]any{[]any{"new"}, []any{"a"}, []any{"gone"}}}, v)

	infos, err := td.call("supervisor.getAllConfigInfo")
	require.NoError(t, err)
	inUse := map[string]bool{}
	for _, x := range infos.([]any) {
		m := x.(rpc.Struct).Map()
		inUse[m["name"].(string)] = m["inuse"].(bool)
	}
	assert.Equal(t, map[string]bool{"a": true, "new": false}, inUse, "the last config read, in use when active")

	_, err = td.call("supervisor.addProcessGroup", "new")
	require.NoError(t, err)
	_, err = td.call("supervisor.addProcessGroup", "new")
	var f *rpc.Fault
	require.True(t, errors.As(err, &f), "%v", err)
	assert.Equal(t, rpc.FaultAlreadyAdded, f.Code)
	_, err = td.call("supervisor.removeProcessGroup", "gone")
	require.NoError(t, err)
	_, err = td.call("supervisor.removeProcessGroup", "gone")
	require.True(t, errors.As(err, &f), "%v", err)
	assert.Equal(t, rpc.FaultBadName, f.Code)
	_, err = td.call(rpc.MethodUpdateProcessGroup, "a")
	require.NoError(t, err)
	_, err = td.call(rpc.MethodUpdateProcessGroup, "nosuch")
	require.True(t, errors.As(err, &f), "%v", err)
	assert.Equal(t, rpc.FaultBadName, f.Code)
	v, err = td.call("supervisor.reloadConfig")
	require.NoError(t, err)
	assert.Equal(t, []any{[]any{[]any{}, []any{}, []any{}}}, v, "nothing left to do")

	td.write(t, "[program:a]\ncommand=/bin/sleep 1000\nstartsecs=x\n")
	_, err = td.call("supervisor.reloadConfig")
	require.True(t, errors.As(err, &f), "%v", err)
	assert.Equal(t, rpc.FaultCantReread, f.Code)
	assert.Contains(t, f.String, "in section 'program:a'", "supervisord's text for the first problem")
}

// fakeKind makes a group of each [fake:x] section: x running /bin/sleep.
type fakeKind struct{}

func (fakeKind) Groups(cfg *conf.Config, _ []string) ([]Group, error) {
	var out []Group
	for _, sec := range cfg.INI.Sections() {
		name, ok := strings.CutPrefix(sec.Name, "fake:")
		if !ok {
			continue
		}
		out = append(out, Group{Run: supervise.Group{Name: name, Programs: []supervise.Program{{
			Name: name, Command: "/bin/sleep", Args: []string{"1000"}, StartSecs: -1,
			Stdout: supervise.Log{Path: supervise.LogNone}, Stderr: supervise.Log{Path: supervise.LogNone}}}},
			Info: []conf.ConfigInfo{{Name: name, Group: name, Command: "/bin/sleep 1000"}}})
	}
	return out, nil
}

// The extension points: a section kind, an HTTP handler behind the same listener, a service
// per run, an extra method, a status hook.
func TestExtensions(t *testing.T) {
	runs := make(chan Run, 4)
	served := make(chan struct{}, 4)
	td := startDaemon(t, programs+"[fake:web]\n", Options{
		Sections: []SectionKind{fakeKind{}},
		Handlers: map[string]http.Handler{"/hello": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			run, ok := RunFrom(r.Context())
			fmt.Fprintf(w, "hello %v %d", ok, len(run.Supervisor.Groups()))
		})},
		Services: []Service{ServiceFunc(func(ctx context.Context, r Run) error {
			runs <- r
			<-ctx.Done()
			served <- struct{}{}
			return nil
		})},
		Methods: map[string]rpc.ExtraMethod{"test.echo": func(_ context.Context, args []any) (any, error) { return args, nil }},
		StatusHooks: []func([]supervise.ProcessInfo){func(infos []supervise.ProcessInfo) {
			for i := range infos {
				infos[i].Note = "noted"
			}
		}},
	})
	testenv.WaitFor(t, "web RUNNING", func() bool { return td.state(t, "web") == "RUNNING" })
	r := <-runs
	assert.Len(t, r.Config.Groups, 1, "the config as loaded")
	assert.Len(t, r.Supervisor.Groups(), 2)

	v, err := td.call("test.echo", "x")
	require.NoError(t, err)
	assert.Equal(t, []any{"x"}, v)
	v, err = td.call("supervisor.getProcessInfo", "web")
	require.NoError(t, err)
	assert.Contains(t, v.(rpc.Struct).Map()["description"], "noted")

	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", td.sock)
	}}}
	defer client.CloseIdleConnections()
	resp, err := client.Get("http://sock/hello")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, "hello true 2", string(body))

	td.sigs <- syscall.SIGHUP // a reload: the service ends and starts again with the new run
	<-served
	r2 := <-runs
	assert.NotSame(t, r.Supervisor, r2.Supervisor)
}

// A section kind's group may not reuse a name unless it replaces that group.
func TestSectionNameClash(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sv.conf")
	require.NoError(t, os.WriteFile(path, []byte("[supervisord]\nlogfile="+dir+"/l\npidfile="+dir+"/p\n[program:web]\ncommand=/bin/true\n[fake:web]\n"), 0o644))
	err := New(Options{ConfigFile: path, Sections: []SectionKind{fakeKind{}}, Signals: make(chan os.Signal)}).Serve(context.Background())
	var se *StartError
	require.True(t, errors.As(err, &se), "%v", err)
	assert.Contains(t, err.Error(), `process group "web" is defined twice`)
	err = New(Options{ConfigFile: filepath.Join(dir, "none.conf"), Signals: make(chan os.Signal)}).Serve(context.Background())
	assert.True(t, errors.As(err, &se), "a missing config is a StartError: %v", err)
}
