package service_test

import (
	"errors"
	"testing"
	"time"

	"eyelevel"
)

// TestRoomAuthorization is the room table: who × when → answer.
func TestRoomAuthorization(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		x := e.counselor("counselor-x", eyelevel.GenderFemale, []string{"fa*"}, officeHours...)
		y := e.counselor("counselor-y", eyelevel.GenderMale, []string{"fa*"}, officeHours...)
		a, b := e.client("client-a"), e.client("client-b")
		start := at(2, 10, 0) // Wednesday 10:00 UTC; room 09:50–11:05
		appt := e.book(a, x, start)
		gone := e.book(a, x, at(3, 10, 0))
		if _, err := e.svc.Cancel(e.ctx, a, gone.ID); err != nil {
			t.Fatal(err)
		}
		when := map[string]time.Time{
			"before-open": start.Add(-10*time.Minute - time.Second),
			"at-open":     start.Add(-10 * time.Minute),
			"open":        start.Add(30 * time.Minute),
			"last-second": start.Add(50*time.Minute + 15*time.Minute - time.Second),
			"after-close": start.Add(50*time.Minute + 15*time.Minute),
		}
		who := map[string]eyelevel.Actor{"client": a, "counselor": x, "other-client": b, "other-counselor": y, "admin": e.admin, "anonymous": {}}
		want := func(person, moment string) string {
			switch {
			case person == "anonymous":
				return eyelevel.EUNAUTHORIZED
			case person != "client" && person != "counselor":
				return eyelevel.ENOTFOUND
			case moment == "before-open" || moment == "after-close":
				return eyelevel.ECONFLICT
			}
			return ""
		}
		for moment, now := range when {
			e.clock.mu.Lock()
			e.clock.t = now
			e.clock.mu.Unlock()
			for person, actor := range who {
				room, err := e.svc.Room(e.ctx, actor, appt.ID)
				if got := eyelevel.ErrorCode(err); got != want(person, moment) {
					t.Errorf("%s %s: code %q, want %q", person, moment, got, want(person, moment))
				}
				if err == nil && (room.Role != actor.Role || !room.OpensAt.Equal(start.Add(-10*time.Minute)) || !room.ClosesAt.Equal(start.Add(65*time.Minute))) {
					t.Errorf("%s %s: room %+v", person, moment, room)
				}
				// A cancelled appointment has no room, at any time, for anyone.
				_, err = e.svc.Room(e.ctx, actor, gone.ID)
				wantGone := eyelevel.ENOTFOUND
				if person == "anonymous" {
					wantGone = eyelevel.EUNAUTHORIZED
				}
				if got := eyelevel.ErrorCode(err); got != wantGone {
					t.Errorf("%s %s cancelled: code %q, want %q", person, moment, got, wantGone)
				}
			}
		}
		// An unknown appointment looks exactly like someone else's.
		if _, err := e.svc.Room(e.ctx, b, "no-such-appointment"); eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
			t.Errorf("unknown appointment: %v", err)
		}
	})
}

func TestRoomNotOpenSaysWhen(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		x := e.counselor("counselor-x", eyelevel.GenderFemale, []string{"fa*"}, officeHours...)
		a := e.client("client-a")
		appt := e.book(a, x, at(2, 10, 0))
		_, err := e.svc.Room(e.ctx, a, appt.ID)
		var ee *eyelevel.Error
		if eyelevel.ErrorCode(err) != eyelevel.ECONFLICT || !errors.As(err, &ee) || ee.Key != "room.err.not_open" {
			t.Fatalf("err = %v", err)
		}
		// The client's zone is Europe/Berlin: 09:50 UTC is 10:50 CET.
		if len(ee.Args) != 2 || ee.Args[1] != "2026-12-02 10:50 CET" {
			t.Errorf("args = %v, want the opening time in the client's zone", ee.Args)
		}
	})
}

func TestRoomICECredentialsExpireWithRoom(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		x := e.counselor("counselor-x", eyelevel.GenderFemale, []string{"fa*"}, officeHours...)
		a := e.client("client-a")
		appt := e.book(a, x, at(2, 10, 0))
		e.clock.Advance(at(2, 9, 55).Sub(e.clock.Now()))
		room, err := e.svc.Room(e.ctx, a, appt.ID)
		if err != nil {
			t.Fatal(err)
		}
		if room.ICEServers == nil {
			t.Error("ICE servers = nil, want an empty list when none are configured")
		}
	})
}

func TestPurgeRoomMetadata(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		x := e.counselor("counselor-x", eyelevel.GenderFemale, []string{"fa*"}, officeHours...)
		a := e.client("client-a")
		appt := e.book(a, x, at(2, 10, 0))
		if err := e.svc.RecordRoomEvent(e.ctx, appt.ID, a.UserID, eyelevel.RoomJoined); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(60 * 24 * time.Hour)
		if err := e.svc.RecordRoomEvent(e.ctx, appt.ID, a.UserID, eyelevel.RoomLeft); err != nil {
			t.Fatal(err)
		}
		// 89 days after the first event both are kept; at 90 days the first goes.
		e.clock.Advance(29 * 24 * time.Hour)
		if n, err := e.svc.PurgeRoomMetadata(e.ctx); err != nil || n != 0 {
			t.Fatalf("purge at 89 days: %d, %v", n, err)
		}
		e.clock.Advance(24*time.Hour + time.Second)
		if n, err := e.svc.PurgeRoomMetadata(e.ctx); err != nil || n != 1 {
			t.Fatalf("purge at 90 days: %d, %v", n, err)
		}
		evs, err := e.db.RoomEvents(e.ctx, appt.ID)
		if err != nil || len(evs) != 1 || evs[0].Event != eyelevel.RoomLeft {
			t.Fatalf("left: %+v, %v", evs, err)
		}
	})
}
