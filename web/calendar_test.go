package web_test

import (
	"context"
	"log/slog"
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
	"eyelevel/service/servicetest"
	"eyelevel/store/storetest"
	"eyelevel/web"

	ics "github.com/arran4/golang-ical"
)

// newCalWorld is newWorld with mail on: client A (Arabic) and counselor X
// have verified addresses, so the fixture's bookings are in the outbox.
func newCalWorld(tb testing.TB) *world {
	tb.Helper()
	dsn, dir := storetest.Location(tb, storetest.Suite())
	db := storetest.OpenAt(tb, dsn, dir)
	raw := storetest.Raw(tb, dsn, dir)
	cat, err := i18n.Load()
	if err != nil {
		tb.Fatal(err)
	}
	clk := &clock{t: monday}
	log := slog.New(slog.NewTextHandler(tb.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc := service.New(db, service.Config{SecondFactorOptional: true, Password: service.PasswordParams{Memory: 64, Time: 1, Threads: 1}, SessionsPerDay: -1, Keys: servicetest.Keys(1),
		Mail: service.MailConfig{On: true, PublicURL: "https://eyelevel.example"}}, log, clk.Now)
	w := &world{
		ctx: context.Background(), db: db, dsn: dsn, dir: dir, svc: svc, cat: cat, clock: clk,
		h:   web.NewServer(web.Deps{Service: svc, Catalog: cat, Log: log}),
		ids: map[role]eyelevel.UserID{}, tokens: map[role]string{},
		names: map[role]string{
			clientA: "client-a", clientB: "client-b", counselorX: "counselor-x", counselorY: "counselor-y", admin: "admin",
		},
	}
	for who, tz := range map[role]string{clientA: "Europe/Berlin", clientB: "UTC", admin: "Europe/Berlin"} {
		r := eyelevel.RoleClient
		if who == admin {
			r = eyelevel.RoleAdmin
		}
		u, err := svc.AddUser(w.ctx, r, w.names[who], password, tz)
		if err != nil {
			tb.Fatal(err)
		}
		w.ids[who] = u.ID
	}
	w.ids[counselorX] = w.mustCounselor(tb, w.names[counselorX], "Europe/Berlin", []eyelevel.LanguageSkill{{Code: "de", Native: true}, {Code: "ar"}}, weekdays(9*60, 17*60))
	w.ids[counselorY] = w.mustCounselor(tb, w.names[counselorY], "UTC", []eyelevel.LanguageSkill{{Code: "de", Native: true}}, weekdays(8*60, 16*60))
	for who, addr := range map[role][2]string{clientA: {"a@example.org", "ar"}, counselorX: {"x@example.org", "de"}} {
		if _, err := raw.ExecContext(w.ctx, `UPDATE users SET email = $1, email_verified = 1, language = $2 WHERE id = $3`, addr[0], addr[1], string(w.ids[who])); err != nil {
			tb.Fatal(err)
		}
	}
	for _, who := range roles[1:] {
		w.tokens[who] = w.login(tb, w.names[who])
	}
	w.apptA = w.mustBook(tb, clientA, counselorX, apptAStart)
	w.apptB = w.mustBook(tb, clientB, counselorY, apptBStart)
	return w
}

var calCancelRE = regexp.MustCompile(`https://eyelevel\.example(/cancel/[A-Za-z0-9._-]+)`)

// calCancelPath is the cancel link of the newest mail to addr of kind.
func calCancelPath(tb testing.TB, w *world, kind, addr string) string {
	tb.Helper()
	ms, err := w.db.Outbox(w.ctx, kind, 50)
	if err != nil {
		tb.Fatal(err)
	}
	for _, m := range ms {
		if m.To == addr {
			if p := calCancelRE.FindStringSubmatch(m.Text); p != nil {
				return p[1]
			}
		}
	}
	tb.Fatalf("no %s mail with a cancel link to %s in %d mails", kind, addr, len(ms))
	return ""
}

// calForm posts a form as who (anon: no credentials), as a browser page would.
func calForm(w *world, who role, path string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.RemoteAddr = w.ip() + ":40000"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if t := w.tokens[who]; t != "" {
		req.Header.Set("Authorization", "Bearer "+t)
	}
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	return rec
}

// TestCalAuthzTable: who may move a session, make a calendar feed, and use
// a cancel link or a feed URL (the secret is the authority: any caller).
func TestCalAuthzTable(t *testing.T) {
	w := newCalWorld(t)
	cancelPath := calCancelPath(t, w, "booking", "a@example.org")
	newStart := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC).Format(time.RFC3339)
	moveA := func(*world) string { return "/api/v1/appointments/" + string(w.apptA) }
	for _, c := range []struct {
		action, method string
		path           func(*world) string
		body           any
		want           map[role]int
	}{
		{"make a calendar feed", "POST", fixed("/api/v1/me/calendar-feed"), nil,
			map[role]int{anon: 401, clientA: 403, clientB: 403, counselorX: 201, counselorY: 201, admin: 403}},
		{"open a cancel link", "GET", fixed(cancelPath), nil,
			map[role]int{anon: 200, clientA: 200, clientB: 200, counselorX: 200, counselorY: 200, admin: 200}},
		{"open a forged cancel link", "GET", fixed(cancelPath + "x"), nil,
			map[role]int{anon: 404, clientA: 404, clientB: 404, counselorX: 404, counselorY: 404, admin: 404}},
		{"open a feed that is not", "GET", fixed("/calendar/nothing.ics"), nil,
			map[role]int{anon: 404, clientA: 404, clientB: 404, counselorX: 404, counselorY: 404, admin: 404}},
		{"open the change-time page of A's session", "GET", func(w *world) string { return "/appointments/" + string(w.apptA) + "/reschedule" }, nil,
			map[role]int{anon: 303, clientA: 200, clientB: 404, counselorX: 403, counselorY: 404, admin: 404}},
		{"move another's session", "PUT", func(w *world) string { return "/api/v1/appointments/" + string(w.apptB) }, map[string]string{"start": newStart},
			map[role]int{anon: 401, clientA: 404, clientB: 200, counselorX: 404, counselorY: 403, admin: 404}},
		{"move A's session", "PUT", moveA, map[string]string{"start": newStart},
			map[role]int{anon: 401, clientB: 404, counselorX: 403, counselorY: 404, admin: 404, clientA: 200}},
	} {
		for _, who := range roles {
			want, ok := c.want[who]
			if !ok {
				continue
			}
			r := w.do(t, who, c.method, c.path(w), c.body)
			if r.Status != want {
				t.Errorf("%s as %s: status %d, want %d: %.300s", c.action, who, r.Status, want, r.Body)
			}
		}
	}
	// The move made the link stale; the new one cancels for anyone who has it, once.
	if rec := calForm(w, anon, cancelPath, url.Values{}); rec.Code != 409 {
		t.Fatalf("stale link: %d", rec.Code)
	}
	cancelPath = calCancelPath(t, w, "reschedule", "a@example.org")
	if rec := calForm(w, anon, cancelPath, url.Values{}); rec.Code != 200 {
		t.Fatalf("cancel by link: %d %.500s", rec.Code, rec.Body)
	}
	for _, who := range roles {
		if rec := calForm(w, who, cancelPath, url.Values{}); rec.Code != 409 {
			t.Errorf("used link as %s: %d", who, rec.Code)
		}
	}
	if a, err := w.db.Appointment(w.ctx, w.apptA); err != nil || a.Status != eyelevel.StatusCancelled || a.CancelledBy != w.ids[clientA] {
		t.Fatalf("after the link: %+v, %v", a, err)
	}
}

// TestCalAPIReschedule: the API moves a session, answers bad input with
// the error shape and mails both sides the update.
func TestCalAPIReschedule(t *testing.T) {
	w := newCalWorld(t)
	path := "/api/v1/appointments/" + string(w.apptA)
	before := w.snapshot(t)
	w.do(t, clientA, "PUT", path, `{"start":`).wantError(t, 400, eyelevel.EINVALID)
	w.do(t, clientA, "PUT", path, map[string]any{"start": "tomorrow"}).wantError(t, 400, eyelevel.EINVALID, "start")
	w.do(t, clientA, "PUT", path, map[string]any{}).wantError(t, 400, eyelevel.EINVALID, "start")
	w.do(t, clientA, "PUT", path, map[string]any{"start": "2026-12-03T09:30:00Z"}).wantError(t, 400, eyelevel.EINVALID, "start")
	w.do(t, clientA, "PUT", path, map[string]any{"start": "2026-12-03T09:00:00Z", "extra": 1}).wantError(t, 400, eyelevel.EINVALID)
	w.do(t, clientA, "PUT", "/api/v1/appointments/nope", map[string]any{"start": "2026-12-03T09:00:00Z"}).wantError(t, 404, eyelevel.ENOTFOUND)
	if w.snapshot(t) != before {
		t.Fatal("a refused move changed something")
	}
	r := w.do(t, clientA, "PUT", path, map[string]any{"start": "2026-12-03T09:00:00Z"})
	r.wantStatus(t, 200)
	var got struct {
		ID    string `json:"id"`
		Start string `json:"start"`
	}
	r.decode(t, &got)
	if got.ID != string(w.apptA) || got.Start != "2026-12-03T09:00:00Z" {
		t.Fatalf("moved %+v", got)
	}
	ms, err := w.db.Outbox(w.ctx, "reschedule", 10)
	if err != nil || len(ms) != 2 {
		t.Fatalf("reschedule mails %d, %v", len(ms), err)
	}
	for _, m := range ms {
		cal, err := ics.ParseCalendar(strings.NewReader(m.ICS))
		if err != nil {
			t.Fatal(err)
		}
		if ev := cal.Events(); len(ev) != 1 || ev[0].GetProperty(ics.ComponentPropertySequence).Value != "1" || !strings.Contains(m.ICS, "METHOD:REQUEST") {
			t.Errorf("reschedule calendar to %s:\n%s", m.To, m.ICS)
		}
	}
	// The old time is free for someone else.
	w.do(t, clientB, "POST", "/api/v1/appointments", map[string]any{"counselor_id": w.ids[counselorX], "start": apptAStart.Format(time.RFC3339)}).wantStatus(t, 201)
}

// TestCalPagesCancelLink: the page shows what the link cancels in the
// client's zone and changes nothing; confirming cancels and frees the
// slot; a used or forged link shows a clear page, never 500.
func TestCalPagesCancelLink(t *testing.T) {
	w := newCalWorld(t)
	path := calCancelPath(t, w, "booking", "a@example.org")
	for range 2 {
		r := w.do(t, anon, "GET", path, nil)
		body := string(r.Body)
		// 08:00 UTC is 09:00 in client A's Berlin.
		if r.Status != 200 || !strings.Contains(body, "Counselor counselor-x") || !strings.Contains(body, "09:00") ||
			!strings.Contains(body, `action="`+path+`"`) || !strings.Contains(body, "Europe/Berlin") {
			t.Fatalf("cancel link page %d:\n%s", r.Status, body)
		}
	}
	if a, _ := w.db.Appointment(w.ctx, w.apptA); a.Status != eyelevel.StatusBooked {
		t.Fatal("opening the link cancelled")
	}
	w.clock.Advance(24 * time.Hour) // Tuesday 08:00: exactly 24 h before, not late yet
	rec := calForm(w, anon, path, url.Values{})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), w.cat.T("de", "cancel_link.done")) {
		t.Fatalf("confirm: %d\n%s", rec.Code, rec.Body)
	}
	w.do(t, clientB, "POST", "/api/v1/appointments", map[string]any{"counselor_id": w.ids[counselorX], "start": apptAStart.Format(time.RFC3339)}).wantStatus(t, 201)
	for _, p := range []string{path, path + "x", "/cancel/a.b.c.d", "/cancel/" + strings.Repeat("x", 500), "/cancel/%00"} {
		r := w.do(t, anon, "GET", p, nil)
		if r.Status < 400 || r.Status >= 500 {
			t.Errorf("GET %s: %d", p, r.Status)
		}
		if rec := calForm(w, anon, p, url.Values{}); rec.Code < 400 || rec.Code >= 500 {
			t.Errorf("POST %s: %d", p, rec.Code)
		}
	}
	if r := w.do(t, anon, "GET", path, nil); !strings.Contains(string(r.Body), w.cat.T("de", "cancel_link.err.used")) {
		t.Errorf("used link page:\n%s", r.Body)
	}
}

