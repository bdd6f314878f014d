package questionnaire

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"eyelevel"
)

var uiLanguages = []string{"de", "en", "ar", "fa", "fa-AF", "ps", "tr", "ru", "uk", "kmr"}

func mustLoad(t *testing.T) *Set {
	t.Helper()
	s, err := Load(Embedded())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEveryInstrumentInEveryLanguage(t *testing.T) {
	s := mustLoad(t)
	if got := s.Instruments(); !slices.Equal(got, []string{"gad7", "phq4", "phq9", "who5"}) {
		t.Fatalf("instruments = %v", got)
	}
	for _, id := range s.Instruments() {
		for _, lang := range uiLanguages {
			f, _ := s.Form(id, lang)
			if f.Language != lang {
				t.Errorf("%s has no %s translation", id, lang)
			}
			if !f.Validated && f.TranslationNote == "" {
				t.Errorf("%s/%s: not validated and says nothing about it", id, lang)
			}
			safety := 0
			for _, it := range f.Items {
				if it.Safety {
					safety++
				}
			}
			if want := map[string]int{"phq9": 1}[id]; safety != want {
				t.Errorf("%s/%s: %d safety items, want %d", id, lang, safety, want)
			}
		}
	}
	if f, _ := s.Form("phq9", "en"); !f.Items[8].Safety || f.Items[8].ID != "self_harm" {
		t.Fatal("PHQ-9 item 9 is not the safety item")
	}
}

// score scores plain answers with the English form.
func score(t *testing.T, s *Set, id string, answers ...int) Result {
	t.Helper()
	f, ok := s.Form(id, "en")
	if !ok {
		t.Fatalf("no %s", id)
	}
	r, err := f.Score(Ints(answers...))
	if err != nil {
		t.Fatalf("%s %v: %v", id, answers, err)
	}
	return r
}

// spread returns n answers summing to total, each at most max.
func spread(n, total, max int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = min(max, total)
		total -= out[i]
	}
	return out
}

func TestBandBoundaries(t *testing.T) {
	s := mustLoad(t)
	cases := []struct {
		id         string
		items, max int
		bands      map[int]string // total → band, at every boundary
	}{
		{"phq9", 9, 3, map[int]string{0: "minimal", 4: "minimal", 5: "mild", 9: "mild", 10: "moderate", 14: "moderate",
			15: "moderately_severe", 19: "moderately_severe", 20: "severe", 27: "severe"}},
		{"gad7", 7, 3, map[int]string{0: "minimal", 4: "minimal", 5: "mild", 9: "mild", 10: "moderate", 14: "moderate", 15: "severe", 21: "severe"}},
		{"phq4", 4, 3, map[int]string{0: "none", 2: "none", 3: "mild", 5: "mild", 6: "moderate", 8: "moderate", 9: "severe", 12: "severe"}},
		{"who5", 5, 5, map[int]string{0: "very_low", 7: "very_low", 8: "low", 12: "low", 13: "good", 25: "good"}},
	}
	for _, c := range cases {
		for total, band := range c.bands {
			// Keep PHQ-9 item 9 at 0 so the band is tested on its own.
			answers := spread(c.items, total, c.max)
			if c.id == "phq9" && answers[8] > 0 {
				answers = append(spread(8, total, 3), 0)
				if total > 24 {
					answers = append(spread(8, 24, 3), total-24)
				}
			}
			r := score(t, s, c.id, answers...)
			if r.Score != total || r.Band != band {
				t.Errorf("%s total %d: score %d band %s, want %s", c.id, total, r.Score, r.Band, band)
			}
		}
	}
}

func TestWHO5PercentAndPHQ4Subscales(t *testing.T) {
	s := mustLoad(t)
	for raw, pct := range map[int]int{0: 0, 12: 48, 13: 52, 25: 100} {
		r := score(t, s, "who5", spread(5, raw, 5)...)
		if !r.HasPercent || r.Percent != pct {
			t.Errorf("WHO-5 raw %d: percent %d, want %d", raw, r.Percent, pct)
		}
	}
	if r := score(t, s, "phq9", 1, 1, 1, 1, 1, 1, 1, 1, 0); r.HasPercent {
		t.Error("PHQ-9 has a percent")
	}
	cases := []struct {
		answers       []int
		anxiety, depr int
		anxPos, dePos bool
	}{
		{[]int{1, 1, 1, 1}, 2, 2, false, false},
		{[]int{2, 1, 0, 2}, 3, 2, true, false},
		{[]int{0, 0, 3, 0}, 0, 3, false, true},
		{[]int{3, 3, 3, 3}, 6, 6, true, true},
	}
	for _, c := range cases {
		r := score(t, s, "phq4", c.answers...)
		want := []SubscaleResult{{"anxiety", c.anxiety, c.anxPos}, {"depression", c.depr, c.dePos}}
		if !slices.Equal(r.Subscales, want) {
			t.Errorf("PHQ-4 %v: %+v, want %+v", c.answers, r.Subscales, want)
		}
	}
}

