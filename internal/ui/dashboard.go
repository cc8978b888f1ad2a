package ui

import (
	"context"
	"fmt"
	"sort"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/charmbracelet/x/ansi"
	"github.com/rsatui/rsatui/internal/activity"
	"github.com/rsatui/rsatui/internal/diagnose"
	"github.com/rsatui/rsatui/internal/rsa"
)

// The person's screen is their dashboard: on top the diagnosis —
// why they cannot log in, most likely first, each cause with the key that
// deals with it — then their tokens, then what AM saw when they tried,
// kept live by the console's activity poller. The rules of the diagnosis
// are internal/diagnose's; this file only lays them out.

// activityArrived is what the poller handed a person screen's watch.
type activityArrived struct {
	w   *activity.Watch
	evs []rsa.AuthEvent
	err error
}

// waitActivity waits for the watch's next records; it ends quietly when
// the screen is closed.
func waitActivity(ctx context.Context, w *activity.Watch) tea.Cmd {
	return func() tea.Msg {
		evs, err := w.Next(ctx)
		if ctx.Err() != nil {
			return nil
		}
		return activityArrived{w: w, evs: evs, err: err}
	}
}

// diagnosisLines are the findings in at most n lines of width w, the most
// likely first; what does not fit is counted on the last line. Each finding
// is wrapped when all fit so; else each takes one line, its words cut and
// its fix key kept (cut at the end, "— n clears it" was lost at 80×24).
func diagnosisLines(c *common, fs []diagnose.Finding, n, w int) []string {
	st := c.st
	type line struct{ head, words, hint string }
	var ls []line
	more := ""
	for i, f := range fs {
		if len(ls) == n-1 && len(fs)-i > 1 {
			more = st.Dim.Render(fmt.Sprintf("  … %d more: rsatui user show lists them all", len(fs)-i))
			break
		}
		mark, style := "·", st.Dim
		switch f.Severity {
		case diagnose.Blocking:
			mark, style = "✗", st.Err
		case diagnose.Warning:
			mark, style = "!", st.Warn
		}
		l := line{head: style.Render(mark) + " ", words: printable(f.Words)}
		if h := fixHint(c, f.Fix); h != "" {
			l.hint = " — " + st.Selected.Render(h)
		}
		ls = append(ls, l)
	}
	var wrapped []string
	for _, l := range ls {
		parts := strings.Split(lipgloss.NewStyle().Width(max(w-2, 10)).Render(l.head+l.words+l.hint), "\n")
		for i, part := range parts {
			if i > 0 {
				part = "  " + part
			}
			wrapped = append(wrapped, strings.TrimRight(part, " "))
		}
	}
	if more != "" {
		wrapped = append(wrapped, more)
	}
	if len(wrapped) <= n {
		return wrapped
	}
	var out []string
	for _, l := range ls {
		room := max(w-1-ansi.StringWidth(l.head)-ansi.StringWidth(l.hint), 10)
		out = append(out, l.head+ansi.Truncate(l.words, room, "…")+l.hint)
	}
	if more != "" {
		out = append(out, more)
	}
	return out
}

// activityLines are the newest n records, newest last (as they come), in
// the console's zone.
func activityLines(c *common, evs []rsa.AuthEvent, n int) []string {
	if n <= 0 {
		return nil
	}
	from := max(len(evs)-n, 0)
	var out []string
	today := c.now().In(c.loc).Format("2006-01-02")
	for _, e := range evs[from:] {
		at := e.At.In(c.loc)
		stamp := at.Format("01-02 15:04:05")
		if at.Format("2006-01-02") == today {
			stamp = "today " + at.Format("15:04:05")
		}
		result := pad(e.Result, 7)
		if e.Failed() {
			result = c.st.Err.Render(result)
		}
		parts := []string{stamp, result, printable(e.Message)}
		if e.Token != "" {
			parts = append(parts, "token "+printable(e.Token))
		}
		if e.Agent != "" {
			parts = append(parts, c.st.Dim.Render(printable(e.Agent)))
		}
		if e.ClientIP != "" {
			parts = append(parts, c.st.Dim.Render(printable(e.ClientIP)))
		}
		if e.Method != "" {
			parts = append(parts, c.st.Dim.Render(printable(e.Method)))
		}
		out = append(out, "  "+strings.Join(parts, "  "))
	}
	return out
}

// mergeActivity adds records not already in evs, oldest first.
func mergeActivity(evs, more []rsa.AuthEvent) []rsa.AuthEvent {
	have := make(map[string]bool, len(evs))
	for _, e := range evs {
		have[e.GUID] = true
	}
	for _, e := range more {
		if !have[e.GUID] {
			evs = append(evs, e)
			have[e.GUID] = true
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
	return evs
}
