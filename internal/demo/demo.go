// Package demo generates the one deterministic data set (people, their
// directory attributes, their SecurID tokens) that seeds the AM simulator, the
// embedded directory and the real test directory, so that AD and AM always
// agree on who exists and who holds which token.
package demo

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
)

// Person is one directory user (and AM principal, same login).
type Person struct {
	Login       string // sAMAccountName
	GivenName   string
	Surname     string
	DisplayName string
	Mail        string
	UPN         string
	Department  string
	Title       string
	Disabled    bool
	Locked      bool
	GUID        [16]byte // objectGUID, in canonical (big-endian) byte order
	Groups      []string // group CNs
	// LDAP/AM extras
	LastLogin time.Time
	// AccountExpires is when AD stops the account (zero: never);
	// MustChangePassword is pwdLastSet 0 (an admin asked for a new one).
	AccountExpires     time.Time
	MustChangePassword bool
	// what a help desk checks a caller against (#31): the numbers to call
	// back, the employee ID and the manager (a login; "": none)
	Mobile, Phone, EmployeeID, Manager string
}

// Token is one SecurID token, assigned (Owner = login) or in the pool.
type Token struct {
	Serial            string
	Owner             string
	Type              amproto.TokenType
	Algorithm         amproto.Algorithm
	CodeLength        int
	Interval          int // seconds a tokencode shows
	Start, Expires    time.Time
	Enabled           bool
	LastLogin         time.Time
	NextTokencodeMode bool
	BadCodeCount      int // bad tokencodes AM counted since the last good one
	PinSet            bool
	PIN               string // set when PinSet: the demo people's PIN (DemoPIN)
}

// DemoPIN is the PIN of every demo token that has one: the simulator's
// banner prints it, so the demo can be logged in with (PIN + tokencode).
const DemoPIN = "2468"

// Dataset is the generated data.
type Dataset struct {
	Domain  string // DNS domain, e.g. corp.example
	BaseDN  string // DC=corp,DC=example
	People  []Person
	Tokens  []Token
	Groups  []string
	Created time.Time
}

// IdentitySourceName is the AM identity source that maps the directory.
const IdentitySourceName = "Corporate AD"

// Admin accounts the demo AM simulator knows.
const (
	AdminUser        = "admin"
	AdminPassword    = "Admin!Passw0rd"
	HelpdeskUser     = "helpdesk"
	HelpdeskPassword = "Helpdesk!Passw0rd"
)

var givenNames = strings.Fields(`Anna Ben Chloe David Emma Felix Greta Hugo Ines Jonas Klara Lukas Maria Noah
Olivia Paul Quinn Rosa Samuel Tara Umar Vera William Xenia Yusuf Zoe Aisha Bruno Camille Dmitri Elena Farid
Giulia Hannah Ivan Julia Kenji Lena Mateo Nadia Oskar Priya Rafael Sofia Tomas Ursula Viktor Wanda`)

var surnames = strings.Fields(`Andersen Becker Costa Dubois Eriksen Fischer Garcia Hoffmann Ivanova Jensen
Kowalski Larsen Martin Novak Olsen Petrov Quist Rossi Schmidt Tanaka Ueda Vogel Wagner Xu Yilmaz Zimmermann
Bauer Chen Duarte Esposito Fontaine Gruber Horvath Iqbal Jovanovic Keller Lindqvist Moreau Nakamura Okafor`)

var departments = []struct{ name, title string }{
	{"Finance", "Accountant"}, {"Engineering", "Software Engineer"}, {"Sales", "Account Manager"},
	{"Human Resources", "HR Partner"}, {"IT Operations", "Systems Administrator"}, {"Legal", "Counsel"},
	{"Marketing", "Campaign Manager"}, {"Support", "Support Engineer"},
}

