package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/simtest"
)

// The verb tests run the built binary against `rsatui sim` in another
// process, like a script would.

type cli struct {
	t      *testing.T
	stderr strings.Builder // everything the CLI wrote to stderr, checked for secrets
	bin    string
	env    []string
	audit  string
	ds     *demo.Dataset
}

// verified is the checks of the caller the default policy asks of a code
// (a call back and a ticket), as a verb is told them.
const verified = "callback,ticket=INC1"

func setup(t *testing.T) *cli {
	t.Helper()
	return setupSim(t, 20)
}

// setupSim is setup with users generated people (seed 5) and more sim
// flags (--latency 20ms).
func setupSim(t *testing.T, users int, simFlags ...string) *cli {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "rsatui")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v %s", err, out)
	}
	settings := simtest.Start(t, bin, append([]string{"--users", fmt.Sprint(users), "--seed", "5"}, simFlags...)...)
	url := settings["RSATUI_AM_URL"]
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("rsatui sim serves %s, want HTTPS by default", url)
	}
	c := &cli{t: t, bin: bin, audit: filepath.Join(dir, "audit.jsonl"),
		ds: demo.Generate(5, users, time.Now())}
	// the banner's settings, as a person pastes them: AM and the directory
	c.env = append(append(os.Environ(), "XDG_CONFIG_HOME="+dir, "RSATUI_AUDIT_LOG="+c.audit), simtest.Env(settings)...)
	if settings["RSATUI_LDAP_URL"] == "" || settings["RSATUI_AM_ADMIN"] != demo.AdminUser {
		t.Fatalf("the banner's settings: %v", settings)
	}
	return c
}

// config writes the config file the runs read (RSATUI_CONFIG).
func (c *cli) config(toml string) {
	c.t.Helper()
	path := filepath.Join(filepath.Dir(c.audit), "config.toml")
	if err := os.WriteFile(path, []byte(toml), 0o600); err != nil {
		c.t.Fatal(err)
	}
	c.env = append(c.env, "RSATUI_CONFIG="+path)
}

// unlimited lifts the flood guard: a test that hands one person many codes.
const unlimited = "[limits]\nper_admin = 0\nper_person = 0\n"

// run returns stdout, stderr and the exit code.
func (c *cli) run(stdin string, args ...string) (string, string, int) {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Env = c.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	c.stderr.WriteString(errb.String())
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func (c *cli) ok(v any, args ...string) {
	c.t.Helper()
	out, errs, code := c.run("", args...)
	if code != 0 {
		c.t.Fatalf("%v: exit %d: %s", args, code, errs)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			c.t.Fatalf("%v: not JSON: %v\n%s", args, err, out)
		}
	}
}

func (c *cli) fails(code int, want string, args ...string) {
	c.t.Helper()
	_, errs, got := c.run("", args...)
	if got != code || !strings.Contains(errs, want) {
		c.t.Fatalf("%v: exit %d (want %d), stderr %q (want %q)", args, got, code, errs, want)
	}
}

type tokenJSON struct {
	Serial          string `json:"serial"`
	Enabled         bool   `json:"enabled"`
	AssignedTo      string `json:"assigned_to"`
	EmergencyAccess struct {
		Active      bool   `json:"active"`
		EAMode      int    `json:"ea_mode"`
		LostMode    int    `json:"lost_mode"`
		UnusedCodes int    `json:"unused_one_time_codes"`
		Expires     string `json:"expires"`
	} `json:"emergency_access"`
}

