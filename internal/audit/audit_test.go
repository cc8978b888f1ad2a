package audit

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOpenMakesAnExistingLogPrivate: a log left readable by others (0644)
// is made 0600 on open.
func TestOpenMakesAnExistingLogPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // past the umask
		t.Fatal(err)
	}
	if _, err := Open(path); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %04o", st.Mode().Perm())
	}
	if _, err := Open(t.TempDir()); err == nil {
		t.Fatal("a directory was taken as the audit log")
	}
}

// TestPair: an intent with its outcome is one entry; one without reads as
// unknown, saying to check the token.
func TestPair(t *testing.T) {
	got := Pair([]Entry{
		{ID: "a", Outcome: Intent, Operation: "ea.set"},
		{ID: "b", Outcome: Intent, Operation: "ea.clear"},
		{ID: "a", Outcome: OK, Operation: "ea.set"},
		{Outcome: Refused, Operation: "token.assign"},
	})
	if len(got) != 3 || got[0].ID != "b" || got[0].Outcome != Unknown || got[0].Error != NoOutcome ||
		got[1].Outcome != OK || got[2].Outcome != Refused {
		t.Fatalf("%+v", got)
	}
}
