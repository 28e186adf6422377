package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// TestUpdateRestartsOnlyChangedProgram: with our ctl, `update` after a change to one member of
// a [group:x] restarts only that member (supervisord restarts the whole group), and prints
// supervisorctl's lines.
func TestUpdateRestartsOnlyChangedProgram(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "sv.conf")
	sock := filepath.Join(dir, "sv.sock")
	body := func(bSleep string) string {
		return "[unix_http_server]\nfile=" + sock + "\n" +
			"[supervisord]\nnodaemon=true\nlogfile=" + dir + "/sv.log\npidfile=" + dir + "/sv.pid\nchildlogdir=" + dir + "\n" +
			"[supervisorctl]\nserverurl=unix://" + sock + "\n" +
			"[group:web]\nprograms=a,b\n" +
			"[program:a]\ncommand=/bin/sleep 1001\nstartsecs=0\n" +
			"[program:b]\ncommand=/bin/sleep " + bSleep + "\nstartsecs=0\n"
	}
	require.NoError(t, os.WriteFile(conf, []byte(body("1002")), 0o644))
	daemon := exec.Command(slBin, "-c", conf)
	require.NoError(t, daemon.Start())
	done := make(chan error, 1)
	go func() { done <- daemon.Wait() }()
	t.Cleanup(func() {
		_ = daemon.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = daemon.Process.Kill()
			<-done
			t.Error("daemon did not stop on SIGINT")
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pids := func() map[string]int64 {
		for ctx.Err() == nil {
			c, err := rpc.Dial("unix://"+sock, "", "")
			if err == nil {
				v, err := c.Call(ctx, "supervisor.getAllProcessInfo")
				c.Close()
				if err == nil {
					out := map[string]int64{}
					for _, x := range v.([]any) {
						m := x.(rpc.Struct).Map()
						if m["statename"] == "RUNNING" {
							out[m["name"].(string)] = m["pid"].(int64)
						}
					}
					if len(out) == 2 {
						return out
					}
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("programs did not reach RUNNING")
		return nil
	}
	before := pids()

	require.NoError(t, os.WriteFile(conf, []byte(body("1003")), 0o644))
	var out strings.Builder
	rc := runCtl("ctl", []string{"-c", conf, "update"}, &out, &out)
	assert.Equal(t, 0, rc)
	assert.Equal(t, "web: stopped\nweb: updated process group\n", out.String())

	after := pids()
	assert.Equal(t, before["a"], after["a"], "the unchanged program keeps running")
	assert.NotEqual(t, before["b"], after["b"], "the changed program was restarted")
}
