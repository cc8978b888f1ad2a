package screentest

import "testing"

func TestShowsIsExact(t *testing.T) {
	for _, c := range []struct {
		screen string
		want   []any
		ok     bool
	}{
		{"  37 found", []any{PeopleFound}, true},
		{"✗ token 0001 not found", []any{PeopleFound}, false},
		{"  0 found", []any{PeopleFound}, false},
		{"Auto-refresh off.", []any{EAOff}, false},
		{" 000100001007  enabled  set/–  off         –   ", []any{EAOff}, true},
		{"fixed code  12-15 18:32", []any{EAOn}, true},
		{"unfound", []any{"found"}, false},
		{"1 found.", []any{"1 found"}, true},
		{"11 found", []any{"1 found"}, false},
		{"John Doe (jdoe)", []any{"(jdoe)", "John Doe"}, true},
		{"enabled", []any{"disabled"}, false},
		{"x", []any{42}, false},
	} {
		if got := Shows(c.screen, c.want...); got != c.ok {
			t.Errorf("Shows(%q, %v) = %v", c.screen, c.want, got)
		}
	}
}
