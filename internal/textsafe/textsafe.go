// Package textsafe makes text from the directory and from AM safe to put in
// front of a person: whoever can edit a displayName (or an AM string) must
// not be able to send escape sequences to an admin's terminal (move the
// cursor, retitle the window, write the clipboard with OSC 52, fake a frame
// or a line), nor hide or reorder what is shown with bidi overrides. Every
// human-readable output — the console, the verbs' text, logs — goes through
// it; JSON output through EscapeJSON.
package textsafe

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// replacement stands for a control character.
const replacement = '\uFFFD'

// invisible reports whether r is a format character (Unicode category Cf:
// bidi embeddings, overrides and isolates, zero-width spaces and joiners,
// the BOM, …) that changes or hides what a line shows without being seen.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' // and the line and paragraph separators
}

// unsafe reports whether r must not reach a terminal as it is.
func unsafe(r rune) bool { return unicode.IsControl(r) || invisible(r) || r == utf8.RuneError }

// Line returns s with every control character (C0 including tab, CR and LF,
// DEL, C1 — raw or UTF-8 encoded — and invalid UTF-8) as U+FFFD and every
// invisible format character shown by its code point (⟨U+202E⟩), so that a
// value can neither act on the terminal nor break out of its field or line.
func Line(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, unsafe) {
		return s
	}
	return string(clean(nil, []byte(s), false))
}

// Writer passes text to w with the same treatment as Line, except that tab
// and newline (the layout of a table) pass as they are. It is the verbs'
// last line of defence: fields are made safe with Line where they are
// printed; whatever was missed still cannot act on the terminal.
type Writer struct{ W io.Writer }

func (s Writer) Write(p []byte) (int, error) {
	if utf8.Valid(p) && !bytes.ContainsFunc(p, func(r rune) bool { return unsafe(r) && r != '\t' && r != '\n' }) {
		return s.W.Write(p)
	}
	if _, err := s.W.Write(clean(nil, p, true)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// clean appends p to dst made safe as Line does; layout keeps tab and newline.
func clean(dst, p []byte, layout bool) []byte {
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRune(p[i:])
		switch {
		case layout && (r == '\t' || r == '\n'):
			dst = append(dst, byte(r))
		case r == utf8.RuneError && n <= 1, unicode.IsControl(r):
			dst = utf8.AppendRune(dst, replacement)
		case invisible(r):
			dst = fmt.Appendf(dst, "⟨U+%04X⟩", r)
		default:
			dst = append(dst, p[i:i+n]...)
		}
		i += n
	}
	return dst
}

// EscapeJSON rewrites encoded JSON so that C1 controls and invisible format
// characters, which encoding/json leaves as they are, appear as \u escapes:
// the same strings to a JSON reader, nothing a terminal acts on when the
// output is shown. (Outside strings JSON has no such characters.)
func EscapeJSON(b []byte) []byte {
	if !bytes.ContainsFunc(b, func(r rune) bool { return unsafe(r) && r >= 0x7f }) {
		return b
	}
	var out bytes.Buffer
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r >= 0x7f && (unicode.IsControl(r) || invisible(r)) {
			fmt.Fprintf(&out, `\u%04x`, r)
		} else {
			out.Write(b[i : i+n])
		}
		i += n
	}
	return out.Bytes()
}

// Frame makes a whole console frame safe as it goes to the terminal: the
// last net under every value a pane forgot to pass through Line. Newlines
// (the frame's lines) stay, and so does ESC where it starts an SGR sequence
// (ESC [ digits ; : … m — the colours lipgloss writes, which cannot move
// the cursor, clear, retitle or reach the clipboard); every other ESC,
// control character, format character, line or paragraph separator and
// invalid byte becomes U+FFFD (one cell, so the layout barely moves).
func Frame(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r != '\n' && (unsafe(r) || invisible(r)) }) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\n':
			b.WriteByte('\n')
		case r == 0x1b:
			if end := sgrEnd(s[i:]); end > 0 {
				b.WriteString(s[i : i+end])
				i += end
				continue
			}
			b.WriteRune(replacement)
		case r == utf8.RuneError && n <= 1, unicode.IsControl(r), invisible(r):
			b.WriteRune(replacement)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// sgrEnd is the length of the SGR sequence s starts with, or 0.
func sgrEnd(s string) int {
	if len(s) < 3 || s[0] != 0x1b || s[1] != '[' {
		return 0
	}
	for i := 2; i < len(s) && i < 64; i++ {
		switch c := s[i]; {
		case c == 'm':
			return i + 1
		case c >= '0' && c <= '9', c == ';', c == ':':
		default:
			return 0
		}
	}
	return 0
}
