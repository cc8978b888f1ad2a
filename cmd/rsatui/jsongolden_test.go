package main

import (
	"regexp"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
)

// TestVerbJSONGoldens: the JSON of every verb, against `rsatui sim --seed 5`,
// is what docs/json.md describes — snake_case names, times in UTC (RFC 3339),
// one token object everywhere. Times (which depend on the day the data set
// is made), audit ids, the OS user and the simulator's port are normalised; regenerate
// with go test ./cmd/rsatui -run JSONGoldens -update and review the diff
// (testdata/TestVerbJSONGoldens/*.golden).
func TestVerbJSONGoldens(t *testing.T) {
	c := setup(t)
	jdoe := c.ds.TokensOf("jdoe")[0]
	pool := c.ds.Tokens[len(c.ds.Tokens)-1].Serial
	dobrien := c.ds.TokensOf("dobrien")[0]
	steps := []struct {
		name, stdin string
		args        []string
	}{
		{"users-search", "", []string{"users", "search", "jdoe", "--demo"}},
		{"report-leavers", "", []string{"report", "leavers"}},
		{"report-expiring", "", []string{"report", "expiring", "--within", "1500d"}},
		{"report-unused", "", []string{"report", "unused"}},
		{"tokens-list", "", []string{"tokens", "list", "jdoe"}},
		{"token-show", "", []string{"token", "show", jdoe}},
		{"ea-set", "Abcd2345", []string{"ea", "set", "--verified", verified, jdoe, "--fixed", "-", "--expires", "2d"}},
		{"ea-show", "", []string{"ea", "show", jdoe}},
		{"ea-extend", "", []string{"ea", "extend", jdoe, "--expires", "3d"}},
		{"ea-clear", "", []string{"ea", "clear", jdoe}},
		{"token-disable", "", []string{"token", "disable", jdoe}},
		{"token-enable", "", []string{"token", "enable", jdoe}},
		{"token-require-new-pin", "", []string{"token", "require-new-pin", jdoe}},
		{"token-clear-pin", "", []string{"token", "clear-pin", jdoe}},
		{"tokens-pool", "", []string{"tokens", "pool", "--expiring-before", "2000d"}},
		{"tokens-expiring", "", []string{"tokens", "expiring", "--within", "1500d"}},
		{"token-assign", "", []string{"token", "assign", pool, "fnotoken"}},
		{"token-unassign", "", []string{"token", "unassign", pool}},
		{"token-assign-next", "", []string{"token", "assign", "--next", "fnotoken"}},
		{"user-unlock", "", []string{"user", "unlock", "dobrien"}},
		{"token-clear-bad-count", "", []string{"token", "clear-bad-count", dobrien}},
		{"token-replace-next", "", []string{"token", "replace", jdoe, "--next", "--new-pin"}},
		{"error", "", []string{"token", "show", "000000000001"}},
		{"audit-tail", "", []string{"audit", "tail", "-n", "3"}},
	}
	times := regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"`)
	ids := regexp.MustCompile(`"id": "[0-9a-f]{16}"`)
	ports := regexp.MustCompile(`127\.0\.0\.1:\d+`)
	users := regexp.MustCompile(`"os_user": "[^"]*"`)
	for _, s := range steps { // in order: each step sees the state the ones before left
		t.Run(s.name, func(t *testing.T) {
			out, errs, code := c.run(s.stdin, append(s.args, "--json")...)
			if code != 0 && s.name != "error" {
				t.Fatalf("exit %d: %s", code, errs)
			}
			got := times.ReplaceAll([]byte(out), []byte(`"<time>"`))
			got = ids.ReplaceAll(got, []byte(`"id": "<id>"`))
			got = ports.ReplaceAll(got, []byte(`127.0.0.1:<port>`))
			got = users.ReplaceAll(got, []byte(`"os_user": "<user>"`))
			golden.RequireEqual(t, got)
		})
	}
}
