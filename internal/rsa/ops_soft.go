package rsa

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/rsa/am"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
)

// Software tokens: the "new phone" call. A person's software token is
// issued to their phone or computer in one of AM's three deliveries; a
// person with no token gets one from the software-token pool first (one
// token a person still holds: a person with a hardware token is refused).

// Delivery is how a software token reaches the app.
type Delivery string

const (
	ViaCTKIP Delivery = "ctkip" // an activation code and AM's CT-KIP URL (the QR code)
	ViaCTF   Delivery = "ctf"   // a compressed token format string (a link)
	ViaFile  Delivery = "file"  // a .sdtid token file
)

// Deliveries lists them, in the order the console offers them.
var Deliveries = []Delivery{ViaCTKIP, ViaCTF, ViaFile}

// ParseDelivery reads a --via value.
func ParseDelivery(s string) (Delivery, error) {
	for _, d := range Deliveries {
		if strings.EqualFold(s, string(d)) {
			return d, nil
		}
	}
	return "", fmt.Errorf("%w: delivery %q: use ctkip (QR code), ctf (a token string) or file (.sdtid)", ErrInvalidInput, s)
}

// Words is the delivery said to a person.
func (d Delivery) Words() string {
	switch d {
	case ViaCTKIP:
		return "QR code (activation code, CT-KIP)"
	case ViaCTF:
		return "token string (CTF link)"
	case ViaFile:
		return "token file (.sdtid)"
	}
	return string(d)
}

// amDelivery is the profile delivery constant that goes with d.
func (d Delivery) capable(dev SoftTokenDevice) bool {
	switch d {
	case ViaCTKIP:
		return dev.CTKIP
	case ViaCTF:
		return dev.CTF
	case ViaFile:
		return dev.File
	}
	return false
}

func (d Delivery) profileMethod() string {
	switch d {
	case ViaCTKIP:
		return amproto.DeliveryCTKIP
	case ViaCTF:
		return amproto.DeliveryCTF
	}
	return amproto.DeliveryFile
}

// DeliveryOf is the delivery profile p is set up for (its tokenDeliveryMethod).
func DeliveryOf(p SoftTokenProfile) Delivery {
	for _, d := range Deliveries {
		if d.profileMethod() == p.Delivery {
			return d
		}
	}
	return ""
}

// PINWords is a profile's PIN handling said to a person.
func PINWords(p SoftTokenProfile) string {
	switch p.PINMode {
	case amproto.PINUseTokencode:
		return "PINless: the tokencode alone"
	case amproto.PINUsePinpad:
		return "PIN typed into the app"
	}
	return "PIN + tokencode"
}

// IssueRequest is what to issue.
type IssueRequest struct {
	Login  string // the person: their software token, or one from the pool
	Serial string // or the software token itself
	Via    Delivery
	// Profile is a profile's name or GUID; "" picks the first profile that
	// delivers Via.
	Profile string
	// NewSeed: the new-phone re-issue; copies issued before stop working
	// (a CT-KIP activation always gives the app a new seed).
	NewSeed bool
	// Password protects a token string or file ("" for none).
	Password Secret
}

// TokenFile is an issued .sdtid file. It holds the token: its bytes are
// read with Bytes, and it prints as [redacted].
type TokenFile struct {
	Name string
	data []byte
}

func (f TokenFile) Bytes() []byte    { return f.data }
func (f TokenFile) String() string   { return "[redacted]" }
func (f TokenFile) GoString() string { return "[redacted]" }

// Issued is what an issue gave: the secret the person needs (one of CTF,
// Activation, File) — shown once, kept nowhere — and the token as AM holds
// it afterwards.
type Issued struct {
	Serial, Login string
	Via           Delivery
	Profile       SoftTokenProfile
	FromPool      bool
	NewSeed       bool
	CTF           Secret
	Activation    Activation
	File          TokenFile
	After         TokenState
	Commands      []string
}

// The plan steps of an issue.
var (
	listProfiles = Step{Commands: []string{"ListSoftTokenProfilesCommand"}}
	softPool     = Step{Commands: []string{"GetAvailableSoftwareTokensCommand"}}
	issueRead    = Step{Commands: []string{"LookupTokenCommand", "LookupTokenEmergencyAccessCommand"}}
)

