package conf

import (
	"strings"

	"github.com/hashicorp/go-multierror"
)

// keyDependsOn is supervisord-lite's depends_on = a, b option of [program:x] sections (and
// every section parsed like one): the programs that must be RUNNING before this one starts
// (supervise.Program.DependsOn). A name is a group (a [program:x] or [group:x] name: all of
// its processes) or group:process (one process).
const keyDependsOn = "depends_on"

// readDepends reads depends_on of section c with the expansions vars.
func readDepends(c *sectx, vars map[string]any) []string {
	s, _, present, ok := c.get(keyDependsOn, "", vars)
	if !present || !ok {
		return nil
	}
	return listOfStrings(s)
}

// CheckDependencies reports every depends_on of groups that names no group or process of
// groups, and every cycle, as an *Error at the line of the depends_on value (looked up in the
// config's INI). Load runs it over the config's own groups; a name that is the name of
// another section kind ([gunicorn:web] for "web") is left to the caller that turns such
// sections into groups (supervise/daemon), which calls it again over all the groups it runs.
// Groups of [eventlistener:x] sections are left out: they are not started by depends_on.
func (c *Config) CheckDependencies(groups []Group) error {
	return c.checkDependencies(groups, nil)
}

// checkDependencies is CheckDependencies; deferred(name) reports a name another kind of
// section will provide (not an error yet).
func (c *Config) checkDependencies(groups []Group, deferred func(string) bool) error {
	procs := map[string][]string{} // a name depends_on may use -> the process namespecs it means
	type node struct {
		p   Process
		key string
	}
	var nodes []node
	for _, g := range groups {
		if g.Kind == KindEventListener {
			continue
		}
		for _, p := range g.Processes {
			key := g.Name + ":" + p.Name
			procs[g.Name] = append(procs[g.Name], key)
			procs[key] = []string{key}
			nodes = append(nodes, node{p, key})
		}
	}
	var errs *multierror.Error
	fail := func(p Process, msg string) {
		e := &Error{Msg: msg, Section: p.Section, File: p.File, Line: p.Line, Suffixed: true}
		if c.INI != nil {
			if sec := c.INI.Section(p.Section); sec != nil {
				if v, ok := sec.Get(keyDependsOn); ok {
					e.File, e.Line = v.File, v.Line
				}
			}
		}
		errs = multierror.Append(errs, e)
	}
	edges := map[string][]string{}
	byKey := map[string]Process{}
	reported := map[string]bool{} // one unknown-name error per section and name
	for _, n := range nodes {
		byKey[n.key] = n.p
		for _, d := range n.p.DependsOn {
			targets, ok := procs[d]
			switch {
			case ok:
				edges[n.key] = append(edges[n.key], targets...)
			case deferred != nil && deferred(d):
			case !reported[n.p.Section+"\x00"+d]:
				reported[n.p.Section+"\x00"+d] = true
				fail(n.p, "depends_on names unknown program "+d)
			}
		}
	}
	// Cycles: a depth-first search; each cycle is reported once, at its first process in
	// config order.
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var visit func(k string)
	visit = func(k string) {
		color[k] = grey
		stack = append(stack, k)
		for _, d := range edges[k] {
			switch color[d] {
			case white:
				visit(d)
			case grey:
				i := len(stack) - 1
				for stack[i] != d {
					i--
				}
				cycle := append(append([]string(nil), stack[i:]...), d)
				fail(byKey[d], "depends_on makes a cycle: "+strings.Join(shortNames(cycle), " -> "))
			}
		}
		stack = stack[:len(stack)-1]
		color[k] = black
	}
	for _, n := range nodes {
		if color[n.key] == white {
			visit(n.key)
		}
	}
	return errs.ErrorOrNil()
}

// shortNames writes group:name as name where they are equal (a [program:x] of one process).
func shortNames(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		g, n, _ := strings.Cut(k, ":")
		if g == n {
			out[i] = n
		} else {
			out[i] = k
		}
	}
	return out
}

// checkDepends is CheckDependencies at load time: names of sections of other kinds are
// deferred.
func (l *loader) checkDepends() {
	other := map[string]bool{}
	for _, sec := range l.f.Sections() {
		kind, name, ok := strings.Cut(sec.Name, ":")
		if ok && kind != "program" && kind != "group" {
			other[name] = true
		}
	}
	err := l.cfg.checkDependencies(l.cfg.Groups, func(name string) bool { return other[name] })
	if me, ok := err.(*multierror.Error); ok {
		for _, e := range me.Errors {
			l.add(e.(*Error))
		}
	}
}
