package service_test

import (
	"slices"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

func day(wd time.Weekday, from, to int) eyelevel.WeeklyWindow {
	return eyelevel.WeeklyWindow{Weekday: wd, Start: from, End: to}
}

func matchNames(ms []service.Match) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Counselor.Username
	}
	return out
}

func TestSearch(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		nine, five := 9*60, 17*60
		// Native speakers of German, by earliest slot, then those with none.
		e.counselor("native_wed", eyelevel.GenderFemale, []string{"de*"}, day(time.Wednesday, nine, five))
		e.counselor("native_tue", eyelevel.GenderMale, []string{"en", "de*"}, day(time.Tuesday, nine, five))
		e.counselor("native_none", eyelevel.GenderFemale, []string{"de*"})
		// Others who speak it, even if they are free sooner.
		e.counselor("other_mon", eyelevel.GenderFemale, []string{"de"}, day(time.Monday, nine, five))
		e.counselor("other_none", eyelevel.GenderMale, []string{"de"})
		// Not German at all.
		e.counselor("english", eyelevel.GenderFemale, []string{"en*"}, day(time.Monday, nine, five))

		ms, err := e.svc.Search(e.ctx, eyelevel.Actor{}, service.SearchInput{Language: "de"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := matchNames(ms), []string{"native_tue", "native_wed", "native_none", "other_mon", "other_none"}; !slices.Equal(got, want) {
			t.Fatalf("Search(de) = %v, want %v", got, want)
		}
		wantNext := []time.Time{at(1, 9, 0), at(2, 9, 0), {}, at(0, 9, 0), {}}
		for i, m := range ms {
			var next time.Time
			if m.NextSlot != nil {
				next = m.NextSlot.Start
				if !m.NextSlot.End.Equal(next.Add(50 * time.Minute)) {
					t.Errorf("%s: slot %v", m.Counselor.Username, *m.NextSlot)
				}
			}
			if !next.Equal(wantNext[i]) {
				t.Errorf("%s: next slot %v, want %v", m.Counselor.Username, next, wantNext[i])
			}
			if wantNative := i < 3; m.Native != wantNative {
				t.Errorf("%s: native = %v", m.Counselor.Username, m.Native)
			}
		}

		ms, err = e.svc.Search(e.ctx, eyelevel.Actor{}, service.SearchInput{Language: "DE", Gender: eyelevel.GenderFemale})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := matchNames(ms), []string{"native_wed", "native_none", "other_mon"}; !slices.Equal(got, want) {
			t.Errorf("Search(de, female) = %v, want %v", got, want)
		}
		ms, err = e.svc.Search(e.ctx, e.client("alice"), service.SearchInput{Language: "de", Gender: eyelevel.GenderDiverse})
		if err != nil || len(ms) != 0 {
			t.Errorf("Search(de, diverse) = %v, %v; want none", matchNames(ms), err)
		}
		if ms, err := e.svc.Search(e.ctx, eyelevel.Actor{}, service.SearchInput{Language: "tr"}); err != nil || len(ms) != 0 {
			t.Errorf("Search(tr) = %v, %v; want none", matchNames(ms), err)
		}
		_, err = e.svc.Search(e.ctx, eyelevel.Actor{}, service.SearchInput{Language: "xx"})
		wantField(t, err, "language")
		_, err = e.svc.Search(e.ctx, eyelevel.Actor{}, service.SearchInput{Language: ""})
		wantField(t, err, "language")
		_, err = e.svc.Search(e.ctx, eyelevel.Actor{}, service.SearchInput{Language: "de", Gender: "robot"})
		wantField(t, err, "gender")
	})
}

