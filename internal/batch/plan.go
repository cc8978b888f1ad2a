package batch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/verify"
)

// Step statuses in a plan.
const (
	Change  = "change"  // the row will be sent to AM
	Nothing = "nothing" // AM already holds what the row asks: nothing will be sent
	Refused = "refused" // a rule, AM's answer or the file refuses the row: it will not run
)

// Step is a planned row: what AM will get, or why it will not.
type Step struct {
	Row
	// Token is the serial the row acts on (the person's token for a login
	// row); Holder its holder as AM names them.
	Token  string `json:"token,omitempty"`
	Holder string `json:"holder,omitempty"`
	Status string `json:"status"`
	// Will is what AM will get, in words; Why why the row is refused or
	// changes nothing.
	Will string `json:"will,omitempty"`
	Why  string `json:"why,omitempty"`
	// Commands are the AM commands the row sends (rsa's plan of the change).
	Commands []string `json:"am_commands,omitempty"`
	// ExpiresAt is an ea-set row's expiry as AM will get it (zero: never).
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// RowVersion is the token's as planned: the apply says when it changed
	// since.
	RowVersion int `json:"row_version,omitempty"`
}

// Plan is a checked file, ready to apply.
type Plan struct {
	Format   int       `json:"format"`
	ID       string    `json:"id"`
	Created  time.Time `json:"created"`
	Source   string    `json:"source,omitempty"`
	Endpoint string    `json:"am_endpoint,omitempty"`
	Admin    string    `json:"am_admin,omitempty"`
	Steps    []Step    `json:"rows"`
}

// Count is how many steps have the status.
func (p Plan) Count(status string) int {
	n := 0
	for _, s := range p.Steps {
		if s.Status == status {
			n++
		}
	}
	return n
}

// planFormat is the version of the plan file.
const planFormat = 1

// AM is what a batch asks of AM: rsa's operations (each with its rules
// and its audit), the reads a plan makes, and the audit's word on changes
// an interrupted run left (*rsa.Ops).
type AM interface {
	Token(ctx context.Context, serial string) (rsa.TokenState, error)
	UserTokens(ctx context.Context, login string) (rsa.Principal, []rsa.TokenSummary, error)
	Pool(ctx context.Context, q rsa.PoolQuery) ([]rsa.TokenSummary, error)
	Permits(p rsa.Permission) error
	ParseExpiry(s string) (time.Time, error)
	Validate(r rsa.EARequest) error
	SetEmergencyAccess(ctx context.Context, r rsa.EARequest) (rsa.EAResult, error)
	ClearEmergencyAccess(ctx context.Context, serial string, read *rsa.TokenState) (rsa.EAResult, error)
	Replace(ctx context.Context, oldSerial, with string, setNewPin bool) (rsa.ReplaceResult, error)
	Unassign(ctx context.Context, serial string, endEA bool) (rsa.TokenResult, error)
	SetEnabled(ctx context.Context, serial string, enable bool) (rsa.TokenResult, error)
	ClearPIN(ctx context.Context, serial string) (rsa.TokenResult, error)
	ExtendLifetime(ctx context.Context, serial string) (rsa.TokenResult, error)
	Endpoint() string
	Admin() string
	Settle(ctx context.Context, id, operation, target, outcome, note string) error
	Settled() map[string]bool
	// CallerPolicy is the site's policy of caller checks (the verified
	// column is read against it).
	CallerPolicy() verify.Policy
	// ApproveRun refuses a run the site's policy has a second admin
	// approve ([approve] batch-apply) without that approval; with it,
	// every row's audit line names the approver.
	ApproveRun(ctx context.Context, ch rsa.Change) (context.Context, error)
}

// Planner checks rows against AM without changing anything: it only reads
// (tokens, people, the pool) and asks rsa's rules.
type Planner struct {
	Ops AM
	// Lanes is how many rows are read at once.
	Lanes int
	// DefaultLifetime is an ea-set row's lifetime when it gives none (the
	// site's [defaults] ea_lifetime).
	DefaultLifetime string
	// OnRow, when set, is told of each row read (progress).
	OnRow func(done, total int)
}

