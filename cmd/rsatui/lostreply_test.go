package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// dropper forwards requests to the simulator; for the emergency-access
// update it hangs up without a reply, after forwarding it (applied) or
// before (not applied) — the probe that found rsatui saying "NOT applied"
// of a change AM held.
type dropper struct {
	target  string
	forward bool // forward the update before hanging up
	rt      http.RoundTripper
}

func (d *dropper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, _ := http.NewRequest(r.Method, d.target+r.URL.RequestURI(), bytes.NewReader(body))
	req.Header = r.Header.Clone()
	update := bytes.Contains(body, []byte("UpdateTokenEmergencyAccessCommand"))
	if !update || d.forward {
		resp, err := d.rt.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		if !update {
			for k, v := range resp.Header {
				w.Header()[k] = v
			}
			w.WriteHeader(resp.StatusCode)
			_, _ = io.Copy(w, resp.Body)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestVerbLostReply(t *testing.T) {
	c := setup(t)
	var target, ca string
	for _, kv := range c.env {
		if v, ok := strings.CutPrefix(kv, "RSATUI_AM_URL="); ok {
			target = strings.TrimSuffix(v, "/ims-ws/services/CommandServer")
		}
		if v, ok := strings.CutPrefix(kv, "RSATUI_AM_CA_FILE="); ok {
			ca = v
		}
	}
	pem, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	toSim := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	jdoe := c.ds.TokensOf("jdoe")[0]
	// plain HTTP is refused unless accepted explicitly, with what to do
	saved := c.env
	c.env = append(append([]string{}, saved...), "RSATUI_AM_URL=http://127.0.0.1:1/ims-ws/services/CommandServer")
	if _, errs, code := c.run("", "ea", "show", jdoe); code != exitUsage || !strings.Contains(errs, "cleartext") ||
		!strings.Contains(errs, "--am-allow-plain-http") {
		t.Fatalf("plain http: exit %d, %s", code, errs)
	}
	c.env = saved
	type result struct {
		Outcome string   `json:"outcome"`
		Codes   []string `json:"codes"`
	}
	for _, tc := range []struct {
		name    string
		forward bool
		code    int
		outcome string
		audit   string
	}{
		{"applied, reply lost", true, 0, "applied", `"outcome":"ok"`},
		{"not applied, reply lost", false, exitUnknown, "unknown", `"outcome":"unknown"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxy := httptest.NewServer(&dropper{target: target, forward: tc.forward, rt: toSim})
			defer proxy.Close()
			if _, errs, code := c.run("", "ea", "clear", jdoe); code != 0 { // straight to the simulator: a clean start
				t.Fatalf("clear: %d %s", code, errs)
			}
			_ = os.Remove(c.audit)
			saved := c.env
			// the proxy is plain HTTP on loopback: accepted by explicit choice
			c.env = append(append([]string{}, saved...), "RSATUI_AM_URL="+proxy.URL+"/ims-ws/services/CommandServer",
				"RSATUI_AM_ALLOW_PLAIN_HTTP=true")
			defer func() { c.env = saved }()
			out, errs, code := c.run("Lost1234", "ea", "set", "--verified", verified, jdoe, "--fixed", "-", "--expires", "2d", "--json")
			var res result
			if code != tc.code || json.Unmarshal([]byte(out), &res) != nil || res.Outcome != tc.outcome ||
				len(res.Codes) != 1 || res.Codes[0] != "Lost1234" {
				t.Fatalf("exit %d (want %d), stdout %s, stderr %s", code, tc.code, out, errs)
			}
			if !strings.Contains(errs, "WARNING: AM is reached over plain HTTP") {
				t.Fatalf("no warning for plain HTTP: %s", errs)
			}
			if tc.code == exitUnknown && !strings.Contains(errs, "ea show") {
				t.Fatalf("no hint to check: %s", errs)
			}
			log, _ := os.ReadFile(c.audit)
			if !strings.Contains(string(log), tc.audit) || strings.Contains(string(log), "Lost1234") {
				t.Fatalf("audit %s", log)
			}
		})
	}
}

// TestVerbContracts: what scripts rely on — an unknown or missing sub-verb
// exits 1 (cobra printed help and exited 0); with --json an error is one JSON
// object on standard output; people are snake_case JSON like every other
// object; ea show states the whole emergency-access state.
func TestVerbContracts(t *testing.T) {
	c := setup(t)
	for _, args := range [][]string{{"token", "frob", "1"}, {"token"}, {"ea"}} {
		if _, errs, code := c.run("", args...); code != exitUsage || errs == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
	out, _, code := c.run("", "ea", "show", "12", "--json")
	var e struct {
		Error string `json:"error"`
		Code  int    `json:"code"`
	}
	if code != exitUsage || json.Unmarshal([]byte(out), &e) != nil || e.Code != exitUsage || !strings.Contains(e.Error, "serial") {
		t.Errorf("JSON error: exit %d, %q", code, out)
	}
	out, errs, code := c.run("", "users", "search", "jdoe", "--json", "--demo")
	var people []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &people) != nil || len(people) != 1 || people[0]["login"] != "jdoe" || people[0]["display_name"] == nil {
		t.Errorf("users search --json: exit %d %s %s", code, out, errs)
	}
	jdoe := c.ds.TokensOf("jdoe")[0]
	if _, errs, code := c.run("Abcd2345", "ea", "set", "--verified", verified, jdoe, "--fixed", "-", "--expires", "2d", "--if-available", "deny"); code != 0 {
		t.Fatalf("ea set: %d %s", code, errs)
	}
	// a --demo change is marked as such, and every line names its AM
	if _, errs, code := c.run("", "ea", "clear", "000100001007", "--demo"); code != 0 { // the demo data set's jdoe
		t.Fatalf("demo clear: %d %s", code, errs)
	}
	log, _ := os.ReadFile(c.audit)
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, `"demo":true`) || !strings.Contains(last, `"am_endpoint":"127.0.0.1:`) ||
		strings.Contains(lines[0], `"demo"`) || !strings.Contains(lines[0], `"am_endpoint":"127.0.0.1:`) {
		t.Errorf("audit lines do not tell demo from real:\n%s", log)
	}
	if out, _, _ := c.run("", "audit", "tail"); !strings.Contains(out, "ea.clear (demo)") {
		t.Errorf("audit tail does not mark the demo change:\n%s", out)
	}
	out, _, _ = c.run("", "ea", "show", jdoe)
	for _, want := range []string{"EMERGENCY ACCESS", "temporary fixed tokencode", "if the token becomes available", "deny the token until emergency access expires", "unused one-time codes"} {
		if !strings.Contains(out, want) {
			t.Errorf("ea show lacks %q:\n%s", want, out)
		}
	}
}
