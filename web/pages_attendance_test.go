package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// TestPagesSayWhoPays: the counselor page and the booking confirmation say
// before booking that sessions are free, that they cost money and a
// package is needed (with a link to buy one), or that the organization
// pays and how many sessions are left.
func TestPagesSayWhoPays(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}
	e := newPagesEnvAt(t, clk.Now)
	_, _, id := e.setup()
	c := e.browser()
	c.post("/register", url.Values{"consent": {"yes"}, "username": {"nour"}, "password": {"client-password"}, "language": {"de"}, "timezone": {"Europe/Berlin"}})
	start := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	pages := []string{"/counselors/" + string(id), "/book?counselor=" + string(id) + "&start=" + url.QueryEscape(start.Format(time.RFC3339))}
	for _, path := range pages {
		mustContain(t, path+" free", c.get(path), e.de("cost.free"))
	}
	ctx := t.Context()
	if err := e.db.SetPricing(ctx, eyelevel.Pricing{Currency: "EUR", SessionPrice: 6500, Packages: []int{1, 3, 5}}, clk.Now()); err != nil {
		t.Fatal(err)
	}
	for _, path := range pages {
		mustContain(t, path+" charging", c.get(path), e.de("cost.need_package", "price", "€65"), `href="/packages"`)
	}
	// Booking is refused on the confirmation page with the price.
	p := c.post("/book", url.Values{"counselor": {string(id)}, "start": {start.Format(time.RFC3339)}})
	mustContain(t, "book without a credit", p, e.de("payment.err.required", "price", "€65", "packages", "1, 3, 5"))

	nour, err := e.db.UserByUsername(ctx, "nour")
	if err != nil {
		t.Fatal(err)
	}
	org := eyelevel.Organization{ID: eyelevel.NewID(), Name: "Caritas Nord", Slug: "caritas-nord", CreatedAt: clk.Now()}
	k := eyelevel.Contract{ID: eyelevel.NewID(), OrganizationID: org.ID, Starts: "2026-11-01", Ends: "2026-12-31", SessionsPerPerson: 5, CreatedAt: clk.Now()}
	err = e.db.InTx(ctx, func(ctx context.Context) error {
		return errors.Join(e.db.CreateOrganization(ctx, org), e.db.CreateContract(ctx, k),
			e.db.GrantCredit(ctx, eyelevel.Credit{ID: eyelevel.NewID(), ClientID: nour.ID, Source: eyelevel.SourceOrganization, ContractID: k.ID,
				Granted: 5, ExpiresAt: k.GraceEnd(), CreatedAt: clk.Now()}))
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range pages {
		mustContain(t, path+" organization", c.get(path), e.de("cost.organization", "organization", "\u2068Caritas Nord\u2069", "n", 5))
	}
	p = c.post("/book", url.Values{"counselor": {string(id)}, "start": {start.Format(time.RFC3339)}})
	mustContain(t, "book from the allowance", p, e.de("notice.booked"))
	mustContain(t, "after booking", c.get(pages[0]), e.de("cost.organization", "organization", "\u2068Caritas Nord\u2069", "n", 4))
}

// TestPagesEndSession: the counselor's room page has an "End session"
// form that records the session as held; the client's appointments page
// then shows the counselor's record.
func TestPagesEndSession(t *testing.T) {
	clk, e, counselor, c, appts, start := bookedSession(t)
	end := "/appointments/" + string(appts[0].ID) + "/end"
	clk.Set(start.Add(5 * time.Minute))
	p := counselor.get("/appointments/" + string(appts[0].ID) + "/room")
	mustContain(t, "counselor's room", p, `action="`+end+`"`, e.de("room.end_session"))
	if strings.Contains(c.get("/appointments/"+string(appts[0].ID)+"/room").body, `action="`+end+`"`) {
		t.Error("the client's room page offers End session")
	}
	if p := c.raw(http.MethodPost, end, url.Values{}); p.status != http.StatusNotFound {
		t.Errorf("client ends the session: %d", p.status)
	}
	p = counselor.raw(http.MethodPost, end, url.Values{})
	if p.status != http.StatusSeeOther {
		t.Fatalf("End session: %d", p.status)
	}
	got, err := e.db.Appointment(t.Context(), appts[0].ID)
	if err != nil || got.Attendance != eyelevel.AttendanceHeld {
		t.Fatalf("after End session: %+v, %v", got, err)
	}
	clk.Set(start.Add(2 * time.Hour))
	mustContain(t, "client's appointments", c.get("/appointments"), e.de("appointments.recent"),
		e.de("attendance.corrected", "attendance", e.cat.T("de", "attendance.held")))
}

// TestPagesCorrectAttendance: the counselor's appointments page lists the
// recent sessions with a form to correct how each ended; the client is
// told, and cannot correct, and a made-up value is refused. (The window of
// seven days is TestCorrectAttendance's in service.)
func TestPagesCorrectAttendance(t *testing.T) {
	clk, e, counselor, c, appts, start := bookedSession(t)
	action := "/appointments/" + string(appts[0].ID) + "/attendance"
	clk.Set(start.Add(2 * time.Hour))
	p := counselor.get("/appointments")
	mustContain(t, "counselor's recent sessions", p, e.de("appointments.recent"), `action="`+action+`"`, "nour", e.de("attendance.pending"))
	if strings.Contains(c.get("/appointments").body, `action="`+action+`"`) {
		t.Error("the client is offered the counselor's correction")
	}
	if p := c.raw(http.MethodPost, action, url.Values{"attendance": {"held"}}); p.status != http.StatusNotFound {
		t.Errorf("client corrects: %d", p.status)
	}
	if p := counselor.raw(http.MethodPost, action, url.Values{"attendance": {"partly"}}); p.status != http.StatusBadRequest {
		t.Errorf("made-up attendance: %d", p.status)
	}
	if p := counselor.raw(http.MethodPost, action, url.Values{"attendance": {"no_show_client"}}); p.status != http.StatusSeeOther {
		t.Fatalf("correct: %d", p.status)
	}
	got, err := e.db.Appointment(t.Context(), appts[0].ID)
	if err != nil || got.Attendance != eyelevel.AttendanceNoShowClient || got.AttendanceBy != "counselor" {
		t.Fatalf("after the correction: %+v, %v", got, err)
	}
	mustContain(t, "the form shows the recorded value", counselor.get("/appointments"), `<option value="no_show_client" selected>`)
	mustContain(t, "client's appointments", c.get("/appointments"),
		e.de("attendance.corrected", "attendance", e.cat.T("de", "attendance.no_show_client")))
}

// bookedSession has client nour book a session at 10:00 on 1 December
// with the fixture's counselor, on a clock at 8:00 the test moves; it
// returns the counselor's and the client's browsers and the appointment.
func bookedSession(t *testing.T) (*testClock, *pagesEnv, *browser, *browser, []eyelevel.Appointment, time.Time) {
	t.Helper()
	clk := &testClock{t: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}
	e := newPagesEnvAt(t, clk.Now)
	_, counselor, id := e.setup()
	c := e.browser()
	c.post("/register", url.Values{"consent": {"yes"}, "username": {"nour"}, "password": {"client-password"}, "language": {"de"}, "timezone": {"Europe/Berlin"}})
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	mustContain(t, "book", c.post("/book", url.Values{"counselor": {string(id)}, "start": {start.Format(time.RFC3339)}}), e.de("notice.booked"))
	appts, _, err := e.svc.Appointments(t.Context(), eyelevel.Actor{UserID: id, Role: eyelevel.RoleCounselor}, false, service.Page{})
	if err != nil || len(appts) != 1 {
		t.Fatalf("appointments: %v %v", appts, err)
	}
	return clk, e, counselor, c, appts, start
}