// TestCalPagesReschedule: the change-time page lists the counselor's free
// times and moves the session; too close to it, it says so.
func TestCalPagesReschedule(t *testing.T) {
	w := newCalWorld(t)
	path := "/appointments/" + string(w.apptA) + "/reschedule"
	r := w.do(t, clientA, "GET", path, nil)
	body := string(r.Body)
	if r.Status != 200 || !strings.Contains(body, `value="2026-12-03T09:00:00Z"`) || strings.Contains(body, `value="2026-12-02T08:00:00Z"`) {
		t.Fatalf("change-time page %d:\n%s", r.Status, body)
	}
	if r := w.do(t, clientA, "GET", "/appointments", nil); !strings.Contains(string(r.Body), `href="`+path+`"`) {
		t.Errorf("appointments page has no change-time link")
	}
	if rec := calForm(w, clientA, path, url.Values{"start": {"garbage"}}); rec.Code != 400 {
		t.Errorf("garbage start: %d", rec.Code)
	}
	rec := calForm(w, clientA, path, url.Values{"start": {"2026-12-03T09:00:00Z"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("move: %d\n%s", rec.Code, rec.Body)
	}
	if a, _ := w.db.Appointment(w.ctx, w.apptA); !a.Start.Equal(time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("not moved: %v", a.Start)
	}
	w.clock.Advance(2 * 24 * time.Hour) // Wednesday 08:00: 25 h before… then 1 h later
	w.clock.Advance(2 * time.Hour)
	r = w.do(t, clientA, "GET", path, nil)
	if !strings.Contains(string(r.Body), w.cat.T("ar", "reschedule.err.late")) { // client A reads Arabic
		t.Errorf("late page:\n%s", r.Body)
	}
	if rec := calForm(w, clientA, path, url.Values{"start": {"2026-12-04T09:00:00Z"}}); rec.Code != 409 {
		t.Errorf("late move: %d", rec.Code)
	}
}

// TestCalPagesFeed: a counselor makes the feed URL on its page; it serves
// their sessions as a calendar; renewing revokes the old one.
func TestCalPagesFeed(t *testing.T) {
	w := newCalWorld(t)
	if r := w.do(t, counselorX, "GET", "/availability", nil); !strings.Contains(string(r.Body), `href="/calendar-feed"`) {
		t.Errorf("availability page has no calendar feed section")
	}
	if r := w.do(t, counselorX, "GET", "/calendar-feed", nil); r.Status != 200 {
		t.Fatalf("feed page %d", r.Status)
	}
	if r := w.do(t, clientA, "GET", "/calendar-feed", nil); r.Status != 403 {
		t.Errorf("client's feed page %d", r.Status)
	}
	rec := calForm(w, counselorX, "/calendar-feed", url.Values{})
	m := regexp.MustCompile(`https://eyelevel\.example(/calendar/[A-Za-z0-9_-]+\.ics)`).FindStringSubmatch(rec.Body.String())
	if rec.Code != 200 || m == nil {
		t.Fatalf("new feed: %d\n%s", rec.Code, rec.Body)
	}
	r := w.do(t, anon, "GET", m[1], nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("feed %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	cal, err := ics.ParseCalendar(strings.NewReader(string(r.Body)))
	if err != nil {
		t.Fatal(err)
	}
	if evs := cal.Events(); len(evs) != 1 || !strings.Contains(evs[0].GetProperty(ics.ComponentPropertySummary).Value, "client-a") {
		t.Fatalf("feed:\n%s", r.Body)
	}
	if r := w.do(t, anon, "GET", strings.TrimSuffix(m[1], ".ics"), nil); r.Status != 404 {
		t.Errorf("feed without .ics: %d", r.Status)
	}
	w.do(t, counselorX, "POST", "/api/v1/me/calendar-feed", nil).wantStatus(t, 201)
	if r := w.do(t, anon, "GET", m[1], nil); r.Status != 404 {
		t.Errorf("revoked feed: %d", r.Status)
	}
}
