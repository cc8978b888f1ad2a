package amsim

import (
	"crypto/sha256"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amtypes"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// The runtime side of AM: a person's passcode checked through LoginCommand
// with the SecurID_Native method (rsa-am-api.md §5.1, as SailPoint's MFA
// library does it), with AM's rules around it — bad passcodes count up,
// lead to next-tokencode mode and then to a lockout; a tokencode is good
// once; a cleared PIN or new-PIN mode asks for a PIN; emergency codes work
// per eaMode and, when the token itself is used, lostMode decides; a
// replacement's first use retires the old token. Every attempt is recorded
// for the activity monitor (ActivityMonitorCommand, logType 1).
//
// Like AM, the reply to a refused passcode only says "access denied": why
// is in the activity record, where an administrator reads it.

// The demo's policies. AM's are configurable and its defaults are not in
// the sources [proposal].
const (
	badCodesForNextMode = 2 // token policy "incorrect passcodes": after 2, the next tokencode is asked for
	lockoutAfter        = 3 // lockout policy: 3 failed passcodes lock the person
	codeWindow          = 1 // intervals either side of AM's clock a tokencode is accepted in
	// logonIdle is how long an unfinished logon lasts [confirmed: S-doc-session, 3 min idle].
	logonIdle = 3 * time.Minute
)

// Runtime events: a result key and AM's wording (helpdesk-ops §9 lists the
// 8.1 event names; the keys and exact texts are the simulator's [proposal]).
type authEvent struct {
	key, text string
	result    int
}

var (
	evAccepted     = authEvent{"PASSCODE_ACCEPTED", "Passcode accepted", amproto.ResultSuccess}
	evEACode       = authEvent{"EMERGENCY_CODE_ACCEPTED", "Passcode accepted with an emergency access tokencode", amproto.ResultSuccess}
	evBadPasscode  = authEvent{"BAD_PASSCODE", "Access denied: bad passcode", amproto.ResultFailure}
	evNextMode     = authEvent{"NEXT_TOKENCODE_MODE", "Activated next tokencode mode for token", amproto.ResultWarning}
	evNextAsked    = authEvent{"NEXT_TOKENCODE_REQUIRED", "Next tokencode required", amproto.ResultWarning}
	evNextBad      = authEvent{"NEXT_TOKENCODE_BAD", "Access denied: next tokencode bad", amproto.ResultFailure}
	evNewPINAsked  = authEvent{"NEW_PIN_REQUIRED", "New PIN required", amproto.ResultWarning}
	evNewPIN       = authEvent{"NEW_PIN_CREATED", "New PIN created by user", amproto.ResultSuccess}
	evBadPIN       = authEvent{"NEW_PIN_REJECTED", "New PIN rejected: it does not meet the PIN policy (4 to 8 digits)", amproto.ResultFailure}
	evLocked       = authEvent{"USER_LOCKED", "Access denied: the user account is locked", amproto.ResultFailure}
	evLockedNow    = authEvent{"USER_LOCKED_OUT", "User locked out after too many failed authentications", amproto.ResultFailure}
	evDisabled     = authEvent{"TOKEN_DISABLED", "Access denied: the token is disabled", amproto.ResultFailure}
	evExpired      = authEvent{"TOKEN_EXPIRED", "Access denied: the token has expired", amproto.ResultFailure}
	evReplayed     = authEvent{"PASSCODE_REUSED", "Access denied: the passcode was used before", amproto.ResultFailure}
	evDeniedInEA   = authEvent{"TOKEN_DENIED_IN_EMERGENCY_ACCESS", "Access denied: the token may not be used while emergency access is on", amproto.ResultFailure}
	evEAEnded      = authEvent{"EMERGENCY_ACCESS_ENDED", "Emergency access ended: the token was used", amproto.ResultWarning}
	evReplaced     = authEvent{"TOKEN_REPLACED", "Token replaced, original token unassigned", amproto.ResultSuccess}
	evNoUser       = authEvent{"PRINCIPAL_NOT_FOUND", "User not found", amproto.ResultFailure}
	evNoToken      = authEvent{"NO_TOKEN", "Access denied: no token is assigned", amproto.ResultFailure}
	evLogonExpired = authEvent{"LOGON_EXPIRED", "Access denied: the logon took too long", amproto.ResultFailure}
)

// runtimeEvents are the events by key (SeedActivity takes them by key).
var runtimeEvents = func() map[string]authEvent {
	m := map[string]authEvent{}
	for _, ev := range []authEvent{evAccepted, evEACode, evBadPasscode, evNextMode, evNextAsked, evNextBad, evNewPINAsked, evNewPIN,
		evBadPIN, evLocked, evLockedNow, evDisabled, evExpired, evReplayed, evDeniedInEA, evEAEnded, evReplaced, evNoUser, evNoToken, evLogonExpired,
		evAgentDenied, evOutsideHours, evDirectoryDown} {
		m[ev.key] = ev
	}
	return m
}()

// logon is an authentication waiting for its next step.
type logon struct {
	principal, token string // GUIDs
	await            string // the prompt asked for
	agent            string
	last             time.Time
}

// authRecord is one runtime event of the activity monitor.
type authRecord struct {
	at           time.Time
	guid         string
	login, first string
	last, source string
	agent        string
	client       string // the address the person came from ("" over the admin API)
	token        string // serial
	ev           authEvent
}

// record appends an event. Times only ever grow, by a millisecond at
// least: a poller asks for what came after the last time it saw, and
// under a test's frozen clock two events would otherwise share one.
// Caller holds mu.
func (s *Sim) record(p *principal, t *token, agent string, ev authEvent) {
	var last time.Time
	if n := len(s.authLog); n > 0 {
		last = s.authLog[n-1].at
	}
	at := s.logTime(last)
	r := authRecord{at: at, guid: s.newGUID(), agent: agent, client: s.client, ev: ev}
	if t != nil {
		r.token = t.serial
	}
	s.authLog = append(s.authLog, s.naming(r, p))
}

// logTime is a new record's time in a log whose newest is last: now, at
// the millisecond (AM keeps no finer), and after last by a millisecond at
// least (see record). Caller holds mu.
func (s *Sim) logTime(last time.Time) time.Time {
	at := s.opt.Now().UTC().Truncate(time.Millisecond)
	if !at.After(last) {
		at = last.Add(time.Millisecond)
	}
	return at
}

// naming puts the person's names on a record (p nil: none known).
func (s *Sim) naming(r authRecord, p *principal) authRecord {
	if p != nil {
		r.login, r.first, r.last = p.login, p.first, p.last
		if is := s.source(p.source); is != nil {
			r.source = is.name
		}
	}
	return r
}

// passcodeLogin is LoginCommand with SecurID_Native: the first step
// (principal and passcode) or an answer to a prompt of a logon under way.
func (s *Sim) passcodeLogin(in *soapenc.Value) (*soapenc.Value, *simFault) {
	answers := map[string]string{}
	for _, p := range in.Field("parameters").Items() {
		answers[p.Str("promptKey")] = p.Str("value")
	}
	agent := in.Str("agentId")
	if agent == "" {
		agent = "Authentication Manager"
	}
	now := s.opt.Now()
	if sid := in.Str("sessionId"); in.Str("authenticationState") == amproto.StateInProgress && sid != "" {
		l := s.logons[sid]
		if l == nil {
			return s.denied(in), nil
		}
		if now.Sub(l.last) > logonIdle {
			delete(s.logons, sid)
			s.record(s.princ[l.principal], s.tokens[l.token], l.agent, evLogonExpired)
			return s.denied(in), nil
		}
		return s.nextStep(in, sid, l, answers), nil
	}
	login, passcode := answers[amproto.PromptPrincipalID], answers[amproto.PromptPasscode]
	p := s.principalByLogin(login, in.Str("identitySourceGuid"))
	if p == nil {
		s.record(&principal{login: login}, nil, agent, evNoUser)
		return s.denied(in), nil
	}
	if p.locked && !p.lockoutExpire.IsZero() && !now.Before(p.lockoutExpire) {
		p.locked, p.lockoutExpire, p.failedCount = false, time.Time{}, 0 // the lockout ran out
	}
	if p.locked {
		s.record(p, nil, agent, evLocked)
		return s.denied(in), nil
	}
	// a restricted agent lets in its groups' members, within their hours
	// (before the passcode: a refusal here counts no bad passcode)
	a := s.agentNamed(agent)
	if a != nil {
		agent = a.Name
	}
	if ok, _, ev := s.access(p, a, now); !ok {
		s.record(p, nil, agent, ev)
		return s.denied(in), nil
	}
	toks := s.tokensOf(p.guid)
	if len(toks) == 0 {
		s.record(p, nil, agent, evNoToken)
		return s.denied(in), nil
	}
	for _, t := range toks {
		kind, step := s.match(t, passcode, now)
		if kind == matchNone {
			continue
		}
		switch {
		case !t.enabled:
			s.record(p, t, agent, evDisabled)
			return s.denied(in), nil
		case !t.expires.IsZero() && !now.Before(t.expires):
			s.record(p, t, agent, evExpired)
			return s.denied(in), nil
		case kind == matchEmergency:
			t.ea.lastEAAuth = now
			if t.ea.mode == amproto.EAModeTemporaryFixedCode {
				t.ea.lastTFTAuth = now
			}
			return s.success(in, p, t, agent, evEACode), nil
		case step <= t.lastStep:
			s.failed(p, nil, agent, evReplayed)
			return s.denied(in), nil
		}
		if eaActive(t, now) {
			switch t.ea.lostMode {
			case amproto.DisableEAOnExpire:
				s.record(p, t, agent, evDeniedInEA)
				return s.denied(in), nil
			case amproto.DisableEAOnAuth:
				t.ea = eaState{}
				t.rowVersion++
				s.record(p, t, agent, evEAEnded)
			}
		}
		t.lastStep = step
		l := &logon{principal: p.guid, token: t.guid, agent: agent, last: now}
		switch {
		case !t.pinSet:
			l.await = amproto.PromptNewPIN
			s.record(p, t, agent, evNewPINAsked)
		case t.nextTokencodeMode:
			l.await = amproto.PromptNextTokencode
			s.record(p, t, agent, evNextAsked)
		case t.newPinMode:
			l.await = amproto.PromptNewPIN
			s.record(p, t, agent, evNewPINAsked)
		default:
			return s.success(in, p, t, agent, evAccepted), nil
		}
		return s.prompt(in, l), nil
	}
	s.failed(p, toks, agent, evBadPasscode)
	return s.denied(in), nil
}

// nextStep takes the answer to a logon's prompt.
func (s *Sim) nextStep(in *soapenc.Value, sid string, l *logon, answers map[string]string) *soapenc.Value {
	p, t := s.princ[l.principal], s.tokens[l.token]
	delete(s.logons, sid)
	if p == nil || t == nil {
		return s.denied(in)
	}
	now := s.opt.Now()
	switch l.await {
	case amproto.PromptNextTokencode:
		code := answers[amproto.PromptNextTokencode]
		if n, ok := s.findCode(t, code, now); ok && n > t.lastStep {
			t.lastStep, t.nextTokencodeMode, t.badCodeCount = n, false, 0
			t.rowVersion++
			return s.success(in, p, t, l.agent, evAccepted)
		}
		// one try: a wrong next tokencode locks the person [confirmed: S-doc-incorrect]
		s.record(p, t, l.agent, evNextBad)
		p.locked, p.failedCount = true, max(p.failedCount, lockoutAfter)
		p.rowVersion++
		s.record(p, t, l.agent, evLockedNow)
		return s.denied(in)
	case amproto.PromptNewPIN:
		pin := answers[amproto.PromptNewPIN]
		if len(pin) < 4 || len(pin) > 8 || strings.Trim(pin, "0123456789") != "" {
			s.record(p, t, l.agent, evBadPIN)
			l.last = now
			return s.prompt(in, l) // asked again
		}
		t.pin, t.pinSet, t.newPinMode, t.pinModified = pin, true, false, now
		t.rowVersion++
		s.record(p, t, l.agent, evNewPIN)
		l.await, l.last = amproto.PromptPasscode, now // the new PIN and the next tokencode
		return s.prompt(in, l)
	case amproto.PromptPasscode:
		if kind, n := s.match(t, answers[amproto.PromptPasscode], now); kind == matchToken && n > t.lastStep {
			t.lastStep = n
			return s.success(in, p, t, l.agent, evAccepted)
		}
		s.failed(p, []*token{t}, l.agent, evBadPasscode)
		return s.denied(in)
	}
	return s.denied(in)
}

// failed records a refused passcode as ev and counts it: on the token it
// was most likely meant for (the first enabled one), which enters
// next-tokencode mode after badCodesForNextMode, and on the person, who is
// locked out after lockoutAfter. toks nil: the person only (a replayed
// code).
func (s *Sim) failed(p *principal, toks []*token, agent string, ev authEvent) {
	var t *token
	for _, c := range toks {
		if c.enabled {
			t = c
			break
		}
	}
	s.record(p, t, agent, ev)
	if t != nil {
		t.badCodeCount++
		t.rowVersion++
		if t.badCodeCount >= badCodesForNextMode && !t.nextTokencodeMode {
			t.nextTokencodeMode = true
			s.record(p, t, agent, evNextMode)
		}
	}
	p.failedCount++
	p.rowVersion++
	if p.failedCount >= lockoutAfter {
		p.locked = true
		s.record(p, t, agent, evLockedNow)
	}
}

// success ends an authentication: the counts go, the login is noted, a
// replacement's first use retires the old token, and the person gets a
// session of their own (never an admin session).
func (s *Sim) success(in *soapenc.Value, p *principal, t *token, agent string, ev authEvent) *soapenc.Value {
	now := s.opt.Now()
	t.badCodeCount, t.lastLogin = 0, now
	t.rowVersion++
	p.failedCount, p.lastLogin = 0, now
	p.rowVersion++
	if t.replacementMode == 2 {
		if old := s.bySerial[t.replaceSerial]; old != nil && old.replacementMode == 1 {
			old.principal, old.replacementMode, old.replaceSerial, old.ea = "", 3, t.serial, eaState{}
			old.rowVersion++
			s.record(p, old, agent, evReplaced)
		}
		t.replacementMode, t.replaceSerial = 0, ""
	}
	s.record(p, t, agent, ev)
	sid := s.newGUID()
	s.userSessions[sid] = true
	return reply(in, soapenc.Nil("parameters"), soapenc.Nil("hiddenParameters"),
		soapenc.Str("authenticationState", amproto.StateAuthenticated), soapenc.Str("sessionId", sid),
		soapenc.Str("principalGuid", p.guid), soapenc.Nil("message"))
}

// denied is AM's answer to a refused passcode: access denied, no reason.
func (s *Sim) denied(in *soapenc.Value) *soapenc.Value {
	return reply(in, soapenc.Nil("parameters"), soapenc.Nil("hiddenParameters"),
		soapenc.Str("authenticationState", amproto.StateFailed), soapenc.Nil("sessionId"),
		obj("message", amproto.MessageDTO, soapenc.Str("key", amproto.KeyAccessDenied), soapenc.Int("reasonCode", 0)))
}

// prompt asks for the next step of l, which waits under a new logon id.
func (s *Sim) prompt(in *soapenc.Value, l *logon) *soapenc.Value {
	sid := s.newGUID()
	s.logons[sid] = l
	field := obj("item", amproto.FieldParameterDTO, soapenc.Str("promptKey", l.await),
		soapenc.Bool("editable", true), soapenc.Bool("masked", true))
	return reply(in, soapenc.ObjArray("parameters", amproto.AbstractParameterDTO, field), soapenc.Nil("hiddenParameters"),
		soapenc.Str("authenticationState", amproto.StateInProgress), soapenc.Str("sessionId", sid), soapenc.Nil("message"))
}

type matchKind int

const (
	matchNone matchKind = iota
	matchToken
	matchEmergency
)

// match says whether passcode is t's: PIN + tokencode (the tokencode alone
// when the PIN was cleared), or PIN + an emergency code while emergency
// access is on. step is the tokencode's interval.
func (s *Sim) match(t *token, passcode string, now time.Time) (matchKind, int64) {
	code, ok := passcode, true
	if t.pinSet && t.pinMode != amproto.PINUseTokencode { // a PINless token takes the tokencode alone
		code, ok = strings.CutPrefix(passcode, t.pin)
		ok = ok && t.pin != ""
	}
	if !ok || code == "" {
		return matchNone, 0
	}
	if eaActive(t, now) {
		switch t.ea.mode {
		case amproto.EAModeTemporaryFixedCode:
			if t.ea.tft != "" && strings.EqualFold(code, t.ea.tft) && (t.ea.tftExpiration.IsZero() || now.Before(t.ea.tftExpiration)) {
				return matchEmergency, 0
			}
		case amproto.EAModeOneTimeCodeSet:
			for i, c := range t.ea.otts {
				if strings.EqualFold(code, c) {
					t.ea.otts = append(t.ea.otts[:i:i], t.ea.otts[i+1:]...) // used once
					t.rowVersion++
					return matchEmergency, 0
				}
			}
		}
	}
	if n, ok := s.findCode(t, code, now); ok {
		return matchToken, n
	}
	return matchNone, 0
}

// findCode finds code among t's tokencodes around AM's clock (with the
// token's drift as learnt by a resync).
func (s *Sim) findCode(t *token, code string, now time.Time) (int64, bool) {
	base := t.intervalAt(now) + t.drift
	for n := base - codeWindow; n <= base+codeWindow; n++ {
		if s.code(t, n) == code {
			return n, true
		}
	}
	return 0, false
}

func eaActive(t *token, now time.Time) bool {
	return t.ea.mode != amproto.EAModeNone && (t.ea.expiration.IsZero() || now.Before(t.ea.expiration))
}

// principalByLogin finds a person by login, in source when given.
func (s *Sim) principalByLogin(login, source string) *principal {
	for _, p := range s.princ {
		if strings.EqualFold(p.login, login) && (source == "" || p.source == source) {
			return p
		}
	}
	return nil
}

// tokensOf is a principal's tokens by serial.
func (s *Sim) tokensOf(guid string) []*token {
	var out []*token
	for _, t := range s.tokens {
		if t.principal == guid {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].serial < out[j].serial })
	return out
}

