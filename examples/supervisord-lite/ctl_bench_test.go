package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkCtlStatus measures one `ctl status` (upcheck + getAllProcessInfo over a unix
// socket, formatting) in-process against supervisord-lite running 20 sleepers.
func BenchmarkCtlStatus(b *testing.B) {
	dir := b.TempDir()
	sock := filepath.Join(dir, "s.sock")
	conf := "[unix_http_server]\nfile=" + sock + "\n[supervisord]\nlogfile=" + dir + "/sd.log\npidfile=" + dir +
		"/sd.pid\nchildlogdir=" + dir + "\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n" +
		"[program:s]\ncommand=/bin/sleep 1000\nstartsecs=0\nnumprocs=20\nprocess_name=%(program_name)s_%(process_num)02d\n"
	file := filepath.Join(dir, "s.conf")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(slBin, "-n", "-c", file)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}()
	args := []string{"-s", "unix://" + sock, "status"}
	for i := 0; i < 200 && runCtl("ctl", args, io.Discard, io.Discard) == 4; i++ {
		time.Sleep(25 * time.Millisecond)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rc := runCtl("ctl", args, io.Discard, io.Discard); rc != 0 {
			b.Fatalf("status: rc %d", rc)
		}
	}
}
