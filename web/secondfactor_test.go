package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/i18n"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store/storetest"
	"eyelevel/web"

	"github.com/pquerna/otp/totp"
)

// tfaWeb is a server that requires the second factor (no
// SecondFactorOptional), with a clock the test moves.
type tfaWeb struct {
	ctx   context.Context
	svc   *service.Service
	h     http.Handler
	clock *clock
	org   string
	n     int
	ips   atomic.Int64
}

const tfaWebPassword = "correct horse battery staple"

func newTFAWeb(t *testing.T) *tfaWeb {
	t.Helper()
	db := storetest.Open(t, storetest.Suite())
	clk := &clock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc := service.New(db, service.Config{Password: servicetest.CheapPasswords, Keys: servicetest.Keys(5), SessionsPerDay: -1}, log, clk.Now)
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	w := &tfaWeb{ctx: context.Background(), svc: svc, clock: clk, h: web.NewServer(web.Deps{Service: svc, Catalog: cat, Log: log})}
	o, err := svc.CreateOrganization(w.ctx, service.Operator, service.OrganizationInput{Name: "Org", Slug: "tfa-web"})
	if err != nil {
		t.Fatal(err)
	}
	w.org = o.ID
	return w
}

func (w *tfaWeb) user(t *testing.T, role eyelevel.Role) (string, eyelevel.UserID) {
	t.Helper()
	w.n++
	name := fmt.Sprintf("tfaweb-%s-%d", role, w.n)
	var id eyelevel.UserID
	var err error
	switch role {
	case eyelevel.RoleClient, eyelevel.RoleAdmin:
		var u eyelevel.User
		u, err = w.svc.AddUser(w.ctx, role, name, tfaWebPassword, "Europe/Berlin")
		id = u.ID
	case eyelevel.RoleCounselor:
		var c eyelevel.Counselor
		c, err = w.svc.CreateCounselor(w.ctx, service.Operator, service.CounselorInput{Username: name, Password: tfaWebPassword, DisplayName: "C " + name,
			Gender: eyelevel.GenderFemale, Languages: []eyelevel.LanguageSkill{{Code: "de", Native: true}}, TimeZone: "Europe/Berlin"})
		id = c.ID
	default:
		var u eyelevel.User
		u, err = w.svc.AddStaff(w.ctx, service.Operator, w.org, service.StaffInput{Username: name, Password: tfaWebPassword, DisplayName: "S " + name, Role: role})
		id = u.ID
	}
	if err != nil {
		t.Fatalf("add %s: %v", role, err)
	}
	return name, id
}

