package service_test

import (
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/store"
)

func (e *env) join(a eyelevel.Appointment, who eyelevel.UserID) {
	e.t.Helper()
	err := e.db.AddRoomEvent(e.ctx, store.RoomEvent{AppointmentID: a.ID, UserID: who, Event: eyelevel.RoomJoined, At: a.Start})
	if err != nil {
		e.t.Fatal(err)
	}
}

// TestSettleAttendance: once the room has closed, the join events decide
// how the session ended, and the credit follows.
func TestSettleAttendance(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, weekdays(0, 24*60)...)
		type result struct {
			appt   eyelevel.Appointment
			credit string
			want   eyelevel.Attendance
			used   int
		}
		var results []result
		for i, c := range []struct {
			name              string
			client, counselor bool
			lateCounts        bool
			want              eyelevel.Attendance
			used              int
		}{
			{"both joined", true, true, true, eyelevel.AttendanceHeld, 1},
			{"only the client", true, false, true, eyelevel.AttendanceNoShowCounselor, 0},
			{"only the counselor, counts", false, true, true, eyelevel.AttendanceNoShowClient, 1},
			{"only the counselor, does not count", false, true, false, eyelevel.AttendanceNoShowClient, 0},
			{"nobody", false, false, true, eyelevel.AttendanceNoShowCounselor, 0},
		} {
			k := e.storedContract(eyelevel.Contract{LateCancelCounts: c.lateCounts, Pool: 10})
			cl := e.client("client" + k.ID[:6])
			credit := e.grant(cl, k, false)
			a := e.book(cl, mia, at(0, 10+i, 0))
			if c.client {
				e.join(a, cl.UserID)
			}
			if c.counselor {
				e.join(a, mia.UserID)
			}
			results = append(results, result{a, credit.ID, c.want, c.used})
		}
		// Before the rooms close nothing is settled.
		e.clock.Advance(at(0, 14, 50).Sub(monday)) // the last ended 10 minutes ago
		n, err := e.svc.SettleAttendance(e.ctx)
		if err != nil || n != 4 {
			t.Fatalf("SettleAttendance before the last room closed = %d, %v; want 4", n, err)
		}
		e.clock.Advance(15 * time.Minute)
		if n, err := e.svc.SettleAttendance(e.ctx); err != nil || n != 1 {
			t.Fatalf("SettleAttendance = %d, %v; want 1", n, err)
		}
		if n, err := e.svc.SettleAttendance(e.ctx); err != nil || n != 0 {
			t.Fatalf("SettleAttendance again = %d, %v; want 0", n, err)
		}
		for _, r := range results {
			got, err := e.db.Appointment(e.ctx, r.appt.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Attendance != r.want || got.AttendanceBy != "auto" {
				t.Errorf("%v: attendance %q by %q, want %q", r.appt.Start, got.Attendance, got.AttendanceBy, r.want)
			}
			if u := e.used(r.credit); u != r.used {
				t.Errorf("%v (%s): credit used = %d, want %d", r.appt.Start, r.want, u, r.used)
			}
		}
	})
}

// TestCorrectAttendance: the counselor corrects within 7 days of the
// end, idempotently, and the credit follows; nobody else can, and later
// not even the counselor.
func TestCorrectAttendance(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		omid := e.counselor("omid", eyelevel.GenderMale, []string{"de"}, officeHours...)
		k := e.storedContract(eyelevel.Contract{LateCancelCounts: true, Pool: 10})
		alice := e.client("alice")
		credit := e.grant(alice, k, false)
		a := e.book(alice, mia, at(0, 10, 0))
		set := func(who eyelevel.Actor, att eyelevel.Attendance) (eyelevel.Appointment, error) {
			return e.svc.SetAttendance(e.ctx, who, a.ID, service.AttendanceInput{Attendance: att})
		}
		_, err := set(mia, eyelevel.AttendanceHeld)
		wantKey(t, err, eyelevel.ECONFLICT, "attendance.err.not_started")

		e.clock.Advance(at(0, 11, 10).Sub(monday))
		if _, err := e.svc.SettleAttendance(e.ctx); err != nil { // nobody joined
			t.Fatal(err)
		}
		if u := e.used(credit.ID); u != 0 {
			t.Fatalf("after a counselor's no-show used = %d", u)
		}
		for _, c := range []struct {
			who  eyelevel.Actor
			att  eyelevel.Attendance
			code string
			used int
		}{
			{alice, eyelevel.AttendanceHeld, eyelevel.ENOTFOUND, 0},
			{omid, eyelevel.AttendanceHeld, eyelevel.ENOTFOUND, 0},
			{e.admin, eyelevel.AttendanceHeld, eyelevel.ENOTFOUND, 0},
			{mia, "present", eyelevel.EINVALID, 0},
			{mia, eyelevel.AttendanceHeld, "", 1},
			{mia, eyelevel.AttendanceHeld, "", 1}, // again: nothing changes
			{mia, eyelevel.AttendanceNoShowClient, "", 1},
			{mia, eyelevel.AttendanceNoShowCounselor, "", 0},
			{mia, eyelevel.AttendanceNoShowCounselor, "", 0},
			{mia, eyelevel.AttendanceNoShowClient, "", 1},
		} {
			got, err := set(c.who, c.att)
			if code := eyelevel.ErrorCode(err); code != c.code {
				t.Errorf("%s sets %q: %v, want %q", c.who.Role, c.att, err, c.code)
			} else if err == nil && (got.Attendance != c.att || got.AttendanceBy != "counselor") {
				t.Errorf("%s sets %q: %+v", c.who.Role, c.att, got)
			}
			if u := e.used(credit.ID); u != c.used {
				t.Errorf("after %s sets %q: used = %d, want %d", c.who.Role, c.att, u, c.used)
			}
		}
		// The client sees the correction.
		recent, err := e.svc.RecentSessions(e.ctx, alice)
		if err != nil || len(recent) != 1 || recent[0].Attendance != eyelevel.AttendanceNoShowClient || recent[0].AttendanceBy != "counselor" {
			t.Errorf("RecentSessions = %+v, %v", recent, err)
		}
		// Seven days after the end is the last moment.
		e.clock.Advance(at(7, 10, 50).Sub(e.clock.Now()))
		if _, err := e.svc.EndSession(e.ctx, mia, a.ID); err != nil {
			t.Errorf("EndSession 7 days after: %v", err)
		}
		e.clock.Advance(time.Second)
		_, err = set(mia, eyelevel.AttendanceNoShowCounselor)
		wantKey(t, err, eyelevel.ECONFLICT, "attendance.err.too_late")
		if u := e.used(credit.ID); u != 1 {
			t.Errorf("after the window: used = %d", u)
		}
		if recent, _ := e.svc.RecentSessions(e.ctx, alice); len(recent) != 0 {
			t.Errorf("RecentSessions after 7 days = %+v", recent)
		}
	})
}
