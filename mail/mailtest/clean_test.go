package mailtest

import (
	"slices"
	"strings"
	"testing"

	"eyelevel/i18n"
)

func TestClean(t *testing.T) {
	p := Parsed{Subject: "Appointment on eyelevel", Text: "Your session is on Monday.", HTML: "<p>Ihre DEPRESSION</p>", ICS: "SUMMARY:PHQ-9 score 14"}
	got := Clean(p, "depression", "phq-9", "Monday", "secret note", "")
	if want := []string{"depression", "phq-9", "Monday"}; !slices.Equal(got, want) {
		t.Errorf("Clean = %q, want %q", got, want)
	}
	if got := Clean(Parsed{Subject: "Appointment on eyelevel", Text: "See you soon."}, HealthWords()...); got != nil {
		t.Errorf("a neutral mail is not clean: %q", got)
	}
}

// TestHealthWords: the list has the questionnaires' names and bands in
// every language of the catalog, and finds them in a mail.
func TestHealthWords(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	words := HealthWords()
	for _, l := range cat.Languages() {
		for _, k := range []string{"band.phq9.moderately_severe", "band.gad7.severe", "instrument.phq9"} {
			text := cat.T(l.Code, k)
			if !slices.Contains(words, text) {
				t.Errorf("%s %s %q missing", l.Code, k, text)
			}
			if got := Clean(Parsed{Text: "Result: " + strings.ToUpper(text)}, words...); got == nil {
				t.Errorf("%s %s not found in a mail", l.Code, k)
			}
		}
	}
	for _, w := range []string{"depression", "Suizid", "انتحار", "خودکشی", "intihar", "суицид", "суїцид", "xwekuştin", "PHQ"} {
		if got := Clean(Parsed{Subject: w}, words...); got == nil {
			t.Errorf("%q not caught", w)
		}
	}
}

// TestCatalogMailsClean: no mail text in the catalog (mail.*), in any
// language, contains a health word.
func TestCatalogMailsClean(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	words := HealthWords()
	for _, l := range cat.Languages() {
		for _, k := range cat.Keys(l.Code) {
			if !strings.HasPrefix(k, "mail.") {
				continue
			}
			if bad := Clean(Parsed{Text: cat.T(l.Code, k)}, words...); bad != nil {
				t.Errorf("%s %s contains %q", l.Code, k, bad)
			}
		}
	}
}
