package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/demo"
)

type passcodeJSON struct {
	Accepted bool   `json:"accepted"`
	Reason   string `json:"reason"`
	Words    string `json:"words"`
	NextStep string `json:"next_step"`
	Record   *struct {
		ID        string `json:"id"`
		ResultKey string `json:"result_key"`
		Agent     string `json:"agent"`
	} `json:"am_record"`
	Commands []string `json:"am_commands"`
}

// authTest runs `auth test login --json` with stdin and decodes its answer.
func (c *cli) authTest(stdin, login string, flags ...string) (passcodeJSON, int) {
	c.t.Helper()
	out, errs, code := c.run(stdin, append([]string{"auth", "test", login, "--json"}, flags...)...)
	var r passcodeJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		c.t.Fatalf("auth test: exit %d, not JSON: %v\n%s\n%s", code, err, out, errs)
	}
	return r, code
}

func (c *cli) tokencodes(serial string) (string, string) {
	c.t.Helper()
	out, _, code := c.run("", "sim", "tokencode", serial, "--seed", "5", "--users", "20")
	var cur, next string
	if _, err := fmt.Sscanf(out, "token "+serial+": tokencode %s next %s", &cur, &next); err != nil || code != 0 {
		c.t.Fatalf("sim tokencode: %d %q %v", code, out, err)
	}
	return strings.TrimSuffix(cur, ","), next
}

// The passcode test and the activity verbs against rsatui sim: PIN +
// tokencode accepted (exit 0), the same code again refused (exit 3) with
// AM's reason; three failures lock the person and the answer names
// the verb that unlocks; the activity lists every attempt, --failures the
// refused ones, and --follow prints a new one as AM records it. No code
// reaches the output, the errors or the audit.
func TestVerbAuthTestAndActivity(t *testing.T) {
	c := setup(t)
	serial := c.ds.TokensOf("jdoe")[0]
	cur, _ := c.tokencodes(serial)
	if r, code := c.authTest(demo.DemoPIN+cur+"\n", "jdoe"); code != 0 || !r.Accepted || r.Reason != "PASSCODE_ACCEPTED" {
		t.Fatalf("PIN + tokencode: exit %d %+v", code, r)
	}
	if r, code := c.authTest(demo.DemoPIN+cur+"\n", "jdoe"); code != 3 || r.Accepted || r.Reason != "PASSCODE_REUSED" {
		t.Fatalf("the same code again: exit %d %+v", code, r)
	}
	c.fails(1, "give the passcode on standard input", "auth", "test", "jdoe")
	if _, errs, code := c.run("24 68 12\n", "auth", "test", "jdoe"); code != 1 || !strings.Contains(errs, "letters and digits only") {
		t.Fatalf("a passcode with spaces: exit %d %s", code, errs)
	}
	c.authTest("1111"+cur+"\n", "jdoe") // the replay counted too: this is the second failure
	r, code := c.authTest(demo.DemoPIN+"00000000\n", "jdoe")
	if code != 3 || r.Reason != "USER_LOCKED_OUT" || r.NextStep != "rsatui user unlock jdoe" {
		t.Fatalf("the third wrong passcode: exit %d %+v", code, r)
	}

	var all, failed []struct {
		ResultKey string `json:"result_key"`
		Result    string `json:"result"`
		User      string `json:"user"`
	}
	c.ok(&all, "activity", "jdoe", "--json")
	c.ok(&failed, "activity", "jdoe", "--failures", "--since", "1d", "--json")
	keys := ""
	for _, e := range all {
		keys += e.ResultKey + " "
		if e.User != "jdoe" {
			t.Fatalf("jdoe's activity has %+v", e)
		}
	}
	for _, want := range []string{"PASSCODE_ACCEPTED", "PASSCODE_REUSED", "BAD_PASSCODE", "NEXT_TOKENCODE_MODE", "USER_LOCKED_OUT"} {
		if !strings.Contains(keys, want) {
			t.Errorf("no %s in %s", want, keys)
		}
	}
	for _, e := range failed {
		if e.Result != "Failure" {
			t.Fatalf("--failures lists %+v", e)
		}
	}
	if len(failed) == 0 || len(failed) >= len(all) {
		t.Fatalf("--failures: %d of %d", len(failed), len(all))
	}
	c.fails(1, `--since "yesterday"`, "activity", "jdoe", "--since", "yesterday")

	// --follow: a new attempt shows up as a line of its own
	follow := exec.Command(c.bin, "activity", "jdoe", "--follow", "--json", "--since", "1h")
	follow.Env = c.env
	out, err := follow.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	locked, _ := c.authTest(demo.DemoPIN+cur+"\n", "jdoe")
	if locked.Record == nil || locked.Reason != "USER_LOCKED" {
		t.Fatalf("locked: %+v", locked)
	}
	deadline := time.After(30 * time.Second)
	for seen := false; !seen; {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("--follow ended by itself")
			}
			seen = strings.Contains(line, `"id":"`+locked.Record.ID+`"`)
		case <-deadline:
			t.Fatal("--follow did not print the new attempt within 30 s")
		}
	}
	_ = follow.Process.Signal(syscall.SIGINT)
	for range lines {
	}
	if err := follow.Wait(); err != nil {
		t.Fatalf("--follow interrupted: %v", err)
	}

	audit, err := os.ReadFile(c.audit)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(audit), "auth.test") {
		t.Fatal("the passcode tests were not audited")
	}
	for _, s := range []string{c.stderr.String(), string(audit)} {
		if strings.Contains(s, cur) || strings.Contains(s, demo.DemoPIN+"0000") {
			t.Fatal("a passcode was printed or audited")
		}
	}
}

