package gunicorn

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// TestFlagTableMatchesGunicorn compares the flag table Validate uses for Extra with the options
// the real gunicorn's argparse lists in --help: the same spellings, and a value exactly where
// gunicorn takes one.
func TestFlagTableMatchesGunicorn(t *testing.T) {
	bin := testenv.LookPath(t, "gunicorn", "gunicorn")
	out, rc := runGunicorn(t, bin, t.TempDir(), e2eEnv(), "--help")
	require.Equal(t, 0, rc, out)

	// "  -c CONFIG, --config CONFIG", "  --reload   Restart...", "  -h, --help ..."
	option := regexp.MustCompile(`^(-{1,2}[A-Za-z0-9_-]+)( [A-Z_]+)?$`)
	real := map[string]bool{} // spelling -> takes a value
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "  -") {
			continue
		}
		head := strings.TrimSpace(line)
		if i := strings.Index(head, "  "); i >= 0 {
			head = head[:i] // drop the help text on the same line
		}
		for _, part := range strings.Split(head, ", ") {
			m := option.FindStringSubmatch(part)
			require.NotNil(t, m, "cannot read option %q in line %q", part, line)
			real[m[1]] = m[2] != ""
		}
	}
	require.Greater(t, len(real), 70, "--help lists gunicorn's options")

	var ours, theirs []string
	for name, spec := range flagIndex {
		ours = append(ours, name)
		if takes, ok := real[name]; ok {
			assert.Equal(t, takes, spec.kind == kindValue || spec.kind == kindInt, "whether %s takes a value", name)
		}
	}
	for name := range real {
		theirs = append(theirs, name)
	}
	sort.Strings(ours)
	sort.Strings(theirs)
	assert.Equal(t, theirs, ours)
}
