package slots

import (
	"slices"
	"testing"
	"time"

	"eyelevel"
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

// at returns the instant of a wall time "2006-01-02 15:04" in loc.
func at(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// utcStarts formats slot starts as "2006-01-02 15:04" UTC, checking that each
// slot is in UTC and Length long.
func utcStarts(t *testing.T, got []eyelevel.Slot, r Rules) []string {
	t.Helper()
	var out []string
	for _, s := range got {
		if s.Start.Location() != time.UTC || s.End.Location() != time.UTC {
			t.Errorf("slot %v not in UTC", s)
		}
		if s.End.Sub(s.Start) != r.Length {
			t.Errorf("slot %v is %v long, want %v", s, s.End.Sub(s.Start), r.Length)
		}
		out = append(out, s.Start.Format("2006-01-02 15:04"))
	}
	return out
}

func win(wd time.Weekday, start, end string) eyelevel.WeeklyWindow {
	s, _ := ParseClock(start)
	e, _ := ParseClock(end)
	return eyelevel.WeeklyWindow{Weekday: wd, Start: s, End: e}
}

func exc(date string, avail bool, start, end string) eyelevel.Exception {
	s, _ := ParseClock(start)
	e, _ := ParseClock(end)
	return eyelevel.Exception{Date: date, Available: avail, Start: s, End: e}
}

func TestCompute(t *testing.T) {
	ber := mustLoad(t, "Europe/Berlin")
	def := DefaultRules()
	monday := eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{win(time.Monday, "09:00", "12:00")}}
	// 2026-01-12 and 2026-01-19 are Mondays; Berlin is UTC+1 in January.
	week := func(from, to string) (time.Time, time.Time) { return at(t, ber, from), at(t, ber, to) }
	busy := func(pairs ...string) []eyelevel.Slot {
		var out []eyelevel.Slot
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, eyelevel.Slot{Start: at(t, ber, pairs[i]), End: at(t, ber, pairs[i+1])})
		}
		return out
	}
	withExc := func(es ...eyelevel.Exception) eyelevel.Availability {
		return eyelevel.Availability{Weekly: monday.Weekly, Exceptions: es}
	}
	from, to := week("2026-01-12 00:00", "2026-01-13 00:00")

	tests := []struct {
		name     string
		av       eyelevel.Availability
		r        Rules
		from, to time.Time
		busy     []eyelevel.Slot
		limit    int
		want     []string
	}{
		{name: "basic grid", av: monday, r: def, from: from, to: to,
			want: []string{"2026-01-12 08:00", "2026-01-12 09:00", "2026-01-12 10:00"}},
		{name: "last slot ends exactly at window end",
			av: eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{win(time.Monday, "09:00", "12:50")}},
			r:  def, from: from, to: to,
			want: []string{"2026-01-12 08:00", "2026-01-12 09:00", "2026-01-12 10:00", "2026-01-12 11:00"}},
		{name: "no buffer", av: monday, r: Rules{Length: 50 * time.Minute}, from: from, to: to,
			want: []string{"2026-01-12 08:00", "2026-01-12 08:50", "2026-01-12 09:40"}},
		{name: "long buffer", av: monday, r: Rules{Length: 50 * time.Minute, Buffer: 25 * time.Minute}, from: from, to: to,
			want: []string{"2026-01-12 08:00", "2026-01-12 09:15"}},
		{name: "busy on grid", av: monday, r: def, from: from, to: to,
			busy: busy("2026-01-12 10:00", "2026-01-12 10:50"),
			want: []string{"2026-01-12 08:00", "2026-01-12 10:00"}},
		{name: "busy off grid blocks two", av: monday, r: def, from: from, to: to,
			busy: busy("2026-01-12 09:30", "2026-01-12 10:20"),
			want: []string{"2026-01-12 10:00"}},
		{name: "buffer after earlier busy", av: monday, r: def, from: from, to: to,
			busy: busy("2026-01-12 08:05", "2026-01-12 08:55"),
			want: []string{"2026-01-12 09:00", "2026-01-12 10:00"}},
		{name: "buffer before later busy", av: monday, r: def, from: from, to: to,
			busy: busy("2026-01-12 11:55", "2026-01-12 12:45"),
			want: []string{"2026-01-12 08:00", "2026-01-12 09:00"}},
		{name: "unsorted busy, other zone, other days", av: monday, r: def, from: from, to: to,
			busy: []eyelevel.Slot{
				{Start: at(t, ber, "2026-01-13 09:00"), End: at(t, ber, "2026-01-13 10:00")},
				{Start: at(t, ber, "2026-01-12 11:00").In(mustLoad(t, "Asia/Kabul")), End: at(t, ber, "2026-01-12 11:50")},
				{Start: at(t, ber, "2026-01-11 09:00"), End: at(t, ber, "2026-01-12 08:55")},
			},
			want: []string{"2026-01-12 09:00"}},
		{name: "whole-day absence", av: withExc(exc("2026-01-12", false, "00:00", "00:00")), r: def,
			from: from, to: at(t, ber, "2026-01-20 00:00"),
			want: []string{"2026-01-19 08:00", "2026-01-19 09:00", "2026-01-19 10:00"}},
		{name: "partial block splits window", av: withExc(exc("2026-01-12", false, "10:30", "11:00")), r: def,
			from: from, to: to,
			want: []string{"2026-01-12 08:00", "2026-01-12 10:00"}},
		{name: "extra hours merge with weekly window", av: withExc(exc("2026-01-12", true, "11:30", "14:00")), r: def,
			from: from, to: to,
			want: []string{"2026-01-12 08:00", "2026-01-12 09:00", "2026-01-12 10:00", "2026-01-12 11:00", "2026-01-12 12:00"}},
		{name: "extra hours on a free day", av: withExc(exc("2026-01-13", true, "14:00", "16:00")), r: def,
			from: at(t, ber, "2026-01-13 00:00"), to: at(t, ber, "2026-01-14 00:00"),
			want: []string{"2026-01-13 13:00", "2026-01-13 14:00"}},
		{name: "block wins over extra hours", av: withExc(exc("2026-01-12", false, "09:00", "13:00"), exc("2026-01-12", true, "12:00", "15:00")), r: def,
			from: from, to: to,
			want: []string{"2026-01-12 12:00", "2026-01-12 13:00"}},
		{name: "absence wins over extra hours", av: withExc(exc("2026-01-12", true, "14:00", "16:00"), exc("2026-01-12", false, "00:00", "00:00")), r: def,
			from: from, to: to, want: nil},
		{name: "limit", av: monday, r: def, from: from, to: at(t, ber, "2026-02-09 00:00"), limit: 4,
			want: []string{"2026-01-12 08:00", "2026-01-12 09:00", "2026-01-12 10:00", "2026-01-19 08:00"}},
		{name: "next free slot far ahead", av: monday, r: def, from: at(t, ber, "2026-01-12 11:01"), to: at(t, ber, "2026-06-01 00:00"), limit: 1,
			want: []string{"2026-01-19 08:00"}},
		{name: "from in the middle of a day", av: monday, r: def, from: at(t, ber, "2026-01-12 10:30"), to: to,
			want: []string{"2026-01-12 10:00"}},
		{name: "from exactly on a start", av: monday, r: def, from: at(t, ber, "2026-01-12 10:00"), to: to,
			want: []string{"2026-01-12 09:00", "2026-01-12 10:00"}},
		{name: "to is exclusive", av: monday, r: def, from: from, to: at(t, ber, "2026-01-12 10:00"),
			want: []string{"2026-01-12 08:00"}},
		{name: "empty range", av: monday, r: def, from: to, to: from, want: nil},
		{name: "zero length rules", av: monday, r: Rules{}, from: from, to: to, want: nil},
		{name: "adjacent windows form one grid",
			av: eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{win(time.Monday, "09:00", "09:30"), win(time.Monday, "09:30", "10:00")}},
			r:  def, from: from, to: to, want: []string{"2026-01-12 08:00"}},
		{name: "window to midnight",
			av: eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{win(time.Monday, "22:00", "24:00")}},
			r:  def, from: from, to: to, want: []string{"2026-01-12 21:00", "2026-01-12 22:00"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(tc.busy)
			got := utcStarts(t, Compute(tc.av, ber, tc.r, tc.from, tc.to, tc.busy, tc.limit), tc.r)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			if !slices.Equal(before, tc.busy) {
				t.Error("Compute reordered busy")
			}
		})
	}
}

