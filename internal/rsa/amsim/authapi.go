package amsim

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/authapi"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// The SecurID Authentication API (REST; notes/auth-api.md): what agents and
// identity products test passcodes with. The simulator serves its
// initialize, verify and cancel under AuthAPIPath, with the client-key
// header, the SECURID method and the next-tokencode and new-PIN
// challenges, through the same runtime rules and the same activity
// records as LoginCommand (the agent is the request's clientId).

// AuthAPIPath is where the Authentication API is served.
const AuthAPIPath = authapi.AuthAPIPath

// authAPI is the API's state: the attempts waiting for a step.
type authAPI struct {
	mu       sync.Mutex
	attempts map[string]apiAttempt
}

type apiAttempt struct {
	client, sid, await string
	message            string // the server's last messageId
}

// SetAuthAPIKey sets the client key the API takes (in the client-key
// header); without one the API answers 401.
func (s *Sim) SetAuthAPIKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKey = key
}

// AuthAPI is the Authentication API's handler (mount it at AuthAPIPath).
func (s *Sim) AuthAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		key := s.apiKey
		s.mu.Unlock()
		got := r.Header.Get("client-key")
		if key == "" || subtle.ConstantTimeCompare([]byte(got), []byte(key)) != 1 {
			http.Error(w, `{"message":"unauthorized: a valid client-key header is required"}`, http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodPost {
			http.Error(w, `{"message":"POST only"}`, http.StatusMethodNotAllowed)
			return
		}
		var req authapi.AuthnRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil {
			http.Error(w, `{"message":"the body is not the JSON of an authentication request"}`, http.StatusBadRequest)
			return
		}
		var res authapi.AuthnResponse
		switch strings.TrimPrefix(r.URL.Path, AuthAPIPath) {
		case "initialize":
			res = s.apiInitialize(req)
		case "verify":
			res = s.apiVerify(req)
		case "cancel":
			res = s.apiCancel(req)
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(res)
	})
}

func input(creds []authapi.Credential, method string) (string, bool) {
	for _, c := range creds {
		if c.MethodID == method {
			for _, in := range c.CollectedInputs {
				if in.Name == method {
					return in.Value, true
				}
			}
		}
	}
	return "", false
}

// apiInitialize starts an attempt with the SECURID passcode.
func (s *Sim) apiInitialize(req authapi.AuthnRequest) authapi.AuthnResponse {
	passcode, ok := input(req.SubjectCredentials, authapi.MethodSecurID)
	if req.ClientID == "" || req.SubjectName == "" || !ok {
		return authapi.AuthnResponse{AttemptResponseCode: authapi.AttemptError, AttemptReasonCode: "INVALID_REQUEST: clientId, subjectName and the SECURID credential are required"}
	}
	in := obj("in1", amproto.LoginCommand, soapenc.Str("agentId", req.ClientID),
		soapenc.Str("authenticationMethodId", amproto.MethodSecurID), soapenc.Str("authenticationState", amproto.StateInitial),
		soapenc.ObjArray("parameters", amproto.AbstractParameterDTO,
			obj("item", amproto.FieldParameterDTO, soapenc.Str("promptKey", amproto.PromptPrincipalID), soapenc.Str("value", req.SubjectName)),
			obj("item", amproto.FieldParameterDTO, soapenc.Str("promptKey", amproto.PromptPasscode), soapenc.Str("value", passcode))))
	return s.apiStep(req, in, authapi.MethodSecurID)
}

// apiVerify answers the attempt's challenge (next tokencode or new PIN).
func (s *Sim) apiVerify(req authapi.AuthnRequest) authapi.AuthnResponse {
	s.api.mu.Lock()
	a, ok := s.api.attempts[req.Context.AuthnAttemptID]
	delete(s.api.attempts, req.Context.AuthnAttemptID)
	s.api.mu.Unlock()
	if !ok {
		return authapi.AuthnResponse{Context: req.Context, AttemptResponseCode: authapi.AttemptError, AttemptReasonCode: "AUTHN_ATTEMPT_NOT_FOUND"}
	}
	method := map[string]string{amproto.PromptNextTokencode: authapi.MethodNextTokencode, amproto.PromptNewPIN: authapi.MethodNewPIN}[a.await]
	answer, given := input(req.SubjectCredentials, method)
	if !given {
		return authapi.AuthnResponse{Context: req.Context, AttemptResponseCode: authapi.AttemptError, AttemptReasonCode: "the " + method + " credential is required"}
	}
	in := obj("in1", amproto.LoginCommand, soapenc.Str("agentId", a.client),
		soapenc.Str("authenticationMethodId", amproto.MethodSecurID), soapenc.Str("authenticationState", amproto.StateInProgress),
		soapenc.Str("sessionId", a.sid),
		soapenc.ObjArray("parameters", amproto.AbstractParameterDTO,
			obj("item", amproto.FieldParameterDTO, soapenc.Str("promptKey", a.await), soapenc.Str("value", answer))))
	req.ClientID = a.client
	return s.apiStep(req, in, method)
}

