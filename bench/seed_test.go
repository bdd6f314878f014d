package bench

import (
	"context"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// TestSeed seeds a tiny data set and checks that it is what the benchmarks
// assume: the counts asked for, appointments on the counselors' slot grids,
// no double bookings, searchable and bookable through the service.
func TestSeed(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 27, 9, 17, 0, 0, time.UTC) // a Friday, two days before DST
		// Clients book several sessions a day, as before the day rule.
		cfg := service.Config{SecondFactorOptional: true, Password: cheapPasswords, SessionsPerDay: -1}
		s := Scale{Counselors: 12, Clients: 300, Appointments: 6000}
		ds, err := Seed(ctx, db, s, cfg, now, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds.Counselors) != s.Counselors || len(ds.Clients) != s.Clients || ds.Appointments != s.Appointments {
			t.Fatalf("seeded %d counselors, %d clients, %d appointments; want %+v", len(ds.Counselors), len(ds.Clients), ds.Appointments, s)
		}
		count := func(q string, args ...any) int64 {
			t.Helper()
			n, err := db.QueryInt(ctx, q, args...)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(`SELECT count(*) FROM users`); n != int64(s.Counselors+s.Clients) {
			t.Errorf("%d users", n)
		}
		if n := count(`SELECT count(*) FROM appointments`); n != int64(s.Appointments) {
			t.Errorf("%d appointments", n)
		}
		if n := count(`SELECT count(*) FROM appointments WHERE status = 'booked'`); n != int64(ds.Booked) {
			t.Errorf("%d booked, Dataset says %d", n, ds.Booked)
		}
		if n := count(`SELECT count(*) FROM appointments WHERE status = 'booked' AND start_at > $1`, now.Unix()); n != int64(ds.FutureBooked) || n == 0 {
			t.Errorf("%d booked in the future, Dataset says %d", n, ds.FutureBooked)
		}
		if n := count(`SELECT count(*) FROM appointments WHERE created_at >= $1`, now.Unix()); n != 0 {
			t.Errorf("%d appointments created at or after now", n)
		}
		if n := count(`SELECT count(*) FROM appointments a JOIN appointments b ON b.counselor_id = a.counselor_id
			AND b.status = 'booked' AND b.id <> a.id AND b.start_at >= a.start_at AND b.start_at < a.end_at
			WHERE a.status = 'booked'`); n != 0 {
			t.Errorf("%d overlapping booked pairs", n)
		}
		if n := count(`SELECT count(*) FROM counselor_languages WHERE native = $1`, true); n != int64(s.Counselors) {
			t.Errorf("%d native languages for %d counselors", n, s.Counselors)
		}

		svc := service.New(db, cfg, nil, func() time.Time { return ds.Now })
		for _, lang := range Languages {
			ms, err := svc.Search(ctx, eyelevel.Actor{}, service.SearchInput{Language: lang})
			if err != nil {
				t.Fatal(err)
			}
			speak := 0
			for _, m := range ms {
				if m.Fallback == "" {
					speak++
				}
			}
			if speak != ds.LanguageUse[lang] {
				t.Errorf("search %s: %d matches who speak it, %d counselors do", lang, speak, ds.LanguageUse[lang])
			}
			for _, m := range ms {
				if m.NextSlot == nil {
					t.Errorf("search %s: %s has no free slot", lang, m.Counselor.Username)
				}
			}
		}
		// Every seeded future appointment lies on a slot start of the
		// counselor's grid: cancelling it (as the counselor) frees a slot
		// that Slots then offers.
		c := ds.Counselors[0]
		appts, err := db.Appointments(ctx, store.AppointmentFilter{CounselorID: c, EndsAfter: ds.Now.Add(2 * time.Hour), BookedOnly: true, Limit: 5})
		if err != nil || len(appts) == 0 {
			t.Fatalf("future appointments of %s: %v, %v", c, appts, err)
		}
		counselor := eyelevel.Actor{UserID: c, Role: eyelevel.RoleCounselor}
		for _, a := range appts {
			if _, err := svc.Cancel(ctx, counselor, a.ID); err != nil {
				t.Fatal(err)
			}
		}
		free, err := svc.Slots(ctx, eyelevel.Actor{}, service.SlotsInput{CounselorID: c, From: ds.Now, To: ds.Now.Add(56 * 24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		offered := map[time.Time]bool{}
		for _, s := range free {
			offered[s.Start] = true
		}
		for _, a := range appts {
			if !offered[a.Start] {
				t.Errorf("cancelled appointment at %v is not offered as a slot", a.Start)
			}
		}
		// Two clients race for one slot: one gets it.
		client := func(i int) eyelevel.Actor {
			return eyelevel.Actor{UserID: ds.Clients[i], Role: eyelevel.RoleClient}
		}
		in := service.BookInput{CounselorID: c, Start: appts[0].Start}
		if _, err := svc.Book(ctx, client(0), in); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Book(ctx, client(1), in); eyelevel.ErrorCode(err) != eyelevel.ECONFLICT {
			t.Fatalf("second booking of a slot: %v, want a conflict", err)
		}
	})
}