type dashboardJSON struct {
	Diagnosis []struct {
		Severity string `json:"severity"`
		Words    string `json:"words"`
		Fix      string `json:"fix"`
		NextStep string `json:"next_step"`
	} `json:"diagnosis"`
	AD *struct {
		Locked bool `json:"locked"`
	} `json:"ad"`
	AM *struct {
		Locked      bool `json:"locked"`
		FailedCount int  `json:"failed_count"`
	} `json:"am"`
	Tokens   []tokenJSON       `json:"tokens"`
	Activity []json.RawMessage `json:"activity"`
}

// One back end for several commands: rsatui sim serves the directory
// too, so users search works against it, and a change made by one command
// is what the next one reads. user show puts the diagnosis first: three
// failures lock jdoe, the dashboard says so with the unlock verb, and after
// the unlock nothing blocks.
func TestVerbUserShowOnOneBackEnd(t *testing.T) {
	c := setup(t)
	var people []struct {
		Login string `json:"login"`
	}
	c.ok(&people, "users", "search", "jdoe", "--json")
	if len(people) != 1 || people[0].Login != "jdoe" {
		t.Fatalf("users search against rsatui sim: %+v", people)
	}
	serial := c.ds.TokensOf("jdoe")[0]
	c.ok(nil, "ea", "set", "--verified", verified, serial, "--generate-fixed", "--expires", "1d", "--if-available", "allow-end-ea", "--json")
	var shown tokenJSON
	c.ok(&shown, "ea", "show", serial, "--json")
	if !shown.EmergencyAccess.Active {
		t.Fatal("ea show after ea set, one back end: emergency access is off")
	}
	c.ok(nil, "ea", "clear", serial, "--json")

	for range 3 {
		c.authTest(demo.DemoPIN+"00000000\n", "jdoe")
	}
	var d dashboardJSON
	c.ok(&d, "user", "show", "jdoe", "--json")
	if len(d.Diagnosis) == 0 || d.Diagnosis[0].Severity != "blocks" || d.Diagnosis[0].NextStep != "rsatui user unlock jdoe" ||
		!strings.Contains(d.Diagnosis[0].Words, "locked by AM after 3 failed passcodes") {
		t.Fatalf("diagnosis: %+v", d.Diagnosis)
	}
	if d.AM == nil || !d.AM.Locked || d.AD == nil || d.AD.Locked || len(d.Tokens) != 1 || len(d.Activity) < 4 {
		t.Fatalf("dashboard: %+v", d)
	}
	out, _, code := c.run("", "user", "show", "jdoe")
	if code != 0 || !strings.HasPrefix(out, "jdoe — most likely first:\n  ✗ locked by AM") || !strings.Contains(out, "→ rsatui user unlock jdoe") {
		t.Fatalf("user show: exit %d\n%s", code, out)
	}
	c.ok(nil, "user", "unlock", "jdoe", "--json")
	c.ok(&d, "user", "show", "jdoe", "--json")
	for _, f := range d.Diagnosis {
		if f.Severity == "blocks" {
			t.Fatalf("after the unlock: %+v", d.Diagnosis)
		}
	}
	c.fails(2, "", "user", "show", "nobody-here", "--json")
}

// --traffic is the demo's: refused without --demo, and outside its range.
func TestTrafficFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--traffic"}, "--traffic makes demo people log in: it needs --demo"},
		{[]string{"sim", "--traffic=1ms"}, "--traffic must be between 100ms and 1h"},
		{[]string{"--demo", "--traffic=2h"}, "--traffic must be between 100ms and 1h"},
	} {
		root := newRoot()
		root.SetArgs(c.args)
		root.SetErr(new(strings.Builder))
		err := root.Execute()
		if err == nil || exitCode(err) != exitUsage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v (exit %d), want %q", c.args, err, exitCode(err), c.want)
		}
	}
}

