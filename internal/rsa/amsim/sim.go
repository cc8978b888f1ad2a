// Package amsim is a simulator of the RSA Authentication Manager SOAP
// CommandServer: an http.Handler that serves the WSDL and executes
// executeCommand with the product's wire format (Axis 1 RPC/encoded, multiRef
// replies, Axis-style faults), the product's state rules and exception classes
// (rsa-am-api.md §12), sessions that expire, and fault injection for tests.
//
// It is used by `rsatui --demo`, `rsatui sim`, the tests and the benchmarks.
package amsim

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
	"github.com/rsatui/rsatui/internal/securid"
)

// Role of an admin account. The read-only role gets InsufficientPrivilegeException
// for every write, as an AM Help Desk role without token permissions would.
type Role int

const (
	RoleSuperAdmin Role = iota
	RoleReadOnly
	// RoleHelpDesk may do the help desk's daily changes and no others
	// (helpDeskMay); AM's default Help Desk permission list is not
	// published, so this one is a proposal (helpdesk-ops §10).
	RoleHelpDesk
)

// helpDeskMay lists the changes RoleHelpDesk may send: emergency access,
// PINs, resync, unlock, bad-tokencode counts. Assign, unassign, enable/disable and replace are
// refused with InsufficientPrivilegeException [proposal].
var helpDeskMay = map[soapenc.QName]bool{
	amproto.UpdateTokenEmergencyAccessCommand:    true,
	amproto.UpdateTokenCommand:                   true,
	amproto.ResynchronizeTokenCommand:            true,
	amproto.UnLockUserAccountCommand:             true,
	amproto.ClearBadTokenCountCommand:            true,
	amproto.UpdateEmergencyAccessPasscodeCommand: true, // the offline emergency passcode [proposal]
	// issuing a software token to the person's phone [proposal]
	amproto.LinkSoftTokensWithProfileCommand:      true,
	amproto.GenerateSoftTokenTSFCommand:           true,
	amproto.IssueSoftwareTokensCommand:            true,
	amproto.DeleteSoftwareTokenFileCommand:        true,
	amproto.UpdateOrAddCTKIPActivationCodeCommand: true,
}

// Options configure a simulator. Zero values give the product's defaults.
type Options struct {
	// CommandClientUser/Password is the HTTP Basic account (default CmdClient_sim / sim-secret).
	CommandClientUser     string
	CommandClientPassword string
	// Seed makes GUIDs and generated codes deterministic.
	Seed uint64
	// RandomCodes draws generated emergency codes from the system's
	// random source whatever the Seed: a simulator a person uses (--demo,
	// rsatui sim) hands out codes nobody can predict from the seed.
	RandomCodes bool
	// IdleTimeout and MaxLifetime of admin sessions (defaults 30 min and 8 h).
	IdleTimeout, MaxLifetime time.Duration
	// EAMaxDays is auth_manager.admin.eatokencode_expire_days (default 14).
	EAMaxDays int
	// Inline makes replies inline instead of Axis multiRefs.
	Inline bool
	// LoginFailureAsFault answers a wrong admin password with an
	// AuthenticationCommandException fault instead of state "failed".
	LoginFailureAsFault bool
	// OpenWSDL serves ?wsdl without Basic auth.
	OpenWSDL bool
	// Now is the clock (tests move it to expire sessions and codes).
	Now func() time.Time
	// Hostname goes into fault details as Axis does.
	Hostname string
	// NoTokensAsEmptyList answers ListTokensByPrincipalCommand for a
	// person without tokens with an empty list instead of the default
	// DataNotFoundException (AM's answer is not published; clients are
	// tested against both, docs/interop.md).
	NoTokensAsEmptyList bool
}

