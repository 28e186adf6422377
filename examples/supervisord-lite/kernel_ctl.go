package main

import "github.com/supervisord-lite/supervisord-lite/supervise/ctl"

// kernelNotes prints, for `ctl explain` and `ctl ps`, the kernel features the daemon's kernel
// lacks (supervise.KernelFeatures, asked over XML-RPC) and what is done instead; nothing on
// Linux 3.4 and later, or from a server that does not know the method.
func kernelNotes(s *ctl.Session) {
	missing, err := s.Client().MissingKernelFeatures(s.Context())
	if err != nil {
		s.Output("kernel: cannot ask the daemon: " + err.Error())
		return
	}
	for _, f := range missing {
		s.Output("kernel: " + f.String())
	}
}
