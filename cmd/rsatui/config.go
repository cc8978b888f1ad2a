package main

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rsatui/rsatui/internal/ad"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/authapi"
	"github.com/rsatui/rsatui/internal/secret"
	"github.com/rsatui/rsatui/internal/ui"
	"github.com/rsatui/rsatui/internal/verify"
)

// A setting comes from, in order: its flag, its RSATUI_* environment
// variable, the config file. Passwords come from a file, an environment
// variable or a prompt, never from the command line.
type setting struct {
	flag, help string
	section    string // config file section
	key        string // config file key
	isBool     bool
}

var settings = []setting{
	{flag: "am-url", section: "am", key: "url", help: "AM CommandServer, e.g. https://am.example.com:7002"},
	{flag: "am-cmdclient-user", section: "am", key: "command_client_user", help: "command-client account (rsautil manage-secrets --action list)"},
	{flag: "am-cmdclient-password-file", section: "am", key: "command_client_password_file", help: "file holding the command-client password"},
	{flag: "am-admin", section: "am", key: "admin", help: "AM administrator to log in as"},
	{flag: "am-admin-password-file", section: "am", key: "admin_password_file", help: "file holding the administrator's password"},
	{flag: "am-auth-method", section: "am", key: "auth_method", help: "RSA_Password (internal database) or LDAP_Password"},
	{flag: "am-ca-file", section: "am", key: "ca_file", help: "PEM CA bundle that signed AM's certificate"},
	{flag: "am-insecure-skip-verify", section: "am", key: "insecure_skip_verify", isBool: true, help: "do not verify AM's certificate (shown as a red badge)"},
	{flag: "am-allow-plain-http", section: "am", key: "allow_plain_http", isBool: true, help: "accept an http:// AM URL: passwords in cleartext (shown as a red badge)"},
	{flag: "identity-source", section: "am", key: "identity_source", help: "AM identity source mapping the directory (default: the only LDAP one)"},
	{flag: "ldap-url", section: "ldap", key: "url", help: "directory, ldaps://dc.example.com or ldap://… (StartTLS is then used)"},
	{flag: "ldap-bind", section: "ldap", key: "bind", help: "service account DN or UPN"},
	{flag: "ldap-password-file", section: "ldap", key: "password_file", help: "file holding the service account's password"},
	{flag: "ldap-ca-file", section: "ldap", key: "ca_file", help: "PEM CA bundle that signed the directory's certificate"},
	{flag: "ldap-base-dn", section: "ldap", key: "base_dn", help: "where to search people (default: the domain)"},
	{flag: "ldap-insecure-skip-verify", section: "ldap", key: "insecure_skip_verify", isBool: true, help: "do not verify the directory's certificate"},
	{flag: "timezone", section: "console", key: "timezone", help: "zone the console shows times in, e.g. Europe/Berlin (default: TZ, else the machine's)"},
	{flag: "authapi-url", section: "authapi", key: "url", help: "AM's Authentication API (REST), https://am:5555: auth test --via authapi tests passcodes through it"},
	{flag: "authapi-client-key-file", section: "authapi", key: "client_key_file", help: "file holding the Authentication API's client key (Access Key)"},
	{flag: "authapi-agent", section: "authapi", key: "agent", help: "the agent (client id) the Authentication API tests as: AM's records name it"},
	{flag: "audit-syslog", section: "audit", key: "syslog", help: "also send the audit's lines to syslog (RFC 5424): unix:///dev/log (the local daemon or journald), tcp://host:514 or udp://host:514"},
	{flag: "ea-lifetime", section: "defaults", key: "ea_lifetime", help: "how long emergency access lasts unless said otherwise: the form's and ea set's start, e.g. 3d (default " + rsa.DefaultEALifetime + "; AM's maximum is its own)"},
}

// refused are password flags people will try; they fail with a hint.
var refused = map[string]string{
	"am-cmdclient-password": "am-cmdclient-password-file", "am-admin-password": "am-admin-password-file",
	"ldap-password": "ldap-password-file",
}

func envName(flag string) string {
	return "RSATUI_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

func addConnFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.String("config", "", "config file (default $XDG_CONFIG_HOME/rsatui/config.toml)")
	for _, s := range settings {
		if s.isBool {
			f.Bool(s.flag, false, s.help+" [env "+envName(s.flag)+"]")
		} else {
			f.String(s.flag, "", s.help+" [env "+envName(s.flag)+"]")
		}
	}
	for bad := range refused {
		f.String(bad, "", "refused: passwords are never taken on the command line")
		_ = f.MarkHidden(bad)
	}
}

