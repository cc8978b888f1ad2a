// Package simtest starts `rsatui sim` for tests that drive the built
// binary, as a person would: in a process of its own, its settings read off
// the banner's `export RSATUI_…` lines.
package simtest

import (
	"bufio"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// Start runs `bin sim --listen 127.0.0.1:0` with args (--users, --seed, …)
// until the test ends, and returns the banner's settings by name.
func Start(t testing.TB, bin string, args ...string) map[string]string {
	t.Helper()
	sim := exec.Command(bin, append([]string{"sim", "--listen", "127.0.0.1:0"}, args...)...)
	out, err := sim.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Process.Kill(); _ = sim.Wait() })
	settings := map[string]string{}
	rd := bufio.NewReader(out)
	for settings["RSATUI_AM_CA_FILE"] == "" { // the last line of the settings
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("rsatui sim: %v (settings so far: %v)", err, settings)
		}
		if kv, ok := strings.CutPrefix(strings.TrimSpace(line), "export "); ok {
			k, v, _ := strings.Cut(kv, "=")
			settings[k] = strings.Trim(v, "'") // demo values: no quote in them
		}
	}
	go func() { _, _ = io.Copy(io.Discard, rd) }() // a full pipe would stall the simulator
	return settings
}

// Env is settings as environment entries.
func Env(settings map[string]string) []string {
	var env []string
	for k, v := range settings {
		env = append(env, k+"="+v)
	}
	return env
}
