package amsim_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// replayStep is what the simulator must answer to one request of RSA's.
type replayStep struct {
	status int                                         // HTTP status (200 unless said)
	fault  string                                      // a fault of this Java class is expected
	check  func(t *testing.T, ret *soapenc.Value) bool // on the executeCommandReturn
}

// TestReplayRSADotNetRequests sends, in order and byte for byte, the 32
// request bodies RSA's own .NET client for AM 8.4 sent in one run of the
// emergency-access workflow (testdata/rsa-dotnet-8.4, see its README), with
// the headers it sent; only the session id and the GUIDs of that run are
// swapped for the ones this simulator hands out, learned from its replies.
func TestReplayRSADotNetRequests(t *testing.T) {
	captured := time.Date(2026, 12, 1, 18, 34, 39, 0, time.UTC) // the run's clock (008 asks for 14 days from it)
	sim := amsim.New(amsim.Options{Seed: 7, Now: func() time.Time { return captured }, Hostname: "am-sim"})
	ds := demo.Generate(1, 20, captured)
	if err := ds.SeedAM(sim); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	user, pass := sim.CommandClient()

	str := func(name, want string) func(*testing.T, *soapenc.Value) bool {
		return func(t *testing.T, v *soapenc.Value) bool { return v.Str(name) == want }
	}
	ea := func(mode int, lost bool) func(*testing.T, *soapenc.Value) bool {
		return func(t *testing.T, v *soapenc.Value) bool {
			d := v.Field("tokenEmergencyAccess")
			m, _ := d.Int("eaMode")
			l, _ := d.Bool("tokenLost")
			return m == mode && l == lost
		}
	}
	token := func(ok func(tok *soapenc.Value) bool) func(*testing.T, *soapenc.Value) bool {
		return func(t *testing.T, v *soapenc.Value) bool { return ok(v.Field("token")) }
	}
	enabled := func(want bool) func(*testing.T, *soapenc.Value) bool {
		return token(func(tok *soapenc.Value) bool { b, _ := tok.Bool("tokenEnabled"); return b == want })
	}
	ok := func(*testing.T, *soapenc.Value) bool { return true }
	steps := map[string]replayStep{
		"001": {check: str("authenticationState", amproto.StateAuthenticated)},
		"002": {check: func(t *testing.T, v *soapenc.Value) bool { return len(v.Field("identitySources").Items()) >= 1 }},
		"003": {check: func(t *testing.T, v *soapenc.Value) bool {
			p := v.Field("principals").Items()
			return len(p) == 1 && p[0].Str("userID") == "jdoe"
		}},
		"004": {check: func(t *testing.T, v *soapenc.Value) bool { return len(v.Field("tokenDTOs").Items()) >= 1 }},
		"005": {check: token(func(tok *soapenc.Value) bool { return tok.Str("serialNumber") == "000100001007" })},
		"006": {check: ea(0, false)},
		"007": {check: func(t *testing.T, v *soapenc.Value) bool {
			return len(v.Str("emergencyAccessCode")) == amproto.EACodeSize
		}},
		"008": {check: ok},
		"009": {check: ea(1, true)},
		"010": {check: func(t *testing.T, v *soapenc.Value) bool { return len(v.Field("otts").Items()) == 5 }},
		"011": {check: ok},
		"012": {check: ea(2, true)},
		// 15 days and a minute from the run's clock: beyond the 14-day maximum
		"013": {fault: amproto.ExInvalidArgument},
		"014": {check: ea(2, true)},
		"015": {check: ok},
		"016": {check: ea(0, false)},
		"017": {check: token(func(tok *soapenc.Value) bool { return tok.Str("serialNumber") == "000100001021" })},
		"018": {check: ok},
		"019": {check: token(func(tok *soapenc.Value) bool { return tok.Field("principalId").IsNil() })},
		"020": {check: ok},
		"021": {check: token(func(tok *soapenc.Value) bool { return tok.Str("assignedUserId") == "jdoe" })},
		// already assigned: InvalidArgumentException (rsa-am-api.md §7, confirmed)
		"022": {fault: amproto.ExInvalidArgument},
		"023": {check: ok},
		"024": {check: enabled(false)},
		"025": {check: ok},
		"026": {check: enabled(true)},
		// the seed's fault, word for word (rsa-am-api.md §12)
		"027": {fault: amproto.ExDataNotFound},
		// sent with a bogus session id
		"028": {fault: amproto.ExSessionInvalidSession},
		// a wrong admin password: a normal reply in state failed (rsa-am-api.md §5)
		"029": {check: func(t *testing.T, v *soapenc.Value) bool {
			return v.Str("authenticationState") == amproto.StateFailed && v.Field("message").Str("key") == amproto.KeyAccessDenied
		}},
		"030": {status: http.StatusUnauthorized},
		"031": {check: ok},
		"032": {fault: amproto.ExSessionInvalidSession},
	}

	files, _ := filepath.Glob("testdata/rsa-dotnet-8.4/*.xml")
	sort.Strings(files)
	if len(files) != 32 {
		t.Fatalf("%d fixtures, want 32", len(files))
	}
	l := newLearner()
	for _, f := range files {
		name := filepath.Base(f)
		step, known := steps[name[:3]]
		if !known {
			t.Fatalf("%s: no expectation", name)
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		body, err := l.swap(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+amproto.ServicePath, bytes.NewReader(body))
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
		req.Header.Set("SOAPAction", `""`)
		req.Header.Set("User-Agent", "Mozilla/4.0 (compatible; MSIE 6.0; MS Web Services Client Protocol 4.0.30319.42000)")
		if step.status == http.StatusUnauthorized {
			req.SetBasicAuth(user, pass+"-wrong") // 030 was sent with a wrong command-client password
		} else {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		reply, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if step.status == http.StatusUnauthorized {
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s: HTTP %d, want 401", name, resp.StatusCode)
			}
			continue
		}
		msg, err := soapenc.Unmarshal(reply, soapenc.DefaultLimits)
		if err != nil {
			t.Fatalf("%s: reply unreadable: %v\n%s", name, err, reply)
		}
		switch {
		case step.fault != "":
			if msg.Fault == nil || !strings.HasPrefix(msg.Fault.String, step.fault+":") {
				t.Errorf("%s: want a %s fault, got %+v", name, step.fault, msg.Fault)
			} else if msg.Fault.Detail == nil || msg.Fault.Detail.Type != amproto.TypeOf(step.fault) {
				t.Errorf("%s: the fault carries no %s bean: %+v", name, step.fault, msg.Fault.Detail)
			}
		case msg.Fault != nil:
			t.Errorf("%s: unexpected fault %s", name, msg.Fault.String)
		default:
			ret := msg.Part(amproto.PartReturn)
			if ret == nil || !step.check(t, ret) {
				t.Errorf("%s: unexpected answer\n%s", name, reply)
				continue
			}
			l.learn(ret)
		}
	}
	// the 15-day update was refused as a whole: nothing of it landed
	st, _ := sim.Token("000100001007")
	if st.Lost || st.TFT != "" {
		t.Errorf("token state after the run: %+v", st)
	}
}

// learner maps the session id and GUIDs of the captured run to this
// simulator's, by what each one is: the session of the last login, the
// identity source (the LDAP one), the principal last found, the token last
// looked up by serial.
type learner struct {
	latest map[string]string // family -> this simulator's value
	mapped map[string]string // captured value -> this simulator's value
}

func newLearner() *learner { return &learner{latest: map[string]string{}, mapped: map[string]string{}} }

var hexValue = regexp.MustCompile(`<(\w+)( [^>]*)?>([0-9a-f]{32})</`)

func family(member string) string {
	switch member {
	case "in0", "sessionId":
		return "session"
	case "identitySourceGuid":
		return "source"
	case "principalId", "principalGuid":
		return "principal"
	}
	return "token" // guid, tokenGuid, id, and the items of tokenGuids
}

func (l *learner) swap(raw []byte) ([]byte, error) {
	for _, m := range hexValue.FindAllSubmatch(raw, -1) { // (bogus-session-0000 is no hex: sent as it is)
		old := string(m[3])
		if _, ok := l.mapped[old]; ok {
			continue
		}
		f := family(string(m[1]))
		v, ok := l.latest[f]
		if !ok {
			return nil, fmt.Errorf("no %s learned yet for %s=%s", f, m[1], old)
		}
		l.mapped[old] = v
	}
	out := raw
	for old, v := range l.mapped {
		out = bytes.ReplaceAll(out, []byte(old), []byte(v))
	}
	return out, nil
}

func (l *learner) learn(ret *soapenc.Value) {
	switch ret.Type.Local {
	case "LoginCommand":
		if sid := ret.Str("sessionId"); sid != "" {
			l.latest["session"] = sid
		}
	case "GetIdentitySourcesCommand":
		for _, is := range ret.Field("identitySources").Items() {
			if internal, _ := is.Bool("internal"); !internal {
				l.latest["source"] = is.Str("guid")
			}
		}
	case "SearchPrincipalsCommand":
		if p := ret.Field("principals").Items(); len(p) > 0 {
			l.latest["principal"] = p[0].Str("guid")
		}
	case "LookupTokenCommand":
		if ret.Str("serialNumber") != "" { // looked up by serial: a new token of the run
			l.latest["token"] = ret.Field("token").Str("id")
		}
	}
}
