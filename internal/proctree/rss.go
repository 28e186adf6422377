package proctree

import (
	"github.com/shirou/gopsutil/v3/process"
)

// TreeRSS returns the resident memory (bytes) of pid and all its descendants together (a
// gunicorn master and its workers). Descendants that end while they are counted are
// skipped; an error means pid itself could not be read.
func TreeRSS(pid int) (int64, error) {
	kids, err := Descendants(pid)
	if err != nil {
		return 0, err
	}
	var total int64
	for i, p := range append([]int{pid}, kids...) {
		mi, err := (&process.Process{Pid: int32(p)}).MemoryInfo()
		if err != nil {
			if i == 0 {
				return 0, err
			}
			continue
		}
		total += int64(mi.RSS)
	}
	return total, nil
}
