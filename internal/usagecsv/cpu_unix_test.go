//go:build unix

package usagecsv

import (
	"syscall"
	"time"
)

// cpuTime is the process's CPU time so far, user and system: the reader's
// and the garbage collector's.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
