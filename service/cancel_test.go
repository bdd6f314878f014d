package service_test

import (
	"slices"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

func TestCancel(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		omid := e.counselor("omid", eyelevel.GenderMale, []string{"de"}, officeHours...)
		alice, bob := e.client("alice"), e.client("bob")

		// The client may cancel until 24 hours before; the slot is free again.
		a := e.book(alice, mia, at(2, 10, 0))
		if !e.svc.CanCancel(alice, a) || !e.svc.CanCancel(mia, a) || e.svc.CanCancel(bob, a) || e.svc.CanCancel(omid, a) || e.svc.CanCancel(e.admin, a) {
			t.Error("CanCancel well before the start")
		}
		got, err := e.svc.Cancel(e.ctx, alice, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != eyelevel.StatusCancelled || got.CancelledBy != alice.UserID || !got.CancelledAt.Equal(monday) {
			t.Errorf("cancelled = %+v", got)
		}
		if stored, err := e.svc.Appointment(e.ctx, alice, a.ID); err != nil || stored.Status != eyelevel.StatusCancelled {
			t.Errorf("stored after cancel = %+v, %v", stored, err)
		}
		if !slices.Contains(e.slots(mia, at(2, 0, 0), at(3, 0, 0)), at(2, 10, 0)) {
			t.Error("cancelled slot is not offered again")
		}
		if e.svc.CanCancel(alice, got) {
			t.Error("CanCancel on a cancelled appointment")
		}
		_, err = e.svc.Cancel(e.ctx, alice, a.ID)
		wantKey(t, err, eyelevel.ECONFLICT, "appointment.err.not_booked")
		e.book(bob, mia, at(2, 10, 0))

		// Within 24 hours both may; the client's is a late cancellation,
		// the counselor's is not.
		soon := e.book(alice, mia, at(0, 10, 0))
		if !e.svc.CanCancel(alice, soon) || !e.svc.CanCancel(mia, soon) {
			t.Error("CanCancel within the notice period")
		}
		if late, _, err := e.svc.LateCancel(e.ctx, alice, soon); !late || err != nil {
			t.Errorf("LateCancel for the client = %v, %v", late, err)
		}
		if late, _, _ := e.svc.LateCancel(e.ctx, mia, soon); late {
			t.Error("LateCancel for the counselor")
		}
		lateOne := e.book(alice, mia, at(0, 11, 0))
		if got, err := e.svc.Cancel(e.ctx, alice, lateOne.ID); err != nil || !got.LateCancel {
			t.Fatalf("client cancels within 24 h = %+v, %v", got, err)
		}
		if stored, _ := e.svc.Appointment(e.ctx, alice, lateOne.ID); !stored.LateCancel {
			t.Error("late cancellation not stored")
		}
		for _, other := range []eyelevel.Actor{bob, omid, e.admin} {
			_, err = e.svc.Cancel(e.ctx, other, soon.ID)
			wantCode(t, err, eyelevel.ENOTFOUND)
		}
		_, err = e.svc.Cancel(e.ctx, eyelevel.Actor{}, soon.ID)
		wantCode(t, err, eyelevel.EUNAUTHORIZED)
		_, err = e.svc.Cancel(e.ctx, alice, "nothing")
		wantCode(t, err, eyelevel.ENOTFOUND)
		if got, err := e.svc.Cancel(e.ctx, mia, soon.ID); err != nil || got.CancelledBy != mia.UserID || got.LateCancel {
			t.Fatalf("counselor cancels within 24 h = %+v, %v", got, err)
		}
		_, err = e.svc.Cancel(e.ctx, mia, soon.ID)
		wantKey(t, err, eyelevel.ECONFLICT, "appointment.err.not_booked")

		// Exactly 24 hours before is still in time; a second later is not.
		edge := e.book(alice, omid, at(1, 9, 0))
		edge2 := e.book(bob, omid, at(1, 10, 0))
		e.clock.Advance(time.Hour) // Tuesday 09:00 is now 24 h away
		if got, err := e.svc.Cancel(e.ctx, alice, edge.ID); err != nil || got.LateCancel {
			t.Errorf("cancel exactly 24 h before: %+v, %v", got, err)
		}
		e.clock.Advance(time.Hour + time.Second) // Tuesday 10:00 is 24 h minus 1 s away
		if late, _, _ := e.svc.LateCancel(e.ctx, bob, edge2); !late {
			t.Error("24 h minus 1 s before is not late")
		}

		// Once it has started, nobody cancels.
		e.clock.Advance(24 * time.Hour)
		if e.svc.CanCancel(omid, edge2) {
			t.Error("CanCancel after the start")
		}
		_, err = e.svc.Cancel(e.ctx, omid, edge2.ID)
		wantKey(t, err, eyelevel.ECONFLICT, "cancel.err.started")
	})
}

