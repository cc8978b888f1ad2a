package amsim

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

func post(t testing.TB, h http.Handler, body string, auth bool) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, amproto.ServicePath, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	if auth {
		req.SetBasicAuth("CmdClient_sim", "sim-secret")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func envelope(t testing.TB, sid string, cmd *soapenc.Value) string {
	t.Helper()
	parts := []*soapenc.Value{cmd}
	if sid != "" {
		parts = append([]*soapenc.Value{soapenc.Str("in0", sid)}, parts...)
	}
	b, err := soapenc.Marshal(amproto.OpExecute, parts, soapenc.Inline)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func login(t testing.TB, s *Sim) string {
	t.Helper()
	cmd := soapenc.Obj("in1", amproto.LoginCommand,
		soapenc.Str("authenticationMethodId", amproto.MethodRSAPassword),
		soapenc.Str("authenticationState", amproto.StateInitial),
		soapenc.ObjArray("parameters", amproto.AbstractParameterDTO,
			soapenc.Obj("item", amproto.FieldParameterDTO, soapenc.Str("promptKey", amproto.PromptPrincipalID), soapenc.Str("value", "admin")),
			soapenc.Obj("item", amproto.FieldParameterDTO, soapenc.Str("promptKey", amproto.PromptPassword), soapenc.Str("value", "Admin!Passw0rd"))))
	rec := post(t, s, envelope(t, "", cmd), true)
	msg, err := soapenc.Unmarshal(rec.Body.Bytes(), soapenc.DefaultLimits)
	if err != nil || rec.Code != 200 {
		t.Fatalf("login: %d %v %s", rec.Code, err, rec.Body)
	}
	ret := msg.Part(amproto.PartReturn)
	if ret.Str("authenticationState") != amproto.StateAuthenticated {
		t.Fatalf("login state %q", ret.Str("authenticationState"))
	}
	if ret.Field("parameters") == nil || !ret.Field("parameters").Nil {
		t.Fatal("login reply echoes the credentials")
	}
	return ret.Str("sessionId")
}

func faultOf(t *testing.T, rec *httptest.ResponseRecorder) *soapenc.Fault {
	t.Helper()
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500 with a SOAP fault; body %s", rec.Code, rec.Body)
	}
	msg, err := soapenc.Unmarshal(rec.Body.Bytes(), soapenc.DefaultLimits)
	if err != nil || msg.Fault == nil {
		t.Fatalf("not a SOAP fault: %v %s", err, rec.Body)
	}
	return msg.Fault
}

func TestMalformedRequestsGetSOAPFaults(t *testing.T) {
	s := New(Options{})
	sid := login(t, s)
	valid := envelope(t, sid, soapenc.Obj("in1", amproto.LookupTokenCommand, soapenc.Str("serialNumber", "1")))
	cases := map[string]string{
		"empty":         "",
		"not xml":       "hello",
		"html":          "<html><body>hi</body></html>",
		"truncated":     valid[:len(valid)/2],
		"no in1":        envelope(t, sid, soapenc.Str("other", "x")),
		"no xsi:type":   strings.Replace(valid, `xsi:type="ns2:LookupTokenCommand"`, "", 1),
		"unknown class": strings.Replace(valid, "LookupTokenCommand", "DeleteEverythingCommand", 1),
		"wrong op":      strings.Replace(valid, "executeCommand", "dropDatabase", 2),
		"soap 1.2":      strings.Replace(valid, soapenc.NSEnvelope, "http://www.w3.org/2003/05/soap-envelope", 1),
		"huge":          "<a>" + strings.Repeat("x", maxRequestBytes) + "</a>",
		"deep":          strings.Repeat("<a>", 500) + strings.Repeat("</a>", 500),
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			f := faultOf(t, post(t, s, body, true))
			if !strings.HasPrefix(f.String, amproto.ExSystem+": ") || f.Code != amproto.FaultCodeServer {
				t.Fatalf("fault %q / %q", f.Code, f.String)
			}
		})
	}
}

