package rpc

import "strings"

// Namespec is supervisord's make_namespec: process when group == process, else
// "group:process". It is the name supervisorctl shows and the name the API's methods take.
func Namespec(group, process string) string {
	if group == process {
		return process
	}
	return group + ":" + process
}

// SplitNamespec is supervisord's split_namespec: "web" gives ("web", "web"), "g:web" gives
// ("g", "web"), and "g:*" and "g:" give ("g", "") meaning the whole group.
func SplitNamespec(s string) (group, process string) {
	if g, p, ok := strings.Cut(s, ":"); ok {
		if p == "*" {
			p = ""
		}
		return g, p
	}
	return s, s
}
