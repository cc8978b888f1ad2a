package rsa

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/rsa/am"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/authapi"
)

// PasscodeAgent is how rsatui's passcode tests are named in AM's activity
// records (LoginCommand's agentId).
const PasscodeAgent = "rsatui passcode test"

// PasscodeResult is a passcode test's answer in words, with the activity
// record it rests on.
type PasscodeResult struct {
	Accepted bool
	// Reason is AM's result key of the deciding record ("BAD_PASSCODE"),
	// empty when AM recorded none that rsatui could read.
	Reason   string
	Words    string      // "accepted", "refused: wrong passcode …"
	Fix      action.Name // what deals with a refusal (action.None: nothing rsatui does)
	Event    AuthEvent   // the deciding record, when read
	Commands []string
}

// ErrNoAnswer is what a passcode test's prompt returns when there is no
// answer to give (the next tokencode not on standard input): the test
// stops there and says what AM asked for.
var ErrNoAnswer = errors.New("no answer")

// passcodeWords says AM's runtime result keys for the help desk, with what
// fixes them [proposal: the keys are the simulator's; a real AM's unknown
// keys are shown with AM's own message].
var passcodeWords = map[string]struct {
	words string
	fix   action.Name
}{
	"PASSCODE_ACCEPTED":                {"accepted: AM took the passcode", action.None},
	"EMERGENCY_CODE_ACCEPTED":          {"accepted with the emergency access code", action.None},
	"BAD_PASSCODE":                     {"refused: wrong passcode — a mistyped PIN or tokencode, or the token's clock is off (then a resync)", action.None},
	"NEXT_TOKENCODE_BAD":               {"refused: the next tokencode was wrong, and AM has locked the person out", action.Unlock},
	"USER_LOCKED":                      {"refused: AM has locked the person out", action.Unlock},
	"USER_LOCKED_OUT":                  {"refused: too many failed passcodes — AM has locked the person out", action.Unlock},
	"TOKEN_DISABLED":                   {"refused: the token is disabled", action.EnableDisable},
	"TOKEN_EXPIRED":                    {"refused: the token has expired", action.Replace},
	"PASSCODE_REUSED":                  {"refused: that tokencode was used already — wait for the token to show the next one", action.None},
	"TOKEN_DENIED_IN_EMERGENCY_ACCESS": {"refused: the token may not be used while emergency access is on — use the emergency code", action.None},
	"NO_TOKEN":                         {"refused: the person has no token", action.AssignFromPool},
	"PRINCIPAL_NOT_FOUND":              {"refused: AM does not know this login", action.None},
	"NEW_PIN_REQUIRED":                 {"the passcode was right, and AM now asks for a new PIN: the person sets it at their next login", action.None},
	"LOGON_EXPIRED":                    {"refused: the answer came too late; test again", action.TestPasscode},
	"AGENT_ACCESS_DENIED":              {"refused: the agent is restricted and the person is in none of its groups", action.None},
	"ACCESS_TIME_DENIED":               {"refused: outside the access times of the person's group at this agent", action.None},
	"IDENTITY_SOURCE_UNREACHABLE":      {"refused: AM could not read the person's groups from the directory", action.None},
}

// PasscodePolicy checks a passcode as typed, before AM is asked: PIN +
// tokencode (or an emergency code), letters and digits.
func PasscodePolicy(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%w: give the passcode: PIN + the tokencode shown now (or PIN + emergency code)", ErrInvalidInput)
	case strings.IndexFunc(p, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsLetter(r) && !unicode.IsDigit(r) }) >= 0:
		return fmt.Errorf("%w: a passcode is letters and digits only, no spaces", ErrInvalidInput)
	case len(p) < 6 || len(p) > 24:
		return fmt.Errorf("%w: a passcode has 6 to 24 characters (this one has %d)", ErrInvalidInput, len(p))
	}
	return nil
}

// TestPasscode checks a person's passcode through AM as their login
// would: LoginCommand with SecurID_Native; when AM asks for the next
// tokencode, next is asked for it (nil, or ErrNoAnswer from it: the test
// stops there); when it
// asks for a new PIN, the test stops — the person sets their PIN
// themselves. Then AM's activity record of the attempt says why, in words.
// The codes are secrets: never logged, audited or shown. A test counts
// like a login: wrong passcodes count toward AM's lockout, which is why it
// is a permission and audited.
func (o *Ops) TestPasscode(ctx context.Context, login string, passcode Secret, next func(ctx context.Context, prompt string) (Secret, error)) (PasscodeResult, error) {
	return o.TestPasscodeAt(ctx, login, "", passcode, next)
}

