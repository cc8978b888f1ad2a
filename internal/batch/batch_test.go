package batch_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/audit"
	"github.com/rsatui/rsatui/internal/batch"
	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/demo/stack/stacktest"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/verify"
)

func TestReadCSVRefusesWhatItCannotRead(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", "the file is empty"},
		{"unknown column", "operation,serial,colour\n", `no column is called "colour"`},
		{"a code column", "operation,serial,code\n", "codes and PINs do not go into a file"},
		{"no target column", "operation,reason\n", "operation and serial or login"},
		{"no rows", "operation,serial\n", "no rows"},
		{"bad operation", "operation,serial\nwipe,000100001007\n", `line 2: operation "wipe" is not one of`},
		{"no target", "operation,serial,login\ndisable,,\n", "line 2: give a serial or a login"},
		{"bad count", "operation,login,count\nea-set,jdoe,many\n", `line 2: count "many" is not a number`},
		{"count out of range", "operation,login,count\nea-set,jdoe,500\n", "line 2:"},
		{"expires on disable", "operation,login,expires\ndisable,jdoe,3d\n", "expires and count are for ea-set"},
		{"every bad row named", "operation,login\nwipe,a\ndisable,b\nzap,c\n", "line 4"},
		{"a reason of two lines", "operation,login,reason\ndisable,jdoe,\"a\nb\"\n", "one line"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rows, err := batch.ReadCSV(strings.NewReader(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, rsa.ErrInvalidInput) {
				t.Fatalf("err %v, want one saying %q", err, c.want)
			}
			if rows != nil {
				t.Fatalf("rows %v returned with an error: a file is planned whole or not at all", rows)
			}
		})
	}
	rows, err := batch.ReadCSV(strings.NewReader("\ufeffOperation, Login ,Expires,Count\n\nEA-SET,jdoe,2d,\nea-set,asmith,,5\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Operation != batch.EASet || rows[0].Line != 3 || rows[0].Expires != "2d" || rows[1].Count != 5 || rows[1].Line != 4 {
		t.Fatalf("rows %+v", rows)
	}
}

// writes are the commands a plan must never send.
func writes(before, after map[string]int64) []string {
	var out []string
	for cmd, n := range after {
		if n == before[cmd] {
			continue
		}
		read := cmd == amproto.LoginCommand.Local || cmd == amproto.LogoutCommand.Local
		for q := range amproto.ReadOnly {
			read = read || q.Local == cmd
		}
		if !read && !strings.HasPrefix(cmd, "Lookup") && !strings.HasPrefix(cmd, "Search") && !strings.HasPrefix(cmd, "Get") {
			out = append(out, cmd)
		}
	}
	return out
}

