//go:build !linux

package main

// harden has nothing to do where prctl does not exist; core dumps are the
// operating system's default there.
func harden() error { return nil }