// A booking moves a counselor's next slot, and a slot beyond the first week
// is still found.
func TestSearchNextSlot(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		soon := e.counselor("soon", eyelevel.GenderFemale, []string{"ps"}, day(time.Monday, 9*60, 11*60))
		later := e.counselor("later", eyelevel.GenderFemale, []string{"ps"})
		av := eyelevel.Availability{Exceptions: []eyelevel.Exception{{Date: "2026-12-23", Available: true, Start: 14 * 60, End: 15 * 60}}}
		if err := e.svc.SetAvailability(e.ctx, later, later.UserID, av); err != nil {
			t.Fatal(err)
		}
		e.book(e.client("alice"), soon, at(0, 9, 0))

		ms, err := e.svc.Search(e.ctx, eyelevel.Actor{}, service.SearchInput{Language: "ps"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := matchNames(ms), []string{"soon", "later"}; !slices.Equal(got, want) {
			t.Fatalf("Search = %v, want %v", got, want)
		}
		if next := ms[0].NextSlot; next == nil || !next.Start.Equal(at(0, 10, 0)) {
			t.Errorf("soon: next slot %v, want 10:00 today (09:00 is booked)", next)
		}
		if next := ms[1].NextSlot; next == nil || !next.Start.Equal(at(23, 14, 0)) {
			t.Errorf("later: next slot %v, want 23 December 14:00", next)
		}
	})
}

func TestSlots(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		// Mondays 08:30–12:00 give 08:30, 09:30 and 10:30. At 08:00 with one
		// hour's lead, 08:30 is too soon.
		c := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, day(time.Monday, 8*60+30, 12*60))
		if got, want := e.slots(c, at(0, 0, 0), at(1, 0, 0)), []time.Time{at(0, 9, 30), at(0, 10, 30)}; !slices.Equal(got, want) {
			t.Errorf("today = %v, want %v", got, want)
		}
		if got, want := e.slots(c, at(7, 0, 0), at(8, 0, 0)), []time.Time{at(7, 8, 30), at(7, 9, 30), at(7, 10, 30)}; !slices.Equal(got, want) {
			t.Errorf("next Monday = %v, want %v", got, want)
		}
		// The horizon is eight weeks: Monday 25 January 2027 08:00. Its slots are beyond.
		got := e.slots(c, at(49, 0, 0), at(60, 0, 0))
		if want := []time.Time{at(49, 8, 30), at(49, 9, 30), at(49, 10, 30)}; !slices.Equal(got, want) {
			t.Errorf("around the horizon = %v, want %v", got, want)
		}
		if got := e.slots(c, at(56, 0, 0), at(60, 0, 0)); len(got) != 0 {
			t.Errorf("beyond the horizon = %v", got)
		}
		if got := e.slots(c, at(-7, 0, 0), at(0, 8, 0)); len(got) != 0 {
			t.Errorf("in the past = %v", got)
		}

		// A booking takes its slot; with the buffer the next one stays free.
		e.book(e.client("alice"), c, at(0, 9, 30))
		if got, want := e.slots(c, at(0, 0, 0), at(1, 0, 0)), []time.Time{at(0, 10, 30)}; !slices.Equal(got, want) {
			t.Errorf("after booking = %v, want %v", got, want)
		}

		for _, in := range []service.SlotsInput{
			{CounselorID: c.UserID},
			{CounselorID: c.UserID, From: at(1, 0, 0)},
			{CounselorID: c.UserID, From: at(1, 0, 0), To: at(1, 0, 0)},
			{CounselorID: c.UserID, From: at(2, 0, 0), To: at(1, 0, 0)},
			{CounselorID: c.UserID, From: at(0, 0, 0), To: at(63, 0, 0)},
		} {
			_, err := e.svc.Slots(e.ctx, eyelevel.Actor{}, in)
			wantCode(t, err, eyelevel.EINVALID)
		}
		_, err := e.svc.Slots(e.ctx, eyelevel.Actor{}, service.SlotsInput{CounselorID: "nobody", From: at(0, 0, 0), To: at(1, 0, 0)})
		wantCode(t, err, eyelevel.ENOTFOUND)
	})
}

