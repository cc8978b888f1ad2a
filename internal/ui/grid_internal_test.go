package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/textsafe"
)

func TestGridScrollsAndClamps(t *testing.T) {
	g := newGrid()
	g.SetHeight(4) // header + 3 rows
	g.SetColumns([]column{{Title: "N", Width: 4}, {Title: "Name", Width: 6}})
	if g.Cursor() != 0 || g.Len() != 0 || strings.Count(g.View(), "\n") != 3 {
		t.Fatalf("empty grid: cursor %d, view %q", g.Cursor(), g.View())
	}
	for i := 0; i < 10; i++ {
		g.AppendRows(row{fmt.Sprint(i), fmt.Sprintf("name%d", i)})
	}
	visible := func() []string {
		lines := strings.Split(ansi.Strip(g.View()), "\n")[1:]
		for i := range lines {
			if f := strings.Fields(strings.TrimPrefix(lines[i], selMark)); len(f) > 0 {
				lines[i] = f[0]
			}
		}
		return lines
	}
	key := func(s string) {
		k := tea.KeyPressMsg{Code: []rune(s)[0], Text: s}
		switch s {
		case "down":
			k = tea.KeyPressMsg{Code: tea.KeyDown}
		case "up":
			k = tea.KeyPressMsg{Code: tea.KeyUp}
		case "end":
			k = tea.KeyPressMsg{Code: tea.KeyEnd}
		case "pgup":
			k = tea.KeyPressMsg{Code: tea.KeyPgUp}
		}
		if !g.Update(DefaultKeys(), k) {
			t.Fatalf("%s is not a list key", s)
		}
	}
	for _, step := range []struct {
		key    string
		cursor int
		first  string
	}{{"down", 1, "0"}, {"j", 2, "0"}, {"j", 3, "1"}, {"end", 9, "7"}, {"down", 9, "7"}, {"pgup", 6, "6"}, {"k", 5, "5"}, {"g", 0, "0"}, {"up", 0, "0"}, {"G", 9, "7"}} {
		key(step.key)
		if g.Cursor() != step.cursor || visible()[0] != step.first {
			t.Fatalf("after %s: cursor %d (want %d), first visible %s (want %s)", step.key, g.Cursor(), step.cursor, visible()[0], step.first)
		}
	}
	if g.Update(DefaultKeys(), tea.KeyPressMsg{Code: 'e', Text: "e"}) {
		t.Error("e is an action, not a list key")
	}
	g.SetRows([]row{{"a", "x"}, {"b", "y"}})
	if g.Cursor() != 1 || len(visible()) != 3 || visible()[0] != "a" {
		t.Errorf("shrunk to 2 rows: cursor %d, %q", g.Cursor(), visible())
	}
}

func TestGridCellsKeepTheirWidth(t *testing.T) {
	g := newGrid()
	g.SetHeight(3)
	g.SetColumns([]column{{Title: "Login", Width: 5}, {Title: "Name", Width: 4}, {Title: "Hidden", Width: 0}})
	g.SetRows([]row{{"abcdefgh", "日本語です", "x"}, {"a"}})
	lines := strings.Split(ansi.Strip(g.View()), "\n")
	for i, want := range []string{" Login  Name ", selMark + "abcd…  日…  ", " a           "} {
		if lines[i] != want || ansi.StringWidth(lines[i]) != 13 {
			t.Errorf("line %d: %q (width %d), want %q", i, lines[i], ansi.StringWidth(lines[i]), want)
		}
	}
}

// A displayName with escape sequences must not reach the terminal.
func TestDirectoryTextCannotEscape(t *testing.T) {
	m := New(nil, nil, Info{}, Options{NoColor: true})
	m.setSize(100, 20)
	evil := ad.User{Login: "evil", DisplayName: "Eve\x1b]0;pwned\x07\x1b[2J", Mail: "e\x9b31m@x\u009b1m", Department: "\u202eIT\r\nFake line"}
	mm, _ := m.Update(searchPage{seq: m.people.seq, users: []ad.User{evil}})
	frame := mm.(Model).Render()
	for _, bad := range []string{"\x1b]0;", "\x07", "\x1b[2J", "\x9b", "\u009b", "\r", "\u202e", "\u200b"} {
		if strings.Contains(frame, bad) {
			t.Errorf("frame carries %q from the directory", bad)
		}
	}
	if !strings.Contains(frame, "⟨U+202E⟩IT") {
		t.Errorf("a bidi override is not shown visibly:\n%s", frame)
	}
	if !strings.Contains(frame, "Eve\uFFFD]0;pwned") {
		t.Errorf("the name is not shown with its control characters replaced:\n%s", frame)
	}
}