// Fixture people come first, always the same, so tests and docs can name them.
var fixtures = []struct {
	login, given, sur, dept, title string
	disabled, locked               bool
}{
	{"jdoe", "John", "Doe", "Finance", "Controller", false, false},
	{"asmith", "Alice", "Smith", "Engineering", "Staff Engineer", false, false},
	{"bdisabled", "Bob", "Disabled", "Sales", "Account Manager", true, false},
	{"cmueller", "Carol", "Müller", "Human Resources", "HR Partner", false, false},
	{"dobrien", "Dan", "O'Brien", "IT Operations", "Systems Administrator", false, true},
	{"eolsen", "Erik", "Olsen", "Support", "Support Engineer", false, false},
	{"fnotoken", "Fatima", "Notoken", "Legal", "Counsel", false, false},
}

// Generate builds a data set of the fixture people plus n generated people, with
// tokens: most people hold one, a few two (legacy), some none, plus a pool of
// unassigned tokens. Dates are relative to now, so a demo is always current.
func Generate(seed uint64, n int, now time.Time) *Dataset {
	rng := rand.New(rand.NewPCG(seed, seed^0xd3a0))
	now = now.UTC().Truncate(time.Second)
	ds := &Dataset{Domain: "corp.example", BaseDN: "DC=corp,DC=example", Created: now,
		Groups: []string{"SecurID Users", "Helpdesk", "Engineers"}}
	guid := func() [16]byte {
		var g [16]byte
		for i := range g {
			g[i] = byte(rng.UintN(256))
		}
		g[6] = g[6]&0x0f | 0x40 // version 4
		g[8] = g[8]&0x3f | 0x80 // RFC 4122 variant
		return g
	}
	add := func(login, given, sur, dept, title string, disabled, locked bool) {
		p := Person{Login: login, GivenName: given, Surname: sur, DisplayName: given + " " + sur,
			Mail: mailLocal(given, sur) + "@" + ds.Domain, UPN: login + "@" + ds.Domain, Department: dept,
			Title: title, Disabled: disabled, Locked: locked, GUID: guid(), Groups: []string{"SecurID Users"},
			LastLogin: now.Add(-time.Duration(rng.IntN(30*24)) * time.Hour)}
		if dept == "Engineering" {
			p.Groups = append(p.Groups, "Engineers")
		}
		if dept == "Support" || dept == "IT Operations" {
			p.Groups = append(p.Groups, "Helpdesk")
		}
		ds.People = append(ds.People, p)
	}
	for _, f := range fixtures {
		add(f.login, f.given, f.sur, f.dept, f.title, f.disabled, f.locked)
	}
	taken := map[string]bool{}
	for _, p := range ds.People {
		taken[p.Login] = true
	}
	for i := 0; i < n; i++ {
		given := givenNames[rng.IntN(len(givenNames))]
		sur := surnames[rng.IntN(len(surnames))]
		login := strings.ToLower(given[:1] + sur)
		for k := 2; taken[login]; k++ {
			login = fmt.Sprintf("%s%d", strings.ToLower(given[:1]+sur), k)
		}
		taken[login] = true
		d := departments[rng.IntN(len(departments))]
		add(login, given, sur, d.name, d.title, rng.IntN(20) == 0, rng.IntN(50) == 0)
		// AD's own reasons, by position, not from rng: the rest of the data
		// set stays what it was
		p := &ds.People[len(ds.People)-1]
		switch i % 41 {
		case 7:
			p.MustChangePassword = true
		case 13:
			p.AccountExpires = now.Add(-5 * 24 * time.Hour) // a contractor whose contract ended
		case 29:
			p.AccountExpires = now.Add(9 * 24 * time.Hour)
		}
	}

	// the caller checks' facts, by position, not from rng: the rest of the
	// data set stays what it was. Everyone has a desk number and an
	// employee ID, two in three a mobile; the first of each eight is the
	// next seven's manager (jdoe has none). The systems administrator is a
	// domain admin: a privileged person, whose callers need more.
	ds.Groups = append(ds.Groups, PrivilegedGroup)
	for i := range ds.People {
		p := &ds.People[i]
		p.Phone = fmt.Sprintf("+1 (555) %03d-%04d", 100+i%900, (i*7919+1234)%10000)
		if i%3 != 2 {
			p.Mobile = fmt.Sprintf("+1555%03d%04d", 200+i%700, (i*104729+4321)%10000)
		}
		p.EmployeeID = fmt.Sprintf("E-%06d", 104729+i*37)
		if head := i / 8 * 8; head != i {
			p.Manager = ds.People[head].Login
		}
		if p.Title == "Systems Administrator" && i < len(fixtures) {
			p.Groups = append(p.Groups, PrivilegedGroup)
		}
	}

	// who may use the VPN: the people who log in there (Agent), and the
	// contractors (their accounts end), within office hours; by position,
	// not from rng, so the rest of the data set stays what it was
	ds.Groups = append(ds.Groups, VPNGroup, ContractorGroup)
	for i := range ds.People {
		p := &ds.People[i]
		switch {
		case !p.AccountExpires.IsZero():
			p.Groups = append(p.Groups, ContractorGroup)
		case i%len(agents) == 0:
			p.Groups = append(p.Groups, VPNGroup)
		}
	}

	serial := 100000000 + int(seed%1000)*1000
	nextSerial := func() string { serial += 7; return fmt.Sprintf("000%09d", serial) }
	day := 24 * time.Hour
	tok := func(owner string, typ amproto.TokenType, expires time.Time, enabled bool) Token {
		digits, interval := TokenDisplay(typ)
		return Token{Serial: nextSerial(), Owner: owner, Type: typ, Algorithm: amproto.AlgorithmAES, CodeLength: digits,
			Interval: interval, Start: now.Add(-400 * day), Expires: expires, Enabled: enabled,
			LastLogin: now.Add(-time.Duration(rng.IntN(72)) * time.Hour), PinSet: true, PIN: DemoPIN}
	}
	twoYears := now.Add(730 * day)
	badCodes := func(t Token, n int) Token { t.BadCodeCount, t.NextTokencodeMode = n, true; return t }
	lastUsed := func(t Token, at time.Time) Token { t.LastLogin = at; return t }
	ds.Tokens = append(ds.Tokens,
		tok("jdoe", amproto.TokenTypeKeyFob, twoYears, true),
		tok("asmith", amproto.TokenTypeKeyFob, twoYears, true),
		tok("asmith", amproto.TokenTypeSoftID, twoYears, true), // legacy second token
		tok("bdisabled", amproto.TokenTypeKeyFob, twoYears, false),
		tok("cmueller", amproto.TokenTypeSoftID, now.Add(20*day), true),                            // expires soon
		badCodes(tok("dobrien", amproto.TokenTypeKeyFob, twoYears, true), 3),                       // locked out after three bad passcodes
		lastUsed(tok("eolsen", amproto.TokenTypeKeyFob, now.Add(-10*day), true), now.Add(-11*day)), // expired
	)
	for _, p := range ds.People[len(fixtures):] {
		if rng.IntN(10) < 8 {
			typ := amproto.TokenTypeKeyFob
			if rng.IntN(3) == 0 {
				typ = amproto.TokenTypeSoftID
			}
			ds.Tokens = append(ds.Tokens, tok(p.Login, typ, now.Add(time.Duration(60+rng.IntN(900))*day), !p.Disabled))
		}
	}
	// a person's last login (AM's principal) is their tokens' latest: the
	// two dates of one screen disagreed (jdoe's AM last login was weeks
	// before the login its token and its activity record show)
	latest := map[string]time.Time{}
	for _, t := range ds.Tokens {
		if t.Owner != "" && t.LastLogin.After(latest[t.Owner]) {
			latest[t.Owner] = t.LastLogin
		}
	}
	for i := range ds.People {
		if at, ok := latest[ds.People[i].Login]; ok {
			ds.People[i].LastLogin = at
		}
	}
	pool := 5 + n/5
	for i := 0; i < pool; i++ {
		t := tok("", amproto.TokenTypeKeyFob, twoYears, false)
		t.LastLogin, t.PinSet, t.PIN = time.Time{}, false, ""
		ds.Tokens = append(ds.Tokens, t)
	}
	// the software-token pool: what a new phone is issued from
	for range 3 + n/20 {
		t := tok("", amproto.TokenTypeSoftID, twoYears, false)
		t.LastLogin, t.PinSet, t.PIN = time.Time{}, false, ""
		ds.Tokens = append(ds.Tokens, t)
	}
	return ds
}

