package authapi_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/demo/stack/stacktest"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

// post is a client of our own, apart from package authapi: JSON by hand
// (as the swagger describes it), the client-key header.
func post(t *testing.T, st *stack.Stack, key, op, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, st.AMURL+amsim.AuthAPIPath+op, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("client-key", key)
	req.Header.Set("Content-Type", "application/json")
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: st.AMCAPool}}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return resp.StatusCode, out
}

func initialize(login, passcode, client string) string {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(map[string]any{"clientId": client, "subjectName": login,
		"context":            map[string]any{"messageId": "m1"},
		"subjectCredentials": []any{map[string]any{"methodId": "SECURID", "collectedInputs": []any{map[string]any{"name": "SECURID", "value": passcode}}}}})
	return b.String()
}

// The simulator's Authentication API, driven by hand: the client key is
// required; the right passcode is SUCCESS, a wrong one FAIL; next-tokencode
// mode is a CHALLENGE that verify answers; AM's record names the client id
// as the agent, and a restricted agent's rule applies.
func TestSimulatorAuthenticationAPI(t *testing.T) {
	st := stacktest.Start(t, stack.Options{Seed: 1, Users: 30})
	key := st.AuthAPIKey.Reveal()
	pass, err := st.Passcode("jdoe", false)
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := post(t, st, "wrong-key", "initialize", initialize("jdoe", pass.Reveal(), demo.PortalAgent)); code != http.StatusUnauthorized {
		t.Fatalf("a wrong client key: HTTP %d", code)
	}
	code, out := post(t, st, key, "initialize", initialize("jdoe", pass.Reveal(), demo.PortalAgent))
	if code != 200 || out["attemptResponseCode"] != "SUCCESS" {
		t.Fatalf("the right passcode: %d %v", code, out)
	}
	if _, out = post(t, st, key, "initialize", initialize("jdoe", demo.DemoPIN+"00000000", demo.PortalAgent)); out["attemptResponseCode"] != "FAIL" {
		t.Fatalf("a wrong passcode: %v", out)
	}
	evs, err := st.Ops.Activity(context.Background(), "jdoe", st.DS.Created.Add(-1))
	if err != nil || len(evs) < 2 || evs[len(evs)-1].Agent != demo.PortalAgent || evs[len(evs)-1].ResultKey != "BAD_PASSCODE" {
		t.Fatalf("AM's records: %+v %v", evs, err)
	}
	// dobrien's token is in next-tokencode mode (and he is locked: unlock first)
	if _, err := st.Ops.Unlock(context.Background(), "dobrien"); err != nil {
		t.Fatal(err)
	}
	pass, _ = st.Passcode("dobrien", false)
	_, out = post(t, st, key, "initialize", initialize("dobrien", pass.Reveal(), demo.PortalAgent))
	if out["attemptResponseCode"] != "CHALLENGE" || !strings.Contains(mustJSON(out), "PROMPT.SID.NEXT_TOKENCODE") {
		t.Fatalf("next-tokencode mode: %v", out)
	}
	ctx := out["context"].(map[string]any)
	_, next, _ := st.Sim.Tokencodes(st.DS.TokensOf("dobrien")[0])
	verify := mustJSON(map[string]any{"context": map[string]any{"authnAttemptId": ctx["authnAttemptId"], "messageId": "m2", "inResponseTo": ctx["messageId"]},
		"subjectCredentials": []any{map[string]any{"methodId": "SECURID_NEXT_TOKENCODE", "collectedInputs": []any{map[string]any{"name": "SECURID_NEXT_TOKENCODE", "value": next}}}}})
	if _, out = post(t, st, key, "verify", verify); out["attemptResponseCode"] != "SUCCESS" {
		t.Fatalf("the next tokencode: %v", out)
	}
	// the VPN's rule applies to the API too: asmith is not in its groups
	pass, _ = st.Passcode("asmith", false)
	if _, out = post(t, st, key, "initialize", initialize("asmith", pass.Reveal(), demo.VPNAgent)); out["attemptResponseCode"] != "FAIL" {
		t.Fatalf("asmith at the VPN through the API: %v", out)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// rsatui's passcode test through the Authentication API answers as the
// LoginCommand path does: accepted, refused (wrong passcode), challenged
// (next tokencode, answered), each recorded at the configured agent. Each
// door tests people of its own (the same person's counts would mix).
func TestTheTwoDoorsAgree(t *testing.T) {
	st := stacktest.Start(t, stack.Options{Seed: 1, Users: 30})
	ctx := context.Background()
	var people []string // people with one working token, in good standing
	for _, p := range st.DS.People {
		ts := st.DS.TokensOf(p.Login)
		if len(ts) != 1 || p.Disabled || p.Locked {
			continue
		}
		if tk, _ := st.Sim.Token(ts[0]); tk.Enabled && !tk.NextTokencodeMode && tk.PinSet && tk.Expires.After(st.DS.Created) {
			people = append(people, p.Login)
		}
	}
	if len(people) < 6 {
		t.Fatalf("%d people to test with", len(people))
	}
	for i, door := range []rsa.Door{rsa.DoorAdmin, rsa.DoorAuthAPI} {
		right, wrong, challenged := people[3*i], people[3*i+1], people[3*i+2]
		t.Run(string(door), func(t *testing.T) {
			cur, _, _ := st.Sim.Tokencodes(st.DS.TokensOf(right)[0])
			res, err := st.Ops.TestPasscodeVia(ctx, door, right, demo.PortalAgent, rsa.Secret(demo.DemoPIN+cur), nil)
			if err != nil || !res.Accepted || res.Reason != "PASSCODE_ACCEPTED" || res.Event.Agent != demo.PortalAgent {
				t.Fatalf("the right passcode: %+v %v", res, err)
			}
			res, err = st.Ops.TestPasscodeVia(ctx, door, wrong, demo.PortalAgent, rsa.Secret(demo.DemoPIN+"00000000"), nil)
			if err != nil || res.Accepted || res.Reason != "BAD_PASSCODE" || res.Event.Agent != demo.PortalAgent {
				t.Fatalf("a wrong passcode: %+v %v", res, err)
			}
			// two wrong passcodes put the token in next-tokencode mode
			serial := st.DS.TokensOf(challenged)[0]
			for range 2 {
				if _, err := st.Ops.TestPasscodeVia(ctx, door, challenged, demo.PortalAgent, rsa.Secret(demo.DemoPIN+"00000000"), nil); err != nil {
					t.Fatal(err)
				}
			}
			cur, next, _ := st.Sim.Tokencodes(serial)
			asked := false
			res, err = st.Ops.TestPasscodeVia(ctx, door, challenged, demo.PortalAgent, rsa.Secret(demo.DemoPIN+cur), func(context.Context, string) (rsa.Secret, error) {
				asked = true
				return rsa.Secret(next), nil
			})
			if err != nil || !asked || !res.Accepted {
				t.Fatalf("next-tokencode mode: asked %v, %+v %v", asked, res, err)
			}
		})
	}
	if _, err := st.Ops.TestPasscodeVia(ctx, rsa.DoorAuthAPI, "jdoe", demo.VPNAgent, "x", nil); err == nil || !strings.Contains(err.Error(), "tests as its configured agent") {
		t.Fatalf("another agent through the API: %v", err)
	}
}
