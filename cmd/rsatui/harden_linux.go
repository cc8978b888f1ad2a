package main

import "golang.org/x/sys/unix"

// harden keeps secrets in a long-running process out of reach: no core
// dumps (a dump holds every password and code in memory), and not dumpable,
// which also makes /proc/PID/environ and /proc/PID/mem readable by root only
// (the environment a password was passed in stays there for the life of
// the process; Go cannot overwrite that block).
func harden() error {
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0}); err != nil {
		return err
	}
	return unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}
