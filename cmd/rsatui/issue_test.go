package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/qrterm/qrtest"
	"github.com/rsatui/rsatui/internal/securid/stokentest"
)

type issuedJSON struct {
	Outcome        string   `json:"outcome"`
	Serial         string   `json:"serial"`
	Login          string   `json:"login"`
	FromPool       bool     `json:"from_pool"`
	ActivationCode string   `json:"activation_code"`
	ActivationURL  string   `json:"activation_url"`
	CTF            string   `json:"ctf"`
	Link           string   `json:"link"`
	File           string   `json:"file"`
	QRPNG          string   `json:"qr_png"`
	Commands       []string `json:"am_commands"`
}

func (c *cli) issue(stdin string, args ...string) issuedJSON {
	c.t.Helper()
	out, errs, code := c.run(stdin, append([]string{"token", "issue", "--json", "--verified", verified}, args...)...)
	var r issuedJSON
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.Outcome != "applied" {
		c.t.Fatalf("token issue %v: exit %d\n%s\n%s", args, code, out, errs)
	}
	return r
}

// The new-phone call from a script: rsatui issues a CTF string and a
// .sdtid from `rsatui sim`; Debian's stoken imports each, and `rsatui auth
// test` with the PIN + stoken's code is accepted; after a re-issue with a
// new seed, the old import's code is refused. Nothing secret reaches
// stderr or the audit.
func TestIssueVerbWithStoken(t *testing.T) {
	c := setup(t)
	c.config(unlimited) // one person, five issues
	login := "cmueller" // holds one software token
	dir := t.TempDir()

	ctf := c.issue("", "--next-software", login, "--via", "ctf")
	if len(ctf.CTF) != 81 || !strings.HasSuffix(ctf.Link, ctf.CTF) {
		t.Fatalf("issued %+v", ctf)
	}
	rc := filepath.Join(dir, "old.stokenrc") // the old phone: an import into stoken
	stokentest.Run(t, "", "import", "--token="+ctf.CTF, "--rcfile="+rc, "--new-password=", "--force")
	code := stokentest.Run(t, "", "tokencode", "--rcfile="+rc)
	if r, exit := c.authTest(demo.DemoPIN+code+"\n", login); !r.Accepted || exit != 0 {
		t.Fatalf("PIN + stoken's code from the CTF import: %+v (exit %d)", r, exit)
	}

	sdtid := filepath.Join(dir, "phone.sdtid")
	qr := filepath.Join(dir, "never.png")
	c.fails(1, "no QR code", "token", "issue", "--next-software", login, "--via", "file", "--out", sdtid, "--qr-png", qr)
	c.fails(1, "--out FILE", "token", "issue", "--next-software", login, "--via", "file")
	file := c.issue("S3cret-file\n", "--next-software", login, "--via", "file", "--out", sdtid, "--protect")
	if fi, err := os.Stat(sdtid); err != nil || fi.Mode().Perm() != 0o600 || file.File != sdtid {
		t.Fatalf("token file %v %v", fi, err)
	}
	c.fails(1, "exists", "token", "issue", "--next-software", login, "--via", "file", "--out", sdtid)
	fileCode := stokentest.Run(t, "S3cret-file\n", "tokencode", "--file="+sdtid, "--stdin", "--next")
	if r, _ := c.authTest(demo.DemoPIN+fileCode+"\n", login); !r.Accepted {
		t.Fatalf("PIN + stoken's code from the .sdtid: %+v", r)
	}

	// the new phone: a new seed; the old import's code (of a later
	// interval than any used) is refused, the new one's accepted
	fresh := c.issue("", "--next-software", login, "--via", "ctf", "--new-seed", "--qr-png", filepath.Join(dir, "ctf.png"))
	if got := qrtest.DecodePNG(t, fresh.QRPNG); got != fresh.Link {
		t.Fatalf("the CTF QR decodes to %q, want the link", got)
	}
	old := stokentest.Run(t, "", "tokencode", "--rcfile="+rc, "--use-time=+120")
	if r, _ := c.authTest(demo.DemoPIN+old+"\n", login); r.Accepted {
		t.Fatal("the old phone's code was accepted after a re-issue with a new seed")
	}
	newCode := stokentest.Run(t, "", "tokencode", "--token="+fresh.CTF, "--next")
	if r, _ := c.authTest(demo.DemoPIN+newCode+"\n", login); !r.Accepted {
		t.Fatalf("the new phone's code: %+v", r)
	}

	// AM's issue limit: a fourth issue is refused and says what to do
	c.fails(3, "replace it with another software token", "token", "issue", "--next-software", login, "--via", "ctf", "--verified", verified)

	// a person with no token, from the software-token pool: a QR code for
	// dynamic seed provisioning, as a PNG a phone scans
	png := filepath.Join(dir, "qr.png")
	act := c.issue("", "--next-software", "fnotoken", "--via", "ctkip", "--qr-png", png)
	if !act.FromPool {
		t.Fatalf("fnotoken's token did not come from the pool: %+v", act)
	}
	got := qrtest.DecodePNG(t, png)
	if !strings.Contains(got, "activationCode="+act.ActivationCode) || len(act.ActivationCode) != 12 ||
		!strings.Contains(got, strings.TrimPrefix(act.ActivationURL, "https://")) {
		t.Fatalf("QR %q for code %s at %s", got, act.ActivationCode, act.ActivationURL)
	}

	// wrong input: clear errors, nothing issued
	c.fails(1, "--via", "token", "issue", "--next-software", login)
	c.fails(1, "ctkip (QR code)", "token", "issue", "--next-software", login, "--via", "pigeon")
	c.fails(1, "not both", "token", "issue", c.ds.TokensOf(login)[0], "--next-software", login, "--via", "ctf")
	c.fails(3, "only a software token", "token", "issue", c.ds.TokensOf("jdoe")[0], "--via", "ctf")

	// the software-token pool
	var pool []struct {
		Serial string `json:"serial"`
		Type   string `json:"type"`
	}
	c.ok(&pool, "tokens", "pool", "--software", "--json")
	if len(pool) == 0 || pool[0].Type != "software token" {
		t.Fatalf("software pool: %+v", pool)
	}

	// the secrets went to stdout once and nowhere else
	audit, _ := os.ReadFile(c.audit)
	for _, s := range []string{ctf.CTF, fresh.CTF, act.ActivationCode, "S3cret-file"} {
		if strings.Contains(c.stderr.String(), s) || strings.Contains(string(audit), s) {
			t.Fatalf("a secret reached stderr or the audit")
		}
	}
	if !strings.Contains(string(audit), "token.issue-software") {
		t.Fatal("the issues are not in the audit")
	}
}
