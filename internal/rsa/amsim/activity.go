package amsim

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/rsatui/rsatui/internal/event"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// activity counts the commands being served, so tests can wait for the
// event they mean — "AM has received the request", "AM is done with every
// request, including the ones a client gave up on" — instead of a time.
type activity struct {
	mu       sync.Mutex
	changed  event.Changed
	inflight int
	arrived  int
}

func (a *activity) update(f func()) {
	a.mu.Lock()
	f()
	a.changed.Notify()
	a.mu.Unlock()
}

func (a *activity) begin() { a.update(func() { a.inflight++; a.arrived++ }) }
func (a *activity) end()   { a.update(func() { a.inflight-- }) }

// WaitIdle returns once no command is being served (or ctx ends): every
// request received so far has been answered, or dropped as a fault says.
func (s *Sim) WaitIdle(ctx context.Context) error {
	return s.activity.changed.Wait(ctx, &s.activity.mu, func() bool { return s.activity.inflight == 0 })
}

// WaitArrived returns once n commands in all have been received since the
// simulator started (or ctx ends).
func (s *Sim) WaitArrived(ctx context.Context, n int) error {
	return s.activity.changed.Wait(ctx, &s.activity.mu, func() bool { return s.activity.arrived >= n })
}

// Arrived is how many commands have been received so far.
func (s *Sim) Arrived() int {
	s.activity.mu.Lock()
	defer s.activity.mu.Unlock()
	return s.activity.arrived
}

// adminRecord is one record of the administration log (ActivityMonitor
// logType 0): who changed what, when. The simulator records each token or
// principal a change touched, with words for what changed [proposal: AM's
// action keys and texts are not public; these follow the Security
// Console's Administration Activity Monitor columns].
type adminRecord struct {
	at                  time.Time
	guid                string
	admin, command, key string
	words               string
	login               string // the person affected
	token               string // serial
}

// state is what the log compares before and after a change.
type state struct {
	rowVersion                    int
	enabled, pinSet, newPin, lost bool
	principal                     string
	extended                      bool
}

type snap struct {
	tokens map[*token]state
	princ  map[*principal]int
}

// snapshot is every token's and principal's state (caller holds mu).
func (s *Sim) snapshot() snap {
	sn := snap{tokens: make(map[*token]state, len(s.tokens)), princ: make(map[*principal]int, len(s.princ))}
	for _, t := range s.tokens {
		sn.tokens[t] = state{t.rowVersion, t.enabled, t.pinSet, t.newPinMode, t.ea.lost, t.principal, t.extended}
	}
	for _, p := range s.princ {
		sn.princ[p] = p.rowVersion
	}
	return sn
}

// logAdmin records what a change by admin (command) did (caller holds mu).
func (s *Sim) logAdmin(admin, command string, before snap) {
	add := func(key, words, login, serial string) {
		var last time.Time
		if n := len(s.adminLog); n > 0 {
			last = s.adminLog[n-1].at
		}
		at := s.logTime(last)
		s.adminLog = append(s.adminLog, adminRecord{at: at, guid: s.newGUID(), admin: admin, command: command, key: key, words: words, login: login, token: serial})
	}
	owner := func(guid string) string {
		if p := s.princ[guid]; p != nil {
			return p.login
		}
		return ""
	}
	var changed []*token
	for t, was := range before.tokens {
		if t.rowVersion != was.rowVersion {
			changed = append(changed, t)
		}
	}
	sort.Slice(changed, func(i, j int) bool { return changed[i].serial < changed[j].serial })
	for _, t := range changed {
		was := before.tokens[t]
		login := owner(t.principal)
		if login == "" {
			login = owner(was.principal)
		}
		key, words := "TOKEN_UPDATED", "changed token "+t.serial+" ("+command+")"
		switch {
		case was.principal == "" && t.principal != "":
			key, words = "TOKEN_ASSIGNED", "assigned token "+t.serial
		case was.principal != "" && t.principal == "":
			key, words = "TOKEN_UNASSIGNED", "unassigned token "+t.serial
		case !was.lost && t.ea.lost:
			key, words = "EMERGENCY_ACCESS_ON", "gave token "+t.serial+" online emergency access"
		case was.lost && !t.ea.lost:
			key, words = "EMERGENCY_ACCESS_OFF", "ended the emergency access of token "+t.serial
		case was.enabled != t.enabled && t.enabled:
			key, words = "TOKEN_ENABLED", "enabled token "+t.serial
		case was.enabled != t.enabled:
			key, words = "TOKEN_DISABLED", "disabled token "+t.serial
		case was.pinSet && !t.pinSet:
			key, words = "PIN_CLEARED", "cleared the PIN of token "+t.serial
		case !was.newPin && t.newPinMode:
			key, words = "NEW_PIN_REQUIRED", "required a new PIN on token "+t.serial
		case !was.extended && t.extended:
			key, words = "TOKEN_EXTENDED", "extended the lifetime of token "+t.serial
		case command == "ResynchronizeTokenCommand":
			key, words = "TOKEN_RESYNCHRONIZED", "resynchronized token "+t.serial
		case command == "ClearBadTokenCountCommand":
			key, words = "BAD_COUNT_CLEARED", "cleared the bad tokencode count of token "+t.serial
		case command == "ReplaceTokensCommand" || command == "ReplaceWithNextAvailableTokenCommand":
			key, words = "TOKEN_REPLACED", "replaced token "+t.serial+" (with "+t.replaceSerial+")"
		case t.ea.lost:
			key, words = "EMERGENCY_ACCESS_CHANGED", "changed the emergency access of token "+t.serial
		}
		add(key, words, login, t.serial)
	}
	for p, rv := range before.princ {
		if p.rowVersion != rv {
			key, words := "USER_UPDATED", "changed user "+p.login+" ("+command+")"
			switch {
			case command == "UnLockUserAccountCommand":
				key, words = "USER_UNLOCKED", "unlocked user "+p.login
			case command == "UpdateEmergencyAccessPasscodeCommand" && p.offlineEA.allowed:
				// never the passcode itself: the log is read by every admin
				key, words = "OFFLINE_EA_PASSCODE_SET", "set an offline emergency passcode for user "+p.login
			case command == "UpdateEmergencyAccessPasscodeCommand":
				key, words = "OFFLINE_EA_PASSCODE_REMOVED", "removed the offline emergency passcode of user "+p.login
			}
			add(key, words, p.login, "")
		}
	}
}

// adminDTO is an administration record as AM sends it.
func (s *Sim) adminDTO(r adminRecord) *soapenc.Value {
	return activityRecord([]*soapenc.Value{
		lv("utcDateTime", "UTC Date/Time", r.at.Format(amproto.ActivityTimeLayout)),
		lv("localDateTime", "Local Date/Time", r.at.In(time.Local).Format(amproto.ActivityTimeLayout)),
		soapenc.Time("utcDateTimestamp", r.at),
		lv("actorId", "Administrator", r.admin), lv("userId", "User ID", r.login), lv("token", "Token Serial Number", r.token),
		lv("activity", "Activity", "Administration"), lv("actionKey", "Action", r.command),
		lv("actionResult", "Result", "Success"), lv("resultKey", "Result Key", r.key),
		lv("resultMesg", "Reason", r.words), lv("message", "Message", r.admin+" "+r.words),
		lv("guid", "ID", r.guid), lv("actorSecDomName", "Security Domain", s.domain.name),
	})
}
