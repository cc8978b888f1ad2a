package rsa_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// Clear the PIN and require a new one: the whole record goes back
// with the PIN fields changed, AM holds the change afterwards, and doing it
// twice says nothing was changed.
func TestClearAndRequireNewPIN(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	serial := e.ds.TokensOf("jdoe")[0]
	if st, _ := e.sim.Token(serial); !st.PinSet || st.NewPinMode {
		t.Fatalf("demo token: %+v", st)
	}
	res, err := o.RequireNewPIN(ctx, serial)
	if err != nil || !res.After.Token.NewPinMode || !res.After.Token.PinSet {
		t.Fatalf("require new PIN: %v %+v", err, res.After.Token)
	}
	if res, err := o.RequireNewPIN(ctx, serial); err != nil || !strings.Contains(res.Note, "already asks") {
		t.Fatalf("twice: %v %q", err, res.Note)
	}
	res, err = o.ClearPIN(ctx, serial)
	if st, _ := e.sim.Token(serial); err != nil || st.PinSet || !st.NewPinMode || res.After.Token.PinSet {
		t.Fatalf("clear PIN: %v, AM %+v", err, st)
	}
	want := []string{"LookupTokenCommand", "LookupTokenEmergencyAccessCommand", "UpdateTokenCommand", "LookupTokenCommand", "LookupTokenEmergencyAccessCommand"}
	if strings.Join(res.Commands, " ") != strings.Join(want, " ") {
		t.Errorf("commands %v", res.Commands)
	}
	if res, err := o.ClearPIN(ctx, serial); err != nil || !strings.Contains(res.Note, "already cleared") {
		t.Fatalf("twice: %v %q", err, res.Note)
	}
	if _, err := o.RequireNewPIN(ctx, serial); !errors.Is(err, rsa.ErrRule) || !strings.Contains(err.Error(), "no PIN to change") {
		t.Fatalf("require a new PIN with none: %v", err)
	}
	if _, err := o.ClearPIN(ctx, "12ab"); !errors.Is(err, rsa.ErrInvalidInput) {
		t.Fatalf("bad serial: %v", err)
	}
	if _, err := o.ClearPIN(ctx, "999999999999"); !errors.Is(err, rsa.ErrNotFound) {
		t.Fatalf("unknown serial: %v", err)
	}
}

// A change that lands between the lookup and the update: AM refuses the
// stale record (ConcurrentUpdateException), nothing is overwritten, and
// what AM holds now is shown.
func TestPINChangeAfterAnotherChangeIsRefused(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	serial := e.ds.TokensOf("jdoe")[0]
	var res rsa.TokenResult
	err := whileHeld(t, e, amproto.UpdateTokenCommand, func() (err error) {
		res, err = o.ClearPIN(ctx, serial)
		return err
	}, func() error {
		_, err := o.SetEnabled(ctx, serial, false) // another admin, meanwhile
		return err
	})
	if !errors.Is(err, rsa.ErrConcurrentUpdate) || !strings.Contains(err.Error(), "nothing was changed by this") {
		t.Fatalf("stale update: %v", err)
	}
	if st, _ := e.sim.Token(serial); !st.PinSet || st.Enabled {
		t.Fatalf("AM after the refused update: %+v", st)
	}
	if res.After.Token.Enabled || !res.After.Token.PinSet {
		t.Fatalf("the state shown is not what AM holds: %+v", res.After.Token)
	}
}

// The help desk may clear PINs; a viewer may not, before AM is asked.
func TestPINPermissions(t *testing.T) {
	base, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	serial := e.ds.TokensOf("jdoe")[0]
	helpdesk, _ := rsa.GrantOf(rsa.RoleHelpdesk, "")
	if _, err := base.For(rsa.Actor{SSHUser: "bob"}, helpdesk).ClearPIN(ctx, serial); err != nil {
		t.Fatalf("helpdesk: %v", err)
	}
	narrowed, _ := rsa.GrantOf(rsa.RoleHelpdesk, "-token:pin-new")
	if _, err := base.For(rsa.Actor{}, narrowed).RequireNewPIN(ctx, serial); !errors.Is(err, rsa.ErrNotPermitted) {
		t.Fatalf("narrowed: %v", err)
	}
}

// The AM admin rsatui logs in as has a role of its own in AM: the demo's
// help-desk admin may clear a PIN but not assign a token; AM's refusal is
// said as such.
func TestAMHelpDeskAdminRole(t *testing.T) {
	o, e := newOps(t, amsim.Options{}, func(c *rsa.Config) { c.AdminUser, c.AdminPassword = demo.HelpdeskUser, demo.HelpdeskPassword })
	ctx := context.Background()
	if _, err := o.ClearPIN(ctx, e.ds.TokensOf("jdoe")[0]); err != nil {
		t.Fatalf("help-desk AM admin, clear PIN: %v", err)
	}
	_, err := o.AssignNext(ctx, "fnotoken")
	if !errors.Is(err, rsa.ErrInsufficientPrivilege) || !strings.Contains(rsa.Explain(err), "Your AM role may not do this") {
		t.Fatalf("help-desk AM admin, assign: %v / %s", err, rsa.Explain(err))
	}
}

// Every token write compares its read-back with what it wrote, rowVersion
// included ("a write is what AM holds afterwards"): a disable during
// which another change lands says so instead of claiming the state.
func TestWriteOvertakenIsSaid(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	serial := e.ds.TokensOf("jdoe")[0]
	err := whileHeld(t, e, amproto.EnableTokensCommand, func() error {
		_, err := o.SetEnabled(ctx, serial, false)
		return err
	}, func() error {
		_, err := o.ClearPIN(ctx, serial) // another admin, meanwhile
		return err
	})
	if !errors.Is(err, rsa.ErrOtherChange) || !strings.Contains(err.Error(), "rowVersion") {
		t.Fatalf("overtaken disable: %v", err)
	}
}

// whileHeld runs write, holds its command (cmd) in the simulator once its
// two lookups are done, runs meanwhile — another admin's change — then
// lets the held command through, and returns write's error.
func whileHeld(t *testing.T, e *env, cmd soapenc.QName, write, meanwhile func() error) error {
	t.Helper()
	release := make(chan struct{})
	e.sim.Inject(amsim.Rule{Command: cmd, Action: amsim.Hold, Release: release})
	arrived := e.sim.Arrived()
	done := make(chan error, 1)
	go func() { done <- write() }()
	if err := e.sim.WaitArrived(context.Background(), arrived+3); err != nil { // two lookups, then the held command
		t.Fatal(err)
	}
	if err := meanwhile(); err != nil {
		t.Fatal(err)
	}
	close(release)
	return <-done
}