// config is the resolved connection settings.
type config map[string]string

func configPath(cmd *cobra.Command) string {
	if p, _ := cmd.Flags().GetString("config"); p != "" {
		return p
	}
	if p := os.Getenv("RSATUI_CONFIG"); p != "" {
		return p
	}
	base := os.Getenv("XDG_CONFIG_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".config")
	}
	return filepath.Join(base, "rsatui", "config.toml")
}

func loadConfig(cmd *cobra.Command) (config, error) {
	c, _, err := loadConfigFile(cmd)
	return c, err
}

// loadConfigFile is loadConfig with the file's [keys] table.
func loadConfigFile(cmd *cobra.Command) (config, map[string][]string, error) {
	c, file, err := loadFile(cmd)
	if err != nil {
		return nil, nil, err
	}
	return c, file.Keys, nil
}

// loadFile is loadConfig with the whole file as decoded.
func loadFile(cmd *cobra.Command) (config, *fileConfig, error) {
	for bad, good := range refused {
		if cmd.Flags().Changed(bad) {
			return nil, nil, usageErr("--%s: passwords are never taken on the command line (they end up in shell history and ps): use --%s, the %s environment variable, or let rsatui prompt",
				bad, good, envName(bad))
		}
	}
	var file fileConfig
	var meta toml.MetaData
	path := configPath(cmd)
	if _, err := os.Stat(path); err == nil {
		// the TOML library checks the types (a string where a boolean
		// belongs is refused with the line) and names the keys it did not use
		if meta, err = toml.DecodeFile(path, &file); err != nil {
			return nil, nil, usageErr("config file %s: %v", path, err)
		}
		if unknown := meta.Undecoded(); len(unknown) > 0 {
			keys := make([]string, len(unknown))
			for i, k := range unknown {
				keys[i] = k.String()
			}
			return nil, nil, usageErr("config file %s: unknown key %s (see docs/config.example.toml)", path, strings.Join(keys, ", "))
		}
	} else if cmd.Flags().Changed("config") {
		return nil, nil, usageErr("config file %s: %v", path, err)
	}
	c := config{}
	for _, s := range settings {
		switch {
		case cmd.Flags().Changed(s.flag):
			v, _ := cmd.Flags().GetString(s.flag)
			if s.isBool {
				b, _ := cmd.Flags().GetBool(s.flag)
				v = fmt.Sprint(b)
			}
			c[s.flag] = v
		case os.Getenv(envName(s.flag)) != "":
			c[s.flag] = os.Getenv(envName(s.flag))
		case meta.IsDefined(s.section, s.key):
			c[s.flag] = file.value(s.section, s.key)
		}
	}
	return c, &file, nil
}

// fileConfig is config.toml (docs/config.example.toml). Its keys are the
// settings table's section and key; TestSettingsHaveFileKeys holds the two
// together.
type fileConfig struct {
	AM struct {
		URL                       string `toml:"url"`
		CommandClientUser         string `toml:"command_client_user"`
		CommandClientPasswordFile string `toml:"command_client_password_file"`
		Admin                     string `toml:"admin"`
		AdminPasswordFile         string `toml:"admin_password_file"`
		AuthMethod                string `toml:"auth_method"`
		CAFile                    string `toml:"ca_file"`
		InsecureSkipVerify        bool   `toml:"insecure_skip_verify"`
		AllowPlainHTTP            bool   `toml:"allow_plain_http"`
		IdentitySource            string `toml:"identity_source"`
	} `toml:"am"`
	LDAP struct {
		URL                string `toml:"url"`
		Bind               string `toml:"bind"`
		PasswordFile       string `toml:"password_file"`
		CAFile             string `toml:"ca_file"`
		BaseDN             string `toml:"base_dn"`
		InsecureSkipVerify bool   `toml:"insecure_skip_verify"`
	} `toml:"ldap"`
	Console struct {
		Timezone string `toml:"timezone"`
	} `toml:"console"`
	Defaults struct {
		EALifetime string `toml:"ea_lifetime"`
	} `toml:"defaults"`
	Audit struct {
		Syslog string `toml:"syslog"`
	} `toml:"audit"`
	AuthAPI struct {
		URL           string `toml:"url"`
		ClientKeyFile string `toml:"client_key_file"`
		Agent         string `toml:"agent"`
	} `toml:"authapi"`
	// [verify], [approve] and [limits]: the caller policy (policy.go)
	verify.Config
	// Keys changes the console's key bindings: an action's name and the
	// keys that replace its defaults (ui.WithKeys checks them).
	Keys map[string][]string `toml:"keys"`
}

