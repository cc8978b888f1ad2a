package verify

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Done is the checks of a caller the admin says were done, with the
// value the audit keeps for one (the ticket's number; "" for the others).
type Done map[Check]string

// MaxTicketLen bounds a ticket number as the audit keeps it.
const MaxTicketLen = 64

// ParseDone reads the verbs' --verified, "callback,ticket=INC123", or a
// batch row's verified column, "callback ticket=INC123". Every check must
// be known to p; a ticket needs its number, and no other check takes a
// value.
func ParseDone(s string, p Policy) (Done, error) {
	d := Done{}
	for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, value, hasValue := strings.Cut(item, "=")
		c := Check(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		switch {
		case !p.Known(c):
			return nil, fmt.Errorf("unknown check %q; want one of %s", name, strings.Join(p.knownNames(), ", "))
		case c == Ticket && value == "":
			return nil, fmt.Errorf("give the ticket's number, ticket=INC123")
		case c == Ticket:
			if err := CheckTicket(value); err != nil {
				return nil, fmt.Errorf("%v", err)
			}
		case hasValue:
			return nil, fmt.Errorf("%s takes no value (only ticket=NUMBER does); say what the caller said to the console, which compares it", c)
		}
		d[c] = value
	}
	return d, nil
}

// CheckTicket refuses a ticket number the audit should not keep as given.
func CheckTicket(t string) error {
	switch {
	case len(t) > MaxTicketLen:
		return fmt.Errorf("the ticket number is %d characters; at most %d", len(t), MaxTicketLen)
	case strings.ContainsFunc(t, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == ',' }):
		return fmt.Errorf("a ticket number has no spaces or commas (INC123)")
	}
	return nil
}

// Missing is the checks of req not done, in req's order.
func (d Done) Missing(req []Check) []Check {
	var out []Check
	for _, c := range req {
		if _, ok := d[c]; !ok {
			out = append(out, c)
		}
	}
	return out
}

// String is the checks as the audit keeps them: "callback,ticket=INC123",
// sorted (what --verified takes back).
func (d Done) String() string {
	var out []string
	for c, v := range d {
		if v != "" {
			out = append(out, string(c)+"="+v)
		} else {
			out = append(out, string(c))
		}
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

// Join is checks as a list in words: "callback, ticket".
func Join(cs []Check) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

// Phone is a number from the directory as the admin dials it: the digits
// grouped, a leading + kept; what holds no digits is "".
func Phone(raw string) string {
	raw = strings.TrimSpace(raw)
	var digits []rune
	for _, r := range raw {
		if r >= '0' && r <= '9' {
			digits = append(digits, r)
		}
	}
	if len(digits) == 0 {
		return ""
	}
	if strings.ContainsAny(strings.TrimPrefix(raw, "+"), " ()-./") {
		// grouped already, as the directory holds it: kept, tidied
		return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r == '+' {
				return r
			}
			return ' '
		}, raw)), " ")
	}
	var b strings.Builder
	if strings.HasPrefix(raw, "+") {
		b.WriteByte('+')
	}
	// the last groups of four from the end, the rest in threes: +1 555 010 0123
	n := len(digits)
	cut := []int{}
	for i := n - 4; i > 0; i -= 3 {
		cut = append(cut, i)
	}
	for i, r := range digits {
		if slices.Contains(cut, i) {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// MaskID shows an ID's last two characters only: enough to tell two
// records apart on screen, too little to read out to a caller.
func MaskID(id string) string {
	r := []rune(strings.TrimSpace(id))
	if len(r) == 0 {
		return ""
	}
	keep := min(2, len(r)/3)
	return strings.Repeat("•", len(r)-keep) + string(r[len(r)-keep:])
}

// SameID compares what the caller said with the directory's ID, without
// case, spaces or dashes (read out over the phone they differ).
func SameID(said, held string) bool {
	norm := func(s string) string {
		return strings.ToUpper(strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) || r == '-' || r == '.' {
				return -1
			}
			return r
		}, s))
	}
	return norm(held) != "" && norm(said) == norm(held)
}
