package gunicorn

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLookupSetting(t *testing.T) {
	tests := []struct {
		name, field string
		typ         reflect.Type
	}{
		{"workers", "Workers", reflect.TypeOf(0)},
		{"graceful_timeout", "GracefulTimeout", reflect.TypeOf(time.Duration(0))},
		{"bind", "Bind", reflect.TypeOf([]string(nil))},
		{"preload_app", "PreloadApp", reflect.TypeOf(false)},
		{"certfile", "CertFile", reflect.TypeOf("")},
	}
	for _, tt := range tests {
		s, ok := LookupSetting(tt.name)
		require.True(t, ok, tt.name)
		assert.Equal(t, Setting{Name: tt.name, Field: tt.field, Type: tt.typ}, s)
	}
	for _, name := range []string{"backlog", "nosuch", "help", ""} {
		_, ok := LookupSetting(name)
		assert.False(t, ok, "%q has no Config field", name)
	}
	// Every field the flag table names exists with a settable type.
	for _, f := range gunicornFlags {
		if f.field == "" {
			continue
		}
		s, ok := LookupSetting(f.setting)
		require.True(t, ok, f.setting)
		assert.Contains(t, []reflect.Kind{reflect.String, reflect.Slice, reflect.Int, reflect.Int64, reflect.Uint32, reflect.Bool}, s.Type.Kind(), f.setting)
	}
}

func TestConfigSet(t *testing.T) {
	var c Config
	set := func(name string, v any) error {
		s, ok := LookupSetting(name)
		require.True(t, ok, name)
		return c.Set(s, v)
	}
	require.NoError(t, set("workers", 3))
	require.NoError(t, set("timeout", 5*time.Second))
	require.NoError(t, set("bind", []string{"127.0.0.1:1", "unix:/s"}))
	require.NoError(t, set("preload_app", true))
	assert.Equal(t, Config{Workers: 3, Timeout: 5 * time.Second, Bind: []string{"127.0.0.1:1", "unix:/s"}, PreloadApp: true}, c)
	assert.Error(t, set("workers", "3"), "a string for an int")
	assert.Error(t, set("timeout", 5), "an int for a duration")
	assert.Error(t, set("bind", nil))
}
