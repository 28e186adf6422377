package pyapp

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/supervisord-lite/supervisord-lite/gunicorn"
	"github.com/supervisord-lite/supervisord-lite/internal/shlex"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// Keys of a [gunicorn:x] section that are not gunicorn settings of the flag table.
const (
	keyApp       = "app"        // the WSGI app, "module:variable" (gunicorn's positional APP_MODULE)
	keyExtraArgs = "extra_args" // more gunicorn arguments, split as a command= line
)

// programKeys are gunicorn settings whose names a [gunicorn:x] section uses as supervisord's
// program options (user=, umask=), and gunicorn's group that goes with its user.
var programKeys = map[string]bool{"user": true, "group": true, "umask": true}

// setOption sets the gunicorn setting key of gc from the section's text value v, with the
// section's conventions: numbers are whole and not negative, times are whole seconds (0 =
// gunicorn.Disabled), limit_request_* 0 = gunicorn.Unlimited, workers may be "auto", lists
// are separated by commas or whitespace, booleans are supervisord's. It reports false for a
// key that is not a gunicorn setting.
func setOption(gc *gunicorn.Config, key, v string) (bool, error) {
	switch key {
	case keyApp:
		gc.App = v
		return true, nil
	case keyExtraArgs:
		args, err := shlex.Split(v)
		gc.Extra = args
		return true, err
	}
	if programKeys[key] {
		return false, nil
	}
	s, ok := gunicorn.LookupSetting(key)
	if !ok {
		return false, nil
	}
	val, err := parseSetting(s, v)
	if err != nil {
		return true, err
	}
	return true, gc.Set(s, val)
}

// parseSetting reads v as the value of setting s.
func parseSetting(s gunicorn.Setting, v string) (any, error) {
	whole := func() (int, error) {
		n, err := conf.ParseInt(v)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("not a non-negative integer: %q", v)
		}
		return n, nil
	}
	switch {
	case s.Name == "workers":
		if strings.EqualFold(strings.TrimSpace(v), "auto") {
			return 0, nil
		}
		n, err := conf.ParseInt(v)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("not a positive integer: %q", v)
		}
		return n, nil
	case s.Name == "cert_reqs":
		switch strings.ToLower(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(v)), "CERT_")) {
		case "0", "none":
			return gunicorn.CertNone, nil
		case "1", "optional":
			return gunicorn.CertOptional, nil
		case "2", "required":
			return gunicorn.CertRequired, nil
		}
		return 0, fmt.Errorf("cert_reqs must be 0, 1, 2, none, optional or required, not %q", v)
	case strings.HasPrefix(s.Name, "limit_request_"):
		n, err := whole()
		if n == 0 && err == nil {
			n = gunicorn.Unlimited
		}
		return n, err
	case s.Type == reflect.TypeOf(time.Duration(0)):
		n, err := conf.ParseInt(v)
		if err != nil || n < 0 {
			return time.Duration(0), fmt.Errorf("not a whole number of seconds: %q", v)
		}
		if n == 0 {
			return gunicorn.Disabled, nil
		}
		return time.Duration(n) * time.Second, nil
	}
	switch s.Type.Kind() {
	case reflect.String:
		return v, nil
	case reflect.Slice:
		return splitList(v), nil
	case reflect.Bool:
		return conf.ParseBool(strings.TrimSpace(v))
	case reflect.Int:
		return whole()
	}
	return nil, fmt.Errorf("a %s setting cannot be written in a section", s.Type)
}

// splitList splits a list setting on commas and whitespace (bind = a:1, b:2).
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}
