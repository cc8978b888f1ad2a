package rsa_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

// TestLostReplyOfAnAppliedWriteIsApplied: AM applies an emergency-access
// update and its reply is lost. Whatever the expiry — relative (now has
// nanoseconds; AM keeps milliseconds), absolute, none — reading the token
// back shows the change, and rsatui says it was applied and hands over the
// code that now works.
func TestLostReplyOfAnAppliedWriteIsApplied(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ name, expires string }{
		{"relative 2d", "2d"}, {"relative 36h", "36h"}, {"relative 14d (the longest)", "14d"},
		{"absolute date", "2026-12-05"}, {"absolute date and time", "2026-12-05 17:00"}, {"none", "never"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, e := newOps(t, amsim.Options{})
			o.Now = func() time.Time { return e.clock.Now().Add(123456789 * time.Nanosecond) }
			serial := e.ds.TokensOf("jdoe")[0]
			exp, err := o.ParseExpiry(c.expires)
			if err != nil {
				t.Fatal(err)
			}
			r := tft(serial, 0)
			r.Expires, r.FixedCode = exp, "Lost1234"
			e.sim.Inject(amsim.Rule{Command: amproto.UpdateTokenEmergencyAccessCommand, Action: amsim.DropAfter})
			res, err := o.SetEmergencyAccess(ctx, r)
			if err != nil || !strings.Contains(res.Note, "applied") || len(res.Codes) != 1 || res.Codes[0] != "Lost1234" {
				t.Fatalf("lost reply of an applied write reported as %+v / %v", res, err)
			}
			if st, _ := e.sim.Token(serial); !st.Lost || st.TFT != "Lost1234" {
				t.Fatalf("server %+v", st)
			}
		})
	}
}

// TestOtherChangeInBetweenIsNamed: another admin's change lands between our
// update and our read-back. rsatui does not claim its own change: it names
// what AM holds instead, and withholds the code it generated (it no longer
// works).
func TestOtherChangeInBetweenIsNamed(t *testing.T) {
	ctx := context.Background()
	var other *rsa.Ops
	var once sync.Once
	var otherErr error
	hook := &afterUpdate{next: http.DefaultTransport, do: func() {
		once.Do(func() {
			r := tft("000100001007", 2)
			r.FixedCode, r.Mode = "Other234", amproto.EAModeTemporaryFixedCode
			_, otherErr = other.SetEmergencyAccess(ctx, r)
		})
	}}
	o, e := newOps(t, amsim.Options{}, func(c *rsa.Config) { c.Transport = hook })
	serial := e.ds.TokensOf("jdoe")[0]
	if serial != "000100001007" {
		t.Fatalf("jdoe's token is %s", serial)
	}
	otherClient, err := rsa.New(rsa.Config{URL: e.srv.URL, CommandClientUser: "CmdClient_sim", CommandClientPassword: "sim-secret",
		AdminUser: "admin", AdminPassword: "Admin!Passw0rd"})
	if err != nil {
		t.Fatal(err)
	}
	other = rsa.NewOps(otherClient)
	other.Now = e.clock.Now
	r := tft(serial, 3)
	r.FixedCode = "Mine2345"
	res, err := o.SetEmergencyAccess(ctx, r)
	if otherErr != nil {
		t.Fatalf("the other change: %v", otherErr)
	}
	if !errors.Is(err, rsa.ErrOtherChange) || !strings.Contains(err.Error(), "eaExpiration") ||
		!strings.Contains(err.Error(), "temporaryFixedTokencode") || res.Codes != nil {
		t.Fatalf("an overwritten change reported as %+v / %v", res, err)
	}
	if res.After.EA.TemporaryFixedTokencode != "Other234" {
		t.Fatalf("what AM holds is not shown: %+v", res.After.EA)
	}
}

// afterUpdate runs do once an UpdateTokenEmergencyAccessCommand has been
// answered, before the answer reaches the client.
type afterUpdate struct {
	next http.RoundTripper
	do   func()
}

func (a *afterUpdate) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := a.next.RoundTrip(req)
	if err == nil && bytes.Contains(body, []byte("UpdateTokenEmergencyAccessCommand")) {
		a.do()
	}
	return resp, err
}