func TestVerbs(t *testing.T) {
	c := setup(t)
	jdoe := c.ds.TokensOf("jdoe")[0]
	pool := c.ds.Tokens[len(c.ds.Tokens)-1].Serial

	var list []tokenJSON
	c.ok(&list, "tokens", "list", "jdoe", "--json")
	if len(list) != 1 || list[0].Serial != jdoe || list[0].EmergencyAccess.Active {
		t.Fatalf("tokens list: %+v", list)
	}
	c.fails(2, "not in", "tokens", "list", "nobody")
	c.fails(1, "6 to 12 digits", "token", "show", "12ab")
	c.fails(2, "not found", "token", "show", "999999999999")

	// emergency access: generated fixed code for 14 days, then end it
	var set struct {
		Token    tokenJSON `json:"token"`
		Codes    []string  `json:"codes"`
		Commands []string  `json:"am_commands"`
	}
	c.ok(&set, "ea", "set", "--verified", verified, jdoe, "--generate-fixed", "--expires", "14d", "--json")
	if len(set.Codes) != 1 || len(set.Codes[0]) != 8 || !set.Token.EmergencyAccess.Active || set.Token.EmergencyAccess.EAMode != 1 ||
		set.Token.EmergencyAccess.LostMode != 1 || !strings.Contains(strings.Join(set.Commands, ","), "GenerateEmergencyAccessCodeCommand,UpdateTokenEmergencyAccessCommand") {
		t.Fatalf("ea set: %+v", set)
	}
	generated := set.Codes[0]
	// a code typed on standard input, deny the token, no expiry
	out, errs, code := c.run("Abcd2345\n", "ea", "set", "--verified", verified, jdoe, "--fixed", "-", "--no-expiry", "--if-available", "deny", "--json")
	if code != 0 || !strings.Contains(out, `"Abcd2345"`) || strings.Contains(errs, "shell history") {
		t.Fatalf("ea set --fixed -: %d %s %s", code, out, errs)
	}
	var show tokenJSON
	c.ok(&show, "ea", "show", jdoe, "--json")
	if show.EmergencyAccess.LostMode != 2 || show.EmergencyAccess.Expires != "" {
		t.Fatalf("ea show: %+v", show)
	}
	c.fails(1, "in the past", "ea", "set", "--verified", verified, jdoe, "--generate-fixed", "--expires", "2020-01-01")
	c.fails(1, "more than 14 days", "ea", "set", "--verified", verified, jdoe, "--generate-fixed", "--expires", "15d")
	c.fails(1, "exactly one of", "ea", "set", "--verified", verified, jdoe, "--generate-fixed", "--one-time", "3")
	c.fails(1, "letters and digits", "ea", "set", "--verified", verified, jdoe, "--fixed", "abc-1234")
	c.fails(1, "if-available", "ea", "set", "--verified", verified, jdoe, "--generate-fixed", "--if-available", "maybe")
	c.fails(1, "1 to 100", "ea", "set", "--verified", verified, jdoe, "--one-time", "500")
	c.fails(3, "expired", "ea", "set", "--verified", verified, c.ds.TokensOf("eolsen")[0], "--generate-fixed")
	c.fails(3, "not assigned", "ea", "set", "--verified", verified, pool, "--generate-fixed")

	// unassigning a token in emergency access needs the explicit flag
	c.fails(3, "--end-emergency-access", "token", "unassign", jdoe)
	c.ok(&show, "ea", "clear", jdoe, "--json")
	if show.EmergencyAccess.Active {
		t.Fatalf("ea clear: %+v", show)
	}

	// one token a person
	c.fails(3, "one token a person", "token", "assign", pool, "jdoe")
	c.fails(3, "belongs to asmith", "token", "assign", c.ds.TokensOf("asmith")[0], "fnotoken")
	c.ok(&show, "token", "assign", pool, "fnotoken", "--json")
	if show.AssignedTo != "fnotoken" || !show.Enabled {
		t.Fatalf("assign: %+v", show)
	}
	c.ok(&show, "token", "assign", c.ds.Tokens[len(c.ds.Tokens)-2].Serial, "fnotoken", "--allow-second", "--json")
	c.ok(&show, "token", "disable", pool, "--json")
	if show.Enabled {
		t.Fatal("disable did not stick")
	}
	c.ok(&show, "token", "unassign", pool, "--json")
	if show.AssignedTo != "" {
		t.Fatal("unassign did not stick")
	}

	// read-only refuses before AM is asked
	c.fails(3, "read-only", "ea", "set", "--verified", verified, jdoe, "--generate-fixed", "--read-only")

	// the audit log has every write, and no code
	raw, err := os.ReadFile(c.audit)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), generated) || strings.Contains(string(raw), "Abcd2345") || strings.Contains(string(raw), "Admin!Passw0rd") || strings.Contains(string(raw), "sim-secret") {
		t.Fatalf("a secret reached the audit log:\n%s", raw)
	}
	var entries []struct {
		Operation string            `json:"operation"`
		Outcome   string            `json:"outcome"`
		Params    map[string]string `json:"params"`
	}
	c.ok(&entries, "audit", "tail", "-n", "0", "--json")
	ops := map[string]int{}
	for _, e := range entries {
		ops[e.Operation+":"+e.Outcome]++
	}
	if ops["ea.set:ok"] != 2 || ops["ea.clear:ok"] != 1 || ops["token.assign:refused"] != 2 || ops["token.assign:ok"] != 2 ||
		ops["ea.set:refused"] < 3 || ops["token.unassign:refused"] != 1 {
		t.Fatalf("audit entries: %v", ops)
	}
	if entries[0].Params["code"] != "generated by AM" {
		t.Fatalf("first entry params: %v", entries[0].Params)
	}
	out, _, code = c.run("", "audit", "tail", "-n", "3")
	if code != 0 || !strings.Contains(out, "token.unassign") {
		t.Fatalf("audit tail: %d %s", code, out)
	}
	// nothing the CLI said on stderr during the whole flow holds a secret
	for _, secret := range []string{generated, "Abcd2345", demo.AdminPassword, "sim-secret"} {
		if strings.Contains(c.stderr.String(), secret) {
			t.Fatalf("a secret reached stderr:\n%s", c.stderr.String())
		}
	}
}

