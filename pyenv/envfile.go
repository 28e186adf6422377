package pyenv

import (
	"errors"
	"fmt"
	"os"
	"unicode/utf8"
)

// ReadDotenv reads a dotenv file as pipenv reads a project's .env (python-dotenv's
// load_dotenv with override): "[export ]KEY=VALUE" lines with quoting, comments and
// ${NAME} / ${NAME:-default} interpolated against environ ("KEY=VALUE" strings) overlaid with
// the file's earlier bindings. It returns the file's assignments as "KEY=VALUE" strings, in
// the order of their first binding in the file, each with its last value; a KEY without "="
// assigns nothing. An error names the path (a missing file wraps fs.ErrNotExist).
func ReadDotenv(path string, environ []string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err // *fs.PathError: "open /srv/app/.env: no such file or directory"
	}
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("%s: %w", path, errors.New("not valid UTF-8"))
	}
	env := newEnvMap(environ)
	bindings := parseDotenv(string(b))
	applyDotenv(env, bindings)
	var out []string
	seen := map[string]bool{}
	for _, bd := range bindings {
		if seen[bd.key] {
			continue
		}
		seen[bd.key] = true
		if v, ok := env[bd.key]; ok && hasSet(bindings, bd.key) {
			out = append(out, bd.key+"="+v)
		}
	}
	return out, nil
}

// hasSet reports whether key is given a value somewhere in bindings.
func hasSet(bindings []dotenvBinding, key string) bool {
	for _, b := range bindings {
		if b.key == key && b.set {
			return true
		}
	}
	return false
}
