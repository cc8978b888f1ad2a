package ui

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/rsatui/rsatui/internal/action"
)

// KeyMap is every key of the console that can be changed, by action
// (config.toml's [keys] table uses the same names). It is made from the
// action table (actions.go): DefaultKeys are the records' keys. Keys that
// cannot be changed: ctrl+c quits everywhere; in a text box esc leaves it
// and enter submits it; on a yes/no question every key but yes cancels.
type KeyMap map[action.Name]key.Binding

func bind(help string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(keyLabel(keys), help))
}

// keyLabel is how keys are written in the bar and the help.
func keyLabel(keys []string) string {
	names := map[string]string{"up": "↑", "down": "↓", "left": "←", "right": "→", "pgdown": "pgdn", "backspace": "⌫"}
	out := make([]string, len(keys))
	for i, k := range keys {
		if n, ok := names[k]; ok {
			k = n
		}
		out[i] = k
	}
	return strings.Join(out, "/")
}

// DefaultKeys are the console's keys as shipped: each action's record's
// (README's key table is tested against them).
func DefaultKeys() KeyMap {
	km := KeyMap{}
	for _, a := range actions {
		km[a.name] = bind(a.desc, a.keys...)
	}
	return km
}

// KeyNames are the names [keys] accepts, sorted.
func KeyNames() []string {
	var names []string
	for _, a := range actions {
		names = append(names, string(a.name))
	}
	sort.Strings(names)
	return names
}

// fixedKeys cannot be bound to an action: they keep their meaning everywhere.
var fixedKeys = map[string]string{"ctrl+c": "quits everywhere"}

// WithKeys is the default key map with the [keys] table's changes: each
// name takes the list of keys that replaces its defaults. Unknown names,
// empty lists, ctrl+c and two actions sharing a key on one screen are
// refused, naming what to change.
func WithKeys(changes map[string][]string) (KeyMap, error) {
	km := DefaultKeys()
	names := make([]string, 0, len(changes))
	for n := range changes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b, ok := km[action.Name(n)]
		if !ok {
			return km, fmt.Errorf("[keys] %s: no such action (the actions: %s)", n, strings.Join(KeyNames(), ", "))
		}
		ks := changes[n]
		if len(ks) == 0 {
			return km, fmt.Errorf("[keys] %s: give at least one key, e.g. %s = [%q]", n, n, b.Keys()[0])
		}
		for _, k := range ks {
			if strings.TrimSpace(k) == "" || k != strings.TrimSpace(k) {
				return km, fmt.Errorf("[keys] %s: %q is not a key (write keys as \"x\", \"ctrl+x\", \"f2\", \"pgdown\")", n, k)
			}
			if why, fixed := fixedKeys[k]; fixed {
				return km, fmt.Errorf("[keys] %s: %s cannot be bound, it %s", n, k, why)
			}
		}
		if a := actionOf(action.Name(n)); a != nil && a.typed {
			for _, k := range ks {
				if len([]rune(k)) == 1 || k == "space" {
					return km, fmt.Errorf("[keys] %s: %q would be typed into the form's boxes (typing \"14dd\" would press it): give a key that types nothing, e.g. enter, ctrl+%s or f2", n, k, k)
				}
			}
		}
		b.SetKeys(ks...)
		b.SetHelp(keyLabel(ks), b.Help().Desc)
		km[action.Name(n)] = b
	}
	// yes runs what review has just shown: one key for both would send a
	// change from a double press, unreviewed
	for _, k := range km[action.Yes].Keys() {
		if slices.Contains(km[action.Review].Keys(), k) {
			return km, fmt.Errorf("[keys]: %q is bound to both review and yes: a double press would send a change unreviewed; change one of them", k)
		}
	}
	for _, s := range screens {
		owner := map[string]action.Name{}
		for _, a := range actions {
			if a.on&s.s == 0 {
				continue
			}
			for _, k := range km[a.name].Keys() {
				if other, taken := owner[k]; taken && other != a.name {
					two := []string{string(other), string(a.name)}
					sort.Strings(two)
					return km, fmt.Errorf("[keys]: %q is bound to both %s and %s, which both work on the %s screen: change one of them", k, two[0], two[1], s.name)
				}
				owner[k] = a.name
			}
		}
	}
	return km, nil
}

// listKeys are the keys that move through a list or a long view.
func (km KeyMap) listKeys() []key.Binding {
	return []key.Binding{km[action.Up], km[action.Down], km[action.PageUp], km[action.PageDown],
		km[action.HalfPageUp], km[action.HalfPageDown], km[action.Top], km[action.Bottom]}
}

