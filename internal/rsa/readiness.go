package rsa

import "fmt"

// The rules of the single-token changes, as functions of the token as
// read: the change itself, a batch plan and a report's "what would happen"
// ask the same question here (EAReady and ReplaceReady are their kin).

// UnassignReady refuses to unassign a token nobody holds, or one in
// emergency access unless ending it is intended (endEA).
func UnassignReady(st TokenState, endEA bool) error {
	switch {
	case !st.Token.Assigned():
		return fmt.Errorf("%w: token %s is not assigned to anyone", ErrRule, st.Token.Serial)
	case st.EA.Active() && !endEA:
		return fmt.Errorf("%w: token %s is in emergency access (%s); unassigning ends it: confirm with --end-emergency-access",
			ErrRule, st.Token.Serial, st.EA.Mode)
	}
	return nil
}

// EnableUnneeded says why enabling (or disabling) changes nothing, or "".
func EnableUnneeded(st TokenState, enable bool) string {
	if st.Token.Enabled == enable {
		return fmt.Sprintf("the token was already %s; nothing was changed", map[bool]string{true: "enabled", false: "disabled"}[enable])
	}
	return ""
}

// PINReady refuses a PIN change the token cannot take, or says (note) why
// it changes nothing. clear: clear the PIN; else require a new one.
func PINReady(t Token, clear bool) (note string, err error) {
	switch {
	case !t.Assigned():
		return "", fmt.Errorf("%w: token %s is not assigned to anyone: a PIN belongs to the person who holds it", ErrRule, t.Serial)
	case clear && !t.PinSet && t.NewPinMode:
		return "the PIN was already cleared; the person sets a new one at the next login", nil
	case !clear && !t.PinSet:
		return "", fmt.Errorf("%w: token %s has no PIN to change: the person sets one at the next login (clear the PIN to make AM ask for it)", ErrRule, t.Serial)
	case !clear && t.NewPinMode:
		return "AM already asks for a new PIN at the next login; nothing was changed", nil
	}
	return "", nil
}

// EAEndUnneeded says why ending emergency access changes nothing, or "".
func EAEndUnneeded(st TokenState) string {
	if !st.EA.Active() && !st.EA.Lost {
		return "emergency access was not on; nothing was changed"
	}
	return ""
}
