package ui

import (
	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/textsafe"
)

// printable makes a string from the directory or AM safe for the terminal
// (see textsafe.Line: the one sanitiser of every human-readable output).
func printable(s string) string { return textsafe.Line(s) }

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
