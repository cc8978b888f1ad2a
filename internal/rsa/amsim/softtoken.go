package amsim

import (
	"archive/zip"
	"bytes"
	crand "crypto/rand"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
	"github.com/rsatui/rsatui/internal/securid"
)

// Software tokens (software-tokens.md): profiles name a device type, a
// delivery and the PIN handling; a software token is issued as a CTF
// string, a .sdtid file in a zip, or an activation code for dynamic seed
// provisioning (CT-KIP). The rules here are AM's as the notes give them:
// only a software token can be issued; a device type delivers only what it
// is capable of; a token is issued at most SoftwareIssueLimit times;
// regenerateSeed gives the token a new seed, so copies issued before stop
// working; an activation code has a lifetime and is good once.

// activationLifetime is how long an activation code stays good
// (LookupCTKIPActivationCodeLifetimeCommand; AM's default is not in the
// notes: 7 days [proposal]).
const activationLifetime = 7 * 24 * time.Hour

type deviceType struct {
	guid, name, plugin           string
	ctkip, qr, tsf, xml          bool
	codeLength, interval, pinpad string
}

type softProfile struct {
	guid, name, delivery, pinMode string
	useQR                         bool
	device                        *deviceType
}

type activation struct {
	id, code  string
	expires   time.Time
	used      bool
	createdBy string
}

type softFile struct {
	content []byte
	created time.Time
}

type softState struct {
	devices  []*deviceType
	profiles []*softProfile
	files    map[string]softFile
}

// newSoftState is the simulator's software-token profiles: a phone app
// that takes a QR code (CT-KIP) or a CTF link, a PINless phone profile, and
// a desktop app that takes a token file.
func newSoftState(guid func() string) softState {
	phone := &deviceType{guid: guid(), name: "RSA SecurID Authenticate (iOS, Android)", plugin: "com.rsa.securid.authenticate",
		ctkip: true, qr: true, tsf: true, codeLength: "8", interval: "30", pinpad: "false"}
	desktop := &deviceType{guid: guid(), name: "RSA SecurID Software Token for Windows and macOS", plugin: "com.rsa.securid.desktop",
		xml: true, tsf: true, codeLength: "8", interval: "60", pinpad: "false"}
	return softState{devices: []*deviceType{phone, desktop},
		profiles: []*softProfile{
			{guid: guid(), name: "Phone (QR code)", delivery: amproto.DeliveryCTKIP, useQR: true, pinMode: amproto.PINUseFob, device: phone},
			{guid: guid(), name: "Phone (link)", delivery: amproto.DeliveryCTF, pinMode: amproto.PINUseFob, device: phone},
			{guid: guid(), name: "Phone, PINless (QR code)", delivery: amproto.DeliveryCTKIP, useQR: true, pinMode: amproto.PINUseTokencode, device: phone},
			{guid: guid(), name: "Desktop (token file)", delivery: amproto.DeliveryFile, pinMode: amproto.PINUseFob, device: desktop},
		},
		files: map[string]softFile{}}
}

func (d *deviceType) dto(name string) *soapenc.Value {
	return obj(name, amproto.SoftTokenDeviceTypeDTO, soapenc.Str("guid", d.guid), soapenc.Str("description", d.name),
		soapenc.Str("labelKey", d.name), soapenc.Str("pluginModuleName", d.plugin), soapenc.Str("familyKey", d.plugin),
		soapenc.Bool("ctkipCapable", d.ctkip), soapenc.Bool("QRCodeCapable", d.qr), soapenc.Bool("TSFCapable", d.tsf),
		soapenc.Bool("XMLCapable", d.xml), soapenc.Str("tokenCodeLength", d.codeLength),
		soapenc.Str("tokenCodeInterval", d.interval), soapenc.Str("pinpad", d.pinpad), soapenc.Str("version", "1"))
}

func (p *softProfile) dto(name string) *soapenc.Value {
	return obj(name, amproto.SoftTokenProfileDTO, soapenc.Str("guid", p.guid), soapenc.Str("name", p.name),
		p.device.dto("softTokenDeviceTypeDTO"), soapenc.Str("tokenDeliveryMethod", p.delivery),
		soapenc.Bool("tokenDeliveryUseQRCode", p.useQR), soapenc.Str("tokenAuthenticationType", p.pinMode),
		soapenc.Str("tokenCodeLength", p.device.codeLength), soapenc.Str("tokenCodeInterval", p.device.interval))
}

