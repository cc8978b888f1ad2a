package rsa_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rsatui/rsatui/internal/demo"
	"github.com/rsatui/rsatui/internal/rsa"
	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/amsim"
	"github.com/rsatui/rsatui/internal/securid/stokentest"
)

// stokenCode is the tokencode stoken shows now (the simulator's clock) for
// the token a CTF string or .sdtid file holds.
func stokenCode(t *testing.T, e *env, password string, arg string) string {
	t.Helper()
	return stokentest.Tokencode(t, e.clock.Now(), password, arg)
}

func accepted(t *testing.T, o *rsa.Ops, login, code string) bool {
	t.Helper()
	res, err := o.TestPasscode(context.Background(), login, rsa.Secret(demo.DemoPIN+code), nil)
	if err != nil {
		t.Fatalf("passcode test of %s: %v", login, err)
	}
	return res.Accepted
}

// The new-phone call, end to end: what rsatui issues, Debian's stoken
// imports, and AM accepts PIN + the code stoken shows; a re-issue with a
// new seed makes the old copy's code refused.
func TestIssuedSoftwareTokensWorkInStoken(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	login := "cmueller" // holds one software token
	serial := e.ds.TokensOf(login)[0]

	ctf, err := o.IssueSoftware(ctx, rsa.IssueRequest{Login: login, Via: rsa.ViaCTF})
	if err != nil {
		t.Fatal(err)
	}
	if ctf.Serial != serial || ctf.CTF == "" || ctf.FromPool {
		t.Fatalf("issued %+v", ctf)
	}
	if !slices.Equal(ctf.Commands, rsa.IssuePlan(rsa.ViaCTF, false, false, false).Commands()) {
		t.Errorf("commands %v are not the plan's %v", ctf.Commands, rsa.IssuePlan(rsa.ViaCTF, false, false, false).Commands())
	}
	oldCopy := "--token=" + ctf.CTF.Reveal()
	if code := stokenCode(t, e, "", oldCopy); !accepted(t, o, login, code) {
		t.Fatalf("PIN + stoken's code %s from the CTF string was refused", code)
	}

	// a token file, password protected; stoken reads it with the password
	e.clock.Add(2 * 60e9) // past the accepted code: no replay
	file, err := o.IssueSoftware(ctx, rsa.IssueRequest{Login: login, Via: rsa.ViaFile, Profile: "Desktop (token file)",
		Password: "file-Passw0rd"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(file.File.Bytes()), "<?xml") || file.File.Name != serial+".sdtid" {
		t.Fatalf("token file %q: %.40s", file.File.Name, file.File.Bytes())
	}
	p := filepath.Join(t.TempDir(), file.File.Name)
	if err := os.WriteFile(p, file.File.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := stokenCode(t, e, "file-Passw0rd", "--file="+p); !accepted(t, o, login, code) {
		t.Fatalf("PIN + stoken's code %s from the .sdtid was refused", code)
	}
	stokentest.Fails(t, "wrong-password\n", "tokencode", "--file="+p, "--stdin")

	// the new phone: a new seed; the old copies' codes are refused now
	e.clock.Add(2 * 60e9)
	fresh, err := o.IssueSoftware(ctx, rsa.IssueRequest{Login: login, Via: rsa.ViaCTF, NewSeed: true})
	if err != nil {
		t.Fatal(err)
	}
	if code := stokenCode(t, e, "", oldCopy); accepted(t, o, login, code) {
		t.Fatalf("the old phone's code %s was accepted after a re-issue with a new seed", code)
	}
	e.clock.Add(2 * 60e9)
	if code := stokenCode(t, e, "", "--token="+fresh.CTF.Reveal()); !accepted(t, o, login, code) {
		t.Fatalf("the new phone's code %s was refused", code)
	}
}

func TestIssueByActivationCode(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	res, err := o.IssueSoftware(ctx, rsa.IssueRequest{Login: "cmueller", Via: rsa.ViaCTKIP})
	if err != nil {
		t.Fatal(err)
	}
	a := res.Activation
	if len(a.Code.Reveal()) != 12 || a.Expires.Before(e.clock.Now()) || !strings.HasPrefix(a.ServiceURL, "https://") {
		t.Fatalf("activation %+v (code %d digits)", a, len(a.Code.Reveal()))
	}
	link, err := url.Parse(a.Link().Reveal())
	if err != nil || link.Query().Get("activationCode") != a.Code.Reveal() || !strings.Contains(a.ServiceURL, link.Query().Get("url")) {
		t.Fatalf("link %v: %v", link, err)
	}
	// the phone's app redeems it once; the token it gets is AM's
	tok, err := e.sim.Activate(a.Code.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	if !accepted(t, o, "cmueller", tok.Code(e.clock.Now(), "")) {
		t.Fatal("the activated phone's code was refused")
	}
	if _, err := e.sim.Activate(a.Code.Reveal()); err == nil {
		t.Fatal("an activation code was good twice")
	}
	// a code not used within its lifetime expires
	later, err := o.IssueSoftware(ctx, rsa.IssueRequest{Login: "cmueller", Via: rsa.ViaCTKIP})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(later.Activation.Expires.Sub(e.clock.Now()) + time.Minute)
	if _, err := e.sim.Activate(later.Activation.Code.Reveal()); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("an expired activation code: %v", err)
	}
}

func TestIssueRules(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	// a hardware token holder: one token a person
	if _, err := o.IssueSoftware(ctx, rsa.IssueRequest{Login: "jdoe", Via: rsa.ViaCTF}); !errors.Is(err, rsa.ErrRule) || !strings.Contains(err.Error(), "one token a person") {
		t.Fatalf("jdoe (key fob): %v", err)
	}
	if _, err := o.IssueSoftware(ctx, rsa.IssueRequest{Serial: e.ds.TokensOf("jdoe")[0], Via: rsa.ViaCTF}); !errors.Is(err, rsa.ErrRule) || !strings.Contains(err.Error(), "only a software token") {
		t.Fatalf("a key fob by serial: %v", err)
	}
	// a desktop profile cannot take a QR code
	if _, err := o.IssueSoftware(ctx, rsa.IssueRequest{Login: "cmueller", Via: rsa.ViaCTKIP, Profile: "Desktop (token file)"}); !errors.Is(err, rsa.ErrInvalidInput) || !strings.Contains(err.Error(), "Phone (QR code)") {
		t.Fatalf("QR on a desktop profile: %v", err)
	}
	// a person with no token: from the software-token pool, assigned —
	// which a help-desk person may not do (assigning is an admin's)
	hd, _ := rsa.GrantOf(rsa.RoleHelpdesk, "")
	if _, err := o.For(rsa.Actor{}, hd).IssueSoftware(ctx, rsa.IssueRequest{Login: "fnotoken", Via: rsa.ViaCTF}); !errors.Is(err, rsa.ErrNotPermitted) {
		t.Fatalf("helpdesk from the pool: %v", err)
	}
	res, err := o.IssueSoftware(ctx, rsa.IssueRequest{Login: "fnotoken", Via: rsa.ViaCTF})
	if err != nil {
		t.Fatal(err)
	}
	if !res.FromPool || res.After.Token.AssignedUserID != "fnotoken" {
		t.Fatalf("from the pool: %+v", res.After.Token)
	}
	// AM's issue limit (3): the fourth is refused, and says what to do
	for i := 2; i <= 3; i++ {
		if _, err := o.IssueSoftware(ctx, rsa.IssueRequest{Login: "fnotoken", Via: rsa.ViaCTF, NewSeed: true}); err != nil {
			t.Fatalf("issue %d: %v", i, err)
		}
	}
	if _, err := o.IssueSoftware(ctx, rsa.IssueRequest{Login: "fnotoken", Via: rsa.ViaCTF}); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("the fourth issue: %v", err)
	}
	// a help-desk person may issue a person's own software token, a viewer not
	if _, err := o.For(rsa.Actor{}, hd).IssueSoftware(ctx, rsa.IssueRequest{Login: "cmueller", Via: rsa.ViaCTF}); err != nil {
		t.Fatalf("helpdesk: %v", err)
	}
	viewer, _ := rsa.GrantOf(rsa.RoleViewer, "")
	if _, err := o.For(rsa.Actor{}, viewer).IssueSoftware(ctx, rsa.IssueRequest{Login: "cmueller", Via: rsa.ViaCTF}); !errors.Is(err, rsa.ErrNotPermitted) && !errors.Is(err, rsa.ErrReadOnly) {
		t.Fatalf("viewer: %v", err)
	}
}

// sim tokencode and stoken agree for every demo token type.
func TestSimTokencodesAgreeWithStoken(t *testing.T) {
	_, e := newOps(t, amsim.Options{})
	seen := map[string]bool{}
	for _, tk := range e.ds.Tokens {
		kind := tk.Type.String()
		if seen[kind] {
			continue
		}
		seen[kind] = true
		app, ok := e.sim.SoftwareToken(tk.Serial)
		if !ok {
			t.Fatal(tk.Serial)
		}
		ctf, err := app.CTF("")
		if err != nil {
			t.Fatal(err)
		}
		cur, _, err := e.sim.Tokencodes(tk.Serial)
		if err != nil {
			t.Fatal(err)
		}
		if want := stokenCode(t, e, "", "--token="+ctf); cur != want {
			t.Errorf("%s %s: sim tokencode %s, stoken %s", kind, tk.Serial, cur, want)
		}
	}
	if len(seen) < 2 {
		t.Fatalf("only %v", seen)
	}
}

// A lost reply to an issue: the secret is lost with it; rsatui says the
// outcome is unknown and what to do (issue again with a new seed), never
// "not issued"; the re-issue works. A PINless profile's token logs in with
// the tokencode alone.
func TestIssueLostReplyAndPINless(t *testing.T) {
	o, e := newOps(t, amsim.Options{})
	ctx := context.Background()
	e.sim.Inject(amsim.Rule{Command: amproto.GenerateSoftTokenTSFCommand, Action: amsim.DropAfter})
	_, err := o.IssueSoftware(ctx, rsa.IssueRequest{Login: "cmueller", Via: rsa.ViaCTF})
	if !errors.Is(err, rsa.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "issue it again, with a new seed") {
		t.Fatalf("lost reply: %v", err)
	}
	res, err := o.IssueSoftware(ctx, rsa.IssueRequest{Login: "cmueller", Via: rsa.ViaCTKIP, Profile: "Phone, PINless (QR code)"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.sim.Activate(res.Activation.Code.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	r, err := o.TestPasscode(ctx, "cmueller", rsa.Secret(tok.Code(e.clock.Now(), "")), nil)
	if err != nil || !r.Accepted {
		t.Fatalf("PINless: the tokencode alone: %+v %v", r, err)
	}
}

// What an issue records and plans is what AM received, for every delivery,
// the person's own token and one from the pool (a token from the pool read
// the person twice while its record said once).
func TestIssuePlansAreWhatIsSent(t *testing.T) {
	for _, c := range []struct {
		login string
		via   rsa.Delivery
		pool  bool
	}{{"cmueller", rsa.ViaCTKIP, false}, {"cmueller", rsa.ViaCTF, false}, {"cmueller", rsa.ViaFile, false}, {"fnotoken", rsa.ViaCTF, true}} {
		o, e := newOps(t, amsim.Options{})
		profile := ""
		if c.via == rsa.ViaFile {
			profile = "Desktop (token file)"
		}
		e.sim.Trace()
		res, err := o.IssueSoftware(context.Background(), rsa.IssueRequest{Login: c.login, Via: c.via, Profile: profile})
		if err != nil {
			t.Fatal(err)
		}
		var sent []string
		for _, s := range e.sim.Spans() {
			if s.Command != "LoginCommand" {
				sent = append(sent, s.Command)
			}
		}
		plan := rsa.IssuePlan(c.via, false, c.pool, false).Commands()
		slices.Sort(sent)
		recorded := slices.Sorted(slices.Values(res.Commands))
		slices.Sort(plan)
		if !slices.Equal(sent, recorded) || !slices.Equal(plan, recorded) {
			t.Errorf("%s by %s: sent %v\nrecorded %v\nplanned %v", c.login, c.via, sent, recorded, plan)
		}
	}
}
