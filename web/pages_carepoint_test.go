package web

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/i18n"
	"eyelevel/service"
	"eyelevel/store/storetest"
)

// carePointEnv is a running server with an organization whose contract
// runs from a month ago for a year, a care-point worker of it, and a
// counselor speaking Dari who is free around the clock.
func carePointEnv(t *testing.T) (*pagesEnv, string) {
	t.Helper()
	db := storetest.Open(t, storetest.Suite())
	svc := service.New(db, service.Config{SecondFactorOptional: true, Password: service.PasswordParams{Memory: 64, Time: 1, Threads: 1}}, nil, nil)
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewServer(Deps{Service: svc, Catalog: cat}))
	t.Cleanup(srv.Close)
	e := &pagesEnv{t: t, srv: srv, svc: svc, cat: cat, db: db}
	now := time.Now().UTC()
	o := eyelevel.Organization{ID: eyelevel.NewID(), Name: "Shelter East", Slug: "shelter-east", CreatedAt: now}
	if err := db.CreateOrganization(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	k := eyelevel.Contract{ID: eyelevel.NewID(), OrganizationID: o.ID, Starts: now.AddDate(0, -1, 0).Format(time.DateOnly),
		Ends: now.AddDate(1, 0, 0).Format(time.DateOnly), SessionsPerPerson: 5, GraceDays: 30, CreatedAt: now}
	if err := db.CreateContract(t.Context(), k); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddStaff(t.Context(), service.Operator, o.ID, service.StaffInput{Username: "worker", Password: "worker-password", DisplayName: "Amina", Role: eyelevel.RoleCarePoint}); err != nil {
		t.Fatal(err)
	}
	c, err := svc.CreateCounselor(t.Context(), service.Operator, service.CounselorInput{Username: "dari-counselor", Password: "counselor-password", DisplayName: "Farida Noori",
		Gender: eyelevel.GenderFemale, Languages: []eyelevel.LanguageSkill{{Code: "fa-AF", Native: true}}, TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	var week []eyelevel.WeeklyWindow
	for d := time.Sunday; d <= time.Saturday; d++ {
		week = append(week, eyelevel.WeeklyWindow{Weekday: d, Start: 0, End: 1440})
	}
	if err := svc.SetAvailability(t.Context(), service.Operator, c.ID, eyelevel.Availability{Weekly: week}); err != nil {
		t.Fatal(err)
	}
	return e, o.ID
}

func cookieOf(p pageResponse, name string) *http.Cookie {
	for _, c := range p.cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// A shared computer's login: a cookie that ends with the browser, no
// device cookie, and a logout that clears the site's data; an ordinary
// login keeps its device cookie and is not cleared.
func TestPagesSharedComputerLogin(t *testing.T) {
	e, _ := carePointEnv(t)
	b := e.browser()
	mustContain(t, "login form", b.get("/login"), `name="shared"`, e.de("login.shared"))
	p := b.raw(http.MethodPost, "/login", url.Values{"username": {"worker"}, "password": {"worker-password"}, "shared": {"yes"}})
	mustStatus(t, "shared login", p, http.StatusSeeOther)
	if p.location != "/carepoint" {
		t.Errorf("a care-point worker lands on %q", p.location)
	}
	s := cookieOf(p, sessionCookie)
	if s == nil || !s.Expires.IsZero() || s.MaxAge != 0 || !s.HttpOnly || !s.Secure {
		t.Fatalf("shared session cookie %+v: want one without expiry", s)
	}
	if d := cookieOf(p, deviceCookie); d != nil {
		t.Fatalf("shared login set a device cookie: %+v", d)
	}
	if h := b.get("/carepoint").header.Get("Cache-Control"); h != "no-store" {
		t.Errorf("care-point page Cache-Control %q", h)
	}
	p = b.raw(http.MethodPost, "/logout", url.Values{})
	if got := p.header.Get("Clear-Site-Data"); got != `"cache", "cookies", "storage"` {
		t.Fatalf("shared logout Clear-Site-Data = %q", got)
	}
	if b.cookies[sessionCookie] != "" {
		t.Fatalf("session cookie kept after logout")
	}
	mustStatus(t, "care point after logout", b.raw(http.MethodGet, "/carepoint", nil), http.StatusSeeOther)

	home := e.browser()
	p = home.raw(http.MethodPost, "/login", url.Values{"username": {"worker"}, "password": {"worker-password"}})
	if s := cookieOf(p, sessionCookie); s == nil || s.Expires.IsZero() {
		t.Fatalf("ordinary session cookie %+v: want an expiry", s)
	}
	if cookieOf(p, deviceCookie) == nil {
		t.Fatalf("ordinary login without a device cookie")
	}
	if got := home.raw(http.MethodPost, "/logout", url.Values{}).header.Get("Clear-Site-Data"); got != "" {
		t.Fatalf("ordinary logout Clear-Site-Data = %q", got)
	}
}

// The care point's pages: registering needs the consent box; a
// registered client is booked through the ordinary booking pages; the
// slip speaks the client's language; the client ends the access.
func TestPagesCarePoint(t *testing.T) {
	e, _ := carePointEnv(t)
	worker := e.browser()
	worker.login("worker", "worker-password")
	p := worker.get("/carepoint")
	mustStatus(t, "care point page", p, http.StatusOK)
	mustContain(t, "care point page", p, e.de("carepoint.consent.text"), service.ConsentVersion, `name="consent"`, e.de("carepoint.none"))

	form := url.Values{"username": {"parwana-7"}, "password": {"a long password"}, "language": {"fa-AF"}, "timezone": {"Asia/Kabul"}}
	p = worker.post("/carepoint/clients", form)
	mustStatus(t, "register without consent", p, http.StatusBadRequest)
	mustContain(t, "register without consent", p, e.de("carepoint.err.consent"), e.de("consent.err.required"), `name="health_consent"`, `value="parwana-7"`)
	if strings.Contains(p.body, "a long password") {
		t.Fatal("the password was sent back")
	}
	form.Set("consent", "yes")
	form.Set("health_consent", "yes")
	p = worker.raw(http.MethodPost, "/carepoint/clients", form)
	// The access slip with the recovery code (shown once), and on to booking.
	mustStatus(t, "register with consent", p, http.StatusOK)
	mustContain(t, "register with consent", p, `class="recovery-code"`)
	next := html.UnescapeString(regexp.MustCompile(`href="(/counselors\?[^"]*)"`).FindStringSubmatch(p.body)[1])
	if !strings.Contains(next, "client=") || !strings.Contains(next, "language=fa-AF") {
		t.Fatalf("after registering: %s", next)
	}
	client := eyelevel.UserID(must(url.Parse(next)).Query().Get("client"))
	p = worker.get(next)
	mustContain(t, "search for the client", p, e.de("notice.registered"), e.de("carepoint.booking_for", "name", "\u2068parwana-7\u2069"), "Farida Noori", "client="+string(client))

	// Book the counselor's next free time for the client.
	book := between(p.body, `href="/book?`, `"`)
	if book == "" {
		t.Fatalf("no booking link:\n%s", p.body)
	}
	p = worker.get("/book?" + strings.ReplaceAll(book, "&amp;", "&"))
	mustContain(t, "confirmation", p, `name="client" value="`+string(client)+`"`)
	q := must(url.ParseQuery(strings.ReplaceAll(book, "&amp;", "&")))
	p = worker.raw(http.MethodPost, "/book", url.Values{"counselor": {q.Get("counselor")}, "start": {q.Get("start")}, "client": {string(client)}})
	if p.status != http.StatusSeeOther || p.location != "/carepoint?notice=booked" {
		t.Fatalf("book for the client: %d %s %.500s", p.status, p.location, p.body)
	}
	p = worker.get("/carepoint?notice=booked")
	mustContain(t, "care point after booking", p, "parwana-7", "Farida Noori", "/carepoint/clients/"+string(client)+"/slip")

	// The slip is in Dari, whatever the worker's page language.
	p = worker.get("/carepoint/clients/" + string(client) + "/slip")
	mustStatus(t, "slip", p, http.StatusOK)
	mustContain(t, "slip", p, `lang="fa-AF"`, `dir="rtl"`, "parwana-7", "Farida Noori", e.cat.T("fa-AF", "slip.heading"), "0800 111 0 111")

	// Cancelling for the client follows the client's rules: the session
	// starts within the next 24 hours, so the page warns that cancelling
	// now is late, and a late cancellation is recorded as such.
	p = worker.get("/carepoint")
	mustContain(t, "late warning", p, e.de("carepoint.late_cancel", "hours", 24))
	cancel := between(p.body, `action="/carepoint/appointments/`, `"`)
	if cancel == "" {
		t.Fatalf("no cancel button:\n%s", p.body)
	}
	p = worker.raw(http.MethodPost, "/carepoint/appointments/"+cancel, url.Values{})
	if p.status != http.StatusSeeOther {
		t.Fatalf("cancel within the notice period: %d %.300s", p.status, p.body)
	}
	id := strings.TrimSuffix(cancel, "/cancel")
	if got, err := e.db.Appointment(t.Context(), eyelevel.AppointmentID(id)); err != nil || got.Status != eyelevel.StatusCancelled || !got.LateCancel {
		t.Fatalf("after the care point's late cancellation: %+v %v", got, err)
	}

	// Another client cannot be looked at through the booking pages.
	other := e.browser()
	if _, err := e.svc.AddUser(t.Context(), eyelevel.RoleClient, "someone-else", "client-password", "UTC"); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, "search for a stranger", worker.get("/counselors?language=fa-AF&client=nobody"), http.StatusNotFound)

	// The client sees the care point (in Dari, their language) and ends its access.
	fa := func(key string, args ...any) string { return html.EscapeString(e.cat.T("fa-AF", key, args...)) }
	other.login("parwana-7", "a long password")
	p = other.get("/appointments")
	mustContain(t, "client's appointments", p, fa("access.short", "organization", "\u2068Shelter East\u2069"), `href="/carepoint/access"`)
	mustContain(t, "access page", other.get("/carepoint/access"), fa("access.cannot"), `action="/carepoint/access/end"`)
	mustStatus(t, "client on the care-point page", other.get("/carepoint"), http.StatusNotFound)
	p = other.post("/carepoint/access/end", url.Values{})
	mustContain(t, "after ending", p, fa("notice.access_ended"), fa("access.none"))
	mustStatus(t, "slip after the end", worker.get("/carepoint/clients/"+string(client)+"/slip"), http.StatusNotFound)
	if strings.Contains(worker.get("/carepoint").body, "parwana-7") {
		t.Fatal("the worker still lists the client")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// An organization's manager lists and adds care-point workers of their
// own organization; the operator's admin does the same for any.
func TestPagesOrganizationStaff(t *testing.T) {
	e, org := carePointEnv(t)
	if _, err := e.svc.AddStaff(t.Context(), service.Operator, org, service.StaffInput{Username: "manager", Password: "manager-password", DisplayName: "Jana", Role: eyelevel.RoleOrgAdmin}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddUser(t.Context(), eyelevel.RoleAdmin, "admin", "admin-password", "Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	m := e.browser()
	p := m.raw(http.MethodPost, "/login", url.Values{"username": {"manager"}, "password": {"manager-password"}})
	if p.location != "/admin/organizations" {
		t.Fatalf("a manager lands on %q, want the organization's overview", p.location)
	}
	p = m.get("/org/staff")
	mustContain(t, "staff page", p, "Amina", "Jana", e.de("staff.role.carepoint"), `action="/org/staff"`)
	if strings.Contains(p.body, `value="orgadmin"`) {
		t.Error("a manager is offered to add managers")
	}
	p = m.post("/org/staff", url.Values{"display_name": {"Omid"}, "username": {"worker-2"}, "password": {"x"}, "role": {"carepoint"}})
	mustStatus(t, "short password", p, http.StatusBadRequest)
	mustContain(t, "short password", p, `value="worker-2"`)
	p = m.post("/org/staff", url.Values{"display_name": {"Omid"}, "username": {"worker-2"}, "password": {"a long password"}, "role": {"orgadmin"}})
	mustStatus(t, "a manager adding a manager", p, http.StatusForbidden)
	p = m.post("/org/staff", url.Values{"display_name": {"Omid"}, "username": {"worker-2"}, "password": {"a long password"}, "role": {"carepoint"}})
	mustStatus(t, "add a worker", p, http.StatusOK)
	mustContain(t, "add a worker", p, e.de("notice.created"), "Omid")

	a := e.browser()
	a.login("admin", "admin-password")
	p = a.get("/admin/organizations/" + org + "/staff")
	mustContain(t, "admin's staff page", p, "Omid", `value="orgadmin"`)
	mustStatus(t, "unknown organization", a.get("/admin/organizations/nope/staff"), http.StatusNotFound)
	mustStatus(t, "manager on the admin page of another", m.get("/admin/organizations/nope/staff"), http.StatusNotFound)

	w := e.browser()
	w.login("worker", "worker-password")
	mustStatus(t, "worker on the staff page", w.get("/org/staff"), http.StatusNotFound)
}
