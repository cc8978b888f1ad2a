package amproto

import "github.com/rsatui/rsatui/internal/rsa/soapenc"

// Software tokens (software-tokens.md): the profiles and device types, the
// software-token pool, and the three deliveries — dynamic seed provisioning
// (CT-KIP: an activation code and the URL of AM's CT-KIP service), the
// compressed token format (TSF/CTF: one string) and the token file (.sdtid,
// in a zip).
const (
	NSCTKIP     = "http://ctkip.admin.authmgr.rsa.com"
	NSCTKIPData = "http://data.ctkip.admin.authmgr.rsa.com"
)

// The commands.
var (
	ListSoftTokenProfilesCommand          = soapenc.QName{Space: NSTokenMgt, Local: "ListSoftTokenProfilesCommand"}
	LookupSoftTokenProfileCommand         = soapenc.QName{Space: NSTokenMgt, Local: "LookupSoftTokenProfileCommand"}
	LookupSoftTokenDeviceTypeCommand      = soapenc.QName{Space: NSTokenMgt, Local: "LookupSoftTokenDeviceTypeCommand"}
	GetAvailableSoftwareTokensCommand     = soapenc.QName{Space: NSTokenMgt, Local: "GetAvailableSoftwareTokensCommand"}
	CountIssuableSoftwareTokensCommand    = soapenc.QName{Space: NSTokenMgt, Local: "CountIssuableSoftwareTokensCommand"}
	GenerateSoftTokenTSFCommand           = soapenc.QName{Space: NSTokenMgt, Local: "GenerateSoftTokenTSFCommand"}
	IssueSoftwareTokensCommand            = soapenc.QName{Space: NSTokenMgt, Local: "IssueSoftwareTokensCommand"}
	GetSoftwareTokenFileCommand           = soapenc.QName{Space: NSTokenMgt, Local: "GetSoftwareTokenFileCommand"}
	DeleteSoftwareTokenFileCommand        = soapenc.QName{Space: NSTokenMgt, Local: "DeleteSoftwareTokenFileCommand"}
	LinkSoftTokensWithProfileCommand      = soapenc.QName{Space: NSTokenMgt, Local: "LinkSoftTokensWithProfileCommand"}
	UpdateOrAddCTKIPActivationCodeCommand = soapenc.QName{Space: NSCTKIP, Local: "UpdateOrAddCTKIPActivationCodeCommand"}
	LookupCTKIPActivationCodeCommand      = soapenc.QName{Space: NSCTKIP, Local: "LookupCTKIPActivationCodeCommand"}
	DeleteCTKIPActivationCodesCommand     = soapenc.QName{Space: NSCTKIP, Local: "DeleteCTKIPActivationCodesCommand"}
	LookupCTKIPActivationCodeLifetime     = soapenc.QName{Space: NSCTKIP, Local: "LookupCTKIPActivationCodeLifetimeCommand"}
	LookupCTKIPQRCodeLifetimeCommand      = soapenc.QName{Space: NSCTKIP, Local: "LookupCTKIPQRCodeLifetimeCommand"}
	GetSoftTokenDeviceInfoCommand         = soapenc.QName{Space: NSTokenMgt, Local: "GetSoftTokenDeviceInfoCommand"}
	LinkSoftTokensWithDeviceTypeCommand   = soapenc.QName{Space: NSTokenMgt, Local: "LinkSoftTokensWithDeviceTypeCommand"}
)

// The records.
var (
	SoftTokenProfileDTO        = soapenc.QName{Space: NSTokenData, Local: "SoftTokenProfileDTO"}
	ListSoftTokenProfilesDTO   = soapenc.QName{Space: NSTokenData, Local: "ListSoftTokenProfilesDTO"}
	SoftTokenDeviceTypeDTO     = soapenc.QName{Space: NSTokenData, Local: "SoftTokenDeviceTypeDTO"}
	SoftTokenDeviceInfoDTO     = soapenc.QName{Space: NSTokenData, Local: "SoftTokenDeviceInfoDTO"}
	DistributeSoftTokenRequest = soapenc.QName{Space: NSTokenData, Local: "DistributeSoftTokenRequest"}
	CTKIPActivationCodeDTO     = soapenc.QName{Space: NSCTKIPData, Local: "CTKIPActivationCodeDTO"}
	CTKIPConnectionInfo        = soapenc.QName{Space: NSCTKIPData, Local: "CTKIPConnectionInfo"}
)

// A profile's delivery method (tokenDeliveryMethod) and PIN handling
// (tokenAuthenticationType), as AM's constants spell them.
const (
	DeliveryFile  = "XML"
	DeliveryCTKIP = "CTKIP"
	DeliveryCTF   = "TSF"

	PINUsePinpad    = "0" // the app asks for the PIN and folds it into the code
	PINUseFob       = "1" // the person types PIN then tokencode
	PINUseTokencode = "2" // PINless: the tokencode alone
)

// ProtectNone and ProtectByPassword are IssueSoftTokenRequestBase.protectedMethod.
const (
	ProtectNone       = -1
	ProtectByPassword = 0
)

// SoftwareIssueLimit is how often AM lets one software token be issued
// (software-tokens.md: 3 by default).
const SoftwareIssueLimit = 3

func init() {
	for _, q := range []soapenc.QName{ListSoftTokenProfilesCommand, LookupSoftTokenProfileCommand,
		LookupSoftTokenDeviceTypeCommand, GetAvailableSoftwareTokensCommand, CountIssuableSoftwareTokensCommand,
		GetSoftwareTokenFileCommand, LookupCTKIPActivationCodeCommand, LookupCTKIPActivationCodeLifetime,
		LookupCTKIPQRCodeLifetimeCommand, GetSoftTokenDeviceInfoCommand} {
		ReadOnly[q] = true
	}
}
