package service_test

import (
	"context"
	"maps"
	"regexp"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// staff creates a carepoint or orgadmin of organization org.
func (e *env) staff(role eyelevel.Role, username, org string) eyelevel.Actor {
	e.t.Helper()
	u := eyelevel.User{ID: eyelevel.UserID(eyelevel.NewID()), Username: username, Role: role, PasswordHash: "unused",
		Language: "de", TimeZone: "UTC", CreatedAt: monday}
	if err := e.db.CreateUser(e.ctx, u); err != nil {
		e.t.Fatalf("create %s: %v", username, err)
	}
	if err := e.db.AddStaff(e.ctx, u.ID, org, "Staff "+username); err != nil {
		e.t.Fatalf("add staff %s: %v", username, err)
	}
	return actorOf(u)
}

func (e *env) org(name, slug string) eyelevel.Organization {
	e.t.Helper()
	o, err := e.svc.CreateOrganization(e.ctx, e.admin, service.OrganizationInput{Name: name, Slug: slug})
	if err != nil {
		e.t.Fatalf("create organization %q: %v", slug, err)
	}
	return o
}

// running is a contract that runs around monday: November and December 2026.
func running(spp, pool int) service.ContractInput {
	return service.ContractInput{Starts: "2026-11-01", Ends: "2026-12-31", SessionsPerPerson: spp, Pool: pool, GraceDays: 30, Goals: "Fewer sick days."}
}

func (e *env) contract(org string, in service.ContractInput) eyelevel.Contract {
	e.t.Helper()
	k, err := e.svc.CreateContract(e.ctx, e.admin, org, in)
	if err != nil {
		e.t.Fatalf("create contract: %v", err)
	}
	return k
}

func (e *env) codes(k eyelevel.Contract, n int) []string {
	e.t.Helper()
	cs, err := e.svc.IssueCodes(e.ctx, e.admin, k.ID, n, false)
	if err != nil {
		e.t.Fatalf("issue codes: %v", err)
	}
	return cs
}

func TestCreateOrganizationRules(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		for _, c := range []struct {
			name, slug, field string
		}{
			{"", "ok", "name"},
			{"   ", "ok", "name"},
			{strings.Repeat("n", 201), "ok", "name"},
			{"Evil\u202egro", "ok", "name"},
			{"Tab\tname", "ok", "name"},
			{"Org", "", "slug"},
			{"Org", "A", "slug"},
			{"Org", "-ab", "slug"},
			{"Org", "ab-", "slug"},
			{"Org", "a_b", "slug"},
			{"Org", "ä", "slug"},
			{"Org", strings.Repeat("a", 51), "slug"},
		} {
			_, err := e.svc.CreateOrganization(e.ctx, e.admin, service.OrganizationInput{Name: c.name, Slug: c.slug})
			wantField(t, err, c.field)
		}
		if os, _ := e.svc.Organizations(e.ctx, e.admin); len(os) != 0 {
			t.Fatalf("refused input was written: %+v", os)
		}
		for _, ok := range []string{"a", "a1", "caritas-berlin", strings.Repeat("b", 50)} {
			e.org("Name "+ok, ok)
		}
		e.org(strings.Repeat("ن", 200), "farsi")
		_, err := e.svc.CreateOrganization(e.ctx, e.admin, service.OrganizationInput{Name: "Another", Slug: "caritas-berlin"})
		wantCode(t, err, eyelevel.ECONFLICT)

		o := e.org("Caritas", "caritas")
		for _, a := range []eyelevel.Actor{e.client("cleo"), e.counselor("cora", eyelevel.GenderFemale, []string{"de"}), e.staff(eyelevel.RoleOrgAdmin, "olga", o.ID)} {
			_, err := e.svc.CreateOrganization(e.ctx, a, service.OrganizationInput{Name: "X", Slug: "x"})
			wantCode(t, err, eyelevel.EFORBIDDEN)
		}
		_, err = e.svc.CreateOrganization(e.ctx, eyelevel.Actor{}, service.OrganizationInput{Name: "X", Slug: "x"})
		wantCode(t, err, eyelevel.EUNAUTHORIZED)
	})
}

