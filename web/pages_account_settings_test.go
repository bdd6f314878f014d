package web

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"eyelevel/i18n"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store/storetest"
)

// acctPagesEnv is a pages server whose service queues mail, so that tests
// can follow the links in it.
func acctPagesEnv(t *testing.T) *pagesEnv {
	t.Helper()
	db := storetest.Open(t, storetest.Suite())
	svc := service.New(db, service.Config{SecondFactorOptional: true, Password: service.PasswordParams{Memory: 64, Time: 1, Threads: 1}, SessionsPerDay: -1, Keys: servicetest.Keys(1),
		Mail: service.MailConfig{On: true, PublicURL: "https://eyelevel.example"}}, nil, nil)
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewServer(Deps{Service: svc, Catalog: cat}))
	t.Cleanup(srv.Close)
	return &pagesEnv{t: t, srv: srv, svc: svc, cat: cat, db: db}
}

var acctMailLink = regexp.MustCompile(`https://eyelevel\.example(/(?:password-reset|verify-email)/[A-Za-z0-9_-]+)`)

// acctMailPath is the link path of the newest mail of kind to addr.
func acctMailPath(t *testing.T, e *pagesEnv, kind, addr string) string {
	t.Helper()
	ms, err := e.db.Outbox(context.Background(), kind, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.To == addr {
			if l := acctMailLink.FindStringSubmatch(m.Text); l != nil {
				return l[1]
			}
		}
	}
	t.Fatalf("no %s mail to %s", kind, addr)
	return ""
}

var acctCodeOnPage = regexp.MustCompile(`class="recovery-code" dir="ltr">([2-9A-Z-]{23})<`)

