package rsa

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Permission is one thing rsatui lets a person do, checked by the
// operation layer before AM is asked (AM checks its own admin role too).
// The names follow the claims of RSA's Help Desk Admin Portal (AM Prime)
// where the sources name them (token:disable, token:lost-emergency-ott);
// the others are rsatui's own, in the same style [proposal].
type Permission string

// The permissions of the operations rsatui has. The help-desk toolbox
// (PIN, resync, unlock, passcode test) adds its own here, in this one table.
const (
	PermEmergencyTFT Permission = "token:lost-emergency-tft" // online emergency access with a temporary fixed tokencode
	PermEmergencyOTT Permission = "token:lost-emergency-ott" // online emergency access with one-time tokencodes
	PermEmergencyEnd Permission = "token:lost-emergency-end" // end online emergency access
	PermPinClear     Permission = "token:pin-clear"          // clear a PIN (the person sets a new one)
	PermPinNew       Permission = "token:pin-new"            // require a new PIN at the next authentication
	PermResync       Permission = "token:resync"             // resynchronize a token with two tokencodes
	PermUnlock       Permission = "unlock:user"              // unlock a person AM locked out
	PermBadCount     Permission = "token:clear-bad-count"    // clear a person's bad-tokencode count and next-tokencode mode
	PermAuthTest     Permission = "auth:test"                // test a person's passcode (it counts like a login)
	PermAssign       Permission = "token:assign"
	PermUnassign     Permission = "token:unassign"
	PermReplace      Permission = "token:replace"
	PermEnable       Permission = "token:enable"
	PermDisable      Permission = "token:disable"
	// PermIssueSoftware: issue a software token to a person's phone or
	// computer (CT-KIP, CTF, file); from the pool it needs PermAssign too
	PermIssueSoftware Permission = "token:issue-software"
	// PermOfflinePasscode: read or set a person's offline emergency
	// passcode (AM's MANAGE_OFFLINE_EA_PASSCODE_PRINCIPAL)
	PermOfflinePasscode Permission = "user:offline-emergency-passcode"
)

// Role is a set of permissions given to a person (rsatui serve's key
// option role=).
type Role string

// The roles: the work's, not AM's. A person with no role is a viewer.
const (
	RoleAdmin    Role = "admin"    // everything
	RoleHelpdesk Role = "helpdesk" // the daily help-desk actions; not assign, unassign, replace, enable/disable
	RoleViewer   Role = "viewer"   // looks only
)

// permissionTable is every permission and the roles that have it: the one
// place "who may do what" is written down.
var permissionTable = []struct {
	perm  Permission
	what  string // "may not …"
	roles []Role
}{
	{PermEmergencyTFT, "give emergency access with a temporary fixed tokencode", []Role{RoleAdmin, RoleHelpdesk}},
	{PermEmergencyOTT, "give emergency access with one-time tokencodes", []Role{RoleAdmin, RoleHelpdesk}},
	{PermEmergencyEnd, "end emergency access", []Role{RoleAdmin, RoleHelpdesk}},
	{PermPinClear, "clear PINs", []Role{RoleAdmin, RoleHelpdesk}},
	{PermPinNew, "require new PINs", []Role{RoleAdmin, RoleHelpdesk}},
	{PermResync, "resynchronize tokens", []Role{RoleAdmin, RoleHelpdesk}},
	{PermUnlock, "unlock people", []Role{RoleAdmin, RoleHelpdesk}},
	{PermBadCount, "clear bad-tokencode counts", []Role{RoleAdmin, RoleHelpdesk}},
	{PermAuthTest, "test passcodes", []Role{RoleAdmin, RoleHelpdesk}},
	{PermIssueSoftware, "issue software tokens", []Role{RoleAdmin, RoleHelpdesk}},
	{PermOfflinePasscode, "read or set offline emergency passcodes", []Role{RoleAdmin, RoleHelpdesk}},
	{PermAssign, "assign tokens", []Role{RoleAdmin}},
	{PermUnassign, "unassign tokens", []Role{RoleAdmin}},
	{PermReplace, "replace tokens", []Role{RoleAdmin}},
	{PermEnable, "enable tokens", []Role{RoleAdmin}},
	{PermDisable, "disable tokens", []Role{RoleAdmin}},
}

