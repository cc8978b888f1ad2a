package ad

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// Kinds of failure, for errors.Is.
var (
	ErrBadCredentials = errors.New("the directory refused the service account")
	ErrUnreachable    = errors.New("the directory could not be reached")
	ErrTLS            = errors.New("the directory's TLS certificate was not accepted")
	ErrLimit          = errors.New("the directory stopped the search at a limit")
	ErrQueryTooLong   = errors.New("the search text is too long")
	ErrInvalidQuery   = errors.New("the search text cannot be searched for")
	ErrNotFound       = errors.New("not found in the directory")
	ErrDirectory      = errors.New("the directory refused the request")
)

var kinds = []error{ErrBadCredentials, ErrUnreachable, ErrTLS, ErrLimit, ErrQueryTooLong, ErrInvalidQuery, ErrNotFound, ErrDirectory}

// IsDirectoryError reports whether err came from this package, so that callers
// holding errors of several backends explain it with Explain.
func IsDirectoryError(err error) bool {
	for _, k := range kinds {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// adBindReasons are the Windows error codes AD puts in "data …" of a failed bind.
var adBindReasons = map[string]string{
	"52e": "wrong password",
	"525": "no such user",
	"530": "not permitted to log on at this time",
	"531": "not permitted to log on from this workstation",
	"532": "password expired",
	"533": "account disabled",
	"701": "account expired",
	"773": "the password must be changed",
	"775": "account locked out",
}

func classifyBind(user string, err error) error {
	var le *ldap.Error
	if errors.As(err, &le) {
		switch le.ResultCode {
		case ldap.LDAPResultInvalidCredentials:
			reason := "wrong user or password"
			if i := strings.Index(le.Err.Error(), "data "); i >= 0 && len(le.Err.Error()) >= i+8 {
				if r, ok := adBindReasons[le.Err.Error()[i+5:i+8]]; ok {
					reason = r
				}
			}
			return fmt.Errorf("%w (%s): %s", ErrBadCredentials, user, reason)
		case ldap.LDAPResultStrongAuthRequired, ldap.LDAPResultConfidentialityRequired:
			return fmt.Errorf("%w: it requires an encrypted connection: use ldaps:// or StartTLS", ErrDirectory)
		}
	}
	return classifyDial("", err)
}

// classifyDial names network and certificate problems in plain words.
func classifyDial(url string, err error) error {
	where := ""
	if url != "" {
		where = " " + url
	}
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	var ne net.Error
	switch {
	case errors.As(err, &unknown):
		return fmt.Errorf("%w: it is signed by an unknown authority (%s): give the directory's CA file", ErrTLS, unknown.Cert.Issuer.CommonName)
	case errors.As(err, &host):
		return fmt.Errorf("%w: it is for %s, not %s: connect by a name on the certificate or set the server name",
			ErrTLS, strings.Join(append(host.Certificate.DNSNames, ipStrings(host.Certificate.IPAddresses)...), ", "), host.Host)
	case errors.As(err, &invalid):
		reason := "invalid"
		if invalid.Reason == x509.Expired {
			reason = "expired or not yet valid"
		}
		return fmt.Errorf("%w: it is %s", ErrTLS, reason)
	case errors.As(err, &recordErr):
		return fmt.Errorf("%w: the server did not answer with TLS: check the URL scheme and port", ErrTLS)
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Errorf("%w%s: no answer in time", ErrUnreachable, where)
	}
	var le *ldap.Error
	if errors.As(err, &le) && le.ResultCode == ldap.ErrorNetwork {
		if le.Err != nil && strings.Contains(le.Err.Error(), "timed out") {
			return fmt.Errorf("%w%s: no answer in time", ErrUnreachable, where)
		}
		return fmt.Errorf("%w%s: %v", ErrUnreachable, where, le.Err)
	}
	return fmt.Errorf("%w%s: %v", ErrUnreachable, where, err)
}

func ipStrings(ips []net.IP) []string {
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out
}

func classifySearch(err error) error {
	var le *ldap.Error
	if errors.As(err, &le) {
		switch le.ResultCode {
		case ldap.LDAPResultSizeLimitExceeded:
			return fmt.Errorf("%w: size limit exceeded: narrow the search", ErrLimit)
		case ldap.LDAPResultTimeLimitExceeded:
			return fmt.Errorf("%w: time limit exceeded: narrow the search", ErrLimit)
		case ldap.LDAPResultAdminLimitExceeded:
			return fmt.Errorf("%w: administrative limit exceeded: narrow the search", ErrLimit)
		case ldap.LDAPResultOperationsError, ldap.LDAPResultInsufficientAccessRights:
			return fmt.Errorf("%w: %s: check that the service account may read users", ErrDirectory, ldap.LDAPResultCodeMap[le.ResultCode])
		case ldap.LDAPResultNoSuchObject:
			return fmt.Errorf("%w: the base DN does not exist: check it", ErrDirectory)
		}
		return fmt.Errorf("%w: %s", ErrDirectory, ldap.LDAPResultCodeMap[le.ResultCode])
	}
	return fmt.Errorf("%w: %v", ErrDirectory, err)
}

// Explain turns an error of this package into one line with the next step.
func Explain(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrBadCredentials):
		return err.Error() + ": check the service account and its password file."
	case errors.Is(err, ErrTLS):
		return err.Error() + "."
	case errors.Is(err, ErrUnreachable):
		return err.Error() + ": check the URL and the network; rsatui reconnects on the next search."
	case errors.Is(err, ErrQueryTooLong):
		return err.Error() + ": type fewer characters."
	case errors.Is(err, ErrInvalidQuery):
		return err.Error() + ": remove it and search again."
	}
	return err.Error()
}
