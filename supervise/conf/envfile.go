package conf

import (
	"path/filepath"

	"github.com/supervisord-lite/supervisord-lite/internal/ini"
)

// keyEnvFile is supervisord-lite's environment_file = PATH (supervise.Program.EnvFile): an
// absolute path after expansion (%(here)s is the config file's directory).
const keyEnvFile = "environment_file"

// readEnvFile reads environment_file of section c.
func readEnvFile(c *sectx, vars map[string]any) string {
	s, line, present, ok := c.get(keyEnvFile, "", vars)
	s = ini.Strip(s)
	if !present || !ok || s == "" {
		return ""
	}
	if !filepath.IsAbs(s) {
		c.fail(line, errorf("%s %s is not an absolute path (%%(here)s is the config file's directory)", keyEnvFile, s))
		return ""
	}
	return filepath.Clean(s)
}
