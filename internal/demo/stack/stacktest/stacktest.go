// Package stacktest is the demo back end for tests: stack's one composition,
// closed when the test ends, failing the test when it cannot start.
package stacktest

import (
	"context"
	"testing"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

// Start is stack.Start, closed with the test.
func Start(tb testing.TB, opt stack.Options) *stack.Stack {
	tb.Helper()
	st, err := stack.Start(opt)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(st.Close)
	return st
}

// Seeded is stack.Seeded, for a test that serves the simulator its own way.
func Seeded(tb testing.TB, opt stack.Options) (*demo.Dataset, *amsim.Sim) {
	tb.Helper()
	ds, sim, err := stack.Seeded(opt)
	if err != nil {
		tb.Fatal(err)
	}
	return ds, sim
}

// Try tests login's passcode now (wrong: a wrong one) and returns AM's
// answer: the person trying to log in somewhere, as the tests need it.
func Try(tb testing.TB, st *stack.Stack, login string, wrong bool) rsa.PasscodeResult {
	tb.Helper()
	r, err := st.TryPasscode(context.Background(), login, wrong)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}
