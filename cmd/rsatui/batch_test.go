package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/rsatui/rsatui/internal/audit"
	"github.com/rsatui/rsatui/internal/batch"
	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/rsa"
)

// TestBatchSurvivesKills: 200 rows against `rsatui sim --latency 20ms`
// are planned (AM unchanged: every token's rowVersion as before), then
// applied; the apply is killed with SIGKILL at a random row three times
// and resumed; in the end every row is applied exactly once (each token's
// rowVersion one up), AM holds every change, each change's intent has its
// outcome in the audit, and each emergency code set is in force once.
func TestBatchSurvivesKills(t *testing.T) {
	c := setupSim(t, 260, "--latency", "20ms")
	ctx := context.Background()
	am := c.amClient()
	ops := rsa.NewOps(am)
	ops.IdentitySource = demo.IdentitySourceName

	// 200 tokens, four kinds of row
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("operation,serial,expires,count,reason,verified\n")
	// a hundred codes by one admin within the hour: the site lifts the
	// flood guard for a planned mass change
	c.config(unlimited)
	var serials []string
	for _, tk := range c.ds.Tokens {
		if tk.Owner == "" || len(serials) == 200 {
			continue
		}
		serials = append(serials, tk.Serial)
		switch len(serials) % 4 {
		case 0:
			op := "disable"
			if !tk.Enabled {
				op = "enable"
			}
			fmt.Fprintf(&b, "%s,%s,,,INC7 reorg,\n", op, tk.Serial)
		case 1:
			fmt.Fprintf(&b, "ea-set,%s,2d,,INC8 shipment late,callback ticket=INC8 manager\n", tk.Serial)
		case 2:
			fmt.Fprintf(&b, "ea-set,%s,,3,,callback ticket=INC9 manager\n", tk.Serial)
		case 3:
			fmt.Fprintf(&b, "clear-pin,%s,,,,\n", tk.Serial)
		}
	}
	if len(serials) != 200 {
		t.Fatalf("the data set has %d assigned tokens", len(serials))
	}
	csvPath, planPath := filepath.Join(dir, "rows.csv"), filepath.Join(dir, "plan")
	if err := os.WriteFile(csvPath, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	states := func() map[string]rsa.TokenState {
		out := make(map[string]rsa.TokenState, len(serials))
		var mu sync.Mutex
		var wg sync.WaitGroup
		work := make(chan string)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for s := range work {
					st, err := ops.Token(ctx, s)
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					out[s] = st
					mu.Unlock()
				}
			}()
		}
		for _, s := range serials {
			work <- s
		}
		close(work)
		wg.Wait()
		return out
	}
	before := states()

	var p batch.Plan
	c.ok(&p, "batch", "plan", csvPath, "--out", planPath, "--json")
	if len(p.Steps) != 200 || p.Count(batch.Change) < 150 {
		t.Fatalf("plan: %d rows, %d changes", len(p.Steps), p.Count(batch.Change))
	}
	for s, st := range states() {
		if st.Token.RowVersion != before[s].Token.RowVersion {
			t.Fatalf("planning changed token %s (rowVersion %d → %d)", s, before[s].Token.RowVersion, st.Token.RowVersion)
		}
	}
	if _, err := os.Stat(c.audit); err == nil {
		if entries, _ := audit.Tail(c.audit, 0); len(entries) > 0 {
			t.Fatalf("planning wrote the audit: %+v", entries)
		}
	}

	// three runs killed at a random row, then one to the end
	rng := rand.New(rand.NewPCG(30, uint64(os.Getpid())))
	applied, resumed := 0, 0
	for kill := range 3 {
		left := p.Count(batch.Change) - applied
		at := 1 + rng.IntN(max(left/3, 1))
		cmd := exec.Command(c.bin, "batch", "apply", planPath, "--lanes", "4")
		cmd.Env = c.env
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		seen := 0
		for sc.Scan() {
			// a row finished by an earlier run is said first: the kill
			// counts the rows this run ends
			if strings.HasPrefix(sc.Text(), "line ") && !strings.Contains(sc.Text(), "finished by an earlier run") {
				seen++
				if strings.Contains(sc.Text(), "(resumed)") {
					resumed++
				}
				applied++
			}
			// killed in the middle of a row: the lanes run in step (same
			// latency), so right after a row is said the next ones may
			// not have begun yet, and a kill there tests no read-back
			if seen >= at && inFlight(t, planPath+".journal") {
				_ = cmd.Process.Signal(syscall.SIGKILL)
				break
			}
		}
		_ = cmd.Wait()
		t.Logf("run %d killed after %d rows (at least %d)", kill+1, seen, at)
	}
	stdout, stderr, code := c.run("", "batch", "apply", planPath, "--lanes", "4")
	if code != 0 {
		t.Fatalf("the last run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	resumed += strings.Count(stdout, "(resumed)")
	if resumed == 0 {
		t.Errorf("no row was read back after the kills (every kill fell between rows?):\n%s", stdout)
	}

	// exactly once, and held
	after := states()
	for _, s := range p.Steps {
		want := before[s.Token].Token.RowVersion
		if s.Status == batch.Change {
			want++
		}
		if got := after[s.Token].Token.RowVersion; got != want {
			t.Errorf("line %d %s %s: rowVersion %d → %d (applied %d times)", s.Line, s.Operation, s.Token, before[s.Token].Token.RowVersion, got, got-before[s.Token].Token.RowVersion)
		}
		if s.Status == batch.Change && !batch.Holds(s, after[s.Token], before[s.Token].Token.Expires) {
			t.Errorf("line %d %s %s: AM does not hold the change", s.Line, s.Operation, s.Token)
		}
	}

	// the audit: each change row has exactly one ok, and no intent lacks its outcome
	entries, err := audit.Tail(c.audit, 0)
	if err != nil {
		t.Fatal(err)
	}
	ok := map[string]int{}
	for _, e := range entries {
		if e.Outcome == audit.OK {
			ok[e.Params["batch"]]++
		}
	}
	for _, e := range audit.Pair(entries) {
		if e.Error == audit.NoOutcome {
			t.Errorf("an intent without its outcome: %+v", e)
		}
	}
	for _, s := range p.Steps {
		tag := fmt.Sprintf("plan %s line %d", p.ID, s.Line)
		if s.Status == batch.Change && ok[tag] != 1 {
			t.Errorf("line %d: %d ok outcomes in the audit", s.Line, ok[tag])
		}
	}

	// the codes: each ea-set row's set in force once, and AM's fixed code is the one in the file
	f, err := os.Open(planPath + ".codes.csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	inForce, lastSent := map[string]int{}, map[string]string{}
	for _, r := range recs[1:] {
		switch r[3] {
		case "in force":
			inForce[r[1]]++
		case "sent, not yet confirmed":
			lastSent[r[1]] = r[4]
		}
	}
	for _, s := range p.Steps {
		if s.Operation != batch.EASet || s.Status != batch.Change {
			continue
		}
		if inForce[s.Token] != 1 {
			t.Errorf("line %d: %d 'in force' lines for token %s", s.Line, inForce[s.Token], s.Token)
		}
		if s.Count == 0 && lastSent[s.Token] == "" {
			t.Errorf("line %d: no code for token %s in the file", s.Line, s.Token)
		}
	}
	if data, _ := json.Marshal(c.stderr.String()); strings.Contains(string(data), "sent, not yet") {
		t.Error("codes reached the terminal")
	}
}

// TestBatchAndReportRefuseWhatTheyCannotDo: bad input is said, with the
// exit code scripts read, and nothing reaches AM.
func TestBatchAndReportRefuseWhatTheyCannotDo(t *testing.T) {
	c := setup(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	jdoe := c.ds.TokensOf("jdoe")[0]
	bad := write("bad.csv", "operation,serial\ndisable,"+jdoe+"\nwipe,"+jdoe+"\n")
	c.fails(exitUsage, `line 3: operation "wipe" is not one of`, "batch", "plan", bad, "--out", filepath.Join(dir, "p0"))
	if _, err := os.Stat(filepath.Join(dir, "p0")); err == nil {
		t.Fatal("a plan was written for a file with a bad row")
	}
	codes := write("codes.csv", "operation,serial,code\nea-set,"+jdoe+",Abcd2345\n")
	c.fails(exitUsage, "codes and PINs do not go into a file", "batch", "plan", codes, "--out", filepath.Join(dir, "p1"))
	good := write("good.csv", "operation,serial\ndisable,"+jdoe+"\n")
	c.fails(exitUsage, "give --out PLAN", "batch", "plan", good)
	plan := filepath.Join(dir, "plan")
	c.ok(nil, "batch", "plan", good, "--out", plan)
	c.fails(exitUsage, "exists: a plan is not written over", "batch", "plan", good, "--out", plan)
	c.fails(exitUsage, "--lanes 99", "batch", "apply", plan, "--lanes", "99")
	c.fails(exitUsage, "not a plan rsatui wrote", "batch", "apply", good)
	c.fails(exitUsage, "--plan OPERATION and --out PLAN go together", "report", "expiring", "--plan", "replace-next")
	c.fails(exitUsage, `--plan "wipe"`, "report", "expiring", "--plan", "wipe", "--out", filepath.Join(dir, "p2"))
	c.fails(exitUsage, `--within "soon"`, "report", "expiring", "--within", "soon")
	c.fails(exitUsage, "--json and --csv exclude each other", "report", "unused", "--json", "--csv")
	// a plan applied against another AM is refused before anything is sent
	var p batch.Plan
	b, _ := os.ReadFile(plan)
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	p.Endpoint = "am.elsewhere.example:7002"
	other := filepath.Join(dir, "other")
	if err := p.Write(other); err != nil {
		t.Fatal(err)
	}
	c.fails(exitUsage, "the plan was made against am.elsewhere.example:7002", "batch", "apply", other)
	var shown struct {
		Enabled bool `json:"enabled"`
	}
	c.ok(&shown, "token", "show", jdoe, "--json")
	if !shown.Enabled {
		t.Fatal("a refused plan changed the token")
	}
	// report → plan: the rows become a plan, nothing applied
	out, errs, code := c.run("", "report", "leavers", "--csv")
	if code != 0 || !strings.HasPrefix(out, "serial,type,holder,name,enabled,expires,days_left,last_login,why\n") || !strings.Contains(out, "bdisabled") {
		t.Fatalf("report leavers --csv: exit %d %s\n%s", code, errs, out)
	}
	out, errs, code = c.run("", "report", "leavers", "--plan", "disable", "--out", filepath.Join(dir, "leavers.plan"))
	if code != 0 || !strings.Contains(out, "Plan ") || !strings.Contains(out, "Nothing was changed") {
		t.Fatalf("report leavers --plan disable: exit %d %s\n%s", code, errs, out)
	}
}

// inFlight reports whether the journal at path has a row begun ("start",
// synced before the row is sent) and not ended.
func inFlight(t *testing.T, path string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	last := map[int]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e struct {
			Row   int    `json:"row"`
			State string `json:"state"`
		}
		if json.Unmarshal([]byte(l), &e) == nil {
			last[e.Row] = e.State
		}
	}
	for _, state := range last {
		if state == "start" {
			return true
		}
	}
	return false
}
