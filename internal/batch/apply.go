package batch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rsatui/rsatui/internal/audit"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/verify"
)

// Outcomes of a row in an apply.
const (
	OutOK      = "ok"      // AM holds the change (read back)
	OutNothing = "nothing" // AM already held it
	OutRefused = "refused" // refused (by the plan, a rule or AM): nothing changed
	OutFailed  = "failed"  // AM or the network failed: nothing changed; a resume tries it again
	OutUnknown = "unknown" // the outcome is not known: a resume reads it back first
	OutLook    = "look"    // an interrupted row whose token changed since: look at it before anything else
	OutDone    = "done"    // finished by an earlier run of this plan
)

// Result is one row's end in an apply.
type Result struct {
	Index   int    `json:"row"`
	Line    int    `json:"line"`
	Op      string `json:"operation"`
	Token   string `json:"token,omitempty"`
	Holder  string `json:"holder,omitempty"`
	Outcome string `json:"outcome"`
	Note    string `json:"note,omitempty"`
	// Codes is how many codes went to the codes file (never the codes).
	Codes int `json:"codes,omitempty"`
	// Resumed: an earlier run was interrupted during this row; it was read
	// back before anything else.
	Resumed bool `json:"resumed,omitempty"`
}

// Summary counts an apply's outcomes.
type Summary map[string]int

// Runner applies a plan.
type Runner struct {
	Ops   AM
	Lanes int
	// Journal and Codes are the files of the run (the verb puts them next
	// to the plan: PLAN.journal, PLAN.codes.csv).
	Journal, Codes string
	// Reason is the ticket of the whole run: a row's own reason wins.
	Reason string
	// OnRow is told each row's end, one at a time (progress).
	OnRow    func(Result)
	once     sync.Once
	recorded map[string]bool // audit ids with an outcome line, as an earlier run left them
	settled  map[int]bool    // codes-file lines whose codes were last said in force or void
	// Stop, when closed, starts no new row: those under way finish (a
	// change is never cut in the middle), then Apply returns.
	Stop <-chan struct{}
}

// MaxLanes bounds the rows sent at once: a batch must not crowd out the
// help desk's own work on the same AM.
const MaxLanes = 16

// Apply runs the plan's changes. Rows its journal says are finished are
// not run again; a row an earlier run began and did not finish is read
// back first and run only when AM shows it was not made. ctx bounds each
// AM call, not the run: cancel Stop to end a run early.
func (r *Runner) Apply(ctx context.Context, p Plan) (Summary, error) {
	if r.Lanes < 1 || r.Lanes > MaxLanes {
		return nil, fmt.Errorf("%w: lanes %d: give 1 to %d", rsa.ErrInvalidInput, r.Lanes, MaxLanes)
	}
	if p.Endpoint != "" && p.Endpoint != r.Ops.Endpoint() {
		return nil, fmt.Errorf("%w: the plan was made against %s, not %s: plan the file again against this AM", rsa.ErrInvalidInput, p.Endpoint, r.Ops.Endpoint())
	}
	// a second admin's yes is asked of the run as a whole, before any row
	ctx, err := r.Ops.ApproveRun(ctx, rsa.Change{Action: verify.BatchApply})
	if err != nil {
		return nil, err
	}
	j, err := openJournal(r.Journal)
	if err != nil {
		return nil, err
	}
	defer j.close()
	codes := &codesFile{path: r.Codes}
	defer codes.close()
	sum := Summary{}
	var mu sync.Mutex
	report := func(res Result) {
		mu.Lock()
		defer mu.Unlock()
		sum[res.Outcome]++
		if r.OnRow != nil {
			r.OnRow(res)
		}
	}
	work := make(chan int)
	var wg sync.WaitGroup
	var fatal error
	var fatalOnce sync.Once
	stop := make(chan struct{})
	for range r.Lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				res, err := r.row(ctx, p, i, j, codes)
				if err != nil { // the journal or the codes file failed: nothing more is sent
					fatalOnce.Do(func() { fatal = err; close(stop) })
				}
				report(res)
			}
		}()
	}
feed:
	for i := range p.Steps {
		select {
		case <-r.Stop:
			break feed
		case <-stop:
			break feed
		case work <- i:
		}
	}
	close(work)
	wg.Wait()
	return sum, fatal
}

