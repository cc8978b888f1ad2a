package rsa

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rsatui/rsatui/internal/rsa/am"
)

// AgentAccess is whether a person may authenticate at an agent, and why,
// in words: "works on Outlook Web, not on the VPN" answered from AM's own
// rules (TestAccessInfoCommand), not guessed.
type AgentAccess struct {
	Agent      string `json:"agent"`
	Restricted bool   `json:"restricted"`
	// Groups are the groups linked to a restricted agent, with their access
	// times ("" : any time).
	Groups  []AgentGroup `json:"groups,omitempty"`
	Granted bool         `json:"granted"`
	// Via is the group that lets them in (restricted agents), Hours its
	// access times.
	Via   string `json:"via,omitempty"`
	Hours string `json:"hours,omitempty"`
	// Why says it in words, with what to do when it is a refusal.
	Why     string        `json:"why"`
	Offline OfflineAccess `json:"offline"`
}

// AgentGroup is a group linked to a restricted agent.
type AgentGroup struct {
	Name  string `json:"name"`
	Hours string `json:"hours,omitempty"`
}

// OfflineAccess is what a Windows agent allows a laptop off the network.
type OfflineAccess struct {
	Allowed bool `json:"allowed"`
	Days    int  `json:"days"`
	// EAPasscode and EATokencode: an offline emergency passcode or
	// tokencode may be given for this agent.
	EAPasscode  bool `json:"emergency_passcode"`
	EATokencode bool `json:"emergency_tokencode"`
}

// Access is login's access at each of AM's agents (agent "": every one;
// else only the one of that name): SearchAgentsCommand, then at once each
// restricted agent's groups and their access times
// (ListGroupsByAgentCommand, GetTimeRestrictedAccessCommand) and AM's
// answer for the person (TestAccessInfoCommand). Nothing is counted: no
// passcode is sent.
func (o *Ops) Access(ctx context.Context, login, agent string) ([]AgentAccess, error) {
	ctx = am.WithQueue(ctx, o.queue)
	if strings.TrimSpace(login) == "" {
		return nil, fmt.Errorf("%w: give the person's login", ErrInvalidInput)
	}
	agents, err := o.c.Agents(ctx)
	if err != nil {
		return nil, err
	}
	if agent != "" {
		var one []am.Agent
		var names []string
		for _, a := range agents {
			names = append(names, a.Name)
			if strings.EqualFold(a.Name, agent) {
				one = append(one, a)
			}
		}
		if len(one) == 0 {
			return nil, fmt.Errorf("%w: AM has no agent called %q (its agents: %s)", ErrNotFound, agent, strings.Join(names, "; "))
		}
		agents = one
	}
	out := make([]AgentAccess, len(agents))
	errs := make([]error, len(agents))
	var fns []func()
	for i, a := range agents {
		fns = append(fns, func() { out[i], errs[i] = o.agentAccess(ctx, login, a) })
	}
	together(fns...)
	return out, errors.Join(errs...)
}

func (o *Ops) agentAccess(ctx context.Context, login string, a am.Agent) (AgentAccess, error) {
	res := AgentAccess{Agent: a.Name, Restricted: a.Restricted}
	var info am.AccessInfo
	var ierr, gerr error
	together(
		func() { info, ierr = o.c.TestAccess(ctx, login, a.Name) },
		func() {
			if !a.Restricted {
				return
			}
			var groups []am.Group
			if groups, gerr = o.c.AgentGroups(ctx, a.GUID); gerr != nil {
				return
			}
			res.Groups = make([]AgentGroup, len(groups))
			errs := make([]error, len(groups))
			var fns []func()
			for i, g := range groups {
				fns = append(fns, func() {
					res.Groups[i].Name = g.Name
					res.Groups[i].Hours, errs[i] = o.c.GroupHours(ctx, g.GUID)
				})
			}
			together(fns...)
			gerr = errors.Join(errs...)
		})
	if err := errors.Join(ierr, gerr); err != nil {
		return res, err
	}
	res.Granted, res.Via, res.Hours = info.Granted, info.Group, info.AccessHours
	res.Offline = OfflineAccess{Allowed: info.OfflineAllowed, Days: info.OfflineDays, EAPasscode: info.OfflineEAPasscode, EATokencode: info.OfflineEATokencode}
	res.Why = AccessWords(res)
	return res, nil
}

// AccessWords says an agent's answer for a person, with what to do when
// it is a refusal.
func AccessWords(a AgentAccess) string {
	var linked []string
	for _, g := range a.Groups {
		if g.Hours != "" {
			linked = append(linked, g.Name+" "+g.Hours)
		} else {
			linked = append(linked, g.Name)
		}
	}
	restricted := "restricted: " + strings.Join(linked, ", ")
	if len(linked) == 0 {
		restricted = "restricted, and no group is linked to it"
	}
	switch {
	case a.Granted && !a.Restricted:
		return "allowed at " + a.Agent + " (unrestricted: everybody AM knows)"
	case a.Granted && a.Hours != "":
		return "allowed at " + a.Agent + " through " + a.Via + " (" + a.Hours + ")"
	case a.Granted:
		return "allowed at " + a.Agent + " through " + a.Via
	case a.Via != "":
		// AM names the group they are in: its hours refuse them now
		return fmt.Sprintf("not allowed at %s now: outside the access times of %s (%s) — they get in again then, or an AM admin changes the group's access times", a.Agent, a.Via, a.Hours)
	}
	fix := "ask an AM admin to link a group to it"
	if len(a.Groups) > 0 {
		fix = "add them to " + a.Groups[0].Name + " in AD or ask an AM admin to link a group"
	}
	return fmt.Sprintf("not allowed at %s (%s): %s", a.Agent, restricted, fix)
}

// AgentNames are AM's agents' names, in AM's order (SearchAgentsCommand):
// where a passcode test can be run as.
func (o *Ops) AgentNames(ctx context.Context) ([]string, error) {
	agents, err := o.c.Agents(am.WithQueue(ctx, o.queue))
	names := make([]string, len(agents))
	for i, a := range agents {
		names[i] = a.Name
	}
	return names, err
}

// AuthAPIAgent is the agent the Authentication API tests as ("" : it is
// not configured).
func (o *Ops) AuthAPIAgent() string {
	if o.AuthAPI == nil {
		return ""
	}
	return o.AuthAPI.Agent()
}
