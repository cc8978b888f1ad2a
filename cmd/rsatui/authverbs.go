package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/activity"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/secret"
	"github.com/rsatui/rsatui/internal/textsafe"
	"github.com/rsatui/rsatui/internal/ui"
)

// secretInput reads secrets (passcodes, tokencodes) a line each from
// standard input, or on a terminal from prompts without echo — never from
// the command line, where ps and the shell's history would keep them.
type secretInput struct {
	cmd *cobra.Command
	tty *os.File
	r   *bufio.Reader
}

func newSecretInput(cmd *cobra.Command) *secretInput {
	s := &secretInput{cmd: cmd}
	if f, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		s.tty = f
	} else {
		s.r = bufio.NewReader(cmd.InOrStdin())
	}
	return s
}

// read asks for what; ok is false when standard input has no more lines.
func (s *secretInput) read(what string) (code secret.Secret, ok bool, err error) {
	if s.tty != nil {
		fmt.Fprintf(s.cmd.ErrOrStderr(), "%s: ", what)
		b, err := term.ReadPassword(int(s.tty.Fd()))
		fmt.Fprintln(s.cmd.ErrOrStderr())
		if err != nil {
			return "", false, usageErr("reading the %s: %v", what, err)
		}
		return secret.Secret(strings.TrimSpace(string(b))), true, nil
	}
	line, err := s.r.ReadString('\n')
	if err != nil && line == "" {
		return "", false, nil
	}
	return secret.Secret(strings.TrimSpace(line)), true, nil
}

// authEventView is an authentication record in the verbs' JSON.
type authEventView struct {
	Time      time.Time `json:"time"`
	User      string    `json:"user"`
	Agent     string    `json:"agent"`
	ClientIP  string    `json:"client_ip"`
	Method    string    `json:"method"`
	Token     string    `json:"token_serial"`
	Result    string    `json:"result"`
	ResultKey string    `json:"result_key"`
	Message   string    `json:"message"`
	ID        string    `json:"id"`
	// Admin and Action: the administration log's (--admin)
	Admin  string `json:"admin,omitempty"`
	Action string `json:"action,omitempty"`
}

func eventView(e rsa.AuthEvent) authEventView {
	return authEventView{Time: e.At.UTC(), User: e.User, Agent: e.Agent, ClientIP: e.ClientIP, Method: e.Method,
		Token: e.Token, Result: e.Result, ResultKey: e.ResultKey, Message: e.Message, ID: e.GUID}
}

const eventHeader = "TIME\tRESULT\tMESSAGE\tTOKEN\tAGENT\tCLIENT\tMETHOD"

// eventRow is a record as the tables print it, in the local time zone.
func eventRow(e rsa.AuthEvent) string {
	return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s", e.At.Local().Format("2006-01-02 15:04:05 MST"), textsafe.Line(e.Result),
		textsafe.Line(e.Message), textsafe.Line(e.Token), textsafe.Line(e.Agent), textsafe.Line(e.ClientIP), textsafe.Line(e.Method))
}

// parseSince reads --since: a time back from now (7d, 36h, 2w), a date
// (2026-11-30), or "never" for everything AM keeps.
func parseSince(v string, now time.Time) (time.Time, error) {
	t, err := rsa.ParseExpiry(v, now)
	switch {
	case err != nil:
		return time.Time{}, usageErr("--since %q: give how far back to look (7d, 36h) or a date (2026-11-30)", v)
	case t.IsZero():
		return time.Time{}, nil
	case t.After(now): // a lifetime ahead, read as the same time back
		return now.Add(-t.Sub(now)), nil
	}
	return t, nil
}

// fixVerb is the verb that does fix for the person (login) or the token
// (serial; "SERIAL" when not known): the verbs' way of saying what the
// console says with a key.
func fixVerb(f action.Name, login, serial string) string {
	if serial == "" {
		serial = "SERIAL"
	}
	return ui.Verb(f, login, serial)
}