// IssuePlan is the AM commands of an issue by via; bySerial when the token
// is named, fromPool when it comes from the software-token pool.
func IssuePlan(via Delivery, bySerial, fromPool, newSeed bool) Plan {
	var p Plan
	if bySerial {
		p = append(p, readBySerial...)
	} else {
		p = append(p, findPerson)
	}
	if fromPool {
		p = append(p, softPool)
		p = append(p, readBySerial...)
		p = append(p, Step{Commands: []string{"LinkTokensWithPrincipalCommand"}}, readBack)
	}
	p = append(p, listProfiles)
	seed := fmt.Sprintf("regenerateSeed=%v", newSeed)
	switch via {
	case ViaCTKIP:
		p = append(p, Step{Commands: []string{"LinkSoftTokensWithProfileCommand"}},
			Step{Commands: []string{"UpdateOrAddCTKIPActivationCodeCommand"}, Carries: "a new activation code"},
			Step{Commands: []string{"LookupCTKIPActivationCodeCommand", "LookupTokenCommand", "LookupTokenEmergencyAccessCommand"}})
	case ViaCTF:
		p = append(p, Step{Commands: []string{"GenerateSoftTokenTSFCommand"}, Carries: seed}, issueRead)
	case ViaFile:
		p = append(p, Step{Commands: []string{"IssueSoftwareTokensCommand"}, Carries: seed},
			Step{Commands: []string{"GetSoftwareTokenFileCommand"}},
			Step{Commands: []string{"DeleteSoftwareTokenFileCommand"}, Carries: "AM keeps no copy"}, issueRead)
	}
	return p
}

// SoftProfiles lists AM's software token profiles.
func (o *Ops) SoftProfiles(ctx context.Context) ([]SoftTokenProfile, error) {
	return o.c.ListSoftTokenProfiles(am.WithQueue(ctx, o.queue))
}

// SoftwarePool lists the software-token pool: unassigned software tokens.
func (o *Ops) SoftwarePool(ctx context.Context, limit int) ([]TokenSummary, error) {
	return o.c.AvailableSoftwareTokens(am.WithQueue(ctx, o.queue), limit)
}

// PickProfile is the profile named (name or GUID, any case) that can
// deliver via, or the first that delivers via by default; the error says
// which profiles can.
func PickProfile(ps []SoftTokenProfile, name string, via Delivery) (SoftTokenProfile, error) {
	var able []string
	for _, p := range ps {
		if via.capable(p.Device) {
			able = append(able, p.Name)
		}
	}
	for _, p := range ps {
		if name != "" && (strings.EqualFold(p.Name, name) || p.GUID == name) {
			if !via.capable(p.Device) {
				return p, fmt.Errorf("%w: profile %q (%s) cannot take a %s; profiles that can: %s", ErrInvalidInput,
					p.Name, p.Device.Name, via.Words(), strings.Join(able, ", "))
			}
			return p, nil
		}
	}
	if name != "" {
		var all []string
		for _, p := range ps {
			all = append(all, p.Name)
		}
		return SoftTokenProfile{}, fmt.Errorf("%w: no software token profile %q; AM has: %s", ErrInvalidInput, name, strings.Join(all, ", "))
	}
	for _, p := range ps {
		if via.capable(p.Device) && p.Delivery == via.profileMethod() {
			return p, nil
		}
	}
	for _, p := range ps {
		if via.capable(p.Device) {
			return p, nil
		}
	}
	return SoftTokenProfile{}, fmt.Errorf("%w: no software token profile in AM delivers by %s", ErrInvalidInput, via.Words())
}

// IssueSoftware issues a software token (the new-phone call).
func (o *Ops) IssueSoftware(ctx context.Context, r IssueRequest) (Issued, error) {
	ctx = am.WithQueue(ctx, o.queue)
	target := r.Login
	if r.Serial != "" {
		target = "token " + r.Serial
	}
	ctx = o.intend(ctx, "token.issue-software", target, map[string]string{"via": string(r.Via), "profile": r.Profile,
		"new_seed": fmt.Sprint(r.NewSeed), "password_protected": fmt.Sprint(r.Password != "")})
	res, err := o.issueSoftware(ctx, r)
	if errors.Is(err, am.ErrOutcomeUnknown) {
		// the secret came, if at all, in the reply that was lost: it is
		// nowhere now, and nothing rsatui can read brings it back
		err = am.Advise(err, "AM may have issued the token (one issue of its limit spent), but the reply carrying what the app needs was lost: "+
			"issue it again, with a new seed, so that a copy nobody saw is of no use")
	}
	note := ""
	if err == nil {
		note = fmt.Sprintf("issued %s to %s by %s (profile %s)", res.Serial, res.Login, res.Via, res.Profile.Name)
		if res.FromPool {
			note += ", from the software-token pool"
		}
	}
	return res, o.record(ctx, res.Commands, note, err)
}

