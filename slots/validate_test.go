package slots

import (
	"maps"
	"testing"
	"time"

	"eyelevel"
)

func TestValidate(t *testing.T) {
	ok := win(time.Monday, "09:00", "12:00")
	okExc := exc("2026-05-01", false, "00:00", "00:00")
	many := func(n int, w eyelevel.WeeklyWindow) []eyelevel.WeeklyWindow {
		out := make([]eyelevel.WeeklyWindow, n)
		for i := range out {
			out[i] = w
		}
		return out
	}
	manyExc := make([]eyelevel.Exception, MaxExceptions+1)
	for i := range manyExc {
		manyExc[i] = exc(time.Date(2026, 1, 1+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly), false, "00:00", "00:00")
	}
	tests := []struct {
		name string
		av   eyelevel.Availability
		want map[string]string
	}{
		{"empty", eyelevel.Availability{}, nil},
		{"valid", eyelevel.Availability{
			Weekly: []eyelevel.WeeklyWindow{ok, win(time.Monday, "12:00", "14:00"), win(time.Sunday, "20:00", "24:00"), win(time.Saturday, "00:00", "00:50")},
			Exceptions: []eyelevel.Exception{okExc, exc("2026-05-02", true, "10:00", "10:30"),
				exc("2026-05-02", false, "11:00", "12:00"), exc("2026-05-01", true, "00:00", "24:00")},
		}, nil},
		{"start out of range", eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{ok, {Weekday: time.Monday, Start: -1, End: 600}}},
			map[string]string{"weekly[1].start": KeyTime}},
		{"end out of range", eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{{Weekday: time.Monday, Start: 600, End: 1441}}},
			map[string]string{"weekly[0].end": KeyTime}},
		{"order", eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{win(time.Monday, "12:00", "09:00")}},
			map[string]string{"weekly[0].end": KeyOrder}},
		{"empty window", eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{win(time.Monday, "12:00", "12:00")}},
			map[string]string{"weekly[0].end": KeyOrder}},
		{"short", eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{win(time.Monday, "12:00", "12:49")}},
			map[string]string{"weekly[0].end": KeyShort}},
		{"weekday", eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{{Weekday: 7, Start: 600, End: 700}, {Weekday: -1, Start: 600, End: 700}}},
			map[string]string{"weekly[0].weekday": KeyWeekday, "weekly[1].weekday": KeyWeekday}},
		{"overlap marks the later window", eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{
			win(time.Monday, "11:00", "13:00"), ok, win(time.Tuesday, "11:00", "13:00"), win(time.Monday, "08:00", "15:00")}},
			map[string]string{"weekly[0].start": KeyOverlap, "weekly[1].start": KeyOverlap}},
		{"overlap by one minute", eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{ok, win(time.Monday, "11:59", "13:00")}},
			map[string]string{"weekly[1].start": KeyOverlap}},
		{"too many windows", eyelevel.Availability{Weekly: many(MaxWeekly+1, ok)},
			map[string]string{"weekly": KeyTooMany}},
		{"too many exceptions", eyelevel.Availability{Exceptions: manyExc},
			map[string]string{"exceptions": KeyTooMany}},
		{"bad dates", eyelevel.Availability{Exceptions: []eyelevel.Exception{
			{Date: "2026-02-30"}, {Date: "2026-1-05"}, {Date: ""}, {Date: "05.01.2026"}, {Date: "2026-01-05 "}}},
			map[string]string{"exceptions[0].date": KeyDate, "exceptions[1].date": KeyDate, "exceptions[2].date": KeyDate,
				"exceptions[3].date": KeyDate, "exceptions[4].date": KeyDate}},
		{"exception times", eyelevel.Availability{Exceptions: []eyelevel.Exception{
			{Date: "2026-05-01", Start: 0, End: 1500}, {Date: "2026-05-01", Start: -5, End: 60}, exc("2026-05-01", true, "10:00", "09:00")}},
			map[string]string{"exceptions[0].end": KeyTime, "exceptions[1].start": KeyTime, "exceptions[2].end": KeyOrder}},
		{"whole-day extra", eyelevel.Availability{Exceptions: []eyelevel.Exception{exc("2026-05-01", true, "00:00", "00:00")}},
			map[string]string{"exceptions[0].start": KeyWholeDayExtra}},
		{"duplicate", eyelevel.Availability{Exceptions: []eyelevel.Exception{okExc, exc("2026-05-02", true, "10:00", "11:00"), okExc}},
			map[string]string{"exceptions[2].date": KeyDuplicate}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Validate(tc.av, DefaultRules())
			if tc.want == nil && got != nil || !maps.Equal(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestClock(t *testing.T) {
	for _, tc := range []struct {
		s   string
		min int
	}{{"00:00", 0}, {"09:00", 540}, {"09:05", 545}, {"12:30", 750}, {"23:59", 1439}, {"24:00", 1440}} {
		got, err := ParseClock(tc.s)
		if err != nil || got != tc.min {
			t.Errorf("ParseClock(%q) = %d, %v; want %d", tc.s, got, err, tc.min)
		}
		if back := FormatClock(tc.min); back != tc.s {
			t.Errorf("FormatClock(%d) = %q, want %q", tc.min, back, tc.s)
		}
	}
	for m := 0; m <= 1440; m++ {
		if got, err := ParseClock(FormatClock(m)); err != nil || got != m {
			t.Fatalf("round trip %d: got %d, %v", m, got, err)
		}
	}
	for _, bad := range []string{"9", "25:00", "12:60", "ab:cd", "", "9:00", "24:01", "-1:00", "+1:00", "12:5", "12-30", "12:300", " 9:00"} {
		if got, err := ParseClock(bad); err == nil {
			t.Errorf("ParseClock(%q) = %d, want error", bad, got)
		}
	}
}
