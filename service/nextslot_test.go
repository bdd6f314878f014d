package service_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/slots"
)

// Search finds each counselor's first free slot in windows from a lower
// bound; on random schedules and bookings, in several zones, with long and
// off-grid appointments, it must give the same slots and order as computing
// every counselor's first slot over the whole horizon from all bookings.
func TestSearchMatchesBruteForce(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		var cs []eyelevel.Counselor // every seed's, all in one database
		for seed := range uint64(4) {
			t.Run(fmt.Sprint(seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 42))
				cs = append(cs, randomCounselors(t, e, rng, fmt.Sprintf("s%d_", seed), 15)...)
				for _, lang := range []string{"fa", "fa-AF", "de"} {
					for _, g := range []eyelevel.Gender{"", eyelevel.GenderFemale} {
						got, err := e.svc.Search(e.ctx, eyelevel.Actor{}, service.SearchInput{Language: lang, Gender: g})
						if err != nil {
							t.Fatal(err)
						}
						want := bruteForceSearch(t, e, cs, lang, g)
						if len(got) != len(want) {
							t.Fatalf("%s/%s: %d matches, want %d", lang, g, len(got), len(want))
						}
						for i := range got {
							if dg, dw := describe(got[i]), describe(want[i]); dg != dw {
								t.Errorf("%s/%s: match %d = %s, want %s", lang, g, i, dg, dw)
							}
						}
					}
				}
			})
		}
	})
}

var testZones = []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kabul", "Australia/Lord_Howe"}