// TestAcctPagesFlow: without script, a client registers and sees the
// recovery code, verifies the address from the mail, changes settings,
// forgets the password, resets it from the mailed link and once more
// with the recovery code.
func TestAcctPagesFlow(t *testing.T) {
	e := acctPagesEnv(t)
	b := e.browser()
	p := b.raw(http.MethodPost, "/register", url.Values{"consent": {"yes"}, "username": {"nour"}, "password": {"client-password"}, "language": {"de"}, "timezone": {"Europe/Berlin"}, "email": {"nour@example.org"}})
	mustStatus(t, "register", p, http.StatusOK)
	code := acctCodeOnPage.FindStringSubmatch(p.body)
	if code == nil {
		t.Fatalf("no recovery code on %.2000s", p.body)
	}
	mustContain(t, "register", p, e.de("recovery.once"), `href="/selftest"`)

	p = b.get("/settings")
	mustStatus(t, "settings", p, http.StatusOK)
	mustContain(t, "settings", p, `action="/settings/password"`, `action="/settings/recovery-code"`, `name="notify" type="checkbox" value="reminders" checked`,
		e.de("settings.email.pending", "email", "\u2068nour@example.org\u2069"))

	// Opening the mailed link verifies, without a login.
	anon := e.browser()
	link := acctMailPath(t, e, "verify", "nour@example.org")
	p = anon.get(link)
	mustStatus(t, "verify", p, http.StatusOK)
	mustContain(t, "verify", p, e.de("verify.done"))
	p = anon.get(link)
	mustStatus(t, "verify again", p, http.StatusBadRequest)
	mustContain(t, "verify again", p, e.de("verify.err.link"))

	// Settings: a bad field is shown at the field and nothing changes.
	p = b.post("/settings", url.Values{"email": {"nour@example.org"}, "language": {"xx"}, "timezone": {"UTC"}, "notify": {"appointments"}})
	mustStatus(t, "bad settings", p, http.StatusBadRequest)
	mustContain(t, "bad settings", p, `id="language-error"`)
	p = b.raw(http.MethodPost, "/settings", url.Values{"email": {"nour@example.org"}, "language": {"en"}, "timezone": {"UTC"}, "notify": {"appointments"}})
	if p.status != http.StatusSeeOther || p.location != "/settings?done=saved" {
		t.Fatalf("save settings: %d %q", p.status, p.location)
	}
	u, _ := e.db.UserByUsername(context.Background(), "nour")
	if u.Language != "en" || u.TimeZone != "UTC" || !u.EmailVerified || strings.Join(u.NotifyOff, ",") != "reminders,messages,waitlist" {
		t.Fatalf("after saving: %+v", u)
	}

	// Forgotten: the login page links to the reset; the mailed link sets
	// a new password once and shows a new recovery code.
	p = anon.get("/login")
	mustContain(t, "login", p, `href="/password-reset"`)
	p = anon.post("/password-reset", url.Values{"account": {"nour@example.org"}})
	mustStatus(t, "ask for a link", p, http.StatusOK)
	sent := html.EscapeString(e.cat.T("de", "reset.sent"))
	mustContain(t, "ask for a link", p, sent)
	q := anon.post("/password-reset", url.Values{"account": {"nobody-here"}})
	if q.status != p.status || !strings.Contains(q.body, sent) {
		t.Errorf("an unknown account gets another answer: %d", q.status)
	}
	link = acctMailPath(t, e, "reset", "nour@example.org")
	p = anon.get(link)
	mustStatus(t, "reset form", p, http.StatusOK)
	mustContain(t, "reset form", p, `action="`+link+`"`, `autocomplete="new-password"`)
	p = anon.post(link, url.Values{"password": {"short"}})
	mustStatus(t, "reset with a bad password", p, http.StatusBadRequest)
	mustContain(t, "reset with a bad password", p, `id="password-error"`)
	p = anon.post(link, url.Values{"password": {"a new long password"}})
	mustStatus(t, "reset", p, http.StatusOK)
	code2 := acctCodeOnPage.FindStringSubmatch(p.body)
	if code2 == nil || code2[1] == code[1] {
		t.Fatalf("no new recovery code after the reset")
	}
	p = b.get("/settings") // the old browser session ended
	if !strings.Contains(p.body, `action="/login"`) {
		t.Errorf("the old session survived the reset")
	}
	p = anon.post(link, url.Values{"password": {"a third long password"}})
	mustStatus(t, "reset again", p, http.StatusBadRequest)
	mustContain(t, "reset again", p, e.de("reset.err.link"), `href="/password-reset"`)

	// With the recovery code.
	p = anon.post("/password-reset/recovery", url.Values{"username": {"nour"}, "recovery_code": {code[1]}, "password": {"a third long password"}})
	mustStatus(t, "the old code", p, http.StatusUnauthorized)
	mustContain(t, "the old code", p, e.de("recovery.err.wrong"))
	p = anon.post("/password-reset/recovery", url.Values{"username": {"nour"}, "recovery_code": {code2[1]}, "password": {"a third long password"}})
	mustStatus(t, "recover", p, http.StatusOK)
	mustContain(t, "recover", p, `class="recovery-code"`, `href="/login"`)
	anon.login("nour", "a third long password")

	// A new code from the settings needs the password.
	p = anon.post("/settings/recovery-code", url.Values{"password": {"wrong password"}})
	mustStatus(t, "new code, wrong password", p, http.StatusBadRequest)
	mustContain(t, "new code, wrong password", p, `id="recovery_password-error"`)
	p = anon.post("/settings/recovery-code", url.Values{"password": {"a third long password"}})
	mustStatus(t, "new code", p, http.StatusOK)
	mustContain(t, "new code", p, `class="recovery-code"`, `href="/settings"`)
	p = anon.post("/settings/password", url.Values{"current": {"a third long password"}, "new": {"a fourth long password"}})
	mustStatus(t, "change password", p, http.StatusOK)
	mustContain(t, "change password", p, html.EscapeString(e.cat.T("en", "settings.password_changed"))) // the account's language now
}

// TestAcctPagesNav: every logged-in role has the settings link; the
// counselor's settings send the time zone to the profile.
func TestAcctPagesNav(t *testing.T) {
	e := newPagesEnv(t)
	_, counselor, _ := e.setup()
	p := counselor.get("/settings")
	mustStatus(t, "counselor settings", p, http.StatusOK)
	mustContain(t, "counselor settings", p, `<li><a href="/settings">`+e.de("nav.settings")+`</a></li>`, e.de("settings.timezone_profile"))
	if strings.Contains(p.body, `id="timezone"`) {
		t.Error("the counselor's settings offer a time zone")
	}
	p = e.browser().get("/settings")
	if !strings.Contains(p.body, `action="/login"`) || strings.Contains(p.body, `href="/settings"`) {
		t.Error("an anonymous visitor sees settings")
	}
}
