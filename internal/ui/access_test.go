package ui_test

import (
	"context"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/screentest"
)

// "Why not there?" and "I'm on a plane": W shows each agent's answer for
// asmith (the VPN refuses, with the fix; the portal lets them in; the
// Windows agent allows offline logins), O gives an offline emergency
// passcode shown once — quitting asks first — X takes it away, and c says
// who changed it, read from AM's administration log.
func TestWhereTheyMayLogInAndTheOfflinePasscode(t *testing.T) {
	w := newWorld(t)
	s := start(t, w.model(false), 100, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "asmith", "Alice Smith")
	s.Send(key("W"))
	waitScreen(t, s, "Where asmith may log in", "✗ "+demo.VPNAgent, "add them to VPN Users in AD", "✓ "+demo.PortalAgent,
		"offline: a laptop logs in off the network for up to 14 days", "no offline emergency passcode", "may not log in at 1 of 3 agents")
	s.Send(key("X"))
	waitScreen(t, s, "asmith has no offline emergency passcode (as last read")
	s.Send(key("O"))
	waitScreen(t, s, "Please confirm: give asmith an offline emergency passcode", "› 2 for 3 days", "UpdateEmergencyAccessPasscodeCommand")
	s.Send(key("1"))
	waitScreen(t, s, "› 1 for 1 day")
	s.Send(key("y"))
	waitScreen(t, s, "Offline emergency passcode for asmith", "Shown only now.")
	code, err := w.ops.RevealOfflinePasscode(context.Background(), "asmith")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.screen(), groupFours(code.Reveal())) {
		t.Fatalf("the passcode AM holds is not the one shown:\n%s", s.screen())
	}
	s.Send(key("q"))
	waitScreen(t, s, "The offline emergency passcode is shown only now")
	s.Send(key("enter"))
	waitScreen(t, s, "Where asmith may log in", "offline emergency passcode set, until")
	if strings.Contains(s.screen(), groupFours(code.Reveal())) {
		t.Fatalf("the passcode stayed on screen:\n%s", s.screen())
	}
	s.Send(key("X"))
	waitScreen(t, s, "Please confirm: remove asmith's offline emergency passcode")
	s.Send(key("y"))
	waitScreen(t, s, "asmith's offline emergency passcode is removed: no offline emergency passcode.")
	s.Send(key("esc"))
	waitScreen(t, s, "Alice Smith (asmith)")
	s.Send(key("c"))
	waitScreen(t, s, "Who changed asmith's tokens or account", demo.AdminUser+" set an offline emergency passcode for user asmith",
		"— their laptop fetches it at", demo.AdminUser+" removed the offline emergency passcode of user asmith")
}

func groupFours(s string) string {
	var parts []string
	for len(s) > 4 {
		parts, s = append(parts, s[:4]), s[4:]
	}
	return strings.Join(append(parts, s), " ")
}

// The console's passcode test at an agent: ctrl+n goes from rsatui's own
// record to the VPN, which refuses asmith by its rule (not by the
// passcode), and AM's record names it.
func TestPasscodeTestAtAnAgent(t *testing.T) {
	w := newWorld(t)
	s := start(t, w.model(false), 120, 30)
	waitScreen(t, s, screentest.PeopleFound)
	openTokens(t, s, "asmith", "Alice Smith")
	s.Send(key("t"))
	waitScreen(t, s, "Tested as rsatui (AM's admin API, no agent's access rules)", "ctrl+n: elsewhere (1")
	s.Send(ctrlN())
	waitScreen(t, s, "Tested as agent "+demo.VPNAgent+" (AM's admin API): its access rules apply")
	cur, _, err := w.sim.Tokencodes(w.ds.TokensOf("asmith")[0])
	if err != nil {
		t.Fatal(err)
	}
	typeText(s, demo.DemoPIN+cur)
	s.Send(key("enter"))
	waitScreen(t, s, "✗ refused: not allowed at "+demo.VPNAgent, "(AGENT_ACCESS_DENIED)")
}

func ctrlN() tea.KeyPressMsg { return tea.KeyPressMsg{Code: 'n', Mod: tea.ModCtrl} }
