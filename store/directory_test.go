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

// Book, and BookIfFree in a transaction after LockBooking, book only what
// the checks allow, and say why not. On PostgreSQL, Book runs the function
// book_if_free, which must agree with BookIfFree.
func TestBook(t *testing.T) {
	for _, viaBook := range []bool{true, false} {
		t.Run(map[bool]string{true: "Book", false: "BookIfFree"}[viaBook], func(t *testing.T) {
			testBook(t, viaBook)
		})
	}
}

func testBook(t *testing.T, viaBook bool) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := newCounselor(t, db, "xenia", eyelevel.GenderFemale, eyelevel.LanguageSkill{Code: "de"})
		y := newCounselor(t, db, "yusuf", eyelevel.GenderMale, eyelevel.LanguageSkill{Code: "de"})
		alice := newUser(t, db, "alice", eyelevel.RoleClient)
		bob := newUser(t, db, "bob", eyelevel.RoleClient)
		h := func(hours int) time.Time { return t0.Add(time.Duration(hours) * time.Hour) }
		v, err := db.CounselorVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		check := store.BookingCheck{Version: v, Buffer: 10 * time.Minute, OpenAfter: t0, MaxOpen: 2}
		book := func(c, client eyelevel.UserID, start time.Time, check store.BookingCheck) store.BookingResult {
			t.Helper()
			a := eyelevel.Appointment{ID: eyelevel.AppointmentID(eyelevel.NewID()), CounselorID: c, ClientID: client, Start: start, End: start.Add(50 * time.Minute), CreatedAt: t0}
			var r store.BookingResult
			var err error
			if viaBook {
				r, err = db.Book(ctx, a, check)
			} else {
				err = db.InTx(ctx, func(ctx context.Context) error {
					if err := db.LockBooking(ctx, c, client); err != nil {
						return err
					}
					r, err = db.BookIfFree(ctx, a, check)
					return err
				})
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
		if r := book(x.ID, alice.ID, h(2), check); !r.Booked || r.Open != 0 {
			t.Fatalf("first booking: %+v", r)
		}
		// Within the buffer of x's booking at 2:00–2:50, for both ends.
		for _, start := range []time.Time{h(2), h(2).Add(55 * time.Minute), h(1).Add(5 * time.Minute)} {
			if r := book(x.ID, bob.ID, start, check); r.Booked || !r.Taken {
				t.Errorf("x at %v: %+v, want taken", start, r)
			}
		}
		// Just outside it.
		if r := book(x.ID, bob.ID, h(3), check); !r.Booked {
			t.Errorf("x at 3:00: %+v", r)
		}
		// Alice's own booking overlaps, with another counselor.
		if r := book(y.ID, alice.ID, h(2).Add(30*time.Minute), check); r.Booked || r.Taken || !r.Overlap {
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
			_, err := db.Book(ctx, a, check)
			wantCode(t, err, eyelevel.ENOTFOUND)
			err = db.InTx(ctx, func(ctx context.Context) error { return db.LockBooking(ctx, "nobody", bob.ID) })
			wantCode(t, err, eyelevel.ENOTFOUND)
		}
	})
}
