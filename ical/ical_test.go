package ical_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"eyelevel/ical"

	ics "github.com/arran4/golang-ical"
)

// TestCalendarParses: an independent parser reads what we write, with
// every property intact, long non-ASCII lines folded within 75 octets and
// never inside a character.
func TestCalendarParses(t *testing.T) {
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	summary := strings.Repeat("موعد على eyelevel; مع, فاصلة ", 6)
	c := ical.Calendar{Method: ical.Cancel, Stamp: start.Add(-time.Hour), Events: []ical.Event{{
		UID: "abc@eyelevel.example", Sequence: 3, Start: start, End: start.Add(50 * time.Minute),
		Summary: summary, URL: "https://eyelevel.example/appointments/abc/room",
		Organizer: &ical.Person{Name: "eyelevel", Email: "noreply@eyelevel.example"},
		Attendees: []ical.Person{{Name: "Leyla \"L\"", Email: "leyla@example.org"}}, Cancelled: true,
	}}}
	out := c.String()
	for i, line := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		if len(line) > 75 || !utf8.ValidString(line) || strings.Contains(line, "\n") {
			t.Errorf("line %d: %d octets, valid %v: %q", i, len(line), utf8.ValidString(line), line)
		}
	}
	if !strings.HasSuffix(out, "END:VCALENDAR\r\n") {
		t.Errorf("no CRLF at the end: %q", out[len(out)-20:])
	}
	cal, err := ics.ParseCalendar(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if m := cal.CalendarProperties; len(m) == 0 {
		t.Fatal("no calendar properties")
	}
	var method, version string
	for _, p := range cal.CalendarProperties {
		switch p.IANAToken {
		case "METHOD":
			method = p.Value
		case "VERSION":
			version = p.Value
		}
	}
	if method != "CANCEL" || version != "2.0" {
		t.Errorf("method %q, version %q", method, version)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	e := evs[0]
	got := func(p ics.ComponentProperty) string {
		if x := e.GetProperty(p); x != nil {
			return x.Value
		}
		return ""
	}
	if got(ics.ComponentPropertyUniqueId) != "abc@eyelevel.example" || got(ics.ComponentPropertySequence) != "3" ||
		got(ics.ComponentPropertyStatus) != "CANCELLED" || got(ics.ComponentPropertyUrl) != "https://eyelevel.example/appointments/abc/room" {
		t.Errorf("event %s", out)
	}
	if s, err := e.GetStartAt(); err != nil || !s.Equal(start) {
		t.Errorf("start %v, %v; want %v", s, err, start)
	}
	if got(ics.ComponentPropertyDtStart) != "20261201T080000Z" {
		t.Errorf("DTSTART %q", got(ics.ComponentPropertyDtStart))
	}
	if s := unescape(got(ics.ComponentPropertySummary)); s != summary {
		t.Errorf("summary\n%q\nwant\n%q", s, summary)
	}
	if o := e.GetProperty(ics.ComponentPropertyOrganizer); o == nil || o.Value != "mailto:noreply@eyelevel.example" {
		t.Errorf("organizer %v", o)
	}
	if as := e.Attendees(); len(as) != 1 || as[0].Email() != "leyla@example.org" {
		t.Errorf("attendees %v", as)
	}
}

func unescape(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\;`, ";", `\,`, ",", `\n`, "\n").Replace(s)
}

func TestEscape(t *testing.T) {
	if got := ical.Escape("a\\b;c,d\ne"); got != `a\\b\;c\,d\ne` {
		t.Errorf("Escape = %q", got)
	}
}
