package supervise

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/supervisord-lite/supervisord-lite/internal/ini"
	"github.com/supervisord-lite/supervisord-lite/internal/shlex"
)

// spawnError is a failure found before fork (supervisord's ProcessException); its text is the
// spawnerr.
type spawnError struct {
	msg      string
	notFound bool
}

func (e *spawnError) Error() string { return e.msg }

// pyRepr quotes s as Python's repr of a str does, for messages that must read as
// supervisord's ("can't find command '/x'").
func pyRepr(s string) string { return ini.Repr(s) }

// resolve returns the executable and argv, with supervisord's checks and messages
// (get_execv_args, check_execv_args). It runs at every spawn, as supervisord's does.
func (p *process) resolve() (string, []string, error) {
	if p.prog.CommandError != nil {
		return "", nil, &spawnError{msg: p.prog.CommandError.Error()}
	}
	var argv []string
	if p.prog.CommandLine != "" {
		words, err := shlex.Split(p.prog.CommandLine)
		if err != nil {
			return "", nil, &spawnError{msg: fmt.Sprintf("can't parse command %s: %v", pyRepr(p.prog.CommandLine), err)}
		}
		argv = words
	} else if p.prog.Command != "" {
		argv = append([]string{p.prog.Command}, p.prog.Args...)
	}
	if len(argv) == 0 {
		return "", nil, &spawnError{msg: "command is empty"}
	}
	prog := argv[0]
	filename := prog
	var st os.FileInfo
	if strings.Contains(prog, "/") {
		st, _ = os.Stat(prog)
	} else {
		for _, dir := range p.searchPath() {
			found := filepath.Join(dir, prog)
			if fi, err := os.Stat(found); err == nil {
				st, filename = fi, found
				break
			}
		}
	}
	switch {
	case st == nil:
		return "", nil, &spawnError{msg: "can't find command " + pyRepr(filename), notFound: true}
	case st.IsDir():
		return "", nil, &spawnError{msg: "command at " + pyRepr(filename) + " is a directory"}
	case st.Mode().Perm()&0o111 == 0:
		return "", nil, &spawnError{msg: "command at " + pyRepr(filename) + " is not executable"}
	case syscall.Access(filename, 1 /* X_OK */) != nil:
		return "", nil, &spawnError{msg: "no permission to run command " + pyRepr(filename)}
	}
	return filename, argv, nil
}

// searchPath is the PATH a bare command name is looked up in: the program's Env PATH, else the
// supervisor's, else /bin:/usr/bin:/usr/local/bin.
func (p *process) searchPath() []string {
	path, ok := "", false
	for _, kv := range p.prog.Env {
		if v, found := strings.CutPrefix(kv, "PATH="); found {
			path, ok = v, true
		}
	}
	if !ok {
		for _, kv := range p.sv.env {
			if v, found := strings.CutPrefix(kv, "PATH="); found && v != "" {
				path, ok = v, true
			}
		}
	}
	if !ok {
		return []string{"/bin", "/usr/bin", "/usr/local/bin"}
	}
	return strings.Split(path, ":")
}

// command builds the Cmd for one spawn: supervisord's environment (its own, SUPERVISOR_*,
// then the program's Env), the user switch and the output sinks.
func (p *process) command(path string, argv []string) (*Cmd, error) {
	env := make([]string, 0, len(p.sv.env)+8+len(p.prog.Env))
	env = append(env, p.sv.env...)
	env = append(env, "SUPERVISOR_ENABLED=1")
	url := p.prog.ServerURL
	if url == "" {
		url = p.sv.opts.ServerURL
	}
	if url != "" {
		env = append(env, "SUPERVISOR_SERVER_URL="+url)
	}
	env = append(env, "SUPERVISOR_PROCESS_NAME="+p.prog.Name, "SUPERVISOR_GROUP_NAME="+p.group)
	cmd := &Cmd{Name: p.prog.Name, Path: path, Args: argv, Dir: p.prog.Dir, Umask: p.prog.Umask,
		Stdout: p.out.stdout, Stderr: p.out.stderr, RedirectStderr: p.prog.RedirectStderr}
	spawnWriters(cmd, p.prog) // protocol.go
	p.openLogs()              // logopen.go
	if p.prog.User != "" {
		cred, home, name, err := lookupUser(p.prog.User)
		if err != nil {
			return nil, &spawnError{msg: err.Error()}
		}
		cmd.Credential = cred
		env = append(env, "HOME="+home, "USER="+name, "LOGNAME="+name)
	}
	env, err := p.withEnvFile(env) // envfile.go
	if err != nil {
		return nil, err
	}
	env = append(env, p.prog.Env...)
	if p.sv.token != "" {
		env = append(env, TokenEnv+"="+p.sv.token)
	}
	cmd.Env = dedupEnv(env)
	return cmd, nil
}

// dedupEnv keeps the last value of each key, at the position of its first appearance.
func dedupEnv(env []string) []string {
	idx := make(map[string]int, len(env))
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[k]; ok {
			out[i] = kv
			continue
		}
		idx[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// lookupUser resolves a user name or uid to credentials (uid, gid, supplementary groups).
func lookupUser(spec string) (*syscall.Credential, string, string, error) {
	u, err := user.Lookup(spec)
	if err != nil {
		if _, nerr := strconv.Atoi(spec); nerr == nil {
			u, err = user.LookupId(spec)
		}
	}
	if err != nil {
		return nil, "", "", fmt.Errorf("can't find user %s", pyRepr(spec))
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if gids, err := u.GroupIds(); err == nil {
		for _, g := range gids {
			if n, err := strconv.ParseUint(g, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(n))
			}
		}
	}
	return cred, u.HomeDir, u.Username, nil
}
