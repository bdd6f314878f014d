package service_test

import (
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

func TestAdminToolsAuthorization(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		client := e.client("adm-client")
		counselor := e.counselor("adm-counselor", eyelevel.GenderFemale, []string{"de*"}, officeHours...)
		actions := map[string]func(a eyelevel.Actor) error{
			"find":       func(a eyelevel.Actor) error { _, err := e.svc.FindAccounts(e.ctx, a, "adm"); return err },
			"deactivate": func(a eyelevel.Actor) error { return e.svc.DeactivateCounselor(e.ctx, a, counselor.UserID) },
			"reactivate": func(a eyelevel.Actor) error { return e.svc.ReactivateCounselor(e.ctx, a, counselor.UserID) },
			"standing": func(a eyelevel.Actor) error {
				_, err := e.svc.CounselorStanding(e.ctx, a, counselor.UserID)
				return err
			},
			"cancel": func(a eyelevel.Actor) error {
				_, err := e.svc.CancelCounselorSessions(e.ctx, a, counselor.UserID, "Sorry.")
				return err
			},
			"counts": func(a eyelevel.Actor) error { _, err := e.svc.SessionCounts(e.ctx, a); return err },
		}
		for who, c := range map[string]struct {
			a    eyelevel.Actor
			want string
		}{
			"anonymous": {eyelevel.Actor{}, eyelevel.EUNAUTHORIZED},
			"client":    {client, eyelevel.EFORBIDDEN},
			"counselor": {counselor, eyelevel.EFORBIDDEN},
			"carepoint": {eyelevel.Actor{UserID: "cp", Role: eyelevel.RoleCarePoint}, eyelevel.EFORBIDDEN},
			"orgadmin":  {eyelevel.Actor{UserID: "oa", Role: eyelevel.RoleOrgAdmin}, eyelevel.EFORBIDDEN},
		} {
			for name, act := range actions {
				if got := eyelevel.ErrorCode(act(c.a)); got != c.want {
					t.Errorf("%s %s: %q, want %q", who, name, got, c.want)
				}
			}
		}
		// The admin may; cancelling needs the counselor deactivated first.
		for _, name := range []string{"find", "standing", "counts", "reactivate"} {
			if err := actions[name](e.admin); err != nil {
				t.Errorf("admin %s: %v", name, err)
			}
		}
		wantCode(t, actions["cancel"](e.admin), eyelevel.ECONFLICT)
		wantCode(t, e.svc.DeactivateCounselor(e.ctx, e.admin, client.UserID), eyelevel.ENOTFOUND)
	})
}

func TestAdminFindAccounts(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.client("Sunny-Garden")
		e.client("garden_gnome")
		e.client("river")
		hits, err := e.svc.FindAccounts(e.ctx, e.admin, "GARDEN")
		if err != nil || len(hits) != 2 || hits[0].Username != "garden_gnome" || hits[1].Username != "Sunny-Garden" {
			t.Fatalf("hits %+v %v", hits, err)
		}
		if hits[0].Role != eyelevel.RoleClient || hits[0].CreatedAt.IsZero() || hits[0].SecondFactor != "no" {
			t.Fatalf("hit %+v", hits[0])
		}
		// "_" and "%" are no wildcards.
		if hits, _ := e.svc.FindAccounts(e.ctx, e.admin, "n_g"); len(hits) != 1 {
			t.Fatalf("n_g: %+v", hits)
		}
		if hits, _ := e.svc.FindAccounts(e.ctx, e.admin, "%"); len(hits) != 0 {
			t.Fatalf("%%: %+v", hits)
		}
		for range service.MaxAccountHits + 5 {
			e.client("many-" + e.ip())
		}
		if hits, _ := e.svc.FindAccounts(e.ctx, e.admin, "many"); len(hits) != service.MaxAccountHits {
			t.Fatalf("many: %d hits, want %d", len(hits), service.MaxAccountHits)
		}
		wantField(t, func() error { _, err := e.svc.FindAccounts(e.ctx, e.admin, " "); return err }(), "q")
	})
}