func TestComputeDST(t *testing.T) {
	ber := mustLoad(t, "Europe/Berlin")
	r := DefaultRules()
	sunday := eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{win(time.Sunday, "09:00", "12:00")}}
	night := eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{win(time.Sunday, "01:00", "05:00")}}
	tests := []struct {
		name     string
		av       eyelevel.Availability
		from, to string // Berlin wall time
		want     []string
	}{
		{"week before spring", sunday, "2026-03-22 00:00", "2026-03-23 00:00",
			[]string{"2026-03-22 08:00", "2026-03-22 09:00", "2026-03-22 10:00"}},
		{"spring change day", sunday, "2026-03-29 00:00", "2026-03-30 00:00",
			[]string{"2026-03-29 07:00", "2026-03-29 08:00", "2026-03-29 09:00"}},
		{"week after spring", sunday, "2026-04-05 00:00", "2026-04-06 00:00",
			[]string{"2026-04-05 07:00", "2026-04-05 08:00", "2026-04-05 09:00"}},
		{"week before autumn", sunday, "2026-10-18 00:00", "2026-10-19 00:00",
			[]string{"2026-10-18 07:00", "2026-10-18 08:00", "2026-10-18 09:00"}},
		{"autumn change day", sunday, "2026-10-25 00:00", "2026-10-26 00:00",
			[]string{"2026-10-25 08:00", "2026-10-25 09:00", "2026-10-25 10:00"}},
		{"week after autumn", sunday, "2026-11-01 00:00", "2026-11-02 00:00",
			[]string{"2026-11-01 08:00", "2026-11-01 09:00", "2026-11-01 10:00"}},
		{"night window, normal winter Sunday", night, "2026-03-22 00:00", "2026-03-23 00:00",
			[]string{"2026-03-22 00:00", "2026-03-22 01:00", "2026-03-22 02:00", "2026-03-22 03:00"}},
		// 01:00 CET to 05:00 CEST is 3 real hours.
		{"night window, spring change day", night, "2026-03-29 00:00", "2026-03-30 00:00",
			[]string{"2026-03-29 00:00", "2026-03-29 01:00", "2026-03-29 02:00"}},
		// 01:00 CEST to 05:00 CET is 5 real hours.
		{"night window, autumn change day", night, "2026-10-25 00:00", "2026-10-26 00:00",
			[]string{"2026-10-24 23:00", "2026-10-25 00:00", "2026-10-25 01:00", "2026-10-25 02:00", "2026-10-25 03:00"}},
		{"whole spring span in one call", sunday, "2026-03-22 00:00", "2026-04-06 00:00",
			[]string{"2026-03-22 08:00", "2026-03-22 09:00", "2026-03-22 10:00",
				"2026-03-29 07:00", "2026-03-29 08:00", "2026-03-29 09:00",
				"2026-04-05 07:00", "2026-04-05 08:00", "2026-04-05 09:00"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := utcStarts(t, Compute(tc.av, ber, r, at(t, ber, tc.from), at(t, ber, tc.to), nil, 0), r)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestViewerZones checks that one slot instant reads correctly for clients in
// half-hour-offset zones, and that a counselor in such a zone gets its grid.
func TestViewerZones(t *testing.T) {
	ber, kabul, tehran := mustLoad(t, "Europe/Berlin"), mustLoad(t, "Asia/Kabul"), mustLoad(t, "Asia/Tehran")
	av := eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{win(time.Monday, "09:00", "10:00")}}
	tests := []struct {
		name                 string
		counselor            *time.Location
		day                  string
		utc, berlin, kab, th string
	}{
		{"Berlin winter", ber, "2026-01-12", "08:00", "09:00", "12:30", "11:30"},
		{"Berlin summer", ber, "2026-06-15", "07:00", "09:00", "11:30", "10:30"},
		{"Kabul counselor", kabul, "2026-01-12", "04:30", "05:30", "09:00", "08:00"},
		{"Tehran counselor", tehran, "2026-06-15", "05:30", "07:30", "10:00", "09:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from := at(t, tc.counselor, tc.day+" 00:00")
			got := Compute(av, tc.counselor, DefaultRules(), from, from.Add(24*time.Hour), nil, 0)
			if len(got) != 1 {
				t.Fatalf("got %d slots, want 1", len(got))
			}
			s := got[0].Start
			for _, c := range []struct {
				loc  *time.Location
				want string
			}{{time.UTC, tc.utc}, {ber, tc.berlin}, {kabul, tc.kab}, {tehran, tc.th}} {
				if w := s.In(c.loc).Format("15:04"); w != c.want {
					t.Errorf("in %s: got %s, want %s", c.loc, w, c.want)
				}
			}
		})
	}
}

func TestIsFree(t *testing.T) {
	ber := mustLoad(t, "Europe/Berlin")
	av := eyelevel.Availability{
		Weekly: []eyelevel.WeeklyWindow{win(time.Monday, "09:00", "12:00"), win(time.Sunday, "01:00", "05:00")},
		Exceptions: []eyelevel.Exception{
			exc("2026-01-19", false, "00:00", "00:00"),
			exc("2026-01-14", true, "15:00", "16:00"),
		},
	}
	busy := []eyelevel.Slot{
		{Start: at(t, ber, "2026-01-12 10:00"), End: at(t, ber, "2026-01-12 10:50")},
		{Start: at(t, ber, "2026-01-26 08:05"), End: at(t, ber, "2026-01-26 08:55")},
	}
	tests := []struct {
		name   string
		start  time.Time
		ok     bool
		reason string
	}{
		{"on grid", at(t, ber, "2026-01-12 09:00"), true, ""},
		{"on grid, given in UTC", at(t, ber, "2026-01-12 11:00").UTC(), true, ""},
		{"off grid", at(t, ber, "2026-01-12 09:30"), false, ReasonNotASlot},
		{"one second off", at(t, ber, "2026-01-12 09:00").Add(time.Second), false, ReasonNotASlot},
		{"taken", at(t, ber, "2026-01-12 10:00"), false, ReasonTaken},
		{"taken by buffer after a session", at(t, ber, "2026-01-26 09:00"), false, ReasonTaken},
		{"free right after the buffer", at(t, ber, "2026-01-26 10:00"), true, ""},
		{"outside availability", at(t, ber, "2026-01-13 09:00"), false, ReasonNotASlot},
		{"would end after window", at(t, ber, "2026-01-12 12:00"), false, ReasonNotASlot},
		{"whole-day absence", at(t, ber, "2026-01-19 09:00"), false, ReasonNotASlot},
		{"extra hours", at(t, ber, "2026-01-14 15:00"), true, ""},
		{"spring change day after the gap", at(t, ber, "2026-03-29 03:00"), true, ""},
		{"spring change day off grid", at(t, ber, "2026-03-29 04:00").Add(-30 * time.Minute), false, ReasonNotASlot},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, reason := IsFree(av, ber, DefaultRules(), tc.start, busy)
			if ok != tc.ok || reason != tc.reason {
				t.Errorf("got (%v, %q), want (%v, %q)", ok, reason, tc.ok, tc.reason)
			}
		})
	}
}