// activityMonitor is ActivityMonitorCommand (helpdesk-ops §9): the records
// of logType after lastLogTime (UTC, "yyyy-MM-dd HH:mm:ss.SSS", trailing
// zero milliseconds may be dropped), oldest first, at most maxFetchSize,
// narrowed by the filter's Equal conditions (FIELD_USER, ACTION_RESULT).
// The runtime log and the administration log (logType 0) are kept; the
// others are empty.
func (s *Sim) activityMonitor(in *soapenc.Value) (*soapenc.Value, *simFault) {
	logType, err := in.Int("logType")
	if err != nil {
		return nil, badArg("logType: %v", err)
	}
	var since time.Time
	if v := in.Str("lastLogTime"); v != "" {
		var ok bool
		if since, ok = amproto.ParseActivityTime(v); !ok {
			return nil, badArg("lastLogTime %q is not a time of the form yyyy-MM-dd HH:mm:ss.SSS", v)
		}
	}
	limit, _ := in.Int("maxFetchSize")
	if limit <= 0 {
		limit = amproto.ActivityFetchBlock
	}
	want := map[string]map[string]bool{}
	equalities(in.Field("filter"), want)
	allows := func(attr, v string) bool {
		set, ok := want[attr]
		return !ok || set[strings.ToLower(v)]
	}
	var items []*soapenc.Value
	if logType == amproto.LogTypeAdmin {
		// FIELD_USER names the person a change affected [proposal]
		for _, r := range s.adminLog {
			if len(items) == limit {
				break
			}
			if !r.at.After(since) || !allows(amproto.FieldUser, r.login) {
				continue
			}
			items = append(items, s.adminDTO(r))
		}
	}
	if logType == amproto.LogTypeRuntime {
		// the log is in time order: start after since (a busy AM's log is long)
		from := sort.Search(len(s.authLog), func(i int) bool { return s.authLog[i].at.After(since) })
		for _, r := range s.authLog[from:] {
			if len(items) == limit {
				break
			}
			if !r.at.After(since) || !allows(amproto.FieldUser, r.login) || !allows(amproto.FieldActionResult, strconv.Itoa(r.ev.result)) {
				continue
			}
			items = append(items, s.activityDTO(r))
		}
	}
	return reply(in, soapenc.ObjArray("messageDTO", amproto.ActivityRecordDTO, items...)), nil
}

