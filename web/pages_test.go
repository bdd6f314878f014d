package web

import (
	"html"
	"io"
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
	"eyelevel/store"
	"eyelevel/store/storetest"
	"eyelevel/vault"
)

// pagesEnv is a running server on a fresh database (see TestMain).
type pagesEnv struct {
	t   *testing.T
	srv *httptest.Server
	svc *service.Service
	cat *i18n.Catalog
	db  *store.DB
}

func newPagesEnv(t *testing.T) *pagesEnv {
	t.Helper()
	return newPagesEnvAt(t, nil)
}

// newPagesEnvAt is newPagesEnv with the service's clock now (nil: time.Now).
func newPagesEnvAt(t *testing.T, now func() time.Time) *pagesEnv {
	t.Helper()
	db := storetest.Open(t, storetest.Suite())
	keys, err := vault.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(db, service.Config{SecondFactorOptional: true, Password: service.PasswordParams{Memory: 64, Time: 1, Threads: 1}, Keys: keys, SessionsPerDay: -1}, nil, now)
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewServer(Deps{Service: svc, Catalog: cat}))
	t.Cleanup(srv.Close)
	return &pagesEnv{t: t, srv: srv, svc: svc, cat: cat, db: db}
}

// de returns the German text of a catalog key, the language pages default to.
func (e *pagesEnv) de(key string, args ...any) string {
	return html.EscapeString(e.cat.T("de", key, args...))
}

// browser carries cookies itself: Go's cookie jar drops Secure cookies on
// the test server's http:// URLs.
type browser struct {
	e       *pagesEnv
	cookies map[string]string
	client  *http.Client
}

func (e *pagesEnv) browser() *browser {
	return &browser{e: e, cookies: map[string]string{}, client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type pageResponse struct {
	status   int
	body     string
	header   http.Header
	location string
	cookies  []*http.Cookie
}

// raw sends one request without following redirects.
func (b *browser) raw(method, path string, form url.Values) pageResponse {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.srv.URL+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for name, value := range b.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return pageResponse{status: res.StatusCode, body: string(data), header: res.Header, location: res.Header.Get("Location"), cookies: res.Cookies()}
}

// do sends a request and follows redirects with GET, as a browser does after 303.
func (b *browser) do(method, path string, form url.Values) pageResponse {
	b.e.t.Helper()
	p := b.raw(method, path, form)
	for i := 0; i < 5 && p.status/100 == 3; i++ {
		p = b.raw(http.MethodGet, p.location, nil)
	}
	return p
}

func (b *browser) get(path string) pageResponse {
	b.e.t.Helper()
	return b.do(http.MethodGet, path, nil)
}
func (b *browser) post(path string, form url.Values) pageResponse {
	b.e.t.Helper()
	return b.do(http.MethodPost, path, form)
}

func (b *browser) login(username, password string) {
	b.e.t.Helper()
	p := b.raw(http.MethodPost, "/login", url.Values{"username": {username}, "password": {password}})
	if p.status != http.StatusSeeOther || b.cookies[sessionCookie] == "" {
		b.e.t.Fatalf("login %s: status %d, body %.300s", username, p.status, p.body)
	}
}

func mustContain(t *testing.T, what string, p pageResponse, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(p.body, w) {
			t.Errorf("%s: body lacks %q\n%s", what, w, p.body)
		}
	}
}

func mustStatus(t *testing.T, what string, p pageResponse, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("%s: status %d, want %d\n%.2000s", what, p.status, status, p.body)
	}
}