// TestComputeAgreesWithIsFree guards the booking check against drifting from
// what the listing offers.
func TestComputeAgreesWithIsFree(t *testing.T) {
	ber := mustLoad(t, "Europe/Berlin")
	av := benchAvailability()
	from, to := at(t, ber, "2026-03-16 00:00"), at(t, ber, "2026-04-13 00:00")
	busy := benchBusy(ber, from)
	r := DefaultRules()
	got := Compute(av, ber, r, from, to, busy, 0)
	if len(got) < 50 {
		t.Fatalf("only %d slots", len(got))
	}
	free := map[time.Time]bool{}
	for _, s := range got {
		free[s.Start] = true
		if ok, reason := IsFree(av, ber, r, s.Start, busy); !ok {
			t.Errorf("%v offered but IsFree says %s", s.Start, reason)
		}
	}
	for s := from; s.Before(to); s = s.Add(5 * time.Minute) {
		if ok, _ := IsFree(av, ber, r, s, busy); ok && !free[s.UTC()] {
			t.Errorf("%v free by IsFree but not offered", s)
		}
	}
}

// TestMidnightTransitions runs a year of windows touching midnight through
// zones with DST changes (America/Santiago changes at midnight): slots stay
// ordered, never overlap and IsFree accepts each.
func TestMidnightTransitions(t *testing.T) {
	av := eyelevel.Availability{}
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		av.Weekly = append(av.Weekly, win(wd, "00:00", "02:00"), win(wd, "22:00", "24:00"))
	}
	r := DefaultRules()
	for _, name := range []string{"America/Santiago", "Europe/Berlin", "America/New_York", "Asia/Kabul"} {
		loc := mustLoad(t, name)
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
		got := Compute(av, loc, r, from, from.AddDate(1, 0, 0), nil, 0)
		if len(got) < 365*4 {
			t.Errorf("%s: only %d slots", name, len(got))
		}
		for i, s := range got {
			if i > 0 && s.Start.Before(got[i-1].End) {
				t.Errorf("%s: slot %v overlaps or precedes %v", name, s, got[i-1])
			}
			if ok, reason := IsFree(av, loc, r, s.Start, nil); !ok {
				t.Errorf("%s: %v offered but IsFree says %s", name, s.Start, reason)
			}
		}
	}
}

