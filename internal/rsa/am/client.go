// Package am is the RSA Authentication Manager admin API client: the SOAP
// transport to the CommandServer (Axis 1, RPC/encoded), the admin session,
// typed commands, AM's records decoded from its replies, and its faults as
// kinds of error. It knows AM's wire and nothing of what rsatui does with
// it: the operations, rules and permissions are package rsa's, the only
// package that uses this one.
package am

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amtypes"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// Config says where AM is and how to authenticate. Passwords come from files,
// environment or a prompt (cmd/rsatui); they are never logged.
type Config struct {
	// URL of the CommandServer, e.g. https://am.example.com:7002. A URL without a
	// path gets /ims-ws/services/CommandServer appended.
	URL string
	// CommandClientUser/Password: the HTTP Basic account from
	// `rsautil manage-secrets --action list` (CmdClient_…), sent on every request.
	CommandClientUser     string
	CommandClientPassword Secret
	// AdminUser/Password: the administrator that LoginCommand authenticates.
	AdminUser     string
	AdminPassword Secret
	// AuthMethod is RSA_Password (internal database, default) or LDAP_Password.
	AuthMethod string
	// CAFile adds a PEM CA bundle to the system roots (AM uses its own CA).
	CAFile string
	// CAPool replaces the roots entirely (in-process servers such as --demo).
	CAPool *x509.CertPool
	// AllowPlainHTTP accepts an http:// URL. Without it one is refused: the
	// command-client Basic header and the admin password would cross the
	// network in cleartext. Only ever by explicit choice, warned and badged.
	AllowPlainHTTP bool
	// InsecureSkipVerify turns TLS verification off. Only ever by explicit
	// choice; the UI shows a warning badge for as long as it is on.
	InsecureSkipVerify bool
	// Timeout bounds each HTTP round trip (default 30 s).
	Timeout time.Duration
	// MaxResponseBytes bounds a reply body (default 8 MiB).
	MaxResponseBytes int64
	// Transport overrides the HTTP transport (tests, fault injection).
	Transport http.RoundTripper
}

// Stats counts what the client did on the wire.
type Stats struct {
	RoundTrips int64 // HTTP requests sent
	Logins     int64 // LoginCommands sent
}

// Client talks to one AM CommandServer. It is safe for concurrent use; all
// callers share one keep-alive HTTP client and one admin session.
type Client struct {
	cfg      Config
	endpoint string
	// rt sends the requests. No http.Client on top: its redirect handling has
	// no place in SOAP (a redirected POST would become a GET, or be resent) and
	// its per-request header copy is pure overhead; a redirect is an
	// unexpected HTTP status here, like any other.
	rt http.RoundTripper

	// authorization is the HTTP Basic header value of the command-client
	// account, computed once (it is as secret as the password; never logged)
	authorization redacted

	mu        sync.Mutex // guards session; held across a login so only one runs
	session   string
	principal string

	lanes *lanes // Lanes requests in flight at most, shared out between sessions
	own   *Queue // the queue of requests sent for no session

	roundTrips atomic.Int64
	logins     atomic.Int64
	// pollSize is the first page of the next activity poll (see poll)
	pollSize atomic.Int64
}

// New validates cfg and builds the HTTP client. It does no network I/O.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("AM URL %q: want https://host:7002[/ims-ws/services/CommandServer]", cfg.URL)
	}
	if u.Scheme == "http" && !cfg.AllowPlainHTTP {
		return nil, fmt.Errorf("AM URL %q is plain http://: the command-client and admin passwords would cross the network in cleartext; "+
			"use https:// (AM serves it on port 7002), or accept cleartext explicitly with --am-allow-plain-http", cfg.URL)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = amproto.ServicePath
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = 8 << 20
	}
	if cfg.AuthMethod == "" {
		cfg.AuthMethod = amproto.MethodRSAPassword
	}
	rt := cfg.Transport
	if rt == nil {
		tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // explicit, user-visible option
		if cfg.CAFile != "" {
			pool, err := loadCAs(cfg.CAFile)
			if err != nil {
				return nil, err
			}
			tlsCfg.RootCAs = pool
		}
		if cfg.CAPool != nil {
			tlsCfg.RootCAs = cfg.CAPool
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tlsCfg
		// Bounded: an SSH server's sessions share this client, and AM should
		// see a few keep-alive connections, not one per person.
		tr.MaxIdleConnsPerHost = Lanes
		tr.MaxConnsPerHost = Lanes
		// no ResponseHeaderTimeout: each call's context already carries
		// cfg.Timeout, and a second timer per request is not free
		rt = tr
	}
	basic := base64.StdEncoding.EncodeToString([]byte(cfg.CommandClientUser + ":" + cfg.CommandClientPassword.Reveal()))
	return &Client{cfg: cfg, endpoint: u.String(), rt: rt, authorization: redacted{"Basic " + basic},
		lanes: newLanes(Lanes), own: &Queue{}}, nil
}

