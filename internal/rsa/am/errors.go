package am

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// Kinds of failure, for errors.Is. A *Fault matches the kind of its exception
// class; transport problems match ErrUnreachable, ErrOutcomeUnknown and so on.
var (
	ErrNotFound              = errors.New("not found in AM")
	ErrInvalidArgument       = errors.New("AM refused a value")
	ErrInvalidSession        = errors.New("AM session expired or unknown")
	ErrAccessDenied          = errors.New("AM refused the admin login")
	ErrInsufficientPrivilege = errors.New("the AM admin role does not allow this")
	ErrConcurrentUpdate      = errors.New("changed by someone else meanwhile")
	ErrDuplicate             = errors.New("already exists in AM")
	ErrRejected              = errors.New("AM rejected the command")
	ErrServer                = errors.New("AM internal error")

	ErrCommandClientAuth = errors.New("AM refused the command-client credentials (HTTP 401)")
	ErrMalformedReply    = errors.New("AM sent a reply rsatui cannot read")
	// ErrReplyTooLarge is a reply past Config.MaxResponseBytes (it also
	// matches ErrMalformedReply): a caller that pages asks for less.
	ErrReplyTooLarge = errors.New("AM's reply is larger than rsatui reads")
	ErrUnreachable   = errors.New("AM could not be reached")
	// ErrOutcomeUnknown marks a write whose request may have reached AM but whose
	// reply was lost: the caller must look the object up before doing anything else.
	ErrOutcomeUnknown = errors.New("outcome unknown: the reply was lost")
)

var kindByClass = map[string]error{
	amproto.ExDataNotFound:          ErrNotFound,
	amproto.ExInvalidArgument:       ErrInvalidArgument,
	amproto.ExValidation:            ErrInvalidArgument,
	amproto.ExDuplicateData:         ErrDuplicate,
	amproto.ExConcurrentUpdate:      ErrConcurrentUpdate,
	amproto.ExInsufficientPrivilege: ErrInsufficientPrivilege,
	amproto.ExObjectInUse:           ErrRejected,
	amproto.ExCommandInvalidSession: ErrInvalidSession,
	amproto.ExSessionInvalidSession: ErrInvalidSession,
	amproto.ExSessionNotFound:       ErrInvalidSession,
	amproto.ExAuthentication:        ErrAccessDenied,
	amproto.ExInvalidLogin:          ErrAccessDenied,
	amproto.ExCommandRejected:       ErrRejected,
	amproto.ExSystem:                ErrServer,
}

// Fault is an exception AM threw for a command. A fault means the server
// answered, so the command was not applied.
type Fault struct {
	Command    string // the command's class name, e.g. LookupTokenCommand
	Class      string // Java exception class, e.g. com.rsa.command.exception.DataNotFoundException
	Message    string
	MessageKey string
	Code       string // SOAP faultcode
}

func (f *Fault) Error() string {
	short := f.Class[strings.LastIndexByte(f.Class, '.')+1:]
	// AM's text on one line: a line break in it would start a line of
	// rsatui's own ("rsatui: note: …") on a terminal or in a log
	msg := strings.Join(strings.Fields(f.Message), " ")
	if f.Command == "" {
		return fmt.Sprintf("%s: %s", short, msg)
	}
	return fmt.Sprintf("%s: %s: %s", f.Command, short, msg)
}

// Kind returns the sentinel error this fault's class maps to.
func (f *Fault) Kind() error {
	if k, ok := kindByClass[f.Class]; ok {
		return k
	}
	return ErrRejected
}

// Is lets errors.Is(err, rsa.ErrNotFound) match a DataNotFoundException fault.
func (f *Fault) Is(target error) bool { return f.Kind() == target }

// Explain says in plain words what happened and what to do next.
func (f *Fault) Explain() string {
	switch {
	case f.Message == amproto.MsgIdentitySourceGuidNotSpecified:
		return "AM could not find whom the token belongs to (empty token GUID, or the token is not assigned): assign the token to the user first, then retry."
	case f.Class == amproto.ExDataNotFound:
		return "AM has no such object: check the serial number, login or identity source and search again."
	case f.Kind() == ErrInvalidArgument:
		return "AM refused a value (" + f.Message + "): correct it and submit again."
	case f.Kind() == ErrInvalidSession:
		return "The AM session expired: rsatui logs in again; repeat the action."
	case f.Kind() == ErrAccessDenied:
		return "AM refused the admin login: check the admin user name, password and authentication method."
	case f.Kind() == ErrInsufficientPrivilege:
		return "Your AM role may not do this (" + f.Message + "): ask a Super Admin for the permission, or use an AM admin account that has it."
	case f.Kind() == ErrConcurrentUpdate:
		return "Someone changed this object at the same time: refresh and try again."
	case f.Kind() == ErrDuplicate:
		return "It already exists in AM: refresh to see the current state."
	case f.Kind() == ErrServer:
		return "AM reported an internal error: retry later; if it persists, check the AM server logs."
	}
	return "AM rejected the command (" + f.Message + "): refresh and check the object's state."
}

