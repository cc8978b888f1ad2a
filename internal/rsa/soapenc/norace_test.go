//go:build !race

package soapenc

const raceEnabled = false
