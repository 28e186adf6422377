package pyenv

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// DefaultSourceTOML is the text pipenv 2022.12.19 (plette) prepends to a
// Pipfile that has no top-level "source" key before hashing it.
const DefaultSourceTOML = "[[source]]\nname = \"pypi\"\nurl = \"https://pypi.org/simple\"\nverify_ssl = true\n"

// ErrNoLock is returned when the project has no Pipfile.lock.
var ErrNoLock = fmt.Errorf("no Pipfile.lock: %w", ErrNotFound)

// HashError is a Pipfile that pipenv cannot hash (it crashes on it): bad
// TOML, not UTF-8, a schema violation, a date.
type HashError struct {
	Path string // the Pipfile, "" when hashing bytes
	Err  error
}

func (e *HashError) Error() string {
	if e.Path == "" {
		return "pipfile: " + e.Err.Error()
	}
	return fmt.Sprintf("pipfile %s: %v", e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *HashError) Unwrap() error { return e.Err }

// PipfileHash returns the sha256 (lower-case hex) that pipenv 2022.12.19
// writes into Pipfile.lock's _meta.hash.sha256 for the Pipfile at path.
// The error is a *HashError.
func PipfileHash(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", &HashError{Path: path, Err: err}
	}
	h, err := HashPipfile(b)
	if err != nil {
		var he *HashError
		if errors.As(err, &he) {
			he.Path = path
		}
		return "", err
	}
	return h, nil
}

// HashPipfile is PipfileHash over a Pipfile's contents: read as UTF-8 text
// with universal newlines, parsed as TOML, DefaultSourceTOML prepended as
// text when there is no "source" key, validated like plette, and the
// {"_meta": {"sources", "requires"}, "default", "develop", <categories>}
// object serialised as Python's json.dumps(sort_keys=True,
// separators=(",", ":")) and hashed. Package names are hashed verbatim
// (pipenv >= 2026.4.0 canonicalises them first; see the README).
func HashPipfile(content []byte) (string, error) {
	data, err := loadPipfile(content, true)
	if err != nil {
		return "", err
	}
	if err := validatePipfile(data); err != nil {
		return "", &HashError{Err: err}
	}
	obj := map[string]interface{}{
		"_meta": map[string]interface{}{
			"sources":  data["source"],
			"requires": getOr(data, "requires"),
		},
		"default": getOr(data, "packages"),
		"develop": getOr(data, "dev-packages"),
	}
	for k, v := range data {
		if _, known := pipfileSections[k]; known || k == "default" || k == "develop" || k == "pipenv" {
			continue
		}
		obj[k] = v
	}
	var b strings.Builder
	if err := pyJSON(&b, obj); err != nil {
		return "", &HashError{Err: err}
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:]), nil
}

func getOr(m map[string]interface{}, k string) interface{} {
	if v, ok := m[k]; ok {
		return v
	}
	return map[string]interface{}{}
}

var pipfileSections = map[string]bool{
	"source": true, "packages": true, "dev-packages": true, "requires": true,
	"scripts": true, "pipfile": true, "pipenv": true,
}

// loadPipfile parses Pipfile text; with defaultSource, plette's textual
// insertion of the default source is applied.
func loadPipfile(content []byte, defaultSource bool) (map[string]interface{}, error) {
	if !utf8.Valid(content) {
		return nil, &HashError{Err: errors.New("not valid UTF-8")}
	}
	s := strings.ReplaceAll(string(content), "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if strings.HasPrefix(s, "\ufeff") {
		// Python keeps the BOM as a character and tomlkit rejects it
		// ("Empty key"); the TOML library here would skip it.
		return nil, &HashError{Err: errors.New("invalid TOML: a byte order mark at the start")}
	}
	data := map[string]interface{}{}
	if _, err := toml.Decode(s, &data); err != nil {
		return nil, &HashError{Err: fmt.Errorf("invalid TOML: %w", err)}
	}
	if !defaultSource {
		return data, nil
	}
	if _, ok := data["source"]; !ok {
		sep := "\n"
		if strings.HasPrefix(s, "\n") {
			sep = ""
		}
		s = DefaultSourceTOML + sep + s
		data = map[string]interface{}{}
		if _, err := toml.Decode(s, &data); err != nil {
			return nil, &HashError{Err: fmt.Errorf("invalid TOML after inserting the default [[source]]: %w", err)}
		}
	}
	return data, nil
}

