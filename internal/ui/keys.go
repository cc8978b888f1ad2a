package ui

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"
)

// KeyMap is every key of the console that can be changed (config.toml's
// [keys] table, by the name in the field's tag). Keys that cannot be
// changed: ctrl+c quits everywhere; in a text box esc leaves it and enter
// submits it; on a yes/no question every key but yes cancels.
type KeyMap struct {
	// everywhere, unless a text box has the cursor
	Help    key.Binding `keys:"help"`
	Command key.Binding `keys:"command"`
	Search  key.Binding `keys:"search"`
	Back    key.Binding `keys:"back"`
	Quit    key.Binding `keys:"quit"`

	// lists and long views
	Up           key.Binding `keys:"up"`
	Down         key.Binding `keys:"down"`
	PageUp       key.Binding `keys:"page-up"`
	PageDown     key.Binding `keys:"page-down"`
	HalfPageUp   key.Binding `keys:"half-page-up"`
	HalfPageDown key.Binding `keys:"half-page-down"`
	Top          key.Binding `keys:"top"`
	Bottom       key.Binding `keys:"bottom"`

	// people and tokens
	Open            key.Binding `keys:"open"`
	Refresh         key.Binding `keys:"refresh"`
	EmergencyAccess key.Binding `keys:"emergency-access"`
	EndEmergency    key.Binding `keys:"end-emergency-access"`
	AutoRefresh     key.Binding `keys:"auto-refresh"`
	Explain         key.Binding `keys:"explain"`
	ClearPIN        key.Binding `keys:"clear-pin"`
	RequireNewPIN   key.Binding `keys:"require-new-pin"`
	Resync          key.Binding `keys:"resync"`
	ToggleEnabled   key.Binding `keys:"enable-disable"`
	Unassign        key.Binding `keys:"unassign"`
	AssignFromPool  key.Binding `keys:"assign-from-pool"`
	Unlock          key.Binding `keys:"unlock"`
	Replace         key.Binding `keys:"replace"`
	ExtendEA        key.Binding `keys:"extend-emergency-access"`
	AddCodes        key.Binding `keys:"add-one-time-codes"`
	ClearBadCount   key.Binding `keys:"clear-bad-count"`
	TestPasscode    key.Binding `keys:"test-passcode"`

	// the emergency-access form
	NextField  key.Binding `keys:"next-field"`
	PrevField  key.Binding `keys:"previous-field"`
	PrevChoice key.Binding `keys:"previous-choice"`
	NextChoice key.Binding `keys:"next-choice"`
	Review     key.Binding `keys:"review"`

	// the confirm and the result
	Yes  key.Binding `keys:"yes"`
	Copy key.Binding `keys:"copy-codes"`
	Done key.Binding `keys:"done"`
}

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

// DefaultKeys are the console's keys as shipped (README's key table is
// tested against them).
func DefaultKeys() KeyMap {
	return KeyMap{
		Help:    bind("help", "?"),
		Command: bind("command", ":"),
		Search:  bind("search people", "/"),
		Back:    bind("back", "esc", "h", "left", "backspace"),
		Quit:    bind("quit", "q"),

		Up:           bind("up", "up", "k"),
		Down:         bind("down", "down", "j"),
		PageUp:       bind("page up", "pgup", "b"),
		PageDown:     bind("page down", "pgdown", "f", "space"),
		HalfPageUp:   bind("half a page up", "ctrl+u"),
		HalfPageDown: bind("half a page down", "ctrl+d"),
		Top:          bind("first", "home", "g"),
		Bottom:       bind("last", "end", "G"),

		Open:            bind("open", "enter"),
		Refresh:         bind("read again from AM", "r"),
		EmergencyAccess: bind("emergency access", "e"),
		EndEmergency:    bind("end emergency access", "x"),
		AutoRefresh:     bind("auto-refresh", "a"),
		Explain:         bind("explain fields", "i"),
		ClearPIN:        bind("clear the PIN", "p"),
		RequireNewPIN:   bind("require a new PIN", "P"),
		Resync:          bind("resynchronize", "s"),
		ToggleEnabled:   bind("disable / enable the token", "d"),
		Unassign:        bind("unassign the token", "U"),
		AssignFromPool:  bind("assign a token from the pool", "A"),
		Unlock:          bind("unlock (AM lockout)", "u"),
		Replace:         bind("replace a lost or broken token", "R"),
		ExtendEA:        bind("extend emergency access", "+"),
		AddCodes:        bind("add one-time codes", "o"),
		ClearBadCount:   bind("clear bad tokencodes / next-tokencode mode", "n"),
		TestPasscode:    bind("test a passcode", "t"),

		NextField:  bind("next field", "tab", "down"),
		PrevField:  bind("previous field", "shift+tab", "up"),
		PrevChoice: bind("previous choice", "left"),
		NextChoice: bind("next choice", "right"),
		Review:     bind("review", "enter"),

		Yes:  bind("yes, run it", "y"),
		Copy: bind("copy codes (OSC 52)", "c"),
		Done: bind("done", "enter"),
	}
}

