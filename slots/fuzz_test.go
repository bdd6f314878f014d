package slots

import (
	"encoding/json"
	"testing"
	"time"

	"eyelevel"
)

// FuzzParseClock: an accepted "HH:MM" lies in 0..1440 minutes and
// FormatClock writes it back exactly as given.
func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"00:00", "09:30", "23:59", "24:00", "24:01", "9:30", "09:3", "0930", "+9:30", "-1:00", "09:-1", "ab:cd", "", "09:30:00", "٠٩:٣٠"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseClock(s)
		if err != nil {
			return
		}
		if m < 0 || m > dayMinutes {
			t.Fatalf("%q: %d minutes", s, m)
		}
		if back := FormatClock(m); back != s {
			t.Fatalf("%q: read as %d, written as %q", s, m, back)
		}
	})
}

// FuzzValidate fuzzes a counselor's availability as stored: Validate never
// panics, and what it accepts satisfies its own bounds and gives slots of
// one session length, in order, without overlap, inside the asked range.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{
		`{"Weekly":[{"Weekday":1,"Start":540,"End":1020}]}`,
		`{"Weekly":[{"Weekday":1,"Start":540,"End":600},{"Weekday":1,"Start":570,"End":700}]}`,
		`{"Weekly":[{"Weekday":7,"Start":540,"End":1020},{"Weekday":-1,"Start":0,"End":1440}]}`,
		`{"Weekly":[{"Weekday":0,"Start":0,"End":1440}],"Exceptions":[{"Date":"2026-12-24"},{"Date":"2026-12-24"}]}`,
		`{"Exceptions":[{"Date":"2026-12-27","Available":true,"Start":600,"End":720},{"Date":"2026-02-30"}]}`,
		`{"Exceptions":[{"Date":"2026-12-27","Available":true}]}`,
		`{"Weekly":[{"Weekday":3,"Start":1439,"End":1441}]}`, `{}`,
	} {
		f.Add([]byte(s))
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	r := DefaultRules()
	from := time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC) // a week with Christmas in it
	to := from.AddDate(0, 0, 14)
	f.Fuzz(func(t *testing.T, body []byte) {
		var av eyelevel.Availability
		if json.Unmarshal(body, &av) != nil {
			return
		}
		if Validate(av, r) != nil {
			return
		}
		for _, w := range av.Weekly {
			if w.Weekday < time.Sunday || w.Weekday > time.Saturday || w.Start < 0 || w.End > dayMinutes || w.Start >= w.End ||
				time.Duration(w.End-w.Start)*time.Minute < r.Length {
				t.Fatalf("accepted window %+v", w)
			}
		}
		if len(av.Weekly) > MaxWeekly || len(av.Exceptions) > MaxExceptions {
			t.Fatalf("accepted %d windows, %d exceptions", len(av.Weekly), len(av.Exceptions))
		}
		for _, e := range av.Exceptions {
			if _, err := time.Parse(time.DateOnly, e.Date); err != nil {
				t.Fatalf("accepted exception date %q", e.Date)
			}
		}
		got := Compute(av, berlin, r, from, to, nil, 0)
		for i, s := range got {
			if !s.End.Equal(s.Start.Add(r.Length)) || s.Start.Before(from) || !s.Start.Before(to) {
				t.Fatalf("slot %v–%v for a range %v–%v", s.Start, s.End, from, to)
			}
			if i > 0 && s.Start.Before(got[i-1].End) {
				t.Fatalf("slot %v overlaps %v", s.Start, got[i-1].End)
			}
			if ok, reason := IsFree(av, berlin, r, s.Start, nil); !ok {
				t.Fatalf("computed slot %v is not free: %s", s.Start, reason)
			}
		}
	})
}