// value is the file's value of section.key as the settings carry it, found
// by the struct's toml tags ("" when there is no such key).
func (f *fileConfig) value(section, key string) string {
	sv := reflect.ValueOf(f).Elem()
	for i := range sv.NumField() {
		if sv.Type().Field(i).Tag.Get("toml") != section {
			continue
		}
		sec := sv.Field(i)
		for j := range sec.NumField() {
			if sec.Type().Field(j).Tag.Get("toml") == key {
				return fmt.Sprint(sec.Field(j).Interface())
			}
		}
	}
	return ""
}

// password reads a password: from the file setting, else the environment,
// else a prompt on the terminal.
func password(c config, fileFlag, envFlag, what string) (secret.Secret, error) {
	if p := c[fileFlag]; p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", usageErr("--%s: %v", fileFlag, err)
		}
		return secret.Secret(strings.TrimRight(string(b), "\r\n")), nil
	}
	if v := os.Getenv(envName(envFlag)); v != "" {
		// read once: gone from the environment children and later reads see
		os.Unsetenv(envName(envFlag))
		return secret.Secret(v), nil
	}
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return "", usageErr("no %s: set --%s or %s", what, fileFlag, envName(envFlag))
	}
	fmt.Fprintf(os.Stderr, "%s: ", what)
	b, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", usageErr("reading the %s: %v", what, err)
	}
	return secret.Secret(b), nil
}

func require(c config, flags ...string) error {
	var missing []string
	for _, f := range flags {
		if c[f] == "" {
			missing = append(missing, "--"+f)
		}
	}
	if len(missing) > 0 {
		return usageErr("missing %s (flags, RSATUI_* variables or the config file; or try --demo)", strings.Join(missing, ", "))
	}
	return nil
}

// connect builds clients for the configured AM (and directory, when needDir).
func connect(cmd *cobra.Command, readOnly, needDir bool) (*backend, error) {
	c, err := loadConfig(cmd)
	if err != nil {
		return nil, err
	}
	need := []string{"am-url", "am-cmdclient-user", "am-admin"}
	if needDir {
		need = append(need, "ldap-url", "ldap-bind")
	}
	if err := require(c, need...); err != nil {
		return nil, err
	}
	cmdPW, err := password(c, "am-cmdclient-password-file", "am-cmdclient-password", "AM command-client password")
	if err != nil {
		return nil, err
	}
	adminPW, err := password(c, "am-admin-password-file", "am-admin-password", "AM administrator password")
	if err != nil {
		return nil, err
	}
	var ldapPW secret.Secret
	if needDir {
		if ldapPW, err = password(c, "ldap-password-file", "ldap-password", "directory service account password"); err != nil {
			return nil, err
		}
	}
	amInsecure, ldapInsecure := c["am-insecure-skip-verify"] == "true", c["ldap-insecure-skip-verify"] == "true"
	if amInsecure || ldapInsecure {
		fmt.Fprintln(os.Stderr, "rsatui: WARNING: TLS certificate verification is OFF; anyone on the path can read passwords and codes.")
	}
	b := &backend{}
	b.am, err = rsa.New(rsa.Config{URL: c["am-url"], CommandClientUser: c["am-cmdclient-user"], CommandClientPassword: cmdPW,
		AdminUser: c["am-admin"], AdminPassword: adminPW, AuthMethod: c["am-auth-method"], CAFile: c["am-ca-file"],
		InsecureSkipVerify: amInsecure, AllowPlainHTTP: c["am-allow-plain-http"] == "true"})
	if err != nil {
		return nil, usageErr("%v", err)
	}
	if b.am.PlainHTTP() {
		fmt.Fprintln(os.Stderr, "rsatui: WARNING: AM is reached over plain HTTP; the command-client and admin passwords and every code cross the network in cleartext.")
	}
	if needDir {
		b.dir, err = ad.New(ad.Config{URL: c["ldap-url"], BindUser: c["ldap-bind"], BindPassword: ldapPW, CAFile: c["ldap-ca-file"],
			BaseDN: c["ldap-base-dn"], InsecureSkipVerify: ldapInsecure})
		if err != nil {
			return nil, usageErr("%v", err)
		}
	}
	b.ops = rsa.NewOps(b.am)
	b.ops.IdentitySource = c["identity-source"]
	b.ops.ReadOnly = readOnly
	if b.ops.AuthAPI, err = authAPIClient(c); err != nil {
		b.close()
		return nil, err
	}
	src := c["identity-source"]
	if src == "" {
		src = "(the LDAP one)"
	}
	b.info = ui.Info{Server: hostOf(b.am.Endpoint()), IdentitySource: src, Admin: c["am-admin"],
		ReadOnly: readOnly, Insecure: b.am.Insecure(), PlainHTTP: b.am.PlainHTTP()}
	if b.dir != nil {
		b.info.Directory, b.info.Insecure = b.dir.URL(), b.info.Insecure || b.dir.Insecure()
	}
	return b, nil
}

