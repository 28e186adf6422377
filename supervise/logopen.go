package supervise

import "log/slog"

// openLogs creates the log files of the process if they do not exist yet, as supervisord
// does at each spawn (its dispatchers open them): a program that has written nothing has
// empty logs, so tail shows an empty log instead of NO_FILE. A failure is logged; the spawn
// goes on (the Writer reports and retries at its next Write).
func (p *process) openLogs() {
	for _, w := range p.out.files() {
		if err := w.Open(); err != nil {
			p.log(slog.LevelError, "log of %s: %v", p.prog.Name, err)
		}
	}
}
