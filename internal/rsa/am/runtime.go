package am

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// Logon is a person's passcode check under way (LoginCommand with the
// SecurID_Native method, rsa-am-api.md §5.1): its state, and while AM
// asks for more, the prompt and the logon's id.
type Logon struct {
	State     string // amproto.StateAuthenticated, StateInProgress, StateFailed, …
	Prompt    string // in progress: the promptKey AM asks for
	Principal string // authenticated: the principal's GUID
	session   string // in progress: the logon; authenticated: the person's session (ended at once)
}

// logonCommand is a LoginCommand for a person's passcode step.
func logonCommand(state, session, agent string, params ...*soapenc.Value) *soapenc.Value {
	return command(amproto.LoginCommand,
		soapenc.Str("agentId", agent),
		soapenc.Str("authenticationMethodId", amproto.MethodSecurID),
		soapenc.Str("authenticationState", state),
		soapenc.OptStr("sessionId", session),
		soapenc.ObjArray("parameters", amproto.AbstractParameterDTO, params...))
}

func field(prompt, value string, masked bool) *soapenc.Value {
	return soapenc.Obj("item", amproto.FieldParameterDTO,
		soapenc.Nil("helpObject"), soapenc.Str("promptKey", prompt), soapenc.Nil("type"),
		soapenc.Bool("editable", false), soapenc.Bool("masked", masked), soapenc.Str("value", value))
}

// StartLogon sends a person's login and passcode. agent names the caller
// in AM's activity records.
func (c *Client) StartLogon(ctx context.Context, login string, passcode Secret, agent string) (Logon, error) {
	return c.logonStep(ctx, logonCommand(amproto.StateInitial, "", agent,
		field(amproto.PromptPrincipalID, login, false), field(amproto.PromptPasscode, passcode.Reveal(), true)))
}

// ContinueLogon answers the prompt of a logon in progress.
func (c *Client) ContinueLogon(ctx context.Context, l Logon, answer Secret, agent string) (Logon, error) {
	if l.State != amproto.StateInProgress {
		return l, errors.New("the logon is not waiting for an answer")
	}
	return c.logonStep(ctx, logonCommand(amproto.StateInProgress, l.session, agent, field(l.Prompt, answer.Reveal(), true)))
}

// EndLogon ends what a logon left behind: the person's session after a
// success, or a logon still waiting (LogoutCommand, in0 empty).
func (c *Client) EndLogon(ctx context.Context, l Logon) error {
	if l.session == "" {
		return nil
	}
	_, err := c.direct(ctx, command(amproto.LogoutCommand, soapenc.Str("sessionId", l.session)))
	return err
}

func (c *Client) logonStep(ctx context.Context, cmd *soapenc.Value) (Logon, error) {
	reply, err := c.direct(ctx, cmd)
	if err != nil {
		return Logon{}, err
	}
	l := Logon{State: reply.Str("authenticationState"), Principal: reply.Str("principalGuid"), session: reply.Str("sessionId")}
	if l.State == amproto.StateInProgress {
		ps := reply.Field("parameters").Items()
		if len(ps) == 0 || l.session == "" {
			return l, &CallError{Command: "LoginCommand", Err: fmt.Errorf("%w: in progress without a prompt or a logon id", ErrMalformedReply)}
		}
		l.Prompt = ps[0].Str("promptKey")
	}
	return l, nil
}

// AuthEvent is one record of AM's authentication activity
// (ActivityRecordDTO, logType 1; helpdesk-ops §9).
type AuthEvent struct {
	At        time.Time // utcDateTime
	User      string
	Agent     string
	ClientIP  string
	Method    string
	Token     string // serial
	Result    string // "Success", "Warning", "Failure" (actionResult)
	ResultKey string
	Message   string // resultMesg, else message
	GUID      string
	// Actor and Action: the administration log's (logType 0) administrator
	// and the command of the change.
	Actor, Action string
}

// Failed reports whether AM refused the attempt.
func (e AuthEvent) Failed() bool { return strings.EqualFold(e.Result, "Failure") }

// activityPageMax is the largest page asked for: 128 records of up to
// ~30 KB each stay well under the 8 MiB reply limit (1,024 did not: a
// person with ≈450 records could not be read); larger records halve it.
const activityPageMax = 128

// pollPages is how many pages one poll reads at most: after an outage with
// a backlog, the shared poller catches up a bounded step a second instead
// of one ever-growing read that failed every second.
const pollPages = 16

// Activity reads login's records after since, oldest first, in pages of
// the Security Console's size (the first) doubling while they come back full.
func (c *Client) Activity(ctx context.Context, login string, since time.Time) ([]AuthEvent, error) {
	return c.activity(ctx, amproto.LogTypeRuntime, users(login), since, amproto.ActivityFetchBlock, 0)
}

// AdminActivity reads the administration log's records about login (the
// changes to them and their tokens, logType 0) after since, oldest first.
func (c *Client) AdminActivity(ctx context.Context, login string, since time.Time) ([]AuthEvent, error) {
	return c.activity(ctx, amproto.LogTypeAdmin, users(login), since, amproto.ActivityFetchBlock, 0)
}

// ActivityPoll reads everybody's records after since as the public client
// polls (TriVir): 2 records first, the page doubled while it comes back
// full, so a burst is read whole and a quiet second costs a tiny reply. It
// reads pollPages pages at most: what it returns ends on a whole instant,
// and the next poll goes on from there.
func (c *Client) ActivityPoll(ctx context.Context, since time.Time) ([]AuthEvent, error) {
	return c.poll(ctx, nil, since)
}