// call sends a request; body is JSON (any) or a form (url.Values).
func (w *tfaWeb) call(t *testing.T, method, target, token string, body any, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	switch b := body.(type) {
	case nil:
		req = httptest.NewRequest(method, target, nil)
	case url.Values:
		req = httptest.NewRequest(method, target, strings.NewReader(b.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	default:
		j, _ := json.Marshal(b)
		req = httptest.NewRequest(method, target, bytes.NewReader(j))
		req.Header.Set("Content-Type", "application/json")
	}
	req.RemoteAddr = fmt.Sprintf("10.9.%d.%d:4000", w.ips.Add(1)/250, w.ips.Load()%250)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	return rec
}

type tfaTokenResp struct {
	Token        string `json:"token"`
	SecondFactor string `json:"second_factor"`
	Error        struct {
		Code string `json:"code"`
	} `json:"error"`
}

func (w *tfaWeb) token(t *testing.T, name, otp string) (int, tfaTokenResp) {
	t.Helper()
	body := map[string]string{"username": name, "password": tfaWebPassword}
	if otp != "" {
		body["otp"] = otp
	}
	rec := w.call(t, "POST", "/api/v1/tokens", "", body)
	var out tfaTokenResp
	json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func (w *tfaWeb) code(t *testing.T, secret string) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, w.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrol goes through the API enrolment with the limited token and returns
// the secret and the recovery codes.
func (w *tfaWeb) enrol(t *testing.T, name string) (string, []string) {
	t.Helper()
	st, tok := w.token(t, name, "")
	if st != 201 {
		t.Fatalf("first token: %d", st)
	}
	rec := w.call(t, "POST", "/api/v1/me/totp", tok.Token, nil)
	var setup struct {
		Secret     string `json:"secret"`
		OTPAuthURL string `json:"otpauth_url"`
	}
	json.Unmarshal(rec.Body.Bytes(), &setup)
	if rec.Code != 201 || setup.Secret == "" || !strings.HasPrefix(setup.OTPAuthURL, "otpauth://totp/") {
		t.Fatalf("begin: %d %s", rec.Code, rec.Body)
	}
	rec = w.call(t, "POST", "/api/v1/me/totp/confirm", tok.Token, map[string]string{"code": w.code(t, setup.Secret)})
	var conf struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	json.Unmarshal(rec.Body.Bytes(), &conf)
	if rec.Code != 200 || len(conf.RecoveryCodes) != 10 {
		t.Fatalf("confirm: %d %s", rec.Code, rec.Body)
	}
	w.clock.Advance(30 * time.Second)
	return setup.Secret, conf.RecoveryCodes
}

// TestSecondFactorAPITable: the API login over roles × {no factor, TOTP,
// recovery code, replayed code, wrong code}.
func TestSecondFactorAPITable(t *testing.T) {
	w := newTFAWeb(t)
	for _, role := range []eyelevel.Role{eyelevel.RoleClient, eyelevel.RoleCounselor, eyelevel.RoleAdmin, eyelevel.RoleCarePoint, eyelevel.RoleOrgAdmin} {
		staff := role != eyelevel.RoleClient
		t.Run(string(role), func(t *testing.T) {
			name, _ := w.user(t, role)
			st, tok := w.token(t, name, "")
			if st != 201 || (tok.SecondFactor == "enroll") != staff {
				t.Errorf("no factor: %d second_factor=%q", st, tok.SecondFactor)
			}
			if me := w.call(t, "GET", "/api/v1/me", tok.Token, nil); me.Code != 200 {
				t.Errorf("GET /me with the first token: %d", me.Code)
			}
			appts := w.call(t, "GET", "/api/v1/appointments", tok.Token, nil)
			if staff && (appts.Code != 403 || !strings.Contains(appts.Body.String(), `"second_factor_required"`)) || !staff && appts.Code != 200 {
				t.Errorf("appointments with the first token: %d %s", appts.Code, appts.Body)
			}
			secret, codes := w.enrol(t, name)
			if again := w.call(t, "GET", "/api/v1/appointments", tok.Token, nil); staff && again.Code != 401 {
				t.Errorf("the enrolling token after confirming: %d, want ended (401)", again.Code)
			}
			if st, out := w.token(t, name, ""); st != 401 || out.Error.Code != "second_factor_required" {
				t.Errorf("enrolled, no otp: %d %q", st, out.Error.Code)
			}
			c := w.code(t, secret)
			st, full := w.token(t, name, c)
			if st != 201 || full.SecondFactor != "" {
				t.Fatalf("totp: %d %+v", st, full)
			}
			if r := w.call(t, "GET", "/api/v1/appointments", full.Token, nil); strings.Contains(r.Body.String(), "second_factor_required") {
				t.Errorf("full token: %d %s", r.Code, r.Body)
			}
			if st, _ := w.token(t, name, c); st != 401 {
				t.Errorf("replayed code: %d", st)
			}
			if st, _ := w.token(t, name, "12345x"); st != 401 {
				t.Errorf("wrong code: %d", st)
			}
			if st, _ := w.token(t, name, codes[0]); st != 201 {
				t.Errorf("recovery code: %d", st)
			}
			if st, _ := w.token(t, name, codes[0]); st != 401 {
				t.Errorf("recovery code twice: %d", st)
			}
			del := w.call(t, "DELETE", "/api/v1/me/totp", full.Token, map[string]string{"code": codes[1]})
			if want := map[bool]int{true: 403, false: 204}[staff]; del.Code != want {
				t.Errorf("DELETE /me/totp: %d, want %d", del.Code, want)
			}
		})
	}
}

var tfaRoutePattern = regexp.MustCompile(`mux\.Handle\("([A-Z]+) (/api/v1/[^"]*)"`)

// TestSecondFactorLimitedTokenRoutes: a limited token reaches only the
// allowed routes; every other registered API route answers 403
// second_factor_required, never 2xx.
func TestSecondFactorLimitedTokenRoutes(t *testing.T) {
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	routes := tfaRoutePattern.FindAllStringSubmatch(string(src), -1)
	if len(routes) < 50 {
		t.Fatalf("found only %d API routes in routes.go", len(routes))
	}
	allowed := map[string]bool{"GET /api/v1/me": true, "POST /api/v1/me/totp": true, "POST /api/v1/me/totp/confirm": true,
		"DELETE /api/v1/me/totp": true, "DELETE /api/v1/tokens/current": true, "DELETE /api/v1/sessions": true}
	w := newTFAWeb(t)
	for _, role := range []eyelevel.Role{eyelevel.RoleCounselor, eyelevel.RoleAdmin, eyelevel.RoleCarePoint, eyelevel.RoleOrgAdmin} {
		name, _ := w.user(t, role)
		_, tok := w.token(t, name, "")
		for _, m := range routes {
			method, path := m[1], m[2]
			if allowed[method+" "+path] {
				continue
			}
			target := regexp.MustCompile(`\{[a-z_]+\}`).ReplaceAllString(path, "x")
			rec := w.call(t, method, target, tok.Token, map[string]string{})
			if rec.Code != 403 || !strings.Contains(rec.Body.String(), `"second_factor_required"`) {
				t.Errorf("%s: %s %s with a limited token: %d %s", role, method, target, rec.Code, rec.Body)
			}
		}
	}
}

// TestSecondFactorResetAPI: admins reset (204, 404 for unknown ids); the
// other roles are refused.
func TestSecondFactorResetAPI(t *testing.T) {
	w := newTFAWeb(t)
	target, targetID := w.user(t, eyelevel.RoleCounselor)
	w.enrol(t, target)
	for _, tc := range []struct {
		role eyelevel.Role
		want int
	}{{eyelevel.RoleClient, 403}, {eyelevel.RoleCounselor, 403}, {eyelevel.RoleCarePoint, 403}, {eyelevel.RoleOrgAdmin, 403}, {eyelevel.RoleAdmin, 204}} {
		name, _ := w.user(t, tc.role)
		tok := ""
		if tc.role == eyelevel.RoleClient {
			_, r := w.token(t, name, "")
			tok = r.Token
		} else {
			secret, _ := w.enrol(t, name)
			_, r := w.token(t, name, w.code(t, secret))
			tok = r.Token
		}
		if rec := w.call(t, "POST", "/api/v1/users/"+string(targetID)+"/second-factor/reset", tok, nil); rec.Code != tc.want {
			t.Errorf("%s resets: %d, want %d", tc.role, rec.Code, tc.want)
		}
		if tc.role == eyelevel.RoleAdmin {
			if rec := w.call(t, "POST", "/api/v1/users/nobody/second-factor/reset", tok, nil); rec.Code != 404 {
				t.Errorf("unknown id: %d", rec.Code)
			}
			if st, out := w.token(t, target, ""); st != 201 || out.SecondFactor != "enroll" {
				t.Errorf("after the reset the target logs in: %d %+v", st, out)
			}
		}
	}
}

func cookieOf(rec *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == name && c.MaxAge >= 0 {
			return c
		}
	}
	return nil
}

// TestSecondFactorPages: the page login's second step, the redirect of a
// limited session to the enrolment, and the enrolment page.
func TestSecondFactorPages(t *testing.T) {
	w := newTFAWeb(t)
	name, _ := w.user(t, eyelevel.RoleCounselor)
	login := w.call(t, "POST", "/login", "", url.Values{"username": {name}, "password": {tfaWebPassword}})
	sess := cookieOf(login, "__Host-eyelevel-session")
	if login.Code != 303 || login.Header().Get("Location") != "/settings/second-factor" || sess == nil {
		t.Fatalf("unenrolled login: %d %q", login.Code, login.Header().Get("Location"))
	}
	if r := w.call(t, "GET", "/workspace", "", nil, sess); r.Code != 303 || r.Header().Get("Location") != "/settings/second-factor" {
		t.Errorf("limited session on /workspace: %d %q", r.Code, r.Header().Get("Location"))
	}
	if r := w.call(t, "GET", "/help", "", nil, sess); r.Code != 200 {
		t.Errorf("limited session on /help: %d", r.Code)
	}
	if r := w.call(t, "POST", "/settings/second-factor", "", url.Values{}, sess); r.Code != 303 {
		t.Fatalf("begin: %d %s", r.Code, r.Body)
	}
	page := w.call(t, "GET", "/settings/second-factor", "", nil, sess)
	secret := regexp.MustCompile(`id="tfa-secret">([A-Z2-7]+)<`).FindStringSubmatch(page.Body.String())
	if page.Code != 200 || secret == nil || !strings.Contains(page.Body.String(), "<svg class=\"qr\"") {
		t.Fatalf("enrolment page: %d, secret %v", page.Code, secret)
	}
	conf := w.call(t, "POST", "/settings/second-factor/confirm", "", url.Values{"code": {w.code(t, secret[1])}}, sess)
	if conf.Code != 200 || strings.Count(conf.Body.String(), "<li>") < 10 {
		t.Fatalf("confirm: %d", conf.Code)
	}
	w.clock.Advance(30 * time.Second)

	first := w.call(t, "POST", "/login", "", url.Values{"username": {name}, "password": {tfaWebPassword}, "next": {"/workspace"}})
	pending := cookieOf(first, "__Host-eyelevel-login")
	if first.Code != 303 || !strings.HasPrefix(first.Header().Get("Location"), "/login/code") || pending == nil || cookieOf(first, "__Host-eyelevel-session") != nil {
		t.Fatalf("first step: %d %q", first.Code, first.Header().Get("Location"))
	}
	if r := w.call(t, "GET", "/login/code?next=/workspace", "", nil, pending); r.Code != 200 || !strings.Contains(r.Body.String(), `id="otp"`) {
		t.Errorf("second step form: %d", r.Code)
	}
	wrong := w.call(t, "POST", "/login/code", "", url.Values{"code": {"000000"}, "next": {"/workspace"}}, pending)
	if wrong.Code != 401 || cookieOf(wrong, "__Host-eyelevel-session") != nil {
		t.Errorf("wrong code: %d", wrong.Code)
	}
	ok := w.call(t, "POST", "/login/code", "", url.Values{"code": {w.code(t, secret[1])}, "next": {"/workspace"}}, pending)
	full := cookieOf(ok, "__Host-eyelevel-session")
	if ok.Code != 303 || ok.Header().Get("Location") != "/workspace" || full == nil {
		t.Fatalf("second step: %d %q", ok.Code, ok.Header().Get("Location"))
	}
	if r := w.call(t, "GET", "/workspace", "", nil, full); r.Code != 200 {
		t.Errorf("workspace after the second step: %d", r.Code)
	}
	if r := w.call(t, "GET", "/login/code", "", nil); r.Code != 303 {
		t.Errorf("second step without a pending login: %d", r.Code)
	}
}

// TestSecondFactorClientPages: a client enrols voluntarily from the
// settings page, logs in with a recovery code on the second step, and
// switches the factor off again.
func TestSecondFactorClientPages(t *testing.T) {
	w := newTFAWeb(t)
	name, _ := w.user(t, eyelevel.RoleClient)
	login := w.call(t, "POST", "/login", "", url.Values{"username": {name}, "password": {tfaWebPassword}})
	sess := cookieOf(login, "__Host-eyelevel-session")
	if login.Code != 303 || sess == nil {
		t.Fatalf("client login: %d", login.Code)
	}
	if r := w.call(t, "GET", "/settings", "", nil, sess); !strings.Contains(r.Body.String(), `href="/settings/second-factor"`) {
		t.Errorf("settings page has no link to the second factor: %d", r.Code)
	}
	w.call(t, "POST", "/settings/second-factor", "", url.Values{}, sess)
	page := w.call(t, "GET", "/settings/second-factor", "", nil, sess)
	secret := regexp.MustCompile(`id="tfa-secret">([A-Z2-7]+)<`).FindStringSubmatch(page.Body.String())
	if secret == nil {
		t.Fatalf("no secret on the page: %d", page.Code)
	}
	if r := w.call(t, "POST", "/settings/second-factor/confirm", "", url.Values{"code": {"000000"}}, sess); r.Code != 401 || !strings.Contains(r.Body.String(), `id="tfa-secret"`) {
		t.Errorf("wrong confirming code: %d, want the form again", r.Code)
	}
	conf := w.call(t, "POST", "/settings/second-factor/confirm", "", url.Values{"code": {w.code(t, secret[1])}}, sess)
	codes := regexp.MustCompile(`<li>([a-z2-9]{5}-[a-z2-9]{5})</li>`).FindAllStringSubmatch(conf.Body.String(), -1)
	if conf.Code != 200 || len(codes) != 10 {
		t.Fatalf("confirm: %d, %d codes", conf.Code, len(codes))
	}
	if r := w.call(t, "GET", "/settings/second-factor", "", nil, sess); r.Code != 200 || !strings.Contains(r.Body.String(), `action="/settings/second-factor/disable"`) {
		t.Errorf("enrolled client's page: %d, no disable form", r.Code)
	}
	first := w.call(t, "POST", "/login", "", url.Values{"username": {name}, "password": {tfaWebPassword}})
	pending := cookieOf(first, "__Host-eyelevel-login")
	if pending == nil {
		t.Fatalf("enrolled client's login has no second step: %d %q", first.Code, first.Header().Get("Location"))
	}
	ok := w.call(t, "POST", "/login/code", "", url.Values{"code": {codes[2][1]}}, pending)
	full := cookieOf(ok, "__Host-eyelevel-session")
	if ok.Code != 303 || full == nil {
		t.Fatalf("second step with a recovery code: %d", ok.Code)
	}
	w.clock.Advance(30 * time.Second)
	if r := w.call(t, "POST", "/settings/second-factor/disable", "", url.Values{"code": {w.code(t, secret[1])}}, full); r.Code != 303 {
		t.Fatalf("disable: %d", r.Code)
	}
	if r := w.call(t, "POST", "/login", "", url.Values{"username": {name}, "password": {tfaWebPassword}}); cookieOf(r, "__Host-eyelevel-session") == nil {
		t.Errorf("after switching off, the login still asks for a code: %q", r.Header().Get("Location"))
	}
}

// pageLogin logs name in through both page steps and returns the session cookie.
func (w *tfaWeb) pageLogin(t *testing.T, name, secret string) *http.Cookie {
	t.Helper()
	first := w.call(t, "POST", "/login", "", url.Values{"username": {name}, "password": {tfaWebPassword}})
	pending := cookieOf(first, "__Host-eyelevel-login")
	if pending == nil {
		t.Fatalf("login of %s: no second step", name)
	}
	ok := w.call(t, "POST", "/login/code", "", url.Values{"code": {w.code(t, secret)}}, pending)
	w.clock.Advance(30 * time.Second)
	if c := cookieOf(ok, "__Host-eyelevel-session"); c != nil {
		return c
	}
	t.Fatalf("second step of %s: %d", name, ok.Code)
	return nil
}

// TestSecondFactorResetPage: the admin page action resets and goes back;
// a counselor is refused.
func TestSecondFactorResetPage(t *testing.T) {
	w := newTFAWeb(t)
	target, id := w.user(t, eyelevel.RoleCarePoint)
	w.enrol(t, target)
	admin, _ := w.user(t, eyelevel.RoleAdmin)
	asecret, _ := w.enrol(t, admin)
	counselor, _ := w.user(t, eyelevel.RoleCounselor)
	csecret, _ := w.enrol(t, counselor)
	action := "/admin/users/" + string(id) + "/second-factor/reset"
	if r := w.call(t, "POST", action, "", url.Values{}, w.pageLogin(t, counselor, csecret)); r.Code != 403 {
		t.Errorf("counselor resets: %d", r.Code)
	}
	r := w.call(t, "POST", action, "", url.Values{"back": {"/admin/counselors"}}, w.pageLogin(t, admin, asecret))
	if r.Code != 303 || !strings.HasPrefix(r.Header().Get("Location"), "/admin/counselors?") {
		t.Errorf("admin resets: %d %q", r.Code, r.Header().Get("Location"))
	}
	if st, out := w.token(t, target, ""); st != 201 || out.SecondFactor != "enroll" {
		t.Errorf("after the reset: %d %+v", st, out)
	}
}