func TestBasicAuthAndWSDL(t *testing.T) {
	s := New(Options{})
	rec := post(t, s, "<x/>", false)
	if rec.Code != http.StatusUnauthorized || !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Basic") || rec.Body.Len() != 0 {
		t.Fatalf("no auth: %d %q %q", rec.Code, rec.Header(), rec.Body)
	}
	req := httptest.NewRequest(http.MethodGet, amproto.ServicePath+"?wsdl", nil)
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("WSDL without auth: %d", rec.Code)
	}
	open := New(Options{OpenWSDL: true})
	rec = httptest.NewRecorder()
	open.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://am:7002"+amproto.ServicePath+"?wsdl", nil))
	if rec.Code != 200 {
		t.Fatalf("open WSDL: %d", rec.Code)
	}
	wsdl := rec.Body.String()
	// well-formed, endpoint, every command class
	d := xml.NewDecoder(strings.NewReader(wsdl))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("WSDL is not well-formed: %v", err)
		}
	}
	for _, want := range []string{`location="http://am:7002/ims-ws/services/CommandServer"`, `style="rpc"`, `use="encoded"`,
		`name="GenerateEmergencyAccessCodeCommand"`, `name="TokenEmergencyAccessDTO"`, `name="DataNotFoundException"`} {
		if !strings.Contains(wsdl, want) {
			t.Errorf("WSDL lacks %s", want)
		}
	}
	for q := range handlers {
		if !strings.Contains(wsdl, `name="`+q.Local+`"`) {
			t.Errorf("WSDL lacks command %s", q.Local)
		}
	}
}