func TestVerbsServerAndDemo(t *testing.T) {
	c := setup(t)
	env := append([]string{}, c.env...)
	c.env = append(c.env, "RSATUI_AM_CMDCLIENT_PASSWORD=wrong")
	c.fails(4, "command-client", "tokens", "list", "jdoe")
	c.env = append(env, "RSATUI_AM_URL=https://127.0.0.1:1")
	c.fails(4, "could not be reached", "tokens", "list", "jdoe")
	c.env = env
	var users []struct {
		Login string `json:"Login"`
	}
	c.ok(&users, "users", "search", "jdoe", "--demo", "--json")
	if len(users) != 1 || users[0].Login != "jdoe" {
		t.Fatalf("users search: %+v", users)
	}
	c.fails(1, "control character", "users", "search", "a\tb", "--demo")
}

// token resync against a running simulator: the codes come from the
// demo's software token app (sim tokencode), go in on standard input, never
// on the command line, and reach neither the output nor the audit log.
func TestVerbResync(t *testing.T) {
	c := setup(t)
	serial := c.ds.TokensOf("jdoe")[0]
	out, _, code := c.run("", "sim", "tokencode", serial, "--seed", "5", "--users", "20")
	var cur, next string
	if _, err := fmt.Sscanf(out, "token "+serial+": tokencode %s next %s", &cur, &next); err != nil || code != 0 {
		t.Fatalf("sim tokencode: %d %q %v", code, out, err)
	}
	cur = strings.TrimSuffix(cur, ",")
	_, errs, code := c.run(next+"\n"+cur+"\n", "token", "resync", serial)
	if code != 3 || !strings.Contains(errs, "read them again off the token") {
		t.Fatalf("codes in the wrong order: exit %d %s", code, errs)
	}
	out, errs, code = c.run(cur+"\n"+next+"\n", "token", "resync", serial, "--json")
	if code != 0 || !strings.Contains(out, `"next_tokencode_mode": false`) {
		t.Fatalf("resync: exit %d %s %s", code, out, errs)
	}
	c.fails(1, "give two tokencodes on standard input", "token", "resync", serial)
	audit, err := os.ReadFile(c.audit)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{out, c.stderr.String(), string(audit)} {
		if strings.Contains(s, cur) || strings.Contains(s, next) {
			t.Fatal("a tokencode was printed or audited")
		}
	}
}