// Door is the way a passcode test reaches AM.
type Door string

// The doors.
const (
	// DoorAdmin is the admin API's LoginCommand (SecurID_Native).
	DoorAdmin Door = "admin"
	// DoorAuthAPI is the Authentication API (REST), as its configured
	// agent: what agents and identity products use.
	DoorAuthAPI Door = "authapi"
)

// TestPasscodeVia is TestPasscodeAt through door. The Authentication API
// tests as the agent it is configured with (agent must be "" or that one).
func (o *Ops) TestPasscodeVia(ctx context.Context, door Door, login, agent string, passcode Secret, next func(ctx context.Context, prompt string) (Secret, error)) (PasscodeResult, error) {
	switch door {
	case DoorAdmin, "":
		return o.TestPasscodeAt(ctx, login, agent, passcode, next)
	case DoorAuthAPI:
	default:
		return PasscodeResult{}, fmt.Errorf("%w: no door %q: admin (LoginCommand) or authapi (the Authentication API)", ErrInvalidInput, door)
	}
	if o.AuthAPI == nil {
		return PasscodeResult{}, fmt.Errorf("%w: the Authentication API is not configured ([authapi] url, client_key_file, agent)", ErrInvalidInput)
	}
	if agent != "" && !strings.EqualFold(agent, o.AuthAPI.Agent()) {
		return PasscodeResult{}, fmt.Errorf("%w: the Authentication API tests as its configured agent, %s, not %s (change [authapi] agent)", ErrInvalidInput, o.AuthAPI.Agent(), agent)
	}
	ctx = am.WithQueue(ctx, o.queue)
	ctx = o.intend(ctx, "auth.test", "user "+login, map[string]string{"agent": o.AuthAPI.Agent(), "via": "authapi"})
	res, err := o.testPasscodeVia(ctx, DoorAuthAPI, login, o.AuthAPI.Agent(), passcode, next)
	return res, o.recordTest(ctx, res, err)
}

// TestPasscodeAt is TestPasscode as the agent named agent ("" : rsatui's
// own, PasscodeAgent): its access rules apply (a restricted agent refuses
// a person outside its groups) and AM's record names it.
func (o *Ops) TestPasscodeAt(ctx context.Context, login, agent string, passcode Secret, next func(ctx context.Context, prompt string) (Secret, error)) (PasscodeResult, error) {
	ctx = am.WithQueue(ctx, o.queue)
	var params map[string]string
	if agent != "" {
		params = map[string]string{"agent": agent}
	}
	ctx = o.intend(ctx, "auth.test", "user "+login, params)
	res, err := o.testPasscodeVia(ctx, DoorAdmin, login, agent, passcode, next)
	return res, o.recordTest(ctx, res, err)
}

// recordTest records a passcode test's outcome: whether AM accepted it
// (a passcode check of the caller, verify.Passcode, is proven by it).
func (o *Ops) recordTest(ctx context.Context, res PasscodeResult, err error) error {
	note := res.Words
	if err == nil && !res.Accepted {
		note = "AM refused the passcode: " + res.Words
	}
	if err == nil {
		o.tag(ctx, "accepted", fmt.Sprint(res.Accepted))
	}
	return o.record(ctx, res.Commands, note, err)
}

