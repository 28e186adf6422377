package main

// kernelNotes prints, for `ctl explain` and `ctl ps`, the kernel features the daemon's kernel
// lacks (supervise.KernelFeatures, asked over XML-RPC) and what is done instead; nothing on
// Linux 3.4 and later, or from a server that does not know the method.
func (c *controller) kernelNotes() {
	missing, err := c.client.MissingKernelFeatures(c.ctx)
	if err != nil {
		c.output("kernel: cannot ask the daemon: " + err.Error())
		return
	}
	for _, f := range missing {
		c.output("kernel: " + f.String())
	}
}
