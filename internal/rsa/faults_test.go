package rsa_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

// Every injected transport fault gives a typed error, never a panic, and a read
// is never reported as "outcome unknown" while a write always is.
func TestInjectedTransportFaults(t *testing.T) {
	cases := []struct {
		name    string
		rule    amsim.Rule
		want    error
		unknown bool // for the write
	}{
		{"html 500 from a proxy", amsim.Rule{Action: amsim.HTTP500}, rsa.ErrMalformedReply, true},
		{"connection dropped", amsim.Rule{Action: amsim.Drop}, rsa.ErrUnreachable, true},
		{"truncated xml", amsim.Rule{Action: amsim.Malformed}, rsa.ErrMalformedReply, true},
		{"huge body", amsim.Rule{Action: amsim.Oversized}, rsa.ErrMalformedReply, true},
		{"timeout", amsim.Rule{Action: amsim.Delay, Delay: 2 * time.Second}, rsa.ErrUnreachable, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A short client timeout only where the timeout is the fault: reading
			// a megabyte under -race on a loaded CI machine can take longer.
			timeout := 10 * time.Second
			if tc.rule.Action == amsim.Delay {
				timeout = 300 * time.Millisecond
			}
			e := newEnv(t, amsim.Options{}, func(c *rsa.Config) {
				c.Timeout = timeout
				c.MaxResponseBytes = 1 << 20
			})
			ctx := context.Background()
			tok := e.token(t, "jdoe", 0)

			rule := tc.rule
			rule.Command = amproto.LookupTokenEmergencyAccessCommand
			e.sim.Inject(rule)
			_, err := e.client.LookupEmergencyAccess(ctx, tok.GUID)
			if !errors.Is(err, tc.want) || errors.Is(err, rsa.ErrOutcomeUnknown) {
				t.Fatalf("read: want %v and not outcome-unknown, got %v", tc.want, err)
			}
			if rsa.Explain(err) == "" {
				t.Fatal("no explanation")
			}

			rule.Command = amproto.EnableTokensCommand
			e.sim.Inject(rule)
			err = e.client.EnableTokens(ctx, false, tok.GUID)
			if !errors.Is(err, tc.want) || errors.Is(err, rsa.ErrOutcomeUnknown) != tc.unknown {
				t.Fatalf("write: want %v (unknown=%v), got %v", tc.want, tc.unknown, err)
			}
			if e.sim.Stats().Commands["EnableTokensCommand"] > 1 {
				t.Fatal("write was resent")
			}
			// the client recovers: the next call works
			if _, err := e.client.LookupEmergencyAccess(ctx, tok.GUID); err != nil {
				t.Fatalf("after fault: %v", err)
			}
		})
	}
}

// A reply lost after the write was applied: the error says so, the state
// really changed, and a re-read shows it.
func TestDropAfterWriteIsOutcomeUnknown(t *testing.T) {
	e := newEnv(t, amsim.Options{})
	ctx := context.Background()
	tok := e.token(t, "jdoe", 0)
	e.sim.Inject(amsim.Rule{Command: amproto.EnableTokensCommand, Action: amsim.DropAfter})
	err := e.client.EnableTokens(ctx, false, tok.GUID)
	if !errors.Is(err, rsa.ErrOutcomeUnknown) {
		t.Fatalf("want outcome unknown, got %v", err)
	}
	if !strings.Contains(rsa.Explain(err), "may or may not") {
		t.Fatalf("explain: %q", rsa.Explain(err))
	}
	again, err := e.client.LookupToken(ctx, rsa.TokenRef{GUID: tok.GUID})
	if err != nil || again.Enabled {
		t.Fatalf("re-read: %+v %v", again, err)
	}
}

func TestSessionExpiredMidSequence(t *testing.T) {
	e := newEnv(t, amsim.Options{})
	ctx := context.Background()
	tok := e.token(t, "jdoe", 0)
	e.sim.Inject(amsim.Rule{Command: amproto.GenerateEmergencyAccessCodeCommand, Action: amsim.ExpireSession})
	// Generate is read-only (it only computes a code), so it is retried after re-login
	code, err := e.client.GenerateEmergencyAccessCode(ctx, tok.GUID)
	if err != nil || len(code.Reveal()) != 8 {
		t.Fatalf("generate across expiry: %v", err)
	}
	if e.client.Stats().Logins != 2 {
		t.Fatalf("logins = %d", e.client.Stats().Logins)
	}
}

func TestCancelReturnsPromptly(t *testing.T) {
	e := newEnv(t, amsim.Options{})
	tok := e.token(t, "jdoe", 0)
	e.sim.SetLatency(5 * time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	// cancel once AM has the request: a cancel before it was sent would
	// prove nothing about cancelling a call in flight
	arrived := e.sim.Arrived()
	cancelled := make(chan time.Time, 1)
	go func() {
		_ = e.sim.WaitArrived(context.Background(), arrived+1)
		cancelled <- time.Now()
		cancel()
	}()
	_, err := e.client.LookupEmergencyAccess(ctx, tok.GUID)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want cancelled, got %v", err)
	}
	if d := time.Since(<-cancelled); d > time.Second {
		t.Fatalf("cancel took %v", d)
	}
}

func TestConfigValidationAndTLS(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "https://", "::"} {
		if _, err := rsa.New(rsa.Config{URL: u}); err == nil {
			t.Errorf("URL %q accepted", u)
		}
	}
	if _, err := rsa.New(rsa.Config{URL: "https://am:7002", CAFile: "/nonexistent"}); err == nil {
		t.Error("missing CA file accepted")
	}
	c, err := rsa.New(rsa.Config{URL: "https://am.example.com:7002"})
	if err != nil || c.Endpoint() != "https://am.example.com:7002/ims-ws/services/CommandServer" || c.Insecure() {
		t.Fatalf("endpoint %q insecure=%v err=%v", c.Endpoint(), c.Insecure(), err)
	}
	c, _ = rsa.New(rsa.Config{URL: "https://am.example.com:7002", InsecureSkipVerify: true})
	if !c.Insecure() {
		t.Fatal("insecure not reported")
	}
	// plain HTTP: refused, saying why and what to do; accepted only by explicit choice
	if _, err := rsa.New(rsa.Config{URL: "http://am.example.com:7002"}); err == nil ||
		!strings.Contains(err.Error(), "cleartext") || !strings.Contains(err.Error(), "--am-allow-plain-http") {
		t.Fatalf("plain http: %v", err)
	}
	c, err = rsa.New(rsa.Config{URL: "http://am.example.com:7002", AllowPlainHTTP: true})
	if err != nil || !c.PlainHTTP() || c.Insecure() {
		t.Fatalf("explicit plain http: %v %v", c, err)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := rsa.Secret("abcd2345")
	for _, out := range []string{s.String(), strings.TrimSpace(strings.Join([]string{string(must(s.MarshalText()))}, ""))} {
		if strings.Contains(out, "abcd2345") {
			t.Fatalf("secret leaked: %q", out)
		}
	}
	ea := rsa.EmergencyAccess{TemporaryFixedTokencode: s, OneTimeCodes: []rsa.Secret{"zzzz9999"}}
	if got := sprint(ea); strings.Contains(got, "abcd2345") || strings.Contains(got, "zzzz9999") {
		t.Fatalf("%%v of a DTO leaks codes: %s", got)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func sprint(v any) string { return fmt.Sprintf("%v %+v %#v", v, v, v) }
