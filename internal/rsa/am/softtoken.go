package am

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amtypes"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// SoftTokenDevice is a software token device type (SoftTokenDeviceTypeDTO):
// what the app on it can take.
type SoftTokenDevice struct {
	GUID, Name, Plugin   string
	CTKIP, QR, CTF, File bool
	Digits, Interval     int
}

// SoftTokenProfile is a software token profile (SoftTokenProfileDTO): a
// device type, a delivery and the PIN handling.
type SoftTokenProfile struct {
	GUID, Name string
	Delivery   string // amproto.Delivery*
	PINMode    string // amproto.PINUse*
	UseQR      bool
	Device     SoftTokenDevice
}

func decodeSoftDevice(v *soapenc.Value) (SoftTokenDevice, error) {
	if err := expectType(v, amproto.SoftTokenDeviceTypeDTO); err != nil {
		return SoftTokenDevice{}, err
	}
	r := reader{v: v}
	d := SoftTokenDevice{GUID: r.str("guid"), Name: r.str("description"), Plugin: r.str("pluginModuleName"),
		CTKIP: r.bool("ctkipCapable"), QR: r.bool("QRCodeCapable"), CTF: r.bool("TSFCapable"), File: r.bool("XMLCapable")}
	d.Digits, _ = strconv.Atoi(r.str("tokenCodeLength"))
	d.Interval, _ = strconv.Atoi(r.str("tokenCodeInterval"))
	return d, r.err
}

func decodeSoftProfile(v *soapenc.Value) (SoftTokenProfile, error) {
	if err := expectType(v, amproto.SoftTokenProfileDTO); err != nil {
		return SoftTokenProfile{}, err
	}
	r := reader{v: v}
	p := SoftTokenProfile{GUID: r.str("guid"), Name: r.str("name"), Delivery: r.str("tokenDeliveryMethod"),
		PINMode: r.str("tokenAuthenticationType"), UseQR: r.bool("tokenDeliveryUseQRCode")}
	d, err := decodeSoftDevice(v.Field("softTokenDeviceTypeDTO"))
	r.fail(err)
	p.Device = d
	return p, r.err
}

// ListSoftTokenProfiles lists the software token profiles.
func (c *Client) ListSoftTokenProfiles(ctx context.Context) ([]SoftTokenProfile, error) {
	return query(ctx, c, command(amproto.ListSoftTokenProfilesCommand, soapenc.Nil("softTokenProfilesDTO")),
		func(reply *soapenc.Value) ([]SoftTokenProfile, error) {
			return decodeList(reply.Field("softTokenProfilesDTO").Field("softTokenProfiles"), decodeSoftProfile)
		})
}

// AvailableSoftwareTokens is the software-token pool: unassigned software
// tokens AM can issue (GetAvailableSoftwareTokensCommand).
func (c *Client) AvailableSoftwareTokens(ctx context.Context, limit int) ([]TokenSummary, error) {
	return query(ctx, c, command(amproto.GetAvailableSoftwareTokensCommand, emptyFilter("filter"),
		soapenc.Int("limit", limit), soapenc.Nil("token")),
		func(reply *soapenc.Value) ([]TokenSummary, error) {
			return decodeList(reply.Field("token"), decodeTokenSummary)
		})
}

// SoftTokenRequest is a DistributeSoftTokenRequest for one token.
type SoftTokenRequest struct {
	TokenGUID string
	Profile   SoftTokenProfile
	// NewSeed regenerates the seed: copies issued before stop working.
	NewSeed bool
	// Password protects the CTF string or the file ("" for none).
	Password Secret
}

func (r SoftTokenRequest) encode(name string) *soapenc.Value {
	protect := amproto.ProtectNone
	if r.Password != "" {
		protect = amproto.ProtectByPassword
	}
	req, err := amtypes.Complete(name, amproto.DistributeSoftTokenRequest,
		soapenc.StrArray("tokenGuids", []string{r.TokenGUID}), soapenc.Str("softTokenProfileGuid", r.Profile.GUID),
		soapenc.Str("deviceTypeGuid", r.Profile.Device.GUID), soapenc.Str("deviceTypePluginModuleName", r.Profile.Device.Plugin),
		soapenc.Bool("regenerateSeed", r.NewSeed), soapenc.Int("protectedMethod", protect),
		soapenc.OptStr("password", r.Password.Reveal()), soapenc.Bool("pinAdded", false),
		soapenc.Bool("copyProtected", true), soapenc.Int("outputMethod", 0))
	if err != nil {
		panic("rsa: " + err.Error())
	}
	return req
}

// GenerateCTF issues the token as a compressed token format string
// (GenerateSoftTokenTSFCommand).
func (c *Client) GenerateCTF(ctx context.Context, r SoftTokenRequest) (Secret, error) {
	return query(ctx, c, command(amproto.GenerateSoftTokenTSFCommand, r.encode("softTokenRequest"), soapenc.Nil("tsf")),
		func(reply *soapenc.Value) (Secret, error) {
			s := reply.Str("tsf")
			if s == "" {
				return "", &CallError{Command: "GenerateSoftTokenTSFCommand", Err: fmt.Errorf("%w: no tsf", ErrMalformedReply)}
			}
			return Secret(s), nil
		})
}

// IssueTokenFile issues the token as a token file AM keeps until it is
// fetched and deleted (IssueSoftwareTokensCommand): the file's id.
func (c *Client) IssueTokenFile(ctx context.Context, r SoftTokenRequest) (string, error) {
	return query(ctx, c, command(amproto.IssueSoftwareTokensCommand, r.encode("request"), soapenc.Nil("fileId")),
		func(reply *soapenc.Value) (string, error) {
			id := reply.Str("fileId")
			if id == "" {
				return "", &CallError{Command: "IssueSoftwareTokensCommand", Err: fmt.Errorf("%w: no fileId", ErrMalformedReply)}
			}
			return id, nil
		})
}

