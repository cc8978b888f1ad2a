package rsa

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/rsatui/rsatui/internal/audit"
)

// pendingAudit is the audit record of one operation under way: its intent
// is written (and synced) by write just before the first command that
// changes anything; its outcome by record.
type pendingAudit struct {
	entry audit.Entry
	mu    sync.Mutex
	sent  bool   // the intent line is written (the change has begun)
	done  func() // ends the change's turn at the write gate
}

// WriteGate is what every change passes before its first write command
// (rsatui serve: none starts once a shutdown began, and the shutdown waits
// for the ones under way — their outcome lines included). Begin is asked
// once per change; done is called after the change's outcome is recorded.
type WriteGate interface {
	Begin() (done func(), err error)
}

type auditKey struct{}

// intend starts the audit record of an operation.
func (o *Ops) intend(ctx context.Context, op, target string, params map[string]string) context.Context {
	if o.Audit == nil && o.Writes == nil {
		return ctx
	}
	id := AuditIDOf(ctx)
	if id == "" {
		id = NewAuditID()
	}
	if tags, _ := ctx.Value(auditTagKey{}).(map[string]string); len(tags) > 0 {
		all := maps.Clone(tags)
		maps.Copy(all, params)
		params = all
	}
	e := audit.Entry{ID: id, OSUser: o.Actor.OSUser, SSHUser: o.Actor.SSHUser, KeyFP: o.Actor.KeyFP,
		Admin: o.c.Admin(), Operation: op, Target: target, Params: params, Reason: ReasonOf(ctx)}
	return context.WithValue(ctx, auditKey{}, &pendingAudit{entry: e})
}

// announce writes the intent line of the operation in ctx, once, before its
// first write command. A change that cannot be audited is not made.
func (o *Ops) announce(ctx context.Context) error {
	p, _ := ctx.Value(auditKey{}).(*pendingAudit)
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sent {
		return nil
	}
	if o.Writes != nil {
		done, err := o.Writes.Begin()
		if err != nil {
			return err
		}
		p.done = done
	}
	if o.Audit != nil {
		e := p.entry
		e.Outcome = audit.Intent
		if err := o.Audit.Write(e); err != nil {
			if p.done != nil {
				p.done()
				p.done = nil
			}
			return fmt.Errorf("%w: the audit log could not be written, so nothing was sent to AM: %v", ErrAuditUnavailable, err)
		}
	}
	p.sent = true
	return nil
}

// record writes the outcome line of the operation in ctx (when an audit log
// is configured) and returns err, or the audit failure if that is worse.
func (o *Ops) record(ctx context.Context, cmds []string, note string, err error) error {
	p, _ := ctx.Value(auditKey{}).(*pendingAudit)
	if p == nil {
		return err
	}
	defer func() {
		// the change is over once its outcome is written: a shutdown
		// waiting at the gate may go on
		p.mu.Lock()
		if p.done != nil {
			p.done()
			p.done = nil
		}
		p.mu.Unlock()
	}()
	if o.Audit == nil {
		return err
	}
	e := p.entry
	e.Commands, e.Outcome = cmds, audit.OK
	if note != "" {
		params := map[string]string{"note": note}
		for k, v := range e.Params {
			params[k] = v
		}
		e.Params = params
	}
	var f *Fault
	switch {
	case err == nil:
	case errors.Is(err, ErrInvalidInput), errors.Is(err, ErrRule), errors.Is(err, ErrTokenNotReady), errors.Is(err, ErrReadOnly), errors.Is(err, ErrNotPermitted),
		errors.Is(err, ErrInvalidArgument), errors.Is(err, ErrInsufficientPrivilege), errors.Is(err, ErrNotInAM), errors.Is(err, ErrNotFound),
		errors.Is(err, ErrAuditUnavailable), errors.Is(err, ErrConcurrentUpdate), errors.Is(err, ErrNotVerified), errors.Is(err, ErrNeedsApproval):
		e.Outcome = audit.Refused
	case errors.Is(err, ErrFlood):
		e.Outcome = audit.Alarm // forwarded as an alert: a burst of codes is how the attack looks
	case errors.Is(err, ErrOutcomeUnknown):
		e.Outcome = audit.Unknown
	default:
		e.Outcome = audit.Failed
	}
	if err != nil {
		e.Error = err.Error()
	}
	if errors.As(err, &f) {
		e.Fault = f.Class
	}
	if werr := o.Audit.Write(e); werr != nil {
		if err != nil {
			return fmt.Errorf("%w (and the audit log could not be written: %v)", err, werr)
		}
		return fmt.Errorf("the change was made, but its outcome could not be written to the audit log (its intent was): %w", werr)
	}
	return err
}

type auditIDKey struct{}
type auditTagKey struct{}

