// Package screentest is how tests wait for what a screen shows — the
// console under teatest, over SSH, in tmux — exactly: a wait for "found"
// must not be satisfied by "not found", nor one for "off" by
// "Auto-refresh off.".
package screentest

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Patterns for what tests most often wait on.
var (
	// PeopleFound is the count beside the search box after a search
	// found someone ("37 found"); "not found" does not match.
	PeopleFound = regexp.MustCompile(`\b[1-9][0-9]* found\b`)
	// EAOff is a token row whose emergency access is off (the Emergency
	// column "off", then the EA ends column "–").
	EAOff = regexp.MustCompile(`\boff +–`)
	// EAOn is a token row with a temporary fixed code on.
	EAOn = regexp.MustCompile(`\bfixed code +[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}`)
)

// Shows reports whether screen shows every want: a string as a whole (not
// as part of a longer word: "found" is not in "unfound"), a
// *regexp.Regexp as a match.
func Shows(screen string, want ...any) bool { return len(Missing(screen, want...)) == 0 }

// Missing lists the wants screen does not show.
func Missing(screen string, want ...any) []string {
	var missing []string
	for _, w := range want {
		switch w := w.(type) {
		case *regexp.Regexp:
			if !w.MatchString(screen) {
				missing = append(missing, "/"+w.String()+"/")
			}
		case string:
			if !whole(screen, w) {
				missing = append(missing, fmt.Sprintf("%q", w))
			}
		default:
			missing = append(missing, fmt.Sprintf("(a want of type %T)", w))
		}
	}
	return missing
}

// whole reports whether w occurs in s with no letter or digit joined to
// either end (where w itself ends in one).
func whole(s, w string) bool {
	if w == "" {
		return true
	}
	first, _ := utf8.DecodeRuneInString(w)
	last, _ := utf8.DecodeLastRuneInString(w)
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(w)
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if (start == 0 || !word(first) || !word(before)) && (end == len(s) || !word(last) || !word(after)) {
			return true
		}
		i = start + 1
	}
}

func word(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