func (s *Sim) profileByGUID(g string) (*softProfile, *simFault) {
	for _, p := range s.soft.profiles {
		if p.guid == g {
			return p, nil
		}
	}
	if g == "" {
		return nil, badArg("softTokenProfileGuid is not specified")
	}
	return nil, notFound("SOFTTOKEN_PROFILE_NOT_FOUND", "Software token profile %s not found", g)
}

func (s *Sim) listSoftTokenProfiles(in *soapenc.Value) (*soapenc.Value, *simFault) {
	items := make([]*soapenc.Value, len(s.soft.profiles))
	for i, p := range s.soft.profiles {
		items[i] = p.dto("item")
	}
	return reply(in, obj("softTokenProfilesDTO", amproto.ListSoftTokenProfilesDTO,
		soapenc.ObjArray("softTokenProfiles", amproto.SoftTokenProfileDTO, items...))), nil
}

func (s *Sim) lookupSoftTokenProfile(in *soapenc.Value) (*soapenc.Value, *simFault) {
	p, f := s.profileByGUID(in.Str("softTokenProfileGuid"))
	if f != nil {
		return nil, f
	}
	return reply(in, p.dto("softTokenProfileDTO")), nil
}

func (s *Sim) lookupSoftTokenDeviceType(in *soapenc.Value) (*soapenc.Value, *simFault) {
	g := in.Str("softTokenDeviceTypeGuid")
	for _, d := range s.soft.devices {
		if d.guid == g {
			return reply(in, d.dto("softTokenDeviceTypeDTO")), nil
		}
	}
	return nil, notFound("SOFTTOKEN_DEVICE_TYPE_NOT_FOUND", "Software token device type %s not found", g)
}

// issuable is the software-token pool: unassigned software tokens that
// have not expired, lowest serial first. Caller holds mu.
func (s *Sim) issuable() []*token {
	now := s.opt.Now()
	var out []*token
	for _, t := range s.tokens {
		if t.typ == amproto.TokenTypeSoftID && t.available(now) {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].serial < out[j].serial })
	return out
}

func (s *Sim) getAvailableSoftwareTokens(in *soapenc.Value) (*soapenc.Value, *simFault) {
	limit, err := in.Int("limit")
	if err != nil {
		return nil, badArg("%v", err)
	}
	if limit < 1 || limit > 1000 {
		return nil, badArg("limit %d: want 1 to 1000", limit)
	}
	var items []*soapenc.Value
	for i, t := range s.issuable() {
		if i == limit {
			break
		}
		items = append(items, s.listTokenDTO(t))
	}
	return reply(in, soapenc.ObjArray("token", amproto.ListTokenDTO, items...)), nil
}

func (s *Sim) countIssuableSoftwareTokens(in *soapenc.Value) (*soapenc.Value, *simFault) {
	return reply(in, soapenc.Int("count", len(s.issuable()))), nil
}

// softRequest is a DistributeSoftTokenRequest checked against AM's rules:
// its one token, its profile, the delivery the device type must be capable
// of, the issue limit.
type softRequest struct {
	t        *token
	profile  *softProfile
	newSeed  bool
	password string
}

