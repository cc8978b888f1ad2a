package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"syscall"
	"testing"

	"github.com/creack/pty"
)

// The console (hours long, the passwords in its environment, codes in its
// memory) dumps no core and is not dumpable, as serve: only serve was.
func TestConsoleIsHardened(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("prctl and /proc are Linux's")
	}
	bin := build(t)
	var lim syscall.Rlimit // it inherits a core limit as large as allowed
	if err := syscall.Getrlimit(syscall.RLIMIT_CORE, &lim); err == nil && lim.Max > 0 {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_CORE, &lim)
	}
	cmd := exec.Command(bin, "--demo")
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "TERM=xterm-256color")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); f.Close() }()
	rd := bufio.NewReader(f)
	for { // the first frame: the console runs, its back end connected
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if regexp.MustCompile(`people|rsatui`).MatchString(line) {
			break
		}
	}
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^Max core file size\s+0\s+0\s`).Match(limits) {
		t.Fatalf("the console may dump core:\n%s", limits)
	}
}