// One rule for a login AM does not know: exit 2 and the same words from
// every verb, and no login sent to AM for them (activity said nothing and
// exited 0; auth test sent a login and exited 3).
func TestUnknownLoginIsOneAnswer(t *testing.T) {
	c := setup(t)
	const words = `the person has no AM account in the identity source: "nosuch" is not in`
	c.fails(2, words, "activity", "nosuch")
	c.fails(2, words, "tokens", "list", "nosuch")
	if _, errs, code := c.run(demo.DemoPIN+"12345678\n", "auth", "test", "nosuch"); code != 2 || !strings.Contains(errs, words) {
		t.Fatalf("auth test nosuch: exit %d, %s", code, errs)
	}
}

// The verbs show times in the zone the console is set to (--timezone,
// RSATUI_TIMEZONE), saying it, and refuse a zone nobody knows (they took
// only TZ, and accepted --timezone Mars/Base).
func TestVerbsTakeTheZone(t *testing.T) {
	c := setup(t)
	out, errs, code := c.run("", "--timezone", "Asia/Tokyo", "activity", "jdoe")
	if code != 0 || !strings.Contains(out, " JST ") {
		t.Fatalf("--timezone Asia/Tokyo: exit %d\n%s%s", code, out, errs)
	}
	c.fails(1, `timezone "Mars/Base": not a zone this machine knows`, "--timezone", "Mars/Base", "activity", "jdoe")
}