func (s *Sim) checkSoftRequest(req *soapenc.Value, delivery string) (softRequest, *simFault) {
	if req == nil || req.Nil {
		return softRequest{}, badArg("the software token request is not specified")
	}
	guids := req.Strings("tokenGuids")
	if len(guids) != 1 {
		// AM issues several at once to one file; rsatui and the
		// simulator issue one token to one person [proposal]
		return softRequest{}, badArg("tokenGuids must name one token (got %d)", len(guids))
	}
	t, f := s.tokenByRef(guids[0], "")
	if f != nil {
		return softRequest{}, f
	}
	p, f := s.profileByGUID(req.Str("softTokenProfileGuid"))
	if f != nil {
		return softRequest{}, f
	}
	if g := req.Str("deviceTypeGuid"); g != "" && g != p.device.guid {
		return softRequest{}, badArg("device type %s is not the device type of profile %s", g, p.name)
	}
	newSeed, _ := req.Bool("regenerateSeed")
	protect, err := req.Int("protectedMethod")
	if err != nil {
		return softRequest{}, badArg("protectedMethod: %v", err)
	}
	r := softRequest{t: t, profile: p, newSeed: newSeed}
	switch protect {
	case amproto.ProtectNone:
	case amproto.ProtectByPassword:
		r.password = req.Str("password")
		if r.password == "" || len(r.password) > 32 {
			return softRequest{}, badArg("protectedMethod BY_PASSWORD needs a password of 1 to 32 characters")
		}
	default:
		return softRequest{}, badArg("protectedMethod %d is not supported by the simulator (NONE -1 or BY_PASSWORD 0)", protect)
	}
	now := s.opt.Now()
	capable := map[string]bool{amproto.DeliveryCTKIP: p.device.ctkip, amproto.DeliveryCTF: p.device.tsf, amproto.DeliveryFile: p.device.xml}
	switch {
	case t.typ != amproto.TokenTypeSoftID:
		return softRequest{}, badArg("Token %s is a %s, not a software token: only a software token can be issued to a device", t.serial, t.typ)
	case t.principal == "":
		return softRequest{}, badArg("Token %s is not assigned: assign it before it is issued", t.serial)
	case !t.expires.IsZero() && !t.expires.After(now):
		return softRequest{}, badArg("Token %s expired on %s", t.serial, t.expires.Format("2006-01-02"))
	case !capable[delivery]:
		return softRequest{}, badArg("Device type %s cannot take a token by %s", p.device.name, delivery)
	case t.softIssued >= amproto.SoftwareIssueLimit:
		return softRequest{}, fault(amproto.ExValidation, "SOFTWARE_TOKEN_ISSUE_LIMIT_EXCEEDED",
			"Token %s has been issued %d times, the limit: replace it with another software token", t.serial, t.softIssued)
	}
	return r, nil
}

// issue applies a checked request: the profile's settings, a new seed when
// asked, one more issue counted, any activation code left from before
// withdrawn. Caller holds mu.
func (s *Sim) issue(r softRequest) {
	t := r.t
	if r.newSeed {
		t.seed = s.newSeed()
		t.drift, t.clockSkew, t.lastStep = 0, 0, 0
	}
	t.profile, t.pinMode = r.profile.guid, r.profile.pinMode
	if d, err := strconv.Atoi(r.profile.device.codeLength); err == nil {
		t.codeLength = d
	}
	if iv, err := strconv.Atoi(r.profile.device.interval); err == nil && iv != t.interval {
		// intervals are counted anew: the drift and the last code used
		// were counted in the old ones
		t.interval = iv
		t.drift, t.clockSkew, t.lastStep = 0, 0, 0
	}
	t.softIssued++
	t.distributed = true
	t.activation = nil
	t.rowVersion++
}

// newSeed is a fresh seed: from the system's random source when codes must
// be unpredictable, else from the data set's generator (tests repeat).
func (s *Sim) newSeed() (seed [16]byte) {
	if s.opt.RandomCodes {
		_, _ = crand.Read(seed[:])
		return seed
	}
	for i := range seed {
		seed[i] = byte(s.rng.Uint32())
	}
	return seed
}

func (s *Sim) generateSoftTokenTSF(in *soapenc.Value) (*soapenc.Value, *simFault) {
	r, f := s.checkSoftRequest(in.Field("softTokenRequest"), amproto.DeliveryCTF)
	if f != nil {
		return nil, f
	}
	s.issue(r)
	ctf, err := r.t.securid().CTF(r.password)
	if err != nil {
		return nil, fault(amproto.ExSystem, "", "token %s: %v", r.t.serial, err)
	}
	return reply(in, soapenc.Str("tsf", ctf)), nil
}

