package xmlrpc

import "runtime"

// measureBytes returns the total bytes allocated before and after f.
func measureBytes(f func()) (before, after uint64) {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	before = m.TotalAlloc
	f()
	runtime.ReadMemStats(&m)
	return before, m.TotalAlloc
}
