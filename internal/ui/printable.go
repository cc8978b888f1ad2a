package ui

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rsatui/rsatui/internal/ad"
)

// printable replaces control characters (ESC above all, and C1 controls such
// as the one-byte CSI, raw or UTF-8 encoded) with U+FFFD. Names,
// mail addresses and every other string come from the directory and from AM:
// whoever can edit a displayName must not be able to send escape sequences
// to an admin's terminal (move the cursor, retitle the window, fake a frame).
func printable(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

// printableUser is u with every text field made printable.
func printableUser(u ad.User) ad.User {
	for _, f := range []*string{&u.DN, &u.Login, &u.UPN, &u.DisplayName, &u.GivenName, &u.Surname, &u.Mail, &u.Department, &u.Title, &u.GUID} {
		*f = printable(*f)
	}
	groups := make([]string, len(u.Groups))
	for i, g := range u.Groups {
		groups[i] = printable(g)
	}
	u.Groups = groups
	return u
}
