package service

import (
	"net/mail"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// UILanguages are the languages the interface is offered in.
var UILanguages = []string{"de", "en", "ar", "fa", "fa-AF", "ps", "tr", "ru", "uk", "kmr"}

// IsUILanguage reports whether code is one of UILanguages.
func IsUILanguage(code string) bool {
	for _, l := range UILanguages {
		if l == code {
			return true
		}
	}
	return false
}

// CanonicalLanguage returns the canonical BCP 47 form of a language a
// counselor may speak ("FA-af" → "fa-AF"), or false if it names no known language.
func CanonicalLanguage(code string) (string, bool) {
	if code == "" || len(code) > 16 {
		return "", false
	}
	tag, err := language.Parse(code)
	if err != nil {
		return "", false
	}
	if _, conf := tag.Base(); conf != language.Exact {
		return "", false
	}
	return tag.String(), true
}

// LoadZone returns the IANA time zone named, refusing "" and "Local" which
// would depend on the server's settings.
func LoadZone(name string) (*time.Location, bool) {
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, false
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), true
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	zones.Store(name, loc)
	return loc, true
}

// zones caches the zones LoadZone found: time.LoadLocation reads and parses
// the zone file every time, and a search needs the zone of every counselor
// it lists. Only names that exist are kept, so the cache cannot grow with
// what clients send, only up to the some 600 zones there are.
var zones sync.Map

// problems collects field errors as translation keys.
type problems map[string]string

func (p problems) check(ok bool, field, key string) {
	if !ok {
		if _, seen := p[field]; !seen {
			p[field] = key
		}
	}
}

// err returns nil when there are no problems.
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return invalid(p)
}

func validText(s string, max int) bool {
	return utf8.ValidString(s) && utf8.RuneCountInString(s) <= max && !strings.ContainsRune(s, 0)
}

// hiddenChars reports whether s holds characters that change how text looks
// without being seen: control characters (line breaks and tabs are allowed
// where multiline) and the Unicode direction overrides and isolates
// U+202A–U+202E and U+2066–U+2069, with which a name can be made to read
// as another. The direction marks U+200E, U+200F and U+061C stay allowed:
// they only place neutral characters such as punctuation in mixed
// right-to-left and left-to-right text, and cannot reorder words.
func hiddenChars(s string, multiline bool) bool {
	for _, r := range s {
		switch {
		case multiline && (r == '\n' || r == '\r' || r == '\t'):
		case unicode.IsControl(r), r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			return true
		}
	}
	return false
}

// validUsername allows letters and digits of any script plus . _ -, 3–40
// characters: pseudonyms in Arabic or Cyrillic script are welcome.
func validUsername(s string) bool {
	n := utf8.RuneCountInString(s)
	if !utf8.ValidString(s) || n < 3 || n > 40 {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '_' && r != '-' {
			return false
		}
	}
	return true
}

func validEmail(s string) bool {
	if s == "" {
		return true
	}
	if len(s) > 254 {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}
