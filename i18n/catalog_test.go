package i18n

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/language"
)

// sameAsEnglish lists the keys whose text may equal the English one, and
// in which languages ("*" for all): names, and words a language shares.
var sameAsEnglish = map[string][]string{
	"app.name":            {"*"},
	"room.chat.heading":   {"de"},
	"appointments.status": {"de"},
	"language.fa-AF":      {"de"},
	"instruments.status":  {"de"},
	"report.percent":      {"*"},
	"report.n":            {"*"},
	"report.n_column":     {"*"},
	"ratings.dist":        {"*"},
	"audit.entry":         {"*"},  // placeholders and a dash only
	"tfa.code":            {"de"}, // "Code" is German too
}

func allowedSame(key, code string) bool {
	return slices.Contains(sameAsEnglish[key], "*") || slices.Contains(sameAsEnglish[key], code)
}

// neededForms returns the CLDR cardinal plural forms a language uses for
// integers.
func neededForms(code string) []string {
	seen := map[string]bool{}
	for n := 0; n <= 1000; n++ {
		seen[pluralForm(code, n)] = true
	}
	var out []string
	for f := range seen {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// TestCatalogComplete: every language has every key of the source, with
// the same placeholders, all plural forms it needs, and a translation
// rather than a copy of the English.
func TestCatalogComplete(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	src := c.langs[Source]
	for code, entries := range c.langs {
		if _, err := language.Parse(code); err != nil {
			t.Errorf("catalog %s: not a language tag", code)
		}
		forms := neededForms(code)
		for key, e := range src {
			got, ok := entries[key]
			if !ok {
				t.Errorf("%s: missing %q", code, key)
				continue
			}
			if (len(e.Plural) > 0) != (len(got.Plural) > 0) {
				t.Errorf("%s: %q: plural in one language only", code, key)
				continue
			}
			want := Placeholders(e.Text)
			if len(e.Plural) > 0 {
				want = Placeholders(e.Plural["other"])
				for _, f := range forms {
					text, ok := got.Plural[f]
					if !ok {
						t.Errorf("%s: %q lacks plural form %q", code, key, f)
						continue
					}
					// A form may drop {n} where the language spells the number out ("one").
					if ph := Placeholders(text); !slices.Equal(ph, want) && !(f != "other" && len(ph) < len(want) && subset(ph, want)) {
						t.Errorf("%s: %q form %s has placeholders %v, want %v", code, key, f, ph, want)
					}
				}
				continue
			}
			if got.Text == "" {
				t.Errorf("%s: %q is empty", code, key)
			}
			if ph := Placeholders(got.Text); !slices.Equal(ph, want) {
				t.Errorf("%s: %q has placeholders %v, want %v", code, key, ph, want)
			}
			if code != Source && got.Text == e.Text && !allowedSame(key, code) && strings.ContainsFunc(e.Text, isLetter) {
				t.Errorf("%s: %q is the English text %q", code, key, e.Text)
			}
		}
		for key := range entries {
			if _, ok := src[key]; !ok {
				t.Errorf("%s: %q is not in the source catalog", code, key)
			}
		}
	}
	for key, e := range src {
		if e.Context == "" {
			t.Errorf("en: %q has no context note for translators", key)
		}
	}
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func isLetter(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }

// TestCatalogLanguages: every catalog is one of the UI languages, and the
// source and German are complete from the start.
func TestCatalogLanguages(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for code := range c.langs {
		if !slices.ContainsFunc(All, func(l Language) bool { return l.Code == code }) {
			t.Errorf("catalog %s is not a UI language", code)
		}
	}
	for _, code := range []string{"de", "en"} {
		if !c.Has(code) {
			t.Errorf("no %s catalog", code)
		}
	}
}