// validatePipfile applies plette's schemas (unknown keys allowed).
func validatePipfile(data map[string]interface{}) error {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := data[k]
		var err error
		switch k {
		case "source":
			err = validateSources(v)
		case "requires":
			err = validateStringFields(v, "python_version", "python_full_version")
		case "scripts":
			err = validateScripts(v)
		case "pipfile":
		case "pipenv":
			err = validatePipenvSection(v)
		default: // packages, dev-packages and custom categories
			err = validatePackages(v)
		}
		if err != nil {
			return fmt.Errorf("[%s]: %w", k, err)
		}
	}
	return nil
}

func asList(v interface{}) ([]interface{}, bool) {
	switch x := v.(type) {
	case []interface{}:
		return x, true
	case []map[string]interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out, true
	}
	return nil, false
}

func validateSources(v interface{}) error {
	list, ok := asList(v)
	if !ok {
		return errors.New("must be an array of tables")
	}
	for i, e := range list {
		m, ok := e.(map[string]interface{})
		if !ok {
			return fmt.Errorf("source %d must be a table", i+1)
		}
		for _, f := range []string{"name", "url"} {
			if s, ok := m[f].(string); !ok {
				_ = s
				return fmt.Errorf("source %d: %s must be a string", i+1, f)
			}
		}
		if _, ok := m["verify_ssl"].(bool); !ok {
			return fmt.Errorf("source %d: verify_ssl must be a boolean", i+1)
		}
	}
	return nil
}

func validateStringFields(v interface{}, fields ...string) error {
	m, ok := v.(map[string]interface{})
	if !ok {
		return errors.New("must be a table")
	}
	for _, f := range fields {
		if x, ok := m[f]; ok {
			if _, ok := x.(string); !ok {
				return fmt.Errorf("%s must be a string", f)
			}
		}
	}
	return nil
}

func validateScripts(v interface{}) error {
	m, ok := v.(map[string]interface{})
	if !ok {
		return errors.New("must be a table")
	}
	for k, s := range m {
		switch x := s.(type) {
		case string:
			if x == "" {
				return fmt.Errorf("script %q is empty", k)
			}
		default:
			list, ok := asList(x)
			if !ok {
				return fmt.Errorf("script %q must be a string or a list of strings", k)
			}
			if len(list) == 0 {
				return fmt.Errorf("script %q is empty", k)
			}
			for _, e := range list {
				if _, ok := e.(string); !ok {
					return fmt.Errorf("script %q must be a list of strings", k)
				}
			}
		}
	}
	return nil
}

func validatePipenvSection(v interface{}) error {
	m, ok := v.(map[string]interface{})
	if !ok {
		return errors.New("must be a table")
	}
	if x, ok := m["allow_prereleases"]; ok {
		if _, ok := x.(bool); !ok {
			return errors.New("allow_prereleases must be a boolean")
		}
	}
	return nil
}

func validatePackages(v interface{}) error {
	m, ok := v.(map[string]interface{})
	if !ok {
		return errors.New("must be a table of packages")
	}
	for name, spec := range m {
		switch x := spec.(type) {
		case string:
		case map[string]interface{}:
			if ver, ok := x["version"]; ok {
				if _, ok := ver.(string); !ok {
					return fmt.Errorf("package %q: version must be a string", name)
				}
			}
			if ex, ok := x["extras"]; ok {
				if _, ok := asList(ex); !ok {
					return fmt.Errorf("package %q: extras must be a list", name)
				}
			}
		default:
			return fmt.Errorf("package %q must be a version string or a table", name)
		}
	}
	return nil
}

// LockPath is the project's lock file: the Pipfile path plus ".lock".
func (p *Project) LockPath() string { return p.Pipfile + ".lock" }

