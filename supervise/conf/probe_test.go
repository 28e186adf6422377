package conf

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/go-multierror"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var envNames = regexp.MustCompile(`ENV_[^,]*, `)

// TestProbeConfigErrors replays the 37 recorded runs of probe/config_errors/RESULTS.md: each
// broken config must give supervisord's message as its first error, each config that started
// must load.
func TestProbeConfigErrors(t *testing.T) {
	dir := filepath.Join(referenceDir, "probe", "config_errors")
	results, err := os.ReadFile(filepath.Join(dir, "RESULTS.md"))
	if err != nil {
		corpusDir(t)
		t.Fatal(err)
	}
	blocks := strings.Split(string(results), "### ")[1:]
	require.Len(t, blocks, 37)
	for _, b := range blocks {
		name, body, _ := strings.Cut(b, "\n")
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".conf")
			data, err := os.ReadFile(path)
			if name == "29_missing_config_file" {
				path = filepath.Join(dir, "does_not_exist.conf")
				_, err := Load(path, Options{})
				var me *multierror.Error
				require.True(t, errors.As(err, &me))
				assert.Equal(t, "could not find config file "+path, me.Errors[0].(*Error).Supervisord())
				return
			}
			require.NoError(t, err)
			data = []byte(strings.ReplaceAll(string(data), recordedDir, referenceDir))
			cfg, err := LoadData(path, data, Options{Hostname: "vm"})
			if strings.Contains(body, "STARTED OK") {
				require.NoError(t, err)
				require.NotNil(t, cfg)
				return
			}
			_, msg, ok := strings.Cut(body, "```\nError: ")
			require.True(t, ok)
			msg, _, _ = strings.Cut(msg, "\nFor help, use")
			msg = strings.ReplaceAll(msg, recordedDir, referenceDir)
			var me *multierror.Error
			require.True(t, errors.As(err, &me), "%v", err)
			first := me.Errors[0].(*Error)
			assert.Equal(t, envNames.ReplaceAllString(msg, ""), envNames.ReplaceAllString(first.Supervisord(), ""))
			if name != "08_no_supervisord_section" { // no line to name
				assert.Greater(t, first.Line, 0, "%v", first)
			}
		})
	}
}

func TestMiscParse(t *testing.T) {
	dir := filepath.Join(referenceDir, "probe", "misc_parse")
	load := func(t *testing.T, name string) (*Config, error) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			corpusDir(t)
			t.Fatal(err)
		}
		data = []byte(strings.ReplaceAll(string(data), recordedDir, referenceDir))
		return LoadData(filepath.Join(dir, name), data, Options{})
	}
	info := func(t *testing.T, name string) map[string]ConfigInfo {
		cfg, err := load(t, name)
		require.NoError(t, err)
		out := map[string]ConfigInfo{}
		for _, ci := range cfg.ConfigInfo() {
			out[namespec(ci.Group, ci.Name)] = ci
		}
		return out
	}
	t.Run("directory_process_num", func(t *testing.T) {
		ci := info(t, "directory_process_num.conf")
		assert.Equal(t, "/tmp/0", ci["a:a0"].Directory)
		assert.Equal(t, "/tmp/1", ci["a:a1"].Directory)
	})
	t.Run("inline_comment", func(t *testing.T) {
		assert.Equal(t, "/bin/sh -c 'echo a;echo b", info(t, "inline_comment.conf")["a"].Command)
	})
	t.Run("continuation_line", func(t *testing.T) {
		assert.Equal(t, "/bin/sleep\n100", info(t, "continuation_line.conf")["a"].Command)
	})
	t.Run("dup_section_merge", func(t *testing.T) {
		ci := info(t, "dup_section_merge.conf")["a"]
		assert.Equal(t, "/bin/sleep 100", ci.Command)
		assert.False(t, ci.AutoStart)
	})
	t.Run("uppercase_keys", func(t *testing.T) {
		ci := info(t, "uppercase_keys.conf")["a"]
		assert.Equal(t, "/bin/sleep 100", ci.Command)
		assert.False(t, ci.AutoStart)
	})
	t.Run("program_in_two_groups", func(t *testing.T) {
		ci := info(t, "program_in_two_groups.conf")
		assert.Len(t, ci, 2)
		assert.Contains(t, ci, "g1:a")
		assert.Contains(t, ci, "g2:a")
	})
	t.Run("empty_exitcodes", func(t *testing.T) {
		ci := info(t, "empty_exitcodes.conf")["a"]
		assert.Equal(t, []int{}, ci.ExitCodes)
	})
	t.Run("numprocs_zero", func(t *testing.T) {
		ci := info(t, "numprocs_zero.conf")
		assert.Len(t, ci, 1)
		assert.Contains(t, ci, "b")
	})
	t.Run("default_section", func(t *testing.T) {
		_, err := load(t, "default_section.conf")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "Could not make supervisor rpc interface")
	})
	t.Run("evname", func(t *testing.T) {
		_, err := load(t, "evname.conf")
		var me *multierror.Error
		require.True(t, errors.As(err, &me))
		assert.Equal(t, "Invalid name: 'a b' because of character: ' ' in section 'eventlistener:a b' (file: '"+filepath.Join(dir, "evname.conf")+"')",
			me.Errors[0].(*Error).Supervisord())
	})
}
