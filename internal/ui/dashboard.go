package ui

import (
	"context"
	"fmt"
	"sort"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

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

// diagnosisLines are the findings, at most n lines, the most likely first;
// what does not fit is counted on the last line.
func diagnosisLines(c *common, fs []diagnose.Finding, n int) []string {
	st := c.st
	var out []string
	for i, f := range fs {
		if len(out) == n-1 && len(fs)-i > 1 {
			out = append(out, st.Dim.Render(fmt.Sprintf("  … %d more: rsatui user show lists them all", len(fs)-i)))
			break
		}
		mark, style := "·", st.Dim
		switch f.Severity {
		case diagnose.Blocking:
			mark, style = "✗", st.Err
		case diagnose.Warning:
			mark, style = "!", st.Warn
		}
		line := style.Render(mark) + " " + printable(f.Words)
		if h := fixHint(c, f.Fix); h != "" {
			line += " — " + st.Selected.Render(h)
		}
		out = append(out, line)
	}
	return out
}

// wrapLines wraps each line to w, indented under its mark, and keeps at
// most n lines (the last one cut says so with …).
func wrapLines(lines []string, w, n int) []string {
	var out []string
	for _, l := range lines {
		wrapped := strings.Split(lipgloss.NewStyle().Width(max(w-2, 10)).Render(l), "\n")
		for i, part := range wrapped {
			if i > 0 {
				part = "  " + part
			}
			out = append(out, strings.TrimRight(part, " "))
		}
	}
	if len(out) > n {
		out = out[:n]
		out[n-1] += " …"
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
