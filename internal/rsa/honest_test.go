package rsa_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/audit"
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
	hook := &aroundUpdate{next: http.DefaultTransport, after: func() {
		once.Do(func() {
			r := tft("000100001007", 2)
			r.FixedCode, r.Mode = "Other234", rsa.EAFixedCode
			_, otherErr = other.SetEmergencyAccess(ctx, r)
		})
	}}
	o, e := newOps(t, amsim.Options{}, func(c *rsa.Config) { c.Transport = hook })
	serial := e.ds.TokensOf("jdoe")[0]
	if serial != "000100001007" {
		t.Fatalf("jdoe's token is %s", serial)
	}
	otherClient, err := rsa.New(rsa.Config{URL: e.srv.URL, AllowPlainHTTP: true, CommandClientUser: "CmdClient_sim", CommandClientPassword: "sim-secret",
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

// aroundUpdate runs before when an UpdateTokenEmergencyAccessCommand is
// about to be sent, and after once AM has answered it, before the answer
// reaches the client.
type aroundUpdate struct {
	next          http.RoundTripper
	before, after func()
}

func (a *aroundUpdate) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	update := bytes.Contains(body, []byte("UpdateTokenEmergencyAccessCommand"))
	if update && a.before != nil {
		a.before()
	}
	resp, err := a.next.RoundTrip(req)
	if err == nil && update && a.after != nil {
		a.after()
	}
	return resp, err
}

// TestIntentIsOnDiskBeforeTheWrite: when the emergency-access update reaches
// AM, its intent line is already in the audit log (synced); the outcome line
// follows with the same id, and audit.Tail shows the pair as one entry. A
// refusal before any write leaves only its outcome.
func TestIntentIsOnDiskBeforeTheWrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	var atUpdate []audit.Entry
	hook := &aroundUpdate{next: http.DefaultTransport, before: func() { atUpdate, _ = rawEntries(path) }}
	o, e := newOps(t, amsim.Options{}, func(c *rsa.Config) { c.Transport = hook })
	var err error
	if o.Audit, err = audit.Open(path); err != nil {
		t.Fatal(err)
	}
	serial := e.ds.TokensOf("jdoe")[0]
	if _, err := o.SetEmergencyAccess(ctx, tft(serial, 3)); err != nil {
		t.Fatal(err)
	}
	if len(atUpdate) != 1 || atUpdate[0].Outcome != audit.Intent || atUpdate[0].ID == "" || atUpdate[0].Operation != "ea.set" ||
		atUpdate[0].Params["if_available"] != rsa.IfAvailableAllowAndEnd.String() {
		t.Fatalf("when the update was sent the log held %+v", atUpdate)
	}
	all, _ := rawEntries(path)
	if len(all) != 2 || all[1].ID != atUpdate[0].ID || all[1].Outcome != audit.OK {
		t.Fatalf("log %+v", all)
	}
	if paired, _ := audit.Tail(path, 0); len(paired) != 1 || paired[0].Outcome != audit.OK {
		t.Fatalf("tail %+v", paired)
	}
	// a refusal before any write: an outcome line, no intent
	if _, err := o.SetEmergencyAccess(ctx, tft("12", 3)); err == nil {
		t.Fatal("a bad serial was accepted")
	}
	all, _ = rawEntries(path)
	if last := all[len(all)-1]; len(all) != 3 || last.Outcome != audit.Refused {
		t.Fatalf("log after a refusal %+v", all)
	}
}

