package ui

import (
	"strings"
)

// binding is one key with its help text; write marks keys that change AM
// (hidden from help in a read-only session).
type binding struct {
	keys, help string
	write      bool
}

var globalKeys = []binding{
	{"?", "help", false}, {":", "command", false}, {"esc", "back / cancel", false}, {"q", "quit", false},
}

// screenKeys are the keys of each screen, most useful first; the help bar
// shows as many as fit, the ? screen all of them.
var screenKeys = map[screen][]binding{
	scrUsers: {{"type", "search", false}, {"↓/enter", "to results", false}, {"enter", "open tokens", false},
		{"/", "search again", false}, {"j/k ↑/↓", "move", false}, {"r", "refresh", false}},
	scrTokens: {{"enter", "details", false}, {"e", "emergency access", true}, {"x", "end emergency access", true},
		{"a", "auto-refresh", false}, {"r", "refresh", false}, {"j/k ↑/↓", "move", false}},
	scrDetail: {{"e", "emergency access", true}, {"x", "end emergency access", true}, {"i", "explain fields", false},
		{"r", "refresh", false}},
	scrForm: {{"tab/↓", "next field", false}, {"shift+tab/↑", "previous", false}, {"←/→", "change choice", false},
		{"enter", "review", false}},
	scrConfirm: {{"y", "yes, run it", true}, {"any other key", "cancel", false}},
	scrResult:  {{"c", "copy codes (OSC 52)", false}, {"enter/esc", "back", false}},
}

// visibleKeys are the keys that do what they say on this screen, now: the
// bar must not offer a key that does nothing or something else (#14
// defect 4).
func (m Model) visibleKeys() []binding {
	var out []binding
	for _, b := range append(append([]binding{}, screenKeys[m.screen]...), globalKeys...) {
		switch {
		case b.write && m.info.ReadOnly:
			continue
		case m.screen == scrConfirm && b.keys == "q":
			continue // q is "any other key" here: it cancels
		case m.screen == scrResult && b.keys == "c" && len(m.result.res.Codes) == 0:
			continue // ending emergency access issues no codes
		case m.screen == scrResult && b.keys == "enter/esc":
			b.help = "back to the token list"
			if len(m.back) > 0 && m.back[len(m.back)-1] == scrDetail {
				b.help = "back to the token"
			}
		}
		out = append(out, b)
	}
	return out
}

// helpBar is the one-line help, cut to the width.
func (m Model) helpBar() string {
	var b strings.Builder
	width := 0
	for i, k := range m.visibleKeys() {
		item := k.keys + " " + k.help
		sep := ""
		if i > 0 {
			sep = " · "
		}
		if width+len(sep)+len(item) > m.w {
			break
		}
		b.WriteString(m.st.Dim.Render(sep))
		b.WriteString(m.st.Key.Render(k.keys) + " " + m.st.Dim.Render(k.help))
		width += len(sep) + len(item)
	}
	return b.String()
}

func (m Model) helpView() string {
	var b strings.Builder
	b.WriteString(m.st.Title.Render("Keys on this screen") + "\n\n")
	for _, k := range m.visibleKeys() {
		b.WriteString("  " + m.st.Key.Render(pad(k.keys, 16)) + k.help + "\n")
	}
	b.WriteString("\n" + m.st.Title.Render("Command palette (:)") + "\n")
	b.WriteString("  user <text>     search people\n  token <serial>  open a token\n  quit            leave\n")
	b.WriteString("\n" + m.st.Dim.Render("↑/↓ pgup/pgdn scroll a long help; any other key closes it. ctrl+c always quits."))
	return b.String()
}

func pad(s string, n int) string {
	if len([]rune(s)) >= n {
		return s + " "
	}
	return s + strings.Repeat(" ", n-len([]rune(s)))
}
