package amsim

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amtypes"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// maxRequestBytes bounds a request body; AM's largest requests are a few KiB.
const maxRequestBytes = 1 << 20

// simFault is an exception the simulated server throws.
type simFault struct {
	class   string // Java class
	message string
	key     string
}

func (f *simFault) Error() string { return f.class + ": " + f.message }

func fault(class, key, format string, args ...any) *simFault {
	// a value quoted from the request is cut: a fault echoed a megabyte
	// of request text back (a reply as large as the request, in a log)
	for i, a := range args {
		if s, ok := a.(string); ok && len(s) > maxQuoted {
			args[i] = strings.ToValidUTF8(s[:maxQuoted], "") + fmt.Sprintf("… (%d bytes)", len(s))
		}
	}
	return &simFault{class: class, key: key, message: fmt.Sprintf(format, args...)}
}

// maxQuoted is the most of a request's value a fault quotes.
const maxQuoted = 200

// ServeHTTP serves GET ?wsdl, GET ?xsd=soapenc and POST executeCommand.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Query().Has("wsdl"):
		s.serveWSDL(w, r)
	case r.Method == http.MethodGet && r.URL.Query().Get("xsd") == "soapenc":
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = w.Write(SoapEncodingSchema())
	case r.Method == http.MethodPost:
		s.serveCommand(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "rsatui AM simulator: POST executeCommand, or GET ?wsdl", http.StatusMethodNotAllowed)
	}
}

func (s *Sim) authorized(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	return ok && subtle.ConstantTimeCompare([]byte(u), []byte(s.opt.CommandClientUser)) == 1 &&
		subtle.ConstantTimeCompare([]byte(p), []byte(s.opt.CommandClientPassword)) == 1
}

func unauthorized(w http.ResponseWriter) {
	// WebLogic answers 401 with an empty body, never a SOAP fault (§2, proposal).
	w.Header().Set("WWW-Authenticate", `Basic realm="weblogic"`)
	w.WriteHeader(http.StatusUnauthorized)
}

func endpointURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.Path
}

func (s *Sim) serveWSDL(w http.ResponseWriter, r *http.Request) {
	if !s.opt.OpenWSDL && !s.authorized(r) {
		unauthorized(w)
		return
	}
	s.mu.Lock()
	s.stats.WSDLRequests++
	s.mu.Unlock()
	ep := endpointURL(r)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write(s.wsdls.get(ep))
}

// wsdlCache keeps the WSDL rendered for each endpoint it was asked at
// (about 0.1 s and 1.6 MB each: rendering it per request made a client
// that fetches it per call slow). The address comes from the request's
// Host, so the cache is bounded: past wsdlCacheSize addresses it starts
// again.
type wsdlCache struct {
	mu   sync.Mutex
	docs map[string][]byte
}

const wsdlCacheSize = 8

func (c *wsdlCache) get(endpoint string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if doc, ok := c.docs[endpoint]; ok {
		return doc
	}
	if c.docs == nil || len(c.docs) >= wsdlCacheSize {
		c.docs = map[string][]byte{}
	}
	doc := WSDL(endpoint, endpoint+"?xsd=soapenc")
	c.docs[endpoint] = doc
	return doc
}

func (s *Sim) serveCommand(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	s.activity.begin()
	defer s.activity.end()
	s.mu.Lock()
	s.stats.Requests++
	s.mu.Unlock()
	if !s.authorized(r) {
		unauthorized(w)
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err != nil {
		s.writeFault(w, fault(amproto.ExSystem, "", "request body unreadable or larger than %d bytes", maxRequestBytes))
		return
	}
	msg, err := soapenc.Unmarshal(data, soapenc.DefaultLimits)
	if err != nil {
		s.writeFault(w, fault(amproto.ExSystem, "", "could not parse the request: %v", err))
		return
	}
	if msg.Fault != nil || msg.Op != amproto.OpExecute {
		s.writeFault(w, fault(amproto.ExSystem, "", "no such operation: %s (the service has executeCommand only)", msg.Op))
		return
	}
	in1 := msg.Part(amproto.PartCommand)
	switch {
	case in1 == nil || in1.Nil:
		s.writeFault(w, fault(amproto.ExSystem, "", "in1 is missing: executeCommand needs a command"))
		return
	case in1.Type.IsZero():
		s.writeFault(w, fault(amproto.ExSystem, "", "in1 has no xsi:type, so the command class is unknown"))
		return
	case !isCommand(in1.Type):
		s.writeFault(w, fault(amproto.ExSystem, "", "unknown command class %s", amproto.JavaClass(in1.Type)))
		return
	}
	defer s.traced(in1.Type.Local, start)
	normalize(in1, in1.Type)
	if f := checkRequest(in1); f != nil {
		s.writeFault(w, f)
		return
	}
	var sid string
	if p := msg.Part(amproto.PartSession); p != nil && !p.Nil {
		sid = strings.TrimSpace(p.Text)
	}

	rule, latency := s.faults.take(in1.Type)
	if latency > 0 {
		sleep(r, latency)
	}
	if rule != nil {
		switch rule.Action {
		case Delay:
			sleep(r, rule.Delay)
		case Hold:
			select {
			case <-rule.Release:
			case <-r.Context().Done():
				return
			}
		case HTTP500:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, "<html><body><h1>Error 500--Internal Server Error</h1></body></html>")
			return
		case Drop:
			hangUp(w)
			return
		case Malformed:
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			_, _ = io.WriteString(w, `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ns1:executeCommandResponse`)
			return
		case Oversized:
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			_, _ = w.Write(bytes.Repeat([]byte("<x>"), 4<<20))
			return
		case ExpireSession:
			s.mu.Lock()
			delete(s.sessions, sid)
			s.mu.Unlock()
		case Restart:
			s.ExpireSessions()
			hangUp(w)
			return
		}
	}

	reply, f := s.execute(sid, in1)
	if rule != nil && rule.Action == DropAfter {
		hangUp(w)
		return
	}
	if f != nil {
		s.writeFault(w, f)
		return
	}
	style := soapenc.MultiRef
	if s.opt.Inline {
		style = soapenc.Inline
	}
	out, err := soapenc.Marshal(amproto.OpExecuteResponse, []*soapenc.Value{reply}, style)
	if err != nil {
		s.writeFault(w, fault(amproto.ExSystem, "", "encoding the reply: %v", err))
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write(out)
	s.mu.Lock()
	s.stats.ReplyBytes[in1.Type.Local] += int64(len(out))
	s.mu.Unlock()
}

func sleep(r *http.Request, d time.Duration) {
	select {
	case <-time.After(d):
	case <-r.Context().Done():
	}
}

// hangUp closes the connection without an HTTP response.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // HTTP/2 or a recorder: abort the stream instead
}

