package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/diagnose"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/textsafe"
)

// findingView is a diagnosis finding in the verbs' JSON.
type findingView struct {
	Severity string    `json:"severity"` // blocks, warning, info
	Words    string    `json:"words"`
	Fix      string    `json:"fix,omitempty"`
	NextStep string    `json:"next_step,omitempty"`
	Serial   string    `json:"token_serial,omitempty"`
	At       time.Time `json:"at,omitzero"`
}

type principalView struct {
	Locked         bool      `json:"locked"`
	LockoutExpires time.Time `json:"lockout_expires,omitzero"`
	FailedCount    int       `json:"failed_count"`
	Enabled        bool      `json:"enabled"`
	LastLogin      time.Time `json:"last_login,omitzero"`
}

// dashboardView is `user show --json`: a part that could not be read is
// null, with its error beside it.
type dashboardView struct {
	Login       string          `json:"login"`
	Diagnosis   []findingView   `json:"diagnosis"`
	AD          *userView       `json:"ad"`
	ADError     string          `json:"ad_error,omitempty"`
	AM          *principalView  `json:"am"`
	AMError     string          `json:"am_error,omitempty"`
	Tokens      []tokenView     `json:"tokens"`
	Activity    []authEventView `json:"activity"`
	ActivityErr string          `json:"activity_error,omitempty"`
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return rsa.Explain(err)
}

func userShowCommand() *cobra.Command {
	return &cobra.Command{Use: "show LOGIN",
		Short: "The person dashboard: why can't they log in? The diagnosis first, then AD, AM, tokens and the last 7 days of activity",
		Long: `user show reads the person's AD account, AM account (afresh: its lockout as
AM holds it now), every token in full and AM's authentication activity of the
last 7 days, at once, and puts a diagnosis on top: the most likely cause
first, each with the verb that deals with it. Exit 2: nobody has the login;
4: a part could not be read (the dashboard says which).`,
		Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			login := strings.TrimSpace(args[0])
			if login == "" {
				// (it read everybody's activity and diagnosed it as one person's)
				return usageErr("user show needs a login: rsatui user show jdoe")
			}
			return session(cmd, true, func(ctx context.Context, o *opened) error {
				p := diagnose.Read(ctx, o.dir, o.ops, login, time.Now(), true)
				if p.AD == nil && p.ADErr == nil && p.Principal == nil && p.PrincipalErr == nil {
					return &exitError{code: exitNotFound, err: fmt.Errorf("nobody has the login %q: not in the directory, not in AM", login)}
				}
				fs := diagnose.Diagnose(p)
				v := dashboardView{Login: login, ADError: adErrText(p.ADErr), AMError: errText(p.PrincipalErr),
					ActivityErr: errText(p.ActivityErr), Tokens: []tokenView{}, Activity: []authEventView{}, Diagnosis: []findingView{}}
				for _, f := range fs {
					v.Diagnosis = append(v.Diagnosis, findingView{Severity: f.Severity.String(), Words: f.Words, Fix: string(f.Fix),
						NextStep: fixVerb(f.Fix, login, f.Serial), Serial: f.Serial, At: f.At.UTC()})
				}
				if p.AD != nil {
					u := userViewOf(*p.AD)
					v.AD = &u
				}
				if pr := p.Principal; pr != nil {
					v.AM = &principalView{Locked: pr.Locked, LockoutExpires: pr.LockoutExpires.UTC(), FailedCount: pr.FailedCount,
						Enabled: pr.Enabled, LastLogin: pr.LastLogin.UTC()}
				}
				for _, st := range p.Tokens {
					v.Tokens = append(v.Tokens, viewOf(st))
				}
				for _, e := range p.Activity {
					v.Activity = append(v.Activity, eventView(e))
				}
				if err := o.emit(v, func(w *tabwriter.Writer) { dashboardText(w, p, fs) }); err != nil {
					return err
				}
				// read in part: the dashboard says what is missing; scripts get exit 4
				if err := errors.Join(p.ADErr, p.PrincipalErr, p.ActivityErr); err != nil {
					return &exitError{code: exitServer, err: fmt.Errorf("the dashboard was read in part: %w", err), printed: true}
				}
				return nil
			})
		}}
}

func adErrText(err error) string {
	if err == nil {
		return ""
	}
	return ad.Explain(err)
}

// dashboardText is the dashboard for a terminal: the diagnosis, the two
// accounts, the tokens, the activity.
func dashboardText(w *tabwriter.Writer, p diagnose.Person, fs []diagnose.Finding) {
	mark := map[diagnose.Severity]string{diagnose.Blocking: "✗", diagnose.Warning: "!", diagnose.Info: "·"}
	fmt.Fprintf(w, "%s — most likely first:\n", textsafe.Line(p.Login))
	for _, f := range fs {
		line := "  " + mark[f.Severity] + " " + textsafe.Line(f.Words)
		if v := fixVerb(f.Fix, p.Login, f.Serial); v != "" {
			line += "  → " + textsafe.Line(v)
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w)
	switch u := p.AD; {
	case p.ADErr != nil:
		fmt.Fprintf(w, "AD:\tnot read: %s\n", textsafe.Line(ad.Explain(p.ADErr)))
	case u == nil:
		fmt.Fprintln(w, "AD:\tno such account")
	default:
		state := "enabled"
		if u.Disabled {
			state = "DISABLED"
		}
		if u.Locked {
			state += ", LOCKED"
		}
		if !u.AccountExpires.IsZero() {
			state += ", expires " + day(u.AccountExpires)
		}
		switch {
		case u.MustChangePassword:
			state += ", must change the password"
		case u.PasswordExpired:
			state += ", password EXPIRED"
		}
		fmt.Fprintf(w, "AD:\t%s (%s), %s\t%s\n", textsafe.Line(u.DisplayName), textsafe.Line(u.Login), state, textsafe.Line(u.Department))
	}
	switch pr := p.Principal; {
	case p.PrincipalErr != nil:
		fmt.Fprintf(w, "AM:\tnot read: %s\n", textsafe.Line(rsa.Explain(p.PrincipalErr)))
	case pr == nil:
		fmt.Fprintln(w, "AM:\tno such principal")
	default:
		state := "not locked"
		if pr.Locked {
			state = "LOCKED"
			if !pr.LockoutExpires.IsZero() {
				state += " until " + pr.LockoutExpires.Local().Format(rsa.TimeLayout)
			}
		}
		fmt.Fprintf(w, "AM:\t%s, %d failed passcode(s), last login %s\n", state, pr.FailedCount, day(pr.LastLogin))
	}
	w.Flush()
	if len(p.Tokens) > 0 {
		fmt.Fprintln(w)
		tokenTable(w, p.Tokens...)
		w.Flush()
	}
	fmt.Fprintln(w)
	switch {
	case p.ActivityErr != nil:
		fmt.Fprintf(w, "Activity: not read: %s\n", textsafe.Line(rsa.Explain(p.ActivityErr)))
	case len(p.Activity) == 0:
		fmt.Fprintln(w, "Activity, last 7 days: none")
	default:
		fmt.Fprintln(w, "Activity, last 7 days:")
		fmt.Fprintln(w, eventHeader)
		for _, e := range p.Activity {
			fmt.Fprintln(w, eventRow(e))
		}
	}
}
