package amsim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// Agents and their access rules (notes/auth-api.md "Access rules"). A
// restricted agent lets in only the members of the groups linked to it,
// within the group's access times; an unrestricted one lets in everybody
// AM knows. Group membership comes from the directory (the identity
// source), asked when it matters, as AM asks LDAP: Groups is wired to the
// embedded directory, or to a real one.

// Agent is an authentication agent to load.
type Agent struct {
	Name    string
	Type    int    // amproto.AgentStandard, AgentWeb
	Address string // primaryAddress
	// Restricted: only the members of Groups (AM groups, named as the
	// directory's groups they map) may authenticate at it.
	Restricted bool
	Groups     []string
	// OfflineDays: Windows offline authentication, how many days of
	// tokencodes are downloaded (0: none); OfflineEAPasscode and
	// OfflineEATokencode: whether an offline emergency passcode or
	// tokencode is allowed there.
	OfflineDays                           int
	OfflineEAPasscode, OfflineEATokencode bool
}

type agent struct {
	Agent
	guid       string
	rowVersion int
}

// group is an AM group (an identity-source group, by name) with the access
// times of the agents linked to it.
type group struct {
	guid, name string
	hours      accessHours
}

// accessHours is when a group may authenticate: days of the week and a
// span of the day, in the simulator's zone ("" : any time). Written
// "Mon-Fri 06:00-22:00" [proposal: AM's accessHours string format is not
// public].
type accessHours struct {
	text       string
	days       [7]bool // by time.Weekday
	from, till int     // minutes of the day
}

// ParseAccessHours reads "Mon-Fri 06:00-22:00" (or "" : any time).
func ParseAccessHours(s string) (accessHours, error) {
	h := accessHours{text: strings.TrimSpace(s)}
	if h.text == "" {
		return h, nil
	}
	days, span, ok := strings.Cut(h.text, " ")
	names := []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	first, last, _ := strings.Cut(days, "-")
	if last == "" {
		last = first
	}
	a, b := slices.Index(names, first), slices.Index(names, last)
	from, till, ok2 := strings.Cut(span, "-")
	fm, err1 := minutes(from)
	tm, err2 := minutes(till)
	if !ok || !ok2 || a < 0 || b < 0 || err1 != nil || err2 != nil || tm <= fm {
		return h, fmt.Errorf("amsim: access hours %q: want e.g. Mon-Fri 06:00-22:00", s)
	}
	for d := a; ; d = (d + 1) % 7 {
		h.days[d] = true
		if d == b {
			break
		}
	}
	h.from, h.till = fm, tm
	return h, nil
}

func minutes(hhmm string) (int, error) {
	t, err := time.Parse("15:04", hhmm)
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

// allows reports whether t is within the hours.
func (h accessHours) allows(t time.Time) bool {
	if h.text == "" {
		return true
	}
	m := t.Hour()*60 + t.Minute()
	return h.days[t.Weekday()] && m >= h.from && m < h.till
}

// AddGroup adds an AM group (the directory group of that name) with its
// access times ("" : any time) and returns its GUID.
func (s *Sim) AddGroup(name, hours string) (string, error) {
	h, err := ParseAccessHours(hours)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := &group{guid: s.newGUID(), name: name, hours: h}
	s.groups = append(s.groups, g)
	return g.guid, nil
}

// AddAgent adds an agent; its groups must have been added.
func (s *Sim) AddAgent(a Agent) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range a.Groups {
		if s.groupNamed(g) == nil {
			return "", fmt.Errorf("amsim: agent %s: no group %q", a.Name, g)
		}
	}
	ag := &agent{Agent: a, guid: s.newGUID(), rowVersion: 1}
	s.agents = append(s.agents, ag)
	return ag.guid, nil
}

