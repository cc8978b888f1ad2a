package rsa_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

// Emergency access extras: move the end of an active one, add
// one-time codes to a set (the unused ones kept); refused when there is
// nothing to extend or the kind does not fit, and past AM's maximum.
func TestExtendAndAddCodes(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	serial := e.ds.TokensOf("jdoe")[0]
	if _, err := o.ExtendEmergencyAccess(ctx, serial, testNow.Add(48*time.Hour)); !errors.Is(err, rsa.ErrRule) {
		t.Fatalf("extend with none on: %v", err)
	}
	set := rsa.EARequest{Serial: serial, Mode: rsa.EAOneTimeCodes, Count: 5, Expires: testNow.Add(24 * time.Hour), IfAvailable: rsa.IfAvailableAllowAndEnd}
	first, err := o.SetEmergencyAccess(ctx, set)
	if err != nil {
		t.Fatal(err)
	}
	res, err := o.AddOneTimeCodes(ctx, serial, 3)
	if err != nil || len(res.Codes) != 3 || res.After.EA.NumUnusedCodes != 8 {
		t.Fatalf("add codes: %v, %d codes, %d unused", err, len(res.Codes), res.After.EA.NumUnusedCodes)
	}
	held, _ := e.sim.Token(serial)
	for _, c := range append(first.Codes, res.Codes...) {
		found := false
		for _, h := range held.OTTs {
			found = found || h == c.Reveal()
		}
		if !found {
			t.Fatal("a code issued is not one AM holds: the add dropped the first set or lost the new one")
		}
	}
	res, err = o.ExtendEmergencyAccess(ctx, serial, testNow.Add(72*time.Hour))
	if err != nil || !res.After.EA.Expiration.After(testNow.Add(71*time.Hour)) || res.After.EA.NumUnusedCodes != 8 {
		t.Fatalf("extend: %v %+v", err, res.After.EA)
	}
	if _, err := o.ExtendEmergencyAccess(ctx, serial, testNow.Add(30*24*time.Hour)); !errors.Is(err, rsa.ErrInvalidInput) {
		t.Fatalf("past the maximum: %v", err)
	}
	if _, err := o.SetEmergencyAccess(ctx, tft(serial, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := o.AddOneTimeCodes(ctx, serial, 2); !errors.Is(err, rsa.ErrRule) {
		t.Fatalf("codes added to a fixed code: %v", err)
	}
	if res, err := o.ExtendEmergencyAccess(ctx, serial, testNow.Add(5*24*time.Hour)); err != nil || !res.After.EA.Expiration.After(testNow.Add(4*24*time.Hour)) {
		t.Fatalf("extend a fixed code: %v %+v", err, res.After.EA)
	}
}