// equalities collects the Equal leaves of a filter, through And and Or:
// the values an attribute may have (an Or of one attribute's equalities
// allows any of them; an And of different attributes needs each).
func equalities(f *soapenc.Value, into map[string]map[string]bool) {
	if f.IsNil() {
		return
	}
	if f.Type == amproto.FilterType {
		f = f.Field("comp")
	}
	switch {
	case f.IsNil():
	case f.Type == amproto.AndFilter || f.Type == amproto.OrFilter:
		equalities(f.Field("lhs"), into)
		equalities(f.Field("rhs"), into)
	case f.Type == amproto.SimpleFilter && f.Field("type").Type == amproto.EqualType:
		attr := f.Str("attr")
		if into[attr] == nil {
			into[attr] = map[string]bool{}
		}
		into[attr][strings.ToLower(f.Str("value"))] = true
	}
}

// activityDTO is a record as AM sends it: every member a LabelValueBean,
// the unused ones labelled "N/A" [confirmed: S-trivir-test].
func (s *Sim) activityDTO(r authRecord) *soapenc.Value {
	result := map[int]string{amproto.ResultSuccess: "Success", amproto.ResultWarning: "Warning", amproto.ResultFailure: "Failure"}[r.ev.result]
	set := []*soapenc.Value{
		lv("utcDateTime", "UTC Date/Time", r.at.Format(amproto.ActivityTimeLayout)),
		lv("localDateTime", "Local Date/Time", r.at.In(time.Local).Format(amproto.ActivityTimeLayout)),
		soapenc.Time("utcDateTimestamp", r.at),
		lv("userId", "User ID", r.login), lv("actorId", "User ID", r.login),
		lv("actorFName", "First Name", r.first), lv("actorLName", "Last Name", r.last),
		lv("actorIdSrcName", "Identity Source", r.source), lv("actorSecDomName", "Security Domain", s.domain.name),
		lv("agentName", "Agent", r.agent), lv("token", "Token Serial Number", r.token), lv("clientIp", "Client IP", r.client),
		lv("authMethodName", "Authentication Method", "SecurID_Native"),
		lv("activity", "Activity", "Authentication"), lv("actionKey", "Action", "Principal authentication"),
		lv("actionResult", "Result", result), lv("resultKey", "Result Key", r.ev.key),
		lv("resultMesg", "Reason", r.ev.text), lv("message", "Message", r.ev.text),
		lv("guid", "ID", r.guid), lv("serverNodeIp", "Server Node IP", "127.0.0.1"),
	}
	return activityRecord(set)
}

