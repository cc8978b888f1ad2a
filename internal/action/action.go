// Package action names what a person can do in rsatui. The names are
// neutral: the console binds keys to them (config.toml's [keys] uses them),
// the diagnosis and the passcode test name the one that deals with a cause,
// and the verbs say theirs. Nothing here knows keys, screens or AM.
package action

// Name is an action's name, as [keys] spells it.
type Name string

// None is no action: a cause nothing in rsatui deals with.
const None Name = ""

// Moving about, everywhere outside a text box.
const (
	Help    Name = "help"
	Command Name = "command"
	Search  Name = "search"
	Back    Name = "back"
	Quit    Name = "quit"

	Up           Name = "up"
	Down         Name = "down"
	PageUp       Name = "page-up"
	PageDown     Name = "page-down"
	HalfPageUp   Name = "half-page-up"
	HalfPageDown Name = "half-page-down"
	Top          Name = "top"
	Bottom       Name = "bottom"

	Open        Name = "open"
	FilterType  Name = "filter-type"
	Activity    Name = "activity"
	Failures    Name = "failures"
	Refresh     Name = "refresh"
	AutoRefresh Name = "auto-refresh"
	Explain     Name = "explain"
)

// What the help desk does to a person or a token.
const (
	EmergencyAccess       Name = "emergency-access"
	EndEmergencyAccess    Name = "end-emergency-access"
	ClearPIN              Name = "clear-pin"
	RequireNewPIN         Name = "require-new-pin"
	Resync                Name = "resync"
	EnableDisable         Name = "enable-disable"
	Unassign              Name = "unassign"
	AssignFromPool        Name = "assign-from-pool"
	Unlock                Name = "unlock"
	Replace               Name = "replace"
	ExtendEmergencyAccess Name = "extend-emergency-access"
	AddOneTimeCodes       Name = "add-one-time-codes"
	ClearBadCount         Name = "clear-bad-count"
	TestPasscode          Name = "test-passcode"
	IssueSoftware         Name = "issue-software"
	NewSeed               Name = "new-seed"
	WhereAccess           Name = "access"
	AdminChanges          Name = "admin-changes"
	OfflinePasscode       Name = "offline-passcode"
	RemoveOfflinePasscode Name = "remove-offline-passcode"
	NextPlace             Name = "next-place"
)

// The week's reports: rows selected, then one change planned for all of
// them (the plan shown before it runs, as batch plan prints it).
const (
	Select       Name = "select"
	SelectAll    Name = "select-all"
	PlanReplace  Name = "plan-replace"
	PlanExtend   Name = "plan-extend"
	PlanDisable  Name = "plan-disable"
	PlanUnassign Name = "plan-unassign"
)

// Four eyes (rsatui serve): the changes that wait for a second admin.
const (
	Requests Name = "requests"
	Approve  Name = "approve"
	Reject   Name = "reject"
)

// The forms, the confirm and the result.
const (
	NextField      Name = "next-field"
	PreviousField  Name = "previous-field"
	PreviousChoice Name = "previous-choice"
	NextChoice     Name = "next-choice"
	Review         Name = "review"
	Yes            Name = "yes"
	CopyCodes      Name = "copy-codes"
	Done           Name = "done"
)
