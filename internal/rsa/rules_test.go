package rsa_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rsatui/rsatui/internal/rsa"
)

// A typed emergency code that breaks the policy says which character: the
// admin corrects that one, not the whole code.
func TestCodePolicyNamesTheCharacter(t *testing.T) {
	err := rsa.CodePolicy("abc-1234")
	if !errors.Is(err, rsa.ErrInvalidInput) || !strings.Contains(err.Error(), `character 4, '-', is neither`) {
		t.Fatalf("%v", err)
	}
	if err := rsa.CodePolicy("abcd1234"); err != nil {
		t.Fatalf("a good code: %v", err)
	}
	if err := rsa.CodePolicy("abcdefgh"); err == nil || !strings.Contains(err.Error(), "one letter and one digit") {
		t.Fatalf("no digit: %v", err)
	}
}
