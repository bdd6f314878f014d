package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"eyelevel"
)

// A browser that logged in before carries a device cookie; when others'
// guesses from many addresses have spent the account's daily budget, that
// browser still gets in and a new one is refused.
func TestPagesDeviceCookie(t *testing.T) {
	e := newPagesEnv(t)
	if _, err := e.svc.AddUser(t.Context(), eyelevel.RoleClient, "mila", "client-password", "Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	owner := e.browser()
	p := owner.raw(http.MethodPost, "/login", url.Values{"username": {"mila"}, "password": {"client-password"}})
	var device *http.Cookie
	for _, c := range p.cookies {
		if c.Name == deviceCookie {
			device = c
		}
	}
	if device == nil || !strings.HasPrefix(device.Name, "__Host-") || !device.Secure || !device.HttpOnly ||
		device.SameSite != http.SameSiteStrictMode || device.Path != "/" || device.Domain != "" || device.MaxAge < 300*24*3600 {
		t.Fatalf("device cookie = %+v", device)
	}
	owner.raw(http.MethodPost, "/logout", url.Values{})
	for i := range 100 {
		_, _, _, err := e.svc.Login(t.Context(), "mila", "guess-password", fmt.Sprintf("198.51.100.%d", i), false)
		if eyelevel.ErrorCode(err) != eyelevel.EUNAUTHORIZED {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	p = e.browser().post("/login", url.Values{"username": {"mila"}, "password": {"client-password"}})
	mustStatus(t, "new browser after the flood", p, http.StatusTooManyRequests)
	p = owner.raw(http.MethodPost, "/login", url.Values{"username": {"mila"}, "password": {"client-password"}})
	if p.status != http.StatusSeeOther || owner.cookies[sessionCookie] == "" {
		t.Fatalf("owner's browser after the flood: %d %.300s", p.status, p.body)
	}
}

// Log out everywhere ends every browser session and API token of the
// account; a token of one kind is not accepted as the other.
func TestPagesLogoutEverywhereAndSessionKinds(t *testing.T) {
	e := newPagesEnv(t)
	if _, err := e.svc.AddUser(t.Context(), eyelevel.RoleClient, "mila", "client-password", "Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	api, _, _, err := e.svc.Login(t.Context(), "mila", "client-password", "192.0.2.1", true)
	if err != nil {
		t.Fatal(err)
	}
	// An API token is no browser cookie.
	thief := e.browser()
	thief.cookies[sessionCookie] = api
	if p := thief.raw(http.MethodGet, "/appointments", nil); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login") {
		t.Errorf("API token as cookie: %d %q, want a redirect to /login", p.status, p.location)
	}
	a, b := e.browser(), e.browser()
	a.login("mila", "client-password")
	b.login("mila", "client-password")
	// A browser session is no bearer token.
	if got := bearer(t, e, a.cookies[sessionCookie]); got != http.StatusUnauthorized {
		t.Errorf("cookie as bearer token: %d, want 401", got)
	}
	if got := bearer(t, e, api); got != http.StatusOK {
		t.Fatalf("API token: %d, want 200", got)
	}

	p := a.get("/appointments")
	mustContain(t, "appointments", p, e.de("sessions.logout_all"), `action="/logout/everywhere"`)
	p = a.raw(http.MethodPost, "/logout/everywhere", url.Values{})
	if p.status != http.StatusSeeOther || a.cookies[sessionCookie] != "" {
		t.Fatalf("log out everywhere: %d, cookie %q", p.status, a.cookies[sessionCookie])
	}
	if p := b.raw(http.MethodGet, "/appointments", nil); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login") {
		t.Errorf("other browser after log out everywhere: %d %q", p.status, p.location)
	}
	if got := bearer(t, e, api); got != http.StatusUnauthorized {
		t.Errorf("API token after log out everywhere: %d, want 401", got)
	}
	// Anonymous callers are sent to log in.
	if p := e.browser().raw(http.MethodPost, "/logout/everywhere", url.Values{}); p.status != http.StatusSeeOther {
		t.Errorf("anonymous log out everywhere: %d", p.status)
	}
}

func bearer(t *testing.T, e *pagesEnv, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// The sign-up and counselor forms explain the password rules, and each
// refused password gets its own message.
func TestPagesPasswordRules(t *testing.T) {
	e := newPagesEnv(t)
	mustContain(t, "register form", e.browser().get("/register"), e.de("register.password.hint"), `maxlength="256"`)
	for pw, key := range map[string]string{
		"qwertyuiop":    "account.err.password_common",
		"aaaaaaaaaa":    "account.err.password_repeated",
		"eyelevel-demo": "account.err.password_demo",
		"Nour-Garden":   "account.err.password_username",
	} {
		p := e.browser().post("/register", url.Values{"consent": {"yes"}, "username": {"nour-garden"}, "password": {pw}, "language": {"de"}, "timezone": {"UTC"}})
		mustStatus(t, pw, p, http.StatusBadRequest)
		mustContain(t, pw, p, e.de(key), `id="password-error"`)
	}
	admin, _, _ := e.setup()
	mustContain(t, "counselor form", admin.get("/admin/counselors/new"), e.de("register.password.hint"))
}
