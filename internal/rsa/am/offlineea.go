package am

import (
	"context"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// OfflinePasscode is an AMPrincipalEmergencyAccessDTO: a person's offline
// emergency passcode, what a laptop off the network (a Windows agent with
// offline authentication) accepts when their token is lost (helpdesk-ops
// §7; the fields are confirmed, their meanings inferred from the names).
type OfflinePasscode struct {
	PrincipalGUID string // "id"
	Passcode      Secret // emergencyAccessPasscode
	Expires       time.Time
	Allowed       bool // eapcAllowed
	DownloadNew   bool // downloadNewEaPasscode: the agent fetches it at its next online login
	Downloaded    bool // validDownloadedData
}

// LookupOfflinePasscode reads a person's offline emergency passcode
// (LookupEmergencyAccessPasscodeCommand).
func (c *Client) LookupOfflinePasscode(ctx context.Context, principalGUID string) (OfflinePasscode, error) {
	return query(ctx, c, command(amproto.LookupEmergencyAccessPasscodeCommand,
		soapenc.Nil("amPrincipalEAData"), soapenc.Str("guid", principalGUID)),
		func(reply *soapenc.Value) (OfflinePasscode, error) {
			v := reply.Field("amPrincipalEAData")
			if err := expectType(v, amproto.AMPrincipalEmergencyAccessDTO); err != nil {
				return OfflinePasscode{}, err
			}
			r := reader{v: v}
			return OfflinePasscode{PrincipalGUID: r.str("id"), Passcode: Secret(r.str("emergencyAccessPasscode")),
				Expires: r.time("eacExpiresOn"), Allowed: r.bool("eapcAllowed"),
				DownloadNew: r.bool("downloadNewEaPasscode"), Downloaded: r.bool("validDownloadedData")}, r.err
		})
}

// UpdateOfflinePasscode writes the whole record
// (UpdateEmergencyAccessPasscodeCommand).
func (c *Client) UpdateOfflinePasscode(ctx context.Context, p OfflinePasscode) error {
	return c.run(ctx, command(amproto.UpdateEmergencyAccessPasscodeCommand,
		soapenc.Obj("amPrincipalEAData", amproto.AMPrincipalEmergencyAccessDTO,
			soapenc.Bool("downloadNewEaPasscode", p.DownloadNew),
			soapenc.Time("eacExpiresOn", p.Expires),
			soapenc.Bool("eapcAllowed", p.Allowed),
			soapenc.OptStr("emergencyAccessPasscode", p.Passcode.Reveal()),
			soapenc.OptStr("id", p.PrincipalGUID),
			soapenc.Bool("validDownloadedData", p.Downloaded))))
}
