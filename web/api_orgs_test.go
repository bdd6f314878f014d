package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
)

// Staff of the organization fixture.
const (
	orgAdminA  role = "orgadmin A"
	orgAdminB  role = "orgadmin B"
	carePointA role = "carepoint A"
)

// orgRoles are the callers of the organization tables, in column order.
var orgRoles = []role{anon, clientA, counselorX, admin, orgAdminA, orgAdminB, carePointA}

// orgWorld is newWorld plus organizations A and B, each with a running
// contract, an orgadmin each and a care point at A.
type orgWorld struct {
	*world
	orgA, orgB           eyelevel.Organization
	contractA, contractB eyelevel.Contract
}

func newOrgWorld(tb testing.TB) *orgWorld {
	tb.Helper()
	w := &orgWorld{world: newWorld(tb)}
	adm := w.actor(tb, admin)
	var err error
	w.orgA, err = w.svc.CreateOrganization(w.ctx, adm, service.OrganizationInput{Name: "Alpha Welfare", Slug: "alpha"})
	must(tb, err)
	w.orgB, err = w.svc.CreateOrganization(w.ctx, adm, service.OrganizationInput{Name: "Beta GmbH", Slug: "beta"})
	must(tb, err)
	in := service.ContractInput{Starts: "2026-11-01", Ends: "2026-12-31", SessionsPerPerson: 5, Pool: 100, GraceDays: 30}
	w.contractA, err = w.svc.CreateContract(w.ctx, adm, w.orgA.ID, in)
	must(tb, err)
	w.contractB, err = w.svc.CreateContract(w.ctx, adm, w.orgB.ID, in)
	must(tb, err)
	for who, spec := range map[role]struct {
		r   eyelevel.Role
		org string
	}{orgAdminA: {eyelevel.RoleOrgAdmin, w.orgA.ID}, orgAdminB: {eyelevel.RoleOrgAdmin, w.orgB.ID}, carePointA: {eyelevel.RoleCarePoint, w.orgA.ID}} {
		name := strings.ReplaceAll(string(who), " ", "-")
		u := eyelevel.User{ID: eyelevel.UserID(eyelevel.NewID()), Username: name, Role: spec.r,
			PasswordHash: service.HashPassword(password, servicetest.CheapPasswords), Language: "de", TimeZone: "UTC", CreatedAt: monday}
		must(tb, w.db.CreateUser(w.ctx, u))
		must(tb, w.db.AddStaff(w.ctx, u.ID, spec.org, name))
		w.ids[who], w.names[who] = u.ID, name
		w.tokens[who] = w.login(tb, name)
	}
	return w
}

// codes issues n single-use codes of contract k.
func (w *orgWorld) codes(tb testing.TB, k eyelevel.Contract, n int) []string {
	tb.Helper()
	cs, err := w.svc.IssueCodes(w.ctx, w.actor(tb, admin), k.ID, n, false)
	must(tb, err)
	return cs
}

// orgSnapshot is everything the organization endpoints write.
func (w *orgWorld) orgSnapshot(tb testing.TB) string {
	tb.Helper()
	os, err := w.db.Organizations(w.ctx)
	must(tb, err)
	state := map[string]any{"organizations": os, "base": w.snapshot(tb)}
	for _, o := range os {
		ks, err := w.db.Contracts(w.ctx, o.ID)
		must(tb, err)
		state["contracts "+o.ID] = ks
		for _, k := range ks {
			n, err := w.db.CodeCounts(w.ctx, k.ID)
			must(tb, err)
			state["codes "+k.ID] = n
		}
	}
	for _, who := range []role{clientA, clientB} {
		cs, err := w.db.ClientCredits(w.ctx, w.ids[who], monday)
		must(tb, err)
		state["credits "+string(who)] = cs
	}
	b, err := json.Marshal(state)
	must(tb, err)
	return string(b)
}

