package gunicorn

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// TestServeHTTPS starts the real gunicorn from our argv with a self-signed certificate made in
// the test, fetches a page over HTTPS with a Go client that trusts only that certificate, then
// stops it with GracefulStop and checks that nothing of it is left.
func TestServeHTTPS(t *testing.T) {
	bin := testenv.LookPath(t, "gunicorn", "gunicorn")
	testenv.RequireFile(t, "/usr/lib/python3/dist-packages/flask/__init__.py", "Flask (Debian package python3-flask)")
	testenv.Short(t)
	dir := appDir(t)
	certPath, _ := testCert(t, filepath.Join(dir, "certs"), "cert", certSpec{})
	info, err := ReadCertInfo(certPath)
	require.NoError(t, err)

	port := strconv.Itoa(testenv.FreePort(t))
	cfg := Config{
		App:             "flaskapp:app",
		Bind:            []string{"127.0.0.1:" + port},
		Workers:         2,
		CertFile:        "certs/cert.pem", // relative: resolved against Chdir, by gunicorn and by Validate
		KeyFile:         "certs/cert-key.pem",
		Chdir:           dir,
		GracefulTimeout: 5 * time.Second,
		AccessLog:       "-",
	}
	start := t.TempDir() // not the app directory, so only Chdir makes the relative paths work
	env := e2eEnv()
	ws, err := Checker{Env: env, Dir: start}.Check(cfg)
	require.NoError(t, err)
	assert.Empty(t, ws)

	// One writer for both streams: os/exec then copies them in a single goroutine. Read it only
	// after Wait returned.
	var out strings.Builder
	cmd := exec.Command(bin, cfg.Args()...)
	cmd.Dir = start
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false
	defer func() {
		if !exited {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-done
			t.Logf("gunicorn output:\n%s", out.String())
		}
	}()

	pool := x509.NewCertPool()
	pool.AddCert(info.Certificates[0])
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	url := "https://127.0.0.1:" + port + "/"
	var (
		resp *http.Response
		body []byte
	)
	for attempt := 0; attempt < 150; attempt++ { // at most about 15 s
		select {
		case err := <-done:
			exited = true
			t.Fatalf("gunicorn exited before serving: %v\n%s", err, out.String())
		default:
		}
		resp, err = client.Get(url)
		if err == nil {
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, err, "no HTTPS answer from %s", url)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, strings.HasPrefix(string(body), "flask ok "), "%q", body)
	assert.True(t, strings.HasSuffix(string(body), " https\n"), "%q", body)
	assert.NotContains(t, string(body), " "+strconv.Itoa(pgid)+" ", "a worker answers, not the master")
	require.NotNil(t, resp.TLS)
	served := sha256.Sum256(resp.TLS.PeerCertificates[0].Raw)
	assert.Equal(t, info.SHA256, colonHex(served[:]), "gunicorn serves the certificate we generated")

	// Graceful stop, waited for no longer than StopWait says.
	require.NoError(t, cmd.Process.Signal(GracefulStop))
	select {
	case err := <-done:
		exited = true
		require.NoError(t, err, "gunicorn exits 0 on SIGTERM\n%s", out.String())
	case <-time.After(cfg.StopWait()):
		t.Fatalf("gunicorn still running %v after SIGTERM", cfg.StopWait())
	}
	gone := false
	for i := 0; i < 100 && !gone; i++ { // at most about 2 s
		gone = errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
		if !gone {
			time.Sleep(20 * time.Millisecond)
		}
	}
	assert.True(t, gone, "a process of gunicorn's group %d outlived the master", pgid)
	log := out.String()
	assert.Contains(t, log, "Listening at: https://127.0.0.1:"+port)
	assert.Contains(t, log, "Handling signal: term")
	assert.Contains(t, log, "Shutting down: Master")
	assert.Contains(t, log, `"GET / HTTP/1.1" 200`, "the access log went to stdout")
	_, statErr := os.Stat(filepath.Join(dir, "__pycache__"))
	assert.True(t, os.IsNotExist(statErr), "no bytecode written next to the app")
}