func loadCAs(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}

// String names the client without its secrets. fmt does not call the
// Secret fields' own String methods inside an unexported field, so without
// this a Client printed by mistake would show its passwords.
func (c *Client) String() string {
	shown := c.endpoint
	if u, err := url.Parse(c.endpoint); err == nil {
		shown = u.Redacted() // a password in the URL, of all places
	}
	return fmt.Sprintf("rsa.Client{%s as %s}", shown, c.cfg.AdminUser)
}

// GoString is String, for %#v.
func (c *Client) GoString() string { return c.String() }

// Endpoint is the CommandServer URL in use.
func (c *Client) Endpoint() string { return c.endpoint }

// Insecure reports whether TLS verification is off (for the UI's warning badge).
// PlainHTTP reports whether the client talks to AM without TLS.
func (c *Client) PlainHTTP() bool { return strings.HasPrefix(c.endpoint, "http:") }

func (c *Client) Insecure() bool {
	return c.cfg.InsecureSkipVerify && strings.HasPrefix(c.endpoint, "https:")
}

// Admin is the admin user name the client logs in as.
func (c *Client) Admin() string { return c.cfg.AdminUser }

// Stats returns the wire counters.
func (c *Client) Stats() Stats {
	return Stats{RoundTrips: c.roundTrips.Load(), Logins: c.logins.Load()}
}

// Execute runs one command and returns the command the server sent back (the
// same class, output fields filled). It logs in first if there is no session.
//
// On an invalid-session fault it logs in again; a read-only command is then sent
// once more, a write is not (the caller decides, knowing the write was refused
// and so not applied).
func (c *Client) Execute(ctx context.Context, cmd *soapenc.Value) (*soapenc.Value, error) {
	sid, err := c.ensureSession(ctx)
	if err != nil {
		return nil, err
	}
	reply, err := c.call(ctx, sid, cmd)
	if !errors.Is(err, ErrInvalidSession) {
		return reply, err
	}
	c.dropSession(sid)
	sid, lerr := c.ensureSession(ctx)
	if lerr != nil {
		return nil, lerr
	}
	if !amproto.ReadOnly[cmd.Type] {
		return nil, err
	}
	return c.call(ctx, sid, cmd)
}

// query runs cmd and hands its reply to read, which turns it into a DTO.
func query[T any](ctx context.Context, c *Client, cmd *soapenc.Value, read func(reply *soapenc.Value) (T, error)) (T, error) {
	reply, err := c.Execute(ctx, cmd)
	if err != nil {
		var zero T
		return zero, err
	}
	return read(reply)
}

// run runs a command whose reply carries nothing the caller needs.
func (c *Client) run(ctx context.Context, cmd *soapenc.Value) error {
	_, err := c.Execute(ctx, cmd)
	return err
}

func (c *Client) ensureSession(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session != "" {
		return c.session, nil
	}
	sid, principal, err := c.login(ctx)
	if err != nil {
		return "", err
	}
	c.session, c.principal = sid, principal
	return sid, nil
}

// dropSession forgets sid unless another goroutine already replaced it.
func (c *Client) dropSession(sid string) {
	c.mu.Lock()
	if c.session == sid {
		c.session = ""
	}
	c.mu.Unlock()
}

// Login authenticates the admin now (it otherwise happens on the first command).
func (c *Client) Login(ctx context.Context) error {
	_, err := c.ensureSession(ctx)
	return err
}

