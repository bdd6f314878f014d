package service_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store/storetest"
)

func TestBook(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		alice := e.client("alice")
		berlin, _ := time.LoadLocation("Europe/Berlin")
		a := e.book(alice, mia, at(1, 10, 0).In(berlin))
		want := eyelevel.Appointment{
			ID: a.ID, CounselorID: mia.UserID, ClientID: alice.UserID, Start: at(1, 10, 0), End: at(1, 10, 50),
			Status: eyelevel.StatusBooked, CreatedAt: monday, CounselorName: "Counselor mia", PaidBy: eyelevel.PaidFree,
		}
		if a.ID == "" || a != want {
			t.Errorf("Book = %+v, want %+v", a, want)
		}
		got, err := e.svc.Appointment(e.ctx, alice, a.ID)
		want.ClientUsername = "alice"
		if err != nil || got != want {
			t.Errorf("Appointment = %+v, %v; want %+v", got, err, want)
		}
		if slots := e.slots(mia, at(1, 0, 0), at(2, 0, 0)); slices.Contains(slots, at(1, 10, 0)) || len(slots) != 7 {
			t.Errorf("slots after booking 10:00 = %v", slots)
		}

		// Taken: by someone else, or overlapping the client's own booking
		// elsewhere. Booking her own slot again, alice is told that it is
		// hers, not that someone else took it.
		bob := e.client("bob")
		_, err = e.svc.Book(e.ctx, bob, service.BookInput{CounselorID: mia.UserID, Start: at(1, 10, 0)})
		wantKey(t, err, eyelevel.ECONFLICT, "booking.err.taken")
		_, err = e.svc.Book(e.ctx, alice, service.BookInput{CounselorID: mia.UserID, Start: at(1, 10, 0)})
		wantKey(t, err, eyelevel.ECONFLICT, "booking.err.already_yours")
		omid := e.counselor("omid", eyelevel.GenderMale, []string{"de"}, weekdays(9*60+30, 17*60)...)
		_, err = e.svc.Book(e.ctx, alice, service.BookInput{CounselorID: omid.UserID, Start: at(1, 10, 30)})
		wantKey(t, err, eyelevel.ECONFLICT, "booking.err.overlap")
		_, err = e.svc.Book(e.ctx, alice, service.BookInput{CounselorID: omid.UserID, Start: at(1, 9, 30)})
		wantKey(t, err, eyelevel.ECONFLICT, "booking.err.overlap")
		e.book(alice, omid, at(1, 11, 30)) // after alice's session: fine
		e.book(bob, omid, at(1, 10, 30))   // bob is free then

		// Only clients book.
		for _, who := range []eyelevel.Actor{mia, omid, e.admin} {
			_, err = e.svc.Book(e.ctx, who, service.BookInput{CounselorID: mia.UserID, Start: at(1, 12, 0)})
			wantCode(t, err, eyelevel.EFORBIDDEN)
		}
		_, err = e.svc.Book(e.ctx, eyelevel.Actor{}, service.BookInput{CounselorID: mia.UserID, Start: at(1, 12, 0)})
		wantCode(t, err, eyelevel.EUNAUTHORIZED)
	})
}

func TestBookRules(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		alice := e.client("alice")
		for _, c := range []struct {
			start time.Time
			key   string
		}{
			{at(0, 7, 0), "booking.err.past"},
			{at(0, 8, 0), "booking.err.past"}, // now
			{at(0, 8, 30), "booking.err.too_soon"},
			{at(0, 8, 59), "booking.err.too_soon"},
			{at(57, 9, 0), "booking.err.too_far"},
			{at(1, 9, 15), "booking.err.not_a_slot"}, // not on the grid
			{at(1, 9, 0).Add(time.Second), "booking.err.not_a_slot"},
			{at(1, 8, 0), "booking.err.not_a_slot"},  // before hours
			{at(1, 17, 0), "booking.err.not_a_slot"}, // after hours
			{at(5, 10, 0), "booking.err.not_a_slot"}, // Saturday
		} {
			_, err := e.svc.Book(e.ctx, alice, service.BookInput{CounselorID: mia.UserID, Start: c.start})
			wantKey(t, err, eyelevel.EINVALID, c.key)
		}
		_, err := e.svc.Book(e.ctx, alice, service.BookInput{CounselorID: mia.UserID})
		wantField(t, err, "start")
		_, err = e.svc.Book(e.ctx, alice, service.BookInput{Start: at(1, 9, 0)})
		wantField(t, err, "counselor_id")
		for _, id := range []eyelevel.UserID{"nobody", alice.UserID, e.admin.UserID} {
			_, err = e.svc.Book(e.ctx, alice, service.BookInput{CounselorID: id, Start: at(1, 9, 0)})
			wantCode(t, err, eyelevel.ENOTFOUND)
		}
		// The first bookable start is exactly now plus the lead time.
		e.book(alice, mia, at(0, 9, 0))
		if as, _, err := e.svc.Appointments(e.ctx, alice, false, service.Page{}); err != nil || len(as) != 1 {
			t.Errorf("appointments after rejected bookings = %v, %v; want 1", as, err)
		}
	})
}

