package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// TestProgramFollowsPageLanguage: a client whose account is in Dari but
// who reads the pages in English gets the program in English — on the
// pages and over the API, by the same rule (explicit choice > account >
// Accept-Language).
func TestProgramFollowsPageLanguage(t *testing.T) {
	e := newPagesEnv(t)
	c := e.browser()
	p := c.raw(http.MethodPost, "/register", url.Values{"consent": {"yes"}, "username": {"nour"}, "password": {"client-password"}, "language": {"fa-AF"}, "timezone": {"Europe/Berlin"}})
	mustStatus(t, "register", p, http.StatusOK) // the recovery code, shown once
	const en, dari = "My situation", "وضعیت من"

	p = c.get("/program")
	mustContain(t, "program in the account's language", p, dari)
	p = c.get("/program?lang=en")
	mustStatus(t, "program in English", p, http.StatusOK)
	mustContain(t, "program in English", p, `lang="en"`, en)
	if strings.Contains(p.body, dari) {
		t.Error("English program page shows the Dari step title")
	}
	p = c.get("/program/1") // the language cookie now says English
	mustContain(t, "step in English", p, en)
	if strings.Contains(p.body, dari) {
		t.Error("English step page shows Dari content")
	}

	// The API: the account's language unless the caller asks for another.
	tok, _, _, err := e.svc.Login(t.Context(), "nour", "client-password", "10.0.0.1", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, accept, want string }{
		{"/api/v1/program/steps/1", "", dari},
		{"/api/v1/program/steps/1?lang=en", "", en},
		{"/api/v1/program?lang=en", "", en},
	} {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+tc.path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !json.Valid(body) || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s: %d, want %q in %.300s", tc.path, res.StatusCode, tc.want, body)
		}
	}
}

// TestFavicon: browsers ask for /favicon.ico on their own; every page
// links the SVG icon, which the strict CSP allows (same origin).
func TestFavicon(t *testing.T) {
	e := newPagesEnv(t)
	b := e.browser()
	p := b.get("/favicon.ico")
	mustStatus(t, "favicon.ico", p, http.StatusOK)
	if ct := p.header.Get("Content-Type"); ct != "image/vnd.microsoft.icon" || !strings.HasPrefix(p.body, "\x00\x00\x01\x00") {
		t.Errorf("favicon.ico: Content-Type %q, starts %q", ct, p.body[:min(4, len(p.body))])
	}
	for _, path := range []string{"/", "/login", "/help"} {
		p := b.get(path)
		mustContain(t, path, p, `<link rel="icon" href="`+assetURL("favicon.svg")+`" type="image/svg+xml">`)
	}
	p = b.get(assetURL("favicon.svg"))
	mustStatus(t, "favicon.svg", p, http.StatusOK)
	if ct := p.header.Get("Content-Type"); ct != "image/svg+xml" || !strings.Contains(p.body, "<svg") {
		t.Errorf("favicon.svg: Content-Type %q", ct)
	}
}

// TestPagesCancelConfirm: the cancel page shows only what may be done — a
// session already cancelled or started has no button; one inside the
// notice period warns first that it is a late cancellation — and nobody
// else's appointment; the booking page says when cancelling a slot once
// booked would be late.
func TestPagesCancelConfirm(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}
	e := newPagesEnvAt(t, clk.Now)
	_, counselor, id := e.setup()
	c := e.browser()
	c.post("/register", url.Values{"consent": {"yes"}, "username": {"nour"}, "password": {"client-password"}, "language": {"de"}, "timezone": {"Europe/Berlin"}})
	soon, later := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC), time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

	p := c.get("/book?counselor=" + string(id) + "&start=" + url.QueryEscape(soon.Format(time.RFC3339)))
	mustContain(t, "confirm soon", p, e.de("cancel.rule_passed", "hours", 24))
	var cancelURLs []string
	for _, start := range []time.Time{soon, later} {
		p = c.post("/book", url.Values{"counselor": {string(id)}, "start": {start.Format(time.RFC3339)}})
		mustContain(t, "book", p, e.de("notice.booked"))
	}
	for _, m := range regexp.MustCompile(`href="(/appointments/[^"]+/cancel)"`).FindAllStringSubmatch(c.get("/appointments").body, -1) {
		cancelURLs = append(cancelURLs, m[1])
	}
	if len(cancelURLs) != 2 {
		t.Fatalf("cancel links: %v, want both sessions'", cancelURLs)
	}
	appts, _, err := e.svc.Appointments(t.Context(), eyelevel.Actor{UserID: id, Role: eyelevel.RoleCounselor}, false, service.Page{})
	if err != nil || len(appts) != 2 {
		t.Fatalf("appointments: %v %v", appts, err)
	}
	var soonURL, laterURL string
	for _, a := range appts {
		if a.Start.Equal(soon) {
			soonURL = "/appointments/" + string(a.ID) + "/cancel"
		} else {
			laterURL = "/appointments/" + string(a.ID) + "/cancel"
		}
	}

	// Inside the notice period the client is warned; a free session
	// costs nothing.
	p = c.get(soonURL)
	mustStatus(t, "cancel page inside the notice", p, http.StatusOK)
	mustContain(t, "cancel page inside the notice", p, e.de("cancel.late_free", "hours", 24), e.de("cancel.submit"))
	if p := c.get(laterURL); strings.Contains(p.body, e.de("cancel.late_free", "hours", 24)) {
		t.Error("a session outside the notice period warns of a late cancellation")
	}
	cancelURLs = []string{laterURL}
	// The counselor may cancel until the start, without the client's rule.
	p = counselor.get(soonURL)
	mustContain(t, "counselor's cancel page", p, e.de("cancel.submit"), "nour")
	if strings.Contains(p.body, e.de("cancel.late_free", "hours", 24)) {
		t.Error("the counselor is warned of a client's late cancellation")
	}
	if strings.Contains(p.body, e.de("cancel.rule", "time", formatTime(e.cat, "de", soon.Add(-24*time.Hour), berlin(t), styleDateTime), "hours", 24)) {
		t.Error("the counselor is shown the client's cancellation rule")
	}
	other := e.browser()
	other.post("/register", url.Values{"consent": {"yes"}, "username": {"sami"}, "password": {"client-password"}, "language": {"de"}, "timezone": {"UTC"}})
	mustStatus(t, "someone else's cancel page", other.get(cancelURLs[0]), http.StatusNotFound)
	if p := e.browser().raw(http.MethodGet, cancelURLs[0], nil); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login") {
		t.Errorf("anonymous cancel page: %d %q", p.status, p.location)
	}

	mustContain(t, "cancel", c.post(cancelURLs[0], url.Values{}), e.de("notice.cancelled"))
	p = c.get(cancelURLs[0])
	mustStatus(t, "cancel page after cancelling", p, http.StatusOK)
	mustContain(t, "cancel page after cancelling", p, e.de("appointment.err.not_booked"))
	if strings.Contains(p.body, e.de("cancel.submit")) {
		t.Error("a cancelled session offers the cancel button")
	}
	// Once it has started, not even the counselor can cancel it.
	clk.Set(soon.Add(time.Minute))
	counselor = e.browser()
	counselor.login("amira", "counselor-password")
	p = counselor.get(soonURL)
	mustContain(t, "cancel page of a started session", p, e.de("cancel.err.started"))
	if strings.Contains(p.body, e.de("cancel.submit")) {
		t.Error("a started session offers the cancel button")
	}
}