// lv is one member of an activity record: a LabelValueBean.
func lv(name, label, value string) *soapenc.Value {
	return obj(name, amproto.LabelValueBean, soapenc.Str("label", label), soapenc.Str("value", value))
}

// activityRecord is an ActivityRecordDTO of the members set, every other
// LabelValueBean member labelled "N/A", as AM sends them.
func activityRecord(set []*soapenc.Value) *soapenc.Value {
	given := map[string]bool{}
	for _, v := range set {
		given[v.Name] = true
	}
	for _, m := range amtypes.AllMembers(amtypes.Lookup(amproto.ActivityRecordDTO)) {
		if !given[m.Name] && m.Type.Name == amproto.LabelValueBean && m.Type.Dims == 0 {
			set = append(set, obj(m.Name, amproto.LabelValueBean, soapenc.Str("label", "N/A")))
		}
	}
	return obj("item", amproto.ActivityRecordDTO, set...)
}

// Authenticate is a person logging in at an agent, in-process: the demo's
// traffic. It is the LoginCommand a SecurID agent's check comes down to,
// run through the same rules and recorded with the agent and the client's
// address; a step AM would prompt for is left unanswered (the person gave
// up). It returns the authentication state.
func (s *Sim) Authenticate(login, passcode, agent, clientIP string) string {
	in := obj("in1", amproto.LoginCommand, soapenc.Str("agentId", agent),
		soapenc.Str("authenticationMethodId", amproto.MethodSecurID), soapenc.Str("authenticationState", amproto.StateInitial),
		soapenc.ObjArray("parameters", amproto.AbstractParameterDTO,
			obj("item", amproto.FieldParameterDTO, soapenc.Str("promptKey", amproto.PromptPrincipalID), soapenc.Str("value", login)),
			obj("item", amproto.FieldParameterDTO, soapenc.Str("promptKey", amproto.PromptPasscode), soapenc.Str("value", passcode))))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.client = clientIP
	defer func() { s.client = "" }()
	out, f := s.passcodeLogin(in)
	if f != nil {
		return amproto.StateFailed
	}
	state, sid := out.Str("authenticationState"), out.Str("sessionId")
	delete(s.logons, sid) // an unanswered prompt, or the person's own session
	delete(s.userSessions, sid)
	return state
}

