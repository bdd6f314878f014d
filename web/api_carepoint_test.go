package web_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// cpWorld adds to world two organizations with running contracts, each
// with a manager and a care-point worker (tokens under their names), and a
// client registered by worker A.
type cpWorld struct {
	*world
	orgA, orgB string
	tok        map[string]string // API tokens: managerA, managerB, workerA, workerB, linked
	linked     eyelevel.UserID
}

func newCPWorld(t *testing.T) *cpWorld {
	t.Helper()
	w := &cpWorld{world: newWorld(t), tok: map[string]string{}}
	org := func(slug, starts, ends string) string {
		o := eyelevel.Organization{ID: eyelevel.NewID(), Name: "Org " + slug, Slug: slug, CreatedAt: monday}
		if err := w.db.CreateOrganization(w.ctx, o); err != nil {
			t.Fatal(err)
		}
		k := eyelevel.Contract{ID: eyelevel.NewID(), OrganizationID: o.ID, Starts: starts, Ends: ends, SessionsPerPerson: 5, GraceDays: 30, CreatedAt: monday}
		if err := w.db.CreateContract(w.ctx, k); err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	w.orgA, w.orgB = org("shelter-a", "2026-01-01", "2026-12-31"), org("company-b", "2026-01-01", "2026-12-31")
	for name, s := range map[string]struct {
		org  string
		role eyelevel.Role
	}{"managerA": {w.orgA, eyelevel.RoleOrgAdmin}, "managerB": {w.orgB, eyelevel.RoleOrgAdmin}, "workerA": {w.orgA, eyelevel.RoleCarePoint}, "workerB": {w.orgB, eyelevel.RoleCarePoint}} {
		if _, err := w.svc.AddStaff(w.ctx, service.Operator, s.org, service.StaffInput{Username: name, Password: password, DisplayName: name, Role: s.role}); err != nil {
			t.Fatal(err)
		}
		w.tok[name] = w.login(t, name)
	}
	r := w.doToken(t, w.tok["workerA"], "POST", "/api/v1/carepoint/clients", map[string]any{"username": "linked-client", "password": password, "language": "fa-AF", "timezone": "Europe/Berlin", "consent": true, "health_consent": true})
	r.wantStatus(t, http.StatusCreated)
	var c struct{ ID eyelevel.UserID }
	r.decode(t, &c)
	w.linked = c.ID
	w.tok["linked"] = w.login(t, "linked-client")
	return w
}

func TestAPIStaffAndCarePointInput(t *testing.T) {
	w := newCPWorld(t)
	staffURL := "/api/v1/organizations/" + w.orgA + "/staff"
	good := map[string]any{"username": "new-worker", "password": password, "display_name": "New Worker", "role": "carepoint"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range good {
			m[a] = b
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	before := w.snapshot(t)
	for _, c := range []struct {
		name   string
		tok    string
		target string
		body   any
		status int
		code   string
		fields []string
	}{
		{"not JSON", w.tokens[admin], staffURL, "username=x", 400, "invalid", nil},
		{"unknown field", w.tokens[admin], staffURL, with("org", "x"), 400, "invalid", nil},
		{"role client", w.tokens[admin], staffURL, with("role", "client"), 400, "invalid", []string{"role"}},
		{"role as a number", w.tokens[admin], staffURL, with("role", 3), 400, "invalid", []string{"role"}},
		{"no display name", w.tokens[admin], staffURL, with("display_name", nil), 400, "invalid", []string{"display_name"}},
		{"short password", w.tokens[admin], staffURL, with("password", "short"), 400, "invalid", []string{"password"}},
		{"bad username", w.tokens[admin], staffURL, with("username", "x"), 400, "invalid", []string{"username"}},
		{"taken username", w.tokens[admin], staffURL, with("username", "workerA"), 409, "conflict", nil},
		{"unknown organization", w.tokens[admin], "/api/v1/organizations/nope/staff", good, 404, "not_found", nil},
		{"manager adds a manager", w.tok["managerA"], staffURL, with("role", "orgadmin"), 403, "forbidden", nil},
		{"other organization's manager", w.tok["managerB"], staffURL, good, 404, "not_found", nil},
		{"care-point worker", w.tok["workerA"], staffURL, good, 404, "not_found", nil},
		{"client", w.tokens[clientA], staffURL, good, 404, "not_found", nil},
		{"anonymous", "", staffURL, good, 401, "unauthorized", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := w.doToken(t, c.tok, "POST", c.target, c.body)
			if c.name == "not JSON" {
				r = w.doToken(t, c.tok, "POST", c.target, c.body, "Content-Type", "text/plain")
				r.wantError(t, 415, "unsupported_media_type")
				return
			}
			r.wantError(t, c.status, c.code, c.fields...)
		})
	}
	if after := w.snapshot(t); after != before {
		t.Fatalf("refused staff requests changed the database")
	}
	r := w.doToken(t, w.tok["managerA"], "POST", staffURL, good)
	r.wantStatus(t, 201)
	var list struct {
		Staff []struct{ Username, Role string }
	}
	w.doToken(t, w.tok["managerA"], "GET", staffURL, nil).decode(t, &list)
	if len(list.Staff) != 3 {
		t.Fatalf("A's staff: %+v", list.Staff)
	}
	w.doToken(t, w.tok["managerB"], "GET", staffURL, nil).wantError(t, 404, "not_found")
	w.doToken(t, w.tok["workerA"], "GET", staffURL, nil).wantError(t, 404, "not_found")

	// Registering at a care point.
	reg := func(m map[string]any) map[string]any {
		out := map[string]any{"username": "fresh-client", "password": password, "language": "fa-AF", "timezone": "Asia/Kabul", "consent": true, "health_consent": true}
		for k, v := range m {
			if v == nil {
				delete(out, k)
			} else {
				out[k] = v
			}
		}
		return out
	}
	before = w.snapshot(t)
	for _, c := range []struct {
		name   string
		tok    string
		body   any
		status int
		code   string
		fields []string
	}{
		{"no consent", w.tok["workerA"], reg(map[string]any{"consent": nil}), 400, "invalid", []string{"consent"}},
		{"consent false", w.tok["workerA"], reg(map[string]any{"consent": false}), 400, "invalid", []string{"consent"}},
		{"consent as text", w.tok["workerA"], reg(map[string]any{"consent": "yes"}), 400, "invalid", []string{"consent"}},
		{"no health-data consent", w.tok["workerA"], reg(map[string]any{"health_consent": nil}), 400, "invalid", []string{"health_consent"}},
		{"health-data consent false", w.tok["workerA"], reg(map[string]any{"health_consent": false}), 400, "invalid", []string{"health_consent"}},
		{"bad language", w.tok["workerA"], reg(map[string]any{"language": "xx"}), 400, "invalid", []string{"language"}},
		{"bad zone", w.tok["workerA"], reg(map[string]any{"timezone": "Mars/Base"}), 400, "invalid", []string{"timezone"}},
		{"taken username", w.tok["workerA"], reg(map[string]any{"username": "client-a"}), 409, "conflict", nil},
		{"unknown field", w.tok["workerA"], reg(map[string]any{"contract": "x"}), 400, "invalid", nil},
		{"manager", w.tok["managerA"], reg(nil), 404, "not_found", nil},
		{"admin", w.tokens[admin], reg(nil), 404, "not_found", nil},
		{"client", w.tokens[clientA], reg(nil), 404, "not_found", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			w.doToken(t, c.tok, "POST", "/api/v1/carepoint/clients", c.body).wantError(t, c.status, c.code, c.fields...)
		})
	}
	if after := w.snapshot(t); after != before {
		t.Fatalf("refused registrations changed the database")
	}

	// After the contract: 409 expired, nothing written.
	w.clock.Advance(40 * 24 * time.Hour)
	w.tok["workerA"] = w.login(t, "workerA")
	w.doToken(t, w.tok["workerA"], "POST", "/api/v1/carepoint/clients", reg(nil)).wantError(t, 409, "expired")
	if after := w.snapshot(t); after != before {
		t.Fatalf("a registration without a running contract changed the database")
	}
}

func TestAPICarePointClientsAndAccess(t *testing.T) {
	w := newCPWorld(t)
	// Worker A books for the linked client; worker B cannot.
	book := map[string]any{"counselor_id": w.ids[counselorY], "start": "2026-12-03T09:00:00Z", "client_id": w.linked}
	w.doToken(t, w.tok["workerB"], "POST", "/api/v1/appointments", book).wantError(t, 404, "not_found")
	r := w.doToken(t, w.tok["workerA"], "POST", "/api/v1/appointments", book)
	r.wantStatus(t, 201)
	var appt struct {
		ID       eyelevel.AppointmentID
		ClientID eyelevel.UserID `json:"client_id"`
	}
	r.decode(t, &appt)
	if appt.ClientID != w.linked {
		t.Fatalf("booked for %s, want %s", appt.ClientID, w.linked)
	}

	var list struct {
		Clients []struct {
			ID          eyelevel.UserID
			Username    string
			Language    string
			CreditsLeft int `json:"credits_left"`
			Upcoming    []struct{ Start, Counselor string }
		}
	}
	w.doToken(t, w.tok["workerA"], "GET", "/api/v1/carepoint/clients", nil).decode(t, &list)
	if len(list.Clients) != 1 || list.Clients[0].Username != "linked-client" || len(list.Clients[0].Upcoming) != 1 ||
		list.Clients[0].Upcoming[0].Counselor != "Counselor counselor-y" || list.Clients[0].Upcoming[0].Start != "2026-12-03T09:00:00Z" {
		t.Fatalf("worker A's clients: %+v", list)
	}
	w.doToken(t, w.tok["workerB"], "GET", "/api/v1/carepoint/clients", nil).decode(t, &list)
	if len(list.Clients) != 0 {
		t.Fatalf("worker B sees %+v", list)
	}
	for _, tok := range []string{w.tok["managerA"], w.tokens[admin], w.tokens[clientA], w.tokens[counselorY]} {
		w.doToken(t, tok, "GET", "/api/v1/carepoint/clients", nil).wantError(t, 404, "not_found")
	}

	// Care data is a 404 for organization staff, on every endpoint.
	for _, who := range []string{"workerA", "managerA"} {
		for _, target := range []string{
			"/api/v1/clients/" + string(w.linked),
			"/api/v1/questionnaires/phq9/responses",
			"/api/v1/program",
			"/api/v1/program/steps/1",
			"/api/v1/safety-alerts",
			"/api/v1/outcome-tasks",
			"/api/v1/ratings",
			"/api/v1/ratings/pending",
			"/api/v1/counselors/" + string(w.ids[counselorY]) + "/ratings",
			"/api/v1/me/export",
			"/api/v1/appointments",
			"/api/v1/appointments/" + string(appt.ID),
			"/api/v1/appointments/" + string(appt.ID) + "/room",
			"/api/v1/reports/impact?from=2026-10-01&to=2026-11-01",
		} {
			t.Run(fmt.Sprintf("%s GET %s", who, target), func(t *testing.T) {
				w.doToken(t, w.tok[who], "GET", target, nil).wantError(t, 404, "not_found")
			})
		}
	}

	// The client ends the access: the worker loses the client.
	w.doToken(t, w.tok["workerA"], "DELETE", "/api/v1/me/carepoint", nil).wantError(t, 404, "not_found")
	w.doToken(t, w.tokens[clientA], "DELETE", "/api/v1/me/carepoint", nil).wantError(t, 404, "not_found")
	w.doToken(t, w.tok["linked"], "DELETE", "/api/v1/me/carepoint", nil).wantStatus(t, 204)
	w.doToken(t, w.tok["linked"], "DELETE", "/api/v1/me/carepoint", nil).wantError(t, 404, "not_found")
	w.doToken(t, w.tok["workerA"], "GET", "/api/v1/carepoint/clients", nil).decode(t, &list)
	if len(list.Clients) != 0 {
		t.Fatalf("after the end worker A sees %+v", list)
	}
	book["start"] = "2026-12-03T11:00:00Z"
	w.doToken(t, w.tok["workerA"], "POST", "/api/v1/appointments", book).wantError(t, 404, "not_found")
	w.doToken(t, w.tok["workerA"], "DELETE", "/api/v1/appointments/"+string(appt.ID), nil).wantError(t, 404, "not_found")
}