// TestSkippedAndRepeatedWallTimes pins window edges that a DST change skips
// (moved forward by the gap) or repeats (first occurrence), the same way in
// zones east and west of UTC, where time.Date alone differs.
func TestSkippedAndRepeatedWallTimes(t *testing.T) {
	tests := []struct {
		zone     string
		w        eyelevel.WeeklyWindow
		from, to string // UTC
		want     []string
	}{
		// Santiago 2026-09-06: 00:00-01:00 is skipped; the window has one real
		// hour and must not start on Saturday 23:00.
		{"America/Santiago", win(time.Sunday, "00:00", "02:00"), "2026-09-05 12:00", "2026-09-06 12:00",
			[]string{"2026-09-06 04:00"}},
		// ...and Saturday's window runs until Sunday 01:00 -03, two real hours.
		{"America/Santiago", win(time.Saturday, "22:00", "24:00"), "2026-09-05 12:00", "2026-09-06 12:00",
			[]string{"2026-09-06 02:00", "2026-09-06 03:00"}},
		// Berlin 2026-03-29: 02:30 is skipped and means 03:30 CEST.
		{"Europe/Berlin", win(time.Sunday, "02:30", "05:00"), "2026-03-28 12:00", "2026-03-29 12:00",
			[]string{"2026-03-29 01:30"}},
		// Berlin 2026-10-25: 02:30 happens twice; the window starts at the first.
		{"Europe/Berlin", win(time.Sunday, "02:30", "04:00"), "2026-10-24 12:00", "2026-10-25 12:00",
			[]string{"2026-10-25 00:30", "2026-10-25 01:30"}},
		// New York 2026-11-01: 01:30 happens twice; the first is 05:30 UTC.
		{"America/New_York", win(time.Sunday, "01:30", "03:00"), "2026-11-01 00:00", "2026-11-02 00:00",
			[]string{"2026-11-01 05:30", "2026-11-01 06:30"}},
	}
	for _, tc := range tests {
		t.Run(tc.zone+" "+FormatClock(tc.w.Start), func(t *testing.T) {
			loc := mustLoad(t, tc.zone)
			av := eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{tc.w}}
			r := DefaultRules()
			got := Compute(av, loc, r, at(t, time.UTC, tc.from), at(t, time.UTC, tc.to), nil, 0)
			if starts := utcStarts(t, got, r); !slices.Equal(starts, tc.want) {
				t.Errorf("got  %q\nwant %q", starts, tc.want)
			}
			for _, s := range got {
				if ok, reason := IsFree(av, loc, r, s.Start, nil); !ok {
					t.Errorf("%v offered but IsFree says %s", s.Start, reason)
				}
			}
		})
	}
}