// SetGroups sets how the simulator learns a person's directory groups
// (their CNs): the embedded directory, or a real one. Without it nobody
// is in any group.
func (s *Sim) SetGroups(groups func(login string) ([]string, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.memberOf = groups
}

func (s *Sim) groupNamed(name string) *group {
	for _, g := range s.groups {
		if strings.EqualFold(g.name, name) {
			return g
		}
	}
	return nil
}

// agentNamed finds an agent by name or GUID (nil: none).
func (s *Sim) agentNamed(name string) *agent {
	for _, a := range s.agents {
		if strings.EqualFold(a.Name, name) || a.guid == name {
			return a
		}
	}
	return nil
}

// access is AM's rule for p at a: granted, the linked group that grants
// it (or the one whose hours refuse it), and the event of a refusal.
// Caller holds mu.
func (s *Sim) access(p *principal, a *agent, now time.Time) (granted bool, via *group, ev authEvent) {
	if a == nil || !a.Restricted {
		return true, nil, authEvent{}
	}
	var mine []string
	if s.memberOf != nil {
		var err error
		if mine, err = s.memberOf(p.login); err != nil {
			return false, nil, evDirectoryDown
		}
	}
	var outside *group
	for _, name := range a.Groups {
		g := s.groupNamed(name)
		if g == nil || !slices.ContainsFunc(mine, func(m string) bool { return strings.EqualFold(m, g.name) }) {
			continue
		}
		if g.hours.allows(now.In(time.Local)) {
			return true, g, authEvent{}
		}
		outside = g
	}
	if outside != nil {
		return false, outside, evOutsideHours
	}
	return false, nil, evAgentDenied
}

// Access refusals at a restricted agent (the keys and texts are the
// simulator's [proposal]; AM records them with the agent's name).
var (
	evAgentDenied   = authEvent{"AGENT_ACCESS_DENIED", "Access denied: the user is not in a group with access to this restricted agent", amproto.ResultFailure}
	evOutsideHours  = authEvent{"ACCESS_TIME_DENIED", "Access denied: outside the access times of the user's group at this agent", amproto.ResultFailure}
	evDirectoryDown = authEvent{"IDENTITY_SOURCE_UNREACHABLE", "Access denied: the identity source could not be read for the user's groups", amproto.ResultFailure}
)

func (s *Sim) listAgentDTO(name string, q soapenc.QName, a *agent) *soapenc.Value {
	return obj(name, q, soapenc.Str("guid", a.guid), soapenc.Str("name", a.Name), soapenc.Int("agentType", a.Type),
		soapenc.Bool("restriction", a.Restricted), soapenc.Bool("enabled", true), soapenc.OptStr("primaryAddress", a.Address),
		soapenc.Str("securityDomainId", s.domain.guid), soapenc.Str("securityDomainName", s.domain.name),
		soapenc.Long("rowVersion", int64(a.rowVersion)))
}

func (s *Sim) groupDTO(g *group) *soapenc.Value {
	src := ""
	for _, is := range s.sources {
		if !is.internal {
			src = is.guid
			break
		}
	}
	return obj("item", amproto.GroupDTO, soapenc.Str("guid", g.guid), soapenc.Str("name", g.name),
		soapenc.OptStr("identitySourceGuid", src), soapenc.Str("securityDomainGuid", s.domain.guid), soapenc.Long("rowVersion", 1))
}

// searchAgents is SearchAgentsCommand: every agent (the simulator takes no
// filter but the empty one), at most limit.
func (s *Sim) searchAgents(in *soapenc.Value) (*soapenc.Value, *simFault) {
	if _, _, _, filtered := filterValue(in.Field("filter")); filtered {
		return nil, badArg("agent search filters are not supported by the simulator (send an empty filter)")
	}
	limit, _ := in.Int("limit")
	var items []*soapenc.Value
	for _, a := range s.agents {
		if limit > 0 && len(items) == limit {
			break
		}
		items = append(items, s.listAgentDTO("item", amproto.ListAgentDTO, a))
	}
	return reply(in, soapenc.ObjArray("agents", amproto.ListAgentDTO, items...)), nil
}

func (s *Sim) agentByGUID(guid string) (*agent, *simFault) {
	for _, a := range s.agents {
		if a.guid == guid {
			return a, nil
		}
	}
	return nil, notFound("AGENT_NOT_FOUND", "Agent %s not found", guid)
}

func (s *Sim) lookupAgent(in *soapenc.Value) (*soapenc.Value, *simFault) {
	a, f := s.agentByGUID(in.Str("guid"))
	if f != nil {
		return nil, f
	}
	return reply(in, s.listAgentDTO("agent", amproto.AgentDTO, a)), nil
}

func (s *Sim) listGroupsByAgent(in *soapenc.Value) (*soapenc.Value, *simFault) {
	a, f := s.agentByGUID(in.Str("agentId"))
	if f != nil {
		return nil, f
	}
	var items []*soapenc.Value
	for _, name := range a.Groups {
		if g := s.groupNamed(name); g != nil {
			items = append(items, s.groupDTO(g))
		}
	}
	return reply(in, soapenc.ObjArray("groups", amproto.GroupDTO, items...)), nil
}

// searchAccessibleAgentsForPrincipal lists the agents the principal may
// use: the unrestricted ones, and the restricted ones linked to a group
// of theirs (whatever the time).
func (s *Sim) searchAccessibleAgentsForPrincipal(in *soapenc.Value) (*soapenc.Value, *simFault) {
	guid := in.Str("principalGUID")
	p := s.princ[guid]
	if p == nil {
		return nil, notFound("PRINCIPAL_NOT_FOUND", "Principal %s not found", guid)
	}
	var items []*soapenc.Value
	for _, a := range s.agents {
		granted, _, ev := s.access(p, a, s.opt.Now())
		if granted || ev == evOutsideHours {
			items = append(items, s.listAgentDTO("item", amproto.ListAgentDTO, a))
		}
	}
	return reply(in, soapenc.ObjArray("agents", amproto.ListAgentDTO, items...)), nil
}

func (s *Sim) getTimeRestrictedAccess(in *soapenc.Value) (*soapenc.Value, *simFault) {
	gid := in.Str("groupId")
	for _, g := range s.groups {
		if g.guid == gid {
			return reply(in, obj("timeRestrictedAccessDTO", amproto.TimeRestrictedAccessDTO, soapenc.Str("groupId", g.guid),
				soapenc.OptStr("accessHours", g.hours.text), soapenc.Str("timeZoneId", time.Local.String()), soapenc.Long("rowVersion", 1))), nil
		}
	}
	return nil, notFound("GROUP_NOT_FOUND", "Group %s not found", gid)
}

// testAccessInfo is TestAccessInfoCommand: may userId authenticate at
// agentName now, through which group, when, and offline.
func (s *Sim) testAccessInfo(in *soapenc.Value) (*soapenc.Value, *simFault) {
	login, name := in.Str("userId"), in.Str("agentName")
	p := s.principalByLogin(login, "")
	if p == nil {
		return nil, notFound("PRINCIPAL_NOT_FOUND", "User %s not found", login)
	}
	a := s.agentNamed(name)
	if a == nil {
		return nil, notFound("AGENT_NOT_FOUND", "Agent %s not found", name)
	}
	granted, g, _ := s.access(p, a, s.opt.Now())
	fields := []*soapenc.Value{soapenc.Bool("accessGranted", granted), soapenc.Str("agentName", a.Name), soapenc.Str("userId", p.login),
		soapenc.OptStr("firstName", p.first), soapenc.OptStr("lastName", p.last), soapenc.OptStr("primaryIp", a.Address),
		soapenc.Int("numOfflineDays", a.OfflineDays), soapenc.Bool("oadAllowed", a.OfflineDays > 0),
		soapenc.Bool("oeapAllowed", a.OfflineEAPasscode), soapenc.Bool("oeatAllowed", a.OfflineEATokencode),
		soapenc.Bool("winLoginAllowed", a.OfflineDays > 0)}
	if g != nil {
		fields = append(fields, soapenc.Str("groupName", g.name), soapenc.OptStr("accessHours", g.hours.text))
	}
	return reply(in, obj("infoDto", amproto.TestAccessInfoDto, fields...)), nil
}