func TestOrganizationsSeenByTheirOwnOnly(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		a, b := e.org("Alpha", "alpha"), e.org("Beta", "beta")
		ka := e.contract(a.ID, running(5, 0))
		adminA, adminB := e.staff(eyelevel.RoleOrgAdmin, "oa", a.ID), e.staff(eyelevel.RoleOrgAdmin, "ob", b.ID)
		care := e.staff(eyelevel.RoleCarePoint, "ca", a.ID)
		client, counselor := e.client("cleo"), e.counselor("cora", eyelevel.GenderFemale, []string{"de"})

		if os, err := e.svc.Organizations(e.ctx, e.admin); err != nil || len(os) != 2 {
			t.Fatalf("admin sees %v, %v", os, err)
		}
		if os, err := e.svc.Organizations(e.ctx, adminA); err != nil || len(os) != 1 || os[0].ID != a.ID {
			t.Fatalf("orgadmin of A sees %v, %v", os, err)
		}
		for _, x := range []eyelevel.Actor{client, counselor, care} {
			_, err := e.svc.Organizations(e.ctx, x)
			if c := eyelevel.ErrorCode(err); c != eyelevel.EFORBIDDEN && c != eyelevel.ENOTFOUND {
				t.Fatalf("%s lists organizations: %v", x.Role, err)
			}
		}
		for _, c := range []struct {
			who  eyelevel.Actor
			org  string
			want string
		}{
			{e.admin, a.ID, ""}, {e.admin, b.ID, ""}, {e.admin, "nope", eyelevel.ENOTFOUND},
			{adminA, a.ID, ""}, {adminA, b.ID, eyelevel.ENOTFOUND}, {adminB, a.ID, eyelevel.ENOTFOUND},
			{care, a.ID, eyelevel.ENOTFOUND}, {client, a.ID, eyelevel.ENOTFOUND}, {counselor, a.ID, eyelevel.ENOTFOUND},
			{eyelevel.Actor{}, a.ID, eyelevel.EUNAUTHORIZED},
		} {
			_, err := e.svc.Organization(e.ctx, c.who, c.org)
			wantCode(t, err, c.want)
			_, err = e.svc.Contracts(e.ctx, c.who, c.org)
			wantCode(t, err, c.want)
		}
		if ks, _ := e.svc.Contracts(e.ctx, adminA, a.ID); len(ks) != 1 || ks[0].ID != ka.ID {
			t.Fatalf("contracts of A = %+v", ks)
		}
		for _, c := range []struct {
			who  eyelevel.Actor
			want string
		}{{e.admin, ""}, {adminA, ""}, {adminB, eyelevel.ENOTFOUND}, {care, eyelevel.ENOTFOUND}, {client, eyelevel.ENOTFOUND}} {
			_, err := e.svc.Contract(e.ctx, c.who, ka.ID)
			wantCode(t, err, c.want)
		}
	})
}