func authCommands(root *cobra.Command) {
	auth := group("auth", "Authentication: test a person's passcode")
	var testAgent, via string
	test := &cobra.Command{Use: "test LOGIN [--agent NAME]",
		Short: "Test a person's passcode through AM, with them on the phone (the passcode from standard input or a prompt)",
		Long: `auth test sends the person's passcode (PIN + the tokencode shown now, or PIN +
an emergency code) to AM as their login would, and says AM's answer in words:
accepted, wrong passcode, next tokencode required, new PIN required, locked,
token disabled or expired, emergency code accepted. When AM asks for the next
tokencode, it is asked for in turn (the second line of standard input).
The codes are read from standard input, a line each, or asked for without echo;
never from the command line, never logged or audited. A test counts like a
login: wrong passcodes count toward AM's lockout.
--agent tests as that agent (the VPN, a portal): its access rules apply, and
AM's record names it; without it the record names "rsatui passcode test".
--via authapi sends it through AM's Authentication API (REST, [authapi]) as
the agent configured there, as agents and identity products do.
Exit 0: accepted; 3: refused (or AM asks for more).`,
		Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			if d := rsa.Door(via); d != rsa.DoorAdmin && d != rsa.DoorAuthAPI {
				return usageErr("--via: no door %q: admin (the admin API's LoginCommand) or authapi (the Authentication API)", via)
			}
			in := newSecretInput(cmd)
			passcode, ok, err := in.read("passcode (PIN + tokencode)")
			if err != nil {
				return err
			}
			if !ok {
				return usageErr("auth test: give the passcode on standard input (PIN + tokencode), or run it on a terminal to be asked")
			}
			return session(cmd, false, func(ctx context.Context, o *opened) error {
				next := func(context.Context, string) (rsa.Secret, error) {
					code, ok, err := in.read("next tokencode (once the display changes)")
					if err == nil && !ok {
						err = rsa.ErrNoAnswer
					}
					return code, err
				}
				res, err := o.ops.TestPasscodeVia(ctx, rsa.Door(via), args[0], testAgent, passcode, next)
				if err != nil {
					return verbErr(err)
				}
				type result struct {
					Login    string         `json:"login"`
					Accepted bool           `json:"accepted"`
					Reason   string         `json:"reason"`
					Words    string         `json:"words"`
					Fix      string         `json:"fix,omitempty"`
					NextStep string         `json:"next_step,omitempty"`
					Record   *authEventView `json:"am_record,omitempty"`
					Commands []string       `json:"am_commands"`
				}
				r := result{Login: args[0], Accepted: res.Accepted, Reason: res.Reason, Words: res.Words, Commands: res.Commands,
					Fix: string(res.Fix), NextStep: fixVerb(res.Fix, args[0], res.Event.Token)}
				if res.Event.GUID != "" {
					v := eventView(res.Event)
					r.Record = &v
				}
				if err := o.emit(r, func(w *tabwriter.Writer) {
					fmt.Fprintf(w, "%s: %s\n", textsafe.Line(args[0]), textsafe.Line(res.Words))
					if r.NextStep != "" {
						fmt.Fprintf(w, "next: %s\n", textsafe.Line(r.NextStep))
					}
					if r.Record != nil {
						fmt.Fprintf(w, "AM recorded: %s %s %q (token %s)\n", res.Event.At.Local().Format("15:04:05 MST"),
							textsafe.Line(res.Event.ResultKey), textsafe.Line(res.Event.Message), textsafe.Line(res.Event.Token))
					}
				}); err != nil {
					return err
				}
				if !res.Accepted {
					return &exitError{code: exitRefused, err: errors.New("passcode refused"), printed: true}
				}
				return nil
			})
		}}
	test.Flags().StringVar(&testAgent, "agent", "", "test as this AM agent (rsatui user access LOGIN lists them): its access rules apply")
	test.Flags().StringVar(&via, "via", "admin", "the door: admin (the admin API's LoginCommand) or authapi (the Authentication API, as [authapi] agent)")
	auth.AddCommand(test)

	var since string
	var failures, follow, admin bool
	act := &cobra.Command{Use: "activity LOGIN [--since 7d] [--failures] [--follow] [--admin]",
		Short: "A person's authentication activity in AM (what AM saw when they tried), oldest first",
		Long: `activity reads AM's authentication records of a person (the Activity Monitor,
ActivityMonitorCommand): time in the local zone, result, AM's message, token,
agent, client address and method. --follow keeps printing new records as AM
records them (polled every second, as the public client does) until
interrupted; with --json it prints one JSON object a line. --admin reads AM's
administration log instead: what administrators changed for the person and
their tokens (who cleared the PIN, disabled the token, ended emergency access).`,
		Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			login := strings.TrimSpace(args[0])
			if login == "" {
				return usageErr("activity: give the person's login")
			}
			from, err := parseSince(since, time.Now())
			if err != nil {
				return err
			}
			o, err := open(cmd, false)
			if err != nil {
				return err
			}
			defer o.close()
			keep := func(evs []rsa.AuthEvent) []rsa.AuthEvent {
				out := []rsa.AuthEvent{}
				for _, e := range evs {
					if !failures || e.Failed() {
						out = append(out, e)
					}
				}
				return out
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Minute)
			if admin {
				if follow || failures {
					cancel()
					return usageErr("--admin lists the administration log: --follow and --failures are for the authentication records")
				}
				evs, err := o.ops.AdminActivity(ctx, login, from)
				cancel()
				if err != nil {
					return verbErr(err)
				}
				views := []authEventView{}
				for _, e := range evs {
					v := eventView(e)
					v.Admin, v.Action, v.Agent, v.Method, v.ClientIP = e.Actor, e.Action, "", "", ""
					views = append(views, v)
				}
				return o.emit(views, func(w *tabwriter.Writer) {
					fmt.Fprintln(w, "TIME\tADMINISTRATOR\tWHAT\tTOKEN")
					for _, e := range evs {
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", e.At.Local().Format("2006-01-02 15:04:05"), textsafe.Line(e.Actor), textsafe.Line(e.Message), textsafe.Line(e.Token))
					}
				})
			}
			evs, err := o.ops.Activity(ctx, login, from)
			cancel()
			if err != nil {
				return verbErr(err)
			}
			if !follow {
				views := []authEventView{}
				for _, e := range keep(evs) {
					views = append(views, eventView(e))
				}
				return o.emit(views, func(w *tabwriter.Writer) {
					fmt.Fprintln(w, eventHeader)
					for _, e := range keep(evs) {
						fmt.Fprintln(w, eventRow(e))
					}
				})
			}
			return followActivity(cmd, o, login, evs, keep)
		}}
	act.Flags().StringVar(&since, "since", "7d", "how far back (7d, 36h, a date, never)")
	act.Flags().BoolVar(&failures, "failures", false, "only refused attempts")
	act.Flags().BoolVar(&follow, "follow", false, "keep printing new records until interrupted")
	act.Flags().BoolVar(&admin, "admin", false, "the administration log: who changed the person's tokens and account, and when")
	root.AddCommand(auth, act)
}

