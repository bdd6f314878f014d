package web_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"eyelevel"
)

// The roles orgAdminA, orgAdminB and carePointA are api_orgs_test.go's.

// reportWorld is the fixture world with two organizations, A and B, a
// contract of A, and staff of each.
type reportWorld struct {
	*world
	orgA, orgB eyelevel.Organization
	k          eyelevel.Contract
	n          int
}

func newReportWorld(t *testing.T) *reportWorld {
	t.Helper()
	w := &reportWorld{world: newWorld(t)}
	for i, slug := range []string{"org-a", "org-b"} {
		o := eyelevel.Organization{ID: eyelevel.NewID(), Name: "Org " + slug, Slug: slug, CreatedAt: monday}
		if err := w.db.CreateOrganization(w.ctx, o); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			w.orgA = o
		} else {
			w.orgB = o
		}
	}
	w.k = eyelevel.Contract{ID: eyelevel.NewID(), OrganizationID: w.orgA.ID, OrganizationName: w.orgA.Name, Starts: "2026-01-01", Ends: "2026-12-31",
		SessionsPerPerson: 5, GraceDays: 30, LateCancelCounts: true, Goals: "Shorter waits for counseling.", CreatedAt: monday}
	if err := w.db.CreateContract(w.ctx, w.k); err != nil {
		t.Fatal(err)
	}
	for who, staff := range map[role]struct {
		role eyelevel.Role
		org  string
	}{orgAdminA: {eyelevel.RoleOrgAdmin, w.orgA.ID}, orgAdminB: {eyelevel.RoleOrgAdmin, w.orgB.ID}, carePointA: {eyelevel.RoleCarePoint, w.orgA.ID}} {
		w.names[who] = strings.ReplaceAll(string(who), " ", "-")
		u, err := w.svc.AddUser(w.ctx, eyelevel.RoleClient, w.names[who], password, "UTC")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.db.Exec(w.ctx, `UPDATE users SET role = $1 WHERE id = $2`, string(staff.role), string(u.ID)); err != nil {
			t.Fatal(err)
		}
		if err := w.db.AddStaff(w.ctx, u.ID, staff.org, "Staff"); err != nil {
			t.Fatal(err)
		}
		w.ids[who] = u.ID
		w.tokens[who] = w.login(t, w.names[who])
	}
	return w
}

// held books n sessions of the contract in July 2026 with counselor Y,
// each for a new client, held (the first late) plus one late cancellation
// and one no-show of the client.
func (w *reportWorld) held(t *testing.T, n int) {
	t.Helper()
	for i := range n + 2 {
		w.n++
		u, err := w.svc.AddUser(w.ctx, eyelevel.RoleClient, fmt.Sprintf("report-client-%d", w.n), password, "UTC")
		if err != nil {
			t.Fatal(err)
		}
		start := time.Date(2026, 7, 6, 8, 0, 0, 0, time.UTC).Add(time.Duration(w.n) * time.Hour)
		a := eyelevel.Appointment{ID: eyelevel.AppointmentID(eyelevel.NewID()), CounselorID: w.ids[counselorY], ClientID: u.ID, Start: start, End: start.Add(50 * time.Minute),
			Status: eyelevel.StatusBooked, CreatedAt: monday, PaidBy: eyelevel.PaidOrganization, ContractID: w.k.ID}
		if err := w.db.CreateAppointment(w.ctx, a); err != nil {
			t.Fatal(err)
		}
		q := `UPDATE appointments SET attendance = 'held' WHERE id = $1`
		switch i {
		case n:
			q = `UPDATE appointments SET status = 'cancelled', late_cancel = 1 WHERE id = $1`
		case n + 1:
			q = `UPDATE appointments SET attendance = 'no_show_client' WHERE id = $1`
		}
		if _, err := w.db.Exec(w.ctx, q, string(a.ID)); err != nil {
			t.Fatal(err)
		}
	}
}

func (w *reportWorld) reportPath(q string) string {
	return "/api/v1/contracts/" + w.k.ID + "/report?" + q
}

func (w *reportWorld) statementPath(q string) string {
	return "/api/v1/contracts/" + w.k.ID + "/statement.csv?" + q
}

// Admins and orgadmin A read A's contract; everyone else is told it does
// not exist (anonymous callers are asked to log in, as everywhere).
func TestBuyerReportAPIAuthz(t *testing.T) {
	w := newReportWorld(t)
	for _, who := range []role{admin, orgAdminA, orgAdminB, carePointA, clientA, counselorX, anon} {
		for _, path := range []string{w.reportPath("from=2026-07-01&to=2026-07-31"), w.statementPath("month=2026-07"), w.reportPath("period=final"),
			"/org/contracts/" + w.k.ID + "/report?period=2026-07"} {
			r := w.do(t, who, "GET", path, nil)
			want := 404
			switch {
			case who == admin || who == orgAdminA:
				want = 200
				if strings.Contains(path, "final") {
					want = 409 // not closed yet
				}
			case who == anon && strings.HasPrefix(path, "/api/"):
				want = 401
			case who == anon:
				want = 303 // to the login page
			}
			if r.Status != want {
				t.Errorf("%s GET %s: %d, want %d: %s", who, path, r.Status, want, r.Body)
			}
		}
	}
}

