package rsa

import "testing"

// together with nothing to run returns (a person with no token: the
// console panicked on fnotoken).
func TestTogetherWithNothing(t *testing.T) {
	together()
	n := 0
	together(func() { n++ })
	if n != 1 {
		t.Fatal("one function was not run")
	}
}