// Sim is one simulated AM instance. All methods are safe for concurrent use.
type Sim struct {
	opt Options

	mu       sync.Mutex
	rng      *rand.Rand
	admins   map[string]admin
	sessions map[string]*session
	domain   securityDomain
	realm    string // realm GUID
	sources  []*identitySource
	princ    map[string]*principal // by GUID
	tokens   map[string]*token     // by GUID
	bySerial map[string]*token
	// agents, AM groups and how a person's directory groups are read (agents.go)
	agents   []*agent
	groups   []*group
	memberOf func(login string) ([]string, error)
	// adminLog is the administration log (activity.go)
	adminLog []adminRecord
	// the Authentication API (authapi.go): its client key and attempts
	apiKey string
	api    authAPI

	faults   faultQueue
	stats    Stats
	trace    tracer
	activity activity
	// the runtime side (runtime.go): logons under way and the
	// authentication activity the activity monitor reads
	logons  map[string]*logon
	authLog []authRecord
	// client is the address of the authentication being run (Authenticate
	// sets it for its call, under mu); over the admin API there is none
	client       string
	userSessions map[string]bool
	// software tokens: profiles, device types and issued token files
	soft softState
	// the WSDL as rendered for each address it was fetched at
	wsdls wsdlCache
}

// Stats counts what the simulator served.
type Stats struct {
	Requests     int64
	WSDLRequests int64
	Commands     map[string]int64
	// ReplyBytes are the bytes of the replies sent, by command (what a
	// client reads: the busy-AM benchmark's measure).
	ReplyBytes map[string]int64
}

type admin struct {
	password string
	role     Role
	guid     string
}

type session struct {
	admin     string
	role      Role
	created   time.Time
	lastUsed  time.Time
	principal string
}

type securityDomain struct{ guid, name string }

type identitySource struct {
	guid, name, description string
	internal                bool
}

type principal struct {
	guid, login, first, last, email string
	source                          string
	enabled, locked                 bool
	lockoutExpire                   time.Time // when the policy unlocks by itself (zero: an admin must)
	failedCount                     int       // failed passcodes the lockout policy counted
	lastLogin                       time.Time
	rowVersion                      int
	offlineEA                       offlineEA // the offline emergency passcode (offlineea.go)
}

type token struct {
	guid, serial       string
	algorithm          amproto.Algorithm
	typ                amproto.TokenType
	codeLength         int
	interval           int
	start, expires     time.Time
	enabled            bool
	principal          string // GUID; "" when unassigned
	assigned           time.Time
	lastLogin          time.Time
	nextTokencodeMode  bool
	newPinMode, pinSet bool
	pinType            int
	pin                string // the person's PIN (the simulator authenticates with it later)
	pinModified        time.Time
	enableModified     time.Time // dateEnableFlagModified: when enabled or disabled last
	notes              string
	badCodeCount       int
	// replacementMode: 0 none, 1 has a replacement (the old token, retired
	// when the new one is first used), 2 is a replacement (helpdesk-ops §6.3)
	replacementMode int
	replaceSerial   string // the other token of the pair
	// drift is the token's clock offset AM keeps (in intervals), learnt by a
	// resync; clockSkew is how far the token's own clock is off (a test or
	// the demo drifts it). A token in sync has clockSkew == drift.
	drift, clockSkew int64
	// lastStep is the interval of the last tokencode AM accepted: a code of
	// that interval or an earlier one is a replay
	lastStep   int64
	rowVersion int
	ea         eaState
	// the software token's side (softtoken.go)
	seed       [16]byte
	pinMode    string // a profile's PIN handling (amproto.PINUse*); "" = PIN + tokencode
	softIssued int    // times issued (AM's re-issue limit)
	// distributed: a software token handed to its holder (issued, or loaded
	// assigned); only those can have their lifetime extended
	distributed bool
	// extended: ExtendTokensCommand gave it the expiry of extensionSerial
	extended        bool
	extensionSerial string
	profile         string // the software token profile it was issued with (GUID)
	activation      *activation
}

type eaState struct {
	lost            bool
	mode            amproto.EAMode
	lostMode        amproto.LostMode
	tft             string
	tftExpiration   time.Time
	otts            []string
	expiration      time.Time
	validOnlineData bool
	lastEAAuth      time.Time
	lastTFTAuth     time.Time
}

