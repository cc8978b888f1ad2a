// Package authapi is a client of AM's SecurID Authentication API (REST,
// port 5555 on a real AM: POST /mfa/v1_1/authn/initialize, verify, cancel
// with the client-key header; notes/auth-api.md) — the door agents and
// identity products test passcodes through. rsatui uses it to test a
// passcode as the agent a site's users really use. The client key is a
// secret: read from a file, sent in the header only, never logged.
package authapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rsatui/rsatui/internal/secret"
)

// Request and Response are the API's bodies.
type (
	Request  = AuthnRequest
	Response = AuthnResponse
)

// Config is how to reach the API.
type Config struct {
	// URL is the API's base, https://am.example.com:5555 (the path
	// /mfa/v1_1/authn/ is added).
	URL string
	// Key is the client key (Access Key) AM generated for the API.
	Key secret.Secret
	// Agent is the client id: the authentication agent AM records.
	Agent  string
	CAPool *x509.CertPool
	// AllowPlainHTTP accepts an http:// URL (the simulator over plain HTTP).
	AllowPlainHTTP bool
	Timeout        time.Duration
}

// Client is a client of the API.
type Client struct {
	cfg  Config
	http *http.Client
}

// New checks cfg and builds a client.
func New(cfg Config) (*Client, error) {
	switch {
	case cfg.URL == "" || cfg.Agent == "":
		return nil, errors.New("the Authentication API needs its URL and the agent (client id) to test as")
	case cfg.Key == "":
		return nil, errors.New("the Authentication API needs its client key (client_key_file)")
	case strings.HasPrefix(cfg.URL, "http://") && !cfg.AllowPlainHTTP:
		return nil, fmt.Errorf("the Authentication API URL %s is plain HTTP: the client key and the passcodes would cross the network in clear text", cfg.URL)
	case !strings.HasPrefix(cfg.URL, "https://") && !strings.HasPrefix(cfg.URL, "http://"):
		return nil, fmt.Errorf("the Authentication API URL %q: give https://host:5555", cfg.URL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 20 * time.Second
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: cfg.CAPool, MinVersion: tls.VersionTLS12}}
	return &Client{cfg: cfg, http: &http.Client{Transport: tr, Timeout: cfg.Timeout}}, nil
}

// Agent is the client id the attempts are recorded under.
func (c *Client) Agent() string { return c.cfg.Agent }

// String keeps the key out of any print of the client.
func (c *Client) String() string {
	return "authapi.Client{" + c.cfg.URL + ", agent " + c.cfg.Agent + "}"
}

// Initialize starts an attempt with login's passcode (method SECURID).
func (c *Client) Initialize(ctx context.Context, login string, passcode secret.Secret) (Response, error) {
	return c.post(ctx, "initialize", Request{ClientID: c.cfg.Agent, SubjectName: login,
		SubjectCredentials: []Credential{{MethodID: MethodSecurID, CollectedInputs: []Input{{Name: MethodSecurID, Value: passcode.Reveal()}}}},
		Context:            AuthnContext{MessageID: newID()}})
}

// Verify answers a challenge of the attempt: method is the one asked for
// (SECURID_NEXT_TOKENCODE, SECURID_NEW_PIN).
func (c *Client) Verify(ctx context.Context, last Response, method string, value secret.Secret) (Response, error) {
	return c.post(ctx, "verify", Request{Context: AuthnContext{AuthnAttemptID: last.Context.AuthnAttemptID,
		MessageID: newID(), InResponseTo: last.Context.MessageID},
		SubjectCredentials: []Credential{{MethodID: method, CollectedInputs: []Input{{Name: method, Value: value.Reveal()}}}}})
}

// Cancel ends an attempt waiting for a step.
func (c *Client) Cancel(ctx context.Context, attempt string) error {
	_, err := c.post(ctx, "cancel", Request{AuthnAttemptID: attempt, Context: AuthnContext{AuthnAttemptID: attempt, MessageID: newID()}})
	return err
}

// Asked is the method a CHALLENGE asks for ("" when none).
func Asked(r Response) string {
	if r.ChallengeMethods == nil {
		return ""
	}
	for _, ch := range r.ChallengeMethods.Challenges {
		for _, m := range ch.RequiredMethods {
			return m.MethodID
		}
	}
	return ""
}

func (c *Client) post(ctx context.Context, op string, req Request) (Response, error) {
	var res Response
	body, err := json.Marshal(req)
	if err != nil {
		return res, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.cfg.URL, "/")+AuthAPIPath+op, bytes.NewReader(body))
	if err != nil {
		return res, err
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("client-key", c.cfg.Key.Reveal())
	resp, err := c.http.Do(hr)
	if err != nil {
		return res, fmt.Errorf("the Authentication API at %s: %w", c.cfg.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return res, fmt.Errorf("the Authentication API at %s: %w", c.cfg.URL, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return res, fmt.Errorf("the Authentication API refused the client key (HTTP %d): check client_key_file against AM's Access Key", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return res, fmt.Errorf("the Authentication API answered HTTP %d to %s", resp.StatusCode, op)
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return res, fmt.Errorf("the Authentication API's answer to %s is not its JSON: %w", op, err)
	}
	if res.AttemptResponseCode == AttemptError {
		return res, fmt.Errorf("the Authentication API answered ERROR to %s: %s", op, res.AttemptReasonCode)
	}
	return res, nil
}

var idSeq atomic.Int64

func init() { idSeq.Store(time.Now().UnixNano()) }

// newID is a messageId: unique within the run.
func newID() string { return fmt.Sprintf("%x", idSeq.Add(1)) }
