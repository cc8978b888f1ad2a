// Package stokentest runs Debian's stoken, the independent SecurID
// implementation the tests hold rsatui's tokens to. CI installs it (.ci/run);
// a machine without it skips, by name, the tests that need it.
package stokentest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Run runs stoken with stdin (a password or PIN for --stdin: never on
// argv) and returns what it printed.
func Run(tb testing.TB, stdin string, args ...string) string {
	tb.Helper()
	out, err := run(tb, stdin, args...)
	if err != nil {
		tb.Fatalf("stoken %s: %v", strings.Join(redact(args), " "), err)
	}
	return out
}

// Fails runs stoken expecting it to refuse; it returns what it said.
func Fails(tb testing.TB, stdin string, args ...string) string {
	tb.Helper()
	out, err := run(tb, stdin, args...)
	if err == nil {
		tb.Fatalf("stoken %s succeeded: %s", strings.Join(redact(args), " "), out)
	}
	return err.Error()
}

func run(tb testing.TB, stdin string, args ...string) (string, error) {
	tb.Helper()
	path, err := exec.LookPath("stoken")
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal("stoken is not installed; .ci/run installs it")
		}
		tb.Skip("stoken is not installed (apt-get install stoken)")
	}
	// stoken prompting on a terminal would hang the test: no controlling
	// terminal, and a deadline
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Env = append(os.Environ(), "HOME="+tb.TempDir()) // no ~/.stokenrc of the machine's
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &out, &errb, strings.NewReader(stdin)
	if err := cmd.Run(); err != nil {
		return "", &runError{err: err, stderr: strings.TrimSpace(errb.String() + out.String())}
	}
	return strings.TrimSpace(out.String()), nil
}

type runError struct {
	err    error
	stderr string
}

func (e *runError) Error() string { return e.err.Error() + ": " + e.stderr }

// Tokencode is the code stoken computes at instant at for the token in
// args (--token=… or --file=…), a password (if any) given on stdin.
func Tokencode(tb testing.TB, at time.Time, password string, args ...string) string {
	tb.Helper()
	args = append([]string{"tokencode", "--use-time=" + strconv.FormatInt(at.Unix(), 10)}, args...)
	stdin := ""
	if password != "" {
		args, stdin = append(args, "--stdin"), password+"\n"
	}
	return Run(tb, stdin, args...)
}

func redact(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if k, _, ok := strings.Cut(a, "="); ok && k != "--use-time" {
			a = k + "=…"
		}
		out[i] = a
	}
	return out
}