func (s *Sim) issueSoftwareTokens(in *soapenc.Value) (*soapenc.Value, *simFault) {
	r, f := s.checkSoftRequest(in.Field("request"), amproto.DeliveryFile)
	if f != nil {
		return nil, f
	}
	s.issue(r)
	t := r.t
	p := s.princ[t.principal]
	file, err := t.securid().SDTID(securid.SDTIDOptions{Password: r.password, Origin: "RSA Authentication Manager",
		Name: t.serial, Login: p.login, First: p.first, Last: p.last, Rand: s.randReader()})
	if err != nil {
		return nil, fault(amproto.ExSystem, "", "token %s: %v", t.serial, err)
	}
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, err := zw.Create(t.serial + ".sdtid")
	if err == nil {
		_, err = w.Write(file)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return nil, fault(amproto.ExSystem, "", "token file: %v", err)
	}
	id := s.newGUID()
	s.soft.files[id] = softFile{content: zb.Bytes(), created: s.opt.Now()}
	return reply(in, soapenc.Str("fileId", id)), nil
}

// randReader is the source of a token file's batch secret.
func (s *Sim) randReader() *simRand { return &simRand{s} }

type simRand struct{ s *Sim }

func (r *simRand) Read(p []byte) (int, error) {
	if r.s.opt.RandomCodes {
		return crand.Read(p)
	}
	for i := range p {
		p[i] = byte(r.s.rng.Uint32())
	}
	return len(p), nil
}

func (s *Sim) getSoftwareTokenFile(in *soapenc.Value) (*soapenc.Value, *simFault) {
	id := in.Str("fileId")
	f, ok := s.soft.files[id]
	if !ok {
		return nil, notFound("SOFTWARE_TOKEN_FILE_NOT_FOUND", "Software token file %s not found (deleted, or never issued)", id)
	}
	return reply(in, &soapenc.Value{Name: "fileContent", Type: soapenc.XSD("base64Binary"),
		Text: base64.StdEncoding.EncodeToString(f.content)}), nil
}

func (s *Sim) deleteSoftwareTokenFile(in *soapenc.Value) (*soapenc.Value, *simFault) {
	id := in.Str("fileId")
	if _, ok := s.soft.files[id]; !ok {
		return nil, notFound("SOFTWARE_TOKEN_FILE_NOT_FOUND", "Software token file %s not found", id)
	}
	delete(s.soft.files, id)
	return reply(in), nil
}

// ctkipInfo is where the phone's app reaches AM's CT-KIP service.
func (s *Sim) ctkipInfo(code string) *soapenc.Value {
	return obj("ctkipConnectionInfo", amproto.CTKIPConnectionInfo, soapenc.Str("activationCode", code),
		soapenc.Str("baseCtKipTriggerURL", "com.rsa.securid://ctkip"), soapenc.Int("ctkipActivationCodeLifetime", int(activationLifetime/time.Minute)),
		soapenc.Str("ctkipServerFQDN", s.opt.Hostname), soapenc.Str("ctkipServerPort", "443"),
		soapenc.Str("ctkipServerProtocol", "https"), soapenc.Str("ctkipServiceAddress", "/ctkip/services/CtkipService"))
}

func (s *Sim) activationDTO(name string, t *token) *soapenc.Value {
	a := t.activation
	set := []*soapenc.Value{soapenc.Str("tokenID", t.guid), soapenc.Str("tokenSerialNum", t.serial),
		soapenc.Int("tokenType", int(t.typ)), soapenc.Bool("tokenAssigned", t.principal != ""),
		soapenc.Bool("tokenEnabled", t.enabled), soapenc.OptStr("principalId", t.principal),
		soapenc.Str("securityDomainId", s.domain.guid)}
	if a != nil {
		set = append(set, soapenc.Str("id", a.id), soapenc.Str("activationCode", a.code),
			soapenc.Time("activationCodeExpiresOn", a.expires), s.ctkipInfo(a.code),
			soapenc.Str("lastUpdatedBy", a.createdBy))
	}
	return obj(name, amproto.CTKIPActivationCodeDTO, set...)
}

// linkSoftTokensWithProfile links software tokens with a profile: the
// device type, delivery and PIN handling they are issued with.
func (s *Sim) linkSoftTokensWithProfile(in *soapenc.Value) (*soapenc.Value, *simFault) {
	p, f := s.profileByGUID(in.Str("softTokenProfileGuid"))
	if f != nil {
		return nil, f
	}
	ts, f := s.softTokensByGUIDs(in)
	if f != nil {
		return nil, f
	}
	for _, t := range ts {
		t.profile = p.guid
		t.rowVersion++
	}
	return reply(in), nil
}

