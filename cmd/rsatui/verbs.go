package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/audit"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/secret"
	"github.com/rsatui/rsatui/internal/textsafe"
)

// exitCode maps an error to the stable exit codes: 1 usage, 2 not found,
// 3 refused by a rule, 4 server or network, 5 outcome unknown.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, rsa.ErrInvalidInput), errors.Is(err, ad.ErrQueryTooLong), errors.Is(err, ad.ErrInvalidQuery):
		return exitUsage
	case errors.Is(err, rsa.ErrNotInAM), errors.Is(err, rsa.ErrNotFound), errors.Is(err, ad.ErrNotFound):
		return exitNotFound
	case errors.Is(err, rsa.ErrRule), errors.Is(err, rsa.ErrTokenNotReady), errors.Is(err, rsa.ErrReadOnly), errors.Is(err, rsa.ErrNotPermitted),
		errors.Is(err, rsa.ErrInvalidArgument), errors.Is(err, rsa.ErrInsufficientPrivilege), errors.Is(err, rsa.ErrAmbiguous),
		errors.Is(err, rsa.ErrConcurrentUpdate):
		return exitRefused
	case errors.Is(err, rsa.ErrOutcomeUnknown):
		return exitUnknown
	}
	return exitServer
}

// verbErr wraps an operation error with its exit code and plain words.
func verbErr(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	msg := rsa.Explain(err)
	if ad.IsDirectoryError(err) {
		msg = ad.Explain(err)
	}
	if msg != err.Error() && !strings.Contains(err.Error(), msg) {
		msg = err.Error() + "\n  " + msg
	}
	return &exitError{code: exitCode(err), err: errors.New(msg)}
}

// opened is the backend of one verb run.
type opened struct {
	*backend
	json bool
	out  io.Writer
}

// open builds the backend a verb needs (demo or real), with the audit log.
func open(cmd *cobra.Command, needDir bool) (*opened, error) {
	demoMode, _ := cmd.Flags().GetBool("demo")
	readOnly, _ := cmd.Flags().GetBool("read-only")
	asJSON, _ := cmd.Flags().GetBool("json")
	var b *backend
	var err error
	if demoMode {
		b, err = demoBackend(1, 200, readOnly, 0)
		if err != nil {
			return nil, &exitError{code: exitServer, err: err}
		}
		// each --demo verb starts its own simulator: say so, or "ea set"
		// followed by "ea show" looks like a change that did not hold
		fmt.Fprintln(cmd.ErrOrStderr(), "rsatui: --demo: a fresh simulator for this one command; what it changes is gone when it ends (rsatui sim keeps one running for several commands)")
	} else if b, err = connect(cmd, readOnly, needDir); err != nil {
		return nil, err
	}
	if err := attachAudit(cmd, b); err != nil {
		b.close()
		return nil, err
	}
	return &opened{backend: b, json: asJSON, out: cmd.OutOrStdout()}, nil
}

// attachAudit opens the audit log (--audit-log, RSATUI_AUDIT_LOG, or the XDG
// default) and names who is acting.
func attachAudit(cmd *cobra.Command, b *backend) error {
	path, _ := cmd.Flags().GetString("audit-log")
	if path == "" {
		path = os.Getenv("RSATUI_AUDIT_LOG")
	}
	if path == "" {
		path = audit.DefaultPath()
	}
	log, err := audit.Open(path)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	// every line names the AM (host and port only) and marks --demo
	log.Endpoint, log.Demo = b.info.Server, b.info.Demo
	b.ops.Audit = log
	b.ops.Actor = rsa.Actor{OSUser: audit.CurrentUser()}
	if c := os.Getenv("SSH_CONNECTION"); c != "" {
		b.ops.Actor.SSHUser = audit.CurrentUser() + " from " + strings.Fields(c)[0]
	}
	return nil
}

