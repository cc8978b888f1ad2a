package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/demo/stack"
	"github.com/rsatui/rsatui/internal/demo/stack/stacktest"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
	"github.com/rsatui/rsatui/internal/tlsutil"
)

// The verbs' round trips, each a cold process (a new login, nothing kept):
// the built binary against an in-process simulator that records what it
// served, with a latency L on every request. Targets: at most 6 round
// trips one after another for `tokens list LOGIN` and for `ea set …
// --generate-fixed` (they were 9 and 8). TestVerbRoundTrips checks the
// counts; BenchmarkVerbRoundTrips reports wall time ÷ L (the process's
// start included: it is what the person waits for).

type verbRT struct {
	name   string
	target int
	args   func(ds *demo.Dataset) []string
}

var verbRTs = []verbRT{
	{"tokens-list-2-tokens", 6, func(*demo.Dataset) []string { return []string{"tokens", "list", "asmith"} }},
	{"ea-set-generate-fixed", 6, func(ds *demo.Dataset) []string {
		return []string{"ea", "set", "--verified", verified + ",manager", ds.TokensOf("jdoe")[0], "--generate-fixed", "--expires", "2d"}
	}},
}

type verbSim struct {
	sim *amsim.Sim
	ds  *demo.Dataset
	bin string
	env []string
}

func newVerbSim(tb testing.TB) *verbSim {
	tb.Helper()
	dir := tb.TempDir()
	bin := filepath.Join(dir, "rsatui")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		tb.Fatalf("build: %v %s", err, out)
	}
	ds, sim := stacktest.Seeded(tb, stack.Options{Seed: 5, Users: 20})
	lb, err := tlsutil.NewLoopback("rsatui test")
	if err != nil {
		tb.Fatal(err)
	}
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, lb.CAPEM, 0o644); err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(amsim.ServicePath, sim)
	srv := httptest.NewUnstartedServer(mux)
	srv.TLS = lb.Server
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // a client that closes mid-handshake is no news
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	cu, cp := sim.CommandClient()
	env := append(os.Environ(), "XDG_CONFIG_HOME="+dir, "RSATUI_AUDIT_LOG="+filepath.Join(dir, "audit.jsonl"),
		"RSATUI_AM_URL="+srv.URL+amsim.ServicePath, "RSATUI_AM_CA_FILE="+ca,
		"RSATUI_AM_CMDCLIENT_USER="+cu, "RSATUI_AM_CMDCLIENT_PASSWORD="+cp,
		"RSATUI_AM_ADMIN="+demo.AdminUser, "RSATUI_AM_ADMIN_PASSWORD="+demo.AdminPassword)
	return &verbSim{sim: sim, ds: ds, bin: bin, env: env}
}

// run runs the verb once with latency L: its critical path, the commands
// AM served and the wall time of the process.
func (v *verbSim) run(tb testing.TB, L time.Duration, args []string) (int, []string, time.Duration) {
	tb.Helper()
	v.sim.SetLatency(L)
	defer v.sim.SetLatency(0)
	v.sim.Trace()
	cmd := exec.Command(v.bin, args...)
	cmd.Env = v.env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if err != nil {
		tb.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	spans := v.sim.Spans()
	names := make([]string, len(spans))
	for i, s := range spans {
		names[i] = s.Command
	}
	return amsim.CriticalPath(spans), names, wall
}

func TestVerbRoundTrips(t *testing.T) {
	v := newVerbSim(t)
	for _, w := range verbRTs {
		t.Run(w.name, func(t *testing.T) {
			// 150 ms: requests meant to go at once arrive well within one
			// round trip of each other even under -race on a loaded machine
			path, cmds, _ := v.run(t, 150*time.Millisecond, w.args(v.ds))
			if path > w.target {
				t.Fatalf("%d round trips one after another (target %d): %s", path, w.target, strings.Join(cmds, ", "))
			}
			if cmds[0] != "LoginCommand" || cmds[len(cmds)-1] != "LogoutCommand" || strings.Count(strings.Join(cmds, " "), "LoginCommand") != 1 {
				t.Fatalf("a verb logs in once and out at the end: %s", strings.Join(cmds, ", "))
			}
			t.Logf("%s: critical path %d L: %s", w.name, path, strings.Join(cmds, ", "))
		})
	}
}

// BenchmarkVerbRoundTrips: go test -bench VerbRoundTrips ./cmd/rsatui
func BenchmarkVerbRoundTrips(b *testing.B) {
	v := newVerbSim(b)
	for _, L := range []time.Duration{5 * time.Millisecond, 50 * time.Millisecond} {
		for _, w := range verbRTs {
			b.Run(fmt.Sprintf("L=%s/%s", L, w.name), func(b *testing.B) {
				var path, n int
				var wall time.Duration
				for b.Loop() {
					p, cmds, d := v.run(b, L, w.args(v.ds))
					path, n, wall = max(path, p), len(cmds), wall+d
				}
				b.ReportMetric(float64(wall)/float64(b.N)/float64(L), "wall/L")
				b.ReportMetric(float64(path), "critical-path")
				b.ReportMetric(float64(w.target), "target")
				b.ReportMetric(float64(n), "requests")
			})
		}
	}
}

// A list read in part prints every token, the missing part marked, and
// exits 4: a script does not take it for the whole answer.
func TestVerbTokensListReadInPart(t *testing.T) {
	v := newVerbSim(t)
	v.sim.Inject(amsim.Rule{Command: amproto.LookupTokenEmergencyAccessCommand, Action: amsim.HTTP500})
	cmd := exec.Command(v.bin, "tokens", "list", "asmith", "--json")
	cmd.Env = v.env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitServer {
		t.Fatalf("exit %v, want %d; stderr %s", err, exitServer, stderr.String())
	}
	var views []tokenView
	if err := json.Unmarshal([]byte(stdout.String()), &views); err != nil {
		t.Fatalf("stdout is not one JSON list of tokens: %v\n%s", err, stdout.String())
	}
	unread := 0
	for _, tv := range views {
		if tv.Unread != "" {
			unread++
		}
	}
	if len(views) != 2 || unread != 1 || !strings.Contains(stderr.String(), "could not be read in full") {
		t.Fatalf("%d tokens, %d marked unread; stderr %s", len(views), unread, stderr.String())
	}
}