func TestCreateContractRules(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		o := e.org("Alpha", "alpha")
		for _, c := range []struct {
			change func(*service.ContractInput)
			field  string
		}{
			{func(in *service.ContractInput) { in.Starts = "2026-13-01" }, "starts"},
			{func(in *service.ContractInput) { in.Starts = "1.11.2026" }, "starts"},
			{func(in *service.ContractInput) { in.Ends = "" }, "ends"},
			{func(in *service.ContractInput) { in.Ends = "2026-10-31" }, "ends"},
			{func(in *service.ContractInput) { in.Starts = "0000-01-01" }, "starts"},
			{func(in *service.ContractInput) { in.Starts = "1999-12-31" }, "starts"},
			{func(in *service.ContractInput) { in.Ends = "9999-12-31" }, "ends"},
			{func(in *service.ContractInput) { in.Starts, in.Ends = "2100-01-01", "2101-01-01" }, "ends"},
			{func(in *service.ContractInput) { in.Starts, in.Ends = "2026-01-01", "2031-01-01" }, "ends"},
			{func(in *service.ContractInput) { in.SessionsPerPerson = 0 }, "sessions_per_person"},
			{func(in *service.ContractInput) { in.SessionsPerPerson = 51 }, "sessions_per_person"},
			{func(in *service.ContractInput) { in.Pool = -1 }, "pool"},
			{func(in *service.ContractInput) { in.GraceDays = -1 }, "grace_days"},
			{func(in *service.ContractInput) { in.GraceDays = 366 }, "grace_days"},
			{func(in *service.ContractInput) { in.Goals = strings.Repeat("g", 4001) }, "goals"},
			{func(in *service.ContractInput) { in.Goals = "a\u202eb" }, "goals"},
		} {
			in := running(5, 100)
			c.change(&in)
			_, err := e.svc.CreateContract(e.ctx, e.admin, o.ID, in)
			wantField(t, err, c.field)
		}
		if ks, _ := e.svc.Contracts(e.ctx, e.admin, o.ID); len(ks) != 0 {
			t.Fatalf("refused contracts were written: %+v", ks)
		}
		// A past contract may be recorded, a one-day one too; late cancellations count by default.
		past := e.contract(o.ID, service.ContractInput{Starts: "2025-01-01", Ends: "2025-12-31", SessionsPerPerson: 50, GraceDays: 365, Goals: strings.Repeat("g", 4000)})
		if !past.LateCancelCounts {
			t.Fatal("late cancellations should count by default")
		}
		// The longest term: five years to the day, inside 2000–2100.
		e.contract(o.ID, service.ContractInput{Starts: "2096-01-01", Ends: "2100-12-31", SessionsPerPerson: 1})
		e.contract(o.ID, service.ContractInput{Starts: "2000-01-01", Ends: "2000-01-01", SessionsPerPerson: 1})
		for in, want := range map[service.ContractInput]map[string]string{
			{Starts: "0000-01-01", Ends: "9999-12-31", SessionsPerPerson: 1}: {"starts": "contract.err.year", "ends": "contract.err.year"},
			{Starts: "2026-01-01", Ends: "2031-01-01", SessionsPerPerson: 1}: {"ends": "contract.err.term"},
		} {
			if got := in.Valid(); !maps.Equal(got, want) {
				t.Fatalf("%+v: %v, want %v", in, got, want)
			}
		}
		no := false
		in := running(1, 0)
		in.Starts, in.Ends, in.LateCancelCounts = "2026-11-30", "2026-11-30", &no
		if k := e.contract(o.ID, in); k.LateCancelCounts {
			t.Fatal("late_cancel_counts false was not kept")
		}
		_, err := e.svc.CreateContract(e.ctx, e.admin, "nope", running(5, 0))
		wantCode(t, err, eyelevel.ENOTFOUND)
		for _, a := range []eyelevel.Actor{e.staff(eyelevel.RoleOrgAdmin, "oa", o.ID), e.client("cleo")} {
			_, err := e.svc.CreateContract(e.ctx, a, o.ID, running(5, 0))
			wantCode(t, err, eyelevel.EFORBIDDEN)
		}
	})
}

var codeShape = regexp.MustCompile(`^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$`)

