// Package ad is the Active Directory client: it binds as a service account
// over LDAPS or StartTLS, streams people page by page (RFC 2696 paging), and maps
// AD's attributes and errors into plain types and words. Nothing here knows
// about the UI.
package ad

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/rsatui/rsatui/internal/secret"
)

// Config says where the directory is and how to bind. The password comes from
// a file, the environment or a prompt (cmd/rsatui), never from argv.
type Config struct {
	// URL is ldaps://host[:636], or ldap://host[:389], which is then always
	// upgraded with StartTLS: rsatui never sends a password in clear text.
	URL string
	// BindUser is the service account, as a DN or a UPN (svc@corp.example).
	BindUser     string
	BindPassword secret.Secret
	// BaseDN to search; empty = the directory's defaultNamingContext.
	BaseDN string
	// CAFile adds a PEM CA bundle to the system roots.
	CAFile string
	// CAPool replaces the roots entirely (in-process servers such as --demo).
	CAPool *x509.CertPool
	// ServerName overrides the name the certificate is checked against.
	ServerName string
	// InsecureSkipVerify turns certificate checks off (explicit; the UI warns).
	InsecureSkipVerify bool
	// ConnectTimeout bounds dial + TLS + bind (default 10 s); RequestTimeout
	// bounds each request (default 30 s).
	ConnectTimeout, RequestTimeout time.Duration
	// PageSize of paged searches, 1–1000 (AD's MaxPageSize); default 500.
	PageSize int
	// MaxConcurrent bounds the searches in flight on the shared connection
	// (default 8): fifty SSH sessions typing at once queue here instead of
	// piling fifty paged cursors onto the domain controller.
	MaxConcurrent int
}

// User is one person from the directory.
type User struct {
	DN          string
	Login       string // sAMAccountName
	UPN         string
	DisplayName string
	GivenName   string
	Surname     string
	Mail        string
	Department  string
	Title       string
	Disabled    bool     // userAccountControl has ACCOUNTDISABLE (0x2)
	Locked      bool     // lockoutTime > 0
	GUID        string   // objectGUID as a canonical UUID
	Groups      []string // CNs of memberOf

	// Read by Lookup only (one person's dashboard), not by the people
	// search: what says why AD itself may refuse the person.
	Detailed        bool
	LockedAt        time.Time // lockoutTime
	AccountExpires  time.Time // accountExpires (zero: never)
	PasswordLastSet time.Time // pwdLastSet (zero, with MustChangePassword: must change at next logon)
	// MustChangePassword: pwdLastSet is 0 (an admin set "must change").
	MustChangePassword bool
	// PasswordExpired is AD's own verdict (msDS-User-Account-Control-Computed
	// has UF_PASSWORD_EXPIRED), under the domain's password policy.
	PasswordExpired bool
	Changed         time.Time // whenChanged: when the account was last changed (not what changed)

	// What the help desk checks a caller against (Lookup only): the
	// numbers to call back, the employee ID, the manager's DN, and the
	// site's own attributes (AlsoRead).
	Mobile, Phone, EmployeeID, ManagerDN string
	Extra                                map[string]string
}

// Attributes requested for every user: only what User needs.
var userAttributes = []string{"sAMAccountName", "userPrincipalName", "displayName", "givenName", "sn",
	"mail", "department", "title", "userAccountControl", "lockoutTime", "objectGUID", "memberOf"}

// detailAttributes are Lookup's: the account's expiry and password state
// too. msDS-User-Account-Control-Computed is constructed per entry, which
// is why the people search (many entries a page) does not ask for it.
var detailAttributes = append(append([]string(nil), userAttributes...),
	"accountExpires", "pwdLastSet", "whenChanged", "msDS-User-Account-Control-Computed",
	"mobile", "telephoneNumber", "employeeID", "manager")

// Client is a directory connection shared by all callers (go-ldap multiplexes
// requests on one connection). It redials once per call when the connection
// has dropped.
type Client struct {
	cfg    Config
	u      *url.URL
	tlsCfg *tls.Config

	mu   sync.Mutex
	conn *ldap.Conn
	base string
	sem  chan struct{} // MaxConcurrent slots

	extra []string // AlsoRead's attributes (under mu)
}

// String names the client without its bind password. fmt does not call the
// Secret's own String method inside an unexported field, so without this a
// Client printed by mistake would show the password.
func (c *Client) String() string {
	return fmt.Sprintf("ad.Client{%s as %s}", c.u.Redacted(), c.cfg.BindUser)
}

