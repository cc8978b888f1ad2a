package rsa_test

import (
	"context"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// faultCase is one fault, applied to an operation's write command (or, with
// onRead, to its first read).
type faultCase struct {
	name   string
	rule   amsim.Rule
	onRead bool
}

var faults = []faultCase{
	{"latency", amsim.Rule{Action: amsim.Delay, Delay: 50 * time.Millisecond}, false},
	{"timeout", amsim.Rule{Action: amsim.Delay, Delay: time.Second}, false},
	{"http-500", amsim.Rule{Action: amsim.HTTP500}, false},
	{"reset-before-reply", amsim.Rule{Action: amsim.Drop}, false},
	{"reset-after-applying", amsim.Rule{Action: amsim.DropAfter}, false},
	{"malformed-xml", amsim.Rule{Action: amsim.Malformed}, false},
	{"oversized-reply", amsim.Rule{Action: amsim.Oversized}, false},
	{"session-expired-between-commands", amsim.Rule{Action: amsim.ExpireSession}, false},
	{"server-restart", amsim.Rule{Action: amsim.Restart}, false},
	{"http-500-on-first-read", amsim.Rule{Action: amsim.HTTP500}, true},
}

// opCase is an operation with how to tell, from the server's state, whether
// it took effect.
type opCase struct {
	name    string
	write   soapenc.QName
	setup   func(t *testing.T, o *rsa.Ops, e *env) string // returns the serial
	run     func(o *rsa.Ops, serial string) (rsa.TokenState, error)
	applied func(st amsim.TokenState) bool
}

var opCases = []opCase{
	{"ea.set", amproto.UpdateTokenEmergencyAccessCommand,
		func(t *testing.T, o *rsa.Ops, e *env) string { return e.ds.TokensOf("jdoe")[0] },
		func(o *rsa.Ops, s string) (rsa.TokenState, error) {
			r, err := o.SetEmergencyAccess(context.Background(), tft(s, 3))
			return r.After, err
		},
		func(st amsim.TokenState) bool { return st.Lost }},
	{"ea.set-one-time", amproto.UpdateTokenEmergencyAccessCommand,
		func(t *testing.T, o *rsa.Ops, e *env) string { return e.ds.TokensOf("cmueller")[0] },
		func(o *rsa.Ops, s string) (rsa.TokenState, error) {
			r, err := o.SetEmergencyAccess(context.Background(), rsa.EARequest{Serial: s, Mode: rsa.EAOneTimeCodes, Count: 4,
				IfAvailable: rsa.IfAvailableAllowAndEnd, Expires: testNow.Add(time.Hour)})
			return r.After, err
		},
		func(st amsim.TokenState) bool { return st.UnusedOTTs == 4 }},
	{"ea.clear", amproto.UpdateTokenEmergencyAccessCommand,
		func(t *testing.T, o *rsa.Ops, e *env) string {
			s := e.ds.TokensOf("jdoe")[0]
			if _, err := o.SetEmergencyAccess(context.Background(), tft(s, 3)); err != nil {
				t.Fatal(err)
			}
			return s
		},
		func(o *rsa.Ops, s string) (rsa.TokenState, error) {
			r, err := o.ClearEmergencyAccess(context.Background(), s, nil)
			return r.After, err
		},
		func(st amsim.TokenState) bool { return !st.Lost }},
	{"token.assign", amproto.LinkTokensWithPrincipalCommand,
		func(t *testing.T, o *rsa.Ops, e *env) string { return e.ds.Tokens[len(e.ds.Tokens)-1].Serial },
		func(o *rsa.Ops, s string) (rsa.TokenState, error) {
			r, err := o.Assign(context.Background(), s, "fnotoken", false)
			return r.After, err
		},
		func(st amsim.TokenState) bool { return st.Owner == "fnotoken" }},
	{"token.unassign", amproto.UnlinkTokensFromPrincipalsCommand,
		func(t *testing.T, o *rsa.Ops, e *env) string { return e.ds.TokensOf("dobrien")[0] },
		func(o *rsa.Ops, s string) (rsa.TokenState, error) {
			r, err := o.Unassign(context.Background(), s, false)
			return r.After, err
		},
		func(st amsim.TokenState) bool { return st.Owner == "" }},
	{"token.disable", amproto.EnableTokensCommand,
		func(t *testing.T, o *rsa.Ops, e *env) string { return e.ds.TokensOf("jdoe")[0] },
		func(o *rsa.Ops, s string) (rsa.TokenState, error) {
			r, err := o.SetEnabled(context.Background(), s, false)
			return r.After, err
		},
		func(st amsim.TokenState) bool { return !st.Enabled }},
}

// TestFaultMatrix: every write operation under every fault. For each: no
// panic, a plain-words message on failure, and the token's final state on the
// server equals what the operation reported (applied on success, unchanged on
// failure) — never half-applied.
func TestFaultMatrix(t *testing.T) {
	for _, op := range opCases {
		for _, f := range faults {
			t.Run(op.name+"/"+f.name, func(t *testing.T) {
				t.Parallel()
				o, e := newOps(t, amsim.Options{}, func(c *rsa.Config) {
					c.Timeout = 500 * time.Millisecond // above the latency fault, below the timeout fault, with headroom for -race under load
					c.MaxResponseBytes = 1 << 20
				})
				serial := op.setup(t, o, e)
				rule := f.rule
				rule.Command = op.write
				if f.onRead {
					rule.Command = amproto.LookupTokenCommand
				}
				e.sim.Inject(rule)
				sentBefore := e.sim.Stats().Commands[op.write.Local]
				after, err := op.run(o, serial)
				// the final state: once AM is done with every request, also the
				// ones the client gave up on
				idle, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				if err := e.sim.WaitIdle(idle); err != nil {
					t.Fatalf("the simulator is still serving: %v", err)
				}
				cancel()
				e.sim.ClearFaults()
				st, _ := e.sim.Token(serial)
				switch {
				case err == nil && !op.applied(st):
					t.Fatalf("reported success, but the server holds %+v", st)
				case err == nil && after.Token.Serial != serial:
					t.Fatalf("success without the token read back: %+v", after)
				case err != nil && op.applied(st):
					t.Fatalf("reported failure (%v), but the server applied it: %+v", err, st)
				case err != nil && rsa.Explain(err) == "":
					t.Fatalf("no explanation for %v", err)
				}
				if writes := e.sim.Stats().Commands[op.write.Local] - sentBefore; writes > 2 || (writes == 2 && f.rule.Action != amsim.ExpireSession && f.rule.Action != amsim.Restart) {
					t.Fatalf("%s sent %d times", op.write.Local, writes)
				}
				// and the client recovers: the next read works
				if _, err := o.Token(context.Background(), serial); err != nil {
					t.Fatalf("no recovery after %s: %v", f.name, err)
				}
			})
		}
	}
}