// A long-running verb (activity --follow, with the passwords in its
// environment) dumps no core and is not dumpable, as serve and the
// console: only serve was.
func TestFollowIsHardened(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("prctl and /proc are Linux's")
	}
	c := setup(t)
	var lim syscall.Rlimit // the verb inherits a core limit as large as allowed
	if err := syscall.Getrlimit(syscall.RLIMIT_CORE, &lim); err == nil && lim.Max > 0 {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_CORE, &lim)
	}
	cmd := exec.Command(c.bin, "activity", "jdoe", "--follow")
	cmd.Env = c.env
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil { // it runs: the first line is out
		t.Fatal(err)
	}
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^Max core file size\s+0\s+0\s`).Match(limits) {
		t.Fatalf("activity --follow may dump core:\n%s", limits)
	}
}

// user access and auth test --agent: the VPN refuses asmith (not in its
// groups), says why and what to do; the portal lets them in.
func TestAgentVerbs(t *testing.T) {
	c := setup(t)
	var acc struct {
		Login  string `json:"login"`
		Agents []struct {
			Agent   string `json:"agent"`
			Granted bool   `json:"granted"`
			Why     string `json:"why"`
			Offline struct {
				Allowed bool `json:"allowed"`
				Days    int  `json:"days"`
			} `json:"offline"`
		} `json:"agents"`
	}
	out, errs, code := c.run("", "user", "access", "asmith", "--json")
	if code != exitRefused {
		t.Fatalf("user access asmith: exit %d, %s", code, errs)
	}
	if err := json.Unmarshal([]byte(out), &acc); err != nil || len(acc.Agents) != 3 {
		t.Fatalf("user access asmith --json: %v\n%s", err, out)
	}
	for _, a := range acc.Agents {
		switch a.Agent {
		case demo.VPNAgent:
			if a.Granted || !strings.Contains(a.Why, "add them to VPN Users in AD") {
				t.Errorf("the VPN: %+v", a)
			}
		case demo.PortalAgent:
			if !a.Granted {
				t.Errorf("the portal: %+v", a)
			}
		case demo.WindowsAgent:
			if !a.Offline.Allowed || a.Offline.Days != demo.OfflineDays {
				t.Errorf("the Windows agent: %+v", a)
			}
		}
	}
	c.ok(nil, "user", "access", "jdoe", "--agent", demo.VPNAgent)
	c.fails(exitNotFound, "AM has no agent called", "user", "access", "jdoe", "--agent", "the moon")
	// the passcode test as the VPN: refused by its rule, with the words
	cur, _ := c.tokencodes(c.ds.TokensOf("asmith")[0])
	out, errs, code = c.run(demo.DemoPIN+cur+"\n", "auth", "test", "asmith", "--agent", demo.VPNAgent)
	if code != exitRefused || !strings.Contains(out, "not allowed at "+demo.VPNAgent) || !strings.Contains(out, "AGENT_ACCESS_DENIED") {
		t.Fatalf("auth test --agent VPN: exit %d\n%s\n%s", code, out, errs)
	}
	// through the Authentication API (the sim's banner configures it: the portal)
	cur, _ = c.tokencodes(c.ds.TokensOf("jdoe")[0])
	r, code := c.authTest(demo.DemoPIN+cur+"\n", "jdoe", "--via", "authapi")
	if code != 0 || !r.Accepted || r.Record == nil || r.Record.Agent != demo.PortalAgent || !strings.Contains(strings.Join(r.Commands, " "), "POST /mfa/v1_1/authn/initialize") {
		t.Fatalf("auth test --via authapi: exit %d %+v", code, r)
	}
	c.fails(exitUsage, `no door "smoke"`, "auth", "test", "jdoe", "--via", "smoke")
}

// activity --admin: AM's administration log names who changed the token.
func TestActivityAdmin(t *testing.T) {
	c := setup(t)
	serial := c.ds.TokensOf("jdoe")[0]
	c.ok(nil, "token", "clear-pin", serial)
	var recs []struct {
		Admin     string `json:"admin"`
		ResultKey string `json:"result_key"`
		Token     string `json:"token_serial"`
		User      string `json:"user"`
		Message   string `json:"message"`
	}
	c.ok(&recs, "activity", "jdoe", "--admin", "--json")
	if len(recs) != 1 || recs[0].Admin != demo.AdminUser || recs[0].ResultKey != "PIN_CLEARED" || recs[0].Token != serial || recs[0].User != "jdoe" {
		t.Fatalf("the administration log of jdoe: %+v", recs)
	}
	c.fails(exitUsage, "--admin lists the administration log", "activity", "jdoe", "--admin", "--follow")
}

// user offline-passcode: set (made by rsatui) shows it once, --show reads
// the same back, wrong input is refused before AM is asked, a typed one
// comes from standard input, --remove takes it away; the passcodes are in
// no audit line.
func TestOfflinePasscodeVerb(t *testing.T) {
	c := setup(t)
	var st struct {
		Set     bool `json:"set"`
		Allowed bool `json:"allowed"`
	}
	c.ok(&st, "user", "offline-passcode", "jdoe", "--json")
	if st.Set || st.Allowed {
		t.Fatalf("before: %+v", st)
	}
	c.fails(exitUsage, "choose one of --set, --remove, --show", "user", "offline-passcode", "jdoe", "--set", "--verified", verified, "--remove")
	c.fails(exitUsage, "--typed and --expires go with --set", "user", "offline-passcode", "jdoe", "--expires", "2d")
	c.fails(exitUsage, "more than 14 days away", "user", "offline-passcode", "jdoe", "--set", "--verified", verified, "--expires", "30d")
	var set struct {
		Outcome  string `json:"outcome"`
		Passcode string `json:"passcode"`
		State    struct {
			Set             bool `json:"set"`
			DownloadPending bool `json:"download_pending"`
		} `json:"state"`
	}
	c.ok(&set, "user", "offline-passcode", "jdoe", "--set", "--verified", verified, "--expires", "2d", "--json")
	if set.Outcome != "applied" || len(set.Passcode) != 12 || !set.State.Set || !set.State.DownloadPending {
		t.Fatalf("set: %+v", set)
	}
	var shown struct {
		Passcode string `json:"passcode"`
	}
	c.ok(&shown, "user", "offline-passcode", "jdoe", "--show", "--json")
	if shown.Passcode != set.Passcode {
		t.Fatal("--show read another passcode than the one set")
	}
	out, errs, code := c.run("short\n", "user", "offline-passcode", "jdoe", "--set", "--verified", verified, "--typed")
	if code != exitUsage || !strings.Contains(errs, "8 to 24 characters") {
		t.Fatalf("a short typed passcode: exit %d\n%s%s", code, out, errs)
	}
	typed := "Plane-2-Lisbon"
	if out, errs, code = c.run(typed+"\n", "user", "offline-passcode", "jdoe", "--set", "--verified", verified, "--typed", "--expires", "1d"); code != 0 || !strings.Contains(out, typed) {
		t.Fatalf("a typed passcode: exit %d\n%s%s", code, out, errs)
	}
	c.ok(nil, "user", "offline-passcode", "jdoe", "--remove")
	c.fails(exitNotFound, "no offline emergency passcode", "user", "offline-passcode", "jdoe", "--show")
	raw, err := os.ReadFile(c.audit)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{set.Passcode, typed} {
		if strings.Contains(string(raw), secret) {
			t.Fatalf("the audit holds a passcode:\n%s", raw)
		}
	}
	if !strings.Contains(string(raw), `"user.offline-passcode.set"`) || !strings.Contains(string(raw), `"user.offline-passcode.remove"`) {
		t.Fatalf("the audit lacks the changes:\n%s", raw)
	}
}
