package proctree

import (
	"github.com/shirou/gopsutil/v3/process"
)

// TreeRSS returns the resident memory (bytes) of pid and all its descendants together (a
// gunicorn master and its workers). Descendants that end while they are counted are
// skipped; an error means pid itself could not be read.
func TreeRSS(pid int) (int64, error) {
	pp, err := parents()
	if err != nil {
		return 0, err
	}
	return childrenOf(pp).treeRSS(pid)
}

// TreesRSS returns TreeRSS of each of pids, reading the process table once for all of them
// (TreeRSS reads it at each call: a thousand calls read it a thousand times). A pid that could
// not be read is absent.
func TreesRSS(pids []int) (map[int]int64, error) {
	pp, err := parents()
	if err != nil {
		return nil, err
	}
	kids := childrenOf(pp)
	out := make(map[int]int64, len(pids))
	for _, pid := range pids {
		if rss, err := kids.treeRSS(pid); err == nil {
			out[pid] = rss
		}
	}
	return out, nil
}

func (kids children) treeRSS(pid int) (int64, error) {
	var total int64
	for i, p := range append([]int{pid}, kids.descendants(pid)...) {
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