// The toolbox's verbs: clear-bad-count clears, says when there was
// nothing to clear and refuses a pool token (exit 3); after a replacement
// the list says which token replaces which instead of a broken rule.
func TestVerbToolbox(t *testing.T) {
	c := setup(t)
	dobrien := c.ds.TokensOf("dobrien")[0]
	pool := c.ds.Tokens[len(c.ds.Tokens)-1].Serial
	var show struct {
		NextTokencode bool `json:"next_tokencode_mode"`
		BadTokencodes int  `json:"bad_tokencode_count"`
	}
	c.ok(&show, "token", "show", dobrien, "--json")
	if !show.NextTokencode || show.BadTokencodes != 3 {
		t.Fatalf("demo: dobrien's token %+v", show)
	}
	c.ok(&show, "token", "clear-bad-count", dobrien, "--json")
	if show.NextTokencode || show.BadTokencodes != 0 {
		t.Fatalf("clear-bad-count: %+v", show)
	}
	if _, errs, code := c.run("", "token", "clear-bad-count", dobrien); code != 0 || !strings.Contains(errs, "note: token "+dobrien+" has no bad tokencodes counted") {
		t.Fatalf("again: exit %d %q", code, errs)
	}
	c.fails(3, "not assigned to anyone", "token", "clear-bad-count", pool)

	jdoe := c.ds.TokensOf("jdoe")[0]
	c.ok(nil, "token", "replace", jdoe, "--next", "--json")
	out, _, code := c.run("", "tokens", "list", "jdoe")
	if code != 0 || !regexp.MustCompile(`jdoe holds 2 tokens: [0-9]{12} replaces `+jdoe+`, which AM retires when [0-9]{12} is first used\.`).MatchString(out) {
		t.Fatalf("tokens list after a replacement: exit %d\n%s", code, out)
	}
	out, _, _ = c.run("", "tokens", "list", "asmith")
	if !strings.Contains(out, "asmith holds 2 tokens; the rule is one a person.") {
		t.Fatalf("tokens list asmith:\n%s", out)
	}
}

// users search finds a token's owner by its serial, as the console's
// search does (it found nobody); a pool token says so.
func TestUsersSearchBySerial(t *testing.T) {
	c := setup(t)
	out, errs, code := c.run("", "users", "search", c.ds.TokensOf("jdoe")[0])
	if code != 0 || !strings.Contains(out, "jdoe") || strings.Count(out, "\n") != 2 {
		t.Fatalf("by serial: exit %d\n%s%s", code, out, errs)
	}
	pool := ""
	for _, tk := range c.ds.Tokens {
		if tk.Owner == "" {
			pool = tk.Serial
			break
		}
	}
	c.fails(2, "token "+pool+" is not assigned to anyone: it is in the pool", "users", "search", pool)
	c.fails(2, "not found", "users", "search", "000999999999")
}

