package ad

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
	"github.com/google/uuid"
)

// MaxQueryLen bounds a search text: longer ones are refused with a clear
// message rather than sent as a filter AD may reject.
const MaxQueryLen = 256

const personFilter = "(objectCategory=person)(objectClass=user)"

// Filter builds the people filter for a search text: login, UPN, display name,
// given name, surname and mail starting with the text. Every byte the user
// typed goes through ldap.EscapeFilter, so "*)(uid=*" is searched for
// literally. An empty text matches every person.
func Filter(query string) (string, error) {
	q := strings.TrimSpace(query)
	if len(q) > MaxQueryLen {
		return "", fmt.Errorf("%w: %d characters, at most %d", ErrQueryTooLong, len(q), MaxQueryLen)
	}
	// Samba (like AD, in C) ends a filter value at an escaped NUL, so "a\00b"
	// would match everyone starting with "a". No name contains control
	// characters: refuse them instead of sending them.
	if i := strings.IndexFunc(q, func(r rune) bool { return r < 0x20 || r == 0x7f }); i >= 0 {
		return "", fmt.Errorf("%w: it contains the control character %U at position %d", ErrInvalidQuery, q[i], i+1)
	}
	if q == "" {
		return "(&" + personFilter + ")", nil
	}
	e := ldap.EscapeFilter(q)
	var b strings.Builder
	b.WriteString("(&" + personFilter + "(|")
	for _, attr := range []string{"sAMAccountName", "userPrincipalName", "displayName", "givenName", "sn", "mail"} {
		b.WriteString("(" + attr + "=" + e + "*)")
	}
	b.WriteString("))")
	return b.String(), nil
}

// Search streams the people matching query to page, one page at a time, as
// the server sends them: the client holds at most one page. The first page
// holds at most first people (0: the configured page size) — a screenful,
// so that it comes back as fast as the directory can answer anything; the
// next pages are full ones, asked for at once. It stops when page returns an
// error or ctx ends, and then tells the server to drop its paging cursor.
func (c *Client) Search(ctx context.Context, query string, first int, page func([]User) error) error {
	filter, err := Filter(query)
	if err != nil {
		return err
	}
	return c.search(ctx, filter, first, userAttributes, page)
}

// Lookup returns the person with this login (sAMAccountName), with the
// account's expiry and password state (Detailed).
func (c *Client) Lookup(ctx context.Context, login string) (User, error) {
	if login == "" || len(login) > MaxQueryLen {
		return User{}, fmt.Errorf("%w: a login of 1 to %d characters", ErrNotFound, MaxQueryLen)
	}
	return c.lookup(ctx, "(sAMAccountName="+ldap.EscapeFilter(login)+")", "login "+strconv.Quote(login))
}

// ByDN reads the person at a DN in full, as Lookup does (a manager, named
// by the manager attribute).
func (c *Client) ByDN(ctx context.Context, dn string) (User, error) {
	if dn == "" || len(dn) > 1024 {
		return User{}, fmt.Errorf("%w: no DN", ErrNotFound)
	}
	return c.lookup(ctx, "(distinguishedName="+ldap.EscapeFilter(dn)+")", "DN "+strconv.Quote(dn))
}

func (c *Client) lookup(ctx context.Context, filter, what string) (User, error) {
	c.mu.Lock()
	attrs := slices.Concat(detailAttributes, c.extra)
	c.mu.Unlock()
	var found []User
	err := c.search(ctx, "(&"+personFilter+filter+")", 2, attrs, func(p []User) error {
		found = append(found, p...)
		return nil
	})
	switch {
	case err != nil:
		return User{}, err
	case len(found) == 0:
		return User{}, fmt.Errorf("%w: no person with %s", ErrNotFound, what)
	}
	return found[0], nil
}

// AlsoRead has Lookup read more attributes (the site's own caller checks,
// [verify.custom]): User.Extra holds them by name.
func (c *Client) AlsoRead(attrs ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range attrs {
		if !slices.ContainsFunc(slices.Concat(detailAttributes, c.extra), func(b string) bool { return strings.EqualFold(a, b) }) {
			c.extra = append(c.extra, a)
		}
	}
}

