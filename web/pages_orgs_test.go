package web

import (
	"context"
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
)

// orgPagesEnv is a pagesEnv at Monday 30 November 2026 with organization
// Alpha (slug alpha) running a contract of 4 sessions a person, and
// organization Beta.
type orgPagesEnv struct {
	*pagesEnv
	db         *store.DB
	alpha, bet eyelevel.Organization
	contract   eyelevel.Contract
}

func newOrgPagesEnv(t *testing.T) *orgPagesEnv {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, storetest.Suite())
	now := func() time.Time { return time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC) }
	svc := service.New(db, service.Config{SecondFactorOptional: true, Password: service.PasswordParams{Memory: 64, Time: 1, Threads: 1}}, nil, now)
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewServer(Deps{Service: svc, Catalog: cat}))
	t.Cleanup(srv.Close)
	e := &orgPagesEnv{pagesEnv: &pagesEnv{t: t, srv: srv, svc: svc, cat: cat}, db: db}
	admin, err := svc.AddUser(ctx, eyelevel.RoleAdmin, "admin", "admin-password", "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	a := eyelevel.Actor{UserID: admin.ID, Role: eyelevel.RoleAdmin}
	if e.alpha, err = svc.CreateOrganization(ctx, a, service.OrganizationInput{Name: "Alpha Welfare", Slug: "alpha"}); err != nil {
		t.Fatal(err)
	}
	if e.bet, err = svc.CreateOrganization(ctx, a, service.OrganizationInput{Name: "Beta GmbH", Slug: "beta"}); err != nil {
		t.Fatal(err)
	}
	e.contract, err = svc.CreateContract(ctx, a, e.alpha.ID, service.ContractInput{Starts: "2026-11-01", Ends: "2026-12-31", SessionsPerPerson: 4, GraceDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// staff creates a user of role belonging to org, with password "staff-password".
func (e *orgPagesEnv) staff(role eyelevel.Role, username, org string) *browser {
	e.t.Helper()
	u := eyelevel.User{ID: eyelevel.UserID(eyelevel.NewID()), Username: username, Role: role, Language: "de", TimeZone: "UTC", CreatedAt: time.Now(),
		PasswordHash: service.HashPassword("staff-password", service.PasswordParams{Memory: 64, Time: 1, Threads: 1})}
	if err := e.db.CreateUser(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.AddStaff(context.Background(), u.ID, org, username); err != nil {
		e.t.Fatal(err)
	}
	b := e.browser()
	b.login(username, "staff-password")
	return b
}

// TestPagesOrgLanding: /o/{slug} speaks all ten languages, right to left
// where they are written so, and says who pays, how many sessions, what
// it costs and how to start.
func TestPagesOrgLanding(t *testing.T) {
	e := newOrgPagesEnv(t)
	rtl := map[string]bool{"ar": true, "fa": true, "fa-AF": true, "ps": true}
	for _, lang := range service.UILanguages {
		p := e.browser().get("/o/alpha?lang=" + url.QueryEscape(lang))
		mustStatus(t, lang, p, http.StatusOK)
		dir := "ltr"
		if rtl[lang] {
			dir = "rtl"
		}
		mustContain(t, lang, p, `<html lang="`+lang+`" dir="`+dir+`">`,
			htmlText(e.cat.T(lang, "orglanding.heading", "organization", "\u2068Alpha Welfare\u2069")),
			htmlText(e.cat.T(lang, "orglanding.cost", "organization", "\u2068Alpha Welfare\u2069")),
			htmlText(e.cat.T(lang, "orglanding.step.register")), `href="/register"`)
		if !strings.Contains(p.body, htmlText(e.cat.T(lang, "orglanding.sessions", "sessions", formatNumber(numberPrinter(lang), 4)))) {
			t.Errorf("%s: the allowance of 4 sessions is not stated", lang)
		}
	}
	// The code in the link travels to registration and login.
	p := e.browser().get("/o/alpha?code=K7QF-3M9T-XR2P-4HWD")
	mustContain(t, "landing with code", p, `href="/register?code=K7QF-3M9T-XR2P-4HWD"`,
		`href="/login?next=%2Fcodes%3Fcode%3DK7QF-3M9T-XR2P-4HWD"`, "K7QF-3M9T-XR2P-4HWD")
	// No contract running: said so; unknown organizations do not exist.
	mustContain(t, "beta", e.browser().get("/o/beta"), e.de("orglanding.none"))
	mustStatus(t, "unknown", e.browser().get("/o/gamma"), http.StatusNotFound)
	mustStatus(t, "bad slug", e.browser().get("/o/ALPHA"), http.StatusNotFound)
}

func htmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

var slipCode = regexp.MustCompile(`<p class="slip-code" dir="ltr" translate="no">([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})</p>`)

// TestPagesOrgAdmin: an admin creates an organization and a contract and
// prints codes; an orgadmin does the same for their own organization only.
func TestPagesOrgAdmin(t *testing.T) {
	e := newOrgPagesEnv(t)
	admin := e.browser()
	admin.login("admin", "admin-password")

	p := admin.post("/admin/organizations", url.Values{"name": {""}, "slug": {"Bad Slug"}})
	mustStatus(t, "bad organization", p, http.StatusBadRequest)
	mustContain(t, "bad organization", p, e.de("org.err.name"), e.de("org.err.slug"), `value="Bad Slug"`)
	p = admin.post("/admin/organizations", url.Values{"name": {"Other"}, "slug": {"alpha"}})
	mustStatus(t, "taken slug", p, http.StatusConflict)
	p = admin.post("/admin/organizations", url.Values{"name": {"Gamma e.V."}, "slug": {"gamma"}})
	mustStatus(t, "new organization", p, http.StatusOK)
	mustContain(t, "new organization", p, "<h1>Gamma e.V.</h1>", e.de("contract.exit.link"), e.de("contract.new.heading"))
	mustContain(t, "list", admin.get("/admin/organizations"), "Gamma e.V.", "Alpha Welfare", `href="/admin/organizations"`)

	orgPage := "/admin/organizations/" + e.alpha.ID
	p = admin.post(orgPage+"/contracts", url.Values{"starts": {"2027-01-01"}, "ends": {"2026-01-01"}, "sessions_per_person": {"x"}, "pool": {"0"}, "grace_days": {"30"}})
	mustStatus(t, "bad contract", p, http.StatusBadRequest)
	mustContain(t, "bad contract", p, e.de("contract.err.ends"), e.de("contract.err.sessions"), `value="2027-01-01"`)
	p = admin.post(orgPage+"/contracts", url.Values{"starts": {"2027-01-01"}, "ends": {"2027-06-30"}, "sessions_per_person": {"3"}, "pool": {"90"}, "grace_days": {"30"}, "goals": {"Fewer sick days"}})
	mustStatus(t, "contract", p, http.StatusOK)
	mustContain(t, "contract", p, "2027-01-01 – 2027-06-30", "Fewer sick days", e.de("contract.status.upcoming"))

	codesURL := "/admin/contracts/" + e.contract.ID + "/codes"
	p = admin.post(codesURL, url.Values{"count": {"501"}})
	mustStatus(t, "too many codes", p, http.StatusBadRequest)
	mustContain(t, "too many codes", p, e.de("code.err.count"))
	p = admin.post(codesURL, url.Values{"count": {"3"}})
	mustStatus(t, "slips", p, http.StatusOK)
	codes := slipCode.FindAllStringSubmatch(p.body, -1)
	if len(codes) != 3 {
		t.Fatalf("%d slips, want 3:\n%s", len(codes), p.body)
	}
	mustContain(t, "slips", p, `<svg class="qr"`, "/o/alpha?code="+codes[0][1], e.de("slip.paid", "sessions", "4", "organization", "\u2068Alpha Welfare\u2069"))
	if strings.Contains(p.body, `src="http`) || strings.Contains(p.body, "<script") {
		t.Error("the slips page loads something from elsewhere or runs a script")
	}
	p = admin.post(codesURL, url.Values{"shared": {"yes"}})
	if n := len(slipCode.FindAllString(p.body, -1)); p.status != http.StatusOK || n != 1 {
		t.Fatalf("shared code: status %d, %d slips", p.status, n)
	}
	mustContain(t, "counts", admin.get(orgPage), e.de("contract.codes.counts", "issued", "3", "redeemed", "0"))

	// An orgadmin sees and prints for their own organization only.
	oa, ob := e.staff(eyelevel.RoleOrgAdmin, "olga", e.alpha.ID), e.staff(eyelevel.RoleOrgAdmin, "otto", e.bet.ID)
	p = oa.get("/admin/organizations")
	mustContain(t, "orgadmin list", p, "Alpha Welfare", `<a href="/admin/organizations">`+e.de("nav.organizations")+`</a>`)
	if strings.Contains(p.body, "Beta GmbH") || strings.Contains(p.body, `action="/admin/organizations"`) {
		t.Error("orgadmin A sees another organization or the create form")
	}
	p = oa.get(orgPage)
	mustStatus(t, "orgadmin page", p, http.StatusOK)
	if strings.Contains(p.body, "/contracts\"") {
		t.Error("orgadmin sees the contract form")
	}
	// Managers get no live, exact figures (the monthly report has them).
	mustContain(t, "orgadmin figures", p, `id="coarse-note"`, e.de("org.page.coarse_note"), e.de("contract.codes.issued", "issued", "3"),
		e.de("contract.pool.left_coarse", "left", "90", "pool", "90"))
	if strings.Contains(p.body, e.de("contract.codes.counts", "issued", "3", "redeemed", "0")) || strings.Contains(p.body, "0 / 90") {
		t.Error("orgadmin sees live exact figures")
	}
	if p := admin.get(orgPage); !strings.Contains(p.body, "0 / 90") || strings.Contains(p.body, `id="coarse-note"`) {
		t.Error("admin lacks the exact pool or sees the managers' note")
	}
	mustStatus(t, "orgadmin prints", oa.post(codesURL, url.Values{"count": {"2"}}), http.StatusOK)
	mustStatus(t, "orgadmin records a contract", oa.post(orgPage+"/contracts", url.Values{"starts": {"2027-01-01"}, "ends": {"2027-06-30"}, "sessions_per_person": {"3"}}), http.StatusForbidden)
	mustStatus(t, "other orgadmin's page", ob.get(orgPage), http.StatusNotFound)
	mustStatus(t, "other orgadmin prints", ob.post(codesURL, url.Values{"count": {"2"}}), http.StatusNotFound)
	care := e.staff(eyelevel.RoleCarePoint, "carl", e.alpha.ID)
	mustStatus(t, "care point", care.get(orgPage), http.StatusNotFound)
}

// TestPagesRedeemCode: a code from the landing link carries through
// registration to the prefilled code form; redeeming shows the credits.
func TestPagesRedeemCode(t *testing.T) {
	e := newOrgPagesEnv(t)
	codes, err := e.svc.IssueCodes(context.Background(), service.Operator, e.contract.ID, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	p := b.get("/register?code=" + url.QueryEscape(codes[0]))
	mustContain(t, "register form", p, `<input type="hidden" name="code" value="`+codes[0]+`">`)
	p = b.raw(http.MethodPost, "/register", url.Values{"consent": {"yes"}, "username": {"layla"}, "password": {"client-password"}, "language": {"de"}, "timezone": {"UTC"}, "code": {codes[0]}})
	// The recovery code first, then on to the code.
	if p.status != http.StatusOK || !strings.Contains(p.body, `href="/codes?code=`+url.QueryEscape(codes[0])+`"`) {
		t.Fatalf("after registering: %d, %.300s", p.status, p.body)
	}
	p = b.get("/codes?code=" + url.QueryEscape(codes[0]))
	mustContain(t, "prefilled", p, `value="`+codes[0]+`"`, e.de("credits.none"), `href="/codes"`)

	p = b.post("/codes", url.Values{"code": {"AAAA-BBBB-CCCC-DDDD"}})
	mustStatus(t, "unknown code", p, http.StatusNotFound)
	mustContain(t, "unknown code", p, `id="code-error"`, e.de("code.err.unknown"))
	p = b.post("/codes", url.Values{"code": {strings.ToLower(codes[0])}})
	mustStatus(t, "redeemed", p, http.StatusOK)
	mustContain(t, "redeemed", p, e.de("notice.redeemed"), e.de("credits.paid_by", "organization", "\u2068Alpha Welfare\u2069"),
		e.de("credits.total", "sessions", "4"))
	p = b.post("/codes", url.Values{"code": {codes[1]}})
	mustStatus(t, "second code of the same contract", p, http.StatusConflict)

	// Logged in, the landing page offers the code form itself.
	mustContain(t, "landing logged in", b.get("/o/alpha?code="+codes[1]), `action="/codes"`, `value="`+codes[1]+`"`)
	// Only clients redeem.
	admin2 := e.browser()
	admin2.login("admin", "admin-password")
	mustStatus(t, "admin codes page", admin2.get("/codes"), http.StatusForbidden)
}
