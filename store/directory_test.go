package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// A directory reflects every change to counselors, their languages and
// schedules, also when made through another handle on the same database, as
// another instance would.
func TestDirectory(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			dsn, dir := storetest.Location(t, d)
			db, other := storetest.OpenAt(t, dsn, dir), storetest.OpenAt(t, dsn, dir)
			x := newCounselor(t, db, "xenia", eyelevel.GenderFemale, eyelevel.LanguageSkill{Code: "de", Native: true})
			y := newCounselor(t, db, "yusuf", eyelevel.GenderMale, eyelevel.LanguageSkill{Code: "de"}, eyelevel.LanguageSkill{Code: "tr", Native: true})

			names := func(cs []eyelevel.Counselor) []string {
				var out []string
				for _, c := range cs {
					out = append(out, c.Username)
				}
				return out
			}
			dir1, err := db.Directory(ctx, t0)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(dir1.ByLanguage("de", "")); !slices.Equal(got, []string{"xenia", "yusuf"}) {
				t.Errorf("ByLanguage(de) = %v", got)
			}
			if got := names(dir1.ByLanguage("de", eyelevel.GenderMale)); !slices.Equal(got, []string{"yusuf"}) {
				t.Errorf("ByLanguage(de, male) = %v", got)
			}
			if got := names(dir1.ByLanguage("ar", "")); len(got) != 0 {
				t.Errorf("ByLanguage(ar) = %v", got)
			}
			if c, ok := dir1.Counselor(y.ID); !ok || c.DisplayName != y.DisplayName || len(c.Languages) != 2 || c.Languages[0].Code != "tr" {
				t.Errorf("Counselor(yusuf) = %+v, %v", c, ok)
			}
			if again, err := db.Directory(ctx, t0.Add(time.Hour)); err != nil || again != dir1 {
				t.Errorf("unchanged data: Directory reloaded (%v)", err)
			}

			// A schedule set through the other handle.
			av := eyelevel.Availability{
				Weekly: []eyelevel.WeeklyWindow{{Weekday: time.Monday, Start: 9 * 60, End: 12 * 60}},
				Exceptions: []eyelevel.Exception{
					{Date: "2026-11-01", Start: 9 * 60, End: 10 * 60}, // too old to matter from t0 on
					{Date: "2026-12-07", Start: 9 * 60, End: 10 * 60},
				},
			}
			if err := other.SetAvailability(ctx, x.ID, av); err != nil {
				t.Fatal(err)
			}
			dir2, err := db.Directory(ctx, t0)
			if err != nil {
				t.Fatal(err)
			}
			if dir2.Version <= dir1.Version {
				t.Errorf("version %d after a change, was %d", dir2.Version, dir1.Version)
			}
			got := dir2.Availability(x.ID)
			if !slices.Equal(got.Weekly, av.Weekly) || !slices.Equal(got.Exceptions, av.Exceptions[1:]) {
				t.Errorf("Availability = %+v, want %+v without the first exception", got, av)
			}
			// Older instants need the older exceptions: read anew.
			if dir3, err := db.Directory(ctx, t0.AddDate(0, -1, 0)); err != nil || len(dir3.Availability(x.ID).Exceptions) != 2 {
				t.Errorf("Directory a month back: %+v, %v", dir3.Availability(x.ID), err)
			}

			// A new counselor, and languages changed behind the store's back.
			newCounselor(t, other, "zora", eyelevel.GenderDiverse, eyelevel.LanguageSkill{Code: "ar"})
			if _, err := other.Exec(ctx, `DELETE FROM counselor_languages WHERE counselor_id = $1 AND code = 'de'`, string(y.ID)); err != nil {
				t.Fatal(err)
			}
			dir4, err := db.Directory(ctx, t0)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(dir4.ByLanguage("de", "")); !slices.Equal(got, []string{"xenia"}) {
				t.Errorf("after removing yusuf's German: ByLanguage(de) = %v", got)
			}
			if got := names(dir4.ByLanguage("ar", "")); !slices.Equal(got, []string{"zora"}) {
				t.Errorf("ByLanguage(ar) = %v", got)
			}
		})
	}
}

