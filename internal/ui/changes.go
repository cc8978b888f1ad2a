package ui

import (
	"context"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/diagnose"
	"github.com/rsatui/rsatui/internal/rsa"
)

// changesPane is "who changed it": AM's administration records of the
// person and their tokens in the dashboard's period (who, what, when, and
// what it means for them), newest first, as the dashboard read them.
type changesPane struct {
	paneBase
	user    ad.User
	changes []rsa.AuthEvent
	err     error
	scroll  scroller
}

// changesLoaded is the administration log of the person, read anew.
type changesLoaded struct {
	p       *changesPane
	changes []rsa.AuthEvent
	err     error
}

// openChanges shows what the dashboard read at once, and reads it anew
// (a change made since, from here or elsewhere, is in it then).
func openChanges(c *common, t target) reqs {
	return do(push(&changesPane{user: t.user, changes: t.changes, err: t.changesErr, scroll: newScroller()}))
}

func (p *changesPane) open(c *common) reqs {
	am, login, since, self := c.am, p.user.Login, c.now().Add(-diagnose.Window), p
	return do(call("Reading AM's administration log of "+login, func(ctx context.Context) tea.Msg {
		evs, err := am.AdminActivity(ctx, login, since)
		return changesLoaded{p: self, changes: evs, err: err}
	}))
}

func (p *changesPane) update(c *common, msg tea.Msg) reqs {
	if l, ok := msg.(changesLoaded); ok && l.p == p {
		p.changes, p.err = l.changes, l.err
		if l.err != nil {
			return do(fail("AM's administration log could not be read: " + explain(l.err)))
		}
		return do(say(fmt.Sprintf("%d administration record%s of %s, read from AM at %s.", len(l.changes), plural(len(l.changes)), p.user.Login, c.now().In(c.loc).Format("15:04:05"))))
	}
	return nil
}

func (p *changesPane) crumbs() []string { return []string{"who changed it"} }

func (p *changesPane) keys(c *common) []keyGroup {
	return []keyGroup{{"scrolling", c.km.listKeys()}}
}

func (p *changesPane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	return nil, p.scroll.key(c.km, p.content(c), c.w, c.h, k)
}

func (p *changesPane) content(c *common) string {
	head := fmt.Sprintf("Who changed %s's tokens or account: %d record%s of AM's administration log in 7 days", p.user.Login, len(p.changes), plural(len(p.changes)))
	out := c.st.Title.Render(printable(head))
	if p.err != nil {
		return out + "\n\n" + c.st.Err.Render("Not read: "+printable(explain(p.err)))
	}
	if len(p.changes) == 0 {
		return out + "\n\n  None: no administrator changed them in 7 days."
	}
	return out + "\n\n" + strings.Join(changeLines(c, p.changes, ""), "\n")
}

// changeLines are administration records newest first, each "when who
// what — what it means"; serial, when set, keeps only that token's.
func changeLines(c *common, evs []rsa.AuthEvent, serial string) []string {
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		e := evs[i]
		if serial != "" && e.Token != serial {
			continue
		}
		l := "  " + e.At.In(c.loc).Format("01-02 15:04") + "  " + printable(e.Actor) + " " + printable(e.Message)
		if m := diagnose.ChangeMeaning(e.ResultKey); m != "" {
			l += c.st.Dim.Render(" — " + m)
		}
		out = append(out, l)
	}
	return out
}

func (p *changesPane) view(c *common, w, h int) string {
	return p.scroll.view(c.st, p.content(c), w, h)
}
