package supervise

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lineReader is a plain KEY=VALUE reader standing in for pyenv.ReadDotenv (whose format is
// tested in pyenv): this tests when and where the engine applies the file.
func lineReader(path string, environ []string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(b)), nil
}

func TestRealEnvFileReadAtEachStart(t *testing.T) {
	h := newRealOpts(t, Options{ReadEnvFile: lineReader})
	file := filepath.Join(t.TempDir(), ".env")
	require.NoError(t, os.WriteFile(file, []byte("HELPER_A=file1 HELPER_B=file"), 0o600))
	p := helperProg(t, "env", "env")
	p.StartSecs = -1
	p.AutoRestart = RestartNever
	p.Stdout.Events = true
	p.EnvFile = file
	p.Env = append(p.Env, "HELPER_B=env") // environment= wins over the file
	h.add(p)
	h.untilOutput("env", "HELPER_A=file1\nHELPER_B=env\n")
	h.untilState("env", Exited)

	require.NoError(t, os.WriteFile(file, []byte("HELPER_A=file2"), 0o600))
	_, err := h.sv.Start(context.Background(), "env", true)
	require.NoError(t, err)
	h.untilOutput("env", "HELPER_A=file2\n")
	h.untilState("env", Exited)

	require.NoError(t, os.Remove(file))
	_, err = h.sv.Start(context.Background(), "env", false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "environment_file: open "+file+": no such file or directory")
	info, err := h.sv.Status("env")
	require.NoError(t, err)
	assert.Equal(t, "environment_file: open "+file+": no such file or directory", info[0].SpawnErr)
}

func TestEnvFileWithoutReader(t *testing.T) {
	h := newHarness(t)
	p := quiet("app")
	p.EnvFile = "/etc/app.env"
	p.StartRetries = -1
	h.add(p)
	h.expect(Starting, Backoff, Fatal)
	assert.Equal(t, "environment_file /etc/app.env: the supervisor has no Options.ReadEnvFile", h.status("app").SpawnErr)
}