// GoString is String, for %#v.
func (c *Client) GoString() string { return c.String() }

// New validates cfg; it does no network I/O.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "ldaps" && u.Scheme != "ldap") || u.Hostname() == "" {
		return nil, fmt.Errorf("directory URL %q: want ldaps://host[:636] or ldap://host[:389] (StartTLS)", cfg.URL)
	}
	if u.Port() == "" {
		port := "636"
		if u.Scheme == "ldap" {
			port = "389"
		}
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	if cfg.BindUser == "" {
		return nil, errors.New("directory bind user is empty: give the service account's DN or UPN")
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 500
	}
	if cfg.PageSize > 1000 {
		return nil, fmt.Errorf("page size %d: AD returns at most 1000 entries a page", cfg.PageSize)
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 8
	}
	name := cfg.ServerName
	if name == "" {
		name = u.Hostname()
	}
	tlsCfg := &tls.Config{ServerName: name, MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // explicit, user-visible option
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("directory CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("directory CA file %s holds no PEM certificate", cfg.CAFile)
		}
		tlsCfg.RootCAs = pool
	}
	if cfg.CAPool != nil {
		tlsCfg.RootCAs = cfg.CAPool
	}
	return &Client{cfg: cfg, u: u, tlsCfg: tlsCfg, base: cfg.BaseDN, sem: make(chan struct{}, cfg.MaxConcurrent)}, nil
}

// URL is the directory URL in use; Insecure reports disabled verification.
func (c *Client) URL() string    { return c.u.Scheme + "://" + c.u.Host }
func (c *Client) Insecure() bool { return c.cfg.InsecureSkipVerify }

// Close ends the connection.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close()
	c.conn = nil
	return err
}

// connection returns a bound connection, dialling (again) if there is none or
// the old one dropped.
func (c *Client) connection(ctx context.Context) (*ldap.Conn, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil && !c.conn.IsClosing() {
		return c.conn, c.base, nil
	}
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
	}
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, "", err
	}
	if c.base == "" {
		base, err := defaultNamingContext(conn)
		if err != nil {
			_ = conn.Close()
			return nil, "", err
		}
		c.base = base
	}
	c.conn = conn
	return conn, c.base, nil
}

func (c *Client) dial(ctx context.Context) (*ldap.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ConnectTimeout)
	defer cancel()
	nd := &net.Dialer{}
	var raw net.Conn
	var err error
	if c.u.Scheme == "ldaps" {
		raw, err = (&tls.Dialer{NetDialer: nd, Config: c.tlsCfg}).DialContext(ctx, "tcp", c.u.Host)
	} else {
		raw, err = nd.DialContext(ctx, "tcp", c.u.Host)
	}
	if err != nil {
		return nil, classifyDial(c.URL(), err)
	}
	conn := ldap.NewConn(raw, c.u.Scheme == "ldaps")
	conn.Start()
	conn.SetTimeout(c.cfg.RequestTimeout)
	// go-ldap's StartTLS and Bind take no context: close the connection if ours
	// ends first, which makes them return.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if c.u.Scheme == "ldap" {
		if err := conn.StartTLS(c.tlsCfg); err != nil {
			conn.Close()
			return nil, classifyDial(c.URL(), err)
		}
	}
	if err := conn.Bind(c.cfg.BindUser, c.cfg.BindPassword.Reveal()); err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return nil, classifyDial(c.URL(), ctx.Err())
		}
		return nil, classifyBind(c.cfg.BindUser, err)
	}
	return conn, nil
}

func defaultNamingContext(conn *ldap.Conn) (string, error) {
	res, err := conn.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 10, false,
		"(objectClass=*)", []string{"defaultNamingContext"}, nil))
	if err != nil || len(res.Entries) == 0 || res.Entries[0].GetAttributeValue("defaultNamingContext") == "" {
		return "", fmt.Errorf("%w: the directory did not say its naming context; set the base DN", ErrDirectory)
	}
	return res.Entries[0].GetAttributeValue("defaultNamingContext"), nil
}

// call runs fn with a bound connection; when the connection dropped under it,
// it dials once more and repeats fn once.
func (c *Client) call(ctx context.Context, fn func(conn *ldap.Conn, base string) error) error {
	conn, base, err := c.connection(ctx)
	if err != nil {
		return err
	}
	err = fn(conn, base)
	if err == nil || ctx.Err() != nil || !conn.IsClosing() {
		return err
	}
	conn, base, err = c.connection(ctx)
	if err != nil {
		return err
	}
	return fn(conn, base)
}
