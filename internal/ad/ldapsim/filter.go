package ldapsim

import (
	"fmt"
	"strconv"
	"strings"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
)

// matcher evaluates an RFC 4515 filter against an entry, the way AD does for
// the shapes a directory client sends: and/or/not, equality, substrings,
// presence, and the LDAP_MATCHING_RULE_BIT_AND extensible match AD uses on
// userAccountControl. Attribute names and string values compare
// case-insensitively (AD's default syntaxes).
type matcher func(e *entry) bool

const ruleBitAnd = "1.2.840.113556.1.4.803"

func compile(filter string) (matcher, error) {
	p, err := ldap.CompileFilter(filter)
	if err != nil {
		return nil, err
	}
	return build(p)
}

func str(p *ber.Packet) string { return ber.DecodeString(p.Data.Bytes()) }

func build(p *ber.Packet) (matcher, error) {
	switch p.Tag {
	case ldap.FilterAnd, ldap.FilterOr:
		subs := make([]matcher, 0, len(p.Children))
		for _, c := range p.Children {
			m, err := build(c)
			if err != nil {
				return nil, err
			}
			subs = append(subs, m)
		}
		if p.Tag == ldap.FilterAnd {
			return func(e *entry) bool {
				for _, m := range subs {
					if !m(e) {
						return false
					}
				}
				return true
			}, nil
		}
		return func(e *entry) bool {
			for _, m := range subs {
				if m(e) {
					return true
				}
			}
			return false
		}, nil
	case ldap.FilterNot:
		if len(p.Children) != 1 {
			return nil, fmt.Errorf("not filter with %d children", len(p.Children))
		}
		m, err := build(p.Children[0])
		if err != nil {
			return nil, err
		}
		return func(e *entry) bool { return !m(e) }, nil
	case ldap.FilterEqualityMatch, ldap.FilterApproxMatch:
		attr, value := strings.ToLower(str(p.Children[0])), str(p.Children[1])
		if attr == "objectcategory" && !strings.Contains(value, "=") {
			// AD accepts the class's short name: (objectCategory=person)
			value = "CN=" + value + ","
			return func(e *entry) bool {
				for _, v := range e.get(attr) {
					if len(v) >= len(value) && strings.EqualFold(v[:len(value)], value) {
						return true
					}
				}
				return false
			}, nil
		}
		return func(e *entry) bool {
			for _, v := range e.get(attr) {
				if strings.EqualFold(v, value) {
					return true
				}
			}
			return false
		}, nil
	case ldap.FilterSubstrings:
		attr := strings.ToLower(str(p.Children[0]))
		var initial, final string
		var anys []string
		for _, c := range p.Children[1].Children {
			switch c.Tag {
			case ldap.FilterSubstringsInitial:
				initial = strings.ToLower(str(c))
			case ldap.FilterSubstringsAny:
				anys = append(anys, strings.ToLower(str(c)))
			case ldap.FilterSubstringsFinal:
				final = strings.ToLower(str(c))
			}
		}
		return func(e *entry) bool {
			for _, v := range e.get(attr) {
				if substringMatch(strings.ToLower(v), initial, anys, final) {
					return true
				}
			}
			return false
		}, nil
	case ldap.FilterPresent:
		attr := strings.ToLower(p.Data.String())
		return func(e *entry) bool { return attr == "objectclass" || len(e.get(attr)) > 0 }, nil
	case ldap.FilterExtensibleMatch:
		var rule, attr, value string
		for _, c := range p.Children {
			switch c.Tag {
			case ldap.MatchingRuleAssertionMatchingRule:
				rule = str(c)
			case ldap.MatchingRuleAssertionType:
				attr = strings.ToLower(str(c))
			case ldap.MatchingRuleAssertionMatchValue:
				value = str(c)
			}
		}
		if rule != ruleBitAnd {
			return nil, fmt.Errorf("matching rule %s is not supported", rule)
		}
		mask, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bit-and value %q: %w", value, err)
		}
		return func(e *entry) bool {
			for _, v := range e.get(attr) {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil && n&mask == mask {
					return true
				}
			}
			return false
		}, nil
	case ldap.FilterGreaterOrEqual, ldap.FilterLessOrEqual:
		attr, value := strings.ToLower(str(p.Children[0])), str(p.Children[1])
		ge := p.Tag == ldap.FilterGreaterOrEqual
		return func(e *entry) bool {
			for _, v := range e.get(attr) {
				c := compareValues(v, value)
				if (ge && c >= 0) || (!ge && c <= 0) {
					return true
				}
			}
			return false
		}, nil
	}
	return nil, fmt.Errorf("filter choice %d is not supported", p.Tag)
}

// compareValues compares integers numerically (lockoutTime>=1) and anything
// else case-insensitively.
func compareValues(a, b string) int {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA == nil && errB == nil {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

func substringMatch(v, initial string, anys []string, final string) bool {
	if !strings.HasPrefix(v, initial) {
		return false
	}
	v = v[len(initial):]
	for _, a := range anys {
		i := strings.Index(v, a)
		if i < 0 {
			return false
		}
		v = v[i+len(a):]
	}
	return strings.HasSuffix(v, final)
}
