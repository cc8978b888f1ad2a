//go:build !unix

package audit

// openFlags: no O_NOFOLLOW or O_NONBLOCK here; the regular-file check
// after opening still holds.
const openFlags = 0