// ErrNotPermitted is a refusal by rsatui's role of the person, before AM
// is asked (AM's own refusal is ErrInsufficientPrivilege).
var ErrNotPermitted = errors.New("not permitted")

// Grant is what one person may do: a role, narrowed or widened.
type Grant struct {
	Role  Role
	perms map[Permission]bool
}

// Permissions lists every permission, in the table's order.
func Permissions() []Permission {
	out := make([]Permission, len(permissionTable))
	for i, p := range permissionTable {
		out[i] = p.perm
	}
	return out
}

// Roles are the roles, most powerful first.
func Roles() []Role { return []Role{RoleAdmin, RoleHelpdesk, RoleViewer} }

// GrantOf is role's permissions changed by spec: "" keeps them; a list of
// names replaces them ("token:resync,unlock:user"); names with + or - add
// to or take from them ("+token:assign,-token:lost-emergency-ott").
// Unknown roles and permissions are refused, naming the known ones.
func GrantOf(role Role, spec string) (Grant, error) {
	g := Grant{Role: role, perms: map[Permission]bool{}}
	known := false
	for _, r := range Roles() {
		known = known || r == role
	}
	if !known {
		return g, fmt.Errorf("role %q: want one of %s", role, joinRoles(Roles()))
	}
	for _, p := range permissionTable {
		for _, r := range p.roles {
			if r == role {
				g.perms[p.perm] = true
			}
		}
	}
	if strings.TrimSpace(spec) == "" {
		return g, nil
	}
	replaced := false
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		op := item[:min(1, len(item))]
		name := Permission(strings.TrimLeft(item, "+-"))
		if !validPerm(name) {
			return g, fmt.Errorf("permission %q: want one of %s", name, joinPerms(Permissions()))
		}
		switch op {
		case "+":
			g.perms[name] = true
		case "-":
			delete(g.perms, name)
		default:
			if !replaced { // a bare list is the whole set
				g.perms, replaced = map[Permission]bool{}, true
			}
			g.perms[name] = true
		}
	}
	return g, nil
}

func validPerm(p Permission) bool {
	for _, q := range permissionTable {
		if q.perm == p {
			return true
		}
	}
	return false
}

// Has reports whether the grant includes p.
func (g Grant) Has(p Permission) bool { return g.perms[p] }

// None reports whether the grant allows no change at all (a viewer).
func (g Grant) None() bool { return len(g.perms) == 0 }

// List is the grant's permissions, in the table's order.
func (g Grant) List() []Permission {
	var out []Permission
	for _, p := range Permissions() {
		if g.perms[p] {
			out = append(out, p)
		}
	}
	return out
}

// Within is g narrowed to what limit allows (a session cannot do more than
// the server it runs in).
func (g Grant) Within(limit Grant) Grant {
	out := Grant{Role: g.Role, perms: map[Permission]bool{}}
	for p := range g.perms {
		if limit.perms[p] {
			out.perms[p] = true
		}
	}
	return out
}

// AllowAll is the grant of the console and the verbs run by the person who
// holds the AM credentials: every permission (AM's admin role still applies).
func AllowAll() Grant {
	g, _ := GrantOf(RoleAdmin, "")
	return g
}

// check refuses p unless the grant has it, saying which role lacks what.
func (g Grant) check(p Permission) error {
	if g.perms[p] {
		return nil
	}
	for _, q := range permissionTable {
		if q.perm == p {
			return fmt.Errorf("%w: your rsatui role (%s) may not %s (%s); ask an admin", ErrNotPermitted, g.Role, q.what, p)
		}
	}
	return fmt.Errorf("%w: %s", ErrNotPermitted, p)
}

func joinRoles(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

func joinPerms(ps []Permission) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}
