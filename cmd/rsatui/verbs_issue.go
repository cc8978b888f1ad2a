package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/rsatui/rsatui/internal/qrterm"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/textsafe"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// issueCommand is token issue: a software token to a person's phone or
// computer. What the person needs — the activation code, the CTF string,
// the token file — is printed or written once and kept nowhere: not in the
// audit, not in a log, never on the command line.
func issueCommand() *cobra.Command {
	var via, profile, out, qrPNG, to string
	var newSeed, protect bool
	cmd := &cobra.Command{Use: "issue SERIAL | --next-software LOGIN --via ctkip|ctf|file",
		Short: "Issue a software token to a phone or computer: a QR code (activation code), a token string (CTF) or a token file (.sdtid)",
		Long: `issue sends a software token to the app on a person's phone or computer, in one
of AM's deliveries:

  --via ctkip   an activation code and AM's CT-KIP URL: the app scans them as a
                QR code (printed here on a terminal; --qr-png writes it)
  --via ctf     a compressed token format string (and the link a phone opens)
  --via file    a .sdtid token file, written to --out FILE (mode 0600), never
                to the terminal

SERIAL names the software token; --next-software LOGIN issues the person's
software token, or gives them the next one from the software-token pool (which
assigns it) when they have none. --new-seed is the new-phone re-issue: AM makes
a new seed, so copies issued before stop working. --protect reads a password for
the string or file from standard input (or asks, without echo).`,
		Args: cobra.MaximumNArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			r := rsa.IssueRequest{Login: to, Profile: profile, NewSeed: newSeed}
			switch {
			case len(args) == 1 && to != "":
				return usageErr("token issue takes a serial or --next-software LOGIN, not both")
			case len(args) == 0 && to == "":
				return usageErr("token issue needs the software token's serial, or --next-software LOGIN")
			case len(args) == 1:
				r.Serial = args[0]
				if err := rsa.ValidateSerial(r.Serial); err != nil {
					return verbErr(err)
				}
			}
			if via == "" {
				return usageErr("token issue needs --via ctkip (QR code), ctf (token string) or file (.sdtid)")
			}
			d, err := rsa.ParseDelivery(via)
			if err != nil {
				return usageErr("--via %q: use ctkip (QR code), ctf (token string) or file (.sdtid)", via)
			}
			r.Via = d
			switch {
			case d == rsa.ViaFile && out == "":
				return usageErr("--via file writes the token file to --out FILE (mode 0600); it is never printed")
			case d != rsa.ViaFile && out != "":
				return usageErr("--out is for --via file; a %s is printed once", d.Words())
			case d == rsa.ViaFile && qrPNG != "":
				return usageErr("--qr-png is for --via ctkip or ctf: a token file has no QR code")
			case d == rsa.ViaCTKIP && protect:
				return usageErr("--protect is for a token string or file: an activation code takes no password")
			}
			if protect {
				pw, ok, err := newSecretInput(cmd).read("password for the token (the app asks for it)")
				if err != nil {
					return err
				}
				if !ok || pw == "" {
					return usageErr("--protect: give the password on standard input (one line)")
				}
				r.Password = pw
			}
			// the files are made before AM is asked: a token issued with
			// nowhere to put it would be a token issued for nothing (and
			// one issue of AM's limit spent)
			files, err := reserve(out, qrPNG)
			if err != nil {
				return verbErr(err)
			}
			defer files.abandon()
			return session(cmd, false, func(ctx context.Context, o *opened) error {
				res, err := o.ops.IssueSoftware(ctx, r)
				if err != nil {
					return verbErr(err)
				}
				return emitIssued(cmd, o, res, files)
			})
		}}
	f := cmd.Flags()
	f.StringVar(&to, "next-software", "", "the person: their software token, or the next from the software-token pool")
	f.StringVar(&via, "via", "", "ctkip (QR code), ctf (token string) or file (.sdtid)")
	f.StringVar(&profile, "profile", "", "the software token profile (name or GUID; default: the first that delivers --via)")
	f.BoolVar(&newSeed, "new-seed", false, "the new-phone re-issue: a new seed, so earlier copies stop working")
	f.StringVar(&out, "out", "", "--via file: the .sdtid file to write (mode 0600; not overwritten)")
	f.StringVar(&qrPNG, "qr-png", "", "also write the QR code to this PNG (mode 0600; not overwritten)")
	f.BoolVar(&protect, "protect", false, "protect the token string or file with a password read from standard input")
	return cmd
}

// reserved are the output files, made (empty, 0600, new) before the change.
type reserved struct {
	out, qr *os.File
	done    bool
}

func reserve(out, qr string) (*reserved, error) {
	r := &reserved{}
	var err error
	if out != "" {
		if r.out, err = createNew(out); err != nil {
			return nil, err
		}
	}
	if qr != "" {
		if r.qr, err = createNew(qr); err != nil {
			r.abandon()
			return nil, err
		}
	}
	return r, nil
}

