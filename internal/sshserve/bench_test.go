package sshserve_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/screentest"
)

// BenchmarkServe runs `rsatui serve --demo` as its own process (so its RSS is
// the server's alone) and measures on loopback, with 50 sessions:
//   - connect→first frame: from the TCP dial to a complete first frame
//     (header to status line) — target ≤ 300 ms;
//   - RSS per idle session: (RSS with 50 idle sessions − RSS before) / 50 —
//     target ≤ 20 MiB;
//   - key→frame: all 50 sessions moving through the people list at once, the
//     time from a key press leaving the client to the next output arriving —
//     target p95 ≤ 50 ms, no errors.
//
// Run: go test ./internal/sshserve -run '^$' -bench Serve -benchtime 1x
func BenchmarkServe(b *testing.B) {
	const sessions = 50
	bin := filepath.Join(b.TempDir(), "rsatui")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/rsatui").CombinedOutput(); err != nil {
		b.Fatalf("build: %v %s", err, out)
	}
	dir := b.TempDir()
	signer := newSigner(b)
	if err := os.WriteFile(filepath.Join(dir, "keys"), []byte(authorizedLine("admin", signer, "bench")), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--demo", "--listen", "127.0.0.1:0", "--host-key", filepath.Join(dir, "hk"),
		"--authorized-keys", filepath.Join(dir, "keys"), "--max-sessions", "200")
	cmd.Env = append(os.Environ(), "RSATUI_AUDIT_LOG="+filepath.Join(dir, "audit.jsonl"))
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	addr := ""
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && addr == "" {
		if m := regexp.MustCompile(`listening on (127\.0\.0\.1:\d+)`).FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if addr == "" {
		b.Fatal("rsatui serve did not start")
	}

	var firsts, keys []time.Duration
	var perSession float64
	errors := 0
	for i := 0; i < b.N; i++ {
		before := rss(b, cmd.Process.Pid)
		var cons []*console
		for j := 0; j < sessions; j++ {
			t0 := time.Now()
			c, err := open(addr, signer, fmt.Sprint("u", j), 100, 30)
			if err == nil {
				err = c.waitErr(10*time.Second, "rsatui", "/ login, name, mail or token serial", "? help") // header, search box, key bar
			}
			if err != nil {
				errors++
				b.Log(err)
				continue
			}
			firsts = append(firsts, time.Since(t0))
			if err := c.waitErr(10*time.Second, screentest.PeopleFound); err != nil {
				errors++
				b.Log("people never listed")
			}
			cons = append(cons, c)
		}
		time.Sleep(2 * time.Second) // idle: the people lists have settled
		perSession = float64(rss(b, cmd.Process.Pid)-before) / float64(len(cons)) / (1 << 20)

		srvCPU0, selfCPU0, wall0 := cpuOf(b, cmd.Process.Pid), selfCPU(), time.Now()
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, c := range cons {
			wg.Add(1)
			go func(c *console) {
				defer wg.Done()
				c.raw.Store(true)
				for k := 0; k < 20; k++ {
					key := "\x1b[B"
					if k%2 == 1 {
						key = "\x1b[A"
					}
					select { // drop what arrived before this key
					case <-c.got:
					default:
					}
					t0 := time.Now()
					c.keys(key)
					select {
					case <-c.got:
						mu.Lock()
						keys = append(keys, time.Since(t0))
						mu.Unlock()
					case <-time.After(5 * time.Second):
						mu.Lock()
						errors++
						b.Logf("no frame within 5s after key %d", k)
						mu.Unlock()
					}
					time.Sleep(time.Duration(40+k*7%60) * time.Millisecond) // a person's pace, not in lockstep
				}
			}(c)
		}
		wg.Wait()
		wall := time.Since(wall0).Seconds()
		b.Logf("key phase: server used %.2f cores, the 50 clients %.2f cores (of 2)",
			(cpuOf(b, cmd.Process.Pid)-srvCPU0).Seconds()/wall, (selfCPU()-selfCPU0).Seconds()/wall)
		for _, c := range cons {
			c.close()
		}
	}
	b.ReportMetric(pct(firsts, 50), "first-frame-p50-ms")
	b.ReportMetric(pct(firsts, 100), "first-frame-max-ms")
	b.ReportMetric(perSession, "MiB/idle-session")
	b.ReportMetric(pct(keys, 50), "key-frame-p50-ms")
	b.ReportMetric(pct(keys, 95), "key-frame-p95-ms")
	b.ReportMetric(float64(errors), "errors")
}

// rss is the process's resident set in bytes, from /proc.
func rss(b *testing.B, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

func pct(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return -1
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p+99)/100 - 1
	return float64(s[max(i, 0)].Microseconds()) / 1000
}

// cpuOf is the CPU time a process used so far (user + system), from /proc.
func cpuOf(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
