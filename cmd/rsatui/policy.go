package main

import (
	"context"
	"sync"

	"github.com/spf13/cobra"

	"github.com/rsatui/rsatui/internal/ad"
)

// attachPolicy gives the operations the site's caller policy ([verify],
// [approve], [limits]; the defaults where the file is silent): the
// console, the verbs, serve and --demo all run under it. Whether a person
// is privileged is their directory groups: the backend's directory, or
// (a verb that needs none otherwise) one connected when first asked.
func attachPolicy(cmd *cobra.Command, b *backend) error {
	c, file, err := loadFile(cmd)
	if err != nil {
		return err
	}
	p, err := file.Config.Apply()
	if err != nil {
		return usageErr("config file %s: %v", configPath(cmd), err)
	}
	b.ops.Policy = &p
	if b.dir != nil {
		for _, cs := range p.Custom {
			b.dir.AlsoRead(cs.Attribute)
		}
	}
	dir := func() (*ad.Client, error) { return b.dir, nil }
	if b.dir == nil && c["ldap-url"] != "" {
		var once sync.Once
		var lazy *ad.Client
		var lerr error
		dir = func() (*ad.Client, error) {
			once.Do(func() {
				pw, err := password(c, "ldap-password-file", "ldap-password", "directory service account password")
				if err != nil {
					lerr = err
					return
				}
				lazy, lerr = ad.New(ad.Config{URL: c["ldap-url"], BindUser: c["ldap-bind"], BindPassword: pw, CAFile: c["ldap-ca-file"],
					BaseDN: c["ldap-base-dn"], InsecureSkipVerify: c["ldap-insecure-skip-verify"] == "true"})
				if lazy != nil {
					b.cleanup = append(b.cleanup, func() { lazy.Close() })
				}
			})
			return lazy, lerr
		}
	} else if b.dir == nil {
		return nil // no directory: RequiredChecks says so when it matters
	}
	b.ops.Privileged = p.PrivilegedBy(func(ctx context.Context, login string) (ad.User, error) {
		d, err := dir()
		if err != nil {
			return ad.User{}, err
		}
		return d.Lookup(ctx, login)
	})
	return nil
}
