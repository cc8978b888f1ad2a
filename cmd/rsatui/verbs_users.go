package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/textsafe"
	"github.com/spf13/cobra"
)

// usersCommand is users search: people in the directory.
func usersCommand() *cobra.Command {
	users := group("users", "People in the directory")
	var limit int
	search := &cobra.Command{Use: "search QUERY", Short: "Find people by login, name or mail prefix, or the owner of a token by its serial", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 1 {
				return usageErr("--limit must be at least 1")
			}
			return session(cmd, true, func(ctx context.Context, o *opened) error {
				var found []ad.User
				errEnough := errors.New("enough")
				query, exact := args[0], ""
				if rsa.ValidateSerial(query) == nil {
					// a serial: AM names the owner, the directory finds
					// them (no login, name or mail is all digits), as the
					// console's search does
					st, err := o.ops.Token(ctx, query)
					if err != nil {
						return verbErr(err)
					}
					if st.Token.AssignedUserID == "" {
						return &exitError{code: exitNotFound, err: fmt.Errorf("token %s is not assigned to anyone: it is in the pool", query)}
					}
					query, exact = st.Token.AssignedUserID, st.Token.AssignedUserID
				}
				err := o.dir.Search(ctx, query, min(limit, 500), func(p []ad.User) error {
					for _, u := range p {
						if exact == "" || strings.EqualFold(u.Login, exact) {
							found = append(found, u)
						}
					}
					if len(found) >= limit {
						found = found[:limit]
						return errEnough
					}
					return nil
				})
				if err != nil && !errors.Is(err, errEnough) {
					return verbErr(err)
				}
				if found == nil {
					found = []ad.User{}
				}
				views := make([]userView, len(found))
				for i, u := range found {
					views[i] = userViewOf(u)
				}
				return o.emit(views, func(w *tabwriter.Writer) {
					fmt.Fprintln(w, "LOGIN\tNAME\tMAIL\tDEPARTMENT\tSTATUS")
					for _, u := range found {
						status := ""
						if u.Disabled {
							status = "disabled "
						}
						if u.Locked {
							status += "locked"
						}
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", textsafe.Line(u.Login), textsafe.Line(u.DisplayName),
							textsafe.Line(u.Mail), textsafe.Line(u.Department), status)
					}
				})
			})
		}}
	search.Flags().IntVar(&limit, "limit", 100, "at most this many people")
	users.AddCommand(search)
	return users
}

// userCommand is one person: user show (the dashboard) and user unlock.
func userCommand() *cobra.Command {
	user := group("user", "One person: the dashboard (why can't they log in?), unlock")
	user.AddCommand(userShowCommand(), userAccessCommand(), userOfflineCommand())
	user.AddCommand(&cobra.Command{Use: "unlock LOGIN", Short: "Clear AM's lockout of a person (after too many bad passcodes)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return session(cmd, false, func(ctx context.Context, o *opened) error {
				r, err := o.ops.Unlock(ctx, args[0])
				if err != nil {
					return verbErr(err)
				}
				if r.Note != "" {
					fmt.Fprintln(textsafe.Writer{W: cmd.ErrOrStderr()}, "note:", r.Note)
				}
				type account struct {
					Login          string    `json:"login"`
					Locked         bool      `json:"locked"`
					LockoutExpires time.Time `json:"lockout_expires,omitzero"`
					FailedCount    int       `json:"failed_count"`
					Commands       []string  `json:"am_commands"`
				}
				a := account{Login: r.After.UserID, Locked: r.After.Locked, LockoutExpires: r.After.LockoutExpires.UTC(),
					FailedCount: r.After.FailedCount, Commands: r.Commands}
				return o.emit(a, func(w *tabwriter.Writer) {
					fmt.Fprintln(w, "LOGIN\tAM LOCKOUT\tFAILED PASSCODES")
					state := "not locked"
					if a.Locked {
						state = "LOCKED"
					}
					fmt.Fprintf(w, "%s\t%s\t%d\n", textsafe.Line(a.Login), state, a.FailedCount)
				})
			})
		}})
	return user
}

// userAccessCommand is user access: may the person authenticate at each
// agent, and why not.
func userAccessCommand() *cobra.Command {
	var agent string
	c := &cobra.Command{Use: "access LOGIN [--agent NAME]", Short: "Where the person may authenticate: each AM agent, granted or not, why, when, and offline",
		Long: `user access asks AM, for each agent (or the one --agent names), whether the
person may authenticate there now (TestAccessInfoCommand: no passcode is sent,
nothing counts): a restricted agent lets in only the groups linked to it, within
their access times. Each line says why, and what to do about a refusal; the
offline column says whether a Windows laptop authenticates off the network, for
how many days, and whether an offline emergency passcode may be given.
Exit 0: allowed everywhere asked; 3: refused somewhere.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return session(cmd, false, func(ctx context.Context, o *opened) error {
				acc, err := o.ops.Access(ctx, args[0], agent)
				if err != nil {
					return verbErr(err)
				}
				refused := 0
				for _, a := range acc {
					if !a.Granted {
						refused++
					}
				}
				type accessView struct {
					Login  string            `json:"login"`
					Agents []rsa.AgentAccess `json:"agents"`
				}
				if err := o.emit(accessView{Login: args[0], Agents: acc}, func(w *tabwriter.Writer) {
					fmt.Fprintln(w, "AGENT\tACCESS\tOFFLINE\tWHY")
					for _, a := range acc {
						state := "allowed"
						if !a.Granted {
							state = "REFUSED"
						}
						off := "no"
						if a.Offline.Allowed {
							off = fmt.Sprintf("%d days", a.Offline.Days)
							if a.Offline.EAPasscode {
								off += ", emergency passcode"
							}
						}
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", textsafe.Line(a.Agent), state, off, textsafe.Line(a.Why))
					}
				}); err != nil {
					return err
				}
				if refused > 0 {
					return &exitError{code: exitRefused, err: fmt.Errorf("%s may not authenticate at %d of %d agents", args[0], refused, len(acc)), printed: o.json}
				}
				return nil
			})
		}}
	c.Flags().StringVar(&agent, "agent", "", "only this agent (its name, as AM has it)")
	return c
}
