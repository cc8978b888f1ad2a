//go:build !race

package sshserve_test

const raceEnabled = false
