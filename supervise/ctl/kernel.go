package ctl

// KernelNotes prints, for `ctl explain` and `ctl ps`, the kernel features the daemon's kernel
// lacks (supervise.KernelFeatures, asked over XML-RPC with rpc.KernelFeaturesMethod) and what
// is done instead; nothing on Linux 3.4 and later, or from a server that does not know the
// method. An error of the call itself is printed as one "kernel:" line.
func KernelNotes(s *Session) {
	missing, err := s.Client().MissingKernelFeatures(s.Context())
	if err != nil {
		s.Output("kernel: cannot ask the daemon: " + err.Error())
		return
	}
	for _, f := range missing {
		s.Output("kernel: " + f.String())
	}
}
