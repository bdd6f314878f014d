package service_test

import (
	"fmt"
	"strings"
	"testing"

	"eyelevel"
	"eyelevel/service"
)

// TestOrganizationStaffAuthorization is the table of who may do what with
// care points and organization staff, and of the care data that
// organization staff must never reach: care-point workers and managers
// get 404 wherever a client's care is shown, and no one crosses from one
// organization to the other.
func TestOrganizationStaffAuthorization(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		w := e.orgs()
		counselor := e.counselor("table-counselor", eyelevel.GenderFemale, []string{"fa-AF*"}, officeHours...)
		linked := e.registerAt(w.carepointA, "linked-client")
		e.registerAt(w.carepointB, "b-client")
		appt, err := e.svc.Book(e.ctx, w.carepointA, service.BookInput{CounselorID: counselor.UserID, Start: at(1, 10, 0), ClientID: linked.UserID})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := e.svc.SubmitResponse(e.ctx, linked, "phq9", answers(1, 1, 1, 1, 1, 1, 1, 1, 1)) // raises a safety alert
		if err != nil {
			t.Fatal(err)
		}
		alerts, err := e.svc.SafetyAlerts(e.ctx, counselor)
		if err != nil || len(alerts) != 1 {
			t.Fatalf("alerts %v %v", alerts, err)
		}
		roles := []struct {
			name string
			a    eyelevel.Actor
		}{
			{"anonymous", eyelevel.Actor{}},
			{"client", e.client("unlinked-client")},
			{"linked", linked},
			{"counselor", counselor},
			{"admin", e.admin},
			{"orgadminA", w.orgadminA},
			{"orgadminB", w.orgadminB},
			{"carepointA", w.carepointA},
			{"carepointB", w.carepointB},
		}
		n, slot := 0, 0
		unique := func() string { n++; return fmt.Sprintf("table-user-%d", n) }

		// want: "role:code" pairs; "*" is everyone not named; "ok" no error.
		type action struct {
			name string
			want string
			do   func(a eyelevel.Actor) error
		}
		own := []action{
			{"add care-point staff to A", "anonymous:unauthorized admin:ok orgadminA:ok *:not_found", func(a eyelevel.Actor) error {
				_, err := e.svc.AddStaff(e.ctx, a, w.orgA.ID, service.StaffInput{Username: unique(), Password: password, DisplayName: "X", Role: eyelevel.RoleCarePoint})
				return err
			}},
			{"add a manager to A", "anonymous:unauthorized admin:ok orgadminA:forbidden *:not_found", func(a eyelevel.Actor) error {
				_, err := e.svc.AddStaff(e.ctx, a, w.orgA.ID, service.StaffInput{Username: unique(), Password: password, DisplayName: "X", Role: eyelevel.RoleOrgAdmin})
				return err
			}},
			{"list A's staff", "anonymous:unauthorized admin:ok orgadminA:ok *:not_found", func(a eyelevel.Actor) error {
				_, err := e.svc.OrganizationStaff(e.ctx, a, w.orgA.ID)
				return err
			}},
			{"register a client", "anonymous:unauthorized carepointA:ok carepointB:ok *:not_found", func(a eyelevel.Actor) error {
				_, err := e.svc.RegisterForClient(e.ctx, a, service.CarePointClientInput{Username: unique(), Password: password, Language: "fa-AF", TimeZone: "UTC", Consent: true, HealthConsent: true})
				return err
			}},
			{"list my clients", "anonymous:unauthorized carepointA:ok carepointB:ok *:not_found", func(a eyelevel.Actor) error {
				_, err := e.svc.CarePointClients(e.ctx, a)
				return err
			}},
			{"see the linked client", "anonymous:unauthorized carepointA:ok *:not_found", func(a eyelevel.Actor) error {
				_, err := e.svc.CarePointClientOf(e.ctx, a, linked.UserID)
				return err
			}},
			{"print the linked client's slip", "anonymous:unauthorized carepointA:ok *:not_found", func(a eyelevel.Actor) error {
				_, err := e.svc.AccessSlip(e.ctx, a, linked.UserID)
				return err
			}},
			{"book for the linked client", "anonymous:unauthorized carepointA:ok linked:ok counselor:forbidden admin:forbidden *:not_found", func(a eyelevel.Actor) error {
				slot++ // a new free time for every try
				_, err := e.svc.Book(e.ctx, a, service.BookInput{CounselorID: counselor.UserID, Start: at(2+slot%3, 9+slot/3, 0), ClientID: linked.UserID})
				return err
			}},
			{"see my care point", "anonymous:unauthorized linked:ok counselor:forbidden admin:forbidden *:not_found", func(a eyelevel.Actor) error {
				_, err := e.svc.MyCarePoint(e.ctx, a)
				return err
			}},
		}
		for _, act := range own {
			for _, r := range roles {
				want := expected(act.want, r.name)
				if err := act.do(r.a); codeOf(err) != want {
					t.Errorf("%s by %s: %v, want %q", act.name, r.name, err, want)
				}
			}
		}

		// Care data: every endpoint that shows a client's care is a 404
		// for an organization's staff (the others' rules are tested where
		// the care is).
		care := []action{
			{"responses", "", func(a eyelevel.Actor) error { _, err := e.svc.Responses(e.ctx, a, "phq9"); return err }},
			{"a response", "", func(a eyelevel.Actor) error { _, err := e.svc.Response(e.ctx, a, resp.ID); return err }},
			{"submit a response", "", func(a eyelevel.Actor) error {
				_, err := e.svc.SubmitResponse(e.ctx, a, "phq9", answers(0, 0, 0, 0, 0, 0, 0, 0, 0))
				return err
			}},
			{"self-test", "", func(a eyelevel.Actor) error { _, err := e.svc.LastSelfTest(e.ctx, a); return err }},
			{"submit a self-test", "", func(a eyelevel.Actor) error {
				_, err := e.svc.SubmitSelfTest(e.ctx, a, service.SelfTestInput{})
				return err
			}},
			{"outcome tasks", "", func(a eyelevel.Actor) error { _, err := e.svc.OutcomeTasks(e.ctx, a); return err }},
			{"program", "", func(a eyelevel.Actor) error { _, err := e.svc.Program(e.ctx, a); return err }},
			{"program step", "", func(a eyelevel.Actor) error { _, err := e.svc.ProgramStep(e.ctx, a, 1); return err }},
			{"save a reflection", "", func(a eyelevel.Actor) error {
				_, err := e.svc.SaveReflection(e.ctx, a, 1, service.ReflectionInput{Text: "x"})
				return err
			}},
			{"the client's page", "", func(a eyelevel.Actor) error { _, err := e.svc.Client(e.ctx, a, linked.UserID); return err }},
			{"safety alerts", "", func(a eyelevel.Actor) error { _, err := e.svc.SafetyAlerts(e.ctx, a); return err }},
			{"raise an alert", "", func(a eyelevel.Actor) error { _, err := e.svc.RaiseAlert(e.ctx, a); return err }},
			{"acknowledge an alert", "", func(a eyelevel.Actor) error { return e.svc.AcknowledgeAlert(e.ctx, a, alerts[0].ID) }},
			{"rate a session", "", func(a eyelevel.Actor) error {
				_, err := e.svc.Rate(e.ctx, a, appt.ID, service.RatingInput{Stars: 5})
				return err
			}},
			{"unrated sessions", "", func(a eyelevel.Actor) error { _, err := e.svc.UnratedSessions(e.ctx, a); return err }},
			{"a counselor's ratings", "", func(a eyelevel.Actor) error { _, err := e.svc.CounselorRatings(e.ctx, a, counselor.UserID); return err }},
			{"all ratings", "", func(a eyelevel.Actor) error { _, err := e.svc.AllRatings(e.ctx, a); return err }},
			{"impact report", "", func(a eyelevel.Actor) error {
				_, err := e.svc.ImpactReport(e.ctx, a, at(-60, 0, 0), at(-30, 0, 0))
				return err
			}},
			{"export", "", func(a eyelevel.Actor) error { _, err := e.svc.Export(e.ctx, a); return err }},
			{"appointments", "", func(a eyelevel.Actor) error {
				_, _, err := e.svc.Appointments(e.ctx, a, true, service.Page{})
				return err
			}},
			{"an appointment", "", func(a eyelevel.Actor) error { _, err := e.svc.Appointment(e.ctx, a, appt.ID); return err }},
			{"the room", "", func(a eyelevel.Actor) error { _, err := e.svc.Room(e.ctx, a, appt.ID); return err }},
			{"join the waitlist", "", func(a eyelevel.Actor) error {
				return e.svc.JoinWaitlist(e.ctx, a, service.SearchInput{Language: "ps"})
			}},
			{"leave the waitlist", "", func(a eyelevel.Actor) error { return e.svc.LeaveWaitlist(e.ctx, a, "ps") }},
		}
		for _, act := range care {
			for _, r := range roles {
				if !r.a.Role.OfOrganization() {
					continue
				}
				if got := codeOf(act.do(r.a)); got != eyelevel.ENOTFOUND {
					t.Errorf("%s by %s: %q, want not_found", act.name, r.name, got)
				}
			}
		}
		// The care data is there: its owners reach it.
		if _, err := e.svc.Response(e.ctx, linked, resp.ID); err != nil {
			t.Errorf("the client's own response: %v", err)
		}
		if _, err := e.svc.Client(e.ctx, counselor, linked.UserID); err != nil {
			t.Errorf("the counselor's client page: %v", err)
		}
		// The waitlist lists nothing to organization staff.
		for _, a := range []eyelevel.Actor{w.carepointA, w.orgadminA} {
			if ws, err := e.svc.Waitlist(e.ctx, a); err != nil || len(ws) != 0 {
				t.Errorf("waitlist of staff: %v %v", ws, err)
			}
		}
	})
}

// expected returns the code spec wants of role ("" for ok).
func expected(spec, role string) string {
	def := ""
	for _, f := range strings.Fields(spec) {
		r, code, _ := strings.Cut(f, ":")
		if code == "ok" {
			code = ""
		}
		if r == role {
			return code
		}
		if r == "*" {
			def = code
		}
	}
	return def
}

func codeOf(err error) string { return eyelevel.ErrorCode(err) }
