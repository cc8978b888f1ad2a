package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
)

// accessPane answers "why not *there*?": for each of AM's agents, whether
// the person may authenticate at it now, why, and what to do about a
// refusal (AM's TestAccessInfo: no passcode is sent, nothing counts);
// whether a laptop may authenticate offline; and the offline emergency
// passcode, given or taken away from here (the "I'm on a plane" call).
type accessPane struct {
	paneBase
	user       ad.User
	access     []rsa.AgentAccess
	accessErr  error
	offline    rsa.OfflineState
	offlineErr error
	read       bool
	scroll     scroller
}

// accessLoaded is AM's answer for the person, both reads.
type accessLoaded struct {
	p          *accessPane
	access     []rsa.AgentAccess
	accessErr  error
	offline    rsa.OfflineState
	offlineErr error
}

func openAccess(c *common, u ad.User) reqs {
	return do(push(&accessPane{user: u, scroll: newScroller()}))
}

func (p *accessPane) open(c *common) reqs { return do(p.load(c)) }

func (p *accessPane) load(c *common) request {
	am, login, self := c.am, p.user.Login, p
	return call("Asking AM where "+login+" may log in", func(ctx context.Context) tea.Msg {
		r := accessLoaded{p: self}
		var wg sync.WaitGroup
		wg.Go(func() { r.access, r.accessErr = am.Access(ctx, login, "") })
		wg.Go(func() { r.offline, r.offlineErr = am.OfflinePasscode(ctx, login) })
		wg.Wait()
		return r
	})
}

func (p *accessPane) crumbs() []string { return []string{"where they may log in"} }

func (p *accessPane) keys(c *common) []keyGroup {
	return []keyGroup{{"access", append(bindingsOf(offered(c, onAccess, p.target())), c.km[action.Refresh])}, {"scrolling", c.km.listKeys()}}
}

func (p *accessPane) target() target {
	return target{user: p.user, offline: &p.offline, parent: "where they may log in"}
}

func (p *accessPane) update(c *common, msg tea.Msg) reqs {
	switch msg := msg.(type) {
	case accessLoaded:
		if msg.p != p {
			return nil
		}
		p.read = true
		p.access, p.accessErr, p.offline, p.offlineErr = msg.access, msg.accessErr, msg.offline, msg.offlineErr
		refused := 0
		for _, a := range p.access {
			if !a.Granted {
				refused++
			}
		}
		switch {
		case msg.accessErr != nil:
			return do(fail("AM's access rules could not be read in full: " + explain(msg.accessErr)))
		case refused > 0:
			return do(fail(fmt.Sprintf("%s may not log in at %d of %d agents: the lines say why and what to do.", p.user.Login, refused, len(p.access))))
		}
		return do(say(fmt.Sprintf("%s may log in at all %d agents (asked AM at %s).", p.user.Login, len(p.access), c.now().In(c.loc).Format("15:04:05"))))
	case offlineDone:
		return offlineFinished(c, p, msg)
	}
	return nil
}

func (p *accessPane) key(c *common, k tea.KeyPressMsg) (reqs, bool) {
	if p.scroll.key(c.km, p.content(c), c.w, c.h, k) {
		return nil, true
	}
	if key.Matches(k, c.km[action.Refresh]) {
		return do(p.load(c)), true
	}
	return dispatch(c, onAccess, k, p.target())
}

func (p *accessPane) content(c *common) string {
	st := c.st
	var b strings.Builder
	b.WriteString(st.Title.Render("Where "+printable(p.user.Login)+" may log in") + st.Dim.Render(" (AM's rules, asked now: no passcode sent, nothing counted)") + "\n\n")
	if !p.read {
		return b.String() + "  Asking AM…"
	}
	if p.accessErr != nil {
		b.WriteString(st.Err.Render("✗ "+printable(explain(p.accessErr))) + "\n")
	}
	w := max(c.w-4, 20)
	for _, a := range p.access {
		mark := st.OK.Render("✓")
		if !a.Granted {
			mark = st.Err.Render("✗")
		}
		b.WriteString(mark + " " + st.Title.Render(printable(a.Agent)) + "\n")
		b.WriteString(indent(lipgloss.NewStyle().Width(w).Render(printable(a.Why)), "    ") + "\n")
		if a.Offline.Allowed {
			off := fmt.Sprintf("offline: a laptop logs in off the network for up to %d days", a.Offline.Days)
			if a.Offline.EAPasscode {
				off += "; an offline emergency passcode may be given"
			}
			if a.Offline.EATokencode {
				off += "; an offline emergency tokencode may be given"
			}
			b.WriteString(indent(lipgloss.NewStyle().Width(w).Render(off), "    ") + "\n")
		}
	}
	b.WriteString("\n" + st.Title.Render("Offline emergency passcode") + "\n")
	if p.offlineErr != nil {
		b.WriteString("  " + st.Err.Render("not read: "+printable(explain(p.offlineErr))) + "\n")
	} else {
		words := p.offline.Words(c.loc)
		if p.offline.Usable() {
			words = st.Warn.Render(words)
		}
		b.WriteString(indent(lipgloss.NewStyle().Width(w).Render(words), "  ") + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// indent puts prefix before each line of s.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

func (p *accessPane) view(c *common, w, h int) string {
	return p.scroll.view(c.st, p.content(c), w, h)
}
