// Package report is the admin's week: the assigned tokens that expire (or
// have), those whose holders left (AD says the account is disabled,
// expired or gone, or AM has not seen them log in for long), and those
// never used. Each report reads AM's assigned tokens once, page by page,
// and the directory in batches of logins — never one query a token.
package report

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
)

// Kind names a report.
type Kind string

// The reports.
const (
	Expiring Kind = "expiring"
	Leavers  Kind = "leavers"
	Unused   Kind = "unused"
)

// Kinds are the reports, in the order they are offered.
var Kinds = []Kind{Expiring, Leavers, Unused}

// Row is one token of a report.
type Row struct {
	Serial    string    `json:"serial"`
	Type      string    `json:"type"`
	Holder    string    `json:"holder"`
	Name      string    `json:"name,omitempty"` // AD's display name
	Enabled   bool      `json:"enabled"`
	Expires   time.Time `json:"expires,omitzero"`
	DaysLeft  int       `json:"days_left"`
	Expired   bool      `json:"expired"`
	LastLogin time.Time `json:"last_login,omitzero"`
	// Why is the report's reason for the row, in words ("disabled in AD",
	// "expires in 12 days", "never used").
	Why string `json:"why"`
	// ADExpires: leavers — when AD ended the account (accountExpires).
	ADExpires time.Time `json:"ad_account_expires,omitzero"`
	// Software: the token can have its lifetime extended (extend) rather
	// than be replaced.
	Software bool `json:"software"`
}

// AM is what the reports read from AM.
type AM interface {
	AssignedTokens(ctx context.Context) ([]rsa.TokenSummary, error)
}

// Directory is what the leavers report reads from AD.
type Directory interface {
	LookupMany(ctx context.Context, logins []string) (map[string]ad.User, int, error)
}

// Query is a report's question.
type Query struct {
	Kind Kind
	// Within: expiring — how far ahead to look.
	Within time.Duration
	// Idle: leavers — a holder AM has not seen log in for this long is
	// listed too (0: only what AD says).
	Idle time.Duration
	Now  time.Time
	// Progress, when set, is told what is being read (a terminal shows it).
	Progress func(what string)
}

// Stats are a report's costs.
type Stats struct {
	Tokens           int `json:"tokens_read"`
	DirectoryQueries int `json:"directory_queries"`
}

// Run answers q. dir is needed by Leavers only. An error after part of
// the rows were read returns them with it (rsa.ErrIncomplete).
func Run(ctx context.Context, am AM, dir Directory, q Query) ([]Row, Stats, error) {
	var st Stats
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	switch q.Kind {
	case Expiring:
		if q.Within <= 0 {
			return nil, st, fmt.Errorf("%w: give how far ahead to look, e.g. 90d", rsa.ErrInvalidInput)
		}
	case Leavers:
		if dir == nil {
			return nil, st, fmt.Errorf("%w: the leavers report needs the directory (configure [ldap])", rsa.ErrInvalidInput)
		}
	case Unused:
	default:
		return nil, st, fmt.Errorf("%w: no report is called %q (the reports: expiring, leavers, unused)", rsa.ErrInvalidInput, q.Kind)
	}
	say(q, "reading AM's assigned tokens")
	tokens, err := am.AssignedTokens(ctx)
	st.Tokens = len(tokens)
	if err != nil && len(tokens) == 0 {
		return nil, st, err
	}
	rows := []Row{}
	add := func(t rsa.TokenSummary, why string) {
		left := rsa.DaysLeft(t.Expires, q.Now)
		rows = append(rows, Row{Serial: t.Serial, Type: t.TokenType.String(), Holder: t.AssignedUser, Enabled: t.Enabled,
			Expires: t.Expires, DaysLeft: left, Expired: !t.Expires.IsZero() && !t.Expires.After(q.Now), LastLogin: t.LastLogin,
			Why: why, Software: t.TokenType == rsa.TokenTypeSoftID})
	}
	switch q.Kind {
	case Expiring:
		until := q.Now.Add(q.Within)
		for _, t := range tokens {
			if t.Expires.IsZero() || t.Expires.After(until) {
				continue
			}
			left := rsa.DaysLeft(t.Expires, q.Now)
			why := fmt.Sprintf("expires in %d days", left)
			switch {
			case !t.Expires.After(q.Now):
				why = fmt.Sprintf("EXPIRED %d days ago: the holder cannot log in with it", -left)
			case left == 0:
				why = "expires today"
			}
			add(t, why)
		}
		slices.SortStableFunc(rows, func(a, b Row) int { return a.Expires.Compare(b.Expires) })
	case Unused:
		for _, t := range tokens {
			if t.LastLogin.IsZero() {
				add(t, "assigned, never used")
			}
		}
	case Leavers:
		var logins []string
		seen := map[string]bool{}
		for _, t := range tokens {
			if l := strings.ToLower(t.AssignedUser); l != "" && !seen[l] {
				seen[l] = true
				logins = append(logins, t.AssignedUser)
			}
		}
		say(q, fmt.Sprintf("reading %d people from the directory", len(logins)))
		people, n, derr := dir.LookupMany(ctx, logins)
		st.DirectoryQueries = n
		if derr != nil {
			return nil, st, derr // a leaver report on part of the directory would name people who did not leave
		}
		for _, t := range tokens {
			u, ok := people[strings.ToLower(t.AssignedUser)]
			var why string
			switch {
			case !ok:
				why = "not in AD (deleted, or renamed)"
			case u.Disabled:
				why = "disabled in AD"
			case !u.AccountExpires.IsZero() && !u.AccountExpires.After(q.Now):
				why = "AD account expired"
			case q.Idle > 0 && !t.LastLogin.IsZero() && q.Now.Sub(t.LastLogin) > q.Idle:
				why = fmt.Sprintf("no login for %d days", int(q.Now.Sub(t.LastLogin)/(24*time.Hour)))
			default:
				continue
			}
			add(t, why)
			if ok {
				rows[len(rows)-1].Name, rows[len(rows)-1].ADExpires = u.DisplayName, u.AccountExpires
			}
		}
	}
	return rows, st, err
}

func say(q Query, what string) {
	if q.Progress != nil {
		q.Progress(what)
	}
}
