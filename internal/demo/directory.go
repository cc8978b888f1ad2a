package demo

import (
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rsatui/rsatui/internal/ad/ldapsim"
)

// The directory's service account, which rsatui binds as.
const (
	ServiceLogin    = "svc-rsatui"
	ServicePassword = "Svc!Passw0rd1"
)

// ServiceDN is the service account's DN.
func (ds *Dataset) ServiceDN() string { return "CN=" + ServiceLogin + ",OU=Service," + ds.BaseDN }

// ServiceUPN is the service account's user principal name.
func (ds *Dataset) ServiceUPN() string { return ServiceLogin + "@" + ds.Domain }

// DN is where a person lives. Fixtures are in OU=People; generated people are
// spread over 20 OUs, which keeps Samba's bulk load fast (its one-level index
// per parent is rewritten on every add).
func (ds *Dataset) DN(i int) string {
	p := ds.People[i]
	if i < len(fixtures) {
		return "CN=" + p.DisplayName + ",OU=People," + ds.BaseDN
	}
	return fmt.Sprintf("CN=%s (%s),OU=Staff%02d,OU=People,%s", p.DisplayName, p.Login, i%20, ds.BaseDN)
}

// GroupDN is the DN of a group.
func (ds *Dataset) GroupDN(cn string) string { return "CN=" + cn + ",OU=Groups," + ds.BaseDN }

// OUs lists the organizational units, parents first.
func (ds *Dataset) OUs() []string {
	ous := []string{"OU=People," + ds.BaseDN, "OU=Service," + ds.BaseDN, "OU=Groups," + ds.BaseDN}
	for i := 0; i < 20 && len(ds.People) > len(fixtures); i++ {
		ous = append(ous, fmt.Sprintf("OU=Staff%02d,OU=People,%s", i, ds.BaseDN))
	}
	return ous
}

// UserAccountControl: NORMAL_ACCOUNT (0x200), plus ACCOUNTDISABLE (0x2) for
// disabled people; PASSWD_NOTREQD (0x20) because the demo people have no password.
func (p Person) UserAccountControl() int {
	uac := 0x200 | 0x20
	if p.Disabled {
		uac |= 0x2
	}
	return uac
}

// LockoutTime is AD's lockoutTime (100 ns intervals since 1601): when a
// locked person was locked out — 55 minutes before the data set was made,
// with the morning's wrong passcodes in AM (History) — else 0. AD counts a
// lockout as over after the domain's lockout duration; the test directory
// sets none (locked until unlocked).
func (p Person) LockoutTime(created time.Time) string {
	if p.Locked {
		return fileTime(created.Add(-55 * time.Minute))
	}
	return "0"
}

// fileTime is an AD time (100 ns intervals since 1601); zero is never.
func fileTime(t time.Time) string {
	if t.IsZero() {
		return "9223372036854775807"
	}
	return strconv.FormatInt(t.UTC().UnixNano()/100+116444736000000000, 10)
}

// pwdLastSet: 0 when the person must change it, else a month before the
// data set was made.
func (p Person) pwdLastSet(created time.Time) string {
	if p.MustChangePassword {
		return "0"
	}
	return fileTime(created.Add(-30 * 24 * time.Hour))
}

// computedUAC is what AD computes into msDS-User-Account-Control-Computed:
// UF_LOCKOUT (0x10) while locked, UF_PASSWORD_EXPIRED (0x800000) when the
// password must be changed.
func (p Person) computedUAC() int {
	v := 0
	if p.Locked {
		v |= 0x10
	}
	if p.MustChangePassword {
		v |= 0x800000
	}
	return v
}

// contact is the person's numbers, employee ID and manager (a DN: the
// manager comes first in the data set, so AD has them when it is added),
// as attribute-value pairs.
func (p Person) contact(ds *Dataset) []string {
	kv := []string{"telephoneNumber", p.Phone, "employeeID", p.EmployeeID}
	if p.Mobile != "" {
		kv = append(kv, "mobile", p.Mobile)
	}
	if p.Manager != "" {
		for i, m := range ds.People {
			if m.Login == p.Manager {
				kv = append(kv, "manager", ds.DN(i))
				break
			}
		}
	}
	return kv
}

// ADGUIDBytes is the objectGUID as AD stores it: the first three groups
// little-endian, the last two as they are.
func ADGUIDBytes(g [16]byte) []byte {
	return []byte{g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6],
		g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]}
}

