package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/web"
)

// Serve the dashboard of a Supervisor. A daemon mounts it on the XML-RPC API's listeners,
// behind their auth, with rpc.Options{Handlers: map[string]http.Handler{"/": dash}} (or
// daemon.Options.Handlers with a PerRequest); here a test server shows the page.
func Example() {
	sv := supervise.New(supervise.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svDone := make(chan error, 1)
	go func() { svDone <- sv.Serve(ctx) }()
	none := supervise.Log{Path: supervise.LogNone}
	_ = sv.Add(ctx, supervise.Group{Name: "app", Programs: []supervise.Program{{
		Name: "web", Command: "/bin/sleep", Args: []string{"1000"}, AutoStart: supervise.Off,
		Stdout: none, Stderr: none}}})

	dash, err := web.New(web.Options{Backend: sv, Identifier: "example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(dash)
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		fmt.Println(err)
		return
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"))
	row := regexp.MustCompile(`<td class="s"><span>(\w+)</span></td><td class="d">([^<]*)</td><td class="n">([^<]*)</td>`)
	for _, m := range row.FindAllStringSubmatch(string(page), -1) {
		fmt.Println(m[3], m[1], m[2])
	}

	srv.Close()
	cancel()
	<-svDone
	// Output:
	// 200 text/html; charset=utf-8
	// app:web STOPPED Not started
}