func (o *Ops) issueSoftware(ctx context.Context, r IssueRequest) (Issued, error) {
	res := Issued{Via: r.Via, NewSeed: r.NewSeed}
	if err := o.Permits(PermIssueSoftware); err != nil {
		return res, err
	}
	if _, err := ParseDelivery(string(r.Via)); err != nil {
		return res, err
	}
	if (r.Login == "") == (r.Serial == "") {
		return res, fmt.Errorf("%w: name the person or the software token, one of them", ErrInvalidInput)
	}
	if len(r.Password) > 32 {
		return res, fmt.Errorf("%w: a token password has at most 32 characters", ErrInvalidInput)
	}
	if r.Password != "" && r.Via == ViaCTKIP {
		return res, fmt.Errorf("%w: an activation code takes no password (the app and AM agree the seed over CT-KIP)", ErrInvalidInput)
	}
	// The guard comes before the token is found: for a person without one,
	// finding it assigns one from the pool — a change an unverified caller
	// (or a request a second admin then rejects) must not leave behind.
	if r.Login != "" {
		if err := o.guard(ctx, Change{Action: action.IssueSoftware, Login: r.Login, NewSeed: r.NewSeed}); err != nil {
			return res, err
		}
	}
	tok, err := o.softTokenFor(ctx, r, &res)
	if err != nil {
		return res, err
	}
	res.Serial, res.Login = tok.Serial, tok.AssignedUserID
	if r.Login == "" { // named by its serial: read only, so far
		if err := o.guard(ctx, Change{Action: action.IssueSoftware, Login: res.Login, NewSeed: r.NewSeed}); err != nil {
			return res, err
		}
	}
	res.Commands = append(res.Commands, listProfiles.Commands...)
	ps, err := o.c.ListSoftTokenProfiles(ctx)
	if err != nil {
		return res, err
	}
	if res.Profile, err = PickProfile(ps, r.Profile, r.Via); err != nil {
		return res, err
	}
	req := am.SoftTokenRequest{TokenGUID: tok.GUID, Profile: res.Profile, NewSeed: r.NewSeed, Password: r.Password}
	// the intent is on disk before the first command that issues
	if err := o.announce(ctx); err != nil {
		return res, err
	}
	switch r.Via {
	case ViaCTKIP:
		res.Commands = append(res.Commands, "LinkSoftTokensWithProfileCommand")
		if err := o.c.LinkProfile(ctx, tok.GUID, res.Profile); err != nil {
			return res, err
		}
		res.Commands = append(res.Commands, "UpdateOrAddCTKIPActivationCodeCommand")
		if _, err := o.c.AddActivationCode(ctx, tok.GUID); err != nil {
			return res, err
		}
		// what AM holds, not what its reply said: the code the person
		// is shown is the one AM will take
		res.Commands = append(res.Commands, "LookupCTKIPActivationCodeCommand", "LookupTokenCommand", "LookupTokenEmergencyAccessCommand")
		var aerr, terr error
		together(
			func() { res.Activation, aerr = o.c.LookupActivationCode(ctx, tok.Serial) },
			func() { res.After, terr = o.readBack(ctx, tok.GUID) },
		)
		if aerr != nil {
			return res, fmt.Errorf("AM made an activation code for %s but reading it back failed; issue again for a new one: %w", tok.Serial, aerr)
		}
		return res, terr
	case ViaCTF:
		res.Commands = append(res.Commands, "GenerateSoftTokenTSFCommand")
		if res.CTF, err = o.c.GenerateCTF(ctx, req); err != nil {
			return res, err
		}
	case ViaFile:
		res.Commands = append(res.Commands, "IssueSoftwareTokensCommand")
		id, err := o.c.IssueTokenFile(ctx, req)
		if err != nil {
			return res, err
		}
		res.Commands = append(res.Commands, "GetSoftwareTokenFileCommand")
		zipped, ferr := o.c.TokenFile(ctx, id)
		// AM keeps the file until it is deleted: delete it whether or
		// not it arrived, so no copy of the token waits on the server
		res.Commands = append(res.Commands, "DeleteSoftwareTokenFileCommand")
		derr := o.c.DeleteTokenFile(context.WithoutCancel(ctx), id)
		if ferr != nil {
			return res, ferr
		}
		if res.File, err = sdtidOf(zipped); err != nil {
			return res, err
		}
		if derr != nil {
			return res, fmt.Errorf("the token file is here, but AM still holds a copy (file %s): delete it in AM: %w", id, derr)
		}
	}
	res.Commands = append(res.Commands, issueRead.Commands...)
	res.After, err = o.readBack(ctx, tok.GUID)
	return res, err
}