// writeFault answers like Axis 1: HTTP 500, faultstring "<class>: <message>" and
// the exception bean in <detail>.
func (s *Sim) writeFault(w http.ResponseWriter, f *simFault) {
	code := amproto.FaultCodeUser
	if f.class == amproto.ExSystem {
		code = amproto.FaultCodeServer
	}
	detailType := amproto.TypeOf(f.class)
	var detail *soapenc.Value
	if amtypes.Lookup(detailType) != nil {
		set := []*soapenc.Value{soapenc.Str("message", f.message)}
		if _, ok := amtypes.MemberOf(detailType, "messageKey"); ok { // LocalizableExceptions; SystemException has none
			set = append(set, soapenc.OptStr("messageKey", f.key))
		}
		detail = obj("fault", detailType, set...)
	}
	body, err := soapenc.MarshalFault(&soapenc.Fault{Code: code, String: f.Error(), Detail: detail, Hostname: s.opt.Hostname},
		amproto.NSWebService)
	if err != nil {
		http.Error(w, "fault encoding failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(body)
}

// execute checks the session and runs the command under the state lock.
func (s *Sim) execute(sid string, in *soapenc.Value) (*soapenc.Value, *simFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Commands[in.Type.Local]++
	switch in.Type {
	case amproto.LoginCommand:
		if in.Str("authenticationMethodId") == amproto.MethodSecurID {
			return s.passcodeLogin(in) // a person's passcode (runtime.go)
		}
		return s.login(in)
	case amproto.LogoutCommand:
		return s.logout(in)
	}
	sess, f := s.checkSession(sid)
	if f != nil {
		return nil, f
	}
	if !amproto.ReadOnly[in.Type] && (sess.role == RoleReadOnly || sess.role == RoleHelpDesk && !helpDeskMay[in.Type]) {
		return nil, fault(amproto.ExInsufficientPrivilege, "INSUFFICIENT_PRIVILEGE",
			"Administrator %s does not have permission for %s", sess.admin, in.Type.Local)
	}
	h := handlers[in.Type]
	if h == nil {
		return nil, fault(amproto.ExSystem, "", "command %s is not implemented by the simulator", in.Type.Local)
	}
	if amproto.ReadOnly[in.Type] {
		return h(s, in)
	}
	// a change: what it changed goes into the administration log
	before := s.snapshot()
	out, f := h(s, in)
	if f == nil {
		s.logAdmin(sess.admin, in.Type.Local, before)
	}
	return out, f
}

func (s *Sim) checkSession(sid string) (*session, *simFault) {
	if sid == "" {
		return nil, fault(amproto.ExCommandInvalidSession, "SESSION_INVALID", "Session ID is not specified")
	}
	now := s.opt.Now()
	sess := s.sessions[sid]
	if sess == nil {
		return nil, fault(amproto.ExSessionInvalidSession, "SESSION_INVALID", "Session %s is invalid or has expired", redactSID(sid))
	}
	if now.Sub(sess.lastUsed) > s.opt.IdleTimeout || now.Sub(sess.created) > s.opt.MaxLifetime {
		delete(s.sessions, sid)
		return nil, fault(amproto.ExSessionInvalidSession, "SESSION_EXPIRED", "Session %s has expired", redactSID(sid))
	}
	sess.lastUsed = now
	return sess, nil
}

// redactSID keeps a session id out of fault texts (they end up in logs).
func redactSID(sid string) string {
	if len(sid) <= 4 {
		return "****"
	}
	return sid[:4] + "…"
}

// ServicePath is where the simulator, like AM, serves the CommandServer.
const ServicePath = amproto.ServicePath
