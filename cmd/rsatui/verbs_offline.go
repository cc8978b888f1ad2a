package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/textsafe"
)

// userOfflineCommand is user offline-passcode: the "I'm on a plane" call.
func userOfflineCommand() *cobra.Command {
	var set, typed, remove, show bool
	var expires string
	c := &cobra.Command{Use: "offline-passcode LOGIN [--set --expires 3d [--typed] | --remove | --show]",
		Short: "A person's offline emergency passcode (a laptop off the network, the token lost)",
		Long: `offline-passcode shows whether AM holds an offline emergency passcode for the
person, until when, and whether the laptop has fetched it (LookupEmergencyAccess-
PasscodeCommand). A Windows laptop that authenticates offline accepts it instead
of PIN + tokencode; 'user access' says which agents allow it.

--set gives them one that ends at --expires (at most AM's emergency maximum):
rsatui makes it (12 characters with no look-alikes), or --typed reads yours from
standard input (a prompt without echo on a terminal), never from the command
line. It is printed once. The laptop fetches it at its next online login, so
set it before they leave the network where you can.
--show prints the one AM holds (audited); --remove takes it away.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n := 0
			for _, b := range []bool{set, remove, show} {
				if b {
					n++
				}
			}
			switch {
			case n > 1:
				return usageErr("choose one of --set, --remove, --show")
			case (typed || cmd.Flags().Changed("expires")) && !set:
				return usageErr("--typed and --expires go with --set")
			}
			login := args[0]
			var r rsa.OfflinePasscodeRequest
			if set && typed {
				code, ok, err := newSecretInput(cmd).read("offline emergency passcode (8 to 24 characters)")
				if err != nil {
					return err
				}
				if !ok || code == "" {
					return usageErr("--typed: no passcode on standard input")
				}
				if err := rsa.CheckOfflinePasscode(code); err != nil {
					return verbErr(err)
				}
				r.Passcode = code
			}
			return session(cmd, false, func(ctx context.Context, o *opened) error {
				switch {
				case show:
					code, err := o.ops.RevealOfflinePasscode(ctx, login)
					if err != nil {
						return verbErr(err)
					}
					return o.emit(struct {
						Login    string `json:"login"`
						Passcode string `json:"passcode"`
					}{login, code.Reveal()}, func(w *tabwriter.Writer) {
						fmt.Fprintf(w, "offline emergency passcode of %s (shown on purpose; the audit says you read it):\n  %s\n", textsafe.Line(login), code.Reveal())
					})
				case set || remove:
					r.Login, r.Remove = login, remove
					if set {
						t, err := o.ops.ParseExpiry(expires)
						if err != nil {
							return verbErr(err)
						}
						r.Expires = t
					}
					res, err := o.ops.SetOfflinePasscode(ctx, r)
					return emitOffline(cmd, o, res, err)
				}
				s, err := o.ops.OfflinePasscode(ctx, login)
				if err != nil {
					return verbErr(err)
				}
				return o.emit(s, func(w *tabwriter.Writer) { offlineTable(w, s) })
			})
		}}
	c.Flags().BoolVar(&set, "set", false, "give them an offline emergency passcode")
	c.Flags().BoolVar(&typed, "typed", false, "with --set: read your passcode from standard input (else rsatui makes one)")
	c.Flags().StringVar(&expires, "expires", "3d", "with --set: its lifetime (3d, 36h) or end (2026-12-12), at most AM's emergency maximum")
	c.Flags().BoolVar(&remove, "remove", false, "take the offline emergency passcode away")
	c.Flags().BoolVar(&show, "show", false, "print the passcode AM holds (audited)")
	return c
}

func offlineTable(w *tabwriter.Writer, s rsa.OfflineState) {
	fmt.Fprintln(w, "LOGIN\tOFFLINE EMERGENCY PASSCODE")
	fmt.Fprintf(w, "%s\t%s\n", textsafe.Line(s.Login), s.Words(time.Local))
}

// emitOffline prints a set or remove: the state after, and a passcode set
// (once, even when the outcome is unknown: it may be in force).
func emitOffline(cmd *cobra.Command, o *opened, res rsa.OfflinePasscodeResult, err error) error {
	if err != nil && !errors.Is(err, rsa.ErrOutcomeUnknown) {
		return verbErr(err)
	}
	if res.Note != "" {
		fmt.Fprintln(textsafe.Writer{W: cmd.ErrOrStderr()}, "note:", res.Note)
	}
	outcome := "applied"
	if err != nil {
		outcome = "unknown"
	}
	if werr := o.emit(struct {
		Outcome  string           `json:"outcome"`
		State    rsa.OfflineState `json:"state"`
		Passcode string           `json:"passcode,omitempty"`
		Commands []string         `json:"am_commands"`
	}{outcome, res.After, res.Passcode.Reveal(), res.Commands}, func(w *tabwriter.Writer) {
		offlineTable(w, res.After)
		if res.Passcode != "" {
			fmt.Fprintf(w, "\npasscode (shown only now; read it out by phone, never by mail):\n  %s\n", res.Passcode.Reveal())
		}
	}); werr != nil {
		return werr
	}
	if err = verbErr(err); err != nil {
		err.(*exitError).printed = true
	}
	return err
}