// New returns an empty simulator with one security domain (SystemDomain), the
// Internal Database identity source and the admin account "admin".
func New(opt Options) *Sim {
	if opt.CommandClientUser == "" {
		opt.CommandClientUser, opt.CommandClientPassword = "CmdClient_sim", "sim-secret"
	}
	if opt.IdleTimeout <= 0 {
		opt.IdleTimeout = 30 * time.Minute
	}
	if opt.MaxLifetime <= 0 {
		opt.MaxLifetime = 8 * time.Hour
	}
	if opt.EAMaxDays <= 0 {
		opt.EAMaxDays = amproto.EAMaxLifetimeDefaultDays
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Hostname == "" {
		opt.Hostname = "am-sim"
	}
	s := &Sim{opt: opt, rng: rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x5eed)),
		admins: map[string]admin{}, sessions: map[string]*session{},
		princ: map[string]*principal{}, tokens: map[string]*token{}, bySerial: map[string]*token{},
		stats: Stats{Commands: map[string]int64{}, ReplyBytes: map[string]int64{}}, logons: map[string]*logon{}, userSessions: map[string]bool{}}
	s.domain = securityDomain{guid: s.newGUID(), name: "SystemDomain"}
	s.realm = s.newGUID()
	s.sources = append(s.sources, &identitySource{guid: s.newGUID(), name: "Internal Database", internal: true,
		description: "RSA internal user store"})
	s.admins["admin"] = admin{password: "Admin!Passw0rd", role: RoleSuperAdmin, guid: s.newGUID()}
	// the profiles' GUIDs come from a generator of their own: the main one's
	// sequence (every other GUID, the recorded wire goldens) stays as it was
	n := 0
	s.soft = newSoftState(func() string {
		n++
		sum := sha256.Sum256(fmt.Appendf(nil, "rsatui-sim-softtoken/%d/%d", opt.Seed, n))
		return fmt.Sprintf("%x", sum[:16])
	})
	return s
}

// CommandClient returns the HTTP Basic credentials the simulator accepts.
func (s *Sim) CommandClient() (user, password string) {
	return s.opt.CommandClientUser, s.opt.CommandClientPassword
}

// AddAdmin creates or replaces an admin account.
func (s *Sim) AddAdmin(user, password string, role Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.admins[user] = admin{password: password, role: role, guid: s.newGUID()}
}

// AddIdentitySource adds an (LDAP) identity source and returns its GUID.
func (s *Sim) AddIdentitySource(name, description string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := &identitySource{guid: s.newGUID(), name: name, description: description}
	s.sources = append(s.sources, is)
	return is.guid
}

// IdentitySourceGUID returns the GUID of the named identity source.
func (s *Sim) IdentitySourceGUID(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, is := range s.sources {
		if is.name == name {
			return is.guid, true
		}
	}
	return "", false
}

// User is a principal to load.
type User struct {
	Login, First, Last, Email string
	Enabled, Locked           bool
	LastLogin                 time.Time
}

// AddUser adds a principal to an identity source and returns its GUID.
func (s *Sim) AddUser(sourceGUID string, u User) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.source(sourceGUID) == nil {
		return "", fmt.Errorf("amsim: no identity source %s", sourceGUID)
	}
	for _, p := range s.princ {
		if p.source == sourceGUID && p.login == u.Login {
			return "", fmt.Errorf("amsim: user %s already exists", u.Login)
		}
	}
	p := &principal{guid: s.newGUID(), login: u.Login, first: u.First, last: u.Last, email: u.Email,
		source: sourceGUID, enabled: u.Enabled, locked: u.Locked, lastLogin: u.LastLogin, rowVersion: 1}
	if u.Locked {
		p.failedCount = 3 // the demo's lockout policy: three bad passcodes [proposal]
	}
	s.princ[p.guid] = p
	return p.guid, nil
}

// Token is a token to load.
type Token struct {
	Serial            string
	Algorithm         amproto.Algorithm
	Type              amproto.TokenType
	CodeLength        int // 6 or 8
	Interval          int // seconds: 30 or 60 (0: 60)
	Start, Expires    time.Time
	Enabled           bool
	OwnerGUID         string // principal GUID, "" for unassigned
	LastLogin         time.Time
	NextTokencodeMode bool
	BadCodeCount      int
	PinSet            bool
	PIN               string // the person's PIN, for authentications (PinSet without one: no PIN matches)
}

