package rsa_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/demo/stack/stacktest"
	"github.com/rsatui/rsatui/internal/rsa"
)

// The "I'm on a plane" call: an offline emergency passcode is set with an
// expiry, read back, shown once to a permitted admin, and removed; AM's
// administration log says it was set, the audit says who did it — and
// neither holds the passcode. Wrong input sends no write.
func TestOfflinePasscode(t *testing.T) {
	st := stacktest.Start(t, stack.Options{Seed: 1, Users: 30})
	ctx := context.Background()
	log := withAudit(t, st.Ops)
	s, err := st.Ops.OfflinePasscode(ctx, "jdoe")
	if err != nil || s.Usable() || s.Words(time.UTC) != "no offline emergency passcode" {
		t.Fatalf("before: %+v %v", s, err)
	}
	writes := func() int64 { return st.Sim.Stats().Commands["UpdateEmergencyAccessPasscodeCommand"] }
	for _, bad := range []rsa.OfflinePasscodeRequest{
		{Login: "jdoe"}, // no expiry
		{Login: "jdoe", Expires: time.Now().Add(20 * 24 * time.Hour)},
		{Login: "jdoe", Expires: time.Now().Add(-time.Hour)},
		{Login: "jdoe", Expires: time.Now().Add(24 * time.Hour), Passcode: "short"},
		{Login: "jdoe", Expires: time.Now().Add(24 * time.Hour), Passcode: "with space in it"},
	} {
		if _, err := st.Ops.SetOfflinePasscode(ctx, bad); !errors.Is(err, rsa.ErrInvalidInput) {
			t.Errorf("%+v: %v, want invalid input", bad.Expires, err)
		}
	}
	if writes() != 0 {
		t.Fatalf("wrong input sent %d writes", writes())
	}
	var kept rsa.Secret
	res, err := st.Ops.SetOfflinePasscode(ctx, rsa.OfflinePasscodeRequest{Login: "jdoe", Expires: time.Now().Add(3 * 24 * time.Hour),
		Keep: func(s rsa.Secret) error { kept = s; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	code := res.Passcode.Reveal()
	if len(code) != rsa.OfflinePasscodeLength || kept != res.Passcode || !res.After.Usable() || !res.After.DownloadPending || res.Before.Usable() {
		t.Fatalf("set: %+v (%d characters)", res, len(code))
	}
	if strings.Join(res.Commands, " ") != strings.Join(rsa.OfflinePasscodePlan().Commands(), " ") {
		t.Fatalf("sent %v, the plan says %v", res.Commands, rsa.OfflinePasscodePlan().Commands())
	}
	shown, err := st.Ops.RevealOfflinePasscode(ctx, "jdoe")
	if err != nil || shown != res.Passcode {
		t.Fatalf("reveal: %v", err)
	}
	without, err := rsa.GrantOf(rsa.RoleHelpdesk, "-"+string(rsa.PermOfflinePasscode))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Ops.For(rsa.Actor{OSUser: "v"}, without).RevealOfflinePasscode(ctx, "jdoe"); !errors.Is(err, rsa.ErrNotPermitted) {
		t.Fatalf("a help desk without the permission read the passcode: %v", err)
	}
	evs, err := st.Ops.AdminActivity(ctx, "jdoe", time.Now().Add(-time.Hour))
	if err != nil || len(evs) == 0 || evs[len(evs)-1].ResultKey != "OFFLINE_EA_PASSCODE_SET" {
		t.Fatalf("admin log: %+v %v", evs, err)
	}
	if _, err := st.Ops.SetOfflinePasscode(ctx, rsa.OfflinePasscodeRequest{Login: "jdoe", Remove: true}); err != nil {
		t.Fatal(err)
	}
	if s, _ := st.Ops.OfflinePasscode(ctx, "jdoe"); s.Usable() || s.Set {
		t.Fatalf("after remove: %+v", s)
	}
	res, err = st.Ops.SetOfflinePasscode(ctx, rsa.OfflinePasscodeRequest{Login: "jdoe", Remove: true})
	if err != nil || res.Note == "" {
		t.Fatalf("a second remove: %+v %v", res, err)
	}
	raw, _ := os.ReadFile(log.Path())
	for _, op := range []string{"user.offline-passcode.set", "user.offline-passcode.show", "user.offline-passcode.remove"} {
		if !strings.Contains(string(raw), op) {
			t.Errorf("audit lacks %s", op)
		}
	}
	if strings.Contains(string(raw), code) {
		t.Fatal("the audit holds the passcode")
	}
	for _, e := range evs {
		if strings.Contains(e.Message, code) {
			t.Fatal("AM's administration log holds the passcode")
		}
	}
}
