package rsa_test

import (
	"path/filepath"

	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/audit"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

// Resynchronize a token whose clock drifted: two consecutive
// tokencodes read off it are found within AM's window; wrong ones are
// refused with what to do; the codes reach neither the audit log nor an
// error message.
func TestResync(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	log := withAudit(t, o)
	ctx := context.Background()
	serial := e.ds.TokensOf("jdoe")[0]
	e.sim.SkewClock(serial, 3*time.Hour) // a hardware token running fast

	// codes of the wrong minutes: not consecutive
	cur, next, err := e.sim.Tokencodes(serial)
	if err != nil {
		t.Fatal(err)
	}
	_, err = o.Resync(ctx, serial, rsa.Secret(next), rsa.Secret(cur))
	if !errors.Is(err, rsa.ErrInvalidArgument) || !strings.Contains(err.Error(), "read them again off the token") {
		t.Fatalf("codes in the wrong order: %v", err)
	}
	res, err := o.Resync(ctx, serial, rsa.Secret(cur), rsa.Secret(next))
	if err != nil || res.After.Token.NextTokencodeMode || res.After.Token.BadCodeCount != 0 {
		t.Fatalf("resync: %v %+v", err, res.After.Token)
	}
	if got := strings.Join(res.Commands, " "); !strings.Contains(got, "ResynchronizeTokenCommand") {
		t.Errorf("commands %s", got)
	}
	for in, want := range map[[2]string]string{
		{"", next}:       "give the tokencode",
		{"12ab56", next}: "digits only",
		{"1234", next}:   "6 or 8 digits",
		{cur, cur}:       "the same",
	} {
		if _, err := o.Resync(ctx, serial, rsa.Secret(in[0]), rsa.Secret(in[1])); !errors.Is(err, rsa.ErrInvalidInput) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
	raw, err := os.ReadFile(log.Path())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), cur) || strings.Contains(string(raw), next) {
		t.Fatal("a tokencode reached the audit log")
	}
	if !strings.Contains(string(raw), `"token.resync"`) {
		t.Fatal("the resync is not audited")
	}
}

// withAudit gives o an audit log of the test's own.
func withAudit(t *testing.T, o *rsa.Ops) *audit.Log {
	t.Helper()
	log, err := audit.Open(filepath.Join(t.TempDir(), "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	o.Audit = log
	return log
}

// A resync whose reply is lost is applied only when AM's record shows its
// own update; a request AM never got is an unknown outcome, not a success
// (any token in sync passed the old read-back).
func TestResyncLostReplyIsNotASuccess(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	serial := e.ds.TokensOf("jdoe")[0]
	cur, next := codes(t, e, serial)
	e.sim.Inject(amsim.Rule{Command: amproto.ResynchronizeTokenCommand, Action: amsim.Drop, Count: 1}) // never executed
	if _, err := o.Resync(ctx, serial, rsa.Secret(cur), rsa.Secret(next)); !errors.Is(err, rsa.ErrOutcomeUnknown) {
		t.Fatalf("a resync AM never got: %v", err)
	}
	e.sim.Inject(amsim.Rule{Command: amproto.ResynchronizeTokenCommand, Action: amsim.DropAfter, Count: 1}) // executed, the reply lost
	e.clock.Add(2 * time.Minute)
	cur, next = codes(t, e, serial)
	res, err := o.Resync(ctx, serial, rsa.Secret(cur), rsa.Secret(next))
	if err != nil || !strings.Contains(res.Note, "shows the change was applied") {
		t.Fatalf("a resync AM took, its reply lost: %v %q", err, res.Note)
	}
}