// Book reads the facts a booking rule needs and books only what the rule
// (the caller's Free) accepts, outside a transaction and inside one. On
// PostgreSQL, outside a transaction, it runs the function
// book_if_unchanged, which must read the same facts as bookingFacts and
// insert only if they did not change after the rule saw them.
func TestBook(t *testing.T) {
	for _, inTx := range []bool{false, true} {
		t.Run(map[bool]string{false: "Book", true: "InTx"}[inTx], func(t *testing.T) {
			testBook(t, inTx)
		})
	}
}

func testBook(t *testing.T, inTx bool) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := newCounselor(t, db, "xenia", eyelevel.GenderFemale, eyelevel.LanguageSkill{Code: "de"})
		y := newCounselor(t, db, "yusuf", eyelevel.GenderMale, eyelevel.LanguageSkill{Code: "de"})
		alice := newUser(t, db, "alice", eyelevel.RoleClient)
		bob := newUser(t, db, "bob", eyelevel.RoleClient)
		carol := newUser(t, db, "carol", eyelevel.RoleClient)
		h := func(hours int) time.Time { return t0.Add(time.Duration(hours) * time.Hour) }
		v, err := db.CounselorVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// A rule for the test: nothing overlapping [lo, hi), no overlap,
		// fewer than two open.
		var lo, hi time.Time
		free := func(f store.BookingFacts) bool {
			for _, h := range f.Near {
				if h.End.After(lo) && h.Start.Before(hi) {
					return false
				}
			}
			return !f.Overlap && f.Open < 2
		}
		const buffer = 10 * time.Minute
		check := store.BookingCheck{Version: v, OpenAfter: t0, MaxOpen: 2, Free: free}
		book := func(c, client eyelevel.UserID, start time.Time, check store.BookingCheck) store.BookingResult {
			t.Helper()
			a := eyelevel.Appointment{ID: eyelevel.AppointmentID(eyelevel.NewID()), CounselorID: c, ClientID: client, Start: start, End: start.Add(50 * time.Minute), CreatedAt: t0}
			lo, hi = start.Add(-buffer), a.End.Add(buffer)
			check.Lo, check.Hi = lo, hi
			var r store.BookingResult
			var err error
			if inTx {
				err = db.InTx(ctx, func(ctx context.Context) error {
					r, err = db.Book(ctx, a, check)
					return err
				})
			} else {
				r, err = db.Book(ctx, a, check)
			}
			if err != nil {
				t.Fatalf("booking: %v", err)
			}
			n, err := db.QueryInt(ctx, `SELECT count(*) FROM appointments WHERE id = $1 AND status = 'booked'`, string(a.ID))
			if err != nil || (n == 1) != r.Booked {
				t.Fatalf("booking = %+v, but %d rows, %v", r, n, err)
			}
			return r
		}
		first := book(x.ID, alice.ID, h(2), check)
		if !first.Booked || first.Open != 0 || len(first.Near) != 0 {
			t.Fatalf("first booking: %+v", first)
		}
		// Within the buffer of x's booking at 2:00–2:50, for both ends: the
		// booking is a fact, and whose it is.
		for _, start := range []time.Time{h(2), h(2).Add(55 * time.Minute), h(1).Add(5 * time.Minute)} {
			r := book(x.ID, bob.ID, start, check)
			if r.Booked || len(r.Near) != 1 || r.Near[0].Own || !r.Near[0].Start.Equal(h(2)) || !r.Near[0].End.Equal(h(2).Add(50*time.Minute)) {
				t.Errorf("x at %v: %+v, want alice's booking near", start, r)
			}
		}
		if r := book(x.ID, alice.ID, h(2), check); r.Booked || len(r.Near) != 1 || !r.Near[0].Own || !r.Overlap {
			t.Errorf("alice again at 2:00: %+v, want her own booking near", r)
		}
		// Just outside it.
		if r := book(x.ID, bob.ID, h(3), check); !r.Booked || len(r.Near) != 0 {
			t.Errorf("x at 3:00: %+v", r)
		}
		// A booking longer than longAppointment is found by its length.
		long := eyelevel.Appointment{ID: "long", CounselorID: x.ID, ClientID: carol.ID, Start: h(10), End: h(16), Status: eyelevel.StatusBooked, CreatedAt: t0}
		if err := db.CreateAppointment(ctx, long); err != nil {
			t.Fatal(err)
		}
		if r := book(x.ID, alice.ID, h(15), check); r.Booked || len(r.Near) != 1 || r.Near[0].ID != "long" {
			t.Errorf("x at 15:00, inside a 6-hour booking: %+v", r)
		}
		// Alice's own booking overlaps, with another counselor.
		if r := book(y.ID, alice.ID, h(2).Add(30*time.Minute), check); r.Booked || len(r.Near) != 0 || !r.Overlap {
			t.Errorf("alice's overlap: %+v", r)
		}
		// Her second open booking is allowed, a third is not.
		if r := book(y.ID, alice.ID, h(5), check); !r.Booked || r.Open != 1 {
			t.Errorf("alice's second: %+v", r)
		}
		if r := book(y.ID, alice.ID, h(7), check); r.Booked || r.Open != 2 {
			t.Errorf("alice's third: %+v", r)
		}
		// Bookings that ended do not count.
		later := check
		later.OpenAfter = h(6)
		if r := book(y.ID, alice.ID, h(7), later); !r.Booked || r.Open != 0 {
			t.Errorf("alice's third, after the first two ended: %+v", r)
		}
		// Facts that change after the rule saw them: the insert waits for
		// the rule to see the new ones. (Only outside a transaction: inside
		// one, the rule runs under the locks, and SQLite's writer is held.)
		if !inTx {
			var seen []store.BookingFacts
			sneaky := later
			sneaky.Free = func(f store.BookingFacts) bool {
				if len(seen) == 0 {
					b := eyelevel.Appointment{ID: "sneaky", CounselorID: y.ID, ClientID: carol.ID, Start: h(30), End: h(30).Add(50 * time.Minute), Status: eyelevel.StatusBooked, CreatedAt: t0}
					if db.Dialect() == store.Postgres {
						if err := db.CreateAppointment(ctx, b); err != nil {
							t.Error(err)
						}
					}
				}
				seen = append(seen, f)
				return free(f)
			}
			r := book(y.ID, alice.ID, h(30), sneaky)
			if db.Dialect() == store.Postgres {
				last := seen[len(seen)-1]
				if r.Booked || len(r.Near) != 1 || r.Near[0].ID != "sneaky" || len(last.Near) != 1 {
					t.Errorf("booking after a change: %+v, rule saw %+v", r, seen)
				}
			}
		}
		// A schedule change since the caller looked: nothing is booked
		// unless the caller rechecked (Version 0).
		mondays := eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{{Weekday: time.Monday, Start: 9 * 60, End: 17 * 60}}}
		if err := db.SetAvailability(ctx, y.ID, mondays); err != nil {
			t.Fatal(err)
		}
		if r := book(y.ID, bob.ID, h(9), check); r.Booked || !r.Outdated {
			t.Errorf("outdated: %+v", r)
		}
		rechecked := check
		rechecked.Version = 0
		if r := book(y.ID, bob.ID, h(9), rechecked); !r.Booked {
			t.Errorf("rechecked: %+v", r)
		}
		// An unknown counselor: found by the lock (SQLite takes none).
		if db.Dialect() == store.Postgres {
			a := eyelevel.Appointment{ID: eyelevel.AppointmentID(eyelevel.NewID()), CounselorID: "nobody", ClientID: bob.ID, Start: h(20), End: h(21), CreatedAt: t0}
			any := check
			any.Version, any.Free = 0, func(store.BookingFacts) bool { return true }
			_, err := db.Book(ctx, a, any)
			wantCode(t, err, eyelevel.ENOTFOUND)
			err = db.InTx(ctx, func(ctx context.Context) error { return db.LockBooking(ctx, "nobody", bob.ID) })
			wantCode(t, err, eyelevel.ENOTFOUND)
		}
	})
}
