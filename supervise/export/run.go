package export

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// usage is the `export` command's help.
const usage = `usage:
  %[1]s systemd [-c FILE] -o DIR [--journald] [--prefix P] [--target NAME]
  %[1]s nomad [-c FILE] [-o FILE] [--job ID] [--datacenter DC]...

Writes systemd units (into DIR) or a Nomad job (JSON, to FILE or stdout) that run the
programs of a supervisord.conf. Options the target cannot express are listed on stderr.
`

// multiFlag is a repeatable string flag.
type multiFlag []string

func (f *multiFlag) String() string     { return strings.Join(*f, ",") }
func (f *multiFlag) Set(v string) error { *f = append(*f, v); return nil }

// Run is the `export` command line: args are what follows "export" (the target and its
// options), prog names the command in messages (e.g. "supervisord-lite export"), argv0 is the
// binary's os.Args[0] (for supervisord's default config search). It loads the config (every
// config error at once), expands it with expand, writes the result, prints one
// "warning: ..." line per unmappable option on stderr and returns the exit status: 0, or 2
// for a usage error, 1 for anything else.
func Run(prog, argv0 string, args []string, stdout, stderr io.Writer, expand Expander) int {
	if len(args) == 0 || (args[0] != "systemd" && args[0] != "nomad") {
		fmt.Fprintf(stderr, usage, prog)
		return 2
	}
	target := args[0]
	fs := flag.NewFlagSet(prog+" "+target, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintf(stderr, usage, prog) }
	config := fs.String("c", "", "the supervisord.conf to export (default: supervisord's search path)")
	out := fs.String("o", "", "output: a directory for systemd (required), a file for nomad (default stdout)")
	journald := fs.Bool("journald", false, "systemd: send all output to the journal instead of the log files")
	prefix := fs.String("prefix", "", "systemd: put this before every unit name")
	unitTarget := fs.String("target", DefaultSystemdTarget, "systemd: the target that wants every group")
	job := fs.String("job", DefaultNomadJob, "nomad: the job ID")
	var dcs multiFlag
	fs.Var(&dcs, "datacenter", "nomad: a datacenter the job may run in (repeatable; default any)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s %s: unexpected argument %q\n", prog, target, fs.Arg(0))
		return 2
	}
	if target == "systemd" && *out == "" {
		fmt.Fprintf(stderr, "%s systemd: -o DIR is required\n", prog)
		return 2
	}
	path := *config
	if path == "" {
		var err error
		if path, err = conf.FindConfig(argv0); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
			return 2
		}
	}
	cfg, err := conf.Load(path, conf.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	var warnings []Warning
	switch target {
	case "systemd":
		var files []File
		files, warnings, err = Systemd(cfg, SystemdOptions{Expand: expand, Journald: *journald, Prefix: *prefix, Target: *unitTarget})
		if err == nil {
			err = writeFiles(*out, files)
		}
		if err == nil {
			for _, f := range files {
				fmt.Fprintln(stdout, filepath.Join(*out, f.Name))
			}
		}
	case "nomad":
		var data []byte
		data, warnings, err = Nomad(cfg, NomadOptions{Expand: expand, Job: *job, Datacenters: dcs})
		if err == nil {
			if *out == "" {
				_, err = stdout.Write(data)
			} else {
				err = os.WriteFile(*out, data, 0o644)
			}
		}
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s %s: %v\n", prog, target, err)
		return 1
	}
	return 0
}

// writeFiles writes files under dir, creating dir and drop-in directories.
func writeFiles(dir string, files []File) error {
	var errs []error
	for _, f := range files {
		path := filepath.Join(dir, f.Name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := os.WriteFile(path, f.Data, 0o644); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
