package rsa_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/demo/stack/stacktest"
	"github.com/rsatui/rsatui/internal/rsa"
)

func access(t *testing.T, ops *rsa.Ops, login, agent string) rsa.AgentAccess {
	t.Helper()
	acc, err := ops.Access(context.Background(), login, agent)
	if err != nil || len(acc) != 1 {
		t.Fatalf("access of %s at %s: %v %v", login, agent, acc, err)
	}
	return acc[0]
}

// "Works on the portal, not on the VPN": a person outside the VPN's groups
// is refused there — by AM's rule, in words that name the groups and the
// fix, before any passcode counts — and let in at the portal; once the
// directory has them in VPN Users, the VPN lets them in.
func TestRestrictedAgentAndTheDirectory(t *testing.T) {
	st := stacktest.Start(t, stack.Options{Seed: 1, Users: 30})
	ctx := context.Background()
	a := access(t, st.Ops, "asmith", demo.VPNAgent)
	if a.Granted || !a.Restricted || !strings.Contains(a.Why, "not allowed at "+demo.VPNAgent+" (restricted: VPN Users, Contractors Mon-Fri 07:00-19:00): add them to VPN Users in AD") {
		t.Fatalf("asmith at the VPN: %+v", a)
	}
	if p := access(t, st.Ops, "asmith", demo.PortalAgent); !p.Granted || p.Restricted {
		t.Fatalf("asmith at the portal: %+v", p)
	}
	if j := access(t, st.Ops, "jdoe", demo.VPNAgent); !j.Granted || j.Via != demo.VPNGroup {
		t.Fatalf("jdoe at the VPN: %+v", j)
	}
	pass := func() rsa.Secret {
		p, err := st.Passcode("asmith", false)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	res, err := st.Ops.TestPasscodeAt(ctx, "asmith", demo.VPNAgent, pass(), nil)
	if err != nil || res.Accepted || res.Reason != "AGENT_ACCESS_DENIED" || !strings.Contains(res.Words, "add them to VPN Users in AD") {
		t.Fatalf("the passcode at the VPN: %+v %v", res, err)
	}
	if res.Event.Agent != demo.VPNAgent {
		t.Fatalf("AM's record names %q, not the VPN", res.Event.Agent)
	}
	if tk, _ := st.Sim.Token(st.DS.TokensOf("asmith")[0]); tk.BadCodeCount != 0 {
		t.Fatalf("a refusal by the agent counted a bad passcode (%d)", tk.BadCodeCount)
	}
	res, err = st.Ops.TestPasscodeAt(ctx, "asmith", demo.PortalAgent, pass(), nil)
	if err != nil || !res.Accepted {
		t.Fatalf("the passcode at the portal: %+v %v", res, err)
	}
	if err := st.Directory.AddMember(demo.VPNGroup, "asmith"); err != nil {
		t.Fatal(err)
	}
	if a := access(t, st.Ops, "asmith", demo.VPNAgent); !a.Granted || a.Via != demo.VPNGroup {
		t.Fatalf("asmith in VPN Users: %+v", a)
	}
	// the tokencode just used is good once: the token's next one
	_, next, err := st.Sim.Tokencodes(st.DS.TokensOf("asmith")[0])
	if err != nil {
		t.Fatal(err)
	}
	res, err = st.Ops.TestPasscodeAt(ctx, "asmith", demo.VPNAgent, rsa.Secret(demo.DemoPIN+next), nil)
	if err != nil || !res.Accepted || res.Event.Agent != demo.VPNAgent {
		t.Fatalf("the passcode at the VPN, asmith in VPN Users: %+v %v", res, err)
	}
}

// A contractor may use the VPN in office hours only: on a Saturday AM
// refuses them there and says when they get in; on a Monday morning it
// lets them in.
func TestAccessHours(t *testing.T) {
	saturday := time.Date(2026, 12, 5, 12, 0, 0, 0, time.Local)
	c := &clock{t: saturday}
	st := stacktest.Start(t, stack.Options{Seed: 1, Users: 120, Now: c.Now})
	var contractor string
	for _, p := range st.DS.People {
		if !p.AccountExpires.IsZero() && p.AccountExpires.After(saturday) && len(st.DS.TokensOf(p.Login)) == 1 {
			contractor = p.Login
			break
		}
	}
	if contractor == "" {
		t.Fatal("no contractor with a working account in the data set")
	}
	a := access(t, st.Ops, contractor, demo.VPNAgent)
	if a.Granted || a.Via != demo.ContractorGroup || !strings.Contains(a.Why, "outside the access times of Contractors (Mon-Fri 07:00-19:00)") {
		t.Fatalf("a contractor on a Saturday: %+v", a)
	}
	c.Add(2*24*time.Hour - 2*time.Hour) // Monday 10:00
	if a := access(t, st.Ops, contractor, demo.VPNAgent); !a.Granted || a.Hours != demo.ContractorHours {
		t.Fatalf("a contractor on a Monday morning: %+v", a)
	}
}

// The Windows agent authenticates laptops offline: for how many days, and
// whether an offline emergency passcode may be given.
func TestOfflineAtTheWindowsAgent(t *testing.T) {
	st := stacktest.Start(t, stack.Options{Seed: 1, Users: 30})
	a := access(t, st.Ops, "jdoe", demo.WindowsAgent)
	if !a.Granted || !a.Offline.Allowed || a.Offline.Days != demo.OfflineDays || !a.Offline.EAPasscode || !a.Offline.EATokencode {
		t.Fatalf("jdoe at the Windows agent: %+v", a)
	}
	if v := access(t, st.Ops, "jdoe", demo.VPNAgent); v.Offline.Allowed {
		t.Fatalf("the VPN authenticates offline: %+v", v)
	}
	all, err := st.Ops.Access(context.Background(), "jdoe", "")
	if err != nil || len(all) != 3 {
		t.Fatalf("every agent: %v %v", all, err)
	}
	if _, err := st.Ops.Access(context.Background(), "jdoe", "the moon"); err == nil || !strings.Contains(err.Error(), "AM has no agent called") {
		t.Fatalf("an unknown agent: %v", err)
	}
}
