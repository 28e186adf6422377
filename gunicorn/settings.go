package gunicorn

import (
	"fmt"
	"reflect"
)

// Setting is one gunicorn setting that a Config field writes, from the flag table (flags.go),
// for readers of gunicorn settings written as text (a [gunicorn:x] section).
type Setting struct {
	// Name is gunicorn's setting name, as a gunicorn config file and --print-config spell
	// it: "graceful_timeout".
	Name string
	// Field is the Config field that writes it: "GracefulTimeout".
	Field string
	// Type is the field's type: string, []string, int, uint32 (Umask), bool or time.Duration.
	Type reflect.Type
}

// LookupSetting returns the setting called name, if a Config field writes it.
func LookupSetting(name string) (Setting, bool) {
	for _, f := range gunicornFlags {
		if f.setting != name || f.field == "" {
			continue
		}
		sf, ok := reflect.TypeOf(Config{}).FieldByName(f.field)
		if !ok {
			return Setting{}, false
		}
		return Setting{Name: f.setting, Field: f.field, Type: sf.Type}, true
	}
	return Setting{}, false
}

// Set sets the field of s to v, which must have the field's type (Setting.Type).
func (c *Config) Set(s Setting, v any) error {
	f := reflect.ValueOf(c).Elem().FieldByName(s.Field)
	if !f.IsValid() {
		return fmt.Errorf("gunicorn: setting %s: no Config field %s", s.Name, s.Field)
	}
	val := reflect.ValueOf(v)
	if !val.IsValid() || val.Type() != f.Type() {
		return fmt.Errorf("gunicorn: setting %s: a %T given for a %s", s.Name, v, f.Type())
	}
	f.Set(val)
	return nil
}