func TestAdminDeactivateCounselor(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		client := e.client("deact-client")
		other := e.client("deact-other")
		c := e.counselor("deact-c", eyelevel.GenderFemale, []string{"de*"}, officeHours...)
		first := e.book(client, c, at(1, 9, 0))
		second := e.book(client, c, at(2, 9, 0))
		third := e.book(other, c, at(1, 10, 0))

		if err := e.svc.DeactivateCounselor(e.ctx, e.admin, c.UserID); err != nil {
			t.Fatal(err)
		}
		ms, err := e.svc.Search(e.ctx, client, service.SearchInput{Language: "de"})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.Counselor.ID == c.UserID {
				t.Fatal("deactivated counselor found by search")
			}
		}
		_, err = e.svc.Book(e.ctx, client, service.BookInput{CounselorID: c.UserID, Start: at(3, 9, 0)})
		wantCode(t, err, eyelevel.ENOTFOUND)

		st, err := e.svc.CounselorStanding(e.ctx, e.admin, c.UserID)
		if err != nil || st.Deactivated.IsZero() || len(st.Upcoming) != 3 {
			t.Fatalf("standing %+v %v", st, err)
		}
		_, err = e.svc.CancelCounselorSessions(e.ctx, e.admin, c.UserID, "  ")
		wantField(t, err, "message")
		done, err := e.svc.CancelCounselorSessions(e.ctx, e.admin, c.UserID, "Your counselor is no longer available. Please book with another.")
		if err != nil || len(done) != 3 {
			t.Fatalf("cancelled %d: %v", len(done), err)
		}
		for _, id := range []eyelevel.AppointmentID{first.ID, second.ID, third.ID} {
			ap, err := e.db.Appointment(e.ctx, id)
			if err != nil || ap.Status != eyelevel.StatusCancelled || ap.LateCancel {
				t.Fatalf("appointment %s: %+v %v", id, ap, err)
			}
		}
		// One message per client, in the conversation with the counselor.
		for _, cl := range []eyelevel.Actor{client, other} {
			th, err := e.svc.Messages(e.ctx, cl, c.UserID)
			if err != nil || len(th.Messages) != 1 || th.Messages[0].From != c.UserID {
				t.Fatalf("messages of %s: %+v %v", cl.UserID, th, err)
			}
		}

		if err := e.svc.ReactivateCounselor(e.ctx, e.admin, c.UserID); err != nil {
			t.Fatal(err)
		}
		e.book(client, c, at(3, 9, 0))
	})
}

func TestAdminSessionCounts(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		client := e.client("count-client")
		c := e.counselor("count-c", eyelevel.GenderMale, []string{"de*"}, officeHours...)
		idle := e.counselor("count-idle", eyelevel.GenderMale, []string{"de"}, officeHours...)
		held := e.book(client, c, at(1, 9, 0)) // 1 Dec: held once the clock passes it
		e.book(client, c, at(2, 9, 0))         // 2 Dec: upcoming
		gone := e.book(client, c, at(3, 9, 0)) // 3 Dec: cancelled
		e.book(client, c, at(0, 14, 0))        // 30 Nov: held
		if _, err := e.svc.Cancel(e.ctx, client, gone.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(26 * time.Hour) // Tuesday 1 Dec, 10:00 UTC
		_ = held

		cs, err := e.svc.SessionCounts(e.ctx, e.admin)
		if err != nil {
			t.Fatal(err)
		}
		got := map[eyelevel.UserID]service.CounselorCounts{}
		for _, cc := range cs {
			got[cc.ID] = cc
		}
		if len(got[idle.UserID].Months) != 0 {
			t.Errorf("idle counselor: %+v", got[idle.UserID])
		}
		want := []service.MonthCount{ // newest first; the admin is in Europe/Berlin
			{Month: "2026-12", Held: 1, Upcoming: 1, Cancelled: 1},
			{Month: "2026-11", Held: 1},
		}
		if m := got[c.UserID].Months; len(m) != 2 || m[0] != want[0] || m[1] != want[1] {
			t.Fatalf("counts %+v, want %+v", m, want)
		}
	})
}