// TokenDisplay is the tokencode length and interval of the demo's tokens
// by type: key fobs show 6 digits a minute, software tokens 8 digits every
// 30 seconds, other hardware 8 digits a minute.
func TokenDisplay(typ amproto.TokenType) (digits, interval int) {
	switch typ {
	case amproto.TokenTypeKeyFob:
		return 6, 60
	case amproto.TokenTypeSoftID:
		return 8, 30
	}
	return 8, 60
}

func mailLocal(given, sur string) string {
	clean := func(s string) string {
		r := strings.NewReplacer("ü", "ue", "ö", "oe", "ä", "ae", "'", "", " ", "")
		return strings.ToLower(r.Replace(s))
	}
	return clean(given) + "." + clean(sur)
}

// Person returns the person with this login.
func (ds *Dataset) Person(login string) (Person, bool) {
	for _, p := range ds.People {
		if p.Login == login {
			return p, true
		}
	}
	return Person{}, false
}

// SeedAM loads the data set into an AM simulator: an LDAP identity source
// mapping the directory, one principal per person, every token, and a
// help-desk admin (the help desk's daily changes only) next to the super admin.
func (ds *Dataset) SeedAM(sim *amsim.Sim) error {
	src := sim.AddIdentitySource(IdentitySourceName, "Active Directory "+ds.Domain)
	sim.AddAdmin(AdminUser, AdminPassword, amsim.RoleSuperAdmin)
	sim.AddAdmin(HelpdeskUser, HelpdeskPassword, amsim.RoleHelpDesk)
	guids := make(map[string]string, len(ds.People))
	for _, p := range ds.People {
		g, err := sim.AddUser(src, amsim.User{Login: p.Login, First: p.GivenName, Last: p.Surname, Email: p.Mail,
			Enabled: !p.Disabled, Locked: p.Locked, LastLogin: p.LastLogin})
		if err != nil {
			return err
		}
		guids[p.Login] = g
	}
	for _, t := range ds.Tokens {
		_, err := sim.AddToken(amsim.Token{Serial: t.Serial, Algorithm: t.Algorithm, Type: t.Type, CodeLength: t.CodeLength, Interval: t.Interval,
			Start: t.Start, Expires: t.Expires, Enabled: t.Enabled, OwnerGUID: guids[t.Owner], LastLogin: t.LastLogin,
			NextTokencodeMode: t.NextTokencodeMode, BadCodeCount: t.BadCodeCount, PinSet: t.PinSet, PIN: t.PIN})
		if err != nil {
			return err
		}
	}
	if err := seedAgents(sim); err != nil {
		return err
	}
	sim.SetGroups(ds.MemberOf) // until a directory is wired in (stack.Serve)
	return sim.SeedActivity(ds.History()...)
}