func plan(t *testing.T, st *stack.Stack, csvText string) batch.Plan {
	t.Helper()
	rows, err := batch.ReadCSV(strings.NewReader(csvText))
	if err != nil {
		t.Fatal(err)
	}
	p, err := batch.Planner{Ops: st.Ops, Lanes: 4}.Make(context.Background(), rows, "test")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanChecksEveryRowAndChangesNothing(t *testing.T) {
	st := stacktest.Start(t, stack.Options{Seed: 3, Users: 40})
	ds := st.DS
	var soft, fob string
	for _, tk := range ds.Tokens {
		if tk.Owner == "" || len(ds.TokensOf(tk.Owner)) != 1 || !tk.Expires.After(time.Now()) {
			continue
		}
		if tk.Type == amproto.TokenTypeSoftID && soft == "" {
			soft = tk.Serial
		}
		if tk.Type == amproto.TokenTypeKeyFob && fob == "" && tk.Owner != "jdoe" && tk.Owner != "bdisabled" {
			fob = tk.Serial
		}
	}
	before := st.Sim.Stats().Commands
	p := plan(t, st, "operation,serial,login,count\n"+
		"disable,,jdoe,\n"+ // 2: enabled → change
		"ea-clear,"+fob+",,\n"+ // 3: not in EA → nothing
		"ea-set,,asmith,\n"+ // 4: two tokens → refused
		"extend,"+soft+",,\n"+ // 5: a software token → change (an extension record exists)
		"extend,"+fob+",,\n"+ // 6: the fob again → refused (one row a token)
		"ea-set,,nosuchperson,3\n"+ // 7: not in AM → refused
		"replace-next,"+ds.TokensOf("bdisabled")[0]+",,\n") // 8: → change
	if w := writes(before, st.Sim.Stats().Commands); len(w) > 0 {
		t.Fatalf("planning sent %v to AM", w)
	}
	want := []string{batch.Change, batch.Nothing, batch.Refused, batch.Change, batch.Refused, batch.Refused, batch.Change}
	for i, s := range p.Steps {
		if s.Status != want[i] {
			t.Errorf("line %d %s: %s (%s%s), want %s", s.Line, s.Operation, s.Status, s.Will, s.Why, want[i])
		}
		if s.Status == batch.Change && (s.Will == "" || len(s.Commands) == 0) {
			t.Errorf("line %d: a change without words or commands: %+v", s.Line, s)
		}
	}
	for line, words := range map[int]string{4: "asmith holds 2 tokens", 6: "line 3 names token", 7: "nosuchperson"} {
		if s := p.Steps[line-2]; !strings.Contains(s.Why, words) {
			t.Errorf("line %d: %q, want it to say %q", line, s.Why, words)
		}
	}
}

func TestPlanSharesThePoolOut(t *testing.T) {
	st := stacktest.Start(t, stack.Options{Seed: 3, Users: 40})
	pool, err := st.Ops.Pool(context.Background(), rsa.PoolQuery{})
	if err != nil {
		t.Fatal(err)
	}
	free := 0
	for _, tk := range pool {
		if !tk.Retired() && !tk.Lost && tk.Expires.After(time.Now()) {
			free++
		}
	}
	var b strings.Builder
	b.WriteString("operation,serial\n")
	n := 0
	for _, tk := range st.DS.Tokens {
		if tk.Owner != "" && n < free+2 {
			b.WriteString("replace-next," + tk.Serial + "\n")
			n++
		}
	}
	p := plan(t, st, b.String())
	if got := p.Count(batch.Change); got != free {
		t.Fatalf("%d rows planned to take a pool token; the pool has %d AM can hand out", got, free)
	}
	if last := p.Steps[len(p.Steps)-1]; last.Status != batch.Refused || !strings.Contains(last.Why, "pool has no token left") {
		t.Fatalf("the last row: %+v", last)
	}
}

func runner(t *testing.T, st *stack.Stack, dir string) (*batch.Runner, *audit.Log) {
	t.Helper()
	log, err := audit.Open(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	st.Ops.Audit = log
	return &batch.Runner{Ops: st.Ops, Lanes: 3, Journal: filepath.Join(dir, "plan.journal"), Codes: filepath.Join(dir, "codes.csv")}, log
}

func TestApplyWritesCodesBeforeTheyAreInstalled(t *testing.T) {
	st := stacktest.Start(t, stack.Options{Seed: 3, Users: 40})
	dir := t.TempDir()
	p := plan(t, st, "operation,login,count,expires,verified\nea-set,jdoe,,2d,callback ticket=INC7\nea-set,bdisabled,4,,callback ticket=INC8\n")
	r, log := runner(t, st, dir)
	sum, err := r.Apply(context.Background(), p)
	if err != nil || sum[batch.OutOK] != 2 {
		t.Fatalf("summary %v, err %v", sum, err)
	}
	entries, err := audit.Tail(log.Path(), 0)
	if err != nil {
		t.Fatal(err)
	}
	noted := 0
	for _, e := range entries {
		if e.Target == "token "+p.Steps[0].Token && e.Params["verified"] == "callback ticket=INC7" && e.Params["batch"] == "plan "+p.ID+" line 2" {
			noted++
		}
	}
	if noted == 0 {
		t.Fatalf("the row's checks are not in its audit lines: %+v", entries)
	}
	fi, err := os.Stat(r.Codes)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("codes file: %v %v", fi, err)
	}
	f, _ := os.Open(r.Codes)
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	// each row: its codes "sent", then "in force" once AM is read back
	held := map[string][]string{}
	for _, rec := range recs[1:] {
		held[rec[1]] = append(held[rec[1]], rec[3]+"="+rec[4])
	}
	jdoe, _ := st.Sim.Token(p.Steps[0].Token)
	bob, _ := st.Sim.Token(p.Steps[1].Token)
	if got := held[jdoe.Serial]; len(got) != 2 || got[0] != "sent, not yet confirmed="+jdoe.TFT || got[1] != "in force=" {
		t.Fatalf("jdoe's lines %q; AM holds the code %q", got, jdoe.TFT)
	}
	if got := held[bob.Serial]; len(got) != 2 || got[0] != "sent, not yet confirmed="+strings.Join(bob.OTTs, " ") {
		t.Fatalf("bdisabled's lines %q; AM holds %q", got, bob.OTTs)
	}
}

// TestResumeReadsBackBeforeItRepeats: a journal left by a run killed in
// the middle of three rows — one AM took, one it never got, one whose
// token another admin changed since — is resumed: the first is not sent
// again (its intent gets its outcome), the second is, the third is left
// for a person to look at.
func TestResumeReadsBackBeforeItRepeats(t *testing.T) {
	st := stacktest.Start(t, stack.Options{Seed: 3, Users: 40})
	ctx := context.Background()
	dir := t.TempDir()
	var serials []string
	for _, tk := range st.DS.Tokens {
		if tk.Owner != "" && tk.Enabled && len(serials) < 3 {
			serials = append(serials, tk.Serial)
		}
	}
	p := plan(t, st, "operation,serial\ndisable,"+serials[0]+"\ndisable,"+serials[1]+"\ndisable,"+serials[2]+"\n")
	r, log := runner(t, st, dir)
	rv := func(serial string) int {
		s, err := st.Ops.Token(ctx, serial)
		if err != nil {
			t.Fatal(err)
		}
		return s.Token.RowVersion
	}
	// the killed run: a start line for each row; AM took row 0's change
	// (the audit got its intent); row 2's token was changed by someone else
	j, err := os.Create(r.Journal)
	if err != nil {
		t.Fatal(err)
	}
	rvs := []int{rv(serials[0]), rv(serials[1]), rv(serials[2])}
	for i := range 3 {
		j.WriteString(`{"row":` + strconv.Itoa(i) + `,"state":"start","audit":"killed` + strconv.Itoa(i) + `","row_version":` + strconv.Itoa(rvs[i]) + "}\n")
	}
	j.WriteString(`{"row":1,"state":"ok"`) // a line torn by the kill
	j.Close()
	if err := log.Write(audit.Entry{ID: "killed0", Operation: "token.disable", Target: "token " + serials[0], Outcome: audit.Intent}); err != nil {
		t.Fatal(err)
	}
	if err := st.AM.EnableTokens(ctx, false, mustGUID(t, st, serials[0])); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Ops.ClearPIN(ctx, serials[2]); err != nil { // another admin's change
		t.Fatal(err)
	}
	took := map[string]int{}
	for _, s := range serials {
		took[s] = rv(s)
	}
	var results []batch.Result
	r.OnRow = func(res batch.Result) { results = append(results, res) }
	sum, err := r.Apply(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if sum[batch.OutOK] != 2 || sum[batch.OutLook] != 1 {
		t.Fatalf("summary %v, results %+v", sum, results)
	}
	if rv(serials[0]) != took[serials[0]] || rv(serials[1]) != took[serials[1]]+1 || rv(serials[2]) != took[serials[2]] {
		t.Fatalf("rowVersions %d %d %d after the resume, %v before: row 0 sent again, row 1 not sent, or row 2 sent over another change",
			rv(serials[0]), rv(serials[1]), rv(serials[2]), took)
	}
	entries, err := audit.Tail(log.Path(), 100)
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[string][]string{}
	for _, e := range entries {
		if e.Outcome != audit.Intent {
			outcomes[e.ID] = append(outcomes[e.ID], e.Outcome)
		}
	}
	if got := outcomes["killed0"]; len(got) != 1 || got[0] != audit.OK {
		t.Fatalf("the killed run's change AM took: outcomes %v", got)
	}
	if got := outcomes["killed1"]; len(got) != 1 || got[0] != audit.Failed {
		t.Fatalf("the killed run's change AM never got: outcomes %v", got)
	}
	if got := outcomes["killed2"]; len(got) != 1 || got[0] != audit.Unknown {
		t.Fatalf("the change whose token changed since: outcomes %v", got)
	}
	for _, e := range audit.Pair(entries) {
		if e.Outcome == audit.Unknown && e.Error == audit.NoOutcome {
			t.Fatalf("an intent without its outcome: %+v", e)
		}
	}
	// a second resume changes nothing and repeats nothing
	before := st.Sim.Stats().Commands
	results = nil
	if sum, err = r.Apply(ctx, p); err != nil || sum[batch.OutDone] != 2 || sum[batch.OutLook] != 1 {
		t.Fatalf("second resume: %v %v", sum, err)
	}
	if w := writes(before, st.Sim.Stats().Commands); len(w) > 0 {
		t.Fatalf("the second resume sent %v", w)
	}
	// the journal is whole again: each line reads
	f, _ := os.Open(r.Journal)
	defer f.Close()
	sc := bufio.NewScanner(f)
	lines := 0
	for sc.Scan() {
		lines++
		if l := sc.Text(); !strings.HasPrefix(l, "{") || !strings.HasSuffix(l, "}") && !strings.HasSuffix(l, `"ok"`) {
			t.Fatalf("journal line %d: %q", lines, l)
		}
	}
}

func mustGUID(t *testing.T, st *stack.Stack, serial string) string {
	t.Helper()
	tk, err := st.AM.LookupToken(context.Background(), rsa.TokenRef{Serial: serial})
	if err != nil {
		t.Fatal(err)
	}
	return tk.GUID
}

// A run the site has a second admin approve ([approve] batch-apply) is
// refused whole without the approval, nothing sent; with another admin's
// approval every row runs and its audit line names the approver and the
// request beside the plan's line — not only the run's approval line.
func TestApprovedRunNamesTheApproverOnEveryRow(t *testing.T) {
	st := stacktest.Start(t, stack.Options{Seed: 3, Users: 40})
	var c verify.Config
	c.Approve.Actions = []string{string(verify.BatchApply)}
	pol, err := c.Apply()
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := rsa.GrantOf(rsa.RoleAdmin, "")
	st.Ops = st.Ops.For(rsa.Actor{SSHUser: "anna", KeyFP: "SHA256:anna"}, admin)
	st.Ops.Policy = &pol
	p := plan(t, st, "operation,login\ndisable,jdoe\ndisable,cmueller\n")
	r, log := runner(t, st, t.TempDir())
	before := st.Sim.Stats().Commands["EnableTokensCommand"]
	if _, err := r.Apply(context.Background(), p); !errors.Is(err, rsa.ErrNeedsApproval) {
		t.Fatalf("an unapproved run: %v", err)
	}
	if n := st.Sim.Stats().Commands["EnableTokensCommand"]; n != before {
		t.Fatalf("an unapproved run sent %d changes", n-before)
	}
	ben := rsa.Approver{Actor: rsa.Actor{SSHUser: "ben", KeyFP: "SHA256:ben"}, Grant: admin}
	ctx := rsa.WithApproval(context.Background(), rsa.Approval{ID: "7", By: ben, Change: rsa.Change{Action: verify.BatchApply}})
	if sum, err := r.Apply(ctx, p); err != nil || sum[batch.OutOK] != 2 {
		t.Fatalf("the approved run: %v, %v", sum, err)
	}
	entries, err := audit.Tail(log.Path(), 0)
	if err != nil {
		t.Fatal(err)
	}
	named := 0
	for _, e := range entries {
		if e.Operation == "token.disable" && e.Outcome == "ok" {
			if e.Params["approved_by"] != ben.Actor.String() || e.Params["request"] != "7" || !strings.HasPrefix(e.Params["batch"], "plan "+p.ID) {
				t.Fatalf("a row's audit line does not name the approval: %+v", e)
			}
			named++
		}
	}
	if named != 2 {
		t.Fatalf("%d rows audited as disabled, want 2", named)
	}
}
