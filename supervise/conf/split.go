package conf

import (
	"github.com/supervisord-lite/supervisord-lite/internal/ini"
	"github.com/supervisord-lite/supervisord-lite/internal/shlex"
)

// splitCommand is Python's shlex.split(s) (POSIX rules, no comments), which supervisord
// applies to command= at each spawn. Errors carry supervisord's spawn error text
// (`can't parse command '...': No closing quotation`, `command is empty`).
func splitCommand(s string) ([]string, error) {
	args, err := shlex.Split(s)
	if err != nil {
		return nil, errorf("can't parse command %s: %v", ini.Repr(s), err)
	}
	if len(args) == 0 {
		return nil, errorf("command is empty")
	}
	return args, nil
}
