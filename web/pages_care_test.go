package web

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// answerForm fills the named instrument's items with values.
func answerForm(prefix string, values ...int) url.Values {
	f := url.Values{}
	for i, v := range values {
		f.Set(prefix+"."+itoa(i+1), itoa(v))
	}
	return f
}

func merge(fs ...url.Values) url.Values {
	out := url.Values{}
	for _, f := range fs {
		for k, v := range f {
			out[k] = v
		}
	}
	return out
}

// TestCareProgramPages walks a client from registration through the
// self-test, a safety answer, the program and a rating, and looks at what
// the counselor and the admin see — over the HTML forms, without script.
func TestCareProgramPages(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}
	e := newPagesEnvAt(t, clk.Now)
	admin, counselor, counselorID := e.setup()

	c := e.browser()
	p := c.raw(http.MethodPost, "/register", url.Values{"consent": {"yes"}, "username": {"nour"}, "password": {"client-password"}, "language": {"de"}, "timezone": {"Europe/Berlin"}})
	mustStatus(t, "register", p, http.StatusOK) // the recovery code, shown once
	mustContain(t, "register", p, `class="recovery-code"`, `href="/selftest"`)
	p = c.get("/selftest")
	mustStatus(t, "self-test form", p, http.StatusOK)
	mustContain(t, "self-test form", p, `name="phq4.1"`, `name="who5.5"`, e.de("selftest.skip"), `href="/help"`)

	// One item left out: the form comes back with the answers kept.
	bad := merge(answerForm("phq4", 3, 3, 2, 1), answerForm("who5", 1, 1, 2, 2))
	p = c.post("/selftest", bad)
	mustStatus(t, "incomplete self-test", p, http.StatusBadRequest)
	mustContain(t, "incomplete self-test", p, e.de("questionnaire.err.marked"), e.de("questionnaire.err.missing"), `id="who5.5-err"`)
	if !strings.Contains(p.body, `name="phq4.1" value="3" required checked`) {
		t.Error("incomplete self-test: earlier answers not kept")
	}
	p = c.post("/selftest", merge(answerForm("phq4", 3, 3, 2, 1), answerForm("who5", 1, 1, 2, 2, 1)))
	mustStatus(t, "self-test", p, http.StatusOK)
	mustContain(t, "self-test result", p, e.de("selftest.advice.immediate.heading"), `href="tel:112"`, e.de("selftest.who5.percent", "n", 28))

	// Book a session, then the intake questionnaires are due.
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	p = c.post("/book", url.Values{"counselor": {string(counselorID)}, "start": {start.Format(time.RFC3339)}})
	mustStatus(t, "book", p, http.StatusOK)
	mustContain(t, "appointments", p, e.de("tasks.intake"), `href="/questionnaires/phq9"`)

	// PHQ-9 with only item 9 above 0: the crisis page at once.
	r := c.raw(http.MethodPost, "/questionnaires/phq9", answerForm("phq9", 0, 0, 0, 0, 0, 0, 0, 0, 1))
	if r.status != http.StatusSeeOther || r.location != "/help?from=answer" {
		t.Fatalf("safety answer: %d → %q", r.status, r.location)
	}
	p = c.get(r.location)
	mustContain(t, "crisis page", p, e.de("help.from_answer"), `href="tel:&#43;498001110111"`, e.de("help.alert.submit"))

	// The counselor sees the flag, opens the client, acknowledges.
	p = counselor.get("/appointments")
	mustContain(t, "counselor dashboard", p, e.de("alerts.heading"), e.de("alerts.source.questionnaire"), "nour")
	clientID := between(p.body, `href="/clients/`, `"`)
	p = counselor.get("/clients/" + clientID)
	mustStatus(t, "client page", p, http.StatusOK)
	mustContain(t, "client page", p, "<svg", e.de("band.phq9.minimal"), e.de("occasion.intake"))
	if strings.Contains(p.body, `value="1"`) {
		t.Error("client page shows item answers")
	}
	alertID := between(p.body, `action="/safety-alerts/`, `/acknowledge"`)
	p = counselor.post("/safety-alerts/"+alertID+"/acknowledge", url.Values{})
	mustContain(t, "acknowledged", p, e.de("notice.acknowledged"))
	if strings.Contains(p.body, e.de("alerts.heading")) {
		t.Error("alert still shown after acknowledging")
	}
	// Nobody else may see the client: the admin and the client get 404.
	mustStatus(t, "admin on client page", admin.get("/clients/"+clientID), http.StatusNotFound)
	mustStatus(t, "client on client page", c.get("/clients/"+clientID), http.StatusNotFound)

	// The program: write, finish and share step 1.
	p = c.get("/program")
	mustContain(t, "program", p, e.de("program.progress", "done", 0, "total", 7), `href="/program/7"`)
	p = c.post("/program/1", url.Values{"text": {"Mein Sohn und ich streiten jeden Abend."}, "done": {"on"}, "shared": {"on"}})
	mustContain(t, "after step 1", p, e.de("notice.step_done"), e.de("program.step_n", "n", 2))
	p = c.get("/program/1")
	mustContain(t, "step 1 again", p, "Mein Sohn und ich streiten jeden Abend.", `name="shared" checked`)
	p = c.post("/program/2", url.Values{"text": {strings.Repeat("x", 20001)}})
	mustStatus(t, "too long", p, http.StatusBadRequest)
	mustContain(t, "too long", p, e.de("program.err.too_long"))
	p = counselor.get("/clients/" + clientID)
	mustContain(t, "shared step", p, "Mein Sohn und ich streiten jeden Abend.")

	// A week after the session: asked once for a rating, and the post
	// questionnaires are due.
	clk.Set(start.Add(8 * 24 * time.Hour))
	c.login("nour", "client-password") // the browser session has expired meanwhile
	counselor.login("amira", "counselor-password")
	admin.login("admin", "admin-password")
	p = c.get("/appointments")
	mustContain(t, "rating prompt", p, e.de("appointments.rate"), e.de("tasks.post"))
	ratingURL := "/appointments/" + between(p.body, `href="/appointments/`, `/rating"`) + "/rating"
	p = c.post(ratingURL, url.Values{"stars": {"9"}})
	mustStatus(t, "bad rating", p, http.StatusBadRequest)
	mustContain(t, "bad rating", p, e.de("rating.err.stars"))
	p = c.post(ratingURL, url.Values{"stars": {"5"}, "comment": {"Sehr hilfreich"}})
	mustContain(t, "rated", p, e.de("notice.rated"))
	if strings.Contains(p.body, e.de("appointments.rate")) {
		t.Error("asked to rate twice")
	}
	p = counselor.get("/ratings")
	mustContain(t, "counselor ratings", p, e.de("report.suppressed"))
	if strings.Contains(p.body, "Sehr hilfreich") {
		t.Error("a single comment is shown")
	}

	// The admin's views.
	p = admin.get("/admin/report")
	mustStatus(t, "report", p, http.StatusOK)
	mustContain(t, "report", p, e.de("report.clients"), e.de("report.suppressed"))
	mustContain(t, "report", p, `<option value="2026-Q3" selected>`, `<option value="2025">`)
	mustStatus(t, "bad report period", admin.get("/admin/report?period=december"), http.StatusBadRequest)
	mustStatus(t, "open report period", admin.get("/admin/report?period=2026-Q4"), http.StatusBadRequest)
	// Staff see the questions as a preview, without a send button.
	p = counselor.get("/questionnaires/phq9")
	mustContain(t, "preview", p, e.de("questionnaire.preview"), `name="phq9.9"`)
	if strings.Contains(p.body, e.de("questionnaire.submit")) {
		t.Error("counselor gets a send button")
	}
	p = admin.get("/admin/instruments")
	mustContain(t, "instruments", p, e.de("instruments.validated"), e.de("instruments.not_validated"), "PHQ-9")
	mustStatus(t, "client on report", c.get("/admin/report"), http.StatusForbidden)

	// The progress page charts the scores with a table as text alternative.
	p = c.get("/progress")
	mustContain(t, "progress", p, `role="img"`, "<table", e.de("occasion.selftest"), `href="/export"`)

	// The client downloads a copy of their data; others may not.
	p = c.raw(http.MethodGet, "/export", nil)
	mustStatus(t, "export", p, http.StatusOK)
	mustContain(t, "export", p, "Mein Sohn und ich streiten jeden Abend.", `"instrument":"phq9"`, `"stars":5`)
	if cd := p.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Errorf("export Content-Disposition = %q", cd)
	}
	mustStatus(t, "counselor export", counselor.get("/export"), http.StatusForbidden)
	if r := e.browser().raw(http.MethodGet, "/export", nil); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/login") {
		t.Errorf("anonymous export: %d %q", r.status, r.location)
	}
}

// between returns the text after the first before and up to after.
func between(s, before, after string) string {
	_, rest, ok := strings.Cut(s, before)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, after)
	return v
}