// followActivity prints what was read and then each new record as the
// poller hands it over, until interrupted (exit 0). A failed poll is said
// on standard error and polling goes on.
func followActivity(cmd *cobra.Command, o *opened, login string, first []rsa.AuthEvent, keep func([]rsa.AuthEvent) []rsa.AuthEvent) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p := activity.New(o.ops, activity.DefaultInterval, nil)
	w := p.Watch(login)
	defer w.Close()
	w.Seen(first)
	tw := tabwriter.NewWriter(textsafe.Writer{W: o.out}, 0, 2, 2, ' ', 0)
	print := func(evs []rsa.AuthEvent) error {
		for _, e := range keep(evs) {
			if o.json {
				if err := o.emitLine(eventView(e)); err != nil {
					return err
				}
				continue
			}
			fmt.Fprintln(tw, eventRow(e))
		}
		return tw.Flush()
	}
	if !o.json {
		fmt.Fprintln(tw, eventHeader)
	}
	if err := print(first); err != nil {
		return err
	}
	for {
		evs, err := w.Next(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			fmt.Fprintln(textsafe.Writer{W: cmd.ErrOrStderr()}, "rsatui: reading AM's activity failed, trying again:", rsa.Explain(err))
		}
		if err := print(evs); err != nil {
			return err
		}
	}
}
