package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/textsafe"
)

// --- JSON views: stable field names for scripts ---

// userView is a directory person in the verbs' JSON (snake_case, as every
// other object of theirs).
type userView struct {
	Login       string   `json:"login"`
	UPN         string   `json:"upn"`
	DisplayName string   `json:"display_name"`
	GivenName   string   `json:"given_name"`
	Surname     string   `json:"surname"`
	Mail        string   `json:"mail"`
	Department  string   `json:"department"`
	Title       string   `json:"title"`
	Disabled    bool     `json:"disabled"`
	Locked      bool     `json:"locked"`
	GUID        string   `json:"guid"`
	DN          string   `json:"dn"`
	Groups      []string `json:"groups"`
	// read by user show only (the directory's lookup of one person)
	LockedAt           time.Time `json:"locked_at,omitzero"`
	AccountExpires     time.Time `json:"account_expires,omitzero"`
	PasswordLastSet    time.Time `json:"password_last_set,omitzero"`
	MustChangePassword bool      `json:"must_change_password,omitempty"`
	PasswordExpired    bool      `json:"password_expired,omitempty"`
	Changed            time.Time `json:"changed,omitzero"`
}

func userViewOf(u ad.User) userView {
	return userView{Login: u.Login, UPN: u.UPN, DisplayName: u.DisplayName, GivenName: u.GivenName,
		Surname: u.Surname, Mail: u.Mail, Department: u.Department, Title: u.Title, Disabled: u.Disabled,
		Locked: u.Locked, GUID: u.GUID, DN: u.DN, Groups: u.Groups, LockedAt: u.LockedAt.UTC(), AccountExpires: u.AccountExpires.UTC(),
		PasswordLastSet: u.PasswordLastSet.UTC(), MustChangePassword: u.MustChangePassword, PasswordExpired: u.PasswordExpired, Changed: u.Changed.UTC()}
}

type tokenView struct {
	Serial        string    `json:"serial"`
	GUID          string    `json:"guid"`
	Type          string    `json:"type"`
	Algorithm     string    `json:"algorithm"`
	Enabled       bool      `json:"enabled"`
	AssignedTo    string    `json:"assigned_to"`
	Expires       time.Time `json:"expires"`
	LastLogin     time.Time `json:"last_login,omitzero"`
	PinSet        bool      `json:"pin_set"`
	NewPinMode    bool      `json:"new_pin_mode"`
	NextTokencode bool      `json:"next_tokencode_mode"`
	BadTokencodes int       `json:"bad_tokencode_count"`
	// ReplacedBy / Replaces name the other token of a pending replacement.
	ReplacedBy      string `json:"replaced_by,omitempty"`
	Replaces        string `json:"replaces,omitempty"`
	EmergencyAccess eaView `json:"emergency_access"`
	// Unread says what of the token could not be read (absent: all of it
	// was); the fields it names hold what the principal's token list said,
	// or nothing.
	Unread string `json:"unread,omitempty"`
}

type eaView struct {
	Active          bool      `json:"active"`
	Lost            bool      `json:"token_lost"`
	Mode            string    `json:"mode"`
	ModeCode        int       `json:"ea_mode"`
	IfAvailable     string    `json:"if_available"`
	LostMode        int       `json:"lost_mode"`
	Expires         time.Time `json:"expires,omitzero"`
	FixedCodeSet    bool      `json:"fixed_code_set"`
	UnusedCodes     int       `json:"unused_one_time_codes"`
	LastEALogin     time.Time `json:"last_ea_login,omitzero"`
	ValidOnlineData bool      `json:"valid_online_data"`
}

func viewOf(s rsa.TokenState) tokenView {
	t, e := s.Token, s.EA
	v := tokenView{Serial: t.Serial, GUID: t.GUID, Type: t.TokenType.String(), Algorithm: t.Algorithm.String(),
		Enabled: t.Enabled, AssignedTo: t.AssignedUserID, Expires: t.Expires.UTC(), LastLogin: t.LastLogin.UTC(), PinSet: t.PinSet,
		NewPinMode: t.NewPinMode, NextTokencode: t.NextTokencodeMode, BadTokencodes: t.BadCodeCount, EmergencyAccess: eaView{Active: e.Active(), Lost: e.Lost, Mode: e.Mode.String(),
			ModeCode: int(e.Mode), IfAvailable: e.LostMode.String(), LostMode: int(e.LostMode), Expires: e.Expiration.UTC(),
			FixedCodeSet: e.TemporaryFixedTokencode != "", UnusedCodes: e.NumUnusedCodes, LastEALogin: e.LastEAAuth.UTC(),
			ValidOnlineData: e.ValidOnlineData}, Unread: unread(s)}
	switch t.ReplacementMode {
	case rsa.ReplacementPending:
		v.ReplacedBy = t.ReplaceSerial
	case rsa.ReplacementNew:
		v.Replaces = t.ReplaceSerial
	}
	return v
}

func unread(s rsa.TokenState) string {
	if s.Unread == nil {
		return ""
	}
	return rsa.Explain(s.Unread)
}

// eaTable lists a token's emergency-access state in full, as AM holds it.
func eaTable(w *tabwriter.Writer, e rsa.EmergencyAccess) {
	fixed := "not set"
	if e.TemporaryFixedTokencode != "" {
		fixed = "set (shown only when issued)"
	}
	expires := "no expiration"
	if !e.Expiration.IsZero() {
		expires = e.Expiration.Local().Format(rsa.TimeLayout)
	}
	fmt.Fprintln(w, "\nEMERGENCY ACCESS")
	for _, row := range [][2]string{
		{"state", map[bool]string{true: "on", false: "off"}[e.Active()]},
		{"kind", e.Mode.String()},
		{"if the token becomes available", e.LostMode.String()},
		{"ends", expires},
		{"temporary fixed tokencode", fixed},
		{"unused one-time codes", fmt.Sprint(e.NumUnusedCodes)},
		{"last login with an emergency code", day(e.LastEAAuth)},
	} {
		fmt.Fprintf(w, "  %s\t%s\n", row[0], row[1])
	}
}

func day(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02")
}

func eaWords(e rsa.EmergencyAccess) string {
	if !e.Active() {
		return "off"
	}
	until := "no expiry"
	if !e.Expiration.IsZero() {
		until = "until " + e.Expiration.Local().Format(rsa.TimeLayout)
	}
	return e.Mode.String() + ", " + until
}

// pinWords is a token's PIN state as the help desk says it.
func pinWords(t rsa.Token) string {
	switch {
	case !t.PinSet && t.NewPinMode:
		return "none: new PIN at next login"
	case t.NewPinMode:
		return "set: new PIN at next login"
	case t.PinSet:
		return "set"
	}
	return "none"
}

func tokenTable(w *tabwriter.Writer, states ...rsa.TokenState) {
	fmt.Fprintln(w, "SERIAL\tTYPE\tSTATE\tOWNER\tEXPIRES\tLAST LOGIN\tPIN\tEMERGENCY ACCESS")
	for _, s := range states {
		state := "enabled"
		if !s.Token.Enabled {
			state = "disabled"
		}
		ea := eaWords(s.EA)
		if s.Unread != nil {
			ea = "? not read: " + textsafe.Line(rsa.Explain(s.Unread))
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", textsafe.Line(s.Token.Serial), s.Token.TokenType, state, textsafe.Line(s.Token.AssignedUserID),
			day(s.Token.Expires), day(s.Token.LastLogin), pinWords(s.Token), ea)
	}
}

// --- verbs ---