// updateOrAddCTKIPActivationCode issues a token by dynamic seed
// provisioning: with no guid, AM makes a new 12-digit activation code for
// the token the record names (tokenID or tokenSerialNum), under the profile
// the token is linked with, and answers with the record filled in (any
// earlier code of the token is withdrawn). The request is checked as a
// distribution by CT-KIP [proposal: which members AM reads is not in the
// notes].
func (s *Sim) updateOrAddCTKIPActivationCode(in *soapenc.Value) (*soapenc.Value, *simFault) {
	dto := in.Field("ctkipActivationCodeDTO")
	if dto == nil || dto.Nil {
		return nil, badArg("ctkipActivationCodeDTO is not specified")
	}
	if g := in.Str("guid"); g != "" {
		return nil, badArg("updating activation code %s is not supported by the simulator: add a new one (no guid)", g)
	}
	t, f := s.tokenByRef(dto.Str("tokenID"), dto.Str("tokenSerialNum"))
	if f != nil {
		return nil, f
	}
	if t.profile == "" && t.typ == amproto.TokenTypeSoftID {
		return nil, badArg("Token %s is not linked with a software token profile (LinkSoftTokensWithProfileCommand)", t.serial)
	}
	req := obj("request", amproto.DistributeSoftTokenRequest, soapenc.StrArray("tokenGuids", []string{t.guid}),
		soapenc.Str("softTokenProfileGuid", t.profile), soapenc.Int("protectedMethod", amproto.ProtectNone),
		soapenc.Bool("regenerateSeed", false))
	r, f := s.checkSoftRequest(req, amproto.DeliveryCTKIP)
	if f != nil {
		return nil, f
	}
	s.issue(r)
	t.activation = &activation{id: s.newGUID(), code: s.activationCode(), expires: s.opt.Now().Add(activationLifetime),
		createdBy: "admin"}
	return reply(in, s.activationDTO("ctkipActivationCodeDTO", t)), nil
}

// activationCode is 12 digits, unpredictable in a simulator people use.
func (s *Sim) activationCode() string {
	var b strings.Builder
	for range 12 {
		var d int
		if s.opt.RandomCodes {
			var x [1]byte
			for {
				_, _ = crand.Read(x[:])
				if x[0] < 250 {
					break
				}
			}
			d = int(x[0] % 10)
		} else {
			d = s.rng.IntN(10)
		}
		b.WriteByte(byte('0' + d))
	}
	return b.String()
}

func (s *Sim) lookupCTKIPActivationCode(in *soapenc.Value) (*soapenc.Value, *simFault) {
	if g := in.Str("guid"); g != "" {
		for _, t := range s.tokens {
			if t.activation != nil && t.activation.id == g {
				return reply(in, s.activationDTO("ctkipActivationCodeDTO", t)), nil
			}
		}
		return nil, notFound("ACTIVATION_CODE_NOT_FOUND", "Activation code %s not found", g)
	}
	t, f := s.tokenByRef("", in.Str("tokenSerialNum"))
	if f != nil {
		return nil, f
	}
	if t.activation == nil || t.activation.used {
		return nil, notFound("ACTIVATION_CODE_NOT_FOUND", "Token %s has no activation code", t.serial)
	}
	return reply(in, s.activationDTO("ctkipActivationCodeDTO", t)), nil
}

func (s *Sim) deleteCTKIPActivationCodes(in *soapenc.Value) (*soapenc.Value, *simFault) {
	ids := in.Strings("guids")
	if len(ids) == 0 {
		return nil, badArg("guids must name at least one activation code")
	}
	found := map[string]*token{}
	for _, t := range s.tokens {
		if t.activation != nil {
			found[t.activation.id] = t
		}
	}
	for _, id := range ids {
		if found[id] == nil {
			return nil, notFound("ACTIVATION_CODE_NOT_FOUND", "Activation code %s not found", id)
		}
	}
	for _, id := range ids {
		found[id].activation = nil
	}
	return reply(in), nil
}