// Emergency access lasts the site's default lifetime unless --expires says
// otherwise (3 days; it was AM's 14-day maximum), a default AM would
// refuse is refused at once, and ea end ends it.
func TestEADefaultLifetimeAndEnd(t *testing.T) {
	c := setup(t)
	serial := c.ds.TokensOf("jdoe")[0]
	out, errs, code := c.run("", "ea", "set", "--verified", verified, serial, "--generate-fixed", "--json")
	var r struct {
		Token struct {
			EA struct {
				Expires time.Time `json:"expires"`
			} `json:"emergency_access"`
		} `json:"token"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
		t.Fatalf("ea set: exit %d\n%s%s", code, out, errs)
	}
	if d := time.Until(r.Token.EA.Expires); d < 71*time.Hour || d > 73*time.Hour {
		t.Fatalf("lasts %s, want 3 days", d)
	}
	c.fails(1, `ea_lifetime "30d": more than AM's maximum of 14 days`, "--ea-lifetime", "30d", "ea", "set", "--verified", verified, serial, "--generate-fixed")
	if _, errs, code := c.run("", "ea", "end", serial); code != 0 {
		t.Fatalf("ea end: exit %d %s", code, errs)
	}
}

// A verb called with the wrong arguments says how it is called.
func TestArgumentErrorsShowTheUsage(t *testing.T) {
	c := setup(t)
	c.fails(1, "usage: rsatui ea set SERIAL (--fixed CODE|- | --generate-fixed | --one-time N)", "ea", "set")
	c.fails(1, "usage: rsatui token assign SERIAL LOGIN | --next LOGIN", "token", "assign", "--frobnicate")
}

// --reason goes into the change's audit lines, its intent and its outcome
// (help desks log a case number); a reason of more than one line is refused.
func TestReasonInTheAudit(t *testing.T) {
	c := setup(t)
	serial := c.ds.TokensOf("jdoe")[0]
	if _, errs, code := c.run("", "token", "clear-pin", serial, "--reason", "INC0042 forgot the PIN"); code != 0 {
		t.Fatalf("clear-pin: exit %d %s", code, errs)
	}
	raw, err := os.ReadFile(c.audit)
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var e struct{ Operation, Outcome, Reason string }
		if json.Unmarshal([]byte(l), &e) == nil && e.Operation == "token.clear_pin" {
			lines++
			if e.Reason != "INC0042 forgot the PIN" {
				t.Errorf("%s line without the reason: %s", e.Outcome, l)
			}
		}
	}
	if lines != 2 {
		t.Fatalf("%d audit lines of the change:\n%s", lines, raw)
	}
	c.fails(1, "the reason must be one line", "token", "clear-pin", serial, "--reason", "INC1\nINC2")
}

// rsatui sim --help lists the flags sim uses, not the thirty global ones
// it never reads.
func TestSimHelpHasItsOwnFlags(t *testing.T) {
	c := setup(t)
	out, _, code := c.run("", "sim", "--help")
	if code != 0 || !strings.Contains(out, "--latency") || strings.Contains(out, "--am-url") || strings.Contains(out, "Global Flags") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// serve checks its keys file before it starts anything (the demo's
// servers started first, then the missing file was said).
func TestServeChecksItsKeysFirst(t *testing.T) {
	c := setup(t)
	c.fails(1, "--authorized-keys /nonexistent/keys: open /nonexistent/keys", "serve", "--demo", "--authorized-keys", "/nonexistent/keys")
	bad := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(bad, []byte("role=wizard ssh-ed25519 AAAA x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.fails(1, "--authorized-keys "+bad, "serve", "--demo", "--authorized-keys", bad)
}

// user show with no login says it needs one (it read everybody's activity
// and diagnosed it as one person's).
func TestUserShowNeedsALogin(t *testing.T) {
	c := setup(t)
	c.fails(1, "user show needs a login", "user", "show", "")
	c.fails(1, "user show needs a login", "user", "show", "  ")
}

// amClient is a client of the test's rsatui sim (the settings its banner
// gave), for a test to read AM's side apart from the verbs.
func (c *cli) amClient() *rsa.Client {
	c.t.Helper()
	var url, ca string
	for _, kv := range c.env {
		if v, ok := strings.CutPrefix(kv, "RSATUI_AM_URL="); ok {
			url = v
		}
		if v, ok := strings.CutPrefix(kv, "RSATUI_AM_CA_FILE="); ok {
			ca = v
		}
	}
	am, err := rsa.New(rsa.Config{URL: url, CAFile: ca, CommandClientUser: "CmdClient_sim", CommandClientPassword: "sim-secret",
		AdminUser: demo.AdminUser, AdminPassword: demo.AdminPassword})
	if err != nil {
		c.t.Fatal(err)
	}
	return am
}