func TestSessionRules(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	s := New(Options{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	cmd := soapenc.Obj("in1", amproto.GetIdentitySourcesCommand)
	if f := faultOf(t, post(t, s, envelope(t, "", cmd), true)); !strings.HasPrefix(f.String, amproto.ExCommandInvalidSession) {
		t.Fatalf("no session: %s", f.String)
	}
	if f := faultOf(t, post(t, s, envelope(t, "nosuchsession", cmd), true)); !strings.HasPrefix(f.String, amproto.ExSessionInvalidSession) {
		t.Fatalf("unknown session: %s", f.String)
	}
	sid := login(t, s)
	if rec := post(t, s, envelope(t, sid, cmd), true); rec.Code != 200 {
		t.Fatalf("valid session: %d", rec.Code)
	}
	// used every 20 minutes the session lives until the 8 h maximum
	for i := 0; i < 23; i++ {
		mu.Lock()
		now = now.Add(20 * time.Minute)
		mu.Unlock()
		if rec := post(t, s, envelope(t, sid, cmd), true); rec.Code != 200 {
			t.Fatalf("step %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	mu.Lock()
	now = now.Add(21 * time.Minute) // past 8 h in total
	mu.Unlock()
	f := faultOf(t, post(t, s, envelope(t, sid, cmd), true))
	if !strings.Contains(f.String, "expired") || strings.Contains(f.String, sid) {
		t.Fatalf("max lifetime: %s (and the session id must not be in the fault)", f.String)
	}
}

func TestNormalizeZeepFlattenedArray(t *testing.T) {
	in := soapenc.Obj("in1", amproto.LoginCommand, &soapenc.Value{Name: "parameters", Fields: []*soapenc.Value{
		soapenc.Str("promptKey", "A"), soapenc.Str("value", "1"), soapenc.Str("promptKey", "B"), soapenc.Str("value", "2")}})
	normalize(in, in.Type)
	items := in.Field("parameters").Items()
	if len(items) != 2 || items[1].Str("promptKey") != "B" || items[1].Str("value") != "2" {
		t.Fatalf("items = %+v", items)
	}
}

func TestConcurrentCommandsAreSafe(t *testing.T) {
	s := New(Options{})
	src := s.AddIdentitySource("AD", "")
	p, _ := s.AddUser(src, User{Login: "u", Enabled: true})
	g, _ := s.AddToken(Token{Serial: "000000000001", OwnerGUID: p, Expires: time.Now().Add(time.Hour), Enabled: true})
	sid := login(t, s)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 25; j++ {
				var cmd *soapenc.Value
				if j%2 == 0 {
					cmd = soapenc.Obj("in1", amproto.LookupTokenEmergencyAccessCommand, soapenc.Str("guid", g))
				} else {
					cmd = soapenc.Obj("in1", amproto.EnableTokensCommand, soapenc.Bool("enable", i%2 == 0), soapenc.StrArray("tokenGuids", []string{g}))
				}
				if rec := post(t, s, envelope(t, sid, cmd), true); rec.Code != 200 {
					t.Errorf("%d", rec.Code)
					return
				}
			}
		}(i)
	}
	wg.Wait()
	if n := s.Stats().Commands["EnableTokensCommand"]; n != 8*12 {
		t.Fatalf("enable commands = %d", n)
	}
}

func FuzzServeCommand(f *testing.F) {
	s := New(Options{})
	sid := login(f, s)
	f.Add(envelope(f, sid, soapenc.Obj("in1", amproto.LookupTokenCommand, soapenc.Str("serialNumber", "1"))))
	f.Add(envelope(f, sid, soapenc.Obj("in1", amproto.UpdateTokenEmergencyAccessCommand,
		soapenc.Obj("tokenEmergencyAccessDTO", amproto.TokenEmergencyAccessDTO, soapenc.Str("id", "x"), soapenc.Bool("tokenLost", true)))))
	f.Add(`<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><w><r href="#a"/></w><m id="a"/></e:Body></e:Envelope>`)
	f.Fuzz(func(t *testing.T, body string) {
		rec := post(t, s, body, true)
		if rec.Code == 200 {
			if _, err := soapenc.Unmarshal(rec.Body.Bytes(), soapenc.DefaultLimits); err != nil {
				t.Fatalf("200 with an unreadable body: %v", err)
			}
			return
		}
		if rec.Code != 500 || !bytes.Contains(rec.Body.Bytes(), []byte("faultstring")) {
			t.Fatalf("status %d without a SOAP fault: %s", rec.Code, rec.Body)
		}
	})
}

// TestCommandsOutsideTheTable: a command of AM's the simulator does not
// implement gets a SystemException saying so; a member the class does not
// have, or of another type, the words Axis's bean deserializer uses; a class
// AM does not have is an unknown command.
func TestCommandsOutsideTheTable(t *testing.T) {
	s := New(Options{})
	s.AddAdmin("admin", "Admin!Passw0rd", RoleSuperAdmin)
	sid := login(t, s)
	tokenMgt := "http://tokenmgt.admin.authmgr.rsa.com"
	cases := []struct {
		cmd  *soapenc.Value
		want string
	}{
		{soapenc.Obj("in1", soapenc.QName{Space: tokenMgt, Local: "ClearPinsCommand"}),
			"com.rsa.common.SystemException: command ClearPinsCommand is not implemented by the simulator"},
		{soapenc.Obj("in1", amproto.LookupTokenCommand, soapenc.Str("serial", "000100001007")),
			"Invalid element in com.rsa.authmgr.admin.tokenmgt.LookupTokenCommand - in1.serial: LookupTokenCommand has no member serial"},
		{soapenc.Obj("in1", amproto.LookupTokenCommand, soapenc.Int("serialNumber", 1007)),
			"Invalid element in com.rsa.authmgr.admin.tokenmgt.LookupTokenCommand - in1.serialNumber: sent as {http://www.w3.org/2001/XMLSchema}int, declared xsd:string"},
		{soapenc.Obj("in1", soapenc.QName{Space: tokenMgt, Local: "FrobnicateTokenCommand"}),
			"unknown command class com.rsa.authmgr.admin.tokenmgt.FrobnicateTokenCommand"},
	}
	for _, c := range cases {
		f := faultOf(t, post(t, s, envelope(t, sid, c.cmd), true))
		if !strings.Contains(f.String, c.want) || f.Detail == nil || f.Detail.Type.Local != "SystemException" {
			t.Errorf("%s: fault %q (detail %v), want %q", c.cmd.Type.Local, f.String, f.Detail, c.want)
		}
	}
}

// TestLatencyAndJitter: every request waits at least the latency; the
// jitter adds up to its bound, different amounts from one request to the next.
func TestLatencyAndJitter(t *testing.T) {
	s := New(Options{Seed: 3})
	s.SetLatencyJitter(20*time.Millisecond, 10*time.Millisecond)
	seen := map[time.Duration]bool{}
	for range 200 {
		_, d := s.faults.take(amproto.LookupTokenCommand)
		if d < 20*time.Millisecond || d > 30*time.Millisecond {
			t.Fatalf("delay %s outside [20ms, 30ms]", d)
		}
		seen[d] = true
	}
	if len(seen) < 50 {
		t.Fatalf("only %d different delays in 200 requests", len(seen))
	}
	s.AddAdmin("admin", "Admin!Passw0rd", RoleSuperAdmin)
	s.SetLatencyJitter(30*time.Millisecond, 0)
	start := time.Now()
	login(t, s)
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("a request took %s with a latency of 30ms", d)
	}
}

// Codes follow the seed for tests, and the system's randomness for a
// simulator a person uses (--demo, rsatui sim): every demo run handed out
// the same first code.
func TestGeneratedCodesRandomWhenAsked(t *testing.T) {
	a, b := New(Options{Seed: 1}), New(Options{Seed: 1})
	if a.newCode() != b.newCode() {
		t.Fatal("a seeded simulator's codes differ")
	}
	c, d := New(Options{Seed: 1, RandomCodes: true}), New(Options{Seed: 1, RandomCodes: true})
	if x, y := c.newCode(), d.newCode(); x == y || amproto.CodePolicyViolation(x) != "" {
		t.Fatalf("random codes %q and %q", x, y)
	}
}

// A fault quotes at most a little of a request's value (it echoed a
// megabyte of request text back).
func TestFaultQuotesLittleOfTheRequest(t *testing.T) {
	f := notFound("TOKEN_NOT_FOUND", "Token with serial number %s not found", strings.Repeat("9", 100000))
	if len(f.message) > 400 || !strings.Contains(f.message, "(100000 bytes)") {
		t.Fatalf("%d bytes: %.120s…", len(f.message), f.message)
	}
}

// The software-token commands around the deliveries: the QR code's
// lifetime, the token file formats, and moving tokens to a device type
// (software tokens only).
func TestSoftTokenDeviceCommands(t *testing.T) {
	s := New(Options{})
	src := s.AddIdentitySource("AD", "")
	owner, _ := s.AddUser(src, User{Login: "p", Enabled: true})
	if _, err := s.AddToken(Token{Serial: "000000000001", Type: amproto.TokenTypeSoftID, CodeLength: 8, Interval: 30, Enabled: true, OwnerGUID: owner}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddToken(Token{Serial: "000000000002", Type: amproto.TokenTypeKeyFob, CodeLength: 6, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	sid := login(t, s)
	run := func(cmd *soapenc.Value) (*soapenc.Message, string) {
		rec := post(t, s, envelope(t, sid, cmd), true)
		msg, err := soapenc.Unmarshal(rec.Body.Bytes(), soapenc.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		if msg.Fault != nil {
			return msg, msg.Fault.String
		}
		return msg, ""
	}
	msg, f := run(soapenc.Obj("in1", amproto.LookupCTKIPQRCodeLifetimeCommand))
	if n, _ := msg.Part(amproto.PartReturn).Int("QRCodeLifetime"); f != "" || n != 7*24*60 {
		t.Fatalf("QR lifetime %d %s", n, f)
	}
	msg, f = run(soapenc.Obj("in1", amproto.GetSoftTokenDeviceInfoCommand))
	if items := msg.Part(amproto.PartReturn).Field("deviceDescriptors").Items(); f != "" || len(items) != 1 || items[0].Str("name") != "sdtid" {
		t.Fatalf("device info %v %s", items, f)
	}
	dev := s.soft.devices[1].guid
	st, _ := s.Token("000000000002")
	if _, f = run(soapenc.Obj("in1", amproto.LinkSoftTokensWithDeviceTypeCommand, soapenc.Str("softTokenDeviceTypeGuid", dev),
		soapenc.StrArray("tokenGuids", []string{st.GUID}))); !strings.Contains(f, "not a software token") {
		t.Fatalf("a key fob linked with a device type: %q", f)
	}
	soft, _ := s.Token("000000000001")
	if _, f = run(soapenc.Obj("in1", amproto.LinkSoftTokensWithDeviceTypeCommand, soapenc.Str("softTokenDeviceTypeGuid", dev),
		soapenc.StrArray("tokenGuids", []string{soft.GUID}))); f != "" {
		t.Fatalf("a software token linked with a device type: %q", f)
	}
}