func (c *Client) search(ctx context.Context, filter string, first int, attrs []string, page func([]User) error) error {
	select {
	case c.sem <- struct{}{}:
		defer func() { <-c.sem }()
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.Canceled) {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %d searches were already running on the shared connection and yours waited too long: try again",
			ErrLimit, cap(c.sem))
	}
	full := uint32(c.cfg.PageSize)
	size := full
	if first > 0 && first < c.cfg.PageSize {
		size = uint32(first) // RFC 2696 lets each request of a paged search ask for its own size
	}
	// only the first page may be retried after a reconnect: a cookie belongs to
	// the connection that made it
	var cookie []byte
	firstPage := true
	return c.call(ctx, func(conn *ldap.Conn, base string) error {
		if !firstPage {
			return fmt.Errorf("%w: the connection dropped during a paged search; search again", ErrUnreachable)
		}
		for {
			ctl := ldap.NewControlPaging(size)
			ctl.SetCookie(cookie)
			req := ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0,
				int(c.cfg.RequestTimeout/time.Second), false, filter, attrs, []ldap.Control{ctl})
			res := conn.SearchAsync(ctx, req, int(size))
			users := make([]User, 0, size)
			for res.Next() {
				if e := res.Entry(); e != nil {
					users = append(users, toUser(e))
				}
			}
			if ctx.Err() != nil {
				c.abandon(conn, base, filter, cookie)
				return ctx.Err()
			}
			if err := res.Err(); err != nil {
				var le *ldap.Error
				if conn.IsClosing() || (errors.As(err, &le) && le.ResultCode == ldap.ErrorNetwork) {
					// a timed-out or broken connection is not reused: the next call redials
					conn.Close()
					return classifyDial(c.URL(), err)
				}
				return classifySearch(err)
			}
			firstPage, size = false, full
			next := pagingCookie(res.Controls())
			if len(users) > 0 {
				if err := page(users); err != nil {
					c.abandon(conn, base, filter, next)
					return err
				}
			}
			if len(next) == 0 {
				return nil
			}
			cookie = next
		}
	})
}

func pagingCookie(ctls []ldap.Control) []byte {
	if p, ok := ldap.FindControl(ctls, ldap.ControlTypePaging).(*ldap.ControlPaging); ok {
		return p.Cookie
	}
	return nil
}

// abandon tells the server to drop the paging cursor behind cookie (a request
// with page size 0, as RFC 2696 says). It runs in the background: the caller
// has already got what it wanted, or cancelled.
func (c *Client) abandon(conn *ldap.Conn, base, filter string, cookie []byte) {
	if len(cookie) == 0 {
		return
	}
	ctl := ldap.NewControlPaging(0)
	ctl.SetCookie(cookie)
	req := ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 5, false, filter,
		[]string{"1.1"}, []ldap.Control{ctl})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res := conn.SearchAsync(ctx, req, 1)
		for res.Next() {
		}
	}()
}

// toUser converts an entry in one pass over its attributes (this runs for
// every person of a search, so no repeated case-insensitive lookups).
func toUser(e *ldap.Entry) User {
	u := User{DN: e.DN}
	first := func(a *ldap.EntryAttribute) string {
		if len(a.Values) == 0 {
			return ""
		}
		return a.Values[0]
	}
	for _, a := range e.Attributes {
		switch strings.ToLower(a.Name) {
		case "samaccountname":
			u.Login = first(a)
		case "userprincipalname":
			u.UPN = first(a)
		case "displayname":
			u.DisplayName = first(a)
		case "givenname":
			u.GivenName = first(a)
		case "sn":
			u.Surname = first(a)
		case "mail":
			u.Mail = first(a)
		case "department":
			u.Department = first(a)
		case "title":
			u.Title = first(a)
		case "useraccountcontrol":
			if uac, err := strconv.ParseInt(first(a), 10, 64); err == nil {
				u.Disabled = uac&0x2 != 0
			}
		case "lockouttime":
			if lt, err := strconv.ParseInt(first(a), 10, 64); err == nil {
				u.Locked = lt > 0
				u.LockedAt = fileTime(lt)
			}
		case "accountexpires":
			if v, err := strconv.ParseInt(first(a), 10, 64); err == nil {
				u.AccountExpires = fileTime(v)
			}
		case "pwdlastset":
			if v, err := strconv.ParseInt(first(a), 10, 64); err == nil {
				u.PasswordLastSet, u.MustChangePassword = fileTime(v), v == 0
			}
		case "mobile":
			u.Mobile = first(a)
		case "telephonenumber":
			u.Phone = first(a)
		case "employeeid":
			u.EmployeeID = first(a)
		case "manager":
			u.ManagerDN = first(a)
		case "whenchanged":
			if t, err := ber.ParseGeneralizedTime([]byte(first(a))); err == nil {
				u.Changed = t
			}
		case "msds-user-account-control-computed":
			if v, err := strconv.ParseInt(first(a), 10, 64); err == nil {
				u.Detailed = true
				u.PasswordExpired = v&0x800000 != 0 // UF_PASSWORD_EXPIRED
				u.Locked = v&0x10 != 0              // UF_LOCKOUT: AD's verdict, the lockout duration counted
			}
		case "objectguid":
			if len(a.ByteValues) > 0 {
				u.GUID = GUIDString(a.ByteValues[0])
			}
		case "memberof":
			for _, dn := range a.Values {
				if cn := firstRDN(dn); cn != "" {
					u.Groups = append(u.Groups, cn)
				}
			}
		default: // asked for by AlsoRead only
			if u.Extra == nil {
				u.Extra = map[string]string{}
			}
			u.Extra[a.Name] = first(a)
		}
	}
	if !utf8.ValidString(u.DisplayName) {
		u.DisplayName = strings.ToValidUTF8(u.DisplayName, "?")
	}
	return u
}