// keyScreens are the screens whose keys must not clash, each with the
// bindings that work on it at the same time. The form's ←/→ change a choice
// only on a choice field, where back is esc; so back is left out there.
var keyScreens = map[string][]string{
	"people list":      {"help", "command", "search", "back", "quit", "up", "down", "page-up", "page-down", "half-page-up", "half-page-down", "top", "bottom", "open", "refresh"},
	"token list":       {"help", "command", "search", "back", "quit", "up", "down", "page-up", "page-down", "half-page-up", "half-page-down", "top", "bottom", "open", "refresh", "emergency-access", "end-emergency-access", "auto-refresh", "clear-pin", "require-new-pin", "resync", "enable-disable", "unassign", "assign-from-pool", "unlock", "replace", "extend-emergency-access", "add-one-time-codes", "clear-bad-count", "test-passcode"},
	"token":            {"help", "command", "search", "back", "quit", "up", "down", "page-up", "page-down", "half-page-up", "half-page-down", "top", "bottom", "refresh", "emergency-access", "end-emergency-access", "explain", "clear-pin", "require-new-pin", "resync", "enable-disable", "unassign", "replace", "extend-emergency-access", "add-one-time-codes", "clear-bad-count"},
	"emergency access": {"help", "command", "search", "quit", "next-field", "previous-field", "previous-choice", "next-choice", "review"},
	"result":           {"help", "command", "search", "back", "quit", "up", "down", "page-up", "page-down", "half-page-up", "half-page-down", "top", "bottom", "copy-codes", "done", "emergency-access"},
}

// fields of KeyMap by their config name.
func (km *KeyMap) byName() map[string]*key.Binding {
	out := map[string]*key.Binding{}
	v := reflect.ValueOf(km).Elem()
	for i := range v.NumField() {
		out[v.Type().Field(i).Tag.Get("keys")] = v.Field(i).Addr().Interface().(*key.Binding)
	}
	return out
}

// KeyNames are the names [keys] accepts, sorted.
func KeyNames() []string {
	km := DefaultKeys()
	var names []string
	for n := range km.byName() {
		names = append(names, n)
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
	fields := km.byName()
	names := make([]string, 0, len(changes))
	for n := range changes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b, ok := fields[n]
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
		b.SetKeys(ks...)
		b.SetHelp(keyLabel(ks), b.Help().Desc)
	}
	screens := make([]string, 0, len(keyScreens))
	for s := range keyScreens {
		screens = append(screens, s)
	}
	sort.Strings(screens)
	for _, s := range screens {
		owner := map[string]string{}
		for _, n := range keyScreens[s] {
			for _, k := range fields[n].Keys() {
				if other, taken := owner[k]; taken && other != n {
					return km, fmt.Errorf("[keys]: %q is bound to both %s and %s, which both work on the %s screen: change one of them", k, other, n, s)
				}
				owner[k] = n
			}
		}
	}
	return km, nil
}

// listKeys are the keys that move through a list or a long view.
func (km KeyMap) listKeys() []key.Binding {
	return []key.Binding{km.Up, km.Down, km.PageUp, km.PageDown, km.HalfPageUp, km.HalfPageDown, km.Top, km.Bottom}
}

// globalKeys work on every screen whose pane leaves them (not while typing).
func (km KeyMap) globalKeys(canGoBack bool) keyGroup {
	ks := []key.Binding{km.Help, km.Search, km.Command}
	if canGoBack {
		ks = append(ks, km.Back)
	}
	return keyGroup{"everywhere", append(ks, km.Quit)}
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
	b.WriteString("\n  user <text>       search people\n  token <serial>    open a token\n  quit              leave")
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
// its keys, what it does and on which screens, then the keys that cannot
// be changed. The README's key table is this (TestREADMEKeyTable).
func KeyTable(km KeyMap) string {
	var b strings.Builder
	b.WriteString("| `[keys]` name | keys | does | on |\n|---|---|---|---|\n")
	v := reflect.ValueOf(km)
	for i := range v.NumField() {
		name := v.Type().Field(i).Tag.Get("keys")
		bnd := v.Field(i).Interface().(key.Binding)
		ks := make([]string, len(bnd.Keys()))
		for j, k := range bnd.Keys() {
			ks[j] = "`" + k + "`"
		}
		var on []string
		for _, s := range []string{"people list", "token list", "token", "emergency access", "result"} {
			if slices.Contains(keyScreens[s], name) {
				on = append(on, s)
			}
		}
		where := strings.Join(on, ", ")
		switch name {
		case "help", "command", "search", "quit":
			where = "every screen, outside a text box"
		case "back":
			where = "every screen but the people list; the form goes back with esc"
		case "yes":
			where = "confirm (every other key cancels)"
		case "up", "down", "page-up", "page-down", "top", "bottom", "half-page-up", "half-page-down":
			where = "lists and every view taller than the window (help too)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", name, strings.Join(ks, " "), bnd.Help().Desc, where)
	}
	b.WriteString("| — | `ctrl+c` | quit (a change being sent asks for a second one) | everywhere |\n")
	b.WriteString("| — | `esc` | leave a text box; cancel a call in flight; back | everywhere |\n")
	return b.String()
}
