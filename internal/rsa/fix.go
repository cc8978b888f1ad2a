package rsa

// Fix names the action that deals with a cause found in a passcode test
// or a diagnosis: the console's key of the same name (config.toml's
// [keys]) and the matching verb. The words of a cause never name a key
// themselves, so the console and the verbs can each say theirs.
type Fix string

// The fixes; the names are the console's key names.
const (
	FixNone            Fix = ""
	FixUnlock          Fix = "unlock"
	FixResync          Fix = "resync"
	FixEnable          Fix = "enable-disable"
	FixReplace         Fix = "replace"
	FixAssign          Fix = "assign-from-pool"
	FixClearBadCount   Fix = "clear-bad-count"
	FixClearPIN        Fix = "clear-pin"
	FixEmergencyAccess Fix = "emergency-access"
	FixTestPasscode    Fix = "test-passcode"
)

// Permission is what a person needs to apply f (ok false: nothing to
// apply), from the one permission table's operations.
func (f Fix) Permission() (Permission, bool) {
	p, ok := map[Fix]Permission{
		FixUnlock: PermUnlock, FixResync: PermResync, FixEnable: PermEnable, FixReplace: PermReplace,
		FixAssign: PermAssign, FixClearBadCount: PermBadCount, FixClearPIN: PermPinClear,
		FixEmergencyAccess: PermEmergencyTFT, FixTestPasscode: PermAuthTest,
	}[f]
	return p, ok
}
