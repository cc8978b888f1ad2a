package ui_test

import "testing"

// The leavers of the week at 80×24: :report leavers lists the tokens of
// people AD disabled or expired; d without a selection says to select;
// space and * select, d plans disabling them (nothing sent: AM
// unchanged; the tokens disabled already change nothing), y runs it, and
// AM holds every leaver's token disabled.
func TestReportLeaversPlanAndRun(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 80, 24)
	s.Send(key(":"))
	typeText(s, "report leavers")
	s.Send(key("enter"))
	waitScreen(t, s, "Tokens of people who left", "bdisabled", "disabled in AD")
	// the first enabled rows: a leaver's token still working is the point
	var picked []string
	for _, tk := range world.ds.Tokens {
		if tk.Owner == "" {
			continue
		}
		for _, p := range world.ds.People {
			if p.Login == tk.Owner && tk.Enabled && (p.Disabled || !p.AccountExpires.IsZero() && p.AccountExpires.Before(now)) && len(world.ds.TokensOf(p.Login)) == 1 {
				picked = append(picked, tk.Serial)
			}
		}
	}
	if len(picked) == 0 {
		t.Fatalf("the demo data has %d enabled tokens of leavers", len(picked))
	}
	s.Send(key("d"))
	waitScreen(t, s, "Select rows first")
	s.Send(key(" ")) // the first row
	waitScreen(t, s, "3 tokens, 1 selected")
	s.Send(key(" ")) // the second
	waitScreen(t, s, "3 tokens, 2 selected")
	s.Send(key("*")) // all
	waitScreen(t, s, "3 tokens, 3 selected")
	s.Send(key("d"))
	waitScreen(t, s, "Plan: disable for 3 tokens", "nothing is sent before y", "the token was already disabled")
	for _, serial := range picked {
		if st, _ := world.sim.Token(serial); !st.Enabled {
			t.Fatalf("token %s disabled by the plan alone", serial)
		}
	}
	s.Send(key("y"))
	waitScreen(t, s, "Done: 1 ok, 0 refused, 0 failed, 0 unknown; each in the audit.", "ok         Disable token")
	for _, serial := range picked {
		if st, _ := world.sim.Token(serial); st.Enabled {
			t.Fatalf("token %s of a leaver is still enabled after the run", serial)
		}
	}
	s.Send(key("esc"))
	waitScreen(t, s, "Tokens of people who left")
}
