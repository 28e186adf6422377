package conf

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-multierror"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

const referenceDir = "/work/shared/reference/supervisord"

// recordedDir is where the corpus lived when the real supervisord produced its answers.
const recordedDir = "/srv/fixtures/supervisord"

func corpusDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(referenceDir, "corpus")
	testenv.RequireFile(t, dir, "the supervisord reference corpus")
	return dir
}

// namespec is supervisord's make_namespec.
func namespec(group, name string) string {
	if group == name {
		return name
	}
	return group + ":" + name
}

func TestCorpusValid(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(corpusDir(t), "valid", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for _, dir := range dirs {
		dir := dir
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cfg, err := Load(filepath.Join(dir, "supervisord.conf"), Options{Hostname: "vm"})
			require.NoError(t, err)
			infos := cfg.ConfigInfo()
			var names []string
			for _, ci := range infos {
				names = append(names, namespec(ci.Group, ci.Name))
			}
			want, err := os.ReadFile(filepath.Join(dir, "expected.txt"))
			require.NoError(t, err)
			assert.Equal(t, strings.Fields(string(want)), names)

			raw, err := os.ReadFile(filepath.Join(dir, "config_info.json"))
			require.NoError(t, err)
			raw = []byte(strings.ReplaceAll(string(raw), recordedDir, referenceDir))
			var wantInfo []map[string]any
			require.NoError(t, json.Unmarshal(raw, &wantInfo))
			require.Len(t, infos, len(wantInfo))
			for i, ci := range infos {
				got := normalizeJSON(t, ci.Map())
				w := wantInfo[i]
				for _, k := range []string{"stdout_logfile", "stderr_logfile"} {
					if got[k] == "auto" {
						// AUTO paths are random mkstemp names in the recording
						assert.Contains(t, w[k], "---", "%s %s", ci.Name, k)
						w[k] = "auto"
					}
				}
				assert.Equal(t, w, got, "config info of %s", ci.Name)
			}
			for _, g := range cfg.SuperviseGroups() {
				assert.NoError(t, g.Validate())
			}
			// what the child received (05): every non-SUPERVISOR_ variable is in Program.Env
			if envText, err := os.ReadFile(filepath.Join(dir, "expected_env.txt")); err == nil {
				var env []string
				for _, g := range cfg.SuperviseGroups() {
					for _, p := range g.Programs {
						if p.Name == "envdump" {
							env = p.Env
						}
					}
				}
				require.NotEmpty(t, env)
				for _, line := range strings.Split(strings.TrimSpace(string(envText)), "\n") {
					if !strings.HasPrefix(line, "SUPERVISOR_") {
						assert.Contains(t, env, line)
					}
				}
			}
		})
	}
}

func normalizeJSON(t *testing.T, m map[string]any) map[string]any {
	b, err := json.Marshal(m)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func TestCorpusBroken(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(corpusDir(t), "broken", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for _, dir := range dirs {
		dir := dir
		t.Run(filepath.Base(dir), func(t *testing.T) {
			tmpl, err := os.ReadFile(filepath.Join(dir, "expected_error.template.txt"))
			require.NoError(t, err)
			path := filepath.Join(dir, "supervisord.conf")
			want := expectedStderr(t, string(tmpl), path)
			cfg, err := Load(path, Options{Hostname: "vm"})
			assert.Nil(t, cfg)
			require.Error(t, err)
			var me *multierror.Error
			require.True(t, errors.As(err, &me))
			var first *Error
			require.True(t, errors.As(me.Errors[0], &first))
			assert.Equal(t, want, first.Supervisord())
			assert.Greater(t, first.Line, 0, "errors carry a line: %v", first)
		})
	}
}

// expectedStderr returns the message after "Error: " from a recorded stderr, with {CONFIG}
// replaced by path.
func expectedStderr(t *testing.T, tmpl, path string) string {
	t.Helper()
	_, stderr, ok := strings.Cut(tmpl, "--- stderr ---\n")
	require.True(t, ok)
	stderr, _, _ = strings.Cut(stderr, "\nFor help, use")
	stderr = strings.TrimPrefix(stderr, "Error: ")
	return strings.ReplaceAll(stderr, "{CONFIG}", path)
}
