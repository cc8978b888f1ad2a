package ui

import (
	"fmt"
	"time"

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

func when(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.Local().Format(rsa.TimeLayout)
}

// fields lists a token and its emergency-access DTO in a stable order.
// Secrets are never shown here: codes are shown once, on the result screen.
func fields(s rsa.TokenState) []field {
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
		{"dateTokenShutdown", when(t.Expires, "never"), "the token stops working at this date"},
		{"dateLastLogin", when(t.LastLogin, "never"), "last successful authentication"},
		{"nextTokenCodeMode", yes(t.NextTokencodeMode), "AM will ask for the next tokencode (clock drift)"},
		{"pinIsSet", yes(t.PinSet), "whether the user has a PIN"},
		{"newPinMode", yes(t.NewPinMode), "the user must choose a new PIN at next login"},
		{"tokenLost", yes(e.Lost), "the token is marked lost: emergency access is in force"},
		{"eaMode", e.Mode.String(), "which online emergency access the user has"},
		{"lostMode", e.LostMode.String(), "what happens if the token is used again"},
		{"eaExpiration", when(e.Expiration, "no expiration"), "emergency access ends at this time"},
		{"temporaryFixedTokencode", tft, "the reusable emergency code"},
		{"numUnusedCodes", fmt.Sprint(e.NumUnusedCodes), "one-time codes not used yet"},
		{"lastEaAuth", when(e.LastEAAuth, "never"), "last login with an emergency code"},
		{"validOnlineData", yes(e.ValidOnlineData), "online emergency access data is in force"},
		{"emergencyAccessTokenCodeAllowed", yes(e.OfflineCodeAllowed), "the offline code may be used online"},
	}
}

// fieldLines renders fields in their stable order. With a before state, the
// changed fields come first (marked, with their old value), then the rest, so
// what changed is visible even in a small window.
func fieldLines(m *Model, after, before rsa.TokenState, explain bool) []string {
	af := fields(after)
	var bf []field
	if before.Token.Serial != "" {
		bf = fields(before)
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
			line = m.st.Changed.Render("* "+pad(f.name, width+1)+f.value) + m.st.Dim.Render(" (was "+bf[i].value+")")
		}
		lines := []string{line}
		if explain {
			lines = append(lines, "    "+m.st.Dim.Render(f.why))
		}
		if isChanged {
			changed = append(changed, lines...)
		} else {
			same = append(same, lines...)
		}
	}
	return append(changed, same...)
}