func (o *Ops) testPasscodeVia(ctx context.Context, door Door, login, agent string, passcode Secret, next func(ctx context.Context, prompt string) (Secret, error)) (PasscodeResult, error) {
	var res PasscodeResult
	if agent == "" {
		agent = PasscodeAgent
	}
	if err := o.Permits(PermAuthTest); err != nil {
		return res, err
	}
	if strings.TrimSpace(login) == "" {
		return res, fmt.Errorf("%w: give the person's login", ErrInvalidInput)
	}
	if err := PasscodePolicy(passcode.Reveal()); err != nil {
		return res, err
	}
	// somebody AM does not know is said as such (ErrNotInAM, as every
	// verb says it), and no login is sent for them
	if _, err := o.Principal(ctx, login); err != nil {
		return res, err
	}
	if err := o.announce(ctx); err != nil {
		return res, err
	}
	// what AM recorded just before: the attempt's own record is the one
	// after it (another test of the same person a moment ago is not)
	mark := o.Now().Add(-time.Second)
	res.Commands = append(res.Commands, "ActivityMonitorCommand")
	seen := map[string]bool{}
	if before, err := o.c.Activity(ctx, login, mark); err == nil {
		for _, e := range before {
			seen[e.GUID] = true
		}
	}
	ours := func(evs []AuthEvent) (AuthEvent, bool) {
		for i := len(evs) - 1; i >= 0; i-- {
			if strings.EqualFold(evs[i].Agent, agent) && !seen[evs[i].GUID] {
				return evs[i], true
			}
		}
		return AuthEvent{}, false
	}
	var l am.Logon
	var err error
	var attempt authapi.Response // the Authentication API's last answer
	stepNames := [3]string{"LoginCommand (SecurID_Native)", "LoginCommand (the next tokencode)", "LogoutCommand"}
	start := func() { l, err = o.c.StartLogon(ctx, login, passcode, agent) }
	cont := func(code Secret) { l, err = o.c.ContinueLogon(ctx, l, code, agent) }
	end := func() { _ = o.c.EndLogon(ctx, l) } // the person's session, or the logon left waiting
	if door == DoorAuthAPI {
		stepNames = [3]string{"POST /mfa/v1_1/authn/initialize (SECURID)", "POST /mfa/v1_1/authn/verify (SECURID_NEXT_TOKENCODE)", "POST /mfa/v1_1/authn/cancel"}
		api := o.AuthAPI
		start = func() { attempt, err = api.Initialize(ctx, login, passcode); l = apiLogon(attempt, err) }
		cont = func(code Secret) {
			attempt, err = api.Verify(ctx, attempt, authapi.MethodNextTokencode, code)
			l = apiLogon(attempt, err)
		}
		end = func() {
			if l.State == amproto.StateInProgress {
				_ = api.Cancel(ctx, attempt.Context.AuthnAttemptID)
			}
		}
	}
	res.Commands = append(res.Commands, stepNames[0])
	start()
	for err == nil && l.State == amproto.StateInProgress && l.Prompt == amproto.PromptNextTokencode && next != nil {
		var code Secret
		if code, err = next(ctx, l.Prompt); err != nil {
			if errors.Is(err, ErrNoAnswer) {
				err = nil
			}
			break
		}
		if err = TokencodePolicy(code.Reveal()); err != nil {
			err = fmt.Errorf("%w (the next tokencode)", err)
			break
		}
		res.Commands = append(res.Commands, stepNames[1])
		cont(code)
	}
	if l.State != "" && (door == DoorAdmin || l.State == amproto.StateInProgress) {
		res.Commands = append(res.Commands, stepNames[2])
		end()
	}
	if errors.Is(err, ErrOutcomeUnknown) {
		// the passcode reached AM, or not: its activity monitor says
		res.Commands = append(res.Commands, "ActivityMonitorCommand")
		evs, aerr := o.c.Activity(ctx, login, mark)
		if e, ok := ours(evs); aerr == nil && ok {
			res.Event, res.Reason, res.Accepted = e, e.ResultKey, e.Result == "Success"
			res.Words = "AM's reply was lost; its activity monitor recorded: " + e.Message
			if w, ok := passcodeWords[e.ResultKey]; ok {
				res.Words, res.Fix = "AM's reply was lost; its activity monitor recorded: "+w.words, w.fix
			}
			return res, nil
		}
		return res, fmt.Errorf("%w: the passcode may have reached AM and counted toward the lockout, and AM's activity monitor shows no record of it yet: look with rsatui activity %s before testing again", err, login)
	}
	if err != nil {
		return res, err
	}
	res.Accepted = l.State == amproto.StateAuthenticated
	res.Commands = append(res.Commands, "ActivityMonitorCommand")
	evs, aerr := o.c.Activity(ctx, login, mark)
	if e, ok := ours(evs); ok {
		res.Event, res.Reason = e, e.ResultKey
	}
	switch {
	case l.State == amproto.StateInProgress && l.Prompt == amproto.PromptNextTokencode:
		res.Words, res.Reason = "the passcode was right, and AM asks for the next tokencode (next-tokencode mode): give the code the token shows next", "NEXT_TOKENCODE_REQUIRED"
	case l.State == amproto.StateInProgress && l.Prompt == amproto.PromptNewPIN:
		res.Words, res.Reason = passcodeWords["NEW_PIN_REQUIRED"].words, "NEW_PIN_REQUIRED"
	case l.State == amproto.StateInProgress:
		res.Words = "AM asks for more (" + l.Prompt + "): finish it in a real login"
	case res.Reason == "AGENT_ACCESS_DENIED" || res.Reason == "ACCESS_TIME_DENIED":
		// the agent's rule, in AM's own terms: its groups and their hours
		res.Commands = append(res.Commands, "SearchAgentsCommand", "TestAccessInfoCommand + ListGroupsByAgentCommand", "GetTimeRestrictedAccessCommand")
		res.Words = passcodeWords[res.Reason].words
		if acc, aerr := o.Access(ctx, login, agent); aerr == nil && len(acc) == 1 {
			res.Words = "refused: " + acc[0].Why
		}
	case passcodeWords[res.Reason].words != "":
		res.Words, res.Fix = passcodeWords[res.Reason].words, passcodeWords[res.Reason].fix
	case res.Event.Message != "":
		res.Words = map[bool]string{true: "accepted: ", false: "refused: "}[res.Accepted] + res.Event.Message
	case res.Accepted:
		res.Words = "accepted: AM took the passcode"
	default:
		res.Words = "refused: AM answered access denied, and its activity monitor did not say why"
		if aerr != nil {
			res.Words += " (reading it failed: " + Explain(aerr) + ")"
		}
	}
	return res, nil
}