func hostOf(u string) string {
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	if i := strings.IndexByte(u, '/'); i >= 0 {
		return u[:i]
	}
	return u
}

// eaLifetime is the emergency-access lifetime a change starts with
// ([defaults] ea_lifetime, else rsa.DefaultEALifetime), checked: a
// lifetime or never, within AM's default maximum.
func eaLifetime(c config) (string, error) {
	l := c["ea-lifetime"]
	if l == "" {
		return rsa.DefaultEALifetime, nil
	}
	if err := rsa.CheckEALifetime(l, time.Now()); err != nil {
		return "", usageErr("ea_lifetime %q: %s (e.g. 3d, 36h or never)", l, strings.TrimPrefix(err.Error(), rsa.ErrInvalidInput.Error()+": "))
	}
	return l, nil
}

// zoneOf is the zone a setting names (nil: none set, the machine's TZ),
// refused when this machine does not know it.
func zoneOf(tz string) (*time.Location, error) {
	if tz == "" {
		return nil, nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, usageErr("timezone %q: not a zone this machine knows (write it as Europe/Berlin, America/New_York or UTC)", tz)
	}
	return loc, nil
}

// verbZone makes the zone setting (--timezone, RSATUI_TIMEZONE,
// [console] timezone) the process's, for a verb: every time it prints is
// in that zone and says so. Without a setting, TZ as ever.
func verbZone(cmd *cobra.Command) error {
	c, _, err := loadConfigFile(cmd)
	if err != nil {
		return err
	}
	loc, err := zoneOf(c["timezone"])
	if loc != nil {
		time.Local = loc
	}
	return err
}

// consoleOptions are the console's own settings: the zone times are shown
// in (--timezone, RSATUI_TIMEZONE, [console] timezone, else TZ) and the
// [keys] table, both checked here, at start-up, with what to change.
func consoleOptions(cmd *cobra.Command) (ui.Options, error) {
	c, keys, err := loadConfigFile(cmd)
	if err != nil {
		return ui.Options{}, err
	}
	opt := ui.Options{NoColor: os.Getenv("NO_COLOR") != ""}
	if opt.Location, err = zoneOf(c["timezone"]); err != nil {
		return opt, err
	}
	if opt.EALifetime, err = eaLifetime(c); err != nil {
		return opt, err
	}
	if len(keys) > 0 {
		km, err := ui.WithKeys(keys)
		if err != nil {
			return opt, usageErr("config file %s: %v", configPath(cmd), err)
		}
		opt.Keys = &km
	}
	return opt, nil
}

// authAPIClient is the Authentication API's client when [authapi] url is
// set (nil otherwise). Its key comes from a file only: never the command
// line or the environment, which other processes see.
func authAPIClient(c config) (*authapi.Client, error) {
	if c["authapi-url"] == "" {
		if c["authapi-client-key-file"] != "" || c["authapi-agent"] != "" {
			return nil, usageErr("[authapi]: give url too (https://am:5555), or leave the section out")
		}
		return nil, nil
	}
	if c["authapi-client-key-file"] == "" || c["authapi-agent"] == "" {
		return nil, usageErr("[authapi]: url, client_key_file and agent go together")
	}
	key, err := os.ReadFile(c["authapi-client-key-file"])
	if err != nil {
		return nil, usageErr("--authapi-client-key-file: %v", err)
	}
	var pool *x509.CertPool
	if ca := c["am-ca-file"]; ca != "" { // the same AM: its certificate's CA
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, usageErr("--am-ca-file: %v", err)
		}
		pool = x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
	}
	cl, err := authapi.New(authapi.Config{URL: c["authapi-url"], Key: secret.Secret(strings.TrimSpace(string(key))), Agent: c["authapi-agent"],
		CAPool: pool, AllowPlainHTTP: c["am-allow-plain-http"] == "true"})
	if err != nil {
		return nil, usageErr("[authapi]: %v", err)
	}
	return cl, nil
}
