package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/rsa"
)

// The offline emergency passcode from the console: "I'm on a plane and
// lost my token". It is a code like the online ones: confirmed first,
// shown once on a screen of its own (quitting asks first), never kept.

// offlineDone is a set or a removal of the offline emergency passcode.
type offlineDone struct {
	res    rsa.OfflinePasscodeResult
	err    error
	remove bool
}

func (d offlineDone) outcome() error { return d.err }

// offlineLifetimes are the confirm's choices, within AM's maximum.
func offlineLifetimes(c *common) []int {
	var out []int
	for _, d := range []int{1, 3, 7} {
		if d <= c.am.EALifetimeDays() {
			out = append(out, d)
		}
	}
	return out
}

// openOfflineSet confirms giving t.user an offline emergency passcode
// that rsatui makes, for the lifetime chosen (1, 2, 3).
func openOfflineSet(c *common, t target) reqs {
	am, login := c.am, t.user.Login
	cp := &changePane{title: "Give " + login + " an offline emergency passcode", label: "Setting " + login + "'s offline emergency passcode",
		words: "rsatui makes a " + fmt.Sprint(rsa.OfflinePasscodeLength) + "-character passcode (no look-alike letters) and AM keeps it until the end chosen. " +
			login + "'s laptop accepts it instead of PIN + tokencode when it logs in off the network — once it has fetched it, at its next online login. " +
			"It is shown once, on the next screen; read it out, never send it by mail."}
	if t.offline != nil && t.offline.Usable() {
		cp.words += "\n" + c.st.Warn.Render("The passcode AM holds now is replaced.")
	}
	for _, days := range offlineLifetimes(c) {
		cp.options = append(cp.options, changeOption{label: fmt.Sprintf("for %d day%s", days, plural(days)),
			words:    fmt.Sprintf("It ends in %d day%s; AM's maximum is %d.", days, plural(days), c.am.EALifetimeDays()),
			commands: rsa.OfflinePasscodePlan().Lines(),
			run: func(ctx context.Context) tea.Msg {
				exp, err := am.ParseExpiry(fmt.Sprintf("%dd", days))
				if err != nil {
					return offlineDone{err: err}
				}
				res, err := am.SetOfflinePasscode(ctx, rsa.OfflinePasscodeRequest{Login: login, Expires: exp})
				return offlineDone{res: res, err: err}
			}})
	}
	if len(cp.options) == 0 {
		return do(fail("AM's maximum lifetime of emergency codes is under a day: no offline passcode can be given."))
	}
	cp.chosen = min(1, len(cp.options)-1)
	return do(push(cp), say("Review the change: 1–"+fmt.Sprint(len(cp.options))+" choose how long, y runs it, any other key cancels."))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// openOfflineRemove confirms taking the passcode away.
func openOfflineRemove(c *common, t target) reqs {
	am, login := c.am, t.user.Login
	return do(push(&changePane{title: "Remove " + login + "'s offline emergency passcode", label: "Removing " + login + "'s offline emergency passcode",
		words:    "AM forgets the passcode: " + login + "'s laptop refuses it at its next online login, when it fetches AM's data again (a laptop that stays offline may still take it until then).",
		commands: rsa.OfflinePasscodePlan().Lines(),
		run: func(ctx context.Context) tea.Msg {
			res, err := am.SetOfflinePasscode(ctx, rsa.OfflinePasscodeRequest{Login: login, Remove: true})
			return offlineDone{res: res, err: err, remove: true}
		}}), say("Review the change: y runs it, any other key cancels."))
}

// offlineFinished takes a result in on the access screen: what AM holds
// now, and a passcode set on a screen of its own.
func offlineFinished(c *common, p *accessPane, d offlineDone) reqs {
	if d.res.After.Login != "" {
		p.offline, p.offlineErr = d.res.After, nil
	}
	switch {
	case d.err != nil && !(errors.Is(d.err, rsa.ErrOutcomeUnknown) && d.res.Passcode != ""):
		return do(fail(explain(d.err)))
	case d.res.Note != "":
		return do(say("Nothing to do: " + d.res.Note + "."))
	case d.remove:
		return do(say(p.user.Login + "'s offline emergency passcode is removed: " + d.res.After.Words(c.loc) + "."))
	}
	shown := &offlineShownPane{shownOnce: shownOnce{"offline passcode", "the passcode", "the passcode is"}, login: p.user.Login, res: d.res, err: d.err}
	if d.err != nil {
		return do(push(shown), fail("MAY BE IN FORCE: "+explain(d.err)))
	}
	return do(push(shown), say("Set: read the passcode out now; it is shown only here."))
}

// offlineShownPane shows a passcode just set, once.
type offlineShownPane struct {
	paneBase
	shownOnce
	login string
	res   rsa.OfflinePasscodeResult
	err   error // the outcome is unknown: it may be in force
}

func (p *offlineShownPane) crumbs() []string { return []string{"offline passcode"} }

// precious: the passcode is on screen only now.
func (p *offlineShownPane) precious() string {
	return "The offline emergency passcode is shown only now"
}

func (p *offlineShownPane) view(c *common, w, _ int) string {
	st := c.st
	var b strings.Builder
	b.WriteString(st.Title.Render("Offline emergency passcode for "+printable(p.login)) + "\n\n")
	if p.err != nil {
		b.WriteString(st.Err.Render("MAY BE IN FORCE: the reply was lost; check with r on the access screen before you hand it over or try again.") + "\n\n")
	}
	b.WriteString("  " + st.Code.Render(groupFours(p.res.Passcode.Reveal())) + "\n\n")
	b.WriteString(printable(p.res.After.Words(c.loc)) + ".\n")
	b.WriteString("They type it (without the spaces) instead of PIN + tokencode on the laptop, off the network.\n\n")
	b.WriteString(st.Warn.Render("Shown only now.") + " " + st.Key.Render(keyOf(c, action.Done)) + " done: it goes.")
	return lipgloss.NewStyle().Width(w).Render(b.String())
}

// groupFours writes a passcode in fours, as it is read out.
func groupFours(s string) string {
	var parts []string
	for len(s) > 4 {
		parts, s = append(parts, s[:4]), s[4:]
	}
	return strings.Join(append(parts, s), " ")
}