// globalKeys work on every screen whose pane leaves them (not while typing).
func (km KeyMap) globalKeys(canGoBack bool) keyGroup {
	ks := []key.Binding{km[action.Help], km[action.Search], km[action.Command]}
	if canGoBack {
		ks = append(ks, km[action.Back])
	}
	return keyGroup{"everywhere", append(ks, km[action.Quit])}
}

// helpBar is the one-line key bar: the pane's keys, essential first, then
// the global ones, as many as the width takes, then "…". (bubbles' help
// ShortHelpView cuts the same way, except when the line is full to within
// its ellipsis: then it adds every remaining item past the edge.)
func helpBar(st Styles, groups []keyGroup, w int) string {
	var b strings.Builder
	width := 0
	for _, g := range groups {
		for _, k := range enabled(g.keys) {
			sep := ""
			if width > 0 {
				sep = " · "
			}
			item := ansi.StringWidth(sep + k.Help().Key + " " + k.Help().Desc)
			if width+item > w {
				if width+2 <= w {
					b.WriteString(st.Dim.Render(" …"))
				}
				return b.String()
			}
			b.WriteString(st.Dim.Render(sep) + st.Key.Render(k.Help().Key) + " " + st.Dim.Render(k.Help().Desc))
			width += item
		}
	}
	return b.String()
}

func enabled(ks []key.Binding) []key.Binding {
	return slices.DeleteFunc(slices.Clone(ks), func(b key.Binding) bool { return !b.Enabled() || len(b.Keys()) == 0 })
}

// helpText is every binding of the screen, grouped, one a line: the help
// scrolls rather than drop any.
func helpText(st Styles, groups []keyGroup) string {
	var b strings.Builder
	b.WriteString(st.Title.Render("Keys on this screen"))
	for _, g := range groups {
		ks := enabled(g.keys)
		if len(ks) == 0 {
			continue
		}
		b.WriteString("\n\n" + st.Title.Render(g.title))
		for _, k := range ks {
			b.WriteString("\n  " + st.Key.Render(pad(k.Help().Key, 18)) + k.Help().Desc)
		}
	}
	b.WriteString("\n\n" + st.Title.Render("Command line (:)"))
	b.WriteString("\n  user <text>       search people\n  token <serial>    open a token\n  ticket <text>     the ticket or reason the changes are audited with\n  ea                the people in emergency access\n  next              the people in next-tokencode mode\n  locked            the people AM locked out in the last day, still locked\n  quit              leave")
	b.WriteString("\n\n" + st.Dim.Render("The scroll keys move a long help; any other key closes it. ctrl+c always quits; esc leaves a text box."))
	return b.String()
}

func pad(s string, n int) string {
	if len([]rune(s)) >= n {
		return s + " "
	}
	return s + strings.Repeat(" ", n-len([]rune(s)))
}

// withHelp is b with another description (the same keys).
func withHelp(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

// fixed is a binding that cannot be changed, for the bar and the help.
func fixed(keys, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(keys), key.WithHelp(keys, desc))
}

// KeyTable is the key map as a Markdown table: each action's [keys] name,
// its keys, what it does and on which screens (the action table's order),
// then the keys that cannot be changed. The README's key table is this
// (TestREADMEKeyTable).
func KeyTable(km KeyMap) string {
	var b strings.Builder
	b.WriteString("| `[keys]` name | keys | does | on |\n|---|---|---|---|\n")
	for _, a := range actions {
		bnd := km[a.name]
		ks := make([]string, len(bnd.Keys()))
		for j, k := range bnd.Keys() {
			ks[j] = "`" + k + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", a.name, strings.Join(ks, " "), bnd.Help().Desc, a.screensWords())
	}
	b.WriteString("| — | `ctrl+c` | quit; while a change is being sent, or with codes on screen (shown only once), it asks first and a second one quits — the change is not cancelled: the terminal left says which change and what AM answered (exit 5) | everywhere |\n")
	b.WriteString("| — | `esc` | leave a text box; cancel a call in flight; back | everywhere |\n")
	return b.String()
}

// screensWords is where a works, for the README: its own words, or the
// screens it is on.
func (a actionDef) screensWords() string {
	if a.where != "" {
		return a.where
	}
	var on []string
	for _, s := range screens {
		if a.on&s.s != 0 {
			on = append(on, s.name)
		}
	}
	return strings.Join(on, ", ")
}