// softTokenFor finds the software token to issue: the one named, the
// person's, or (a person with none) the first of the software-token pool,
// assigned to them by Assign's rules.
func (o *Ops) softTokenFor(ctx context.Context, r IssueRequest, res *Issued) (Token, error) {
	if r.Serial != "" {
		if err := ValidateSerial(r.Serial); err != nil {
			return Token{}, err
		}
		res.Commands = append(res.Commands, readBySerial.Commands()...)
		st, err := o.Token(ctx, r.Serial)
		if err != nil {
			return Token{}, err
		}
		return st.Token, softIssuable(st.Token)
	}
	res.Commands = append(res.Commands, findPerson.Commands...)
	p, held, err := o.UserTokens(ctx, r.Login)
	if err != nil {
		return Token{}, err
	}
	var soft, hard []TokenSummary
	for _, t := range held {
		if t.Retired() {
			continue
		}
		if t.TokenType == TokenTypeSoftID {
			soft = append(soft, t)
		} else {
			hard = append(hard, t)
		}
	}
	switch {
	case len(soft) == 1:
		t := soft[0].AsToken(p.GUID)
		t.AssignedUserID = r.Login
		return t, softIssuable(t)
	case len(soft) > 1:
		var ss []string
		for _, t := range soft {
			ss = append(ss, t.Serial)
		}
		return Token{}, fmt.Errorf("%w: %s holds %d software tokens (%s): name the one to issue", ErrRule, r.Login, len(soft), strings.Join(ss, ", "))
	case len(hard) > 0:
		return Token{}, fmt.Errorf("%w: %s holds %s %s and the rule is one token a person: replace it with a software token, or unassign it first",
			ErrRule, r.Login, hard[0].TokenType, hard[0].Serial)
	}
	if err := o.Permits(PermAssign); err != nil {
		return Token{}, fmt.Errorf("%s has no software token and giving one from the pool assigns it: %w", r.Login, err)
	}
	res.Commands = append(res.Commands, softPool.Commands...)
	pool, err := o.c.AvailableSoftwareTokens(ctx, 1)
	if err != nil {
		return Token{}, err
	}
	if len(pool) == 0 {
		return Token{}, fmt.Errorf("%w: the software-token pool is empty: import software tokens in AM first", ErrRule)
	}
	a, err := o.assignTo(ctx, TokenResult{}, pool[0].Serial, r.Login, p, held, false)
	res.Commands = append(res.Commands, a.Commands...)
	if err != nil {
		return Token{}, err
	}
	res.FromPool = true
	return a.After.Token, nil
}

// softIssuable refuses what AM would: a token that is not a software
// token, or has no owner.
func softIssuable(t Token) error {
	switch {
	case t.TokenType != TokenTypeSoftID:
		return fmt.Errorf("%w: token %s is a %s: only a software token can be issued to a phone or computer", ErrRule, t.Serial, t.TokenType)
	case !t.Assigned():
		return fmt.Errorf("%w: token %s is not assigned: assign it to the person first", ErrRule, t.Serial)
	}
	return nil
}

// sdtidOf takes the .sdtid out of the zip AM delivers.
func sdtidOf(zipped []byte) (TokenFile, error) {
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		return TokenFile{}, fmt.Errorf("AM's token file is not a zip: %w", err)
	}
	for _, f := range zr.File {
		if !strings.HasSuffix(strings.ToLower(f.Name), ".sdtid") {
			continue
		}
		if f.UncompressedSize64 > 1<<20 {
			return TokenFile{}, errors.New("AM's token file holds a .sdtid of over 1 MiB")
		}
		rc, err := f.Open()
		if err != nil {
			return TokenFile{}, err
		}
		b, err := io.ReadAll(io.LimitReader(rc, 1<<20))
		_ = rc.Close()
		if err != nil {
			return TokenFile{}, err
		}
		return TokenFile{Name: path.Base(f.Name), data: b}, nil
	}
	return TokenFile{}, errors.New("AM's token file holds no .sdtid")
}