func (c *Client) login(ctx context.Context) (sid, principal string, err error) {
	c.logins.Add(1)
	param := func(prompt, value string, masked bool) *soapenc.Value {
		return soapenc.Obj("item", amproto.FieldParameterDTO,
			soapenc.Nil("helpObject"), soapenc.Str("promptKey", prompt), soapenc.Nil("type"),
			soapenc.Bool("editable", false), soapenc.Bool("masked", masked), soapenc.Str("value", value))
	}
	cmd := command(amproto.LoginCommand,
		soapenc.Nil("agentId"),
		soapenc.Bool("authenticateUnregisteredUser", false),
		soapenc.Str("authenticationMethodId", c.cfg.AuthMethod),
		soapenc.Str("authenticationState", amproto.StateInitial),
		soapenc.Nil("authenticationStep"),
		soapenc.Bool("emergencyAuthentication", false),
		soapenc.Nil("hiddenParameters"), soapenc.Nil("identitySourceGuid"), soapenc.Nil("message"),
		soapenc.Nil("netAddress"),
		soapenc.ObjArray("parameters", amproto.AbstractParameterDTO,
			param(amproto.PromptPrincipalID, c.cfg.AdminUser, false),
			param(amproto.PromptPassword, c.cfg.AdminPassword.Reveal(), true)),
		soapenc.Nil("policyGuid"), soapenc.Nil("principalGuid"),
		soapenc.Bool("principalRegistered", false), soapenc.Nil("sessionId"),
		soapenc.Bool("usingTransientSession", false),
	)
	reply, err := c.direct(ctx, cmd)
	if err != nil {
		return "", "", err
	}
	state := reply.Str("authenticationState")
	switch state {
	case amproto.StateAuthenticated:
		sid = reply.Str("sessionId")
		if sid == "" {
			return "", "", &CallError{Command: "LoginCommand", Err: fmt.Errorf("%w: authenticated without a sessionId", ErrMalformedReply)}
		}
		return sid, reply.Str("principalGuid"), nil
	case amproto.StateInProgress:
		return "", "", fmt.Errorf("%w: AM asks for more login steps (e.g. a new password): finish them in the Security Console first", ErrAccessDenied)
	}
	key := reply.Field("message").Str("key")
	return "", "", &Fault{Command: "LoginCommand", Class: amproto.ExAuthentication, Message: "login " + state, MessageKey: key}
}

// Close ends the admin session with LogoutCommand (in0 empty, the session in the
// command, as RSA's clients do).
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	sid := c.session
	c.session = ""
	c.mu.Unlock()
	if sid == "" {
		return nil
	}
	_, err := c.direct(ctx, command(amproto.LogoutCommand, soapenc.Str("sessionId", sid)))
	return err
}

// command builds a command object as RSA's proxy writes one: every member
// of the class in AM's type table, the TargetableCommand members first,
// nil (or a primitive's default) where fields gives none.
func command(typ soapenc.QName, fields ...*soapenc.Value) *soapenc.Value {
	cmd, err := amtypes.Complete(amproto.PartCommand, typ, fields...)
	if err != nil {
		panic("rsa: " + err.Error()) // a typed command naming a member AM lacks: caught by the tests
	}
	return cmd
}

// redacted is a header value that carries a secret: printing it (say, a
// Client with %+v) shows nothing of it.
type redacted []string

func (redacted) String() string   { return "[redacted]" }
func (redacted) GoString() string { return "[redacted]" }

// Request headers that never change, shared by every request (the transport
// only reads them). Keys are in canonical form, as Header.Set would write them.
var (
	contentTypeXML = []string{"text/xml; charset=utf-8"}
	soapActionNone = []string{`""`}
)

// direct sends a command outside the session (login, logout: in0 empty).
func (c *Client) direct(ctx context.Context, cmd *soapenc.Value) (*soapenc.Value, error) {
	return c.call(ctx, "", cmd)
}

