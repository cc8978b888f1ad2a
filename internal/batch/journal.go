package batch

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// Journal states of a row.
const (
	jStart   = "start"   // the row is about to be sent (written and synced before)
	jOK      = "ok"      // AM holds the change (read back)
	jNothing = "nothing" // AM already held it: nothing was sent
	jRefused = "refused" // a rule or AM refused it: nothing changed
	jFailed  = "failed"  // AM or the network failed; nothing changed: tried again on resume
	jUnknown = "unknown" // the outcome is not known: read back on resume
	jLook    = "look"    // interrupted, and the token changed since: a person must look
)

// entry is one journal line.
type entry struct {
	Row   int    `json:"row"` // index in the plan
	State string `json:"state"`
	// at start: the audit id of the change, and the token as read just
	// before it (its rowVersion and expiry), for the read-back on resume
	Audit      string    `json:"audit,omitempty"`
	RowVersion int       `json:"row_version,omitempty"`
	Expires    time.Time `json:"token_expires,omitzero"`
	Note       string    `json:"note,omitempty"`
	At         time.Time `json:"at"`
}

// journal is the append-only record of an apply, next to the plan: a line
// a state change, each synced before the run goes on.
type journal struct {
	mu   sync.Mutex
	f    *os.File
	last map[int]entry // a row's latest line
	// started: a row's latest start line (its audit id and the read)
	started map[int]entry
}

func openJournal(path string) (*journal, error) {
	j := &journal{last: map[int]entry{}, started: map[int]entry{}}
	if f, err := os.Open(path); err == nil {
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var e entry
			if json.Unmarshal(sc.Bytes(), &e) != nil {
				continue // a line torn by a kill: the row's earlier line stands
			}
			j.last[e.Row] = e
			if e.State == jStart {
				j.started[e.Row] = e
			}
		}
		err := sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading the journal %s: %w", path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("the journal %s: %w", path, err)
	}
	j.f = f
	// a line torn by a kill is ended, so that the next one is whole
	if b, err := os.ReadFile(path); err == nil && len(b) > 0 && b[len(b)-1] != '\n' {
		if _, err := f.Write([]byte{'\n'}); err != nil {
			f.Close()
			return nil, fmt.Errorf("the journal %s: %w", path, err)
		}
	}
	return j, nil
}

// write appends e and syncs it: nothing is sent for a row before its
// start line is on disk.
func (j *journal) write(e entry) error {
	e.At = time.Now().UTC()
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("the journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("the journal: %w", err)
	}
	j.last[e.Row] = e
	if e.State == jStart {
		j.started[e.Row] = e
	}
	return nil
}

func (j *journal) state(row int) (entry, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	e, ok := j.last[row]
	return e, ok
}

func (j *journal) start(row int) entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.started[row]
}

func (j *journal) close() error { return j.f.Close() }