// apiStep runs a step through the runtime rules and says it the API's way.
func (s *Sim) apiStep(req authapi.AuthnRequest, in *soapenc.Value, method string) authapi.AuthnResponse {
	s.mu.Lock()
	out, f := s.passcodeLogin(in)
	var attempt string
	if f == nil {
		attempt = s.newGUID()
	}
	msg := s.newGUID()
	s.mu.Unlock()
	res := authapi.AuthnResponse{Context: authapi.AuthnContext{AuthnAttemptID: attempt, MessageID: msg, InResponseTo: req.Context.MessageID}}
	if f != nil {
		res.AttemptResponseCode, res.AttemptReasonCode = authapi.AttemptError, f.Error()
		return res
	}
	switch out.Str("authenticationState") {
	case amproto.StateAuthenticated:
		s.mu.Lock()
		delete(s.userSessions, out.Str("sessionId")) // the API keeps no session
		s.mu.Unlock()
		res.AttemptResponseCode = authapi.AttemptSuccess
		res.CredentialValidationResults = []authapi.ValidationResult{{MethodID: method, MethodResponseCode: authapi.AttemptSuccess}}
	case amproto.StateInProgress:
		await := ""
		if ps := out.Field("parameters").Items(); len(ps) > 0 {
			await = ps[0].Str("promptKey")
		}
		s.api.mu.Lock()
		if s.api.attempts == nil {
			s.api.attempts = map[string]apiAttempt{}
		}
		s.api.attempts[attempt] = apiAttempt{client: req.ClientID, sid: out.Str("sessionId"), await: await, message: msg}
		s.api.mu.Unlock()
		next, resource, text := authapi.MethodNextTokencode, authapi.PromptNextTokencodeRes, "Wait for the tokencode to change, then enter the new tokencode"
		if await == amproto.PromptNewPIN {
			next, resource, text = authapi.MethodNewPIN, authapi.PromptNewPINRes, "Enter a new PIN (4 to 8 digits)"
		}
		res.AttemptResponseCode = authapi.AttemptChallenge
		res.CredentialValidationResults = []authapi.ValidationResult{{MethodID: method, MethodResponseCode: authapi.AttemptSuccess}}
		res.ChallengeMethods = &authapi.Challenges{Challenges: []authapi.Challenge{{MethodSetID: "1", RequiredMethods: []authapi.Method{{MethodID: next,
			Versions: []authapi.Version{{VersionID: "1.0.0", Prompt: authapi.Prompt{PromptResourceID: resource, DefaultText: text, Sensitive: true}}}}}}}}
	default:
		res.Context.AuthnAttemptID = ""
		res.AttemptResponseCode = authapi.AttemptFail
		res.CredentialValidationResults = []authapi.ValidationResult{{MethodID: method, MethodResponseCode: authapi.AttemptFail}}
	}
	return res
}

// apiCancel ends an attempt waiting for a step.
func (s *Sim) apiCancel(req authapi.AuthnRequest) authapi.AuthnResponse {
	id := req.AuthnAttemptID
	if id == "" {
		id = req.Context.AuthnAttemptID
	}
	s.api.mu.Lock()
	a, ok := s.api.attempts[id]
	delete(s.api.attempts, id)
	s.api.mu.Unlock()
	if ok {
		s.mu.Lock()
		delete(s.logons, a.sid)
		s.mu.Unlock()
	}
	return authapi.AuthnResponse{Context: authapi.AuthnContext{AuthnAttemptID: id}, AttemptResponseCode: map[bool]string{true: authapi.AttemptSuccess, false: authapi.AttemptFail}[ok]}
}
