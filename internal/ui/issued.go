package ui

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/rsatui/rsatui/internal/action"
	"github.com/rsatui/rsatui/internal/qrterm"
	"github.com/rsatui/rsatui/internal/rsa"
)

// issuedPane shows an issued software token to the person on the phone:
// the QR code their app scans, drawn in the terminal, and beside it the
// activation code (or token string), the URL, when it expires, and that
// it is shown only now. It takes the whole screen: a QR code needs every
// line an 80×24 terminal has. It goes, with the secret, when the person
// moves on.
type issuedPane struct {
	paneBase
	shownOnce
	res  rsa.Issued
	link rsa.Secret
	code qrterm.Code
	err  error // the QR code could not be drawn (the text still is)
}

// issueFinished is an issue's result, for the person's screen.
func issueFinished(c *common, d issueDone) reqs {
	var rs reqs
	if d.res.After.Token.Serial != "" {
		rs = append(rs, tell(tokenNow{d.res.After}), tell(tokensStale{d.res.Login}))
	}
	switch {
	case errors.Is(d.err, rsa.ErrOutcomeUnknown):
		return append(rs, fail("Outcome unknown: "+explain(d.err)))
	case d.err != nil:
		return append(rs, fail("Not issued: "+explain(d.err)))
	}
	p := &issuedPane{shownOnce: shownOnce{"issued", "the QR code", "the QR code and the code are"}, res: d.res}
	switch d.res.Via {
	case rsa.ViaCTKIP:
		p.link = d.res.Activation.Link()
	case rsa.ViaCTF:
		p.link = rsa.CTFLink(d.res.CTF)
	}
	p.code, p.err = qrterm.Encode(p.link.Reveal())
	return append(rs, push(p), say("Issued: the app scans the QR code. It is shown only now."))
}

func (p *issuedPane) wholeScreen() bool { return true }

func (p *issuedPane) crumbs() []string { return []string{p.res.Serial, "issued"} }

// precious: the code is on screen only now.
func (p *issuedPane) precious() string {
	if p.res.Via == rsa.ViaCTKIP {
		return "The activation code is shown only now"
	}
	return "The token string is shown only now"
}

// text is what goes beside (or, without room, instead of) the QR code.
func (p *issuedPane) text(c *common) []string {
	st, r := c.st, p.res
	lines := []string{st.Title.Render("Software token issued"), "",
		"Token " + r.Serial + " → " + r.Login, r.Profile.Name, rsa.PINWords(r.Profile)}
	if r.FromPool {
		lines = append(lines, "(from the software-token pool)")
	}
	lines = append(lines, "")
	switch r.Via {
	case rsa.ViaCTKIP:
		lines = append(lines, "Activation code:", st.Code.Render(groupDigits(r.Activation.Code.Reveal())),
			"URL:", r.Activation.ServiceURL,
			"Expires "+r.Activation.Expires.In(c.loc).Format("2006-01-02 15:04"), "",
			"A new seed comes with the", "activation: an old phone's", "copy stops working then.")
	case rsa.ViaCTF:
		lines = append(lines, "Token string:", st.Code.Render(r.CTF.Reveal()))
		if r.NewSeed {
			lines = append(lines, "", "New seed: the old phone's", "copy stops working now.")
		}
	}
	lines = append(lines, "", st.Warn.Render("Shown only now."), st.Key.Render(keyOf(c, action.Done))+" done: it goes")
	return lines
}

// groupDigits writes a 12-digit code in threes, as it is read out.
func groupDigits(s string) string {
	var parts []string
	for len(s) > 3 {
		parts, s = append(parts, s[:3]), s[3:]
	}
	return strings.Join(append(parts, s), " ")
}

func (p *issuedPane) view(c *common, w, h int) string {
	text := p.text(c)
	if p.err != nil || p.code == nil {
		return strings.Join(append([]string{c.st.Err.Render(fmt.Sprintf("No QR code: %v", p.err)), ""}, text...), "\n")
	}
	qr := p.code.Lines()
	qw := lipgloss.Width(qr[0])
	if h < len(qr) || w < qw {
		// too small for the code: say so, and give what the app takes by hand
		return strings.Join(append([]string{c.st.Warn.Render(fmt.Sprintf(
			"The QR code needs %d×%d: make the window bigger to show it (this one is %d×%d).", qw, len(qr), w, h)), ""}, text...), "\n")
	}
	for i, l := range qr {
		qr[i] = c.st.QR.Render(l)
	}
	left := strings.Join(qr, "\n")
	textW := w - qw - 2
	if textW < 16 {
		return left // the code alone; the text is under it when there is room
	}
	// cut, not wrapped: a URL or token string broken at a hyphen reads
	// as two things
	var right []string
	for _, l := range text {
		for lipgloss.Width(l) > textW {
			r := []rune(l)
			right, l = append(right, string(r[:textW])), string(r[textW:])
		}
		right = append(right, l)
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, left, "  ", strings.Join(right, "\n"))
}
