package rsa_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

// A write AM took whose read-back fails (#29 item 2) is not a failure: the
// error says the change is made and not to send it again (it matches
// ErrOutcomeUnknown: exit 5, audit unknown), and codes AM installed are
// handed back — they work; they were thrown away.
func TestReadBackFailureIsNotAFailure(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	serial := e.ds.TokensOf("jdoe")[0]
	breakReadBack := func() {
		// the read before the write goes through; the read-back fails
		e.sim.Inject(amsim.Rule{Command: amproto.LookupTokenCommand, Action: amsim.HTTP500, Skip: 1, Count: 50})
	}

	breakReadBack()
	_, err := o.ClearPIN(ctx, serial)
	e.sim.ClearFaults()
	if !errors.Is(err, rsa.ErrUnverified) || !errors.Is(err, rsa.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "do not send it again") {
		t.Fatalf("PIN clear with a failed read-back: %v", err)
	}
	if st, _ := e.sim.Token(serial); st.PinSet {
		t.Fatal("the PIN clear was not applied")
	}

	breakReadBack()
	res, err := o.SetEmergencyAccess(ctx, rsa.EARequest{Serial: serial, Mode: rsa.EAOneTimeCodes, Count: 5,
		Expires: testNow.Add(24 * time.Hour), IfAvailable: rsa.IfAvailableAllowAndEnd})
	e.sim.ClearFaults()
	if !errors.Is(err, rsa.ErrUnverified) || len(res.Codes) != 5 {
		t.Fatalf("emergency access with a failed read-back: %d codes, %v", len(res.Codes), err)
	}
	st, _ := e.sim.Token(serial)
	for i, c := range res.Codes {
		if st.OTTs[i] != c.Reveal() {
			t.Fatalf("code %d handed back is not the one AM holds", i+1)
		}
	}
}
