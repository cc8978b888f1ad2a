package diagnose

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
)

// Directory looks a person up by login (ad.Client).
type Directory interface {
	Lookup(ctx context.Context, login string) (ad.User, error)
}

// AM reads a person's principal afresh, their tokens and activity
// (rsa.Ops).
type AM interface {
	PersonState(ctx context.Context, login string) (rsa.Principal, []rsa.TokenState, error)
	Activity(ctx context.Context, login string, since time.Time) ([]rsa.AuthEvent, error)
	// Access is AM's answer for the person at an agent (TestAccessInfo).
	Access(ctx context.Context, login, agent string) ([]rsa.AgentAccess, error)
	// AdminActivity is what administrators changed for the person.
	AdminActivity(ctx context.Context, login string, since time.Time) ([]rsa.AuthEvent, error)
}

// Read gathers what Diagnose needs of login, the reads at once: the AD
// account (dir nil: not read), the principal afresh with every token in
// full, and, withActivity, the activity of the last Window (a screen whose
// watch keeps it reads it once). A part that fails is kept with its error.
func Read(ctx context.Context, dir Directory, am AM, login string, now time.Time, withActivity bool) Person {
	p := Person{Login: login, Now: now}
	var wg sync.WaitGroup
	if dir != nil {
		wg.Go(func() { p.readAD(ctx, dir) })
	}
	wg.Go(func() {
		pr, toks, err := am.PersonState(ctx, login)
		p.StateErr = err
		switch {
		case errors.Is(err, rsa.ErrNotInAM):
			return
		case err != nil && !errors.Is(err, rsa.ErrIncomplete):
			p.PrincipalErr = err
			return
		}
		p.Principal, p.Tokens = &pr, toks // in part: each token says what is missing
	})
	if withActivity {
		wg.Go(func() { p.AdminChanges, p.AdminErr = am.AdminActivity(ctx, login, now.Add(-Window)) })
		wg.Go(func() {
			p.Activity, p.ActivityErr = am.Activity(ctx, login, now.Add(-Window))
			// an agent that refused them lately: AM's rule for it, asked
			// (the records say that it refused, not which group would do)
			for _, agent := range RefusingAgents(p.Activity) {
				acc, err := am.Access(ctx, login, agent)
				p.AgentAccess = append(p.AgentAccess, acc...)
				p.AgentAccessErr = errors.Join(p.AgentAccessErr, err)
			}
		})
	}
	wg.Wait()
	return p
}

// RefusingAgents are the agents whose latest record of the person is a
// refusal by the agent's access rules (not a wrong passcode).
func RefusingAgents(activity []rsa.AuthEvent) []string {
	latest := map[string]rsa.AuthEvent{}
	var order []string
	for _, e := range activity {
		if e.Agent == "" || e.Agent == rsa.PasscodeAgent {
			continue
		}
		if _, seen := latest[e.Agent]; !seen {
			order = append(order, e.Agent)
		}
		latest[e.Agent] = e
	}
	var out []string
	for _, a := range order {
		if agentRefusal(latest[a].ResultKey) {
			out = append(out, a)
		}
	}
	return out
}

func agentRefusal(key string) bool {
	return key == "AGENT_ACCESS_DENIED" || key == "ACCESS_TIME_DENIED"
}

func (p *Person) readAD(ctx context.Context, dir Directory) {
	u, err := dir.Lookup(ctx, p.Login)
	switch {
	case errors.Is(err, ad.ErrNotFound):
	case err != nil:
		p.ADErr = err
	default:
		p.AD = &u
	}
}
