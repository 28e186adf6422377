package export

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// placeholder stands for the temporary directory a test config was copied into, so that the
// golden files do not depend on where the test runs.
const placeholder = "/srv/HERE"

// loadCase copies testdata/name (the config and the files it includes) into a temporary
// directory (with the logs/ and run/ directories the configs name) and loads it with a fixed environment and host name.
func loadCase(t *testing.T, name string) (*conf.Config, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "logs"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "run"), 0o755))
	src := filepath.Join("testdata", name)
	require.NoError(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".golden") {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), data, 0o644)
	}))
	path := filepath.Join(dir, "supervisord.conf")
	cfg, err := conf.Load(path, conf.Options{Environ: []string{"HOME=/root", "PATH=/usr/bin:/bin"}, Hostname: "vm"})
	require.NoError(t, err)
	return cfg, dir
}

// cases are the configs under testdata/ (the 0N_ ones come from the supervisord reference
// corpus, where the real supervisord 4.2.5 accepted them).
func cases(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("testdata")
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	require.NotEmpty(t, names)
	return names
}

// systemdText is the units as one text: each file under a "==> name <==" line.
func systemdText(files []File) []byte {
	var b bytes.Buffer
	for _, f := range files {
		b.WriteString("==> " + f.Name + " <==\n")
		b.Write(f.Data)
		b.WriteString("\n")
	}
	return b.Bytes()
}

func warningText(ws []Warning) []byte {
	var b bytes.Buffer
	for _, w := range ws {
		b.WriteString(w.String() + "\n")
	}
	return b.Bytes()
}

// golden compares got (with the temporary directory replaced) with testdata/name/file, or
// rewrites the file under -update.
func golden(t *testing.T, name, file, dir string, got []byte) {
	t.Helper()
	got = bytes.ReplaceAll(got, []byte(dir), []byte(placeholder))
	path := filepath.Join("testdata", name, file)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test -run %s -update", t.Name())
	assert.Equal(t, string(want), string(got), "%s differs from the golden file (go test -update rewrites it)", path)
}

func TestSystemdGolden(t *testing.T) {
	for _, name := range cases(t) {
		t.Run(name, func(t *testing.T) {
			cfg, dir := loadCase(t, name)
			files, warns, err := Systemd(cfg, SystemdOptions{})
			require.NoError(t, err)
			golden(t, name, "systemd.golden", dir, systemdText(files))
			golden(t, name, "systemd-warnings.golden", dir, warningText(warns))

			journal, _, err := Systemd(cfg, SystemdOptions{Journald: true, Prefix: "app-", Target: "app.target"})
			require.NoError(t, err)
			golden(t, name, "systemd-journald.golden", dir, systemdText(journal))
		})
	}
}

func TestNomadGolden(t *testing.T) {
	for _, name := range cases(t) {
		t.Run(name, func(t *testing.T) {
			cfg, dir := loadCase(t, name)
			job, warns, err := Nomad(cfg, NomadOptions{})
			require.NoError(t, err)
			golden(t, name, "nomad.golden", dir, job)
			golden(t, name, "nomad-warnings.golden", dir, warningText(warns))
		})
	}
}

// TestDeterministic exports each config, loaded afresh each time, several times: the bytes
// never change (no map order, no clock).
func TestDeterministic(t *testing.T) {
	for _, name := range cases(t) {
		t.Run(name, func(t *testing.T) {
			var firstUnits, firstJob, firstWarn []byte
			for i := 0; i < 5; i++ {
				cfg, dir := loadCase(t, name)
				files, w1, err := Systemd(cfg, SystemdOptions{})
				require.NoError(t, err)
				job, w2, err := Nomad(cfg, NomadOptions{})
				require.NoError(t, err)
				units := bytes.ReplaceAll(systemdText(files), []byte(dir), []byte(placeholder))
				job = bytes.ReplaceAll(job, []byte(dir), []byte(placeholder))
				warn := bytes.ReplaceAll(append(warningText(w1), warningText(w2)...), []byte(dir), []byte(placeholder))
				if i == 0 {
					firstUnits, firstJob, firstWarn = units, job, warn
					continue
				}
				require.Equal(t, string(firstUnits), string(units))
				require.Equal(t, string(firstJob), string(job))
				require.Equal(t, string(firstWarn), string(warn))
			}
		})
	}
}

func TestGoldenFilesAreUsed(t *testing.T) {
	// every golden file belongs to a case the tests above produce
	known := map[string]bool{"supervisord.conf": true, "systemd.golden": true, "systemd-warnings.golden": true,
		"systemd-journald.golden": true, "nomad.golden": true, "nomad-warnings.golden": true}
	for _, name := range cases(t) {
		entries, err := os.ReadDir(filepath.Join("testdata", name))
		require.NoError(t, err)
		for _, e := range entries {
			if e.IsDir() {
				continue // included files
			}
			assert.True(t, known[e.Name()] || strings.HasPrefix(e.Name(), "."), "stray file testdata/%s/%s", name, e.Name())
		}
	}
}
