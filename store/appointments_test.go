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

func newAppointment(t *testing.T, db *store.DB, counselor, client eyelevel.UserID, start time.Time) eyelevel.Appointment {
	t.Helper()
	a := eyelevel.Appointment{
		ID: eyelevel.AppointmentID(eyelevel.NewID()), CounselorID: counselor, ClientID: client,
		Start: start, End: start.Add(50 * time.Minute), Status: eyelevel.StatusBooked, CreatedAt: t0,
	}
	if err := db.CreateAppointment(context.Background(), a); err != nil {
		t.Fatalf("create appointment at %v: %v", start, err)
	}
	return a
}

func apptIDs(as []eyelevel.Appointment) []eyelevel.AppointmentID {
	out := make([]eyelevel.AppointmentID, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

func TestAppointments(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := newCounselor(t, db, "xenia", eyelevel.GenderFemale, eyelevel.LanguageSkill{Code: "de"})
		y := newCounselor(t, db, "yusuf", eyelevel.GenderMale, eyelevel.LanguageSkill{Code: "de"})
		alice := newUser(t, db, "alice", eyelevel.RoleClient)
		bob := newUser(t, db, "bob", eyelevel.RoleClient)
		h := func(hours int) time.Time { return t0.Add(time.Duration(hours) * time.Hour) }

		a1 := newAppointment(t, db, x.ID, alice.ID, h(2))
		got, err := db.Appointment(ctx, a1.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := a1
		want.CounselorName, want.ClientUsername, want.PaidBy = x.DisplayName, "alice", eyelevel.PaidFree
		if got != want {
			t.Errorf("Appointment = %+v, want %+v", got, want)
		}
		_, err = db.Appointment(ctx, "nothing")
		wantCode(t, err, eyelevel.ENOTFOUND)

		// The same counselor and start while booked: refused by the database.
		dup := eyelevel.Appointment{ID: eyelevel.AppointmentID(eyelevel.NewID()), CounselorID: x.ID, ClientID: bob.ID, Start: h(2), End: h(2).Add(50 * time.Minute), Status: eyelevel.StatusBooked, CreatedAt: t0}
		wantCode(t, db.CreateAppointment(ctx, dup), eyelevel.ECONFLICT)
		// Another counselor at the same time is fine.
		a2 := newAppointment(t, db, y.ID, bob.ID, h(2))

		// Cancelled, the slot can be booked again; cancelling twice conflicts.
		if err := db.CancelAppointment(ctx, a1.ID, alice.ID, h(1)); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.CancelAppointment(ctx, a1.ID, alice.ID, h(1)), eyelevel.ECONFLICT)
		wantCode(t, db.CancelAppointment(ctx, "nothing", alice.ID, h(1)), eyelevel.ECONFLICT)
		got, err = db.Appointment(ctx, a1.ID)
		if err != nil || got.Status != eyelevel.StatusCancelled || !got.CancelledAt.Equal(h(1)) || got.CancelledBy != alice.ID {
			t.Errorf("cancelled appointment = %+v, %v", got, err)
		}
		if err := db.CreateAppointment(ctx, dup); err != nil {
			t.Fatalf("rebooking a cancelled slot: %v", err)
		}
		a3 := newAppointment(t, db, x.ID, alice.ID, h(26))
		a4 := newAppointment(t, db, x.ID, alice.ID, h(50))

		// Busy: booked only, grouped by counselor, by start, overlapping [from, to).
		busy, err := db.Busy(ctx, []eyelevel.UserID{x.ID, y.ID}, h(0), h(27))
		if err != nil {
			t.Fatal(err)
		}
		slot := func(hours int) eyelevel.Slot {
			return eyelevel.Slot{Start: h(hours), End: h(hours).Add(50 * time.Minute)}
		}
		if want := []eyelevel.Slot{slot(2), slot(26)}; !slices.Equal(busy[x.ID], want) {
			t.Errorf("Busy[x] = %v, want %v", busy[x.ID], want)
		}
		if want := []eyelevel.Slot{slot(2)}; !slices.Equal(busy[y.ID], want) {
			t.Errorf("Busy[y] = %v, want %v", busy[y.ID], want)
		}
		// The range is half-open on both sides of an interval.
		for _, c := range []struct {
			from, to time.Time
			want     int
		}{
			{h(2).Add(50 * time.Minute), h(26), 0}, // ends exactly at from; starts exactly at to
			{h(2).Add(49 * time.Minute), h(26), 1},
			{h(3), h(26).Add(time.Minute), 1},
			{h(0), h(100), 3},
		} {
			busy, err := db.Busy(ctx, []eyelevel.UserID{x.ID}, c.from, c.to)
			if err != nil || len(busy[x.ID]) != c.want {
				t.Errorf("Busy(x, %v, %v) = %v, %v; want %d", c.from, c.to, busy[x.ID], err, c.want)
			}
		}
		if busy, err := db.Busy(ctx, nil, h(0), h(100)); err != nil || len(busy) != 0 {
			t.Errorf("Busy(nil) = %v, %v", busy, err)
		}

		// ClientHasOverlap: alice's only booking at h(2) was cancelled; bob has two.
		for _, c := range []struct {
			client     eyelevel.UserID
			start, end time.Time
			want       bool
		}{
			{alice.ID, h(2), h(3), false},
			{bob.ID, h(2), h(3), true},
			{bob.ID, h(2).Add(49 * time.Minute), h(4), true},
			{bob.ID, h(2).Add(50 * time.Minute), h(4), false},
			{bob.ID, h(1), h(2), false},
			{alice.ID, h(26).Add(-10 * time.Minute), h(26).Add(time.Minute), true},
		} {
			if got, err := db.ClientHasOverlap(ctx, c.client, c.start, c.end); err != nil || got != c.want {
				t.Errorf("ClientHasOverlap(%v, %v, %v) = %v, %v; want %v", c.client, c.start, c.end, got, err, c.want)
			}
		}

		// Appointments: one participant's, cancelled ones included, by start.
		list := func(f store.AppointmentFilter) []eyelevel.AppointmentID {
			t.Helper()
			as, err := db.Appointments(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			return apptIDs(as)
		}
		if got, want := list(store.AppointmentFilter{ClientID: alice.ID}), []eyelevel.AppointmentID{a1.ID, a3.ID, a4.ID}; !slices.Equal(got, want) {
			t.Errorf("alice's appointments = %v, want %v", got, want)
		}
		if got, want := list(store.AppointmentFilter{CounselorID: x.ID}), []eyelevel.AppointmentID{a1.ID, dup.ID, a3.ID, a4.ID}; !slices.Equal(got[2:], want[2:]) || !slices.Contains(got[:2], a1.ID) || !slices.Contains(got[:2], dup.ID) {
			t.Errorf("x's appointments = %v, want %v (first two in either order)", got, want)
		}
		if got, want := list(store.AppointmentFilter{CounselorID: y.ID}), []eyelevel.AppointmentID{a2.ID}; !slices.Equal(got, want) {
			t.Errorf("y's appointments = %v, want %v", got, want)
		}
		if got, want := list(store.AppointmentFilter{ClientID: alice.ID, EndsAfter: h(2).Add(50 * time.Minute)}), []eyelevel.AppointmentID{a3.ID, a4.ID}; !slices.Equal(got, want) {
			t.Errorf("alice's appointments ending after a1's end = %v, want %v", got, want)
		}
		if got, want := list(store.AppointmentFilter{ClientID: alice.ID, EndsAfter: h(2).Add(49 * time.Minute)}), []eyelevel.AppointmentID{a1.ID, a3.ID, a4.ID}; !slices.Equal(got, want) {
			t.Errorf("alice's appointments ending after a1's end-1m = %v, want %v", got, want)
		}
		if got, want := list(store.AppointmentFilter{ClientID: alice.ID, BookedOnly: true}), []eyelevel.AppointmentID{a3.ID, a4.ID}; !slices.Equal(got, want) {
			t.Errorf("alice's booked appointments = %v, want %v", got, want)
		}
		if got, want := list(store.AppointmentFilter{ClientID: alice.ID, BookedOnly: true, Limit: 1}), []eyelevel.AppointmentID{a3.ID}; !slices.Equal(got, want) {
			t.Errorf("alice's first booked appointment = %v, want %v", got, want)
		}
		if got, want := list(store.AppointmentFilter{ClientID: alice.ID, Limit: 2}), []eyelevel.AppointmentID{a1.ID, a3.ID}; !slices.Equal(got, want) {
			t.Errorf("alice's first 2 appointments = %v, want %v", got, want)
		}
		if got := list(store.AppointmentFilter{ClientID: "nobody"}); len(got) != 0 {
			t.Errorf("nobody's appointments = %v", got)
		}
		as, err := db.Appointments(ctx, store.AppointmentFilter{CounselorID: y.ID})
		if err != nil || len(as) != 1 || as[0].CounselorName != y.DisplayName || as[0].ClientUsername != "bob" {
			t.Errorf("listing lacks display fields: %+v, %v", as, err)
		}
	})
}

func TestAppointmentIntegrity(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := newCounselor(t, db, "xenia", eyelevel.GenderFemale, eyelevel.LanguageSkill{Code: "de"})
		alice := newUser(t, db, "alice", eyelevel.RoleClient)
		bad := []eyelevel.Appointment{
			{CounselorID: "nobody", ClientID: alice.ID, Start: t0, End: t0.Add(time.Hour)},          // no such counselor
			{CounselorID: alice.ID, ClientID: alice.ID, Start: t0, End: t0.Add(time.Hour)},          // a user, not a counselor
			{CounselorID: x.ID, ClientID: "nobody", Start: t0, End: t0.Add(time.Hour)},              // no such client
			{CounselorID: x.ID, ClientID: alice.ID, Start: t0, End: t0},                             // empty
			{CounselorID: x.ID, ClientID: alice.ID, Start: t0, End: t0.Add(time.Hour), Status: "x"}, // unknown status
		}
		for i, a := range bad {
			a.ID = eyelevel.AppointmentID(eyelevel.NewID())
			if a.Status == "" {
				a.Status = eyelevel.StatusBooked
			}
			if err := db.CreateAppointment(ctx, a); err == nil {
				t.Errorf("bad appointment %d was stored", i)
			}
		}
		// Locking a counselor works inside a transaction on every dialect.
		err := db.InTx(ctx, func(ctx context.Context) error {
			if err := db.LockCounselor(ctx, x.ID); err != nil {
				return err
			}
			return db.LockUser(ctx, alice.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