func TestIssueCodes(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		a, b := e.org("Alpha", "alpha"), e.org("Beta", "beta")
		k := e.contract(a.ID, running(5, 0))
		ended := e.contract(a.ID, service.ContractInput{Starts: "2025-01-01", Ends: "2025-12-31", SessionsPerPerson: 5})
		adminA, adminB := e.staff(eyelevel.RoleOrgAdmin, "oa", a.ID), e.staff(eyelevel.RoleOrgAdmin, "ob", b.ID)

		for _, n := range []int{0, -1, 501} {
			_, err := e.svc.IssueCodes(e.ctx, e.admin, k.ID, n, false)
			wantField(t, err, "count")
		}
		_, err := e.svc.IssueCodes(e.ctx, e.admin, k.ID, 5, true)
		wantField(t, err, "count")

		codes := e.codes(k, 500)
		seen := map[string]bool{}
		for _, c := range codes {
			if !codeShape.MatchString(c) || seen[c] {
				t.Fatalf("code %q: bad shape or repeated", c)
			}
			seen[c] = true
		}
		// Stored as a hash only: the row exists under the hash and holds no code.
		stored, err := e.db.CodeByHash(e.ctx, sha(codes[0]))
		if err != nil || stored.Code != "" || stored.Shared || stored.ContractID != k.ID {
			t.Fatalf("stored code = %+v, %v", stored, err)
		}
		if n, _ := e.db.CodeCounts(e.ctx, k.ID); n.Issued != 500 || n.Redeemed != 0 {
			t.Fatalf("counts = %+v", n)
		}

		shared, err := e.svc.IssueCodes(e.ctx, adminA, k.ID, 0, true)
		wantCode(t, err, "")
		again, _ := e.svc.IssueCodes(e.ctx, e.admin, k.ID, 1, true)
		if len(shared) != 1 || len(again) != 1 || shared[0] != again[0] || !codeShape.MatchString(shared[0]) {
			t.Fatalf("shared codes %v then %v", shared, again)
		}
		if sc, _ := e.db.SharedCode(e.ctx, k.ID); sc.Code != shared[0] {
			t.Fatalf("shared code not kept readable: %+v", sc)
		}

		_, err = e.svc.IssueCodes(e.ctx, e.admin, ended.ID, 1, false)
		wantCode(t, err, eyelevel.EEXPIRED)
		_, err = e.svc.IssueCodes(e.ctx, e.admin, ended.ID, 0, true)
		wantCode(t, err, eyelevel.EEXPIRED)

		for _, c := range []struct {
			who  eyelevel.Actor
			want string
		}{
			{adminA, ""}, {adminB, eyelevel.ENOTFOUND}, {e.staff(eyelevel.RoleCarePoint, "ca", a.ID), eyelevel.ENOTFOUND},
			{e.client("cleo"), eyelevel.ENOTFOUND}, {e.counselor("cora", eyelevel.GenderFemale, []string{"de"}), eyelevel.ENOTFOUND},
			{eyelevel.Actor{}, eyelevel.EUNAUTHORIZED},
		} {
			_, err := e.svc.IssueCodes(e.ctx, c.who, k.ID, 1, false)
			wantCode(t, err, c.want)
		}
		_, err = e.svc.IssueCodes(e.ctx, e.admin, "nope", 1, false)
		wantCode(t, err, eyelevel.ENOTFOUND)
	})
}

func sha(code string) string {
	return service.HashCode(service.NormalizeCode(code))
}

func TestRedeemCode(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		o := e.org("Alpha", "alpha")
		k := e.contract(o.ID, running(5, 10))
		codes := e.codes(k, 3)
		anna, ben := e.client("anna"), e.client("ben")

		_, err := e.svc.RedeemCode(e.ctx, anna, " -- ", e.ip())
		wantField(t, err, "code")
		_, err = e.svc.RedeemCode(e.ctx, anna, strings.Repeat("A", 65), e.ip())
		wantField(t, err, "code")
		_, err = e.svc.RedeemCode(e.ctx, anna, "AAAA-BBBB-CCCC-DDDD", e.ip())
		wantKey(t, err, eyelevel.ENOTFOUND, "code.err.unknown")

		// Lower case, spaces instead of dashes: the same code.
		typed := strings.ToLower(strings.ReplaceAll(codes[0], "-", " "))
		c, err := e.svc.RedeemCode(e.ctx, anna, typed, e.ip())
		wantCode(t, err, "")
		if c.Organization != "Alpha" || c.Granted != 5 || c.ContractID != k.ID || !c.Expires().Equal(k.EndTime()) {
			t.Fatalf("credit = %+v", c)
		}
		_, err = e.svc.RedeemCode(e.ctx, ben, codes[0], e.ip())
		wantKey(t, err, eyelevel.ECONFLICT, "code.err.used")
		// Another code of a contract anna holds: refused, and the code stays unused.
		_, err = e.svc.RedeemCode(e.ctx, anna, codes[1], e.ip())
		wantCode(t, err, eyelevel.ECONFLICT)
		_, err = e.svc.RedeemCode(e.ctx, ben, codes[1], e.ip())
		wantCode(t, err, "")
		if n, _ := e.db.CodeCounts(e.ctx, k.ID); n.Issued != 3 || n.Redeemed != 2 {
			t.Fatalf("counts = %+v", n)
		}

		// Shared code: a pool of 10 with 5 each admits two people.
		shared, _ := e.svc.IssueCodes(e.ctx, e.admin, k.ID, 0, true)
		for i, want := range []string{"", "", eyelevel.ECONFLICT} {
			_, err := e.svc.RedeemCode(e.ctx, e.client("s"+string(rune('a'+i))+"x"), shared[0], e.ip())
			wantCode(t, err, want)
		}
		_, err = e.svc.RedeemCode(e.ctx, anna, shared[0], e.ip())
		wantCode(t, err, eyelevel.ECONFLICT)

		for _, a := range []eyelevel.Actor{e.admin, e.counselor("cora", eyelevel.GenderFemale, []string{"de"}), e.staff(eyelevel.RoleOrgAdmin, "oa", o.ID)} {
			_, err := e.svc.RedeemCode(e.ctx, a, codes[2], e.ip())
			wantCode(t, err, eyelevel.EFORBIDDEN)
		}
		_, err = e.svc.RedeemCode(e.ctx, eyelevel.Actor{}, codes[2], e.ip())
		wantCode(t, err, eyelevel.EUNAUTHORIZED)

		// After the contract's end, codes stop working.
		e.clock.Advance(32 * 24 * 60 * 60 * 1e9)
		_, err = e.svc.RedeemCode(e.ctx, e.client("late"), codes[2], e.ip())
		wantCode(t, err, eyelevel.EEXPIRED)
		// A contract that has not started yet.
		future := e.contract(o.ID, service.ContractInput{Starts: "2027-06-01", Ends: "2027-12-31", SessionsPerPerson: 3})
		_, err = e.svc.RedeemCode(e.ctx, e.client("early"), e.codes(future, 1)[0], e.ip())
		wantCode(t, err, eyelevel.EEXPIRED)
	})
}

