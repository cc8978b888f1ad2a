//go:build unix

package audit

import "syscall"

// openFlags keep the log from being a link to another file, or a FIFO a
// writer would block on: the file is opened as itself, without waiting,
// and then checked to be a regular file.
const openFlags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK
