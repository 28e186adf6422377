package supervise

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/hashicorp/go-multierror"
)

// CleanAutoLogs deletes the AUTO child logs a previous run with the same identifier left in
// dir, as supervisord does at startup unless nocleanup is set (options.py
// clear_autochildlogdir): every file whose name starts like
// "<anything>---<identifier>-<non-space>.log" (optionally followed by ".N", N up to 4 digits),
// the identifier used as a regular expression as supervisord does. It returns the removed
// paths; a file that cannot be removed is reported and the rest are still tried.
func CleanAutoLogs(dir, identifier string) ([]string, error) {
	if identifier == "" {
		identifier = "supervisor"
	}
	re, err := regexp.Compile(`^.+?---` + identifier + `-\S+\.log\.?\d{0,4}`)
	if err != nil {
		re = regexp.MustCompile(`^.+?---` + regexp.QuoteMeta(identifier) + `-\S+\.log\.?\d{0,4}`)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("clean AUTO logs in %s: %w", dir, err)
	}
	var removed []string
	var errs *multierror.Error
	for _, e := range entries {
		if e.IsDir() || !re.MatchString(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if err := os.Remove(path); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("clean AUTO log: %w", err))
			continue
		}
		removed = append(removed, path)
	}
	return removed, errs.ErrorOrNil()
}
