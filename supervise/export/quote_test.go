package export

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The expectations follow systemd.service(5) "Command lines" and systemd.exec(5)
// "Environment=": '$' expands variables in ExecStart= (so "$$" is a literal '$'), '%' starts a
// specifier everywhere ("%%"), a lone ';' separates commands.
func TestExecWord(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/bin/python3": "/usr/bin/python3",
		"--bind=127.0.0.1": "--bind=127.0.0.1",
		"wsgi:app":         "wsgi:app",
		"two words":        `"two words"`,
		"":                 `""`,
		"$HOME":            `"$$HOME"`,
		"100%":             `"100%%"`,
		`say "hi"`:         `"say \"hi\""`,
		`back\slash`:       `"back\\slash"`,
		";":                `\;`,
		"a;b":              `"a;b"`,
		"line\nbreak":      `"line\nbreak"`,
		"it's":             `"it's"`,
	} {
		assert.Equal(t, want, execWord(in), "%q", in)
	}
}

func TestQuoteValue(t *testing.T) {
	for in, want := range map[string]string{
		"A=b":              `"A=b"`,
		`Q=say "hi", 100%`: `"Q=say \"hi\", 100%%"`,
		"P=$HOME":          `"P=$HOME"`, // Environment= does not expand variables
		"T=a\tb":           `"T=a\tb"`,
		`B=C:\dir`:         `"B=C:\\dir"`,
	} {
		assert.Equal(t, want, quoteValue(in), "%q", in)
	}
}

func TestPriorityOrder(t *testing.T) {
	// after= chains consecutive priority steps, (group priority, process priority) order
	cfg, _ := loadCase(t, "realpaths")
	m, err := load(cfg, nil)
	if !assert.NoError(t, err) {
		return
	}
	units := unitNames(m.programs, "")
	after := priorityOrder(m.programs, units)
	assert.Empty(t, after["oneshot.service"])
	assert.Equal(t, []string{"oneshot.service"}, after["web@0.service"])
	assert.Equal(t, []string{"web@0.service", "web@1.service"}, after["ticker@2.service"])
	assert.Equal(t, []string{"ticker@0.service", "ticker@1.service", "ticker@2.service"}, after["sleeper.service"])
}

func TestUnitEscape(t *testing.T) {
	for in, want := range map[string]string{
		"web":     "web",
		"api+v2":  `api\x2bv2`,
		"a@b":     `a\x40b`,
		"x_y.z-1": "x_y.z-1",
		".hidden": `\x2ehidden`,
		"h\u00e9": `h\xc3\xa9`,
		"100%":    `100\x25`,
	} {
		assert.Equal(t, want, unitEscape(in), "%q", in)
	}
}