// Make plans the rows.
func (pl Planner) Make(ctx context.Context, rows []Row, source string) (Plan, error) {
	p := Plan{Format: planFormat, ID: newID(), Created: time.Now().UTC(), Source: source,
		Endpoint: pl.Ops.Endpoint(), Admin: pl.Ops.Admin(), Steps: make([]Step, len(rows))}
	for i, r := range rows {
		p.Steps[i] = Step{Row: r}
	}
	// the pool and the extension records are read once and shared out in
	// row order: a plan never promises one token to two rows
	// (one read of the unassigned tokens serves both)
	var pool, exts []rsa.TokenSummary
	need := func(op Operation) bool {
		return slices.ContainsFunc(rows, func(r Row) bool { return r.Operation == op })
	}
	if need(ReplaceNext) || need(Extend) {
		unassigned, err := pl.Ops.Pool(ctx, rsa.PoolQuery{})
		if err != nil {
			return p, fmt.Errorf("reading the pool: %w", err)
		}
		now := time.Now()
		for _, t := range unassigned {
			if !t.Retired() && !t.Lost && (t.Expires.IsZero() || t.Expires.After(now)) {
				pool = append(pool, t)
			}
			if t.TokenType == rsa.TokenTypeSoftID {
				exts = append(exts, t)
			}
		}
	}
	// each row's token, read at once (as many as the lanes allow)
	states := make([]rsa.TokenState, len(rows))
	errs := make([]error, len(rows))
	lanes := max(pl.Lanes, 1)
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				states[i], errs[i] = pl.read(ctx, &p.Steps[i])
				mu.Lock()
				done++
				if pl.OnRow != nil {
					pl.OnRow(done, len(rows))
				}
				mu.Unlock()
			}
		}()
	}
	for i := range rows {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if ctx.Err() != nil {
		return p, ctx.Err()
	}
	seen := map[string]int{} // serial → the line of the row changing it
	extended := map[string]bool{}
	for i := range p.Steps {
		s := &p.Steps[i]
		if errs[i] != nil {
			if !refusable(errs[i]) {
				return p, fmt.Errorf("line %d: %w", s.Line, errs[i])
			}
			s.refuse(errs[i])
			continue
		}
		st := states[i]
		s.Token, s.Holder, s.RowVersion = st.Token.Serial, st.Token.AssignedUserID, st.Token.RowVersion
		if first, dup := seen[s.Token]; dup {
			s.refuse(fmt.Errorf("%w: line %d names token %s already: one row a token in a plan (plan the next change after this one)", rsa.ErrRule, first, s.Token))
			continue
		}
		seen[s.Token] = s.Line
		pl.check(s, st, &pool, exts, extended)
	}
	return p, nil
}

// refusable reports whether err is about the row (a rule, a token or a
// person AM does not have) rather than about reaching AM.
func refusable(err error) bool {
	for _, e := range []error{rsa.ErrInvalidInput, rsa.ErrRule, rsa.ErrTokenNotReady, rsa.ErrNotPermitted, rsa.ErrNotInAM, rsa.ErrNotFound,
		rsa.ErrInvalidArgument, rsa.ErrInsufficientPrivilege, rsa.ErrAmbiguous, rsa.ErrNotVerified, rsa.ErrNeedsApproval, rsa.ErrFlood} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (s *Step) refuse(err error) {
	s.Status, s.Why = Refused, rsa.Explain(err)
}

// read finds the row's token: the serial, or the person's only token.
func (pl Planner) read(ctx context.Context, s *Step) (rsa.TokenState, error) {
	serial := s.Serial
	if serial == "" {
		_, ts, err := pl.Ops.UserTokens(ctx, s.Login)
		if err != nil {
			return rsa.TokenState{}, err
		}
		switch len(ts) {
		case 0:
			return rsa.TokenState{}, fmt.Errorf("%w: %s holds no token", rsa.ErrRule, s.Login)
		case 1:
			serial = ts[0].Serial
		default:
			serials := make([]string, len(ts))
			for i, t := range ts {
				serials[i] = t.Serial
			}
			return rsa.TokenState{}, fmt.Errorf("%w: %s holds %d tokens (%s): name the serial", rsa.ErrAmbiguous, s.Login, len(ts), strings.Join(serials, ", "))
		}
	}
	st, err := pl.Ops.Token(ctx, serial)
	if err == nil && s.Serial != "" && s.Login != "" && !strings.EqualFold(st.Token.AssignedUserID, s.Login) {
		err = fmt.Errorf("%w: token %s is %s's, not %s's: check the row", rsa.ErrRule, serial, holderWords(st.Token.AssignedUserID), s.Login)
	}
	return st, err
}

// checkWords is checks as the verified column writes them (a ticket with
// its number to fill in).
func checkWords(cs []verify.Check) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
		if c == verify.Ticket {
			out[i] += "=INC…"
		}
	}
	return out
}