// Two clients redeem one printed code at the same moment: exactly one gets
// the sessions.
func TestRedeemRaceSingleUse(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		const n = 8
		k := e.contract(e.org("Alpha", "alpha").ID, running(5, 0))
		code := e.codes(k, 1)[0]
		clients := make([]eyelevel.Actor, n)
		for i := range clients {
			clients[i] = e.client("racer" + string(rune('a'+i)))
		}
		errs := race(t, n, func(ctx context.Context, i int) error {
			_, err := e.svc.RedeemCode(ctx, clients[i], code, "192.0.2.1")
			return err
		})
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else {
				wantCode(t, err, eyelevel.ECONFLICT)
			}
		}
		if wins != 1 {
			t.Fatalf("%d redemptions won, want 1: %v", wins, errs)
		}
		if n, _ := e.db.CodeCounts(e.ctx, k.ID); n.Redeemed != 1 {
			t.Fatalf("redeemed = %d", n.Redeemed)
		}
	})
}

// A shared code whose pool has one person's allowance left: of clients
// racing for it, exactly one gets it.
func TestRedeemRaceSharedPool(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		const n = 6
		k := e.contract(e.org("Alpha", "alpha").ID, running(5, 10))
		shared, _ := e.svc.IssueCodes(e.ctx, e.admin, k.ID, 0, true)
		if _, err := e.svc.RedeemCode(e.ctx, e.client("first"), shared[0], e.ip()); err != nil {
			t.Fatal(err)
		}
		clients := make([]eyelevel.Actor, n)
		for i := range clients {
			clients[i] = e.client("racer" + string(rune('a'+i)))
		}
		errs := race(t, n, func(ctx context.Context, i int) error {
			_, err := e.svc.RedeemCode(ctx, clients[i], shared[0], "192.0.2.1")
			return err
		})
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else {
				wantKey(t, err, eyelevel.ECONFLICT, "code.err.pool_used")
			}
		}
		if wins != 1 {
			t.Fatalf("%d redemptions won, want 1: %v", wins, errs)
		}
	})
}

