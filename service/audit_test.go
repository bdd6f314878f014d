package service_test

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// auditKinds counts the kinds in client's own access log.
func (e *env) auditKinds(client eyelevel.Actor) map[string]int {
	e.t.Helper()
	es, _, err := e.svc.AccessLog(e.ctx, client, 0)
	if err != nil {
		e.t.Fatalf("access log: %v", err)
	}
	out := map[string]int{}
	for _, x := range es {
		out[x.Kind]++
	}
	return out
}

// TestAccessLogEachKindOnce: each read of a client's data by someone else
// and each staff action on their account writes exactly one entry per kind
// into that client's log, and nothing into another client's.
func TestAccessLogEachKindOnce(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		w := e.orgs()
		c := e.counselor("leyla", eyelevel.GenderFemale, []string{"fa*"}, officeHours...)
		x, y := e.client("auditx"), e.client("audity")
		e.book(x, c, at(1, 10, 0))
		apY := e.book(y, c, at(1, 11, 0))
		if _, err := e.svc.SubmitResponse(e.ctx, x, "phq9", answers(0, 0, 0, 0, 0, 0, 0, 0, 1)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SaveReflection(e.ctx, x, 1, service.ReflectionInput{Text: "mine", Shared: true}); err != nil {
			t.Fatal(err)
		}
		als, err := e.db.OpenSafetyAlerts(e.ctx, "", x.UserID, time.Time{})
		if err != nil || len(als) != 1 {
			t.Fatalf("alerts of x: %v, %v", als, err)
		}
		z := e.registerAt(w.carepointA, "auditz")
		if got := e.auditKinds(z); !maps.Equal(got, map[string]int{eyelevel.ActionCarePointRegister: 1}) {
			t.Fatalf("after registering at a care point: %v", got)
		}
		if got := e.auditKinds(x); len(got) != 0 {
			t.Fatalf("before any access: %v", got)
		}
		var zAppt eyelevel.Appointment
		for _, tc := range []struct {
			name   string
			client eyelevel.Actor // whose log gets want
			do     func() error
			want   map[string]int
			others map[string]int // what y's log gets (x's when client is y)
		}{
			{"client page", x, func() error { _, err := e.svc.Client(e.ctx, c, x.UserID); return err },
				map[string]int{eyelevel.ViewClient: 1, eyelevel.ViewResults: 1, eyelevel.ViewAlerts: 1, eyelevel.ViewSteps: 1}, nil},
			{"client page without results", y, func() error { _, err := e.svc.Client(e.ctx, c, y.UserID); return err },
				map[string]int{eyelevel.ViewClient: 1}, nil},
			{"workspace client page", x, func() error { _, err := e.svc.ClientSessions(e.ctx, c, x.UserID); return err },
				map[string]int{eyelevel.ViewClient: 1}, nil},
			{"alerts list", x, func() error { _, err := e.svc.SafetyAlerts(e.ctx, c); return err },
				map[string]int{eyelevel.ViewAlerts: 1}, nil},
			{"alerts page", x, func() error { _, _, err := e.svc.SafetyAlertsPage(e.ctx, c, service.Page{}); return err },
				map[string]int{eyelevel.ViewAlerts: 1}, nil},
			{"dashboard", x, func() error { _, err := e.svc.Workspace(e.ctx, c); return err },
				map[string]int{eyelevel.ViewAlerts: 1}, nil},
			{"caseload", x, func() error { _, err := e.svc.Caseload(e.ctx, c); return err },
				map[string]int{eyelevel.ViewCaseload: 1}, map[string]int{eyelevel.ViewCaseload: 1}},
			{"conversation read by the counselor", x, func() error { _, err := e.svc.Messages(e.ctx, c, x.UserID); return err },
				map[string]int{eyelevel.ViewMessages: 1}, nil},
			{"conversation read by the client", x, func() error { _, err := e.svc.Messages(e.ctx, x, c.UserID); return err },
				map[string]int{}, nil},
			{"duty page", x, func() error {
				if _, err := e.db.MarkAlertEscalated(e.ctx, als[0].ID, e.clock.Now()); err != nil {
					return err
				}
				_, err := e.svc.DutyAlert(e.ctx, e.admin, als[0].ID)
				return err
			}, map[string]int{eyelevel.ViewAlerts: 1}, nil},
			{"alert acknowledged", x, func() error { return e.svc.AcknowledgeAlert(e.ctx, c, als[0].ID) },
				map[string]int{eyelevel.CareAlertAcknowledge: 1}, nil},
			{"care point list", z, func() error { _, err := e.svc.CarePointClients(e.ctx, w.carepointA); return err },
				map[string]int{eyelevel.ViewCarePoint: 1}, nil},
			{"access slip", z, func() error { _, err := e.svc.AccessSlip(e.ctx, w.carepointA, z.UserID); return err },
				map[string]int{eyelevel.ViewCarePoint: 1}, nil},
			{"care point books", z, func() (err error) {
				zAppt, err = e.svc.Book(e.ctx, w.carepointA, service.BookInput{CounselorID: c.UserID, ClientID: z.UserID, Start: at(1, 12, 0)})
				return err
			}, map[string]int{eyelevel.ActionCarePointBook: 1}, nil},
			{"care point cancels", z, func() error { _, err := e.svc.Cancel(e.ctx, w.carepointA, zAppt.ID); return err },
				map[string]int{eyelevel.ActionCarePointCancel: 1}, nil},
			{"counselor cancels", y, func() error { _, err := e.svc.Cancel(e.ctx, c, apY.ID); return err },
				map[string]int{eyelevel.ActionAppointmentCancel: 1}, nil},
			{"refused read", x, func() error {
				if _, err := e.svc.Client(e.ctx, e.admin, x.UserID); eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
					return fmt.Errorf("admin reads the client page: %v", err)
				}
				return nil
			}, map[string]int{}, nil},
		} {
			other := y
			if tc.client.UserID == y.UserID {
				other = x
			}
			before, beforeOther := e.auditKinds(tc.client), e.auditKinds(other)
			if err := tc.do(); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got := diffKinds(before, e.auditKinds(tc.client)); !maps.Equal(got, tc.want) {
				t.Errorf("%s: the client's log got %v, want %v", tc.name, got, tc.want)
			}
			if got := diffKinds(beforeOther, e.auditKinds(other)); !maps.Equal(got, orEmpty(tc.others)) {
				t.Errorf("%s: another client's log got %v, want %v", tc.name, got, tc.others)
			}
		}
		// The log is the client's alone.
		for _, a := range []eyelevel.Actor{c, e.admin, w.carepointA, w.orgadminA} {
			if _, _, err := e.svc.AccessLog(e.ctx, a, 0); err == nil {
				t.Errorf("%s reads an access log", a.Role)
			}
		}
	})
}