// row runs one row (or says why not) and journals its end.
func (r *Runner) row(ctx context.Context, p Plan, i int, j *journal, codes *codesFile) (Result, error) {
	s := p.Steps[i]
	res := Result{Index: i, Line: s.Line, Op: string(s.Operation), Token: s.Token, Holder: s.Holder}
	switch s.Status {
	case Refused:
		res.Outcome, res.Note = OutRefused, "refused by the plan: "+s.Why
		return res, nil
	case Nothing:
		res.Outcome, res.Note = OutNothing, s.Why
		return res, nil
	}
	last, seen := j.state(i)
	switch last.State {
	case jOK, jNothing, jRefused:
		res.Outcome, res.Note = OutDone, "finished by an earlier run ("+last.State+")"
		return res, nil
	case jLook:
		res.Outcome, res.Note = OutLook, last.Note
		return res, nil
	}
	tag := fmt.Sprintf("plan %s line %d", p.ID, s.Line)
	ctx = rsa.WithAuditTag(ctx, "batch", tag)
	if s.Verified != "" {
		// the row's checks are of its one person (the guard audits them);
		// the plan read them already, so they parse
		done, err := verify.ParseDone(s.Verified, r.Ops.CallerPolicy())
		if err != nil {
			res.Outcome, res.Note = OutRefused, "the verified column: "+err.Error()
			return res, nil
		}
		ctx = rsa.WithCaller(rsa.WithAuditTag(ctx, "verified", s.Verified), "", done)
	}
	reason := s.Reason
	if reason == "" {
		reason = r.Reason
	}
	ctx = rsa.WithReason(ctx, reason)
	if seen && (last.State == jStart || last.State == jUnknown) {
		res.Resumed = true
		done, err := r.readBack(ctx, s, i, tag, j, codes, &res)
		if done || err != nil {
			return res, err
		}
	}
	// read the token now: its rowVersion and expiry go into the journal
	// before anything is sent, for the read-back should this run be killed
	before, err := r.Ops.Token(ctx, s.Token)
	if err != nil {
		res.Outcome, res.Note = outcomeOf(err), rsa.Explain(err)
		return res, j.write(entry{Row: i, State: journalState(res.Outcome), Note: res.Note})
	}
	id := rsa.NewAuditID()
	if err := j.write(entry{Row: i, State: jStart, Audit: id, RowVersion: before.Token.RowVersion, Expires: before.Token.Expires}); err != nil {
		res.Outcome, res.Note = OutRefused, "not sent: "+err.Error()
		return res, err
	}
	ctx = rsa.WithAuditID(ctx, id)
	var kept error
	err = r.send(ctx, s, before, codes, &res, &kept)
	if kept != nil {
		res.Outcome, res.Note = OutRefused, "not sent: "+kept.Error()
		_ = j.write(entry{Row: i, State: jFailed, Note: res.Note})
		return res, kept
	}
	res.Outcome = outcomeOf(err)
	if err != nil {
		res.Note = rsa.Explain(err)
	}
	if res.Codes > 0 {
		state := map[string]string{OutOK: codeInForce, OutUnknown: codeSent}[res.Outcome]
		if state == "" {
			state = codeVoid
		}
		if state != codeSent {
			if cerr := codes.write(s, state, nil); cerr != nil {
				return res, cerr
			}
		}
	}
	return res, j.write(entry{Row: i, State: journalState(res.Outcome), Note: res.Note})
}

// send makes the row's change with rsa's operation (which audits it).
func (r *Runner) send(ctx context.Context, s Step, before rsa.TokenState, codes *codesFile, res *Result, kept *error) error {
	o := r.Ops
	var note string
	var err error
	switch s.Operation {
	case EASet:
		req := rsa.EARequest{Serial: s.Token, Mode: rsa.EAFixedCode, Count: s.Count, Expires: s.ExpiresAt,
			IfAvailable: rsa.IfAvailableAllowAndEnd, Read: &before}
		if s.Count > 0 {
			req.Mode = rsa.EAOneTimeCodes
		}
		req.Keep = func(c []rsa.Secret) error {
			if werr := codes.write(s, codeSent, c); werr != nil {
				*kept = werr
				return werr
			}
			res.Codes = len(c)
			return nil
		}
		var ea rsa.EAResult
		ea, err = o.SetEmergencyAccess(ctx, req)
		note = ea.Note
	case EAClear:
		var ea rsa.EAResult
		ea, err = o.ClearEmergencyAccess(ctx, s.Token, &before)
		note = ea.Note
	case ReplaceNext:
		var rr rsa.ReplaceResult
		rr, err = o.Replace(ctx, s.Token, "", false)
		if rr.New.Token.Serial != "" {
			note = "replaced by " + rr.New.Token.Serial
		}
	default:
		var tr rsa.TokenResult
		switch s.Operation {
		case Unassign:
			tr, err = o.Unassign(ctx, s.Token, true)
		case Disable, Enable:
			tr, err = o.SetEnabled(ctx, s.Token, s.Operation == Enable)
		case ClearPIN:
			tr, err = o.ClearPIN(ctx, s.Token)
		case Extend:
			tr, err = o.ExtendLifetime(ctx, s.Token)
		}
		note = tr.Note
	}
	if err == nil {
		res.Note = note
	}
	return err
}