// RecordLogins adds n accepted authentications now, of the people pick
// names (login, agent, client address): load on the activity monitor, as
// a busy AM's agents make it. No passcode is checked — each person's
// tokencode is good once a minute, and a site's rate of hundreds a second
// comes from thousands of people; what is measured is what the monitor
// holds and serves. The principal's and token's last login move on.
func (s *Sim) RecordLogins(n int, pick func(i int) (login, agent, client string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	for i := range n {
		login, agent, client := pick(i)
		p := s.principalByLogin(login, "")
		if p == nil {
			continue
		}
		toks := s.tokensOf(p.guid)
		if len(toks) == 0 {
			continue
		}
		t := toks[0]
		t.lastLogin, p.lastLogin = now, now
		s.client = client
		s.record(p, t, agent, evAccepted)
	}
	s.client = ""
}

// Activity is a record for SeedActivity: what the demo's data set says
// happened before the simulator started.
type Activity struct {
	At            time.Time
	Login, Serial string
	Agent, Client string
	Key           string // one of the runtime events' keys (BAD_PASSCODE, USER_LOCKED_OUT, …)
}

// SeedActivity adds past records to the activity monitor, oldest first,
// before anything happens at runtime.
func (s *Sim) SeedActivity(recs ...Activity) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range recs {
		ev, ok := runtimeEvents[r.Key]
		if !ok {
			return fmt.Errorf("amsim: no runtime event %q", r.Key)
		}
		at := r.At.UTC().Truncate(time.Millisecond)
		same := 0 // records at the same millisecond before it (AM has many)
		for n := len(s.authLog) - 1; n >= 0 && s.authLog[n].at.Equal(at); n-- {
			same++
		}
		if n := len(s.authLog); n > 0 && at.Before(s.authLog[n-1].at) {
			return fmt.Errorf("amsim: activity at %s is before the last record (%s): seed it oldest first", r.At, s.authLog[n-1].at)
		}
		// the GUID from the record itself, not the simulator's sequence: a
		// data set's history leaves every other GUID as it was
		id := fmt.Sprintf("activity/%d/%s/%s/%s", r.At.UnixNano(), r.Login, r.Serial, r.Key)
		if same > 0 {
			id += fmt.Sprintf("/%d", same)
		}
		sum := sha256.Sum256([]byte(id))
		rec := authRecord{at: at, guid: fmt.Sprintf("%x", sum[:16]), agent: r.Agent, client: r.Client,
			token: r.Serial, ev: ev, login: r.Login}
		s.authLog = append(s.authLog, s.naming(rec, s.principalByLogin(r.Login, "")))
	}
	return nil
}