// GUIDString renders an objectGUID (16 bytes, first three groups
// little-endian) as a canonical UUID; anything else gives "".
func GUIDString(b []byte) string {
	if len(b) != 16 {
		return ""
	}
	var g uuid.UUID
	g[0], g[1], g[2], g[3] = b[3], b[2], b[1], b[0]
	g[4], g[5] = b[5], b[4]
	g[6], g[7] = b[7], b[6]
	copy(g[8:], b[8:])
	return g.String()
}

// firstRDN is the value of a DN's first RDN (the group's CN). Plain DNs, the
// common case, are cut at the first comma; escaped ones go through ParseDN.
func firstRDN(dn string) string {
	if eq := strings.IndexByte(dn, '='); eq > 0 && !strings.ContainsAny(dn, `\"+`) {
		rest := dn[eq+1:]
		if comma := strings.IndexByte(rest, ','); comma >= 0 {
			return rest[:comma]
		}
		return rest
	}
	parsed, err := ldap.ParseDN(dn)
	if err != nil || len(parsed.RDNs) == 0 || len(parsed.RDNs[0].Attributes) == 0 {
		return ""
	}
	return parsed.RDNs[0].Attributes[0].Value
}

// fileTime is an AD time (100 ns intervals since 1601, UTC); 0 and the
// largest int64 mean never (zero time).
func fileTime(v int64) time.Time {
	if v <= 0 || v == 1<<63-1 {
		return time.Time{}
	}
	const epochDiff = 116444736000000000 // 1601-01-01 to 1970-01-01 in 100 ns
	return time.Unix(0, (v-epochDiff)*100).UTC()
}

// manyAttributes are LookupMany's: a person and whether the account still
// works (no constructed attribute: many entries a query).
var manyAttributes = append(append([]string(nil), userAttributes...), "accountExpires", "whenChanged")

// LoginsPerQuery is how many logins one LookupMany query asks for: one OR
// filter each, well inside AD's default filter and page limits.
const LoginsPerQuery = 100

// LookupMany reads the people with these logins (sAMAccountName), in
// queries of LoginsPerQuery logins each (one OR filter), not one a person,
// several at once (the connection's bound on concurrent searches holds).
// A login the directory does not have is absent from the map; queries
// reports how many searches it took (a report's round trips).
func (c *Client) LookupMany(ctx context.Context, logins []string) (found map[string]User, queries int, err error) {
	var filters []string
	for start := 0; start < len(logins); start += LoginsPerQuery {
		var b strings.Builder
		n := 0
		for _, l := range logins[start:min(start+LoginsPerQuery, len(logins))] {
			if l == "" || len(l) > MaxQueryLen {
				continue
			}
			b.WriteString("(sAMAccountName=" + ldap.EscapeFilter(l) + ")")
			n++
		}
		if n > 0 {
			filters = append(filters, "(&"+personFilter+"(|"+b.String()+"))")
		}
	}
	found = make(map[string]User, len(logins))
	var mu sync.Mutex
	var firstErr error
	work := make(chan string)
	var wg sync.WaitGroup
	for range min(lookupLanes, len(filters)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				err := c.search(ctx, f, 0, manyAttributes, func(us []User) error {
					mu.Lock()
					defer mu.Unlock()
					for _, u := range us {
						found[strings.ToLower(u.Login)] = u
					}
					return nil
				})
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, f := range filters {
		work <- f
	}
	close(work)
	wg.Wait()
	return found, len(filters), firstErr
}

// lookupLanes is how many of LookupMany's queries are in flight at once.
const lookupLanes = 4