// A booking made on an older grid still blocks slots that start before the
// end of the requested range but would run into it.
func TestSlotsBookingJustAfterRange(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		c := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, day(time.Tuesday, 9*60, 17*60))
		e.book(e.client("alice"), c, at(1, 10, 0))
		// The counselor moves her hours by half an hour: slots 09:30, 10:30, …
		// 09:30 would run until 10:20 plus buffer, into the booking at 10:00.
		if err := e.svc.SetAvailability(e.ctx, c, c.UserID, eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{day(time.Tuesday, 9*60+30, 17*60)}}); err != nil {
			t.Fatal(err)
		}
		if got := e.slots(c, at(1, 0, 0), at(1, 9, 45)); len(got) != 0 {
			t.Errorf("slots before 09:45 = %v, want none: 09:30 collides with 10:00", got)
		}
		if got, want := e.slots(c, at(1, 0, 0), at(2, 0, 0)), []time.Time{at(1, 11, 30), at(1, 12, 30)}; !slices.Equal(got[:min(2, len(got))], want) {
			t.Errorf("slots on Tuesday = %v, want %v first", got, want)
		}
		_, err := e.svc.Book(e.ctx, e.client("bob"), service.BookInput{CounselorID: c.UserID, Start: at(1, 9, 30)})
		wantKey(t, err, eyelevel.ECONFLICT, "booking.err.taken")
	})
}

// The same for Search, whose first look ends a week after the earliest
// start (here next Monday 09:00): a booking at 09:15 from an older grid
// blocks the slot at 08:30 just before that boundary.
func TestSearchBookingJustAfterFirstWeek(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		c := e.counselor("mia", eyelevel.GenderFemale, []string{"uk"}, day(time.Monday, 9*60+15, 12*60))
		e.book(e.client("alice"), c, at(7, 9, 15))
		if err := e.svc.SetAvailability(e.ctx, c, c.UserID, eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{day(time.Monday, 8*60+30, 12*60)}}); err != nil {
			t.Fatal(err)
		}
		e.book(e.client("bob"), c, at(0, 9, 30))
		e.book(e.client("carol"), c, at(0, 10, 30))
		ms, err := e.svc.Search(e.ctx, eyelevel.Actor{}, service.SearchInput{Language: "uk"})
		if err != nil || len(ms) != 1 {
			t.Fatalf("Search = %v, %v", matchNames(ms), err)
		}
		if next := ms[0].NextSlot; next == nil || !next.Start.Equal(at(7, 10, 30)) {
			t.Errorf("next slot = %v, want next Monday 10:30", next)
		}
	})
}

// TestSearchFarsiDariFallback: Farsi and Dari are distinct, but a search for
// one lists speakers of the other after everyone who speaks it.
func TestSearchFarsiDariFallback(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		farsi := e.counselor("farsi-later", eyelevel.GenderFemale, []string{"fa"}, weekdays(15*60, 17*60)...)
		dari := e.counselor("dari-soon", eyelevel.GenderFemale, []string{"fa-AF*"}, officeHours...)
		ms, err := e.svc.Search(e.ctx, eyelevel.Actor{}, service.SearchInput{Language: "fa"})
		if err != nil || len(ms) != 2 {
			t.Fatalf("search fa: %d, %v", len(ms), err)
		}
		if ms[0].Counselor.ID != farsi.UserID || ms[0].Fallback != "" || ms[1].Counselor.ID != dari.UserID || ms[1].Fallback != "fa-AF" {
			t.Errorf("search fa: %s (%q), %s (%q)", ms[0].Counselor.Username, ms[0].Fallback, ms[1].Counselor.Username, ms[1].Fallback)
		}
		ms, _ = e.svc.Search(e.ctx, eyelevel.Actor{}, service.SearchInput{Language: "fa-AF"})
		if len(ms) != 2 || ms[0].Counselor.ID != dari.UserID || ms[1].Fallback != "fa" {
			t.Errorf("search fa-AF: %+v", ms)
		}
		if ms, _ = e.svc.Search(e.ctx, eyelevel.Actor{}, service.SearchInput{Language: "ps"}); len(ms) != 0 {
			t.Errorf("search ps: %d, want none (no fallback for Pashto)", len(ms))
		}
	})
}
