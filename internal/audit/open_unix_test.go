//go:build unix

package audit

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The log is not followed through a link to another file, and a FIFO in
// its place is refused at once instead of blocking the change.
func TestLogIsNoLinkAndNoFIFO(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	if err := os.WriteFile(target, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "audit.jsonl")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(link); err == nil {
		t.Fatal("a link was opened as the log")
	}
	fifo := filepath.Join(dir, "fifo.jsonl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// (no reader: the non-blocking open fails at once, ENXIO)
	if _, err := Open(fifo); err == nil {
		t.Fatal("a FIFO was opened as the log")
	}
	// swapped after Open: the write is refused, not blocked
	path := filepath.Join(dir, "swapped.jsonl")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := l.Write(Entry{Operation: "ea.set", Outcome: Intent}); err == nil {
		t.Fatal("a write went to a FIFO")
	}
}
