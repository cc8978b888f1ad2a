//go:build !unix

package audit

// lockFile is a no-op where flock is not: one process forwards at a time.
func lockFile(string) (func(), error) { return func() {}, nil }
