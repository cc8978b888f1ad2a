package amsim

import (
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// A person's offline emergency passcode: what a laptop with offline
// authentication (a Windows agent) accepts instead of PIN + tokencode
// when the token is lost off the network (helpdesk-ops §7). The fields
// are AMPrincipalEmergencyAccessDTO's [confirmed]; what they mean is read
// off their names [inferred], and so are the simulator's rules below
// [proposal]: a passcode that is allowed must be given, its expiry in the
// future and within the emergency-access maximum; the agent downloads it
// at its next online authentication (downloadNewEaPasscode), after which
// validDownloadedData is true.
type offlineEA struct {
	passcode    string
	expires     time.Time // eacExpiresOn; zero: none
	allowed     bool      // eapcAllowed
	downloadNew bool      // downloadNewEaPasscode: the agent fetches it next time
	downloaded  bool      // validDownloadedData
}

func (s *Sim) offlineEADTO(p *principal) *soapenc.Value {
	e := p.offlineEA
	return obj("amPrincipalEAData", amproto.AMPrincipalEmergencyAccessDTO,
		soapenc.Str("id", p.guid), soapenc.OptStr("emergencyAccessPasscode", e.passcode),
		soapenc.Time("eacExpiresOn", e.expires), soapenc.Bool("eapcAllowed", e.allowed),
		soapenc.Bool("downloadNewEaPasscode", e.downloadNew), soapenc.Bool("validDownloadedData", e.downloaded))
}

// principalByGUID is the principal a command names by GUID, or AM's fault.
func (s *Sim) principalByGUID(g string) (*principal, *simFault) {
	if g == "" {
		return nil, notFound("PRINCIPAL_NOT_SPECIFIED", "Principal-Lookup : Principal Guid is not specified")
	}
	if p := s.princ[g]; p != nil {
		return p, nil
	}
	return nil, notFound("PRINCIPAL_NOT_FOUND", "Principal-Lookup : Principal %s not found", g)
}

// lookupOfflinePasscode is LookupEmergencyAccessPasscodeCommand{guid}.
func (s *Sim) lookupOfflinePasscode(in *soapenc.Value) (*soapenc.Value, *simFault) {
	p, f := s.principalByGUID(in.Str("guid"))
	if f != nil {
		return nil, f
	}
	return reply(in, s.offlineEADTO(p)), nil
}

// updateOfflinePasscode is UpdateEmergencyAccessPasscodeCommand
// {amPrincipalEAData}: the whole record, as the other updates.
func (s *Sim) updateOfflinePasscode(in *soapenc.Value) (*soapenc.Value, *simFault) {
	d := in.Field("amPrincipalEAData")
	if d == nil || d.Nil {
		return nil, badArg("amPrincipalEAData is required")
	}
	p, f := s.principalByGUID(d.Str("id"))
	if f != nil {
		return nil, f
	}
	allowed, e1 := d.Bool("eapcAllowed")
	exp, e2 := d.Time("eacExpiresOn")
	download, e3 := d.Bool("downloadNewEaPasscode")
	for _, err := range []error{e1, e2, e3} {
		if err != nil {
			return nil, badArg("%v", err)
		}
	}
	code := d.Str("emergencyAccessPasscode")
	if !allowed {
		p.offlineEA = offlineEA{}
		p.rowVersion++
		return reply(in), nil
	}
	now := s.opt.Now()
	switch {
	case code == "":
		return nil, badArg("emergencyAccessPasscode is required when eapcAllowed is true")
	case len(code) < 8 || len(code) > 24:
		return nil, badArg("emergencyAccessPasscode must be 8 to 24 characters long")
	case !exp.IsZero() && !exp.After(now):
		return nil, badArg("eacExpiresOn %s is in the past", exp.UTC().Format(time.RFC3339))
	case !exp.IsZero() && exp.After(now.Add(time.Duration(s.opt.EAMaxDays)*24*time.Hour+time.Minute)):
		return nil, badArg("eacExpiresOn %s is later than the maximum lifetime of %d days (%s)",
			exp.UTC().Format(time.RFC3339), s.opt.EAMaxDays, amproto.EAMaxLifetimeConfig)
	}
	p.offlineEA = offlineEA{passcode: code, expires: exp, allowed: true, downloadNew: download || code != p.offlineEA.passcode}
	p.rowVersion++
	return reply(in), nil
}
