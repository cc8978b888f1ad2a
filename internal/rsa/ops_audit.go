package rsa

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/rsatui/rsatui/internal/audit"
)

// pendingAudit is the audit record of one operation under way: its intent
// is written (and synced) by write just before the first command that
// changes anything; its outcome by record.
type pendingAudit struct {
	entry audit.Entry
	mu    sync.Mutex
	sent  bool // the intent line is written
}

type auditKey struct{}

// intend starts the audit record of an operation.
func (o *Ops) intend(ctx context.Context, op, target string, params map[string]string) context.Context {
	if o.Audit == nil {
		return ctx
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	e := audit.Entry{ID: hex.EncodeToString(id[:]), OSUser: o.Actor.OSUser, SSHUser: o.Actor.SSHUser, KeyFP: o.Actor.KeyFP,
		Admin: o.c.Admin(), Operation: op, Target: target, Params: params}
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
	e := p.entry
	e.Outcome = audit.Intent
	if err := o.Audit.Write(e); err != nil {
		return fmt.Errorf("%w: the audit log could not be written, so nothing was sent to AM: %v", ErrAuditUnavailable, err)
	}
	p.sent = true
	return nil
}

// record writes the outcome line of the operation in ctx (when an audit log
// is configured) and returns err, or the audit failure if that is worse.
func (o *Ops) record(ctx context.Context, cmds []string, note string, err error) error {
	p, _ := ctx.Value(auditKey{}).(*pendingAudit)
	if o.Audit == nil || p == nil {
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
		errors.Is(err, ErrAuditUnavailable), errors.Is(err, ErrConcurrentUpdate):
		e.Outcome = audit.Refused
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