// AddToken adds a token and returns its GUID.
func (s *Sim) AddToken(t Token) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.bySerial[t.Serial]; dup {
		return "", fmt.Errorf("amsim: token %s already exists", t.Serial)
	}
	if t.OwnerGUID != "" && s.princ[t.OwnerGUID] == nil {
		return "", fmt.Errorf("amsim: no principal %s", t.OwnerGUID)
	}
	if t.CodeLength == 0 {
		t.CodeLength = 6
	}
	if t.Interval == 0 {
		t.Interval = 60
	}
	if err := (securid.Token{Serial: t.Serial, Digits: t.CodeLength, Interval: t.Interval}).Check(); err != nil {
		return "", fmt.Errorf("amsim: token %s: %w", t.Serial, err)
	}
	tk := &token{guid: s.newGUID(), serial: t.Serial, algorithm: t.Algorithm, typ: t.Type, codeLength: t.CodeLength,
		interval: t.Interval, seed: s.initialSeed(t.Serial), start: t.Start, expires: t.Expires, enabled: t.Enabled, principal: t.OwnerGUID,
		lastLogin: t.LastLogin, nextTokencodeMode: t.NextTokencodeMode, badCodeCount: t.BadCodeCount, pinSet: t.PinSet, pin: t.PIN, rowVersion: 1}
	if t.OwnerGUID != "" {
		tk.assigned = t.Start
		tk.distributed = t.Type == amproto.TokenTypeSoftID
	}
	s.tokens[tk.guid] = tk
	s.bySerial[tk.serial] = tk
	return tk.guid, nil
}

// Stats returns a copy of the counters.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.stats
	c.Commands = maps.Clone(s.stats.Commands)
	c.ReplyBytes = maps.Clone(s.stats.ReplyBytes)
	return c
}

// ExpireSessions invalidates every admin session now (fault injection).
func (s *Sim) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.sessions)
}

// TokenState is a read-only view of a token for tests and the demo.
type TokenState struct {
	GUID, Serial  string
	Owner         string // login, "" when unassigned
	Enabled, Lost bool
	EAMode        amproto.EAMode
	LostMode      amproto.LostMode
	TFT           string
	UnusedOTTs    int
	OTTs          []string // the unused one-time codes (what a test checks a reported success against)
	PinSet        bool
	NewPinMode    bool
	// NextTokencodeMode and BadCodeCount: AM asks for the next tokencode
	// after too many bad ones.
	NextTokencodeMode bool
	BadCodeCount      int
	EAExpiration      time.Time
	Expires           time.Time
	ValidOnlineData   bool
}

// Token returns the state of the token with this serial.
func (s *Sim) Token(serial string) (TokenState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.bySerial[serial]
	if t == nil {
		return TokenState{}, false
	}
	st := TokenState{GUID: t.guid, Serial: t.serial, Enabled: t.enabled, Lost: t.ea.lost, EAMode: t.ea.mode,
		LostMode: t.ea.lostMode, TFT: t.ea.tft, UnusedOTTs: len(t.ea.otts), OTTs: append([]string(nil), t.ea.otts...), PinSet: t.pinSet, NewPinMode: t.newPinMode, EAExpiration: t.ea.expiration,
		NextTokencodeMode: t.nextTokencodeMode, BadCodeCount: t.badCodeCount, Expires: t.expires, ValidOnlineData: t.ea.validOnlineData}
	if p := s.princ[t.principal]; p != nil {
		st.Owner = p.login
	}
	return st, true
}

// newGUID returns 32 lowercase hex digits, AM's GUID format. Caller holds mu (or
// is the constructor).
func (s *Sim) newGUID() string {
	return fmt.Sprintf("%016x%016x", s.rng.Uint64(), s.rng.Uint64())
}

func (s *Sim) source(guid string) *identitySource {
	for _, is := range s.sources {
		if is.guid == guid {
			return is
		}
	}
	return nil
}