func TestBuyerReportAPI(t *testing.T) {
	w := newReportWorld(t)
	w.held(t, 9)
	var rep map[string]any
	r := w.do(t, orgAdminA, "GET", w.reportPath("from=2026-07-01&to=2026-07-31"), nil)
	r.wantStatus(t, 200)
	r.decode(t, &rep)
	if rep["goals"] != "Shorter waits for counseling." || rep["period"] != "2026-07" || rep["sessions_held"] != nil || rep["pool_left"] != nil {
		t.Fatalf("9 people: %s", r.Body)
	}
	sup := fmt.Sprint(rep["suppressed"])
	if rep["people_started"] != float64(10) { // nine held, one no-show
		t.Errorf("people_started = %v", rep["people_started"])
	}
	for _, name := range []string{"codes_redeemed", "sessions_held", "late_cancellations", "no_shows", "mean_rating", "languages.de", "outcomes.phq9"} {
		if !strings.Contains(sup, name) {
			t.Errorf("suppressed %s does not name %s", sup, name)
		}
	}
	w.held(t, 1)
	// July is long over: its first report was final (report_snapshots).
	if _, err := w.db.Exec(w.ctx, `DELETE FROM report_snapshots`); err != nil {
		t.Fatal(err)
	}
	r = w.do(t, admin, "GET", w.reportPath("from=2026-07-01&to=2026-07-31"), nil)
	rep = nil
	r.decode(t, &rep)
	if rep["sessions_held"] != float64(10) || rep["people_started"] != float64(12) || strings.Contains(fmt.Sprint(rep["suppressed"]), "sessions_held") {
		t.Fatalf("10 people: %s", r.Body)
	}
}

func TestStatementCSV(t *testing.T) {
	w := newReportWorld(t)
	w.held(t, 3)
	r := w.do(t, orgAdminA, "GET", w.statementPath("month=2026-07"), nil)
	r.wantStatus(t, 200)
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="statement-`+w.k.ID+`-2026-07.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"contract", "organization", "month", "sessions_held", "late_cancellations_counted", "no_shows_counted", "billable_sessions", "currency", "unit_price", "amount"},
		{w.k.ID, "Org org-a", "2026-07", "3", "1", "1", "5", "", "", ""},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("statement:\n%v\nwant\n%v", rows, want)
	}
	if err := w.db.SetPricing(w.ctx, eyelevel.Pricing{Currency: "EUR", SessionPrice: 6500, Packages: []int{1}}, monday); err != nil {
		t.Fatal(err)
	}
	r = w.do(t, admin, "GET", w.statementPath("month=2026-07"), nil)
	if !strings.HasSuffix(string(r.Body), ",5,EUR,6500,32500\n") {
		t.Fatalf("priced statement: %s", r.Body)
	}
}

// Bad input is a 4xx with the error shape, never a 500.
func TestBuyerReportInput(t *testing.T) {
	w := newReportWorld(t)
	for _, c := range []struct {
		path   string
		status int
		code   string
		fields []string
	}{
		{w.reportPath(""), 400, eyelevel.EINVALID, []string{"from", "to"}},
		{w.reportPath("from=2026-07-01"), 400, eyelevel.EINVALID, []string{"to"}},
		{w.reportPath("from=july&to=2026-07-31"), 400, eyelevel.EINVALID, []string{"from"}},
		{w.reportPath("from=2026-07-01&to=2026-02-30"), 400, eyelevel.EINVALID, []string{"to"}},
		{w.reportPath("from=2026-07-01&to=2026-06-01"), 400, eyelevel.EINVALID, []string{"to"}},
		{w.reportPath("from=2026-06-15&to=2026-07-15"), 400, eyelevel.EINVALID, []string{"to"}},
		{w.reportPath("from=2026-11-01&to=2026-11-30"), 400, eyelevel.EINVALID, []string{"to"}},
		{w.reportPath("from=0001-01-01&to=9999-12-31"), 400, eyelevel.EINVALID, []string{"to"}},
		{w.reportPath("period=2026"), 400, eyelevel.EINVALID, []string{"period"}},
		{w.reportPath("period=final"), 409, eyelevel.ECONFLICT, nil},
		{"/api/v1/contracts/nothing/report?from=2026-07-01&to=2026-07-31", 404, eyelevel.ENOTFOUND, nil},
		{w.statementPath(""), 400, eyelevel.EINVALID, []string{"month"}},
		{w.statementPath("month=2026-13"), 400, eyelevel.EINVALID, []string{"month"}},
		{w.statementPath("month=2026-7"), 400, eyelevel.EINVALID, []string{"month"}},
		{w.statementPath("month=2026-07-01"), 400, eyelevel.EINVALID, []string{"month"}},
		{w.statementPath("month=2026-11"), 400, eyelevel.EINVALID, []string{"month"}},
		{"/api/v1/contracts/nothing/statement.csv?month=2026-07", 404, eyelevel.ENOTFOUND, nil},
	} {
		w.do(t, admin, "GET", c.path, nil).wantError(t, c.status, c.code, c.fields...)
	}
}

// The page shows the goals and the figures, for printing.
func TestBuyerReportPage(t *testing.T) {
	w := newReportWorld(t)
	w.held(t, 10)
	for _, path := range []string{"/org/contracts/" + w.k.ID + "/report?period=2026-07", "/admin/contracts/" + w.k.ID + "/report?period=2026-07"} {
		who := orgAdminA
		if strings.HasPrefix(path, "/admin") {
			who = admin
		}
		r := w.do(t, who, "GET", path, nil)
		r.wantStatus(t, 200)
		body := string(r.Body)
		for _, want := range []string{"Shorter waits for counseling.", "Org org-a", "2026-07", "statement.csv?month=2026-07"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}
	// By default the newest month that is over.
	if r := w.do(t, orgAdminA, "GET", "/org/contracts/"+w.k.ID+"/report", nil); r.Status != 200 || !strings.Contains(string(r.Body), "statement.csv?month=2026-10") {
		t.Errorf("default period: %d", r.Status)
	}
	r := w.do(t, orgAdminA, "GET", "/org/contracts/"+w.k.ID+"/report?period=bogus", nil)
	if r.Status != 400 {
		t.Errorf("bogus period: %d", r.Status)
	}
}