// setup creates an admin, a counselor who speaks Arabic natively and is
// free around the clock, and returns their browsers and the counselor's ID.
func (e *pagesEnv) setup() (admin, counselor *browser, id eyelevel.UserID) {
	t := e.t
	t.Helper()
	if _, err := e.svc.AddUser(t.Context(), eyelevel.RoleAdmin, "admin", "admin-password", "Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	admin = e.browser()
	admin.login("admin", "admin-password")
	p := admin.post("/admin/counselors/new", url.Values{
		"username": {"amira"}, "password": {"counselor-password"}, "display_name": {"Amira K."},
		"gender": {"female"}, "lang.ar": {"yes"}, "native.ar": {"yes"}, "lang.de": {"yes"},
		"other_languages": {"so*"}, "timezone": {"Europe/Berlin"}, "bio": {"Ich höre zu."},
	})
	mustStatus(t, "create counselor", p, http.StatusOK)
	mustContain(t, "create counselor", p, e.de("notice.created"), "Amira K.", `lang="so">Somali — Soomaali</span>`)
	cs, err := e.svc.Counselors(t.Context(), eyelevel.Actor{UserID: "x", Role: eyelevel.RoleAdmin})
	if err != nil || len(cs) != 1 {
		t.Fatalf("counselors: %v %v", cs, err)
	}
	counselor = e.browser()
	counselor.login("amira", "counselor-password")
	form := url.Values{}
	for wd := range 7 {
		form.Set("w"+itoa(wd)+".0.start", "00:00")
		form.Set("w"+itoa(wd)+".0.end", "00:00") // midnight: the whole day
	}
	form.Set("x0.date", "")
	p = counselor.post("/availability", form)
	mustStatus(t, "save availability", p, http.StatusOK)
	mustContain(t, "save availability", p, e.de("notice.saved"))
	return admin, counselor, cs[0].ID
}

var slotLink = regexp.MustCompile(`href="(/book\?[^"]+)"`)

func TestPagesBookingFlow(t *testing.T) {
	e := newPagesEnv(t)
	_, counselor, id := e.setup()

	c := e.browser()
	p := c.raw(http.MethodPost, "/register", url.Values{"consent": {"yes"},
		"username": {"nour"}, "password": {"client-password"}, "language": {"de"}, "timezone": {"Europe/Berlin"},
	})
	mustStatus(t, "register", p, http.StatusOK) // the recovery code, shown once
	mustContain(t, "register", p, `class="recovery-code"`, `href="/selftest"`)
	var session *http.Cookie
	for _, ck := range p.cookies {
		if ck.Name == sessionCookie {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || !session.Secure || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.Expires.IsZero() {
		t.Fatalf("session cookie = %+v", session)
	}

	p = c.get("/counselors?language=ar")
	mustStatus(t, "search", p, http.StatusOK)
	mustContain(t, "search", p, "Amira K.", e.de("search.native"), e.de("search.next_slot"), `href="/book?counselor=`)

	// Two weeks ahead every slot is far from the minimum lead and the cancel notice.
	week := weekStart(time.Now().In(berlin(t))).AddDate(0, 0, 14).Format(time.DateOnly)
	p = c.get("/counselors/" + string(id) + "?week=" + week)
	mustStatus(t, "counselor page", p, http.StatusOK)
	mustContain(t, "counselor page", p, "Amira K.", "Ich höre zu.", `rel="prev"`, `rel="next"`, "Europe/Berlin")
	m := slotLink.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no slot links:\n%s", p.body)
	}
	bookPath := html.UnescapeString(m[1])

	// Anonymous visitors see the counselor but log in to book.
	anon := e.browser()
	a := anon.raw(http.MethodGet, bookPath, nil)
	if a.status != http.StatusSeeOther || a.location != "/login?next="+url.QueryEscape(bookPath) {
		t.Errorf("anonymous confirm: %d %q", a.status, a.location)
	}

	p = c.get(bookPath)
	mustStatus(t, "confirm", p, http.StatusOK)
	q, _ := url.ParseQuery(strings.SplitN(bookPath, "?", 2)[1])
	start, err := time.Parse(time.RFC3339, q.Get("start"))
	if err != nil {
		t.Fatal(err)
	}
	// The confirm page states until when the session can be cancelled.
	rule := e.de("cancel.rule", "time", formatTime(e.cat, "de", start.Add(-24*time.Hour), berlin(t), styleDateTime), "hours", 24)
	mustContain(t, "confirm", p, "Amira K.", e.de("book.minutes", "n", 50), "(Europe/Berlin)", e.de("book.submit"), rule)
	p = c.post("/book", url.Values{"counselor": {q.Get("counselor")}, "start": {q.Get("start")}})
	mustStatus(t, "book", p, http.StatusOK)
	mustContain(t, "book", p, e.de("notice.booked"), "Amira K.", e.de("appointments.status.booked"), `/cancel"`)

	// The same slot again is taken.
	other := e.browser()
	other.post("/register", url.Values{"consent": {"yes"}, "username": {"sami"}, "password": {"client-password"}, "language": {"de"}, "timezone": {"Europe/Vienna"}})
	p = other.post("/book", url.Values{"counselor": {q.Get("counselor")}, "start": {q.Get("start")}})
	if p.status == http.StatusOK || !strings.Contains(p.body, `role="alert"`) {
		t.Errorf("double booking: status %d\n%s", p.status, p.body)
	}

	p = counselor.get("/appointments")
	mustStatus(t, "counselor appointments", p, http.StatusOK)
	mustContain(t, "counselor appointments", p, "nour", e.de("appointments.client"))

	// Cancelling asks first: the list links to a page that shows the
	// session and the rule, and only its button cancels.
	list := c.get("/appointments").body
	if strings.Contains(list, `method="post" action="/appointments/`) {
		t.Error("the appointments list cancels with one tap")
	}
	m = regexp.MustCompile(`href="(/appointments/[^"]+/cancel)"`).FindStringSubmatch(list)
	if m == nil {
		t.Fatal("no cancel link")
	}
	p = c.get(m[1])
	mustStatus(t, "cancel page", p, http.StatusOK)
	mustContain(t, "cancel page", p, e.de("cancel.heading"), "Amira K.", rule, e.de("cancel.submit"), e.de("cancel.keep"),
		`<form method="post" action="`+m[1]+`"`)
	if p := c.get("/appointments"); !strings.Contains(p.body, e.de("appointments.status.booked")) {
		t.Error("showing the cancel page cancelled the session")
	}
	p = c.post(m[1], url.Values{})
	mustStatus(t, "cancel", p, http.StatusOK)
	mustContain(t, "cancel", p, e.de("notice.cancelled"), e.de("appointments.status.cancelled"))
	p = c.post(m[1], url.Values{})
	mustStatus(t, "cancel twice", p, http.StatusConflict)
	mustContain(t, "cancel twice", p, e.de("appointment.err.not_booked"))

	p = c.raw(http.MethodPost, "/logout", url.Values{})
	if p.status != http.StatusSeeOther || c.cookies[sessionCookie] != "" {
		t.Errorf("logout: %d, cookies %v", p.status, c.cookies)
	}
	if p = c.raw(http.MethodGet, "/appointments", nil); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login") {
		t.Errorf("after logout: %d %q", p.status, p.location)
	}
}

func berlin(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestPagesRegisterErrors(t *testing.T) {
	e := newPagesEnv(t)
	b := e.browser()
	p := b.post("/register", url.Values{"consent": {"yes"},
		"username": {"ab"}, "password": {"short-pw"}, "language": {"tr"}, "timezone": {"Europe/Berlin"},
		"timezone_other": {"Mars/Olympus"}, "email": {"not-an-email"},
	})
	mustStatus(t, "register errors", p, http.StatusBadRequest)
	mustContain(t, "register errors", p,
		e.de("error.invalid"), e.de("account.err.username"), e.de("account.err.password"),
		e.de("account.err.timezone"), e.de("account.err.email"),
		`value="ab"`, `value="Mars/Olympus"`, `value="not-an-email"`, `<option value="tr" lang="tr" selected>`,
		`aria-describedby="username-hint username-error" aria-invalid="true"`, `id="username-error"`)
	if strings.Contains(p.body, "short-pw") {
		t.Error("the password was sent back")
	}
	if b.cookies[sessionCookie] != "" {
		t.Error("failed sign-up logged in")
	}

	b.post("/register", url.Values{"consent": {"yes"}, "username": {"layla"}, "password": {"client-password"}, "language": {"de"}, "timezone": {"UTC"}})
	p = e.browser().post("/register", url.Values{"consent": {"yes"}, "username": {"Layla"}, "password": {"client-password"}, "language": {"de"}, "timezone": {"UTC"}})
	mustStatus(t, "username taken", p, http.StatusConflict)
	mustContain(t, "username taken", p, e.de("account.err.username_taken"), `id="username-error"`)

	// The language chosen on the landing page is the default.
	p = e.browser().get("/register?lang=en")
	mustContain(t, "register default language", p, `<option value="en" lang="en" selected>`, `<option value="Europe/Berlin" selected>`)
}

func TestPagesLogin(t *testing.T) {
	e := newPagesEnv(t)
	if _, err := e.svc.AddUser(t.Context(), eyelevel.RoleClient, "mila", "client-password", "Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	p := b.post("/login", url.Values{"username": {"mila"}, "password": {"wrong-password"}, "next": {"/appointments"}})
	mustStatus(t, "login failure", p, http.StatusUnauthorized)
	mustContain(t, "login failure", p, e.de("login.err.credentials"), `value="mila"`, `name="next" value="/appointments"`)
	if strings.Contains(p.body, "wrong-password") {
		t.Error("the password was sent back")
	}

	for next, want := range map[string]string{
		"/appointments":         "/appointments",
		"//evil.example/x":      "/counselors?language=de",
		"https://evil.example/": "/counselors?language=de",
		"/\\evil.example":       "/counselors?language=de",
	} {
		b := e.browser()
		p := b.raw(http.MethodPost, "/login", url.Values{"username": {"mila"}, "password": {"client-password"}, "next": {next}})
		if p.status != http.StatusSeeOther || p.location != want {
			t.Errorf("next %q: %d %q, want %q", next, p.status, p.location, want)
		}
	}
}

func TestPagesAvailabilityEditor(t *testing.T) {
	e := newPagesEnv(t)
	admin, counselor, id := e.setup()

	p := counselor.get("/availability")
	mustStatus(t, "editor", p, http.StatusOK)
	mustContain(t, "editor", p, e.de("weekday.long.1"), `name="w1.0.start"`, `value="00:00"`, `name="x2.date"`)

	form := url.Values{
		"w1.0.start": {"10:00"}, "w1.0.end": {"09:00"},
		"w2.0.start": {"09:00"}, "w2.0.end": {"12:00"},
		"w2.1.start": {"11:00"}, "w2.1.end": {"14:00"},
		"w3.0.start": {"9 Uhr"}, "w3.0.end": {"12:00"},
		"x0.date": {"2026-12-24"}, "x0.available": {"no"},
	}
	p = counselor.post("/availability", form)
	mustStatus(t, "editor local error", p, http.StatusBadRequest)
	mustContain(t, "editor local error", p, e.de("availability.err.time"), `aria-describedby="w3.0.start-error"`, `value="9 Uhr"`)

	form.Set("w3.0.start", "09:00")
	p = counselor.post("/availability", form)
	mustStatus(t, "editor service error", p, http.StatusBadRequest)
	mustContain(t, "editor service error", p, e.de("error.invalid"), e.de("availability.err.order"), e.de("availability.err.overlap"),
		`id="w1.0.end-error"`, `id="w2.1.start-error"`, `value="2026-12-24"`)

	form.Set("w1.0.end", "18:00")
	form.Set("w2.1.start", "13:00")
	p = counselor.post("/availability", form)
	mustStatus(t, "editor save", p, http.StatusOK)
	mustContain(t, "editor save", p, e.de("notice.saved"), `value="18:00"`, `value="2026-12-24"`)
	av, err := e.svc.Availability(t.Context(), eyelevel.Actor{UserID: id, Role: eyelevel.RoleCounselor}, id)
	if err != nil || len(av.Weekly) != 4 || len(av.Exceptions) != 1 {
		t.Errorf("saved availability = %+v, %v", av, err)
	}

	// Admins edit any counselor's schedule.
	p = admin.get("/availability?counselor=" + string(id))
	mustStatus(t, "admin editor", p, http.StatusOK)
	mustContain(t, "admin editor", p, e.de("availability.heading_for", "name", "\u2068Amira K.\u2069"), `name="counselor"`)
	p = admin.post("/availability", url.Values{"counselor": {string(id)}, "w5.0.start": {"08:00"}, "w5.0.end": {"12:00"}})
	mustStatus(t, "admin save", p, http.StatusOK)
	mustContain(t, "admin save", p, e.de("notice.saved"), `value="08:00"`)
}

func TestPagesAdminCreateCounselorErrors(t *testing.T) {
	e := newPagesEnv(t)
	admin, _, _ := e.setup()
	p := admin.post("/admin/counselors/new", url.Values{
		"username": {"omid"}, "password": {"short"}, "display_name": {"Omid"}, "gender": {"male"},
		"native.fa": {"yes"}, "other_languages": {"xx-nonsense-code"}, "timezone": {"Asia/Kabul"}, "bio": {"Bio text"},
	})
	mustStatus(t, "create counselor errors", p, http.StatusBadRequest)
	mustContain(t, "create counselor errors", p, e.de("account.err.password"), e.de("counselor.err.language_code"),
		`value="Omid"`, `<option value="Asia/Kabul" selected>`, `name="native.fa" value="yes" checked`, "Bio text")
	if strings.Contains(p.body, `value="short"`) {
		t.Error("the password was sent back")
	}
	p = admin.post("/admin/counselors/new", url.Values{
		"username": {"amira"}, "password": {"long-enough-password"}, "display_name": {"Amira 2"}, "gender": {"female"},
		"lang.de": {"yes"}, "timezone": {"Europe/Berlin"},
	})
	mustStatus(t, "duplicate counselor", p, http.StatusConflict)
	mustContain(t, "duplicate counselor", p, `id="username-error"`)
}

func TestPagesAccess(t *testing.T) {
	e := newPagesEnv(t)
	_, counselor, _ := e.setup()
	client := e.browser()
	client.post("/register", url.Values{"consent": {"yes"}, "username": {"nour"}, "password": {"client-password"}, "language": {"de"}, "timezone": {"UTC"}})

	for _, path := range []string{"/availability", "/admin/counselors", "/admin/counselors/new"} {
		p := client.get(path)
		mustStatus(t, "client "+path, p, http.StatusForbidden)
		mustContain(t, "client "+path, p, e.de("error.heading.forbidden"))
	}
	p := client.post("/admin/counselors/new", url.Values{"username": {"x"}})
	mustStatus(t, "client creates counselor", p, http.StatusForbidden)
	p = client.post("/availability", url.Values{"w1.0.start": {"09:00"}, "w1.0.end": {"17:00"}})
	mustStatus(t, "client saves availability", p, http.StatusForbidden)
	p = counselor.get("/admin/counselors")
	mustStatus(t, "counselor admin", p, http.StatusForbidden)

	anon := e.browser()
	for path, next := range map[string]string{
		"/availability": "/availability", "/admin/counselors": "/admin/counselors",
		"/admin/counselors/new": "/admin/counselors/new", "/appointments": "/appointments",
	} {
		p := anon.raw(http.MethodGet, path, nil)
		if p.status != http.StatusSeeOther || p.location != "/login?next="+url.QueryEscape(next) {
			t.Errorf("anonymous %s: %d %q", path, p.status, p.location)
		}
	}
}
