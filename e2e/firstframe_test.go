package e2e

import (
	"bytes"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/screentest"

	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"
)

// BenchmarkFirstFrame: time from process start of `rsatui --demo` to its first
// complete frame (header, search box, help bar and status drawn), and to the
// first frame with people listed. Target: first complete frame ≤ 150 ms.
func BenchmarkFirstFrame(b *testing.B) {
	bin := buildBench(b)
	var frames, results []time.Duration
	for i := 0; i < b.N; i++ {
		f, r := firstFrame(b, bin)
		frames, results = append(frames, f), append(results, r)
	}
	b.ReportMetric(ms(median(frames)), "first-frame-ms")
	b.ReportMetric(ms(maxOf(frames)), "first-frame-max-ms")
	b.ReportMetric(ms(median(results)), "people-listed-ms")
}

func buildBench(b *testing.B) string {
	b.Helper()
	bin := b.TempDir() + "/rsatui"
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/rsatui").CombinedOutput(); err != nil {
		b.Fatalf("build: %v %s", err, out)
	}
	return bin
}

func firstFrame(b *testing.B, bin string) (frame, listed time.Duration) {
	cmd := exec.Command(bin, "--demo")
	cmd.Env = append(cmd.Environ(), "NO_COLOR=1", "TERM=xterm-256color")
	start := time.Now()
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); f.Close() }()
	// pty reads have no deadline: read in a goroutine
	chunks := make(chan []byte, 64)
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 32<<10)
			n, err := f.Read(buf)
			if n > 0 {
				chunks <- buf[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	var out bytes.Buffer
	timeout := time.After(10 * time.Second)
	for {
		select {
		case c, ok := <-chunks:
			if !ok {
				b.Fatalf("rsatui exited; output:\n%s", ansi.Strip(out.String()))
			}
			out.Write(c)
			s := ansi.Strip(out.String())
			// complete: the header, the search box and the key bar (not the
			// status line's words, which the bar's width may cut)
			if frame == 0 && strings.Contains(s, "rsatui") && strings.Contains(s, "login, name, mail or token serial") && strings.Contains(s, "? help") {
				frame = time.Since(start)
			}
			if frame != 0 && screentest.PeopleFound.MatchString(s) {
				return frame, time.Since(start)
			}
		case <-timeout:
			b.Fatalf("no complete frame in 10s; output:\n%s", ansi.Strip(out.String()))
		}
	}
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration{}, ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func maxOf(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