func benchAvailability() eyelevel.Availability {
	var av eyelevel.Availability
	for wd := time.Monday; wd <= time.Friday; wd++ {
		av.Weekly = append(av.Weekly, win(wd, "09:00", "12:00"), win(wd, "14:00", "18:00"))
	}
	av.Weekly = append(av.Weekly, win(time.Sunday, "01:00", "05:00"))
	av.Exceptions = []eyelevel.Exception{
		exc("2026-03-20", false, "00:00", "00:00"),
		exc("2026-03-24", false, "10:00", "15:00"),
		exc("2026-03-28", true, "10:00", "13:00"),
		exc("2026-04-01", true, "11:30", "14:30"),
	}
	return av
}

// benchBusy returns some sessions on and off the grid, unsorted.
func benchBusy(loc *time.Location, from time.Time) []eyelevel.Slot {
	var busy []eyelevel.Slot
	for d := 27; d >= 0; d -= 2 {
		y, m, dd := from.In(loc).AddDate(0, 0, d).Date()
		s := time.Date(y, m, dd, 10+d%3, 15*(d%2), 0, 0, loc)
		busy = append(busy, eyelevel.Slot{Start: s, End: s.Add(50 * time.Minute)})
	}
	return busy
}

func BenchmarkCompute4Weeks(b *testing.B) {
	ber := mustLoad(b, "Europe/Berlin")
	av := benchAvailability()
	from := at(b, ber, "2026-03-16 08:17")
	to := from.Add(28 * 24 * time.Hour)
	busy := benchBusy(ber, from)
	r := DefaultRules()
	b.ReportAllocs()
	for b.Loop() {
		Compute(av, ber, r, from, to, busy, 0)
	}
}