func TestBookMaxOpen(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		carol := e.client("carol")
		var booked []eyelevel.Appointment
		for i := range 10 {
			booked = append(booked, e.book(carol, mia, at(1+i/8, 9+i%8, 0)))
		}
		_, err := e.svc.Book(e.ctx, carol, service.BookInput{CounselorID: mia.UserID, Start: at(3, 9, 0)})
		wantKey(t, err, eyelevel.ECONFLICT, "booking.err.too_many")
		e.book(e.client("dave"), mia, at(3, 9, 0)) // the limit is per client

		if _, err := e.svc.Cancel(e.ctx, carol, booked[0].ID); err != nil {
			t.Fatal(err)
		}
		e.book(carol, mia, at(3, 10, 0))
		_, err = e.svc.Book(e.ctx, carol, service.BookInput{CounselorID: mia.UserID, Start: at(3, 11, 0)})
		wantKey(t, err, eyelevel.ECONFLICT, "booking.err.too_many")

		// Past sessions do not count.
		e.clock.Advance(26*time.Hour + 50*time.Minute) // Tuesday 10:50: the 10:00 session is over
		e.book(carol, mia, at(3, 11, 0))
	})
}

// Cancelled bookings do not count towards the limit, however many there are.
func TestBookMaxOpenAfterManyCancellations(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		carol := e.client("carol")
		for i := range 11 {
			a := e.book(carol, mia, at(2+i/8, 9+i%8, 0))
			if _, err := e.svc.Cancel(e.ctx, carol, a.ID); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 10 {
			e.book(carol, mia, at(7+i/8, 9+i%8, 0))
		}
		_, err := e.svc.Book(e.ctx, carol, service.BookInput{CounselorID: mia.UserID, Start: at(9, 9, 0)})
		wantKey(t, err, eyelevel.ECONFLICT, "booking.err.too_many")
	})
}

// A booking is checked against the schedule as it is in the database, even
// when this instance keeps an older copy because another one changed it.
func TestBookAfterChangeElsewhere(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			dsn, dir := storetest.Location(t, d)
			clk := &clock{t: monday}
			e := &env{t: t, ctx: context.Background(), db: storetest.OpenAt(t, dsn, dir), clock: clk}
			e.svc = servicetest.NewService(t, e.db, clk.Now)
			e.admin = e.user(eyelevel.RoleAdmin, "admin")
			other := servicetest.NewService(t, storetest.OpenAt(t, dsn, dir), clk.Now)
			mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, officeHours...)
			alice := e.client("alice")
			search := func() *eyelevel.Slot {
				t.Helper()
				ms, err := e.svc.Search(e.ctx, alice, service.SearchInput{Language: "de"})
				if err != nil || len(ms) != 1 {
					t.Fatalf("Search = %v, %v", ms, err)
				}
				return ms[0].NextSlot
			}
			if next := search(); next == nil || !next.Start.Equal(at(0, 9, 0)) {
				t.Fatalf("next slot %v, want 09:00", next)
			}

			// Mornings are gone: refused though this instance still has them.
			if err := other.SetAvailability(e.ctx, e.admin, mia.UserID, eyelevel.Availability{Weekly: weekdays(13*60, 17*60)}); err != nil {
				t.Fatal(err)
			}
			_, err := e.svc.Book(e.ctx, alice, service.BookInput{CounselorID: mia.UserID, Start: at(1, 10, 0)})
			wantField(t, err, "start")
			e.book(alice, mia, at(1, 13, 0))
			if next := search(); next == nil || !next.Start.Equal(at(0, 13, 0)) {
				t.Errorf("next slot %v, want 13:00", next)
			}

			// Earlier hours, unknown to this instance's copy: booked.
			if err := other.SetAvailability(e.ctx, e.admin, mia.UserID, eyelevel.Availability{Weekly: weekdays(8*60, 17*60)}); err != nil {
				t.Fatal(err)
			}
			e.book(alice, mia, at(2, 8, 0))
			if got := e.slots(mia, at(2, 0, 0), at(3, 0, 0)); len(got) != 8 || !got[0].Equal(at(2, 9, 0)) {
				t.Errorf("slots on Wednesday = %v", got)
			}
		})
	}
}