// Activity is a person's authentication activity after since, oldest
// first. Somebody AM does not know is ErrNotInAM (not an empty history),
// and no login at all is refused: everybody's records are ActivityPoll's.
func (o *Ops) Activity(ctx context.Context, login string, since time.Time) ([]AuthEvent, error) {
	ctx = am.WithQueue(ctx, o.queue)
	login = strings.TrimSpace(login)
	if login == "" {
		return nil, fmt.Errorf("%w: give the person's login", ErrInvalidInput)
	}
	if _, err := o.Principal(ctx, login); err != nil {
		return nil, err
	}
	return o.c.Activity(ctx, login, since)
}

// ActivityPoll is everybody's records after since, read as the public
// client polls: the live poller's read for every screen at once.
func (o *Ops) ActivityPoll(ctx context.Context, since time.Time) ([]AuthEvent, error) {
	return o.c.ActivityPoll(am.WithQueue(ctx, o.queue), since)
}

// AdminActivity is what administrators changed for a person and their
// tokens after since (AM's administration log, logType 0), oldest first:
// who cleared the PIN, disabled the token, ended the emergency access.
// The principal is not looked up first: the log keeps the records of a
// person AM has since deleted.
func (o *Ops) AdminActivity(ctx context.Context, login string, since time.Time) ([]AuthEvent, error) {
	login = strings.TrimSpace(login)
	if login == "" {
		return nil, fmt.Errorf("%w: give the person's login", ErrInvalidInput)
	}
	return o.c.AdminActivity(am.WithQueue(ctx, o.queue), login, since)
}

// apiLogon is an Authentication API answer as a logon's state: SUCCESS
// authenticated, CHALLENGE in progress (the next tokencode or a new PIN
// asked for), FAIL failed.
func apiLogon(r authapi.Response, err error) am.Logon {
	if err != nil {
		return am.Logon{}
	}
	switch r.AttemptResponseCode {
	case authapi.AttemptSuccess:
		return am.Logon{State: amproto.StateAuthenticated}
	case authapi.AttemptChallenge:
		prompt := amproto.PromptNextTokencode
		if authapi.Asked(r) == authapi.MethodNewPIN {
			prompt = amproto.PromptNewPIN
		}
		return am.Logon{State: amproto.StateInProgress, Prompt: prompt}
	}
	return am.Logon{State: amproto.StateFailed}
}

// ActivityPollOf is ActivityPoll narrowed to the records of logins (the
// people being watched): what a busy AM sends is theirs, not the site's.
func (o *Ops) ActivityPollOf(ctx context.Context, since time.Time, logins []string) ([]AuthEvent, error) {
	return o.c.ActivityPollOf(am.WithQueue(ctx, o.queue), since, logins)
}