// readBack finishes a row an earlier run began: AM is read, and when it
// holds the change the row is done (its audit intent gets its outcome);
// when it does not, and nothing else changed the token, the row is run
// (done false); when the token changed since, a person must look.
func (r *Runner) readBack(ctx context.Context, s Step, i int, tag string, j *journal, codes *codesFile, res *Result) (bool, error) {
	start := j.start(i)
	st, err := r.Ops.Token(ctx, s.Token)
	if err != nil {
		res.Outcome, res.Note = OutUnknown, "interrupted earlier, and reading it back failed: "+rsa.Explain(err)
		return true, j.write(entry{Row: i, State: jUnknown, Note: res.Note})
	}
	made := Holds(s, st, start.Expires)
	outcome, note := audit.OK, "made before the interruption: read back when the plan was resumed"
	switch {
	case made:
		res.Outcome, res.Note = OutOK, note
	case st.Token.RowVersion == start.RowVersion:
		outcome, note = audit.Failed, "not made: the run was interrupted before AM took it (read back when the plan was resumed); sent again"
	default:
		outcome, note = audit.Unknown, fmt.Sprintf("the run was interrupted during this row, and token %s changed since (rowVersion %d, then %d) without showing this change: look at it before doing it again",
			s.Token, start.RowVersion, st.Token.RowVersion)
		res.Outcome, res.Note = OutLook, note
	}
	// the killed run may have written the outcome (and the codes' state)
	// before its journal line: not twice
	recorded, settled := r.earlier(codes)
	if start.Audit != "" && !recorded[start.Audit] {
		if err := r.Ops.Settle(ctx, start.Audit, "batch."+string(s.Operation), "token "+s.Token, outcome, note); err != nil {
			return true, err
		}
	}
	if s.Operation == EASet && !settled[s.Line] {
		state := codeVoid
		if made {
			state = codeInForce
		}
		if err := codes.write(s, state, nil); err != nil {
			return true, err
		}
	}
	switch {
	case made:
		return true, j.write(entry{Row: i, State: jOK, Note: note})
	case outcome == audit.Unknown:
		return true, j.write(entry{Row: i, State: jLook, Note: note})
	}
	return false, nil
}

// Holds reports whether AM's token st shows the step's change made.
// expiresBefore is the token's expiry before it (for extend).
func Holds(s Step, st rsa.TokenState, expiresBefore time.Time) bool {
	t, ea := st.Token, st.EA
	switch s.Operation {
	case EASet:
		mode := rsa.EAFixedCode
		if s.Count > 0 {
			mode = rsa.EAOneTimeCodes
		}
		d := ea.Expiration.Sub(s.ExpiresAt)
		return ea.Active() && ea.Mode == mode && d > -time.Second && d < time.Second
	case EAClear:
		return !ea.Active() && !ea.Lost
	case ReplaceNext:
		return t.ReplacementMode == rsa.ReplacementPending || t.ReplacementMode == rsa.ReplacementRetired
	case Unassign:
		return !t.Assigned()
	case Disable:
		return !t.Enabled
	case Enable:
		return t.Enabled
	case ClearPIN:
		return !t.PinSet && t.NewPinMode
	case Extend:
		return t.ExtensionMode == rsa.ExtensionExtended && t.Expires.After(expiresBefore)
	}
	return false
}

func outcomeOf(err error) string {
	switch {
	case err == nil:
		return OutOK
	case errors.Is(err, rsa.ErrOutcomeUnknown):
		return OutUnknown
	case errors.Is(err, rsa.ErrOtherChange):
		return OutLook // AM took it, and another change too: a person looks
	case refusable(err), errors.Is(err, rsa.ErrConcurrentUpdate), errors.Is(err, rsa.ErrAuditUnavailable), errors.Is(err, rsa.ErrReadOnly):
		return OutRefused
	}
	return OutFailed
}

func journalState(outcome string) string {
	switch outcome {
	case OutOK:
		return jOK
	case OutRefused:
		return jRefused
	case OutUnknown:
		return jUnknown
	case OutLook:
		return jLook
	}
	return jFailed
}

// earlier reads, once, what an interrupted run left in the audit log and
// the codes file: the changes whose outcome it wrote, and the rows whose
// codes it settled, before it could say so in the journal.
func (r *Runner) earlier(codes *codesFile) (recorded map[string]bool, settled map[int]bool) {
	r.once.Do(func() {
		r.recorded, r.settled = r.Ops.Settled(), map[int]bool{}
		for line, state := range codes.states() {
			r.settled[line] = state != codeSent
		}
	})
	return r.recorded, r.settled
}
