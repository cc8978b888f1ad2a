package batch

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/rsatui/rsatui/internal/rsa"
)

// codesFile is where an apply writes the emergency codes it gives: never
// the terminal (a bulk run's output is scrolled, logged and pasted), a
// file only its owner can read. A code is written before the update that
// installs it is sent, marked "sent"; once AM is read back the row gets a
// second line, "in force" or "void" — so a run killed between AM's taking
// a code and rsatui's hearing of it has lost none.
type codesFile struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

// Code states in the file.
const (
	codeSent    = "sent, not yet confirmed"
	codeInForce = "in force"
	codeVoid    = "void: never installed"
)

var codesHeader = []string{"line", "serial", "holder", "state", "codes", "expires"}

func (c *codesFile) open() error {
	if c.f != nil {
		return nil
	}
	f, err := os.OpenFile(c.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("the codes file: %w", err)
	}
	st, err := f.Stat()
	if err == nil && (!st.Mode().IsRegular() || st.Mode().Perm()&0o077 != 0) {
		err = fmt.Errorf("%s is not a regular file only you can read (mode %04o): the codes are not written there", c.path, st.Mode().Perm())
	}
	if err == nil && st.Size() == 0 {
		err = c.put(f, codesHeader)
	}
	if err == nil && st.Size() > 0 {
		// a line torn by a kill is ended, so that the next one is whole
		if b, rerr := os.ReadFile(c.path); rerr == nil && b[len(b)-1] != '\n' {
			_, err = f.WriteString("\n")
		}
	}
	if err != nil {
		f.Close()
		return err
	}
	c.f = f
	return nil
}

func (c *codesFile) put(f *os.File, rec []string) error {
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write(rec)
	w.Flush()
	if _, err := f.WriteString(b.String()); err != nil {
		return fmt.Errorf("the codes file: %w", err)
	}
	return f.Sync()
}

// write appends a row's line; codes only with codeSent.
func (c *codesFile) write(s Step, state string, codes []rsa.Secret) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.open(); err != nil {
		return err
	}
	words := make([]string, len(codes))
	for i, code := range codes {
		words[i] = code.Reveal()
	}
	exp := "never"
	if !s.ExpiresAt.IsZero() {
		exp = s.ExpiresAt.Local().Format("2006-01-02 15:04 MST")
	}
	if state != codeSent {
		exp = ""
	}
	return c.put(c.f, []string{fmt.Sprint(s.Line), s.Token, s.Holder, state, strings.Join(words, " "), exp})
}

func (c *codesFile) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f != nil {
		c.f.Close()
	}
}

// states is each line's last state in the file (none when it cannot be read).
func (c *codesFile) states() map[int]string {
	out := map[int]string{}
	f, err := os.Open(c.path)
	if err != nil {
		return out
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	for {
		rec, err := cr.Read()
		if err != nil {
			if err == io.EOF || !errors.Is(err, csv.ErrFieldCount) {
				return out // the end, or a record torn by a kill
			}
			continue
		}
		if len(rec) < 4 {
			continue
		}
		if line, err := strconv.Atoi(rec[0]); err == nil {
			out[line] = rec[3]
		}
	}
}