// decodeReply turns a reply body into the executeCommandReturn of command
// name (of class typ), or the error it stands for. write says whether the
// command changes state, and so whether an unreadable reply leaves its
// outcome unknown.
func decodeReply(ctx context.Context, name string, typ soapenc.QName, write bool, data []byte) (*soapenc.Value, error) {
	msg, err := soapenc.UnmarshalContext(ctx, data, soapenc.DefaultLimits)
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil, &CallError{Command: name, Err: fmt.Errorf("%w: no reply in time (its reading took too long): %v", ErrUnreachable, err), OutcomeUnknown: write}
	}
	if err != nil {
		return nil, malformedReply(name, write, err)
	}
	if msg.Fault != nil {
		return nil, faultFromSOAP(name, msg.Fault)
	}
	ret := msg.Part(amproto.PartReturn)
	if ret.IsNil() {
		return nil, malformedReply(name, write, errors.New("no executeCommandReturn"))
	}
	if ret.Type != typ {
		return nil, malformedReply(name, write, fmt.Errorf("returned %s", ret.Type))
	}
	return ret, nil
}

func malformedReply(name string, write bool, err error) error {
	return &CallError{Command: name, Err: fmt.Errorf("%w: %w", ErrMalformedReply, err), OutcomeUnknown: write}
}

// call does one HTTP round trip: executeCommand(in0=sid, in1=cmd).
func (c *Client) call(ctx context.Context, sid string, cmd *soapenc.Value) (*soapenc.Value, error) {
	var zero *soapenc.Value
	name := cmd.Type.Local
	// a lost reply leaves the outcome unknown only for commands that change
	// state: an admin's login does not, a person's passcode does (it counts
	// toward their lockout)
	write := !amproto.ReadOnly[cmd.Type] && cmd.Type != amproto.LogoutCommand &&
		(cmd.Type != amproto.LoginCommand || cmd.Str("authenticationMethodId") == amproto.MethodSecurID)
	in1 := *cmd
	in1.Name = amproto.PartCommand
	parts := []*soapenc.Value{&in1}
	if sid != "" {
		parts = []*soapenc.Value{soapenc.Str(amproto.PartSession, sid), &in1}
	}
	body, err := soapenc.Marshal(amproto.OpExecute, parts, soapenc.Inline)
	if err != nil {
		return zero, &CallError{Command: name, Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return zero, &CallError{Command: name, Err: err}
	}
	req.Header["Content-Type"] = contentTypeXML
	req.Header["Soapaction"] = soapActionNone
	req.Header["Authorization"] = c.authorization

	release, err := c.enter(ctx) // a lane (gate.go): nothing is sent without one
	if err != nil {
		return zero, &CallError{Command: name, Err: transportErr(ctx, err)}
	}
	defer release()
	c.roundTrips.Add(1)
	resp, err := c.rt.RoundTrip(req)
	if err != nil {
		return zero, &CallError{Command: name, Err: transportErr(ctx, err), OutcomeUnknown: write}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxResponseBytes+1))
	if err != nil {
		return zero, &CallError{Command: name, Err: transportErr(ctx, err), OutcomeUnknown: write}
	}
	if int64(len(data)) > c.cfg.MaxResponseBytes {
		return zero, &CallError{Command: name, Err: fmt.Errorf("%w: %w: over %d bytes", ErrMalformedReply, ErrReplyTooLarge, c.cfg.MaxResponseBytes), OutcomeUnknown: write}
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return zero, &CallError{Command: name, Err: ErrCommandClientAuth}
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusInternalServerError || !isXML(resp.Header.Get("Content-Type")) {
		return zero, &CallError{Command: name, Err: fmt.Errorf("%w: %w", ErrMalformedReply,
			&HTTPStatusError{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}), OutcomeUnknown: write}
	}
	return decodeReply(ctx, name, cmd.Type, write, data)
}

func isXML(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "text/xml" || mt == "application/soap+xml" || mt == "application/xml"
}

// transportErr labels a network failure: cancelled by the user, timed out, or
// the server unreachable.
func transportErr(ctx context.Context, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return fmt.Errorf("cancelled: %w", context.Canceled)
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: no reply in time: %w", ErrUnreachable, context.DeadlineExceeded)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err // drop the URL: it is in the config, and keeps the line short
	}
	return fmt.Errorf("%w: %v", ErrUnreachable, err)
}
