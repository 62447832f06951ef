//go:build unix

package typedjson

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the process used so far:
// on a loaded machine, per-operation CPU time varies less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
