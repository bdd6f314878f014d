package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// wsPagesNow is the workspace pages' fixed "now": Monday 30 November 2026, 08:00 UTC.
var wsPagesNow = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

// wsPages is a server with counselors X and Y (UTC, weekdays 08–16), client
// A booked with X on Wednesday 10:00 UTC, and browsers logged in as X, Y and A.
type wsPages struct {
	*pagesEnv
	x, y, a eyelevel.UserID
	appt    eyelevel.AppointmentID
	bx, by  *browser
	ba      *browser
}

func newWSPages(t *testing.T) *wsPages {
	t.Helper()
	e := &wsPages{pagesEnv: newPagesEnvAt(t, func() time.Time { return wsPagesNow })}
	ctx := t.Context()
	var weekly []eyelevel.WeeklyWindow
	for d := time.Monday; d <= time.Friday; d++ {
		weekly = append(weekly, eyelevel.WeeklyWindow{Weekday: d, Start: 8 * 60, End: 16 * 60})
	}
	counselor := func(name string) eyelevel.UserID {
		c, err := e.svc.CreateCounselor(ctx, service.Operator, service.CounselorInput{Username: name, Password: "counselor-password",
			DisplayName: "Counselor " + name, Gender: eyelevel.GenderFemale, TimeZone: "UTC", Languages: []eyelevel.LanguageSkill{{Code: "de"}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.SetAvailability(ctx, service.Operator, c.ID, eyelevel.Availability{Weekly: weekly}); err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	e.x, e.y = counselor("xenia"), counselor("yasmin")
	u, err := e.svc.AddUser(ctx, eyelevel.RoleClient, "morgenrot", "client-password", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	e.a = u.ID
	a := eyelevel.Actor{UserID: u.ID, Role: eyelevel.RoleClient, Language: "de", TimeZone: "UTC"}
	appt, err := e.svc.Book(ctx, a, service.BookInput{CounselorID: e.x, Start: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	e.appt = appt.ID
	e.bx, e.by, e.ba = e.browser(), e.browser(), e.browser()
	if p := e.bx.raw(http.MethodPost, "/login", url.Values{"username": {"xenia"}, "password": {"counselor-password"}}); p.location != "/workspace" {
		t.Errorf("a counselor lands on %q, want /workspace", p.location)
	}
	e.by.login("yasmin", "counselor-password")
	e.ba.login("morgenrot", "client-password")
	return e
}

// TestPagesWorkspace walks the counselor's workspace without JavaScript:
// dashboard, caseload, a note, an absence with the session in it
// cancelled, a hand-over the client accepts; and who may open what.
func TestPagesWorkspace(t *testing.T) {
	e := newWSPages(t)
	a := string(e.a)
	p := e.bx.get("/workspace")
	mustStatus(t, "dashboard", p, http.StatusOK)
	mustContain(t, "dashboard", p, `<a href="/workspace">`+e.de("nav.workspace"), e.de("workspace.sessions"), "morgenrot", `/appointments/`+string(e.appt)+`/room`)
	p = e.bx.get("/workspace/clients")
	mustContain(t, "caseload", p, e.de("caseload.heading"), `href="/workspace/clients/`+a+`"`)
	p = e.bx.get("/clients/" + a)
	mustContain(t, "client page", p, `href="/workspace/clients/`+a+`"`)

	// A note, saved and shown again.
	p = e.bx.post("/workspace/notes/"+string(e.appt), url.Values{"text": {"Erste Notiz"}})
	mustStatus(t, "save note", p, http.StatusOK)
	mustContain(t, "save note", p, e.de("notice.saved"), ">Erste Notiz</textarea>")
	if p := e.by.post("/workspace/notes/"+string(e.appt), url.Values{"text": {"fremd"}}); p.status != http.StatusNotFound {
		t.Errorf("Y saving X's note: %d", p.status)
	}
	if p := e.ba.get("/workspace/clients/" + a); p.status != http.StatusNotFound || strings.Contains(p.body, "Erste Notiz") {
		t.Errorf("the client opening the notes page: %d", p.status)
	}

	// An absence: a bad one re-renders the form with the field's error.
	p = e.bx.post("/workspace/absences", url.Values{"from": {"2026-12-03"}, "to": {"2026-12-01"}, "message": {"Bin weg"}})
	mustStatus(t, "bad absence", p, http.StatusBadRequest)
	mustContain(t, "bad absence", p, e.de("absence.err.order"), `value="2026-12-03"`, ">Bin weg</textarea>")
	p = e.bx.post("/workspace/absences", url.Values{"from": {"2026-12-01"}, "to": {"2026-12-04"}, "message": {"Ab dem 7. bin ich zurück."}})
	mustStatus(t, "absence", p, http.StatusOK)
	mustContain(t, "absence", p, e.de("absence.span", "from", "2026-12-01", "to", "2026-12-04"), "morgenrot", e.de("absence.cancel_sessions"))
	action := regexp.MustCompile(`action="(/workspace/absences/[^/"]+)/cancel-sessions"`).FindStringSubmatch(p.body)
	if action == nil {
		t.Fatal("no cancel form")
	}
	p = e.bx.post(action[1]+"/cancel-sessions", url.Values{})
	mustStatus(t, "cancel sessions", p, http.StatusOK)
	mustContain(t, "cancel sessions", p, e.de("absence.no_sessions"))
	if st, _ := e.db.Appointment(t.Context(), e.appt); st.Status != eyelevel.StatusCancelled {
		t.Errorf("the session in the absence is %s", st.Status)
	}
	p = e.bx.post(action[1]+"/delete", url.Values{})
	mustContain(t, "delete absence", p, e.de("absence.none"))

	// A hand-over to Y: Y sees the client only after the client accepts.
	p = e.bx.post("/workspace/clients/"+a+"/handover", url.Values{"to_counselor_id": {string(e.y)}, "note": {"Sie spricht auch Arabisch."}})
	mustStatus(t, "propose", p, http.StatusOK)
	mustContain(t, "propose", p, e.de("handover.to", "name", "\u2068Counselor yasmin\u2069"))
	mustStatus(t, "Y before", e.by.get("/clients/"+a), http.StatusNotFound)
	p = e.ba.get("/appointments")
	mustContain(t, "client's appointments", p, `href="/handovers"`)
	p = e.ba.get("/handovers")
	mustContain(t, "client's proposals", p, "Sie spricht auch Arabisch.", e.de("handover.accept"))
	accept := regexp.MustCompile(`action="(/handovers/[^/"]+/accept)"`).FindStringSubmatch(p.body)
	if accept == nil {
		t.Fatal("no accept form")
	}
	p = e.ba.post(accept[1], url.Values{})
	mustContain(t, "accepted", p, e.de("handover.status.accepted"), `href="/counselors/`+string(e.y)+`"`)
	mustStatus(t, "Y after", e.by.get("/clients/"+a), http.StatusOK)

	// Who may open the workspace pages.
	for _, c := range []struct {
		b      *browser
		path   string
		status int
	}{
		{e.ba, "/workspace", http.StatusForbidden},
		{e.ba, "/workspace/clients", http.StatusForbidden},
		{e.ba, "/workspace/absences", http.StatusForbidden},
		{e.bx, "/handovers", http.StatusOK},
		{e.browser(), "/workspace", http.StatusOK}, // the login page, after the redirect
	} {
		mustStatus(t, c.path, c.b.get(c.path), c.status)
	}
}

// TestPagesWorkspaceUnreadLink: the dashboard's unread messages lead to
// the thread, and reading it empties the list.
func TestPagesWorkspaceUnreadLink(t *testing.T) {
	e := newWSPages(t)
	a := string(e.a)
	if p := e.ba.post("/messages/"+string(e.x), url.Values{"text": {"Eine Frage"}}); p.status >= 400 {
		t.Fatalf("send: %d", p.status)
	}
	p := e.bx.get("/workspace")
	mustContain(t, "dashboard", p, `<a href="/messages/`+a+`">`)
	if p := e.bx.get("/messages/" + a); p.status != http.StatusOK {
		t.Fatalf("thread: %d", p.status)
	}
	p = e.bx.get("/workspace")
	mustContain(t, "dashboard after reading", p, e.de("workspace.no_unread"))
}
