package web

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"eyelevel/i18n"
	"eyelevel/service"
)

func TestFormatNumber(t *testing.T) {
	for _, c := range []struct {
		lang   string
		v      any
		digits []int
		want   string
	}{
		{"de", 4.5, nil, "4,5"},
		{"de", 4.0, []int{1}, "4,0"},
		{"de", 0.25, nil, "0,25"},
		{"en", 4.5, nil, "4.5"},
		{"en", 12, nil, "12"},
		{"en", 73.0, []int{0}, "73"},
		{"tr", 4.5, nil, "4,5"},
		{"ru", 4.5, nil, "4,5"},
		// Pashto: CLDR's comma, in the Latin digits dates are written in.
		{"ps", 4.5, nil, "4,5"},
		{"ar", 4.5, nil, "4.5"},
	} {
		if got := formatNumber(numberPrinter(c.lang), c.v, c.digits...); got != c.want {
			t.Errorf("%s %v %v: %q, want %q", c.lang, c.v, c.digits, got, c.want)
		}
	}
}

// TestPagesNumbersPerLanguage renders the report and the ratings table:
// their means, effect sizes and percentages follow the page's language.
func TestPagesNumbersPerLanguage(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	report := reportData{ImpactReport: service.ImpactReport{
		From: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
		Clients: service.Stat{Value: 12, N: 12}, Sessions: service.Stat{Value: 30, N: 12},
		SessionsPerClient:  service.Stat{Value: 2.5, N: 12},
		FollowUpCompletion: service.Stat{Value: 0.735, N: 12},
		Rating:             service.Stat{Value: 4.25, N: 12},
		Outcomes:           []service.Outcome{{Instrument: "phq9", N: 11, Pre: 14.5, Post: 9.25, Change: -5.25, EffectSize: -0.83}},
	}, MinGroup: 5, UTC: time.UTC}
	ratings := ratingsData{Summaries: []service.RatingSummary{{DisplayName: "A", Count: 9, Mean: 4.5, Distribution: [6]int{0, 0, 0, 1, 3, 5}}}, MinGroup: 5}
	for _, c := range []struct {
		lang      string
		want, not []string
	}{
		{"de", []string{">2,5 <", ">74 %", ">4,25 <", ">14,5<", ">9,25<", "5,25<", "0,83<", ">4,5<"}, []string{"2.5", "14.5", "4.25", "4.5<"}},
		{"en", []string{">2.5 <", ">14.5<", ">9.25<", "5.25<", "0.83<", ">4.5<"}, []string{"2,5", "14,5"}},
		{"ps", []string{">2,5 <", ">14,5<", ">4,5<"}, []string{"2.5", "14.5", "۲"}},
	} {
		pages := parsePages(cat, c.lang)
		var body bytes.Buffer
		for name, data := range map[string]any{"report": report, "ratings": ratings} {
			if err := pages[name].ExecuteTemplate(&body, "layout", &page{Title: "report.title", Zone: time.UTC, Data: data}); err != nil {
				t.Fatalf("%s %s: %v", c.lang, name, err)
			}
		}
		s := body.String()
		for _, w := range c.want {
			if !strings.Contains(s, w) {
				t.Errorf("%s: lacks %q", c.lang, w)
			}
		}
		for _, w := range c.not {
			if strings.Contains(s, w) {
				t.Errorf("%s: shows %q", c.lang, w)
			}
		}
	}
}
