package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/textsafe"
	"github.com/spf13/cobra"
)

// tokensCommand is tokens list, pool and expiring.
func tokensCommand() *cobra.Command {
	tokens := group("tokens", "Tokens of a person; the token pool")
	var poolType, poolBefore string
	var poolSoftware bool
	pool := &cobra.Command{Use: "pool", Short: "The unassigned tokens (the pool), by serial; --software: the software tokens AM can issue", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if poolSoftware && poolType != "" {
				return usageErr("--software and --type do not go together: --software lists software tokens AM can issue")
			}
			q := rsa.PoolQuery{Type: poolType}
			if poolBefore != "" {
				t, err := rsa.ParseExpiry(poolBefore, time.Now())
				if err != nil || t.IsZero() {
					return usageErr("--expiring-before %q: give a date (2027-06-30) or a lifetime from now (90d)", poolBefore)
				}
				q.ExpiringBefore = t
			}
			return session(cmd, false, func(ctx context.Context, o *opened) error {
				var list []rsa.TokenSummary
				var err error
				if !poolSoftware {
					list, err = o.ops.Pool(ctx, q)
				} else {
					// AM's own list of issuable software tokens
					list, err = o.ops.SoftwarePool(ctx, 1000)
					if !q.ExpiringBefore.IsZero() {
						list = slices.DeleteFunc(list, func(t rsa.TokenSummary) bool {
							return t.Expires.IsZero() || !t.Expires.Before(q.ExpiringBefore)
						})
					}
				}
				type poolToken struct {
					Serial    string    `json:"serial"`
					GUID      string    `json:"guid"`
					Type      string    `json:"type"`
					Enabled   bool      `json:"enabled"`
					Expires   time.Time `json:"expires,omitzero"`
					PinSet    bool      `json:"pin_set"`
					LastLogin time.Time `json:"last_login,omitzero"`
					// retired: AM retired it after its replacement was used
					// (somebody's lost or broken token); assign --next skips it
					Retired bool `json:"retired"`
				}
				views := []poolToken{}
				for _, t := range list {
					views = append(views, poolToken{Serial: t.Serial, GUID: t.GUID, Type: t.TokenType.String(), Enabled: t.Enabled, Expires: t.Expires.UTC(),
						PinSet: t.PinSet, LastLogin: t.LastLogin.UTC(), Retired: t.Retired()})
				}
				return emitSummaries(o, list, err, views, "SERIAL\tTYPE\tSTATE\tEXPIRES\tLAST USED\tNOTE", func(t rsa.TokenSummary) string {
					state := map[bool]string{true: "enabled", false: "disabled"}[t.Enabled]
					used, note := "never", ""
					if !t.LastLogin.IsZero() {
						used = day(t.LastLogin)
					}
					switch {
					case t.Retired():
						note = "RETIRED: replaced (lost or broken); PIN cleared when assigned"
					case t.PinSet:
						note = "has a PIN: cleared when assigned"
					}
					return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", textsafe.Line(t.Serial), t.TokenType, state, day(t.Expires), used, note)
				})
			})
		}}
	pool.Flags().StringVar(&poolType, "type", "", `only tokens of this type ("key fob", "software token")`)
	pool.Flags().BoolVar(&poolSoftware, "software", false, "the software-token pool: unassigned software tokens AM can issue (GetAvailableSoftwareTokensCommand)")
	pool.Flags().StringVar(&poolBefore, "expiring-before", "", "only tokens that expire before this date or lifetime (2027-06-30, 90d)")
	tokens.AddCommand(pool)
	var within string
	expiring := &cobra.Command{Use: "expiring --within 30d", Short: "Assigned tokens that stop working within a time from now, and those that have, soonest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now()
			until, err := rsa.ParseExpiry(within, now)
			if err != nil || until.IsZero() || !until.After(now) {
				return usageErr("--within %q: give how far ahead to look, e.g. 30d or 12w", within)
			}
			return session(cmd, false, func(ctx context.Context, o *opened) error {
				list, err := o.ops.Expiring(ctx, until.Sub(now))
				type expiringToken struct {
					Serial     string    `json:"serial"`
					Type       string    `json:"type"`
					AssignedTo string    `json:"assigned_to"`
					Expires    time.Time `json:"expires"`
					// days_left: whole days until it stops working; negative:
					// it has (the holder cannot log in with it)
					DaysLeft int  `json:"days_left"`
					Expired  bool `json:"expired"`
				}
				views := []expiringToken{}
				for _, t := range list {
					views = append(views, expiringToken{Serial: t.Serial, Type: t.TokenType.String(), AssignedTo: t.AssignedUser, Expires: t.Expires.UTC(),
						DaysLeft: rsa.DaysLeft(t.Expires, now), Expired: !t.Expires.After(now)})
				}
				return emitSummaries(o, list, err, views, "SERIAL\tTYPE\tOWNER\tEXPIRES\tDAYS LEFT", func(t rsa.TokenSummary) string {
					left := fmt.Sprint(rsa.DaysLeft(t.Expires, now))
					if !t.Expires.After(now) {
						left = fmt.Sprintf("EXPIRED %d days ago", -rsa.DaysLeft(t.Expires, now))
					}
					return fmt.Sprintf("%s\t%s\t%s\t%s\t%s", textsafe.Line(t.Serial), t.TokenType, textsafe.Line(t.AssignedUser), day(t.Expires), left)
				})
			})
		}}
	expiring.Flags().StringVar(&within, "within", "30d", "how far ahead to look (30d, 12w)")
	tokens.AddCommand(expiring)
	tokens.AddCommand(&cobra.Command{Use: "list LOGIN", Short: "A person's tokens with their emergency-access state", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return session(cmd, false, func(ctx context.Context, o *opened) error {
				_, states, err := o.ops.UserTokenStates(ctx, args[0], true)
				if err != nil && !errors.Is(err, rsa.ErrIncomplete) {
					return verbErr(err)
				}
				// read in part: what was read is printed, each missing part
				// marked, and the exit code says the list is not whole
				views := []tokenView{}
				for _, s := range states {
					views = append(views, viewOf(s))
				}
				ts := make([]rsa.Token, len(states))
				for i, s := range states {
					ts[i] = s.Token
				}
				h := rsa.HoldingOf(ts)
				if werr := o.emit(views, func(w *tabwriter.Writer) {
					tokenTable(w, states...)
					if h.Breaks() || len(h.Pending) > 0 {
						fmt.Fprintln(w, "\n"+textsafe.Line(h.Words(args[0]))+".")
					}
				}); werr != nil {
					return werr
				}
				if err = verbErr(err); err != nil {
					err.(*exitError).printed = true // each token above says what is missing
				}
				return err
			})
		}})
	return tokens
}

// emitSummaries prints a list of tokens read from AM — views as JSON, or
// header and a row a token — and exits 4 when the list was read in part
// (it says so, after what was read).
func emitSummaries(o *opened, list []rsa.TokenSummary, err error, views any, header string, row func(rsa.TokenSummary) string) error {
	if err != nil && !errors.Is(err, rsa.ErrIncomplete) {
		return verbErr(err)
	}
	if werr := o.emit(views, func(w *tabwriter.Writer) {
		fmt.Fprintln(w, header)
		for _, t := range list {
			fmt.Fprintln(w, row(t))
		}
	}); werr != nil {
		return werr
	}
	return verbErr(err)
}