func diffKinds(before, after map[string]int) map[string]int {
	out := map[string]int{}
	for k, n := range after {
		if n != before[k] {
			out[k] = n - before[k]
		}
	}
	return out
}

func orEmpty(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

// TestAccessLogWording: a counselor shows by name; a deleted actor as gone;
// the newest entry first; pages with before.
func TestAccessLogPaging(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		c := e.counselor("leyla", eyelevel.GenderFemale, []string{"fa*"}, officeHours...)
		x := e.client("pagex")
		e.book(x, c, at(1, 10, 0))
		for range service.AuditPageSize + 5 {
			if _, err := e.svc.Messages(e.ctx, c, x.UserID); err != nil {
				t.Fatal(err)
			}
		}
		es, next, err := e.svc.AccessLog(e.ctx, x, 0)
		if err != nil || len(es) != service.AuditPageSize || next == 0 {
			t.Fatalf("first page: %d entries, next %d, %v", len(es), next, err)
		}
		if es[0].ActorName != "Counselor leyla" || es[0].ActorRole != eyelevel.RoleCounselor || es[0].Seq <= es[1].Seq {
			t.Fatalf("first entry %+v", es[0])
		}
		rest, next2, err := e.svc.AccessLog(e.ctx, x, next)
		if err != nil || len(rest) != 5 || next2 != 0 || rest[0].Seq >= es[len(es)-1].Seq {
			t.Fatalf("second page: %d entries, next %d, %v", len(rest), next2, err)
		}
	})
}

// TestStaffActionsAuthz: role × reading the admins' staff actions.
func TestStaffActionsAuthz(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		w := e.orgs()
		c := e.counselor("leyla", eyelevel.GenderFemale, []string{"fa*"}, officeHours...)
		x := e.client("authx")
		for _, tc := range []struct {
			actor eyelevel.Actor
			want  string
		}{
			{eyelevel.Actor{}, eyelevel.EUNAUTHORIZED},
			{x, eyelevel.EFORBIDDEN},
			{c, eyelevel.EFORBIDDEN},
			{w.carepointA, eyelevel.EFORBIDDEN},
			{w.orgadminA, eyelevel.EFORBIDDEN},
			{e.admin, ""},
		} {
			_, _, err := e.svc.StaffActions(e.ctx, tc.actor, 0)
			if got := eyelevel.ErrorCode(err); got != tc.want {
				t.Errorf("%q reads staff actions: %q, want %q", tc.actor.Role, got, tc.want)
			}
		}
		es, _, err := e.svc.StaffActions(e.ctx, e.admin, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Staff created in orgs(), then the counselor and their hours: by
		// the admin's username, on the subject's username, newest first.
		if len(es) != 7 || es[0].Kind != eyelevel.ActionAvailabilitySet || es[1].Kind != eyelevel.ActionCounselorCreate ||
			es[1].Actor != "admin" || es[1].Subject != "leyla" || es[6].Kind != eyelevel.ActionStaffAdd || es[6].Subject != "manager-a" {
			t.Fatalf("staff actions %+v", es)
		}
		for _, x := range es {
			if !eyelevel.AuditForAdmins(x.Kind) {
				t.Errorf("admins see %q", x.Kind)
			}
		}
	})
}

// TestAuditRetention: the janitor's PruneAuditLog deletes entries older
// than AuditRetention; what remains still verifies and the client's log
// keeps the recent entries.
func TestAuditRetention(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		c := e.counselor("leyla", eyelevel.GenderFemale, []string{"fa*"}, officeHours...)
		x := e.client("keepx")
		e.book(x, c, at(1, 10, 0))
		if _, err := e.svc.Messages(e.ctx, c, x.UserID); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(e.svc.Config().AuditRetention + 24*time.Hour)
		now := e.clock.Now()
		e.book(x, c, e.slots(c, now.Add(24*time.Hour), now.Add(8*24*time.Hour))[0])
		if _, err := e.svc.Messages(e.ctx, c, x.UserID); err != nil {
			t.Fatal(err)
		}
		n, err := e.svc.PruneAuditLog(e.ctx)
		if err != nil || n < 2 { // the staff actions of the set-up and the first read
			t.Fatalf("pruned %d, %v", n, err)
		}
		if got := e.auditKinds(x); !maps.Equal(got, map[string]int{eyelevel.ViewMessages: 1}) {
			t.Fatalf("after pruning the client's log has %v", got)
		}
		chk, err := service.VerifyAuditLog(e.ctx, e.db)
		if err != nil || !chk.OK || chk.First == 1 {
			t.Fatalf("after pruning: %+v, %v", chk, err)
		}
	})
}
