package logrotate

// Open opens the file now (creating it, empty, if it does not exist), as the first Write
// would: for a log that must exist before anything is written to it, as supervisord creates a
// child's log files at spawn. A Writer that is already open is left as it is.
func (w *Writer) Open() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ensureOpen()
}
