package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// Starting the demo says what it is doing before the console takes the
// terminal (20,000 people gave ~30 s of blank terminal).
func TestDemoStartSaysWhatItDoes(t *testing.T) {
	t.Setenv("RSATUI_AUDIT_LOG", t.TempDir()+"/audit.jsonl")
	cmd := &cobra.Command{}
	cmd.Flags().String("audit-log", "", "")
	var errb bytes.Buffer
	cmd.SetErr(&errb)
	b, err := openBackend(cmd, true, 1, 30, false)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	if !strings.Contains(errb.String(), "starting the demo AM simulator and directory with 30 generated people") {
		t.Fatalf("stderr: %q", errb.String())
	}
}
