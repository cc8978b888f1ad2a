package ui

import (
	"fmt"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/rsatui/rsatui/internal/rsa"
)

// field is one line of a DTO view: its AM member name, value and meaning.
type field struct {
	name, value, why string
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// when is a moment in the console's zone (setting timezone, TZ), or zero.
func when(t time.Time, loc *time.Location, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.In(loc).Format(rsa.TimeLayout)
}

// fields lists a token and its emergency-access DTO in a stable order.
// Secrets are never shown here: codes are shown once, on the result screen.
func fields(s rsa.TokenState, loc *time.Location) []field {
	t, e := s.Token, s.EA
	tft := "not set"
	if e.TemporaryFixedTokencode != "" {
		tft = "set (shown only when issued)"
	}
	return []field{
		{"serialNumber", printable(t.Serial), "the number printed on the token"},
		{"tokenType", t.TokenType.String(), "hardware key fob, software token, …"},
		{"algorithm", t.Algorithm.String(), "how the token computes its codes"},
		{"tokenEnabled", yes(t.Enabled), "a disabled token cannot authenticate"},
		{"assignedUserId", printable(t.AssignedUserID), "the login the token belongs to"},
		{"dateTokenShutdown", when(t.Expires, loc, "never"), "the token stops working at this date"},
		{"dateLastLogin", when(t.LastLogin, loc, "never"), "last successful authentication"},
		{"nextTokenCodeMode", yes(t.NextTokencodeMode), "AM will ask for the next tokencode (after bad tokencodes, or clock drift)"},
		{"badTokenCodeCount", fmt.Sprint(t.BadCodeCount), "bad tokencodes since the last good one"},
		{"replacementMode", replacement(t), "a lost or broken token's successor, until it is first used"},
		{"pinIsSet", yes(t.PinSet), "whether the user has a PIN"},
		{"newPinMode", yes(t.NewPinMode), "the user must choose a new PIN at next login"},
		{"tokenLost", yes(e.Lost), "the token is marked lost: emergency access is in force"},
		{"eaMode", e.Mode.String(), "which online emergency access the user has"},
		{"lostMode", e.LostMode.String(), "what happens if the token is used again"},
		{"eaExpiration", when(e.Expiration, loc, "no expiration"), "emergency access ends at this time"},
		{"temporaryFixedTokencode", tft, "the reusable emergency code"},
		{"numUnusedCodes", fmt.Sprint(e.NumUnusedCodes), "one-time codes not used yet"},
		{"lastEaAuth", when(e.LastEAAuth, loc, "never"), "last login with an emergency code"},
		{"validOnlineData", yes(e.ValidOnlineData), "online emergency access data is in force"},
		{"emergencyAccessTokenCodeAllowed", yes(e.OfflineCodeAllowed), "the offline code may be used online"},
	}
}

// replacement says a token's place in a replacement pair.
func replacement(t rsa.Token) string {
	switch t.ReplacementMode {
	case rsa.ReplacementPending:
		return "being replaced by " + printable(t.ReplaceSerial)
	case rsa.ReplacementNew:
		return "replaces " + printable(t.ReplaceSerial)
	}
	return "none"
}

// fieldLines renders fields in their stable order. With a before state, the
// changed fields come first (marked, with their old value), then the rest, so
// what changed is visible even in a small window.
func fieldLines(c *common, after, before rsa.TokenState, explain bool) []string {
	af := fields(after, c.loc)
	var bf []field
	if before.Token.Serial != "" {
		bf = fields(before, c.loc)
	}
	width := 0
	for _, f := range af {
		width = max(width, len(f.name))
	}
	var changed, same []string
	for i, f := range af {
		line := "  " + pad(f.name, width+1) + f.value
		isChanged := bf != nil && bf[i].value != f.value
		if isChanged {
			line = c.st.Changed.Render("* "+pad(f.name, width+1)+f.value) + c.st.Dim.Render(" (was "+bf[i].value+")")
		}
		lines := []string{line}
		if explain {
			lines = append(lines, "    "+c.st.Dim.Render(f.why))
		}
		if isChanged {
			changed = append(changed, lines...)
		} else {
			same = append(same, lines...)
		}
	}
	return append(changed, same...)
}

// pairLines are two tokens' fields side by side (a replacement's old and
// new one): a row a field, the old token's value, then the new one's.
func pairLines(c *common, old, new rsa.TokenState) []string {
	of, nf := fields(old, c.loc), fields(new, c.loc)
	width, col := 0, len("old")
	for i, f := range nf {
		width = max(width, len(f.name))
		col = max(col, ansi.StringWidth(of[i].value))
	}
	out := []string{c.st.Dim.Render("  " + pad("", width+1) + pad("old "+old.Token.Serial, col+2) + "new " + new.Token.Serial)}
	for i, f := range nf {
		out = append(out, "  "+pad(f.name, width+1)+pad(of[i].value, col+2)+f.value)
	}
	return out
}