func holderWords(login string) string {
	if login == "" {
		return "nobody"
	}
	return login
}

// check decides a read row with rsa's rules.
func (pl Planner) check(s *Step, st rsa.TokenState, pool *[]rsa.TokenSummary, exts []rsa.TokenSummary, extended map[string]bool) {
	o := pl.Ops
	t := st.Token
	nothing := func(why string) { s.Status, s.Why = Nothing, strings.TrimSuffix(why, "; nothing was changed") }
	will := func(words string, plan rsa.Plan) {
		s.Status, s.Will, s.Commands = Change, words, plan.Commands()
	}
	permits := func(p rsa.Permission) bool {
		if err := o.Permits(p); err != nil {
			s.refuse(err)
			return false
		}
		return true
	}
	// the row's verified column against the site's policy (whether the
	// person is privileged, and so needs more, the apply asks: it refuses
	// that row then)
	verified := func(a action.Name) bool {
		policy := o.CallerPolicy()
		done, err := verify.ParseDone(s.Verified, policy)
		if err == nil {
			if missing := done.Missing(policy.Required(a, false)); len(missing) > 0 {
				err = fmt.Errorf("%w: the row's verified column lacks %s, which the site's policy asks of %s (write them as %q)",
					rsa.ErrNotVerified, verify.Join(missing), a, strings.Join(append(strings.Fields(s.Verified), checkWords(missing)...), " "))
			}
		} else {
			err = fmt.Errorf("%w: the verified column: %v", rsa.ErrInvalidInput, err)
		}
		if err != nil {
			s.refuse(err)
			return false
		}
		return true
	}
	switch s.Operation {
	case EASet:
		r := rsa.EARequest{Serial: t.Serial, Mode: rsa.EAFixedCode, Count: s.Count, IfAvailable: rsa.IfAvailableAllowAndEnd}
		if s.Count > 0 {
			r.Mode = rsa.EAOneTimeCodes
		}
		life := s.Expires
		if life == "" {
			life = pl.DefaultLifetime
		}
		if life == "" {
			life = rsa.DefaultEALifetime
		}
		exp, err := o.ParseExpiry(life)
		if err == nil {
			r.Expires = exp
			err = o.Validate(r)
		}
		var warn []string
		if err == nil {
			warn, err = rsa.EAReady(t, time.Now())
		}
		if err != nil || !permits(rsa.EAPermission(r.Mode)) || !verified(action.EmergencyAccess) {
			if err != nil {
				s.refuse(err)
			}
			return
		}
		s.ExpiresAt = exp
		words := r.Describe(time.Now(), time.Local)
		if st.EA.Active() {
			words += " It is in emergency access already: its codes are replaced."
		}
		if len(warn) > 0 {
			words += " Note: " + strings.Join(warn, "; ") + "."
		}
		will(words, rsa.EAPlan(r, true))
	case EAClear:
		if !permits(rsa.PermEmergencyEnd) {
			return
		}
		if why := rsa.EAEndUnneeded(st); why != "" {
			nothing(why)
			return
		}
		will("End emergency access of token "+t.Serial+" ("+st.EA.Mode.String()+"): its codes stop working.", rsa.EndEAPlan(true))
	case ReplaceNext:
		if !permits(rsa.PermReplace) || !verified(action.Replace) {
			return
		}
		if err := rsa.ReplaceReady(t); err != nil {
			s.refuse(err)
			return
		}
		if len(*pool) == 0 {
			s.refuse(fmt.Errorf("%w: the pool has no token left for this row (the rows above take the ones AM can hand out): add tokens, or plan these rows later", rsa.ErrRule))
			return
		}
		*pool = (*pool)[1:]
		will("Replace token "+t.Serial+" of "+holderWords(t.AssignedUserID)+" with the token AM hands out next; AM retires the old one when the new one is first used.", rsa.ReplacePlan("", t.Serial))
	case Unassign:
		if !permits(rsa.PermUnassign) {
			return
		}
		if err := rsa.UnassignReady(st, true); err != nil {
			s.refuse(err)
			return
		}
		words := "Take token " + t.Serial + " from " + holderWords(t.AssignedUserID) + "."
		if st.EA.Active() {
			words += " This ends its emergency access (" + st.EA.Mode.String() + ")."
		}
		will(words, rsa.UnassignPlan())
	case Disable, Enable:
		enable := s.Operation == Enable
		if !permits(map[bool]rsa.Permission{true: rsa.PermEnable, false: rsa.PermDisable}[enable]) {
			return
		}
		if why := rsa.EnableUnneeded(st, enable); why != "" {
			nothing(why)
			return
		}
		will(fmt.Sprintf("%s token %s of %s.", map[bool]string{true: "Enable", false: "Disable"}[enable], t.Serial, holderWords(t.AssignedUserID)), rsa.EnablePlan(enable))
	case ClearPIN:
		if !permits(rsa.PermPinClear) || !verified(action.ClearPIN) {
			return
		}
		why, err := rsa.PINReady(t, true)
		switch {
		case err != nil:
			s.refuse(err)
		case why != "":
			nothing(why)
		default:
			will("Clear the PIN of token "+t.Serial+": "+holderWords(t.AssignedUserID)+" sets a new one at the next login.", rsa.PINPlan(true))
		}
	case Extend:
		if !permits(rsa.PermAssign) {
			return
		}
		if err := rsa.ExtendReady(t); err != nil {
			s.refuse(err)
			return
		}
		free := slices.DeleteFunc(slices.Clone(exts), func(e rsa.TokenSummary) bool { return extended[e.Serial] })
		ext, ok := rsa.ExtensionFor(t, free)
		if !ok {
			s.refuse(fmt.Errorf("%w: AM holds no extension record expiring after token %s (%s) that the rows above do not take", rsa.ErrRule, t.Serial, t.Expires.Format("2006-01-02")))
			return
		}
		extended[ext.Serial] = true
		will(fmt.Sprintf("Extend software token %s of %s: it expires %s instead of %s (AM gives it the expiry of an extension record and deletes the record; the phone is untouched).",
			t.Serial, holderWords(t.AssignedUserID), ext.Expires.Format("2006-01-02"), t.Expires.Format("2006-01-02")), rsa.ExtendLifetimePlan())
	}
}

func newID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Write saves the plan at path (0600: it names people and their tokens);
// an existing file is not overwritten.
func (p Plan) Write(path string) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%w: %s exists: a plan is not written over (its journal would no longer match); give another --out", rsa.ErrInvalidInput, path)
		}
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Read loads a plan written by Write.
func Read(path string) (Plan, error) {
	var p Plan
	b, err := os.ReadFile(path)
	if err != nil {
		return p, fmt.Errorf("%w: %v (batch plan FILE.csv --out PLAN writes one)", rsa.ErrInvalidInput, err)
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("%w: %s is not a plan rsatui wrote: %v", rsa.ErrInvalidInput, path, err)
	}
	if p.Format != planFormat || p.ID == "" {
		return p, fmt.Errorf("%w: %s is not a plan of this rsatui (format %d)", rsa.ErrInvalidInput, path, p.Format)
	}
	return p, nil
}