// A flood of wrong codes is stopped; the same account can still log in,
// and others, elsewhere, still redeem.
func TestRedeemRateLimit(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		k := e.contract(e.org("Alpha", "alpha").ID, running(5, 0))
		codes := e.codes(k, 3)
		mallory := e.client("mallory")
		var err error
		for i := 0; i < 200 && eyelevel.ErrorCode(err) != eyelevel.ETOOMANY; i++ {
			_, err = e.svc.RedeemCode(e.ctx, mallory, "AAAA-AAAA-AAAA-AAA"+string(rune('A'+i%20)), "198.51.100.7")
		}
		wantCode(t, err, eyelevel.ETOOMANY)
		// Per account: a right code from another address is refused too.
		_, err = e.svc.RedeemCode(e.ctx, mallory, codes[0], "198.51.100.8")
		wantCode(t, err, eyelevel.ETOOMANY)
		// Nothing else is blocked: the owner still logs in.
		if _, err := e.svc.SignIn(e.ctx, service.Credentials{Username: "mallory", Password: password, IP: "198.51.100.7"}); err != nil {
			t.Fatalf("login after code flood: %v", err)
		}
		// Another account at another address redeems.
		_, err = e.svc.RedeemCode(e.ctx, e.client("honest"), codes[0], "203.0.113.5")
		wantCode(t, err, "")

		// Per address: many accounts guessing from one address.
		err = nil
		for i := 0; i < 40 && eyelevel.ErrorCode(err) != eyelevel.ETOOMANY; i++ {
			a := e.client("bot" + string(rune('a'+i%26)) + string(rune('a'+i/26)))
			for j := 0; j < 5 && eyelevel.ErrorCode(err) != eyelevel.ETOOMANY; j++ {
				_, err = e.svc.RedeemCode(e.ctx, a, "BBBB-BBBB-BBBB-BBB"+string(rune('A'+j)), "198.51.100.99")
			}
		}
		wantCode(t, err, eyelevel.ETOOMANY)
		// A right code from that address is refused, from elsewhere it works.
		_, err = e.svc.RedeemCode(e.ctx, e.client("neighbour"), codes[1], "198.51.100.99")
		wantCode(t, err, eyelevel.ETOOMANY)
		_, err = e.svc.RedeemCode(e.ctx, e.client("elsewhere"), codes[1], "203.0.113.6")
		wantCode(t, err, "")
	})
}

func TestCredits(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		k := e.contract(e.org("Alpha", "alpha").ID, running(5, 8))
		codes := e.codes(k, 2)
		anna, ben := e.client("anna"), e.client("ben")

		b, err := e.svc.Credits(e.ctx, anna)
		if err != nil || b.Total != 0 || len(b.Credits) != 0 {
			t.Fatalf("before: %+v, %v", b, err)
		}
		for _, a := range []eyelevel.Actor{anna, ben} {
			if _, err := e.svc.RedeemCode(e.ctx, a, codes[0], e.ip()); err != nil && a == anna {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.RedeemCode(e.ctx, ben, codes[1], e.ip()); err != nil {
			t.Fatal(err)
		}
		b, _ = e.svc.Credits(e.ctx, anna)
		if b.Total != 5 || len(b.Credits) != 1 || b.Credits[0].Organization != "Alpha" || b.Credits[0].Source != eyelevel.SourceOrganization {
			t.Fatalf("anna: %+v", b)
		}
		// Ben books 4 of the pool's 8: anna can book only the 4 left.
		bc, _ := e.svc.Credits(e.ctx, ben)
		for range 4 {
			if ok, err := e.db.DrawCredit(e.ctx, bc.Credits[0].ID, k.ID); !ok || err != nil {
				t.Fatalf("draw: %v %v", ok, err)
			}
		}
		if b, _ = e.svc.Credits(e.ctx, anna); b.Total != 4 || b.Credits[0].Usable(e.svc.Now()) != 4 {
			t.Fatalf("anna with 4 left in the pool: %+v", b)
		}
		if b, _ = e.svc.Credits(e.ctx, ben); b.Total != 1 {
			t.Fatalf("ben: %+v", b)
		}
		for _, a := range []eyelevel.Actor{e.admin, e.counselor("cora", eyelevel.GenderFemale, []string{"de"})} {
			_, err := e.svc.Credits(e.ctx, a)
			wantCode(t, err, eyelevel.EFORBIDDEN)
		}
		// After the end, anna's unstarted course is gone; ben's started one runs through the grace period.
		e.clock.Advance(32 * 24 * 60 * 60 * 1e9)
		if b, _ = e.svc.Credits(e.ctx, anna); b.Total != 0 || len(b.Credits) != 0 {
			t.Fatalf("anna after the end: %+v", b)
		}
		if b, _ = e.svc.Credits(e.ctx, ben); b.Total != 1 || len(b.Credits) != 1 {
			t.Fatalf("ben in the grace period: %+v", b)
		}
	})
}

