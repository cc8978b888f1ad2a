package rsa

import (
	"fmt"
	"strings"
)

// Holding is a person's tokens read against rsatui's rule of one token a
// person — the one place the rule is counted (Assign, the console, the
// verbs). A token being replaced and its replacement count as one: AM
// assigns the replacement beside the old token and retires the old one
// when the new one is first used (helpdesk-ops §6.3), so the person holds
// two tokens for a while without breaking the rule.
type Holding struct {
	Serials []string    // every token, as listed
	Pending [][2]string // {old, replacement} pairs still both assigned
}

// HoldingOf reads ts (one person's tokens).
func HoldingOf(ts []Token) Holding {
	var h Holding
	have := map[string]bool{}
	for _, t := range ts {
		h.Serials = append(h.Serials, t.Serial)
		have[t.Serial] = true
	}
	for _, t := range ts {
		if t.ReplacementMode == ReplacementPending && have[t.ReplaceSerial] {
			h.Pending = append(h.Pending, [2]string{t.Serial, t.ReplaceSerial})
		}
	}
	return h
}

// Count is how many tokens the rule counts: a pending pair is one.
func (h Holding) Count() int { return len(h.Serials) - len(h.Pending) }

// Breaks reports whether the person holds more than the rule allows.
func (h Holding) Breaks() bool { return h.Count() > 1 }

// Words says the holding in a sentence (no full stop), login its owner:
// "asmith holds 2 tokens: 000512 replaces 000123, which AM retires when
// 000512 is first used".
func (h Holding) Words(login string) string {
	var replacing []string
	for _, p := range h.Pending {
		replacing = append(replacing, fmt.Sprintf("%s replaces %s, which AM retires when %s is first used", p[1], p[0], p[1]))
	}
	switch {
	case len(h.Serials) == 0:
		return login + " has no token in AM"
	case h.Breaks():
		s := fmt.Sprintf("%s holds %d tokens; the rule is one a person", login, len(h.Serials))
		if len(replacing) > 0 {
			s += " (" + strings.Join(replacing, "; ") + ")"
		}
		return s
	case len(replacing) > 0:
		return fmt.Sprintf("%s holds %d tokens: %s", login, len(h.Serials), strings.Join(replacing, "; "))
	}
	return login + " holds 1 token"
}

// RefuseSecond is the rule's refusal of another token for login (nil
// when they hold none): what Assign says, and the console before its
// pool opens.
func (h Holding) RefuseSecond(login string) error {
	if h.Count() == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s already holds token %s; one token a person is the rule", ErrRule, login, strings.Join(h.Serials, ", "))
}

// ReplaceReady refuses a token that cannot be replaced (nil when it can):
// one nobody holds, or one already being replaced.
func ReplaceReady(t Token) error {
	switch {
	case !t.Assigned():
		return fmt.Errorf("%w: token %s is not assigned to anyone: assign a token instead", ErrRule, t.Serial)
	case t.ReplacementMode == ReplacementPending:
		return fmt.Errorf("%w: token %s is already being replaced by %s (AM retires it when %s is first used)", ErrRule, t.Serial, t.ReplaceSerial, t.ReplaceSerial)
	}
	return nil
}
