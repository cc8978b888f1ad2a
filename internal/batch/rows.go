// Package batch is rsatui's changes in bulk: rows of operations read from
// a CSV file are checked against AM and the rules without changing
// anything (the plan), then applied with bounded concurrency, a journal
// that lets an interrupted run resume without repeating an applied row or
// skipping one whose outcome is unknown, and each row audited as any other
// change. The rules themselves are rsa's: a row is refused for the reason
// the same change in the console would be.
package batch

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/rsatui/rsatui/internal/rsa"
)

// Operation is what a row does, as the CSV's operation column spells it.
type Operation string

// The operations a batch knows.
const (
	EASet       Operation = "ea-set"       // online emergency access: a fixed code by AM, or count one-time codes
	EAClear     Operation = "ea-clear"     // end online emergency access
	ReplaceNext Operation = "replace-next" // replace with the token AM hands out next
	Unassign    Operation = "unassign"     // take the token from its holder (ends emergency access)
	Disable     Operation = "disable"
	Enable      Operation = "enable"
	ClearPIN    Operation = "clear-pin"
	Extend      Operation = "extend" // a software token's lifetime, from an extension record
)

// Operations are the operations in the order the docs list them.
var Operations = []Operation{EASet, EAClear, ReplaceNext, Unassign, Disable, Enable, ClearPIN, Extend}

// Columns are the CSV columns a header row may name (any order, any
// case); operation and serial or login are required.
var Columns = []string{"operation", "serial", "login", "expires", "count", "reason", "verified"}

// MaxRows bounds a file: a batch is a day's chores, not a migration.
const MaxRows = 5000

// Row is one CSV row.
type Row struct {
	Line      int       `json:"line"` // in the file, the header being line 1
	Operation Operation `json:"operation"`
	Serial    string    `json:"serial,omitempty"`
	Login     string    `json:"login,omitempty"`
	Expires   string    `json:"expires,omitempty"` // ea-set: a lifetime or date; empty = the site's default
	Count     int       `json:"count,omitempty"`   // ea-set: a set of one-time codes; 0 = a fixed code by AM
	Reason    string    `json:"reason,omitempty"`
	Verified  string    `json:"verified,omitempty"` // the identity checks done, as the help desk noted them
}

// ReadCSV reads rows. Every bad row is reported (up to 20), with its line
// and what to fix; no row is returned unless all are good, so a file is
// planned whole or not at all.
func ReadCSV(r io.Reader) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: the file is empty: its first line names the columns (%s)", rsa.ErrInvalidInput, strings.Join(Columns, ","))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: line 1: %v", rsa.ErrInvalidInput, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch {
		case h == "code" || h == "codes" || h == "passcode" || h == "tokencode" || h == "pin":
			return nil, fmt.Errorf("%w: line 1: a %q column: codes and PINs do not go into a file — AM generates emergency codes and rsatui writes them to a file only you can read", rsa.ErrInvalidInput, h)
		case !slices.Contains(Columns, h):
			return nil, fmt.Errorf("%w: line 1: no column is called %q (the columns: %s)", rsa.ErrInvalidInput, h, strings.Join(Columns, ", "))
		case col[h] != 0:
			return nil, fmt.Errorf("%w: line 1: the column %q is named twice", rsa.ErrInvalidInput, h)
		}
		col[h] = i + 1
	}
	if col["operation"] == 0 || col["serial"] == 0 && col["login"] == 0 {
		return nil, fmt.Errorf("%w: line 1 must name the columns operation and serial or login (the columns: %s)", rsa.ErrInvalidInput, strings.Join(Columns, ", "))
	}
	var rows []Row
	var bad []error
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			bad = append(bad, fmt.Errorf("line %d: %v", line, err))
			break
		}
		get := func(c string) string {
			if i := col[c]; i != 0 && i <= len(rec) {
				return strings.TrimSpace(rec[i-1])
			}
			return ""
		}
		if strings.Join(rec, "") == "" {
			continue // a blank line
		}
		row := Row{Line: line, Operation: Operation(strings.ToLower(get("operation"))), Serial: get("serial"), Login: get("login"),
			Expires: get("expires"), Reason: get("reason"), Verified: get("verified")}
		if c := get("count"); c != "" {
			n, err := strconv.Atoi(c)
			if err != nil {
				bad = append(bad, fmt.Errorf("line %d: count %q is not a number", line, c))
				continue
			}
			row.Count = n
		}
		if err := row.check(); err != nil {
			bad = append(bad, fmt.Errorf("line %d: %w", line, err))
			continue
		}
		rows = append(rows, row)
		if len(rows) > MaxRows {
			return nil, fmt.Errorf("%w: more than %d rows: split the file", rsa.ErrInvalidInput, MaxRows)
		}
	}
	if len(bad) > 0 {
		more := ""
		if len(bad) > 20 {
			more = fmt.Sprintf("\n(and %d more)", len(bad)-20)
			bad = bad[:20]
		}
		return nil, fmt.Errorf("%w: %d rows cannot be read; nothing was planned:\n%v%s", rsa.ErrInvalidInput, len(bad), errors.Join(bad...), more)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: the file has a header but no rows", rsa.ErrInvalidInput)
	}
	return rows, nil
}

// check is what a row says by itself, before AM is asked.
func (r Row) check() error {
	if !slices.Contains(Operations, r.Operation) {
		return fmt.Errorf("operation %q is not one of %s", r.Operation, joinOps())
	}
	if r.Serial == "" && r.Login == "" {
		return errors.New("give a serial or a login")
	}
	if r.Serial != "" {
		if err := rsa.ValidateSerial(r.Serial); err != nil {
			return err
		}
	}
	if r.Operation != EASet && (r.Expires != "" || r.Count != 0) {
		return fmt.Errorf("expires and count are for ea-set, not %s", r.Operation)
	}
	if r.Count != 0 {
		if err := rsa.CheckOneTimeCount(r.Count); err != nil {
			return err
		}
	}
	return rsa.CheckReason(r.Reason)
}

func joinOps() string {
	s := make([]string, len(Operations))
	for i, o := range Operations {
		s[i] = string(o)
	}
	return strings.Join(s, ", ")
}
