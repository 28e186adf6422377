package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// scrape GETs /metrics of a daemon's inet listener.
func scrape(t *testing.T, port, user, pass string) (int, string) {
	req, err := http.NewRequest("GET", "http://127.0.0.1:"+port+"/metrics", nil)
	require.NoError(t, err)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetricsPrometheusScrapesThreeDaemons: Debian's prometheus scrapes /metrics of three
// daemons on loopback (one behind basic auth) and its HTTP API returns node_supervisord_up for
// every process; promtool accepts the exposition.
func TestMetricsPrometheusScrapesThreeDaemons(t *testing.T) {
	promBin := testenv.LookPath(t, "prometheus", "prometheus")
	promtool := testenv.LookPath(t, "promtool", "prometheus")
	var targets []string
	var authTarget string
	for i := 0; i < 3; i++ {
		port := strconv.Itoa(testenv.FreePort(t))
		auth := ""
		if i == 0 {
			auth = "username=scraper\npassword=s3cret\n"
			authTarget = "127.0.0.1:" + port
		} else {
			targets = append(targets, "127.0.0.1:"+port)
		}
		d := newDT(t, "lite", slBin, fmt.Sprintf(`
[inet_http_server]
port=127.0.0.1:%s
%s
[program:web]
command=%s
startsecs=0
[program:worker]
command=%s
startsecs=0
numprocs=2
process_name=worker_%%(process_num)d
`, port, auth, dtSleeper, dtSleeper))
		d.start(t)
		d.waitFor(t, d.client(t), "all RUNNING", allRunning("web", "worker:worker_0", "worker:worker_1"))
		if i == 0 {
			code, _ := scrape(t, port, "", "")
			assert.Equal(t, http.StatusUnauthorized, code, "same auth as the API")
			code, body := scrape(t, port, "scraper", "s3cret")
			require.Equal(t, http.StatusOK, code)
			assert.Contains(t, body, `node_supervisord_up{group="worker",name="worker_1"} 1`)
			assert.Regexp(t, `(?m)^go_goroutines [1-9][0-9]*$`, body, "the daemon's own Go runtime series")
			assert.Regexp(t, `(?m)^process_open_fds [1-9][0-9]*$`, body, "the daemon's own process series")
			check := exec.Command(promtool, "check", "metrics")
			check.Stdin = strings.NewReader(body)
			out, err := check.CombinedOutput()
			assert.NoError(t, err, "promtool check metrics:\n%s", out)
		}
	}

	dir := t.TempDir()
	promPort := strconv.Itoa(testenv.FreePort(t))
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: supervisord
    static_configs:
      - targets: [%s]
  - job_name: supervisord-auth
    basic_auth:
      username: scraper
      password: s3cret
    static_configs:
      - targets: ['%s']
`, "'"+strings.Join(targets, "', '")+"'", authTarget)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644))
	prom := exec.Command(promBin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address=127.0.0.1:"+promPort)
	prom.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var promLog testenv.Buffer
	prom.Stdout, prom.Stderr = &promLog, &promLog
	require.NoError(t, prom.Start())
	t.Cleanup(func() {
		syscall.Kill(-prom.Process.Pid, syscall.SIGKILL)
		prom.Wait()
	})

	// Prometheus's API: node_supervisord_up for 3 processes x 3 daemons, all 1.
	type series struct {
		Metric map[string]string `json:"metric"`
		Value  []any             `json:"value"`
	}
	var got []series
	ok := seedPoll(90*time.Second, 500*time.Millisecond, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://127.0.0.1:"+promPort+"/api/v1/query?query=node_supervisord_up", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var r struct {
			Status string `json:"status"`
			Data   struct {
				Result []series `json:"result"`
			} `json:"data"`
		}
		if json.NewDecoder(resp.Body).Decode(&r) != nil || r.Status != "success" {
			return false
		}
		got = r.Data.Result
		return len(got) == 9
	})
	require.True(t, ok, "prometheus returned %v\nlog:\n%s", got, promLog.String())
	var seen []string
	for _, s := range got {
		assert.Equal(t, "1", s.Value[1], "%v", s.Metric)
		seen = append(seen, s.Metric["job"]+" "+s.Metric["group"]+":"+s.Metric["name"])
	}
	sort.Strings(seen)
	assert.Equal(t, []string{
		"supervisord web:web", "supervisord web:web",
		"supervisord worker:worker_0", "supervisord worker:worker_0",
		"supervisord worker:worker_1", "supervisord worker:worker_1",
		"supervisord-auth web:web", "supervisord-auth worker:worker_0", "supervisord-auth worker:worker_1",
	}, seen)
}
