//go:build race

package sshserve_test

// raceEnabled: the race detector slows the consoles five- to twentyfold, so
// the load test runs fewer sessions under it (.ci/run also runs it without).
const raceEnabled = true
