// Package heapcost measures what a structure costs on the heap, for the
// memory benchmarks of the caches and indexes (issue 14: bytes per cached
// object, heap after GC, which does not depend on the machine's load).
package heapcost

import "runtime"

// Live returns the live heap: bytes allocated and still reachable after
// two garbage collections (the second sweeps what the first finalized).
func Live() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// PerObject returns the live heap that build's result holds, divided by
// the n objects it holds.
func PerObject(n int, build func() any) float64 {
	before := Live()
	x := build()
	after := Live()
	runtime.KeepAlive(x)
	return float64(int64(after)-int64(before)) / float64(n)
}
