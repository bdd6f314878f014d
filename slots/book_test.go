package slots_test

import (
	"testing"
	"time"

	"eyelevel"
	"eyelevel/slots"
)

// Bookable gives the first reason that applies, in the documented order,
// and counts a booking that only touches the buffer as leaving the slot free.
func TestBookable(t *testing.T) {
	r := slots.DefaultRules()
	av := eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{{Weekday: time.Tuesday, Start: 9 * 60, End: 17 * 60}}}
	plan := slots.NewPlan(av, time.UTC, r)
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) // a Tuesday
	held := func(from, to time.Time, own bool) slots.Held {
		return slots.Held{Slot: eyelevel.Slot{Start: from, End: to}, Own: own}
	}
	at := func(m int) time.Time { return start.Add(time.Duration(m) * time.Minute) }
	for _, c := range []struct {
		name  string
		start time.Time
		f     slots.Facts
		want  string
	}{
		{"free", start, slots.Facts{Open: 9}, ""},
		{"touching the buffer on both sides", start, slots.Facts{Near: []slots.Held{held(at(-40), at(-10), false), held(at(60), at(90), false)}}, ""},
		{"a minute into the buffer before", start, slots.Facts{Near: []slots.Held{held(at(-40), at(-9), false)}}, slots.ReasonTaken},
		{"a minute into the buffer after", start, slots.Facts{Near: []slots.Held{held(at(59), at(90), false)}}, slots.ReasonTaken},
		{"off the grid", at(5), slots.Facts{}, slots.ReasonNotASlot},
		{"off the grid beats everything", at(5), slots.Facts{Near: []slots.Held{held(start, at(50), true)}, Overlap: true, Open: 10}, slots.ReasonNotASlot},
		{"own booking at that time", start, slots.Facts{Near: []slots.Held{held(start, at(50), true)}, Overlap: true, Open: 10}, slots.ReasonOwn},
		{"own booking only in the buffer", start, slots.Facts{Near: []slots.Held{held(at(-30), at(-5), true)}}, slots.ReasonTaken},
		{"someone else's and own", start, slots.Facts{Near: []slots.Held{held(at(-30), at(5), false), held(at(20), at(70), true)}}, slots.ReasonOwn},
		{"taken beats the client's overlap", start, slots.Facts{Near: []slots.Held{held(start, at(50), false)}, Overlap: true}, slots.ReasonTaken},
		{"overlap elsewhere", start, slots.Facts{Overlap: true, Open: 10}, slots.ReasonOverlap},
		{"too many", start, slots.Facts{Open: 10}, slots.ReasonTooMany},
		{"too many beats the day", start, slots.Facts{Open: 10, Day: 1}, slots.ReasonTooMany},
		{"a session that day", start, slots.Facts{Open: 1, Day: 1}, slots.ReasonSameDay},
	} {
		ok, reason := plan.Bookable(c.start, c.f, slots.Limits{MaxOpen: 10, PerDay: 1})
		if ok != (c.want == "") || reason != c.want {
			t.Errorf("%s: Bookable = %v, %q; want %q", c.name, ok, reason, c.want)
		}
	}
	if ok, _ := plan.Bookable(start, slots.Facts{Day: 5}, slots.Limits{MaxOpen: 10}); !ok {
		t.Error("PerDay 0 should be no limit on sessions a day")
	}
	lo, hi := r.Window(start)
	if !lo.Equal(at(-10)) || !hi.Equal(at(60)) {
		t.Errorf("Window = %v, %v", lo, hi)
	}
}
