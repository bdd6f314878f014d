package web

import (
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"eyelevel"
	"eyelevel/i18n"
	"eyelevel/service"
	"eyelevel/store"
	"eyelevel/store/storetest"
	"eyelevel/vault"
)

// consentServer serves db with the consent version and operator o, as
// serve does after the operator published version (a restart).
func consentServer(t *testing.T, db *store.DB, version string, o Operator) *pagesEnv {
	t.Helper()
	keys, err := vault.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(db, service.Config{Password: service.PasswordParams{Memory: 64, Time: 1, Threads: 1}, SecondFactorOptional: true, Keys: keys, SessionsPerDay: -1, ConsentVersion: version}, nil, nil)
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewServer(Deps{Service: svc, Catalog: cat, Operator: o}))
	t.Cleanup(srv.Close)
	return &pagesEnv{t: t, srv: srv, svc: svc, cat: cat, db: db}
}

// consentAPI sends a JSON request with a bearer token to e's server.
func consentAPI(t *testing.T, e *pagesEnv, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	} else {
		rd = strings.NewReader("")
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func consentErrCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func consentToken(t *testing.T, e *pagesEnv, username, password string) string {
	t.Helper()
	st, out := consentAPI(t, e, "", "POST", "/api/v1/tokens", map[string]string{"username": username, "password": password})
	if st != 201 {
		t.Fatalf("log in %s: %d %v", username, st, out)
	}
	return out["token"].(string)
}

func TestConsentRegistrationRequired(t *testing.T) {
	db := storetest.Open(t, storetest.Suite())
	e := consentServer(t, db, "7", Operator{})
	b := e.browser()

	p := b.get("/register")
	mustContain(t, "register form", p, `name="consent"`, e.de("consent.text"), `href="/privacy"`, e.de("consent.label"))

	// The page: refused with a message at the checkbox, nothing written.
	form := url.Values{"username": {"nour"}, "password": {"client-password"}, "language": {"de"}, "timezone": {"Europe/Berlin"}}
	p = b.post("/register", form)
	mustStatus(t, "register without consent", p, http.StatusBadRequest)
	mustContain(t, "register without consent", p, `id="consent-error"`, e.de("consent.err.required"), `value="nour"`)
	if b.cookies[sessionCookie] != "" {
		t.Error("registration without consent logged in")
	}
	if _, err := db.UserByUsername(t.Context(), "nour"); eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
		t.Fatalf("account written without consent: %v", err)
	}

	// The API: 400 naming consent.
	reg := map[string]any{"username": "mina", "password": "client-password", "language": "fa", "timezone": "UTC"}
	st, out := consentAPI(t, e, "", "POST", "/api/v1/accounts", reg)
	if fields, _ := out["error"].(map[string]any)["fields"].(map[string]any); st != 400 || fields["consent"] == nil {
		t.Fatalf("API without consent: %d %v", st, out)
	}

	// With consent: recorded with the version in force.
	form.Set("consent", "yes")
	mustStatus(t, "register with consent", b.raw(http.MethodPost, "/register", form), http.StatusOK)
	reg["consent"] = true
	if st, out := consentAPI(t, e, "", "POST", "/api/v1/accounts", reg); st != 201 {
		t.Fatalf("API with consent: %d %v", st, out)
	}
	for _, name := range []string{"nour", "mina"} {
		u, err := db.UserByUsername(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		c, ok, err := db.LatestConsent(t.Context(), string(u.ID))
		if err != nil || !ok || c.Version != "7" || c.GivenAt.IsZero() || c.RecordedBy != "" {
			t.Fatalf("%s: consent %+v %v %v, want version 7 given by the client", name, c, ok, err)
		}
	}
}

func TestConsentNewVersionAskedOnce(t *testing.T) {
	db := storetest.Open(t, storetest.Suite())
	v1 := consentServer(t, db, "1", Operator{})
	b := v1.browser()
	b.post("/register", url.Values{"consent": {"yes"}, "username": {"nour"}, "password": {"client-password"}, "language": {"de"}, "timezone": {"UTC"}})
	mustStatus(t, "version 1", b.get("/appointments"), http.StatusOK)
	if _, err := v1.svc.AddUser(t.Context(), eyelevel.RoleAdmin, "chef", "admin-password", "UTC"); err != nil {
		t.Fatal(err)
	}

	// The operator publishes version 2: the next page view goes to the
	// consent page, keeping where the client wanted to go.
	v2 := consentServer(t, db, "2", Operator{})
	b.e = v2
	p := b.raw(http.MethodGet, "/appointments", nil)
	if p.status != http.StatusSeeOther || p.location != "/consent?next=%2Fappointments" {
		t.Fatalf("page view after a new version: %d %q", p.status, p.location)
	}
	p = b.get(p.location)
	mustContain(t, "consent page", p, v2.de("consent.renew.intro"), `name="version" value="2"`, `name="next" value="/appointments"`, v2.de("consent.text"))
	// Help and the legal texts stay open meanwhile.
	mustStatus(t, "help while due", b.raw(http.MethodGet, "/help", nil), http.StatusOK)

	// Not ticked: asked again, with the message at the box.
	p = b.post("/consent", url.Values{"version": {"2"}, "next": {"/appointments"}})
	mustStatus(t, "consent not ticked", p, http.StatusBadRequest)
	mustContain(t, "consent not ticked", p, `id="consent-error"`)
	// A stale version is refused.
	mustStatus(t, "stale version", b.post("/consent", url.Values{"version": {"1"}, "consent": {"yes"}}), http.StatusBadRequest)

	p = b.raw(http.MethodPost, "/consent", url.Values{"version": {"2"}, "consent": {"yes"}, "next": {"/appointments"}})
	if p.status != http.StatusSeeOther || p.location != "/appointments" {
		t.Fatalf("after consenting: %d %q", p.status, p.location)
	}
	for range 2 { // once only
		mustStatus(t, "after consenting", b.raw(http.MethodGet, "/appointments", nil), http.StatusOK)
	}
	u, _ := db.UserByUsername(t.Context(), "nour")
	cs, err := db.Consents(t.Context(), string(u.ID))
	if err != nil || len(cs) != 2 || cs[0].Version != "1" || cs[1].Version != "2" {
		t.Fatalf("consents %+v %v, want versions 1 then 2", cs, err)
	}

	// The API: 403 consent_required until POST /api/v1/me/consent.
	v3 := consentServer(t, db, "3", Operator{})
	tok := consentToken(t, v3, "nour", "client-password")
	if st, out := consentAPI(t, v3, tok, "GET", "/api/v1/appointments", nil); st != 403 || consentErrCode(out) != ECONSENT {
		t.Fatalf("API after a new version: %d %v", st, out)
	}
	if st, out := consentAPI(t, v3, tok, "GET", "/api/v1/me/consent", nil); st != 200 || out["due"] != true || out["current_version"] != "3" || out["version"] != "2" {
		t.Fatalf("consent state: %d %v", st, out)
	}
	if st, _ := consentAPI(t, v3, tok, "GET", "/api/v1/me", nil); st != 200 {
		t.Fatalf("GET /api/v1/me while due: %d", st)
	}
	if st, out := consentAPI(t, v3, tok, "POST", "/api/v1/me/consent", map[string]string{"version": "2"}); st != 400 {
		t.Fatalf("consent to an old version: %d %v", st, out)
	}
	if st, out := consentAPI(t, v3, tok, "POST", "/api/v1/me/consent", map[string]string{"version": "3"}); st != 204 {
		t.Fatalf("consent: %d %v", st, out)
	}
	if st, out := consentAPI(t, v3, tok, "GET", "/api/v1/appointments", nil); st != 200 {
		t.Fatalf("API after consenting: %d %v", st, out)
	}

	// Staff are never asked: they work under contract, not by consent.
	admin := consentToken(t, v3, "chef", "admin-password")
	if st, out := consentAPI(t, v3, admin, "GET", "/api/v1/admin/accounts?q=nour", nil); st != 200 {
		t.Fatalf("admin under a new version: %d %v", st, out)
	}
	if st, _ := consentAPI(t, v3, admin, "POST", "/api/v1/me/consent", map[string]string{"version": "3"}); st != 403 {
		t.Fatalf("admin giving consent: %d, want 403", st)
	}
}

// TestConsentWithdrawalPath checks what comes before the deletion:
// the password, the role, and that a right password reaches eraseAccount
// (which answers 503 until the deletion work is merged, then 204).
func TestConsentWithdrawalPath(t *testing.T) {
	db := storetest.Open(t, storetest.Suite())
	e := consentServer(t, db, "1", Operator{})
	if st, out := consentAPI(t, e, "", "POST", "/api/v1/accounts", map[string]any{"username": "mina", "password": "client-password", "language": "de", "timezone": "UTC", "consent": true}); st != 201 {
		t.Fatalf("register: %d %v", st, out)
	}
	if _, err := e.svc.AddUser(t.Context(), eyelevel.RoleAdmin, "chef", "admin-password", "UTC"); err != nil {
		t.Fatal(err)
	}
	tok := consentToken(t, e, "mina", "client-password")
	for _, pw := range []string{"", "wrong-password"} {
		if st, out := consentAPI(t, e, tok, "DELETE", "/api/v1/me/consent", map[string]string{"password": pw}); st != 400 || out["error"].(map[string]any)["fields"].(map[string]any)["password"] == nil {
			t.Fatalf("withdraw with password %q: %d %v", pw, st, out)
		}
	}
	consentToken(t, e, "mina", "client-password") // still there
	admin := consentToken(t, e, "chef", "admin-password")
	if st, _ := consentAPI(t, e, admin, "DELETE", "/api/v1/me/consent", map[string]string{"password": "admin-password"}); st != 403 {
		t.Fatalf("admin withdrawing: %d, want 403", st)
	}
	st, out := consentAPI(t, e, tok, "DELETE", "/api/v1/me/consent", map[string]string{"password": "client-password"})
	if st != 204 {
		t.Fatalf("withdraw: %d %v, want 204", st, out)
	}

	// The page asks for the password and says what happens.
	b := e.browser()
	b.login("chef", "admin-password")
	mustStatus(t, "withdraw page of an admin", b.raw(http.MethodGet, "/consent/withdraw", nil), http.StatusNotFound)
}

// TestConsentWithdrawalDeletesAccount: withdrawing consent deletes the
// account, so it no longer logs in. It fails until the deletion work
// (service/erase.go) is merged.
func TestConsentWithdrawalDeletesAccount(t *testing.T) {
	db := storetest.Open(t, storetest.Suite())
	e := consentServer(t, db, "1", Operator{})
	b := e.browser()
	b.post("/register", url.Values{"consent": {"yes"}, "username": {"nour"}, "password": {"client-password"}, "language": {"de"}, "timezone": {"UTC"}})
	p := b.get("/consent/withdraw")
	mustContain(t, "withdraw page", p, e.de("consent.withdraw.text"), `name="password"`, `href="/export"`)
	p = b.post("/consent/withdraw", url.Values{"password": {"client-password"}})
	mustStatus(t, "withdraw", p, http.StatusOK)
	mustContain(t, "withdrawn", p, e.de("consent.withdrawn.text"))
	if b.cookies[sessionCookie] != "" {
		t.Error("still logged in after withdrawing")
	}
	if st, _ := consentAPI(t, e, "", "POST", "/api/v1/tokens", map[string]string{"username": "nour", "password": "client-password"}); st != 401 {
		t.Fatalf("log in after withdrawing: %d, want 401", st)
	}
}

func TestLegalPages(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db := storetest.Open(t, storetest.Suite())
	e := consentServer(t, db, "1", Operator{LegalDir: dir})
	b := e.browser()

	// Missing: no footer link, and the page says so.
	p := b.get("/")
	if strings.Contains(p.body, `href="/imprint"`) || strings.Contains(p.body, `href="/privacy"`) {
		t.Error("footer links texts that do not exist")
	}
	p = b.get("/imprint")
	mustStatus(t, "missing imprint", p, http.StatusNotFound)
	mustContain(t, "missing imprint", p, e.de("legal.missing"))

	write("imprint.de.md", "# Impressum\n\nBeratungsnetz e.V., Musterstraße 1\n\n<script>alert(1)</script>\n\n[klick](javascript:alert(2))\n")
	write("imprint.ar.md", "# بيانات الناشر\n\nشبكة الاستشارة\n")
	write("privacy.en.md", "# Privacy\n\nWe keep little.\n")

	p = b.get("/")
	mustContain(t, "footer", p, `href="/imprint"`, `href="/privacy"`)
	p = b.get("/imprint")
	mustStatus(t, "German imprint", p, http.StatusOK)
	mustContain(t, "German imprint", p, "<h1>Impressum</h1>", "Beratungsnetz e.V., Musterstraße 1")
	if strings.Contains(p.body, "<script>alert") || strings.Contains(p.body, "javascript:") {
		t.Errorf("the Markdown's HTML or script link was rendered:\n%s", p.body)
	}
	// Per language, else German (then English).
	mustContain(t, "Arabic imprint", b.get("/imprint?lang=ar"), "شبكة الاستشارة")
	p = b.get("/imprint?lang=tr")
	mustContain(t, "Turkish falls back to German", p, "Beratungsnetz e.V.", html.EscapeString(e.cat.T("tr", "legal.fallback", "language", displayLanguage(e.cat, "tr", "de"))))
	mustContain(t, "privacy falls back to English", b.get("/privacy?lang=de"), "We keep little.")

	// A URL set by the operator wins over the file.
	u := consentServer(t, db, "1", Operator{LegalDir: dir, ImprintURL: "https://example.org/impressum"})
	ub := u.browser()
	mustContain(t, "footer with URL", ub.get("/"), `href="https://example.org/impressum"`, `href="/privacy"`)
	if p := ub.raw(http.MethodGet, "/imprint", nil); p.status != http.StatusFound || p.location != "https://example.org/impressum" {
		t.Fatalf("/imprint with a URL: %d %q", p.status, p.location)
	}
}