// The demo's agents: where the people log in (the activity names them).
// The VPN is restricted to VPNGroup and ContractorGroup (office hours);
// the Citrix portal lets everyone in; the Windows logon agent
// authenticates offline on laptops for OfflineDays days.
var agents = []string{VPNAgent, PortalAgent, WindowsAgent}

// The demo's agents and the groups linked to them.
const (
	VPNAgent        = "VPN gateway (vpn01.corp.example)"
	PortalAgent     = "Citrix Gateway"
	WindowsAgent    = "Windows logon (MFA agent)"
	VPNGroup        = "VPN Users"
	ContractorGroup = "Contractors"
	// PrivilegedGroup is the demo's privileged people (dobrien): a group
	// the caller policy's default list names.
	PrivilegedGroup = "Domain Admins"
	// ContractorHours are when contractors may use the VPN.
	ContractorHours = "Mon-Fri 07:00-19:00"
	OfflineDays     = 14
)

// MemberOf is a person's groups as the data set made them (AM's view
// without a directory to ask: the simulator served on its own).
func (ds *Dataset) MemberOf(login string) ([]string, error) {
	for _, p := range ds.People {
		if strings.EqualFold(p.Login, login) {
			return p.Groups, nil
		}
	}
	return nil, nil
}

// seedAgents adds the demo's groups and agents to AM.
func seedAgents(sim *amsim.Sim) error {
	for _, g := range []struct{ name, hours string }{{VPNGroup, ""}, {ContractorGroup, ContractorHours}} {
		if _, err := sim.AddGroup(g.name, g.hours); err != nil {
			return err
		}
	}
	for _, a := range []amsim.Agent{
		{Name: VPNAgent, Type: amproto.AgentStandard, Address: "10.0.0.10", Restricted: true, Groups: []string{VPNGroup, ContractorGroup}},
		{Name: PortalAgent, Type: amproto.AgentWeb, Address: "10.0.0.20"},
		{Name: WindowsAgent, Type: amproto.AgentStandard, Address: "10.0.0.30", OfflineDays: OfflineDays, OfflineEAPasscode: true, OfflineEATokencode: true},
	} {
		if _, err := sim.AddAgent(a); err != nil {
			return err
		}
	}
	return nil
}