// Directory is the data set's directory as the embedded directory serves
// it: what AD would hold after WriteLDIF and WriteLockouts, with what AD
// computes itself (objectGUID, memberOf, objectCategory, cn) filled in.
func (ds *Dataset) Directory() ldapsim.Directory {
	var es []ldapsim.Entry
	add := func(dn string, kv ...string) { es = append(es, ldapsim.Entry{DN: dn, Attrs: kv}) }
	category := "CN=Person,CN=Schema,CN=Configuration," + ds.BaseDN
	add(ds.BaseDN, "objectClass", "top", "objectClass", "domain", "dc", strings.Split(ds.Domain, ".")[0])
	for _, ou := range ds.OUs() {
		add(ou, "objectClass", "top", "objectClass", "organizationalUnit")
	}
	add(ds.ServiceDN(), "objectClass", "user", "sAMAccountName", ServiceLogin,
		"userPrincipalName", ds.ServiceUPN(), "userAccountControl", "66048", "objectCategory", category, "cn", ServiceLogin)
	members := map[string][]string{}
	for i, p := range ds.People {
		dn := ds.DN(i)
		kv := []string{"objectClass", "top", "objectClass", "person", "objectClass", "organizationalPerson",
			"objectClass", "user", "objectCategory", category, "cn", dn[3:strings.IndexByte(dn, ',')],
			"sAMAccountName", p.Login, "userPrincipalName", p.UPN, "givenName", p.GivenName, "sn", p.Surname,
			"displayName", p.DisplayName, "mail", p.Mail, "department", p.Department, "title", p.Title,
			"userAccountControl", strconv.Itoa(p.UserAccountControl()), "lockoutTime", p.LockoutTime(ds.Created),
			"objectGUID", string(ADGUIDBytes(p.GUID)),
			"accountExpires", fileTime(p.AccountExpires), "pwdLastSet", p.pwdLastSet(ds.Created),
			"whenChanged", ds.Created.Add(-time.Duration(i%30+1) * 24 * time.Hour).UTC().Format("20060102150405.0Z"),
			"msDS-User-Account-Control-Computed", strconv.Itoa(p.computedUAC())}
		kv = append(kv, p.contact(ds)...)
		for _, g := range p.Groups {
			kv = append(kv, "memberOf", ds.GroupDN(g))
			members[g] = append(members[g], dn)
		}
		add(dn, kv...)
	}
	for _, g := range ds.Groups {
		kv := []string{"objectClass", "top", "objectClass", "group", "cn", g, "sAMAccountName", strings.ReplaceAll(g, " ", "")}
		for _, m := range members[g] {
			kv = append(kv, "member", m)
		}
		add(ds.GroupDN(g), kv...)
	}
	netbios := strings.ToUpper(strings.Split(ds.Domain, ".")[0])
	return ldapsim.Directory{BaseDN: ds.BaseDN, Entries: es, BindPassword: ServicePassword,
		BindNames: []string{ds.ServiceDN(), ds.ServiceUPN(), netbios + `\` + ServiceLogin}}
}

// WriteLDIF writes the directory part of the data set (OUs, the service
// account, people, groups) as LDIF for Samba's ldbadd or ldapadd. objectGUID and
// memberOf are left out: AD computes them.
func (ds *Dataset) WriteLDIF(w io.Writer) error {
	lw := &ldifWriter{w: w}
	for _, ou := range ds.OUs() {
		lw.entry(ou, "objectClass", "organizationalUnit")
	}
	pw := base64.StdEncoding.EncodeToString(utf16le(`"` + ServicePassword + `"`))
	lw.entry(ds.ServiceDN(), "objectClass", "user", "sAMAccountName", ServiceLogin,
		"userPrincipalName", ds.ServiceUPN(), "userAccountControl", "66048", "unicodePwd::", pw)
	for i, p := range ds.People {
		attrs := []string{"objectClass", "user", "sAMAccountName", p.Login, "userPrincipalName", p.UPN,
			"givenName", p.GivenName, "sn", p.Surname, "displayName", p.DisplayName, "mail", p.Mail,
			"department", p.Department, "title", p.Title, "userAccountControl", fmt.Sprint(p.UserAccountControl()),
			// AD takes 0 (must change) or -1 (now) for pwdLastSet, nothing else
			"pwdLastSet", map[bool]string{true: "0", false: "-1"}[p.MustChangePassword],
			"accountExpires", fileTime(p.AccountExpires)}
		lw.entry(ds.DN(i), append(attrs, p.contact(ds)...)...)
	}
	for _, g := range ds.Groups {
		attrs := []string{"objectClass", "group", "sAMAccountName", strings.ReplaceAll(g, " ", "")}
		for i, p := range ds.People {
			for _, pg := range p.Groups {
				if pg == g {
					attrs = append(attrs, "member", ds.DN(i))
				}
			}
		}
		lw.entry(ds.GroupDN(g), attrs...)
	}
	return lw.err
}

// WriteLockouts writes an LDIF modify that locks the locked people out, for
// after the bulk load (lockoutTime is not accepted on add).
func (ds *Dataset) WriteLockouts(w io.Writer) error {
	lw := &ldifWriter{w: w}
	for i, p := range ds.People {
		if p.Locked {
			lw.line("dn", ds.DN(i))
			lw.line("changetype", "modify")
			lw.line("replace", "lockoutTime")
			lw.line("lockoutTime", p.LockoutTime(ds.Created))
			lw.line("-", "")
			lw.blank()
		}
	}
	return lw.err
}

type ldifWriter struct {
	w   io.Writer
	err error
}

func (l *ldifWriter) raw(s string) {
	if l.err == nil {
		_, l.err = io.WriteString(l.w, s)
	}
}

// line writes "attr: value", base64-encoding values LDIF cannot carry as they are.
func (l *ldifWriter) line(attr, value string) {
	switch {
	case attr == "-":
		l.raw("-\n")
	case strings.HasSuffix(attr, "::"): // already base64
		l.raw(attr + " " + value + "\n")
	case needsBase64(value):
		l.raw(attr + ":: " + base64.StdEncoding.EncodeToString([]byte(value)) + "\n")
	default:
		l.raw(attr + ": " + value + "\n")
	}
}

func (l *ldifWriter) blank() { l.raw("\n") }

func (l *ldifWriter) entry(dn string, attrs ...string) {
	l.line("dn", dn)
	for i := 0; i+1 < len(attrs); i += 2 {
		l.line(attrs[i], attrs[i+1])
	}
	l.blank()
}

func needsBase64(v string) bool {
	if v == "" {
		return false
	}
	if v[0] == ' ' || v[0] == ':' || v[0] == '<' || v[len(v)-1] == ' ' {
		return true
	}
	for i := 0; i < len(v); i++ {
		if v[i] >= utf8.RuneSelf || v[i] < 0x20 {
			return true
		}
	}
	return false
}

func utf16le(s string) []byte {
	var out []byte
	for _, r := range s {
		out = append(out, byte(r), byte(r>>8))
	}
	return out
}