// NewAuditID is a fresh id pairing an intent line with its outcome.
func NewAuditID() string {
	var id [8]byte
	_, _ = rand.Read(id[:])
	return hex.EncodeToString(id[:])
}

// WithAuditID is ctx naming the audit id of the change made under it: a
// batch keeps it in its journal before the change, so that a run killed
// mid-change can write that change's outcome once it has read it back.
func WithAuditID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, auditIDKey{}, id)
}

// AuditIDOf is the audit id ctx names ("" when none).
func AuditIDOf(ctx context.Context) string {
	id, _ := ctx.Value(auditIDKey{}).(string)
	return id
}

// WithAuditTag is ctx adding one parameter (key=value) to the audit lines
// of the change made under it (to those ctx adds already): a batch names
// its plan and row, and the checks the help desk noted.
func WithAuditTag(ctx context.Context, key, value string) context.Context {
	tags, _ := ctx.Value(auditTagKey{}).(map[string]string)
	tags = maps.Clone(tags)
	if tags == nil {
		tags = map[string]string{}
	}
	tags[key] = value
	return context.WithValue(ctx, auditTagKey{}, tags)
}

type reasonKey struct{}

// MaxReasonLen bounds a change's reason: a ticket number and a few words.
const MaxReasonLen = 200

// CheckReason refuses a reason that is not one line of at most
// MaxReasonLen characters: it goes into the audit as given.
func CheckReason(r string) error {
	switch {
	case len(r) > MaxReasonLen:
		return fmt.Errorf("%w: the reason is %d characters; at most %d (a ticket number and a few words)", ErrInvalidInput, len(r), MaxReasonLen)
	case strings.ContainsAny(r, "\r\n"):
		return fmt.Errorf("%w: the reason must be one line", ErrInvalidInput)
	}
	return nil
}

// WithReason is ctx carrying the help desk's ticket or reason for the
// changes made under it: each change's audit lines record it.
func WithReason(ctx context.Context, reason string) context.Context {
	if reason = strings.TrimSpace(reason); reason == "" {
		return ctx
	}
	return context.WithValue(ctx, reasonKey{}, reason)
}

// ReasonOf is the reason ctx carries ("" when none).
func ReasonOf(ctx context.Context) string {
	r, _ := ctx.Value(reasonKey{}).(string)
	return r
}

// Endpoint is the AM the operations go to (host and port, as audited).
func (o *Ops) Endpoint() string { return o.c.Endpoint() }

// Admin is the AM administrator the operations run as.
func (o *Ops) Admin() string { return o.c.Admin() }

// Settle writes the outcome line of a change whose intent (id) a process
// wrote before it was killed, once its token has been read back: outcome
// audit.OK (AM holds it), audit.Failed (it was not made) or audit.Unknown.
// Nothing is written without an audit log.
func (o *Ops) Settle(ctx context.Context, id, operation, target, outcome, note string) error {
	if o.Audit == nil {
		return nil
	}
	params := map[string]string{"note": note}
	if tags, _ := ctx.Value(auditTagKey{}).(map[string]string); len(tags) > 0 {
		maps.Copy(params, tags)
	}
	return o.Audit.Write(audit.Entry{ID: id, OSUser: o.Actor.OSUser, SSHUser: o.Actor.SSHUser, KeyFP: o.Actor.KeyFP,
		Admin: o.c.Admin(), Operation: operation, Target: target, Params: params, Reason: ReasonOf(ctx), Outcome: outcome})
}

// Settled is the ids of the changes whose outcome the audit log holds
// (a line it cannot read is passed over): an interrupted run's changes
// are settled once.
func (o *Ops) Settled() map[string]bool {
	out := map[string]bool{}
	if o.Audit == nil {
		return out
	}
	entries, _ := audit.Tail(o.Audit.Path(), 0)
	for _, e := range entries {
		if e.Outcome != audit.Intent && e.Error != audit.NoOutcome {
			out[e.ID] = true
		}
	}
	return out
}

// AuditEvent writes one line of something that changed nothing in AM by
// itself (rsatui serve's approval requests), done by actor (nobody: the
// line names rsatui, as for an expiry). Nothing is written without an
// audit log.
func (o *Ops) AuditEvent(actor Actor, op, target, ticket string, params map[string]string) error {
	if o.Audit == nil {
		return nil
	}
	if actor == (Actor{}) {
		actor.OSUser = "rsatui"
	}
	return o.Audit.Write(audit.Entry{ID: NewAuditID(), OSUser: actor.OSUser, SSHUser: actor.SSHUser, KeyFP: actor.KeyFP,
		Admin: o.c.Admin(), Operation: op, Target: target, Params: params, Reason: ticket, Outcome: audit.OK})
}