// LockHash returns the lock's _meta.hash.sha256 as pipenv reads it: "" for
// a lock that is not valid JSON or has no hash. The error wraps ErrNoLock
// when there is no lock.
func (p *Project) LockHash() (string, error) {
	path := p.LockPath()
	b, err := os.ReadFile(p.fs.abs(path))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", &PipfileError{Path: path, Err: ErrNoLock}
		}
		return "", &PipfileError{Path: path, Err: err}
	}
	var doc interface{}
	if err := json.Unmarshal(b, &doc); err != nil {
		return "", nil // pipenv: "Lockfile corrupted" -> ""
	}
	top, ok := doc.(map[string]interface{})
	if !ok {
		return "", nil
	}
	metaV, ok := top["_meta"]
	if !ok {
		return "", nil
	}
	meta, ok := metaV.(map[string]interface{})
	if !ok {
		return "", &PipfileError{Path: path, Err: errors.New("_meta is not an object")}
	}
	hashV, ok := meta["hash"]
	if !ok {
		return "", nil
	}
	hash, ok := hashV.(map[string]interface{})
	if !ok {
		return "", &PipfileError{Path: path, Err: errors.New("_meta.hash is not an object")}
	}
	s, _ := hash["sha256"].(string)
	return s, nil
}

// LockStale reports whether Pipfile.lock is out of date as pipenv judges
// it: missing, corrupt, or its _meta.hash.sha256 differs from
// PipfileHash(Pipfile). The error is the Pipfile's *HashError or a lock
// that cannot be read.
func (p *Project) LockStale() (bool, error) {
	want, err := PipfileHash(p.fs.abs(p.Pipfile))
	if err != nil {
		return false, err
	}
	got, err := p.LockHash()
	if errors.Is(err, ErrNoLock) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return got != want, nil
}

// Requires is a Pipfile's [requires] table.
type Requires struct {
	PythonVersion     string // python_version, e.g. "3.11"
	PythonFullVersion string // python_full_version, e.g. "3.11.7"
}

// Required is pipenv's required_python_version: python_full_version if
// set, else python_version; "*" means no requirement ("").
func (r Requires) Required() string {
	v := r.PythonFullVersion
	if v == "" {
		v = r.PythonVersion
	}
	if v == "*" {
		return ""
	}
	return v
}

// Requires reads the project's [requires] table.
func (p *Project) Requires() (Requires, error) {
	b, err := os.ReadFile(p.fs.abs(p.Pipfile))
	if err != nil {
		return Requires{}, &PipfileError{Path: p.Pipfile, Err: err}
	}
	data, err := loadPipfile(b, false)
	if err != nil {
		return Requires{}, &PipfileError{Path: p.Pipfile, Err: err}
	}
	var r Requires
	if m, ok := data["requires"].(map[string]interface{}); ok {
		r.PythonVersion, _ = m["python_version"].(string)
		r.PythonFullVersion, _ = m["python_full_version"].(string)
	}
	return r, nil
}

// RequiresError is a Python version that does not satisfy [requires].
type RequiresError struct {
	Required, Actual string
}

func (e *RequiresError) Error() string {
	return fmt.Sprintf("pipenv: Pipfile requires python_version %s, but the interpreter is %s", e.Required, e.Actual)
}

// CheckRequires checks actual (e.g. "3.11.7") against the requirement
// (Requires.Required()) as pipenv does: a plain substring test, so "3.1"
// is satisfied by 3.11.2. An empty requirement is always satisfied. The
// error is a *RequiresError.
func CheckRequires(required, actual string) error {
	if required == "" || strings.Contains(actual, required) {
		return nil
	}
	return &RequiresError{Required: required, Actual: actual}
}

var versionLike = regexp.MustCompile(`^[0-9]+\.[0-9]+(\.[0-9]+)?`)

// InterpreterVersion finds the Python version of an installation or venv
// prefix without running it: pyvenv.cfg's version / version_info key, else
// the leading X.Y[.Z] of the prefix's base name (pyenv's versions/3.11.7).
func InterpreterVersion(prefix string) (string, error) {
	if f, err := os.Open(filepath.Join(prefix, "pyvenv.cfg")); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), "=")
			if !ok {
				continue
			}
			k = strings.TrimSpace(k)
			if k == "version" || k == "version_info" {
				if m := versionLike.FindString(strings.TrimSpace(v)); m != "" {
					return m, nil
				}
			}
		}
	}
	if m := versionLike.FindString(filepath.Base(prefix)); m != "" {
		return m, nil
	}
	return "", fmt.Errorf("pyenv: cannot tell the Python version of %s: %w", prefix, ErrNotFound)
}