func TestAppointmentVisibility(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		x := e.counselor("xenia", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		y := e.counselor("yusuf", eyelevel.GenderMale, []string{"de"}, officeHours...)
		a, b := e.client("alice"), e.client("bob")
		ax := e.book(a, x, at(1, 9, 0))
		by := e.book(b, y, at(1, 9, 0))
		bx := e.book(b, x, at(1, 10, 0))

		for _, c := range []struct {
			who  eyelevel.Actor
			id   eyelevel.AppointmentID
			code string
		}{
			{a, ax.ID, ""}, {x, ax.ID, ""}, {b, ax.ID, eyelevel.ENOTFOUND}, {y, ax.ID, eyelevel.ENOTFOUND},
			{a, bx.ID, eyelevel.ENOTFOUND}, {a, by.ID, eyelevel.ENOTFOUND}, {y, bx.ID, eyelevel.ENOTFOUND}, {x, by.ID, eyelevel.ENOTFOUND},
			{b, bx.ID, ""}, {b, by.ID, ""}, {y, by.ID, ""}, {x, bx.ID, ""},
			{e.admin, ax.ID, eyelevel.ENOTFOUND}, {e.admin, by.ID, eyelevel.ENOTFOUND},
			{eyelevel.Actor{}, ax.ID, eyelevel.EUNAUTHORIZED},
			{a, "nothing", eyelevel.ENOTFOUND},
		} {
			got, err := e.svc.Appointment(e.ctx, c.who, c.id)
			wantCode(t, err, c.code)
			if c.code == "" && got.ID != c.id {
				t.Errorf("Appointment(%v) = %+v", c.id, got)
			}
		}

		list := func(who eyelevel.Actor, past bool) []eyelevel.AppointmentID {
			t.Helper()
			as, _, err := e.svc.Appointments(e.ctx, who, past, service.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if as == nil {
				t.Error("Appointments returned nil, want an empty list")
			}
			ids := []eyelevel.AppointmentID{}
			for _, a := range as {
				ids = append(ids, a.ID)
			}
			return ids
		}
		for _, c := range []struct {
			who  eyelevel.Actor
			want []eyelevel.AppointmentID
		}{
			{a, []eyelevel.AppointmentID{ax.ID}},
			{b, []eyelevel.AppointmentID{by.ID, bx.ID}},
			{x, []eyelevel.AppointmentID{ax.ID, bx.ID}},
			{y, []eyelevel.AppointmentID{by.ID}},
			{e.admin, []eyelevel.AppointmentID{}},
			{e.client("carol"), []eyelevel.AppointmentID{}},
		} {
			if got := list(c.who, false); !slices.Equal(got, c.want) {
				t.Errorf("Appointments(%s) = %v, want %v", c.who.UserID, got, c.want)
			}
		}
		_, _, err := e.svc.Appointments(e.ctx, eyelevel.Actor{}, false, service.Page{})
		wantCode(t, err, eyelevel.EUNAUTHORIZED)

		// Ended sessions leave the upcoming list but stay in the history.
		e.clock.Advance(25*time.Hour + 50*time.Minute) // Tuesday 09:50
		if got := list(a, false); len(got) != 0 {
			t.Errorf("alice's upcoming after the session = %v", got)
		}
		if got, want := list(a, true), []eyelevel.AppointmentID{ax.ID}; !slices.Equal(got, want) {
			t.Errorf("alice's history = %v, want %v", got, want)
		}
		if got, want := list(x, false), []eyelevel.AppointmentID{bx.ID}; !slices.Equal(got, want) {
			t.Errorf("xenia's upcoming = %v, want %v", got, want)
		}
	})
}
