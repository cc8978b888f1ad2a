package amproto

// Exception classes AM returns as faults (faultstring "<class>: <message>").
// The classes exist in the 8.4 WSDL; "when" is per rsa-am-api.md §6 and §12.
const (
	ExDataNotFound          = "com.rsa.command.exception.DataNotFoundException"
	ExInvalidArgument       = "com.rsa.command.exception.InvalidArgumentException"
	ExValidation            = "com.rsa.command.exception.ValidationException"
	ExDuplicateData         = "com.rsa.command.exception.DuplicateDataException"
	ExConcurrentUpdate      = "com.rsa.command.exception.ConcurrentUpdateException"
	ExInsufficientPrivilege = "com.rsa.command.exception.InsufficientPrivilegeException"
	ExObjectInUse           = "com.rsa.command.exception.ObjectInUseException"
	ExCommandInvalidSession = "com.rsa.command.InvalidSessionException"
	ExSessionInvalidSession = "com.rsa.session.InvalidSessionException"
	ExSessionNotFound       = "com.rsa.command.SessionNotFoundException"
	ExAuthentication        = "com.rsa.authn.AuthenticationCommandException"
	ExInvalidLogin          = "com.rsa.authn.InvalidLoginCommandException"
	ExCommandRejected       = "com.rsa.command.CommandRejectedException"
	ExSystem                = "com.rsa.common.SystemException"
)

// FaultCodeUser is Axis 1's faultcode for an exception thrown by the service.
const FaultCodeUser = "soapenv:Server.userException"

// FaultCodeServer is Axis 1's faultcode for a request it could not dispatch.
const FaultCodeServer = "soapenv:Server"

// MsgIdentitySourceGuidNotSpecified is the message of the forum question's fault,
// verbatim.
const MsgIdentitySourceGuidNotSpecified = "IdentitySource-Lookup : IdentitySource Guid is not specified"