func (o *opened) emit(v any, table func(w *tabwriter.Writer)) error {
	if o.json {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return err
		}
		_, err := o.out.Write(textsafe.EscapeJSON(buf.Bytes()))
		return err
	}
	// fields are made safe where they are printed (textsafe.Line); the
	// writer neutralises anything that slipped through
	w := tabwriter.NewWriter(textsafe.Writer{W: o.out}, 0, 2, 2, ' ', 0)
	table(w)
	return w.Flush()
}

// emitLine prints v as one line of JSON (a stream of records).
func (o *opened) emitLine(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = o.out.Write(append(textsafe.EscapeJSON(b), '\n'))
	return err
}

// session runs fn with an opened backend and a bounded context, and closes
// the backend (logging out of AM) afterwards.
func session(cmd *cobra.Command, needDir bool, fn func(ctx context.Context, o *opened) error) error {
	o, err := open(cmd, needDir)
	if err != nil {
		return err
	}
	defer o.close()
	ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Minute)
	defer cancel()
	return fn(ctx, o)
}

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

// group is a verb with sub-verbs. An unknown sub-verb is a usage error
// (exit 1), and so is none: cobra would otherwise print help and exit 0,
// which a script takes for success.
func group(use, short string) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var names []string
			for _, c := range cmd.Commands() {
				if c.IsAvailableCommand() {
					names = append(names, c.Name())
				}
			}
			return usageErr("%s needs one of: %s (see %s --help)", cmd.CommandPath(), strings.Join(names, ", "), cmd.CommandPath())
		}}
}