// Agent is where the i-th person logs in, and from which address.
func (ds *Dataset) Agent(i int) (agent, client string) {
	return agents[i%len(agents)], fmt.Sprintf("10.20.%d.%d", i/250, i%250+1)
}

// History is what AM's activity monitor holds when the demo starts,
// oldest first, consistent with the data set: each assigned token's last
// login within the week as a success; dobrien's three wrong passcodes this
// morning that locked him, and a try since; eolsen trying an expired token.
func (ds *Dataset) History() []amsim.Activity {
	now := ds.Created
	index := map[string]int{}
	for i, p := range ds.People {
		index[p.Login] = i
	}
	var out []amsim.Activity
	add := func(at time.Time, login, serial, key string) {
		agent, client := ds.Agent(index[login])
		out = append(out, amsim.Activity{At: at, Login: login, Serial: serial, Agent: agent, Client: client, Key: key})
	}
	for _, t := range ds.Tokens {
		if t.Owner != "" && t.Enabled && !t.LastLogin.IsZero() && now.Sub(t.LastLogin) < 7*24*time.Hour && t.LastLogin.Before(t.Expires) {
			add(t.LastLogin, t.Owner, t.Serial, "PASSCODE_ACCEPTED")
		}
	}
	if ts := ds.TokensOf("dobrien"); len(ts) > 0 {
		at := now.Add(-52 * time.Minute)
		add(at, "dobrien", ts[0], "BAD_PASSCODE")
		add(at.Add(40*time.Second), "dobrien", ts[0], "BAD_PASSCODE")
		add(at.Add(40*time.Second+time.Millisecond), "dobrien", ts[0], "NEXT_TOKENCODE_MODE")
		add(at.Add(95*time.Second), "dobrien", ts[0], "BAD_PASSCODE")
		add(at.Add(95*time.Second+time.Millisecond), "dobrien", ts[0], "USER_LOCKED_OUT")
		add(now.Add(-20*time.Minute), "dobrien", "", "USER_LOCKED")
	}
	if ts := ds.TokensOf("eolsen"); len(ts) > 0 {
		add(now.Add(-3*time.Hour), "eolsen", ts[0], "TOKEN_EXPIRED")
		add(now.Add(-3*time.Hour+2*time.Minute), "eolsen", ts[0], "TOKEN_EXPIRED")
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	// AM's times only grow: two records of one instant a millisecond apart
	for i := 1; i < len(out); i++ {
		if !out[i].At.After(out[i-1].At) {
			out[i].At = out[i-1].At.Add(time.Millisecond)
		}
	}
	return out
}

// TokensOf returns the serials of login's tokens.
func (ds *Dataset) TokensOf(login string) []string {
	var out []string
	for _, t := range ds.Tokens {
		if t.Owner == login {
			out = append(out, t.Serial)
		}
	}
	return out
}
