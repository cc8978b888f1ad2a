package rsa

import (
	"fmt"
	"strings"
)

// Step is one round trip of a change: the AM commands sent at the same
// time, and what they carry when their names alone do not say it.
type Step struct {
	Commands []string
	Carries  string
	// For is how many tokens the commands are sent for at once (0: one).
	For int
}

// Plan is the AM commands a change sends, in order. The confirm shows it
// before the change runs and the operation takes its commands from it, so
// what a person is told will be sent is what is sent (TestPlansAreWhatIsSent).
type Plan []Step

// Lines are the plan a step a line, for a confirm: "LookupTokenCommand +
// LookupTokenEmergencyAccessCommand", "UpdateTokenCommand (the whole
// record, newPinMode=true)".
func (p Plan) Lines() []string {
	out := make([]string, 0, len(p))
	for _, s := range p {
		l := strings.Join(s.Commands, " + ")
		if s.Carries != "" {
			l += " (" + s.Carries + ")"
		}
		out = append(out, l)
	}
	return out
}

// Commands are the plan's commands one by one, in order (those of a step
// in the order it names them).
func (p Plan) Commands() []string {
	var out []string
	for _, s := range p {
		for range max(s.For, 1) {
			out = append(out, s.Commands...)
		}
	}
	return out
}

// write is the command of the plan's write: the step before the read-back.
func (p Plan) write() string { return p[len(p)-2].Commands[0] }

// readBySerial is how a change reads a token before its write: the record
// by its serial, then its emergency access by the GUID that names.
var readBySerial = Plan{{Commands: []string{"LookupTokenCommand"}}, {Commands: []string{"LookupTokenEmergencyAccessCommand"}}}

// readBack is how a change reads a token after its write: by GUID, the
// record and its emergency access at once.
var readBack = Step{Commands: []string{"LookupTokenCommand", "LookupTokenEmergencyAccessCommand"}}

// tokenWrite is the plan of a change to one token: read it, write, read it
// back.
func tokenWrite(command, carries string) Plan {
	return append(append(Plan{}, readBySerial...), Step{Commands: []string{command}, Carries: carries}, readBack)
}

// pinWrite is the update of a PIN change (clear: the PIN forgotten too).
func pinWrite(clear bool) Step {
	if clear {
		return Step{Commands: []string{"UpdateTokenCommand"}, Carries: `the whole record, pinIsSet=false, pin="", newPinMode=true`}
	}
	return Step{Commands: []string{"UpdateTokenCommand"}, Carries: "the whole record, newPinMode=true"}
}

// PINPlan clears the PIN (clear) or requires a new one.
func PINPlan(clear bool) Plan {
	w := pinWrite(clear)
	return tokenWrite(w.Commands[0], w.Carries)
}

// EnablePlan enables a token (enable) or disables it.
func EnablePlan(enable bool) Plan {
	return tokenWrite("EnableTokensCommand", fmt.Sprintf("enable=%t", enable))
}

// UnassignPlan takes a token from its owner.
func UnassignPlan() Plan { return tokenWrite("UnlinkTokensFromPrincipalsCommand", "") }

// ResyncPlan resynchronizes a token with two consecutive tokencodes.
func ResyncPlan() Plan {
	return tokenWrite("ResynchronizeTokenCommand", "tokenSerialNum, firstTokencode, secondTokencode")
}

// BadCountPlan clears the bad-tokencode count of a token's owner.
func BadCountPlan() Plan {
	return tokenWrite("ClearBadTokenCountCommand", "the owner's principal GUID: every token of theirs")
}

// ExtendPlan moves the end of the emergency access on now.
func ExtendPlan() Plan {
	return tokenWrite("UpdateTokenEmergencyAccessCommand", "the record as AM holds it, a new eaExpiration, clearUnusedCodes=false")
}

// generateSet generates a set of one-time codes (installing nothing).
var generateSet = Step{Commands: []string{"GenerateOneTimeTokenCodeSetCommand"}}

// AddCodesPlan adds n one-time codes to the set on now.
func AddCodesPlan(n int) Plan {
	gen := generateSet
	gen.Carries = fmt.Sprintf("%d codes", n)
	return append(append(Plan{}, readBySerial...), gen,
		Step{Commands: []string{"UpdateTokenEmergencyAccessCommand"}, Carries: "the record as AM holds it, the new codes, clearUnusedCodes=false"}, readBack)
}

// findPerson is how a change finds a person's AM record and tokens.
var findPerson = Step{Commands: []string{"GetIdentitySourcesCommand", "SearchPrincipalsCommand", "ListTokensByPrincipalCommand"}}

// AssignPlan gives a token to a person (the one-token rule is checked on
// the tokens the person holds); pinSet: the token still has a PIN (its
// previous holder's), which is cleared so the new holder sets their own.
func AssignPlan(pinSet bool) Plan {
	p := append(append(Plan{findPerson}, readBySerial...), Step{Commands: []string{"LinkTokensWithPrincipalCommand"}}, readBack)
	if pinSet {
		p = append(p, pinWrite(true), readBack)
	}
	return p
}

// readPrincipal is the person's AM record read afresh.
var readPrincipal = Step{Commands: []string{"LookupPrincipalCommand"}}

// UnlockPlan clears AM's lockout of a person.
func UnlockPlan() Plan {
	return Plan{readPrincipal, {Commands: []string{"UnLockUserAccountCommand"}, Carries: "principal and identity-source GUIDs"}, readPrincipal}
}

// ReplacePlan gives a token (old, named in the words) a successor: with,
// from the pool, or "" for the next available.
func ReplacePlan(with, old string) Plan {
	p := append(Plan{}, readBySerial...)
	if with == "" {
		return append(p, Step{Commands: []string{"ReplaceWithNextAvailableTokenCommand"}}, readBoth)
	}
	look := lookupSuccessor
	look.Carries = with
	return append(p, look,
		Step{Commands: []string{"ReplaceTokensCommand"}, Carries: "replacingTokenGuid = " + old}, readBoth)
}

// lookupSuccessor reads the token picked to replace another; readBoth
// reads both tokens back after a replacement, at once.
var (
	lookupSuccessor = Step{Commands: []string{"LookupTokenCommand"}}
	readBoth        = Step{Commands: readBack.Commands, Carries: "both tokens", For: 2}
)

// EAPlan gives emergency access as r asks; fresh: the token as read while
// the change was reviewed is used, and not looked up again first.
func EAPlan(r EARequest, fresh bool) Plan {
	var p Plan
	var gen []string
	switch {
	case r.Mode == EAOneTimeCodes:
		gen = []string{"GenerateOneTimeTokenCodeSetCommand"}
	case r.FixedCode == "":
		gen = []string{"GenerateEmergencyAccessCodeCommand"}
	}
	if !fresh {
		p = append(p, Step{Commands: []string{"LookupTokenCommand"}})
		gen = append([]string{"LookupTokenEmergencyAccessCommand"}, gen...)
	}
	if len(gen) > 0 {
		p = append(p, Step{Commands: gen})
	}
	return append(p, Step{Commands: []string{"UpdateTokenEmergencyAccessCommand"}}, readBack)
}

// EndEAPlan ends emergency access; fresh as for EAPlan.
func EndEAPlan(fresh bool) Plan {
	var p Plan
	if !fresh {
		p = append(p, readBySerial...)
	}
	return append(p, Step{Commands: []string{"UpdateTokenEmergencyAccessCommand"}, Carries: "tokenLost=false, eaMode=0"}, readBack)
}