func addVerbs(root *cobra.Command) {
	pf := root.PersistentFlags()
	pf.Bool("json", false, "print JSON for scripts")
	pf.String("audit-log", "", "audit log file (default $XDG_STATE_HOME/rsatui/audit.jsonl) [env RSATUI_AUDIT_LOG]")

	users := group("users", "People in the directory")
	var limit int
	search := &cobra.Command{Use: "search QUERY", Short: "Find people by login, name or mail prefix", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 1 {
				return usageErr("--limit must be at least 1")
			}
			return session(cmd, true, func(ctx context.Context, o *opened) error {
				var found []ad.User
				errEnough := errors.New("enough")
				err := o.dir.Search(ctx, args[0], min(limit, 500), func(p []ad.User) error {
					found = append(found, p...)
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

	tokens := group("tokens", "Tokens of a person; the token pool")
	var poolType, poolBefore string
	pool := &cobra.Command{Use: "pool", Short: "The unassigned tokens (the pool), by serial", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := rsa.PoolQuery{Type: poolType}
			if poolBefore != "" {
				t, err := rsa.ParseExpiry(poolBefore, time.Now())
				if err != nil || t.IsZero() {
					return usageErr("--expiring-before %q: give a date (2027-06-30) or a lifetime from now (90d)", poolBefore)
				}
				q.ExpiringBefore = t
			}
			return session(cmd, false, func(ctx context.Context, o *opened) error {
				list, err := o.ops.Pool(ctx, q)
				type poolToken struct {
					Serial  string    `json:"serial"`
					GUID    string    `json:"guid"`
					Type    string    `json:"type"`
					Enabled bool      `json:"enabled"`
					Expires time.Time `json:"expires,omitzero"`
				}
				views := []poolToken{}
				for _, t := range list {
					views = append(views, poolToken{Serial: t.Serial, GUID: t.GUID, Type: t.TokenType.String(), Enabled: t.Enabled, Expires: t.Expires.UTC()})
				}
				return emitSummaries(o, list, err, views, "SERIAL\tTYPE\tSTATE\tEXPIRES", func(t rsa.TokenSummary) string {
					state := map[bool]string{true: "enabled", false: "disabled"}[t.Enabled]
					return fmt.Sprintf("%s\t%s\t%s\t%s", textsafe.Line(t.Serial), t.TokenType, state, day(t.Expires))
				})
			})
		}}
	pool.Flags().StringVar(&poolType, "type", "", `only tokens of this type ("key fob", "software token")`)
	pool.Flags().StringVar(&poolBefore, "expiring-before", "", "only tokens that expire before this date or lifetime (2027-06-30, 90d)")
	tokens.AddCommand(pool)
	var within string
	expiring := &cobra.Command{Use: "expiring --within 30d", Short: "Assigned tokens that stop working within a time from now, soonest first", Args: cobra.NoArgs,
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
				}
				views := []expiringToken{}
				for _, t := range list {
					views = append(views, expiringToken{Serial: t.Serial, Type: t.TokenType.String(), AssignedTo: t.AssignedUser, Expires: t.Expires.UTC()})
				}
				return emitSummaries(o, list, err, views, "SERIAL\tTYPE\tOWNER\tEXPIRES", func(t rsa.TokenSummary) string {
					return fmt.Sprintf("%s\t%s\t%s\t%s", textsafe.Line(t.Serial), t.TokenType, textsafe.Line(t.AssignedUser), day(t.Expires))
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

	token := group("token", "One token: show, assign, unassign, enable, disable, clear-pin, require-new-pin, resync, clear-bad-count, replace")
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
				return r.After, r.Note, err
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
	token.AddCommand(replace)

	user := group("user", "One person: the dashboard (why can't they log in?), unlock")
	user.AddCommand(userShowCommand())
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

	root.AddCommand(users, tokens, token, user, eaCommand(), auditCommand())
	authCommands(root)
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

var ifAvailable = map[string]rsa.LostMode{
	"allow-end-ea": rsa.IfAvailableAllowAndEnd, "deny": rsa.IfAvailableDeny, "allow-both": rsa.IfAvailableAllowBoth,
}

func eaCommand() *cobra.Command {
	ea := group("ea", "Online emergency access of a token")
	ea.AddCommand(&cobra.Command{Use: "show SERIAL", Short: "Emergency-access state of a token", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := rsa.ValidateSerial(args[0]); err != nil {
				return verbErr(err)
			}
			return session(cmd, false, func(ctx context.Context, o *opened) error {
				s, err := o.ops.Token(ctx, args[0])
				if err != nil {
					return verbErr(err)
				}
				return o.emit(viewOf(s), func(w *tabwriter.Writer) { tokenTable(w, s); eaTable(w, s.EA) })
			})
		}})
	var fixed, expires, avail string
	var generate, noExpiry bool
	var oneTime int
	set := &cobra.Command{Use: "set SERIAL (--fixed CODE|- | --generate-fixed | --one-time N)", Short: "Put a token into online emergency access",
		Long: `Put a token into online emergency access: a temporary fixed tokencode (--fixed, or
--generate-fixed to let AM choose it) or a set of one-time tokencodes (--one-time N).
--fixed - reads the code from standard input, which keeps it out of shell history.
The codes are printed once; hand them over by phone or in person.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r := rsa.EARequest{Serial: args[0], IfAvailable: ifAvailable[avail]}
			chosen := 0
			for _, b := range []bool{cmd.Flags().Changed("fixed"), generate, cmd.Flags().Changed("one-time")} {
				if b {
					chosen++
				}
			}
			if chosen != 1 {
				return usageErr("choose exactly one of --fixed CODE, --generate-fixed, --one-time N")
			}
			if r.IfAvailable == 0 {
				return usageErr("--if-available must be deny, allow-end-ea or allow-both (not %q)", avail)
			}
			switch {
			case cmd.Flags().Changed("fixed"):
				r.Mode = rsa.EAFixedCode
				code := fixed
				if fixed == "-" {
					line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
					if err != nil && line == "" {
						return usageErr("--fixed -: no code on standard input")
					}
					code = strings.TrimSpace(line)
				} else {
					fmt.Fprintln(cmd.ErrOrStderr(), "rsatui: warning: the code is now in your shell history; prefer --fixed - and standard input")
				}
				r.FixedCode = secret.Secret(code)
			case generate:
				r.Mode = rsa.EAFixedCode
			default:
				r.Mode, r.Count = rsa.EAOneTimeCodes, oneTime
			}
			switch {
			case noExpiry && cmd.Flags().Changed("expires"):
				return usageErr("--expires and --no-expiry exclude each other")
			}
			return session(cmd, false, func(ctx context.Context, o *opened) error {
				if !noExpiry {
					t, err := o.ops.ParseExpiry(expires)
					if err != nil {
						return verbErr(err)
					}
					r.Expires = t
				}
				if err := o.ops.Validate(r); err != nil {
					return verbErr(err)
				}
				res, err := o.ops.SetEmergencyAccess(ctx, r)
				return emitCodes(cmd, o, r.Serial, res, err)
			})
		}}
	set.Flags().StringVar(&fixed, "fixed", "", "temporary fixed tokencode you choose (- reads it from standard input)")
	set.Flags().BoolVar(&generate, "generate-fixed", false, "temporary fixed tokencode generated by AM")
	set.Flags().IntVar(&oneTime, "one-time", 0, "a set of N one-time tokencodes ("+rsa.OneTimeCountHint+")")
	set.Flags().StringVar(&expires, "expires", "14d", "lifetime: 14d, 36h, 2w, a date (2026-12-12) or a date and time")
	set.Flags().BoolVar(&noExpiry, "no-expiry", false, "no expiration")
	set.Flags().StringVar(&avail, "if-available", "allow-end-ea", "if the token is used again: deny, allow-end-ea or allow-both")
	var extendTo string
	extend := &cobra.Command{Use: "extend SERIAL --expires 14d", Short: "Move the end of an active emergency access (the codes stay)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if t, err := rsa.ParseExpiry(extendTo, time.Now()); err != nil || t.IsZero() {
				// checked before a session is opened; the end itself is
				// taken as ea set takes it (o.ops.ParseExpiry), below
				return usageErr("--expires %q: give the new end, a lifetime (14d, 36h) or a date (2026-12-12)", extendTo)
			}
			return withToken(cmd, args[0], func(ctx context.Context, o *opened) (rsa.TokenState, string, error) {
				t, err := o.ops.ParseExpiry(extendTo)
				if err != nil {
					return rsa.TokenState{}, "", err
				}
				r, err := o.ops.ExtendEmergencyAccess(ctx, args[0], t)
				return r.After, r.Note, err
			})
		}}
	extend.Flags().StringVar(&extendTo, "expires", "14d", "the new end: 14d, 36h, 2w or a date")
	addCodes := &cobra.Command{Use: "add-codes SERIAL N", Short: "Add N one-time codes to an active set (the unused ones stay)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := rsa.ParseOneTimeCount(args[1])
			if err != nil {
				return verbErr(err)
			}
			if err := rsa.ValidateSerial(args[0]); err != nil {
				return verbErr(err)
			}
			return session(cmd, false, func(ctx context.Context, o *opened) error {
				res, err := o.ops.AddOneTimeCodes(ctx, args[0], n)
				return emitCodes(cmd, o, args[0], res, err)
			})
		}}
	ea.AddCommand(extend, addCodes)
	ea.AddCommand(set, &cobra.Command{Use: "clear SERIAL", Short: "End online emergency access", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withToken(cmd, args[0], func(ctx context.Context, o *opened) (rsa.TokenState, string, error) {
				r, err := o.ops.ClearEmergencyAccess(ctx, args[0], nil)
				return r.After, r.Note, err
			})
		}})
	return ea
}

// emitCodes prints a change that issued codes: the token AM holds and the
// codes, once — marked MAY BE ACTIVE when the reply was lost.
func emitCodes(cmd *cobra.Command, o *opened, serial string, res rsa.EAResult, err error) error {
	// an unknown outcome still carries the codes: they may be active
	unknown := errors.Is(err, rsa.ErrOutcomeUnknown) && len(res.Codes) > 0
	if err != nil && !unknown {
		return verbErr(err)
	}
	codes := make([]string, len(res.Codes))
	for i, c := range res.Codes {
		codes[i] = c.Reveal() // shown once, here, on purpose
	}
	if res.Note != "" {
		fmt.Fprintln(textsafe.Writer{W: cmd.ErrOrStderr()}, "note:", res.Note)
	}
	outcome, heading := "applied", "codes (shown only now; hand them over by phone or in person):"
	if unknown {
		outcome = "unknown"
		heading = "codes — MAY BE ACTIVE: the reply was lost; check with `rsatui ea show " + serial + "` before handing them over or trying again:"
	}
	if werr := o.emit(struct {
		Outcome  string    `json:"outcome"`
		Token    tokenView `json:"token"`
		Codes    []string  `json:"codes"`
		Commands []string  `json:"am_commands"`
	}{outcome, viewOf(res.After), codes, res.Commands}, func(w *tabwriter.Writer) {
		tokenTable(w, res.After)
		fmt.Fprintf(w, "\n%s\n", heading)
		for _, c := range codes {
			fmt.Fprintf(w, "  %s\n", c)
		}
	}); werr != nil {
		return werr
	}
	if err = verbErr(err); err != nil {
		err.(*exitError).printed = true // the result above says "unknown"
	}
	return err
}

func auditCommand() *cobra.Command {
	a := group("audit", "The audit log of changes")
	var n int
	tail := &cobra.Command{Use: "tail", Short: "Print the last entries of the audit log", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, _ := cmd.Flags().GetString("audit-log")
			if path == "" {
				path = os.Getenv("RSATUI_AUDIT_LOG")
			}
			if path == "" {
				path = audit.DefaultPath()
			}
			entries, err := audit.Tail(path, n)
			if errors.Is(err, os.ErrNotExist) {
				return &exitError{code: exitNotFound, err: fmt.Errorf("no audit log at %s yet: nothing was changed through rsatui", path)}
			}
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			o := &opened{out: cmd.OutOrStdout()}
			o.json, _ = cmd.Flags().GetBool("json")
			return o.emit(entries, func(w *tabwriter.Writer) {
				fmt.Fprintln(w, "TIME\tWHO\tAM ADMIN\tOPERATION\tTARGET\tOUTCOME\tDETAIL")
				for _, e := range entries {
					who := e.OSUser
					if e.SSHUser != "" {
						who = e.SSHUser
					}
					detail := e.Error
					if detail == "" {
						var kv []string
						for k, v := range e.Params {
							kv = append(kv, k+"="+v)
						}
						sort.Strings(kv)
						detail = strings.Join(kv, " ")
					}
					op := e.Operation
					if e.Demo {
						op += " (demo)"
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format("2006-01-02 15:04:05"), textsafe.Line(who),
						textsafe.Line(e.Admin), op, textsafe.Line(e.Target), e.Outcome, textsafe.Line(detail))
				}
			})
		}}
	tail.Flags().IntVarP(&n, "lines", "n", 20, "how many entries (0 = all)")
	a.AddCommand(tail)
	return a
}

// readTokencodes reads the two tokencodes of a resync: a line each from
// standard input, or from prompts without echo on a terminal.
func readTokencodes(cmd *cobra.Command) ([2]secret.Secret, error) {
	var codes [2]secret.Secret
	in := newSecretInput(cmd)
	for i, what := range []string{"first tokencode (as shown now)", "next tokencode (once the display changes)"} {
		code, ok, err := in.read(what)
		if err != nil {
			return codes, err
		}
		if !ok {
			return codes, usageErr("resync: give two tokencodes on standard input, one a line (%d read)", i)
		}
		codes[i] = code
	}
	return codes, nil
}
