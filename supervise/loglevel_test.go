package supervise

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestLogHandlerWritesSupervisordLines(t *testing.T) {
	at := time.Date(2026, 11, 25, 23, 23, 54, 305_999_999, time.Local)
	tests := []struct {
		level slog.Level
		msg   string
		attrs []slog.Attr
		want  string
	}{
		{slog.LevelInfo, "spawned: 'exit1' with pid 9685", nil, "2026-11-25 23:23:54,305 INFO spawned: 'exit1' with pid 9685\n"},
		{slog.LevelWarn, "exited: exit1 (exit status 1; not expected)", nil, "2026-11-25 23:23:54,305 WARN exited: exit1 (exit status 1; not expected)\n"},
		{slog.LevelError, "e", nil, "2026-11-25 23:23:54,305 ERRO e\n"},
		{LevelCritical, "c", nil, "2026-11-25 23:23:54,305 CRIT c\n"},
		{slog.LevelDebug, "d", []slog.Attr{slog.Int("n", 1), slog.String("s", "a b")}, "2026-11-25 23:23:54,305 DEBG d n=1 s=\"a b\"\n"},
		{LevelTrace, "t", nil, "2026-11-25 23:23:54,305 TRAC t\n"},
		{LevelBlather, "b", nil, "2026-11-25 23:23:54,305 BLAT b\n"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		h := NewLogHandler(&buf, LevelBlather)
		r := slog.NewRecord(at, tt.level, tt.msg, 0)
		r.AddAttrs(tt.attrs...)
		assert.NoError(t, h.Handle(context.Background(), r))
		assert.Equal(t, tt.want, buf.String())
	}
}

func TestLogHandlerLevelsAndGroups(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewLogHandler(&buf, nil)).WithGroup("g").With("k", "v")
	log.Debug("hidden")
	log.Info("shown", "x", 2)
	assert.Regexp(t, `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO shown g.k=v g.x=2\n$`, buf.String())
	for name, want := range map[string]slog.Level{"critical": LevelCritical, "ERROR": slog.LevelError,
		"warn": slog.LevelWarn, "info": slog.LevelInfo, "debug": slog.LevelDebug, "trace": LevelTrace, "blather": LevelBlather} {
		l, ok := ParseLevel(name)
		assert.True(t, ok, name)
		assert.Equal(t, want, l, name)
	}
	_, ok := ParseLevel("loud")
	assert.False(t, ok)
}

func TestSignalNamesAndExitStatus(t *testing.T) {
	for _, s := range []string{"TERM", "sigterm", "SIGTERM", "15"} {
		sig, err := ParseSignal(s)
		assert.NoError(t, err, s)
		assert.Equal(t, "SIGTERM", SignalName(sig))
	}
	for _, s := range []string{"", "NOPE", "0", "65", "-1", "1x"} {
		_, err := ParseSignal(s)
		assert.ErrorIs(t, err, ErrBadSignal, s)
	}
	assert.Equal(t, "exit status 3", Exit(3).String())
	assert.Equal(t, "terminated by SIGKILL", Killed(9).String())
	assert.Equal(t, "terminated by SIGSEGV (core dumped)", ExitStatus{Code: -1, Signal: 11, CoreDump: true}.String())
	assert.Equal(t, "signal 40", SignalName(40))
}