func createNew(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("%w: %s exists: give a new file name (nothing was issued)", rsa.ErrInvalidInput, path)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v (nothing was issued)", rsa.ErrInvalidInput, err)
	}
	return f, nil
}

// abandon removes the files unless they were written.
func (r *reserved) abandon() {
	if r == nil || r.done {
		return
	}
	for _, f := range []*os.File{r.out, r.qr} {
		if f != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}
}

func writeClose(f *os.File, b []byte) error {
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// emitIssued prints what was issued, once.
func emitIssued(cmd *cobra.Command, o *opened, res rsa.Issued, files *reserved) error {
	var link rsa.Secret
	switch res.Via {
	case rsa.ViaCTKIP:
		link = res.Activation.Link()
	case rsa.ViaCTF:
		link = rsa.CTFLink(res.CTF)
	}
	if files.out != nil {
		if err := writeClose(files.out, res.File.Bytes()); err != nil {
			return verbErr(fmt.Errorf("the token was issued but writing %s failed (%v): issue it again (--new-seed) for another file", files.out.Name(), err))
		}
	}
	if files.qr != nil {
		code, err := qrterm.Encode(link.Reveal())
		if err == nil {
			var buf bytes.Buffer
			err = code.EncodePNG(&buf)
			if err == nil {
				err = writeClose(files.qr, buf.Bytes())
			}
		}
		if err != nil {
			return verbErr(fmt.Errorf("the token was issued but writing the QR code failed (%v): the code is printed below", err))
		}
	}
	files.done = true
	view := struct {
		Outcome        string    `json:"outcome"`
		Serial         string    `json:"serial"`
		Login          string    `json:"login"`
		Via            string    `json:"via"`
		Profile        string    `json:"profile"`
		PIN            string    `json:"pin"`
		FromPool       bool      `json:"from_pool"`
		NewSeed        bool      `json:"new_seed"`
		ActivationCode string    `json:"activation_code,omitempty"`
		ActivationURL  string    `json:"activation_url,omitempty"`
		Expires        time.Time `json:"activation_expires,omitzero"`
		CTF            string    `json:"ctf,omitempty"`
		Link           string    `json:"link,omitempty"`
		File           string    `json:"file,omitempty"`
		QRPNG          string    `json:"qr_png,omitempty"`
		Token          tokenView `json:"token"`
		Commands       []string  `json:"am_commands"`
	}{Outcome: "applied", Serial: res.Serial, Login: res.Login, Via: string(res.Via), Profile: res.Profile.Name,
		PIN: rsa.PINWords(res.Profile), FromPool: res.FromPool, NewSeed: res.NewSeed, Token: viewOf(res.After), Commands: res.Commands,
		// shown once, here, on purpose
		ActivationCode: res.Activation.Code.Reveal(), ActivationURL: res.Activation.ServiceURL, Expires: res.Activation.Expires,
		CTF: res.CTF.Reveal(), Link: link.Reveal()}
	if files.out != nil {
		view.File = files.out.Name()
	}
	if files.qr != nil {
		view.QRPNG = files.qr.Name()
	}
	stdout := cmd.OutOrStdout()
	return o.emit(view, func(w *tabwriter.Writer) {
		fmt.Fprintf(w, "issued\t%s to %s by %s (profile %s; %s)\n", textsafe.Line(res.Serial), textsafe.Line(res.Login),
			res.Via.Words(), textsafe.Line(res.Profile.Name), rsa.PINWords(res.Profile))
		if res.FromPool {
			fmt.Fprintf(w, "from\tthe software-token pool (assigned to %s now)\n", textsafe.Line(res.Login))
		}
		if res.NewSeed || res.Via == rsa.ViaCTKIP {
			fmt.Fprintf(w, "seed\tnew: a copy on another phone or computer stops working\n")
		}
		switch res.Via {
		case rsa.ViaCTKIP:
			if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				if code, err := qrterm.Encode(link.Reveal()); err == nil {
					w.Flush()
					for _, l := range code.Lines() {
						fmt.Fprintln(stdout, l)
					}
				}
			}
			fmt.Fprintf(w, "activation code\t%s (shown only now)\n", res.Activation.Code.Reveal())
			fmt.Fprintf(w, "URL\t%s\n", textsafe.Line(res.Activation.ServiceURL))
			fmt.Fprintf(w, "expires\t%s\n", res.Activation.Expires.Local().Format("2006-01-02 15:04 MST"))
		case rsa.ViaCTF:
			fmt.Fprintf(w, "token string\t%s (shown only now)\n", res.CTF.Reveal())
			fmt.Fprintf(w, "link\t%s\n", link.Reveal())
		case rsa.ViaFile:
			fmt.Fprintf(w, "token file\t%s (mode 0600; AM keeps no copy)\n", textsafe.Line(files.out.Name()))
		}
		if files.qr != nil {
			fmt.Fprintf(w, "QR code\t%s (mode 0600)\n", textsafe.Line(files.qr.Name()))
		}
	})
}
