package audit

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
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

// One line audit tail cannot read — a megabyte of AM's text, or not an
// entry — is skipped and counted, not fatal to every entry; and a huge
// fault text is cut on the way in, so no line grows that large.
func TestTailSkipsWhatItCannotRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Write(Entry{Operation: "ea.set", Target: "token 1", Outcome: OK, Error: strings.Repeat("x", 2<<20)}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Size() > 16<<10 {
		t.Fatalf("an entry of %d bytes: its text was not cut", fi.Size())
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o600)
	f.WriteString(`{"operation": "` + strings.Repeat("y", 1<<21) + "\"}\nnot json\n")
	f.Close()
	if err := l.Write(Entry{Operation: "token.assign", Target: "token 2", Outcome: OK}); err != nil {
		t.Fatal(err)
	}
	entries, err := Tail(path, 0)
	var sk *Skipped
	if !errors.As(err, &sk) || sk.Lines != 2 || sk.First != 2 || len(entries) != 2 || entries[1].Operation != "token.assign" {
		t.Fatalf("entries %d, err %v", len(entries), err)
	}
}