// poll is a poll's read: its first page as large as the last poll's
// records needed (2 on a quiet AM, up to activityPageMax on a busy one,
// where starting from 2 again cost seven small round trips a second).
func (c *Client) poll(ctx context.Context, logins []string, since time.Time) ([]AuthEvent, error) {
	first := max(int(c.pollSize.Load()), 2)
	evs, err := c.activity(ctx, amproto.LogTypeRuntime, logins, since, first, pollPages)
	if err == nil {
		size := 2
		for size < len(evs) && size < activityPageMax {
			size *= 2
		}
		c.pollSize.Store(int64(size))
	}
	return evs, err
}

// ActivityPollOf is ActivityPoll narrowed to these people's records (an Or
// of FIELD_USER equalities): on a busy AM the poller of fifty dashboards
// reads what they show, not every authentication of the site.
func (c *Client) ActivityPollOf(ctx context.Context, since time.Time, logins []string) ([]AuthEvent, error) {
	return c.poll(ctx, logins, since)
}

func users(login string) []string {
	if login == "" {
		return nil
	}
	return []string{login}
}

// userFilter is the filter of logins' records: none (everybody), one
// equality, or an Or of them — a balanced tree of Ors, not a chain: fifty
// logins chained nested 150 elements deep, past what a SOAP stack parses
// (the simulator's 48, like a hardened server's), and every poll of fifty
// dashboards failed; balanced, 64 logins nest 6 Ors deep.
func userFilter(logins []string) *soapenc.Value {
	if len(logins) == 0 {
		return emptyFilter("filter")
	}
	return orOf(logins)
}

func orOf(logins []string) *soapenc.Value {
	if len(logins) == 1 {
		return equalFilter(amproto.FieldUser, logins[0])
	}
	lhs, rhs := orOf(logins[:len(logins)/2]), orOf(logins[len(logins)/2:])
	lhs.Name, rhs.Name = "lhs", "rhs"
	return soapenc.Obj("filter", amproto.FilterType, soapenc.Obj("comp", amproto.OrFilter, lhs, rhs))
}

// activity pages from since, first records first. Each full page moves
// since on to its last whole instant (lastLogTime is exclusive: records
// that share the page's last instant are read again with the next page,
// never skipped) and doubles the next page up to activityPageMax; a reply
// too large for the client halves it. maxPages > 0 stops after that many
// pages with what was read.
func (c *Client) activity(ctx context.Context, logType int, logins []string, since time.Time, first, maxPages int) ([]AuthEvent, error) {
	var all []AuthEvent
	limit := activityPageMax // the largest page known to fit a reply
	from, size := since, min(first, limit)
	for pages := 0; maxPages <= 0 || pages < maxPages; pages++ {
		page, err := c.activityPage(ctx, logType, logins, from, size)
		if errors.Is(err, ErrReplyTooLarge) && size > 1 {
			// bounded by bytes: records larger than thought
			limit = size / 2
			size = limit
			continue
		}
		if err != nil {
			return all, err
		}
		if len(page) < size {
			return append(all, page...), nil
		}
		last := page[len(page)-1].At
		keep := len(page)
		for keep > 0 && page[keep-1].At.Equal(last) {
			keep--
		}
		switch {
		case keep > 0:
			all, from = append(all, page[:keep]...), page[keep-1].At
		case size < limit:
			// one instant fills the page: the same since, a larger page
		default:
			// more records at one instant than a reply holds: lastLogTime
			// cannot split an instant, so this page is taken whole and
			// the instant's others are left out (never seen with AM's 8 MiB)
			all, from = append(all, page...), last
		}
		size = min(size*2, limit)
	}
	return all, nil
}

func (c *Client) activityPage(ctx context.Context, logType int, logins []string, since time.Time, size int) ([]AuthEvent, error) {
	last := ""
	if !since.IsZero() {
		last = since.UTC().Format(amproto.ActivityTimeLayout)
	}
	cmd := command(amproto.ActivityMonitorCommand,
		userFilter(logins),
		soapenc.Int("logType", logType),
		soapenc.OptStr("lastLogTime", last),
		soapenc.Int("maxFetchSize", size))
	return query(ctx, c, cmd, func(reply *soapenc.Value) ([]AuthEvent, error) {
		return decodeList(reply.Field("messageDTO"), decodeAuthEvent)
	})
}

func decodeAuthEvent(v *soapenc.Value) (AuthEvent, error) {
	if err := expectType(v, amproto.ActivityRecordDTO); err != nil {
		return AuthEvent{}, err
	}
	val := func(name string) string {
		f := v.Field(name)
		if f.IsNil() || f.Str("label") == "N/A" {
			return ""
		}
		return f.Str("value")
	}
	e := AuthEvent{User: val("userId"), Agent: val("agentName"), ClientIP: val("clientIp"), Method: val("authMethodName"),
		Token: val("token"), Result: val("actionResult"), ResultKey: val("resultKey"), Message: val("resultMesg"), GUID: val("guid"),
		Actor: val("actorId"), Action: val("actionKey")}
	if e.Message == "" {
		e.Message = val("message")
	}
	// utcDateTime, not utcDateTimestamp (sometimes null); trailing zero
	// milliseconds may be missing [confirmed: S-trivir]
	at := val("utcDateTime")
	t, ok := amproto.ParseActivityTime(at)
	if !ok {
		return e, fmt.Errorf("%w: ActivityRecordDTO utcDateTime %q", ErrMalformedReply, at)
	}
	e.At = t
	return e, nil
}