// randomCounselors creates n counselors with random languages, zones,
// schedules and bookings, some of them long or off the grid.
func randomCounselors(t *testing.T, e *env, rng *rand.Rand, prefix string, n int) []eyelevel.Counselor {
	t.Helper()
	client := e.client(prefix + "client")
	var out []eyelevel.Counselor
	for i := range n {
		in := service.CounselorInput{
			Username: fmt.Sprintf("%sc%02d", prefix, i), Password: password, DisplayName: fmt.Sprintf("%s %d", prefix, rng.IntN(4)),
			Gender: []eyelevel.Gender{eyelevel.GenderFemale, eyelevel.GenderMale}[rng.IntN(2)], TimeZone: testZones[rng.IntN(len(testZones))],
		}
		for _, l := range []string{"fa", "fa-AF", "de"} {
			if rng.IntN(2) == 0 {
				in.Languages = append(in.Languages, eyelevel.LanguageSkill{Code: l, Native: rng.IntN(2) == 0})
			}
		}
		if len(in.Languages) == 0 {
			in.Languages = []eyelevel.LanguageSkill{{Code: "de"}}
		}
		c, err := e.svc.CreateCounselor(e.ctx, e.admin, in)
		if err != nil {
			t.Fatal(err)
		}
		var av eyelevel.Availability
		for range rng.IntN(6) {
			start := rng.IntN(80) * 15
			av.Weekly = append(av.Weekly, eyelevel.WeeklyWindow{Weekday: time.Weekday(rng.IntN(7)), Start: start, End: min(start+60+rng.IntN(24)*15, 24*60)})
		}
		for range rng.IntN(6) {
			date := monday.AddDate(0, 0, rng.IntN(60)-2).Format(time.DateOnly)
			switch start := rng.IntN(80) * 15; rng.IntN(3) {
			case 0:
				av.Exceptions = append(av.Exceptions, eyelevel.Exception{Date: date})
			default:
				av.Exceptions = append(av.Exceptions, eyelevel.Exception{Date: date, Available: rng.IntN(2) == 0, Start: start, End: min(start+60+rng.IntN(16)*15, 24*60)})
			}
		}
		// Straight into the store: overlapping windows and clashing
		// exceptions are refused by validation but must work all the same.
		if err := e.db.SetAvailability(e.ctx, c.ID, av); err != nil {
			t.Fatal(err)
		}
		// Book a run of the first free slots, of random length (none, a
		// few or many), and some of the rest, so that the first free slot
		// lies hours, days or weeks ahead.
		free, err := e.svc.Slots(e.ctx, eyelevel.Actor{}, service.SlotsInput{CounselorID: c.ID, From: monday, To: monday.Add(service.MaxSlotRange)})
		if err != nil {
			t.Fatal(err)
		}
		var as []eyelevel.Appointment
		starts := map[time.Time]bool{} // one booking per start, as the database demands
		add := func(start time.Time, length time.Duration) {
			if !starts[start] {
				starts[start] = true
				as = append(as, eyelevel.Appointment{ID: eyelevel.AppointmentID(eyelevel.NewID()), CounselorID: c.ID, ClientID: client.UserID, Start: start, End: start.Add(length), Status: eyelevel.StatusBooked, CreatedAt: monday})
			}
		}
		var run int
		switch rng.IntN(3) {
		case 1:
			run = rng.IntN(min(len(free), 12) + 1)
		case 2:
			run = rng.IntN(len(free) + 1)
		}
		for j, sl := range free {
			if j < run || rng.IntN(5) < 2 {
				add(sl.Start, sl.End.Sub(sl.Start))
			}
		}
		// Just inside or just outside the buffers around a free slot, most
		// among the first ones.
		for range rng.IntN(4) {
			if len(free) == 0 {
				break
			}
			sl := free[rng.IntN(min(len(free), 1+rng.IntN(2)*20))]
			switch rng.IntN(4) {
			case 0: // ends 5 minutes into the buffer before the slot: taken
				add(sl.Start.Add(-65*time.Minute), time.Hour)
			case 1: // ends as the buffer begins: free
				add(sl.Start.Add(-70*time.Minute), time.Hour)
			case 2: // starts in the buffer after the slot: taken
				add(sl.End.Add(5*time.Minute), time.Hour)
			default: // starts as that buffer ends: free
				add(sl.End.Add(10*time.Minute), 5*time.Hour)
			}
		}
		// Off the grid, 15 minutes to 10 hours long, most in the first days.
		for range rng.IntN(5) {
			days := 56
			if rng.IntN(3) > 0 {
				days = 3
			}
			start := monday.Add(time.Duration(rng.IntN(days*24*12)) * 5 * time.Minute)
			add(start, time.Duration(1+rng.IntN(40))*15*time.Minute)
		}
		if err := e.db.SeedAppointments(e.ctx, as); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// bruteForceSearch is Search as its doc comment says, from the whole
// schedule and all bookings of every counselor in the horizon.
func bruteForceSearch(t *testing.T, e *env, cs []eyelevel.Counselor, lang string, g eyelevel.Gender) []service.Match {
	t.Helper()
	cfg := e.svc.Config()
	from := e.clock.Now().Add(cfg.MinLead)
	end := from.Add(cfg.Horizon)
	other := map[string]string{"fa": "fa-AF", "fa-AF": "fa"}[lang]
	var out []service.Match
	for _, c := range cs {
		if g != "" && c.Gender != g {
			continue
		}
		speaks, native := c.Speaks(lang)
		fallback := ""
		if !speaks {
			if ok, _ := c.Speaks(other); !ok || other == "" {
				continue
			}
			fallback = other
		}
		av, err := e.db.Availability(context.Background(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		busy, err := e.db.Busy(context.Background(), []eyelevel.UserID{c.ID}, from.AddDate(0, 0, -1), end.AddDate(0, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		loc, _ := time.LoadLocation(c.TimeZone)
		m := service.Match{Counselor: c, Native: native, Fallback: fallback}
		if first := slots.Compute(av, loc, cfg.Rules, from, end, busy[c.ID], 1); len(first) > 0 {
			m.NextSlot = &first[0]
		}
		out = append(out, m)
	}
	key := func(m service.Match) (int, time.Time) {
		rank := 0
		if m.Fallback != "" {
			rank += 4
		}
		if !m.Native {
			rank += 2
		}
		if m.NextSlot == nil {
			return rank + 1, time.Time{}
		}
		return rank, m.NextSlot.Start
	}
	slices.SortStableFunc(out, func(a, b service.Match) int {
		ra, ta := key(a)
		rb, tb := key(b)
		return cmp.Or(cmp.Compare(ra, rb), ta.Compare(tb), cmp.Compare(a.Counselor.DisplayName, b.Counselor.DisplayName), cmp.Compare(a.Counselor.Username, b.Counselor.Username))
	})
	return out
}

// describe is what must agree between Search and the brute force. Among
// counselors equal in every sort key the order is unspecified, so the
// username is left out where it would only tell them apart.
func describe(m service.Match) string {
	next := "none"
	if m.NextSlot != nil {
		next = m.NextSlot.Start.Format(time.RFC3339) + "–" + m.NextSlot.End.Format(time.RFC3339)
	}
	return fmt.Sprintf("%s native=%v fallback=%q next=%s", m.Counselor.DisplayName, m.Native, m.Fallback, next)
}
