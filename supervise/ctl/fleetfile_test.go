package ctl

import (
	"errors"
	"testing"

	"github.com/hashicorp/go-multierror"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseFleet: a good file gives its servers in order, values expanded; every problem of
// a bad one is reported at once with file:line.
func TestParseFleet(t *testing.T) {
	env := []string{"FLEET_PASS=s3cret"}
	got, err := parseFleet("/etc/fleet.ini", []byte(`; the fleet
[DEFAULT]
username = ops

[server:web1]
serverurl = http://10.0.0.1:9001
password = %(ENV_FLEET_PASS)s

[server:local]
serverurl = unix://%(here)s/supervisor.sock
username =
password = 100%%
`), env)
	require.NoError(t, err)
	assert.Equal(t, []Server{
		{Name: "web1", URL: "http://10.0.0.1:9001", Username: "ops", Password: "s3cret"},
		{Name: "local", URL: "unix:///etc/supervisor.sock", Username: "", Password: "100%"},
	}, got)

	tests := []struct {
		name, data string
		errs       []string
	}{
		{"empty", "; nothing\n", []string{"f.ini: no [server:NAME] section"}},
		{"no section", "serverurl = http://x:1\n", []string{"f.ini:1: an option before any [server:NAME] section"}},
		{"bad lines", "[server:a]\nserverurl=http://x:1\noops\n[server:b]\nserverurl=http://y:1\nagain\n",
			[]string{"f.ini:3: cannot parse 'oops'", "f.ini:6: cannot parse 'again'"}},
		{"all problems", `[server:a]
username = u

[web]
serverurl = http://x:1

[server: ]
serverurl = http://x:1

[server:b]
serverurl = ftp://x
passwd = typo
password = %(ENV_NOPE)s
`, []string{
			"f.ini:1: [server:a] has no serverurl",
			"f.ini:4: section [web] is not [server:NAME]",
			"f.ini:7: section [server: ] is not [server:NAME]",
			"f.ini:11: serverurl in [server:b]: 'ftp://x' is not an http:// or unix:// URL",
			"f.ini:12: unknown option 'passwd' in [server:b] (want serverurl, username, password)",
			"f.ini:13: password in [server:b]: cannot expand '%(ENV_NOPE)s': 'ENV_NOPE'",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFleet("f.ini", []byte(tt.data), env)
			require.Error(t, err)
			var me *multierror.Error
			if errors.As(err, &me) {
				var msgs []string
				for _, e := range me.Errors {
					var fe *FleetError
					assert.ErrorAs(t, e, &fe)
					msgs = append(msgs, e.Error())
				}
				assert.Equal(t, tt.errs, msgs)
			} else {
				assert.Equal(t, tt.errs, []string{err.Error()})
			}
		})
	}
}

// FuzzParseFleet: any file gives servers or errors, never a panic; every server has a name
// and a URL.
func FuzzParseFleet(f *testing.F) {
	f.Add([]byte("[server:a]\nserverurl=http://x:1\n"))
	f.Add([]byte("[server:a]\nserverurl=%(here)s\n  cont\n[DEFAULT]\nx=%%(\n"))
	f.Add([]byte("[server:]\n=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		servers, err := parseFleet("f.ini", data, nil)
		if err != nil {
			return
		}
		for _, s := range servers {
			assert.NotEmpty(t, s.Name)
			assert.NotEmpty(t, s.URL)
		}
	})
}
