package stacktest

import (
	"syscall"
	"time"
)

// CPUTime is the CPU the whole test process has used (user and system):
// a benchmark of the demo back end under load reports cpu-cores from it —
// simulator, load and the code measured alike.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