// TestOrgAuthzTable: who may do what with organizations, contracts, codes
// and credits. No one crosses an organization, and where a 403 would
// tell that a contract or organization exists, the answer is 404.
func TestOrgAuthzTable(t *testing.T) {
	w := newOrgWorld(t)
	type orgCase struct {
		name, method string
		path         func() string
		body         func(who role) any
		want         [7]int // anonymous, client, counselor, admin, orgadmin A, orgadmin B, carepoint A
		check        func(t *testing.T, who role, r *response)
	}
	cases := []orgCase{
		{name: "POST organizations", method: "POST", path: func() string { return "/api/v1/organizations" },
			body: func(who role) any {
				return map[string]string{"name": "New", "slug": "new-" + strings.ReplaceAll(string(who), " ", "-")}
			},
			want: [7]int{401, 403, 403, 201, 403, 403, 403}},
		{name: "GET organizations", method: "GET", path: func() string { return "/api/v1/organizations" },
			want: [7]int{401, 403, 403, 200, 200, 200, 403},
			check: func(t *testing.T, who role, r *response) {
				var out struct{ Organizations []struct{ ID string } }
				if r.Status == 200 {
					r.decode(t, &out)
				}
				if who == orgAdminA && (len(out.Organizations) != 1 || out.Organizations[0].ID != w.orgA.ID) {
					t.Errorf("orgadmin A sees %+v", out)
				}
			}},
		{name: "POST contracts of A", method: "POST", path: func() string { return "/api/v1/organizations/" + w.orgA.ID + "/contracts" },
			body: func(role) any {
				return map[string]any{"starts": "2027-01-01", "ends": "2027-12-31", "sessions_per_person": 3, "pool": 0, "grace_days": 10, "goals": "g"}
			},
			want: [7]int{401, 403, 403, 201, 403, 403, 403}},
		{name: "GET contracts of A", method: "GET", path: func() string { return "/api/v1/organizations/" + w.orgA.ID + "/contracts" },
			want: [7]int{401, 404, 404, 200, 200, 404, 404}},
		{name: "GET contracts of B", method: "GET", path: func() string { return "/api/v1/organizations/" + w.orgB.ID + "/contracts" },
			want: [7]int{401, 404, 404, 200, 404, 200, 404}},
		{name: "GET contracts of none", method: "GET", path: func() string { return "/api/v1/organizations/nothing/contracts" },
			want: [7]int{401, 404, 404, 404, 404, 404, 404}},
		{name: "POST codes of A", method: "POST", path: func() string { return "/api/v1/contracts/" + w.contractA.ID + "/codes" },
			body: func(role) any { return map[string]int{"count": 2} },
			want: [7]int{401, 404, 404, 201, 201, 404, 404}},
		{name: "POST shared code of B", method: "POST", path: func() string { return "/api/v1/contracts/" + w.contractB.ID + "/codes" },
			body: func(role) any { return map[string]bool{"shared": true} },
			want: [7]int{401, 404, 404, 201, 404, 201, 404}},
		{name: "POST codes of none", method: "POST", path: func() string { return "/api/v1/contracts/nothing/codes" },
			body: func(role) any { return map[string]int{"count": 2} },
			want: [7]int{401, 404, 404, 404, 404, 404, 404}},
		{name: "POST me/codes", method: "POST", path: func() string { return "/api/v1/me/codes" },
			body: func(role) any { return map[string]string{"code": w.codes(t, w.contractA, 1)[0]} },
			want: [7]int{401, 201, 403, 403, 403, 403, 403},
			check: func(t *testing.T, who role, r *response) {
				var out struct {
					Organization string
					Sessions     int
				}
				if r.Status == 201 {
					r.decode(t, &out)
					if out.Organization != "Alpha Welfare" || out.Sessions != 5 {
						t.Errorf("redeemed %+v", out)
					}
				}
			}},
		{name: "GET me/credits", method: "GET", path: func() string { return "/api/v1/me/credits" },
			want: [7]int{401, 200, 403, 403, 403, 403, 403},
			check: func(t *testing.T, who role, r *response) {
				var out struct {
					Total   int
					Credits []struct{ Source, Organization string }
				}
				if r.Status == 200 {
					r.decode(t, &out)
					if out.Total != 5 || len(out.Credits) != 1 || out.Credits[0].Organization != "Alpha Welfare" {
						t.Errorf("credits %s", r.Body)
					}
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for i, who := range orgRoles {
				t.Run(string(who), func(t *testing.T) {
					var body any
					if c.body != nil {
						body = c.body(who)
					}
					before := w.orgSnapshot(t)
					r := w.do(t, who, c.method, c.path(), body)
					if r.Status >= 400 {
						r.wantError(t, c.want[i], codeOf(r.Status))
						if after := w.orgSnapshot(t); after != before {
							t.Errorf("refused request changed the database")
						}
					} else {
						r.wantStatus(t, c.want[i])
					}
					if c.check != nil {
						c.check(t, who, r)
					}
				})
			}
		})
	}
}

func runOrgInput(t *testing.T, w *orgWorld, cases []inputCase) {
	t.Helper()
	runInputSnapshot(t, w.world, w.orgSnapshot, cases)
}

func TestInputOrganizations(t *testing.T) {
	w := newOrgWorld(t)
	path := "/api/v1/organizations"
	valid := map[string]any{"name": "Gamma", "slug": "gamma"}
	org := func(name string, body any, status int, code string, fields ...string) inputCase {
		return inputCase{name: name, who: admin, method: "POST", path: path, body: body, status: status, code: code, fields: fields}
	}
	inv := eyelevel.EINVALID
	cases := syntaxCases(admin, "POST", path, `{"name":"Gamma","slug":"gamma"}`, "name")
	cases = append(cases,
		org("empty object", `{}`, 400, inv, "name", "slug"),
		org("name a number", jsonWith(valid, "name", 5), 400, inv, "name"),
		org("name blank", jsonWith(valid, "name", "  "), 400, inv, "name"),
		org("name 201 characters", jsonWith(valid, "name", strings.Repeat("n", 201)), 400, inv, "name"),
		org("name with NUL", jsonWith(valid, "name", "a\x00b"), 400, inv, "name"),
		org("name with direction override", jsonWith(valid, "name", "a\u202eb"), 400, inv, "name"),
		org("slug upper case", jsonWith(valid, "slug", "Gamma"), 400, inv, "slug"),
		org("slug with slash", jsonWith(valid, "slug", "a/b"), 400, inv, "slug"),
		org("slug dash first", jsonWith(valid, "slug", "-gamma"), 400, inv, "slug"),
		org("slug 51 characters", jsonWith(valid, "slug", strings.Repeat("g", 51)), 400, inv, "slug"),
		org("slug taken", jsonWith(valid, "slug", "alpha"), 409, eyelevel.ECONFLICT),
		org("slug null", `{"name":"Gamma","slug":null}`, 400, inv, "slug"),
	)
	runOrgInput(t, w, cases)
}

func TestInputContracts(t *testing.T) {
	w := newOrgWorld(t)
	path := "/api/v1/organizations/" + w.orgA.ID + "/contracts"
	valid := map[string]any{"starts": "2027-01-01", "ends": "2027-12-31", "sessions_per_person": 5, "pool": 10, "grace_days": 30, "late_cancel_counts": true, "goals": "Goals"}
	k := func(name string, body any, fields ...string) inputCase {
		return inputCase{name: name, who: admin, method: "POST", path: path, body: body, status: 400, code: eyelevel.EINVALID, fields: fields}
	}
	cases := syntaxCases(admin, "POST", path, `{"starts":"2027-01-01","ends":"2027-12-31","sessions_per_person":5}`, "goals")
	cases = append(cases,
		k("empty object", `{}`, "starts", "ends", "sessions_per_person"),
		k("starts not a date", jsonWith(valid, "starts", "soon"), "starts"),
		k("starts February 30", jsonWith(valid, "starts", "2027-02-30"), "starts"),
		k("starts a number", jsonWith(valid, "starts", 20270101), "starts"),
		k("ends before starts", jsonWith(valid, "ends", "2026-12-31"), "ends"),
		k("ends with a time", jsonWith(valid, "ends", "2027-12-31T00:00:00Z"), "ends"),
		k("no sessions", jsonWith(valid, "sessions_per_person", 0), "sessions_per_person"),
		k("51 sessions", jsonWith(valid, "sessions_per_person", 51), "sessions_per_person"),
		k("sessions a fraction", jsonWith(valid, "sessions_per_person", 1.5), "sessions_per_person"),
		k("sessions beyond int", `{"starts":"2027-01-01","ends":"2027-12-31","sessions_per_person":99999999999999999999}`, "sessions_per_person"),
		k("pool negative", jsonWith(valid, "pool", -1), "pool"),
		k("grace 366 days", jsonWith(valid, "grace_days", 366), "grace_days"),
		k("grace negative", jsonWith(valid, "grace_days", -1), "grace_days"),
		k("late_cancel_counts a string", jsonWith(valid, "late_cancel_counts", "yes"), "late_cancel_counts"),
		k("goals 4001 characters", jsonWith(valid, "goals", strings.Repeat("g", 4001)), "goals"),
		k("goals with NUL", jsonWith(valid, "goals", "a\x00b"), "goals"),
		inputCase{name: "unknown organization", who: admin, method: "POST", path: "/api/v1/organizations/nothing/contracts", body: valid, status: 404, code: eyelevel.ENOTFOUND},
	)
	runOrgInput(t, w, cases)
}

func TestInputIssueCodes(t *testing.T) {
	w := newOrgWorld(t)
	adm := w.actor(t, admin)
	ended, err := w.svc.CreateContract(w.ctx, adm, w.orgA.ID, service.ContractInput{Starts: "2025-01-01", Ends: "2025-12-31", SessionsPerPerson: 5})
	must(t, err)
	path := "/api/v1/contracts/" + w.contractA.ID + "/codes"
	c := func(name string, body any, fields ...string) inputCase {
		return inputCase{name: name, who: orgAdminA, method: "POST", path: path, body: body, status: 400, code: eyelevel.EINVALID, fields: fields}
	}
	cases := syntaxCases(orgAdminA, "POST", path, `{"count":3}`, "count")
	cases = append(cases,
		c("empty object", `{}`, "count"),
		c("count 0", `{"count":0}`, "count"),
		c("count 501", `{"count":501}`, "count"),
		c("count negative", `{"count":-5}`, "count"),
		c("count a string", `{"count":"5"}`, "count"),
		c("count beyond int", `{"count":99999999999999999999}`, "count"),
		c("shared with a count", `{"count":20,"shared":true}`, "count"),
		c("shared a string", `{"shared":"true"}`, "shared"),
		inputCase{name: "ended contract", who: admin, method: "POST", path: "/api/v1/contracts/" + ended.ID + "/codes", body: `{"count":1}`,
			status: 409, code: eyelevel.EEXPIRED, key: "code.err.issue_expired"},
		inputCase{name: "ended contract, shared", who: orgAdminA, method: "POST", path: "/api/v1/contracts/" + ended.ID + "/codes", body: `{"shared":true}`,
			status: 409, code: eyelevel.EEXPIRED},
	)
	runOrgInput(t, w, cases)
}

func TestInputRedeemCode(t *testing.T) {
	w := newOrgWorld(t)
	codes := w.codes(t, w.contractA, 2)
	a := w.actor(t, clientB)
	_, err := w.svc.RedeemCode(w.ctx, a, codes[0], "192.0.2.1")
	must(t, err)
	path := "/api/v1/me/codes"
	r := func(name string, body any, status int, code, key string, fields ...string) inputCase {
		return inputCase{name: name, who: clientA, method: "POST", path: path, body: body, status: status, code: code, key: key, fields: fields}
	}
	cases := syntaxCases(clientA, "POST", path, `{"code":"AAAA-BBBB-CCCC-DDDD"}`, "code")
	cases = append(cases,
		r("empty object", `{}`, 400, eyelevel.EINVALID, "code.err.format", "code"),
		r("only dashes", `{"code":"----"}`, 400, eyelevel.EINVALID, "code.err.format", "code"),
		r("code a number", `{"code":1234}`, 400, eyelevel.EINVALID, "error.wrong_type", "code"),
		r("code 65 characters", map[string]string{"code": strings.Repeat("A", 65)}, 400, eyelevel.EINVALID, "code.err.format", "code"),
		r("code with NUL", map[string]string{"code": "AAAA\x00"}, 400, eyelevel.EINVALID, "error.bad_text", "code"),
		r("unknown code", map[string]string{"code": "AAAA-BBBB-CCCC-DDDD"}, 404, eyelevel.ENOTFOUND, "code.err.unknown"),
		r("used code", map[string]string{"code": codes[0]}, 409, eyelevel.ECONFLICT, "code.err.used"),
	)
	runOrgInput(t, w, cases)

	// A second code of a contract the account holds.
	w.do(t, clientA, "POST", path, map[string]string{"code": strings.ToLower(codes[1])}).wantStatus(t, 201)
	more := w.codes(t, w.contractA, 1)
	before := w.orgSnapshot(t)
	w.do(t, clientA, "POST", path, map[string]string{"code": more[0]}).wantError(t, 409, eyelevel.ECONFLICT)
	if w.orgSnapshot(t) != before {
		t.Error("a refused second code of the same contract changed the database")
	}
	// Ended: codes stop working.
	w.clock.Advance(40 * 24 * 60 * 60 * 1e9)
	w.tokens[clientB] = w.login(t, w.names[clientB])
	e := w.do(t, clientB, "POST", path, map[string]string{"code": more[0]}).wantError(t, 409, eyelevel.EEXPIRED)
	if e.Code != "expired" {
		t.Errorf("code = %q", e.Code)
	}
}

func TestRedeemCodeTooMany(t *testing.T) {
	w := newOrgWorld(t)
	code := w.codes(t, w.contractA, 1)[0]
	var r *response
	for i := 0; i < 100; i++ {
		r = w.do(t, clientA, "POST", "/api/v1/me/codes", map[string]string{"code": "ZZZZ-ZZZZ-ZZZZ-ZZ" + string(rune('A'+i%20)) + string(rune('A'+i/20))})
		if r.Status == 429 {
			break
		}
		r.wantError(t, 404, eyelevel.ENOTFOUND)
	}
	r.wantError(t, 429, eyelevel.ETOOMANY)
	// The owner is not blocked from anything else, and others still redeem.
	w.do(t, clientA, "GET", "/api/v1/me/credits", nil).wantStatus(t, 200)
	w.do(t, clientB, "POST", "/api/v1/me/codes", map[string]string{"code": code}).wantStatus(t, 201)
}
