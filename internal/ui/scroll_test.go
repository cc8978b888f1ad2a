package ui_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

var codeRE = regexp.MustCompile(`\b[A-Za-z0-9]{8}\b`)

// codesOn is the one-time codes in the code box of a frame.
func codesOn(frame string, into map[string]bool) {
	for _, l := range strings.Split(frame, "\n") {
		if !strings.Contains(l, "│") {
			continue
		}
		for _, c := range codeRE.FindAllString(l, -1) {
			if strings.ContainsAny(c, "0123456789") && strings.ContainsAny(c, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
				into[c] = true
			}
		}
	}
}

// A hundred one-time codes: every one can be reached by scrolling, the
// screen says where one is, and a wide window puts more in a row (it
// was: 68 of them visible at 80×24 and no key scrolled; four a row at
// 160 columns).
func TestHundredCodesScroll(t *testing.T) {
	for _, w := range []int{80, 160} {
		world := newWorld(t)
		s := start(t, world.model(false), w, 24)
		waitScreen(t, s, "people. enter opens their tokens.")
		openTokens(t, s, "jdoe", "John Doe")
		s.Send(key("e"))
		waitScreen(t, s, "Online emergency access for token")
		s.Send(key("right"))
		s.Send(key("right")) // a set of one-time tokencodes
		s.Send(key("tab"))
		s.Send(key("backspace"))
		typeText(s, "100")
		waitScreen(t, s, "How many     100")
		s.Send(key("enter"))
		waitScreen(t, s, "Please confirm", "a set of 100 one-time")
		s.Send(key("y"))
		waitScreen(t, s, "Emergency access is on", "One-time tokencodes", "lines 1–")
		seen := map[string]bool{}
		codesOn(s.screen(), seen)
		if w == 160 {
			first := 0
			for _, l := range strings.Split(s.screen(), "\n") {
				if strings.Contains(l, "│") && len(codeRE.FindAllString(l, -1)) > 0 {
					first = len(codeRE.FindAllString(l, -1))
					break
				}
			}
			if first < 10 {
				t.Errorf("160 columns: %d codes in the first row, want 10", first)
			}
		}
		// one line a key: wait for each step to be drawn, to the bottom
		for top := 2; !strings.Contains(s.screen(), "↑/pgup back") && top < 100; top++ {
			s.Send(key("down"))
			waitScreen(t, s, fmt.Sprintf("lines %d–", top))
			codesOn(s.screen(), seen)
		}
		if len(seen) != 100 {
			t.Fatalf("%d columns: %d of 100 codes reached by scrolling; last frame:\n%s", w, len(seen), s.screen())
		}
	}
}

// The token's fields with their explanations scroll to the last one.
func TestDetailExplanationsScroll(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 80, 24)
	waitScreen(t, s, "people. enter opens their tokens.")
	openTokens(t, s, "jdoe", "John Doe")
	s.Send(key("enter"))
	waitScreen(t, s, "serialNumber", "read from AM at")
	s.Send(key("i"))
	waitScreen(t, s, "the number printed on the token", "lines 1–")
	if strings.Contains(s.screen(), "emergencyAccessTokenCodeAllowed") {
		t.Fatal("the whole list fits at 80×24: nothing to test")
	}
	s.Send(key("end"))
	waitScreen(t, s, "emergencyAccessTokenCodeAllowed", "the offline code may be used online", "↑/pgup back")
}

// The help scrolls in a small window and any other key closes it.
func TestHelpScrolls(t *testing.T) {
	world := newWorld(t)
	s := start(t, world.model(false), 60, 20)
	waitScreen(t, s, "people. enter opens their tokens.")
	s.Send(key("?"))
	waitScreen(t, s, "Keys on this screen", "lines 1–")
	s.Send(key("end"))
	waitScreen(t, s, "ctrl+c always quits")
	s.Send(key("x"))
	waitScreen(t, s, "people. enter opens")
	if strings.Contains(s.screen(), "Keys on this screen") {
		t.Fatal("a key other than a scroll key did not close the help")
	}
}