func (s *Sim) lookupCTKIPActivationCodeLifetime(in *soapenc.Value) (*soapenc.Value, *simFault) {
	return reply(in, soapenc.Int("activationCodeLifetime", int(activationLifetime/time.Minute))), nil
}

// Activate is what a phone's app does with an activation code over CT-KIP
// (the protocol itself is not simulated): the code is good once and until
// it expires; the token gets a new seed, the one the app now holds, so a
// copy on an old phone stops working.
func (s *Sim) Activate(code string) (securid.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	for _, t := range s.tokens {
		a := t.activation
		if a == nil || a.code != code {
			continue
		}
		switch {
		case a.used:
			return securid.Token{}, fmt.Errorf("activation code for token %s was used already", t.serial)
		case !now.Before(a.expires):
			return securid.Token{}, fmt.Errorf("activation code for token %s expired at %s", t.serial, a.expires.Format(time.RFC3339))
		}
		a.used = true
		t.seed = s.newSeed()
		t.drift, t.clockSkew, t.lastStep = 0, 0, 0
		t.rowVersion++
		return t.securid(), nil
	}
	return securid.Token{}, fmt.Errorf("no token has this activation code")
}

// SoftwareToken is a token as the app it was issued to holds it (tests).
func (s *Sim) SoftwareToken(serial string) (securid.Token, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.bySerial[serial]
	if t == nil {
		return securid.Token{}, false
	}
	return t.securid(), true
}

// lookupCTKIPQRCodeLifetime is how long a QR code stays good: the
// activation code's lifetime, in minutes [proposal].
func (s *Sim) lookupCTKIPQRCodeLifetime(in *soapenc.Value) (*soapenc.Value, *simFault) {
	return reply(in, soapenc.Int("QRCodeLifetime", int(activationLifetime/time.Minute))), nil
}

// getSoftTokenDeviceInfo describes the token file formats the simulator
// writes: one 128-bit token a .sdtid [proposal: AM's list is not public].
func (s *Sim) getSoftTokenDeviceInfo(in *soapenc.Value) (*soapenc.Value, *simFault) {
	info := obj("item", amproto.SoftTokenDeviceInfoDTO, soapenc.Int("algorithm", int(amproto.AlgorithmAES)),
		soapenc.Bool("bindToDeviceSupported", false), soapenc.Int("fileFormat", 0), soapenc.Int("maxTokensPerFile", 1),
		soapenc.Str("name", "sdtid"), soapenc.Str("nameDisplayText", "Software token file (.sdtid)"), soapenc.Bool("nicknameSupported", true))
	return reply(in, soapenc.ObjArray("deviceDescriptors", amproto.SoftTokenDeviceInfoDTO, info)), nil
}

// linkSoftTokensWithDeviceType moves software tokens to a device type: the
// profile they were linked with is let go when it is of another device.
func (s *Sim) linkSoftTokensWithDeviceType(in *soapenc.Value) (*soapenc.Value, *simFault) {
	g := in.Str("softTokenDeviceTypeGuid")
	var dev *deviceType
	for _, d := range s.soft.devices {
		if d.guid == g {
			dev = d
		}
	}
	if dev == nil {
		return nil, notFound("SOFTTOKEN_DEVICE_TYPE_NOT_FOUND", "Software token device type %s not found", g)
	}
	ts, f := s.softTokensByGUIDs(in)
	if f != nil {
		return nil, f
	}
	for _, t := range ts {
		if p, _ := s.profileByGUID(t.profile); p != nil && p.device != dev {
			t.profile = ""
		}
		t.rowVersion++
	}
	return reply(in), nil
}

// softTokensByGUIDs is tokensByGUIDs for a command that takes software
// tokens only: one of another type refuses the whole command.
func (s *Sim) softTokensByGUIDs(in *soapenc.Value) ([]*token, *simFault) {
	ts, f := s.tokensByGUIDs(in)
	if f != nil {
		return nil, f
	}
	for _, t := range ts {
		if t.typ != amproto.TokenTypeSoftID {
			return nil, badArg("Token %s is a %s, not a software token", t.serial, t.typ)
		}
	}
	return ts, nil
}