func TestOrgLanding(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		o := e.org("Alpha", "alpha")
		l, err := e.svc.OrgLanding(e.ctx, "alpha")
		if err != nil || l.Name != "Alpha" || l.Running {
			t.Fatalf("without contract: %+v, %v", l, err)
		}
		e.contract(o.ID, running(4, 0))
		l, _ = e.svc.OrgLanding(e.ctx, "alpha")
		if !l.Running || l.SessionsPerPerson != 4 || !l.PoolLeft || l.Ends.Format("2006-01-02") != "2026-12-31" {
			t.Fatalf("running: %+v", l)
		}
		for _, slug := range []string{"beta", "ALPHA", "../x", ""} {
			_, err := e.svc.OrgLanding(e.ctx, slug)
			wantCode(t, err, eyelevel.ENOTFOUND)
		}
	})
}

// Two managers asking for the shared code at the same moment get the same one.
func TestSharedCodeRace(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		const n = 6
		k := e.contract(e.org("Alpha", "alpha").ID, running(5, 0))
		got := make([]string, n)
		errs := race(t, n, func(ctx context.Context, i int) error {
			cs, err := e.svc.IssueCodes(ctx, e.admin, k.ID, 0, true)
			if err == nil {
				got[i] = cs[0]
			}
			return err
		})
		for i, err := range errs {
			if err != nil || got[i] != got[0] {
				t.Fatalf("request %d: %q, %v; first got %q", i, got[i], err, got[0])
			}
		}
	})
}

// TestManagersSeeCoarseFigures: an organization's managers are not told
// live, exact figures that would let them watch one person redeem a slip
// or book (the pool left is rounded down to tens, the redeemed count is
// not told at all); admins are.
func TestManagersSeeCoarseFigures(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		o := e.org("Alpha", "alpha")
		k := e.contract(o.ID, running(5, 100))
		oa := e.staff(eyelevel.RoleOrgAdmin, "oa", o.ID)
		code := e.codes(k, 2)[0]
		c, err := e.svc.RedeemCode(e.ctx, e.client("cleo"), code, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if ok, err := e.db.DrawCredit(e.ctx, c.ID, k.ID); !ok || err != nil {
				t.Fatalf("draw: %v %v", ok, err)
			}
		}
		for _, w := range []struct {
			who            eyelevel.Actor
			used, redeemed int
		}{{e.admin, 3, 1}, {oa, 10, -1}} {
			ks, err := e.svc.Contracts(e.ctx, w.who, o.ID)
			if err != nil || len(ks) != 1 || ks[0].PoolUsed != w.used {
				t.Fatalf("%s: contracts %+v %v, want pool_used %d", w.who.Role, ks, err, w.used)
			}
			if one, err := e.svc.Contract(e.ctx, w.who, k.ID); err != nil || one.PoolUsed != w.used {
				t.Fatalf("%s: contract %+v %v", w.who.Role, one, err)
			}
			issued, redeemed, err := e.svc.ContractCodes(e.ctx, w.who, k.ID)
			if err != nil || issued != 2 || redeemed != w.redeemed {
				t.Fatalf("%s: codes %d %d %v, want 2 %d", w.who.Role, issued, redeemed, err, w.redeemed)
			}
		}
		oct, nov := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
		for who, want := range map[eyelevel.Actor]int{e.admin: 97, oa: 90} {
			if r, err := e.svc.BuyerReport(e.ctx, who, k.ID, oct, nov); err != nil || r.PoolLeft != want {
				t.Fatalf("%s: report's pool left %d %v, want %d", who.Role, r.PoolLeft, err, want)
			}
		}
		// The exact figure still rules: the pool is not taken as smaller.
		if e.poolUsed(k.ID) != 3 {
			t.Fatalf("pool_used stored %d", e.poolUsed(k.ID))
		}
	})
}
