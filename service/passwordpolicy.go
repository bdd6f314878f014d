package service

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"eyelevel/store"

	"golang.org/x/text/unicode/norm"
)

// Password rules after NIST SP 800-63B: length matters, composition rules
// do not, and passwords that attackers try first are refused.
const (
	MinPasswordRunes = 10
	MaxPasswordRunes = 256
	// DemoPassword is printed by `serve --demo`, so it is public and
	// refused outside demo mode.
	DemoPassword = "eyelevel-demo"
)

//go:embed commonpasswords.txt
var commonPasswordsText string

// commonPasswords is the embedded list as a set, built on first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 30000)
	for line := range strings.Lines(commonPasswordsText) {
		line = strings.TrimRight(line, "\r\n")
		if line != "" && !strings.HasPrefix(line, "#") {
			set[line] = struct{}{}
		}
	}
	return set
})

// passwordProblem returns the translation key of the first rule password
// breaks for the account username, or "" if it is acceptable. demo allows
// the published demo password.
func passwordProblem(password, username string, demo bool) string {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password) || n < MinPasswordRunes:
		return "account.err.password"
	case n > MaxPasswordRunes:
		return "account.err.password_long"
	case oneRepeated(password):
		return "account.err.password_repeated"
	}
	key := strings.ToLower(norm.NFKC.String(password))
	switch {
	case username != "" && key == store.UsernameKey(username):
		return "account.err.password_username"
	case key == DemoPassword && !demo:
		return "account.err.password_demo"
	}
	if _, ok := commonPasswords()[key]; ok {
		return "account.err.password_common"
	}
	return ""
}

// oneRepeated reports whether s is only whitespace or one character repeated.
func oneRepeated(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	same, blank := true, true
	for _, r := range s {
		same = same && r == first
		blank = blank && unicode.IsSpace(r)
	}
	return same || blank
}

// checkPassword adds the password's problem, if any, to p.
func checkPassword(p problems, password, username string, demo bool) {
	if key := passwordProblem(password, username, demo); key != "" {
		p["password"] = key
	}
}