// TestNoAuditNoChange: a change whose intent cannot be written is not sent.
func TestNoAuditNoChange(t *testing.T) {
	dir := t.TempDir()
	o, e := newOps(t, amsim.Options{})
	var err error
	if o.Audit, err = audit.Open(filepath.Join(dir, "audit.jsonl")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "audit.jsonl"), 0o400); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// root writes a read-only file anyway: take the file away instead
		_ = os.Remove(filepath.Join(dir, "audit.jsonl"))
		if err := os.Mkdir(filepath.Join(dir, "audit.jsonl"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	serial := e.ds.TokensOf("jdoe")[0]
	_, err = o.SetEmergencyAccess(context.Background(), tft(serial, 3))
	if !errors.Is(err, rsa.ErrAuditUnavailable) || e.sim.Stats().Commands["UpdateTokenEmergencyAccessCommand"] != 0 {
		t.Fatalf("%v; updates sent: %d", err, e.sim.Stats().Commands["UpdateTokenEmergencyAccessCommand"])
	}
	if st, _ := e.sim.Token(serial); st.Lost {
		t.Fatal("changed without an audit line")
	}
}

// rawEntries reads the audit log's lines as they are (no pairing).
func rawEntries(path string) ([]audit.Entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []audit.Entry
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var e audit.Entry
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Writes at the same time on one token from separate processes (before
// "a write is what AM holds afterwards": twenty ea set runs each reported their own codes while AM
// kept one set). Every write reads the token before any update lands; AM
// then takes the updates one after another, and each write reads back what
// AM holds. A write reports success only if AM holds its own change when
// read back: for one-time codes (AM shows only how many are left) only a
// write after which nothing else landed (rowVersion one up) — so at most
// the first; for a fixed code AM shows, the code itself — so the last, the
// one in force, always does. An overtaken write shows no codes.
func TestSimultaneousWritesClaimOnlyWhatAMHolds(t *testing.T) {
	for _, mode := range []amproto.EAMode{rsa.EAOneTimeCodes, rsa.EAFixedCode} {
		o, e := newOps(t, amsim.Options{})
		ctx := context.Background()
		serial := e.ds.TokensOf("jdoe")[0]
		const n = 8 // within rsa.Lanes: every update is in flight at once
		release := make(chan struct{})
		e.sim.Inject(amsim.Rule{Command: amproto.UpdateTokenEmergencyAccessCommand, Action: amsim.Hold, Count: n, Release: release})
		arrived := e.sim.Arrived()
		type result struct {
			res rsa.EAResult
			err error
		}
		results := make(chan result, n)
		for range n {
			// separate processes (verbs run at once): one rsatui serializes
			// its own changes to a token (TestConcurrentAddCodesKeepEveryCode);
			// across processes AM is the judge and the read-back tells
			p := rsa.NewOps(e.client)
			p.Now, p.SettleDelay = o.Now, o.SettleDelay
			go func() {
				r := rsa.EARequest{Serial: serial, Mode: mode, Count: 4, Expires: testNow.Add(24 * time.Hour), IfAvailable: rsa.IfAvailableAllowAndEnd}
				res, err := p.SetEmergencyAccess(ctx, r)
				results <- result{res, err}
			}()
		}
		// each write: its lookups and code generation (3 requests), then its update, held
		if err := e.sim.WaitArrived(ctx, arrived+4*n); err != nil {
			t.Fatal(err)
		}
		close(release)
		var ok []rsa.EAResult
		for range n {
			r := <-results
			switch {
			case r.err == nil:
				ok = append(ok, r.res)
			case errors.Is(r.err, rsa.ErrOtherChange):
				if len(r.res.Codes) > 0 {
					t.Errorf("%v: a write overtaken by another still shows its codes", mode)
				}
			default:
				t.Errorf("%v: %v", mode, r.err)
			}
		}
		held, _ := e.sim.Token(serial)
		switch mode {
		case rsa.EAOneTimeCodes:
			if len(ok) > 1 {
				t.Errorf("one-time codes: %d writes claimed their codes; at most the first applied can know", len(ok))
			}
			for _, r := range ok {
				if r.After.Token.RowVersion != r.Before.Token.RowVersion+1 {
					t.Errorf("one-time codes: a success with rowVersion %d → %d", r.Before.Token.RowVersion, r.After.Token.RowVersion)
				}
			}
		case rsa.EAFixedCode:
			inForce := false
			for _, r := range ok {
				inForce = inForce || r.Codes[0].Reveal() == held.TFT
				if r.After.EA.TemporaryFixedTokencode.Reveal() != r.Codes[0].Reveal() {
					t.Error("fixed code: a success whose read-back shows another code")
				}
			}
			if !inForce {
				t.Errorf("fixed code: the code AM holds was not reported by the write that set it (%d successes)", len(ok))
			}
		}
	}
}