// TokenFile fetches an issued token file: a zip holding the .sdtid
// (GetSoftwareTokenFileCommand).
func (c *Client) TokenFile(ctx context.Context, fileID string) ([]byte, error) {
	return query(ctx, c, command(amproto.GetSoftwareTokenFileCommand, soapenc.Str("fileId", fileID), soapenc.Nil("fileContent")),
		func(reply *soapenc.Value) ([]byte, error) {
			b, err := base64.StdEncoding.DecodeString(reply.Str("fileContent"))
			if err != nil || len(b) == 0 {
				return nil, &CallError{Command: "GetSoftwareTokenFileCommand", Err: fmt.Errorf("%w: fileContent is not a file", ErrMalformedReply)}
			}
			return b, nil
		})
}

// DeleteTokenFile removes an issued token file from AM
// (DeleteSoftwareTokenFileCommand).
func (c *Client) DeleteTokenFile(ctx context.Context, fileID string) error {
	return c.run(ctx, command(amproto.DeleteSoftwareTokenFileCommand, soapenc.Str("fileId", fileID)))
}

// Activation is a CT-KIP activation code (CTKIPActivationCodeDTO) and where
// the app reaches AM's CT-KIP service with it (CTKIPConnectionInfo).
type Activation struct {
	ID, Serial string
	Code       Secret
	Expires    time.Time
	// ServiceURL is the CT-KIP service (https://host:port/ctkip/services/CtkipService).
	ServiceURL string
	// Trigger is the app's link scheme base (baseCtKipTriggerURL).
	Trigger string
}

// Link is what the QR code carries: the trigger URL with the service and
// the activation code, the form a phone's app opens. The exact query RSA's
// consoles write is not in the public sources [inference: scheme, url,
// activationCode]. ':' and '/' stay as they are (legal in a query): the
// shorter the link, the smaller the code on the screen.
func (a Activation) Link() Secret {
	esc := strings.NewReplacer("%", "%25", "&", "%26", "#", "%23", " ", "%20", "+", "%2B", "=", "%3D")
	scheme, rest, _ := strings.Cut(a.ServiceURL, "://")
	return Secret(a.Trigger + "?scheme=" + esc.Replace(scheme) + "&url=" + esc.Replace(rest) +
		"&activationCode=" + esc.Replace(a.Code.Reveal()))
}

// CTFLink is a CTF string as the link a phone's app opens
// (software-tokens.md: com.rsa.securid://ctf?ctfData=…).
func CTFLink(ctf Secret) Secret { return Secret("com.rsa.securid://ctf?ctfData=" + ctf.Reveal()) }

func decodeActivation(v *soapenc.Value) (Activation, error) {
	if err := expectType(v, amproto.CTKIPActivationCodeDTO); err != nil {
		return Activation{}, err
	}
	r := reader{v: v}
	a := Activation{ID: r.str("id"), Serial: r.str("tokenSerialNum"), Code: Secret(r.str("activationCode")),
		Expires: r.time("activationCodeExpiresOn")}
	if ci := v.Field("ctkipConnectionInfo"); !ci.IsNil() {
		cr := reader{v: ci}
		host := cr.str("ctkipServerFQDN")
		if p := cr.str("ctkipServerPort"); p != "" {
			host += ":" + p
		}
		a.ServiceURL = (&url.URL{Scheme: cr.str("ctkipServerProtocol"), Host: host, Path: cr.str("ctkipServiceAddress")}).String()
		a.Trigger = cr.str("baseCtKipTriggerURL")
		r.fail(cr.err)
	}
	if r.err == nil && (a.Code == "" || a.ServiceURL == "") {
		r.fail(fmt.Errorf("%w: an activation code record without its code or service", ErrMalformedReply))
	}
	return a, r.err
}

// LinkProfile links a software token with a profile
// (LinkSoftTokensWithProfileCommand): the device type, delivery and PIN
// handling it is issued with.
func (c *Client) LinkProfile(ctx context.Context, tokenGUID string, p SoftTokenProfile) error {
	return c.run(ctx, command(amproto.LinkSoftTokensWithProfileCommand, soapenc.Str("softTokenProfileGuid", p.GUID),
		soapenc.StrArray("tokenGuids", []string{tokenGUID})))
}

// AddActivationCode issues the token by dynamic seed provisioning
// (UpdateOrAddCTKIPActivationCodeCommand, no guid: a new code): AM makes an
// activation code for it under the profile it is linked with.
func (c *Client) AddActivationCode(ctx context.Context, tokenGUID string) (Activation, error) {
	dto, err := amtypes.Complete("ctkipActivationCodeDTO", amproto.CTKIPActivationCodeDTO, soapenc.Str("tokenID", tokenGUID))
	if err != nil {
		panic("rsa: " + err.Error())
	}
	return query(ctx, c, command(amproto.UpdateOrAddCTKIPActivationCodeCommand, soapenc.Nil("guid"), dto),
		func(reply *soapenc.Value) (Activation, error) {
			return decodeActivation(reply.Field("ctkipActivationCodeDTO"))
		})
}

// LookupActivationCode reads a token's activation code back
// (LookupCTKIPActivationCodeCommand).
func (c *Client) LookupActivationCode(ctx context.Context, serial string) (Activation, error) {
	return query(ctx, c, command(amproto.LookupCTKIPActivationCodeCommand, soapenc.Str("tokenSerialNum", serial),
		soapenc.Nil("ctkipActivationCodeDTO")),
		func(reply *soapenc.Value) (Activation, error) {
			return decodeActivation(reply.Field("ctkipActivationCodeDTO"))
		})
}