// advised is an error the operation that met it knows better than the
// error's kind does: an empty pool's DataNotFoundException is not "check
// the serial number". Explain says the operation's words, AM's after them.
type advised struct {
	err   error
	words string // what happened and what to do, e.g. "the token pool is empty: import or unassign tokens first"
}

// Advise wraps err with the words that explain it in this operation.
func Advise(err error, words string) error { return &advised{err: err, words: words} }

func (a *advised) Error() string { return a.err.Error() + ": " + a.words }
func (a *advised) Unwrap() error { return a.err }

// Explain is the operation's words, AM's message after them.
func (a *advised) Explain() string {
	w := strings.ToUpper(a.words[:1]) + a.words[1:] + "."
	var f *Fault
	if errors.As(a.err, &f) && f.Message != "" {
		w += " (AM: " + f.Message + ")"
	}
	return w
}

// faultFromSOAP parses "<class>: <message>" the way RSA's own .NET client does
// (split at the first ": "), and takes messageKey from the detail bean if present.
func faultFromSOAP(command string, sf *soapenc.Fault) *Fault {
	f := &Fault{Command: command, Code: sf.Code}
	cls, msg, ok := strings.Cut(sf.String, ": ")
	if ok && strings.Contains(cls, ".") && !strings.ContainsAny(cls, " \t") {
		f.Class, f.Message = cls, msg
	} else {
		f.Class, f.Message = amproto.ExSystem, sf.String
	}
	if d := sf.Detail; d != nil {
		f.MessageKey = d.Str("messageKey")
		if f.Class == amproto.ExSystem && !d.Type.IsZero() {
			// a typed fault whose faultstring says nothing of its class
			// (Axis sends an empty one for some): the bean's type names it
			f.Class = amproto.JavaClass(d.Type)
			if m := d.Str("message"); m != "" && (f.Message == "" || f.Message == sf.String) {
				f.Message = m
			}
		}
	}
	return f
}

// CallError is a failure below the SOAP layer: the connection, HTTP status, or an
// unreadable reply. For writes, OutcomeUnknown says the request may have been
// applied, and errors.Is(err, ErrOutcomeUnknown) is true.
type CallError struct {
	Command        string
	Err            error
	OutcomeUnknown bool
}

func (e *CallError) Error() string {
	s := e.Command + ": " + e.Err.Error()
	if e.OutcomeUnknown {
		s += " (the change may or may not have been applied: re-read the object before doing anything else)"
	}
	return s
}

func (e *CallError) Unwrap() []error {
	if e.OutcomeUnknown {
		return []error{e.Err, ErrOutcomeUnknown}
	}
	return []error{e.Err}
}

// HTTPStatusError is a non-SOAP HTTP answer, e.g. a proxy's HTML error page.
type HTTPStatusError struct {
	Status      int
	ContentType string
}

func (e *HTTPStatusError) Error() string {
	hint := ""
	if strings.Contains(e.ContentType, "html") {
		hint = " (an HTML page: probably a proxy or load balancer, not AM)"
	}
	return fmt.Sprintf("AM answered HTTP %d %s%s", e.Status, e.ContentType, hint)
}

// Explain turns any error from this package into one plain-words line with the
// next step, for the status bar and the CLI.
func Explain(err error) string {
	var f *Fault
	var a *advised
	switch {
	case err == nil:
		return ""
	case errors.As(err, &a):
		return a.Explain()
	case errors.As(err, &f):
		return f.Explain()
	case errors.Is(err, ErrOutcomeUnknown):
		return "The reply was lost, so the change may or may not have been applied: refresh the token to see its real state before retrying."
	case errors.Is(err, ErrCommandClientAuth):
		return "AM refused the command-client account: check the user/password from 'rsautil manage-secrets --action list'."
	case errors.Is(err, ErrReplyTooLarge):
		return "AM's reply was larger than rsatui reads at once (max_response_bytes): ask for less, e.g. a shorter time span."
	case errors.Is(err, ErrMalformedReply):
		return "AM (or something in between) sent a reply that is not a valid AM SOAP message: check the URL points at /ims-ws/services/CommandServer."
	case errors.Is(err, ErrUnreachable):
		return "AM could not be reached: check the URL, the network and the TLS settings, then retry."
	}
	return err.Error()
}