// The selected row is marked in the text itself, so it stands out without
// colour (under NO_COLOR it was only bold, like the header).
func TestSelectedRowMarkedWithoutColour(t *testing.T) {
	g := newGrid()
	g.SetHeight(3)
	g.SetColumns([]column{{Title: "Login", Width: 8}})
	g.SetRows([]row{{"adams"}, {"baker"}})
	g.SetCursor(1)
	lines := strings.Split(ansi.Strip(g.View()), "\n")
	if !strings.HasPrefix(lines[2], selMark+"baker") || strings.HasPrefix(lines[1], selMark) || strings.HasPrefix(lines[0], selMark) {
		t.Fatalf("selected row not marked, or others marked: %q", lines)
	}
}

// Values from the directory are made safe where they are drawn, not by
// rewriting them (#29 item 3): the login with a format character stays as
// the directory has it (it opens the person), the dashboard's header of
// the fresh AD read passes neither C1 CSI, NEL, U+202E, U+2028 nor a line
// feed, and the frame as it goes to the terminal keeps only colour
// sequences of ESC.
func TestValuesAreSafeWhereDrawn(t *testing.T) {
	m := New(nil, nil, Info{}, Options{NoColor: false})
	m.setSize(100, 20)
	evil := ad.User{Login: "ev\u202eil", DisplayName: "Eve\u009b2J\u0085NEL\nFAKE LINE\u2028", Mail: "m\x1b[2J@x", Department: "IT"}
	mm, _ := m.Update(searchPage{seq: m.people.seq, users: []ad.User{evil}})
	m = mm.(Model)
	if m.people.users[0].Login != evil.Login {
		t.Fatalf("the login was rewritten to %q: it could not be looked up", m.people.users[0].Login)
	}
	tp := &tokensPane{user: evil, table: newGrid()}
	frame := textsafe.Frame(m.Render() + "\n" + tp.view(m.c, 100, 20))
	for _, bad := range []string{"\u009b", "\u0085", "\u202e", "\u2028", "\x1b[2J"} {
		if strings.Contains(frame, bad) {
			t.Errorf("the frame carries %q", bad)
		}
	}
	for _, l := range strings.Split(ansi.Strip(frame), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "FAKE LINE") {
			t.Errorf("a line feed in a name made a line of its own: %q", l)
		}
	}
	if got := textsafe.Frame("\x1b[1;38;5;153mok\x1b[0m \x1b]0;t\x07 \x1b[2J"); got != "\x1b[1;38;5;153mok\x1b[0m \uFFFD]0;t\uFFFD \uFFFD[2J" {
		t.Errorf("Frame: %q", got)
	}
}

// A megabyte pasted into the command line or the search box is cut to
// what the box takes (it froze the console for minutes).
func TestHugePasteIsBounded(t *testing.T) {
	m := New(nil, nil, Info{}, Options{NoColor: true})
	m.setSize(80, 24)
	huge := strings.Repeat("x", 1<<20)
	mm, _ := m.Update(tea.KeyPressMsg{Code: ':', Text: ":"})
	mm, _ = mm.(Model).Update(tea.PasteMsg{Content: huge})
	m = mm.(Model)
	if n := len(m.palette.Value()); n == 0 || n > len("ticket ")+rsa.MaxReasonLen {
		t.Fatalf("the command line holds %d characters after a paste", n)
	}
	// a terminal without bracketed paste types it key by key
	m.palette.SetValue("")
	for range 5000 {
		mm, _ = m.Update(tea.KeyPressMsg{Code: 'x', Text: "x"})
		m = mm.(Model)
	}
	if n := len(m.palette.Value()); n > len("ticket ")+rsa.MaxReasonLen {
		t.Fatalf("the command line holds %d characters typed", n)
	}
	if len(m.Render()) > 64<<10 {
		t.Fatalf("the frame is %d bytes", len(m.Render()))
	}
}