func TestSafetyItemWhateverTheTotal(t *testing.T) {
	s := mustLoad(t)
	for _, lang := range uiLanguages {
		f, _ := s.Form("phq9", lang)
		r, err := f.Score(Ints(0, 0, 0, 0, 0, 0, 0, 0, 1))
		if err != nil || !r.SafetyAlert() || r.Band != "minimal" || !slices.Equal(r.SafetyItems, []int{9}) {
			t.Errorf("%s: %+v %v", lang, r, err)
		}
	}
	if r := score(t, s, "phq9", 3, 3, 3, 3, 3, 3, 3, 3, 0); r.SafetyAlert() {
		t.Error("alert with item 9 at 0")
	}
}

func TestInvalidResponsesNameTheItem(t *testing.T) {
	s := mustLoad(t)
	f, _ := s.Form("gad7", "ar")
	cases := []struct {
		answers []*int
		field   string
	}{
		{Ints(0, 0, 0), "answers"},
		{Ints(0, 0, 0, 0, 0, 0, 0, 0), "answers"},
		{Ints(0, 0, 4, 0, 0, 0, 0), "answers.3"},
		{Ints(0, 0, 0, 0, 0, 0, -1), "answers.7"},
		{slices.Concat(Ints(0, 0, 0, 0), []*int{nil}, Ints(0, 0)), "answers.5"},
	}
	for _, c := range cases {
		_, err := f.Score(c.answers)
		var e *eyelevel.Error
		if !errors.As(err, &e) || e.Code != eyelevel.EINVALID || e.Fields[c.field] == "" {
			t.Errorf("%d answers: err %v, want invalid %s", len(c.answers), err, c.field)
		}
	}
	w, _ := s.Form("who5", "en")
	if _, err := w.Score(Ints(5, 5, 5, 5, 6)); err == nil {
		t.Error("WHO-5 answer 6 accepted")
	}
}

func TestOverridesMustMatchTheOriginal(t *testing.T) {

	good := `{"instrument":"gad7","language":"tr","short_name":"GAD-7","name":"Operatörün","validated":true,"source":"x","translation_note":"","instructions":"i",
	"options":[{"value":0,"label":"a"},{"value":1,"label":"b"},{"value":2,"label":"c"},{"value":3,"label":"d"}],
	"items":[{"id":"nervous","text":"1"},{"id":"control_worry","text":"2"},{"id":"worry_too_much","text":"3"},{"id":"relaxing","text":"4"},{"id":"restless","text":"5"},{"id":"irritable","text":"6"},{"id":"afraid","text":"7"}],
	"bands":[{"id":"minimal","min":0,"max":4},{"id":"mild","min":5,"max":9},{"id":"moderate","min":10,"max":14},{"id":"severe","min":15,"max":21}]}`
	s, err := Load(Embedded(), fstest.MapFS{"gad7/tr.json": {Data: []byte(good)}})
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Form("gad7", "tr"); f.Name != "Operatörün" || !f.Validated {
		t.Fatal("override not applied")
	}
	bad := map[string]string{
		"other bands":    strings.Replace(good, `"max":4`, `"max":5`, 1),
		"item missing":   strings.Replace(good, `,{"id":"afraid","text":"7"}`, ``, 1),
		"safety added":   strings.Replace(good, `"text":"7"}`, `"text":"7","safety":true}`, 1),
		"wrong path":     strings.Replace(good, `"language":"tr"`, `"language":"ru"`, 1),
		"unknown field":  strings.Replace(good, `"validated":true`, `"validated":true,"colour":"red"`, 1),
		"empty item":     strings.Replace(good, `"text":"3"`, `"text":" "`, 1),
		"option changed": strings.Replace(good, `{"value":3,"label":"d"}`, `{"value":4,"label":"d"}`, 1),
	}
	for name, body := range bad {
		if _, err := Load(Embedded(), fstest.MapFS{"gad7/tr.json": {Data: []byte(body)}}); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}
