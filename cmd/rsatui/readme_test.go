package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/ui"
)

// allFlags collects every flag name of the command tree.
func allFlags(c *cobra.Command, into map[string]bool) {
	add := func(f *pflag.Flag) {
		into[f.Name] = true
		if f.Shorthand != "" {
			into[f.Shorthand] = true
		}
	}
	c.Flags().VisitAll(add)
	c.PersistentFlags().VisitAll(add)
	for _, sub := range c.Commands() {
		allFlags(sub, into)
	}
}

// TestREADMEFlagsExist: every --flag the README mentions is a real flag, and
// every verb it shows is a real command, so the docs cannot drift.
func TestREADMEFlagsExist(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	root := newRoot()
	flags := map[string]bool{"help": true, "version": true}
	allFlags(root, flags)
	found := 0
	for _, m := range regexp.MustCompile(`(?:^|[\s\x60(|\[])--([a-z][a-z0-9-]+)`).FindAllStringSubmatch(string(readme), -1) {
		found++
		if !flags[m[1]] {
			t.Errorf("README mentions --%s, which no command has", m[1])
		}
	}
	if found < 20 {
		t.Fatalf("only %d flags found in the README: the pattern is broken", found)
	}
	for _, m := range regexp.MustCompile(`(?m)^rsatui ([a-z]+)(?: ([a-z][a-z|-]*))?`).FindAllStringSubmatch(string(readme), -1) {
		args := []string{m[1]}
		if m[2] != "" {
			args = append(args, strings.Split(m[2], "|")[0])
		}
		cmd, rest, err := root.Find(args)
		if err != nil || cmd == root || (len(rest) > 0 && cmd.HasSubCommands()) { // a leaf takes arguments: rsatui activity jdoe
			t.Errorf("README shows `rsatui %s`, which is not a command", strings.Join(args, " "))
		}
	}
}

// TestHelpNamesEveryVerb: --help lists each verb the README documents.
func TestHelpNamesEveryVerb(t *testing.T) {
	root := newRoot()
	var b strings.Builder
	root.SetOut(&b)
	root.SetArgs([]string{"--help"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"users", "tokens", "token", "user", "ea", "auth", "activity", "audit", "sim"} {
		if !strings.Contains(b.String(), "\n  "+verb+" ") {
			t.Errorf("--help does not list %q", verb)
		}
	}
	for _, hidden := range []string{"am-admin-password ", "man "} {
		if strings.Contains(b.String(), hidden) {
			t.Errorf("--help shows the hidden %q", hidden)
		}
	}
}

// TestSettingsHaveFileKeys: every setting's config-file key is a field of
// fileConfig, so the TOML library decodes it (and reports any other key).
// TestREADMEPermissionsTable: every permission of rsa's table has a row in
// the README's, with the roles that have it, so a new operation's
// permission cannot go undocumented.
func TestREADMEPermissionsTable(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rsa.Permissions() {
		var row string
		for _, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(line, "| ") && strings.Contains(line, "`"+string(p)+"`") {
				row = line
			}
		}
		if row == "" {
			t.Errorf("README's permissions table has no row for %s", p)
			continue
		}
		cells := strings.Split(strings.Trim(row, "| "), " | ")
		for i, role := range rsa.Roles() {
			g, _ := rsa.GrantOf(role, "")
			want := map[bool]string{true: "yes", false: "no"}[g.Has(p)]
			if i+1 >= len(cells) || cells[i+1] != want {
				t.Errorf("README says %s for %s's %s, the table says %s", cells[min(i+1, len(cells)-1)], role, p, want)
			}
		}
	}
}

func TestSettingsHaveFileKeys(t *testing.T) {
	var f fileConfig
	for _, s := range settings {
		path := filepath.Join(t.TempDir(), "config.toml")
		v := `"x"`
		if s.isBool {
			v = "true"
		}
		if err := os.WriteFile(path, []byte("["+s.section+"]\n"+s.key+" = "+v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		meta, err := toml.DecodeFile(path, &f)
		if err != nil || len(meta.Undecoded()) != 0 || f.value(s.section, s.key) != strings.Trim(v, `"`) {
			t.Errorf("--%s: %s.%s is not a key of fileConfig (%v, undecoded %v)", s.flag, s.section, s.key, err, meta.Undecoded())
		}
	}
}

// TestConfigFileErrors: the example config decodes; an unknown key and a
// value of the wrong type are refused with the file, the key and the line.
func TestConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	run := func(content string) error {
		path := filepath.Join(dir, "config.toml")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("RSATUI_CONFIG", path)
		cmd, _, _ := newRoot().Find([]string{"tokens", "list"})
		_, err := loadConfig(cmd)
		return err
	}
	example, err := os.ReadFile("../../docs/config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := run(string(example)); err != nil {
		t.Fatalf("the example config: %v", err)
	}
	cmd, _, _ := newRoot().Find([]string{"tokens", "list"})
	if _, file, err := loadFile(cmd); err != nil {
		t.Fatal(err)
	} else if p, err := file.Config.Apply(); err != nil || p.Limits.PerPerson != 3 || p.Approve.EALongerThan != 7*24*time.Hour {
		t.Fatalf("the example's caller policy: %+v %v", p, err)
	}
	for content, want := range map[string]string{
		"[am]\nurl = \"https://x\"\nadmn = \"typo\"\n":      "unknown key am.admn",
		"[ldap]\ninsecure_skip_verify = \"yes\"\n":          "insecure_skip_verify",
		"[am]\ninsecure_skip_verify = true\n[colours]\nx=1": "colours.x",
	} {
		if err := run(content); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error naming %q", content, err, want)
		}
	}
}

// TestConsoleSettings: [keys] and timezone are checked at start-up, with
// what to change; a good table and zone reach the console.
func TestConsoleSettings(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	t.Setenv("RSATUI_CONFIG", path)
	t.Setenv("RSATUI_TIMEZONE", "")
	opts := func(content string) (ui.Options, error) {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return consoleOptions(newRoot())
	}
	opt, err := opts("[console]\ntimezone = \"Europe/Berlin\"\n[keys]\nemergency-access = [\"E\"]\n")
	if err != nil || opt.Location == nil || opt.Location.String() != "Europe/Berlin" || opt.Keys == nil || (*opt.Keys)[action.EmergencyAccess].Keys()[0] != "E" {
		t.Fatalf("good settings: %+v %v", opt, err)
	}
	for content, want := range map[string]string{
		"[keys]\nemergency-access = [\"x\"]\n":     `"x" is bound to both emergency-access and end-emergency-access`,
		"[keys]\nfly = [\"f\"]\n":                  "[keys] fly: no such action",
		"[keys]\nquit = \"q\"\n":                   "keys.quit", // the TOML library's own type check
		"[console]\ntimezone = \"Mars/Olympus\"\n": `timezone "Mars/Olympus": not a zone`,
	} {
		if _, err := opts(content); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", content, err, want)
		}
	}
	t.Setenv("RSATUI_TIMEZONE", "Asia/Tokyo") // the variable wins over the file
	if opt, err := opts("[console]\ntimezone = \"Europe/Berlin\"\n"); err != nil || opt.Location.String() != "Asia/Tokyo" {
		t.Fatalf("RSATUI_TIMEZONE: %v %v", opt.Location, err)
	}
}
