package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/textsafe"
	"github.com/spf13/cobra"
)

// tokenCommand is one token: show and the changes to it.
func tokenCommand() *cobra.Command {
	token := group("token", "One token: show, assign, unassign, enable, disable, clear-pin, require-new-pin, resync, clear-bad-count, replace, issue")
	token.AddCommand(&cobra.Command{Use: "show SERIAL", Short: "A token and its emergency-access state", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withToken(cmd, args[0], func(ctx context.Context, o *opened) (rsa.TokenState, string, error) {
				s, err := o.ops.Token(ctx, args[0])
				return s, "", err
			})
		}})
	var allowSecond, endEA, next bool
	assign := &cobra.Command{Use: "assign SERIAL LOGIN | --next LOGIN", Short: "Give a token to a person (one token a person unless --allow-second); --next: the one AM hands out next",
		Args: cobra.RangeArgs(1, 2), RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case next && len(args) != 1:
				return usageErr("token assign --next takes the login only: rsatui token assign --next LOGIN")
			case next && allowSecond:
				return usageErr("--next and --allow-second do not go together: give the serial to assign a second token")
			case next:
				return session(cmd, false, func(ctx context.Context, o *opened) error {
					r, err := o.ops.AssignNext(ctx, args[0])
					if err != nil {
						return verbErr(err)
					}
					return o.emit(viewOf(r.After), func(w *tabwriter.Writer) { tokenTable(w, r.After) })
				})
			case len(args) != 2:
				return usageErr("token assign takes a serial and a login (or --next LOGIN)")
			}
			return withToken(cmd, args[0], func(ctx context.Context, o *opened) (rsa.TokenState, string, error) {
				r, err := o.ops.Assign(ctx, args[0], args[1], allowSecond)
				return r.After, r.Note + r.Also, err
			})
		}}
	assign.Flags().BoolVar(&allowSecond, "allow-second", false, "allow a second token for the person (recorded in the audit log)")
	assign.Flags().BoolVar(&next, "next", false, "assign the token AM hands out next from the pool (GetNextAvailableTokenCommand)")
	unassign := &cobra.Command{Use: "unassign SERIAL", Short: "Take a token from its owner", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withToken(cmd, args[0], func(ctx context.Context, o *opened) (rsa.TokenState, string, error) {
				r, err := o.ops.Unassign(ctx, args[0], endEA)
				return r.After, r.Note, err
			})
		}}
	unassign.Flags().BoolVar(&endEA, "end-emergency-access", false, "confirm that unassigning ends the token's emergency access")
	token.AddCommand(assign, unassign)
	for _, enable := range []bool{true, false} {
		name := map[bool]string{true: "enable", false: "disable"}[enable]
		token.AddCommand(&cobra.Command{Use: name + " SERIAL", Short: strings.ToUpper(name[:1]) + name[1:] + " a token", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withToken(cmd, args[0], func(ctx context.Context, o *opened) (rsa.TokenState, string, error) {
					r, err := o.ops.SetEnabled(ctx, args[0], enable)
					return r.After, r.Note, err
				})
			}})
	}

	for _, clear := range []bool{true, false} {
		use, short := "require-new-pin SERIAL", "Keep the PIN and have AM ask for a new one at the next login"
		if clear {
			use, short = "clear-pin SERIAL", "Clear the PIN: the person logs in with the tokencode alone and sets a new PIN"
		}
		token.AddCommand(&cobra.Command{Use: use, Short: short, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withToken(cmd, args[0], func(ctx context.Context, o *opened) (rsa.TokenState, string, error) {
					change := o.ops.RequireNewPIN
					if clear {
						change = o.ops.ClearPIN
					}
					res, err := change(ctx, args[0])
					return res.After, res.Note, err
				})
			}})
	}

	token.AddCommand(&cobra.Command{Use: "clear-bad-count SERIAL",
		Short: "Clear the bad-tokencode count of the token's owner and take their tokens out of next-tokencode mode",
		Long: `clear-bad-count sends ClearBadTokenCountCommand for the person who holds
the token: AM forgets the bad tokencodes it counted for every token of theirs
and stops asking for the next tokencode. Use it when the token's clock is right
(the person mistyped their PIN); a token out of sync needs resync instead.`,
		Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			return withToken(cmd, args[0], func(ctx context.Context, o *opened) (rsa.TokenState, string, error) {
				r, err := o.ops.ClearBadCount(ctx, args[0])
				return r.After, r.Note, err
			})
		}})
	token.AddCommand(&cobra.Command{Use: "resync SERIAL",
		Short: "Resynchronize a token: two consecutive tokencodes from standard input or a prompt, never from the command line",
		Long: `resync sends two consecutive tokencodes the person reads off the token (the
second after the display changes) so AM learns the token's clock again and
clears its next-tokencode mode. The codes are read from standard input, one a
line, or asked for on the terminal without echo; they are never taken from the
command line, logged or audited.`,
		Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			codes, err := readTokencodes(cmd)
			if err != nil {
				return err
			}
			return withToken(cmd, args[0], func(ctx context.Context, o *opened) (rsa.TokenState, string, error) {
				r, err := o.ops.Resync(ctx, args[0], codes[0], codes[1])
				return r.After, r.Note, err
			})
		}})

	var with string
	var replaceNext, newPin bool
	replace := &cobra.Command{Use: "replace OLD --with NEW | --next", Short: "Give the owner of a lost or broken token a successor (AM retires the old one on the new one's first use)",
		Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			if (with == "") == !replaceNext {
				return usageErr("token replace: give the successor with --with SERIAL, or --next for the one AM hands out next")
			}
			return session(cmd, false, func(ctx context.Context, o *opened) error {
				r, err := o.ops.Replace(ctx, args[0], with, newPin)
				if err != nil {
					return verbErr(err)
				}
				fmt.Fprintf(textsafe.Writer{W: cmd.ErrOrStderr()}, "note: %s keeps working until %s is first used; AM then retires it\n", args[0], r.New.Token.Serial)
				both := []tokenView{viewOf(r.Old), viewOf(r.New)}
				return o.emit(both, func(w *tabwriter.Writer) { tokenTable(w, r.Old, r.New) })
			})
		}}
	replace.Flags().StringVar(&with, "with", "", "the unassigned token that replaces the old one")
	replace.Flags().BoolVar(&replaceNext, "next", false, "replace with the token AM hands out next")
	replace.Flags().BoolVar(&newPin, "new-pin", false, "the person chooses a new PIN on the new token (else the PIN is kept)")
	token.AddCommand(replace, issueCommand())
	return token
}

// withToken runs a token operation and prints the token AM holds afterwards.
func withToken(cmd *cobra.Command, serial string, fn func(context.Context, *opened) (rsa.TokenState, string, error)) error {
	if err := rsa.ValidateSerial(serial); err != nil {
		return verbErr(err)
	}
	return session(cmd, false, func(ctx context.Context, o *opened) error {
		s, note, err := fn(ctx, o)
		if err != nil {
			return verbErr(err)
		}
		if note != "" {
			fmt.Fprintln(textsafe.Writer{W: cmd.ErrOrStderr()}, "note:", note)
		}
		return o.emit(viewOf(s), func(w *tabwriter.Writer) { tokenTable(w, s) })
	})
}
